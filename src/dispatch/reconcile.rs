//! `nexus reconcile PLAN`: brings a plan's task records up to date after an
//! external executor (Slurm, GitHub Actions, `make -k`) stopped running its
//! tasks, without running any agent.
//!
//! An executor cancels or skips the dependents of a failed task, so their
//! records would stay `pending` forever. Reconciling applies the rule the
//! scheduler applies ([`TaskState::blocks_dependents`], in topological
//! order): a pending task with a failed, blocked, skipped or interrupted
//! dependency becomes `blocked`, with that dependency as the reason. A task
//! left `running` by a runner that is gone (its task lock is free: a job
//! killed with SIGKILL, a lost node) becomes `interrupted`, as the next
//! `run` would record it, and so blocks its dependents too.
//!
//! Locks follow `run --task`: the plan lock shared (so a whole-plan `run`
//! makes reconcile fail fast with exit 4, and the other way round) and a
//! task's lock while its record is re-read and rewritten; a task whose lock
//! is held has a live runner and is left alone.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use crate::exit::{Kind, tagged};
use crate::plan::graph::Graph;
use crate::state::fs;
use crate::state::lock;
use crate::state::plan::Plan;
use crate::state::store::Store;
use crate::state::task::{TaskRecord, TaskState};
use crate::time::Timestamp;

/// One task record that reconciling changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The task.
    pub task: String,
    /// Its state before.
    pub from: TaskState,
    /// Its state now.
    pub to: TaskState,
    /// Why.
    pub reason: String,
}

/// What reconciling a plan did and left.
#[derive(Debug, Clone, Serialize)]
pub struct Reconciled {
    /// Schema of this document (`nexus reconcile --json`).
    pub schema: u32,
    /// The plan.
    pub plan_id: String,
    /// Every record changed, in topological order.
    pub changes: Vec<Change>,
    /// How many tasks are in each state afterwards.
    pub counts: BTreeMap<String, usize>,
    /// Tasks left running by a live runner (their records were not touched).
    pub running: Vec<String>,
}

impl Reconciled {
    /// Returns whether some task failed or cannot run (failed, blocked,
    /// skipped or interrupted).
    pub fn has_failures(&self) -> bool {
        TaskState::ALL
            .iter()
            .filter(|state| state.blocks_dependents())
            .any(|state| {
                self.counts
                    .get(state.name())
                    .is_some_and(|count| *count > 0)
            })
    }
}

/// Reconciles `plan`'s task records (see the module docs); `command` is
/// recorded as the writer of each changed record.
pub fn reconcile(store: &Store, plan: &Plan, now: Timestamp, command: &str) -> Result<Reconciled> {
    let graph = Graph::new(plan).map_err(|problem| {
        tagged(
            Kind::PlanInvalid,
            format!("plan `{}` cannot be reconciled: {problem}", plan.id),
        )
    })?;
    let plan_what = format!("plan `{}`", plan.id);
    let _plan_lock = lock::try_shared(&store.plan_lock(&plan.id), &plan_what)?;
    let mut task_locks = lock::KeyedLocks::open(&store.task_locks(&plan.id))?;
    let mut records: Vec<TaskRecord> = graph
        .ids
        .iter()
        .map(|id| store.load_task(&plan.id, id))
        .collect::<Result<_>>()?;
    let mut changes = Vec::new();
    let mut running = Vec::new();
    for index in graph.order() {
        let id = &graph.ids[index];
        let state = records[index].state;
        let blocking = graph.deps[index]
            .iter()
            .copied()
            .find(|&dep| records[dep].state.blocks_dependents());
        let worth_a_look = match state {
            TaskState::Running => true,
            TaskState::Pending => blocking.is_some(),
            _ => false,
        };
        if !worth_a_look {
            continue;
        }
        if !task_locks.try_lock(id)? {
            // A live runner owns it; its record is its runner's to write.
            running.push(id.clone());
            continue;
        }
        // Re-read under the lock: a runner may have finished meanwhile.
        let mut record = store.load_task(&plan.id, id)?;
        if record.state != state {
            records[index] = record;
            continue;
        }
        let reason = match (state, blocking) {
            (TaskState::Running, _) => {
                record.runner_gone(now);
                record.reason.clone().unwrap_or_default()
            }
            (_, Some(dep)) => record.block(&graph.ids[dep], records[dep].state),
            (_, None) => continue,
        };
        record.updated_at = Some(now);
        record.updated_by = command.to_string();
        fs::write_json(&store.task_path(&plan.id, id), &record)?;
        changes.push(Change {
            task: id.clone(),
            from: state,
            to: record.state,
            reason,
        });
        records[index] = record;
        task_locks.unlock(id);
    }
    let mut counts = BTreeMap::new();
    for record in &records {
        *counts.entry(record.state.name().to_string()).or_insert(0) += 1;
    }
    Ok(Reconciled {
        schema: 1,
        plan_id: plan.id.clone(),
        changes,
        counts,
        running,
    })
}
