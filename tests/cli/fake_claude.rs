//! The fake `claude` is faithful: its outputs have the key sets of the real
//! CLI's recorded samples (`tests/fixtures/claude-cli-samples/`), its argument
//! errors are the recorded texts, and its sessions behave as documented.

use std::collections::BTreeSet;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::TestEnv;
use crate::common::fake_claude::{FakeClaude, Step, transcript_path};

fn samples_dir() -> std::path::PathBuf {
    crate::common::repo_root().join("tests/fixtures/claude-cli-samples")
}

fn sample_text(name: &str) -> String {
    let path = samples_dir().join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read sample `{}`: {error}", path.display()))
}

fn sample(name: &str) -> Value {
    serde_json::from_str(&sample_text(name)).expect("sample is JSON")
}

fn sample_lines(name: &str) -> Vec<Value> {
    sample_text(name)
        .lines()
        .map(|line| serde_json::from_str(line).expect("sample line is JSON"))
        .collect()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default()
}

/// Asserts the same keys at the top level, in `usage` and in each
/// `modelUsage` entry.
#[track_caller]
fn assert_same_shape(fake: &Value, real: &Value) {
    assert_eq!(keys(fake), keys(real), "top-level keys\nfake: {fake}");
    assert_eq!(keys(&fake["usage"]), keys(&real["usage"]), "usage keys");
    let inner = |value: &Value| -> Vec<BTreeSet<String>> {
        value["modelUsage"]
            .as_object()
            .map(|models| models.values().map(keys).collect())
            .unwrap_or_default()
    };
    assert_eq!(inner(fake), inner(real), "modelUsage keys");
}

fn types(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let subtype = line["subtype"]
                .as_str()
                .map(|s| format!("/{s}"))
                .unwrap_or_default();
            format!("{}{subtype}", line["type"].as_str().unwrap_or("?"))
        })
        .collect()
}

struct Fake {
    env: TestEnv,
    fake: FakeClaude,
}

impl Fake {
    fn new(steps: &[Step]) -> Fake {
        let mut env = TestEnv::new();
        let fake = FakeClaude::install(&mut env);
        fake.script(steps);
        Fake { env, fake }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.env.command(&self.fake.program);
        command.args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run fake claude")
    }

    fn json(&self, args: &[&str]) -> (i32, Value) {
        let output = self.run(args);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let value = serde_json::from_str(&stdout).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (output.status.code().unwrap_or(-1), value)
    }

    fn lines(&self, args: &[&str]) -> (i32, Vec<Value>) {
        let output = self.run(args);
        let lines = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect();
        (output.status.code().unwrap_or(-1), lines)
    }
}

const JSON: &[&str] = &["-p", "--output-format", "json"];
const STREAM: &[&str] = &["-p", "--output-format", "stream-json", "--verbose"];

fn args<'a>(base: &[&'a str], rest: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(rest).copied().collect()
}

#[test]
fn version_is_the_observed_one() {
    let fake = Fake::new(&[]);
    let output = fake.run(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "2.1.197 (Claude Code)\n"
    );
}

#[test]
fn json_result_has_the_sample_shape() {
    let fake = Fake::new(&[]);
    let (code, result) = fake.json(&args(JSON, &["--", "hello"]));
    assert_eq!(code, 0);
    let real = sample("a_print_json_hello.json");
    assert_same_shape(&result, &real);
    // Same reply convention as the sample (made by the fake API server).
    assert_eq!(result["result"], real["result"]);
    assert_eq!(result["is_error"], false);
    assert_eq!(result["subtype"], "success");
}

#[test]
fn verbose_json_and_stream_json_have_the_sample_shapes() {
    let fake = Fake::new(&[]);
    let (_, array) = fake.json(&args(JSON, &["--verbose", "--", "json verbose"]));
    let real = sample("a2_print_json_verbose.json");
    let array = array.as_array().expect("an array").clone();
    let real = real.as_array().expect("an array").clone();
    assert_eq!(types(&array), types(&real));
    for (fake, real) in array.iter().zip(&real) {
        assert_eq!(keys(fake), keys(real));
        assert_eq!(keys(&fake["message"]), keys(&real["message"]));
    }
    assert_eq!(array[2]["result"], real[2]["result"]);

    let (code, lines) = fake.lines(&args(STREAM, &["--", "streamy"]));
    let real = sample_lines("c_stream_json_verbose.jsonl");
    assert_eq!(code, 0);
    assert_eq!(types(&lines), types(&real));
    for (fake, real) in lines.iter().zip(&real) {
        assert_eq!(keys(fake), keys(real));
    }
    assert_eq!(lines[0]["claude_code_version"], "2.1.197");
    assert_eq!(lines[0]["session_id"], lines[2]["session_id"]);
}

