//! The fake `codex` (`testing/fake-codex.rs`) against the real CLI's
//! recorded samples in `tests/fixtures/agent-cli-samples/`: the same line
//! shapes (keys in order, `type` values), exit codes and messages, and the
//! thread semantics the README there describes. No real CLI needed.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::TestEnv;
use crate::real_codex::{Call, Place, fake_codex_bin, rollout, run_in, shapes};

/// Returns the text of a recorded sample.
pub(crate) fn sample(name: &str) -> String {
    let path = crate::common::repo_root()
        .join("tests/fixtures/agent-cli-samples")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read sample `{}`: {error}", path.display()))
}

struct Fake {
    _env: TestEnv,
    place: Place,
    script: PathBuf,
}

impl Fake {
    fn new() -> Fake {
        let env = TestEnv::new();
        let place = Place::new(env.temp.path(), "fake");
        let script = env.temp.path().join("script.json");
        std::fs::write(&script, "[]").unwrap();
        Fake {
            _env: env,
            place,
            script,
        }
    }

    fn script(&self, steps: &Value) {
        std::fs::write(&self.script, steps.to_string()).unwrap();
        let mut state = self.script.clone().into_os_string();
        state.push(".state");
        let _ = std::fs::remove_file(state);
    }

    fn run_in(&self, cwd: &Path, args: &[&str]) -> Call {
        let mut all = vec![
            "exec".to_string(),
            "-c".to_string(),
            "model_provider=fake".to_string(),
            "-c".to_string(),
            "model_providers.fake={name=\"fake\",base_url=\"http://127.0.0.1:9/v1\",env_key=\"FAKE_KEY\",wire_api=\"responses\"}".to_string(),
        ];
        all.extend(args.iter().map(|arg| (*arg).to_string()));
        run_in(
            &fake_codex_bin(),
            &self.place.home,
            cwd,
            &[
                ("FAKE_KEY", "k".to_string()),
                ("FAKE_CODEX_SCRIPT", self.script.display().to_string()),
            ],
            &all,
        )
    }

    fn run(&self, args: &[&str]) -> Call {
        self.run_in(&self.place.cwd, args)
    }
}

fn thread_of(call: &Call) -> String {
    call.lines()[0]["thread_id"].as_str().unwrap().to_string()
}

#[test]
fn new_and_resumed_threads_have_the_sample_shapes_and_cumulative_usage() {
    let fake = Fake::new();
    let args = ["--json", "--skip-git-repo-check", "-m", "fake-model"];
    let first = fake.run(&[&args[..], &["hello there"]].concat());
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert_eq!(shapes(&first.stdout), shapes(&sample("codex-c1.jsonl")));
    let thread = thread_of(&first);
    // UUIDv7, and the rollout at the real path pattern.
    assert_eq!(&thread[14..15], "7", "{thread}");
    let path = rollout(&fake.place.home, &thread).expect("rollout");
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.starts_with("rollout-20"), "{name}");

    fake.script(&json!([{"input_tokens": 100, "cached_input_tokens": 10, "output_tokens": 5, "reasoning_output_tokens": 1}]));
    let second = fake.run(&[&args[..], &["resume", &thread, "second prompt"]].concat());
    assert_eq!(shapes(&second.stdout), shapes(&sample("codex-c2.jsonl")));
    assert_eq!(thread_of(&second), thread);
    assert_eq!(
        second.last("turn.completed")["usage"],
        json!({"input_tokens": 111, "cached_input_tokens": 13, "cache_write_input_tokens": 0, "output_tokens": 7, "reasoning_output_tokens": 1})
    );
    assert_eq!(
        second.last("item.completed")["item"]["text"],
        "FAKE-REPLY turn=2 last_user=second prompt"
    );
    // Threads are not keyed by cwd.
    let elsewhere = fake.place.cwd.parent().unwrap().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let third = fake.run_in(
        &elsewhere,
        &[&args[..], &["resume", &thread, "third"]].concat(),
    );
    assert_eq!(thread_of(&third), thread);
    assert_eq!(third.last("turn.completed")["usage"]["input_tokens"], 122);

    // A known model has no metadata error item.
    let known = fake.run(&["--json", "--skip-git-repo-check", "-m", "gpt-5.5", "hi"]);
    assert_eq!(
        shapes(&known.stdout),
        shapes(&sample("codex-c14_gpt55.jsonl"))
    );
}

