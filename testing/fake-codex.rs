//! `fake-codex`: a test double of the Codex CLI 0.171.0 in `exec` mode.
//!
//! Built only with the `test-fakes` feature (tests find it at
//! `env!("CARGO_BIN_EXE_fake-codex")` and install it as `codex` on PATH).
//! It never touches the network. Its outputs copy the verbatim samples in
//! `tests/fixtures/agent-cli-samples/` (see the README there), and
//! `tests/cli/real_codex.rs` compares its event shapes with the real CLI's.
//!
//! # Command line
//!
//! `codex --version` / `-V` prints `codex-cli 0.171.0`; `codex exec --version`
//! prints `codex-cli-exec 0.171.0`. Only `exec` is supported:
//! `codex exec [OPTIONS] [PROMPT]` and `codex exec [OPTIONS] resume [OPTIONS]
//! [SESSION_ID] [PROMPT]`. Options (clap style, `--opt=value` too): `--json`,
//! `--skip-git-repo-check`, `-s/--sandbox read-only|workspace-write|danger-full-access`
//! (only before `resume`), `-m/--model`, `-c/--config` (recorded, ignored),
//! `-C/--cd`, `--add-dir` (only before `resume`), `--ephemeral`,
//! `-o/--output-last-message FILE`, `--dangerously-bypass-approvals-and-sandbox`,
//! `--last`, `--all` (resume); other real options are accepted and ignored.
//! Anything else is clap's `error: unexpected argument '…' found` with the
//! usage, exit 2 (after the PATH-alias warning, as the real CLI prints it).
//!
//! Stderr always starts, when `$CODEX_HOME` is under the temp dir, with
//! `WARNING: proceeding, even though we could not create PATH aliases: …`.
//! Stdin (new threads only): with a prompt and stdin not a terminal it
//! prints `Reading additional input from stdin...` and reads to EOF (an open
//! pipe blocks, as in the real CLI); data is appended as
//! `\n\n<stdin>\n…\n</stdin>`. Without a prompt (or with `-`) stdin is the
//! prompt; empty: `No prompt provided via stdin.`, exit 1. Outside a git
//! repository without `--skip-git-repo-check`: `Not inside a trusted
//! directory and --skip-git-repo-check was not specified.`, exit 1.
//!
//! # Threads
//!
//! A new thread gets a UUIDv7 id and a rollout at
//! `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDTHH-MM-SS-<id>.jsonl`
//! (`$CODEX_HOME` defaults to `$HOME/.codex`; UTC start time), written
//! before answering (a killed turn is still there). `resume ID` finds the
//! rollout in any cwd and keeps the id; a UUID with no rollout fails with
//! `Error: thread/resume: thread/resume failed: no rollout found for thread
//! id <id> (code -32600)` (exit 1, empty stdout); a non-UUID id starts a new
//! thread, as the real CLI does. `--last` takes the newest rollout of this
//! cwd (any cwd with `--all`). Neither sandbox nor model is kept by a
//! thread. `--ephemeral` writes no rollout. The default reply is
//! `FAKE-REPLY turn=N last_user=<prompt>` (N counts the thread's prompts).
//!
//! # Output (`--json`)
//!
//! `thread.started{thread_id}`, on a resume with another model than the
//! thread's last turn an `error` item `This session was recorded with model
//! \`A\` but is resuming with \`B\`. …`, an `error` item for a model name the real
//! CLI has no metadata for (any but `gpt-5.5`, `gpt-6.2-sol` and the other
//! bundled slugs; the default model is `gpt-6.2-sol`), `turn.started`, tool
//! items, `item.completed{agent_message}`, `turn.completed{usage}` with
//! `input_tokens, cached_input_tokens, cache_write_input_tokens,
//! output_tokens, reasoning_output_tokens` **cumulative over the thread**
//! (each model request adds 11/3/2/0 unless the step says otherwise; a
//! turn makes one request plus one per tool call). Failures print
//! `error{message}` events for `retries`, then `error` and
//! `turn.failed{error{message}}`, exit 1. Without `--json` the answer alone
//! goes to stdout.
//!
//! # Script (`FAKE_CODEX_SCRIPT`)
//!
//! Same step semantics as `fake-claude`: a JSON array; each invocation
//! takes the first step not used up whose `match` is a substring of the
//! prompt; used up unless `repeat`; state in `<script>.state` under a lock;
//! no script or no step left = the default reply; unknown keys exit 97.
//!
//! | key | meaning |
//! |---|---|
//! | `match`, `repeat` | as in fake-claude |
//! | `kind` | `success` (default), `api_error`, `connection_refused` (prints `Reconnecting... waiting for network …` every `heartbeat_secs`, default 30, for ever or for `sleep_secs`), `disconnected`, `idle_timeout` |
//! | `reply` | string: the agent message |
//! | `status` | int: HTTP status of an `api_error` (default 500); the message is the real CLI's text for it |
//! | `message` | string: replaces the error text |
//! | `retries` | int: `Reconnecting... n/N (…)` error events before a failure |
//! | `input_tokens`, `cached_input_tokens`, `output_tokens`, `reasoning_output_tokens` | int: this turn's usage (added to the thread's total) |
//! | `commands` | array of `{"cmd", "output", "exit_code", "writes", "escalate"}`: `command_execution` items (not run); `writes` under read-only and `escalate` outside danger-full-access are **denied**: no item on stdout, the model sees the error; `escalate` also logs the real `ERROR codex_core::tools::router: …` line on stderr |
//! | `write` | `{"file_path", "content"}`: an `apply_patch`; written and reported as `file_change` under workspace-write (inside the cwd or an `--add-dir`) or danger-full-access; otherwise **denied**: no item, the real `patch rejected: …` ERROR line on stderr |
//! | `sleep_secs`, `sleep_ms` | wait before answering (after `turn.started` and the tools) |
//! | `heartbeat_secs` | during the wait, print a `Reconnecting... 1/5 (…)` error event this often |
//! | `ignore_sigterm`, `signal`, `grandchild_secs`, `stdout`, `truncate_bytes`, `stderr`, `exit_code` (or `exit`) | as in fake-claude |
//!
//! # Invocation log (`FAKE_CODEX_LOG`)
//!
//! A directory; each invocation writes `call-NNNN.json`: `seq`, `argv`,
//! `cwd`, `pid`, `pgid`, `stdin`, `env` (`CODEX_HOME`, `HOME`, `RUST_LOG`),
//! `started_at`, `ended_at`, `exit_code`, `signal`, `step`, `thread_id`,
//! `grandchild_pid`, `flags` (`json`, `sandbox`, `model`, `configs`,
//! `resume`, `resume_id`, `last`, `prompt`, `skip_git_repo_check`,
//! `add_dirs`, `ephemeral`, `bypass`).

