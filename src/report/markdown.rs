//! The report as Markdown (`nexus report PLAN`): the plan's figures, open
//! questions, recommended next steps, cost per agent, and per task what
//! the agent did (its summary, deliverables, ratings), its attempts and the
//! verification evidence. Agent text is escaped with [`text::markdown`],
//! so it cannot add HTML, links, images or table cells.

use std::fmt::Write as _;

use crate::picture::text;
use crate::report::model::{AttemptReport, Item, Report, TaskReport};

/// Longest line of agent text.
const LINE_CHARS: usize = 400;

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn percent(value: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let rounded = (value * 100.0).round() as i64;
    format!("{rounded}%")
}

/// Returns `3 completed, 1 failed`: the non-zero states.
pub fn states_text(report: &Report) -> String {
    let states: Vec<String> = crate::dashboard::panel::SHOWN_STATES
        .iter()
        .filter_map(|state| {
            let count = report.summary.by_state.get(*state).copied().unwrap_or(0);
            (count > 0).then(|| format!("{count} {state}"))
        })
        .collect();
    states.join(", ")
}

/// Renders the report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let summary = &report.summary;
    let _ = writeln!(out, "# Report on plan `{}`\n", report.plan.id);
    let _ = writeln!(out, "> {}\n", text::markdown(&report.plan.request, 1000));
    out.push_str("| | |\n|---|---|\n");
    let mut fact = |name: &str, value: String| {
        let _ = writeln!(out, "| {name} | {value} |");
    };
    fact(
        "planned",
        format!(
            "{} by the `{}` planner, priority {}",
            report.plan.created_at, report.plan.planner, report.plan.priority
        ),
    );
    fact(
        "tasks",
        format!("{}: {}", summary.tasks, states_text(report)),
    );
    fact(
        "attempts",
        format!(
            "{} ({} failed, {})",
            summary.attempts,
            summary.failed_attempts,
            if summary.retries == 1 {
                "1 retry".to_string()
            } else {
                format!("{} retries", summary.retries)
            }
        ),
    );
    fact(
        "cost",
        format!(
            "{} · {} input / {} output tokens · {} turns",
            text::cost(summary.usage.cost_usd, summary.usage.unpriced_turns),
            summary.usage.input_tokens,
            summary.usage.output_tokens,
            summary.usage.turns
        ),
    );
    if let (Some(started), Some(wall)) = (summary.started_at, summary.wall_ms) {
        fact(
            "time",
            format!(
                "{} of agent work in {} from {started}",
                text::duration(summary.agent_time_ms),
                text::duration(wall)
            ),
        );
    }
    let path: Vec<String> = summary
        .critical_path
        .iter()
        .map(|id| format!("`{id}`"))
        .collect();
    fact(
        "critical path",
        format!(
            "{} (est {})",
            path.join(" → "),
            text::duration(summary.critical_path_ms)
        ),
    );
    if let Some(estimated) = summary.estimated_ms {
        fact(
            "estimate",
            format!("{} for the whole plan", text::duration(estimated)),
        );
    }
    out.push('\n');
    items(&mut out, "Open questions", &report.questions);
    items(&mut out, "Recommended next steps", &report.next_steps);
    items(&mut out, "Recommendations", &report.recommendations);
    agents(&mut out, report);
    out.push_str("## Tasks\n\n");
    for task in &report.tasks {
        task_section(&mut out, &report.plan.id, task);
    }
    if !report.problems.is_empty() {
        out.push_str("## Problems\n\n");
        for problem in &report.problems {
            let _ = writeln!(out, "- {}", text::markdown(&problem.error, LINE_CHARS));
        }
        out.push('\n');
    }
    out
}

fn items(out: &mut String, title: &str, items: &[Item]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {title}\n");
    for item in items {
        let by = item
            .agent
            .as_deref()
            .map(|agent| format!(" ({agent})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- **{}**{by}: {}",
            item.task_id,
            text::markdown(&item.text, LINE_CHARS)
        );
    }
    out.push('\n');
}

fn agents(out: &mut String, report: &Report) {
    if report.agents.is_empty() {
        return;
    }
    out.push_str("## Cost by agent\n\n");
    out.push_str(
        "| agent | tasks | attempts | failed | busy | cost | input tokens | output tokens |\n",
    );
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
    for agent in &report.agents {
        let _ = writeln!(
            out,
            "| {} ({}) | {} | {} | {} | {} | {} | {} | {} |",
            agent.id,
            text::markdown(&agent.name, 40),
            if agent.tasks.is_empty() {
                "—".to_string()
            } else {
                agent.tasks.join(", ")
            },
            agent.attempts,
            agent.failed_attempts,
            text::duration(agent.busy_ms),
            text::cost(agent.usage.cost_usd, agent.usage.unpriced_turns),
            agent.usage.input_tokens,
            agent.usage.output_tokens
        );
    }
    out.push('\n');
}

fn list(out: &mut String, title: &str, entries: &[String]) {
    if entries.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}:\n");
    for entry in entries {
        let _ = writeln!(out, "- {}", text::markdown(entry, LINE_CHARS));
    }
    out.push('\n');
}

