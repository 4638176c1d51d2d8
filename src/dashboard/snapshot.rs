//! Reads the whole `.nexus` once — agents, plans, task records, sessions and
//! the run locks — into a [`Snapshot`] that the dashboard, the task view and
//! the metrics are computed from. Readers take no lock (writes are atomic);
//! a file that does not parse becomes a [`Problem`] naming it, never an error.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::state::agent::Agent;
use crate::state::fs::{self, Versioned};
use crate::state::lock::{self, Holder, Probe};
use crate::state::plan::Plan;
use crate::state::session::SessionRecord;
use crate::state::store::Store;
use crate::state::task::{TaskRecord, TaskState};

/// A file that could not be read, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The file, as a path (absolute when the store's is).
    pub file: String,
    /// What is wrong with it (the parser's message, naming the file).
    pub error: String,
}

impl Problem {
    /// Returns a problem for `path` from an error.
    pub fn new(path: &Path, error: &anyhow::Error) -> Self {
        Problem {
            file: path.display().to_string(),
            error: format!("{error:#}"),
        }
    }
}

/// One agent file: its id (the file stem) and, when it parses, the agent.
#[derive(Debug, Clone)]
pub struct LoadedAgent {
    /// The id (file stem).
    pub id: String,
    /// The profile, `None` when the file is malformed.
    pub agent: Option<Agent>,
}

impl LoadedAgent {
    /// Returns the number of instances (1 for an unreadable file).
    pub fn instances(&self) -> u32 {
        self.agent
            .as_ref()
            .map_or(1, |agent| agent.instances.max(1))
    }
}

/// One task of a loaded plan: the record (`None` when its file is malformed)
/// and, for a running task, whether a live process owns it.
#[derive(Debug, Clone)]
pub struct LoadedTask {
    /// The record; a missing file is a pending record.
    pub record: Option<TaskRecord>,
    /// For a `running` record: whether its task lock (or an exclusive plan
    /// lock) is held right now.
    pub owner_live: bool,
}

impl LoadedTask {
    /// Returns the state as shown: the record's, `stale` for a running task
    /// without a live owner, `unreadable` for a malformed file.
    pub fn shown_state(&self) -> &'static str {
        match &self.record {
            None => "unreadable",
            Some(record) if record.state == TaskState::Running && !self.owner_live => "stale",
            Some(record) => record.state.name(),
        }
    }
}

/// A run that holds a plan's lock right now.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// The plan.
    pub plan_id: String,
    /// `plan` (a whole-plan run, exclusive lock) or `task` (`run --task`).
    pub mode: &'static str,
    /// The task, for a `task` run.
    pub task_id: Option<String>,
    /// The holder's pid, when it recorded itself.
    pub pid: Option<u32>,
    /// The holder's host.
    pub host: Option<String>,
    /// When it took the lock.
    pub since: Option<crate::time::Timestamp>,
    /// Its command line.
    pub command: Option<String>,
}

impl RunInfo {
    fn new(
        plan_id: &str,
        mode: &'static str,
        task_id: Option<&str>,
        holder: Option<Holder>,
    ) -> Self {
        RunInfo {
            plan_id: plan_id.to_string(),
            mode,
            task_id: task_id.map(str::to_string),
            pid: holder.as_ref().map(|holder| holder.pid),
            host: holder.as_ref().map(|holder| holder.host.clone()),
            since: holder.as_ref().map(|holder| holder.since),
            command: holder.map(|holder| holder.command),
        }
    }
}

/// A plan and its tasks (in plan order, parallel to `plan.tasks`).
#[derive(Debug, Clone)]
pub struct LoadedPlan {
    /// The plan.
    pub plan: Plan,
    /// One entry per `plan.tasks`.
    pub tasks: Vec<LoadedTask>,
    /// Runs holding this plan's locks now.
    pub runs: Vec<RunInfo>,
}

/// Everything read from one `.nexus`.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The `.nexus` directory.
    pub nexus_dir: String,
    /// Agents by id.
    pub agents: Vec<LoadedAgent>,
    /// Plans sorted by creation time, then id.
    pub plans: Vec<LoadedPlan>,
    /// Session records that parse.
    pub sessions: Vec<SessionRecord>,
    /// Files that could not be read.
    pub problems: Vec<Problem>,
    /// The orchestrator's name (`[orchestrator] name`).
    pub orchestrator: String,
    /// The machine usage percentages are relative to.
    pub machine: crate::dashboard::figures::Machine,
}

