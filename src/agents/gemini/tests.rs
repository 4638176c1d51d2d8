//! Unit tests of the Gemini CLI backend.

use super::*;
use crate::agents::backend::SessionMode;
use crate::agents::testing;

fn sample(name: &str) -> String {
    testing::sample("agent-cli-samples", name)
}

fn interpret(code: Option<i32>, stdout: &str, stderr: &str) -> TurnOutput {
    testing::interpret(&Gemini, &TurnContext::default(), code, stdout, stderr)
}

/// Interprets the sample turn `name`: its stdout (none for a call that
/// printed nothing there) and stderr.
fn run(name: &str, code: i32) -> TurnOutput {
    let stdout = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/agent-cli-samples")
            .join(format!("gemini-{name}.jsonl")),
    )
    .unwrap_or_default();
    interpret(
        Some(code),
        &stdout,
        &sample(&format!("gemini-{name}.stderr.txt")),
    )
}

#[test]
fn new_and_resumed_sessions_succeed_with_per_call_usage() {
    let new = run("g5_new_model", 0);
    assert_eq!(new.outcome, Outcome::Success, "{:?}", new.reason);
    assert_eq!(
        new.session_id.as_deref(),
        Some("cb0187e2-5df3-476d-89b6-0fb949fba707")
    );
    assert_eq!(new.reply, "FAKE-REPLY turn=2 last_user=hello");
    assert_eq!(new.model.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!((new.usage.input_tokens, new.usage.output_tokens), (5, 2));
    assert_eq!(new.reported_cost, None);
    assert_eq!(new.cumulative, None, "usage is per call");
    let resumed = run("g6_resume", 0);
    assert_eq!(resumed.session_id, new.session_id);
    assert_eq!(resumed.usage.input_tokens, 50);
    assert_eq!(resumed.reply, "SECOND");
}

#[test]
fn exit_codes_are_classified() {
    for (name, code, status) in [
        ("g_500_stream_noretry", 244, Some(500)),
        ("g_429_stream_noretry", 173, Some(429)),
        ("g_401_stream_noretry", 145, Some(401)),
        ("g_400_stream_noretry", 144, Some(400)),
        ("g_404_stream_noretry", 1, None),
        ("g28_refused_noretry", 1, None),
    ] {
        let output = run(name, code);
        assert_eq!(output.outcome, Outcome::ApiError, "{name}");
        assert_eq!(output.api_error_status, status, "{name}");
    }
    let auth = run("g1_no_settings", 41);
    assert_eq!(auth.outcome, Outcome::AuthFailed);
    assert!(auth.reason.unwrap().contains("doctor"));
    let untrusted = run("g3_settings_untrusted", 55);
    assert_eq!(untrusted.outcome, Outcome::AuthFailed);
    assert!(untrusted.reason.unwrap().contains("trust_workspace"));
    for name in [
        "g8_resume_unknown",
        "g7_resume_other_cwd",
        "g9_resume_garbage",
    ] {
        assert_eq!(run(name, 42).outcome, Outcome::SessionNotFound, "{name}");
    }
    assert_eq!(
        run("g11_session_id_reuse", 42).outcome,
        Outcome::SessionInUse
    );
    assert_eq!(run("g25_no_prompt_null", 42).outcome, Outcome::BadArguments);
    assert_eq!(run("g31_max_turns", 53).outcome, Outcome::MaxTurns);
    for name in [
        "g38_bogus_option",
        "g39_bad_format",
        "g40_bad_approval",
        "g41_yolo_and_mode",
        "g13_session_id_and_resume",
    ] {
        assert_eq!(run(name, 1).outcome, Outcome::BadArguments, "{name}");
    }
    let killed = run("g33_killed_term_node", 0);
    assert_eq!(killed.outcome, Outcome::Killed, "exit 0 without a result");
    assert_eq!(
        killed.session_id.as_deref(),
        Some("44444444-2222-4333-8444-555555555555")
    );
    assert_eq!(interpret(Some(139), "", "").outcome, Outcome::Crashed);
}

#[test]
fn tools_not_offered_are_permission_denials() {
    let denied = run("g17_write_default", 0);
    assert_eq!(denied.outcome, Outcome::PermissionDenied);
    assert_eq!(denied.permission_denials, vec!["write_file".to_string()]);
    assert_eq!(denied.reply, "DONE-AFTER-TOOL");
    let shell = run("g20_shell_auto_edit", 0);
    assert_eq!(
        shell.permission_denials,
        vec!["run_shell_command".to_string()]
    );
    for name in [
        "g18_write_auto_edit",
        "g19_write_yolo",
        "g21_shell_yolo",
        "g22_write_outside_auto_edit",
    ] {
        let output = run(name, 0);
        assert_eq!(output.outcome, Outcome::Success, "{name}");
        assert_eq!(output.usage.turns, 2, "{name}");
    }
}

fn agent(permission: &str, table: &str) -> Agent {
    testing::agent("gemini", "gem", permission, table)
}

fn args(agent: &Agent, session: SessionMode) -> Vec<String> {
    testing::turn_args(
        &Gemini,
        agent,
        session,
        "You are G.",
        "--not-an-option",
        true,
    )
}

#[test]
fn turns_always_name_a_model_and_never_trust_silently() {
    let new = args(&agent("read", ""), SessionMode::New("id-1".into()));
    assert!(
        new[0]
            .starts_with("--prompt=<instructions>\nYou are G.\n</instructions>\n\n--not-an-option")
    );
    assert!(new.windows(2).any(|pair| pair == ["-m", DEFAULT_MODEL]));
    assert!(
        new.windows(2)
            .any(|pair| pair == ["--approval-mode", "default"])
    );
    assert!(new.windows(2).any(|pair| pair == ["--session-id", "id-1"]));
    assert!(!new.contains(&"--skip-trust".to_string()));
    let trusted = args(
        &agent(
            "full",
            "[gemini]\ntrust_workspace = true\nmodel = \"gemini-2.5-pro\"\n",
        ),
        SessionMode::Resume("id-2".into()),
    );
    assert!(trusted.contains(&"--skip-trust".to_string()));
    assert!(trusted.windows(2).any(|pair| pair == ["--resume", "id-2"]));
    assert!(
        trusted
            .windows(2)
            .any(|pair| pair == ["--approval-mode", "yolo"])
    );
    assert!(
        trusted
            .windows(2)
            .any(|pair| pair == ["-m", "gemini-2.5-pro"])
    );
    let edit = args(&agent("edit", ""), SessionMode::New("x".into()));
    assert!(
        edit.windows(2)
            .any(|pair| pair == ["--approval-mode", "auto_edit"])
    );
}

#[test]
fn sessions_are_found_per_directory() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let gemini = home.join(".gemini");
    std::fs::create_dir_all(gemini.join("tmp/work/chats")).unwrap();
    std::fs::write(
        gemini.join("projects.json"),
        r#"{"projects":{"/p/work":"work"}}"#,
    )
    .unwrap();
    let id = "cb0187e2-5df3-476d-89b6-0fb949fba707";
    std::fs::write(
        gemini.join("tmp/work/chats/session-2026-12-03T03-39-cb0187e2.jsonl"),
        sample("gemini-g5-g6-session.jsonl"),
    )
    .unwrap();
    let env = BTreeMap::from([("HOME".to_string(), home.display().to_string())]);
    assert_eq!(
        Gemini.session_check(id, Path::new("/p/work"), &env),
        SessionCheck::Exists
    );
    assert!(matches!(
        Gemini.session_check(id, Path::new("/p/other"), &env),
        SessionCheck::Missing(_)
    ));
    assert!(matches!(
        Gemini.session_check(
            "cb0187e2-0000-476d-89b6-0fb949fba707",
            Path::new("/p/work"),
            &env
        ),
        SessionCheck::Missing(_)
    ));
}

