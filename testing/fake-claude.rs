//! `fake-claude`: a test double of the Claude Code CLI 2.1.197 in print mode.
//!
//! Built only with the `test-fakes` feature (the crate's self dev-dependency
//! turns it on, so `cargo test` builds it and integration tests find it at
//! `env!("CARGO_BIN_EXE_fake-claude")`). Tests install it as `claude` on PATH.
//! It never touches the network. Its outputs copy the verbatim samples in
//! `tests/fixtures/claude-cli-samples/` (see their README).
//!
//! # Command line
//!
//! Parsed like the real CLI (commander.js): `-p/--print`, `--output-format
//! text|json|stream-json`, `--verbose`, `--session-id UUID`, `-r/--resume
//! UUID`, `--fork-session`, `--model`, `--max-turns`, `--max-budget-usd`,
//! `--permission-mode`, `--append-system-prompt`, `--system-prompt`, the
//! variadic `--allowedTools/--allowed-tools`, `--disallowedTools/
//! --disallowed-tools`, `--add-dir`, `--tools`, `--mcp-config`, `--betas`
//! (they swallow following arguments until `--` or the next `-`option),
//! `--opt=value` forms, `-v/--version` (`2.1.197 (Claude Code)`), then `--`
//! and the prompt. Other real options that take a value (`--settings`,
//! `--input-format`, `--fallback-model`, …) or none (`--strict-mcp-config`,
//! `--include-partial-messages`, …) are accepted and ignored; anything else is
//! `error: unknown option '…'`. Argument and session errors print nothing on
//! stdout, the real CLI's message on stderr, and exit 1:
//!
//! - `Error: Invalid session ID. Must be a valid UUID.`
//! - `Error: --session-id can only be used with --continue or --resume if --fork-session is also specified.`
//! - `Error: When using --print, --output-format=stream-json requires --verbose`
//! - `Error: --resume requires a valid session ID or session title when used with --print. …`
//! - `Error: Input must be provided either through stdin or as a prompt argument when using --print`
//! - `--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons`
//!   (as root, unless `IS_SANDBOX=1`; also for `--permission-mode bypassPermissions`)
//! - `No conversation found with session ID: <id>` (with `stream-json` the
//!   real CLI also prints an `error_during_execution` result line, as
//!   `d_resume_unknown_uuid_stream_json.jsonl` shows; so does the fake)
//! - `Error: Session ID <id> is already in use.`
//!
//! Stdin: `/dev/null` or a terminal is ignored; a pipe or file is read and
//! appended to the prompt after a newline (a pipe silent for 3 s prints the
//! real CLI's warning and is ignored). Without `-p` the fake refuses to run.
//!
//! # Sessions
//!
//! Transcripts live at `$CLAUDE_CONFIG_DIR/projects/<cwd>/<id>.jsonl`, else
//! `$HOME/.claude/projects/<cwd>/<id>.jsonl`, where `<cwd>` is the working
//! directory with every character not in `[A-Za-z0-9]` replaced by `-`.
//! `--session-id` creates it (error if it exists), `--resume` requires it in
//! this cwd (or, inside a git repository, in an ancestor up to the repository
//! root) and keeps the id; `--fork-session` copies the history into a new id
//! (the `--session-id` value or a random v4 UUID). Each turn appends the user
//! prompt *before* doing anything else (so a failed or killed turn is still on
//! disk) and the reply after. The default reply is
//! `FAKE-REPLY turn=N msgs=M last_user=<prompt>` like the samples: N counts the
//! prompts in the transcript including this one, M = 2 × N.
//!
//! # Output
//!
//! `json`: one result object and `\n` (with `--verbose`: a JSON array of
//! every message). `stream-json` (needs `--verbose`): one object per line,
//! `system/init`, `assistant`, `user` (tool results), `system/api_retry`,
//! `result` last. `text`: the result text (or the error text) and `\n`. Keys
//! come in the real CLI's order. Exit 0 unless the result has
//! `is_error: true` (exit 1).
//!
//! # Script (`FAKE_CLAUDE_SCRIPT`)
//!
//! Names a JSON file holding an array of steps. Each invocation takes the
//! first step that is not used up and whose `match` (if any) is a substring
//! of the prompt; a step is then used up unless it has `"repeat": true`.
//! Which steps are used up is kept in `<script>.state` beside the script
//! (a JSON array of indices, updated under a file lock, so parallel
//! invocations never take the same step). No script, or no step left: the
//! default reply. Unknown keys are an error (exit 97). Keys of a step:
//!
//! | key | meaning |
//! |---|---|
//! | `match` | string: only for prompts containing it |
//! | `repeat` | bool: never used up |
//! | `kind` | `success` (default), `api_error`, `timeout`, `connection_refused`, `max_turns`, `max_budget` |
//! | `reply` | string: the final assistant text (success) |
//! | `status` | int: HTTP status of an `api_error` (default 500) |
//! | `message` | string: replaces the error text (`result`, or `errors[0]` for max_turns/max_budget) |
//! | `retries` | int: `system/api_retry` events before an `api_error` (stream-json) |
//! | `cost_usd` | number: `total_cost_usd` |
//! | `input_tokens`, `output_tokens` | int: usage |
//! | `num_turns` | int: `num_turns` (default 1, or 2 with `write`) |
//! | `write` | `{"file_path", "content"}`: a `Write` tool_use; relative paths are under the cwd |
//! | `permission_denials` | array of `{"tool_name", "tool_input"}`: extra denials to report |
//! | `sleep_secs` | number: wait before answering (after the write) |
//! | `heartbeat_secs` | number: during the wait, print an `assistant` event this often (stream-json); without it the wait is silent |
//! | `ignore_sigterm` | bool: ignore SIGTERM for the whole run |
//! | `signal` | `"SIGKILL"`, `"SIGSEGV"`, … or a number: after the wait, die by this signal (no result printed) |
//! | `grandchild_secs` | number: spawn a process that keeps stdout/stderr open this long after the fake exits |
//! | `stdout` | string: printed instead of the normal output |
//! | `truncate_bytes` | int: cut the normal output after this many bytes |
//! | `stderr` | string: written to stderr |
//! | `exit_code` | int: replaces the exit code |
//!
//! A `write` is allowed under `--permission-mode acceptEdits` (or
//! `bypassPermissions`) when the path is inside the cwd or an `--add-dir`, or
//! when `--allowedTools` names `Write`; `--disallowedTools Write` always
//! denies. A denied write is listed in `permission_denials` and the run
//! still succeeds (exit 0), as `i_default.json` shows. `--max-turns N` below
//! the step's turns gives `error_max_turns`; `--max-budget-usd X` below its
//! cost gives `error_max_budget_usd`.
//!
//! # Invocation log (`FAKE_CLAUDE_LOG`)
//!
//! Names a directory; each invocation writes `call-NNNN.json` (NNNN counts up
//! from 0001) at start and rewrites it at exit: `seq`, `argv`, `cwd`, `pid`,
//! `pgid`, `stdin` (`null`, `pipe`, `file`, `tty`, `closed`, `other`), `env`
//! (`CLAUDE_CODE_MAX_RETRIES`, `API_TIMEOUT_MS`, `CLAUDECODE`,
//! `CLAUDE_CODE_ENTRYPOINT`, `CLAUDE_CODE_MAX_OUTPUT_TOKENS`, null when
//! unset), `started_at`, `ended_at` (RFC 3339 UTC with ms; null if killed
//! from outside), `exit_code`, `signal`, `step` (index or null),
//! `session_id` (the effective one), `grandchild_pid`, and `flags`
//! (`print`, `output_format`, `verbose`, `prompt`, `append_system_prompt`,
//! `system_prompt`, `session_id`, `resume`, `fork_session`, `model`,
//! `max_turns`, `max_budget_usd`, `permission_mode`, `allowed_tools`,
//! `disallowed_tools`, `add_dirs`).

