//! `config.toml`: the brain, the agent backend, run limits and session TTL.
//!
//! The default file (with a comment on every setting) is
//! `.nexus-example/config.toml`, which `nexus init` writes verbatim.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::state::agent::Source;
use crate::state::fs::{Versioned, check_top_level_keys, parse_toml};
use crate::state::prices::Price;
use crate::time::HumanDuration;

/// The text `nexus init` writes as `config.toml`.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../.nexus-example/config.toml");

/// The whole configuration. Besides the tables below, the file holds one
/// table of defaults per agent backend (`[claude]` …), read by that backend
/// from [`Config::source`]; any other top-level key is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Schema version.
    pub schema: u32,
    /// The planner and its server.
    pub brain: BrainConfig,
    /// How agents are run.
    pub agent_backend: AgentBackendConfig,
    /// Run limits.
    pub run: RunConfig,
    /// Session records.
    pub sessions: SessionsConfig,
    /// Where agents work: their own git worktrees, or the project itself.
    #[serde(default)]
    pub workspace: WorkspaceConfig,
    /// Prices per model, USD per million tokens (see `state::prices`).
    #[serde(default)]
    pub prices: BTreeMap<String, Price>,
    /// The orchestrator itself.
    #[serde(default)]
    pub orchestrator: OrchestratorConfig,
    /// The file the configuration was read from, and its text.
    #[serde(skip)]
    pub source: Source,
}

/// The top-level keys of `config.toml` other than backend tables.
const FIELDS: &[&str] = &[
    "schema",
    "brain",
    "agent_backend",
    "run",
    "sessions",
    "workspace",
    "prices",
    "orchestrator",
];

impl Versioned for Config {
    const SCHEMA: u32 = 2;
    const WHAT: &'static str = "config";
}

/// Which planner turns a request into a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum PlannerKind {
    /// `openai` when its key variable is set, else `builtin`.
    Auto,
    /// An OpenAI-compatible Chat Completions server.
    Openai,
    /// The Claude CLI itself.
    Claude,
    /// The offline pipeline of the original flow.
    Builtin,
}

impl PlannerKind {
    /// Returns the name used in files and messages.
    pub fn name(self) -> &'static str {
        match self {
            PlannerKind::Auto => "auto",
            PlannerKind::Openai => "openai",
            PlannerKind::Claude => "claude",
            PlannerKind::Builtin => "builtin",
        }
    }

    /// Parses a planner name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "auto" => Some(PlannerKind::Auto),
            "openai" => Some(PlannerKind::Openai),
            "claude" => Some(PlannerKind::Claude),
            "builtin" => Some(PlannerKind::Builtin),
            _ => None,
        }
    }
}

/// How structured output is requested from an OpenAI-compatible server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonMode {
    /// `response_format: json_schema` with `strict: true`.
    JsonSchema,
    /// `response_format: json_object`.
    JsonObject,
    /// No `response_format`; the prompt alone asks for JSON.
    None,
}

/// Which request field carries the token cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenField {
    /// OpenAI's current field.
    MaxCompletionTokens,
    /// The older field, the only one Ollama reads.
    MaxTokens,
}

/// `[brain]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrainConfig {
    /// Planner selection.
    pub planner: PlannerKind,
    /// Base URL including `/v1`.
    pub base_url: String,
    /// Model name for the openai planner.
    pub model: String,
    /// Name of the environment variable holding the API key.
    pub api_key_env: String,
    /// Structured output mode.
    pub json_mode: JsonMode,
    /// Token cap.
    pub max_tokens: u32,
    /// Which field carries the token cap.
    pub token_field: TokenField,
    /// Sampling temperature.
    pub temperature: f64,
    /// Connect timeout.
    pub connect_timeout: HumanDuration,
    /// Whole-request timeout.
    pub timeout: HumanDuration,
    /// Retries after retryable failures.
    pub max_retries: u32,
    /// Longest honoured server-requested wait.
    pub max_retry_wait: HumanDuration,
    /// Model for the claude planner.
    pub claude_model: String,
    /// A JSON Schema file (relative to the `.nexus` directory) sent instead
    /// of the built-in one in `json_schema` mode; empty: the built-in one.
    #[serde(default)]
    pub plan_schema: String,
}

