//! The fake `gemini` (`testing/fake-gemini.rs`) against the real CLI's
//! recorded samples in `tests/fixtures/agent-cli-samples/`: the same line
//! shapes (keys in order, `type` values), exit codes and messages, and the
//! session semantics the README there describes. No real CLI needed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::common::TestEnv;
use crate::fake_codex::sample;
use crate::real_codex::{Call, Place, shapes};
use crate::real_gemini::{fake_gemini_bin, gemini, gemini_place, session_file};

struct Fake {
    env: TestEnv,
    place: Place,
}

impl Fake {
    fn new() -> Fake {
        let env = TestEnv::new();
        let place = gemini_place(env.temp.path(), "fake");
        std::fs::write(place.home.join("script.json"), "[]").unwrap();
        Fake { env, place }
    }

    fn script(&self, steps: &Value) {
        let path = self.place.home.join("script.json");
        std::fs::write(&path, steps.to_string()).unwrap();
        let mut state = path.into_os_string();
        state.push(".state");
        let _ = std::fs::remove_file(state);
    }

    fn script_env(&self) -> Vec<(&'static str, String)> {
        vec![(
            "FAKE_GEMINI_SCRIPT",
            self.place.home.join("script.json").display().to_string(),
        )]
    }

    fn run_in(&self, place: &Place, args: &[&str]) -> Call {
        gemini(
            &fake_gemini_bin(),
            place,
            "http://127.0.0.1:9",
            &self.script_env(),
            args,
        )
    }

    fn run(&self, args: &[&str]) -> Call {
        self.run_in(&self.place, args)
    }
}

const BASE: &[&str] = &[
    "-o",
    "stream-json",
    "--skip-trust",
    "-m",
    "gemini-2.5-flash",
];

fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    BASE.iter().copied().chain(extra.iter().copied()).collect()
}

