//! `nexus assign [PLAN] [TASK AGENT]`: give every unassigned task an agent,
//! or override one task's agent; prints the assignment table. The plan is
//! edited under its short edit lock.

use anyhow::Result;
use serde::Serialize;

use crate::cli::AssignArgs;
use crate::context::Ctx;
use crate::plan::assign::{self, Assignment, How};
use crate::state::fs;
use crate::ui::{Tone, table};

#[derive(Serialize)]
struct Report<'a> {
    plan: &'a str,
    assignments: &'a [Assignment],
}

/// Runs the command.
pub fn run(ctx: &Ctx, args: &AssignArgs) -> Result<u8> {
    let store = ctx.store()?;
    let plan_id = store.resolve_plan(args.plan.as_deref())?;
    let rows = {
        let _guard = store.lock_plan_edit(&plan_id)?;
        let mut plan = store.load_plan(&plan_id)?;
        let before = plan.clone();
        let rows = match (&args.task, &args.agent) {
            (Some(task), Some(agent)) => {
                let row = assign::assign_one(&store, &mut plan, task, agent, args.force)?;
                if !row.takes_type {
                    ctx.ui.warn(&format!(
                        "agent `{}` does not list task type `{}` in its `task_types`",
                        row.agent, row.task_type
                    ));
                }
                vec![row]
            }
            _ => assign::assign_unassigned(&store, &mut plan)?,
        };
        if plan != before {
            fs::write_json(&store.plan_path(&plan_id), &plan)?;
        }
        rows
    };
    let ui = &ctx.ui;
    if ui.json {
        ui.json_out(&Report {
            plan: &plan_id,
            assignments: &rows,
        })?;
        return Ok(crate::exit::OK);
    }
    let mut lines = vec![
        ["TASK", "TYPE", "AGENT", "HOW"]
            .map(|head| ui.paint(head, Tone::Dim))
            .to_vec(),
    ];
    for row in &rows {
        let how = match row.how {
            How::Auto => "auto",
            How::Kept => "kept",
            How::Override => "override",
        };
        lines.push(vec![
            ui.paint(&row.task, Tone::Accent),
            row.task_type.clone(),
            row.agent.clone(),
            how.to_string(),
        ]);
    }
    ui.out(&table(&lines))?;
    let changed = rows.iter().filter(|row| row.how != How::Kept).count();
    let kept = rows.len() - changed;
    ui.note(&format!(
        "plan `{plan_id}`: {changed} task(s) assigned, {kept} kept as the plan had them"
    ));
    Ok(crate::exit::OK)
}
