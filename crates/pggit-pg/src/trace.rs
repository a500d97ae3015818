//! Timing of the phases of an operation, printed to stderr when the
//! environment sets `PGGIT_TRACE` (as git's `GIT_TRACE_PERFORMANCE`): one
//! line per phase, `pggit trace: <ms> ms <phase>`, written when the phase
//! ends. Silent otherwise; costs one relaxed load per phase.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PGGIT_TRACE").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// A phase being timed; reports when dropped.
pub struct Span {
    what: &'static str,
    start: Option<Instant>,
}

/// Start timing `what`.
pub fn span(what: &'static str) -> Span {
    Span {
        what,
        start: enabled().then(Instant::now),
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            eprintln!("pggit trace: {ms:9.2} ms {}", self.what);
        }
    }
}
