//! `plans/<plan_id>/tasks/<task_id>.json`: one task's execution state —
//! state, attempts with their outcome, session, times, cost, verification.
//! One file per task so parallel runners never write the same file.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::state::fs::Versioned;
use crate::state::outcome::AttemptOutcome;
use crate::state::usage::Usage;
use crate::time::Timestamp;

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Not started.
    #[default]
    Pending,
    /// An agent is working on it.
    Running,
    /// Done and verified.
    Completed,
    /// Failed (see the last attempt).
    Failed,
    /// A dependency failed.
    Blocked,
    /// Stopped by a signal, or its runner died.
    Interrupted,
    /// Not started because the budget would be exceeded.
    Skipped,
}

impl TaskState {
    /// Every state, in lifecycle order.
    pub const ALL: &'static [TaskState] = &[
        TaskState::Pending,
        TaskState::Running,
        TaskState::Completed,
        TaskState::Failed,
        TaskState::Blocked,
        TaskState::Interrupted,
        TaskState::Skipped,
    ];

    /// Returns whether a dependency in this state blocks its dependents
    /// when no run is about to retry it: failed, blocked, skipped (budget)
    /// and interrupted. The scheduler and `nexus reconcile` apply this one
    /// rule.
    pub fn blocks_dependents(self) -> bool {
        matches!(
            self,
            TaskState::Failed | TaskState::Blocked | TaskState::Skipped | TaskState::Interrupted
        )
    }

    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Pending => "pending",
            TaskState::Running => "running",
            TaskState::Completed => "completed",
            TaskState::Failed => "failed",
            TaskState::Blocked => "blocked",
            TaskState::Interrupted => "interrupted",
            TaskState::Skipped => "skipped",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The result of one `verify` command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// The command, run with `sh -c` in the project root.
    pub command: String,
    /// Its exit code (`None` when killed or not started).
    pub exit_code: Option<i32>,
    /// Whether it passed.
    pub passed: bool,
    /// How long it took.
    pub duration_ms: u64,
    /// The last lines of its output.
    pub output_tail: String,
}

/// One attempt at a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// 1-based attempt number.
    pub number: u32,
    /// The agent that worked on it.
    pub agent: String,
    /// The agent session used.
    #[serde(default)]
    pub session_id: Option<String>,
    /// When it started.
    pub started_at: Timestamp,
    /// When it ended.
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    /// How it ended (`success`, `api_error`, `verification_failed` …).
    pub outcome: AttemptOutcome,
    /// Why it did not succeed.
    #[serde(default)]
    pub reason: Option<String>,
    /// Cost in USD.
    #[serde(default)]
    pub cost_usd: f64,
    /// Input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Agent turns.
    #[serde(default)]
    pub turns: u32,
    /// Calls of unknown cost (not in `cost_usd`; see `state::prices`).
    #[serde(default, skip_serializing_if = "crate::state::usage::is_zero")]
    pub unpriced_turns: u32,
    /// Wall time in milliseconds.
    #[serde(default)]
    pub duration_ms: u64,
    /// Verification evidence.
    #[serde(default)]
    pub verification: Vec<Verification>,
    /// The merge checks run on the merged tree, when they failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge_checks: Vec<Verification>,
    /// A process the agent started kept its output open after it exited
    /// and was killed.
    #[serde(default)]
    pub leaked: bool,
    /// CPU seconds (user + system) of the agent's process and what it
    /// waited for, from the OS's accounting of the finished process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    /// Peak resident memory of the agent's process (or of one it waited
    /// for), in MB (10⁶ bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_memory_mb: Option<f64>,
    /// The confidence (0–1) the agent gave in its answer, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

impl Attempt {
    /// Returns attempt `number` by `agent`, started at `started_at`, with
    /// outcome `running` and nothing measured yet.
    pub fn started(number: u32, agent: &str, started_at: Timestamp) -> Self {
        Attempt {
            number,
            agent: agent.to_string(),
            session_id: None,
            started_at,
            finished_at: None,
            outcome: AttemptOutcome::Running,
            reason: None,
            cost_usd: 0.0,
            input_tokens: 0,
            output_tokens: 0,
            turns: 0,
            unpriced_turns: 0,
            duration_ms: 0,
            verification: Vec::new(),
            merge_checks: Vec::new(),
            leaked: false,
            cpu_seconds: None,
            peak_memory_mb: None,
            confidence: None,
        }
    }
}

impl Attempt {
    /// Returns what the attempt's turn consumed.
    pub fn usage(&self) -> Usage {
        Usage {
            cost_usd: self.cost_usd,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            turns: self.turns,
            unpriced_turns: self.unpriced_turns,
        }
    }

    /// Sets what the attempt's turn consumed.
    pub fn set_usage(&mut self, usage: &Usage) {
        self.cost_usd = usage.cost_usd;
        self.input_tokens = usage.input_tokens;
        self.output_tokens = usage.output_tokens;
        self.turns = usage.turns;
        self.unpriced_turns = usage.unpriced_turns;
    }
}

/// Who runs a task right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Owner {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
}