#![allow(
    clippy::disallowed_methods,
    reason = "a test double writes its own files"
)]
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a fake CLI's whole job is printing"
)]

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

const VERSION: &str = "2.1.197";
const DEFAULT_MODEL: &str = "claude-opus-4-8[1m]";
/// Exit code for a broken test setup (bad script), distinct from the CLI's 1.
const SETUP_ERROR: i32 = 97;

fn main() {
    if let Ok(secs) = std::env::var("FAKE_CLAUDE_GRANDCHILD_SECS") {
        // The re-executed grandchild: hold the inherited pipes open, then go.
        std::thread::sleep(Duration::from_secs_f64(secs.parse().unwrap_or(1.0)));
        return;
    }
    let mut run = Run::start();
    let code = run.main();
    run.finish(code);
}

// ---------------------------------------------------------------------------
// Ordered JSON: the real CLI's key order, without serde_json's preserve_order.

enum J {
    V(Value),
    A(Vec<J>),
    O(Vec<(String, J)>),
}

impl J {
    fn render(&self, out: &mut String) {
        match self {
            J::V(value) => out.push_str(&value.to_string()),
            J::A(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    item.render(out);
                }
                out.push(']');
            }
            J::O(pairs) => {
                out.push('{');
                for (index, (key, item)) in pairs.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::from(key.as_str()).to_string());
                    out.push(':');
                    item.render(out);
                }
                out.push('}');
            }
        }
    }

    fn to_line(&self) -> String {
        let mut out = String::new();
        self.render(&mut out);
        out
    }
}

fn v(value: impl Into<Value>) -> J {
    J::V(value.into())
}

fn o(pairs: Vec<(&str, J)>) -> J {
    J::O(
        pairs
            .into_iter()
            .map(|(key, item)| (key.to_string(), item))
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// Command line.

#[derive(Default)]
struct Flags {
    print: bool,
    version: bool,
    help: bool,
    output_format: Option<String>,
    verbose: bool,
    session_id: Option<String>,
    resume: Option<Option<String>>,
    continue_: bool,
    fork_session: bool,
    model: Option<String>,
    max_turns: Option<String>,
    max_budget_usd: Option<String>,
    permission_mode: Option<String>,
    append_system_prompt: Option<String>,
    system_prompt: Option<String>,
    allowed_tools: Vec<String>,
    disallowed_tools: Vec<String>,
    add_dirs: Vec<String>,
    skip_permissions: bool,
    positionals: Vec<String>,
}

const IGNORED_WITH_VALUE: &[&str] = &[
    "--settings",
    "--input-format",
    "--fallback-model",
    "--setting-sources",
    "--agent",
    "--agents",
    "--effort",
    "--json-schema",
    "--debug-file",
    "--name",
    "-n",
    "--plugin-dir",
    "--append-system-prompt-file",
    "--system-prompt-file",
];
const IGNORED_FLAGS: &[&str] = &[
    "--strict-mcp-config",
    "--include-partial-messages",
    "--include-hook-events",
    "--no-session-persistence",
    "--replay-user-messages",
    "--allow-dangerously-skip-permissions",
    "--disable-slash-commands",
    "--exclude-dynamic-system-prompt-sections",
    "--bare",
    "--ide",
    "--safe-mode",
];
const IGNORED_VARIADIC: &[&str] = &["--tools", "--mcp-config", "--betas", "--file"];

/// Parses argv like commander.js; `Err` is the message for stderr.
fn parse_args(args: &[String]) -> Result<Flags, String> {
    let mut flags = Flags::default();
    let mut index = 0;
    let mut after_dashes = false;
    while index < args.len() {
        let arg = &args[index];
        index += 1;
        if after_dashes || !arg.starts_with('-') || arg == "-" {
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
        // One required value: inline, else the next argument.
        let mut take = |label: &str| -> Result<String, String> {
            if let Some(value) = inline.clone() {
                return Ok(value);
            }
            match args.get(index) {
                Some(next) if !next.starts_with('-') || next == "-" => {
                    index += 1;
                    Ok(next.clone())
                }
                _ => Err(format!("error: option '{label}' argument missing")),
            }
        };
        match name {
            "-p" | "--print" => flags.print = true,
            "-v" | "--version" => flags.version = true,
            "-h" | "--help" => flags.help = true,
            "--verbose" => flags.verbose = true,
            "--fork-session" => flags.fork_session = true,
            "-c" | "--continue" => flags.continue_ = true,
            "--dangerously-skip-permissions" => flags.skip_permissions = true,
            "--output-format" => {
                let value = take("--output-format <format>")?;
                if !["text", "json", "stream-json"].contains(&value.as_str()) {
                    return Err(format!(
                        "error: option '--output-format <format>' argument '{value}' is invalid. Allowed choices are text, json, stream-json."
                    ));
                }
                flags.output_format = Some(value);
            }
            "--permission-mode" => {
                let value = take("--permission-mode <mode>")?;
                let modes = [
                    "acceptEdits",
                    "auto",
                    "bypassPermissions",
                    "default",
                    "dontAsk",
                    "plan",
                ];
                if !modes.contains(&value.as_str()) {
                    return Err(format!(
                        "error: option '--permission-mode <mode>' argument '{value}' is invalid. Allowed choices are {}.",
                        modes.join(", ")
                    ));
                }
                flags.permission_mode = Some(value);
            }
            "--session-id" => flags.session_id = Some(take("--session-id <uuid>")?),
            "--model" => flags.model = Some(take("--model <model>")?),
            "--max-turns" => flags.max_turns = Some(take("--max-turns <turns>")?),
            "--max-budget-usd" => flags.max_budget_usd = Some(take("--max-budget-usd <amount>")?),
            "--append-system-prompt" => {
                flags.append_system_prompt = Some(take("--append-system-prompt <prompt>")?);
            }
            "--system-prompt" => flags.system_prompt = Some(take("--system-prompt <prompt>")?),
            "-r" | "--resume" => {
                // `[value]`: optional, as in the real CLI.
                flags.resume = Some(take("--resume [value]").ok());
            }
            "--allowedTools" | "--allowed-tools" | "--disallowedTools" | "--disallowed-tools"
            | "--add-dir" => {
                let mut values = Vec::new();
                if let Some(value) = inline {
                    values.push(value);
                } else {
                    while let Some(next) = args.get(index) {
                        if next.starts_with('-') {
                            break;
                        }
                        values.push(next.clone());
                        index += 1;
                    }
                    if values.is_empty() {
                        return Err(format!(
                            "error: option '{name} <values...>' argument missing"
                        ));
                    }
                }
                let list = match name {
                    "--allowedTools" | "--allowed-tools" => &mut flags.allowed_tools,
                    "--add-dir" => &mut flags.add_dirs,
                    _ => &mut flags.disallowed_tools,
                };
                list.extend(values);
            }
            _ if IGNORED_VARIADIC.contains(&name) => {
                if inline.is_none() {
                    while args.get(index).is_some_and(|next| !next.starts_with('-')) {
                        index += 1;
                    }
                }
            }
            _ if IGNORED_WITH_VALUE.contains(&name) => {
                take(name)?;
            }
            _ if IGNORED_FLAGS.contains(&name) => {}
            _ => return Err(format!("error: unknown option '{arg}'")),
        }
    }
    Ok(flags)
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()))
}

fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    if File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .is_err()
    {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = (nanos ^ u128::from(std::process::id())).to_le_bytes();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn short_id() -> String {
    random_uuid().replace('-', "")[..20].to_string()
}

// ---------------------------------------------------------------------------
// Times.

/// Returns `time` as RFC 3339 UTC with milliseconds.
fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

// ---------------------------------------------------------------------------
// Stdin.

fn stdin_kind() -> &'static str {
    // SAFETY: fstat/stat write into the zeroed structs we own.
    unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        if libc::fstat(0, &raw mut stat) != 0 {
            return "closed";
        }
        let format = stat.st_mode & libc::S_IFMT;
        if format == libc::S_IFCHR {
            let mut null: libc::stat = std::mem::zeroed();
            if libc::stat(c"/dev/null".as_ptr(), &raw mut null) == 0 && null.st_rdev == stat.st_rdev
            {
                return "null";
            }
            if libc::isatty(0) == 1 {
                return "tty";
            }
            return "other";
        }
        match format {
            libc::S_IFIFO | libc::S_IFSOCK => "pipe",
            libc::S_IFREG => "file",
            _ => "other",
        }
    }
}

