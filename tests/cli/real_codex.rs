//! Contract tests with the REAL Codex CLI 0.171.0 (path in
//! `NEXUS_TEST_REAL_CODEX`, exported by `.ci/run`), run offline against the
//! fake Responses API (`common/responses_server.rs`) through a custom
//! provider, with a throwaway HOME. They pin the facts recorded in
//! `tests/fixtures/agent-cli-samples/README.md`, and run the same scenarios
//! against `fake-codex` to check that the double has the real event shapes
//! (every line's keys in order and its `type` values), exit codes and
//! messages. Without the variable they fail in CI (`CI` set) and are
//! skipped locally.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::TestEnv;
use crate::common::responses_server::{Reply, ResponsesServer, Usage};

/// Returns the real CLI, or None (after a note) when it is not available.
#[expect(clippy::print_stderr, reason = "the skip note is for the developer")]
pub(crate) fn real_codex() -> Option<PathBuf> {
    match std::env::var_os("NEXUS_TEST_REAL_CODEX") {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var_os("CI").is_some() => {
            panic!("NEXUS_TEST_REAL_CODEX is unset in CI: run the tests through `.ci/run`")
        }
        None => {
            eprintln!("skipped: NEXUS_TEST_REAL_CODEX is unset (`.ci/run` sets it)");
            None
        }
    }
}

/// Returns the path of the built fake `codex`.
pub(crate) fn fake_codex_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fake-codex"))
}

/// A finished CLI call.
#[derive(Debug)]
pub(crate) struct Call {
    /// Exit code (None if killed by a signal).
    pub code: Option<i32>,
    /// Stdout.
    pub stdout: String,
    /// Stderr.
    pub stderr: String,
}

impl Call {
    /// Parses stdout as JSON lines.
    #[track_caller]
    pub fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|error| {
                    panic!(
                        "not JSON ({error}): {line}\n--- stderr ---\n{}",
                        self.stderr
                    )
                })
            })
            .collect()
    }

    /// Returns the last line with this `type`.
    #[track_caller]
    pub fn last(&self, kind: &str) -> Value {
        self.lines()
            .into_iter()
            .rev()
            .find(|line| line["type"] == kind)
            .unwrap_or_else(|| panic!("no `{kind}` line in\n{}\n{}", self.stdout, self.stderr))
    }
}

