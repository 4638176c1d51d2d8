//! The agent backend contract: everything nexus needs from an agent CLI,
//! behind one trait. A backend owns its binary's name and install hint, its
//! settings table (`[claude]` in `config.toml`, overridden key by key by the
//! agent file's table of the same name), the environment its child gets, the
//! argv of a new or resumed turn, the parsing of its output into one
//! normalized event stream ([`AgentEvent`]), the classification of a turn's
//! end ([`TurnOutput`]) and a session validity check that spends no tokens.
//! Nothing outside `agents/<backend>.rs` knows a CLI-specific name; the
//! backends are listed in [`crate::agents::BACKENDS`].
//!
//! CLIs differ in ways the runtime handles generically, each declared by the
//! backend: whether a new session's id can be chosen beforehand
//! ([`Backend::presets_session_id`]; when not, the record is written with a
//! provisional id and updated as soon as the [`AgentEvent::Init`] event names
//! the real one); whether usage is reported per call or as running totals per
//! session ([`TurnContext::previous_totals`] and [`TurnOutput::cumulative`]);
//! whether the CLI reports a cost ([`TurnOutput::reported_cost`], priced by
//! `[prices]` otherwise); and what `doctor` should say about its set-up
//! ([`Backend::doctor`]).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::proc::supervise::{Finished, SpawnError};
use crate::state::agent::Agent;
use crate::state::config::Config;
pub use crate::state::outcome::Outcome;
use crate::state::usage::{TokenCounts, Usage};

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

    /// Returns whether the turn resumes a session.
    pub fn is_resume(&self) -> bool {
        matches!(self, SessionMode::Resume(_))
    }

    /// Returns the arguments that name the session to a CLI that takes
    /// `new` (e.g. `--session-id`) with a preset id and `resume` (e.g.
    /// `--resume`) with the id to resume.
    pub fn args(&self, new: &str, resume: &str) -> [OsString; 2] {
        match self {
            SessionMode::New(id) => [new.into(), id.into()],
            SessionMode::Resume(id) => [resume.into(), id.into()],
        }
    }
}

/// What a turn's parser is told before the call.
#[derive(Debug, Clone, Default)]
pub struct TurnContext {
    /// The session's running token totals as the CLI last reported them, for
    /// a CLI that reports cumulative usage (resumed sessions only).
    pub previous_totals: Option<TokenCounts>,
}

/// Everything a backend needs to build one turn's command line.
#[derive(Debug, Clone)]
pub struct TurnRequest<'a> {
    /// The configuration (the backend's defaults table).
    pub config: &'a Config,
    /// The agent (its table overrides the configuration's).
    pub agent: &'a Agent,
    /// New or resumed session.
    pub session: SessionMode,
    /// The system prompt from the personality engine.
    pub system_prompt: String,
    /// The user prompt.
    pub prompt: String,
    /// A cost cap for this turn, when the CLI takes one.
    pub max_budget_usd: Option<f64>,
    /// Whether the turn runs in an isolated workspace (a git worktree), where
    /// the `build` permission lets the agent build and test.
    pub isolated: bool,
}

/// An agent's resolved backend settings, for display and for the parts of
/// nexus that need them (progress, `doctor`).
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// The backend's name.
    pub backend: &'static str,
    /// The executable as configured (before the `PATH` lookup).
    pub command: String,
    /// The model, when one is set.
    pub model: Option<String>,
    /// The most agentic turns one call may take.
    pub max_turns: u32,
    /// The permission the agent's tools run with, in words.
    pub permission: String,
    /// Every resolved setting of the backend's table, by key.
    pub table: BTreeMap<String, serde_json::Value>,
    /// The agent runs a small model with little context: its prompts stay
    /// minimal (no request for the JSON result block, no excerpts of earlier
    /// interactions, a short recap).
    pub compact: bool,
}

/// The most agentic turns one call takes unless configured otherwise; for a
/// CLI without a turn limit flag, it only scales progress.
pub const DEFAULT_MAX_TURNS: u32 = 40;

impl Settings {
    /// Returns the settings of the `backend` CLI: its executable and model
    /// (both shown in [`Self::table`]) and its permission in words, with
    /// [`DEFAULT_MAX_TURNS`] and not compact.
    pub fn new(
        backend: &'static str,
        command: String,
        model: Option<String>,
        permission: String,
    ) -> Self {
        let table = BTreeMap::from([
            ("command".to_string(), command.clone().into()),
            ("model".to_string(), model.clone().into()),
        ]);
        Settings {
            backend,
            command,
            model,
            max_turns: DEFAULT_MAX_TURNS,
            permission,
            table,
            compact: false,
        }
    }