fn attempt_line(attempt: &AttemptReport) -> String {
    let mut line = match attempt.duration_ms {
        Some(took) => format!(
            "- attempt {} by {}: {} after {}, {}",
            attempt.number,
            attempt.agent,
            attempt.outcome,
            text::duration(took),
            text::cost(attempt.usage.cost_usd, attempt.usage.unpriced_turns)
        ),
        None => format!(
            "- attempt {} by {}: running since {}",
            attempt.number, attempt.agent, attempt.started_at
        ),
    };
    if let Some(reason) = &attempt.reason {
        let _ = write!(line, " — {}", text::markdown(reason, LINE_CHARS));
    }
    line
}

fn task_section(out: &mut String, plan_id: &str, task: &TaskReport) {
    let critical = if task.critical { " ★" } else { "" };
    let _ = writeln!(
        out,
        "### `{}`{critical}: {}\n",
        task.id,
        text::markdown(&task.title, 200)
    );
    let mut facts = vec![
        format!("**{}**", task.state),
        task.agent
            .clone()
            .unwrap_or_else(|| "unassigned".to_string()),
        plural(task.attempts.len(), "attempt"),
        format!("est {}", text::duration(task.estimate_ms)),
    ];
    if let Some(took) = task.took_ms {
        facts.push(format!("took {}", text::duration(took)));
    }
    facts.push(text::cost(task.usage.cost_usd, task.usage.unpriced_turns));
    let _ = writeln!(out, "{}\n", facts.join(" · "));
    if let Some(reason) = &task.reason {
        let _ = writeln!(out, "Reason: {}\n", text::markdown(reason, LINE_CHARS));
    }
    match &task.answer {
        Some(answer) => {
            if !answer.summary.is_empty() {
                let _ = writeln!(
                    out,
                    "Summary: {}\n",
                    text::markdown(&answer.summary, LINE_CHARS)
                );
            }
            let mut ratings = Vec::new();
            if let Some(confidence) = answer.confidence_score {
                ratings.push(format!("confidence {}", percent(confidence)));
            }
            if let Some(clarity) = answer.clarity_rating {
                ratings.push(format!("clarity {clarity}/10"));
            }
            if let Some(complexity) = answer.complexity_rating {
                ratings.push(format!("complexity {complexity}/10"));
            }
            if !ratings.is_empty() {
                let _ = writeln!(out, "The agent rated: {}\n", ratings.join(" · "));
            }
            list(out, "Deliverables", &answer.deliverables);
            list(out, "Recommendations", &answer.recommendations);
            list(out, "Next steps", &answer.next_steps);
            list(out, "Questions", &answer.questions);
        }
        None if !task.attempts.is_empty() => out.push_str("No answer recorded.\n\n"),
        None => {}
    }
    if !task.attempts.is_empty() {
        out.push_str("Attempts and verification:\n\n");
        for attempt in &task.attempts {
            let _ = writeln!(out, "{}", attempt_line(attempt));
            for check in &attempt.verification {
                let verdict = if check.passed { "passed" } else { "failed" };
                let code = check
                    .exit_code
                    .map_or_else(|| "no exit code".to_string(), |code| format!("exit {code}"));
                let _ = writeln!(
                    out,
                    "  - verify `{}`: {verdict} ({code}, {})",
                    check.command.replace('`', "'"),
                    text::duration(check.duration_ms)
                );
                if let Some(last) = check
                    .output_tail
                    .lines()
                    .rev()
                    .find(|line| !line.trim().is_empty())
                {
                    let _ = writeln!(out, "    last line: {}", text::markdown(last, 200));
                }
            }
        }
        out.push('\n');
    }
    if task.result.is_some() {
        let _ = writeln!(
            out,
            "Result: `.nexus/plans/{plan_id}/results/{}.md`\n",
            task.id
        );
    }
}
