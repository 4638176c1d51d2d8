//! The dispatcher's decisions, as pure state: which tasks are blocked, which
//! are skipped for the budget, which ready task starts next and on which
//! agent instance, and when a failed attempt is retried. It takes events
//! (an attempt's cost, a task's end) and returns decisions; it never spawns
//! a process or touches a file, so every rule has a unit test of its own
//! (the split nextest's runner made between its dispatcher and executors).
//!
//! Ready order: priority, then the longest remaining path *in time* (each
//! task weighted by its estimated duration, see `plan::estimate`), then plan
//! order. At most `parallel` tasks run, and at most one turn per agent
//! instance. The budget reserves each running task's estimated cost (the
//! mean reported cost so far, or the per-task cap) and runs one task at a
//! time while no cost is known yet.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::plan::graph::Graph;
use crate::state::outcome::Outcome;
use crate::state::task::TaskState;

/// One task as the dispatcher sees it.
#[derive(Debug, Clone)]
pub struct TaskView {
    /// Its state.
    pub state: TaskState,
    /// Its agent (assigned before a run starts).
    pub agent: Option<String>,
    /// Whether this run may still start it.
    pub pending: bool,
    /// The agent instance it runs on.
    pub running_on: Option<(String, u32)>,
    /// The part of the budget it is expected to spend while it runs.
    pub reserved: f64,
}

/// What the dispatcher decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The task cannot run: a dependency did not complete.
    Block {
        /// The task.
        index: usize,
        /// The dependency at fault.
        dependency: usize,
        /// That dependency's state.
        state: TaskState,
    },
    /// The task is skipped: the budget does not cover it.
    Skip {
        /// The task.
        index: usize,
        /// Why, with the figures.
        reason: String,
    },
    /// The task starts now on this instance of its agent.
    Launch {
        /// The task.
        index: usize,
        /// The agent instance.
        instance: u32,
        /// The cost cap for its turns, when a budget applies.
        max_budget_usd: Option<f64>,
    },
}

/// The plan budget.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    /// The plan's limit in USD (0 = none).
    pub max_cost_usd: f64,
    /// The per-task cap in USD (0 = none).
    pub task_max_usd: f64,
    /// What the plan has spent so far.
    pub spent: f64,
    /// Every reported cost of an attempt so far (for the estimate).
    pub costs_seen: Vec<f64>,
}

impl Budget {
    /// Returns the per-task cap, when set.
    fn task_cap(&self) -> Option<f64> {
        (self.task_max_usd > 0.0).then_some(self.task_max_usd)
    }

    /// Returns what the next task is expected to cost.
    fn estimate(&self) -> f64 {
        self.task_cap().unwrap_or_else(|| {
            if self.costs_seen.is_empty() {
                0.0
            } else {
                self.costs_seen.iter().sum::<f64>() / self.costs_seen.len() as f64
            }
        })
    }
}

/// The dispatcher's state for one run.
#[derive(Debug)]
pub struct RunState {
    graph: Graph,
    tasks: Vec<TaskView>,
    /// Agent id → instances.
    instances: BTreeMap<String, u32>,
    parallel: usize,
    budget: Budget,
    /// `run --task`: one task, whatever its dependencies' states.
    single_task: bool,
    /// Tasks in this run's scope, in topological order.
    order: Vec<usize>,
    running: usize,
    busy: BTreeMap<(String, u32), usize>,
    stopping: bool,
}

impl RunState {
    /// Returns the state of a run over `scope` (task indices) of `graph`.
    /// `tasks` holds every task of the plan; those with `pending` set may
    /// start.
    pub fn new(
        graph: Graph,
        tasks: Vec<TaskView>,
        scope: &[usize],
        instances: BTreeMap<String, u32>,
        parallel: usize,
        budget: Budget,
        single_task: bool,
    ) -> Self {
        let mut in_scope = vec![false; tasks.len()];
        for &index in scope {
            in_scope[index] = true;
        }
        let order = graph
            .order()
            .into_iter()
            .filter(|&index| in_scope[index])
            .collect();
        RunState {
            graph,
            tasks,
            instances,
            parallel: parallel.max(1),
            budget,
            single_task,
            order,
            running: 0,
            busy: BTreeMap::new(),
            stopping: false,
        }
    }

    /// Returns a task's view.
    pub fn task(&self, index: usize) -> &TaskView {
        &self.tasks[index]
    }

    /// Returns how many tasks are running.
    pub fn running(&self) -> usize {
        self.running
    }

