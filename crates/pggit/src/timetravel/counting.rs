//! Progress of a rebuild of past rows (restore, materialising an as-of
//! cache). The statement runs inside the server, so the rebuilding session
//! counts the rows it produces (`pggit.counted`, every 4,096th row) where
//! other sessions can see them at once, and a second connection polls that
//! count for the bar. Nothing of this runs unless a bar is shown.

use std::sync::mpsc;
use std::time::Duration;

use pggit_core::progress::{Phase, Progress};
use pggit_pg::history;
use postgres::{Client, Config};

use crate::repo::Repository;

/// No second connection for a rebuild that is over this soon.
const FIRST_LOOK: Duration = Duration::from_millis(300);
/// How often the count is read.
const POLL: Duration = Duration::from_millis(150);

/// A session that counts the rows it rebuilds, and how to watch it.
pub(crate) struct Counter {
    config: Config,
    pid: i32,
    /// The table's row estimate: the length of the bar.
    total: u64,
}

impl Repository {
    /// Prepare `client` (outside a transaction) to count the rows it
    /// rebuilds of `table`. `None` when no progress is shown, or the
    /// session cannot count (the operation then runs as it would anyway).
    pub(crate) fn row_counter(&mut self, client: &mut Client, table: &str) -> Option<Counter> {
        if !self.progress.shown() || !history::count_rows(client) {
            return None;
        }
        let row = client
            .query_one(
                "SELECT pg_backend_pid(),
                        (SELECT greatest(c.reltuples, 0)::bigint FROM pg_class c WHERE c.oid = to_regclass($1))",
                &[&table],
            )
            .ok()?;
        let total: Option<i64> = row.get(1);
        let branch = self.current_branch().ok()?;
        let w = self.workspace(&branch).ok()?;
        let mut config = self.workspace_config(&w);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        Some(Counter {
            config,
            pid: row.get(0),
            total: total.and_then(|t| u64::try_from(t).ok()).unwrap_or(0),
        })
    }
}

impl Counter {
    /// Run `f` (the rebuilding statement on the counting session) while a
    /// second connection reports its rows to `progress` as `what`.
    pub(crate) fn watch<T>(&self, progress: &dyn Progress, what: &str, f: impl FnOnce() -> T) -> T {
        let (done, wait) = mpsc::channel::<()>();
        std::thread::scope(|s| {
            s.spawn(move || self.poll(progress, what, &wait));
            let out = f();
            drop(done);
            out
        })
    }

    fn poll(&self, progress: &dyn Progress, what: &str, done: &mpsc::Receiver<()>) {
        let over = |d| !matches!(done.recv_timeout(d), Err(mpsc::RecvTimeoutError::Timeout));
        // The bar starts with the statement, so its rate is the real one.
        let total = usize::try_from(self.total).unwrap_or(usize::MAX);
        let phase = Phase::begin(progress, what, total);
        if over(FIRST_LOOK) {
            return;
        }
        // No connection (the server is full, say): the bar stays at zero.
        let Ok(mut watcher) = pggit_pg::connect::connect(&self.config) else {
            let _ = done.recv();
            return;
        };
        let mut seen = 0;
        loop {
            match history::rows_counted(&mut watcher, self.pid) {
                Ok(Some(n)) if n > seen => {
                    phase.advance(usize::try_from(n - seen).unwrap_or(usize::MAX));
                    seen = n;
                }
                Ok(_) => {}
                Err(_) => return,
            }
            if over(POLL) {
                return;
            }
        }
    }
}
