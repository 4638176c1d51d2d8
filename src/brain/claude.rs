//! The `claude` planner: the Claude Code CLI itself as the brain, for users
//! with Claude Code and no OpenAI key (CLAUDE_CLI.md).
//!
//! One call is `claude -p --output-format json --model M -- PROMPT` with
//! stdin = /dev/null (an open pipe stalls the CLI), in its own process group
//! with a wall-clock timeout. Success is exit 0 AND `is_error == false`
//! (never `subtype`); the plan JSON is inside the `result` string.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde_json::Value;

use crate::exit::{Kind, tagged, tagged_hint};
use crate::time::short_duration;

/// How to run the CLI.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The executable.
    pub program: PathBuf,
    /// `--model`.
    pub model: String,
    /// The working directory (the project root).
    pub cwd: PathBuf,
    /// Wall-clock limit of one call.
    pub timeout: Duration,
    /// Environment to set for the child.
    pub set_env: Vec<(String, String)>,
    /// Environment to remove from the child.
    pub remove_env: Vec<String>,
}

/// What one call printed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RawCall {
    /// The exit code (`None` when killed).
    pub exit_code: Option<i32>,
    /// Stdout.
    pub stdout: String,
    /// Stderr.
    pub stderr: String,
}

/// Variables that leak in when nexus runs inside a Claude session and would
/// change how the child CLI behaves.
pub const LEAKED_VARS: &[&str] = &[
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SSE_PORT",
];

/// Runs one planning call and returns the `result` text. The raw output is
/// appended to `raw` whatever happens.
pub fn ask(settings: &Settings, prompt: &str, raw: &mut Vec<RawCall>) -> Result<String> {
    let call = run(settings, prompt)?;
    raw.push(call.clone());
    interpret(settings, &call)
}

fn run(settings: &Settings, prompt: &str) -> Result<RawCall> {
    let program = settings.program.display().to_string();
    let mut command = Command::new(&settings.program);
    command
        .args([
            "-p",
            "--output-format",
            "json",
            "--model",
            &settings.model,
            "--",
            prompt,
        ])
        .current_dir(&settings.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for name in &settings.remove_env {
        command.env_remove(name);
    }
    for (name, value) in &settings.set_env {
        command.env(name, value);
    }
    let mut child = command.spawn().map_err(|error| {
        tagged_hint(
            Kind::BrainFailed,
            format!("failed to run `{program}`: {error}"),
            crate::agents::binary::INSTALL_HINT,
        )
    })?;
    let (sender, receiver) = mpsc::channel::<(bool, String)>();
    for (is_stdout, stream) in [
        (
            true,
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
        (
            false,
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
    ] {
        if let Some(mut stream) = stream {
            let sender = sender.clone();
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = stream.read_to_end(&mut bytes);
                let _ = sender.send((is_stdout, String::from_utf8_lossy(&bytes).into_owned()));
            });
        }
    }
    drop(sender);
    let started = Instant::now();
    let pid = child.id();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= settings.timeout => {
                terminate_group(pid);
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(error) => {
                return Err(tagged(
                    Kind::BrainFailed,
                    format!("failed to wait for `{program}`: {error}"),
                ));
            }
        }
    };
    // A grandchild may keep the pipes open: wait for them only briefly.
    let mut stdout = String::new();
    let mut stderr = String::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok((true, text)) => stdout = text,
            Ok((false, text)) => stderr = text,
            Err(_) => break,
        }
    }
    let Some(status) = status else {
        return Err(tagged_hint(
            Kind::BrainFailed,
            format!(
                "`{program}` did not finish planning within {}",
                short_duration(settings.timeout)
            ),
            "raise `[brain] timeout` in `.nexus/config.toml`",
        ));
    };
    Ok(RawCall {
        exit_code: status.code(),
        stdout,
        stderr,
    })
}

fn terminate_group(pid: u32) {
    let Ok(pid) = i32::try_from(pid) else { return };
    // SAFETY: kill(2) with a negative pid signals the process group the
    // child leads (spawned with process_group(0)); no memory is involved.
    unsafe {
        libc::kill(-pid, libc::SIGTERM);
    }
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: as above.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

fn interpret(settings: &Settings, call: &RawCall) -> Result<String> {
    let program = settings.program.display().to_string();
    let exit = call
        .exit_code
        .map_or_else(|| "a signal".to_string(), |code| format!("exit {code}"));
    let stderr_gist = crate::ui::shorten(call.stderr.trim(), 300);
    if call.stdout.trim().is_empty() {
        return Err(tagged(
            Kind::BrainFailed,
            format!("`{program}` failed ({exit}) without output: {stderr_gist}"),
        ));
    }
    let document: Value = match serde_json::from_str::<Value>(call.stdout.trim()) {
        // `--verbose` turns the output into an array of messages; the result is last.
        Ok(Value::Array(messages)) => messages
            .into_iter()
            .rev()
            .find(|message| message.get("type").and_then(Value::as_str) == Some("result"))
            .unwrap_or(Value::Null),
        Ok(document) => document,
        Err(error) => {
            return Err(tagged(
                Kind::BrainFailed,
                format!(
                    "`{program}` printed something other than its JSON result ({error}): {}",
                    crate::ui::shorten(&call.stdout, 200)
                ),
            ));
        }
    };
    let is_error = document.get("is_error").and_then(Value::as_bool);
    let result = document.get("result").and_then(Value::as_str);
    if call.exit_code == Some(0) && is_error == Some(false) {
        return match result {
            Some(text) if !text.trim().is_empty() => Ok(text.to_string()),
            _ => Err(tagged(
                Kind::BrainFailed,
                format!("`{program}` succeeded but its `result` is empty"),
            )),
        };
    }
    let detail = result.map(str::to_string).unwrap_or_else(|| {
        let subtype = document
            .get("subtype")
            .and_then(Value::as_str)
            .unwrap_or("error");
        let errors = document
            .get("errors")
            .map(Value::to_string)
            .unwrap_or_default();
        format!("{subtype} {errors}").trim().to_string()
    });
    let api_status = document.get("api_error_status").and_then(Value::as_u64);
    let status_text = api_status
        .map(|status| format!(", API status {status}"))
        .unwrap_or_default();
    let message = format!("the Claude CLI `{program}` failed ({exit}{status_text}): {detail}");
    match api_status {
        Some(401 | 403) => Err(tagged_hint(
            Kind::BrainFailed,
            message,
            "log in with `claude`, or set `ANTHROPIC_API_KEY`; or plan offline with `--planner builtin`",
        )),
        _ => Err(tagged(Kind::BrainFailed, message)),
    }
}