#[test]
fn errors_have_the_sample_shapes_and_texts() {
    let fake = Fake::new();
    let args = [
        "--json",
        "--skip-git-repo-check",
        "-m",
        "fake-model",
        "boom",
    ];
    fake.script(&json!([{"kind": "api_error", "status": 500}]));
    let call = fake.run(&args);
    let real = sample("codex-c12_500_noretry.jsonl");
    assert_eq!(call.code, Some(1));
    assert_eq!(shapes(&call.stdout), shapes(&real));
    assert_eq!(call.stdout.lines().last(), real.lines().last());

    fake.script(&json!([{"kind": "api_error", "status": 500, "retries": 5}]));
    let call = fake.run(&args);
    let real = sample("codex-c11_500.jsonl");
    assert_eq!(shapes(&call.stdout), shapes(&real));
    assert_eq!(
        call.stdout.lines().skip(3).collect::<Vec<_>>(),
        real.lines().skip(3).collect::<Vec<_>>()
    );

    fake.script(&json!([{"kind": "api_error", "status": 429}]));
    let call = fake.run(&args);
    let real = sample("codex-c_429_noretry.jsonl");
    assert_eq!(call.stdout.lines().last(), real.lines().last());

    fake.script(&json!([{"kind": "disconnected"}]));
    let call = fake.run(&args);
    let real = sample("codex-c24_closed_noretry.jsonl");
    assert_eq!(call.stdout.lines().last(), real.lines().last());

    fake.script(&json!([{"kind": "connection_refused", "sleep_secs": 0.3, "heartbeat_secs": 0.1}]));
    let call = fake.run(&args);
    assert!(
        call.stdout.contains(
            r#"{"type":"error","message":"Reconnecting... waiting for network (Connection failed: error sending request)"}"#
        ),
        "{}",
        call.stdout
    );

    let unknown = fake.run(&[
        "--json",
        "--skip-git-repo-check",
        "resume",
        "00000000-0000-4000-8000-000000000000",
        "x",
    ]);
    assert_eq!(unknown.code, Some(1));
    assert_eq!(unknown.stdout, "");
    assert_eq!(
        unknown.stderr.lines().last(),
        sample("codex-c4_unknown.stderr.txt").lines().last()
    );
    // A non-UUID id silently starts a new thread, as the real CLI does.
    let garbage = fake.run(&[
        "--json",
        "--skip-git-repo-check",
        "resume",
        "not-a-session",
        "x",
    ]);
    assert_eq!(garbage.code, Some(0));
    assert!(
        garbage.stdout.contains("turn=1 last_user=x"),
        "{}",
        garbage.stdout
    );
}

