//! The Codex CLI (`@openai/codex` 0.171.0) as an agent backend, built on
//! what the real CLI was seen to do (`tests/fixtures/agent-cli-samples/README.md`):
//!
//! - a turn is `codex exec --json [OPTIONS] [resume THREAD_ID] -- PROMPT`,
//!   stdin closed (an open stdin is read before the prompt is sent);
//!   `-s`, `--add-dir` and `-c` go before `resume`; neither the model nor the
//!   sandbox is kept by a thread, so both are passed on every call;
//! - a thread's id cannot be chosen: it comes in the first line,
//!   `thread.started{thread_id}`, printed before any API call (the rollout
//!   file exists from then on), so the runtime records it as soon as the
//!   [`AgentEvent::Init`] event arrives ([`Backend::presets_session_id`] is
//!   false);
//! - the personality goes in `-c developer_instructions=…` (a developer
//!   message at the start of a new thread; a resumed thread keeps the one it
//!   started with);
//! - `turn.completed{usage}` is **cumulative over the thread**: a call's
//!   usage is the reported total less the total after the previous call,
//!   which the session record keeps ([`TurnOutput::cumulative`]); a total
//!   that went down (after a killed call) is the call's own;
//! - success is exit 0 and `turn.completed`; a failure is `turn.failed`
//!   (exit 1) or a top-level `error` without it; an `error` *item* (an
//!   unknown model name, a model switch on resume) is not a failure;
//!   `Reconnecting... n/N (…)` errors are retries;
//! - a tool the sandbox denies leaves no trace on stdout: only an
//!   `ERROR codex_core::tools::router: error=…` line on stderr (escalation,
//!   patch), read from the stderr tail as a permission denial;
//! - sessions live in `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*-<id>.jsonl`
//!   (`$CODEX_HOME` defaults to `~/.codex`), not keyed by directory, so
//!   validity is a file check that spends no tokens;
//! - there is no cost in the output: `[prices]` prices a call.
//!
//! Settings: the `[codex]` table of `config.toml`, overridden key by key by
//! the agent file's `[codex]` table (see [`Table`]).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::Value;

use crate::agents::backend::{
    Advice, AgentEvent, Backend, EnvPlan, Exit, Identity, Level, Outcome, Parsed, SessionCheck,
    SessionMode, Settings, TurnContext, TurnOutput, TurnParser, TurnRequest, stopped_outcome,
};
use crate::agents::parse::{self, string_at, u64_at};
use crate::agents::table::{self, Passthrough, layered};
use crate::agents::verdict::{self, Verdict};
use crate::state::agent::{Agent, Permission};
use crate::state::config::Config;
use crate::state::usage::{TokenCounts, Usage};

/// The sandbox modes the CLI accepts (`-s`).
pub const SANDBOX_MODES: &[&str] = &["read-only", "workspace-write", "danger-full-access"];

layered! {
    /// The `[codex]` table, in `config.toml` (defaults) and in an agent file
    /// (overrides, key by key). Every key is optional.
    pub struct Table in "codex" with passthrough {
        /// The executable (`NEXUS_CODEX_BIN` overrides it).
        pub command: Option<String>,
        /// `-m`: the model, passed on every call (a thread does not keep it).
        pub model: Option<String>,
        /// `-s`: `read-only`, `workspace-write` or `danger-full-access`; else
        /// from the agent's `permission`.
        pub sandbox: Option<String>,
        /// `--add-dir`: extra writable directories.
        pub add_dirs: Option<Vec<String>>,
        /// `--skip-git-repo-check` (default true: nexus runs agents where the
        /// user asked, git repository or not).
        pub skip_git_repo_check: Option<bool>,
    }
}

/// An agent's settings, every key resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The executable as configured.
    pub command: String,
    /// `-m`, when set.
    pub model: Option<String>,
    /// `-s`.
    pub sandbox: String,
    /// `--add-dir`.
    pub add_dirs: Vec<String>,
    /// `--skip-git-repo-check`.
    pub skip_git_repo_check: bool,
    /// Extra arguments (before `resume`), variables set and passed.
    pub passthrough: Passthrough,
}