#[test]
fn api_errors_have_the_sample_shapes_and_texts() {
    let fake = Fake::new(&[
        Step::api_error(500),
        Step::api_error(429),
        Step::api_error(401),
        Step::timeout(),
        Step::connection_refused(),
    ]);
    let cases = [
        ("e_500_r2.json", Value::from(500)),
        ("e_429_r2.json", Value::from(429)),
        ("e_401_r2.json", Value::from(401)),
        ("e_hang_timeout.json", Value::Null),
        ("conn_refused.json", Value::Null),
    ];
    for (name, status) in cases {
        let mut command = fake.command(&args(JSON, &["--", "x"]));
        command.env("ANTHROPIC_BASE_URL", "http://127.0.0.1:8765");
        let output = command.output().expect("run");
        let result: Value = serde_json::from_slice(&output.stdout).expect("json");
        let real = sample(name);
        assert_eq!(output.status.code(), Some(1), "{name}");
        assert_same_shape(&result, &real);
        assert_eq!(result["subtype"], "success", "{name}");
        assert_eq!(result["is_error"], true, "{name}");
        assert_eq!(result["api_error_status"], status, "{name}");
        assert_eq!(result["result"], real["result"], "{name}");
    }
}

#[test]
fn stream_json_api_error_with_retries_has_the_sample_events() {
    let fake = Fake::new(&[Step::api_error(500).retries(2)]);
    let (code, lines) = fake.lines(&args(STREAM, &["--", "x"]));
    let real = sample_lines("e_500_stream_json.jsonl");
    assert_eq!(code, 1);
    assert_eq!(types(&lines), types(&real));
    for (fake, real) in lines.iter().zip(&real) {
        assert_eq!(keys(fake), keys(real));
    }
}

#[test]
fn max_turns_and_budget_results_have_errors_and_no_result() {
    let fake = Fake::new(&[
        Step::max_turns(),
        Step::max_budget(),
        Step::reply("long").turns(5),
    ]);
    for name in ["maxturns.json", "budget.json"] {
        let (code, result) = fake.json(&args(JSON, &["--", "x"]));
        let real = sample(name);
        assert_eq!(code, 1);
        assert_same_shape(&result, &real);
        assert!(result.get("result").is_none());
        assert_eq!(result["errors"], real["errors"], "{name}");
    }
    // `--max-turns` below what the step needs gives the same result.
    let (_, result) = fake.json(&args(JSON, &["--max-turns", "3", "--", "x"]));
    assert_eq!(result["subtype"], "error_max_turns");
    assert_eq!(
        result["errors"],
        json!(["Reached maximum number of turns (3)"])
    );
}

#[test]
fn write_is_denied_by_default_and_allowed_with_accept_edits() {
    let fake = Fake::new(&[
        Step::write("hello.txt", "hello from fake tool_use\n"),
        Step::write("hello.txt", "hello from fake tool_use\n"),
        Step::write("../outside.txt", "no\n"),
    ]);
    let project = &fake.env.project;
    let (code, result) = fake.json(&args(JSON, &["--", "write"]));
    let real = sample("i_default.json");
    assert_eq!(code, 0);
    assert_same_shape(&result, &real);
    assert_eq!(result["is_error"], false);
    let denial = &result["permission_denials"][0];
    assert_eq!(keys(denial), keys(&real["permission_denials"][0]));
    assert_eq!(
        denial["tool_input"]["file_path"],
        project.join("hello.txt").display().to_string()
    );
    assert!(!project.join("hello.txt").exists());

    let (code, lines) = fake.lines(&args(
        STREAM,
        &["--permission-mode", "acceptEdits", "--", "write"],
    ));
    assert_eq!(code, 0);
    let real = sample_lines("c2_stream_json_verbose_tool_use.jsonl");
    // The sample's model said "Writing the file now." before the tool_use;
    // the fake goes straight to it.
    let mut expected = types(&real);
    expected.remove(1);
    assert_eq!(types(&lines), expected);
    assert_eq!(lines[1]["message"]["content"][0]["name"], "Write");
    assert_eq!(
        keys(&lines[2]["message"]["content"][0]),
        keys(&real[3]["message"]["content"][0])
    );
    assert_eq!(lines[4]["permission_denials"], json!([]));
    assert_eq!(fake.env.read("hello.txt"), "hello from fake tool_use\n");

    // acceptEdits stops at the cwd.
    let (_, result) = fake.json(&args(
        JSON,
        &["--permission-mode", "acceptEdits", "--", "write"],
    ));
    assert_eq!(result["permission_denials"][0]["tool_name"], "Write");
    assert!(
        !project
            .parent()
            .expect("parent")
            .join("outside.txt")
            .exists()
    );
}

