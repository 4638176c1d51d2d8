//! `nexus reconcile [PLAN]`: marks the tasks an external executor will never
//! run (a dependency failed) as blocked, and tasks whose runner is gone as
//! interrupted (see `exec::reconcile`). Exit 0, or 3 when the plan has
//! failed, blocked, skipped or interrupted tasks afterwards.

use anyhow::Result;

use crate::cli::ReconcileArgs;
use crate::context::Ctx;
use crate::dispatch::reconcile;
use crate::exit::{Kind, tagged};
use crate::ui::Tone;

/// Runs the command.
pub fn run(ctx: &Ctx, args: &ReconcileArgs) -> Result<u8> {
    let store = ctx.store()?;
    let plan_id = store.resolve_plan(args.plan.as_deref())?;
    let plan = store.load_plan(&plan_id)?;
    let command: Vec<String> = std::env::args().collect();
    let reconciled = reconcile::reconcile(&store, &plan, ctx.now(), &command.join(" "))?;
    let ui = &ctx.ui;
    if ui.json {
        ui.json_out(&reconciled)?;
    } else {
        for change in &reconciled.changes {
            let label = format!("{:<9}", change.to.name());
            ui.note(&format!(
                "{} {}: {}",
                ui.paint_err(&label, Tone::Warn),
                change.task,
                change.reason
            ));
        }
    }
    let counts: Vec<String> = reconciled
        .counts
        .iter()
        .map(|(state, count)| format!("{count} {state}"))
        .collect();
    let line = format!(
        "plan `{plan_id}`: {} changed; {}",
        reconciled.changes.len(),
        counts.join(", ")
    );
    if !reconciled.running.is_empty() {
        ui.note(&format!(
            "still running: {}",
            reconciled
                .running
                .iter()
                .map(|task| format!("`{task}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if reconciled.has_failures() {
        return Err(tagged(
            Kind::TasksFailed,
            format!("not every task can complete; {line}"),
        ));
    }
    ui.note(&format!(
        "{} {line}",
        ui.paint_err("reconciled", Tone::Good)
    ));
    Ok(crate::exit::OK)
}
