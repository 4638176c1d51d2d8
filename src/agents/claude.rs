//! Claude Code as an agent backend, built on what the real CLI 2.1.197 was
//! seen to do (`shared/CLAUDE_CLI.md`):
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
//!   `permission_denials` while the call "succeeds".

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::agents::backend::{Backend, Outcome, SessionMode, TurnOutput, TurnRequest};
use crate::proc::supervise::{Finished, SpawnError, Stopped, tail};

/// Variables that leak in when nexus itself runs inside a Claude Code
/// session and would make the child believe it is nested.
pub const NESTED_SESSION_VARS: &[&str] = &[
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SSE_PORT",
];

/// The Claude Code CLI backend.
#[derive(Debug, Clone, Default)]
pub struct Claude;

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
/// character of the cwd not in `[A-Za-z0-9]` becomes `-`.
pub fn transcript_path(
    session_id: &str,
    cwd: &Path,
    env: &BTreeMap<String, String>,
) -> Option<PathBuf> {
    let escaped: String = cwd
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    projects_dir(env).map(|dir| dir.join(escaped).join(format!("{session_id}.jsonl")))
}

/// Returns a copy of `args` safe to record: long values (the prompt, the
/// system prompt) are shortened.
pub fn redacted_argv(program: &Path, args: &[OsString]) -> Vec<String> {
    let mut argv = vec![program.display().to_string()];
    for arg in args {
        argv.push(crate::ui::shorten(&arg.to_string_lossy(), 80));
    }
    argv
}

impl Backend for Claude {
    fn args(&self, request: &TurnRequest<'_>) -> Vec<OsString> {
        let settings = &request.agent.claude;
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
        args.push("--model".into());
        args.push(settings.model.clone().into());
        args.push("--max-turns".into());
        args.push(settings.max_turns.to_string().into());
        args.push("--permission-mode".into());
        args.push(settings.permission_mode.clone().into());
        if let Some(budget) = request.max_budget_usd.filter(|budget| *budget > 0.0) {
            args.push("--max-budget-usd".into());
            args.push(format!("{budget}").into());
        }
        args.push("--append-system-prompt".into());
        args.push(request.system_prompt.clone().into());
        if !settings.allowed_tools.is_empty() {
            args.push("--allowedTools".into());
            args.extend(settings.allowed_tools.iter().map(OsString::from));
        }
        if !settings.disallowed_tools.is_empty() {
            args.push("--disallowedTools".into());
            args.extend(settings.disallowed_tools.iter().map(OsString::from));
        }
        if !settings.add_dirs.is_empty() {
            args.push("--add-dir".into());
            args.extend(settings.add_dirs.iter().map(OsString::from));
        }
        args.push("--".into());
        args.push(request.prompt.clone().into());
        args
    }

