//! `nexus plan --revise PLAN ["GUIDANCE"]`: NEXUS Prime reads the plan and
//! what happened to each task, and proposes a revised plan for the
//! remaining work (`crate::plan::revise`); the changes are shown, then
//! written once the user says so (`--yes` in scripts). Holds the plan's
//! exclusive lock throughout, so no run changes it meanwhile.

use anyhow::Result;
use serde::Serialize;

use crate::brain::planner::{self, Planning, Question};
use crate::brain::prompt;
use crate::cli::PlanArgs;
use crate::context::Ctx;
use crate::exit::{Kind, tagged_hint};
use crate::plan::revise::{self, Diff, Revision, TaskOutcome};
use crate::state::agent::Agent;
use crate::state::config::{Config, PlannerKind};
use crate::state::plan::TaskSpec;
use crate::state::store::Store;
use crate::ui::{Tone, Ui, shorten};

/// `plan --revise --json`: the revision and whether it was written.
#[derive(Serialize)]
struct Report<'a> {
    schema: u32,
    plan_id: &'a str,
    version: u32,
    planner: &'a str,
    model: Option<&'a str>,
    changes: &'a Diff,
    written: bool,
    tasks: &'a [TaskSpec],
}

/// Runs `nexus plan --revise`.
pub fn run(ctx: &Ctx, args: &PlanArgs, target: &str) -> Result<u8> {
    let store = ctx.store()?;
    let config = store.load_config()?;
    let agents = store.load_agents()?;
    let plan_id = store.resolve_plan(Some(target))?;
    let holder = crate::state::lock::Holder::current(ctx.now());
    let _running = crate::state::lock::try_exclusive(
        &store.plan_lock(&plan_id),
        &format!("plan `{plan_id}`"),
        &holder,
    )?;
    let _editing = store.lock_plan_edit(&plan_id)?;
    let plan = store.load_plan(&plan_id)?;
    let outcomes = revise::outcomes(&store, &plan)?;
    let guidance = args
        .request
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty());
    let number = revise::next_revision(&store, &plan_id)?;
    let kind = planner::resolve_planner(ctx, &config, args.planner)?;
    let ui = &ctx.ui;
    ui.note(&format!(
        "revising plan `{plan_id}` with the `{}` planner…",
        kind.name()
    ));
    let (planner_name, model, tasks) = if kind == PlannerKind::Builtin {
        (
            "builtin".to_string(),
            None,
            revise::requeue(&outcomes, guidance),
        )
    } else {
        let agent_ids: Vec<String> = agents.iter().map(|agent| agent.id.clone()).collect();
        let check = |document: &serde_json::Value| {
            revise::check_proposal(document, &outcomes, &agent_ids, plan.priority)
        };
        let log_name = format!("{plan_id}.revision-{number}");
        let question = Question {
            user: prompt::revise_prompt(&plan, &outcomes, guidance),
            check: &check,
            log_name: &log_name,
        };
        let planning = Planning {
            ctx,
            store: &store,
            config: &config,
            agents: &agents,
            planner: kind,
            model_flag: args.model.as_deref(),
        };
        let drafted = planner::ask_model(&planning, &question, &mut |note| ui.note(note))?;
        (
            drafted.planner.name().to_string(),
            drafted.model,
            drafted.tasks,
        )
    };
    let changes = revise::diff(&outcomes, &tasks);
    let version = number + 1;
    let report = |written: bool| Report {
        schema: 1,
        plan_id: &plan_id,
        version,
        planner: &planner_name,
        model: model.as_deref(),
        changes: &changes,
        written,
        tasks: &tasks,
    };
    if !ui.json {
        ui.out(&render(
            ui,
            &plan_id,
            version,
            &planner_name,
            &outcomes,
            &tasks,
            &changes,
        ))?;
    }
    if changes.is_empty() || args.dry_run {
        if ui.json {
            ui.json_out(&report(false))?;
        }
        ui.note(if changes.is_empty() {
            "the revision changes nothing; nothing was written"
        } else {
            "dry run: nothing was written"
        });
        return Ok(crate::exit::OK);
    }
    if !confirmed(ui, args.yes, &plan_id, number)? {
        return Ok(crate::exit::OK);
    }
    let revision = Revision {
        schema: 1,
        revision: number,
        at: ctx.now(),
        by: std::env::args().collect::<Vec<_>>().join(" "),
        planner: planner_name.clone(),
        model: model.clone(),
        guidance: guidance.map(str::to_string),
        changes: changes.clone(),
    };
    revise::write(&store, &plan, &outcomes, tasks.clone(), &revision)?;
    if ui.json {
        ui.json_out(&report(true))?;
    }
    notes_after_writing(ui, &store, &config, &agents, &plan_id, number, &tasks)?;
    Ok(crate::exit::OK)
}

