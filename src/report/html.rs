//! The report as one self-contained HTML page (`nexus report --html`): the
//! plan's figures, the dependency graph and the timeline (inline SVG drawn
//! by `crate::picture`), cost and tokens per agent, open questions and next
//! steps, and every task's answer, attempts, verification evidence and
//! result text.
//!
//! No script, no network: styles are inline and a Content-Security-Policy
//! forbids anything else, so the page reads the same offline, printed or
//! in a narrow window. Every piece of text from plans, agents and commands
//! goes through [`text::xml`]; the page's own markup is all that is markup.

use std::fmt::Write as _;

use crate::picture::text::{self, xml};
use crate::picture::{palette, svg, timeline};
use crate::report::markdown::states_text;
use crate::report::model::{AnswerReport, AttemptReport, Item, Report, TaskReport};

/// The page's styles: a readable column, cards that wrap, tables that
/// scroll sideways on a phone, pictures that scale, and print rules that
/// show everything without scroll boxes.
const STYLE: &str = "
:root { color-scheme: light; --text: #111827; --muted: #4b5563; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif; color: var(--text); background: #fff; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 .5rem; overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: .88em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f9fafb; border: 1px solid var(--line); border-radius: 6px; padding: .5rem .75rem; margin: .25rem 0 .75rem; }
pre.result { max-height: 28rem; overflow: auto; }
.request { font-size: 1.1rem; color: var(--muted); margin: 0 0 1rem; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .75rem; margin: 1rem 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .8rem; }
.card .label { font-size: .8rem; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.card .value { font-size: 1.2rem; font-weight: 600; overflow-wrap: anywhere; }
.card .note { font-size: .85rem; color: var(--muted); }
figure { margin: 0; overflow-x: auto; }
figure svg { max-width: 100%; min-width: 36rem; height: auto; display: block; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; }
.meter { display: inline-block; width: 6rem; height: .6rem; background: #f3f4f6; border: 1px solid #d1d5db; border-radius: 3px; vertical-align: middle; margin-left: .4rem; }
.meter > span { display: block; height: 100%; background: #6b7280; border-radius: 2px; }
.state { display: inline-block; padding: 0 .45rem; border: 1px solid; border-radius: 999px; font-size: .85rem; white-space: nowrap; }
.task { border: 1px solid var(--line); border-radius: 8px; padding: .9rem 1rem; margin: 0 0 1rem; }
.task.critical { border-left: 4px solid #1e3a8a; }
.facts { color: var(--muted); font-size: .9rem; margin: 0 0 .5rem; }
.facts span + span::before { content: ' · '; }
ul { margin: .25rem 0 .75rem; padding-left: 1.25rem; }
.outcome-failed { color: #b91c1c; font-weight: 600; }
.outcome-success { color: #15803d; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 640px) {
  body { font-size: 14px; }
  main { padding: 1rem .6rem 2rem; }
  .meter { width: 3rem; }
}
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  pre.result { max-height: none; overflow: visible; }
  figure, .scroll { overflow: visible; }
  figure svg { min-width: 0; }
  #graph, #timeline, figure, tr, .card { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  h2, h3, h4 { break-after: avoid; }
}
";

/// Renders the page.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let plan = &report.plan;
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
    let _ = writeln!(out, "<title>nexus report · plan {}</title>", xml(&plan.id));
    let _ = writeln!(
        out,
        "<style>{STYLE}{}</style>\n</head>\n<body>\n<main>",
        state_styles()
    );
    let _ = writeln!(out, "<h1>Plan <code>{}</code></h1>", xml(&plan.id));
    let _ = writeln!(out, "<p class=\"request\">{}</p>", xml(&plan.request));
    cards(&mut out, report);
    out.push_str("<section id=\"graph\">\n<h2>Dependency graph</h2>\n");
    out.push_str("<p class=\"facts\">Each box is a task: its id, title, agent, state and estimate. ★ and thick lines mark the critical path, the longest chain of estimated durations. Select a task to go to its section.</p>\n");
    let _ = writeln!(
        out,
        "<figure>{}</figure>\n</section>",
        svg::graph(&report.graph, true)
    );
    out.push_str("<section id=\"timeline\">\n<h2>Timeline</h2>\n");
    out.push_str("<p class=\"facts\">Every attempt on one lane per agent instance: gaps are waiting, hatched bars (✗) failed and were retried or gave up.</p>\n");
    let _ = writeln!(
        out,
        "<figure>{}</figure>\n</section>",
        timeline::svg(report, true)
    );
    agents(&mut out, report);
    items(&mut out, "questions", "Open questions", &report.questions);
    items(
        &mut out,
        "next-steps",
        "Recommended next steps",
        &report.next_steps,
    );
    items(
        &mut out,
        "recommendations",
        "Recommendations",
        &report.recommendations,
    );
    out.push_str("<section id=\"tasks\">\n<h2>Tasks</h2>\n");
    for (index, task) in report.tasks.iter().enumerate() {
        task_section(&mut out, index, task);
    }
    out.push_str("</section>\n");
    if !report.problems.is_empty() {
        out.push_str("<section id=\"problems\">\n<h2>Problems</h2>\n<ul>\n");
        for problem in &report.problems {
            let _ = writeln!(out, "<li>{}</li>", xml(&problem.error));
        }
        out.push_str("</ul>\n</section>\n");
    }
    let _ = writeln!(
        out,
        "<footer>Generated by nexus {} at {} from the files under <code>.nexus</code>.</footer>",
        env!("CARGO_PKG_VERSION"),
        report.generated_at
    );
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// Returns one CSS class per shown state, in the pictures' colours.
fn state_styles() -> String {
    let mut css = String::new();
    for state in crate::dashboard::panel::SHOWN_STATES {
        let colors = palette::state(state);
        let _ = writeln!(
            css,
            ".state-{state} {{ background: {}; border-color: {}; }}",
            colors.fill, colors.stroke
        );
    }
    css
}

fn state_badge(state: &str) -> String {
    format!("<span class=\"state state-{state}\">{state}</span>")
}

fn card(out: &mut String, label: &str, value: &str, note: &str) {
    let _ = writeln!(
        out,
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"note\">{}</div></div>",
        xml(label),
        xml(value),
        xml(note)
    );
}

fn cards(out: &mut String, report: &Report) {
    let summary = &report.summary;
    out.push_str("<section id=\"summary\" class=\"cards\">\n");
    let completed = summary.by_state.get("completed").copied().unwrap_or(0);
    card(
        out,
        "tasks",
        &format!("{completed} of {} completed", summary.tasks),
        &states_text(report),
    );
    card(
        out,
        "attempts",
        &summary.attempts.to_string(),
        &format!(
            "{} failed, {} retries",
            summary.failed_attempts, summary.retries
        ),
    );
    card(
        out,
        "cost",
        &text::cost(summary.usage.cost_usd, summary.usage.unpriced_turns),
        &format!(
            "{} input / {} output tokens, {} turns",
            summary.usage.input_tokens, summary.usage.output_tokens, summary.usage.turns
        ),
    );
    match (summary.started_at, summary.wall_ms) {
        (Some(started), Some(wall)) => card(
            out,
            "time",
            &text::duration(wall),
            &format!(
                "from {started}; {} of agent work",
                text::duration(summary.agent_time_ms)
            ),
        ),
        _ => card(out, "time", "not started", ""),
    }
    card(
        out,
        "critical path",
        &format!("est {}", text::duration(summary.critical_path_ms)),
        &summary.critical_path.join(" → "),
    );
    if let Some(estimated) = summary.estimated_ms {
        card(
            out,
            "estimate",
            &text::duration(estimated),
            "for the whole plan, with the configured parallelism",
        );
    }
    card(
        out,
        "planned",
        &report.plan.planner,
        &format!(
            "{} · priority {}",
            report.plan.created_at, report.plan.priority
        ),
    );
    out.push_str("</section>\n");
}

/// Returns a meter `value` of `max` wide.
fn meter(value: f64, max: f64) -> String {
    let share = if max > 0.0 {
        (value / max).clamp(0.0, 1.0)
    } else {
        0.0
    };
    format!(
        "<span class=\"meter\" aria-hidden=\"true\"><span style=\"width:{:.0}%\"></span></span>",
        share * 100.0
    )
}

fn agents(out: &mut String, report: &Report) {
    out.push_str("<section id=\"agents\">\n<h2>Cost and time by agent</h2>\n");
    if report.agents.is_empty() {
        out.push_str("<p>No agent is assigned yet.</p>\n</section>\n");
        return;
    }
    let max_cost = report
        .agents
        .iter()
        .map(|agent| agent.usage.cost_usd)
        .fold(0.0, f64::max);
    #[allow(clippy::cast_precision_loss)]
    let tokens = |agent: &crate::report::model::AgentReport| {
        agent
            .usage
            .input_tokens
            .saturating_add(agent.usage.output_tokens) as f64
    };
    let max_tokens = report.agents.iter().map(tokens).fold(0.0, f64::max);
    #[allow(clippy::cast_precision_loss)]
    let max_busy = report
        .agents
        .iter()
        .map(|agent| agent.busy_ms as f64)
        .fold(0.0, f64::max);
    out.push_str("<div class=\"scroll\"><table>\n<thead><tr><th>agent</th><th>tasks</th><th class=\"num\">attempts</th><th class=\"num\">failed</th><th class=\"num\">busy</th><th class=\"num\">cost</th><th class=\"num\">tokens in / out</th></tr></thead>\n<tbody>\n");
    for agent in &report.agents {
        #[allow(clippy::cast_precision_loss)]
        let busy = agent.busy_ms as f64;
        let _ = writeln!(
            out,
            "<tr><td><strong>{}</strong> <code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}{}</td><td class=\"num\">{}{}</td><td class=\"num\">{} / {}{}</td></tr>",
            xml(&agent.name),
            xml(&agent.id),
            xml(&agent.tasks.join(", ")),
            agent.attempts,
            agent.failed_attempts,
            text::duration(agent.busy_ms),
            meter(busy, max_busy),
            text::cost(agent.usage.cost_usd, agent.usage.unpriced_turns),
            meter(agent.usage.cost_usd, max_cost),
            agent.usage.input_tokens,
            agent.usage.output_tokens,
            meter(tokens(agent), max_tokens),
        );
    }
    out.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn items(out: &mut String, id: &str, title: &str, items: &[Item]) {
    let _ = writeln!(out, "<section id=\"{id}\">\n<h2>{}</h2>", xml(title));
    if items.is_empty() {
        out.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    out.push_str("<ul>\n");
    for item in items {
        let by = item
            .agent
            .as_deref()
            .map(|agent| format!(" ({})", xml(agent)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<li><code>{}</code>{by}: {}</li>",
            xml(&item.task_id),
            xml(&item.text)
        );
    }
    out.push_str("</ul>\n</section>\n");
}

fn list(out: &mut String, title: &str, entries: &[String]) {
    if entries.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h4>{}</h4>\n<ul>", xml(title));
    for entry in entries {
        let _ = writeln!(out, "<li>{}</li>", xml(entry));
    }
    out.push_str("</ul>\n");
}

fn answer(out: &mut String, answer: &AnswerReport) {
    if !answer.summary.is_empty() {
        let _ = writeln!(
            out,
            "<p><strong>Summary:</strong> {}</p>",
            xml(&answer.summary)
        );
    }
    let mut ratings = Vec::new();
    if let Some(confidence) = answer.confidence_score {
        ratings.push(format!("confidence {:.0}%", confidence * 100.0));
    }
    if let Some(clarity) = answer.clarity_rating {
        ratings.push(format!("clarity {clarity}/10"));
    }
    if let Some(complexity) = answer.complexity_rating {
        ratings.push(format!("complexity {complexity}/10"));
    }
    if !ratings.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"facts\">The agent rated: {}</p>",
            xml(&ratings.join(" · "))
        );
    }
    list(out, "Deliverables", &answer.deliverables);
    list(out, "Recommendations", &answer.recommendations);
    list(out, "Next steps", &answer.next_steps);
    list(out, "Questions", &answer.questions);
}

fn attempts(out: &mut String, attempts: &[AttemptReport]) {
    out.push_str("<h4>Attempts and verification</h4>\n<div class=\"scroll\"><table>\n<thead><tr><th class=\"num\">#</th><th>agent</th><th>started</th><th class=\"num\">took</th><th>outcome</th><th class=\"num\">cost</th><th>reason</th></tr></thead>\n<tbody>\n");
    for attempt in attempts {
        let (class, outcome) = if attempt.finished_at.is_none() {
            ("", "running".to_string())
        } else if attempt.failed() {
            ("outcome-failed", format!("✗ {}", attempt.outcome))
        } else {
            ("outcome-success", format!("✓ {}", attempt.outcome))
        };
        let _ = writeln!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"{class}\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            attempt.number,
            xml(&crate::report::flow::party_name(
                &attempt.agent,
                Some(attempt.instance)
            )),
            attempt.started_at,
            attempt
                .duration_ms
                .map_or_else(|| "—".to_string(), text::duration),
            xml(&outcome),
            text::cost(attempt.usage.cost_usd, attempt.usage.unpriced_turns),
            xml(attempt.reason.as_deref().unwrap_or("—")),
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
    for attempt in attempts {
        for check in &attempt.verification {
            let verdict = if check.passed {
                "✓ passed"
            } else {
                "✗ failed"
            };
            let code = check
                .exit_code
                .map_or_else(|| "no exit code".to_string(), |code| format!("exit {code}"));
            let _ = writeln!(
                out,
                "<p>Attempt {}: verify <code>{}</code> <span class=\"{}\">{verdict}</span> ({code}, {})</p>",
                attempt.number,
                xml(&check.command),
                if check.passed {
                    "outcome-success"
                } else {
                    "outcome-failed"
                },
                text::duration(check.duration_ms)
            );
            if !check.output_tail.trim().is_empty() {
                let _ = writeln!(out, "<pre>{}</pre>", xml(check.output_tail.trim_end()));
            }
        }
    }
}

fn task_section(out: &mut String, index: usize, task: &TaskReport) {
    let critical = if task.critical { " critical" } else { "" };
    let _ = writeln!(
        out,
        "<article id=\"task-{index}\" class=\"task{critical}\" data-task=\"{}\">",
        xml(&task.id)
    );
    let mark = if task.critical { "★ " } else { "" };
    let _ = writeln!(
        out,
        "<h3>{mark}<code>{}</code> {} {}</h3>",
        xml(&task.id),
        xml(&task.title),
        state_badge(task.state)
    );
    let mut facts = vec![
        xml(task.agent.as_deref().unwrap_or("unassigned")),
        task.task_type.to_string(),
        format!("priority {}", task.priority),
        format!("est {}", text::duration(task.estimate_ms)),
    ];
    if let Some(took) = task.took_ms {
        facts.push(format!("took {}", text::duration(took)));
    }
    facts.push(text::cost(task.usage.cost_usd, task.usage.unpriced_turns));
    if !task.depends_on.is_empty() {
        facts.push(format!("after {}", xml(&task.depends_on.join(", "))));
    }
    let spans: Vec<String> = facts
        .iter()
        .map(|fact| format!("<span>{fact}</span>"))
        .collect();
    let _ = writeln!(out, "<p class=\"facts\">{}</p>", spans.concat());
    if let Some(reason) = &task.reason {
        let _ = writeln!(out, "<p><strong>Reason:</strong> {}</p>", xml(reason));
    }
    if let Some(found) = &task.answer {
        answer(out, found);
    }
    if !task.attempts.is_empty() {
        attempts(out, &task.attempts);
    }
    if let Some(result) = &task.result {
        let _ = writeln!(
            out,
            "<h4>Result</h4>\n<pre class=\"result\">{}</pre>",
            xml(result.trim_end())
        );
    }
    out.push_str("</article>\n");
}
