//! Opening a run: the locks and the task records, the workspaces, the
//! checks of a `--task` run, and the dispatcher's starting state with its
//! budget.

use anyhow::Result;

use super::writes::Slot;
use super::{Scheduler, task_index, will_run};
use crate::dispatch::event::EventKind;
use crate::dispatch::state::{Budget, RunState, TaskView};
use crate::exit::{Kind, tagged_hint};
use crate::plan::estimate::History;
use crate::state::lock::{self, Holder, KeyedLocks};
use crate::state::store::Store;
use crate::state::task::TaskState;

impl Scheduler<'_> {
    /// In a git repository (and unless `[workspace] mode = "shared"`):
    /// opens the project's workspaces, drops git's records of worktrees
    /// whose directory is gone, and records the plan's base and integration
    /// branch the first time it runs.
    pub(super) fn open_workspaces(&mut self) -> Result<()> {
        let runtime = self.runtime.clone();
        let ui = &runtime.ctx.ui;
        match crate::workspace::Workspaces::open(
            &runtime.store,
            &runtime.config.workspace,
            runtime.ctx.env(),
        )? {
            Err(shared) => ui.note(shared.note()),
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
    pub(super) fn lock_and_load(
        &self,
    ) -> Result<(lock::LockGuard, KeyedLocks, Vec<usize>, Vec<Slot>)> {
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
            slots.push(Slot::new(store.load_task(plan_id, id)?));
        }
        Ok((plan_lock, task_locks, scope, slots))
    }

    /// `--task`: refuses (before any state changes) when a dependency is
    /// unfinished, unless `--force`; says so when the task is done already.
    pub(super) fn check_single_task(&mut self, index: usize, slots: &[Slot]) -> Result<()> {
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
    pub(super) fn repair_stale(&mut self, slot: &mut Slot) -> Result<()> {
        if slot.record.state != TaskState::Running {
            return Ok(());
        }
        slot.record.runner_gone(self.now());
        self.write(slot)
    }

    /// Returns the dispatcher's state for this run: which tasks may start,
    /// the graph weighted by estimated durations (for a whole-plan run, where
    /// the order matters), the agents' instances and the budget.
    pub(super) fn run_state(&mut self, scope: &[usize], slots: &mut [Slot]) -> Result<RunState> {
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
        Ok(RunState::new(
            graph,
            views,
            scope,
            instances,
            self.options.parallel.max(1) as usize,
            self.budget(slots),
            self.options.task.is_some(),
        ))
    }

    /// Returns the run's budget: the plan's cap (`--max-cost`), each task's
    /// cap, what the plan has spent so far and the costs of its attempts.
    fn budget(&self, slots: &[Slot]) -> Budget {
        Budget {
            max_cost_usd: self.options.max_cost_usd,
            task_max_usd: self.runtime.config.run.task_max_budget_usd,
            spent: slots.iter().map(|slot| slot.record.cost_usd).sum(),
            costs_seen: slots
                .iter()
                .flat_map(|slot| slot.record.attempts.iter())
                .map(|attempt| attempt.cost_usd)
                .filter(|cost| *cost > 0.0)
                .collect(),
        }
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