/// Runs `program` hermetically in `cwd` (cleared env, HOME = `home`, stdin
/// null, extra `env`), killed after a generous limit.
pub(crate) fn run_in(
    program: &Path,
    home: &Path,
    cwd: &Path,
    env: &[(&str, String)],
    args: &[String],
) -> Call {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .current_dir(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().expect("spawn the CLI");
    let pid = i32::try_from(child.id()).expect("pid");
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    let output = match receiver.recv_timeout(Duration::from_secs(240)) {
        Ok(output) => output.expect("wait for the CLI"),
        Err(_) => {
            // SAFETY: signalling the child we spawned.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("`{}` {args:?} hung for 240 s", program.display());
        }
    };
    Call {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every key of a JSON text in document order, with `type` values spelt
/// out (`type=turn.completed`): the shape the fakes must reproduce.
pub(crate) fn shape(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut index = 0;
    let read_string = |index: &mut usize| -> String {
        let mut text = String::new();
        *index += 1;
        while *index < chars.len() && chars[*index] != '"' {
            if chars[*index] == '\\' {
                *index += 1;
            }
            if let Some(c) = chars.get(*index) {
                text.push(*c);
            }
            *index += 1;
        }
        *index += 1;
        text
    };
    while index < chars.len() {
        if chars[index] != '"' {
            index += 1;
            continue;
        }
        let text = read_string(&mut index);
        let mut next = index;
        while chars.get(next).is_some_and(|c| c.is_whitespace()) {
            next += 1;
        }
        if chars.get(next) == Some(&':') {
            let mut value = next + 1;
            while chars.get(value).is_some_and(|c| c.is_whitespace()) {
                value += 1;
            }
            if text == "type" && chars.get(value) == Some(&'"') {
                let mut at = value;
                let kind = read_string(&mut at);
                out.push(format!("type={kind}"));
                index = at;
            } else {
                out.push(text);
            }
        }
    }
    out
}

/// The shapes of every stdout line.
pub(crate) fn shapes(stdout: &str) -> Vec<Vec<String>> {
    stdout.lines().map(shape).collect()
}

/// A throwaway HOME and work dir for one CLI.
pub(crate) struct Place {
    /// The HOME.
    pub home: PathBuf,
    /// The cwd (a git repository).
    pub cwd: PathBuf,
}

impl Place {
    /// Makes `<root>/<name>/home` and `<root>/<name>/work` (with `.git`).
    pub fn new(root: &Path, name: &str) -> Place {
        let home = root.join(name).join("home");
        let cwd = root.join(name).join("work");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::create_dir_all(cwd.join(".git")).expect("work");
        Place { home, cwd }
    }
}

/// Runs `codex exec` (real) against `server`, no retries.
fn real(codex: &Path, place: &Place, server: &ResponsesServer, args: &[&str]) -> Call {
    let mut all = vec!["exec".to_string()];
    all.extend(server.codex_config_args());
    all.extend(args.iter().map(|arg| (*arg).to_string()));
    run_in(
        codex,
        &place.home,
        &place.cwd,
        &[("FAKE_KEY", "sk-test".to_string())],
        &all,
    )
}

/// Runs `fake-codex exec` with the same options and this script.
fn fake(place: &Place, server: &ResponsesServer, script: &Value, args: &[&str]) -> Call {
    let script_path = place.home.join("script.json");
    std::fs::write(&script_path, script.to_string()).expect("write script");
    let mut state = script_path.clone().into_os_string();
    state.push(".state");
    let _ = std::fs::remove_file(state);
    let mut all = vec!["exec".to_string()];
    all.extend(server.codex_config_args());
    all.extend(args.iter().map(|arg| (*arg).to_string()));
    run_in(
        &fake_codex_bin(),
        &place.home,
        &place.cwd,
        &[
            ("FAKE_KEY", "sk-test".to_string()),
            ("FAKE_CODEX_SCRIPT", script_path.display().to_string()),
        ],
        &all,
    )
}

/// Returns the rollout of `thread_id` under `home/.codex/sessions`.
pub(crate) fn rollout(home: &Path, thread_id: &str) -> Option<PathBuf> {
    walkdir::WalkDir::new(home.join(".codex/sessions"))
        .into_iter()
        .filter_map(Result::ok)
        .map(|entry| entry.path().to_path_buf())
        .find(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| {
                    name.starts_with("rollout-") && name.ends_with(&format!("-{thread_id}.jsonl"))
                })
        })
}

const BASE: &[&str] = &["--json", "--skip-git-repo-check", "-m", "gpt-5.5"];

fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    BASE.iter().copied().chain(extra.iter().copied()).collect()
}

#[test]
fn new_thread_resume_keeps_the_id_and_usage_is_cumulative() {
    let Some(codex) = real_codex() else { return };
    let env = TestEnv::new();
    let place = Place::new(env.temp.path(), "real");
    let server = ResponsesServer::start();
    let first = real(&codex, &place, &server, &with(&["hello"]));
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let lines = first.lines();
    assert_eq!(lines[0]["type"], "thread.started");
    let thread = lines[0]["thread_id"]
        .as_str()
        .expect("thread id")
        .to_string();
    assert_eq!(
        first.last("turn.completed")["usage"],
        json!({"input_tokens": 11, "cached_input_tokens": 3, "cache_write_input_tokens": 0, "output_tokens": 2, "reasoning_output_tokens": 0})
    );
    assert!(
        rollout(&place.home, &thread).is_some(),
        "no rollout for {thread}"
    );
    let request = server.responses_requests().pop().expect("a request");
    assert_eq!(request.thread_id(), Some(thread.as_str()));
    assert_eq!(request.header("authorization"), Some("Bearer sk-test"));

    server.push_with_usage(
        Reply::Echo,
        Usage {
            input: 100,
            cached: 10,
            output: 5,
            reasoning: 1,
        },
    );
    let second = real(
        &codex,
        &place,
        &server,
        &with(&["resume", &thread, "second"]),
    );
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(second.lines()[0]["thread_id"], thread.as_str());
    assert_eq!(
        second.last("turn.completed")["usage"],
        json!({"input_tokens": 111, "cached_input_tokens": 13, "cache_write_input_tokens": 0, "output_tokens": 7, "reasoning_output_tokens": 1})
    );
    let request = server.responses_requests().pop().expect("a request");
    assert_eq!(request.user_texts(), vec!["hello", "second"]);
    assert_eq!(
        request.assistant_texts(),
        vec!["FAKE-REPLY turn=1 last_user=hello"]
    );
    assert_eq!(
        second.last("item.completed")["item"]["text"],
        "FAKE-REPLY turn=2 last_user=second"
    );
}