/// Reads a piped or file stdin as the real CLI does (3 s for a first byte).
fn read_stdin(kind: &str) -> String {
    if kind == "pipe" {
        let mut poll = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&raw mut poll, 1, 3000) };
        if ready <= 0 {
            eprintln!(
                "Warning: no stdin data received in 3s, proceeding without it. If piping from a slow command, redirect stdin explicitly: < /dev/null to skip, or wait longer."
            );
            return String::new();
        }
    } else if kind != "file" {
        return String::new();
    }
    let mut text = String::new();
    let _ = std::io::stdin().read_to_string(&mut text);
    text
}

// ---------------------------------------------------------------------------
// Script.

#[derive(Default)]
struct Step {
    index: Option<usize>,
    kind: String,
    reply: Option<String>,
    status: u16,
    message: Option<String>,
    retries: u64,
    cost_usd: Option<f64>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    num_turns: Option<u64>,
    write: Option<(String, String)>,
    permission_denials: Vec<Value>,
    sleep_secs: f64,
    heartbeat_secs: Option<f64>,
    ignore_sigterm: bool,
    signal: Option<i32>,
    grandchild_secs: Option<f64>,
    stdout: Option<String>,
    truncate_bytes: Option<usize>,
    stderr: Option<String>,
    exit_code: Option<i32>,
}

impl Step {
    /// Returns the step used without a script: the default reply.
    fn plain() -> Step {
        Step {
            kind: "success".to_string(),
            status: 500,
            ..Step::default()
        }
    }
}

const STEP_KEYS: &[&str] = &[
    "match",
    "repeat",
    "kind",
    "reply",
    "status",
    "message",
    "retries",
    "cost_usd",
    "input_tokens",
    "output_tokens",
    "num_turns",
    "write",
    "permission_denials",
    "sleep_secs",
    "heartbeat_secs",
    "ignore_sigterm",
    "signal",
    "grandchild_secs",
    "stdout",
    "truncate_bytes",
    "stderr",
    "exit_code",
];

fn signal_number(value: &Value) -> Option<i32> {
    if let Some(number) = value.as_i64() {
        return i32::try_from(number).ok();
    }
    let name = value.as_str()?;
    let name = name.strip_prefix("SIG").unwrap_or(name);
    Some(match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "ABRT" => libc::SIGABRT,
        "BUS" => libc::SIGBUS,
        "KILL" => libc::SIGKILL,
        "SEGV" => libc::SIGSEGV,
        "PIPE" => libc::SIGPIPE,
        "TERM" => libc::SIGTERM,
        "USR1" => libc::SIGUSR1,
        _ => return None,
    })
}

fn parse_step(index: usize, raw: &Value) -> Result<Step, String> {
    let object = raw
        .as_object()
        .ok_or_else(|| format!("step {index} is not an object"))?;
    if let Some(key) = object.keys().find(|key| !STEP_KEYS.contains(&key.as_str())) {
        return Err(format!("step {index} has unknown key `{key}`"));
    }
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
    let float = |key: &str| object.get(key).and_then(Value::as_f64);
    let int = |key: &str| object.get(key).and_then(Value::as_u64);
    let kind = text("kind").unwrap_or_else(|| "success".to_string());
    let kinds = [
        "success",
        "api_error",
        "timeout",
        "connection_refused",
        "max_turns",
        "max_budget",
    ];
    if !kinds.contains(&kind.as_str()) {
        return Err(format!("step {index} has unknown kind `{kind}`"));
    }
    let write = match object.get("write") {
        None => None,
        Some(write) => Some((
            write
                .get("file_path")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("step {index}: `write` needs `file_path`"))?
                .to_string(),
            write
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        )),
    };
    let signal = match object.get("signal") {
        None => None,
        Some(value) => Some(
            signal_number(value)
                .ok_or_else(|| format!("step {index} has unknown signal {value}"))?,
        ),
    };
    Ok(Step {
        index: Some(index),
        kind,
        reply: text("reply"),
        status: int("status")
            .and_then(|s| u16::try_from(s).ok())
            .unwrap_or(500),
        message: text("message"),
        retries: int("retries").unwrap_or(0),
        cost_usd: float("cost_usd"),
        input_tokens: int("input_tokens"),
        output_tokens: int("output_tokens"),
        num_turns: int("num_turns"),
        write,
        permission_denials: object
            .get("permission_denials")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        sleep_secs: float("sleep_secs").unwrap_or(0.0),
        heartbeat_secs: float("heartbeat_secs").filter(|secs| *secs > 0.0),
        ignore_sigterm: object.get("ignore_sigterm") == Some(&Value::Bool(true)),
        signal,
        grandchild_secs: float("grandchild_secs"),
        stdout: text("stdout"),
        truncate_bytes: int("truncate_bytes").and_then(|n| usize::try_from(n).ok()),
        stderr: text("stderr"),
        exit_code: object
            .get("exit_code")
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok()),
    })
}