/// Every argument error prints nothing on stdout, exits 1, and says on
/// stderr exactly what `exit_codes_and_stderr.txt` recorded.
#[test]
fn argument_errors_are_the_recorded_ones() {
    let fake = Fake::new(&[]);
    let recorded = sample_text("exit_codes_and_stderr.txt");
    let used = "11111111-2222-4333-8444-555555555555";
    fake.json(&args(JSON, &["--session-id", used, "--", "preset"]));
    let cases: Vec<Vec<&str>> = vec![
        args(JSON, &["--resume", "garbage-not-a-session", "--", "x"]),
        args(
            JSON,
            &[
                "--resume",
                "00000000-0000-4000-8000-000000000000",
                "--",
                "x",
            ],
        ),
        args(JSON, &["--session-id", used, "--", "preset-again"]),
        args(JSON, &["--session-id", "not-a-uuid", "--", "x"]),
        args(
            JSON,
            &[
                "--session-id",
                "22222222-2222-4333-8444-555555555555",
                "--resume",
                used,
                "--",
                "x",
            ],
        ),
        vec!["-p", "--output-format", "stream-json", "--", "x"],
        args(
            JSON,
            &[
                "--permission-mode",
                "bypassPermissions",
                "--",
                "write hello",
            ],
        ),
        args(
            JSON,
            &["--dangerously-skip-permissions", "--", "write hello"],
        ),
        JSON.to_vec(),
    ];
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    for case in cases {
        if !root
            && case
                .iter()
                .any(|arg| arg.contains("bypass") || arg.contains("dangerously"))
        {
            continue;
        }
        let output = fake.run(&case);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{case:?}");
        assert!(output.stdout.is_empty(), "{case:?}");
        let line = format!("stderr: {}", stderr.trim_end());
        assert!(
            recorded.lines().any(|recorded| recorded == line),
            "{case:?}: `{line}` is not in exit_codes_and_stderr.txt"
        );
    }
}

#[test]
fn sessions_are_created_resumed_forked_and_keyed_by_cwd() {
    let fake = Fake::new(&[]);
    let env = &fake.env;
    let id = "11111111-2222-4333-8444-555555555555";
    let (_, first) = fake.json(&args(JSON, &["--session-id", id, "--", "hello"]));
    assert_eq!(first["session_id"], id);
    let transcript = transcript_path(&env.home, &env.project, id);
    assert!(transcript.is_file(), "{}", transcript.display());

    let (code, second) = fake.json(&args(JSON, &["--resume", id, "--", "second"]));
    assert_eq!(code, 0);
    assert_eq!(second["session_id"], id);
    assert_eq!(
        second["result"],
        sample("b_resume_json_second.json")["result"]
    );

    let (_, forked) = fake.json(&args(
        JSON,
        &["--resume", id, "--fork-session", "--", "third-forked"],
    ));
    assert_ne!(forked["session_id"], id);
    assert_eq!(
        forked["result"],
        sample("b2_resume_fork_session.json")["result"]
    );

    // Another directory does not see the session.
    let other = env.temp.path().join("other");
    std::fs::create_dir_all(&other).expect("mkdir");
    let output = fake
        .command(&args(JSON, &["--resume", id, "--", "from-other-dir"]))
        .current_dir(&other)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!("No conversation found with session ID: {id}\n")
    );

    // CLAUDE_CONFIG_DIR moves the projects directory.
    let config = env.temp.path().join("config");
    let output = fake
        .command(&args(
            JSON,
            &[
                "--session-id",
                "33333333-2222-4333-8444-555555555555",
                "--",
                "x",
            ],
        ))
        .env("CLAUDE_CONFIG_DIR", &config)
        .output()
        .expect("run");
    assert!(output.status.success());
    let escaped: String = env
        .project
        .display()
        .to_string()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    assert!(
        config
            .join("projects")
            .join(escaped)
            .join("33333333-2222-4333-8444-555555555555.jsonl")
            .is_file()
    );

    // stream-json resume of an unknown id: the recorded result line.
    let unknown = "00000000-0000-4000-8000-000000000000";
    let (code, lines) = fake.lines(&args(STREAM, &["--resume", unknown, "--", "x"]));
    assert_eq!(code, 1);
    let real = sample_lines("d_resume_unknown_uuid_stream_json.jsonl");
    assert_eq!(keys(&lines[0]), keys(&real[0]));
    assert_eq!(lines[0]["errors"], real[0]["errors"]);
}

