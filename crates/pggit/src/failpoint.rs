//! A test hook for the crash matrix: with `PGGIT_FAILPOINT=NAME`, the
//! process stops at the step called NAME — it says so on stderr
//! (`pggit-failpoint: NAME`) and waits — so that a test can kill it there
//! with a real SIGKILL. Without the variable every point is a no-op.

use std::sync::OnceLock;

/// Stop here if `PGGIT_FAILPOINT` names this step.
pub(crate) fn hit(name: &str) {
    static POINT: OnceLock<Option<String>> = OnceLock::new();
    let point = POINT.get_or_init(|| std::env::var("PGGIT_FAILPOINT").ok());
    if point.as_deref() == Some(name) {
        eprintln!("pggit-failpoint: {name}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}