    fn env_remove(&self) -> Vec<String> {
        NESTED_SESSION_VARS
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn interpret(&self, finished: &Finished) -> TurnOutput {
        interpret(finished)
    }

    fn interpret_spawn_error(&self, error: &SpawnError) -> TurnOutput {
        let (outcome, reason) = match error.error.kind() {
            std::io::ErrorKind::NotFound => (
                Outcome::CliMissing,
                format!(
                    "`{}` not found; {}",
                    error.program.display(),
                    crate::agents::binary::INSTALL_HINT
                ),
            ),
            std::io::ErrorKind::PermissionDenied => (
                Outcome::CliNotExecutable,
                format!(
                    "`{}` is not executable: {}",
                    error.program.display(),
                    error.error
                ),
            ),
            _ => (
                Outcome::SpawnFailed,
                format!(
                    "failed to start `{}`: {}",
                    error.program.display(),
                    error.error
                ),
            ),
        };
        TurnOutput {
            outcome: Some(outcome),
            reason: Some(reason),
            ..TurnOutput::default()
        }
    }

    fn session_exists(&self, session_id: &str, cwd: &Path, env: &BTreeMap<String, String>) -> bool {
        transcript_path(session_id, cwd, env).is_some_and(|path| path.is_file())
    }
}

/// Finds the `system/init` and last `result` objects in the CLI's stdout,
/// whatever the output format (stream-json lines, one json object, or the
/// `--verbose` json array).
fn find_events(stdout: &str) -> (Option<Value>, Option<Value>, bool) {
    let mut init = None;
    let mut result = None;
    let mut any_json = false;
    let mut consider = |value: Value| match (
        value.get("type").and_then(Value::as_str),
        value.get("subtype").and_then(Value::as_str),
    ) {
        (Some("system"), Some("init")) => init = Some(value),
        (Some("result"), _) => result = Some(value),
        _ => {}
    };
    let trimmed = stdout.trim();
    if trimmed.starts_with('[') {
        if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(trimmed) {
            any_json = true;
            items.into_iter().for_each(&mut consider);
        }
    } else {
        for line in trimmed.lines() {
            if let Ok(value) = serde_json::from_str::<Value>(line)
                && value.is_object()
            {
                any_json = true;
                consider(value);
            }
        }
    }
    (init, result, any_json)
}

fn u64_at(value: &Value, pointer: &str) -> u64 {
    value.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

/// Classifies a finished CLI process.
pub fn interpret(finished: &Finished) -> TurnOutput {
    let (init, result, any_json) = find_events(&finished.stdout);
    let mut output = TurnOutput {
        exit_code: finished.code,
        signal: finished.signal,
        duration_ms: u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX),
        leaked: finished.leaked,
        stderr_tail: tail(&finished.stderr, 20, 4000),
        ..TurnOutput::default()
    };
    if let Some(init) = &init {
        output.session_id = init
            .get("session_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        output.cli_version = init
            .get("claude_code_version")
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    if let Some(result) = &result {
        output.reply = result
            .get("result")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(session) = result.get("session_id").and_then(Value::as_str) {
            output.session_id = Some(session.to_string());
        }
        output.cost_usd = result
            .get("total_cost_usd")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        output.input_tokens = u64_at(result, "/usage/input_tokens")
            + u64_at(result, "/usage/cache_creation_input_tokens")
            + u64_at(result, "/usage/cache_read_input_tokens");
        output.output_tokens = u64_at(result, "/usage/output_tokens");
        output.turns = u32::try_from(u64_at(result, "/num_turns")).unwrap_or(u32::MAX);
        output.api_error_status = result
            .get("api_error_status")
            .and_then(Value::as_u64)
            .and_then(|status| u16::try_from(status).ok());
        output.permission_denials = result
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
            .unwrap_or_default();
    }
    let (outcome, reason) = classify(finished, result.as_ref(), any_json, &output);
    output.outcome = Some(outcome);
    output.reason = reason;
    output
}

fn classify(
    finished: &Finished,
    result: Option<&Value>,
    any_json: bool,
    output: &TurnOutput,
) -> (Outcome, Option<String>) {
    let first_stderr_line = finished
        .stderr
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string();
    match finished.stopped {
        Some(Stopped::Interrupted) => {
            return (
                Outcome::Interrupted,
                Some("interrupted by a signal to nexus".into()),
            );
        }
        Some(Stopped::Timeout) => {
            return (
                Outcome::Timeout,
                Some(format!(
                    "no result within the wall-clock limit ({} ms)",
                    output.duration_ms
                )),
            );
        }
        Some(Stopped::Inactive) => {
            return (
                Outcome::InactivityTimeout,
                Some("no output within the inactivity limit".into()),
            );
        }
        None => {}
    }
    if let Some(result) = result {
        let subtype = result
            .get("subtype")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let errors = result
            .get("errors")
            .and_then(Value::as_array)
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .filter(|text| !text.is_empty());
        if subtype == "error_max_turns" {
            return (
                Outcome::MaxTurns,
                Some(errors.unwrap_or_else(|| {
                    format!("reached the turn limit after {} turns", output.turns)
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
            let status = output.api_error_status.map_or_else(
                || "no HTTP status".to_string(),
                |status| format!("HTTP {status}"),
            );
            let message = if output.reply.is_empty() {
                errors.unwrap_or_else(|| subtype.to_string())
            } else {
                output.reply.clone()
            };
            return (
                Outcome::ApiError,
                Some(format!(
                    "API error ({status}): {}",
                    crate::ui::shorten(&message, 300)
                )),
            );
        }
        if finished.code != Some(0) {
            return (
                Outcome::Crashed,
                Some(format!(
                    "{} after a successful result",
                    exit_text(finished.code)
                )),
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
    if let Some(signal) = finished.signal {
        return (Outcome::Killed, Some(format!("killed by signal {signal}")));
    }
    if first_stderr_line.contains("No conversation found") {
        return (Outcome::SessionNotFound, Some(first_stderr_line));
    }
    if first_stderr_line.contains("is already in use") {
        return (Outcome::SessionInUse, Some(first_stderr_line));
    }
    if finished.stdout.trim().is_empty()
        && finished.code == Some(1)
        && !first_stderr_line.is_empty()
    {
        return (Outcome::BadArguments, Some(first_stderr_line));
    }
    let stderr_suffix = if first_stderr_line.is_empty() {
        String::new()
    } else {
        format!(": {first_stderr_line}")
    };
    if any_json && finished.code.is_some_and(|code| code != 0) {
        // The stream started (`system/init`) and the CLI died before its
        // `result`: a crash, not unreadable output.
        return (
            Outcome::Crashed,
            Some(format!(
                "{} before a `result`{stderr_suffix}",
                exit_text(finished.code)
            )),
        );
    }
    if !finished.stdout.trim().is_empty() {
        let what = if any_json {
            "no `result` object in the output"
        } else {
            "output is not JSON"
        };
        return (
            Outcome::InvalidOutput,
            Some(format!(
                "{what} ({}): {}",
                exit_text(finished.code),
                crate::ui::shorten(&finished.stdout, 200)
            )),
        );
    }
    (
        Outcome::Crashed,
        Some(format!(
            "{} with no output{stderr_suffix}",
            exit_text(finished.code)
        )),
    )
}

fn exit_text(code: Option<i32>) -> String {
    code.map_or_else(|| "no exit code".to_string(), |code| format!("exit {code}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sample(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/claude-cli-samples")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    }

    fn finished(code: Option<i32>, stdout: &str, stderr: &str) -> Finished {
        Finished {
            code,
            signal: None,
            stdout: stdout.to_string(),
            stderr: stderr.to_string(),
            duration: Duration::from_millis(10),
            stopped: None,
            leaked: false,
        }
    }

    #[test]
    fn the_real_success_sample_is_a_success_with_cost_and_session() {
        let output = interpret(&finished(Some(0), &sample("a_print_json_hello.json"), ""));
        assert_eq!(output.outcome, Some(Outcome::Success));
        assert_eq!(
            output.session_id.as_deref(),
            Some("f7764678-bcad-4b50-8211-11d56acaaa46")
        );
        assert_eq!(output.reply, "FAKE-REPLY turn=1 msgs=2 last_user=hello");
        assert!((output.cost_usd - 0.00876).abs() < 1e-9);
        assert_eq!(output.input_tokens, 1667);
        assert_eq!(output.output_tokens, 17);
        assert_eq!(output.turns, 1);
    }

    #[test]
    fn stream_json_yields_the_cli_version_from_init() {
        let output = interpret(&finished(
            Some(0),
            &sample("c_stream_json_verbose.jsonl"),
            "",
        ));
        assert_eq!(output.outcome, Some(Outcome::Success));
        assert!(
            output
                .cli_version
                .as_deref()
                .is_some_and(|v| v.starts_with("2.1.")),
            "{:?}",
            output.cli_version
        );
        let verbose = interpret(&finished(
            Some(0),
            &sample("a2_print_json_verbose.json"),
            "",
        ));
        assert_eq!(verbose.outcome, Some(Outcome::Success));
    }

    #[test]
    fn api_errors_carry_their_status_whatever_the_subtype_says() {
        for (name, status) in [
            ("e_500_r2.json", Some(500)),
            ("e_429_r2.json", Some(429)),
            ("e_401_r2.json", Some(401)),
        ] {
            let output = interpret(&finished(Some(1), &sample(name), ""));
            assert_eq!(output.outcome, Some(Outcome::ApiError), "{name}");
            assert_eq!(output.api_error_status, status, "{name}");
            assert!(
                output
                    .reason
                    .as_deref()
                    .unwrap_or("")
                    .contains(&format!("HTTP {}", status.unwrap())),
                "{name}"
            );
        }
        for name in ["e_hang_timeout.json", "conn_refused.json"] {
            let output = interpret(&finished(Some(1), &sample(name), ""));
            assert_eq!(output.outcome, Some(Outcome::ApiError), "{name}");
            assert_eq!(output.api_error_status, None);
        }
        let streamed = interpret(&finished(Some(1), &sample("e_500_stream_json.jsonl"), ""));
        assert_eq!(streamed.outcome, Some(Outcome::ApiError));
    }

    #[test]
    fn limits_and_denials_are_not_successes() {
        assert_eq!(
            interpret(&finished(Some(1), &sample("maxturns.json"), "")).outcome,
            Some(Outcome::MaxTurns)
        );
        assert_eq!(
            interpret(&finished(Some(1), &sample("budget.json"), "")).outcome,
            Some(Outcome::BudgetExceeded)
        );
        let denied = interpret(&finished(Some(0), &sample("i_default.json"), ""));
        assert_eq!(denied.outcome, Some(Outcome::PermissionDenied));
        assert!(!denied.permission_denials.is_empty());
        assert_eq!(
            interpret(&finished(Some(0), &sample("i_accept.json"), "")).outcome,
            Some(Outcome::Success)
        );
    }

    #[test]
    fn stderr_only_failures_are_classified() {
        let not_found = interpret(&finished(
            Some(1),
            "",
            "No conversation found with session ID: 00000000-0000-4000-8000-000000000000\n",
        ));
        assert_eq!(not_found.outcome, Some(Outcome::SessionNotFound));
        let in_use = interpret(&finished(
            Some(1),
            "",
            "Error: Session ID 1111 is already in use.\n",
        ));
        assert_eq!(in_use.outcome, Some(Outcome::SessionInUse));
        let bad = interpret(&finished(
            Some(1),
            "",
            "Error: Invalid session ID. Must be a valid UUID.\n",
        ));
        assert_eq!(bad.outcome, Some(Outcome::BadArguments));
        let crashed = interpret(&finished(Some(139), "", ""));
        assert_eq!(crashed.outcome, Some(Outcome::Crashed));
        let not_found_stream = interpret(&finished(
            Some(1),
            &sample("d_resume_unknown_uuid_stream_json.jsonl"),
            "No conversation found with session ID: 00000000-0000-4000-8000-000000000000\n",
        ));
        assert_eq!(not_found_stream.outcome, Some(Outcome::SessionNotFound));
        let init_line = sample("c_stream_json_verbose.jsonl")
            .lines()
            .next()
            .unwrap()
            .to_string();
        let died = interpret(&finished(Some(2), &init_line, "TypeError: boom\n"));
        assert_eq!(died.outcome, Some(Outcome::Crashed));
        assert!(died.reason.unwrap().contains("TypeError"));
        let cut = interpret(&finished(Some(0), &init_line, ""));
        assert_eq!(cut.outcome, Some(Outcome::InvalidOutput));
        let garbage = interpret(&finished(Some(0), "{\"type\":\"result\",\"subty", ""));
        assert_eq!(garbage.outcome, Some(Outcome::InvalidOutput));
        let mut killed = finished(None, "", "");
        killed.signal = Some(9);
        assert_eq!(interpret(&killed).outcome, Some(Outcome::Killed));
    }

    #[test]
    fn the_prompt_goes_last_after_a_double_dash() {
        let agent: crate::state::agent::Agent = crate::state::fs::parse_toml(
            Path::new("beta_test_validator.toml"),
            crate::state::agent::DEFAULT_AGENTS[3].1,
        )
        .unwrap();
        let request = TurnRequest {
            agent: &agent,
            session: SessionMode::Resume("abc".into()),
            system_prompt: "SYSTEM".into(),
            prompt: "--looks-like-a-flag".into(),
            max_budget_usd: Some(0.5),
        };
        let args: Vec<String> = Claude
            .args(&request)
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        assert_eq!(&args[args.len() - 2..], ["--", "--looks-like-a-flag"]);
        assert!(args.windows(2).any(|pair| pair == ["--resume", "abc"]));
        assert!(
            args.windows(2)
                .any(|pair| pair == ["--append-system-prompt", "SYSTEM"])
        );
        assert!(
            args.windows(2)
                .any(|pair| pair == ["--max-budget-usd", "0.5"])
        );
        assert!(args.contains(&"Bash(cargo test:*)".to_string()));
    }

    #[test]
    fn transcripts_live_under_the_escaped_cwd() {
        let mut env = BTreeMap::new();
        env.insert("HOME".to_string(), "/home/u".to_string());
        let path = transcript_path("s1", Path::new("/tmp/my project.x"), &env).unwrap();
        assert_eq!(
            path,
            Path::new("/home/u/.claude/projects/-tmp-my-project-x/s1.jsonl")
        );
        env.insert("CLAUDE_CONFIG_DIR".to_string(), "/cfg".to_string());
        assert_eq!(
            transcript_path("s1", Path::new("/a"), &env).unwrap(),
            Path::new("/cfg/projects/-a/s1.jsonl")
        );
    }
}