/// A task's execution record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TaskRecord {
    /// Schema version.
    pub schema: u32,
    /// The task id.
    pub task_id: String,
    /// Current state.
    pub state: TaskState,
    /// The agent that last worked on it.
    #[serde(default)]
    pub agent: Option<String>,
    /// The agent instance (0-based).
    #[serde(default)]
    pub instance: Option<u32>,
    /// The session of the last attempt.
    #[serde(default)]
    pub session_id: Option<String>,
    /// When the first attempt started.
    #[serde(default)]
    pub started_at: Option<Timestamp>,
    /// When the task reached a final state.
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    /// Total cost over attempts, USD.
    #[serde(default)]
    pub cost_usd: f64,
    /// Total input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Total output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Total turns.
    #[serde(default)]
    pub turns: u32,
    /// Calls of unknown cost (not in `cost_usd`; see `state::prices`).
    #[serde(default, skip_serializing_if = "crate::state::usage::is_zero")]
    pub unpriced_turns: u32,
    /// The result summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Why it is failed, blocked, interrupted or skipped.
    #[serde(default)]
    pub reason: Option<String>,
    /// Progress 0–100 while running, from the agent's events.
    #[serde(default)]
    pub progress: Option<u8>,
    /// Who is running it (while `running`).
    #[serde(default)]
    pub owner: Option<Owner>,
    /// Every attempt.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// When this file was last written.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
    /// The command that last wrote it.
    #[serde(default)]
    pub updated_by: String,
    /// Its branch and merge state, when the plan runs in workspaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<TaskWorkspace>,
}

/// Where a task's work stands in git, in worktree mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskWorkspace {
    /// The task's branch (`nexus-task/<plan>/<task>`).
    pub branch: String,
    /// The integration tip the task started from.
    pub base: String,
    /// The commit nexus made of the agent's work (the branch's head).
    #[serde(default)]
    pub head: Option<String>,
    /// Where its merge stands.
    pub merge: MergeState,
    /// The merge commit on the integration branch, once merged.
    #[serde(default)]
    pub merged: Option<String>,
    /// The worktree it was worked in.
    #[serde(default)]
    pub worktree: Option<String>,
}

/// Where a task's merge into its plan's integration branch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeState {
    /// The agent is working; nothing to merge yet.
    Working,
    /// Committed and verified: waiting for the merge queue.
    Queued,
    /// Merged onto the integration branch (its checks passed).
    Merged,
    /// The merge conflicted; back to the agent.
    Conflict,
    /// The merged tree failed the merge checks; back to the agent.
    ChecksFailed,
    /// Taken back out of the integration branch (`nexus reject`).
    Rejected,
}

impl MergeState {
    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            MergeState::Working => "working",
            MergeState::Queued => "queued",
            MergeState::Merged => "merged",
            MergeState::Conflict => "conflict",
            MergeState::ChecksFailed => "checks_failed",
            MergeState::Rejected => "rejected",
        }
    }
}

impl Versioned for TaskRecord {
    const SCHEMA: u32 = 2;
    const WHAT: &'static str = "task";
}

impl TaskRecord {
    /// Returns what every attempt at the task consumed.
    pub fn usage(&self) -> Usage {
        Usage {
            cost_usd: self.cost_usd,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            turns: self.turns,
            unpriced_turns: self.unpriced_turns,
        }
    }

    /// Adds an attempt's usage to the task's totals.
    pub fn add_usage(&mut self, usage: &Usage) {
        let mut total = self.usage();
        total.add(usage);
        self.cost_usd = total.cost_usd;
        self.input_tokens = total.input_tokens;
        self.output_tokens = total.output_tokens;
        self.turns = total.turns;
        self.unpriced_turns = total.unpriced_turns;
    }

    /// Returns a pending record for `task_id`.
    pub fn pending(task_id: &str) -> Self {
        TaskRecord {
            schema: Self::SCHEMA,
            task_id: task_id.to_string(),
            ..TaskRecord::default()
        }
    }

    /// Marks the task blocked by `dependency`, which is in `state`; returns
    /// the reason recorded.
    pub fn block(&mut self, dependency: &str, state: TaskState) -> String {
        let reason = format!("dependency `{dependency}` {state}");
        self.state = TaskState::Blocked;
        self.reason = Some(reason.clone());
        reason
    }

    /// Marks a task left `running` by a runner that is gone (its task lock
    /// was free) as interrupted, closing its open attempt at `now`.
    pub fn runner_gone(&mut self, now: Timestamp) {
        self.state = TaskState::Interrupted;
        self.reason = Some(match &self.owner {
            Some(owner) => format!("its runner (pid {} on `{}`) is gone", owner.pid, owner.host),
            None => "its runner is gone".to_string(),
        });
        self.owner = None;
        self.progress = None;
        if let Some(attempt) = self
            .attempts
            .last_mut()
            .filter(|attempt| attempt.finished_at.is_none())
        {
            attempt.outcome = crate::state::outcome::Outcome::Interrupted.into();
            attempt.finished_at = Some(now);
        }
    }
}
