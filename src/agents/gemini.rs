//! The Gemini CLI (`@google/gemini-cli` 0.61.0) as an agent backend, built
//! on what the real CLI was seen to do
//! (`tests/fixtures/agent-cli-samples/README.md`):
//!
//! - a turn is `gemini --prompt=PROMPT -o stream-json -m MODEL
//!   --approval-mode MODE (--session-id ID | --resume ID)`, stdin closed;
//!   `-m` is always passed (without it the CLI's router first calls another
//!   model, and retries for minutes when that fails);
//! - a new session's id is preset with `--session-id`; `--resume ID` keeps
//!   it; sessions are per directory (`$HOME/.gemini/projects.json` maps the
//!   cwd to a short name, the session file is
//!   `$HOME/.gemini/tmp/<short>/chats/session-…-<id[..8]>.jsonl` whose first
//!   line names the `sessionId`), so validity is a file check that spends no
//!   tokens;
//! - there is no system prompt flag that keeps the CLI's own (its
//!   `GEMINI_SYSTEM_MD` replaces it, tool instructions included), so the
//!   personality opens every prompt;
//! - stream-json: `init{session_id,model}`, `message` (assistant text in
//!   deltas), `tool_use`, `tool_result`, `error`, then `result{status,stats}`;
//!   usage is per call; no cost;
//! - success is exit 0 and a `result` with `status: "success"`; a tool the
//!   approval mode does not offer comes back as a `tool_result` error of
//!   type `tool_not_registered`: a permission denial;
//! - exit codes: 41 authentication (no `security.auth.selectedType` in the
//!   settings), 42 a session or input argument, 53 the turn limit, 55 an
//!   untrusted folder, and the HTTP status mod 256 for an API error (500 →
//!   244); exit 0 **without** a `result` is a CLI that SIGTERM stopped;
//! - headless runs need two things nexus never does silently: the auth type
//!   in the user's `settings.json` (`doctor` explains it; nexus never writes
//!   it) and a trusted folder (`trust_workspace = true` in `[gemini]` passes
//!   `--skip-trust`; nexus never sets `GEMINI_CLI_TRUST_WORKSPACE`).
//!
//! Settings: the `[gemini]` table of `config.toml`, overridden key by key by
//! the agent file's `[gemini]` table (see [`Table`]).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::Value;

use crate::agents::backend::{
    Advice, AgentEvent, Backend, EnvPlan, Exit, Identity, Level, Outcome, Parsed, SessionCheck,
    Settings, TurnContext, TurnOutput, TurnParser, TurnRequest, stopped_outcome,
};
use crate::agents::parse::{self, string_at, u64_at};
use crate::agents::table::{self, Passthrough, layered};
use crate::agents::verdict::{self, Verdict};
use crate::state::agent::{Agent, Permission};
use crate::state::config::Config;
use crate::state::usage::{TokenCounts, Usage};

/// The approval modes the CLI accepts.
pub const APPROVAL_MODES: &[&str] = &["default", "auto_edit", "yolo", "plan"];

/// The model when none is configured (the CLI must always be given one).
pub const DEFAULT_MODEL: &str = "gemini-2.5-flash";

/// The settings a headless run needs for an API key (`doctor`'s advice).
pub const API_KEY_SETTINGS: &str = r#"{"security":{"auth":{"selectedType":"gemini-api-key"}}}"#;

/// Exit codes of the CLI that are not the HTTP status of an API error.
const EXIT_AUTH: i32 = 41;
const EXIT_INPUT: i32 = 42;
const EXIT_TURN_LIMIT: i32 = 53;
const EXIT_UNTRUSTED: i32 = 55;

/// Stderr lines of the CLI's own argument errors (exit 1).
const ARGUMENT_ERRORS: &[&str] = &[
    "Unknown argument",
    "Invalid values:",
    "Cannot use both",
    "are mutually exclusive",
    "Not enough arguments",
];

layered! {
    /// The `[gemini]` table, in `config.toml` (defaults) and in an agent file
    /// (overrides, key by key). Every key is optional.
    pub struct Table in "gemini" with passthrough {
        /// The executable (`NEXUS_GEMINI_BIN` overrides it).
        pub command: Option<String>,
        /// `-m` (default [`DEFAULT_MODEL`]).
        pub model: Option<String>,
        /// `--approval-mode`; else from the agent's `permission`.
        pub approval_mode: Option<String>,
        /// `--include-directories`: extra workspace directories.
        pub add_dirs: Option<Vec<String>>,
        /// `--skip-trust`: trust the turn's directory for the call (default
        /// false; the user opts in).
        pub trust_workspace: Option<bool>,
    }
}

