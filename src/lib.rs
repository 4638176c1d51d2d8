//! nexus: a command-line orchestrator for a team of AI coding agents whose
//! whole state is plain files under `.nexus/`.
//!
//! `main` calls [`run`]; each command lives in `commands/` and the logic in
//! the library modules (`state`, `plan`, `brain`, `agents`, `dispatch`, `proc`).

// Unit tests set up their fixtures with plain `std::fs`.
#![cfg_attr(test, allow(clippy::disallowed_methods))]

pub mod agents;
pub mod brain;
pub mod cli;
pub mod commands;
pub mod context;
pub mod dashboard;
pub mod dispatch;
pub mod env_vars;
pub mod exit;
pub mod export;
pub mod ids;
pub mod picture;
pub mod plan;
pub mod proc;
pub mod report;
pub mod state;
pub mod taskmaster;
pub mod time;
pub mod ui;
pub mod workspace;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::context::Ctx;

/// Runs nexus with `args` (the first is the program name) and returns the
/// exit code. Callable more than once (tests).
pub fn run<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    let ctx = match Ctx::new(&cli) {
        Ok(ctx) => ctx,
        Err(error) => {
            let ui = ui::Ui::new(false, false, cli.color, false);
            ui.error(&error);
            return ExitCode::from(exit::code_for(&error));
        }
    };
    match commands::dispatch(&ctx, &cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(error) if error.downcast_ref::<ui::BrokenPipe>().is_some() => ExitCode::from(exit::OK),
        Err(error) => {
            ctx.ui.error(&error);
            ExitCode::from(exit::code_for(&error))
        }
    }
}
