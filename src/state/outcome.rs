//! How an agent turn ended ([`Outcome`], classified by its backend) and how
//! an attempt at a task ended ([`AttemptOutcome`]: a turn's outcome, or what
//! nexus decided after it). Both are written as snake_case names in task,
//! session, message and memory files.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The classified outcome of one agent turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The CLI reported success and no tool was denied.
    Success,
    /// The model API failed (its HTTP status when known).
    ApiError,
    /// The agent used up its turn limit.
    MaxTurns,
    /// The CLI's own budget stopped it.
    BudgetExceeded,
    /// The agent "succeeded" but tools were denied: the work was not done.
    PermissionDenied,
    /// The session to resume does not exist for the CLI.
    SessionNotFound,
    /// The preset session id is already in use.
    SessionInUse,
    /// The CLI executable does not exist.
    CliMissing,
    /// The CLI exists but cannot be executed.
    CliNotExecutable,
    /// Spawning failed for another reason.
    SpawnFailed,
    /// The CLI rejected its arguments (one of its known argument errors).
    BadArguments,
    /// The CLI could not authenticate or is not configured to run headless.
    AuthFailed,
    /// stdout was not what the CLI prints (garbage or truncated).
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
    /// Every outcome, in documentation order.
    pub const ALL: &'static [Outcome] = &[
        Outcome::Success,
        Outcome::ApiError,
        Outcome::MaxTurns,
        Outcome::BudgetExceeded,
        Outcome::PermissionDenied,
        Outcome::SessionNotFound,
        Outcome::SessionInUse,
        Outcome::CliMissing,
        Outcome::CliNotExecutable,
        Outcome::SpawnFailed,
        Outcome::BadArguments,
        Outcome::AuthFailed,
        Outcome::InvalidOutput,
        Outcome::Crashed,
        Outcome::Killed,
        Outcome::Timeout,
        Outcome::InactivityTimeout,
        Outcome::Interrupted,
    ];

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
            Outcome::AuthFailed => "auth_failed",
            Outcome::InvalidOutput => "invalid_output",
            Outcome::Crashed => "crashed",
            Outcome::Killed => "killed",
            Outcome::Timeout => "timeout",
            Outcome::InactivityTimeout => "inactivity_timeout",
            Outcome::Interrupted => "interrupted",
        }
    }

    /// Returns whether trying again may help: API errors, timeouts, crashes.
    /// Budgets, max turns, argument and authentication errors are not.
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

    /// Returns whether the CLI never ran (nothing reached it).
    pub fn never_ran(self) -> bool {
        matches!(
            self,
            Outcome::CliMissing | Outcome::CliNotExecutable | Outcome::SpawnFailed
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How an attempt at a task ended: its turn's outcome, or nexus's verdict.
/// Written as one name, like [`Outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptOutcome {
    /// Still going (or its runner died before it ended).
    Running,
    /// The agent's turn ended so.
    Turn(Outcome),
    /// The agent succeeded but a `verify` command failed.
    VerificationFailed,
    /// nexus itself failed around the turn (a state write, a lock).
    Error,
}

impl AttemptOutcome {
    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            AttemptOutcome::Running => "running",
            AttemptOutcome::Turn(outcome) => outcome.name(),
            AttemptOutcome::VerificationFailed => "verification_failed",
            AttemptOutcome::Error => "error",
        }
    }

    /// Parses a name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "running" => Some(AttemptOutcome::Running),
            "verification_failed" => Some(AttemptOutcome::VerificationFailed),
            "error" => Some(AttemptOutcome::Error),
            other => Outcome::ALL
                .iter()
                .find(|outcome| outcome.name() == other)
                .map(|outcome| AttemptOutcome::Turn(*outcome)),
        }
    }
}

impl Serialize for AttemptOutcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for AttemptOutcome {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        AttemptOutcome::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown outcome `{name}`")))
    }
}

impl From<Outcome> for AttemptOutcome {
    fn from(outcome: Outcome) -> Self {
        AttemptOutcome::Turn(outcome)
    }
}

impl fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_written_as_their_names() {
        for outcome in Outcome::ALL {
            let json = serde_json::to_string(outcome).unwrap();
            assert_eq!(json, format!("\"{}\"", outcome.name()));
            let attempt = AttemptOutcome::from(*outcome);
            assert_eq!(serde_json::to_string(&attempt).unwrap(), json);
            let back: AttemptOutcome = serde_json::from_str(&json).unwrap();
            assert_eq!(back, attempt);
        }
        for (attempt, name) in [
            (AttemptOutcome::Running, "running"),
            (AttemptOutcome::VerificationFailed, "verification_failed"),
            (AttemptOutcome::Error, "error"),
        ] {
            assert_eq!(
                serde_json::to_string(&attempt).unwrap(),
                format!("\"{name}\"")
            );
            let back: AttemptOutcome = serde_json::from_str(&format!("\"{name}\"")).unwrap();
            assert_eq!(back, attempt);
        }
        assert!(serde_json::from_str::<AttemptOutcome>("\"nonsense\"").is_err());
    }
}
