//! `nexus export`: a plan's DAG written for an executor nexus does not
//! own — a Makefile (`make`), a Slurm submission script (`slurm`), a GitHub
//! Actions workflow (`github`) — in which every task is one
//! `nexus run PLAN --task T`, so retries, budgets, sessions, verification
//! and evidence stay nexus's and the executor only orders and places them.
//!
//! The writers are pure functions from an [`Export`] and their options to
//! the file's text; [`load`] builds the [`Export`] from a store (the only
//! part that reads files or knows the dependency graph), and [`quote`]
//! holds the escaping for shell, make and YAML that every writer uses.
//! This module declares the input types and nothing else.

pub mod github;
pub mod load;
pub mod make;
pub mod quote;
pub mod slurm;

use std::collections::BTreeMap;

use crate::state::plan::Priority;

/// A plan as the writers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The plan id.
    pub plan_id: String,
    /// Every task, dependencies before dependents (a topological order that
    /// puts shallower tasks and, among equals, more urgent ones first).
    pub tasks: Vec<ExportTask>,
}

impl Export {
    /// Returns each task's position in [`Export::tasks`], by id.
    pub fn positions(&self) -> BTreeMap<&str, usize> {
        self.tasks
            .iter()
            .enumerate()
            .map(|(position, task)| (task.id.as_str(), position))
            .collect()
    }
}

/// One task of an [`Export`]. Ids are `[A-Za-z0-9_.-]` (checked when the
/// plan is loaded); writers still quote them wherever they go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportTask {
    /// The task id.
    pub id: String,
    /// Ids of the tasks it depends on, each earlier in [`Export::tasks`].
    pub depends_on: Vec<String>,
    /// Its priority.
    pub priority: Priority,
    /// Its agent.
    pub agent: String,
    /// How many tasks of that agent may run at once (its `instances`: one
    /// session each).
    pub agent_instances: u32,
    /// What a batch scheduler's job for it asks for.
    pub resources: Resources,
}

/// What one job asks a batch scheduler for; `None` leaves the scheduler's
/// default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// Partition (queue).
    pub partition: Option<String>,
    /// Time limit, in the scheduler's syntax.
    pub time: Option<String>,
    /// CPUs per task.
    pub cpus_per_task: Option<u32>,
    /// Memory, in the scheduler's syntax.
    pub mem: Option<String>,
}

/// How a job calls nexus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The program: `nexus` (found on the executor's `PATH`) or a path.
    pub program: String,
    /// A `--dir` for every call, when the store must be named.
    pub dir: Option<String>,
}
