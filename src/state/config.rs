//! `config.toml`: the brain, the agent backend, run limits and session TTL.
//!
//! The default file (with a comment on every setting) is
//! `.nexus-example/config.toml`, which `nexus init` writes verbatim.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::state::fs::{Versioned, parse_toml, read_toml};
use crate::time::HumanDuration;

/// The text `nexus init` writes as `config.toml`.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../.nexus-example/config.toml");

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
}

impl Versioned for Config {
    const SCHEMA: u32 = 1;
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
}

/// `[agent_backend]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentBackendConfig {
    /// The Claude Code executable.
    pub command: String,
    /// Wall-clock limit of one turn.
    pub timeout: HumanDuration,
    /// Limit on silence during a turn.
    pub inactivity_timeout: HumanDuration,
    /// SIGTERM → SIGKILL grace.
    pub grace: HumanDuration,
    /// Wait for leaked pipes after exit.
    pub leak_timeout: HumanDuration,
    /// `CLAUDE_CODE_MAX_RETRIES` default for the child.
    pub max_api_retries: u32,
    /// `API_TIMEOUT_MS` default for the child.
    pub api_timeout: HumanDuration,
    /// Extra environment for agent processes.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
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
        parse_toml(Path::new("config.toml"), DEFAULT_CONFIG_TOML)
            .expect("the default config shipped in .nexus-example parses (tested)")
    }

    /// Reads `config.toml`.
    pub fn load(path: &Path) -> Result<Self> {
        read_toml(path)
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
    fn unknown_keys_are_errors_naming_them() {
        let text = DEFAULT_CONFIG_TOML.replace("parallel = 4", "paralel = 4");
        let error = parse_toml::<Config>(Path::new("config.toml"), &text).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("paralel"), "{message}");
    }
}
