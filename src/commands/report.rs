//! placeholder
use crate::context::Ctx;
use anyhow::Result;
/// Runs the command.
pub fn run(_ctx: &Ctx, _args: &crate::cli::ReportArgs) -> Result<u8> {
    Ok(0)
}
