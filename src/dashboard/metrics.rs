//! `nexus metrics`: the snapshot in the Prometheus text exposition format
//! (version 0.0.4), for the node exporter's textfile collector or a push
//! gateway. Every value is derived from the files, so all are gauges except
//! the attempt-duration histogram.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::dashboard::panel::{self, attempt_duration};
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
}

/// Renders the metrics of every plan.
pub fn render(snapshot: &Snapshot, now: Timestamp) -> String {
    let dashboard = panel::build(snapshot, None, now);
    let mut out = Writer {
        text: String::new(),
    };

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

    out.family(
        "nexus_agent_cost_usd",
        "gauge",
        "Cost of an agent's attempts in USD.",
    );
    for (agent, performance) in &dashboard.agent_performance {
        out.sample(
            "nexus_agent_cost_usd",
            &[("agent", agent)],
            performance.cost_usd,
        );
    }
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
    out.family(
        "nexus_agent_health_score",
        "gauge",
        "Agent health 0-100 from its recent attempt outcomes.",
    );
    for (agent, performance) in &dashboard.agent_performance {
        if let Some(score) = performance.health_score {
            out.sample(
                "nexus_agent_health_score",
                &[("agent", agent)],
                f64::from(score),
            );
        }
    }
    out.family(
        "nexus_agent_cpu_seconds",
        "gauge",
        "CPU seconds of an agent's measured attempts (the OS's accounting of each finished process).",
    );
    for (agent, performance) in &dashboard.agent_performance {
        out.sample(
            "nexus_agent_cpu_seconds",
            &[("agent", agent)],
            performance.cpu_seconds,
        );
    }
    out.family(
        "nexus_agent_peak_memory_mb",
        "gauge",
        "The largest peak resident memory of one of an agent's attempts, MB.",
    );
    for (agent, performance) in &dashboard.agent_performance {
        if let Some(peak) = performance.peak_memory_mb {
            out.sample("nexus_agent_peak_memory_mb", &[("agent", agent)], peak);
        }
    }
    out.family(
        "nexus_agent_quality_score",
        "gauge",
        "Mean quality score 0-10 of an agent's completed tasks.",
    );
    for (agent, performance) in &dashboard.agent_performance {
        if let Some(score) = performance.average_quality_score {
            out.sample("nexus_agent_quality_score", &[("agent", agent)], score);
        }
    }
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

    // Histogram of finished attempts' wall time.
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
    out.text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
