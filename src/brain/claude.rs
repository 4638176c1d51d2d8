//! The `claude` planner: the Claude Code CLI itself as the brain, for users
//! with Claude Code and no OpenAI key (CLAUDE_CLI.md).
//!
//! One call is the backend's one-off argv (a prompt, a model, no session),
//! run like an agent turn: stdin = /dev/null, its own process group, the
//! backend's environment and output classification, a wall-clock timeout.
//! The plan JSON is the answer's text.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::agents::backend::{Backend, Exit, Outcome, TurnOutput};
use crate::exit::{Kind, tagged, tagged_hint};
use crate::time::short_duration;

/// The most raw output of one planning call kept for `logs/brain/`.
const MAX_RAW_BYTES: usize = 4 << 20;

/// How to run the CLI.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The agent backend (Claude Code).
    pub backend: &'static dyn Backend,
    /// The executable.
    pub program: PathBuf,
    /// `--model`.
    pub model: String,
    /// The working directory (the project root).
    pub cwd: PathBuf,
    /// Wall-clock limit of one call.
    pub timeout: Duration,
    /// The child's whole environment.
    pub env: BTreeMap<String, String>,
}

/// What one call printed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RawCall {
    /// The exit code (`None` when killed).
    pub exit_code: Option<i32>,
    /// Stdout (at most 4 MiB).
    pub stdout: String,
    /// The end of stderr.
    pub stderr: String,
}

/// Runs one planning call and returns the answer's text. The raw output is
/// appended to `raw` whatever happens.
pub fn ask(settings: &Settings, prompt: &str, raw: &mut Vec<RawCall>) -> Result<String> {
    use crate::proc::supervise::{self, Spec};
    let program = settings.program.display().to_string();
    // The same supervision as an agent turn: stdin null, own process group,
    // the wall-clock limit, SIGTERM → grace → SIGKILL, Ctrl-C stops the CLI.
    let spec = Spec {
        program: settings.program.clone(),
        args: settings.backend.oneshot_args(&settings.model, prompt),
        cwd: settings.cwd.clone(),
        env: Some(settings.env.clone()),
        timeout: settings.timeout,
        inactivity: settings.timeout,
        grace: Duration::from_secs(2),
        leak_timeout: Duration::from_secs(2),
        inherit_fd: None,
    };
    let mut parser = settings
        .backend
        .parser(&crate::agents::backend::TurnContext::default());
    let mut stdout = String::new();
    let finished = crate::proc::block_on(async {
        let (stop, _sender) = crate::proc::signals::install()?;
        Ok::<_, std::io::Error>(
            supervise::run(&spec, stop, |line| {
                if stdout.len() < MAX_RAW_BYTES {
                    stdout.push_str(line);
                    stdout.push('\n');
                }
                parser.line(line);
            })
            .await,
        )
    })?
    .map_err(|error| {
        tagged(
            Kind::BrainFailed,
            format!("failed to install signal handlers: {error}"),
        )
    })?;
    let output = match finished {
        Ok(finished) => {
            raw.push(RawCall {
                exit_code: finished.code,
                stdout,
                stderr: finished.stderr_tail.clone(),
            });
            parser.finish(&Exit::of(&finished))
        }
        Err(error) => settings.backend.spawn_error(&error),
    };
    interpret(settings, &program, &output)
}

/// Turns a classified call into the answer or the error to report.
fn interpret(settings: &Settings, program: &str, output: &TurnOutput) -> Result<String> {
    let reason = output.reason.clone().unwrap_or_default();
    match output.outcome {
        Outcome::Success if !output.reply.trim().is_empty() => Ok(output.reply.clone()),
        Outcome::Success => Err(tagged(
            Kind::BrainFailed,
            format!("`{program}` succeeded but its `result` is empty"),
        )),
        Outcome::Interrupted => Err(tagged(
            Kind::Interrupted,
            format!("interrupted; `{program}` was stopped"),
        )),
        Outcome::Timeout | Outcome::InactivityTimeout => Err(tagged_hint(
            Kind::BrainFailed,
            format!(
                "`{program}` did not finish planning within {}",
                short_duration(settings.timeout)
            ),
            "raise `[brain] timeout` in `.nexus/config.toml`",
        )),
        outcome if outcome.never_ran() => Err(tagged_hint(
            Kind::BrainFailed,
            format!("failed to run `{program}`: {reason}"),
            settings.backend.install_hint(),
        )),
        outcome => {
            let exit = output
                .exit_code
                .map_or_else(|| "a signal".to_string(), |code| format!("exit {code}"));
            let status_text = output
                .api_error_status
                .map(|status| format!(", API status {status}"))
                .unwrap_or_default();
            let message = format!(
                "the {} CLI `{program}` failed ({exit}{status_text}): {}: {reason}",
                settings.backend.product(),
                outcome.name()
            );
            if matches!(output.api_error_status, Some(401 | 403)) || outcome == Outcome::AuthFailed
            {
                Err(tagged_hint(
                    Kind::BrainFailed,
                    message,
                    "log in with `claude`, or set `ANTHROPIC_API_KEY`; or plan offline with `--planner builtin`",
                ))
            } else {
                Err(tagged(Kind::BrainFailed, message))
            }
        }
    }
}