#[test]
fn sessions_have_the_sample_shapes_and_live_per_cwd() {
    let fake = Fake::new();
    fake.script(&json!([{"model_version": "fake-model", "repeat": true}]));
    let first = fake.run(&with(&["-p", "hello"]));
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert_eq!(
        shapes(&first.stdout),
        shapes(&sample("gemini-g5_new_model.jsonl"))
    );
    assert!(
        first
            .stderr
            .starts_with("Warning: 256-color support not detected.")
    );
    let id = first.last("init")["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let file = session_file(&fake.place.home, &fake.place.cwd, &id).expect("session file");
    let header: Value = serde_json::from_str(
        std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let real_header: Value =
        serde_json::from_str(sample("gemini-g5-g6-session.jsonl").lines().next().unwrap()).unwrap();
    let keys = |value: &Value| {
        value
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&header), keys(&real_header));

    fake.script(&json!([{"model_version": "fake-model", "input_tokens": 50, "output_tokens": 4}]));
    let second = fake.run(&with(&["-p", "second", "--resume", &id]));
    assert_eq!(
        shapes(&second.stdout),
        shapes(&sample("gemini-g6_resume.jsonl"))
    );
    assert_eq!(second.last("init")["session_id"], id.as_str());
    assert_eq!(second.last("result")["stats"]["total_tokens"], 54);
    assert_eq!(
        second.last("message")["content"],
        "FAKE-REPLY turn=2 last_user=second"
    );

    // Another cwd has no sessions: exit 42, as the real CLI.
    let other = gemini_place(fake.env.temp.path(), "other");
    let elsewhere = Place {
        home: fake.place.home.clone(),
        cwd: other.cwd,
    };
    let call = fake.run_in(&elsewhere, &with(&["-p", "x", "--resume", &id]));
    assert_eq!(call.code, Some(42));
    assert_eq!(
        call.stderr.trim_end(),
        sample("gemini-g7_resume_other_cwd.stderr.txt").trim_end()
    );
    // Preset ids; reuse is an error.
    let preset = "11111111-2222-4333-8444-555555555555";
    let call = fake.run(&with(&["-p", "x", "--session-id", preset]));
    assert_eq!(call.last("init")["session_id"], preset);
    let call = fake.run(&with(&["-p", "x", "--session-id", preset]));
    assert_eq!(call.code, Some(42));
    assert_eq!(
        call.stderr.trim_end(),
        sample("gemini-g11_session_id_reuse.stderr.txt").trim_end()
    );
}

#[test]
fn errors_and_tools_have_the_sample_shapes() {
    let fake = Fake::new();
    for (status, name, code) in [
        (500, "gemini-g_500_stream_noretry.jsonl", 244),
        (429, "gemini-g_429_stream_noretry.jsonl", 173),
        (401, "gemini-g_401_stream_noretry.jsonl", 145),
        (404, "gemini-g_404_stream_noretry.jsonl", 1),
    ] {
        fake.script(&json!([{"kind": "api_error", "status": status}]));
        let call = fake.run(&with(&["-p", "boom"]));
        let real = sample(name);
        assert_eq!(call.code, Some(code), "{status}");
        assert_eq!(shapes(&call.stdout), shapes(&real), "{status}");
        let error = |text: &str| {
            let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
            last["error"].clone()
        };
        assert_eq!(error(&call.stdout), error(&real), "{status}");
    }
    fake.script(&json!([{"kind": "connection_refused"}]));
    let call = fake.run(&with(&["-p", "boom"]));
    assert_eq!(call.code, Some(1));
    assert_eq!(
        call.last("result")["error"]["message"],
        "[API Error: exception TypeError: fetch failed sending request]"
    );

    let write = json!([{"model_version": "fake-model", "reply": "DONE-AFTER-TOOL", "write": {"file_path": "hello.txt", "content": "hi\n"}}]);
    for (mode, name) in [
        ("default", "gemini-g17_write_default.jsonl"),
        ("auto_edit", "gemini-g18_write_auto_edit.jsonl"),
        ("yolo", "gemini-g19_write_yolo.jsonl"),
    ] {
        let _ = std::fs::remove_file(fake.place.cwd.join("hello.txt"));
        fake.script(&write);
        let call = fake.run(&with(&["-p", "do a tool", "--approval-mode", mode]));
        let real = sample(name);
        assert_eq!(shapes(&call.stdout), shapes(&real), "{mode}");
        let result = |text: &str| {
            let line: Value = serde_json::from_str(text.lines().nth(3).unwrap()).unwrap();
            (line["status"].clone(), line["error"].clone())
        };
        assert_eq!(result(&call.stdout), result(&real), "{mode}");
        assert_eq!(fake.place.cwd.join("hello.txt").exists(), mode != "default");
    }

    // The turn limit from settings: exit 53.
    std::fs::write(
        fake.place.home.join(".gemini/settings.json"),
        r#"{"security":{"auth":{"selectedType":"gemini-api-key"}},"model":{"maxSessionTurns":1}}"#,
    )
    .unwrap();
    fake.script(&json!([{"model_version": "fake-model", "tools": [{"name": "read_file", "args": {"file_path": "nothing.txt"}, "error": "File not found."}]}]));
    let call = fake.run(&with(&["-p", "x"]));
    assert_eq!(call.code, Some(53));
    assert_eq!(
        call.last("result")["error"],
        json!({"type": "FatalTurnLimitedError", "message": "Reached max session turns for this session. Increase the number of turns by specifying maxSessionTurns in settings.json."})
    );
}

#[test]
fn formats_traps_and_sigterm() {
    let fake = Fake::new();
    fake.script(&json!([{"model_version": "fake-model", "repeat": true}]));
    let args = [
        "-o",
        "json",
        "--skip-trust",
        "-m",
        "gemini-2.5-flash",
        "-p",
        "x",
    ];
    let call = fake.run(&args);
    assert_eq!(
        crate::real_codex::shape(&call.stdout),
        crate::real_codex::shape(&sample("gemini-g14_json_new.json"))
    );
    assert!(!call.stdout.ends_with('\n'));
    fake.script(&json!([{"kind": "api_error", "status": 500}]));
    let call = fake.run(&args);
    assert_eq!((call.code, call.stdout.as_str()), (Some(244), ""));
    let json_start = call.stderr.find("{\n").unwrap();
    assert_eq!(
        crate::real_codex::shape(&call.stderr[json_start..]),
        crate::real_codex::shape(
            &sample("gemini-g_500_json_noretry.stderr.txt")
                .split_once("}\n{")
                .map(|(_, rest)| format!("{{{rest}"))
                .unwrap_or_default()
        )
    );

    // Untrusted, then no auth settings.
    let call = fake.run(&["-o", "stream-json", "-m", "m", "-p", "x"]);
    assert_eq!(call.code, Some(55));
    assert_eq!(
        call.stderr,
        sample("gemini-g3_settings_untrusted.stderr.txt")
    );
    std::fs::remove_file(fake.place.home.join(".gemini/settings.json")).unwrap();
    let call = fake.run(&with(&["-p", "x"]));
    assert_eq!(
        (call.code, call.stderr.as_str()),
        (Some(41), "Invalid auth method selected.\n")
    );

    // SIGTERM mid-turn: exit 0 and no result line, as the real CLI.
    std::fs::write(
        fake.place.home.join(".gemini/settings.json"),
        crate::real_gemini::SETTINGS,
    )
    .unwrap();
    fake.script(&json!([{"sleep_secs": 60}]));
    let mut child = Command::new(fake_gemini_bin())
        .env_clear()
        .env("HOME", &fake.place.home)
        .env("GEMINI_API_KEY", "k")
        .envs(fake.script_env())
        .current_dir(&fake.place.cwd)
        .args(with(&["-p", "to be killed"]))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        lines.push(line);
    }
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGTERM) };
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(rest, "");
    assert!(lines[0].contains("\"type\":\"init\""));
}
