//! The `pggit` binary: parse arguments, run, map errors to exit codes
//! (0 ok, 1 nothing to do / differences found, 2 usage or input error,
//! 3 database error). A closed stdout (e.g. `| head`) is not an error.

mod cli;
mod data_cmd;
mod demo;
mod merge_cmd;
mod run;
mod style;

use clap::Parser;

fn exit_code(e: &anyhow::Error) -> i32 {
    for cause in e.chain() {
        if let Some(pe) = cause.downcast_ref::<pggit::Error>() {
            return pe.exit_code();
        }
        if cause.downcast_ref::<pggit::pg::PgError>().is_some() {
            return 3;
        }
        if cause.downcast_ref::<run::UsageError>().is_some() {
            return 2;
        }
    }
    3
}

fn main() {
    let cli = cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut ctx = run::Ctx {
        cli: &cli,
        out: &mut out,
        style: style::Style::new(cli.color),
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
                eprintln!("error: {e:#}");
                exit_code(&e)
            }
        }
    };
    drop(out);
    std::process::exit(code);
}