/// Resolves the settings of a turn: `config.toml`'s `[codex]`, then the
/// agent's; the sandbox from the agent's `permission` unless set.
/// Outside an isolated workspace `build` is `edit`.
pub fn resolve(config: &Config, agent: Option<&Agent>, isolated: bool) -> Result<Resolved> {
    let table = table::layers(Table::default(), config, agent)?;
    // Codex has no per-command allow-list: `edit` and `build` both run
    // commands inside the workspace sandbox (no network, no writes outside).
    let sandbox = match table::permission(agent, isolated) {
        Permission::Read => "read-only",
        Permission::Edit | Permission::Build => "workspace-write",
        Permission::Full => "danger-full-access",
    };
    Ok(Resolved {
        command: table
            .command
            .unwrap_or_else(|| Codex.default_command().to_string()),
        model: table.model,
        sandbox: table.sandbox.unwrap_or_else(|| sandbox.to_string()),
        add_dirs: table.add_dirs.unwrap_or_default(),
        skip_git_repo_check: table.skip_git_repo_check.unwrap_or(true),
        passthrough: Passthrough::of(table.extra_args, table.env, table.pass_env),
    })
}

/// Returns `$CODEX_HOME`, else `$HOME/.codex`.
pub fn codex_home(env: &BTreeMap<String, String>) -> Option<PathBuf> {
    if let Some(home) = env.get("CODEX_HOME").filter(|value| !value.is_empty()) {
        return Some(PathBuf::from(home));
    }
    env.get("HOME")
        .filter(|value| !value.is_empty())
        .map(|home| PathBuf::from(home).join(".codex"))
}

/// Returns the rollout file of `thread_id`:
/// `<codex home>/sessions/YYYY/MM/DD/rollout-<time>-<thread_id>.jsonl`.
pub fn rollout_path(thread_id: &str, env: &BTreeMap<String, String>) -> Option<PathBuf> {
    let suffix = format!("-{thread_id}.jsonl");
    let children = |dir: &Path| -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.path())
                    .collect()
            })
            .unwrap_or_default();
        // Newest first: a resumed thread is usually recent.
        found.sort_unstable_by(|a, b| b.cmp(a));
        found
    };
    let sessions = codex_home(env)?.join("sessions");
    for year in children(&sessions) {
        for month in children(&year) {
            for day in children(&month) {
                if let Some(path) = children(&day).into_iter().find(|path| {
                    path.file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(|name| name.starts_with("rollout-") && name.ends_with(&suffix))
                }) {
                    return Some(path);
                }
            }
        }
    }
    None
}

/// Quotes `text` as a one-line TOML basic string, the value `-c key=…`
/// parses.
fn toml_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// The Codex CLI backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Codex;

/// The Codex CLI's names.
static IDENTITY: Identity = Identity {
    name: "codex",
    product: "Codex CLI",
    command: "codex",
    command_variable: crate::env_vars::NEXUS_CODEX_BIN,
    install_hint: "install the Codex CLI with `npm install -g @openai/codex`, \
         or set `NEXUS_CODEX_BIN` or `[codex] command` to its path",
};

