//! Human text for the task view, and the pieces the dashboard
//! ([`board`](crate::dashboard::board)) shares with it. Plain aligned
//! columns; with `boxes` (stdout is a terminal) each section is framed and
//! progress gets a bar. Colour only repeats what the words already say.

use std::fmt::Write as _;
use std::time::Duration;

use crate::dashboard::detail::TaskDetail;
use crate::dashboard::panel::TaskRow;
use crate::dashboard::snapshot::{Problem, RunInfo};
use crate::state::outcome::{AttemptOutcome, Outcome};
use crate::time::{Timestamp, short_duration};
use crate::ui::{Tone, Ui, boxed, shorten, table};

/// How many finished tasks the all-plans view lists.
pub const RECENT_TASKS: usize = 10;

/// Returns the tone for a shown state.
pub fn state_tone(state: &str) -> Tone {
    match state {
        "completed" => Tone::Good,
        "running" | "interrupted" | "blocked" | "skipped" => Tone::Warn,
        "failed" | "stale" | "unreadable" => Tone::Bad,
        _ => Tone::Dim,
    }
}

/// Returns `$0.0421`.
pub fn money(cost: f64) -> String {
    format!("${cost:.4}")
}

/// Returns `$0.0421`, or `unknown` (with `+ unknown` after a known part)
/// when calls of unknown cost are counted: never `$0` for those.
pub fn cost(cost_usd: f64, unpriced_turns: u32) -> String {
    crate::state::usage::cost_text(cost_usd, unpriced_turns)
}

pub(crate) fn ago(at: Timestamp, now: Timestamp) -> String {
    let elapsed = at.until(now);
    if elapsed < Duration::from_secs(1) {
        "just now".to_string()
    } else {
        format!("{} ago", short_duration(elapsed))
    }
}

pub(crate) fn millis(ms: u64) -> String {
    short_duration(Duration::from_millis(ms))
}

pub(crate) fn percent(rate: Option<f64>) -> String {
    #[allow(clippy::cast_possible_truncation)]
    rate.map_or_else(
        || "—".to_string(),
        |rate| format!("{}%", (rate * 100.0).round() as i64),
    )
}

fn bar(progress: u8) -> String {
    let filled = usize::from(progress.min(100)) / 10;
    format!("{}{}", "█".repeat(filled), "░".repeat(10 - filled))
}

pub(crate) fn progress_cell(row: &TaskRow, boxes: bool) -> String {
    let Some(progress) = row.progress else {
        return "—".to_string();
    };
    let text = match row.progress_source {
        Some("elapsed") => format!("~{progress}%"),
        _ => format!("{progress}%"),
    };
    if boxes {
        format!("{} {text}", bar(progress))
    } else {
        text
    }
}

pub(crate) fn run_text(run: &RunInfo) -> String {
    let what = match &run.task_id {
        Some(task) => format!("plan `{}` task `{task}`", run.plan_id),
        None => format!("plan `{}`", run.plan_id),
    };
    match (run.pid, &run.host, run.since) {
        (Some(pid), Some(host), Some(since)) => {
            format!("{what} by pid {pid} on `{host}` since {since}")
        }
        _ => format!("{what} (holder not recorded)"),
    }
}

pub(crate) fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Titled sections, joined by blank lines; boxed ones share one width.
#[derive(Default)]
pub(crate) struct Sections {
    items: Vec<(String, String)>,
}

impl Sections {
    pub(crate) fn add(&mut self, title: &str, body: &str) {
        self.items.push((title.to_string(), body.to_string()));
    }

    pub(crate) fn finish(self, ui: &Ui, boxes: bool) -> String {
        let width = self
            .items
            .iter()
            .flat_map(|(_, body)| body.lines())
            .map(crate::ui::visible_width)
            .max()
            .unwrap_or(0);
        let rendered: Vec<String> = self
            .items
            .iter()
            .map(|(title, body)| {
                let title = ui.paint(title, Tone::Bold);
                if boxes {
                    boxed(&title, body, width)
                } else {
                    format!("{title}\n{body}")
                }
            })
            .collect();
        rendered.join("\n")
    }
}

