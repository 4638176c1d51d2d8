//! Contract tests with the REAL Gemini CLI 0.61.0 (path in
//! `NEXUS_TEST_REAL_GEMINI`, exported by `.ci/run`), run offline against
//! the fake Gemini API (`common/gemini_server.rs`) with a throwaway HOME
//! whose `.gemini/settings.json` selects API-key auth and one attempt per
//! request, and `TMPDIR` inside the test's temp dir (the CLI writes error
//! reports there). They pin the facts recorded in
//! `tests/fixtures/agent-cli-samples/README.md`, and run the same scenarios
//! against `fake-gemini` to check that the double has the real event
//! shapes (every line's keys in order and its `type` values), exit codes
//! and messages. Without the variable they fail in CI (`CI` set) and are
//! skipped locally.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::TestEnv;
use crate::common::gemini_server::{GeminiRequest, GeminiServer, Reply, Usage};
use crate::real_codex::{Call, Place, run_in, shapes};

/// Returns the real CLI, or None (after a note) when it is not available.
#[expect(clippy::print_stderr, reason = "the skip note is for the developer")]
pub(crate) fn real_gemini() -> Option<PathBuf> {
    match std::env::var_os("NEXUS_TEST_REAL_GEMINI") {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var_os("CI").is_some() => {
            panic!("NEXUS_TEST_REAL_GEMINI is unset in CI: run the tests through `.ci/run`")
        }
        None => {
            eprintln!("skipped: NEXUS_TEST_REAL_GEMINI is unset (`.ci/run` sets it)");
            None
        }
    }
}

/// Returns the path of the built fake `gemini`.
pub(crate) fn fake_gemini_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fake-gemini"))
}

/// The settings that make headless runs work offline.
pub(crate) const SETTINGS: &str =
    r#"{"security":{"auth":{"selectedType":"gemini-api-key"}},"general":{"maxAttempts":1}}"#;

/// Makes a place whose HOME has the headless settings.
pub(crate) fn gemini_place(root: &Path, name: &str) -> Place {
    let place = Place::new(root, name);
    std::fs::create_dir_all(place.home.join(".gemini")).unwrap();
    std::fs::write(place.home.join(".gemini/settings.json"), SETTINGS).unwrap();
    std::fs::create_dir_all(place.home.join("tmp")).unwrap();
    place
}

/// Runs `program` (real or fake gemini) against `server` in `place`.
pub(crate) fn gemini(
    program: &Path,
    place: &Place,
    server_url: &str,
    extra_env: &[(&str, String)],
    args: &[&str],
) -> Call {
    let mut env = vec![
        ("GOOGLE_GEMINI_BASE_URL", server_url.to_string()),
        ("GEMINI_API_KEY", "test-key".to_string()),
        ("TMPDIR", place.home.join("tmp").display().to_string()),
    ];
    env.extend(extra_env.iter().cloned());
    let args: Vec<String> = args.iter().map(|arg| (*arg).to_string()).collect();
    run_in(program, &place.home, &place.cwd, &env, &args)
}

/// Runs the fake with this script (written beside the HOME).
fn fake(place: &Place, server_url: &str, script: &Value, args: &[&str]) -> Call {
    let path = place.home.join("script.json");
    std::fs::write(&path, script.to_string()).unwrap();
    let mut state = path.clone().into_os_string();
    state.push(".state");
    let _ = std::fs::remove_file(state);
    gemini(
        &fake_gemini_bin(),
        place,
        server_url,
        &[("FAKE_GEMINI_SCRIPT", path.display().to_string())],
        args,
    )
}