/// An agent's settings, every key resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The executable as configured.
    pub command: String,
    /// `-m`.
    pub model: String,
    /// `--approval-mode`.
    pub approval_mode: String,
    /// `--include-directories`.
    pub add_dirs: Vec<String>,
    /// `--skip-trust`.
    pub trust_workspace: bool,
    /// Extra arguments, variables set and passed.
    pub passthrough: Passthrough,
}

/// Resolves the settings of a turn: `config.toml`'s `[gemini]`, then the
/// agent's; the approval mode from the agent's `permission` unless set.
pub fn resolve(config: &Config, agent: Option<&Agent>, isolated: bool) -> Result<Resolved> {
    let table = table::layers(Table::default(), config, agent)?;
    // `default` offers no edit or shell tool headless; `auto_edit` the edit
    // tools; `yolo` everything. There is no per-command allow-list (its
    // `--allowed-tools` is deprecated): `build` is `auto_edit`.
    let mode = match table::permission(agent, isolated) {
        Permission::Read => "default",
        Permission::Edit | Permission::Build => "auto_edit",
        Permission::Full => "yolo",
    };
    Ok(Resolved {
        command: table
            .command
            .unwrap_or_else(|| Gemini.default_command().to_string()),
        model: table.model.unwrap_or_else(|| DEFAULT_MODEL.to_string()),
        approval_mode: table.approval_mode.unwrap_or_else(|| mode.to_string()),
        add_dirs: table.add_dirs.unwrap_or_default(),
        trust_workspace: table.trust_workspace.unwrap_or(false),
        passthrough: Passthrough::of(table.extra_args, table.env, table.pass_env),
    })
}

/// Returns the CLI's directory: `$GEMINI_CLI_HOME/.gemini`, else
/// `$HOME/.gemini`.
pub fn gemini_dir(env: &BTreeMap<String, String>) -> Option<PathBuf> {
    ["GEMINI_CLI_HOME", "HOME"]
        .iter()
        .find_map(|name| env.get(*name).filter(|value| !value.is_empty()))
        .map(|home| PathBuf::from(home).join(".gemini"))
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Returns the session file of `session_id` begun in `cwd`, or why there is
/// none.
pub fn session_file(
    session_id: &str,
    cwd: &Path,
    env: &BTreeMap<String, String>,
) -> std::result::Result<PathBuf, String> {
    let dir = gemini_dir(env).ok_or("neither HOME nor GEMINI_CLI_HOME is set")?;
    let projects = dir.join("projects.json");
    let short = read_json(&projects)
        .and_then(|value| {
            value
                .pointer("/projects")?
                .get(cwd.display().to_string())?
                .as_str()
                .map(str::to_string)
        })
        .ok_or_else(|| {
            format!(
                "`{}` names no project for `{}`",
                projects.display(),
                cwd.display()
            )
        })?;
    let chats = dir.join("tmp").join(&short).join("chats");
    // The file name holds only the id's first 8 characters: the first line
    // says whose it is.
    let prefix: String = session_id.chars().take(8).collect();
    let suffix = format!("-{prefix}.jsonl");
    std::fs::read_dir(&chats)
        .map_err(|_| format!("no chats directory `{}`", chats.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("session-") && name.ends_with(&suffix))
        })
        .find(|path| {
            first_line(path)
                .and_then(|line| serde_json::from_str::<Value>(&line).ok())
                .is_some_and(|value| {
                    value.get("sessionId").and_then(Value::as_str) == Some(session_id)
                })
        })
        .ok_or_else(|| format!("no session file of `{session_id}` in `{}`", chats.display()))
}

/// Returns a file's first line, reading at most 64 KiB.
fn first_line(path: &Path) -> Option<String> {
    use std::io::{BufRead, Read};
    let file = std::fs::File::open(path).ok()?;
    let mut line = String::new();
    std::io::BufReader::new(file.take(64 * 1024))
        .read_line(&mut line)
        .ok()?;
    Some(line)
}

/// Returns the prompt with the personality in front (the CLI has no way to
/// add to its own system prompt).
fn with_instructions(system_prompt: &str, prompt: &str) -> String {
    if system_prompt.trim().is_empty() {
        return prompt.to_string();
    }
    format!(
        "<instructions>\n{}\n</instructions>\n\n{prompt}",
        system_prompt.trim_end()
    )
}

