//! Claude Code as an agent backend, built on what the real CLI 2.1.197 was
//! seen to do (`tests/fixtures/claude-cli-samples/README.md`):
//!
//! - `-p --output-format stream-json --verbose`: the first line (`system/init`)
//!   carries the session id and CLI version even if the turn dies later; the
//!   `result` object comes last.
//! - the prompt goes last, after `--` (variadic options swallow a following
//!   prompt; a prompt starting with `-` would be parsed as an option);
//! - the personality goes in `--append-system-prompt` on every call, because
//!   `--resume` does not keep it;
//! - success is exit 0 **and** `is_error == false`, never judged by `subtype`;
//!   `error_max_turns`/`error_max_budget_usd` have no `result` but `errors`;
//!   argument and session errors are exit 1 with empty stdout and a message
//!   on stderr; a tool the permissions deny is listed in
//!   `permission_denials` while the call "succeeds";
//! - transcripts live at `<CLAUDE_CONFIG_DIR or ~/.claude>/projects/<cwd
//!   with every non-alphanumeric character as '-'>/<session>.jsonl`, so a
//!   session's validity is a file check that spends no tokens.
//!
//! Settings: the `[claude]` table of `config.toml`, overridden key by key by
//! the agent file's `[claude]` table (see [`Table`]).
//!
//! `compact = true` is for small local models (a llama.cpp server behind
//! `ANTHROPIC_BASE_URL`, 8k tokens of context): the personality replaces the
//! CLI's own system prompt (`--system-prompt`), no tool is offered
//! (`--tools ""`, so no tool schemas fill the context) and the output is
//! capped (`CLAUDE_CODE_MAX_OUTPUT_TOKENS`, [`COMPACT_MAX_OUTPUT_TOKENS`]
//! unless `max_output_tokens` says otherwise).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::agents::backend::{
    Backend, DEFAULT_MAX_TURNS, EnvPlan, Identity, SessionCheck, Settings, TurnContext, TurnParser,
    TurnRequest,
};
use crate::agents::table::{self, layered};
use crate::state::agent::{Agent, Permission};
use crate::state::config::Config;
use crate::time::HumanDuration;

/// What a compact agent's system prompt ends with: a small model rambles
/// into its output cap otherwise.
pub const COMPACT_INSTRUCTION: &str = "Answer in two or three short sentences, then stop.";

/// The output cap of a compact agent whose `max_output_tokens` is 0.
pub const COMPACT_MAX_OUTPUT_TOKENS: u32 = 1024;

/// Variables that leak in when nexus itself runs inside a Claude Code
/// session and would make the child believe it is nested.
pub const NESTED_SESSION_VARS: &[&str] = &[
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SSE_PORT",
];

/// Permission modes the CLI accepts.
pub const PERMISSION_MODES: &[&str] = &[
    "default",
    "acceptEdits",
    "plan",
    "bypassPermissions",
    "dontAsk",
    "auto",
];

/// The shell commands the `build` permission allows (`Bash(<cmd>:*)`): the
/// common build and test tools, and read-only git.
pub const BUILD_COMMANDS: &[&str] = &[
    "cargo build",
    "cargo check",
    "cargo test",
    "cargo clippy",
    "cargo fmt",
    "cargo run",
    "npm install",
    "npm ci",
    "npm test",
    "npm run",
    "pnpm install",
    "pnpm test",
    "pnpm run",
    "yarn install",
    "yarn test",
    "yarn run",
    "npx",
    "pytest",
    "python -m pytest",
    "uv run",
    "go build",
    "go test",
    "go vet",
    "make",
    "mvn",
    "gradle",
    "git status",
    "git diff",
    "git log",
    "git show",
    "ls",
];

layered! {
    /// The `[claude]` table, in `config.toml` (defaults) and in an agent file
    /// (overrides, key by key). Every key is optional.
    pub struct Table in "claude" {
        /// The executable (`NEXUS_CLAUDE_BIN` overrides it).
        pub command: Option<String>,
        /// `--model`: an alias or a full name; the CLI's default when unset.
        pub model: Option<String>,
        /// `--max-turns` (default 40).
        pub max_turns: Option<u32>,
        /// `CLAUDE_CODE_MAX_OUTPUT_TOKENS`; 0 = the CLI's default.
        pub max_output_tokens: Option<u32>,
        /// `--permission-mode`; else from the agent's `permission`.
        pub permission_mode: Option<String>,
        /// `--allowedTools`, added to what the agent's `permission` allows.
        pub allowed_tools: Option<Vec<String>>,
        /// `--disallowedTools`.
        pub disallowed_tools: Option<Vec<String>>,
        /// `--add-dir`: extra directories the agent may use.
        pub add_dirs: Option<Vec<String>>,
        /// `CLAUDE_CODE_MAX_RETRIES` unless set in the environment (default 2).
        pub max_api_retries: Option<u32>,
        /// `API_TIMEOUT_MS` unless set in the environment (default 120s).
        pub api_timeout: Option<HumanDuration>,
        /// For small local models: the personality replaces the system prompt,
        /// no tools, capped output (default false).
        pub compact: Option<bool>,
        /// The sampling temperature of the original agent profiles, accepted
        /// and ignored: Claude Code has no temperature setting (no flag, no
        /// variable). `nexus doctor` lists it; any other unknown key is an error.
        pub temperature: Option<f64>,
    }
}