    /// Returns `self` with more resolved settings shown in [`Self::table`].
    #[must_use]
    pub fn showing<const N: usize>(mut self, entries: [(&str, serde_json::Value); N]) -> Self {
        self.table.extend(
            entries
                .into_iter()
                .map(|(key, value)| (key.to_string(), value)),
        );
        self
    }
}

/// The environment a backend's child receives on top of the common
/// allow-list (see `proc::env`).
#[derive(Debug, Clone, Default)]
pub struct EnvPlan {
    /// Variables passed from nexus's environment: exact names, or prefixes
    /// ending in `*`.
    pub pass: Vec<String>,
    /// Variables never passed even if a pattern matches.
    pub deny: Vec<String>,
    /// Variables set for the child (their values are not secrets).
    pub set: BTreeMap<String, String>,
}

/// Whether a session's state exists where its CLI keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCheck {
    /// The CLI can resume it.
    Exists,
    /// It is gone, and why (e.g. the transcript path that is missing).
    Missing(String),
}

/// One event of an agent's output, the same for every backend. Progress
/// reporting, `nexus log` and classification all read these.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    /// The session started: its id, model, directory and CLI version.
    Init {
        /// The session (or thread) id.
        session_id: Option<String>,
        /// The model.
        model: Option<String>,
        /// The working directory.
        cwd: Option<String>,
        /// The CLI's version.
        version: Option<String>,
    },
    /// Assistant text.
    Text(String),
    /// Assistant reasoning.
    Thinking(String),
    /// A tool call: its name and input.
    ToolUse {
        /// The tool.
        name: String,
        /// Its input, as JSON or text.
        input: String,
    },
    /// A tool's result.
    ToolResult {
        /// The output text.
        text: String,
        /// Whether the tool failed.
        is_error: bool,
    },
    /// Text the user side sent (other than tool results).
    UserText(String),
    /// The CLI retries a failed API call.
    Retry {
        /// This retry's number.
        attempt: Option<u64>,
        /// The most retries.
        max: Option<u64>,
        /// The HTTP status, when there is one.
        status: Option<String>,
        /// The wait before the next try.
        delay_ms: Option<u64>,
        /// The error.
        error: String,
    },
    /// A tool was denied by the permission settings.
    PermissionDenied(String),
    /// The turn's result.
    Result {
        /// Whether it succeeded.
        success: bool,
        /// The HTTP status of an API error.
        api_status: Option<u64>,
        /// The CLI's own kind of result (`success`, `error_max_turns` …).
        kind: String,
        /// The usage it reported.
        usage: Option<Usage>,
        /// Its duration.
        duration_ms: Option<u64>,
        /// The answer or the error text.
        text: Option<String>,
    },
    /// An error the CLI reported.
    Error(String),
    /// A system event of another kind.
    System(String),
    /// Anything else the backend recognises but nexus does not render.
    Other {
        /// Its type.
        kind: String,
        /// Its raw text.
        raw: String,
    },
}

/// What one stdout line was.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// A line of the CLI's protocol, as events (possibly none).
    Events(Vec<AgentEvent>),
    /// A line that looks like the protocol but does not parse (cut off).
    Malformed,
    /// A line that is not part of the protocol (plain text).
    Text,
}

/// How the process of a turn ended, as the classifier sees it.
#[derive(Debug, Clone)]
pub struct Exit {
    /// Exit code, when it exited normally.
    pub code: Option<i32>,
    /// The signal that ended it.
    pub signal: Option<i32>,
    /// Whether (and why) the supervisor stopped it.
    pub stopped: Option<crate::proc::supervise::Stopped>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// A grandchild held its pipes after it exited.
    pub leaked: bool,
    /// The end of its stderr.
    pub stderr_tail: String,
    /// The end of its stdout (for messages about unexpected output).
    pub stdout_tail: String,
}

impl Exit {
    /// Returns the classifier's view of a finished process.
    pub fn of(finished: &Finished) -> Self {
        Exit {
            code: finished.code,
            signal: finished.signal,
            stopped: finished.stopped,
            duration_ms: u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX),
            leaked: finished.leaked,
            stderr_tail: crate::proc::supervise::tail(&finished.stderr_tail, 20, 4000),
            stdout_tail: crate::proc::supervise::tail(&finished.stdout_tail, 5, 2000),
        }
    }

    /// Returns the first non-empty stderr line.
    pub fn first_stderr_line(&self) -> String {
        self.stderr_tail
            .lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string()
    }

    /// Returns `exit N` or `no exit code`.
    pub fn code_text(&self) -> String {
        self.code
            .map_or_else(|| "no exit code".to_string(), |code| format!("exit {code}"))
    }
}