/// `[agent_backend]`: how agent processes are run, whatever their backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentBackendConfig {
    /// The backend of agents whose file names none.
    #[serde(default = "default_backend")]
    pub default: String,
    /// Wall-clock limit of one turn.
    pub timeout: HumanDuration,
    /// Limit on silence during a turn.
    pub inactivity_timeout: HumanDuration,
    /// SIGTERM → SIGKILL grace.
    pub grace: HumanDuration,
    /// Wait for leaked pipes after exit.
    pub leak_timeout: HumanDuration,
    /// Names (or `PREFIX*` patterns) of variables passed to agent and verify
    /// processes beyond the documented allow-list.
    #[serde(default)]
    pub pass_env: Vec<String>,
    /// Variables set for every agent process (never secrets: this file may
    /// be committed; list a secret's name in `pass_env` instead).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Schema 1: the Claude Code executable (now `[claude] command`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Schema 1: now `[claude] max_api_retries`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_api_retries: Option<u32>,
    /// Schema 1: now `[claude] api_timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_timeout: Option<HumanDuration>,
}

fn default_backend() -> String {
    "claude".to_string()
}

/// `[run]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Tasks at the same time.
    pub parallel: u32,
    /// Extra attempts for retryable failures.
    pub retries: u32,
    /// First retry delay (doubles each time).
    pub retry_backoff: HumanDuration,
    /// Plan budget in USD; 0 = none.
    pub max_cost_usd: f64,
    /// Per-task `--max-budget-usd`; 0 = none.
    pub task_max_budget_usd: f64,
}

/// Where agents work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceMode {
    /// Each agent instance in its own git worktree (in a git repository).
    #[default]
    Worktree,
    /// Every agent in the project itself.
    Shared,
}

/// `[workspace]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceConfig {
    /// `worktree` (in a git repository) or `shared`.
    #[serde(default)]
    pub mode: WorkspaceMode,
    /// Where the worktrees live (empty: under the user's data directory).
    #[serde(default)]
    pub root: String,
    /// Checks run on each merged tree before the integration branch moves.
    #[serde(default)]
    pub verify: Vec<String>,
    /// Commands run once in a new worktree.
    #[serde(default)]
    pub setup: Vec<String>,
    /// Files (git-ignored ones, e.g. `.env`) copied into a new worktree.
    #[serde(default)]
    pub copy_files: Vec<String>,
    /// Worktrees idle for longer than this are removed by `workspaces prune`.
    #[serde(default = "week")]
    pub ttl: HumanDuration,
}

fn week() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(7 * 24 * 3600))
}

impl Default for WorkspaceConfig {
    fn default() -> Self {
        WorkspaceConfig {
            mode: WorkspaceMode::default(),
            root: String::new(),
            verify: Vec::new(),
            setup: Vec::new(),
            copy_files: Vec::new(),
            ttl: week(),
        }
    }
}

/// `[orchestrator]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrchestratorConfig {
    /// The name the dashboard shows (the original's NEXUS Prime).
    #[serde(default = "OrchestratorConfig::default_name")]
    pub name: String,
}

impl OrchestratorConfig {
    fn default_name() -> String {
        "NEXUS Prime".to_string()
    }
}

impl Default for OrchestratorConfig {
    fn default() -> Self {
        OrchestratorConfig {
            name: Self::default_name(),
        }
    }
}

/// `[sessions]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionsConfig {
    /// Idle time after which a session is not resumed and may be collected.
    pub ttl: HumanDuration,
}

impl Config {
    /// Returns the defaults (the parsed `DEFAULT_CONFIG_TOML`).
    pub fn defaults() -> Self {
        Config::parse(Path::new("config.toml"), DEFAULT_CONFIG_TOML)
            .expect("the default config shipped in .nexus-example parses (tested)")
    }