/// An agent's settings, every key resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The executable as configured.
    pub command: String,
    /// `--model`, when set.
    pub model: Option<String>,
    /// `--max-turns`.
    pub max_turns: u32,
    /// `CLAUDE_CODE_MAX_OUTPUT_TOKENS` (0 = default).
    pub max_output_tokens: u32,
    /// `--permission-mode`.
    pub permission_mode: String,
    /// `--allowedTools`.
    pub allowed_tools: Vec<String>,
    /// `--disallowedTools`.
    pub disallowed_tools: Vec<String>,
    /// `--add-dir`.
    pub add_dirs: Vec<String>,
    /// `CLAUDE_CODE_MAX_RETRIES` default.
    pub max_api_retries: u32,
    /// `API_TIMEOUT_MS` default.
    pub api_timeout: HumanDuration,
    /// Compact mode (see the module docs).
    pub compact: bool,
}

/// Resolves the settings: defaults, then schema-1 keys of
/// `[agent_backend]`, then `config.toml`'s `[claude]`, then the agent's.
pub fn resolve(config: &Config, agent: Option<&Agent>) -> Result<Resolved> {
    resolve_for(config, agent, true)
}

/// Resolves the settings of a turn; outside an isolated workspace the
/// `build` permission is `edit` (no shell in the user's own checkout).
fn resolve_for(config: &Config, agent: Option<&Agent>, isolated: bool) -> Result<Resolved> {
    let legacy = Table {
        command: config.agent_backend.command.clone(),
        max_api_retries: config.agent_backend.max_api_retries,
        api_timeout: config.agent_backend.api_timeout,
        ..Table::default()
    };
    let table = table::layers(legacy, config, agent)?;
    let (mode, mut allowed) = match table::permission(agent, isolated) {
        Permission::Read => ("default", Vec::new()),
        Permission::Edit => ("acceptEdits", Vec::new()),
        Permission::Build => (
            "acceptEdits",
            BUILD_COMMANDS
                .iter()
                .map(|command| format!("Bash({command}:*)"))
                .collect(),
        ),
        Permission::Full => ("bypassPermissions", Vec::new()),
    };
    for tool in table.allowed_tools.unwrap_or_default() {
        if !allowed.contains(&tool) {
            allowed.push(tool);
        }
    }
    let compact = table.compact.unwrap_or(false);
    let max_output_tokens = match table.max_output_tokens.unwrap_or(0) {
        0 if compact => COMPACT_MAX_OUTPUT_TOKENS,
        tokens => tokens,
    };
    Ok(Resolved {
        compact,
        command: table
            .command
            .unwrap_or_else(|| Claude.default_command().to_string()),
        model: table.model,
        max_turns: table.max_turns.unwrap_or(DEFAULT_MAX_TURNS),
        max_output_tokens,
        permission_mode: table.permission_mode.unwrap_or_else(|| mode.to_string()),
        allowed_tools: allowed,
        disallowed_tools: table.disallowed_tools.unwrap_or_default(),
        add_dirs: table.add_dirs.unwrap_or_default(),
        max_api_retries: table.max_api_retries.unwrap_or(2),
        api_timeout: table
            .api_timeout
            .unwrap_or(HumanDuration(std::time::Duration::from_secs(120))),
    })
}

/// Returns the CLI's projects directory: `$CLAUDE_CONFIG_DIR/projects`, else
/// `$HOME/.claude/projects`.
pub fn projects_dir(env: &BTreeMap<String, String>) -> Option<PathBuf> {
    if let Some(config) = env
        .get("CLAUDE_CONFIG_DIR")
        .filter(|value| !value.is_empty())
    {
        return Some(PathBuf::from(config).join("projects"));
    }
    env.get("HOME")
        .filter(|value| !value.is_empty())
        .map(|home| PathBuf::from(home).join(".claude/projects"))
}