    /// Returns the budget.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// Returns the graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Stops launching (a signal arrived); running tasks finish.
    pub fn stop(&mut self) {
        self.stopping = true;
    }

    /// Returns whether the run is stopping.
    pub fn stopping(&self) -> bool {
        self.stopping
    }

    /// Decides what happens now: blocks tasks whose dependencies failed,
    /// skips tasks the budget cannot cover, launches ready tasks while slots
    /// and agent instances are free. `instance_locked` tells whether an agent
    /// instance's session is in use by another process (`run --task` runs
    /// share instances with other processes). The decisions are already
    /// applied to this state.
    pub fn decide(&mut self, instance_locked: &dyn Fn(&str, u32) -> bool) -> Vec<Decision> {
        let mut decisions = Vec::new();
        if self.stopping {
            return decisions;
        }
        // A task skipped for the budget can block others: go round again.
        loop {
            let before = decisions.len();
            self.block(&mut decisions);
            let skipped = self.launch(&mut decisions, instance_locked);
            if !skipped || decisions.len() == before {
                break;
            }
        }
        decisions
    }

    /// Blocks, in dependency order, the pending tasks that depend on a task
    /// that failed, was blocked, skipped or interrupted and will not run.
    fn block(&mut self, decisions: &mut Vec<Decision>) {
        if self.single_task {
            return;
        }
        for position in 0..self.order.len() {
            let index = self.order[position];
            if !self.tasks[index].pending {
                continue;
            }
            let failed = self.graph.deps[index].iter().copied().find(|&dep| {
                let task = &self.tasks[dep];
                task.state.blocks_dependents() && !task.pending && task.running_on.is_none()
            });
            if let Some(dependency) = failed {
                let task = &mut self.tasks[index];
                task.pending = false;
                task.state = TaskState::Blocked;
                decisions.push(Decision::Block {
                    index,
                    dependency,
                    state: self.tasks[dependency].state,
                });
            }
        }
    }

    /// Returns the pending tasks whose dependencies are done, in ready order.
    pub fn ready(&self) -> Vec<usize> {
        let mut ready: Vec<usize> = self
            .order
            .iter()
            .copied()
            .filter(|&index| self.tasks[index].pending)
            .filter(|&index| {
                self.single_task
                    || self.graph.deps[index]
                        .iter()
                        .all(|&dep| self.tasks[dep].state == TaskState::Completed)
            })
            .collect();
        self.graph.sort_ready(&mut ready);
        ready
    }

    /// Launches ready tasks; returns whether one was skipped for the budget.
    fn launch(
        &mut self,
        decisions: &mut Vec<Decision>,
        instance_locked: &dyn Fn(&str, u32) -> bool,
    ) -> bool {
        let mut skipped = false;
        for index in self.ready() {
            if self.running >= self.parallel {
                break;
            }
            let Some(agent) = self.tasks[index].agent.clone() else {
                continue;
            };
            let Some(instance) = self.free_instance(&agent, instance_locked) else {
                continue;
            };
            let (max_budget_usd, reserve) = match self.budget_for_next() {
                BudgetCheck::Wait => break,
                BudgetCheck::Refuse(reason) => {
                    let task = &mut self.tasks[index];
                    task.pending = false;
                    task.state = TaskState::Skipped;
                    decisions.push(Decision::Skip { index, reason });
                    skipped = true;
                    continue;
                }
                BudgetCheck::Allow { cap, reserve } => (cap, reserve),
            };
            self.running += 1;
            self.busy.insert((agent.clone(), instance), index);
            let task = &mut self.tasks[index];
            task.pending = false;
            task.state = TaskState::Running;
            task.reserved = reserve;
            task.running_on = Some((agent, instance));
            decisions.push(Decision::Launch {
                index,
                instance,
                max_budget_usd,
            });
        }
        skipped
    }

    /// Returns the agent instance a task of `agent` takes: in this process,
    /// the first not busy; with `--task` (other processes may run this agent
    /// too) the first whose session is not locked elsewhere either, else
    /// instance 0 (whose lock the turn then waits for).
    fn free_instance(
        &self,
        agent: &str,
        instance_locked: &dyn Fn(&str, u32) -> bool,
    ) -> Option<u32> {
        let instances = self.instances.get(agent).copied().unwrap_or(1);
        let free = |instance: &u32| !self.busy.contains_key(&(agent.to_string(), *instance));
        if self.single_task {
            (0..instances)
                .find(|instance| free(instance) && !instance_locked(agent, *instance))
                .or(Some(0))
        } else {
            (0..instances).find(free)
        }
    }