#![allow(
    clippy::disallowed_methods,
    reason = "a test double writes its own files"
)]
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a fake CLI's whole job is printing"
)]

#[path = "fake_common.rs"]
mod fake_common;

use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use fake_common::{J, Step, o, v};
use serde_json::{Value, json};

const VERSION: &str = "0.171.0";
const DEFAULT_MODEL: &str = "gpt-6.2-sol";
/// Model slugs bundled with 0.171.0 (no "Model metadata … not found" item).
const KNOWN_MODELS: &[&str] = &[
    "codex-auto-review",
    "gpt-5.5",
    "gpt-5.6-luna",
    "gpt-5.6-sol",
    "gpt-5.6-terra",
    "gpt-6-astra",
    "gpt-6-luna",
    "gpt-6-sol",
    "gpt-6.1-sol",
    "gpt-6.1-terra",
    "gpt-6.2-astra",
    "gpt-6.2-sol",
];
const KEYS: &[&str] = &[
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_output_tokens",
    "commands",
    "write",
];
const KINDS: &[&str] = &[
    "success",
    "api_error",
    "connection_refused",
    "disconnected",
    "idle_timeout",
];
const EXEC_USAGE: &str = "Usage: codex exec [OPTIONS] [PROMPT]\n       codex exec [OPTIONS] <COMMAND> [ARGS]\n\nFor more information, try '--help'.";
const RESUME_USAGE: &str = "Usage: codex exec resume [OPTIONS] [SESSION_ID] [PROMPT]\n\nFor more information, try '--help'.";

fn main() {
    fake_common::grandchild_main();
    let mut run = Run::start();
    let code = run.main();
    run.finish(code);
}

// ---------------------------------------------------------------------------
// Command line.

#[derive(Default)]
struct Flags {
    version: bool,
    json: bool,
    skip_git: bool,
    sandbox: Option<String>,
    model: Option<String>,
    configs: Vec<String>,
    cd: Option<String>,
    add_dirs: Vec<String>,
    ephemeral: bool,
    output_last_message: Option<String>,
    bypass: bool,
    resume: bool,
    last: bool,
    all: bool,
    positionals: Vec<String>,
}

