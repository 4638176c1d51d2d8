//! `nexus metrics`: the snapshot in the Prometheus text exposition format
//! (version 0.0.4), for the node exporter's textfile collector or a push
//! gateway. Every value is derived from the files, so all are gauges except
//! the attempt-duration histogram.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::dashboard::panel::{self, AgentPerformance, Dashboard, attempt_duration};
use crate::dashboard::snapshot::Snapshot;
use crate::state::session::SessionStatus;
use crate::time::Timestamp;

/// The upper bounds (seconds) of the task duration histogram's buckets.
pub const DURATION_BUCKETS: &[f64] = &[
    10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0,
];

/// Escapes a label value: backslash, double quote and newline.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Writer {
    text: String,
}

impl Writer {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let _ = write!(self.text, "{name}");
        if !labels.is_empty() {
            let pairs: Vec<String> = labels
                .iter()
                .map(|(key, value)| format!("{key}=\"{}\"", label(value)))
                .collect();
            let _ = write!(self.text, "{{{}}}", pairs.join(","));
        }
        let _ = writeln!(self.text, " {value}");
    }

    /// Writes a gauge family with a sample for each agent `value` gives one.
    fn per_agent(
        &mut self,
        dashboard: &Dashboard,
        name: &str,
        help: &str,
        value: impl Fn(&AgentPerformance) -> Option<f64>,
    ) {
        self.family(name, "gauge", help);
        for (agent, performance) in &dashboard.agent_performance {
            if let Some(value) = value(performance) {
                self.sample(name, &[("agent", agent)], value);
            }
        }
    }
}

/// Renders the metrics of every plan.
pub fn render(snapshot: &Snapshot, now: Timestamp) -> String {
    let dashboard = panel::build(snapshot, None, now);
    let mut out = Writer {
        text: String::new(),
    };
    plan_families(&mut out, &dashboard);
    agent_families(&mut out, &dashboard);
    team_families(&mut out, &dashboard);
    duration_histogram(&mut out, snapshot);
    session_family(&mut out, snapshot);
    system_families(&mut out, &dashboard, snapshot);
    out.text
}

/// The plans: their tasks by state, their cost.
fn plan_families(out: &mut Writer, dashboard: &Dashboard) {
    out.family(
        "nexus_tasks",
        "gauge",
        "Tasks by plan and state (stale: running without a live owner).",
    );
    for plan in &dashboard.plans {
        for state in panel::SHOWN_STATES {
            let count = plan.by_state.get(*state).copied().unwrap_or(0);
            #[allow(clippy::cast_precision_loss)]
            out.sample(
                "nexus_tasks",
                &[("plan", &plan.id), ("state", state)],
                count as f64,
            );
        }
    }

    out.family(
        "nexus_plan_cost_usd",
        "gauge",
        "Cost of a plan's tasks in USD.",
    );
    for plan in &dashboard.plans {
        out.sample("nexus_plan_cost_usd", &[("plan", &plan.id)], plan.cost_usd);
    }
}

/// Each agent's performance: cost, tokens, health, resources, quality.
fn agent_families(out: &mut Writer, dashboard: &Dashboard) {
    out.per_agent(
        dashboard,
        "nexus_agent_cost_usd",
        "Cost of an agent's attempts in USD.",
        |performance| Some(performance.cost_usd),
    );
    out.family(
        "nexus_agent_tokens",
        "gauge",
        "Tokens of an agent's attempts by direction.",
    );
    for (agent, performance) in &dashboard.agent_performance {
        #[allow(clippy::cast_precision_loss)]
        {
            out.sample(
                "nexus_agent_tokens",
                &[("agent", agent), ("direction", "input")],
                performance.input_tokens as f64,
            );
            out.sample(
                "nexus_agent_tokens",
                &[("agent", agent), ("direction", "output")],
                performance.output_tokens as f64,
            );
        }
    }
    out.per_agent(
        dashboard,
        "nexus_agent_health_score",
        "Agent health 0-100 from its recent attempt outcomes.",
        |performance| performance.health_score.map(f64::from),
    );
    out.per_agent(
        dashboard,
        "nexus_agent_cpu_seconds",
        "CPU seconds of an agent's measured attempts (the OS's accounting of each finished process).",
        |performance| Some(performance.cpu_seconds),
    );
    out.per_agent(
        dashboard,
        "nexus_agent_peak_memory_mb",
        "The largest peak resident memory of one of an agent's attempts, MB.",
        |performance| performance.peak_memory_mb,
    );
    out.per_agent(
        dashboard,
        "nexus_agent_quality_score",
        "Mean quality score 0-10 of an agent's completed tasks.",
        |performance| performance.average_quality_score,
    );
}