/// The Gemini CLI backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gemini;

/// The Gemini CLI's names.
static IDENTITY: Identity = Identity {
    name: "gemini",
    product: "Gemini CLI",
    command: "gemini",
    command_variable: crate::env_vars::NEXUS_GEMINI_BIN,
    install_hint: "install the Gemini CLI with `npm install -g @google/gemini-cli`, \
         or set `NEXUS_GEMINI_BIN` or `[gemini] command` to its path",
};

impl Backend for Gemini {
    fn identity(&self) -> &'static Identity {
        &IDENTITY
    }

    fn check(&self, path: &Path, text: &str) -> Result<()> {
        table::check(path, text, |table: &Table| {
            let mode = table.approval_mode.as_deref();
            table::not_one_of("gemini.approval_mode", mode, APPROVAL_MODES)
                .or_else(|| {
                    (table.model.as_deref() == Some(""))
                        .then(|| "field `gemini.model` must name a model".to_string())
                })
                .or_else(|| table::secret_in_env(self.name(), table.env.as_ref()))
        })
    }

    fn settings(&self, config: &Config, agent: Option<&Agent>, isolated: bool) -> Result<Settings> {
        let resolved = resolve(config, agent, isolated)?;
        // The turn limit is a settings-file key only: the default scales
        // progress.
        let permission = format!("approval mode {}", resolved.approval_mode);
        Ok(Settings::new(
            self.name(),
            resolved.command,
            Some(resolved.model),
            permission,
        )
        .showing([
            ("approval_mode", resolved.approval_mode.into()),
            ("add_dirs", resolved.add_dirs.into()),
            ("trust_workspace", resolved.trust_workspace.into()),
        ])
        .showing(resolved.passthrough.shown()))
    }

    fn turn_args(&self, request: &TurnRequest<'_>) -> Result<Vec<OsString>> {
        let settings = resolve(request.config, Some(request.agent), request.isolated)?;
        // `--prompt=…` in one argument: a prompt starting with `-` stays a
        // value.
        let mut args: Vec<OsString> = vec![
            format!(
                "--prompt={}",
                with_instructions(&request.system_prompt, &request.prompt)
            )
            .into(),
            "-o".into(),
            "stream-json".into(),
            "-m".into(),
            settings.model.clone().into(),
            "--approval-mode".into(),
            settings.approval_mode.clone().into(),
        ];
        args.extend(request.session.args("--session-id", "--resume"));
        for dir in &settings.add_dirs {
            args.push("--include-directories".into());
            args.push(dir.into());
        }
        if settings.trust_workspace {
            args.push("--skip-trust".into());
        }
        args.extend(settings.passthrough.extra_args.iter().map(OsString::from));
        Ok(args)
    }

    fn oneshot_args(&self, model: &str, prompt: &str) -> Vec<OsString> {
        vec![
            format!("--prompt={prompt}").into(),
            "-o".into(),
            "stream-json".into(),
            "-m".into(),
            model.into(),
            "--approval-mode".into(),
            "default".into(),
        ]
    }

    fn env(
        &self,
        config: &Config,
        agent: Option<&Agent>,
        _parent: &BTreeMap<String, String>,
    ) -> Result<EnvPlan> {
        Ok(resolve(config, agent, true)?
            .passthrough
            .env_plan(&["GEMINI_*", "GOOGLE_*"]))
    }

    fn parser(&self, _context: &TurnContext) -> Box<dyn TurnParser> {
        Box::new(Parser::default())
    }

    fn session_check(
        &self,
        session_id: &str,
        cwd: &Path,
        env: &BTreeMap<String, String>,
    ) -> SessionCheck {
        match session_file(session_id, cwd, env) {
            Ok(_) => SessionCheck::Exists,
            Err(why) => SessionCheck::Missing(why),
        }
    }

    fn doctor(
        &self,
        config: &Config,
        agents: &[&Agent],
        env: &BTreeMap<String, String>,
        cwd: &Path,
    ) -> Vec<Advice> {
        let Some(dir) = gemini_dir(env) else {
            return vec![Advice {
                name: "gemini".to_string(),
                level: Level::Fail,
                detail: "neither HOME nor GEMINI_CLI_HOME is set".to_string(),
                hint: None,
            }];
        };
        let settings_path = dir.join("settings.json");
        let settings = read_json(&settings_path);
        vec![
            auth_advice(&settings_path, settings.as_ref(), env),
            trust_advice(config, agents, env, cwd, &dir, settings.as_ref()),
        ]
    }
}