/// Takes the next step for `prompt` from the script, under a lock.
fn take_step(prompt: &str) -> Result<Step, String> {
    let Some(script) = std::env::var_os("FAKE_CLAUDE_SCRIPT") else {
        return Ok(Step::plain());
    };
    let script = PathBuf::from(script);
    let text = std::fs::read_to_string(&script)
        .map_err(|error| format!("cannot read script `{}`: {error}", script.display()))?;
    let steps: Vec<Value> = serde_json::from_str(&text)
        .map_err(|error| format!("script `{}` is not a JSON array: {error}", script.display()))?;
    let mut state_path = script.clone().into_os_string();
    state_path.push(".state");
    let mut state = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&state_path)
        .map_err(|error| format!("cannot open script state: {error}"))?;
    state
        .lock()
        .map_err(|error| format!("cannot lock script state: {error}"))?;
    let mut used_text = String::new();
    let _ = state.read_to_string(&mut used_text);
    let mut used: BTreeSet<usize> = serde_json::from_str(&used_text).unwrap_or_default();
    for (index, raw) in steps.iter().enumerate() {
        if used.contains(&index) {
            continue;
        }
        let wanted = raw.get("match").and_then(Value::as_str);
        if wanted.is_some_and(|wanted| !prompt.contains(wanted)) {
            continue;
        }
        let step = parse_step(index, raw)?;
        if raw.get("repeat") != Some(&Value::Bool(true)) {
            used.insert(index);
            let text = serde_json::to_string(&used).unwrap_or_default();
            let _ = state.set_len(0);
            let _ = std::io::Seek::rewind(&mut state);
            let _ = state.write_all(text.as_bytes());
        }
        return Ok(step);
    }
    Ok(Step::plain())
}

// ---------------------------------------------------------------------------
// Sessions.

fn escape_cwd(cwd: &Path) -> String {
    cwd.to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn projects_dir() -> PathBuf {
    if let Some(config) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(config).join("projects");
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    PathBuf::from(home).join(".claude").join("projects")
}

fn transcript_path(cwd: &Path, session_id: &str) -> PathBuf {
    projects_dir()
        .join(escape_cwd(cwd))
        .join(format!("{session_id}.jsonl"))
}

/// Finds a transcript to resume: this cwd, or inside a git repository an
/// ancestor up to its root (the real CLI resumes from subdirectories there).
fn find_transcript(cwd: &Path, session_id: &str) -> Option<PathBuf> {
    let here = transcript_path(cwd, session_id);
    if here.is_file() {
        return Some(here);
    }
    let root = cwd.ancestors().find(|dir| dir.join(".git").exists())?;
    cwd.ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(root))
        .map(|dir| transcript_path(dir, session_id))
        .find(|path| path.is_file())
}

/// Counts the user prompts (not tool results) in a transcript.
fn count_prompts(transcript: &str) -> usize {
    transcript
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["type"] == "user" && line["message"]["content"].is_string())
        .count()
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

// ---------------------------------------------------------------------------
// One invocation.

struct Run {
    argv: Vec<String>,
    cwd: PathBuf,
    started: SystemTime,
    clock: Instant,
    stdin: &'static str,
    flags: Flags,
    prompt: Option<String>,
    step_index: Option<usize>,
    session_id: Option<String>,
    grandchild_pid: Option<u32>,
    log_path: Option<PathBuf>,
    seq: Option<u64>,
    transcript: Option<PathBuf>,
    parent_uuid: Option<String>,
    model: String,
    /// Every message printed, for `--verbose` json.
    messages: Vec<J>,
}

/// Returns the names of every variable in this process's environment.
fn env_names() -> Vec<String> {
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .collect();
    names.sort();
    names
}

impl Run {
    fn start() -> Run {
        let argv: Vec<String> = std::env::args().collect();
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut run = Run {
            argv,
            cwd,
            started: SystemTime::now(),
            clock: Instant::now(),
            stdin: stdin_kind(),
            flags: Flags::default(),
            prompt: None,
            step_index: None,
            session_id: None,
            grandchild_pid: None,
            log_path: None,
            seq: None,
            transcript: None,
            parent_uuid: None,
            model: DEFAULT_MODEL.to_string(),
            messages: Vec::new(),
        };
        if let Some(dir) = std::env::var_os("FAKE_CLAUDE_LOG") {
            let dir = PathBuf::from(dir);
            let _ = std::fs::create_dir_all(&dir);
            for seq in 1..100_000u64 {
                let path = dir.join(format!("call-{seq:04}.json"));
                if OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .is_ok()
                {
                    run.log_path = Some(path);
                    run.seq = Some(seq);
                    break;
                }
            }
        }
        run.write_log(None, None);
        run
    }

