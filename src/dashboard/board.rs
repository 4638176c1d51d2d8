//! The dashboard as human text: a summary (orchestrator, load, health,
//! machine use, tasks, today, cost, estimate), then agents, plans and the
//! active and recent tasks. Plain aligned columns; framed sections with
//! progress bars on a terminal. Colour only repeats what the words say.

use std::fmt::Write as _;
use std::time::Duration;

use crate::dashboard::panel::{Dashboard, Estimate, TaskRow};
use crate::dashboard::render::{
    RECENT_TASKS, Sections, ago, cost, header, millis, money, percent, plural, problems_text,
    progress_cell, run_text, state_tone,
};
use crate::time::short_duration;
use crate::ui::{Tone, Ui, shorten, table};

fn estimate_text(estimate: &Estimate) -> String {
    if estimate.remaining_tasks == 0 {
        return "nothing left to run".to_string();
    }
    let tasks = plural(estimate.remaining_tasks, "task");
    let mut text = match (estimate.remaining_seconds, estimate.eta) {
        (Some(seconds), Some(eta)) => format!(
            "{tasks} left, ~{} on the busiest agent (around {eta})",
            short_duration(Duration::from_secs(seconds))
        ),
        _ => format!("{tasks} left, no history or estimate to go by"),
    };
    if estimate.unestimated_tasks > 0 && estimate.remaining_seconds.is_some() {
        let _ = write!(
            text,
            "; {} without an estimate",
            plural(estimate.unestimated_tasks, "task")
        );
    }
    text
}

fn short_estimate(estimate: &Estimate) -> String {
    match (estimate.remaining_tasks, estimate.remaining_seconds) {
        (0, _) => "—".to_string(),
        (_, Some(0)) => "due".to_string(),
        (_, Some(seconds)) => format!("~{}", short_duration(Duration::from_secs(seconds))),
        (_, None) => "?".to_string(),
    }
}

/// Renders the dashboard.
pub fn dashboard(dashboard: &Dashboard, ui: &Ui, boxes: bool) -> String {
    let name = &dashboard.system_health.orchestrator_name;
    let title = match &dashboard.scope {
        Some(plan) => format!("{name} · plan {plan}"),
        None => name.clone(),
    };
    let mut out = Sections::default();
    out.add(&title, &table(&summary_rows(dashboard, ui)));
    out.add("Agents", &agents_table(dashboard, ui));
    if dashboard.plans.is_empty() {
        out.add("Plans", "no plans yet: nexus plan \"<request>\"\n");
    } else {
        out.add("Plans", &plans_table(dashboard, ui));
    }
    let (shown, more) = shown_tasks(dashboard);
    if !shown.is_empty() {
        let mut body = tasks_table(&shown, ui, boxes);
        if more > 0 {
            let _ = writeln!(
                body,
                "… and {more} more: `nexus status PLAN` lists a plan's tasks"
            );
        }
        let title = if dashboard.scope.is_some() {
            "Tasks"
        } else {
            "Tasks (active and recent)"
        };
        out.add(title, &body);
    }
    if !dashboard.problems.is_empty() {
        out.add("Problems", &problems_text(ui, &dashboard.problems));
    }
    out.finish(ui, boxes)
}

/// Returns `12.5%`, or `—`.
fn share(percent: Option<f64>) -> String {
    percent.map_or_else(|| "—".to_string(), |percent| format!("{percent}%"))
}

/// Returns `312 MB` (one decimal below 10 MB), or `—`.
fn megabytes(mb: Option<f64>) -> String {
    mb.map_or_else(
        || "—".to_string(),
        |mb| {
            if mb < 10.0 {
                format!("{mb:.1} MB")
            } else {
                format!("{mb:.0} MB")
            }
        },
    )
}

/// Returns `4.2s` of CPU, or `—` when nothing was measured.
fn cpu_time(seconds: f64, measured: bool) -> String {
    if measured {
        short_duration(Duration::from_secs_f64(seconds.max(0.0)))
    } else {
        "—".to_string()
    }
}

/// Returns `92 (excellent)`, or `—`.
fn health_text(score: Option<u32>, label: Option<&str>) -> String {
    match (score, label) {
        (Some(score), Some(label)) => format!("{score} ({label})"),
        (Some(score), None) => score.to_string(),
        _ => "—".to_string(),
    }
}

