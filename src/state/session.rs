//! `sessions/<agent_id>[.<instance>].json`: one agent instance's agent CLI
//! session record. Machine-local (git-ignored): a session id from another
//! machine or clone cannot be resumed (CLAUDE_CLI.md).

use serde::{Deserialize, Serialize};

use crate::state::fs::Versioned;
use crate::state::usage::{TokenCounts, Usage};
use crate::time::Timestamp;

/// What is known about a session's last call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// The record was written before the first call returned.
    #[default]
    Starting,
    /// The last call succeeded.
    Ok,
    /// The last call failed (the session may still be resumable).
    Failed,
}

/// The last call made in a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// The exact argv, with the prompt and system prompt shortened.
    pub argv: Vec<String>,
    /// When it started.
    pub started_at: Timestamp,
    /// Wall time.
    pub duration_ms: u64,
    /// Exit code (`None` when killed by a signal).
    pub exit_code: Option<i32>,
    /// The classified outcome.
    pub outcome: String,
    /// A process the CLI started kept its output open after it exited and
    /// was killed.
    #[serde(default)]
    pub leaked: bool,
}

/// One session record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRecord {
    /// Schema version.
    pub schema: u32,
    /// The agent.
    pub agent_id: String,
    /// The instance (0-based).
    pub instance: u32,
    /// The agent backend that made the session (`claude` for schema 1).
    #[serde(default = "claude")]
    pub backend: String,
    /// The CLI's session id (a UUID v4 nexus preset, or the id the CLI
    /// reported for one that names its own sessions, e.g. a Codex thread).
    pub session_id: String,
    /// The directory every turn runs in (the project root).
    pub cwd: String,
    /// The host the session lives on.
    pub host: String,
    /// When the session was created.
    pub created_at: Timestamp,
    /// When it was last used.
    pub last_used_at: Timestamp,
    /// Calls made.
    #[serde(default)]
    pub turns: u32,
    /// Total cost, USD.
    #[serde(default)]
    pub cost_usd: f64,
    /// Total input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Total output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Calls of unknown cost (not in `cost_usd`; see `state::prices`).
    #[serde(default, skip_serializing_if = "crate::state::usage::is_zero")]
    pub unpriced_turns: u32,
    /// The CLI's own running token totals for the session, as last reported,
    /// for a CLI that reports cumulative usage (Codex): the next call's
    /// usage is what it reports less these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli_totals: Option<TokenCounts>,
    /// The last call's status.
    #[serde(default)]
    pub status: SessionStatus,
    /// The CLI version that served the last call.
    #[serde(default)]
    pub cli_version: Option<String>,
    /// The session this one replaced when it was recovered.
    #[serde(default)]
    pub recovered_from: Option<String>,
    /// Why it was recovered.
    #[serde(default)]
    pub recovery_reason: Option<String>,
    /// The last call.
    #[serde(default)]
    pub last_call: Option<CallRecord>,
}

fn claude() -> String {
    "claude".to_string()
}

impl SessionRecord {
    /// The schema this nexus writes.
    pub const CURRENT: u32 = 2;

    /// Adds a turn's usage to the session's totals (not its turn count, which
    /// counts calls).
    pub fn add_usage(&mut self, usage: &Usage) {
        self.cost_usd += usage.cost_usd;
        self.input_tokens = self.input_tokens.saturating_add(usage.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(usage.output_tokens);
        self.unpriced_turns = self.unpriced_turns.saturating_add(usage.unpriced_turns);
    }

    /// Returns the session's usage totals.
    pub fn usage(&self) -> Usage {
        Usage {
            cost_usd: self.cost_usd,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            turns: self.turns,
            unpriced_turns: self.unpriced_turns,
        }
    }
}

impl Versioned for SessionRecord {
    const SCHEMA: u32 = 2;
    const WHAT: &'static str = "session";
}