    /// Reads `config.toml` and checks that values are in range.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::state::fs::read_to_string(path)?;
        Config::parse(path, &text)
    }

    /// Parses and checks the text of a configuration read from `path`: its
    /// fields, their ranges, then each backend table it holds.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let mut config: Config = parse_toml(path, text)?;
        check_top_level_keys(path, text, "config", FIELDS)?;
        config.source = Source::new(path.to_path_buf(), std::sync::Arc::from(text));
        if let Some(problem) = config.problem() {
            return Err(crate::exit::tagged_hint(
                crate::exit::Kind::StateInvalid,
                format!("config file `{}` is malformed: {problem}", path.display()),
                "fix that file; nothing else was changed",
            ));
        }
        for backend in crate::agents::BACKENDS {
            backend.check(path, text)?;
        }
        Ok(config)
    }

    /// Returns the first value out of range, naming its field.
    fn problem(&self) -> Option<String> {
        let positive = [
            ("brain.connect_timeout", self.brain.connect_timeout),
            ("brain.timeout", self.brain.timeout),
            ("agent_backend.timeout", self.agent_backend.timeout),
            (
                "agent_backend.inactivity_timeout",
                self.agent_backend.inactivity_timeout,
            ),
            ("sessions.ttl", self.sessions.ttl),
        ];
        if let Some((field, _)) = positive.iter().find(|(_, value)| value.0.is_zero()) {
            return Some(format!("field `{field}` must be longer than 0s"));
        }
        let name = self.orchestrator.name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Some(
                "field `orchestrator.name` must be 1 to 64 characters, without control characters"
                    .to_string(),
            );
        }
        if !(1..=256).contains(&self.run.parallel) {
            return Some("field `run.parallel` must be between 1 and 256".to_string());
        }
        let budgets = [
            ("run.max_cost_usd", self.run.max_cost_usd),
            ("run.task_max_budget_usd", self.run.task_max_budget_usd),
        ];
        if let Some((field, _)) = budgets
            .iter()
            .find(|(_, value)| !(value.is_finite() && *value >= 0.0))
        {
            return Some(format!(
                "field `{field}` must be 0 (no limit) or a positive amount"
            ));
        }
        if !(0.0..=2.0).contains(&self.brain.temperature) {
            return Some("field `brain.temperature` must be between 0 and 2".to_string());
        }
        if self.brain.max_tokens == 0 {
            return Some("field `brain.max_tokens` must be at least 1".to_string());
        }
        if crate::agents::backend_named(&self.agent_backend.default).is_none() {
            return Some(format!(
                "field `agent_backend.default`: `{}` is not one of {}",
                self.agent_backend.default,
                crate::agents::backend_names()
            ));
        }
        if let Some((model, key)) = self
            .prices
            .iter()
            .find_map(|(model, price)| price.problem().map(|key| (model, key)))
        {
            return Some(format!(
                "field `prices.\"{model}\".{key}` must be an amount of at least 0"
            ));
        }
        if let Some(name) = self
            .agent_backend
            .env
            .keys()
            .find(|name| crate::proc::env::looks_secret(name))
        {
            return Some(format!(
                "field `agent_backend.env.{name}` looks like a secret, and this file may be committed; \
                 export it in your environment and list `{name}` in `agent_backend.pass_env` instead"
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_parses_with_documented_values() {
        let config = Config::defaults();
        assert_eq!(config.brain.planner, PlannerKind::Auto);
        assert_eq!(config.brain.api_key_env, "OPENAI_API_KEY");
        assert_eq!(
            config.sessions.ttl.0,
            std::time::Duration::from_secs(24 * 3600)
        );
        assert_eq!(config.run.parallel, 4);
    }

    #[test]
    fn every_default_setting_has_a_comment() {
        // A setting follows its comment directly, or follows another setting
        // of the same commented group; never a blank line or a table header.
        let mut previous = "";
        for line in DEFAULT_CONFIG_TOML.lines() {
            let is_setting = line.contains(" = ") && !line.starts_with('#');
            if is_setting && line != "schema = 1" {
                let grouped = previous.starts_with('#') || previous.contains(" = ");
                assert!(grouped, "setting without a comment: {line}");
            }
            previous = line;
        }
    }

    #[test]
    fn values_out_of_range_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        for (from, to, field) in [
            ("parallel = 4", "parallel = 0", "run.parallel"),
            ("timeout = \"120s\"", "timeout = \"0s\"", "brain.timeout"),
            (
                "max_cost_usd = 0.0",
                "max_cost_usd = -1.0",
                "run.max_cost_usd",
            ),
        ] {
            std::fs::write(&path, DEFAULT_CONFIG_TOML.replace(from, to)).unwrap();
            let message = format!("{:#}", Config::load(&path).unwrap_err());
            assert!(message.contains(field), "{message}");
        }
        std::fs::write(&path, DEFAULT_CONFIG_TOML).unwrap();
        assert!(Config::load(&path).is_ok());
    }

    #[test]
    fn unknown_keys_are_errors_naming_them() {
        let text = DEFAULT_CONFIG_TOML.replace("parallel = 4", "paralel = 4");
        let error = parse_toml::<Config>(Path::new("config.toml"), &text).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("paralel"), "{message}");
    }
}