    /// Decides whether the budget lets one more task start.
    fn budget_for_next(&self) -> BudgetCheck {
        let cap = self.budget.task_cap();
        if self.budget.max_cost_usd <= 0.0 {
            return BudgetCheck::Allow { cap, reserve: 0.0 };
        }
        let reserved: f64 = self.tasks.iter().map(|task| task.reserved).sum();
        let remaining = self.budget.max_cost_usd - self.budget.spent - reserved;
        if cap.is_none() && self.budget.costs_seen.is_empty() && self.running > 0 {
            // Nothing tells what a task costs yet: run one at a time until
            // the first attempt reports its cost.
            return BudgetCheck::Wait;
        }
        let estimate = self.budget.estimate();
        if remaining <= 0.0 || estimate > remaining {
            return BudgetCheck::Refuse(format!(
                "budget: ${:.4} spent and ${reserved:.4} reserved by running tasks of ${:.4}, next task estimated at ${estimate:.4}",
                self.budget.spent, self.budget.max_cost_usd
            ));
        }
        BudgetCheck::Allow {
            cap: Some(cap.map_or(remaining, |cap| cap.min(remaining))),
            reserve: estimate,
        }
    }

    /// Returns the cost cap the next task would get (what `--dry-run`
    /// shows), or `None` when no budget applies or none is left.
    pub fn next_cap(&self) -> Option<f64> {
        match self.budget_for_next() {
            BudgetCheck::Allow { cap, .. } => cap,
            BudgetCheck::Wait | BudgetCheck::Refuse(_) => None,
        }
    }

    /// Records what an attempt cost. Only a reported cost tells what a task
    /// costs: a crash or an interruption at $0 must not lift the
    /// one-at-a-time rule.
    pub fn attempt_finished(&mut self, cost_usd: f64) {
        self.budget.spent += cost_usd;
        if cost_usd > 0.0 {
            self.budget.costs_seen.push(cost_usd);
        }
    }

    /// Records that a running task ended in `state`, freeing its instance.
    pub fn task_finished(&mut self, index: usize, state: TaskState) {
        let task = &mut self.tasks[index];
        if let Some(key) = task.running_on.take() {
            self.busy.remove(&key);
            self.running = self.running.saturating_sub(1);
        }
        task.reserved = 0.0;
        task.state = state;
    }
}

/// What the budget says about the next task.
enum BudgetCheck {
    /// Start it with this cap, reserving this much.
    Allow { cap: Option<f64>, reserve: f64 },
    /// Wait for a running task to report a cost.
    Wait,
    /// Skip it.
    Refuse(String),
}

/// Returns the delay before retrying a task whose attempt `attempt_index`
/// (0-based) ended in `outcome`, or `None` when it is not retried: the
/// outcome cannot get better by trying again, or the retries are used up.
/// A permission denial gets one retry (the agent is told which tools it may
/// use). The delay doubles from `backoff`.
pub fn retry_delay(
    outcome: RetryCause,
    attempt_index: u32,
    retries: u32,
    backoff: Duration,
) -> Option<Duration> {
    let allowed = match outcome {
        RetryCause::Turn(outcome) => outcome.retryable(),
        RetryCause::PermissionDenied => attempt_index == 0,
        RetryCause::VerificationFailed | RetryCause::MergeConflict | RetryCause::ChecksFailed => {
            true
        }
        RetryCause::Fatal => false,
    };
    if !allowed || attempt_index >= retries {
        return None;
    }
    Some(backoff.saturating_mul(1 << attempt_index.min(10)))
}