/// The summary at the top: orchestrator, load, health, machine use,
/// response time, tasks, today, cost and the estimate.
fn summary_rows(dashboard: &Dashboard, ui: &Ui) -> Vec<Vec<String>> {
    let health = &dashboard.system_health;
    let metrics = &dashboard.task_metrics;
    let mut summary = Vec::new();
    let orchestrator = if health.runs.is_empty() {
        ui.paint("idle", Tone::Dim)
    } else {
        let runs: Vec<String> = health.runs.iter().map(run_text).collect();
        format!("{}: {}", ui.paint("running", Tone::Warn), runs.join("; "))
    };
    summary.push(vec!["orchestrator".to_string(), orchestrator]);
    summary.push(vec![
        "load".to_string(),
        format!(
            "{}/{} agent instances busy ({}%)",
            health.agents_busy, health.agent_instances, health.load_percent
        ),
    ]);
    summary.push(vec![
        "health".to_string(),
        match health.health_score {
            Some(_) => format!(
                "{} over the agents' recent attempts",
                health_text(health.health_score, health.health_label)
            ),
            None => "no finished attempts yet".to_string(),
        },
    ]);
    if health.cpu_usage.is_some() || health.memory_usage.is_some() {
        summary.push(vec![
            "machine".to_string(),
            format!(
                "agents used {} of {} CPU{} while they ran ({} CPU time) and at most {} of its memory ({} of {})",
                share(health.cpu_usage),
                health.cpus,
                if health.cpus == 1 { "" } else { "s" },
                cpu_time(health.cpu_seconds, true),
                share(health.memory_usage),
                megabytes(health.memory_mb),
                megabytes(health.memory_total_mb)
            ),
        ]);
    }
    summary.push(vec![
        "response".to_string(),
        match health.avg_response_ms {
            Some(ms) => format!("{} average over finished attempts", millis(ms)),
            None => "no finished attempts yet".to_string(),
        },
    ]);
    let states: Vec<String> = crate::dashboard::panel::SHOWN_STATES
        .iter()
        .filter_map(|state| {
            let count = metrics.by_state.get(*state).copied().unwrap_or(0);
            (count > 0).then(|| format!("{count} {}", ui.paint(state, state_tone(state))))
        })
        .collect();
    summary.push(vec![
        "tasks".to_string(),
        if states.is_empty() {
            "none".to_string()
        } else {
            let quality = metrics
                .quality_score
                .map(|score| format!(", quality {score}/10"))
                .unwrap_or_default();
            format!(
                "{}: {} (success rate {}{quality})",
                metrics.total,
                states.join(", "),
                percent(metrics.success_rate)
            )
        },
    ]);
    summary.push(vec![
        "today".to_string(),
        format!(
            "{} completed, {} failed, {} (since 00:00 UTC)",
            metrics.tasks_completed_today,
            metrics.tasks_failed_today,
            money(metrics.cost_usd_today)
        ),
    ]);
    summary.push(vec![
        "cost".to_string(),
        format!(
            "{} · {} input / {} output tokens · {} turns",
            cost(metrics.cost_usd, metrics.unpriced_turns),
            metrics.input_tokens,
            metrics.output_tokens,
            metrics.turns
        ),
    ]);
    summary.push(vec![
        "estimate".to_string(),
        estimate_text(&metrics.estimated_completion),
    ]);
    if health.stale_tasks > 0 {
        summary.push(vec![
            "stale".to_string(),
            if health.stale_tasks == 1 {
                "1 task says `running` but no live process owns it; `nexus run` resumes it"
                    .to_string()
            } else {
                format!(
                    "{} tasks say `running` but no live process owns them; `nexus run` resumes them",
                    health.stale_tasks
                )
            },
        ]);
    }
    summary
}