const EXEC_VALUE: &[&str] = &[
    "-i",
    "--image",
    "-p",
    "--profile",
    "--enable",
    "--disable",
    "--remote",
    "--remote-auth-token-env",
    "--local-provider",
    "--thread-source",
    "--cyber-access-program",
    "--output-schema",
    "--color",
];
const EXEC_FLAGS: &[&str] = &[
    "--strict-config",
    "--oss",
    "--approve-for-me",
    "--dangerously-bypass-hook-trust",
    "--worktree",
    "--trust",
    "--ignore-user-config",
    "--ignore-rules",
];
const RESUME_VALUE: &[&str] = &[
    "-i",
    "--image",
    "--enable",
    "--disable",
    "--remote",
    "--remote-auth-token-env",
    "--thread-source",
    "--cyber-access-program",
    "--output-schema",
];
const RESUME_FLAGS: &[&str] = &[
    "--strict-config",
    "--dangerously-bypass-hook-trust",
    "--worktree",
    "--trust",
    "--ignore-user-config",
    "--ignore-rules",
];

fn unexpected(arg: &str, usage: &str) -> String {
    format!(
        "error: unexpected argument '{arg}' found\n\n  tip: to pass '{arg}' as a value, use '-- {arg}'\n\n{usage}"
    )
}

/// Parses `exec …` arguments like clap; `Err` is the text for stderr (exit 2).
fn parse_exec(args: &[String]) -> Result<Flags, String> {
    let mut flags = Flags::default();
    let mut index = 0;
    let mut after_dashes = false;
    while index < args.len() {
        let arg = &args[index];
        index += 1;
        if after_dashes || !arg.starts_with('-') || arg == "-" {
            if !flags.resume && flags.positionals.is_empty() && arg == "resume" && !after_dashes {
                flags.resume = true;
                continue;
            }
            flags.positionals.push(arg.clone());
            continue;
        }
        if arg == "--" {
            after_dashes = true;
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let usage = if flags.resume {
            RESUME_USAGE
        } else {
            EXEC_USAGE
        };
        let mut take = |label: &str| -> Result<String, String> {
            if let Some(value) = inline.clone() {
                return Ok(value);
            }
            match args.get(index) {
                Some(next) => {
                    index += 1;
                    Ok(next.clone())
                }
                None => Err(format!(
                    "error: a value is required for '{label}' but none was supplied\n\nFor more information, try '--help'."
                )),
            }
        };
        let resume = flags.resume;
        match name {
            "-V" | "--version" => flags.version = true,
            "-h" | "--help" => flags.version = true,
            "--json" => flags.json = true,
            "--skip-git-repo-check" => flags.skip_git = true,
            "--ephemeral" => flags.ephemeral = true,
            "--dangerously-bypass-approvals-and-sandbox" => flags.bypass = true,
            "-c" | "--config" => flags.configs.push(take("--config <key=value>")?),
            "-m" | "--model" => flags.model = Some(take("--model <MODEL>")?),
            "-o" | "--output-last-message" => {
                flags.output_last_message = Some(take("--output-last-message <FILE>")?);
            }
            "--last" if resume => flags.last = true,
            "--all" if resume => flags.all = true,
            "-s" | "--sandbox" if !resume => {
                let value = take("--sandbox <SANDBOX_MODE>")?;
                if !["read-only", "workspace-write", "danger-full-access"].contains(&value.as_str())
                {
                    return Err(format!(
                        "error: invalid value '{value}' for '--sandbox <SANDBOX_MODE>'\n  [possible values: read-only, workspace-write, danger-full-access]\n\nFor more information, try '--help'."
                    ));
                }
                flags.sandbox = Some(value);
            }
            "-C" | "--cd" if !resume => flags.cd = Some(take("--cd <DIR>")?),
            "--add-dir" if !resume => flags.add_dirs.push(take("--add-dir <DIR>")?),
            _ if !resume && EXEC_VALUE.contains(&name) => {
                take(name)?;
            }
            _ if resume && RESUME_VALUE.contains(&name) => {
                take(name)?;
            }
            _ if !resume && EXEC_FLAGS.contains(&name) => {}
            _ if resume && RESUME_FLAGS.contains(&name) => {}
            _ => return Err(unexpected(arg, usage)),
        }
    }
    let most = if flags.resume { 2 } else { 1 };
    if flags.positionals.len() > most {
        let extra = &flags.positionals[most];
        return Err(unexpected(
            extra,
            if flags.resume {
                RESUME_USAGE
            } else {
                EXEC_USAGE
            },
        ));
    }
    Ok(flags)
}

// ---------------------------------------------------------------------------
// Paths.

fn codex_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CODEX_HOME").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(home);
    }
    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".codex")
}

