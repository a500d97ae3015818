//! The heaviest catalog queries read ahead on a second connection, in the
//! same snapshot (`pg_export_snapshot`, as `pg_dump --jobs` shares one):
//! while the first connection reads types, sequences, tables and columns,
//! the second has the server deparse views, constraints and indexes and
//! collect the dependencies. The
//! reader takes their rows when it gets to them, or runs a query itself when
//! the helper could not (no second connection, a snapshot that cannot be
//! shared, an error: the reader's own query then reports it).

use std::collections::HashMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::{Client, GenericClient, IsolationLevel, Row};

use super::attached::{CONSTRAINTS_SQL, INDEXES_SQL};
use super::deps::DEPENDENCIES_SQL;
use super::relations::VIEWS_SQL;
use crate::PgError;

/// A query read ahead, in the order the reader needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Ahead {
    Views,
    Constraints,
    Indexes,
    Dependencies,
}

/// What the helper sends: that it holds the snapshot, then each query's rows.
enum Msg {
    Ready,
    Rows(Ahead, Result<Vec<Row>, PgError>),
}

/// How long the reader waits for the helper to connect and import the
/// snapshot before reading alone (a pooler with no free connection, a slow
/// network).
const READY_WAIT: Duration = Duration::from_secs(5);

/// How long a helper query waits for a catalog lock. Past it the query fails
/// and the reader runs it itself: it holds the locks already, where the
/// helper could queue behind a `VACUUM FULL` of a catalog that waits for the
/// reader — a cycle through this process that PostgreSQL cannot see.
const HELPER_LOCK_TIMEOUT: &str = "1s";

/// The helper connection's work in progress.
pub(super) struct Helper {
    nsps: Option<Sender<Vec<u32>>>,
    rows: Option<Receiver<Msg>>,
    ready: bool,
    started: Instant,
    got: HashMap<Ahead, Vec<Row>>,
    thread: Option<JoinHandle<()>>,
}

impl Helper {
    /// Start reading ahead on a connection from `connect` in the snapshot
    /// `snapshot` (from `pg_export_snapshot()`); the queries start once
    /// [`Helper::schemas`] gives the schemas.
    pub(super) fn start(
        connect: impl FnOnce() -> Option<Client> + Send + 'static,
        snapshot: String,
    ) -> Helper {
        let (nsps_tx, nsps_rx) = channel::<Vec<u32>>();
        let (rows_tx, rows_rx) = channel::<Msg>();
        let thread = std::thread::spawn(move || {
            let _t = crate::trace::span("catalog: helper connection");
            let Some(mut client) = connect() else {
                return;
            };
            let Ok(mut tx) = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
            else {
                return;
            };
            let set = format!(
                "SET TRANSACTION SNAPSHOT {}; SET LOCAL search_path = ''; SET LOCAL jit = off; \
                 SET LOCAL lock_timeout = {}",
                pggit_core::sql::literal(&snapshot),
                pggit_core::sql::literal(HELPER_LOCK_TIMEOUT)
            );
            if tx.batch_execute(&set).is_err() || rows_tx.send(Msg::Ready).is_err() {
                return;
            }
            let Ok(nsps) = nsps_rx.recv() else {
                return;
            };
            // The reader reads the columns itself meanwhile: the two
            // connections then take about as long.
            let queries: [(Ahead, &str); 4] = [
                (Ahead::Views, VIEWS_SQL),
                (Ahead::Constraints, CONSTRAINTS_SQL),
                (Ahead::Indexes, INDEXES_SQL),
                (Ahead::Dependencies, DEPENDENCIES_SQL),
            ];
            for (what, sql) in queries {
                let rows = match what {
                    Ahead::Dependencies => tx.query(sql, &[]),
                    _ => tx.query(sql, &[&nsps]),
                };
                let failed = rows.is_err();
                if rows_tx
                    .send(Msg::Rows(what, rows.map_err(PgError::from)))
                    .is_err()
                    || failed
                {
                    return;
                }
            }
            let _ = tx.commit();
        });
        Helper {
            nsps: Some(nsps_tx),
            rows: Some(rows_rx),
            ready: false,
            started: Instant::now(),
            got: HashMap::new(),
            thread: Some(thread),
        }
    }

    /// The schemas being read: the helper's queries can start.
    pub(super) fn schemas(&mut self, nsps: &[u32]) {
        if let Some(tx) = self.nsps.take() {
            let _ = tx.send(nsps.to_vec());
        }
    }

    /// The rows of `what`, waiting for the helper if it is still reading
    /// them; `None` if it will not deliver them.
    pub(super) fn take(&mut self, what: Ahead) -> Option<Vec<Row>> {
        if let Some(rows) = self.got.remove(&what) {
            return Some(rows);
        }
        let _t = crate::trace::span("catalog: wait for the helper");
        loop {
            let rx = self.rows.as_ref()?;
            let msg = if self.ready {
                rx.recv().ok()
            } else {
                let left = READY_WAIT.saturating_sub(self.started.elapsed());
                rx.recv_timeout(left).ok()
            };
            match msg {
                Some(Msg::Ready) => self.ready = true,
                Some(Msg::Rows(w, Ok(rows))) if w == what => return Some(rows),
                Some(Msg::Rows(w, Ok(rows))) => {
                    self.got.insert(w, rows);
                }
                // An error, a helper that stopped or never got ready: read
                // the rest alone.
                Some(Msg::Rows(_, Err(_))) | None => {
                    self.rows = None;
                    return None;
                }
            }
        }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        // Stop the helper at its next query and, if it got going, wait for
        // it, so that its connection is closed when the snapshot is. One
        // that never got ready (stuck connecting) is left to give up alone.
        self.nsps = None;
        self.rows = None;
        if let Some(t) = self.thread.take() {
            if self.ready || t.is_finished() {
                let _ = t.join();
            }
        }
    }
}

/// Export the snapshot of `tx` for a helper; `None` on a standby, where
/// PostgreSQL exports none. (Not in a savepoint: a subtransaction cannot
/// export a snapshot.)
pub(super) fn export(tx: &mut impl GenericClient) -> Result<Option<String>, PgError> {
    let standby: bool = tx.query_one("SELECT pg_is_in_recovery()", &[])?.get(0);
    if standby {
        return Ok(None);
    }
    Ok(Some(
        tx.query_one("SELECT pg_export_snapshot()", &[])?.get(0),
    ))
}
