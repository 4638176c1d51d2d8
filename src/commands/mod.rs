//! One module per command: parse, call the library, print. Nothing else.

pub mod agents;
pub mod completions;
pub mod doctor;
pub mod init;
pub mod log;
pub mod metrics;
pub mod status;

use anyhow::Result;

use crate::cli::Command;
use crate::context::Ctx;

/// Runs a parsed command; returns the exit code for non-error outcomes.
pub fn dispatch(ctx: &Ctx, command: &Command) -> Result<u8> {
    match command {
        Command::Init(args) => init::run(ctx, args),
        Command::Agents(command) => agents::run(ctx, command),
        Command::Doctor(args) => doctor::run(ctx, args),
        Command::Status(args) => status::run(ctx, args),
        Command::Metrics(args) => metrics::run(ctx, args),
        Command::Log(args) => log::run(ctx, args),
        Command::Completions(args) => completions::run(ctx, args),
    }
}