fn lexical_normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Every rollout file under `$CODEX_HOME/sessions`.
fn rollouts() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![codex_home().join("sessions")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("rollout-") && name.ends_with(".jsonl"))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn rollout_of(id: &str) -> Option<PathBuf> {
    rollouts().into_iter().find(|path| {
        path.file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.ends_with(&format!("-{id}.jsonl")))
    })
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// The thread id and cwd recorded in a rollout's `session_meta`.
fn meta(path: &Path) -> Option<(String, String)> {
    let first = read_lines(path).into_iter().next()?;
    Some((
        first["payload"]["id"].as_str()?.to_string(),
        first["payload"]["cwd"].as_str()?.to_string(),
    ))
}

// ---------------------------------------------------------------------------
// Usage.

#[derive(Clone, Copy, Default)]
struct Usage {
    input: u64,
    cached: u64,
    output: u64,
    reasoning: u64,
}

impl Usage {
    fn add(self, other: Usage) -> Usage {
        Usage {
            input: self.input + other.input,
            cached: self.cached + other.cached,
            output: self.output + other.output,
            reasoning: self.reasoning + other.reasoning,
        }
    }

    fn to_j(self) -> J {
        o(vec![
            ("input_tokens", v(self.input)),
            ("cached_input_tokens", v(self.cached)),
            ("cache_write_input_tokens", v(0)),
            ("output_tokens", v(self.output)),
            ("reasoning_output_tokens", v(self.reasoning)),
        ])
    }

    fn from_value(value: &Value) -> Usage {
        let field = |key: &str| value[key].as_u64().unwrap_or(0);
        Usage {
            input: field("input_tokens"),
            cached: field("cached_input_tokens"),
            output: field("output_tokens"),
            reasoning: field("reasoning_output_tokens"),
        }
    }
}

// ---------------------------------------------------------------------------
// One invocation.

struct Run {
    argv: Vec<String>,
    cwd: PathBuf,
    started: SystemTime,
    stdin: &'static str,
    flags: Flags,
    prompt: Option<String>,
    step_index: Option<usize>,
    thread_id: Option<String>,
    rollout: Option<PathBuf>,
    grandchild_pid: Option<u32>,
    log: Option<(PathBuf, u64)>,
    items: u64,
    last_message: Option<String>,
    /// The model of the thread's last turn (resume).
    recorded_model: Option<String>,
}

impl Run {
    fn start() -> Run {
        let run = Run {
            argv: std::env::args().collect(),
            cwd: std::env::current_dir().unwrap_or_default(),
            started: SystemTime::now(),
            stdin: fake_common::stdin_kind(),
            flags: Flags::default(),
            prompt: None,
            step_index: None,
            thread_id: None,
            rollout: None,
            grandchild_pid: None,
            log: fake_common::claim_log("FAKE_CODEX_LOG"),
            items: 0,
            last_message: None,
            recorded_model: None,
        };
        run.write_log(None, None);
        run
    }

    fn write_log(&self, exit_code: Option<i32>, signal: Option<i32>) {
        let Some((path, seq)) = &self.log else { return };
        let env = |key: &str| std::env::var(key).ok();
        let flags = &self.flags;
        let record = json!({
            "seq": seq,
            "argv": self.argv,
            "cwd": self.cwd,
            "pid": std::process::id(),
            // SAFETY: getpgrp has no preconditions.
            "pgid": unsafe { libc::getpgrp() },
            "stdin": self.stdin,
            "env": {"CODEX_HOME": env("CODEX_HOME"), "HOME": env("HOME"), "RUST_LOG": env("RUST_LOG")},
            "started_at": fake_common::rfc3339(self.started),
            "ended_at": (exit_code.is_some() || signal.is_some()).then(|| fake_common::rfc3339(SystemTime::now())),
            "exit_code": exit_code,
            "signal": signal,
            "step": self.step_index,
            "thread_id": self.thread_id,
            "grandchild_pid": self.grandchild_pid,
            "flags": {
                "json": flags.json,
                "sandbox": flags.sandbox,
                "model": flags.model,
                "configs": flags.configs,
                "resume": flags.resume,
                "resume_id": flags.resume.then(|| flags.positionals.first().cloned()).flatten().filter(|_| !flags.last),
                "last": flags.last,
                "prompt": self.prompt,
                "skip_git_repo_check": flags.skip_git,
                "add_dirs": flags.add_dirs,
                "ephemeral": flags.ephemeral,
                "bypass": flags.bypass,
            },
        });
        fake_common::write_log(path, &record);
    }