    fn write_log(&self, exit_code: Option<i32>, signal: Option<i32>) {
        let Some(path) = &self.log_path else { return };
        let env = |key: &str| std::env::var(key).ok();
        let ended = exit_code.is_some() || signal.is_some();
        let record = json!({
            "seq": self.seq,
            "argv": self.argv,
            "cwd": self.cwd,
            "pid": std::process::id(),
            // SAFETY: getpgrp has no preconditions.
            "pgid": unsafe { libc::getpgrp() },
            "stdin": self.stdin,
            "env": {
                "CLAUDE_CODE_MAX_RETRIES": env("CLAUDE_CODE_MAX_RETRIES"),
                "API_TIMEOUT_MS": env("API_TIMEOUT_MS"),
                "CLAUDECODE": env("CLAUDECODE"),
                "CLAUDE_CODE_ENTRYPOINT": env("CLAUDE_CODE_ENTRYPOINT"),
                "CLAUDE_CODE_MAX_OUTPUT_TOKENS": env("CLAUDE_CODE_MAX_OUTPUT_TOKENS"),
            },
            "env_names": env_names(),
            "started_at": rfc3339(self.started),
            "ended_at": ended.then(|| rfc3339(SystemTime::now())),
            "exit_code": exit_code,
            "signal": signal,
            "step": self.step_index,
            "session_id": self.session_id,
            "grandchild_pid": self.grandchild_pid,
            "flags": {
                "print": self.flags.print,
                "output_format": self.flags.output_format,
                "verbose": self.flags.verbose,
                "prompt": self.prompt,
                "append_system_prompt": self.flags.append_system_prompt,
                "system_prompt": self.flags.system_prompt,
                "session_id": self.flags.session_id,
                "resume": self.flags.resume.clone().flatten(),
                "fork_session": self.flags.fork_session,
                "model": self.flags.model,
                "max_turns": self.flags.max_turns,
                "max_budget_usd": self.flags.max_budget_usd,
                "permission_mode": self.flags.permission_mode,
                "allowed_tools": self.flags.allowed_tools,
                "disallowed_tools": self.flags.disallowed_tools,
                "add_dirs": self.flags.add_dirs,
            },
        });
        let text = serde_json::to_string_pretty(&record).unwrap_or_default() + "\n";
        let temp = path.with_extension("tmp");
        if std::fs::write(&temp, text).is_ok() {
            let _ = std::fs::rename(&temp, path);
        }
    }

    fn finish(&self, code: i32) -> ! {
        let _ = std::io::stdout().flush();
        self.write_log(Some(code), None);
        std::process::exit(code);
    }

    /// An argument or session error: empty stdout, the message, exit 1.
    fn fail(message: &str) -> i32 {
        eprintln!("{message}");
        1
    }

    fn output_format(&self) -> &str {
        self.flags.output_format.as_deref().unwrap_or("text")
    }

    fn stream(&self) -> bool {
        self.output_format() == "stream-json"
    }

    /// Prints a stream-json event at once (so readers see progress), and
    /// keeps it for the `--verbose` json array.
    fn emit(&mut self, message: J) {
        if self.stream() {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{}", message.to_line());
            let _ = stdout.flush();
        } else {
            self.messages.push(message);
        }
    }

    fn append_transcript(&mut self, kind: &str, message: Value) {
        let Some(path) = &self.transcript else { return };
        let uuid = random_uuid();
        let line = json!({
            "parentUuid": self.parent_uuid,
            "isSidechain": false,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": VERSION,
            "type": kind,
            "message": message,
            "uuid": uuid,
            "timestamp": rfc3339(SystemTime::now()),
        });
        self.parent_uuid = Some(uuid);
        if let Ok(mut file) = OpenOptions::new().append(true).create(true).open(path) {
            let _ = writeln!(file, "{line}");
        }
    }

    fn main(&mut self) -> i32 {
        let args = self.argv.get(1..).unwrap_or_default().to_vec();
        self.flags = match parse_args(&args) {
            Ok(flags) => flags,
            Err(message) => return Run::fail(&message),
        };
        let flags = &self.flags;
        if flags.version {
            println!("{VERSION} (Claude Code)");
            return 0;
        }
        if flags.help {
            println!(
                "Usage: claude [options] [command] [prompt]\n\n(fake-claude: see testing/fake-claude.rs)"
            );
            return 0;
        }
        if !flags.print {
            return Run::fail("fake-claude: only print mode (-p) is supported");
        }
        if flags.positionals.len() > 1 {
            return Run::fail(&format!(
                "error: too many arguments. Expected 1 argument but got {}.",
                flags.positionals.len()
            ));
        }
        if flags.session_id.as_deref().is_some_and(|id| !is_uuid(id)) {
            return Run::fail("Error: Invalid session ID. Must be a valid UUID.");
        }
        if flags.session_id.is_some()
            && (flags.resume.is_some() || flags.continue_)
            && !flags.fork_session
        {
            return Run::fail(
                "Error: --session-id can only be used with --continue or --resume if --fork-session is also specified.",
            );
        }
        if self.stream() && !flags.verbose {
            return Run::fail(
                "Error: When using --print, --output-format=stream-json requires --verbose",
            );
        }
        let bypass =
            flags.skip_permissions || flags.permission_mode.as_deref() == Some("bypassPermissions");
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if bypass && root && std::env::var("IS_SANDBOX").as_deref() != Ok("1") {
            return Run::fail(
                "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons",
            );
        }
        if let Some(resume) = &flags.resume
            && !resume.as_deref().is_some_and(is_uuid)
        {
            return Run::fail(&format!(
                "Error: --resume requires a valid session ID or session title when used with --print. Usage: claude -p --resume <session-id|title>. Provided value \"{}\" is not a UUID and does not match any session title.",
                resume.as_deref().unwrap_or_default()
            ));
        }
        let piped = read_stdin(self.stdin);
        let prompt = match (flags.positionals.first(), piped.trim().is_empty()) {
            (Some(prompt), true) => prompt.clone(),
            (Some(prompt), false) => format!("{prompt}\n{}", piped.trim_end()),
            (None, false) => piped.trim_end().to_string(),
            (None, true) => {
                return Run::fail(
                    "Error: Input must be provided either through stdin or as a prompt argument when using --print",
                );
            }
        };
        self.prompt = Some(prompt.clone());
        if let Some(model) = &flags.model {
            self.model.clone_from(model);
        }

        // Sessions.
        let resume = flags.resume.clone().flatten();
        let history = match &resume {
            Some(id) => match find_transcript(&self.cwd, id) {
                Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
                None => {
                    if self.stream() {
                        self.session_id = Some(id.clone());
                        println!("{}", self.not_found_result(id).to_line());
                    }
                    return Run::fail(&format!("No conversation found with session ID: {id}"));
                }
            },
            None => String::new(),
        };
        let (session_id, transcript) = match (&resume, self.flags.fork_session) {
            (Some(id), false) => {
                let path = find_transcript(&self.cwd, id)
                    .unwrap_or_else(|| transcript_path(&self.cwd, id));
                (id.clone(), path)
            }
            _ => {
                let id = self.flags.session_id.clone().unwrap_or_else(random_uuid);
                let path = transcript_path(&self.cwd, &id);
                if path.exists() {
                    return Run::fail(&format!("Error: Session ID {id} is already in use."));
                }
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                if let Err(error) = std::fs::write(&path, &history) {
                    return Run::fail(&format!(
                        "fake-claude: cannot write `{}`: {error}",
                        path.display()
                    ));
                }
                (id, path)
            }
        };
        self.session_id = Some(session_id);
        self.transcript = Some(transcript);
        self.parent_uuid = history
            .lines()
            .last()
            .and_then(|line| serde_json::from_str::<Value>(line).ok())
            .and_then(|line| line["uuid"].as_str().map(str::to_string));
        let turn = count_prompts(&history) + 1;

        let step = match take_step(&prompt) {
            Ok(step) => step,
            Err(message) => {
                eprintln!("fake-claude: {message}");
                return SETUP_ERROR;
            }
        };
        self.step_index = step.index;
        self.write_log(None, None);
        self.turn(&step, &prompt, turn)
    }