pub(crate) fn header(ui: &Ui, cells: &[&str]) -> Vec<String> {
    cells.iter().map(|cell| ui.paint(cell, Tone::Dim)).collect()
}

pub(crate) fn problems_text(ui: &Ui, problems: &[Problem]) -> String {
    let mut text = String::new();
    for problem in problems {
        let _ = writeln!(
            text,
            "{} {}",
            ui.paint("problem:", Tone::Bad),
            problem.error
        );
    }
    text
}

pub use crate::dashboard::board::dashboard;

/// Returns where a task's work stands in git: its branch (from its base, at
/// its head), the merge state, the worktree — a table aligned like the
/// task's facts.
fn branch_text(workspace: &crate::state::task::TaskWorkspace, ui: &Ui) -> String {
    use crate::state::task::MergeState;
    let short = crate::workspace::short;
    let mut branch = format!(
        "{} from {}",
        ui.paint(&workspace.branch, Tone::Accent),
        short(&workspace.base)
    );
    if let Some(head) = &workspace.head {
        let _ = write!(branch, ", at {}", short(head));
    }
    let tone = match workspace.merge {
        MergeState::Merged => Tone::Good,
        MergeState::Working | MergeState::Queued => Tone::Warn,
        MergeState::Conflict | MergeState::ChecksFailed | MergeState::Rejected => Tone::Bad,
    };
    let mut merge = ui.paint(workspace.merge.name(), tone);
    if let Some(merged) = &workspace.merged {
        let _ = write!(merge, " as {}", short(merged));
    }
    let mut rows = vec![
        vec!["branch".to_string(), branch],
        vec!["merge".to_string(), merge],
    ];
    if let Some(worktree) = &workspace.worktree {
        rows.push(vec!["worktree".to_string(), worktree.clone()]);
    }
    table(&rows)
}

/// Renders one task in full.
pub fn detail(detail: &TaskDetail, ui: &Ui, boxes: bool) -> String {
    let spec = &detail.task;
    let title = format!("Task {}/{} · {}", detail.plan_id, spec.id, spec.title);
    let mut out = Sections::default();
    out.add(&title, &table(&facts(detail, ui, boxes)));
    out.add("Description", &description_text(spec, ui));

    if let Some(workspace) = detail
        .record
        .as_ref()
        .and_then(|record| record.workspace.as_ref())
    {
        out.add("Branch", &branch_text(workspace, ui));
    }

    if let Some(record) = &detail.record
        && !record.attempts.is_empty()
    {
        out.add("Attempts", &attempts_text(&record.attempts, ui));
    }

    if let Some(answer) = &detail.answer {
        out.add("Answer", &answer_text(answer, ui));
    }
    let result = match &detail.result {
        Some(text) => format!("{}\n", text.trim_end()),
        None => format!("none yet ({})\n", detail.result_file),
    };
    out.add("Result", &result);
    if !detail.problems.is_empty() {
        out.add("Problems", &problems_text(ui, &detail.problems));
    }
    out.finish(ui, boxes)
}