impl Backend for Codex {
    fn identity(&self) -> &'static Identity {
        &IDENTITY
    }

    fn check(&self, path: &Path, text: &str) -> Result<()> {
        table::check(path, text, |table: &Table| {
            table::not_one_of("codex.sandbox", table.sandbox.as_deref(), SANDBOX_MODES)
                .or_else(|| table::secret_in_env(self.name(), table.env.as_ref()))
        })
    }

    fn settings(&self, config: &Config, agent: Option<&Agent>, isolated: bool) -> Result<Settings> {
        let resolved = resolve(config, agent, isolated)?;
        // No turn limit flag: the default only scales progress.
        let permission = format!("sandbox {}", resolved.sandbox);
        Ok(
            Settings::new(self.name(), resolved.command, resolved.model, permission)
                .showing([
                    ("sandbox", resolved.sandbox.into()),
                    ("add_dirs", resolved.add_dirs.into()),
                    ("skip_git_repo_check", resolved.skip_git_repo_check.into()),
                ])
                .showing(resolved.passthrough.shown()),
        )
    }

    fn turn_args(&self, request: &TurnRequest<'_>) -> Result<Vec<OsString>> {
        let settings = resolve(request.config, Some(request.agent), request.isolated)?;
        let mut args: Vec<OsString> = vec!["exec".into(), "--json".into()];
        if settings.skip_git_repo_check {
            args.push("--skip-git-repo-check".into());
        }
        args.push("-s".into());
        args.push(settings.sandbox.clone().into());
        if let Some(model) = &settings.model {
            args.push("-m".into());
            args.push(model.into());
        }
        args.push("-c".into());
        args.push(
            format!(
                "developer_instructions={}",
                toml_string(&request.system_prompt)
            )
            .into(),
        );
        for dir in &settings.add_dirs {
            args.push("--add-dir".into());
            args.push(dir.into());
        }
        args.extend(settings.passthrough.extra_args.iter().map(OsString::from));
        if let SessionMode::Resume(id) = &request.session {
            args.push("resume".into());
            args.push(id.into());
        }
        // `--` ends the options: a prompt may start with `-` or be "resume".
        args.push("--".into());
        args.push(request.prompt.clone().into());
        Ok(args)
    }

    fn oneshot_args(&self, model: &str, prompt: &str) -> Vec<OsString> {
        [
            "exec",
            "--json",
            "--skip-git-repo-check",
            "--ephemeral",
            "-s",
            "read-only",
            "-m",
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
        _parent: &BTreeMap<String, String>,
    ) -> Result<EnvPlan> {
        Ok(resolve(config, agent, true)?.passthrough.env_plan(&[
            "OPENAI_API_KEY",
            "CODEX_API_KEY",
            "CODEX_HOME",
            "CODEX_SQLITE_HOME",
            "CODEX_CA_CERTIFICATE",
            "RUST_LOG",
        ]))
    }

    fn parser(&self, context: &TurnContext) -> Box<dyn TurnParser> {
        Box::new(Parser {
            previous: context.previous_totals,
            ..Parser::default()
        })
    }

    fn presets_session_id(&self) -> bool {
        false
    }

    fn session_check(
        &self,
        session_id: &str,
        _cwd: &Path,
        env: &BTreeMap<String, String>,
    ) -> SessionCheck {
        match codex_home(env) {
            None => SessionCheck::Missing("neither HOME nor CODEX_HOME is set".to_string()),
            Some(home) => match rollout_path(session_id, env) {
                Some(_) => SessionCheck::Exists,
                None => SessionCheck::Missing(format!(
                    "no rollout of thread `{session_id}` under `{}`",
                    home.join("sessions").display()
                )),
            },
        }
    }

    fn doctor(
        &self,
        config: &Config,
        agents: &[&Agent],
        env: &BTreeMap<String, String>,
        _cwd: &Path,
    ) -> Vec<Advice> {
        let custom_provider = std::iter::once(None)
            .chain(agents.iter().map(|agent| Some(*agent)))
            .filter_map(|agent| resolve(config, agent, true).ok())
            .any(|settings| {
                settings
                    .passthrough
                    .extra_args
                    .iter()
                    .any(|arg| arg.starts_with("model_provider="))
            });
        let key = ["CODEX_API_KEY", "OPENAI_API_KEY"]
            .into_iter()
            .find(|name| env.get(*name).is_some_and(|value| !value.is_empty()));
        let login = codex_home(env)
            .map(|home| home.join("auth.json"))
            .filter(|path| path.is_file());
        let (level, detail, hint) = match (key, login, custom_provider) {
            (Some(name), _, _) => (Level::Ok, format!("`{name}` is set"), None),
            (None, Some(path), _) => (
                Level::Ok,
                format!("logged in (`{}`)", path.display()),
                None,
            ),
            (None, None, true) => (
                Level::Ok,
                "a custom model provider (`-c model_provider=…` in `extra_args`) names its key variable".to_string(),
                None,
            ),
            (None, None, false) => (
                Level::Warn,
                "no `OPENAI_API_KEY` or `CODEX_API_KEY`, and no `codex login` under `CODEX_HOME`".to_string(),
                Some("export OPENAI_API_KEY=… (nexus passes it to Codex agents only), or run `codex login`".to_string()),
            ),
        };
        vec![Advice {
            name: "codex auth".to_string(),
            level,
            detail,
            hint,
        }]
    }
}

