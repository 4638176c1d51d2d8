//! The timeline of a plan's run as SVG: one lane per agent instance (idle
//! ones too), one bar per attempt from its start to its end, so retries,
//! failures, waiting and parallel work show where the time went. A bar's
//! outcome is in its label and tooltip as well as its colour: failed bars
//! are hatched and marked ✗, running ones have a dashed border. Tasks on
//! the critical path are marked ★, and each lane ends with what its
//! instance cost and how long it was busy.

use std::fmt::Write as _;

use crate::picture::palette::{self, Bar as Kind};
use crate::picture::svg::{FONT, chars_in, text_width};
use crate::picture::text;
use crate::report::flow::party_name;
use crate::report::model::{Bar, Lane, Report};
use crate::state::outcome::{AttemptOutcome, Outcome};

const WIDTH: i64 = 960;
const LABEL_WIDTH: i64 = 210;
const RIGHT: i64 = 140;
const TOP: i64 = 78;
const LANE: i64 = 32;
const BAR: i64 = 22;
const MARGIN: i64 = 16;

/// Tick steps tried, in milliseconds: the first giving at most eight ticks
/// is used.
const STEPS: &[u64] = &[
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    15_000,
    30_000,
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
    172_800_000,
    604_800_000,
];

/// Returns how a bar is drawn.
pub fn kind(bar: &Bar) -> Kind {
    if bar.running {
        Kind::Running
    } else if bar.outcome == AttemptOutcome::Turn(Outcome::Success) {
        Kind::Success
    } else {
        Kind::Failed
    }
}

/// Returns the lane's label: the agent's name and id, with `.N` for
/// instance N > 0.
fn lane_label(report: &Report, lane: &Lane) -> String {
    let name = report
        .agents
        .iter()
        .find(|agent| agent.id == lane.agent)
        .map_or(lane.agent.as_str(), |agent| agent.name.as_str());
    let id = party_name(&lane.agent, Some(lane.instance));
    if name == lane.agent {
        id
    } else {
        format!("{name} ({id})")
    }
}

/// Returns the tooltip of a bar.
fn tooltip(bar: &Bar, agent: &str) -> String {
    let mut words = format!(
        "{} attempt {} by {agent}: {}",
        bar.task_id,
        bar.attempt,
        if bar.running {
            "running".to_string()
        } else {
            bar.outcome.to_string()
        }
    );
    let _ = write!(
        words,
        ", {} from +{}, {}",
        text::duration(bar.end_ms.saturating_sub(bar.start_ms)),
        text::duration(bar.start_ms),
        text::cost(bar.cost_usd, bar.unpriced_turns)
    );
    if let Some(reason) = &bar.reason {
        let _ = write!(words, " — {}", text::line(reason, 200));
    }
    words
}

/// Renders the timeline as a standalone SVG document. With `links`, each
/// bar links to `#task-N` (the task's section in the HTML report).
pub fn svg(report: &Report, links: bool) -> String {
    let timeline = &report.timeline;
    let lanes = i64::try_from(timeline.lanes.len()).unwrap_or(0);
    let plot_left = LABEL_WIDTH + 10;
    let plot_width = WIDTH - plot_left - RIGHT;
    let legend_top = TOP + lanes.max(1) * LANE + 12;
    let height = legend_top + 24 + MARGIN;
    let span = timeline.span_ms.max(1);
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let x_of = |ms: u64| plot_left + ((ms as f64 / span as f64) * plot_width as f64).round() as i64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"nexus-timeline\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" font-family=\"{FONT}\" font-size=\"12\" role=\"img\" aria-labelledby=\"t-title\">"
    );
    let _ = writeln!(
        out,
        "<title id=\"t-title\">Timeline of plan {}</title>",
        text::xml(&report.plan.id)
    );
    out.push_str("<defs><pattern id=\"t-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"2\" height=\"6\" fill=\"#7f1d1d\" fill-opacity=\"0.35\"/></pattern></defs>\n");
    let _ = writeln!(
        out,
        "<rect width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    let attempts: usize = timeline.lanes.iter().map(|lane| lane.bars.len()).sum();
    let failed = timeline
        .lanes
        .iter()
        .flat_map(|lane| lane.bars.iter())
        .filter(|bar| kind(bar) == Kind::Failed)
        .count();
    let heading = text::line(
        &format!(
            "timeline of plan {}: every attempt, one lane per agent instance",
            report.plan.id
        ),
        120,
    );
    let _ = writeln!(
        out,
        "<text x=\"{MARGIN}\" y=\"22\" font-size=\"14\" font-weight=\"bold\" fill=\"{}\">{}</text>",
        palette::TEXT,
        text::xml(&heading)
    );
    let detail = match timeline.start {
        Some(start) => format!(
            "from {start} over {} · {attempts} attempts, {failed} failed",
            text::duration(timeline.span_ms)
        ),
        None => "no attempts yet".to_string(),
    };
    let _ = writeln!(
        out,
        "<text x=\"{MARGIN}\" y=\"40\" fill=\"{}\">{}</text>",
        palette::MUTED,
        text::xml(&detail)
    );
    write_axis(&mut out, span, lanes, &x_of);
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" fill=\"{}\" font-size=\"11\">cost · busy</text>",
        WIDTH - RIGHT + 14,
        TOP - 10,
        palette::MUTED
    );
    for (index, lane) in timeline.lanes.iter().enumerate() {
        let top = TOP + i64::try_from(index).unwrap_or(0) * LANE;
        if index % 2 == 0 {
            let _ = writeln!(
                out,
                "<rect x=\"{MARGIN}\" y=\"{top}\" width=\"{}\" height=\"{LANE}\" fill=\"#f3f4f6\" fill-opacity=\"0.6\"/>",
                WIDTH - MARGIN - RIGHT + 8
            );
        }
        let label = text::line(&lane_label(report, lane), chars_in(LABEL_WIDTH - 8));
        let _ = writeln!(
            out,
            "<text class=\"lane\" x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{}\">{}</text>",
            plot_left - 8,
            top + LANE / 2 + 4,
            palette::TEXT,
            text::xml(&label)
        );
        for bar in &lane.bars {
            let critical = report
                .tasks
                .get(bar.task_index)
                .is_some_and(|task| task.critical);
            write_bar(&mut out, bar, &lane.agent, top, critical, &x_of, links);
        }
        let cost: f64 = lane.bars.iter().map(|bar| bar.cost_usd).sum();
        let unpriced = lane
            .bars
            .iter()
            .map(|bar| bar.unpriced_turns)
            .fold(0u32, u32::saturating_add);
        let busy = lane
            .bars
            .iter()
            .filter_map(|bar| bar.duration_ms)
            .fold(0u64, u64::saturating_add);
        let _ = writeln!(
            out,
            "<text class=\"lane-total\" x=\"{}\" y=\"{}\" fill=\"{}\">{} · {}</text>",
            WIDTH - RIGHT + 14,
            top + LANE / 2 + 4,
            palette::TEXT,
            text::cost(cost, unpriced),
            text::duration(busy)
        );
    }
    write_legend(&mut out, legend_top);
    out.push_str("</svg>\n");
    out
}