/// Returns the session file of `id` begun in `cwd` (via `projects.json`).
pub(crate) fn session_file(home: &Path, cwd: &Path, id: &str) -> Option<PathBuf> {
    let projects: Value =
        serde_json::from_str(&std::fs::read_to_string(home.join(".gemini/projects.json")).ok()?)
            .ok()?;
    let short = projects["projects"][cwd.display().to_string()].as_str()?;
    let chats = home.join(".gemini/tmp").join(short).join("chats");
    std::fs::read_dir(chats)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|text| text.lines().next().map(str::to_string))
                .and_then(|line| serde_json::from_str::<Value>(&line).ok())
                .is_some_and(|line| line["sessionId"] == id)
        })
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
fn session_resume_and_usage_per_call() {
    let Some(program) = real_gemini() else { return };
    let env = TestEnv::new();
    let place = gemini_place(env.temp.path(), "real");
    let server = GeminiServer::start();
    let first = gemini(
        &program,
        &place,
        &server.url(),
        &[],
        &with(&["-p", "hello"]),
    );
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let init = first.last("init");
    let id = init["session_id"].as_str().unwrap().to_string();
    assert_eq!(init["model"], "gemini-2.5-flash");
    let result = first.last("result");
    assert_eq!(result["status"], "success");
    assert_eq!(result["stats"]["input_tokens"], 5);
    let file = session_file(&place.home, &place.cwd, &id).expect("session file");
    let name = file.file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.ends_with(&format!("-{}.jsonl", &id[..8])), "{name}");
    let request = server.model_requests().pop().unwrap();
    assert_eq!(request.path_model().as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(request.header("x-goog-api-key"), Some("test-key"));

    server.push_with_usage(
        Reply::Echo,
        Usage {
            prompt: 50,
            candidates: 4,
        },
    );
    let second = gemini(
        &program,
        &place,
        &server.url(),
        &[],
        &with(&["-p", "second", "--resume", &id]),
    );
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    assert_eq!(second.last("init")["session_id"], id.as_str());
    // Per call, not cumulative.
    assert_eq!(second.last("result")["stats"]["input_tokens"], 50);
    assert_eq!(second.last("result")["stats"]["total_tokens"], 54);
    let request = server.model_requests().pop().unwrap();
    assert_eq!(request.prompts(), vec!["hello", "second"]);
    assert_eq!(request.model_texts().len(), 1);

    // A preset id; reusing it is an error (exit 42).
    let preset = "11111111-2222-4333-8444-555555555555";
    let third = gemini(
        &program,
        &place,
        &server.url(),
        &[],
        &with(&["-p", "x", "--session-id", preset]),
    );
    assert_eq!(third.last("init")["session_id"], preset);
    let again = gemini(
        &program,
        &place,
        &server.url(),
        &[],
        &with(&["-p", "x", "--session-id", preset]),
    );
    assert_eq!(again.code, Some(42));
    assert_eq!(again.stdout, "");
}

