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

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, anyhow};
use tokio::sync::mpsc;

use crate::agents::runtime::Runtime;
use crate::dispatch::event::{Event, EventKind, Summary};
use crate::dispatch::prompt::{gather_upstream, task_prompt, verify_commands};
use crate::dispatch::state::{Budget, Decision, RunState, TaskView};
use crate::dispatch::worker::{Job, Report, TaskEnd, work_task};
use crate::exit::{Kind, tagged, tagged_hint};
use crate::plan::estimate::History;
use crate::plan::graph::Graph;
use crate::proc::signals::{Stop, StopReceiver};
use crate::state::agent::Agent;
use crate::state::fs;
use crate::state::lock::{self, Holder, KeyedLocks};
use crate::state::outcome::AttemptOutcome;
use crate::state::plan::Plan;
use crate::state::store::Store;
use crate::state::task::{Owner, TaskRecord, TaskState};
use crate::time::Timestamp;

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

/// Returns the plan's dependency graph, or the plan-invalid error naming the
/// problem (unknown dependency, cycle).
pub(crate) fn graph(plan: &Plan) -> Result<Graph> {
    Graph::new(plan).map_err(|problem| {
        tagged(
            Kind::PlanInvalid,
            format!("plan `{}` cannot run: {problem}", plan.id),
        )
    })
}

/// Returns the index of `task` in the plan, or a usage error.
pub(crate) fn task_index(plan: &Plan, graph: &Graph, task: &str) -> Result<usize> {
    graph.ids.iter().position(|id| id == task).ok_or_else(|| {
        tagged_hint(
            Kind::Usage,
            format!("plan `{}` has no task `{task}`", plan.id),
            format!("`nexus status {}` lists its tasks", plan.id),
        )
    })
}

/// Returns whether a task in `state` runs: completed ones never; failed and
/// blocked ones with `--retry-failed` or when named by `--task`; the rest
/// (pending, interrupted, skipped) always.
pub(crate) fn will_run(state: TaskState, options: &RunOptions) -> bool {
    match state {
        TaskState::Completed => false,
        TaskState::Failed | TaskState::Blocked => options.retry_failed || options.task.is_some(),
        TaskState::Pending | TaskState::Running | TaskState::Interrupted | TaskState::Skipped => {
            true
        }
    }
}

