//! `nexus run [PLAN]`: runs a plan's ready tasks through the agents (see
//! `dispatch::scheduler`), or one task with `--task`, or shows what would run
//! with `--dry-run`.

use std::sync::Arc;

use anyhow::{Context, Result};

use crate::agents::runtime::Runtime;
use crate::cli::RunArgs;
use crate::context::Ctx;
use crate::dispatch::event::{Event, EventKind};
use crate::dispatch::scheduler::{self, RunOptions, Scheduler};
use crate::exit::{Kind, tagged};
use crate::proc::signals;
use crate::time::short_duration;
use crate::ui::{Tone, Ui};

/// Runs the command.
pub fn run(ctx: &Ctx, args: &RunArgs) -> Result<u8> {
    let store = ctx.store()?;
    let config = store.load_config()?;
    let plan_id = store.resolve_plan(args.plan.as_deref())?;
    let plan = if args.dry_run {
        // Show the assignment `run` would make, without writing it.
        let mut plan = store.load_plan(&plan_id)?;
        crate::plan::assign::assign_unassigned(&store, &mut plan)?;
        plan
    } else {
        scheduler::ensure_assigned(&store, &plan_id)?
    };
    let options = RunOptions {
        parallel: args.parallel.unwrap_or(config.run.parallel),
        max_cost_usd: args.max_cost.unwrap_or(config.run.max_cost_usd),
        retry_failed: args.retry_failed,
        task: args.task.clone(),
        force: args.force,
        base: args.base.clone(),
    };
    if !(1..=256).contains(&options.parallel) {
        return Err(tagged(
            Kind::Usage,
            "`--parallel` must be between 1 and 256",
        ));
    }
    if !(options.max_cost_usd.is_finite() && options.max_cost_usd >= 0.0) {
        return Err(tagged(
            Kind::Usage,
            "`--max-cost` must be 0 (no limit) or a positive amount of USD",
        ));
    }
    // Commands committed in `.nexus` run only once trusted here.
    let trust = crate::state::trust::Trust::load(ctx.env(), &store)?;
    let untrusted: Vec<_> = scheduler::commands_to_run(&store, &plan, &options)?
        .into_iter()
        .filter(|item| !trust.is_trusted(&item.command))
        .collect();
    let runtime = Arc::new(Runtime::new(ctx, store, config));
    let ui = &ctx.ui;
    if args.dry_run {
        let tasks = crate::dispatch::dry_run::dry_run(&runtime, &plan, &options)?;
        if ui.json {
            ui.json_out(&tasks)?;
        } else if tasks.is_empty() {
            ui.note(&format!("nothing to run in plan `{}`", plan.id));
        } else {
            let mut text = String::new();
            for task in &tasks {
                text.push_str(&format!(
                    "{} {} ({}, session: {})\n",
                    ui.paint("==", Tone::Dim),
                    ui.paint(&task.task, Tone::Bold),
                    task.agent,
                    task.session
                ));
                text.push_str(&format!("$ {}\n", task.argv.join(" ")));
                if !task.verify.is_empty() {
                    text.push_str(&format!("verify: {}\n", task.verify.join(" && ")));
                }
                for command in task
                    .verify
                    .iter()
                    .filter(|command| untrusted.iter().any(|item| item.command == **command))
                {
                    text.push_str(&format!(
                        "{} `{command}` is not trusted yet: `nexus trust`\n",
                        ui.paint("untrusted:", Tone::Warn)
                    ));
                }
                text.push_str(&recall_line(&task.recall));
                text.push_str(&format!(
                    "{}\n{}\n\n",
                    ui.paint("--- prompt ---", Tone::Dim),
                    task.prompt.trim_end()
                ));
            }
            ui.out(&text)?;
        }
        return Ok(crate::exit::OK);
    }
    if !untrusted.is_empty() {
        return Err(crate::state::trust::untrusted_error(&untrusted));
    }
    let swept = runtime.store.sweep_litter(&plan.id)?;
    if !swept.is_empty() {
        ui.note(&format!(
            "removed {} leftover temp file(s) of killed writers",
            swept.len()
        ));
    }
    let plan_name = plan.id.clone();
    let summary = crate::proc::block_on_multi(options.parallel as usize + 1, async {
        let (stop, _sender) = signals::install().context("failed to install signal handlers")?;
        let mut emit = |event: &Event| print_event(ui, event);
        let scheduler = Scheduler::new(runtime.clone(), plan, options, &mut emit)?;
        scheduler.run(stop).await
    })??;
    let counts: Vec<String> = summary
        .counts
        .iter()
        .map(|(state, count)| format!("{count} {state}"))
        .collect();
    let line = format!(
        "plan `{plan_name}`: {} · {} · {}",
        if counts.is_empty() {
            "nothing to run".to_string()
        } else {
            counts.join(", ")
        },
        crate::state::usage::cost_text(summary.cost_usd, summary.unpriced_turns),
        short_duration(std::time::Duration::from_millis(summary.wall_ms))
    );
    if summary.interrupted {
        return Err(tagged(Kind::Interrupted, format!("interrupted; {line}")));
    }
    if !summary.all_completed {
        return Err(tagged(
            Kind::TasksFailed,
            format!("not every task completed; {line}"),
        ));
    }
    ui.note(&format!("{} {line}", ui.paint_err("finished", Tone::Good)));
    Ok(crate::exit::OK)
}