/// The state of one turn's output: what the classification needs.
#[derive(Default)]
struct Parser {
    previous: Option<TokenCounts>,
    thread_id: Option<String>,
    reply: Option<String>,
    completed: Option<TokenCounts>,
    failed: Option<String>,
    last_error: Option<String>,
    tool_calls: u32,
    any_json: bool,
}

/// Returns the token counts of a `usage` object (`input_tokens` includes
/// the cached ones; `output_tokens` the reasoning ones).
fn tokens_of(usage: &Value) -> TokenCounts {
    TokenCounts {
        input: u64_at(usage, "/input_tokens"),
        cached_input: u64_at(usage, "/cached_input_tokens"),
        cache_write_input: u64_at(usage, "/cache_write_input_tokens"),
        output: u64_at(usage, "/output_tokens"),
    }
}

/// Returns the HTTP status an error message names: `unexpected status 401
/// Unauthorized: …`, `last status: 429 Too Many Requests`.
fn status_in(message: &str) -> Option<u16> {
    ["unexpected status ", "last status: "]
        .iter()
        .find_map(|marker| {
            let rest = &message[message.find(marker)? + marker.len()..];
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|digits| digits.parse().ok())
        })
        .filter(|status| (100..600).contains(status))
}

/// Parses `Reconnecting... 2/5 (message)` and `Reconnecting... waiting for
/// network (message)` into a retry event.
fn retry_of(message: &str) -> Option<AgentEvent> {
    let rest = message.strip_prefix("Reconnecting... ")?;
    let (head, error) = match rest.split_once(" (") {
        Some((head, error)) => (head, error.strip_suffix(')').unwrap_or(error)),
        None => (rest, rest),
    };
    let (attempt, max) = match head.split_once('/') {
        Some((attempt, max)) => (attempt.parse().ok(), max.parse().ok()),
        None => (None, None),
    };
    Some(AgentEvent::Retry {
        attempt,
        max,
        status: status_in(error).map(|status| status.to_string()),
        delay_ms: None,
        error: error.to_string(),
    })
}

