//! The `.nexus` directory: where each file lives, finding the directory,
//! and loading the files that many commands need.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::exit::{Kind, tagged, tagged_hint, with_hint};
use crate::ids;
use crate::state::agent::Agent;
use crate::state::config::Config;
use crate::state::fs;
use crate::state::lock::{self, LockGuard};
use crate::state::plan::Plan;
use crate::state::task::TaskRecord;

/// The name of the state directory.
pub const DIR_NAME: &str = ".nexus";

/// A `.nexus` directory and the paths inside it.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    lock_timeout: Duration,
}

impl Store {
    /// Returns the store at `root` (the `.nexus` directory itself, which
    /// need not exist yet): its canonical path, registered so that nothing
    /// under it is read or written through a symlink (see `state::confine`).
    /// A `.nexus` that is itself a symlink is refused.
    pub fn open(root: &Path, lock_timeout: Duration) -> Result<Self> {
        let root = crate::state::confine::canonical_root(root)?;
        crate::state::confine::confine(&root);
        Ok(Store { root, lock_timeout })
    }

    /// Finds `.nexus` by walking up from `start`, like git finds `.git`.
    pub fn find(start: &Path) -> Option<PathBuf> {
        start
            .ancestors()
            .map(|dir| dir.join(DIR_NAME))
            .find(|candidate| candidate.is_dir() || candidate.is_symlink())
    }

    /// Returns the error for "no `.nexus` here or above".
    pub fn not_found(start: &Path) -> anyhow::Error {
        with_hint(
            format!(
                "no `.nexus` directory found in `{}` or any parent",
                start.display()
            ),
            "run `nexus init` in your project's root, or point `--dir`/`NEXUS_DIR` at a `.nexus`",
        )
    }