fn write_axis(out: &mut String, span: u64, lanes: i64, x_of: &dyn Fn(u64) -> i64) {
    let step = STEPS
        .iter()
        .copied()
        .find(|step| span / step <= 8)
        .unwrap_or(span);
    let bottom = TOP + lanes.max(1) * LANE;
    out.push_str("<g class=\"axis\">\n");
    let mut tick = 0;
    while tick <= span {
        let x = x_of(tick);
        let _ = writeln!(
            out,
            "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#d1d5db\"/>",
            TOP - 6
        );
        let _ = writeln!(
            out,
            "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\" font-size=\"11\">+{}</text>",
            TOP - 10,
            palette::MUTED,
            if tick == 0 {
                "0".to_string()
            } else {
                text::duration(tick)
            }
        );
        tick += step.max(1);
    }
    out.push_str("</g>\n");
}

fn write_bar(
    out: &mut String,
    bar: &Bar,
    agent: &str,
    lane_top: i64,
    critical: bool,
    x_of: &dyn Fn(u64) -> i64,
    links: bool,
) {
    let kind = kind(bar);
    let x = x_of(bar.start_ms);
    let width = (x_of(bar.end_ms) - x).max(3);
    let y = lane_top + (LANE - BAR) / 2;
    let _ = writeln!(
        out,
        "<g class=\"bar\" data-task=\"{}\" data-attempt=\"{}\" data-outcome=\"{}\">",
        text::xml(&bar.task_id),
        bar.attempt,
        if bar.running {
            "running"
        } else {
            bar.outcome.name()
        }
    );
    if links {
        let _ = writeln!(out, "<a href=\"#task-{}\">", bar.task_index);
    }
    let _ = writeln!(out, "<title>{}</title>", text::xml(&tooltip(bar, agent)));
    write_rect(out, kind, (x, y), (width, BAR));
    let mark = match kind {
        Kind::Success => "",
        Kind::Failed => " ✗",
        Kind::Running => " …",
    };
    let star = if critical { "★ " } else { "" };
    let label = if bar.attempt > 1 {
        format!("{star}{} #{}{mark}", bar.task_id, bar.attempt)
    } else {
        format!("{star}{}{mark}", bar.task_id)
    };
    if text_width(label.chars().count()) + 8 <= width {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"{}\" font-size=\"11\">{}</text>",
            x + 4,
            y + 15,
            palette::TEXT,
            text::xml(&label)
        );
    }
    if links {
        out.push_str("</a>\n");
    }
    out.push_str("</g>\n");
}

/// Writes the rectangle of a bar or of a legend's swatch of `kind`: dashed
/// while running, hatched over when failed.
fn write_rect(out: &mut String, kind: Kind, (x, y): (i64, i64), (width, height): (i64, i64)) {
    let colors = kind.colors();
    let dash = if kind == Kind::Running {
        " stroke-dasharray=\"4 3\""
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" rx=\"3\" fill=\"{}\" stroke=\"{}\"{dash}/>",
        colors.fill, colors.stroke
    );
    if kind == Kind::Failed {
        let _ = writeln!(
            out,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" rx=\"3\" fill=\"url(#t-hatch)\"/>"
        );
    }
}

fn write_legend(out: &mut String, top: i64) {
    out.push_str("<g class=\"legend\">\n");
    let mut x = MARGIN;
    for (kind, words) in [
        (Some(Kind::Success), "succeeded"),
        (Some(Kind::Failed), "failed (hatched, ✗)"),
        (Some(Kind::Running), "running (dashed, …)"),
        (None, "★ task on the critical path"),
    ] {
        if let Some(kind) = kind {
            write_rect(out, kind, (x, top), (26, 14));
            x += 32;
        }
        let _ = writeln!(
            out,
            "<text x=\"{x}\" y=\"{}\" fill=\"{}\">{}</text>",
            top + 11,
            palette::TEXT,
            text::xml(words)
        );
        x += text_width(words.chars().count()) + 28;
    }
    out.push_str("</g>\n");
}