/// Explains the auth trap: headless runs exit 41 unless the user's
/// `settings.json` selects an auth type (an environment variable does not).
fn auth_advice(path: &Path, settings: Option<&Value>, env: &BTreeMap<String, String>) -> Advice {
    let selected = settings
        .and_then(|value| value.pointer("/security/auth/selectedType"))
        .and_then(Value::as_str);
    let set = |name: &str| env.get(name).is_some_and(|value| !value.is_empty());
    let (level, detail, hint) = match selected {
        None => (
            Level::Fail,
            format!(
                "`{}` selects no auth type (`security.auth.selectedType`): headless runs exit 41 \
                 (\"Invalid auth method selected\"), whatever the environment says",
                path.display()
            ),
            Some(format!(
                "add {API_KEY_SETTINGS} to `{}` and export GEMINI_API_KEY (or run `gemini` once \
                 interactively and pick a method); nexus never writes that file",
                path.display()
            )),
        ),
        Some("gemini-api-key") if !set("GEMINI_API_KEY") && !set("GOOGLE_API_KEY") => (
            Level::Fail,
            "auth type `gemini-api-key`, but neither `GEMINI_API_KEY` nor `GOOGLE_API_KEY` is set"
                .to_string(),
            Some(
                "export GEMINI_API_KEY=… (nexus passes GEMINI_* and GOOGLE_* to Gemini agents)"
                    .to_string(),
            ),
        ),
        Some(kind) => (
            Level::Ok,
            format!("auth type `{kind}` (`{}`)", path.display()),
            None,
        ),
    };
    Advice {
        name: "gemini auth".to_string(),
        level,
        detail,
        hint,
    }
}