/// Returns the transcript path of `session_id` for turns run in `cwd`: every
/// character of the cwd not in `[A-Za-z0-9]` becomes `-` (the cwd as the
/// CLI sees it: without a trailing `/`).
pub fn transcript_path(
    session_id: &str,
    cwd: &Path,
    env: &BTreeMap<String, String>,
) -> Option<PathBuf> {
    let cwd: PathBuf = cwd.components().collect();
    let escaped: String = cwd
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    projects_dir(env).map(|dir| dir.join(escaped).join(format!("{session_id}.jsonl")))
}

/// The Claude Code CLI backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Claude;

/// Claude Code's names.
static IDENTITY: Identity = Identity {
    name: "claude",
    product: "Claude Code",
    command: "claude",
    command_variable: crate::env_vars::NEXUS_CLAUDE_BIN,
    install_hint: "install Claude Code with `npm install -g @anthropic-ai/claude-code`, \
         or set `NEXUS_CLAUDE_BIN` or `[claude] command` to its path",
};

impl Backend for Claude {
    fn identity(&self) -> &'static Identity {
        &IDENTITY
    }

    fn check(&self, path: &Path, text: &str) -> Result<()> {
        table::check(path, text, |table: &Table| {
            let mode = table.permission_mode.as_deref();
            table::not_one_of("claude.permission_mode", mode, PERMISSION_MODES).or_else(|| {
                if table.max_turns == Some(0) {
                    Some("field `claude.max_turns` must be at least 1".to_string())
                } else if table.api_timeout.is_some_and(|timeout| timeout.0.is_zero()) {
                    Some("field `claude.api_timeout` must be longer than 0s".to_string())
                } else if table
                    .temperature
                    .is_some_and(|temperature| !(0.0..=1.0).contains(&temperature))
                {
                    Some("field `claude.temperature` must be between 0 and 1".to_string())
                } else {
                    None
                }
            })
        })
    }

    fn ignored_keys(&self, path: &Path, text: &str) -> Vec<(String, String)> {
        table::table_in::<Table>(path, text, table::what_of(path))
            .ok()
            .and_then(|table| table.temperature)
            .map(|temperature| {
                vec![(
                    "claude.temperature".to_string(),
                    format!(
                        "{temperature} is kept as written and ignored: Claude Code has no temperature setting"
                    ),
                )]
            })
            .unwrap_or_default()
    }

    fn settings(&self, config: &Config, agent: Option<&Agent>, isolated: bool) -> Result<Settings> {
        let resolved = resolve_for(config, agent, isolated)?;
        let settings = Settings {
            max_turns: resolved.max_turns,
            compact: resolved.compact,
            ..Settings::new(
                self.name(),
                resolved.command,
                resolved.model,
                resolved.permission_mode.clone(),
            )
        };
        Ok(settings.showing([
            ("max_turns", resolved.max_turns.into()),
            ("max_output_tokens", resolved.max_output_tokens.into()),
            ("permission_mode", resolved.permission_mode.into()),
            ("allowed_tools", resolved.allowed_tools.into()),
            ("disallowed_tools", resolved.disallowed_tools.into()),
            ("add_dirs", resolved.add_dirs.into()),
            ("max_api_retries", resolved.max_api_retries.into()),
            ("api_timeout", resolved.api_timeout.to_string().into()),
            ("compact", resolved.compact.into()),
        ]))
    }

    fn turn_args(&self, request: &TurnRequest<'_>) -> Result<Vec<OsString>> {
        let settings = resolve_for(request.config, Some(request.agent), request.isolated)?;
        let mut args: Vec<OsString> = vec![
            "-p".into(),
            "--output-format".into(),
            "stream-json".into(),
            "--verbose".into(),
        ];
        args.extend(request.session.args("--session-id", "--resume"));
        if let Some(model) = &settings.model {
            args.push("--model".into());
            args.push(model.into());
        }
        args.push("--max-turns".into());
        args.push(settings.max_turns.to_string().into());
        args.push("--permission-mode".into());
        args.push(settings.permission_mode.clone().into());
        if let Some(budget) = request.max_budget_usd.filter(|budget| *budget > 0.0) {
            args.push("--max-budget-usd".into());
            args.push(format!("{budget}").into());
        }
        if settings.compact {
            // A small model's context holds no tool schemas and no CLI
            // system prompt: the personality is the whole system prompt.
            args.push("--system-prompt".into());
            args.push(
                format!(
                    "{}\n\n{COMPACT_INSTRUCTION}",
                    request.system_prompt.trim_end()
                )
                .into(),
            );
            args.push("--tools".into());
            args.push("".into());
        } else {
            args.push("--append-system-prompt".into());
            args.push(request.system_prompt.clone().into());
        }
        let no_tools = Vec::new();
        for (flag, values) in [
            (
                "--allowedTools",
                if settings.compact {
                    &no_tools
                } else {
                    &settings.allowed_tools
                },
            ),
            ("--disallowedTools", &settings.disallowed_tools),
            ("--add-dir", &settings.add_dirs),
        ] {
            if !values.is_empty() {
                args.push(flag.into());
                args.extend(values.iter().map(OsString::from));
            }
        }
        args.push("--".into());
        args.push(request.prompt.clone().into());
        Ok(args)
    }

    fn oneshot_args(&self, model: &str, prompt: &str) -> Vec<OsString> {
        // One JSON object at the end: the parser reads it like the last
        // line of a stream.
        [
            "-p",
            "--output-format",
            "json",
            "--model",
            model,
            "--",
            prompt,
        ]
        .iter()
        .map(OsString::from)
        .collect()
    }

    fn env(
        &self,
        config: &Config,
        agent: Option<&Agent>,
        parent: &BTreeMap<String, String>,
    ) -> Result<EnvPlan> {
        let settings = resolve(config, agent)?;
        let mut pass: Vec<String> = [
            "ANTHROPIC_*",
            "CLAUDE_CODE_*",
            "CLAUDE_CONFIG_DIR",
            "DISABLE_TELEMETRY",
            "DISABLE_ERROR_REPORTING",
            "DISABLE_AUTOUPDATER",
            "DISABLE_BUG_COMMAND",
            "DISABLE_COST_WARNINGS",
            "DISABLE_NON_ESSENTIAL_MODEL_CALLS",
            "API_TIMEOUT_MS",
            "MAX_THINKING_TOKENS",
            "MCP_TIMEOUT",
            "MCP_TOOL_TIMEOUT",
            "BASH_DEFAULT_TIMEOUT_MS",
            "BASH_MAX_TIMEOUT_MS",
            "IS_SANDBOX",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        // Bedrock and Vertex need their cloud's credentials, only then.
        let set_in_parent = |name: &str| parent.get(name).is_some_and(|value| !value.is_empty());
        if set_in_parent("CLAUDE_CODE_USE_BEDROCK") {
            pass.push("AWS_*".to_string());
        }
        if set_in_parent("CLAUDE_CODE_USE_VERTEX") {
            pass.extend(
                [
                    "CLOUD_ML_REGION",
                    "VERTEX_REGION_*",
                    "GOOGLE_APPLICATION_CREDENTIALS",
                    "GOOGLE_CLOUD_PROJECT",
                ]
                .iter()
                .map(ToString::to_string),
            );
        }
        let mut set = BTreeMap::new();
        if !set_in_parent("CLAUDE_CODE_MAX_RETRIES") {
            set.insert(
                "CLAUDE_CODE_MAX_RETRIES".to_string(),
                settings.max_api_retries.to_string(),
            );
        }
        if !set_in_parent("API_TIMEOUT_MS") {
            set.insert(
                "API_TIMEOUT_MS".to_string(),
                settings.api_timeout.0.as_millis().to_string(),
            );
        }
        if settings.max_output_tokens > 0 {
            set.insert(
                "CLAUDE_CODE_MAX_OUTPUT_TOKENS".to_string(),
                settings.max_output_tokens.to_string(),
            );
        }
        Ok(EnvPlan {
            pass,
            deny: NESTED_SESSION_VARS
                .iter()
                .map(ToString::to_string)
                .collect(),
            set,
        })
    }

    fn parser(&self, _context: &TurnContext) -> Box<dyn TurnParser> {
        Box::new(stream::Parser::default())
    }

    fn reports_cost(&self) -> bool {
        true
    }

    fn session_check(
        &self,
        session_id: &str,
        cwd: &Path,
        env: &BTreeMap<String, String>,
    ) -> SessionCheck {
        match transcript_path(session_id, cwd, env) {
            Some(path) if path.is_file() => SessionCheck::Exists,
            Some(path) => SessionCheck::Missing(format!("transcript `{}` is gone", path.display())),
            None => SessionCheck::Missing("neither HOME nor CLAUDE_CONFIG_DIR is set".to_string()),
        }
    }
}

mod stream;
#[cfg(test)]
mod tests;
