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
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::agents::backend::{
    AgentEvent, Backend, EnvPlan, Exit, MAX_REPLY_BYTES, Outcome, Parsed, SessionCheck,
    SessionMode, Settings, TurnContext, TurnOutput, TurnParser, TurnRequest, stopped_outcome,
};
use crate::state::agent::{Agent, Permission};
use crate::state::config::Config;
use crate::state::usage::{TokenCounts, Usage};
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

/// Lines on stderr that are the CLI's own argument errors (exit 1, nothing
/// on stdout): trying again cannot help. Any other stderr-only failure is a
/// crash, which may be retried.
const ARGUMENT_ERRORS: &[&str] = &[
    "error: unknown option",
    "error: option '",
    "error: missing required argument",
    "error: too many arguments",
    "Error: Invalid session ID",
    "Error: --session-id can only be used",
    "Error: When using --print",
    "Error: --resume requires",
    "Error: Input must be provided",
    "cannot be used with root/sudo privileges",
];

/// The Claude Code CLI backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Claude;

/// The `[claude]` table, in `config.toml` (defaults) and in an agent file
/// (overrides, key by key). Every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
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

impl Table {
    /// Returns `self` with every key `over` sets replaced by its value.
    fn overridden_by(mut self, over: Table) -> Table {
        macro_rules! take {
            ($($field:ident),*) => {
                $(if over.$field.is_some() { self.$field = over.$field; })*
            };
        }
        take!(
            command,
            model,
            max_turns,
            max_output_tokens,
            permission_mode,
            allowed_tools,
            disallowed_tools,
            add_dirs,
            max_api_retries,
            api_timeout,
            compact,
            temperature
        );
        self
    }
}

#[derive(Deserialize)]
struct InFile {
    #[serde(default)]
    claude: Option<Table>,
}

