//! `nexus metrics`: Prometheus text exposition of the plain files.

use anyhow::Result;

use crate::cli::MetricsArgs;
use crate::context::Ctx;
use crate::dashboard::{Snapshot, metrics};

/// Runs the command.
pub fn run(ctx: &Ctx, _args: &MetricsArgs) -> Result<u8> {
    let store = ctx.store()?;
    let mut snapshot = Snapshot::load(&store)?;
    snapshot.machine = ctx.machine()?;
    for problem in &snapshot.problems {
        ctx.ui.warn(&problem.error);
    }
    ctx.ui.out(&metrics::render(&snapshot, ctx.now()))?;
    Ok(crate::exit::OK)
}
