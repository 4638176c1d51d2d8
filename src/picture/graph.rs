//! The dependency graph of one plan as the pictures draw it: each task with
//! its agent, shown state, estimate (from the one estimator,
//! [`History`]) and the time it took, and the critical path — the longest
//! chain of estimated durations, as the scheduler orders ready tasks by it.
//! `nexus graph --json` prints this document.

use anyhow::Result;
use serde::Serialize;

use crate::dashboard::snapshot::LoadedPlan;
use crate::exit::{Kind, tagged_hint};
use crate::plan::estimate::History;
use crate::plan::graph::Graph;

/// The version of the `nexus graph --json` document.
pub const GRAPH_SCHEMA: u32 = 1;

/// One task as a node.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// The task id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The agent of its record, else the plan's (`None`: unassigned).
    pub agent: Option<String>,
    /// The shown state (`dashboard` names: `stale` and `unreadable` too).
    pub state: &'static str,
    /// The estimated duration, in milliseconds.
    pub estimate_ms: u64,
    /// The summed wall time of its finished attempts, when there are any.
    pub took_ms: Option<u64>,
    /// Whether it is on the critical path.
    pub critical: bool,
}

/// A dependency: `from` must complete before `to` starts.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    /// The dependency's task id.
    pub from: String,
    /// The dependent's task id.
    pub to: String,
    /// Whether both ends are consecutive on the critical path.
    pub critical: bool,
    /// Index of `from` in [`PlanGraph::nodes`].
    #[serde(skip)]
    pub from_index: usize,
    /// Index of `to` in [`PlanGraph::nodes`].
    #[serde(skip)]
    pub to_index: usize,
}

/// A plan's graph, ready to draw.
#[derive(Debug, Clone, Serialize)]
pub struct PlanGraph {
    /// The document's version ([`GRAPH_SCHEMA`]).
    pub schema: u32,
    /// The plan.
    pub plan_id: String,
    /// The plan's request.
    pub request: String,
    /// The tasks, in plan order.
    pub nodes: Vec<Node>,
    /// The dependencies, in plan order of the dependent.
    pub edges: Vec<Edge>,
    /// Task ids on the critical path, first to last.
    pub critical_path: Vec<String>,
    /// The critical path's estimated length, in milliseconds.
    pub critical_path_ms: u64,
}

impl PlanGraph {
    /// Builds the graph of a loaded plan, with estimates from `history`.
    /// Fails only for a plan whose dependencies do not form a DAG (a
    /// stored plan is validated, so only a hand-edited one can).
    pub fn build(loaded: &LoadedPlan, history: &History) -> Result<Self> {
        let plan = &loaded.plan;
        let weights = history.weights(plan);
        let graph = Graph::new(plan)
            .map_err(|problem| {
                tagged_hint(
                    Kind::StateInvalid,
                    format!("plan `{}` cannot be drawn: {problem}", plan.id),
                    "fix its `plan.json`; `nexus doctor` checks every file",
                )
            })?
            .with_weights(&weights);
        let path = graph.critical_path();
        let mut on_path = vec![false; plan.tasks.len()];
        for &index in &path {
            on_path[index] = true;
        }
        let nodes = plan
            .tasks
            .iter()
            .enumerate()
            .map(|(index, spec)| {
                let loaded_task = loaded.tasks.get(index);
                let record = loaded_task.and_then(|task| task.record.as_ref());
                let finished: Vec<u64> = record
                    .map(|record| {
                        record
                            .attempts
                            .iter()
                            .filter_map(crate::dashboard::panel::attempt_duration)
                            .map(|took| u64::try_from(took.as_millis()).unwrap_or(u64::MAX))
                            .collect()
                    })
                    .unwrap_or_default();
                Node {
                    id: spec.id.clone(),
                    title: spec.title.clone(),
                    agent: record
                        .and_then(|record| record.agent.clone())
                        .or_else(|| spec.agent.clone()),
                    state: loaded_task.map_or("unreadable", |task| task.shown_state()),
                    estimate_ms: weights.get(index).map_or(0, |weight| {
                        u64::try_from(weight.as_millis()).unwrap_or(u64::MAX)
                    }),
                    took_ms: (!finished.is_empty()).then(|| {
                        finished
                            .iter()
                            .fold(0u64, |sum, ms| sum.saturating_add(*ms))
                    }),
                    critical: on_path[index],
                }
            })
            .collect::<Vec<_>>();
        let mut edges = Vec::new();
        for (to, deps) in graph.deps.iter().enumerate() {
            for &from in deps {
                let critical = path.windows(2).any(|pair| pair[0] == from && pair[1] == to);
                edges.push(Edge {
                    from: plan.tasks[from].id.clone(),
                    to: plan.tasks[to].id.clone(),
                    critical,
                    from_index: from,
                    to_index: to,
                });
            }
        }
        let critical_path_ms = path
            .iter()
            .map(|&index| nodes[index].estimate_ms)
            .fold(0u64, u64::saturating_add);
        Ok(PlanGraph {
            schema: GRAPH_SCHEMA,
            plan_id: plan.id.clone(),
            request: plan.request.clone(),
            critical_path: path
                .iter()
                .map(|&index| plan.tasks[index].id.clone())
                .collect(),
            critical_path_ms,
            nodes,
            edges,
        })
    }