/// Returns the commands a run of `plan` with `options` may execute: the
/// `verify` commands (the task's, then its agent's) of every task in scope
/// that will run, with where each comes from.
pub fn commands_to_run(
    store: &Store,
    plan: &Plan,
    options: &RunOptions,
) -> Result<Vec<crate::state::trust::Committed>> {
    let mut found = Vec::new();
    for spec in &plan.tasks {
        if options.task.as_ref().is_some_and(|task| *task != spec.id) {
            continue;
        }
        if !will_run(store.load_task(&plan.id, &spec.id)?.state, options) {
            continue;
        }
        let Some(agent_id) = &spec.agent else {
            continue;
        };
        let agent = store.load_agent(agent_id)?;
        for command in crate::dispatch::prompt::verify_commands(spec, &agent) {
            let source = if spec.verify.contains(&command) {
                format!("plan `{}` task `{}` verify", plan.id, spec.id)
            } else {
                format!("agent `{}` verify", agent.id)
            };
            found.push(crate::state::trust::Committed { command, source });
        }
    }
    let workspace = &store.load_config()?.workspace;
    if workspace.mode == crate::state::config::WorkspaceMode::Worktree {
        found.extend(crate::state::trust::workspace_commands(workspace));
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// The state the shell keeps per task.
struct Slot {
    record: TaskRecord,
    attempts_at_start: usize,
    /// The result text of a task completed in this run (what dependents get,
    /// without waiting for the file).
    result: Option<String>,
    /// Orders this task's file writes: a write older than the newest one
    /// already on disk is dropped.
    written: Arc<std::sync::Mutex<u64>>,
    sequence: u64,
}

/// Task-file writes run on the blocking pool, so the dispatcher never waits
/// for an fsync; each task's writes stay in order (see `Slot::written`).
#[derive(Default)]
struct Writes {
    handles: Vec<tokio::task::JoinHandle<Result<()>>>,
}

impl Writes {
    /// Waits for every write; returns the first error.
    async fn finish(&mut self) -> Result<()> {
        let mut first = None;
        for handle in self.handles.drain(..) {
            let outcome = handle
                .await
                .map_err(|error| anyhow!("a state write panicked: {error}"))
                .and_then(|done| done);
            if let Err(error) = outcome {
                first.get_or_insert(error);
            }
        }
        first.map_or(Ok(()), Err)
    }
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

    fn write(&mut self, slot: &mut Slot) -> Result<()> {
        self.write_with(slot, None)
    }

    /// Queues a write of the task file; `first` (the result file) is written
    /// before it in the same job, so a task is never `completed` on disk
    /// without its result.
    fn write_with(
        &mut self,
        slot: &mut Slot,
        first: Option<(std::path::PathBuf, Vec<u8>)>,
    ) -> Result<()> {
        slot.record.updated_at = Some(self.now());
        slot.record.updated_by.clone_from(&self.command);
        // An older record is upgraded on its next real write.
        slot.record.schema = <TaskRecord as crate::state::fs::Versioned>::SCHEMA;
        let path = self
            .runtime
            .store
            .task_path(&self.plan.id, &slot.record.task_id);
        let bytes = fs::to_json_bytes(&slot.record)?;
        slot.sequence += 1;
        let sequence = slot.sequence;
        let written = slot.written.clone();
        self.writes
            .handles
            .push(tokio::task::spawn_blocking(move || {
                let mut last = written
                    .lock()
                    .map_err(|_| anyhow!("a task-file write panicked"))?;
                if let Some((first_path, first_bytes)) = first {
                    fs::write_atomic(&first_path, &first_bytes)?;
                }
                if *last < sequence {
                    fs::write_atomic(&path, &bytes)?;
                    *last = sequence;
                }
                Ok(())
            }));
        Ok(())
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

    /// In a git repository (and unless `[workspace] mode = "shared"`):
    /// opens the project's workspaces, drops git's records of worktrees
    /// whose directory is gone, and records the plan's base and integration
    /// branch the first time it runs.
    fn open_workspaces(&mut self) -> Result<()> {
        let runtime = self.runtime.clone();
        let ui = &runtime.ctx.ui;
        match crate::workspace::Workspaces::open(
            &runtime.store,
            &runtime.config.workspace,
            runtime.ctx.env(),
        )? {
            Err(shared) => {
                if shared == crate::workspace::Shared::NotARepository {
                    ui.note(shared.note());
                }
            }
            Ok(workspaces) => {
                workspaces.claim_root()?;
                workspaces.prune_records()?;
                let plan_workspace = crate::workspace::begin_plan(
                    &runtime.store,
                    &workspaces,
                    &self.plan.id,
                    self.options.base.as_deref(),
                    self.now(),
                    &mut |note| ui.note(note),
                )?;
                self.workspace = Some((workspaces, plan_workspace));
            }
        }
        Ok(())
    }

    /// Takes the plan lock and the locks of the tasks in scope, then reads
    /// every task record; returns the locks (held for the run), the scope
    /// and the slots.
    fn lock_and_load(&self) -> Result<(lock::LockGuard, KeyedLocks, Vec<usize>, Vec<Slot>)> {
        let store = &self.runtime.store;
        let plan_id = &self.plan.id;
        let holder = Holder::current(self.now());
        let plan_lock_path = store.plan_lock(plan_id);
        let what = format!("plan `{plan_id}`");
        let (plan_lock, scope) = match &self.options.task {
            None => (
                lock::try_exclusive(&plan_lock_path, &what, &holder)?,
                (0..self.graph.ids.len()).collect(),
            ),
            Some(task) => {
                let index = task_index(&self.plan, &self.graph, task)?;
                (lock::try_shared(&plan_lock_path, &what)?, vec![index])
            }
        };
        // Take the locks of the tasks in scope before reading any record: a
        // record read before its lock may be stale (another `run --task`
        // finishing it), and the task would run twice. A busy one fails the
        // run before anything is written.
        let mut task_locks = KeyedLocks::open(&store.task_locks(plan_id))?;
        for &index in &scope {
            let task_id = &self.graph.ids[index];
            if !task_locks.try_lock(task_id)? {
                return Err(task_busy(store, plan_id, task_id));
            }
        }
        let mut slots = Vec::with_capacity(self.graph.ids.len());
        for id in &self.graph.ids {
            let record = store.load_task(plan_id, id)?;
            slots.push(Slot {
                attempts_at_start: record.attempts.len(),
                record,
                result: None,
                written: Arc::new(std::sync::Mutex::new(0)),
                sequence: 0,
            });
        }
        Ok((plan_lock, task_locks, scope, slots))
    }

    /// `--task`: refuses (before any state changes) when a dependency is
    /// unfinished, unless `--force`; says so when the task is done already.
    fn check_single_task(&mut self, index: usize, slots: &[Slot]) -> Result<()> {
        let Some(task) = self.options.task.clone() else {
            return Ok(());
        };
        if !self.options.force {
            let unfinished: Vec<String> = self.graph.deps[index]
                .iter()
                .filter(|&&dep| slots[dep].record.state != TaskState::Completed)
                .map(|&dep| format!("`{}` ({})", self.graph.ids[dep], slots[dep].record.state))
                .collect();
            if !unfinished.is_empty() {
                return Err(tagged_hint(
                    Kind::TasksFailed,
                    format!(
                        "task `{task}` of plan `{}` depends on unfinished tasks: {}",
                        self.plan.id,
                        unfinished.join(", ")
                    ),
                    "run those first, or pass `--force`",
                ));
            }
        }
        if slots[index].record.state == TaskState::Completed {
            self.task_event(
                EventKind::TaskSkipped,
                index,
                Some("already completed".into()),
            );
        }
        Ok(())
    }

    /// Marks a `running` task whose lock we could take as interrupted: its
    /// runner is gone.
    fn repair_stale(&mut self, slot: &mut Slot) -> Result<()> {
        if slot.record.state != TaskState::Running {
            return Ok(());
        }
        slot.record.runner_gone(self.now());
        self.write(slot)
    }

    /// Returns the dispatcher's state for this run: which tasks may start,
    /// the graph weighted by estimated durations (for a whole-plan run, where
    /// the order matters), the agents' instances and the budget.
    fn run_state(&mut self, scope: &[usize], slots: &mut [Slot]) -> Result<RunState> {
        let mut views: Vec<TaskView> = slots
            .iter()
            .zip(&self.plan.tasks)
            .map(|(slot, spec)| TaskView {
                state: slot.record.state,
                agent: spec.agent.clone(),
                pending: false,
                running_on: None,
                reserved: 0.0,
            })
            .collect();
        for &index in scope {
            let state = slots[index].record.state;
            views[index].pending = will_run(state, &self.options);
            if views[index].pending && state != TaskState::Pending {
                slots[index].record.state = TaskState::Pending;
                slots[index].record.reason = None;
                views[index].state = TaskState::Pending;
                self.write(&mut slots[index])?;
            }
        }
        let graph = if self.options.task.is_none() {
            let history = History::from_store(&self.runtime.store);
            self.graph
                .clone()
                .with_weights(&history.weights(&self.plan))
        } else {
            self.graph.clone()
        };
        let instances = self
            .agents
            .iter()
            .map(|(id, agent)| (id.clone(), agent.instances))
            .collect();
        let budget = Budget {
            max_cost_usd: self.options.max_cost_usd,
            task_max_usd: self.runtime.config.run.task_max_budget_usd,
            spent: slots.iter().map(|slot| slot.record.cost_usd).sum(),
            costs_seen: slots
                .iter()
                .flat_map(|slot| slot.record.attempts.iter())
                .map(|attempt| attempt.cost_usd)
                .filter(|cost| *cost > 0.0)
                .collect(),
        };
        Ok(RunState::new(
            graph,
            views,
            scope,
            instances,
            self.options.parallel.max(1) as usize,
            budget,
            self.options.task.is_some(),
        ))
    }

    async fn run_inner(
        &mut self,
        stop: StopReceiver,
        scope: Vec<usize>,
        mut slots: Vec<Slot>,
    ) -> Result<Summary> {
        let started = Instant::now();
        let plan_id = self.plan.id.clone();
        if let Some(&index) = scope.first().filter(|_| self.options.task.is_some()) {
            self.check_single_task(index, &slots)?;
        }
        for &index in &scope {
            self.repair_stale(&mut slots[index])?;
        }
        let mut state = self.run_state(&scope, &mut slots)?;
        let spent_before = state.budget().spent;
        self.event(
            Event::new(EventKind::RunStarted, self.now(), &plan_id),
            None,
        );

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
                self.apply(decision, &mut slots, &state, &mut workers, &stop)?;
            }
            if state.running() == 0 {
                break;
            }
            tokio::select! {
                report = receiver.recv() => {
                    let Some(report) = report else { break };
                    self.handle(report, &mut slots, &mut state)?;
                }
                Some(joined) = workers.set.join_next_with_id(), if !workers.set.is_empty() => {
                    if let Err(error) = joined {
                        // A worker that panicked never reported its end.
                        if let Some(index) = workers.tasks.get(&error.id()).copied() {
                            let end = TaskEnd::Failed { reason: format!("its worker failed: {error}") };
                            self.handle(Report::Finished { index, end }, &mut slots, &mut state)?;
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
        let interrupted = state.stopping() || *stop.borrow() != Stop::None;
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for &index in &scope {
            *counts
                .entry(slots[index].record.state.name().to_string())
                .or_insert(0) += 1;
        }
        let all_completed = scope
            .iter()
            .all(|&index| slots[index].record.state == TaskState::Completed);
        let unpriced_turns = scope
            .iter()
            .flat_map(|&index| {
                let slot = &slots[index];
                slot.record.attempts[slot.attempts_at_start.min(slot.record.attempts.len())..]
                    .iter()
            })
            .fold(0u32, |sum, attempt| {
                sum.saturating_add(attempt.unpriced_turns)
            });
        let summary = Summary {
            counts: counts.clone(),
            unpriced_turns,
            cost_usd: state.budget().spent - spent_before,
            wall_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            interrupted,
            all_completed,
        };
        self.event(
            Event {
                counts: Some(counts),
                cost_usd: Some(summary.cost_usd),
                unpriced_turns: Some(summary.unpriced_turns).filter(|count| *count > 0),
                duration_ms: Some(summary.wall_ms),
                ..Event::new(EventKind::RunFinished, self.now(), &plan_id)
            },
            None,
        );
        Ok(summary)
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

    /// Starts a task's worker on `instance` of its agent.
    #[allow(clippy::too_many_arguments)]
    fn launch(
        &mut self,
        index: usize,
        instance: u32,
        max_budget_usd: Option<f64>,
        slots: &mut [Slot],
        state: &RunState,
        workers: &mut Workers,
        stop: &StopReceiver,
    ) -> Result<()> {
        let spec = self.plan.tasks[index].clone();
        let agent_id = spec.agent.clone().unwrap_or_default();
        let agent = self
            .agents
            .get(&agent_id)
            .cloned()
            .ok_or_else(|| anyhow!("agent `{agent_id}` vanished during the run"))?;
        let store = self.runtime.store.clone();
        let plan_id = self.plan.id.clone();
        let upstream = gather_upstream(
            &self.plan,
            &self.graph,
            index,
            |dep| {
                slots[dep].result.clone().or_else(|| {
                    store
                        .load_result(&plan_id, &self.graph.ids[dep])
                        .ok()
                        .flatten()
                })
            },
            |dep| slots[dep].record.agent.clone(),
        );
        let verify = verify_commands(&spec, &agent);
        let mut prompt = task_prompt(&self.plan, &spec, &upstream, &verify);
        if let Some(reason) = slots[index]
            .record
            .workspace
            .as_ref()
            .filter(|workspace| workspace.merge == crate::state::task::MergeState::Rejected)
            .and(slots[index].record.reason.as_deref())
        {
            prompt.push_str(&format!(
                "\n## Your previous work on this task was rejected\nA person took it back out of the plan's branch: {}\nDo the task again from the current state of the project, addressing that.\n",
                reason.trim_start_matches("rejected: ")
            ));
        }
        let max_turns = self
            .runtime
            .backend(&agent)
            .and_then(|backend| backend.settings(&self.runtime.config, Some(&agent), true))
            .map_or(1, |settings| settings.max_turns);
        let slot = &mut slots[index];
        slot.record.state = TaskState::Running;
        slot.record.agent = Some(agent_id);
        slot.record.instance = Some(instance);
        slot.record.reason = None;
        slot.record.progress = Some(0);
        slot.record.finished_at = None;
        slot.record.owner = Some(Owner {
            pid: std::process::id(),
            host: lock::hostname(),
        });
        if slot.record.started_at.is_none() {
            slot.record.started_at = Some(self.runtime.ctx.now());
        }
        debug_assert!(state.task(index).running_on.is_some());
        let run_config = &self.runtime.config.run;
        let job = Job {
            index,
            plan: self.plan.clone(),
            spec,
            agent,
            instance,
            prompt,
            retries: run_config.retries,
            backoff: run_config.retry_backoff.0,
            max_budget_usd,
            verify,
            log_path: store.task_log_path(&self.plan.id, &self.graph.ids[index]),
            cwd: store.project_root(),
            max_turns,
            workspace: self.workspace.as_ref().map(|(workspaces, plan_workspace)| {
                let queued = slots[index]
                    .record
                    .workspace
                    .as_ref()
                    .filter(|state| state.merge == crate::state::task::MergeState::Queued)
                    .and_then(|state| state.head.clone());
                Arc::new(crate::dispatch::worker::JobWorkspace {
                    workspaces: workspaces.clone(),
                    plan: plan_workspace.clone(),
                    branch: crate::workspace::Workspaces::task_branch(
                        &self.plan.id,
                        &self.graph.ids[index],
                    ),
                    queued,
                })
            }),
        };
        let handle = workers.set.spawn(work_task(
            self.runtime.clone(),
            job,
            stop.clone(),
            workers.sender.clone(),
        ));
        workers.tasks.insert(handle.id(), index);
        Ok(())
    }

    fn handle(&mut self, report: Report, slots: &mut [Slot], state: &mut RunState) -> Result<()> {
        let plan_id = self.plan.id.clone();
        // A task that already ended (its worker panicked and was ended for
        // it) takes no more reports.
        if state.task(report.index()).running_on.is_none() {
            return Ok(());
        }
        match report {
            Report::Session { index, session_id } => {
                let slot = &mut slots[index];
                slot.record.session_id = Some(session_id.clone());
                if let Some(attempt) = slot.record.attempts.last_mut() {
                    attempt.session_id = Some(session_id);
                }
                // Written with the next progress or the end of the attempt.
            }
            Report::Progress { index, percent } => {
                let slot = &mut slots[index];
                if slot
                    .record
                    .progress
                    .is_none_or(|old| percent >= old.saturating_add(5))
                {
                    slot.record.progress = Some(percent);
                    self.write(slot)?;
                }
            }
            Report::AttemptStarted { index, mut attempt } => {
                let slot = &mut slots[index];
                attempt.number = u32::try_from(slot.record.attempts.len() + 1).unwrap_or(u32::MAX);
                let number = attempt.number;
                slot.record.attempts.push(attempt);
                self.write(slot)?;
                self.event(
                    Event {
                        attempt: Some(number),
                        ..Event::new(EventKind::TaskStarted, self.now(), &plan_id)
                    },
                    Some(index),
                );
            }
            Report::AttemptFinished {
                index,
                attempt,
                retrying,
            } => self.attempt_finished(index, attempt, retrying, slots, state)?,
            Report::Workspace { index, workspace } => {
                slots[index].record.workspace = Some(workspace);
                self.write(&mut slots[index])?;
            }
            Report::Finished { index, end } => self.finished(index, end, slots, state)?,
        }
        Ok(())
    }

    fn attempt_finished(
        &mut self,
        index: usize,
        mut attempt: crate::state::task::Attempt,
        retrying: Option<std::time::Duration>,
        slots: &mut [Slot],
        state: &mut RunState,
    ) -> Result<()> {
        let plan_id = self.plan.id.clone();
        let slot = &mut slots[index];
        if let Some(last) = slot.record.attempts.last_mut() {
            attempt.number = last.number;
            *last = attempt.clone();
        }
        slot.record.add_usage(&attempt.usage());
        if attempt.session_id.is_some() {
            slot.record.session_id.clone_from(&attempt.session_id);
        }
        state.attempt_finished(attempt.cost_usd);
        if attempt.leaked {
            self.event(
                Event {
                    attempt: Some(attempt.number),
                    reason: Some("the agent left a process holding its output open after it exited; its group was killed".into()),
                    ..Event::new(EventKind::AgentLeaked, self.now(), &plan_id)
                },
                Some(index),
            );
        }
        if let Some(delay) = retrying {
            self.write(&mut slots[index])?;
            self.event(
                Event {
                    attempt: Some(attempt.number),
                    reason: attempt
                        .reason
                        .clone()
                        .map(|reason| format!("{}: {reason}", attempt.outcome)),
                    duration_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(0)),
                    cost_usd: Some(attempt.cost_usd),
                    unpriced_turns: Some(attempt.unpriced_turns).filter(|count| *count > 0),
                    ..Event::new(EventKind::TaskRetrying, self.now(), &plan_id)
                },
                Some(index),
            );
        }
        Ok(())
    }

    fn finished(
        &mut self,
        index: usize,
        end: TaskEnd,
        slots: &mut [Slot],
        state: &mut RunState,
    ) -> Result<()> {
        let plan_id = self.plan.id.clone();
        let now = self.runtime.ctx.now();
        let slot = &mut slots[index];
        slot.record.owner = None;
        slot.record.finished_at = Some(now);
        // An attempt still open here never reported its end (its worker
        // failed): close it with the task's reason.
        let open_reason = match &end {
            TaskEnd::Failed { reason } | TaskEnd::Interrupted { reason } => reason.clone(),
            TaskEnd::Completed { .. } => String::new(),
        };
        if let Some(attempt) = slot
            .record
            .attempts
            .last_mut()
            .filter(|attempt| attempt.finished_at.is_none())
        {
            attempt.finished_at = Some(now);
            attempt.outcome = AttemptOutcome::Error;
            attempt.reason = Some(open_reason);
        }
        let this_run = slot.record.attempts
            [slot.attempts_at_start.min(slot.record.attempts.len())..]
            .iter()
            .fold((0.0, 0u64, 0u32), |(cost, ms, unpriced), attempt| {
                (
                    cost + attempt.cost_usd,
                    ms + attempt.duration_ms,
                    unpriced.saturating_add(attempt.unpriced_turns),
                )
            });
        let attempt = slot.record.attempts.last().map(|attempt| attempt.number);
        let mut result_file = None;
        let (kind, reason, new_state) = match end {
            TaskEnd::Completed { summary, result } => {
                let path = self
                    .runtime
                    .store
                    .result_path(&plan_id, &slot.record.task_id);
                result_file = Some((path, format!("{}\n", result.trim_end()).into_bytes()));
                slot.result = Some(result);
                slot.record.summary = Some(summary);
                slot.record.reason = None;
                slot.record.progress = Some(100);
                (EventKind::TaskCompleted, None, TaskState::Completed)
            }
            TaskEnd::Failed { reason } => {
                slot.record.reason = Some(reason.clone());
                slot.record.progress = None;
                (EventKind::TaskFailed, Some(reason), TaskState::Failed)
            }
            TaskEnd::Interrupted { reason } => {
                slot.record.reason = Some(reason.clone());
                slot.record.progress = None;
                (
                    EventKind::TaskInterrupted,
                    Some(reason),
                    TaskState::Interrupted,
                )
            }
        };
        slot.record.state = new_state;
        state.task_finished(index, new_state);
        self.write_with(&mut slots[index], result_file)?;
        let session_id = slots[index].record.session_id.clone();
        self.event(
            Event {
                session_id,
                attempt,
                duration_ms: Some(this_run.1),
                cost_usd: Some(this_run.0),
                unpriced_turns: Some(this_run.2).filter(|count| *count > 0),
                reason,
                ..Event::new(kind, self.now(), &plan_id)
            },
            Some(index),
        );
        Ok(())
    }
}

/// Returns the busy error for a task another process is running, naming
/// its runner from the task record.
fn task_busy(store: &Store, plan_id: &str, task_id: &str) -> anyhow::Error {
    let runner = store
        .load_task(plan_id, task_id)
        .ok()
        .and_then(|record| record.owner)
        .map_or_else(
            || "held by another nexus process".to_string(),
            |owner| format!("being run by pid {} on host `{}`", owner.pid, owner.host),
        );
    tagged_hint(
        Kind::Busy,
        format!("task `{task_id}` of plan `{plan_id}` is busy: {runner}"),
        format!(
            "wait for it to finish; the lock is in `{}`",
            store.task_locks(plan_id).display()
        ),
    )
}

/// Assigns the unassigned tasks of a plan (as `nexus assign` does) under the
/// plan's edit lock, re-reading the plan inside the lock so parallel
/// `--task` runs agree; returns the plan as written.
pub fn ensure_assigned(store: &Store, plan_id: &str) -> Result<Plan> {
    let plan = store.load_plan(plan_id)?;
    if plan.tasks.iter().all(|task| task.agent.is_some()) {
        store.check_plan_agents(&plan)?;
        return Ok(plan);
    }
    let _guard = store.lock_plan_edit(plan_id)?;
    let mut plan = store.load_plan(plan_id)?;
    crate::plan::assign::assign_unassigned(store, &mut plan)?;
    fs::write_json(&store.plan_path(plan_id), &plan)?;
    store.check_plan_agents(&plan)?;
    Ok(plan)
}