#[test]
fn a_killed_turn_leaves_its_transcript_and_no_stdout() {
    let fake = Fake::new(&[Step::crash("SIGKILL"), Step::crash("SIGSEGV")]);
    let id = "44444444-2222-4333-8444-555555555555";
    let output = fake.run(&args(JSON, &["--session-id", id, "--", "doomed"]));
    assert_eq!(output.status.signal(), Some(libc::SIGKILL));
    assert!(output.stdout.is_empty());
    let transcript = transcript_path(&fake.env.home, &fake.env.project, id);
    assert!(
        std::fs::read_to_string(transcript)
            .expect("transcript")
            .contains("doomed")
    );
    let output = fake.run(&args(JSON, &["--resume", id, "--", "again"]));
    assert_eq!(output.status.signal(), Some(libc::SIGSEGV));
    let (code, result) = fake.json(&args(JSON, &["--resume", id, "--", "third"]));
    assert_eq!(code, 0);
    assert_eq!(result["result"], "FAKE-REPLY turn=3 msgs=6 last_user=third");
}

#[test]
fn steps_match_prompts_and_invocations_are_recorded() {
    let fake = Fake::new(&[
        Step::reply("for beta")
            .matching("beta")
            .cost(0.25)
            .tokens(10, 20),
        Step::reply("first"),
        Step::reply("always gamma").matching("gamma").repeat(),
    ]);
    let mut command = fake.command(&args(
        JSON,
        &[
            "--model",
            "sonnet",
            "--max-turns",
            "7",
            "--permission-mode",
            "acceptEdits",
            "--append-system-prompt",
            "PERSONA",
            "--allowedTools",
            "Read",
            "Bash(git:*)",
            "--add-dir",
            "/tmp/a",
            "--",
            "alpha",
        ],
    ));
    command
        .env("CLAUDE_CODE_MAX_RETRIES", "2")
        .env("CLAUDECODE", "1");
    let output = command.output().expect("run");
    let result: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(result["result"], "first");
    let (_, result) = fake.json(&args(JSON, &["--", "the beta prompt"]));
    assert_eq!(result["result"], "for beta");
    assert_eq!(result["total_cost_usd"], 0.25);
    assert_eq!(result["usage"]["output_tokens"], 20);
    for _ in 0..2 {
        let (_, result) = fake.json(&args(JSON, &["--", "gamma"]));
        assert_eq!(result["result"], "always gamma");
    }
    let (_, result) = fake.json(&args(JSON, &["--", "delta"]));
    assert_eq!(result["result"], "FAKE-REPLY turn=1 msgs=2 last_user=delta");

    let calls = fake.fake.invocations();
    assert_eq!(calls.len(), 5);
    let call = &calls[0];
    assert_eq!(call.seq, 1);
    assert_eq!(call.step, Some(1));
    assert_eq!(call.stdin, "null");
    assert_eq!(call.cwd, fake.env.project);
    assert_eq!(call.exit_code, Some(0));
    assert!(call.ended_at.is_some());
    assert!(call.pgid > 0 && call.pid > 0);
    assert_eq!(call.env("CLAUDE_CODE_MAX_RETRIES"), Some("2"));
    assert_eq!(call.env("CLAUDECODE"), Some("1"));
    assert_eq!(call.env("API_TIMEOUT_MS"), None);
    let flags = &call.flags;
    assert_eq!(flags.prompt.as_deref(), Some("alpha"));
    assert_eq!(flags.model.as_deref(), Some("sonnet"));
    assert_eq!(flags.max_turns.as_deref(), Some("7"));
    assert_eq!(flags.permission_mode.as_deref(), Some("acceptEdits"));
    assert_eq!(flags.append_system_prompt.as_deref(), Some("PERSONA"));
    assert_eq!(flags.allowed_tools, ["Read", "Bash(git:*)"]);
    assert_eq!(flags.add_dirs, ["/tmp/a"]);
    assert_eq!(
        call.session_id.as_deref(),
        result_session(&output).as_deref()
    );
    assert_eq!(calls[1].step, Some(0));
    assert_eq!(calls[4].step, None);
}

