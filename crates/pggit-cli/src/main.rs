//! The `pggit` binary: parse arguments, run, map errors to exit codes
//! (0 ok, 1 nothing to do / differences found, 2 usage or input error,
//! 3 database error, 4 the output could not be written). A closed stdout (e.g. `| head`) is not an error.

/// mimalloc: parse trees are many small allocations (linting a 10,000
/// statement file spent a quarter of its time in the system allocator).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;
mod data_cmd;
mod demo;
mod lint_cmd;
mod local;
mod merge_cmd;
mod reference_cmd;
mod run;
mod style;
mod trace_cmd;

use std::io::{IsTerminal, Write};

use clap::Parser;

fn exit_code(e: &anyhow::Error) -> i32 {
    for cause in e.chain() {
        if let Some(pe) = cause.downcast_ref::<pggit::Error>() {
            return pe.exit_code();
        }
        if let Some(pe) = cause.downcast_ref::<pggit::pg::PgError>() {
            return if pe.is_input() { 2 } else { 3 };
        }
        if cause.downcast_ref::<run::UsageError>().is_some() {
            return 2;
        }
    }
    3
}

/// Standard output that remembers a failed write, so that an error caused
/// by it (a full disk) exits 4 and other I/O errors (a program the demo
/// could not start) do not.
struct Out<W> {
    inner: W,
    failed: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<W: Write> Write for Out<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.failed.set(self.failed.get() || r.is_err());
        r
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.failed.set(self.failed.get() || r.is_err());
        r
    }
}

/// The stable code of an error for `--json` output.
fn error_code(e: &anyhow::Error) -> &'static str {
    for cause in e.chain() {
        if let Some(pe) = cause.downcast_ref::<pggit::Error>() {
            return pe.code();
        }
        if let Some(pe) = cause.downcast_ref::<pggit::pg::PgError>() {
            return if pe.is_input() {
                "invalid_input"
            } else {
                "database_error"
            };
        }
        if cause.downcast_ref::<run::UsageError>().is_some() {
            return "usage";
        }
    }
    "error"
}

fn main() {
    let total = pggit::pg::trace::span("process");
    let cli = cli::Cli::parse();
    let style = style::Style::new(cli.color);
    let stdout = std::io::stdout();
    // On a terminal every control character pggit did not write itself is
    // escaped; redirected output (SQL, CSV, JSON) stays byte-exact.
    let failed = std::rc::Rc::new(std::cell::Cell::new(false));
    let inner: Box<dyn std::io::Write> = if stdout.is_terminal() {
        Box::new(style::SafeOut::new(stdout.lock(), style))
    } else {
        // Redirected: block-buffered. `StdoutLock` alone flushes at every
        // newline, one write(2) per CSV row or SQL line.
        Box::new(std::io::BufWriter::with_capacity(1 << 16, stdout.lock()))
    };
    let mut out = Out {
        inner,
        failed: failed.clone(),
    };
    let mut ctx = run::Ctx {
        cli: &cli,
        out: &mut out,
        style,
    };
    let code = match run::run(&mut ctx) {
        Ok(code) => code,
        Err(e) => {
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                0
            } else {
                // Writing the output failed (a full disk): 4.
                let code = if failed.get() && e.chain().any(|c| c.is::<std::io::Error>()) {
                    4
                } else {
                    exit_code(&e)
                };
                if cli.json {
                    let doc = serde_json::json!({
                        "error": { "code": error_code(&e), "message": format!("{e:#}"), "exit_code": code }
                    });
                    let _ = writeln!(out, "{doc}");
                } else {
                    eprintln!("error: {}", style::esc_message(&format!("{e:#}")));
                }
                code
            }
        }
    };
    // The last block is written here: a full disk must not pass as
    // success with a truncated file. A closed pipe is still not an error.
    let code = match out.flush() {
        // Also after "differences found" (1): the reader would miss them.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe && code <= 1 => {
            eprintln!("error: cannot write the output: {e}");
            4
        }
        _ => code,
    };
    drop(out);
    drop(total);
    std::process::exit(code);
}
