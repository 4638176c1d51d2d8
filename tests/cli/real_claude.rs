//! Contract tests with the REAL Claude Code CLI 2.1.197 (path in
//! `NEXUS_TEST_REAL_CLAUDE`, exported by `.ci/run`), run offline against the
//! fake Anthropic server with a throwaway HOME. They pin the facts the agent
//! runtime and the fake `claude` rely on. Without the variable they fail in
//! CI (`CI` set) and are skipped locally.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::common::TestEnv;
use crate::common::anthropic_server::{AnthropicServer, Reply};
use crate::common::fake_claude::{fake_claude_bin, transcript_path};

/// Returns the real CLI, or None (after a note) when it is not available.
#[expect(clippy::print_stderr, reason = "the skip note is for the developer")]
pub(crate) fn real_claude() -> Option<PathBuf> {
    match std::env::var_os("NEXUS_TEST_REAL_CLAUDE") {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var_os("CI").is_some() => {
            panic!("NEXUS_TEST_REAL_CLAUDE is unset in CI: run the tests through `.ci/run`")
        }
        None => {
            eprintln!("skipped: NEXUS_TEST_REAL_CLAUDE is unset (`.ci/run` sets it)");
            None
        }
    }
}

/// A finished CLI call.
struct Call {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Call {
    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "stdout is not JSON ({error}):\n{}\n--- stderr ---\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `program` hermetically in `cwd`: cleared env, throwaway HOME, stdin
/// null, the API at `base_url`, no retries; killed after a generous limit.
fn run(program: &Path, env: &TestEnv, cwd: &Path, base_url: &str, args: &[&str]) -> Call {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", &env.home)
        .env("LANG", "C.UTF-8")
        .env("ANTHROPIC_BASE_URL", base_url)
        .env("ANTHROPIC_API_KEY", "test-key")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("CLAUDE_CODE_MAX_RETRIES", "0")
        .env("API_TIMEOUT_MS", "60000")
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("spawn claude");
    let pid = i32::try_from(child.id()).expect("pid");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = match receiver.recv_timeout(Duration::from_secs(180)) {
        Ok(output) => output.expect("wait claude"),
        Err(_) => {
            // SAFETY: signalling the child we spawned.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("`{}` {args:?} hung for 180 s", program.display());
        }
    };
    Call {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default()
}

fn sample(name: &str) -> Value {
    let path = crate::common::repo_root()
        .join("tests/fixtures/claude-cli-samples")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read sample `{}`: {error}", path.display()));
    serde_json::from_str(&text).expect("sample is JSON")
}

const SESSION: &str = "4d0c2a4e-3b1f-4c2d-9e8f-0a1b2c3d4e5f";

#[test]
fn session_id_resume_and_appended_system_prompt() {
    let Some(claude) = real_claude() else { return };
    let env = TestEnv::new();
    let server = AnthropicServer::start();
    let first = run(
        &claude,
        &env,
        &env.project,
        &server.url(),
        &[
            "-p",
            "--output-format",
            "json",
            "--session-id",
            SESSION,
            "--append-system-prompt",
            "PERSONALITY-ALPHA",
            "--",
            "hello",
        ],
    );
    let result = first.json();
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert_eq!(result["is_error"], false);
    assert_eq!(result["session_id"], SESSION);
    assert_eq!(keys(&result), keys(&sample("a_print_json_hello.json")));
    let calls = server.message_requests();
    let call = calls.last().expect("a messages request");
    assert!(call.system_text().contains("PERSONALITY-ALPHA"));
    assert_eq!(call.session_id(), Some(SESSION));
    assert!(call.user_texts().iter().any(|text| text.contains("hello")));
    assert!(
        server
            .requests()
            .iter()
            .all(|request| request.path == "/" || request.is_messages()),
        "unexpected traffic: {:?}",
        server
            .requests()
            .iter()
            .map(|r| &r.path)
            .collect::<Vec<_>>()
    );
    let transcript = transcript_path(&env.home, &env.project, SESSION);
    assert!(
        transcript.is_file(),
        "no transcript at {}",
        transcript.display()
    );

    let second = run(
        &claude,
        &env,
        &env.project,
        &server.url(),
        &[
            "-p",
            "--output-format",
            "json",
            "--resume",
            SESSION,
            "--append-system-prompt",
            "PERSONALITY-ALPHA",
            "--",
            "second",
        ],
    );
    let result = second.json();
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(result["session_id"], SESSION);
    let calls = server.message_requests();
    let call = calls.last().expect("a messages request");
    let texts = call.user_texts();
    assert!(texts.iter().any(|text| text.contains("hello")), "{texts:?}");
    assert!(
        texts.iter().any(|text| text.contains("second")),
        "{texts:?}"
    );
    assert!(call.system_text().contains("PERSONALITY-ALPHA"));
    assert_eq!(call.session_id(), Some(SESSION));
    // The assistant's first answer is part of the history too.
    assert!(
        call.messages()
            .iter()
            .any(|message| message["role"] == "assistant"),
        "{:?}",
        call.messages()
    );
}

#[test]
fn tool_use_write_obeys_the_permission_mode() {
    let Some(claude) = real_claude() else { return };
    let env = TestEnv::new();
    let server = AnthropicServer::start();
    let target = env.project.join("hello.txt");
    let target_text = target.display().to_string();
    server
        .push(Reply::write(&target_text, "hello from fake tool_use\n"))
        .push(Reply::text("DONE-AFTER-TOOL"));
    let accept = run(
        &claude,
        &env,
        &env.project,
        &server.url(),
        &[
            "-p",
            "--output-format",
            "json",
            "--permission-mode",
            "acceptEdits",
            "--",
            "write hello",
        ],
    );
    let result = accept.json();
    assert_eq!(accept.code, Some(0), "{}", accept.stderr);
    assert_eq!(result["result"], "DONE-AFTER-TOOL");
    assert_eq!(result["num_turns"], 2);
    assert_eq!(result["permission_denials"], serde_json::json!([]));
    assert_eq!(
        std::fs::read_to_string(&target).expect("written file"),
        "hello from fake tool_use\n"
    );

    // Default mode: denied, not prompted; exit 0 and listed (i_default.json).
    let denied_path = env.project.join("denied.txt");
    server
        .push(Reply::write(&denied_path.display().to_string(), "no\n"))
        .push(Reply::text("DONE-AFTER-TOOL"));
    let denied = run(
        &claude,
        &env,
        &env.project,
        &server.url(),
        &["-p", "--output-format", "json", "--", "write denied"],
    );
    let result = denied.json();
    assert_eq!(denied.code, Some(0), "{}", denied.stderr);
    assert_eq!(result["is_error"], false);
    assert_eq!(result["permission_denials"][0]["tool_name"], "Write");
    assert!(!denied_path.exists());
    // The fake claude reports the same shape.
    let fake = run(
        &fake_claude_bin(),
        &env,
        &env.project,
        &server.url(),
        &["-p", "--output-format", "json", "--", "write denied"],
    )
    .json();
    assert_eq!(keys(&fake), keys(&result));
}

#[test]
fn api_500_is_an_error_result_with_its_status() {
    let Some(claude) = real_claude() else { return };
    let env = TestEnv::new();
    let server = AnthropicServer::start();
    server.push(Reply::error(500));
    let call = run(
        &claude,
        &env,
        &env.project,
        &server.url(),
        &[
            "-p",
            "--output-format",
            "json",
            "--session-id",
            SESSION,
            "--",
            "boom",
        ],
    );
    let result = call.json();
    assert_eq!(call.code, Some(1), "{}", call.stderr);
    assert_eq!(result["is_error"], true);
    assert_eq!(result["subtype"], "success");
    assert_eq!(result["api_error_status"], 500);
    assert!(
        result["result"]
            .as_str()
            .unwrap_or_default()
            .contains("fake 500")
    );
    assert_eq!(keys(&result), keys(&sample("e_500_r2.json")));
    // The failed turn is still on disk, so the session can be resumed.
    assert!(transcript_path(&env.home, &env.project, SESSION).is_file());
}

/// The fake reproduces the real CLI's argument errors byte for byte.
#[test]
fn argument_errors_match_the_fake() {
    let Some(claude) = real_claude() else { return };
    let env = TestEnv::new();
    let server = AnthropicServer::start();
    let url = server.url();
    let used = "11111111-2222-4333-8444-555555555555";
    run(
        &claude,
        &env,
        &env.project,
        &url,
        &[
            "-p",
            "--output-format",
            "json",
            "--session-id",
            used,
            "--",
            "x",
        ],
    );
    let cases: &[&[&str]] = &[
        &[
            "-p",
            "--output-format",
            "json",
            "--session-id",
            used,
            "--",
            "x",
        ],
        &[
            "-p",
            "--output-format",
            "json",
            "--session-id",
            "not-a-uuid",
            "--",
            "x",
        ],
        &[
            "-p",
            "--output-format",
            "json",
            "--session-id",
            "22222222-2222-4333-8444-555555555555",
            "--resume",
            used,
            "--",
            "x",
        ],
        &["-p", "--output-format", "stream-json", "--", "x"],
        &["-p", "--output-format", "json"],
        &[
            "-p",
            "--output-format",
            "json",
            "--resume",
            "00000000-0000-4000-8000-000000000000",
            "--",
            "x",
        ],
        &[
            "-p",
            "--output-format",
            "json",
            "--resume",
            "garbage-not-a-session",
            "--",
            "x",
        ],
        &["--version"],
    ];
    for args in cases {
        let real = run(&claude, &env, &env.project, &url, args);
        let fake = run(&fake_claude_bin(), &env, &env.project, &url, args);
        assert_eq!(
            (real.code, real.stdout.as_str(), real.stderr.trim_end()),
            (fake.code, fake.stdout.as_str(), fake.stderr.trim_end()),
            "{args:?}"
        );
    }
}