/// The team today: tasks completed, busy and configured instances.
fn team_families(out: &mut Writer, dashboard: &Dashboard) {
    out.family(
        "nexus_tasks_completed_today",
        "gauge",
        "Tasks completed since 00:00 UTC.",
    );
    #[allow(clippy::cast_precision_loss)]
    out.sample(
        "nexus_tasks_completed_today",
        &[],
        dashboard.task_metrics.tasks_completed_today as f64,
    );
    out.family(
        "nexus_agent_busy",
        "gauge",
        "Agent instances working on a task with a live owner.",
    );
    for agent in &dashboard.agents {
        #[allow(clippy::cast_precision_loss)]
        out.sample(
            "nexus_agent_busy",
            &[("agent", &agent.id)],
            agent.current_tasks.len() as f64,
        );
    }
    out.family(
        "nexus_agent_instances",
        "gauge",
        "Configured agent instances.",
    );
    for agent in &dashboard.agents {
        out.sample(
            "nexus_agent_instances",
            &[("agent", &agent.id)],
            f64::from(agent.instances),
        );
    }
}

/// The histogram of finished attempts' wall time.
fn duration_histogram(out: &mut Writer, snapshot: &Snapshot) {
    let mut counts = vec![0u64; DURATION_BUCKETS.len()];
    let (mut sum, mut count) = (0.0, 0u64);
    for loaded in &snapshot.plans {
        for task in &loaded.tasks {
            let Some(record) = &task.record else { continue };
            for attempt in &record.attempts {
                let Some(duration) = attempt_duration(attempt) else {
                    continue;
                };
                let seconds = duration.as_secs_f64();
                sum += seconds;
                count += 1;
                for (bucket, bound) in counts.iter_mut().zip(DURATION_BUCKETS) {
                    if seconds <= *bound {
                        *bucket += 1;
                    }
                }
            }
        }
    }
    out.family(
        "nexus_task_attempt_duration_seconds",
        "histogram",
        "Wall time of finished task attempts.",
    );
    for (bucket, bound) in counts.iter().zip(DURATION_BUCKETS) {
        #[allow(clippy::cast_precision_loss)]
        out.sample(
            "nexus_task_attempt_duration_seconds_bucket",
            &[("le", &bound.to_string())],
            *bucket as f64,
        );
    }
    #[allow(clippy::cast_precision_loss)]
    {
        out.sample(
            "nexus_task_attempt_duration_seconds_bucket",
            &[("le", "+Inf")],
            count as f64,
        );
        out.sample(
            "nexus_task_attempt_duration_seconds_sum",
            &[],
            (sum * 1000.0).round() / 1000.0,
        );
        out.sample(
            "nexus_task_attempt_duration_seconds_count",
            &[],
            count as f64,
        );
    }
}

/// The session records by agent and last call status (every agent's three
/// statuses, zeros included).
fn session_family(out: &mut Writer, snapshot: &Snapshot) {
    let mut sessions: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
    for agent in &snapshot.agents {
        for status in ["starting", "ok", "failed"] {
            sessions.insert((agent.id.clone(), status), 0);
        }
    }
    for session in &snapshot.sessions {
        let status = match session.status {
            SessionStatus::Starting => "starting",
            SessionStatus::Ok => "ok",
            SessionStatus::Failed => "failed",
        };
        *sessions
            .entry((session.agent_id.clone(), status))
            .or_default() += 1;
    }
    out.family(
        "nexus_sessions",
        "gauge",
        "Session records on this machine by agent and last call status.",
    );
    for ((agent, status), number) in &sessions {
        #[allow(clippy::cast_precision_loss)]
        out.sample(
            "nexus_sessions",
            &[("agent", agent), ("status", status)],
            *number as f64,
        );
    }
}

/// The system: active runs, stale tasks, unreadable files.
fn system_families(out: &mut Writer, dashboard: &Dashboard, snapshot: &Snapshot) {
    let health = &dashboard.system_health;
    out.family(
        "nexus_runs_active",
        "gauge",
        "Runs holding a plan lock now.",
    );
    #[allow(clippy::cast_precision_loss)]
    out.sample("nexus_runs_active", &[], health.runs.len() as f64);
    out.family(
        "nexus_stale_tasks",
        "gauge",
        "Tasks marked running without a live owner.",
    );
    #[allow(clippy::cast_precision_loss)]
    out.sample("nexus_stale_tasks", &[], health.stale_tasks as f64);
    out.family(
        "nexus_state_problems",
        "gauge",
        "Files under .nexus that could not be read.",
    );
    #[allow(clippy::cast_precision_loss)]
    out.sample("nexus_state_problems", &[], snapshot.problems.len() as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
