//! The agent backend contract: how a turn is asked for and how its outcome
//! is classified. `claude.rs` implements it for Claude Code; another agent
//! CLI would implement the same trait.

use std::ffi::OsString;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::proc::supervise::{Finished, SpawnError};
use crate::state::agent::Agent;

/// How a turn relates to the agent's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionMode {
    /// Start a session with this preset id.
    New(String),
    /// Resume this session.
    Resume(String),
}

impl SessionMode {
    /// Returns the session id either way.
    pub fn id(&self) -> &str {
        match self {
            SessionMode::New(id) | SessionMode::Resume(id) => id,
        }
    }
}

/// Everything a backend needs to build one turn's command line.
#[derive(Debug, Clone)]
pub struct TurnRequest<'a> {
    /// The agent.
    pub agent: &'a Agent,
    /// New or resumed session.
    pub session: SessionMode,
    /// The system prompt from the personality engine.
    pub system_prompt: String,
    /// The user prompt.
    pub prompt: String,
    /// `--max-budget-usd`, when set.
    pub max_budget_usd: Option<f64>,
}

/// The classified outcome of one turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Exit 0, `is_error` false, no permission denials.
    Success,
    /// The model API failed (`is_error` true; status in `api_error_status`).
    ApiError,
    /// `error_max_turns`.
    MaxTurns,
    /// `error_max_budget_usd`.
    BudgetExceeded,
    /// The agent "succeeded" but tools were denied: the work was not done.
    PermissionDenied,
    /// `--resume` found no conversation.
    SessionNotFound,
    /// `--session-id` is already in use.
    SessionInUse,
    /// The CLI executable does not exist.
    CliMissing,
    /// The CLI exists but cannot be executed.
    CliNotExecutable,
    /// Spawning failed for another reason.
    SpawnFailed,
    /// The CLI rejected its arguments (exit 1, empty stdout, stderr message).
    BadArguments,
    /// stdout was not the expected JSON (garbage or truncated).
    InvalidOutput,
    /// Non-zero exit without a result.
    Crashed,
    /// Killed by a signal nexus did not send.
    Killed,
    /// The wall-clock timeout stopped it.
    Timeout,
    /// The inactivity timeout stopped it.
    InactivityTimeout,
    /// SIGINT/SIGTERM to nexus stopped it.
    Interrupted,
}

impl Outcome {
    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::ApiError => "api_error",
            Outcome::MaxTurns => "max_turns",
            Outcome::BudgetExceeded => "budget_exceeded",
            Outcome::PermissionDenied => "permission_denied",
            Outcome::SessionNotFound => "session_not_found",
            Outcome::SessionInUse => "session_in_use",
            Outcome::CliMissing => "cli_missing",
            Outcome::CliNotExecutable => "cli_not_executable",
            Outcome::SpawnFailed => "spawn_failed",
            Outcome::BadArguments => "bad_arguments",
            Outcome::InvalidOutput => "invalid_output",
            Outcome::Crashed => "crashed",
            Outcome::Killed => "killed",
            Outcome::Timeout => "timeout",
            Outcome::InactivityTimeout => "inactivity_timeout",
            Outcome::Interrupted => "interrupted",
        }
    }

    /// Returns whether trying again may help: API errors, timeouts, crashes.
    /// Permission denials, budgets, max turns and bad arguments are not.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            Outcome::ApiError
                | Outcome::InvalidOutput
                | Outcome::Crashed
                | Outcome::Killed
                | Outcome::Timeout
                | Outcome::InactivityTimeout
                | Outcome::SessionInUse
        )
    }
}

/// What one turn produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TurnOutput {
    /// The classified outcome (`None` only before classification).
    pub outcome: Option<Outcome>,
    /// Why it did not succeed, in words.
    pub reason: Option<String>,
    /// The HTTP status of an API error, when known.
    pub api_error_status: Option<u16>,
    /// The final assistant text.
    pub reply: String,
    /// The session id the CLI reported.
    pub session_id: Option<String>,
    /// The CLI version (from the stream's init event).
    pub cli_version: Option<String>,
    /// Cost in USD.
    pub cost_usd: f64,
    /// Input tokens (including cache reads and writes).
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Agent turns.
    pub turns: u32,
    /// Wall time.
    pub duration_ms: u64,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Terminating signal.
    pub signal: Option<i32>,
    /// Tools that were denied.
    pub permission_denials: Vec<String>,
    /// A grandchild kept the pipes open after exit.
    pub leaked: bool,
    /// The end of stderr.
    pub stderr_tail: String,
}

/// An agent CLI.
pub trait Backend {
    /// Returns the arguments for one turn (the program is resolved apart).
    fn args(&self, request: &TurnRequest<'_>) -> Vec<OsString>;
    /// Returns environment variables to remove from the child's environment.
    fn env_remove(&self) -> Vec<String>;
    /// Classifies a finished process.
    fn interpret(&self, finished: &Finished) -> TurnOutput;
    /// Classifies a process that could not start.
    fn interpret_spawn_error(&self, error: &SpawnError) -> TurnOutput;
    /// Returns whether the session's transcript exists (no tokens spent).
    fn session_exists(
        &self,
        session_id: &str,
        cwd: &Path,
        env: &std::collections::BTreeMap<String, String>,
    ) -> bool;
}