    fn turn(&mut self, step: &Step, prompt: &str, turn: usize) -> i32 {
        if step.ignore_sigterm {
            // SAFETY: installing SIG_IGN is always sound.
            unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
        }
        if let Some(secs) = step.grandchild_secs
            && let Ok(exe) = std::env::current_exe()
        {
            // Inherits stdout/stderr and the process group, and outlives us.
            let child = std::process::Command::new(exe)
                .env("FAKE_CLAUDE_GRANDCHILD_SECS", secs.to_string())
                .stdin(std::process::Stdio::null())
                .spawn();
            if let Ok(child) = child {
                self.grandchild_pid = Some(child.id());
            }
        }
        self.append_transcript("user", json!({"role": "user", "content": prompt}));
        let init = self.init_message();
        self.emit(init);

        let mut denials: Vec<J> = step
            .permission_denials
            .iter()
            .map(|denial| {
                o(vec![
                    ("tool_name", v(denial["tool_name"].clone())),
                    ("tool_use_id", v(format!("toolu_fake_{}", short_id()))),
                    ("tool_input", v(denial["tool_input"].clone())),
                ])
            })
            .collect();
        if let Some((file_path, content)) = &step.write
            && let Some(denial) = self.write_tool(file_path, content)
        {
            denials.push(denial);
        }

        self.wait(step);
        if let Some(signal) = step.signal {
            let _ = std::io::stdout().flush();
            self.write_log(None, Some(signal));
            // SAFETY: restoring the default action and raising is sound.
            unsafe {
                libc::signal(signal, libc::SIG_DFL);
                libc::raise(signal);
            }
            // Not reached for fatal signals.
            return 1;
        }
        self.answer(step, prompt, turn, denials)
    }

    /// Runs the `Write` tool as the real CLI would under the permissions,
    /// returning a denial when it is not allowed.
    fn write_tool(&mut self, file_path: &str, content: &str) -> Option<J> {
        let path = lexical_normal(&self.cwd.join(file_path));
        let tool_use_id = format!("toolu_fake_{}", short_id());
        let input = || {
            o(vec![
                ("file_path", v(path.to_string_lossy().into_owned())),
                ("content", v(content)),
            ])
        };
        let named = |tools: &[String]| {
            tools.iter().any(|entry| {
                entry
                    .split([',', ' '])
                    .any(|tool| tool == "Write" || tool.starts_with("Write("))
            })
        };
        let mode = self.flags.permission_mode.as_deref().unwrap_or("default");
        let inside = std::iter::once(self.cwd.clone())
            .chain(
                self.flags
                    .add_dirs
                    .iter()
                    .map(|dir| lexical_normal(&self.cwd.join(dir))),
            )
            .any(|dir| path.starts_with(dir));
        let allowed = !named(&self.flags.disallowed_tools)
            && (named(&self.flags.allowed_tools)
                || mode == "bypassPermissions"
                || (mode == "acceptEdits" && inside));
        let tool_use = self.assistant(vec![o(vec![
            ("type", v("tool_use")),
            ("id", v(tool_use_id.clone())),
            ("name", v("Write")),
            ("input", input()),
        ])]);
        self.emit(tool_use);
        let shown = path.display().to_string();
        let (text, is_error) = if allowed {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            match std::fs::write(&path, content) {
                Ok(()) => (
                    format!(
                        "File created successfully at: {shown} (file state is current in your context — no need to Read it back)"
                    ),
                    false,
                ),
                Err(error) => (format!("Error writing file: {error}"), true),
            }
        } else {
            (
                format!(
                    "Claude requested permissions to write to {shown}, but you haven't granted it yet."
                ),
                true,
            )
        };
        let mut result = vec![
            ("tool_use_id", v(tool_use_id.clone())),
            ("type", v("tool_result")),
            ("content", v(text.clone())),
        ];
        if is_error {
            result.push(("is_error", v(true)));
        }
        let result = J::A(vec![o(result)]);
        let mut transcript_result = String::new();
        result.render(&mut transcript_result);
        self.append_transcript(
            "user",
            json!({"role": "user", "content": serde_json::from_str::<Value>(&transcript_result).unwrap_or_default()}),
        );
        let session = self.session_value();
        let user = o(vec![
            ("type", v("user")),
            ("message", o(vec![("role", v("user")), ("content", result)])),
            ("parent_tool_use_id", v(Value::Null)),
            ("session_id", session),
            ("uuid", v(random_uuid())),
            ("timestamp", v(rfc3339(SystemTime::now()))),
        ]);
        self.emit(user);
        (!allowed).then(|| {
            o(vec![
                ("tool_name", v("Write")),
                ("tool_use_id", v(tool_use_id)),
                ("tool_input", input()),
            ])
        })
    }

    /// Sleeps for the step, printing heartbeats if asked.
    fn wait(&mut self, step: &Step) {
        let end = Instant::now() + Duration::from_secs_f64(step.sleep_secs.max(0.0));
        let mut beat = 0;
        loop {
            let now = Instant::now();
            if now >= end {
                return;
            }
            let left = end - now;
            match step.heartbeat_secs {
                Some(every) => {
                    std::thread::sleep(left.min(Duration::from_secs_f64(every)));
                    if Instant::now() < end {
                        beat += 1;
                        let text = format!("fake-claude: still working ({beat})");
                        let message =
                            self.assistant(vec![o(vec![("type", v("text")), ("text", v(text))])]);
                        self.emit(message);
                    }
                }
                None => std::thread::sleep(left),
            }
        }
    }

    fn session_value(&self) -> J {
        v(self.session_id.clone())
    }

    fn message_model(&self) -> String {
        self.model.trim_end_matches("[1m]").to_string()
    }

    fn assistant(&self, content: Vec<J>) -> J {
        o(vec![
            ("type", v("assistant")),
            (
                "message",
                o(vec![
                    ("id", v(format!("msg_fake_{}", short_id()))),
                    ("type", v("message")),
                    ("role", v("assistant")),
                    ("model", v(self.message_model())),
                    ("content", J::A(content)),
                    ("stop_reason", v(Value::Null)),
                    ("stop_sequence", v(Value::Null)),
                    (
                        "usage",
                        o(vec![
                            ("input_tokens", v(1667)),
                            ("output_tokens", v(1)),
                            ("cache_creation_input_tokens", v(0)),
                            ("cache_read_input_tokens", v(0)),
                        ]),
                    ),
                    ("context_management", v(Value::Null)),
                ]),
            ),
            ("parent_tool_use_id", v(Value::Null)),
            ("session_id", self.session_value()),
            ("uuid", v(random_uuid())),
            ("request_id", v(format!("req_fake_{}", short_id()))),
        ])
    }