fn print_event(ui: &Ui, event: &Event) {
    if ui.json {
        // A closed stdout must not stop the run; the files hold the truth.
        let _ = ui.json_line(event);
        return;
    }
    let task = event.task.as_deref().unwrap_or("");
    let agent = event.agent.as_deref().unwrap_or("");
    let cost = event
        .cost_usd
        .map(|cost| {
            format!(
                ", {}",
                crate::state::usage::cost_text(cost, event.unpriced_turns.unwrap_or(0))
            )
        })
        .unwrap_or_default();
    let took = event
        .duration_ms
        .map(|ms| short_duration(std::time::Duration::from_millis(ms)))
        .unwrap_or_default();
    let reason = event
        .reason
        .as_deref()
        .map(|reason| crate::ui::shorten(reason, 300))
        .unwrap_or_default();
    let line = match event.event {
        EventKind::RunStarted => format!(
            "{} plan `{}`",
            ui.paint_err("running", Tone::Bold),
            event.plan
        ),
        EventKind::TaskStarted => format!(
            "{} {task} ({agent}, attempt {})",
            ui.paint_err("started  ", Tone::Accent),
            event.attempt.unwrap_or(1)
        ),
        EventKind::TaskCompleted => format!(
            "{} {task} in {took}{cost}",
            ui.paint_err("completed", Tone::Good)
        ),
        EventKind::TaskFailed => format!(
            "{} {task} after {took}{cost}: {reason}",
            ui.paint_err("failed   ", Tone::Bad)
        ),
        EventKind::TaskRetrying => format!(
            "{} {task} in {took}: {reason}",
            ui.paint_err("retrying ", Tone::Warn)
        ),
        EventKind::TaskBlocked => {
            format!("{} {task}: {reason}", ui.paint_err("blocked  ", Tone::Warn))
        }
        EventKind::TaskSkipped => {
            format!("{} {task}: {reason}", ui.paint_err("skipped  ", Tone::Warn))
        }
        EventKind::AgentLeaked => {
            format!("{} {task}: {reason}", ui.paint_err("warning  ", Tone::Warn))
        }
        EventKind::TaskInterrupted => format!(
            "{} {task}: {reason}",
            ui.paint_err("interrupted", Tone::Warn)
        ),
        EventKind::RunFinished => return,
    };
    ui.note(&line);
}

/// Says what a dry-run task's prompt recalls from memory (the block the
/// prompt opens with).
fn recall_line(recall: &crate::dispatch::dry_run::RecallShown) -> String {
    use crate::state::memory::RecallKind;
    let count = recall.keys.len();
    let entries = if count == 1 {
        "1 earlier interaction".to_string()
    } else {
        format!("{count} earlier interactions")
    };
    match recall.kind {
        RecallKind::None => {
            "memory: nothing recalled (the session already holds what is relevant, or there is nothing yet)\n".to_string()
        }
        RecallKind::Recap => format!(
            "memory: a recap of {entries} for the new session, {} bytes (the prompt opens with it)\n",
            recall.bytes
        ),
        RecallKind::Unseen => format!(
            "memory: {entries} from other sessions that the resumed session has not seen, {} bytes (the prompt opens with it)\n",
            recall.bytes
        ),
    }
}