    fn finish(&self, code: i32) -> ! {
        let _ = std::io::stdout().flush();
        self.write_log(Some(code), None);
        std::process::exit(code);
    }

    fn emit(&self, event: &J) {
        if self.flags.json {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{}", event.to_line());
            let _ = stdout.flush();
        }
    }

    fn next_item(&mut self) -> String {
        let id = format!("item_{}", self.items);
        self.items += 1;
        id
    }

    fn append_rollout(&self, kind: &str, payload: Value) {
        let Some(path) = &self.rollout else { return };
        let line = json!({"timestamp": fake_common::rfc3339(SystemTime::now()), "type": kind, "payload": payload});
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
        {
            let _ = writeln!(file, "{line}");
        }
    }

    /// The provider `base_url` given with `-c`, as the real CLI names it in errors.
    fn base_url(&self) -> String {
        self.flags
            .configs
            .iter()
            .find_map(|config| {
                let rest = config.split("base_url=\"").nth(1)?;
                Some(rest.split('"').next()?.to_string())
            })
            .unwrap_or_else(|| "https://api.openai.com/v1".to_string())
    }

    fn sandbox(&self) -> &str {
        if self.flags.bypass {
            return "danger-full-access";
        }
        self.flags.sandbox.as_deref().unwrap_or("read-only")
    }