    fn init_message(&self) -> J {
        let tools = [
            "Task",
            "Bash",
            "Edit",
            "Read",
            "WebFetch",
            "WebSearch",
            "Write",
        ];
        let memory = format!(
            "{}/{}/memory/",
            projects_dir().display(),
            escape_cwd(&self.cwd)
        );
        let key_source = if std::env::var_os("ANTHROPIC_API_KEY").is_some() {
            "ANTHROPIC_API_KEY"
        } else {
            "none"
        };
        o(vec![
            ("type", v("system")),
            ("subtype", v("init")),
            ("cwd", v(self.cwd.to_string_lossy().into_owned())),
            ("session_id", self.session_value()),
            ("tools", v(json!(tools))),
            ("mcp_servers", v(json!([]))),
            ("model", v(self.model.clone())),
            (
                "permissionMode",
                v(self.flags.permission_mode.as_deref().unwrap_or("default")),
            ),
            ("slash_commands", v(json!(["clear", "compact", "config"]))),
            ("apiKeySource", v(key_source)),
            ("claude_code_version", v(VERSION)),
            ("output_style", v("default")),
            ("agents", v(json!(["claude", "general-purpose"]))),
            ("skills", v(json!([]))),
            ("plugins", v(json!([]))),
            ("analytics_disabled", v(true)),
            ("product_feedback_disabled", v(true)),
            ("uuid", v(random_uuid())),
            ("memory_paths", o(vec![("auto", v(memory))])),
            ("fast_mode_state", v("off")),
        ])
    }

    fn usage(input: u64, output: u64) -> J {
        o(vec![
            ("input_tokens", v(input)),
            ("cache_creation_input_tokens", v(0)),
            ("cache_read_input_tokens", v(0)),
            ("output_tokens", v(output)),
            (
                "server_tool_use",
                o(vec![
                    ("web_search_requests", v(0)),
                    ("web_fetch_requests", v(0)),
                ]),
            ),
            ("service_tier", v("standard")),
            (
                "cache_creation",
                o(vec![
                    ("ephemeral_1h_input_tokens", v(0)),
                    ("ephemeral_5m_input_tokens", v(0)),
                ]),
            ),
            ("inference_geo", v("")),
            ("iterations", v(json!([]))),
            ("speed", v("standard")),
        ])
    }