#[test]
fn api_errors_exit_with_the_status_mod_256() {
    let Some(program) = real_gemini() else { return };
    let env = TestEnv::new();
    let place = gemini_place(env.temp.path(), "real");
    let server = GeminiServer::start();
    for (status, code) in [(500u16, 244), (429, 173)] {
        server.push(Reply::error(status));
        let call = gemini(&program, &place, &server.url(), &[], &with(&["-p", "boom"]));
        assert_eq!(call.code, Some(code), "{status}: {}", call.stderr);
        let result = call.last("result");
        assert_eq!(result["status"], "error");
        assert!(
            result["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("fake {status}")),
            "{result}"
        );
    }
    assert_eq!(server.model_requests().len(), 2, "one attempt each");
}

/// The same scenarios against the real CLI and the fake: same line shapes,
/// exit codes and messages.
#[test]
fn fake_gemini_matches_the_real_cli() {
    let Some(program) = real_gemini() else { return };
    let env = TestEnv::new();
    let real_place = gemini_place(env.temp.path(), "real");
    let fake_place = gemini_place(env.temp.path(), "fake");
    let server = GeminiServer::start();
    let url = server.url();
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
    let same = json!({"model_version": "fake-model"});

    let args = with(&["-p", "hello"]);
    let real_call = gemini(&program, &real_place, &url, &[], &args);
    let fake_call = fake(&fake_place, &url, &json!([same]), &args);
    compare("new session", &real_call, &fake_call);
    let real_id = real_call.last("init")["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let fake_id = fake_call.last("init")["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(session_file(&fake_place.home, &fake_place.cwd, &fake_id).is_some());

    let real_call = gemini(
        &program,
        &real_place,
        &url,
        &[],
        &with(&["-p", "again", "--resume", &real_id]),
    );
    let fake_call = fake(
        &fake_place,
        &url,
        &json!([same]),
        &with(&["-p", "again", "--resume", &fake_id]),
    );
    compare("resume", &real_call, &fake_call);
    assert_eq!(fake_call.last("init")["session_id"], fake_id.as_str());

    // `-o json`: one pretty object, same keys in the same order.
    let args = [
        "-o",
        "json",
        "--skip-trust",
        "-m",
        "gemini-2.5-flash",
        "-p",
        "hi",
    ];
    let real_call = gemini(&program, &real_place, &url, &[], &args);
    let fake_call = fake(&fake_place, &url, &json!([same]), &args);
    assert_eq!(real_call.code, fake_call.code);
    assert_eq!(
        crate::real_codex::shape(&real_call.stdout),
        crate::real_codex::shape(&fake_call.stdout),
        "json\nreal: {}\nfake: {}",
        real_call.stdout,
        fake_call.stdout
    );

    // API errors.
    for status in [500u16, 429, 401] {
        server.push(Reply::error(status));
        let args = with(&["-p", "boom"]);
        let real_call = gemini(&program, &real_place, &url, &[], &args);
        let fake_call = fake(
            &fake_place,
            &url,
            &json!([{"kind": "api_error", "status": status}]),
            &args,
        );
        compare(&format!("api error {status}"), &real_call, &fake_call);
        assert_eq!(
            real_call.last("result")["error"],
            fake_call.last("result")["error"],
            "{status}"
        );
    }

    // A write denied in default mode, allowed in auto_edit.
    for mode in ["default", "auto_edit"] {
        server
            .push(Reply::write_file("hello.txt", "hi\n"))
            .push(Reply::text("DONE-AFTER-TOOL"));
        let args = with(&["-p", "write it", "--approval-mode", mode]);
        let real_call = gemini(&program, &real_place, &url, &[], &args);
        let script = json!([{"model_version": "fake-model", "reply": "DONE-AFTER-TOOL", "write": {"file_path": "hello.txt", "content": "hi\n"}}]);
        let fake_call = fake(&fake_place, &url, &script, &args);
        compare(&format!("write in {mode}"), &real_call, &fake_call);
        assert_eq!(
            real_call.last("tool_result")["error"],
            fake_call.last("tool_result")["error"],
            "{mode}"
        );
        assert_eq!(
            real_place.cwd.join("hello.txt").exists(),
            fake_place.cwd.join("hello.txt").exists(),
            "{mode}"
        );
    }

    // Session and start-up errors: same code, stdout and first stderr line.
    let unknown = "00000000-0000-4000-8000-000000000000";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (with(&["-p", "x", "--resume", unknown]), "with settings"),
        (
            vec!["-o", "stream-json", "-m", "gemini-2.5-flash", "-p", "x"],
            "untrusted",
        ),
        (with(&["-p", "x", "--bogus"]), "bad option"),
        (
            with(&["-p", "x", "--yolo", "--approval-mode", "default"]),
            "yolo and mode",
        ),
        (with(&["-p", ""]), "no input"),
    ];
    let first_error_line = |text: &str| {
        text.lines()
            .find(|line| {
                !line.starts_with("Warning: 256-color")
                    && !line.starts_with("Ripgrep")
                    && !line.starts_with("[STARTUP]")
            })
            .unwrap_or_default()
            .to_string()
    };
    for (args, label) in cases {
        let real_call = gemini(&program, &real_place, &url, &[], &args);
        let fake_call = fake(&fake_place, &url, &json!([]), &args);
        assert_eq!(
            (real_call.code, real_call.stdout.as_str()),
            (fake_call.code, fake_call.stdout.as_str()),
            "{label}"
        );
        assert_eq!(
            first_error_line(&real_call.stderr)
                .replace(&real_place.home.display().to_string(), "HOME"),
            first_error_line(&fake_call.stderr)
                .replace(&fake_place.home.display().to_string(), "HOME"),
            "{label}"
        );
    }
    // No settings: exit 41.
    for place in [&real_place, &fake_place] {
        std::fs::remove_file(place.home.join(".gemini/settings.json")).unwrap();
    }
    let args = with(&["-p", "x"]);
    let real_call = gemini(&program, &real_place, &url, &[], &args);
    let fake_call = fake(&fake_place, &url, &json!([]), &args);
    assert_eq!(real_call.code, Some(41));
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
        )
    );
    let version = |program: &Path| {
        run_in(
            program,
            &real_place.home,
            &real_place.cwd,
            &[],
            &["--version".to_string()],
        )
        .stdout
    };
    assert_eq!(version(&program), version(&fake_gemini_bin()));
}