/// The most text of an answer a turn keeps (the rest is in the log).
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// What one turn produced, classified.
#[derive(Debug, Clone)]
pub struct TurnOutput {
    /// The classified outcome.
    pub outcome: Outcome,
    /// Why it did not succeed, in words.
    pub reason: Option<String>,
    /// The HTTP status of an API error, when known.
    pub api_error_status: Option<u16>,
    /// The final answer (at most [`MAX_REPLY_BYTES`]).
    pub reply: String,
    /// The session id the CLI reported.
    pub session_id: Option<String>,
    /// The CLI version (from its init event).
    pub cli_version: Option<String>,
    /// What the turn consumed: tokens and turns from the parser; the cost
    /// is set by the runtime from `[prices]` or [`Self::reported_cost`].
    pub usage: Usage,
    /// This call's token counts, split for pricing.
    pub tokens: TokenCounts,
    /// The cost the CLI reported, if it reports one.
    pub reported_cost: Option<f64>,
    /// The model the CLI reported using.
    pub model: Option<String>,
    /// The session's running token totals after this call, for a CLI that
    /// reports cumulative usage (kept in the session record and handed to
    /// the next call's parser as [`TurnContext::previous_totals`]).
    pub cumulative: Option<TokenCounts>,
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

impl TurnOutput {
    /// Returns an output with `outcome` and `reason`, everything else empty.
    pub fn failed(outcome: Outcome, reason: impl Into<String>) -> Self {
        TurnOutput {
            outcome,
            reason: Some(reason.into()),
            api_error_status: None,
            reply: String::new(),
            session_id: None,
            cli_version: None,
            usage: Usage::default(),
            tokens: TokenCounts::default(),
            reported_cost: None,
            model: None,
            cumulative: None,
            duration_ms: 0,
            exit_code: None,
            signal: None,
            permission_denials: Vec::new(),
            leaked: false,
            stderr_tail: String::new(),
        }
    }

    /// Returns an output for a process that ended as `exit`, with the
    /// outcome still to be decided (`Crashed` until then).
    pub fn from_exit(exit: &Exit) -> Self {
        TurnOutput {
            exit_code: exit.code,
            signal: exit.signal,
            duration_ms: exit.duration_ms,
            leaked: exit.leaked,
            stderr_tail: exit.stderr_tail.clone(),
            ..TurnOutput::failed(Outcome::Crashed, String::new())
        }
    }
}

/// The outcome of a turn the supervisor stopped, whatever the CLI printed.
pub fn stopped_outcome(exit: &Exit) -> Option<(Outcome, String)> {
    use crate::proc::supervise::Stopped;
    match exit.stopped? {
        Stopped::Interrupted => Some((
            Outcome::Interrupted,
            "interrupted by a signal to nexus".into(),
        )),
        Stopped::Timeout => Some((
            Outcome::Timeout,
            format!(
                "no result within the wall-clock limit ({} ms)",
                exit.duration_ms
            ),
        )),
        Stopped::Inactive => Some((
            Outcome::InactivityTimeout,
            "no output within the inactivity limit".into(),
        )),
    }
}

/// Reads one turn's stdout line by line and classifies its end. Made fresh
/// for each turn by [`Backend::parser`]; keeps only what the result needs.
pub trait TurnParser: Send {
    /// Parses one stdout line.
    fn line(&mut self, line: &str) -> Parsed;
    /// Classifies the turn once its process ended.
    fn finish(self: Box<Self>, exit: &Exit) -> TurnOutput;
}

/// How `doctor` rates something it checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fine.
    Ok,
    /// Works, but worth knowing.
    Warn,
    /// Something needed is missing or broken.
    Fail,
}

/// One piece of backend-specific advice for `doctor`.
#[derive(Debug, Clone)]
pub struct Advice {
    /// What was checked (`gemini auth`).
    pub name: String,
    /// The verdict.
    pub level: Level,
    /// What was found.
    pub detail: String,
    /// How to fix it.
    pub hint: Option<String>,
}

/// The names of an agent CLI, declared by its backend
/// ([`Backend::identity`]).
#[derive(Debug)]
pub struct Identity {
    /// The backend's name: the value of an agent's `backend` and the name of
    /// its settings table.
    pub name: &'static str,
    /// The product's name, for messages ("Claude Code").
    pub product: &'static str,
    /// The executable's default name.
    pub command: &'static str,
    /// The environment variable that overrides the executable.
    pub command_variable: &'static str,
    /// How to install the CLI.
    pub install_hint: &'static str,
}

/// An agent CLI.
pub trait Backend: Sync + std::fmt::Debug {
    /// Returns the CLI's names.
    fn identity(&self) -> &'static Identity;

