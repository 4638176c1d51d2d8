//! `fake-gemini`: a test double of the Gemini CLI 0.61.0 in headless mode.
//!
//! Built only with the `test-fakes` feature (tests find it at
//! `env!("CARGO_BIN_EXE_fake-gemini")` and install it as `gemini` on PATH).
//! It never touches the network. Its outputs copy the verbatim samples in
//! `tests/fixtures/agent-cli-samples/` (see the README there), and
//! `tests/cli/real_gemini.rs` compares its event shapes with the real CLI's.
//!
//! # Command line
//!
//! Parsed like yargs: `-p/--prompt`, `-o/--output-format text|json|stream-json`,
//! `-m/--model`, `--approval-mode default|auto_edit|yolo|plan`, `-y/--yolo`,
//! `-r/--resume ID|latest|N`, `--session-id ID`, `--skip-trust`,
//! `--include-directories` (repeatable, comma-separated), `-v/--version`
//! (`0.61.0`), a positional query; `--opt=value` forms; other real options
//! are accepted and ignored. Argument errors print the real message on
//! stderr and exit 1: `Unknown argument: X`, `Invalid values:` (a bad
//! choice), `Cannot use both --yolo (-y) and --approval-mode together. …`,
//! `The flags --resume, --session-id, and --session-file are mutually
//! exclusive. …`.
//!
//! Then, in the real CLI's order: the auth check (no
//! `security.auth.selectedType` of `gemini-api-key` in
//! `$GEMINI_CLI_HOME/.gemini/settings.json`, else `$HOME/.gemini/settings.json`,
//! or no `GEMINI_API_KEY`: `Invalid auth method selected.`, exit 41); the
//! trust check (none of `--skip-trust`, `GEMINI_CLI_TRUST_WORKSPACE=true`,
//! a `TRUST_FOLDER`/`TRUST_PARENT` entry in `.gemini/trustedFolders.json`,
//! `security.folderTrust.enabled: false`: the red "not running in a
//! trusted directory" message, exit 55); session errors (exit 42); then the
//! two start-up warnings on stderr (256 colours, ripgrep) and stdin: piped
//! data (a file, or a pipe with data within 100 ms) goes before the prompt
//! (`DATA\n\nPROMPT`); no prompt at all: `No input provided via stdin. …`,
//! exit 42. SIGTERM ends the fake at once with exit 0 and no `result`, as
//! the real CLI does (unless the step ignores SIGTERM).
//!
//! # Sessions
//!
//! Per cwd: `$HOME/.gemini/projects.json` maps the cwd to a short name (its
//! basename, `-N` added on a clash); the session file is
//! `$HOME/.gemini/tmp/<short>/chats/session-YYYY-MM-DDTHH-MM-<id[..8]>.jsonl`,
//! first line `{sessionId, projectHash (sha256 of the cwd), startTime,
//! lastUpdated, kind:"main"}`, then one line per message; the prompt is
//! written before answering (a killed turn can be resumed). `--session-id`
//! presets a new id (not checked to be a UUID; an existing one: `Error
//! starting session: Session ID "<id>" already exists. …`, exit 42).
//! `--resume` keeps the id; from a cwd with no sessions: `Error resuming
//! session: No previous sessions found for this project.`; an unknown id:
//! `Error resuming session: Invalid session identifier "<id>".` and two
//! more lines; both exit 42. Usage is per call (never cumulative). The
//! default reply is `FAKE-REPLY turn=N last_user=<prompt>`.
//!
//! # Output
//!
//! `stream-json`: `init`, `message` (user), `tool_use`/`tool_result`,
//! `message` (assistant, `delta:true`), `result{status,stats}` or
//! `result{status:"error",error:{type,message},stats}`. `json`: one
//! pretty-printed object without a final newline; an error goes to
//! **stderr** as `{session_id,error:{type,message,code}}` with empty stdout.
//! `text`: the answer. API errors exit with the HTTP status mod 256 (404:
//! 1; `text` format: 1); `settings.model.maxSessionTurns` below the turn's
//! model requests gives `FatalTurnLimitedError`, exit 53.
//!
//! # Script (`FAKE_GEMINI_SCRIPT`)
//!
//! Same step semantics as `fake-claude` (`match`, `repeat`, used up under a
//! lock in `<script>.state`, unknown keys exit 97). Keys:
//!
//! | key | meaning |
//! |---|---|
//! | `match`, `repeat` | as in fake-claude |
//! | `kind` | `success` (default), `api_error`, `connection_refused` (also what a closed connection gives) |
//! | `reply` | string: the answer |
//! | `status` | int: HTTP status of an `api_error` (default 500) |
//! | `message` | string: replaces the error text |
//! | `retries` | int: `Attempt N failed …` lines on stderr before an error |
//! | `input_tokens`, `output_tokens`, `cached` | int: this call's `stats` (default 5 and 2 per model request) |
//! | `model_version` | string: the `stats.models` key (default: the model) |
//! | `tools` | array of `{"name", "args", "output", "error"}`: tool calls, one model request each; `write_file`/`replace` need `auto_edit` or `yolo` and a path inside the cwd or an `--include-directories` (else `tool_not_registered` / `invalid_tool_params`), `run_shell_command` needs `yolo`; `error` makes a call fail with that message; nothing is run but `write_file`, which writes |
//! | `write` | `{"file_path", "content"}`: shorthand for a `write_file` tool call |
//! | `sleep_secs`, `sleep_ms`, `heartbeat_secs` (prints nothing; the real CLI is silent while waiting) | wait before answering |
//! | `ignore_sigterm`, `signal`, `grandchild_secs`, `stdout`, `truncate_bytes`, `stderr`, `exit_code` (or `exit`) | as in fake-claude |
//!
//! # Invocation log (`FAKE_GEMINI_LOG`)
//!
//! A directory; each invocation writes `call-NNNN.json`: `seq`, `argv`,
//! `cwd`, `pid`, `pgid`, `stdin`, `env` (`GEMINI_API_KEY` set or not as a
//! bool, `GOOGLE_GEMINI_BASE_URL`, `GEMINI_CLI_HOME`,
//! `GEMINI_CLI_TRUST_WORKSPACE`, `HOME`, `TMPDIR`), `started_at`, `ended_at`,
//! `exit_code`, `signal`, `step`, `session_id`, `grandchild_pid`, `flags`
//! (`prompt`, `output_format`, `model`, `approval_mode`, `resume`,
//! `session_id`, `skip_trust`, `include_directories`).

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

