//! The scheduler: the thin async shell that runs a plan. It takes the locks,
//! reads the task records, and then loops: ask the dispatcher's pure state
//! (`state::RunState`) what to do, apply its decisions (write the task
//! files, spawn a `worker` per launched task, emit events), and feed it what
//! the workers report, until nothing runs.
//!
//! The scheduler is the only writer of task state. A task's lock (a byte of
//! `locks/plan-<plan>.tasks.lock`) is held while it runs, and the plan lock
//! (`locks/plan-<plan>.lock`) for the whole run — exclusive for a whole-plan
//! run, shared for `--task` runs, so `make -j` can run different tasks of one
//! plan side by side while a second whole-plan run fails fast (busy). Task
//! records are read only once the locks are held.
//!
//! Task-file writes go to the blocking pool so the dispatcher never waits on
//! an fsync; a per-task sequence number keeps them in order (the newest
//! wins), a completed task's result is written before its record in the same
//! job, and every queued write is awaited before `run` returns. See the
//! README ("Benchmarks") for what these choices cost.
//!
//! Its parts: what a run covers (`scope`), opening it (`start`: locks,
//! records, workspaces, budget), launching a task (`launch`), applying the
//! workers' reports (`reports`) and the task-file writes (`writes`).

mod launch;
mod reports;
mod scope;
mod start;
mod writes;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use tokio::sync::mpsc;

use crate::agents::runtime::Runtime;
use crate::dispatch::event::{Event, EventKind, Summary};
use crate::dispatch::state::{Decision, RunState};
use crate::dispatch::worker::{Report, TaskEnd};
use crate::exit::{Kind, tagged_hint};
use crate::plan::graph::Graph;
use crate::proc::signals::{Stop, StopReceiver};
use crate::state::agent::Agent;
use crate::state::lock;
use crate::state::plan::Plan;
use crate::state::task::TaskState;
use crate::time::Timestamp;

pub use scope::{commands_to_run, ensure_assigned};
pub(crate) use scope::{graph, task_index, will_run};
use writes::{Slot, Writes};

/// How a run was asked for.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Tasks at the same time.
    pub parallel: u32,
    /// Plan budget in USD (0 = none).
    pub max_cost_usd: f64,
    /// Run failed and blocked tasks again.
    pub retry_failed: bool,
    /// Run exactly this task.
    pub task: Option<String>,
    /// With `task`: ignore unfinished dependencies.
    pub force: bool,
    /// In worktree mode, the commit a plan's first run starts from (else
    /// `HEAD`).
    pub base: Option<String>,
}

/// The workers of a run and the channel they report on.
struct Workers {
    set: tokio::task::JoinSet<usize>,
    tasks: BTreeMap<tokio::task::Id, usize>,
    sender: mpsc::UnboundedSender<Report>,
}

/// Runs a plan (or one task of it). `emit` receives every event.
pub struct Scheduler<'a> {
    /// The plan's workspaces and place in git, in worktree mode.
    workspace: Option<(
        crate::workspace::Workspaces,
        crate::state::workspace::PlanWorkspace,
    )>,
    runtime: Arc<Runtime>,
    plan: Arc<Plan>,
    graph: Graph,
    agents: BTreeMap<String, Agent>,
    options: RunOptions,
    emit: &'a mut dyn FnMut(&Event),
    command: String,
    writes: Writes,
}

impl<'a> Scheduler<'a> {
    /// Prepares a run: loads agents, builds the graph.
    pub fn new(
        runtime: Arc<Runtime>,
        plan: Plan,
        options: RunOptions,
        emit: &'a mut dyn FnMut(&Event),
    ) -> Result<Self> {
        let graph = graph(&plan)?;
        let agents: BTreeMap<String, Agent> = runtime
            .store
            .load_agents()?
            .into_iter()
            .map(|agent| (agent.id.clone(), agent))
            .collect();
        for task in &plan.tasks {
            let Some(agent) = &task.agent else {
                return Err(tagged_hint(
                    Kind::Usage,
                    format!("task `{}` of plan `{}` has no agent", task.id, plan.id),
                    format!("run `nexus assign {}`", plan.id),
                ));
            };
            if !agents.contains_key(agent) {
                runtime.store.check_plan_agents(&plan)?;
            }
        }
        if options.max_cost_usd > 0.0 {
            // A budget cannot count a turn nobody can price.
            runtime.check_costs_known(
                plan.tasks
                    .iter()
                    .filter_map(|task| task.agent.as_ref())
                    .filter_map(|id| agents.get(id)),
            )?;
        }
        let command: Vec<String> = std::env::args().collect();
        Ok(Scheduler {
            workspace: None,
            runtime,
            plan: Arc::new(plan),
            graph,
            agents,
            options,
            emit,
            command: command.join(" "),
            writes: Writes::default(),
        })
    }

    fn now(&self) -> Timestamp {
        self.runtime.ctx.now()
    }

    fn event(&mut self, mut event: Event, index: Option<usize>) {
        if let Some(index) = index {
            event.task = Some(self.graph.ids[index].clone());
            if event.agent.is_none() {
                event.agent = self.plan.tasks[index].agent.clone();
            }
        }
        (self.emit)(&event);
    }

    fn task_event(&mut self, kind: EventKind, index: usize, reason: Option<String>) {
        let event = Event {
            reason,
            ..Event::new(kind, self.now(), &self.plan.id)
        };
        self.event(event, Some(index));
    }