/// Asks whether to write version `number + 1` of the plan (`--yes` says
/// yes); `false` when the user says no. Without a terminal to ask, a usage
/// error.
fn confirmed(ui: &Ui, yes: bool, plan_id: &str, number: u32) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    let version = number + 1;
    let question = format!(
        "write version {version} of plan `{plan_id}` (version {number} goes to its history)?"
    );
    match ui.confirm(&question)? {
        Some(true) => Ok(true),
        Some(false) => {
            ui.note("nothing was written");
            Ok(false)
        }
        None => Err(tagged_hint(
            Kind::Usage,
            format!("writing version {version} of plan `{plan_id}` needs a confirmation"),
            "pass `--yes` (in scripts), or run it in a terminal to be asked; `--dry-run` only shows it",
        )),
    }
}

/// Says on stderr what was written (version `number + 1`, the old one in
/// the history), how long the revised plan should take and what is left to
/// do: adopting suggested checks, assigning agents, running it.
fn notes_after_writing(
    ui: &Ui,
    store: &Store,
    config: &Config,
    agents: &[Agent],
    plan_id: &str,
    number: u32,
    tasks: &[TaskSpec],
) -> Result<()> {
    let version = number + 1;
    ui.note(&format!(
        "wrote version {version} of plan `{plan_id}`; version {number} is `{}`",
        revise::history_dir(store, plan_id)
            .join(format!("plan-{number}.json"))
            .display()
    ));
    let revised = store.load_plan(plan_id)?;
    ui.note(&crate::commands::plan::duration_text(
        store, config, agents, &revised,
    ));
    let suggested: usize = tasks.iter().map(|task| task.suggested_verify.len()).sum();
    if suggested > 0 {
        ui.note(&format!(
            "the planner suggested {suggested} check(s); they never run unless you adopt them: nexus plan adopt {plan_id}"
        ));
    }
    if tasks.iter().any(|task| task.agent.is_none()) {
        ui.note(&format!(
            "some tasks have no agent yet: nexus assign {plan_id}"
        ));
    }
    ui.note(&format!("next: nexus run {plan_id}"));
    Ok(())
}

/// Renders the changes: each task of the revised plan and each removed
/// one, with what happens to it and what happened before.
fn render(
    ui: &Ui,
    plan_id: &str,
    version: u32,
    planner: &str,
    outcomes: &[TaskOutcome],
    tasks: &[TaskSpec],
    changes: &Diff,
) -> String {
    let was = |id: &str| {
        outcomes
            .iter()
            .find(|outcome| outcome.spec.id == id)
            .map(|outcome| format!("was {}", outcome.state))
            .unwrap_or_default()
    };
    let title = |id: &str| {
        tasks
            .iter()
            .find(|task| task.id == id)
            .or_else(|| {
                outcomes
                    .iter()
                    .map(|outcome| &outcome.spec)
                    .find(|spec| spec.id == id)
            })
            .map(|task| shorten(&task.title, 60))
            .unwrap_or_default()
    };
    let mut rows = vec![
        ["CHANGE", "TASK", "BEFORE", "TITLE"]
            .map(|head| ui.paint(head, Tone::Dim))
            .to_vec(),
    ];
    let mut push = |change: &str, tone: Tone, entry: &str| {
        let id = entry.split(' ').next().unwrap_or(entry);
        rows.push(vec![
            ui.paint(change, tone),
            entry.to_string(),
            was(id),
            title(id),
        ]);
    };
    for entry in &changes.kept {
        push("kept", Tone::Dim, entry);
    }
    for entry in &changes.requeued {
        push("requeued", Tone::Warn, entry);
    }
    for entry in &changes.changed {
        push("changed", Tone::Warn, entry);
    }
    for entry in &changes.added {
        push("added", Tone::Good, entry);
    }
    for entry in &changes.removed {
        push("removed", Tone::Bad, entry);
    }
    format!(
        "{} {} of plan {} (from the `{planner}` planner): {} kept, {} requeued, {} changed, {} added, {} removed\n{}",
        ui.paint("version", Tone::Bold),
        version,
        ui.paint(plan_id, Tone::Accent),
        changes.kept.len(),
        changes.requeued.len(),
        changes.changed.len(),
        changes.added.len(),
        changes.removed.len(),
        crate::ui::table(&rows)
    )
}