#[test]
fn tools_and_denials_have_the_sample_shapes() {
    let fake = Fake::new();
    let args = |mode: &'static str| {
        [
            "--json",
            "--skip-git-repo-check",
            "-m",
            "gpt-5.5",
            "-s",
            mode,
            "do a tool",
        ]
    };
    let command = json!([{"reply": "DONE-AFTER-TOOL", "commands": [{"cmd": "echo hi > out.txt; echo written", "output": "written\n"}]}]);
    fake.script(&command);
    let call = fake.run(&args("workspace-write"));
    let real = sample("codex-c15_exec_workspace-write.jsonl");
    let real_thread = real
        .lines()
        .next()
        .and_then(|line| serde_json::from_str::<Value>(line).ok())
        .unwrap()["thread_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        call.stdout.replace(&thread_of(&call), "T"),
        real.replace(&real_thread, "T")
    );

    fake.script(&json!([{"reply": "DONE-AFTER-TOOL", "commands": [{"cmd": "echo out; false", "output": "out\n", "exit_code": 1}]}]));
    let call = fake.run(&args("read-only"));
    assert_eq!(
        shapes(&call.stdout),
        shapes(&sample("codex-c20_false_ro.jsonl"))
    );
    assert_eq!(call.lines()[3]["item"]["status"], "failed");

    // Denied: no item at all.
    fake.script(&json!([{"reply": "DONE-AFTER-TOOL", "commands": [{"cmd": "touch out.txt", "writes": true}]}]));
    let call = fake.run(&args("read-only"));
    assert_eq!(
        shapes(&call.stdout),
        shapes(&sample("codex-c16_touch_ro.jsonl"))
    );
    fake.script(&json!([{"reply": "DONE-AFTER-TOOL", "commands": [{"cmd": "touch out.txt", "escalate": true}]}]));
    let call = fake.run(&args("read-only"));
    assert_eq!(
        shapes(&call.stdout),
        shapes(&sample("codex-c17_escalate_ro.jsonl"))
    );
    let tail = |text: &str| {
        text.lines()
            .last()
            .unwrap_or_default()
            .split_once(" ERROR ")
            .map(|(_, rest)| rest.to_string())
    };
    assert_eq!(
        tail(&call.stderr),
        tail(&sample("codex-c17_escalate_ro.stderr.txt"))
    );

    let patch = json!([{"reply": "DONE-AFTER-TOOL", "write": {"file_path": "hello.txt", "content": "hello\n"}}]);
    fake.script(&patch);
    let call = fake.run(&args("read-only"));
    assert_eq!(
        shapes(&call.stdout),
        shapes(&sample("codex-c18_patch_ro.jsonl"))
    );
    assert_eq!(
        tail(&call.stderr),
        tail(&sample("codex-c18_patch_ro.stderr.txt"))
    );
    assert!(!fake.place.cwd.join("hello.txt").exists());
    fake.script(&patch);
    let call = fake.run(&args("workspace-write"));
    assert_eq!(
        shapes(&call.stdout),
        shapes(&sample("codex-c19_patch_ww.jsonl"))
    );
    assert_eq!(
        std::fs::read_to_string(fake.place.cwd.join("hello.txt")).unwrap(),
        "hello\n"
    );
}

#[test]
fn a_killed_turn_stays_resumable_and_options_are_checked() {
    let fake = Fake::new();
    let args = ["--json", "--skip-git-repo-check", "-m", "gpt-5.5"];
    fake.script(&json!([{"signal": "SIGKILL"}]));
    let killed = fake.run(&[&args[..], &["first turn to be killed"]].concat());
    assert_eq!(killed.code, None);
    assert_eq!(
        shapes(&killed.stdout),
        shapes(&sample("codex-c27_killed_term.jsonl"))
    );
    let thread = thread_of(&killed);
    let text = std::fs::read_to_string(rollout(&fake.place.home, &thread).unwrap()).unwrap();
    assert!(text.contains("first turn to be killed"));
    let resumed = fake.run(&[&args[..], &["resume", &thread, "after kill"]].concat());
    assert_eq!(
        resumed.last("item.completed")["item"]["text"],
        "FAKE-REPLY turn=2 last_user=after kill"
    );

    // Model and sandbox are not kept: resuming without `-m` warns.
    let other = fake.run(&[
        "--json",
        "--skip-git-repo-check",
        "resume",
        &thread,
        "which model",
    ]);
    assert_eq!(
        other.stdout.lines().nth(1),
        sample("codex-c32_resume_nomodel.jsonl").lines().nth(1)
    );

    let bad = fake.run(&["--json", "resume", "-s", "workspace-write", "x"]);
    assert_eq!(bad.code, Some(2));
    let expected = sample("codex-c30_resume_sandbox_after.stderr.txt");
    assert_eq!(
        bad.stderr.lines().skip(1).collect::<Vec<_>>(),
        expected.lines().skip(1).collect::<Vec<_>>()
    );
    let version = run_in(
        &fake_codex_bin(),
        &fake.place.home,
        &fake.place.cwd,
        &[],
        &["--version".to_string()],
    );
    assert_eq!(version.stdout, sample("codex-cv.txt"));
}