    fn model_usage(&self, input: u64, output: u64, cost: f64) -> J {
        let window = if self.model.ends_with("[1m]") {
            1_000_000
        } else {
            200_000
        };
        J::O(vec![(
            self.model.clone(),
            o(vec![
                ("inputTokens", v(input)),
                ("outputTokens", v(output)),
                ("cacheReadInputTokens", v(0)),
                ("cacheCreationInputTokens", v(0)),
                ("webSearchRequests", v(0)),
                ("costUSD", v(cost)),
                ("contextWindow", v(window)),
                ("maxOutputTokens", v(64_000)),
            ]),
        )])
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The `error_during_execution` line of a stream-json resume of an
    /// unknown session.
    fn not_found_result(&self, id: &str) -> J {
        o(vec![
            ("type", v("result")),
            ("subtype", v("error_during_execution")),
            ("duration_ms", v(0)),
            ("duration_api_ms", v(0)),
            ("is_error", v(true)),
            ("num_turns", v(0)),
            ("stop_reason", v(Value::Null)),
            ("session_id", v(id)),
            ("total_cost_usd", v(0)),
            ("usage", Run::usage(0, 0)),
            ("modelUsage", J::O(vec![])),
            ("permission_denials", J::A(vec![])),
            ("uuid", v(random_uuid())),
            (
                "errors",
                v(json!([format!(
                    "No conversation found with session ID: {id}"
                )])),
            ),
        ])
    }

    fn api_error_text(&self, step: &Step) -> (Value, String) {
        let gateway = std::env::var("ANTHROPIC_BASE_URL")
            .ok()
            .map(|url| {
                let rest = url.split("://").nth(1).unwrap_or(&url);
                rest.split('/').next().unwrap_or(rest).to_string()
            })
            .unwrap_or_else(|| "api.anthropic.com".to_string());
        match step.kind.as_str() {
            "timeout" => (
                Value::Null,
                step.message
                    .clone()
                    .unwrap_or_else(|| "Request timed out".to_string()),
            ),
            "connection_refused" => (
                Value::Null,
                step.message.clone().unwrap_or_else(|| {
                    "API Error: Unable to connect to API (ConnectionRefused)".to_string()
                }),
            ),
            _ => {
                let status = step.status;
                let detail = format!("fake {status}");
                let text = step.message.clone().unwrap_or_else(|| match status {
                    429 => format!("API Error: Request rejected (429) · {detail}"),
                    401 => format!("Failed to authenticate. API Error: 401 {detail}"),
                    500..=599 => format!(
                        "API Error: {status} {detail}. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway ({gateway})."
                    ),
                    _ => format!("API Error: {status} {detail}"),
                });
                (Value::from(status), text)
            }
        }
    }

    /// Prints the final messages and result; returns the exit code.
    fn answer(&mut self, step: &Step, prompt: &str, turn: usize, denials: Vec<J>) -> i32 {
        // Defaults from the samples: a_print_json_hello, i_accept (a tool
        // round trip), maxturns and budget.
        let (turns, cost, input, output) = match (step.kind.as_str(), step.write.is_some()) {
            ("max_turns", _) => (3, 0.018_885, 3437, 68),
            ("max_budget", _) => (2, 0.019_105, 1677, 34),
            (_, true) => (2, 0.018_875, 3460, 63),
            _ => (1, 0.008_76, 1667, 17),
        };
        let mut num_turns = step.num_turns.unwrap_or(turns);
        let cost = step.cost_usd.unwrap_or(cost);
        let input = step.input_tokens.unwrap_or(input);
        let output = step.output_tokens.unwrap_or(output);
        let mut kind = step.kind.clone();
        let max_turns: Option<u64> = self.flags.max_turns.as_deref().and_then(|n| n.parse().ok());
        let budget: Option<f64> = self
            .flags
            .max_budget_usd
            .as_deref()
            .and_then(|n| n.parse().ok());
        if kind == "success" {
            if let Some(max) = max_turns.filter(|max| num_turns > *max) {
                kind = "max_turns".to_string();
                num_turns = max + 1;
            } else if budget.is_some_and(|budget| cost > budget) {
                kind = "max_budget".to_string();
            }
        }
        let session = Run::session_value;
        let (result, exit) = match kind.as_str() {
            "success" => {
                let text = step.reply.clone().unwrap_or_else(|| {
                    format!(
                        "FAKE-REPLY turn={turn} msgs={} last_user={prompt}",
                        2 * turn
                    )
                });
                let message = self.assistant(vec![o(vec![
                    ("type", v("text")),
                    ("text", v(text.clone())),
                ])]);
                self.emit(message);
                self.append_transcript(
                    "assistant",
                    json!({"role": "assistant", "model": self.message_model(), "content": [{"type": "text", "text": text}]}),
                );
                let result = o(vec![
                    ("type", v("result")),
                    ("subtype", v("success")),
                    ("is_error", v(false)),
                    ("api_error_status", v(Value::Null)),
                    ("duration_ms", v(self.elapsed_ms())),
                    ("duration_api_ms", v(73)),
                    ("ttft_ms", v(333)),
                    ("ttft_stream_ms", v(331)),
                    ("time_to_request_ms", v(283)),
                    ("num_turns", v(num_turns)),
                    ("result", v(text)),
                    ("stop_reason", v("end_turn")),
                    ("session_id", session(self)),
                    ("total_cost_usd", v(cost)),
                    ("usage", Run::usage(input, output)),
                    ("modelUsage", self.model_usage(input, output, cost)),
                    ("permission_denials", J::A(denials)),
                    ("terminal_reason", v("completed")),
                    ("fast_mode_state", v("off")),
                    ("uuid", v(random_uuid())),
                ]);
                (result, 0)
            }
            "max_turns" | "max_budget" => {
                let (subtype, text) = if kind == "max_turns" {
                    let max = max_turns.unwrap_or(2);
                    (
                        "error_max_turns",
                        format!("Reached maximum number of turns ({max})"),
                    )
                } else {
                    let budget = budget.unwrap_or(0.01);
                    (
                        "error_max_budget_usd",
                        format!("Reached maximum budget (${budget})"),
                    )
                };
                let text = step.message.clone().unwrap_or(text);
                let mut fields = vec![
                    ("type", v("result")),
                    ("subtype", v(subtype)),
                    ("duration_ms", v(self.elapsed_ms())),
                    ("duration_api_ms", v(66)),
                    ("is_error", v(true)),
                    ("num_turns", v(num_turns)),
                    ("stop_reason", v("tool_use")),
                    ("session_id", session(self)),
                    ("total_cost_usd", v(cost)),
                    ("usage", Run::usage(input, output)),
                    ("modelUsage", self.model_usage(input, output, cost)),
                    ("permission_denials", J::A(denials)),
                ];
                // As observed: max_turns has `terminal_reason`, budget has not.
                if kind == "max_turns" {
                    fields.push(("terminal_reason", v("max_turns")));
                }
                fields.push(("fast_mode_state", v("off")));
                fields.push(("uuid", v(random_uuid())));
                fields.push(("errors", v(json!([text]))));
                (o(fields), 1)
            }
            _ => {
                let (status, text) = self.api_error_text(step);
                for attempt in 1..=step.retries {
                    let retry = o(vec![
                        ("type", v("system")),
                        ("subtype", v("api_retry")),
                        ("attempt", v(attempt)),
                        ("max_retries", v(step.retries)),
                        ("retry_delay_ms", v(500.0 * 2f64.powf((attempt - 1) as f64))),
                        ("error_status", v(status.clone())),
                        ("error", v("server_error")),
                        ("session_id", session(self)),
                        ("uuid", v(random_uuid())),
                    ]);
                    self.emit(retry);
                }
                let synthetic = o(vec![
                    ("type", v("assistant")),
                    (
                        "message",
                        o(vec![
                            ("id", v(random_uuid())),
                            ("container", v(Value::Null)),
                            ("model", v("<synthetic>")),
                            ("role", v("assistant")),
                            ("stop_details", v(Value::Null)),
                            ("stop_reason", v("stop_sequence")),
                            ("stop_sequence", v("")),
                            ("type", v("message")),
                            (
                                "usage",
                                v(
                                    json!({"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}),
                                ),
                            ),
                            ("content", v(json!([{"type": "text", "text": text}]))),
                            ("context_management", v(Value::Null)),
                        ]),
                    ),
                    ("parent_tool_use_id", v(Value::Null)),
                    ("session_id", session(self)),
                    ("uuid", v(random_uuid())),
                    ("error", v("server_error")),
                    ("request_id", v(format!("req_fake_{}", short_id()))),
                ]);
                self.emit(synthetic);
                self.append_transcript(
                    "assistant",
                    json!({"role": "assistant", "model": "<synthetic>", "content": [{"type": "text", "text": text}]}),
                );
                let result = o(vec![
                    ("type", v("result")),
                    ("subtype", v("success")),
                    ("is_error", v(true)),
                    ("api_error_status", v(status)),
                    ("duration_ms", v(self.elapsed_ms())),
                    ("duration_api_ms", v(0)),
                    ("num_turns", v(1)),
                    ("result", v(text)),
                    ("stop_reason", v("stop_sequence")),
                    ("session_id", session(self)),
                    ("total_cost_usd", v(0)),
                    ("usage", Run::usage(0, 0)),
                    ("modelUsage", J::O(vec![])),
                    ("permission_denials", J::A(denials)),
                    ("terminal_reason", v("completed")),
                    ("fast_mode_state", v("off")),
                    ("uuid", v(random_uuid())),
                ]);
                (result, 1)
            }
        };
        let text_result = {
            let line = result.to_line();
            let value: Value = serde_json::from_str(&line).unwrap_or_default();
            value["result"]
                .as_str()
                .map(str::to_string)
                .or_else(|| value["errors"][0].as_str().map(str::to_string))
                .unwrap_or_default()
        };
        let output = match self.output_format() {
            "stream-json" => result.to_line() + "\n",
            "json" if self.flags.verbose => {
                self.messages.push(result);
                let all = J::A(std::mem::take(&mut self.messages));
                all.to_line() + "\n"
            }
            "json" => result.to_line() + "\n",
            _ => text_result + "\n",
        };
        let mut output = step.stdout.clone().unwrap_or(output);
        if let Some(limit) = step.truncate_bytes {
            let mut cut = limit.min(output.len());
            while !output.is_char_boundary(cut) {
                cut -= 1;
            }
            output.truncate(cut);
        }
        {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(output.as_bytes());
            let _ = stdout.flush();
        }
        if let Some(text) = &step.stderr {
            eprint!("{text}");
        }
        step.exit_code.unwrap_or(exit)
    }
}
