//! The one estimator of how long tasks take, for the scheduler's critical
//! path, the dashboard's ETAs and a plan's estimated duration.
//!
//! A task's estimate starts from its plan's `estimate_minutes` and is
//! refined by what tasks of the same agent and type really took in earlier
//! runs (the summed attempt durations of completed tasks): with `n` such
//! samples of mean `H`, the estimate is `(2·E + n·H) / (n + 2)`, so history
//! outweighs the plan's guess once there are more than two samples. With no
//! plan estimate, the history of the same agent and type, else of the type,
//! else of every task, else [`DEFAULT_ESTIMATE`].

use std::collections::BTreeMap;
use std::time::Duration;

use crate::plan::graph::Graph;
use crate::state::plan::{Plan, TaskSpec, TaskType};
use crate::state::store::Store;
use crate::state::task::TaskState;

/// The estimate of a task nothing is known about.
pub const DEFAULT_ESTIMATE: Duration = Duration::from_secs(10 * 60);

/// Durations of completed tasks, by agent and type.
#[derive(Debug, Clone, Default)]
pub struct History {
    samples: BTreeMap<(String, TaskType), (u64, u32)>,
}

impl History {
    /// Returns the history of every completed task in the store. Unreadable
    /// plans and records are skipped: history only refines estimates.
    pub fn from_store(store: &Store) -> Self {
        let mut history = History::default();
        let Ok(plan_ids) = store.plan_ids() else {
            return history;
        };
        for plan_id in plan_ids {
            let Ok(plan) = store.load_plan(&plan_id) else {
                continue;
            };
            history.add_plan(store, &plan);
        }
        history
    }

    fn add_plan(&mut self, store: &Store, plan: &Plan) {
        for spec in &plan.tasks {
            if let Ok(record) = store.load_task(&plan.id, &spec.id) {
                self.add_record(spec, &record);
            }
        }
    }

    /// Learns from one task's record: a completed task took the sum of its
    /// attempts' durations.
    pub fn add_record(&mut self, spec: &TaskSpec, record: &crate::state::task::TaskRecord) {
        let Some(agent) = record.agent.as_deref().or(spec.agent.as_deref()) else {
            return;
        };
        if record.state == TaskState::Completed {
            let took: u64 = record
                .attempts
                .iter()
                .map(|attempt| attempt.duration_ms)
                .sum();
            if took > 0 {
                self.add(agent, spec.task_type, Duration::from_millis(took));
            }
        }
    }

    /// Records that a task of `agent` and `task_type` took `took`.
    pub fn add(&mut self, agent: &str, task_type: TaskType, took: Duration) {
        let entry = self
            .samples
            .entry((agent.to_string(), task_type))
            .or_insert((0, 0));
        entry.0 = entry
            .0
            .saturating_add(u64::try_from(took.as_millis()).unwrap_or(u64::MAX));
        entry.1 = entry.1.saturating_add(1);
    }

    /// Returns the mean duration (ms) and count of the samples matching.
    fn mean(&self, matches: impl Fn(&(String, TaskType)) -> bool) -> Option<(f64, u32)> {
        let (total, count) = self
            .samples
            .iter()
            .filter(|(key, _)| matches(key))
            .fold((0u64, 0u32), |(total, count), (_, (sum, n))| {
                (total.saturating_add(*sum), count.saturating_add(*n))
            });
        (count > 0).then(|| (total as f64 / f64::from(count), count))
    }

    /// Returns the estimated duration of `spec` when `agent` does it.
    pub fn estimate(&self, spec: &TaskSpec, agent: Option<&str>) -> Duration {
        self.known(spec, agent).unwrap_or(DEFAULT_ESTIMATE)
    }

    /// Returns the estimate of `spec`, or `None` when neither its plan nor
    /// any history says anything (the dashboard then counts it unestimated).
    pub fn known(&self, spec: &TaskSpec, agent: Option<&str>) -> Option<Duration> {
        let own = agent.and_then(|agent| {
            self.mean(|(sample_agent, task_type)| {
                sample_agent == agent && *task_type == spec.task_type
            })
        });
        let planned = spec
            .estimate_minutes
            .map(|minutes| f64::from(minutes) * 60_000.0);
        let ms = match (planned, own) {
            (Some(planned), Some((mean, n))) => {
                (2.0 * planned + f64::from(n) * mean) / (f64::from(n) + 2.0)
            }
            (Some(planned), None) => planned,
            (None, Some((mean, _))) => mean,
            (None, None) => self
                .mean(|(_, task_type)| *task_type == spec.task_type)
                .or_else(|| self.mean(|_| true))
                .map(|(mean, _)| mean)?,
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(Duration::from_millis(ms.clamp(1.0, 1e15) as u64))
    }

    /// Returns every task's estimate, in plan order.
    pub fn weights(&self, plan: &Plan) -> Vec<Duration> {
        plan.tasks
            .iter()
            .map(|spec| self.estimate(spec, spec.agent.as_deref()))
            .collect()
    }
}

/// Returns how long `graph`'s tasks take with `parallel` slots, at most one
/// task per agent instance at a time (`slots_of[i]`: the agent of task `i`
/// and its instance count), scheduled in the dispatcher's ready order — the
/// plan's estimated duration, and the ideal the scheduler is measured
/// against. `weights` are the tasks' durations.
pub fn makespan(
    graph: &Graph,
    weights: &[Duration],
    parallel: usize,
    slots_of: &[(String, u32)],
) -> Duration {
    let n = graph.ids.len();
    let parallel = parallel.max(1);
    let mut remaining_deps: Vec<usize> = graph.deps.iter().map(Vec::len).collect();
    let mut busy: BTreeMap<&str, u32> = BTreeMap::new();
    let mut running: Vec<(Duration, usize)> = Vec::new();
    let mut started = vec![false; n];
    let mut now = Duration::ZERO;
    let mut done = 0;
    while done < n {
        let mut ready: Vec<usize> = (0..n)
            .filter(|&i| !started[i] && remaining_deps[i] == 0)
            .collect();
        graph.sort_ready(&mut ready);
        for i in ready {
            if running.len() >= parallel {
                break;
            }
            let (agent, instances) = &slots_of[i];
            let in_use = busy.get(agent.as_str()).copied().unwrap_or(0);
            if in_use >= (*instances).max(1) {
                continue;
            }
            *busy.entry(agent.as_str()).or_insert(0) += 1;
            started[i] = true;
            running.push((now + weights.get(i).copied().unwrap_or_default(), i));
        }
        // Finish the earliest running task (and any ending at the same time).
        let Some(&(end, _)) = running.iter().min_by_key(|(end, i)| (*end, *i)) else {
            break;
        };
        now = end;
        let (finished, still): (Vec<_>, Vec<_>) =
            running.into_iter().partition(|(end, _)| *end <= now);
        running = still;
        for (_, i) in finished {
            done += 1;
            if let Some(in_use) = busy.get_mut(slots_of[i].0.as_str()) {
                *in_use = in_use.saturating_sub(1);
            }
            for &j in &graph.dependents[i] {
                remaining_deps[j] -= 1;
            }
        }
    }
    now
}

/// A plan's estimated duration, as `nexus plan` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanDuration {
    /// The makespan at the given parallelism (see [`makespan`]).
    pub makespan: Duration,
    /// The longest chain of estimated durations.
    pub critical_path: Duration,
    /// The work summed over every task.
    pub work: Duration,
}

