//! `nexus status [PLAN [TASK]] [--watch]`: the dashboard, or one task in
//! full, read from the plain files (`crate::dashboard`).

use std::time::Duration;

use anyhow::Result;

use crate::cli::StatusArgs;
use crate::context::Ctx;
use crate::dashboard::{Snapshot, detail, interrupt, panel, render};
use crate::exit::{Kind, tagged};
use crate::state::store::Store;

/// Computes one frame: the dashboard or the task view, as text or JSON.
fn frame(ctx: &Ctx, store: &Store, plan: Option<&str>, args: &StatusArgs) -> Result<String> {
    let ui = &ctx.ui;
    let now = ctx.now();
    let mut snapshot = Snapshot::load(store)?;
    snapshot.machine = ctx.machine()?;
    let boxes = ui.stdout_is_terminal() && !ui.json;
    if let (Some(plan), Some(task)) = (plan, args.task.as_deref()) {
        let detail = detail::build(&snapshot, store, plan, task, now)?;
        return if ui.json {
            Ok(format!("{}\n", serde_json::to_string_pretty(&detail)?))
        } else {
            Ok(render::detail(&detail, ui, boxes))
        };
    }
    let dashboard = panel::build(&snapshot, plan, now);
    if ui.json {
        Ok(format!("{}\n", serde_json::to_string_pretty(&dashboard)?))
    } else {
        Ok(render::dashboard(&dashboard, ui, boxes))
    }
}

/// Runs the command.
pub fn run(ctx: &Ctx, args: &StatusArgs) -> Result<u8> {
    let store = ctx.store()?;
    let plan = match args.plan.as_deref() {
        Some(given) => Some(store.resolve_plan(Some(given))?),
        None => None,
    };
    if !(args.interval.is_finite() && (0.1..=86_400.0).contains(&args.interval)) {
        return Err(tagged(
            Kind::Usage,
            format!(
                "`--interval {}` must be between 0.1 seconds and a day",
                args.interval
            ),
        ));
    }
    let ui = &ctx.ui;
    if !(args.watch && ui.stdout_is_terminal()) {
        ui.out(&frame(ctx, &store, plan.as_deref(), args)?)?;
        return Ok(crate::exit::OK);
    }
    interrupt::install();
    let interval = Duration::from_secs_f64(args.interval);
    loop {
        let text = frame(ctx, &store, plan.as_deref(), args)?;
        if interrupt::interrupted() {
            break;
        }
        ui.frame(&text)?;
        if interrupt::sleep(interval) {
            break;
        }
    }
    Ok(crate::exit::OK)
}