/// Reads the `[claude]` table of a file (empty when absent).
fn table_in(path: &Path, text: &str, what: &str) -> Result<Table> {
    if text.is_empty() {
        return Ok(Table::default());
    }
    let in_file: InFile = crate::state::fs::parse_toml_part(path, text, what)?;
    Ok(in_file.claude.unwrap_or_default())
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
    let mut table = legacy.overridden_by(table_in(
        &config.source.path,
        &config.source.text,
        "config",
    )?);
    if let Some(agent) = agent {
        table = table.overridden_by(table_in(&agent.source.path, &agent.source.text, "agent")?);
    }
    let permission = match agent.and_then(|agent| agent.permission) {
        Some(Permission::Build) if !isolated => Permission::Edit,
        Some(permission) => permission,
        None => Permission::Edit,
    };
    let (mode, mut allowed) = match permission {
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
        max_turns: table.max_turns.unwrap_or(40),
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

impl Backend for Claude {
    fn name(&self) -> &'static str {
        "claude"
    }

    fn product(&self) -> &'static str {
        "Claude Code"
    }

    fn default_command(&self) -> &'static str {
        "claude"
    }

    fn command_variable(&self) -> &'static str {
        crate::env_vars::NEXUS_CLAUDE_BIN
    }

    fn install_hint(&self) -> &'static str {
        "install Claude Code with `npm install -g @anthropic-ai/claude-code`, \
         or set `NEXUS_CLAUDE_BIN` or `[claude] command` to its path"
    }

    fn check(&self, path: &Path, text: &str) -> Result<()> {
        let what = if path.extension().is_some_and(|ext| ext == "toml")
            && path.file_name().is_some_and(|name| name == "config.toml")
        {
            "config"
        } else {
            "agent"
        };
        let table = table_in(path, text, what)?;
        let problem = if let Some(mode) = table
            .permission_mode
            .as_deref()
            .filter(|mode| !PERMISSION_MODES.contains(mode))
        {
            Some(format!(
                "field `claude.permission_mode`: `{mode}` is not one of {}",
                PERMISSION_MODES.join(", ")
            ))
        } else if table.max_turns == Some(0) {
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
        };
        match problem {
            Some(problem) => Err(crate::exit::tagged(
                crate::exit::Kind::StateInvalid,
                format!("{what} file `{}` is malformed: {problem}", path.display()),
            )),
            None => Ok(()),
        }
    }

    fn ignored_keys(&self, path: &Path, text: &str) -> Vec<(String, String)> {
        let what = if path.file_name().is_some_and(|name| name == "config.toml") {
            "config"
        } else {
            "agent"
        };
        table_in(path, text, what)
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
        let mut table = BTreeMap::new();
        let mut put = |key: &str, value: Value| {
            table.insert(key.to_string(), value);
        };
        put("command", resolved.command.clone().into());
        put(
            "model",
            resolved.model.clone().map_or(Value::Null, Value::from),
        );
        put("max_turns", resolved.max_turns.into());
        put("max_output_tokens", resolved.max_output_tokens.into());
        put("permission_mode", resolved.permission_mode.clone().into());
        put("allowed_tools", resolved.allowed_tools.clone().into());
        put("disallowed_tools", resolved.disallowed_tools.clone().into());
        put("add_dirs", resolved.add_dirs.clone().into());
        put("max_api_retries", resolved.max_api_retries.into());
        put("api_timeout", resolved.api_timeout.to_string().into());
        put("compact", resolved.compact.into());
        Ok(Settings {
            backend: self.name(),
            command: resolved.command,
            model: resolved.model,
            max_turns: resolved.max_turns,
            permission: resolved.permission_mode,
            table,
            compact: resolved.compact,
        })
    }

    fn turn_args(&self, request: &TurnRequest<'_>) -> Result<Vec<OsString>> {
        let settings = resolve_for(request.config, Some(request.agent), request.isolated)?;
        let mut args: Vec<OsString> = vec![
            "-p".into(),
            "--output-format".into(),
            "stream-json".into(),
            "--verbose".into(),
        ];
        match &request.session {
            SessionMode::New(id) => {
                args.push("--session-id".into());
                args.push(id.into());
            }
            SessionMode::Resume(id) => {
                args.push("--resume".into());
                args.push(id.into());
            }
        }
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
        Box::new(Parser::default())
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

/// Lines longer than this are logged but not parsed (a JSON value that size
/// would take several times its size in memory).
const MAX_PARSED_LINE: usize = 64 << 20;

/// The state of one turn's output: what the classification needs.
#[derive(Default)]
struct Parser {
    session_id: Option<String>,
    version: Option<String>,
    model: Option<String>,
    result: Option<Value>,
    any_json: bool,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item.get("text").and_then(Value::as_str) {
                Some(text) => text.to_string(),
                None => item.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn u64_at(value: &Value, pointer: &str) -> u64 {
    value.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

/// Returns the usage a `result` object reports.
fn usage_of(result: &Value) -> Usage {
    Usage {
        cost_usd: result
            .get("total_cost_usd")
            .and_then(Value::as_f64)
            .unwrap_or(0.0),
        input_tokens: u64_at(result, "/usage/input_tokens")
            + u64_at(result, "/usage/cache_creation_input_tokens")
            + u64_at(result, "/usage/cache_read_input_tokens"),
        output_tokens: u64_at(result, "/usage/output_tokens"),
        turns: u32::try_from(u64_at(result, "/num_turns")).unwrap_or(u32::MAX),
        unpriced_turns: 0,
    }
}

/// Returns the token counts a `result` object reports, split for pricing.
fn tokens_of(result: &Value) -> TokenCounts {
    let cached_input = u64_at(result, "/usage/cache_read_input_tokens");
    let cache_write_input = u64_at(result, "/usage/cache_creation_input_tokens");
    TokenCounts {
        input: u64_at(result, "/usage/input_tokens") + cached_input + cache_write_input,
        cached_input,
        cache_write_input,
        output: u64_at(result, "/usage/output_tokens"),
    }
}

/// Returns the `errors` of a result, joined.
fn errors_of(result: &Value) -> Option<String> {
    result
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|text| !text.is_empty())
}

fn denials_of(result: &Value) -> Vec<String> {
    result
        .get("permission_denials")
        .and_then(Value::as_array)
        .map(|denials| {
            denials
                .iter()
                .map(|denial| {
                    denial
                        .get("tool_name")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown tool")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Returns the events of one parsed stream-json object.
fn events_of(event: &Value) -> Vec<AgentEvent> {
    let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
    let subtype = event.get("subtype").and_then(Value::as_str).unwrap_or("");
    let string = |name: &str| event.get(name).and_then(Value::as_str).map(str::to_string);
    match (kind, subtype) {
        ("system", "init") => vec![AgentEvent::Init {
            session_id: string("session_id"),
            model: string("model"),
            cwd: string("cwd"),
            version: string("claude_code_version"),
        }],
        ("system", "api_retry") => vec![AgentEvent::Retry {
            attempt: event.get("attempt").and_then(Value::as_u64),
            max: event.get("max_retries").and_then(Value::as_u64),
            status: event
                .get("error_status")
                .filter(|status| !status.is_null())
                .map(ToString::to_string),
            delay_ms: event
                .get("retry_delay_ms")
                .and_then(Value::as_f64)
                .map(|ms| {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let ms = ms.max(0.0) as u64;
                    ms
                }),
            error: string("error").unwrap_or_else(|| "?".to_string()),
        }],
        ("system", other) => vec![AgentEvent::System(other.to_string())],
        ("assistant", _) => event
            .pointer("/message/content")
            .and_then(Value::as_array)
            .map(|content| {
                content
                    .iter()
                    .map(|item| {
                        let field = |name: &str| {
                            item.get(name)
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string()
                        };
                        match item.get("type").and_then(Value::as_str).unwrap_or("") {
                            "text" => AgentEvent::Text(field("text")),
                            "thinking" => AgentEvent::Thinking(field("thinking")),
                            "tool_use" => AgentEvent::ToolUse {
                                name: item
                                    .get("name")
                                    .and_then(Value::as_str)
                                    .unwrap_or("?")
                                    .to_string(),
                                input: item.get("input").map_or_else(String::new, Value::to_string),
                            },
                            other => AgentEvent::Other {
                                kind: format!("assistant {other}"),
                                raw: item.to_string(),
                            },
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        ("user", _) => match event.pointer("/message/content") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    if item.get("type").and_then(Value::as_str) == Some("tool_result") {
                        AgentEvent::ToolResult {
                            text: text_of(item.get("content").unwrap_or(&Value::Null)),
                            is_error: item.get("is_error").and_then(Value::as_bool) == Some(true),
                        }
                    } else {
                        AgentEvent::UserText(text_of(item.get("text").unwrap_or(item)))
                    }
                })
                .collect(),
            Some(other) => vec![AgentEvent::UserText(text_of(other))],
            None => vec![AgentEvent::UserText(String::new())],
        },
        ("result", _) => {
            let mut events: Vec<AgentEvent> = denials_of(event)
                .into_iter()
                .map(AgentEvent::PermissionDenied)
                .collect();
            let success = event.get("is_error").and_then(Value::as_bool) == Some(false);
            events.push(AgentEvent::Result {
                success,
                api_status: event.get("api_error_status").and_then(Value::as_u64),
                kind: subtype.to_string(),
                usage: Some(usage_of(event)),
                duration_ms: event.get("duration_ms").and_then(Value::as_u64),
                text: string("result").or_else(|| errors_of(event)),
            });
            events
        }
        (other, _) => vec![AgentEvent::Other {
            kind: if other.is_empty() {
                "event".to_string()
            } else {
                other.to_string()
            },
            raw: event.to_string(),
        }],
    }
}

impl Parser {
    fn consider(&mut self, value: Value) -> Vec<AgentEvent> {
        self.any_json = true;
        let events = events_of(&value);
        for event in &events {
            if let AgentEvent::Init {
                session_id,
                version,
                model,
                ..
            } = event
            {
                self.session_id.clone_from(session_id);
                self.version.clone_from(version);
                self.model.clone_from(model);
            }
        }
        if value.get("type").and_then(Value::as_str) == Some("result") {
            self.result = Some(value);
        }
        events
    }
}

impl TurnParser for Parser {
    fn line(&mut self, line: &str) -> Parsed {
        let trimmed = line.trim();
        if trimmed.len() > MAX_PARSED_LINE {
            return Parsed::Malformed;
        }
        if trimmed.starts_with('[') {
            // `--output-format json --verbose` prints one array of messages.
            return match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::Array(items)) => Parsed::Events(
                    items
                        .into_iter()
                        .flat_map(|item| self.consider(item))
                        .collect(),
                ),
                _ => Parsed::Malformed,
            };
        }
        if !trimmed.starts_with('{') {
            return Parsed::Text;
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(value) if value.is_object() => Parsed::Events(self.consider(value)),
            _ => Parsed::Malformed,
        }
    }

    fn finish(self: Box<Self>, exit: &Exit) -> TurnOutput {
        let mut output = TurnOutput::from_exit(exit);
        output.session_id = self.session_id.clone();
        output.cli_version = self.version.clone();
        output.model = self.model.clone();
        if let Some(result) = &self.result {
            let mut reply = result
                .get("result")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if reply.len() > MAX_REPLY_BYTES {
                let mut cut = MAX_REPLY_BYTES;
                while !reply.is_char_boundary(cut) {
                    cut -= 1;
                }
                reply.truncate(cut);
                reply.push_str(
                    "\n[…answer truncated by nexus; the whole answer is in the task's log]",
                );
            }
            output.reply = reply;
            if let Some(session) = result.get("session_id").and_then(Value::as_str) {
                output.session_id = Some(session.to_string());
            }
            output.usage = usage_of(result);
            output.tokens = tokens_of(result);
            output.reported_cost = result.get("total_cost_usd").and_then(Value::as_f64);
            output.api_error_status = result
                .get("api_error_status")
                .and_then(Value::as_u64)
                .and_then(|status| u16::try_from(status).ok());
            output.permission_denials = denials_of(result);
        }
        let (outcome, reason) = classify(exit, self.result.as_ref(), self.any_json, &output);
        output.outcome = outcome;
        output.reason = reason;
        output
    }
}

fn classify(
    exit: &Exit,
    result: Option<&Value>,
    any_json: bool,
    output: &TurnOutput,
) -> (Outcome, Option<String>) {
    if let Some((outcome, reason)) = stopped_outcome(exit) {
        return (outcome, Some(reason));
    }
    let first_stderr_line = exit.first_stderr_line();
    if let Some(result) = result {
        let subtype = result
            .get("subtype")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let errors = errors_of(result);
        if subtype == "error_max_turns" {
            return (
                Outcome::MaxTurns,
                Some(errors.unwrap_or_else(|| {
                    format!("reached the turn limit after {} turns", output.usage.turns)
                })),
            );
        }
        if subtype == "error_max_budget_usd" {
            return (
                Outcome::BudgetExceeded,
                Some(errors.unwrap_or_else(|| "reached the budget limit".into())),
            );
        }
        // `--resume` of an unknown session in stream-json mode is a result,
        // not just a stderr line (`d_resume_unknown_uuid_stream_json.jsonl`):
        // it must lead to recovery, not pass for an API error.
        if let Some(text) = errors
            .as_deref()
            .filter(|text| text.contains("No conversation found"))
        {
            return (Outcome::SessionNotFound, Some(text.to_string()));
        }
        if result
            .get("is_error")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            let message = if output.reply.is_empty() {
                errors.unwrap_or_else(|| subtype.to_string())
            } else {
                output.reply.clone()
            };
            if output.api_error_status.is_none() && message.contains("Not logged in") {
                return (
                    Outcome::AuthFailed,
                    Some(format!(
                        "{}; set `ANTHROPIC_API_KEY` (listed in the child's environment) or log in with `claude`",
                        crate::ui::shorten(&message, 200)
                    )),
                );
            }
            let status = output.api_error_status.map_or_else(
                || "no HTTP status".to_string(),
                |status| format!("HTTP {status}"),
            );
            return (
                Outcome::ApiError,
                Some(format!(
                    "API error ({status}): {}",
                    crate::ui::shorten(&message, 300)
                )),
            );
        }
        if exit.code != Some(0) {
            return (
                Outcome::Crashed,
                Some(format!("{} after a successful result", exit.code_text())),
            );
        }
        if !output.permission_denials.is_empty() {
            return (
                Outcome::PermissionDenied,
                Some(format!(
                    "tools denied by the permission settings: {}",
                    output.permission_denials.join(", ")
                )),
            );
        }
        return (Outcome::Success, None);
    }
    if let Some(signal) = exit.signal {
        return (Outcome::Killed, Some(format!("killed by signal {signal}")));
    }
    if first_stderr_line.contains("No conversation found") {
        return (Outcome::SessionNotFound, Some(first_stderr_line));
    }
    if first_stderr_line.contains("is already in use") {
        return (Outcome::SessionInUse, Some(first_stderr_line));
    }
    let stderr_suffix = if first_stderr_line.is_empty() {
        String::new()
    } else {
        format!(": {first_stderr_line}")
    };
    if !any_json && exit.stdout_tail.trim().is_empty() {
        if exit.code == Some(1)
            && ARGUMENT_ERRORS
                .iter()
                .any(|known| first_stderr_line.contains(known))
        {
            return (Outcome::BadArguments, Some(first_stderr_line));
        }
        return (
            Outcome::Crashed,
            Some(format!(
                "{} with no output{stderr_suffix}",
                exit.code_text()
            )),
        );
    }
    if any_json && exit.code.is_some_and(|code| code != 0) {
        // The stream started (`system/init`) and the CLI died before its
        // `result`: a crash, not unreadable output.
        return (
            Outcome::Crashed,
            Some(format!(
                "{} before a `result`{stderr_suffix}",
                exit.code_text()
            )),
        );
    }
    let what = if any_json {
        "no `result` object in the output"
    } else {
        "output is not JSON"
    };
    (
        Outcome::InvalidOutput,
        Some(format!(
            "{what} ({}): {}",
            exit.code_text(),
            crate::ui::shorten(&exit.stdout_tail, 200)
        )),
    )
}

#[cfg(test)]
mod tests;