    fn main(&mut self) -> i32 {
        let args = self.argv.get(1..).unwrap_or_default().to_vec();
        match args.first().map(String::as_str) {
            Some("-V" | "--version") => {
                println!("codex-cli {VERSION}");
                return 0;
            }
            Some("exec" | "e") => {}
            _ => {
                eprintln!("fake-codex: only `codex exec` and `codex --version` are supported");
                return 2;
            }
        }
        let home = codex_home();
        let temp = std::env::temp_dir();
        if home.starts_with(&temp) {
            eprintln!(
                "WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir \"{}\" (codex_home: AbsolutePathBuf(\"{}\"))",
                temp.display(),
                home.display()
            );
        }
        self.flags = match parse_exec(&args[1..]) {
            Ok(flags) => flags,
            Err(message) => {
                eprintln!("{message}");
                return 2;
            }
        };
        if self.flags.version {
            println!("codex-cli-exec {VERSION}");
            return 0;
        }
        if let Some(dir) = &self.flags.cd {
            let dir = lexical_normal(&self.cwd.join(dir));
            if std::env::set_current_dir(&dir).is_err() {
                eprintln!("Error: No such file or directory (os error 2)");
                return 1;
            }
            self.cwd = dir;
        }
        // Which thread, which prompt.
        let (resume_id, prompt_arg) = if self.flags.resume {
            if self.flags.last {
                (None, self.flags.positionals.first().cloned())
            } else {
                (
                    self.flags.positionals.first().cloned(),
                    self.flags.positionals.get(1).cloned(),
                )
            }
        } else {
            (None, self.flags.positionals.first().cloned())
        };
        let mut existing: Option<PathBuf> = None;
        if self.flags.resume {
            if self.flags.last {
                let cwd = self.cwd.display().to_string();
                existing = rollouts()
                    .into_iter()
                    .filter(|path| self.flags.all || meta(path).is_some_and(|(_, dir)| dir == cwd))
                    .max_by_key(|path| {
                        std::fs::metadata(path)
                            .and_then(|meta| meta.modified())
                            .unwrap_or(SystemTime::UNIX_EPOCH)
                    });
            } else if let Some(id) = &resume_id {
                existing = rollout_of(id);
                if existing.is_none() && fake_common::is_uuid(id) {
                    eprintln!(
                        "Error: thread/resume: thread/resume failed: no rollout found for thread id {id} (code -32600)"
                    );
                    return 1;
                }
            }
        }
        let prompt = match prompt_arg.as_deref() {
            Some("-") | None => {
                if prompt_arg.is_none() {
                    eprintln!("Reading prompt from stdin...");
                }
                let text = fake_common::read_stdin_to_end(self.stdin);
                if text.trim().is_empty() {
                    eprintln!("No prompt provided via stdin.");
                    return 1;
                }
                text
            }
            Some(prompt) if self.flags.resume => prompt.to_string(),
            Some(prompt) => {
                if self.stdin != "tty" {
                    eprintln!("Reading additional input from stdin...");
                }
                let text = fake_common::read_stdin_to_end(self.stdin);
                if text.trim().is_empty() {
                    prompt.to_string()
                } else {
                    format!("{prompt}\n\n<stdin>\n{}\n</stdin>", text.trim_end())
                }
            }
        };
        self.prompt = Some(prompt.clone());
        if !self.flags.skip_git && !self.cwd.ancestors().any(|dir| dir.join(".git").exists()) {
            eprintln!(
                "Not inside a trusted directory and --skip-git-repo-check was not specified."
            );
            return 1;
        }
        // The thread and its history.
        let (thread_id, history) = match &existing {
            Some(path) => {
                let id = meta(path).map(|(id, _)| id).unwrap_or_default();
                self.rollout = Some(path.clone());
                (id, read_lines(path))
            }
            None => {
                let id = fake_common::uuid_v7();
                if !self.flags.ephemeral {
                    let (year, month, day, hour, minute, second, _) =
                        fake_common::utc_fields(self.started);
                    let dir = home
                        .join("sessions")
                        .join(format!("{year:04}"))
                        .join(format!("{month:02}"))
                        .join(format!("{day:02}"));
                    let _ = std::fs::create_dir_all(&dir);
                    self.rollout = Some(dir.join(format!(
                        "rollout-{year:04}-{month:02}-{day:02}T{hour:02}-{minute:02}-{second:02}-{id}.jsonl"
                    )));
                    self.append_rollout(
                        "session_meta",
                        json!({"session_id": id, "id": id, "timestamp": fake_common::rfc3339(self.started), "cwd": self.cwd, "originator": "codex_exec", "cli_version": VERSION, "source": "exec"}),
                    );
                }
                (id, Vec::new())
            }
        };
        self.thread_id = Some(thread_id.clone());
        let turn = history
            .iter()
            .filter(|line| {
                line["type"] == "response_item"
                    && line["payload"]["type"] == "message"
                    && line["payload"]["role"] == "user"
            })
            .count()
            + 1;
        let total_before = history
            .iter()
            .rev()
            .find(|line| line["payload"]["type"] == "token_count")
            .map(|line| Usage::from_value(&line["payload"]["info"]["total_token_usage"]))
            .unwrap_or_default();
        self.recorded_model = history
            .iter()
            .rev()
            .find(|line| line["type"] == "turn_context")
            .and_then(|line| line["payload"]["model"].as_str().map(str::to_string));
        let model = self
            .flags
            .model
            .clone()
            .unwrap_or_else(|| DEFAULT_MODEL.to_string());
        self.append_rollout(
            "turn_context",
            json!({"cwd": self.cwd, "model": model, "sandbox": self.sandbox()}),
        );
        self.append_rollout(
            "response_item",
            json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": prompt}]}),
        );
        let step = match fake_common::take_step("FAKE_CODEX_SCRIPT", &prompt, KEYS, KINDS) {
            Ok(step) => step,
            Err(message) => {
                eprintln!("fake-codex: {message}");
                return fake_common::SETUP_ERROR;
            }
        };
        self.step_index = step.index;
        self.write_log(None, None);
        self.turn(&step, &thread_id, &prompt, turn, total_before)
    }