#[test]
fn doctor_explains_the_two_headless_traps() {
    let dir = tempfile::tempdir().unwrap();
    let env = BTreeMap::from([("HOME".to_string(), dir.path().display().to_string())]);
    let config = Config::defaults();
    let plain = agent("edit", "");
    let advice = Gemini.doctor(&config, &[&plain], &env, Path::new("/p/work"));
    assert_eq!(advice[0].level, Level::Fail);
    assert!(
        advice[0].detail.contains("selectedType"),
        "{}",
        advice[0].detail
    );
    assert_eq!(advice[1].level, Level::Warn);
    assert!(advice[1].detail.contains("exit 55"));
    std::fs::create_dir_all(dir.path().join(".gemini")).unwrap();
    std::fs::write(dir.path().join(".gemini/settings.json"), API_KEY_SETTINGS).unwrap();
    std::fs::write(
        dir.path().join(".gemini/trustedFolders.json"),
        r#"{"/p":"TRUST_FOLDER"}"#,
    )
    .unwrap();
    let mut env = env;
    env.insert("GEMINI_API_KEY".to_string(), "k".to_string());
    let advice = Gemini.doctor(&config, &[&plain], &env, Path::new("/p/work"));
    assert_eq!(advice[0].level, Level::Ok, "{}", advice[0].detail);
    assert_eq!(advice[1].level, Level::Ok, "{}", advice[1].detail);
    let opted_in = agent("edit", "[gemini]\ntrust_workspace = true\n");
    let advice = Gemini.doctor(&config, &[&opted_in], &env, Path::new("/elsewhere"));
    assert!(
        advice[1].detail.contains("trust_workspace"),
        "{}",
        advice[1].detail
    );
}