/// One row per agent: state, current task, when its queue should be done,
/// what it has done and how well, and what it used of the machine.
fn agents_table(dashboard: &Dashboard, ui: &Ui) -> String {
    let now = dashboard.generated_at;
    let mut rows = vec![header(
        ui,
        &[
            "AGENT",
            "NAME",
            "ROLE",
            "STATE",
            "CURRENT TASK",
            "QUEUE",
            "LAST ACTIVITY",
            "DONE",
            "TODAY",
            "SUCCESS",
            "QUALITY",
            "HEALTH",
            "CPU",
            "PEAK MEM",
        ],
    )];
    for agent in &dashboard.agents {
        let performance = dashboard.agent_performance.get(&agent.id);
        let current: Vec<String> = agent
            .current_tasks
            .iter()
            .map(|task| format!("{}/{}", task.plan_id, task.task_id))
            .collect();
        rows.push(vec![
            ui.paint(&agent.id, Tone::Accent),
            agent.name.clone(),
            agent.role.clone(),
            ui.paint(
                agent.status,
                if agent.status == "busy" {
                    Tone::Warn
                } else {
                    Tone::Dim
                },
            ),
            if current.is_empty() {
                "—".to_string()
            } else {
                current.join(", ")
            },
            short_estimate(&agent.estimated_completion),
            agent
                .last_activity
                .map_or_else(|| "—".to_string(), |at| ago(at, now)),
            performance.map_or(0, |p| p.tasks_done).to_string(),
            performance
                .map_or(0, |p| p.tasks_completed_today)
                .to_string(),
            percent(performance.and_then(|p| p.success_rate)),
            performance
                .and_then(|p| p.average_quality_score)
                .map_or_else(|| "—".to_string(), |score| format!("{score}/10")),
            health_text(
                performance.and_then(|p| p.health_score),
                performance.and_then(|p| p.health_label),
            ),
            cpu_time(
                performance.map_or(0.0, |p| p.cpu_seconds),
                performance.is_some_and(|p| p.peak_memory_mb.is_some()),
            ),
            megabytes(performance.and_then(|p| p.peak_memory_mb)),
        ]);
    }
    table(&rows)
}

/// One row per plan: progress, states, cost and ETA.
fn plans_table(dashboard: &Dashboard, ui: &Ui) -> String {
    let mut rows = vec![header(
        ui,
        &[
            "PLAN", "PRIORITY", "DONE", "TASKS", "STATES", "COST", "ETA", "REQUEST",
        ],
    )];
    for plan in &dashboard.plans {
        let states: Vec<String> = crate::dashboard::panel::SHOWN_STATES
            .iter()
            .filter_map(|state| {
                plan.by_state
                    .get(*state)
                    .map(|count| format!("{count} {}", ui.paint(state, state_tone(state))))
            })
            .collect();
        let id = if plan.active {
            format!("{} (running)", ui.paint(&plan.id, Tone::Accent))
        } else {
            ui.paint(&plan.id, Tone::Accent)
        };
        rows.push(vec![
            id,
            plan.priority.clone(),
            format!("{}%", plan.progress),
            plan.tasks.to_string(),
            states.join(", "),
            cost(plan.cost_usd, plan.unpriced_turns),
            short_estimate(&plan.estimated_completion),
            shorten(&plan.request, 50),
        ]);
    }
    table(&rows)
}

/// Returns what is left of a task: `~12m 00s`, `due` (past its estimate),
/// or `—` (done, or nothing to go by).
fn time_left(row: &TaskRow) -> String {
    match row.time_left_seconds {
        Some(0) => "due".to_string(),
        Some(seconds) => format!("~{}", short_duration(Duration::from_secs(seconds))),
        None => "—".to_string(),
    }
}

/// The tasks shown, with progress and time left.
fn tasks_table(shown: &[&TaskRow], ui: &Ui, boxes: bool) -> String {
    let mut rows = vec![header(
        ui,
        &[
            "PLAN", "TASK", "PRIORITY", "STATE", "AGENT", "PROGRESS", "LEFT", "TITLE",
        ],
    )];
    for row in shown {
        rows.push(vec![
            ui.paint(&row.plan_id, Tone::Accent),
            row.task_id.clone(),
            row.priority.clone(),
            ui.paint(row.state, state_tone(row.state)),
            row.agent.clone().unwrap_or_else(|| "—".to_string()),
            progress_cell(row, boxes),
            time_left(row),
            shorten(&row.title, 50),
        ]);
    }
    table(&rows)
}

/// Returns the task rows to show and how many are left out: every task of a
/// scoped plan; else active tasks (running, stale, interrupted) and the
/// [`RECENT_TASKS`] most recently finished.
fn shown_tasks(dashboard: &Dashboard) -> (Vec<&TaskRow>, usize) {
    if dashboard.scope.is_some() {
        return (dashboard.tasks.iter().collect(), 0);
    }
    let mut active: Vec<&TaskRow> = dashboard
        .tasks
        .iter()
        .filter(|row| {
            matches!(
                row.state,
                "running" | "stale" | "interrupted" | "unreadable"
            )
        })
        .collect();
    let mut finished: Vec<&TaskRow> = dashboard
        .tasks
        .iter()
        .filter(|row| row.finished_at.is_some())
        .filter(|row| {
            !matches!(
                row.state,
                "running" | "stale" | "interrupted" | "unreadable"
            )
        })
        .collect();
    finished.sort_by_key(|row| std::cmp::Reverse(row.finished_at));
    finished.truncate(RECENT_TASKS);
    active.extend(finished);
    let more = dashboard.tasks.len() - active.len();
    (active, more)
}
