//! What a run reports as it goes ([`Event`], one line each on stderr, or a
//! JSON line with `--json`) and at its end ([`Summary`]).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::time::Timestamp;

/// The kinds of [`Event`], written as snake_case names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The run began.
    RunStarted,
    /// An attempt at a task began.
    TaskStarted,
    /// An attempt failed; the task is retried after a delay.
    TaskRetrying,
    /// A task completed.
    TaskCompleted,
    /// A task failed.
    TaskFailed,
    /// A task cannot run: a dependency did not complete.
    TaskBlocked,
    /// A task was skipped (budget, or already completed).
    TaskSkipped,
    /// A task was interrupted.
    TaskInterrupted,
    /// An agent left a process holding its output.
    AgentLeaked,
    /// The run ended.
    RunFinished,
}

/// One line of progress (stderr text, or a JSON line with `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// What happened.
    pub event: EventKind,
    /// When.
    pub at: Timestamp,
    /// The plan.
    pub plan: String,
    /// The task, for task events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The attempt number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// Duration of the attempt or run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Cost of the attempt or run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Calls of unknown cost in the attempt or run, not in `cost_usd`
    /// (omitted when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unpriced_turns: Option<u32>,
    /// Why a task failed, was blocked or skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Counts by state, on `run_finished`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<BTreeMap<String, usize>>,
}

impl Event {
    /// Returns an event of `kind` at `at` in `plan`, with nothing else set.
    pub fn new(event: EventKind, at: Timestamp, plan: &str) -> Self {
        Event {
            event,
            at,
            plan: plan.to_string(),
            task: None,
            agent: None,
            session_id: None,
            attempt: None,
            duration_ms: None,
            cost_usd: None,
            unpriced_turns: None,
            reason: None,
            counts: None,
        }
    }
}

/// The end of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Counts by state of the tasks in scope.
    pub counts: BTreeMap<String, usize>,
    /// Cost spent in this run.
    pub cost_usd: f64,
    /// Calls of unknown cost in this run, not in `cost_usd`.
    pub unpriced_turns: u32,
    /// Wall time.
    pub wall_ms: u64,
    /// Whether a signal stopped the run.
    pub interrupted: bool,
    /// Whether every task in scope is completed.
    pub all_completed: bool,
}
