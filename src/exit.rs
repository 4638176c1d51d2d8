//! Exit codes, the typed errors that select them, and the error → code mapping.
//!
//! Exit codes are a documented contract (README "Exit codes"); each has a test.
//! Most errors are plain `anyhow` chains and exit with [`ERROR`]; only errors
//! whose exit code differs carry a [`Kind`] (the approach of jj's
//! `CommandErrorKind` and nextest's `NextestExitCode`).

use std::fmt;

/// Success.
pub const OK: u8 = 0;
/// A general error: I/O, a missing `.nexus`, a doctor check that failed.
pub const ERROR: u8 = 1;
/// Bad command-line usage (clap's own code).
pub const USAGE: u8 = 2;
/// `run` finished with tasks not completed, `ask` got a failed turn, or
/// `reconcile` found tasks that failed or cannot run.
pub const TASKS_FAILED: u8 = 3;
/// A lock is held by another process: a plan being run, a session in use.
pub const BUSY: u8 = 4;
/// A file under `.nexus` is malformed or from a newer nexus.
pub const STATE_INVALID: u8 = 5;
/// The brain (an LLM server or the Claude CLI as planner) failed to answer.
pub const BRAIN_FAILED: u8 = 6;
/// A plan failed validation (cycle, duplicate id, unknown dependency …).
pub const PLAN_INVALID: u8 = 7;
/// Commands committed in `.nexus` (verify, checks) are not trusted yet on
/// this machine (`nexus trust`).
pub const UNTRUSTED: u8 = 8;
/// Interrupted by SIGINT or SIGTERM (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;

/// Every documented exit code with its name and meaning, for the README and
/// `nexus --help` consistency tests.
pub const TABLE: &[(u8, &str, &str)] = &[
    (OK, "ok", "success"),
    (
        ERROR,
        "error",
        "general error (I/O, no `.nexus`, a failed doctor check)",
    ),
    (USAGE, "usage", "invalid command-line usage"),
    (
        TASKS_FAILED,
        "tasks-failed",
        "`run` left tasks not completed; `ask` got a failed turn; `reconcile` found tasks that failed or cannot run",
    ),
    (
        BUSY,
        "busy",
        "a lock is held by another process (plan run, session in use)",
    ),
    (
        STATE_INVALID,
        "state-invalid",
        "a `.nexus` file is malformed or from a newer nexus",
    ),
    (
        BRAIN_FAILED,
        "brain-failed",
        "the planner's server or CLI failed",
    ),
    (PLAN_INVALID, "plan-invalid", "a plan failed validation"),
    (
        UNTRUSTED,
        "untrusted",
        "commands committed in `.nexus` are not trusted on this machine yet",
    ),
    (INTERRUPTED, "interrupted", "interrupted by SIGINT/SIGTERM"),
];

/// What kind of failure an error is, when that changes the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Usage error detected after parsing (a bad `--context` pair …).
    Usage,
    /// Tasks failed or an agent turn failed.
    TasksFailed,
    /// A lock is held elsewhere.
    Busy,
    /// A malformed or too-new state file.
    StateInvalid,
    /// The brain failed.
    BrainFailed,
    /// A plan failed validation.
    PlanInvalid,
    /// Commands that would run are not trusted yet.
    Untrusted,
    /// Interrupted by a signal.
    Interrupted,
}

impl Kind {
    /// Returns the exit code for this kind.
    pub fn code(self) -> u8 {
        match self {
            Kind::Usage => USAGE,
            Kind::TasksFailed => TASKS_FAILED,
            Kind::Busy => BUSY,
            Kind::StateInvalid => STATE_INVALID,
            Kind::BrainFailed => BRAIN_FAILED,
            Kind::PlanInvalid => PLAN_INVALID,
            Kind::Untrusted => UNTRUSTED,
            Kind::Interrupted => INTERRUPTED,
        }
    }
}

/// An error with an optional exit-code kind and an optional hint line.
#[derive(Debug)]
pub struct Tagged {
    /// The kind that selects the exit code; `None` exits with [`ERROR`].
    pub kind: Option<Kind>,
    /// The message (a lowercase fragment, no trailing period).
    pub message: String,
    /// An optional `hint:` line.
    pub hint: Option<String>,
}

impl fmt::Display for Tagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Tagged {}

/// Returns a tagged error of `kind`.
pub fn tagged(kind: Kind, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Tagged {
        kind: Some(kind),
        message: message.into(),
        hint: None,
    })
}

/// Returns a tagged error of `kind` with a hint.
pub fn tagged_hint(
    kind: Kind,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> anyhow::Error {
    anyhow::Error::new(Tagged {
        kind: Some(kind),
        message: message.into(),
        hint: Some(hint.into()),
    })
}

/// Returns an untyped error (exit 1) with a hint.
pub fn with_hint(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Tagged {
        kind: None,
        message: message.into(),
        hint: Some(hint.into()),
    })
}

/// Returns the exit code for an error: the first tag found in its chain.
pub fn code_for(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if let Some(tag) = cause.downcast_ref::<Tagged>()
            && let Some(kind) = tag.kind
        {
            return kind.code();
        }
    }
    ERROR
}

/// Returns the first hint carried in the error's chain.
pub fn hint_for(error: &anyhow::Error) -> Option<String> {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<Tagged>())
        .find_map(|tag| tag.hint.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_errors_map_to_their_code_through_context() {
        let error = tagged(Kind::Busy, "plan `p1` is being run").context("cannot run");
        assert_eq!(code_for(&error), BUSY);
        assert_eq!(code_for(&anyhow::anyhow!("plain")), ERROR);
    }

    #[test]
    fn hints_survive_context_and_untagged_hints_exit_one() {
        let error = with_hint("no `.nexus` found", "run `nexus init`");
        assert_eq!(code_for(&error), ERROR);
        assert_eq!(hint_for(&error).as_deref(), Some("run `nexus init`"));
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<u8> = TABLE.iter().map(|row| row.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), TABLE.len());
    }
}
