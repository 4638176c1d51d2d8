//! `nexus doctor`.

use crate::common::TestEnv;

const FAKE_VERSION: &str = "#!/bin/sh\n[ \"$1\" = --version ] && echo '2.1.197 (Claude Code)'\n";

#[test]
fn doctor_passes_with_claude_on_path_and_never_prints_the_key() {
    let mut env = TestEnv::initialised();
    env.write_executable("claude", FAKE_VERSION);
    env.set("OPENAI_API_KEY", "sk-very-secret-value");
    let run = env.nexus(&["doctor"]);
    run.ok();
    assert!(
        run.stdout.contains("2.1.197 (Claude Code)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("`OPENAI_API_KEY` is set"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("sk-very-secret") && !run.stderr.contains("sk-very-secret"));
    let report = env.nexus(&["doctor", "--json"]).json();
    assert_eq!(report["ok"], true);
}

#[test]
fn doctor_fails_without_claude_and_hints_how_to_install() {
    let env = TestEnv::initialised();
    let run = env.nexus(&["doctor"]);
    run.code(1);
    assert!(
        run.stdout.contains("FAIL") && run.stdout.contains("`claude` not found"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("npm install -g @anthropic-ai/claude-code"),
        "{}",
        run.stdout
    );
}

#[test]
fn doctor_honours_nexus_claude_bin_and_flags_a_broken_file() {
    let mut env = TestEnv::initialised();
    let fake = env.temp.path().join("my-claude");
    std::fs::write(&fake, FAKE_VERSION).unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    env.set("NEXUS_CLAUDE_BIN", fake.to_str().unwrap());
    env.nexus(&["doctor"]).ok();
    env.write(".nexus/plans/p1/plan.json", "{ not json");
    let run = env.nexus(&["doctor"]);
    run.code(1);
    assert!(run.stdout.contains("plans/p1/plan.json"), "{}", run.stdout);
}

#[test]
fn doctor_requires_the_key_when_the_planner_is_openai() {
    let mut env = TestEnv::initialised();
    env.write_executable("claude", FAKE_VERSION);
    env.set("NEXUS_PLANNER", "openai");
    let run = env.nexus(&["doctor"]);
    run.code(1);
    assert!(
        run.stdout.contains("`OPENAI_API_KEY` is not set"),
        "{}",
        run.stdout
    );
}

#[test]
fn doctor_outside_a_nexus_fails_with_the_init_hint() {
    let env = TestEnv::new();
    let run = env.nexus(&["doctor"]);
    run.code(1);
    assert!(run.stdout.contains("nexus init"), "{}", run.stdout);
}