/// Returns the estimated duration of `plan` run with `parallel` slots:
/// every task weighed by `history`, at most one task per agent instance at
/// a time (`instances` of an agent; an unassigned task gets a lane of its
/// own). `None` when the plan's graph is not valid.
pub fn plan_duration(
    plan: &Plan,
    history: &History,
    instances: &dyn Fn(&str) -> u32,
    parallel: usize,
) -> Option<PlanDuration> {
    let weights = history.weights(plan);
    let graph = Graph::new(plan).ok()?.with_weights(&weights);
    Some(PlanDuration {
        makespan: makespan(&graph, &weights, parallel, &agent_slots(plan, instances)),
        critical_path: graph
            .critical_path()
            .into_iter()
            .map(|index| weights[index])
            .sum(),
        work: weights.iter().sum(),
    })
}

/// Returns the lanes a plan's tasks run in, a task's each: its agent with
/// that agent's `instances`, or for an unassigned task a lane of its own.
pub fn agent_slots(plan: &Plan, instances: &dyn Fn(&str) -> u32) -> Vec<(String, u32)> {
    plan.tasks
        .iter()
        .map(|spec| match &spec.agent {
            Some(agent) => (agent.clone(), instances(agent)),
            None => (format!("unassigned:{}", spec.id), 1),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::testing;

    fn spec(id: &str, deps: &[&str], minutes: Option<u32>) -> TaskSpec {
        TaskSpec {
            agent: Some(format!("agent-{id}")),
            estimate_minutes: minutes,
            ..testing::task(id, deps)
        }
    }

    #[test]
    fn history_refines_the_plan_estimate() {
        let task = spec("a", &[], Some(10));
        let mut history = History::default();
        assert_eq!(
            history.estimate(&task, Some("code")),
            Duration::from_secs(600)
        );
        for _ in 0..2 {
            history.add("code", TaskType::Implementation, Duration::from_secs(1200));
        }
        // (2·10 + 2·20) / 4 = 15 minutes.
        assert_eq!(
            history.estimate(&task, Some("code")),
            Duration::from_secs(900)
        );
        // Another agent's history does not count for this agent's estimate.
        assert_eq!(
            history.estimate(&task, Some("other")),
            Duration::from_secs(600)
        );
        // No plan estimate: the type's history, else the default.
        let unplanned = spec("b", &[], None);
        assert_eq!(
            history.estimate(&unplanned, Some("other")),
            Duration::from_secs(1200)
        );
        assert_eq!(
            History::default().estimate(&unplanned, None),
            DEFAULT_ESTIMATE
        );
    }

    #[test]
    fn makespan_follows_dependencies_slots_and_instances() {
        let plan = testing::plan(vec![
            spec("a", &[], Some(1)),
            spec("b", &["a"], Some(2)),
            spec("c", &["a"], Some(3)),
            spec("d", &["b", "c"], Some(1)),
        ]);
        let weights = History::default().weights(&plan);
        let graph = Graph::new(&plan).unwrap().with_weights(&weights);
        let own: Vec<(String, u32)> = plan.tasks.iter().map(|task| (task.id.clone(), 1)).collect();
        let minute = Duration::from_secs(60);
        assert_eq!(makespan(&graph, &weights, 4, &own), 5 * minute);
        assert_eq!(makespan(&graph, &weights, 1, &own), 7 * minute);
        let shared = vec![("x".to_string(), 1); 4];
        assert_eq!(makespan(&graph, &weights, 4, &shared), 7 * minute);
        assert_eq!(graph.critical_path(), vec![0, 2, 3]);
        let duration = plan_duration(&plan, &History::default(), &|_| 1, 4).unwrap();
        assert_eq!(duration.makespan, 5 * minute);
        assert_eq!(duration.critical_path, 5 * minute);
        assert_eq!(duration.work, 7 * minute);
        let one = plan_duration(&plan, &History::default(), &|_| 1, 1).unwrap();
        assert_eq!(one.makespan, 7 * minute);
    }
}