    /// Runs to the end (or a signal); returns the summary.
    pub async fn run(mut self, stop: StopReceiver) -> Result<Summary> {
        let (plan_lock, task_locks, scope, slots) = self.lock_and_load()?;
        self.open_workspaces()?;
        let outcome = self.run_inner(stop, scope, slots).await;
        // Every queued state write lands before we return, error or not, and
        // before the locks go: another `run --task` that takes them next
        // must read what this run wrote.
        let writes = self.writes.finish().await;
        drop(task_locks);
        drop(plan_lock);
        let summary = outcome?;
        writes?;
        Ok(summary)
    }

    /// The run itself: the `--task` checks, stale tasks repaired, then the
    /// event loop; returns the summary.
    async fn run_inner(
        &mut self,
        stop: StopReceiver,
        scope: Vec<usize>,
        mut slots: Vec<Slot>,
    ) -> Result<Summary> {
        let started = Instant::now();
        if let Some(&index) = scope.first().filter(|_| self.options.task.is_some()) {
            self.check_single_task(index, &slots)?;
        }
        for &index in &scope {
            self.repair_stale(&mut slots[index])?;
        }
        let mut state = self.run_state(&scope, &mut slots)?;
        let spent_before = state.budget().spent;
        self.event(
            Event::new(EventKind::RunStarted, self.now(), &self.plan.id),
            None,
        );
        self.event_loop(&stop, &mut slots, &mut state).await?;
        let interrupted = state.stopping() || *stop.borrow() != Stop::None;
        let (counts, all_completed, unpriced_turns) = Self::tally(&scope, &slots);
        let summary = Summary {
            counts,
            unpriced_turns,
            cost_usd: state.budget().spent - spent_before,
            wall_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            interrupted,
            all_completed,
        };
        self.event(
            Event {
                counts: Some(summary.counts.clone()),
                cost_usd: Some(summary.cost_usd),
                unpriced_turns: Some(summary.unpriced_turns).filter(|count| *count > 0),
                duration_ms: Some(summary.wall_ms),
                ..Event::new(EventKind::RunFinished, self.now(), &self.plan.id)
            },
            None,
        );
        Ok(summary)
    }

    /// Asks the dispatcher what to do and does it, then waits for a
    /// worker's report, a worker's end or a signal, until nothing runs.
    async fn event_loop(
        &mut self,
        stop: &StopReceiver,
        slots: &mut [Slot],
        state: &mut RunState,
    ) -> Result<()> {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Report>();
        let mut workers = Workers {
            set: tokio::task::JoinSet::new(),
            tasks: BTreeMap::new(),
            sender,
        };
        if *stop.borrow() != Stop::None {
            state.stop();
        }
        let mut stop_watch = stop.clone();
        let store = self.runtime.store.clone();
        loop {
            let locked =
                |agent: &str, instance: u32| lock::is_held(&store.session_lock(agent, instance));
            for decision in state.decide(&locked) {
                self.apply(decision, slots, state, &mut workers, stop)?;
            }
            if state.running() == 0 {
                break;
            }
            tokio::select! {
                report = receiver.recv() => {
                    let Some(report) = report else { break };
                    self.handle(report, slots, state)?;
                }
                Some(joined) = workers.set.join_next_with_id(), if !workers.set.is_empty() => {
                    if let Err(error) = joined {
                        // A worker that panicked never reported its end.
                        if let Some(index) = workers.tasks.get(&error.id()).copied() {
                            let end = TaskEnd::Failed { reason: format!("its worker failed: {error}") };
                            self.handle(Report::Finished { index, end }, slots, state)?;
                        }
                    }
                }
                _ = stop_watch.changed(), if !state.stopping() => {
                    if *stop_watch.borrow() != Stop::None {
                        state.stop();
                    }
                }
            }
        }
        Ok(())
    }

    /// Returns the tasks in scope counted by state, whether all of them
    /// completed, and the unpriced turns of this run's attempts.
    fn tally(scope: &[usize], slots: &[Slot]) -> (BTreeMap<String, usize>, bool, u32) {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for &index in scope {
            *counts
                .entry(slots[index].record.state.name().to_string())
                .or_insert(0) += 1;
        }
        let all_completed = scope
            .iter()
            .all(|&index| slots[index].record.state == TaskState::Completed);
        let unpriced_turns = scope
            .iter()
            .flat_map(|&index| slots[index].this_run())
            .fold(0u32, |sum, attempt| {
                sum.saturating_add(attempt.unpriced_turns)
            });
        (counts, all_completed, unpriced_turns)
    }

    /// Applies one of the dispatcher's decisions.
    fn apply(
        &mut self,
        decision: Decision,
        slots: &mut [Slot],
        state: &RunState,
        workers: &mut Workers,
        stop: &StopReceiver,
    ) -> Result<()> {
        match decision {
            Decision::Block {
                index,
                dependency,
                state: dependency_state,
            } => {
                let reason = slots[index]
                    .record
                    .block(&self.graph.ids[dependency], dependency_state);
                self.write(&mut slots[index])?;
                self.task_event(EventKind::TaskBlocked, index, Some(reason));
            }
            Decision::Skip { index, reason } => {
                slots[index].record.state = TaskState::Skipped;
                slots[index].record.reason = Some(reason.clone());
                self.write(&mut slots[index])?;
                self.task_event(EventKind::TaskSkipped, index, Some(reason));
            }
            Decision::Launch {
                index,
                instance,
                max_budget_usd,
            } => self.launch(index, instance, max_budget_usd, slots, state, workers, stop)?,
        }
        Ok(())
    }
}