/// Explains the trust trap: headless runs in an untrusted directory exit
/// 55; nexus only passes `--skip-trust` when the user set
/// `trust_workspace = true`.
fn trust_advice(
    config: &Config,
    agents: &[&Agent],
    env: &BTreeMap<String, String>,
    cwd: &Path,
    dir: &Path,
    settings: Option<&Value>,
) -> Advice {
    let untrusting: Vec<&str> = agents
        .iter()
        .filter(|agent| {
            resolve(config, Some(agent), true).is_ok_and(|settings| !settings.trust_workspace)
        })
        .map(|agent| agent.id.as_str())
        .collect();
    let trusted_by = if untrusting.is_empty() {
        Some("`trust_workspace = true`".to_string())
    } else if env.get("GEMINI_CLI_TRUST_WORKSPACE").map(String::as_str) == Some("true") {
        Some("`GEMINI_CLI_TRUST_WORKSPACE=true` in your environment".to_string())
    } else if settings
        .and_then(|value| value.pointer("/security/folderTrust/enabled"))
        .and_then(Value::as_bool)
        == Some(false)
    {
        Some("`security.folderTrust.enabled: false` in your settings".to_string())
    } else {
        let folders = env
            .get("GEMINI_CLI_TRUSTED_FOLDERS_PATH")
            .map_or_else(|| dir.join("trustedFolders.json"), PathBuf::from);
        read_json(&folders).and_then(|value| {
            value.as_object().and_then(|map| {
                map.iter().find_map(|(folder, level)| {
                    let folder = Path::new(folder);
                    let covers = match level.as_str() {
                        Some("TRUST_FOLDER") => cwd.starts_with(folder),
                        Some("TRUST_PARENT") => folder
                            .parent()
                            .is_some_and(|parent| cwd.starts_with(parent)),
                        _ => false,
                    };
                    covers.then(|| format!("`{}` in `{}`", folder.display(), folders.display()))
                })
            })
        })
    };
    match trusted_by {
        Some(how) => Advice {
            name: "gemini trust".to_string(),
            level: Level::Ok,
            detail: format!("`{}` is trusted: {how}", cwd.display()),
            hint: None,
        },
        None => Advice {
            name: "gemini trust".to_string(),
            level: Level::Warn,
            detail: format!(
                "`{}` is not a trusted folder: headless turns of {} will exit 55",
                cwd.display(),
                untrusting
                    .iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            hint: Some(
                "trust it in `gemini` (interactive), or set `trust_workspace = true` in `[gemini]` \
                 (nexus then passes `--skip-trust`; needed for worktrees, which are new folders)"
                    .to_string(),
            ),
        },
    }
}

/// The state of one turn's output: what the classification needs.
#[derive(Default)]
struct Parser {
    session_id: Option<String>,
    model: Option<String>,
    /// The assistant text since the last tool call (the answer).
    segment: String,
    tools: BTreeMap<String, String>,
    denials: Vec<String>,
    result: Option<Value>,
    any_json: bool,
}

/// Returns the token counts of a result's `stats` (per call; `input_tokens`
/// includes the `cached` ones).
fn tokens_of(result: &Value) -> TokenCounts {
    TokenCounts {
        input: u64_at(result, "/stats/input_tokens"),
        cached_input: u64_at(result, "/stats/cached"),
        cache_write_input: 0,
        output: u64_at(result, "/stats/output_tokens"),
    }
}

fn usage_of(result: &Value) -> Usage {
    let tokens = tokens_of(result);
    Usage {
        cost_usd: 0.0,
        input_tokens: tokens.input,
        output_tokens: tokens.output,
        turns: u32::try_from(1 + u64_at(result, "/stats/tool_calls")).unwrap_or(u32::MAX),
        unpriced_turns: 1,
    }
}

impl Parser {
    fn consider(&mut self, event: &Value) -> Vec<AgentEvent> {
        self.any_json = true;
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "init" => {
                self.session_id = string_at(event, "/session_id");
                self.model = string_at(event, "/model");
                vec![AgentEvent::Init {
                    session_id: self.session_id.clone(),
                    model: self.model.clone(),
                    cwd: None,
                    version: None,
                }]
            }
            "message" => {
                let content = match event.get("content") {
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                if event.get("role").and_then(Value::as_str) == Some("assistant") {
                    self.segment.push_str(&content);
                    vec![AgentEvent::Text(content)]
                } else {
                    vec![AgentEvent::UserText(content)]
                }
            }
            "tool_use" => {
                let name = string_at(event, "/tool_name").unwrap_or_else(|| "?".to_string());
                if let Some(id) = string_at(event, "/tool_id") {
                    self.tools.insert(id, name.clone());
                }
                self.segment.clear();
                vec![AgentEvent::ToolUse {
                    name,
                    input: event
                        .get("parameters")
                        .map_or_else(String::new, Value::to_string),
                }]
            }
            "tool_result" => {
                self.segment.clear();
                let is_error = event.get("status").and_then(Value::as_str) == Some("error");
                let text = string_at(event, "/output")
                    .or_else(|| string_at(event, "/error/message"))
                    .unwrap_or_default();
                let mut events = vec![AgentEvent::ToolResult { text, is_error }];
                if string_at(event, "/error/type").as_deref() == Some("tool_not_registered") {
                    // The approval mode does not offer the tool: denied.
                    let name = string_at(event, "/tool_id")
                        .and_then(|id| self.tools.get(&id).cloned())
                        .unwrap_or_else(|| "unknown tool".to_string());
                    self.denials.push(name.clone());
                    events.push(AgentEvent::PermissionDenied(name));
                }
                events
            }
            "error" => vec![AgentEvent::Error(
                string_at(event, "/message").unwrap_or_else(|| event.to_string()),
            )],
            "result" => {
                let success = event.get("status").and_then(Value::as_str) == Some("success");
                let text = if success {
                    Some(self.segment.clone())
                } else {
                    string_at(event, "/error/message")
                };
                let events = vec![AgentEvent::Result {
                    success,
                    api_status: None,
                    kind: string_at(event, "/error/type")
                        .or_else(|| string_at(event, "/status"))
                        .unwrap_or_default(),
                    usage: Some(usage_of(event)),
                    duration_ms: event.pointer("/stats/duration_ms").and_then(Value::as_u64),
                    text,
                }];
                self.result = Some(event.clone());
                events
            }
            other => vec![parse::unknown(other, event)],
        }
    }
}

/// Returns the HTTP status of an API error: the exit code is the status mod
/// 256 (500 → 244, 429 → 173), else a `"code":NNN` in the message.
fn api_status(exit: &Exit, message: &str) -> Option<u16> {
    if let Some(code) = exit.code.filter(|code| (144..=255).contains(code)) {
        return u16::try_from(code + 256).ok();
    }
    let rest = &message[message.find("\"code\":")? + "\"code\":".len()..];
    rest.trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
        .filter(|status| (100..600).contains(status))
}

/// Returns stderr without the CLI's start-up notes and colour codes.
fn stderr_text(stderr: &str) -> String {
    let mut plain = String::new();
    let mut chars = stderr.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // An ANSI escape: skip to its final letter.
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        plain.push(c);
    }
    plain
        .lines()
        .map(str::trim)
        .filter(|line| {
            !line.is_empty()
                && !line.starts_with("Warning: 256-color support not detected")
                && !line.starts_with("Ripgrep is not available")
                && !line.starts_with("[STARTUP]")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl TurnParser for Parser {
    fn line(&mut self, line: &str) -> Parsed {
        parse::json_line(line, |value| self.consider(&value))
    }

    fn finish(self: Box<Self>, exit: &Exit) -> TurnOutput {
        let mut output = TurnOutput::from_exit(exit);
        output.session_id = self.session_id.clone();
        output.model = self.model.clone();
        output.permission_denials = self.denials.clone();
        if let Some(result) = &self.result {
            output.reply = parse::capped(self.segment.clone());
            output.tokens = tokens_of(result);
            output.usage = Usage {
                unpriced_turns: 0,
                ..usage_of(result)
            };
        }
        let (outcome, reason) = classify(exit, &self, &mut output);
        output.outcome = outcome;
        output.reason = reason;
        output
    }
}

fn classify(exit: &Exit, parser: &Parser, output: &mut TurnOutput) -> Verdict {
    if let Some((outcome, reason)) = stopped_outcome(exit) {
        return (outcome, Some(reason));
    }
    let stderr = stderr_text(&exit.stderr_tail);
    let first_line = stderr.lines().next().unwrap_or("").to_string();
    if let Some(result) = &parser.result {
        let status = result.get("status").and_then(Value::as_str).unwrap_or("");
        if status == "success" {
            return verdict::success_unless(
                exit,
                "a successful `result`",
                verdict::denied(
                    "tools not allowed by the approval mode",
                    &output.permission_denials,
                    ", ",
                ),
            );
        }
        let message = string_at(result, "/error/message").unwrap_or_else(|| status.to_string());
        if string_at(result, "/error/type").as_deref() == Some("FatalTurnLimitedError")
            || exit.code == Some(EXIT_TURN_LIMIT)
        {
            return (Outcome::MaxTurns, Some(message));
        }
        output.api_error_status = api_status(exit, &message);
        return verdict::api_error(output.api_error_status, &message);
    }
    if let Some(signal) = exit.signal {
        return verdict::killed(signal);
    }
    match exit.code {
        Some(EXIT_AUTH) => {
            return (
                Outcome::AuthFailed,
                Some(format!(
                    "{} (exit 41): the Gemini settings select no usable auth type; see `nexus doctor`",
                    if first_line.is_empty() {
                        "authentication failed"
                    } else {
                        &first_line
                    }
                )),
            );
        }
        Some(EXIT_UNTRUSTED) => {
            return (
                Outcome::AuthFailed,
                Some(
                    "the directory is not a trusted folder (exit 55): trust it in `gemini`, or set \
                     `trust_workspace = true` in `[gemini]`; see `nexus doctor`"
                        .to_string(),
                ),
            );
        }
        Some(EXIT_INPUT) if first_line.starts_with("Error resuming session") => {
            return (Outcome::SessionNotFound, Some(first_line));
        }
        Some(EXIT_INPUT) if first_line.contains("already exists") => {
            return (Outcome::SessionInUse, Some(first_line));
        }
        Some(EXIT_INPUT) => return (Outcome::BadArguments, Some(first_line)),
        Some(EXIT_TURN_LIMIT) => {
            return (
                Outcome::MaxTurns,
                Some(format!("exit 53{}", verdict::stderr_suffix(&first_line))),
            );
        }
        Some(0) if parser.any_json => {
            // The CLI ends with exit 0 and no `result` when SIGTERM stops it.
            return (
                Outcome::Killed,
                Some("exit 0 without a `result`: the CLI was stopped (SIGTERM)".to_string()),
            );
        }
        Some(1)
            if ARGUMENT_ERRORS
                .iter()
                .any(|known| first_line.contains(known)) =>
        {
            return (Outcome::BadArguments, Some(first_line));
        }
        _ => {}
    }
    if exit.code.is_some_and(|code| code != 0) {
        let when = if parser.any_json {
            "before a `result`"
        } else {
            "with no output"
        };
        return verdict::crashed(exit, when, &first_line);
    }
    verdict::invalid_output("no `result` in the output", exit)
}

#[cfg(test)]
mod tests;
