//! Progress of long operations. The library reports what it is doing and
//! how far it got; whoever called it decides whether to draw anything (the
//! CLI draws a bar on a terminal, tests record, the default says nothing).

/// Receives the progress of one operation, one phase at a time.
pub trait Progress: Send + Sync {
    /// A phase of `total` units of work (statements, objects, rows) starts.
    fn begin(&self, what: &str, total: u64);
    /// `n` more units of the current phase are done.
    fn advance(&self, n: u64);
    /// The current phase is over (finished or abandoned).
    fn end(&self);
    /// Whether anything receives the progress: measuring it may cost
    /// something (a second connection), worth paying only when it does.
    fn shown(&self) -> bool {
        true
    }
}

/// Progress that goes nowhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn end(&self) {}
    fn shown(&self) -> bool {
        false
    }
}

/// A phase that ends when dropped, so that an early return or an error
/// still closes it.
pub struct Phase<'a> {
    to: &'a dyn Progress,
}

impl<'a> Phase<'a> {
    /// Begin a phase of `total` units on `to`.
    pub fn begin(to: &'a dyn Progress, what: &str, total: usize) -> Phase<'a> {
        to.begin(what, u64::try_from(total).unwrap_or(u64::MAX));
        Phase { to }
    }

    /// `n` more units done.
    pub fn advance(&self, n: usize) {
        self.to.advance(u64::try_from(n).unwrap_or(u64::MAX));
    }
}

impl Drop for Phase<'_> {
    fn drop(&mut self) {
        self.to.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);

    impl Progress for Log {
        fn begin(&self, what: &str, total: u64) {
            self.0.lock().unwrap().push(format!("begin {what} {total}"));
        }
        fn advance(&self, n: u64) {
            self.0.lock().unwrap().push(format!("+{n}"));
        }
        fn end(&self) {
            self.0.lock().unwrap().push("end".into());
        }
    }

    #[test]
    fn a_phase_ends_when_dropped_even_early() {
        let log = Log::default();
        let run = |fail: bool| -> Result<(), ()> {
            let p = Phase::begin(&log, "x", 2);
            p.advance(1);
            if fail {
                return Err(());
            }
            p.advance(1);
            Ok(())
        };
        assert!(run(true).is_err());
        run(false).unwrap();
        assert_eq!(
            *log.0.lock().unwrap(),
            ["begin x 2", "+1", "end", "begin x 2", "+1", "+1", "end"]
        );
    }
}