    /// Returns the backend's name: the value of an agent's `backend` and the
    /// name of its settings table.
    fn name(&self) -> &'static str {
        self.identity().name
    }

    /// Returns the product's name, for messages ("Claude Code").
    fn product(&self) -> &'static str {
        self.identity().product
    }

    /// Returns the executable's default name.
    fn default_command(&self) -> &'static str {
        self.identity().command
    }

    /// Returns the environment variable that overrides the executable.
    fn command_variable(&self) -> &'static str {
        self.identity().command_variable
    }

    /// Returns how to install the CLI.
    fn install_hint(&self) -> &'static str {
        self.identity().install_hint
    }

    /// Checks this backend's table in a configuration or agent file (`path`
    /// holding `text`); an error names the file, the key and the line.
    fn check(&self, path: &Path, text: &str) -> Result<()>;

    /// Returns the keys of this backend's table in a configuration or agent
    /// file (`path` holding `text`) that the CLI cannot honour, each with
    /// why. The backend accepts such a key only where it documents it as
    /// ignored (the original profiles' `temperature`, for one); `nexus
    /// doctor` lists them. Any other unknown key stays an error.
    fn ignored_keys(&self, _path: &Path, _text: &str) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Returns the agent's resolved settings (`agent: None` for the
    /// configuration's defaults alone), for turns in an isolated workspace
    /// or not.
    fn settings(&self, config: &Config, agent: Option<&Agent>, isolated: bool) -> Result<Settings>;

    /// Returns the arguments of one turn (the program is resolved apart).
    fn turn_args(&self, request: &TurnRequest<'_>) -> Result<Vec<OsString>>;

    /// Returns the arguments of a one-off call without a session, for the
    /// planner: `prompt` in, the answer's text out (parsed by [`Self::parser`]).
    fn oneshot_args(&self, model: &str, prompt: &str) -> Vec<OsString>;

    /// Returns the environment the child gets beyond the common allow-list.
    fn env(
        &self,
        config: &Config,
        agent: Option<&Agent>,
        parent: &BTreeMap<String, String>,
    ) -> Result<EnvPlan>;

    /// Returns a parser for one turn's output.
    fn parser(&self, context: &TurnContext) -> Box<dyn TurnParser>;

    /// Returns whether a new session's id can be chosen by nexus (passed as
    /// [`SessionMode::New`]). When not, the id in `New` is provisional: the
    /// CLI names the session in its [`AgentEvent::Init`] event, and the
    /// runtime records that id at once.
    fn presets_session_id(&self) -> bool {
        true
    }

    /// Returns whether the CLI reports what a turn cost. When not, a cost is
    /// only known from `[prices]`, and `run --max-cost` refuses to start an
    /// agent whose model has no price there.
    fn reports_cost(&self) -> bool {
        false
    }

    /// Returns advice for `doctor` about this backend's set-up for `agents`
    /// (the agents that use it), read from `env` (the child's environment)
    /// and the CLI's own files; never writes anything.
    fn doctor(
        &self,
        _config: &Config,
        _agents: &[&Agent],
        _env: &BTreeMap<String, String>,
        _cwd: &Path,
    ) -> Vec<Advice> {
        Vec::new()
    }

    /// Returns whether the CLI can resume `session_id` for turns run in
    /// `cwd`, with the child's environment `env`, without spending tokens.
    fn session_check(
        &self,
        session_id: &str,
        cwd: &Path,
        env: &BTreeMap<String, String>,
    ) -> SessionCheck;

    /// Classifies a process that could not start.
    fn spawn_error(&self, error: &SpawnError) -> TurnOutput {
        let program = error.program.display();
        match error.error.kind() {
            std::io::ErrorKind::NotFound => TurnOutput::failed(
                Outcome::CliMissing,
                format!("`{program}` not found; {}", self.install_hint()),
            ),
            std::io::ErrorKind::PermissionDenied => TurnOutput::failed(
                Outcome::CliNotExecutable,
                format!("`{program}` is not executable: {}", error.error),
            ),
            _ => TurnOutput::failed(
                Outcome::SpawnFailed,
                format!("failed to start `{program}`: {}", error.error),
            ),
        }
    }
}

/// Returns the argv as recorded: the program, then each argument with long
/// values (the prompt, the system prompt) shortened.
pub fn redacted_argv(program: &Path, args: &[OsString]) -> Vec<String> {
    let mut argv = vec![program.display().to_string()];
    for arg in args {
        argv.push(crate::ui::shorten(&arg.to_string_lossy(), 80));
    }
    argv
}

/// Resolves a backend's executable: its override variable, else the
/// configured command, looked up on `PATH` (left as given when not found:
/// the spawn then reports `cli_missing` with the install hint).
pub fn resolve_program(
    backend: &dyn Backend,
    command: &str,
    env: &BTreeMap<String, String>,
    cwd: &Path,
) -> PathBuf {
    let command = env
        .get(backend.command_variable())
        .filter(|value| !value.is_empty())
        .map_or(command, String::as_str);
    crate::agents::binary::find_executable(command, env.get("PATH").map(String::as_str), cwd)
        .unwrap_or_else(|| PathBuf::from(command))
}
