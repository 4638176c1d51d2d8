//! The `claude` planner: the Claude Code CLI itself as the brain, for users
//! with Claude Code and no OpenAI key (CLAUDE_CLI.md).
//!
//! One call is `claude -p --output-format json --model M -- PROMPT` with
//! stdin = /dev/null (an open pipe stalls the CLI), in its own process group
//! with a wall-clock timeout. Success is exit 0 AND `is_error == false`
//! (never `subtype`); the plan JSON is inside the `result` string.

use std::path::PathBuf;
use std::time::Duration;

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

/// Runs one planning call and returns the `result` text. The raw output is
/// appended to `raw` whatever happens.
pub fn ask(settings: &Settings, prompt: &str, raw: &mut Vec<RawCall>) -> Result<String> {
    let (call, stopped) = run(settings, prompt)?;
    raw.push(call.clone());
    match stopped {
        Some(error) => Err(error),
        None => interpret(settings, &call),
    }
}

/// Runs the CLI once; returns what it printed and, when nexus stopped it
/// (timeout, Ctrl-C), the error to report after keeping the output.
fn run(settings: &Settings, prompt: &str) -> Result<(RawCall, Option<anyhow::Error>)> {
    use crate::proc::supervise::{self, Spec, Stopped};
    let program = settings.program.display().to_string();
    let args = [
        "-p",
        "--output-format",
        "json",
        "--model",
        &settings.model,
        "--",
        prompt,
    ];
    // The same supervision as an agent turn: stdin null, own process group,
    // the wall-clock limit, SIGTERM → grace → SIGKILL, Ctrl-C stops the CLI.
    let spec = Spec {
        program: settings.program.clone(),
        args: args.iter().map(std::ffi::OsString::from).collect(),
        cwd: settings.cwd.clone(),
        env_remove: settings.remove_env.clone(),
        env_set: settings.set_env.iter().cloned().collect(),
        timeout: settings.timeout,
        inactivity: settings.timeout,
        grace: Duration::from_secs(2),
        leak_timeout: Duration::from_secs(2),
        inherit_fd: None,
    };
    let finished = crate::proc::block_on(async {
        let (stop, _sender) = crate::proc::signals::install()?;
        Ok::<_, std::io::Error>(supervise::run(&spec, stop, |_| {}).await)
    })?
    .map_err(|error| {
        tagged(
            Kind::BrainFailed,
            format!("failed to install signal handlers: {error}"),
        )
    })?
    .map_err(|error| {
        let hint = if error.error.kind() == std::io::ErrorKind::NotFound {
            crate::agents::binary::INSTALL_HINT.to_string()
        } else {
            format!("check that `{program}` can be run")
        };
        tagged_hint(
            Kind::BrainFailed,
            format!("failed to run `{program}`: {}", error.error),
            hint,
        )
    })?;
    let stopped = match finished.stopped {
        Some(Stopped::Interrupted) => Some(tagged(
            Kind::Interrupted,
            format!("interrupted; `{program}` was stopped"),
        )),
        Some(Stopped::Timeout | Stopped::Inactive) => Some(tagged_hint(
            Kind::BrainFailed,
            format!(
                "`{program}` did not finish planning within {}",
                short_duration(settings.timeout)
            ),
            "raise `[brain] timeout` in `.nexus/config.toml`",
        )),
        None => None,
    };
    let call = RawCall {
        exit_code: finished.code,
        stdout: finished.stdout,
        stderr: finished.stderr,
    };
    Ok((call, stopped))
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