fn result_session(output: &Output) -> Option<String> {
    let result: Value = serde_json::from_slice(&output.stdout).ok()?;
    result["session_id"].as_str().map(str::to_string)
}

#[test]
fn variadic_options_swallow_a_prompt_not_after_dashes() {
    let fake = Fake::new(&[]);
    let output = fake.run(&args(JSON, &["--allowedTools", "Read", "swallowed"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let calls = fake.fake.invocations();
    assert_eq!(calls[0].flags.allowed_tools, ["Read", "swallowed"]);
    assert_eq!(calls[0].flags.prompt, None);
}

#[test]
fn raw_output_truncation_and_exit_codes_are_scriptable() {
    let fake = Fake::new(&[
        Step::raw_stdout("not json at all\n").exit_code(0),
        Step::echo().truncate(40),
        Step::reply("fine").stderr("a warning\n").exit_code(3),
    ]);
    let output = fake.run(&args(JSON, &["--", "x"]));
    assert_eq!(output.stdout, b"not json at all\n");
    let output = fake.run(&args(JSON, &["--", "x"]));
    assert_eq!(output.stdout.len(), 40);
    assert!(serde_json::from_slice::<Value>(&output.stdout).is_err());
    let output = fake.run(&args(JSON, &["--", "x"]));
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "a warning\n");
}

/// Waits (generously) until `path` exists and is not empty.
fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(path).map_or(true, |meta| meta.len() == 0) {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_hang_can_ignore_sigterm_until_sigkill() {
    let fake = Fake::new(&[Step::hang().ignore_sigterm()]);
    let id = "55555555-2222-4333-8444-555555555555";
    let mut child = fake
        .command(&args(STREAM, &["--session-id", id, "--", "hang"]))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The prompt is appended to the transcript after SIGTERM is ignored
    // (a new session's file is created empty before that).
    wait_for(&transcript_path(&fake.env.home, &fake.env.project, id));
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "SIGTERM killed it"
    );
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let status = child.wait().expect("wait");
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read");
    // The init event came out before the silence; no result.
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let calls = fake.fake.invocations();
    assert_eq!(calls[0].ended_at, None);
}

#[test]
fn heartbeats_show_progress_during_a_wait() {
    let fake = Fake::new(&[Step::reply("done").sleep(1.0).heartbeat(0.1)]);
    let (code, lines) = fake.lines(&args(STREAM, &["--", "x"]));
    assert_eq!(code, 0);
    assert!(lines.len() >= 4, "{lines:?}");
    assert_eq!(lines[1]["type"], "assistant");
    assert_eq!(lines.last().expect("result")["result"], "done");
}

#[test]
fn a_grandchild_keeps_stdout_open_after_exit() {
    let fake = Fake::new(&[Step::reply("bye").grandchild(2.0)]);
    let started = Instant::now();
    let mut child = fake
        .command(&args(JSON, &["--", "x"]))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let status = child.wait().expect("wait");
    assert!(status.success());
    let mut text = String::new();
    stdout.read_to_string(&mut text).expect("read");
    // EOF only comes when the grandchild lets go (a lower bound, not a timing).
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(text.contains("\"bye\""));
    let calls = fake.fake.invocations();
    assert!(calls[0].grandchild_pid.is_some());
}