/// Returns the task's facts, a row each: state, type, priority, agent,
/// progress, estimate, dependencies, times, cost, session, reason, log.
fn facts(detail: &TaskDetail, ui: &Ui, boxes: bool) -> Vec<Vec<String>> {
    let now = detail.generated_at;
    let row = &detail.status;
    let spec = &detail.task;
    let mut facts: Vec<Vec<String>> = Vec::new();
    let mut fact = |name: &str, value: String| facts.push(vec![name.to_string(), value]);
    let mut state = ui.paint(row.state, state_tone(row.state));
    if let Some(owner) = &row.owner {
        let _ = write!(
            state,
            " (pid {} on `{}`, {})",
            owner.pid,
            owner.host,
            if owner.live { "live" } else { "no live owner" }
        );
    }
    fact("state", state);
    fact("type", spec.task_type.to_string());
    fact("priority", spec.priority.to_string());
    let instance = detail
        .record
        .as_ref()
        .and_then(|record| record.instance)
        .map(|instance| format!(" (instance {instance})"))
        .unwrap_or_default();
    fact(
        "agent",
        row.agent.as_ref().map_or_else(
            || "unassigned".to_string(),
            |agent| format!("{agent}{instance}"),
        ),
    );
    if row.progress.is_some() {
        let source = match row.progress_source {
            Some("agent") => " (from the agent's events)",
            Some("elapsed") => " (elapsed time against the estimate)",
            _ => "",
        };
        fact("progress", format!("{}{source}", progress_cell(row, boxes)));
    }
    if let Some(minutes) = spec.estimate_minutes {
        fact("estimate", format!("{minutes} min"));
    }
    let dependencies: Vec<String> = detail
        .dependencies
        .iter()
        .map(|dependency| {
            format!(
                "{} ({})",
                dependency.id,
                ui.paint(&dependency.state, state_tone(&dependency.state))
            )
        })
        .collect();
    fact(
        "depends on",
        if dependencies.is_empty() {
            "nothing".to_string()
        } else {
            dependencies.join(", ")
        },
    );
    if let Some(started) = row.started_at {
        fact("started", format!("{started} ({})", ago(started, now)));
    }
    if let Some(finished) = row.finished_at {
        fact("finished", format!("{finished} ({})", ago(finished, now)));
    }
    if let Some(record) = &detail.record {
        fact(
            "cost",
            format!(
                "{} · {} input / {} output tokens · {} turns",
                cost(record.cost_usd, record.unpriced_turns),
                record.input_tokens,
                record.output_tokens,
                record.turns
            ),
        );
        if let Some(session_id) = &record.session_id {
            let known = match &detail.session {
                Some(session) => format!(
                    "{session_id} (last used {}, {} turns, {}, {})",
                    ago(session.last_used_at, now),
                    session.turns,
                    cost(session.cost_usd, session.unpriced_turns),
                    match session.status {
                        crate::state::session::SessionStatus::Starting => "starting",
                        crate::state::session::SessionStatus::Ok => "ok",
                        crate::state::session::SessionStatus::Failed => "failed",
                    }
                ),
                None => format!("{session_id} (no record on this machine)"),
            };
            fact("session", known);
        }
        if let Some(reason) = &record.reason {
            fact("reason", reason.clone());
        }
    }
    fact(
        "log",
        match &detail.log_file {
            Some(path) => format!("{path} (`nexus log {} {}`)", detail.plan_id, spec.id),
            None => "none yet".to_string(),
        },
    );
    facts
}

/// Returns the task's description, expected output, acceptance criteria
/// and checks (adopted and suggested).
fn description_text(spec: &crate::state::plan::TaskSpec, ui: &Ui) -> String {
    let mut about = String::new();
    let description = if spec.description.is_empty() {
        "(none)"
    } else {
        spec.description.as_str()
    };
    let _ = writeln!(about, "{}", indent(description));
    if let Some(expected) = &spec.expected_output {
        let _ = writeln!(
            about,
            "{}\n{}",
            ui.paint("expected output", Tone::Dim),
            indent(expected)
        );
    }
    if !spec.acceptance.is_empty() {
        let _ = writeln!(about, "{}", ui.paint("acceptance", Tone::Dim));
        for criterion in &spec.acceptance {
            let _ = writeln!(about, "  - {criterion}");
        }
    }
    if !spec.verify.is_empty() {
        let _ = writeln!(about, "{}", ui.paint("verify", Tone::Dim));
        for command in &spec.verify {
            let _ = writeln!(about, "  $ {command}");
        }
        if let Some(adopted) = &spec.adopted {
            let _ = writeln!(
                about,
                "  (suggested by the planner, adopted by {} at {})",
                adopted.by, adopted.at
            );
        }
    }
    if !spec.suggested_verify.is_empty() {
        let _ = writeln!(
            about,
            "{}",
            ui.paint(
                "suggested checks (not run; `nexus plan adopt` adopts them)",
                Tone::Dim
            )
        );
        for command in &spec.suggested_verify {
            let _ = writeln!(about, "  ? {command}");
        }
    }
    about
}