    fn turn(
        &mut self,
        step: &Step,
        thread_id: &str,
        prompt: &str,
        turn: usize,
        total_before: Usage,
    ) -> i32 {
        self.grandchild_pid = fake_common::process_options(step);
        self.emit(&o(vec![
            ("type", v("thread.started")),
            ("thread_id", v(thread_id)),
        ]));
        let model = self
            .flags
            .model
            .clone()
            .unwrap_or_else(|| DEFAULT_MODEL.to_string());
        if let Some(recorded) = self
            .recorded_model
            .clone()
            .filter(|recorded| *recorded != model)
        {
            let id = self.next_item();
            let text = format!(
                "This session was recorded with model `{recorded}` but is resuming with `{model}`. Consider switching back to `{recorded}` as it may affect Codex performance."
            );
            self.emit(&item(
                "item.completed",
                &id,
                vec![("type", v("error")), ("message", v(text))],
            ));
        }
        if !KNOWN_MODELS.contains(&model.as_str()) {
            let id = self.next_item();
            let text = format!(
                "Model metadata for `{model}` not found. Defaulting to fallback metadata; this can degrade performance and cause issues."
            );
            self.emit(&item(
                "item.completed",
                &id,
                vec![("type", v("error")), ("message", v(text))],
            ));
        }
        self.emit(&o(vec![("type", v("turn.started"))]));
        let tool_calls = self.tools(step);
        let every = step.float("heartbeat_secs").filter(|secs| *secs > 0.0);
        let kind = step.kind();
        if kind == "connection_refused" {
            let every = Duration::from_secs_f64(every.unwrap_or(30.0));
            let wait = if step.sleep().is_zero() {
                Duration::from_secs(86_400)
            } else {
                step.sleep()
            };
            let end = Instant::now() + wait;
            let line = error_event(
                "Reconnecting... waiting for network (Connection failed: error sending request)",
            );
            self.emit(&line);
            fake_common::wait_until(end, Some(every), || self.emit(&line));
        } else {
            let end = Instant::now() + step.sleep();
            let line = error_event(
                "Reconnecting... 1/5 (stream disconnected before completion: error sending request)",
            );
            fake_common::wait_until(end, every.map(Duration::from_secs_f64), || self.emit(&line));
        }
        if let Some(signal) = step.signal() {
            self.write_log(None, Some(signal));
            fake_common::die_by(signal);
            return 1;
        }
        let mut out = String::new();
        let code = match kind.as_str() {
            "success" => {
                let text = step
                    .text("reply")
                    .unwrap_or_else(|| format!("FAKE-REPLY turn={turn} last_user={prompt}"));
                let id = self.next_item();
                let message = item(
                    "item.completed",
                    &id,
                    vec![("type", v("agent_message")), ("text", v(text.clone()))],
                );
                out.push_str(&self.line(&message));
                let requests = 1 + tool_calls;
                let field = |key: &str, per: u64| step.int(key).unwrap_or(per * requests);
                let this = Usage {
                    input: field("input_tokens", 11),
                    cached: field("cached_input_tokens", 3),
                    output: field("output_tokens", 2),
                    reasoning: field("reasoning_output_tokens", 0),
                };
                let total = total_before.add(this);
                self.append_rollout(
                    "response_item",
                    json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}),
                );
                self.append_rollout(
                    "event_msg",
                    json!({"type": "token_count", "info": {"total_token_usage": serde_json::from_str::<Value>(&total.to_j().to_line()).unwrap_or_default(), "last_token_usage": serde_json::from_str::<Value>(&this.to_j().to_line()).unwrap_or_default()}}),
                );
                out.push_str(&self.line(&o(vec![
                    ("type", v("turn.completed")),
                    ("usage", total.to_j()),
                ])));
                self.last_message = Some(text);
                0
            }
            _ => {
                let message = step.text("message").unwrap_or_else(|| match kind.as_str() {
                    "connection_refused" => "Connection failed: error sending request".to_string(),
                    "disconnected" => {
                        "stream disconnected before completion: error sending request".to_string()
                    }
                    "idle_timeout" => {
                        "stream disconnected before completion: idle timeout waiting for SSE"
                            .to_string()
                    }
                    _ => api_error_text(step.int("status").unwrap_or(500), &self.base_url()),
                });
                let retries = step.int("retries").unwrap_or(0);
                for attempt in 1..=retries {
                    out.push_str(&self.line(&error_event(&format!(
                        "Reconnecting... {attempt}/{retries} ({message})"
                    ))));
                }
                out.push_str(&self.line(&error_event(&message)));
                out.push_str(&self.line(&o(vec![
                    ("type", v("turn.failed")),
                    ("error", o(vec![("message", v(message.clone()))])),
                ])));
                if !self.flags.json {
                    eprintln!("ERROR: {message}");
                }
                1
            }
        };
        if !self.flags.json
            && let Some(text) = &self.last_message
        {
            out = format!("{text}\n");
        }
        if let (Some(file), Some(text)) = (&self.flags.output_last_message, &self.last_message) {
            let _ = std::fs::write(self.cwd.join(file), text);
        }
        fake_common::print_output(step, out);
        step.exit_code().unwrap_or(code)
    }

    fn line(&self, event: &J) -> String {
        if self.flags.json {
            event.to_line() + "\n"
        } else {
            String::new()
        }
    }

    /// Runs the step's tool calls; returns how many the model made.
    fn tools(&mut self, step: &Step) -> u64 {
        let sandbox = self.sandbox().to_string();
        let mut calls = 0;
        for command in step.list("commands") {
            calls += 1;
            let cmd = command["cmd"].as_str().unwrap_or("true").to_string();
            if command["escalate"] == true && sandbox != "danger-full-access" {
                eprintln!(
                    "{} ERROR codex_core::tools::router: error=approval policy is Never; reject command — you cannot ask for escalated permissions if the approval policy is Never",
                    log_time()
                );
                continue;
            }
            if command["writes"] == true && sandbox == "read-only" {
                continue;
            }
            let shown = format!("/bin/bash -lc '{cmd}'");
            let exit_code = command["exit_code"].as_i64().unwrap_or(0);
            let output = command["output"].as_str().unwrap_or_default().to_string();
            let id = self.next_item();
            self.emit(&item(
                "item.started",
                &id,
                vec![
                    ("type", v("command_execution")),
                    ("command", v(shown.clone())),
                    ("aggregated_output", v("")),
                    ("exit_code", v(Value::Null)),
                    ("status", v("in_progress")),
                ],
            ));
            self.emit(&item(
                "item.completed",
                &id,
                vec![
                    ("type", v("command_execution")),
                    ("command", v(shown)),
                    ("aggregated_output", v(output)),
                    ("exit_code", v(exit_code)),
                    (
                        "status",
                        v(if exit_code == 0 {
                            "completed"
                        } else {
                            "failed"
                        }),
                    ),
                ],
            ));
        }
        if let Some(write) = step.map.get("write") {
            calls += 1;
            let file_path = write["file_path"].as_str().unwrap_or("out.txt");
            let content = write["content"].as_str().unwrap_or_default();
            let path = lexical_normal(&self.cwd.join(file_path));
            let roots: Vec<PathBuf> = std::iter::once(self.cwd.clone())
                .chain(
                    self.flags
                        .add_dirs
                        .iter()
                        .map(|dir| lexical_normal(&self.cwd.join(dir))),
                )
                .collect();
            let allowed = sandbox == "danger-full-access"
                || (sandbox == "workspace-write"
                    && roots.iter().any(|root| path.starts_with(root)));
            if allowed {
                let kind = if path.exists() { "update" } else { "add" };
                let shown = path.display().to_string();
                let fields = |status: &str| {
                    let changes =
                        J::A(vec![o(vec![("path", v(shown.clone())), ("kind", v(kind))])]);
                    vec![
                        ("type", v("file_change")),
                        ("changes", changes),
                        ("status", v(status.to_string())),
                    ]
                };
                let id = self.next_item();
                self.emit(&item("item.started", &id, fields("in_progress")));
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let _ = std::fs::write(&path, content);
                self.emit(&item("item.completed", &id, fields("completed")));
            } else {
                let reason = if sandbox == "read-only" {
                    "writing is blocked by read-only sandbox"
                } else {
                    "writing outside of the project"
                };
                eprintln!(
                    "{} ERROR codex_core::tools::router: error=patch rejected: {reason}; rejected by user approval settings",
                    log_time()
                );
            }
        }
        calls
    }
}

fn item(event: &str, id: &str, fields: Vec<(&str, J)>) -> J {
    let mut pairs = vec![("id", v(id))];
    pairs.extend(fields);
    o(vec![("type", v(event)), ("item", o(pairs))])
}

fn error_event(message: &str) -> J {
    o(vec![("type", v("error")), ("message", v(message))])
}

/// The real CLI's failure text for an HTTP status.
fn api_error_text(status: u64, base: &str) -> String {
    let reason = match status {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Error",
    };
    match status {
        500 => "We’re currently experiencing high demand, which may cause temporary errors.".to_string(),
        429 => "exceeded retry limit, last status: 429 Too Many Requests".to_string(),
        400 => "{\"error\": {\"message\": \"fake 400\", \"type\": \"server_error\", \"param\": null, \"code\": null}}".to_string(),
        _ => format!("unexpected status {status} {reason}: fake {status}, url: {base}/responses"),
    }
}

/// A tracing-style timestamp: `2026-12-03T03:08:09.431623Z`.
fn log_time() -> String {
    let now = SystemTime::now();
    let (year, month, day, hour, minute, second, _) = fake_common::utc_fields(now);
    let micros = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_micros();
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{micros:06}Z")
}