#[test]
fn api_errors_fail_the_turn_with_exit_1() {
    let Some(codex) = real_codex() else { return };
    let env = TestEnv::new();
    let place = Place::new(env.temp.path(), "real");
    let server = ResponsesServer::start();
    server.push(Reply::error(500));
    let call = real(&codex, &place, &server, &with(&["boom"]));
    assert_eq!(call.code, Some(1), "{}", call.stderr);
    assert_eq!(
        call.last("turn.failed")["error"]["message"],
        "We’re currently experiencing high demand, which may cause temporary errors."
    );
    server.push(Reply::error(401));
    let call = real(&codex, &place, &server, &with(&["boom"]));
    assert_eq!(call.code, Some(1));
    assert_eq!(
        call.last("turn.failed")["error"]["message"],
        format!(
            "unexpected status 401 Unauthorized: fake 401, url: {}/responses",
            server.url()
        )
    );
    // With retries off, one request per call.
    assert_eq!(server.responses_requests().len(), 2);
}

/// The same scenarios against the real CLI and the fake: same line shapes,
/// exit codes and messages.
#[test]
fn fake_codex_matches_the_real_cli() {
    let Some(codex) = real_codex() else { return };
    let env = TestEnv::new();
    let real_place = Place::new(env.temp.path(), "real");
    let fake_place = Place::new(env.temp.path(), "fake");
    let server = ResponsesServer::start();
    let compare = |label: &str, real_call: &Call, fake_call: &Call| {
        assert_eq!(
            real_call.code, fake_call.code,
            "{label}: exit codes\nreal: {real_call:?}\nfake: {fake_call:?}"
        );
        assert_eq!(
            shapes(&real_call.stdout),
            shapes(&fake_call.stdout),
            "{label}: shapes\nreal:\n{}\nfake:\n{}",
            real_call.stdout,
            fake_call.stdout
        );
    };

    // A new thread with an unknown model name, then a known one.
    let args = ["--json", "--skip-git-repo-check", "-m", "fake-model", "hi"];
    let real_call = real(&codex, &real_place, &server, &args);
    let fake_call = fake(&fake_place, &server, &json!([]), &args);
    compare("unknown model", &real_call, &fake_call);
    let real_call = real(&codex, &real_place, &server, &with(&["hello"]));
    let fake_call = fake(&fake_place, &server, &json!([]), &with(&["hello"]));
    compare("new thread", &real_call, &fake_call);
    assert_eq!(
        real_call.last("item.completed")["item"]["text"],
        fake_call.last("item.completed")["item"]["text"]
    );

    // Resume: same id, cumulative usage.
    let real_id = real_call.lines()[0]["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    let fake_id = fake_call.lines()[0]["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    let real_call = real(
        &codex,
        &real_place,
        &server,
        &with(&["resume", &real_id, "again"]),
    );
    let fake_call = fake(
        &fake_place,
        &server,
        &json!([]),
        &with(&["resume", &fake_id, "again"]),
    );
    compare("resume", &real_call, &fake_call);
    assert_eq!(
        real_call.last("turn.completed"),
        fake_call.last("turn.completed")
    );
    assert_eq!(fake_call.lines()[0]["thread_id"], fake_id.as_str());
    assert!(rollout(&fake_place.home, &fake_id).is_some());

    // Resuming with another model: a warning item.
    let args = [
        "--json",
        "--skip-git-repo-check",
        "resume",
        &real_id,
        "other model",
    ];
    let real_call = real(&codex, &real_place, &server, &args);
    let args = [
        "--json",
        "--skip-git-repo-check",
        "resume",
        &fake_id,
        "other model",
    ];
    let fake_call = fake(&fake_place, &server, &json!([]), &args);
    compare("resume with another model", &real_call, &fake_call);
    assert_eq!(real_call.lines()[1], fake_call.lines()[1]);

    // API errors: same messages.
    for status in [500u16, 429, 401] {
        server.push(Reply::error(status));
        let real_call = real(&codex, &real_place, &server, &with(&["boom"]));
        let fake_call = fake(
            &fake_place,
            &server,
            &json!([{"kind": "api_error", "status": status}]),
            &with(&["boom"]),
        );
        compare(&format!("api error {status}"), &real_call, &fake_call);
        assert_eq!(
            real_call.last("turn.failed"),
            fake_call.last("turn.failed"),
            "{status}"
        );
    }

    // A command under workspace-write; a denied patch under read-only.
    server
        .push(Reply::exec("echo written"))
        .push(Reply::text("DONE"));
    let args = with(&["-s", "workspace-write", "run it"]);
    let real_call = real(&codex, &real_place, &server, &args);
    let script =
        json!([{"reply": "DONE", "commands": [{"cmd": "echo written", "output": "written\n"}]}]);
    let fake_call = fake(&fake_place, &server, &script, &args);
    compare("command", &real_call, &fake_call);
    assert_eq!(
        real_call.last("turn.completed"),
        fake_call.last("turn.completed")
    );

    server
        .push(Reply::add_file("hello.txt", "hello"))
        .push(Reply::text("DONE"));
    let args = with(&["-s", "read-only", "patch it"]);
    let real_call = real(&codex, &real_place, &server, &args);
    let script =
        json!([{"reply": "DONE", "write": {"file_path": "hello.txt", "content": "hello\n"}}]);
    let fake_call = fake(&fake_place, &server, &script, &args);
    compare("denied patch", &real_call, &fake_call);
    for call in [&real_call, &fake_call] {
        assert!(
            call.stderr.contains("error=patch rejected: writing is blocked by read-only sandbox; rejected by user approval settings"),
            "{}",
            call.stderr
        );
    }
    assert!(!real_place.cwd.join("hello.txt").exists());
    assert!(!fake_place.cwd.join("hello.txt").exists());

    server
        .push(Reply::add_file("hello.txt", "hello"))
        .push(Reply::text("DONE"));
    let args = with(&["-s", "workspace-write", "patch it"]);
    let real_call = real(&codex, &real_place, &server, &args);
    let fake_call = fake(&fake_place, &server, &script, &args);
    compare("allowed patch", &real_call, &fake_call);
    assert!(real_place.cwd.join("hello.txt").is_file());
    assert!(fake_place.cwd.join("hello.txt").is_file());
}

/// Argument and session errors: same exit code, stdout and stderr.
#[test]
fn codex_argument_errors_match_the_fake() {
    let Some(codex) = real_codex() else { return };
    let env = TestEnv::new();
    let place = Place::new(env.temp.path(), "both");
    let server = ResponsesServer::start();
    let cases: Vec<Vec<&str>> = vec![
        with(&["resume", "00000000-0000-4000-8000-000000000000", "x"]),
        with(&["resume", "-s", "workspace-write", "x"]),
        with(&["--bogus", "x"]),
        with(&["-s", "bogus", "x"]),
        vec!["--json", "-m", "gpt-5.5", "not a repo"],
        with(&[]),
    ];
    let outside = env.temp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    for args in cases {
        let cwd = if args.contains(&"not a repo") {
            outside.clone()
        } else {
            place.cwd.clone()
        };
        let spot = Place {
            home: place.home.clone(),
            cwd,
        };
        let real_call = real(&codex, &spot, &server, &args);
        let fake_call = fake(&spot, &server, &json!([]), &args);
        assert_eq!(
            (
                real_call.code,
                real_call.stdout.as_str(),
                real_call.stderr.as_str()
            ),
            (
                fake_call.code,
                fake_call.stdout.as_str(),
                fake_call.stderr.as_str()
            ),
            "{args:?}"
        );
    }
    let real_call = run_in(
        &codex,
        &place.home,
        &place.cwd,
        &[],
        &["--version".to_string()],
    );
    let fake_call = run_in(
        &fake_codex_bin(),
        &place.home,
        &place.cwd,
        &[],
        &["--version".to_string()],
    );
    assert_eq!(real_call.stdout, fake_call.stdout);
    assert_eq!(real_call.stdout, "codex-cli 0.171.0\n");
}