/// Returns the attempts' table, then each attempt's verification checks
/// with the tail of their output. CPU and MEM are the agent process's CPU
/// time and peak memory, from the OS's accounting of the finished process.
fn attempts_text(attempts: &[crate::state::task::Attempt], ui: &Ui) -> String {
    let mut rows = vec![header(
        ui,
        &[
            "#", "AGENT", "STARTED", "DURATION", "CPU", "MEM", "OUTCOME", "COST", "TOKENS",
            "REASON",
        ],
    )];
    for attempt in attempts {
        let outcome_tone = if attempt.outcome == AttemptOutcome::Turn(Outcome::Success) {
            Tone::Good
        } else if attempt.finished_at.is_none() {
            Tone::Warn
        } else {
            Tone::Bad
        };
        rows.push(vec![
            attempt.number.to_string(),
            attempt.agent.clone(),
            attempt.started_at.to_string(),
            crate::dashboard::panel::attempt_duration(attempt)
                .map_or_else(|| "—".to_string(), short_duration),
            attempt
                .cpu_seconds
                .map_or_else(|| "—".to_string(), |seconds| format!("{seconds:.2}s")),
            attempt
                .peak_memory_mb
                .map_or_else(|| "—".to_string(), |mb| format!("{mb:.0} MB")),
            ui.paint(attempt.outcome.name(), outcome_tone),
            cost(attempt.cost_usd, attempt.unpriced_turns),
            format!("{}/{}", attempt.input_tokens, attempt.output_tokens),
            attempt
                .reason
                .as_deref()
                .map_or_else(|| "—".to_string(), |reason| shorten(reason, 60)),
        ]);
    }
    let mut body = table(&rows);
    for attempt in attempts {
        for check in &attempt.verification {
            let verdict = if check.passed {
                ui.paint("passed", Tone::Good)
            } else {
                ui.paint("failed", Tone::Bad)
            };
            let code = check
                .exit_code
                .map_or_else(|| "no exit code".to_string(), |code| format!("exit {code}"));
            let _ = writeln!(
                body,
                "attempt {} verify `{}`: {verdict} ({code}, {})",
                attempt.number,
                check.command,
                millis(check.duration_ms)
            );
            for line in check.output_tail.lines() {
                let _ = writeln!(body, "  | {line}");
            }
        }
    }
    body
}

/// Renders the structured part of the agent's latest answer: summary,
/// the agent's ratings, then its lists.
fn answer_text(answer: &crate::report::model::AnswerReport, ui: &Ui) -> String {
    let mut facts: Vec<Vec<String>> = Vec::new();
    let mut fact = |name: &str, value: String| facts.push(vec![name.to_string(), value]);
    if !answer.summary.is_empty() {
        fact("summary", shorten(&answer.summary, 300));
    }
    if let Some(confidence) = answer.confidence_score {
        fact("confidence", percent(Some(confidence)));
    }
    if let Some(clarity) = answer.clarity_rating {
        fact("clarity", format!("{clarity}/10 (how clear the task was)"));
    }
    if let Some(complexity) = answer.complexity_rating {
        fact("complexity", format!("{complexity}/10 (how hard it was)"));
    }
    fact(
        "from",
        format!(
            "{} at {}{}",
            answer.message_id,
            answer.at,
            if answer.structured {
                ""
            } else {
                " (no structured block)"
            }
        ),
    );
    let mut body = table(&facts);
    for (title, entries) in [
        ("deliverables", &answer.deliverables),
        ("recommendations", &answer.recommendations),
        ("next steps", &answer.next_steps),
        ("questions", &answer.questions),
    ] {
        if entries.is_empty() {
            continue;
        }
        let _ = writeln!(body, "{}", ui.paint(title, Tone::Dim));
        for entry in entries {
            let _ = writeln!(body, "  - {}", shorten(entry, 300));
        }
    }
    body
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}
