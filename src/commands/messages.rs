//! placeholder
use crate::context::Ctx;
use anyhow::Result;
/// Runs the command.
pub fn run(_ctx: &Ctx, _args: &crate::cli::MessagesArgs) -> Result<u8> {
    Ok(0)
}