const VERSION: &str = "0.61.0";
const KEYS: &[&str] = &[
    "input_tokens",
    "output_tokens",
    "cached",
    "model_version",
    "tools",
    "write",
];
const KINDS: &[&str] = &["success", "api_error", "connection_refused"];
const USAGE: &str = "Usage: gemini [options] [command]\n\nGemini CLI - Defaults to interactive mode. Use -p/--prompt for non-interactive (headless) mode.\n\n(fake-gemini: see testing/fake-gemini.rs)";
const WARNINGS: &str = "Warning: 256-color support not detected. Using a terminal with at least 256-color support is recommended for a better visual experience.\nRipgrep is not available. Falling back to GrepTool.";

extern "C" fn on_sigterm(_: libc::c_int) {
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(0) };
}

fn main() {
    fake_common::grandchild_main();
    // The real CLI ends with exit 0 and no result on SIGTERM.
    // SAFETY: installing a handler that only calls _exit is sound.
    unsafe {
        libc::signal(
            libc::SIGTERM,
            on_sigterm as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
    let mut run = Run::start();
    let code = run.main();
    run.finish(code);
}

// ---------------------------------------------------------------------------
// Command line.

#[derive(Default)]
struct Flags {
    version: bool,
    help: bool,
    prompt: Option<String>,
    output_format: Option<String>,
    model: Option<String>,
    approval_mode: Option<String>,
    yolo: bool,
    resume: Option<String>,
    session_id: Option<String>,
    session_file: Option<String>,
    skip_trust: bool,
    include_directories: Vec<String>,
    query: Vec<String>,
}

const IGNORED_VALUE: &[&str] = &[
    "-i",
    "--prompt-interactive",
    "-w",
    "--worktree",
    "--delete-session",
];
const IGNORED_ARRAY: &[&str] = &[
    "--policy",
    "--admin-policy",
    "--allowed-mcp-server-names",
    "--allowed-tools",
    "-e",
    "--extensions",
];
const IGNORED_FLAGS: &[&str] = &[
    "-d",
    "--debug",
    "-s",
    "--sandbox",
    "--acp",
    "--experimental-acp",
    "-l",
    "--list-extensions",
    "--list-sessions",
    "--screen-reader",
    "--raw-output",
    "--accept-raw-output-risk",
];

fn invalid(argument: &str, given: &str, choices: &[&str]) -> String {
    let choices: Vec<String> = choices
        .iter()
        .map(|choice| format!("\"{choice}\""))
        .collect();
    format!(
        "Invalid values:\n  Argument: {argument}, Given: \"{given}\", Choices: {}\n{USAGE}",
        choices.join(", ")
    )
}

fn parse_args(args: &[String]) -> Result<Flags, String> {
    let mut flags = Flags::default();
    let mut index = 0;
    let mut after_dashes = false;
    while index < args.len() {
        let arg = &args[index];
        index += 1;
        if after_dashes || !arg.starts_with('-') || arg == "-" {
            flags.query.push(arg.clone());
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
        let mut take = || -> String {
            if let Some(value) = inline.clone() {
                return value;
            }
            match args.get(index) {
                Some(next) if !next.starts_with('-') || next == "-" || next.is_empty() => {
                    index += 1;
                    next.clone()
                }
                _ => String::new(),
            }
        };
        match name {
            "-v" | "--version" => flags.version = true,
            "-h" | "--help" => flags.help = true,
            "-y" | "--yolo" => flags.yolo = true,
            "--skip-trust" => flags.skip_trust = true,
            "-p" | "--prompt" => flags.prompt = Some(take()),
            "-m" | "--model" => flags.model = Some(take()),
            "-r" | "--resume" => flags.resume = Some(take()),
            "--session-id" => flags.session_id = Some(take()),
            "--session-file" => flags.session_file = Some(take()),
            "--include-directories" => flags.include_directories.extend(
                take()
                    .split(',')
                    .filter(|dir| !dir.is_empty())
                    .map(str::to_string),
            ),
            "-o" | "--output-format" => {
                let value = take();
                if !["text", "json", "stream-json"].contains(&value.as_str()) {
                    return Err(invalid(
                        "output-format",
                        &value,
                        &["text", "json", "stream-json"],
                    ));
                }
                flags.output_format = Some(value);
            }
            "--approval-mode" => {
                let value = take();
                let modes = ["default", "auto_edit", "yolo", "plan"];
                if !modes.contains(&value.as_str()) {
                    return Err(invalid("approval-mode", &value, &modes));
                }
                flags.approval_mode = Some(value);
            }
            _ if IGNORED_VALUE.contains(&name) => {
                take();
            }
            _ if IGNORED_ARRAY.contains(&name) => {
                if inline.is_none() {
                    while args.get(index).is_some_and(|next| !next.starts_with('-')) {
                        index += 1;
                    }
                }
            }
            _ if IGNORED_FLAGS.contains(&name) => {}
            _ => {
                let bare = name.trim_start_matches('-');
                return Err(format!("Unknown argument: {bare}\n{USAGE}"));
            }
        }
    }
    if flags.yolo && flags.approval_mode.is_some() {
        return Err(format!(
            "Cannot use both --yolo (-y) and --approval-mode together. Use --approval-mode=yolo instead.\n{USAGE}"
        ));
    }
    let sessions = [
        flags.resume.is_some(),
        flags.session_id.is_some(),
        flags.session_file.is_some(),
    ];
    if sessions.iter().filter(|set| **set).count() > 1 {
        return Err(format!(
            "The flags --resume, --session-id, and --session-file are mutually exclusive. Please provide only one.\n{USAGE}"
        ));
    }
    Ok(flags)
}

// ---------------------------------------------------------------------------
// Paths and settings.

fn gemini_dir() -> PathBuf {
    let base = std::env::var_os("GEMINI_CLI_HOME")
        .filter(|dir| !dir.is_empty())
        .or_else(|| std::env::var_os("HOME"))
        .unwrap_or_default();
    PathBuf::from(base).join(".gemini")
}

fn read_json(path: &Path) -> Value {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null)
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

/// The short project name of `cwd`, registered in `projects.json` if new.
fn project_short(cwd: &Path, register: bool) -> Option<String> {
    let path = gemini_dir().join("projects.json");
    let mut projects = read_json(&path);
    let key = cwd.display().to_string();
    if let Some(short) = projects["projects"][&key].as_str() {
        return Some(short.to_string());
    }
    if !register {
        return None;
    }
    let base = cwd
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".to_string());
    let taken: Vec<String> = projects["projects"]
        .as_object()
        .map(|map| {
            map.values()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut short = base.clone();
    let mut n = 1;
    while taken.contains(&short) {
        short = format!("{base}-{n}");
        n += 1;
    }
    if !projects["projects"].is_object() {
        projects = json!({"projects": {}});
    }
    projects["projects"][&key] = Value::from(short.clone());
    let _ = std::fs::create_dir_all(gemini_dir());
    let _ = std::fs::write(
        &path,
        serde_json::to_string_pretty(&projects).unwrap_or_default(),
    );
    Some(short)
}

/// The session files of a project, oldest first.
fn sessions(chats: &Path) -> Vec<(PathBuf, String)> {
    let mut found: Vec<(PathBuf, String)> = std::fs::read_dir(chats)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| {
                    path.file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(|name| {
                            name.starts_with("session-") && name.ends_with(".jsonl")
                        })
                })
                .filter_map(|path| {
                    let first = std::fs::read_to_string(&path).ok()?;
                    let line: Value = serde_json::from_str(first.lines().next()?).ok()?;
                    let id = line["sessionId"].as_str()?.to_string();
                    Some((path, id))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

// ---------------------------------------------------------------------------
// SHA-256 (for `projectHash`), FIPS 180-4.

fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_be_bytes());
    for chunk in message.chunks(64) {
        let mut w = [0u32; 64];
        for (i, word) in chunk.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (slot, add) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *slot = slot.wrapping_add(add);
        }
    }
    h.iter().map(|word| format!("{word:08x}")).collect()
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
    session_file: Option<PathBuf>,
    grandchild_pid: Option<u32>,
    log: Option<(PathBuf, u64)>,
    settings: Value,
}

impl Run {
    fn start() -> Run {
        let run = Run {
            argv: std::env::args().collect(),
            cwd: std::env::current_dir().unwrap_or_default(),
            started: SystemTime::now(),
            clock: Instant::now(),
            stdin: fake_common::stdin_kind(),
            flags: Flags::default(),
            prompt: None,
            step_index: None,
            session_id: None,
            session_file: None,
            grandchild_pid: None,
            log: fake_common::claim_log("FAKE_GEMINI_LOG"),
            settings: Value::Null,
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
            "env": {
                "GEMINI_API_KEY": std::env::var_os("GEMINI_API_KEY").is_some(),
                "GOOGLE_GEMINI_BASE_URL": env("GOOGLE_GEMINI_BASE_URL"),
                "GEMINI_CLI_HOME": env("GEMINI_CLI_HOME"),
                "GEMINI_CLI_TRUST_WORKSPACE": env("GEMINI_CLI_TRUST_WORKSPACE"),
                "HOME": env("HOME"),
                "TMPDIR": env("TMPDIR"),
            },
            "started_at": fake_common::rfc3339(self.started),
            "ended_at": (exit_code.is_some() || signal.is_some()).then(|| fake_common::rfc3339(SystemTime::now())),
            "exit_code": exit_code,
            "signal": signal,
            "step": self.step_index,
            "session_id": self.session_id,
            "grandchild_pid": self.grandchild_pid,
            "flags": {
                "prompt": self.prompt,
                "output_format": flags.output_format,
                "model": flags.model,
                "approval_mode": self.approval_mode(),
                "resume": flags.resume,
                "session_id": flags.session_id,
                "skip_trust": flags.skip_trust,
                "include_directories": flags.include_directories,
            },
        });
        fake_common::write_log(path, &record);
    }

    fn finish(&self, code: i32) -> ! {
        let _ = std::io::stdout().flush();
        self.write_log(Some(code), None);
        std::process::exit(code);
    }

    fn format(&self) -> &str {
        self.flags.output_format.as_deref().unwrap_or("text")
    }

    fn approval_mode(&self) -> String {
        if self.flags.yolo {
            return "yolo".to_string();
        }
        self.flags
            .approval_mode
            .clone()
            .unwrap_or_else(|| "default".to_string())
    }

    fn model(&self) -> String {
        self.flags
            .model
            .clone()
            .unwrap_or_else(|| "auto".to_string())
    }

    fn emit(&self, event: &J) {
        if self.format() == "stream-json" {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{}", event.to_line());
            let _ = stdout.flush();
        }
    }

    fn append_session(&self, line: &impl std::fmt::Display) {
        let Some(path) = &self.session_file else {
            return;
        };
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
        {
            let _ = writeln!(file, "{line}");
        }
    }

    fn trusted(&self) -> bool {
        if self.flags.skip_trust
            || std::env::var("GEMINI_CLI_TRUST_WORKSPACE").as_deref() == Ok("true")
            || self.settings["security"]["folderTrust"]["enabled"] == false
        {
            return true;
        }
        let folders = read_json(&gemini_dir().join("trustedFolders.json"));
        folders.as_object().is_some_and(|map| {
            map.iter().any(|(dir, level)| {
                let dir = Path::new(dir);
                (level == "TRUST_FOLDER" && self.cwd.starts_with(dir))
                    || (level == "TRUST_PARENT"
                        && dir
                            .parent()
                            .is_some_and(|parent| self.cwd.starts_with(parent)))
            })
        })
    }

    fn main(&mut self) -> i32 {
        let args = self.argv.get(1..).unwrap_or_default().to_vec();
        self.flags = match parse_args(&args) {
            Ok(flags) => flags,
            Err(message) => {
                eprintln!("{message}");
                return 1;
            }
        };
        if self.flags.version {
            println!("{VERSION}");
            return 0;
        }
        if self.flags.help {
            println!("{USAGE}");
            return 0;
        }
        if self.stdin == "tty" && self.flags.prompt.is_none() {
            eprintln!("fake-gemini: interactive mode is not supported");
            return 1;
        }
        self.settings = read_json(&gemini_dir().join("settings.json"));
        if self.settings["security"]["auth"]["selectedType"] != "gemini-api-key"
            || std::env::var_os("GEMINI_API_KEY").is_none()
        {
            eprintln!("Invalid auth method selected.");
            return 41;
        }
        if !self.trusted() {
            eprintln!(
                "\u{1b}[31mGemini CLI is not running in a trusted directory. To proceed, either use `--skip-trust`, set the `GEMINI_CLI_TRUST_WORKSPACE=true` environment variable, or trust this directory in interactive mode. For more details, see https://geminicli.com/docs/cli/trusted-folders/#headless-and-automated-environments\u{1b}[0m"
            );
            return 55;
        }
        // Sessions.
        let short = project_short(&self.cwd, true).unwrap_or_default();
        let chats = gemini_dir().join("tmp").join(&short).join("chats");
        let known = sessions(&chats);
        let mut history: Vec<Value> = Vec::new();
        if let Some(wanted) = self.flags.resume.clone() {
            if known.is_empty() {
                eprintln!("Error resuming session: No previous sessions found for this project.");
                return 42;
            }
            let found = if wanted == "latest" {
                known.iter().max_by_key(|(path, _)| {
                    std::fs::metadata(path)
                        .and_then(|meta| meta.modified())
                        .unwrap_or(SystemTime::UNIX_EPOCH)
                })
            } else if let Ok(number) = wanted.parse::<usize>() {
                number.checked_sub(1).and_then(|index| known.get(index))
            } else {
                known.iter().find(|(_, id)| *id == wanted)
            };
            let Some((path, id)) = found.cloned() else {
                eprintln!(
                    "Error resuming session: Invalid session identifier \"{wanted}\".\n  Searched for sessions in {}.\n  Use --list-sessions to see available sessions, then use --resume {{number}}, --resume {{uuid}}, or --resume latest.",
                    chats.display()
                );
                return 42;
            };
            history = std::fs::read_to_string(&path)
                .unwrap_or_default()
                .lines()
                .filter_map(|line| serde_json::from_str(line).ok())
                .collect();
            self.session_id = Some(id);
            self.session_file = Some(path);
        } else {
            let id = self
                .flags
                .session_id
                .clone()
                .unwrap_or_else(fake_common::uuid_v4);
            if known.iter().any(|(_, known)| *known == id) {
                eprintln!(
                    "Error starting session: Session ID \"{id}\" already exists. Use --resume to resume it, or provide a different ID."
                );
                return 42;
            }
            self.session_id = Some(id);
        }
        eprintln!("{WARNINGS}");
        let piped = fake_common::read_stdin_if_ready(self.stdin, Duration::from_millis(100));
        let given = self
            .flags
            .prompt
            .clone()
            .filter(|prompt| !prompt.is_empty())
            .or_else(|| (!self.flags.query.is_empty()).then(|| self.flags.query.join(" ")));
        let prompt = match (given, piped.trim().is_empty()) {
            (Some(prompt), true) => prompt,
            (Some(prompt), false) => format!("{piped}\n\n{prompt}"),
            (None, false) => piped,
            (None, true) => {
                eprintln!(
                    "No input provided via stdin. Input can be provided by piping data into gemini or using the --prompt option."
                );
                return 42;
            }
        };
        self.prompt = Some(prompt.clone());
        let session_id = self.session_id.clone().unwrap_or_default();
        if self.session_file.is_none() {
            let (year, month, day, hour, minute, _, _) = fake_common::utc_fields(self.started);
            let _ = std::fs::create_dir_all(&chats);
            let prefix: String = session_id.chars().take(8).collect();
            let path = chats.join(format!(
                "session-{year:04}-{month:02}-{day:02}T{hour:02}-{minute:02}-{prefix}.jsonl"
            ));
            self.session_file = Some(path);
            let now = fake_common::rfc3339(self.started);
            let header = o(vec![
                ("sessionId", v(session_id.clone())),
                (
                    "projectHash",
                    v(sha256_hex(self.cwd.display().to_string().as_bytes())),
                ),
                ("startTime", v(now.clone())),
                ("lastUpdated", v(now)),
                ("kind", v("main")),
            ]);
            self.append_session(&header);
        }
        let turn = history.iter().filter(|line| line["type"] == "user").count() + 1;
        self.append_session(&json!({"id": fake_common::uuid_v4(), "timestamp": fake_common::rfc3339(SystemTime::now()), "type": "user", "content": [{"text": prompt}]}));
        let step = match fake_common::take_step("FAKE_GEMINI_SCRIPT", &prompt, KEYS, KINDS) {
            Ok(step) => step,
            Err(message) => {
                eprintln!("fake-gemini: {message}");
                return fake_common::SETUP_ERROR;
            }
        };
        self.step_index = step.index;
        self.write_log(None, None);
        self.turn(&step, &session_id, &prompt, turn)
    }

    fn now() -> J {
        v(fake_common::rfc3339(SystemTime::now()))
    }

    fn turn(&mut self, step: &Step, session_id: &str, prompt: &str, turn: usize) -> i32 {
        self.grandchild_pid = fake_common::process_options(step);
        self.emit(&o(vec![
            ("type", v("init")),
            ("timestamp", Run::now()),
            ("session_id", v(session_id)),
            ("model", v(self.model())),
        ]));
        self.emit(&o(vec![
            ("type", v("message")),
            ("timestamp", Run::now()),
            ("role", v("user")),
            ("content", v(prompt)),
        ]));
        let mut tools = step.list("tools");
        if let Some(write) = step.map.get("write") {
            tools.push(json!({"name": "write_file", "args": write}));
        }
        let max_turns = self.settings["model"]["maxSessionTurns"]
            .as_u64()
            .filter(|max| *max > 0);
        let mut requests = 1u64;
        let mut limited = false;
        for tool in &tools {
            if max_turns.is_some_and(|max| requests > max) {
                limited = true;
                break;
            }
            self.tool(tool);
            requests += 1;
        }
        if max_turns.is_some_and(|max| requests > max) {
            limited = true;
            requests -= 1;
        }
        let end = Instant::now() + step.sleep();
        fake_common::wait_until(end, None, || {});
        if let Some(signal) = step.signal() {
            self.write_log(None, Some(signal));
            fake_common::die_by(signal);
            return 1;
        }
        let model_key = step.text("model_version").unwrap_or_else(|| self.model());
        let field = |key: &str, per: u64| step.int(key).unwrap_or(per * requests);
        let input = field("input_tokens", 5);
        let output = field("output_tokens", 2);
        let cached = step.int("cached").unwrap_or(0);
        let kind = step.kind();
        let tool_calls = tools
            .len()
            .min(usize::try_from(requests).unwrap_or(usize::MAX));
        if kind == "success" && !limited {
            let text = step
                .text("reply")
                .unwrap_or_else(|| format!("FAKE-REPLY turn={turn} last_user={prompt}"));
            self.emit(&o(vec![
                ("type", v("message")),
                ("timestamp", Run::now()),
                ("role", v("assistant")),
                ("content", v(text.clone())),
                ("delta", v(true)),
            ]));
            self.append_session(&json!({"id": fake_common::uuid_v4(), "timestamp": fake_common::rfc3339(SystemTime::now()), "type": "gemini", "content": text, "thoughts": [], "tokens": {"input": input, "output": output, "cached": cached, "thoughts": 0, "tool": 0, "total": input + output}, "model": self.model()}));
            let output_text = match self.format() {
                "stream-json" => {
                    let result = o(vec![
                        ("type", v("result")),
                        ("timestamp", Run::now()),
                        ("status", v("success")),
                        (
                            "stats",
                            self.stats(&model_key, input, output, cached, tool_calls),
                        ),
                    ]);
                    result.to_line() + "\n"
                }
                "json" => self.json_result(
                    session_id, &text, &model_key, input, output, cached, tool_calls,
                ),
                _ => format!("{text}\n"),
            };
            fake_common::print_output(step, output_text);
            return step.exit_code().unwrap_or(0);
        }
        // Failures.
        let status = step.int("status").unwrap_or(500);
        let (error_type, message, code) = if limited {
            (
                "FatalTurnLimitedError".to_string(),
                "Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json.".to_string(),
                53,
            )
        } else {
            let body = format!(
                "{{\"error\":{{\"code\":{status},\"message\":\"fake {status}\",\"status\":\"{}\"}}}}",
                status_name(status)
            );
            let (message, code) = match kind.as_str() {
                "connection_refused" => (
                    "[API Error: exception TypeError: fetch failed sending request]".to_string(),
                    1,
                ),
                _ => match status {
                    429 => (
                        format!(
                            "[API Error: fake {status}]\nPlease wait and try again later. To increase your limits, request a quota increase through AI Studio, or switch to another /auth method"
                        ),
                        429 & 0xff,
                    ),
                    404 => ("[API Error: fake 404]".to_string(), 1),
                    _ => (
                        format!("[API Error: {body}]"),
                        i32::try_from(status & 0xff).unwrap_or(1),
                    ),
                },
            };
            for attempt in 1..=step.int("retries").unwrap_or(0) {
                eprintln!(
                    "Attempt {attempt} failed with status {status}. Retrying with backoff... _ApiError: {body}"
                );
            }
            eprintln!(
                "Error when talking to Gemini API Full report available at: {}/gemini-client-error-Turn.run-sendMessageStream-{}.json",
                std::env::temp_dir().display(),
                fake_common::rfc3339(SystemTime::now()).replace([':', '.'], "-")
            );
            (
                "unknown".to_string(),
                step.text("message").unwrap_or(message),
                code,
            )
        };
        let text = match self.format() {
            "stream-json" => {
                let stats = if limited {
                    self.stats(&model_key, input, output, cached, tool_calls)
                } else {
                    self.stats(&self.model(), 0, 0, 0, tool_calls)
                };
                let result = o(vec![
                    ("type", v("result")),
                    ("timestamp", Run::now()),
                    ("status", v("error")),
                    (
                        "error",
                        o(vec![("type", v(error_type)), ("message", v(message))]),
                    ),
                    ("stats", stats),
                ]);
                result.to_line() + "\n"
            }
            "json" => {
                let error = o(vec![
                    ("session_id", v(session_id)),
                    (
                        "error",
                        o(vec![
                            (
                                "type",
                                v(if limited {
                                    "FatalTurnLimitedError"
                                } else {
                                    "Error"
                                }),
                            ),
                            (
                                "message",
                                v(message
                                    .trim_start_matches("[API Error: ")
                                    .trim_end_matches(']')),
                            ),
                            ("code", v(if limited { 53 } else { status })),
                        ]),
                    ),
                ]);
                eprintln!("{}", error.to_pretty());
                String::new()
            }
            _ => {
                eprintln!("An unexpected critical error occurred:[object Object]");
                fake_common::print_output(step, String::new());
                return step.exit_code().unwrap_or(if limited { 53 } else { 1 });
            }
        };
        fake_common::print_output(step, text);
        step.exit_code().unwrap_or(code)
    }

    /// Runs one scripted tool call under the approval mode.
    fn tool(&mut self, tool: &Value) {
        let name = tool["name"].as_str().unwrap_or("read_file").to_string();
        let args = tool["args"].clone();
        let millis = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let call_id = format!("{name}__{name}_{millis}_0");
        self.emit(&o(vec![
            ("type", v("tool_use")),
            ("timestamp", Run::now()),
            ("tool_name", v(name.clone())),
            ("tool_id", v(call_id.clone())),
            ("parameters", parameters(&name, &args)),
        ]));
        let mode = self.approval_mode();
        let editing = matches!(name.as_str(), "write_file" | "replace");
        let registered = match name.as_str() {
            "write_file" | "replace" => mode == "auto_edit" || mode == "yolo",
            "run_shell_command" => mode == "yolo",
            _ => true,
        };
        let outcome: Result<Option<String>, (String, String)> = if !registered {
            let suggestions = if mode == "auto_edit" {
                "\"update_topic\", \"grep_search\", \"replace\""
            } else {
                "\"read_file\", \"update_topic\", \"grep_search\""
            };
            Err((
                "tool_not_registered".to_string(),
                format!("Tool \"{name}\" not found. Did you mean one of: {suggestions}?"),
            ))
        } else if let Some(message) = tool["error"].as_str() {
            Err(("execution_failed".to_string(), message.to_string()))
        } else if editing {
            let file_path = args["file_path"].as_str().unwrap_or("out.txt");
            let path = lexical_normal(&self.cwd.join(file_path));
            let temp = gemini_dir()
                .join("tmp")
                .join(project_short(&self.cwd, false).unwrap_or_default());
            let roots: Vec<PathBuf> = std::iter::once(self.cwd.clone())
                .chain(
                    self.flags
                        .include_directories
                        .iter()
                        .map(|dir| lexical_normal(&self.cwd.join(dir))),
                )
                .collect();
            if roots.iter().any(|root| path.starts_with(root)) || path.starts_with(&temp) {
                if name == "write_file" {
                    if let Some(dir) = path.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    let _ = std::fs::write(&path, args["content"].as_str().unwrap_or_default());
                }
                Ok(tool["output"].as_str().map(str::to_string))
            } else {
                let shown: Vec<String> = roots
                    .iter()
                    .map(|root| root.display().to_string())
                    .collect();
                Err((
                    "invalid_tool_params".to_string(),
                    format!(
                        "Path not in workspace: Attempted path \"{}\" resolves outside the allowed workspace directories: {} or the project temp directory: {}",
                        path.display(),
                        shown.join(", "),
                        temp.display()
                    ),
                ))
            }
        } else if name == "run_shell_command" {
            Ok(Some(
                tool["output"].as_str().unwrap_or_default().to_string(),
            ))
        } else {
            Ok(tool["output"].as_str().map(str::to_string))
        };
        let mut fields = vec![
            ("type", v("tool_result")),
            ("timestamp", Run::now()),
            ("tool_id", v(call_id)),
        ];
        match outcome {
            Ok(output) => {
                fields.push(("status", v("success")));
                if let Some(output) = output {
                    fields.push(("output", v(output)));
                }
            }
            Err((kind, message)) => {
                eprintln!("Error executing tool {name}: {message}");
                fields.push(("status", v("error")));
                fields.push(("output", v(message.clone())));
                fields.push(("error", o(vec![("type", v(kind)), ("message", v(message))])));
            }
        }
        self.emit(&o(fields));
    }

    fn stats(&self, model: &str, input: u64, output: u64, cached: u64, tool_calls: usize) -> J {
        let tokens = |total| {
            o(vec![
                ("total_tokens", v(total)),
                ("input_tokens", v(input)),
                ("output_tokens", v(output)),
                ("cached", v(cached)),
                ("input", v(input)),
            ])
        };
        o(vec![
            ("total_tokens", v(input + output)),
            ("input_tokens", v(input)),
            ("output_tokens", v(output)),
            ("cached", v(cached)),
            ("input", v(input)),
            (
                "duration_ms",
                v(u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(0)),
            ),
            ("tool_calls", v(tool_calls)),
            (
                "models",
                J::O(vec![(model.to_string(), tokens(input + output))]),
            ),
        ])
    }

    #[expect(clippy::too_many_arguments, reason = "one object's fields")]
    fn json_result(
        &self,
        session_id: &str,
        text: &str,
        model: &str,
        input: u64,
        output: u64,
        cached: u64,
        tool_calls: usize,
    ) -> String {
        let latency = u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(0);
        let tokens = || {
            o(vec![
                ("input", v(input)),
                ("prompt", v(input)),
                ("candidates", v(output)),
                ("total", v(input + output)),
                ("cached", v(cached)),
                ("thoughts", v(0)),
                ("tool", v(0)),
            ])
        };
        let requests = tool_calls + 1;
        let api = o(vec![
            ("totalRequests", v(requests)),
            ("totalErrors", v(0)),
            ("totalLatencyMs", v(latency)),
            ("errorsByType", J::O(vec![])),
        ]);
        let roles = o(vec![(
            "main",
            o(vec![
                ("totalRequests", v(requests)),
                ("totalErrors", v(0)),
                ("totalLatencyMs", v(latency)),
                ("tokens", tokens()),
            ]),
        )]);
        let result = o(vec![
            ("session_id", v(session_id)),
            ("response", v(text)),
            (
                "stats",
                o(vec![
                    (
                        "models",
                        J::O(vec![(
                            model.to_string(),
                            o(vec![("api", api), ("tokens", tokens()), ("roles", roles)]),
                        )]),
                    ),
                    (
                        "tools",
                        o(vec![
                            ("totalCalls", v(tool_calls)),
                            ("totalSuccess", v(0)),
                            ("totalFail", v(0)),
                            ("totalDurationMs", v(0)),
                            (
                                "totalDecisions",
                                o(vec![
                                    ("accept", v(0)),
                                    ("reject", v(0)),
                                    ("modify", v(0)),
                                    ("auto_accept", v(0)),
                                ]),
                            ),
                            ("byName", J::O(vec![])),
                        ]),
                    ),
                    (
                        "files",
                        o(vec![("totalLinesAdded", v(0)), ("totalLinesRemoved", v(0))]),
                    ),
                ]),
            ),
        ]);
        result.to_pretty()
    }
}

/// The tool's parameters as the model sent them: `write_file` in its
/// declared order (`file_path`, `content`), others with sorted keys.
fn parameters(name: &str, args: &Value) -> J {
    match (name, args["file_path"].as_str(), args["content"].as_str()) {
        ("write_file", Some(file_path), Some(content))
            if args.as_object().is_some_and(|map| map.len() == 2) =>
        {
            o(vec![("file_path", v(file_path)), ("content", v(content))])
        }
        _ => v(args.clone()),
    }
}

fn status_name(status: u64) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    }
}