impl Parser {
    /// Returns the events of one parsed line, remembering what the
    /// classification needs.
    fn consider(&mut self, event: &Value) -> Vec<AgentEvent> {
        self.any_json = true;
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "thread.started" => {
                self.thread_id = string_at(event, "/thread_id");
                vec![AgentEvent::Init {
                    session_id: self.thread_id.clone(),
                    model: None,
                    cwd: None,
                    version: None,
                }]
            }
            "turn.started" => vec![AgentEvent::System("turn started".to_string())],
            "item.started" | "item.updated" | "item.completed" => self.item(kind, event),
            "turn.completed" => {
                let reported = tokens_of(event.get("usage").unwrap_or(&Value::Null));
                self.completed = Some(reported);
                let tokens = reported.since(&self.previous.unwrap_or_default());
                vec![AgentEvent::Result {
                    success: true,
                    api_status: None,
                    kind: "turn.completed".to_string(),
                    usage: Some(Usage {
                        cost_usd: 0.0,
                        input_tokens: tokens.input,
                        output_tokens: tokens.output,
                        turns: 1 + self.tool_calls,
                        unpriced_turns: 1,
                    }),
                    duration_ms: None,
                    text: self.reply.clone(),
                }]
            }
            "turn.failed" => {
                let message = string_at(event, "/error/message")
                    .or_else(|| self.last_error.clone())
                    .unwrap_or_else(|| "turn failed".to_string());
                self.failed = Some(message.clone());
                vec![AgentEvent::Result {
                    success: false,
                    api_status: status_in(&message).map(u64::from),
                    kind: "turn.failed".to_string(),
                    usage: None,
                    duration_ms: None,
                    text: Some(message),
                }]
            }
            "error" => {
                let message = string_at(event, "/message").unwrap_or_default();
                if let Some(retry) = retry_of(&message) {
                    return vec![retry];
                }
                self.last_error = Some(message.clone());
                vec![AgentEvent::Error(message)]
            }
            other => vec![parse::unknown(other, event)],
        }
    }

    /// Returns the events of an `item.*` line.
    fn item(&mut self, kind: &str, event: &Value) -> Vec<AgentEvent> {
        let item = event.get("item").unwrap_or(&Value::Null);
        let field = |name: &str| item.get(name).and_then(Value::as_str).unwrap_or("");
        let started = kind == "item.started";
        let completed = kind == "item.completed";
        let failed = matches!(field("status"), "failed" | "declined");
        match field("type") {
            "agent_message" if completed => {
                self.reply = Some(field("text").to_string());
                vec![AgentEvent::Text(field("text").to_string())]
            }
            "reasoning" if completed => vec![AgentEvent::Thinking(field("text").to_string())],
            // Not a failure: an unknown model name, a model switch on resume.
            "error" => vec![AgentEvent::System(format!("warning: {}", field("message")))],
            "command_execution" if started => vec![AgentEvent::ToolUse {
                name: "shell".to_string(),
                input: field("command").to_string(),
            }],
            "command_execution" if completed => {
                self.tool_calls += 1;
                vec![AgentEvent::ToolResult {
                    text: field("aggregated_output").to_string(),
                    is_error: failed,
                }]
            }
            "file_change" if started || completed => {
                let changes: Vec<String> = item
                    .get("changes")
                    .and_then(Value::as_array)
                    .map(|changes| {
                        changes
                            .iter()
                            .map(|change| {
                                format!(
                                    "{} {}",
                                    change.get("kind").and_then(Value::as_str).unwrap_or("?"),
                                    change.get("path").and_then(Value::as_str).unwrap_or("?")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if started {
                    vec![AgentEvent::ToolUse {
                        name: "apply_patch".to_string(),
                        input: changes.join(", "),
                    }]
                } else {
                    self.tool_calls += 1;
                    vec![AgentEvent::ToolResult {
                        text: field("status").to_string(),
                        is_error: failed,
                    }]
                }
            }
            "mcp_tool_call" if started => vec![AgentEvent::ToolUse {
                name: format!("{}.{}", field("server"), field("tool")),
                input: item
                    .get("arguments")
                    .map_or_else(String::new, Value::to_string),
            }],
            "mcp_tool_call" if completed => {
                self.tool_calls += 1;
                vec![AgentEvent::ToolResult {
                    text: item
                        .get("result")
                        .or_else(|| item.get("error"))
                        .map_or_else(String::new, Value::to_string),
                    is_error: failed,
                }]
            }
            "web_search" if started => vec![AgentEvent::ToolUse {
                name: "web_search".to_string(),
                input: field("query").to_string(),
            }],
            other => vec![AgentEvent::Other {
                kind: format!("{kind} {other}"),
                raw: item.to_string(),
            }],
        }
    }
}

/// Returns the tools the sandbox denied, from the CLI's stderr: `ERROR
/// codex_core::tools::router: error=…` lines (they never reach stdout).
fn denials_in(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| {
            let at = line.find("codex_core::tools::router: error=")?;
            line.contains("ERROR").then(|| {
                line[at + "codex_core::tools::router: error=".len()..]
                    .trim()
                    .to_string()
            })
        })
        .collect()
}

/// Returns the first stderr line that is not one of the CLI's harmless
/// start-up notes.
fn first_error_line(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .find(|line| {
            !line.is_empty()
                && !line.starts_with(
                    "WARNING: proceeding, even though we could not create PATH aliases",
                )
                && !line.starts_with("Reading additional input from stdin")
                && !line.starts_with("Reading prompt from stdin")
        })
        .unwrap_or("")
        .to_string()
}

impl TurnParser for Parser {
    fn line(&mut self, line: &str) -> Parsed {
        parse::json_line(line, |value| self.consider(&value))
    }

    fn finish(self: Box<Self>, exit: &Exit) -> TurnOutput {
        let mut output = TurnOutput::from_exit(exit);
        output.session_id = self.thread_id.clone();
        if let Some(reply) = self.reply.clone() {
            output.reply = parse::capped(reply);
        }
        if let Some(reported) = self.completed {
            let tokens = reported.since(&self.previous.unwrap_or_default());
            output.cumulative = Some(reported);
            output.tokens = tokens;
            output.usage = Usage {
                cost_usd: 0.0,
                input_tokens: tokens.input,
                output_tokens: tokens.output,
                turns: 1 + self.tool_calls,
                unpriced_turns: 0,
            };
        }
        output.permission_denials = denials_in(&exit.stderr_tail);
        if let Some(message) = &self.failed {
            output.api_error_status = status_in(message);
        }
        let (outcome, reason) = classify(exit, &self, &output);
        output.outcome = outcome;
        output.reason = reason;
        output
    }
}

fn classify(exit: &Exit, parser: &Parser, output: &TurnOutput) -> Verdict {
    if let Some((outcome, reason)) = stopped_outcome(exit) {
        return (outcome, Some(reason));
    }
    let stderr_line = first_error_line(&exit.stderr_tail);
    if parser.completed.is_some() {
        return verdict::success_unless(
            exit,
            "`turn.completed`",
            verdict::denied(
                "tools denied by the sandbox",
                &output.permission_denials,
                "; ",
            ),
        );
    }
    let api_error = |message: &str| verdict::api_error(status_in(message), message);
    if let Some(message) = &parser.failed {
        return api_error(message);
    }
    if let Some(signal) = exit.signal {
        return verdict::killed(signal);
    }
    if let Some(code @ (137 | 143)) = exit.code {
        // The node launcher forwards a signal and exits 128 + its number.
        return (
            Outcome::Killed,
            Some(format!("exit {code}: killed by signal {}", code - 128)),
        );
    }
    if exit.stderr_tail.contains("no rollout found for thread id") {
        return (Outcome::SessionNotFound, Some(stderr_line));
    }
    if exit.code == Some(2) && stderr_line.starts_with("error:") {
        return (Outcome::BadArguments, Some(stderr_line));
    }
    if stderr_line.starts_with("Not inside a trusted directory") {
        return (
            Outcome::BadArguments,
            Some(format!(
                "{stderr_line} (set `skip_git_repo_check = true` in `[codex]`)"
            )),
        );
    }
    if stderr_line.starts_with("No prompt provided") {
        return (Outcome::BadArguments, Some(stderr_line));
    }
    if let Some(message) = parser
        .last_error
        .as_ref()
        .filter(|_| exit.code.is_some_and(|code| code != 0))
    {
        return api_error(message);
    }
    if parser.any_json && exit.code.is_some_and(|code| code != 0) {
        return verdict::crashed(exit, "before `turn.completed`", &stderr_line);
    }
    if !parser.any_json && exit.stdout_tail.trim().is_empty() && exit.code != Some(0) {
        return verdict::crashed(exit, "with no output", &stderr_line);
    }
    let what = if parser.any_json {
        "no `turn.completed` in the output"
    } else {
        "output is not JSON"
    };
    verdict::invalid_output(what, exit)
}

#[cfg(test)]
mod tests;