    /// Returns the shown states present, in the dashboard's order (for
    /// legends).
    pub fn states(&self) -> Vec<&'static str> {
        crate::dashboard::panel::SHOWN_STATES
            .iter()
            .copied()
            .filter(|state| self.nodes.iter().any(|node| node.state == *state))
            .collect()
    }

    /// Returns the node's status line: `completed · est 10m · took 1m 10s`.
    pub fn status_line(node: &Node) -> String {
        let mut text = format!(
            "{} · est {}",
            node.state,
            crate::picture::text::duration(node.estimate_ms)
        );
        if let Some(took) = node.took_ms {
            text.push_str(&format!(" · took {}", crate::picture::text::duration(took)));
        }
        text
    }

    /// Returns the legend's words for the critical path (drawn after
    /// [`CRITICAL_MARK`]).
    pub fn critical_legend(&self) -> String {
        format!(
            "and thick lines: critical path, est {}",
            crate::picture::text::duration(self.critical_path_ms)
        )
    }
}

/// The marker put before a critical task's id (so the path does not rest
/// on colour or line width alone).
pub const CRITICAL_MARK: &str = "★ ";

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dashboard::snapshot::LoadedTask;
    use crate::state::plan::{Plan, TaskSpec};
    use crate::state::task::{Attempt, TaskRecord, TaskState};
    use crate::time::Timestamp;

    /// Returns a loaded plan of `(id, title, dependencies, minutes, state)`.
    pub(crate) fn loaded(tasks: &[(&str, &str, &[&str], u32, TaskState)]) -> LoadedPlan {
        let at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let plan = Plan {
            request: "Ship \"it\" <now>".into(),
            ..crate::plan::testing::plan(
                tasks
                    .iter()
                    .map(|(id, title, deps, minutes, _)| TaskSpec {
                        title: (*title).into(),
                        agent: Some("code_developer".into()),
                        estimate_minutes: Some(*minutes),
                        ..crate::plan::testing::task(id, deps)
                    })
                    .collect(),
            )
        };
        let tasks = tasks
            .iter()
            .map(|(id, _, _, _, state)| {
                let mut record = TaskRecord::pending(id);
                record.state = *state;
                if *state == TaskState::Completed {
                    let mut attempt = Attempt::started(1, "code_developer", at);
                    attempt.finished_at = Some(at);
                    attempt.duration_ms = 70_500;
                    record.attempts.push(attempt);
                }
                LoadedTask {
                    record: Some(record),
                    owner_live: false,
                }
            })
            .collect();
        LoadedPlan {
            plan,
            tasks,
            runs: vec![],
        }
    }

    #[test]
    fn the_critical_path_follows_the_longest_estimates() {
        let plan = loaded(&[
            ("a", "A", &[], 10, TaskState::Completed),
            ("b", "B", &["a"], 5, TaskState::Pending),
            ("c", "C", &["a"], 20, TaskState::Running),
            ("d", "D", &["b", "c"], 10, TaskState::Pending),
        ]);
        let graph = PlanGraph::build(&plan, &History::default()).unwrap();
        assert_eq!(graph.critical_path, vec!["a", "c", "d"]);
        assert_eq!(graph.critical_path_ms, 40 * 60_000);
        let critical: Vec<(&str, &str)> = graph
            .edges
            .iter()
            .filter(|edge| edge.critical)
            .map(|edge| (edge.from.as_str(), edge.to.as_str()))
            .collect();
        assert_eq!(critical, vec![("a", "c"), ("c", "d")]);
        assert_eq!(graph.nodes[0].took_ms, Some(70_500));
        assert_eq!(
            graph.nodes[2].state, "stale",
            "running without a live owner"
        );
        assert_eq!(
            PlanGraph::status_line(&graph.nodes[0]),
            "completed · est 10m · took 1m 10s"
        );
        assert_eq!(graph.states(), vec!["pending", "stale", "completed"]);
    }
}