/// Why an attempt did not complete its task, for [`retry_delay`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryCause {
    /// The agent's turn failed so.
    Turn(Outcome),
    /// Tools were denied.
    PermissionDenied,
    /// The agent succeeded but verification failed.
    VerificationFailed,
    /// The task's work conflicted with its plan's integration branch.
    MergeConflict,
    /// The merged tree failed the plan's merge checks.
    ChecksFailed,
    /// Nothing another attempt could change (a broken worktree, a failed
    /// setup command).
    Fatal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::testing;
    use crate::state::plan::{Plan, Priority, TaskSpec};

    fn plan(tasks: &[(&str, &[&str], Priority, u32)]) -> Plan {
        testing::plan(
            tasks
                .iter()
                .map(|(id, deps, priority, minutes)| TaskSpec {
                    agent: Some(format!("agent-{id}")),
                    priority: *priority,
                    estimate_minutes: Some(*minutes),
                    ..testing::task(id, deps)
                })
                .collect(),
        )
    }

    fn state(plan: &Plan, parallel: usize, budget: Budget) -> RunState {
        let weights: Vec<Duration> = plan
            .tasks
            .iter()
            .map(|task| Duration::from_secs(60 * u64::from(task.estimate_minutes.unwrap_or(1))))
            .collect();
        let graph = Graph::new(plan).unwrap().with_weights(&weights);
        let tasks: Vec<TaskView> = plan
            .tasks
            .iter()
            .map(|task| TaskView {
                state: TaskState::Pending,
                agent: task.agent.clone(),
                pending: true,
                running_on: None,
                reserved: 0.0,
            })
            .collect();
        let instances = plan
            .tasks
            .iter()
            .filter_map(|task| task.agent.clone())
            .map(|agent| (agent, 1))
            .collect();
        let scope: Vec<usize> = (0..plan.tasks.len()).collect();
        RunState::new(graph, tasks, &scope, instances, parallel, budget, false)
    }

    fn never_locked(_: &str, _: u32) -> bool {
        false
    }

    fn launched(decisions: &[Decision]) -> Vec<usize> {
        decisions
            .iter()
            .filter_map(|decision| match decision {
                Decision::Launch { index, .. } => Some(*index),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn priority_comes_first_then_the_longest_path_in_time_then_plan_order() {
        // `short_chain` heads two tasks of 1 minute; `long` is one task of 30
        // minutes: by task count the chain looks longer, by time it is not.
        let plan = plan(&[
            ("short_chain", &[], Priority::Medium, 1),
            ("a", &["short_chain"], Priority::Medium, 1),
            ("b", &["a"], Priority::Medium, 1),
            ("long", &[], Priority::Medium, 30),
            ("tie", &[], Priority::Medium, 1),
            ("urgent", &[], Priority::Critical, 1),
        ]);
        let mut state = state(&plan, 1, Budget::default());
        assert_eq!(state.ready(), vec![5, 3, 0, 4]);
        let decisions = state.decide(&never_locked);
        assert_eq!(launched(&decisions), vec![5], "one slot: the critical task");
    }

    #[test]
    fn parallel_slots_and_one_turn_per_instance_are_respected() {
        let mut plan = plan(&[
            ("a", &[], Priority::Medium, 5),
            ("b", &[], Priority::Medium, 4),
            ("c", &[], Priority::Medium, 3),
            ("d", &[], Priority::Medium, 2),
        ]);
        // a and b share one agent with one instance.
        plan.tasks[1].agent = plan.tasks[0].agent.clone();
        let mut state = state(&plan, 2, Budget::default());
        let first = launched(&state.decide(&never_locked));
        assert_eq!(first, vec![0, 2], "b waits for its agent's only instance");
        assert!(
            launched(&state.decide(&never_locked)).is_empty(),
            "slots full"
        );
        state.task_finished(0, TaskState::Completed);
        assert_eq!(launched(&state.decide(&never_locked)), vec![1]);
    }

    #[test]
    fn an_agent_with_two_instances_runs_two_tasks_on_different_instances() {
        let mut plan = plan(&[
            ("a", &[], Priority::Medium, 1),
            ("b", &[], Priority::Medium, 1),
        ]);
        plan.tasks[1].agent = plan.tasks[0].agent.clone();
        let mut state = state(&plan, 4, Budget::default());
        state.instances.insert("agent-a".into(), 2);
        let decisions = state.decide(&never_locked);
        let instances: Vec<u32> = decisions
            .iter()
            .filter_map(|decision| match decision {
                Decision::Launch { instance, .. } => Some(*instance),
                _ => None,
            })
            .collect();
        assert_eq!(instances, vec![0, 1]);
    }

    #[test]
    fn a_failed_task_blocks_its_dependents_in_dependency_order() {
        let plan = plan(&[
            ("a", &[], Priority::Medium, 1),
            ("b", &["a"], Priority::Medium, 1),
            ("c", &["b"], Priority::Medium, 1),
            ("d", &[], Priority::Medium, 1),
        ]);
        let mut state = state(&plan, 4, Budget::default());
        assert_eq!(launched(&state.decide(&never_locked)), vec![0, 3]);
        state.task_finished(0, TaskState::Failed);
        let decisions = state.decide(&never_locked);
        assert_eq!(
            decisions,
            vec![
                Decision::Block {
                    index: 1,
                    dependency: 0,
                    state: TaskState::Failed
                },
                Decision::Block {
                    index: 2,
                    dependency: 1,
                    state: TaskState::Blocked
                },
            ]
        );
    }

    #[test]
    fn the_budget_reserves_running_tasks_and_waits_for_a_first_cost() {
        let plan = plan(&[
            ("a", &[], Priority::Medium, 1),
            ("b", &[], Priority::Medium, 1),
            ("c", &[], Priority::Medium, 1),
            ("d", &[], Priority::Medium, 1),
        ]);
        let mut state = state(
            &plan,
            4,
            Budget {
                max_cost_usd: 1.0,
                ..Budget::default()
            },
        );
        let first = state.decide(&never_locked);
        assert_eq!(
            launched(&first),
            vec![0],
            "one at a time until a cost is known"
        );
        assert!(
            matches!(first[0], Decision::Launch { max_budget_usd: Some(cap), .. } if (cap - 1.0).abs() < 1e-9)
        );
        state.attempt_finished(0.4);
        state.task_finished(0, TaskState::Completed);
        // $0.6 left, $0.4 per task: one more fits with its reservation.
        let next = state.decide(&never_locked);
        assert_eq!(launched(&next), vec![1]);
        let skipped: Vec<usize> = next
            .iter()
            .filter_map(|decision| match decision {
                Decision::Skip { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        assert_eq!(skipped, vec![2, 3], "the rest would pass the budget");
    }

    #[test]
    fn a_per_task_cap_is_the_estimate_and_lets_tasks_start_together() {
        let plan = plan(&[
            ("a", &[], Priority::Medium, 1),
            ("b", &[], Priority::Medium, 1),
        ]);
        let mut state = state(
            &plan,
            4,
            Budget {
                max_cost_usd: 1.0,
                task_max_usd: 0.5,
                ..Budget::default()
            },
        );
        let decisions = state.decide(&never_locked);
        assert_eq!(launched(&decisions), vec![0, 1]);
        for decision in decisions {
            if let Decision::Launch { max_budget_usd, .. } = decision {
                assert_eq!(max_budget_usd, Some(0.5));
            }
        }
    }

    #[test]
    fn a_stopping_run_launches_nothing() {
        let plan = plan(&[("a", &[], Priority::Medium, 1)]);
        let mut state = state(&plan, 4, Budget::default());
        state.stop();
        assert!(state.decide(&never_locked).is_empty());
    }

    #[test]
    fn a_single_task_run_takes_a_free_instance_or_waits_for_the_first() {
        let mut plan = plan(&[
            ("a", &[], Priority::Medium, 1),
            ("b", &["a"], Priority::Medium, 1),
        ]);
        plan.tasks[0].agent = plan.tasks[1].agent.clone();
        let graph = Graph::new(&plan).unwrap();
        let tasks = vec![
            TaskView {
                state: TaskState::Pending,
                agent: plan.tasks[0].agent.clone(),
                pending: false,
                running_on: None,
                reserved: 0.0,
            },
            TaskView {
                state: TaskState::Pending,
                agent: plan.tasks[1].agent.clone(),
                pending: true,
                running_on: None,
                reserved: 0.0,
            },
        ];
        let instances = BTreeMap::from([("agent-b".to_string(), 2)]);
        let mut state = RunState::new(graph, tasks, &[1], instances, 1, Budget::default(), true);
        let locked_0 = |_: &str, instance: u32| instance == 0;
        let decisions = state.decide(&locked_0);
        assert_eq!(
            decisions,
            vec![Decision::Launch {
                index: 1,
                instance: 1,
                max_budget_usd: None
            }],
            "`--task` runs whatever its dependencies' states, on a free instance"
        );
    }

    #[test]
    fn retries_are_due_for_retryable_outcomes_with_doubling_delays() {
        let backoff = Duration::from_secs(5);
        let api = RetryCause::Turn(Outcome::ApiError);
        assert_eq!(
            retry_delay(api, 0, 2, backoff),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_delay(api, 1, 2, backoff),
            Some(Duration::from_secs(10))
        );
        assert_eq!(retry_delay(api, 2, 2, backoff), None, "retries used up");
        assert_eq!(
            retry_delay(RetryCause::Turn(Outcome::MaxTurns), 0, 2, backoff),
            None
        );
        assert_eq!(
            retry_delay(RetryCause::PermissionDenied, 0, 2, backoff),
            Some(backoff),
            "one retry, told which tools it may use"
        );
        assert_eq!(
            retry_delay(RetryCause::PermissionDenied, 1, 2, backoff),
            None
        );
        assert_eq!(
            retry_delay(RetryCause::VerificationFailed, 0, 1, backoff),
            Some(backoff)
        );
        assert!(retry_delay(api, 0, 100, Duration::from_secs(u64::MAX / 2)).is_some());
    }
}
