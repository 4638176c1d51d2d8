//! One module per command: parse, call the library, print. Nothing else.

pub mod agents;
pub mod ask;
pub mod assign;
pub mod completions;
pub mod doctor;
pub mod export;
pub mod graph;
pub mod init;
pub mod log;
pub mod memory;
pub mod messages;
pub mod metrics;
pub mod plan;
pub mod reconcile;
pub mod report;
pub mod revise;
pub mod run;
pub mod sessions;
pub mod status;
pub mod trust;
pub mod workspaces;

use anyhow::Result;

use crate::cli::Command;
use crate::context::Ctx;

/// Runs a parsed command; returns the exit code for non-error outcomes.
pub fn dispatch(ctx: &Ctx, command: &Command) -> Result<u8> {
    match command {
        Command::Init(args) => init::run(ctx, args),
        Command::Plan(args) => plan::run(ctx, args),
        Command::Assign(args) => assign::run(ctx, args),
        Command::Agents(command) => agents::run(ctx, command),
        Command::Ask(args) => ask::run(ctx, args),
        Command::Run(args) => run::run(ctx, args),
        Command::Reconcile(args) => reconcile::run(ctx, args),
        Command::Export(args) => export::run(ctx, args),
        Command::Sessions(command) => sessions::run(ctx, command),
        Command::Memory(command) => memory::run(ctx, command),
        Command::Doctor(args) => doctor::run(ctx, args),
        Command::Status(args) => status::run(ctx, args),
        Command::Metrics(args) => metrics::run(ctx, args),
        Command::Log(args) => log::run(ctx, args),
        Command::Report(args) => report::run(ctx, args),
        Command::Messages(args) => messages::run(ctx, args),
        Command::Graph(args) => graph::run(ctx, args),
        Command::Trust(args) => trust::run(ctx, args),
        Command::Diff(args) => workspaces::diff(ctx, args),
        Command::Land(args) => workspaces::land(ctx, args),
        Command::Reject(args) => workspaces::reject(ctx, args),
        Command::Workspaces(command) => workspaces::run(ctx, command),
        Command::Completions(args) => completions::run(ctx, args),
    }
}