    /// Returns the `.nexus` directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Returns the project root: the directory holding `.nexus`, where every
    /// agent turn runs.
    pub fn project_root(&self) -> PathBuf {
        let absolute = std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone());
        absolute
            .parent()
            .map_or_else(|| absolute.clone(), Path::to_path_buf)
    }

    /// Returns the lock wait for short read-modify-writes.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    /// `config.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join("config.toml")
    }
    /// `agents/`.
    pub fn agents_dir(&self) -> PathBuf {
        self.root.join("agents")
    }
    /// `agents/<id>.toml`.
    pub fn agent_path(&self, agent_id: &str) -> PathBuf {
        self.agents_dir().join(format!("{agent_id}.toml"))
    }
    /// `plans/`.
    pub fn plans_dir(&self) -> PathBuf {
        self.root.join("plans")
    }
    /// `plans/<id>/`.
    pub fn plan_dir(&self, plan_id: &str) -> PathBuf {
        self.plans_dir().join(plan_id)
    }
    /// `plans/<id>/plan.json`.
    pub fn plan_path(&self, plan_id: &str) -> PathBuf {
        self.plan_dir(plan_id).join("plan.json")
    }
    /// `plans/<id>/workspace.json`: the plan's base commit and branch.
    pub fn plan_workspace_path(&self, plan_id: &str) -> PathBuf {
        self.plan_dir(plan_id).join("workspace.json")
    }
    /// `locks/worktrees.lock`: creating and pruning worktrees.
    pub fn worktrees_lock(&self) -> PathBuf {
        self.lock_path("worktrees")
    }
    /// `locks/merge.lock`: the merge queue (one merge at a time).
    pub fn merge_lock(&self) -> PathBuf {
        self.lock_path("merge")
    }
    /// `plans/<id>/tasks/<task>.json`.
    pub fn task_path(&self, plan_id: &str, task_id: &str) -> PathBuf {
        self.plan_dir(plan_id)
            .join("tasks")
            .join(format!("{task_id}.json"))
    }
    /// `plans/<id>/results/<task>.md`.
    pub fn result_path(&self, plan_id: &str, task_id: &str) -> PathBuf {
        self.plan_dir(plan_id)
            .join("results")
            .join(format!("{task_id}.md"))
    }
    /// `messages/`.
    pub fn messages_dir(&self) -> PathBuf {
        self.root.join("messages")
    }
    /// `memory/<agent>.jsonl`.
    pub fn memory_path(&self, agent_id: &str) -> PathBuf {
        self.root.join("memory").join(format!("{agent_id}.jsonl"))
    }
    /// `sessions/`.
    pub fn sessions_dir(&self) -> PathBuf {
        self.root.join("sessions")
    }
    /// `sessions/<agent>[.<instance>].json` (instance 0 has no suffix).
    pub fn session_path(&self, agent_id: &str, instance: u32) -> PathBuf {
        if instance == 0 {
            self.sessions_dir().join(format!("{agent_id}.json"))
        } else {
            self.sessions_dir()
                .join(format!("{agent_id}.{instance}.json"))
        }
    }
    /// `logs/`.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }
    /// `logs/<plan_id>/<task_id>.log`: the raw agent output of a task's
    /// attempts (stream-json lines, appended per attempt).
    pub fn task_log_path(&self, plan_id: &str, task_id: &str) -> PathBuf {
        self.logs_dir().join(plan_id).join(format!("{task_id}.log"))
    }
    /// `locks/<name>.lock`: every lock file has a name from one of the
    /// typed methods below.
    fn lock_path(&self, name: &str) -> PathBuf {
        self.root.join("locks").join(format!("{name}.lock"))
    }
    /// `locks/plan-<id>.lock`: held exclusively by a whole-plan run and
    /// shared by `run --task` runs.
    pub fn plan_lock(&self, plan_id: &str) -> PathBuf {
        self.lock_path(&format!("plan-{plan_id}"))
    }
    /// `locks/plan-<id>.tasks.lock`: the locks of the plan's tasks, one byte
    /// each (see [`lock::KeyedLocks`]).
    pub fn task_locks(&self, plan_id: &str) -> PathBuf {
        self.lock_path(&format!("plan-{plan_id}.tasks"))
    }
    /// `locks/session-<agent>[.<instance>].lock`: held for a turn (and by the
    /// agent CLI itself, which inherits it).
    pub fn session_lock(&self, agent_id: &str, instance: u32) -> PathBuf {
        if instance == 0 {
            self.lock_path(&format!("session-{agent_id}"))
        } else {
            self.lock_path(&format!("session-{agent_id}.{instance}"))
        }
    }
    /// Takes the short lock for editing `plans/<id>/plan.json`.
    pub fn lock_plan_edit(&self, plan_id: &str) -> Result<LockGuard> {
        lock::wait_exclusive(
            &self.lock_path(&format!("plan-edit-{plan_id}")),
            &format!("plan `{plan_id}`"),
            self.lock_timeout,
        )
    }
    /// Takes the short lock for appending to or resetting an agent's memory.
    pub fn lock_memory(&self, agent_id: &str) -> Result<LockGuard> {
        lock::wait_exclusive(
            &self.lock_path(&format!("memory-{agent_id}")),
            &format!("the memory of `{agent_id}`"),
            self.lock_timeout,
        )
    }

    /// Reads `config.toml`.
    pub fn load_config(&self) -> Result<Config> {
        let path = self.config_path();
        if !path.exists() {
            return Err(fs::missing(&path, "config"));
        }
        Config::load(&path)
    }

    /// Returns the ids of all agents (file stems under `agents/`), sorted.
    pub fn agent_ids(&self) -> Result<Vec<String>> {
        Ok(fs::list_dir(&self.agents_dir())?
            .into_iter()
            .filter_map(|name| name.strip_suffix(".toml").map(str::to_string))
            .collect())
    }

    /// Reads every agent; any malformed file is an error naming it.
    pub fn load_agents(&self) -> Result<Vec<Agent>> {
        self.agent_ids()?
            .iter()
            .map(|id| Agent::load(&self.agent_path(id)))
            .collect()
    }

    /// Reads one agent given by id or unique prefix.
    pub fn load_agent(&self, given: &str) -> Result<Agent> {
        let ids = self.agent_ids()?;
        let id = ids::resolve_prefix("agent", given, &ids).map_err(|error| {
            tagged_hint(
                Kind::Usage,
                format!("{error:#}"),
                "`nexus agents list` shows the agents; add one as `.nexus/agents/<id>.toml`",
            )
        })?;
        Agent::load(&self.agent_path(id))
    }

    /// Returns all plan ids (directories under `plans/` holding a plan.json).
    pub fn plan_ids(&self) -> Result<Vec<String>> {
        Ok(fs::list_dir(&self.plans_dir())?
            .into_iter()
            .filter(|id| self.plan_path(id).is_file())
            .collect())
    }

    /// Reads a plan by exact id. Its ids become file names, so a stored
    /// plan (perhaps written by someone else and merged by git) is checked:
    /// the plan id matches its directory, task ids are safe and unique.
    pub fn load_plan(&self, plan_id: &str) -> Result<Plan> {
        let path = self.plan_path(plan_id);
        let plan: Plan = fs::read_json(&path)?;
        let mut seen = std::collections::BTreeSet::new();
        let problem = if plan.id != plan_id {
            Some(format!(
                "field `id` is `{}` but the plan's directory is `{plan_id}`",
                plan.id
            ))
        } else {
            plan.tasks.iter().find_map(|task| {
                if !ids::is_safe_id(&task.id) {
                    Some(format!(
                        "task id `{}` is not valid (1-64 ASCII letters, digits, `_`, `-`, `.`; not starting with `.` or `-`)",
                        task.id
                    ))
                } else if !seen.insert(task.id.as_str()) {
                    Some(format!("task id `{}` appears more than once", task.id))
                } else {
                    None
                }
            })
        };
        match problem {
            Some(problem) => Err(tagged_hint(
                Kind::StateInvalid,
                format!("plan file `{}` is malformed: {problem}", path.display()),
                "fix or remove that file; nothing else was changed",
            )),
            None => Ok(plan),
        }
    }

    /// Resolves a plan given by id or unique prefix; `None` means the newest
    /// (by `created_at`, then id).
    pub fn resolve_plan(&self, given: Option<&str>) -> Result<String> {
        let ids = self.plan_ids()?;
        match given {
            Some(given) => ids::resolve_prefix("plan", given, &ids)
                .map(str::to_string)
                .map_err(|error| {
                    tagged_hint(
                        Kind::Usage,
                        format!("{error:#}"),
                        "`nexus status` lists the plans",
                    )
                }),
            None => {
                let mut newest: Option<(crate::time::Timestamp, String)> = None;
                for id in &ids {
                    let plan = self.load_plan(id)?;
                    let key = (plan.created_at, id.clone());
                    if newest.as_ref().is_none_or(|current| key > *current) {
                        newest = Some(key);
                    }
                }
                newest.map(|(_, id)| id).ok_or_else(|| {
                    tagged_hint(
                        Kind::Usage,
                        "there are no plans yet",
                        "create one with `nexus plan \"<request>\"`",
                    )
                })
            }
        }
    }

    /// Reads a task's record; a missing file is a pending task.
    pub fn load_task(&self, plan_id: &str, task_id: &str) -> Result<TaskRecord> {
        let path = self.task_path(plan_id, task_id);
        match fs::read_optional(&path)? {
            Some(text) => {
                let record: TaskRecord = fs::parse_json(&path, &text)?;
                if record.task_id != task_id {
                    return Err(tagged(
                        Kind::StateInvalid,
                        format!(
                            "task file `{}` is malformed: field `task_id` is `{}` but the file is named `{task_id}.json`",
                            path.display(),
                            record.task_id
                        ),
                    ));
                }
                Ok(record)
            }
            None => Ok(TaskRecord::pending(task_id)),
        }
    }

    /// Reads a task's result text, if any.
    pub fn load_result(&self, plan_id: &str, task_id: &str) -> Result<Option<String>> {
        fs::read_optional(&self.result_path(plan_id, task_id))
    }

    /// Checks that every agent a plan names exists.
    pub fn check_plan_agents(&self, plan: &Plan) -> Result<()> {
        let agents = self.agent_ids()?;
        for task in &plan.tasks {
            if let Some(agent) = &task.agent
                && !agents.contains(agent)
            {
                return Err(tagged_hint(
                    Kind::StateInvalid,
                    format!(
                        "plan file `{}` is malformed: task `{}` names unknown agent `{agent}`",
                        self.plan_path(&plan.id).display(),
                        task.id
                    ),
                    "add the agent under `.nexus/agents/` or reassign with `nexus assign PLAN TASK AGENT`",
                ));
            }
        }
        Ok(())
    }

    /// Removes what killed writers left in the directories a run of
    /// `plan_id` writes (see `state::litter`); returns what was removed.
    pub fn sweep_litter(&self, plan_id: &str) -> Result<Vec<PathBuf>> {
        let mut removed = Vec::new();
        for dir in [
            self.root.clone(),
            self.sessions_dir(),
            self.plans_dir(),
            self.plan_dir(plan_id),
            self.plan_dir(plan_id).join("tasks"),
            self.plan_dir(plan_id).join("results"),
            self.messages_dir().join(plan_id),
        ] {
            removed.extend(crate::state::litter::sweep(&dir)?);
        }
        Ok(removed)
    }

    /// Creates the directories every store has.
    pub fn create_dirs(&self) -> Result<()> {
        for dir in [
            self.agents_dir(),
            self.plans_dir(),
            self.messages_dir(),
            self.root.join("memory"),
        ] {
            fs::create_dir_all(&dir)
                .with_context(|| format!("failed to initialise `{}`", self.root.display()))?;
        }
        Ok(())
    }
}