impl Snapshot {
    /// Reads the store. Only a directory that cannot be listed is an error.
    pub fn load(store: &Store) -> Result<Self> {
        let mut problems = Vec::new();
        let mut agents = Vec::new();
        for id in store.agent_ids()? {
            let path = store.agent_path(&id);
            let agent = match Agent::load(&path) {
                Ok(agent) => Some(agent),
                Err(error) => {
                    problems.push(Problem::new(&path, &error));
                    None
                }
            };
            agents.push(LoadedAgent { id, agent });
        }
        let mut plans = Vec::new();
        for plan_id in store.plan_ids()? {
            let path = store.plan_path(&plan_id);
            match store.load_plan(&plan_id) {
                Ok(plan) => plans.push(load_plan(store, plan, &mut problems)),
                Err(error) => problems.push(Problem::new(&path, &error)),
            }
        }
        plans.sort_by(|a, b| (a.plan.created_at, &a.plan.id).cmp(&(b.plan.created_at, &b.plan.id)));
        let mut sessions = Vec::new();
        for name in fs::list_dir(&store.sessions_dir())? {
            if !name.ends_with(".json") {
                continue;
            }
            let path = store.sessions_dir().join(&name);
            match fs::read_json::<SessionRecord>(&path) {
                Ok(session) => sessions.push(session),
                Err(error) => problems.push(Problem::new(&path, &error)),
            }
        }
        let orchestrator = match store.load_config() {
            Ok(config) => config.orchestrator.name,
            Err(error) => {
                problems.push(Problem::new(&store.config_path(), &error));
                crate::state::config::OrchestratorConfig::default().name
            }
        };
        Ok(Snapshot {
            nexus_dir: store.root().display().to_string(),
            agents,
            plans,
            sessions,
            problems,
            orchestrator,
            machine: crate::dashboard::figures::Machine::detect(),
        })
    }

    /// Returns the loaded plan with exactly this id.
    pub fn plan(&self, plan_id: &str) -> Option<&LoadedPlan> {
        self.plans.iter().find(|loaded| loaded.plan.id == plan_id)
    }
}

/// Reads a task record with one parse in the common case; falls back to the
/// store's reader (which names the file, line and field) when it fails.
fn read_task(store: &Store, plan_id: &str, task_id: &str) -> Result<TaskRecord> {
    let path = store.task_path(plan_id, task_id);
    let Some(text) = fs::read_optional(&path)? else {
        return Ok(TaskRecord::pending(task_id));
    };
    if let Ok(record) = serde_json::from_str::<TaskRecord>(&text)
        && (1..=TaskRecord::SCHEMA).contains(&record.schema)
        && record.task_id == task_id
    {
        return Ok(record);
    }
    store.load_task(plan_id, task_id)
}

fn load_plan(store: &Store, plan: Plan, problems: &mut Vec<Problem>) -> LoadedPlan {
    let plan_lock = store.plan_lock(&plan.id);
    let task_locks = store.task_locks(&plan.id);
    let plan_probe = lock::probe(&plan_lock);
    let mut runs = Vec::new();
    if plan_probe == Probe::Exclusive {
        runs.push(RunInfo::new(
            &plan.id,
            "plan",
            None,
            lock::recorded_holder(&plan_lock),
        ));
    }
    let mut tasks = Vec::with_capacity(plan.tasks.len());
    for spec in &plan.tasks {
        let record = match read_task(store, &plan.id, &spec.id) {
            Ok(record) => Some(record),
            Err(error) => {
                problems.push(Problem::new(&store.task_path(&plan.id, &spec.id), &error));
                None
            }
        };
        let running = record
            .as_ref()
            .is_some_and(|record| record.state == TaskState::Running);
        let mut owner_live = false;
        if running {
            // A whole-plan run may not lock each task; its exclusive plan lock
            // vouches for every task it runs. A `--task` run locks its task.
            let task_held = lock::key_is_held(&task_locks, &spec.id);
            if task_held && plan_probe != Probe::Exclusive {
                runs.push(RunInfo::new(
                    &plan.id,
                    "task",
                    Some(&spec.id),
                    record.as_ref().and_then(|record| {
                        // A `--task` run's holder is the task record's owner.
                        let owner = record.owner.as_ref()?;
                        Some(Holder {
                            pid: owner.pid,
                            host: owner.host.clone(),
                            since: record.attempts.last().map(|attempt| attempt.started_at)?,
                            command: record.updated_by.clone(),
                        })
                    }),
                ));
            }
            owner_live = task_held || plan_probe == Probe::Exclusive;
        }
        tasks.push(LoadedTask { record, owner_live });
    }
    LoadedPlan { plan, tasks, runs }
}
