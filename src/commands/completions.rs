//! `nexus completions SHELL`: prints a completion script generated from the
//! CLI definition. The files in `completions/` are this output (a test checks).

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::context::Ctx;

/// Returns the completion script for `shell`.
pub fn script(shell: clap_complete::Shell) -> String {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "nexus", &mut buffer);
    String::from_utf8_lossy(&buffer).into_owned()
}

/// Runs the command.
pub fn run(ctx: &Ctx, args: &CompletionsArgs) -> Result<u8> {
    ctx.ui.out(&script(args.shell))?;
    Ok(crate::exit::OK)
}
