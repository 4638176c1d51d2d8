//! Regression tests for the defects found by hostile and first-time use
//! (issue 10): each fails on the nexus before the fix.

use std::path::Path;

use serde_json::json;

use crate::common::TestEnv;
use crate::common::fake_claude::FakeClaude;
use crate::common::snapshot::assert_output;
use crate::run::write_plan;

fn one_task_plan(env: &TestEnv, id: &str) {
    write_plan(
        env,
        id,
        &json!({"tasks": [{"id": "t01", "title": "Analyse", "type": "analysis", "agent": "aria_coordinator"}]}),
    );
}

/// A file outside the project, to point symlinks at.
fn victim(env: &TestEnv, name: &str) -> std::path::PathBuf {
    let path = env.temp.path().join(name);
    std::fs::write(&path, "precious\n").unwrap();
    path
}

#[track_caller]
fn assert_refused(run: &crate::common::Run, link: &str) {
    run.code(5);
    assert!(
        run.stderr.contains(link) && run.stderr.contains("is a symlink"),
        "{}",
        run.stderr
    );
}

#[test]
fn r10_2_a_symlinked_lock_file_is_refused_and_its_target_untouched() {
    let mut env = TestEnv::initialised();
    FakeClaude::install(&mut env);
    one_task_plan(&env, "p");
    let target = victim(&env, "victim.txt");
    std::fs::create_dir_all(env.nexus_dir().join("locks")).unwrap();
    std::os::unix::fs::symlink(&target, env.nexus_dir().join("locks/plan-p.lock")).unwrap();
    let run = env.nexus(&["run", "p"]);
    assert_refused(&run, "locks/plan-p.lock");
    assert_output(&env, "r10_symlinked_lock.txt", &run);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
}

#[test]
fn r10_2_a_symlinked_memory_file_is_never_appended_to_or_read() {
    let mut env = TestEnv::initialised();
    FakeClaude::install(&mut env);
    one_task_plan(&env, "p");
    let target = victim(&env, "memory-victim.txt");
    std::fs::create_dir_all(env.nexus_dir().join("memory")).unwrap();
    std::os::unix::fs::symlink(
        &target,
        env.nexus_dir().join("memory/aria_coordinator.jsonl"),
    )
    .unwrap();
    let run = env.nexus(&["run", "p"]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("memory/aria_coordinator.jsonl") && run.stderr.contains("is a symlink"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
}

#[test]
fn r10_2_symlinked_message_and_result_directories_receive_nothing() {
    for link in ["messages/p", "plans/p/results"] {
        let mut env = TestEnv::initialised();
        FakeClaude::install(&mut env).script(&[]);
        one_task_plan(&env, "p");
        let outside = env.temp.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        let at = env.nexus_dir().join(link);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&outside, &at).unwrap();
        let run = env.nexus(&["run", "p"]);
        assert_ne!(run.code, 0, "{link}: {}", run.stderr);
        assert!(
            run.stderr.contains(link) && run.stderr.contains("is a symlink"),
            "{link}: {}",
            run.stderr
        );
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            0,
            "{link}: nothing may be created through the symlink"
        );
    }
}

#[test]
fn r10_2_a_nexus_directory_that_is_a_symlink_is_refused() {
    let env = TestEnv::new();
    let real = env.temp.path().join("real-store");
    std::fs::create_dir_all(&real).unwrap();
    std::os::unix::fs::symlink(&real, env.project.join(".nexus")).unwrap();
    let run = env.nexus(&["init"]);
    assert_refused(&run, ".nexus");
    assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0);
    assert!(Path::new(&real).is_dir());
}

#[test]
fn r10_1_staggered_task_runs_never_run_a_task_twice_nor_lose_an_attempt() {
    let mut env = TestEnv::initialised();
    let fake = FakeClaude::install(&mut env);
    fake.script(&[]);
    one_task_plan(&env, "p");
    let mut children = Vec::new();
    for _ in 0..30 {
        children.push(
            env.command(&crate::common::nexus_bin())
                .args(["run", "p", "--task", "t01"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for child in children {
        let output = child.wait_with_output().unwrap();
        let code = output.status.code().unwrap_or(-1);
        assert!(
            code == 0 || code == 4,
            "exit {code}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let record: serde_json::Value =
        serde_json::from_str(&env.read(".nexus/plans/p/tasks/t01.json")).unwrap();
    assert_eq!(record["state"], "completed");
    assert_eq!(fake.invocations().len(), 1, "the agent ran once");
    let attempts = record["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "every agent turn is an attempt");
    assert_eq!(attempts[0]["outcome"], "success");
}

#[test]
fn r10_5_control_characters_in_untrusted_ids_are_escaped_in_messages() {
    let env = TestEnv::initialised();
    let plan = json!({"tasks": [
        {"id": "a\u{1b}]0;pwned\u{7}", "title": "t", "type": "analysis"},
        {"id": "b", "title": "t\u{1b}[2J", "type": "analysis", "depends_on": ["\u{1b}[2Jx"]}
    ]});
    env.write("plan.json", &plan.to_string());
    let run = env.nexus(&["plan", "--from", "plan.json"]);
    run.code(7);
    assert_output(&env, "r10_escaped_ids.txt", &run);
    assert!(
        !run.stderr.contains('\u{1b}'),
        "raw escape in: {:?}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{7}'),
        "raw bell in: {:?}",
        run.stderr
    );
    assert!(run.stderr.contains("\\u{1b}"), "{}", run.stderr);
}

#[test]
fn r10_4_killed_writers_litter_is_reported_by_doctor_and_swept_by_run() {
    let mut env = TestEnv::initialised();
    FakeClaude::install(&mut env).script(&[]);
    one_task_plan(&env, "p");
    let prefix = nexus::state::litter::temp_prefix();
    let (host_part, _) = prefix.trim_end_matches('-').rsplit_once('-').unwrap();
    let dead = format!("{host_part}-999999999-x");
    let live = format!("{host_part}-{}-x", std::process::id());
    let nexus_dir = env.nexus_dir();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    let litter = [
        nexus_dir.join("sessions").join(&dead),
        nexus_dir.join("plans/p/results").join(&dead),
        nexus_dir.join("messages/p/.tmpOLDNAME"),
    ];
    for path in &litter {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "{\"half").unwrap();
    }
    std::fs::File::options()
        .write(true)
        .open(&litter[2])
        .unwrap()
        .set_modified(old)
        .unwrap();
    // A killed `plan --from` of a large plan left its staging directory.
    let staging = nexus_dir.join("plans").join(format!("{dead}-q-abcd"));
    std::fs::create_dir_all(staging.join("tasks")).unwrap();
    std::fs::write(staging.join("tasks/t.json"), "{}").unwrap();
    // A live writer's temp file is never touched.
    let in_flight = nexus_dir.join("plans/p/tasks").join(&live);
    std::fs::create_dir_all(in_flight.parent().unwrap()).unwrap();
    std::fs::write(&in_flight, "{").unwrap();

    let doctor = env.nexus(&["doctor", "--json"]).json();
    let litter_check = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["name"] == "litter")
        .unwrap()
        .clone();
    assert_eq!(litter_check["verdict"], "warn", "{litter_check}");
    let detail = litter_check["detail"].as_str().unwrap();
    for path in litter.iter().chain([&staging]) {
        assert!(detail.contains(&path.display().to_string()), "{detail}");
    }
    assert!(!detail.contains(&live), "{detail}");

    let run = env.nexus(&["run", "p"]);
    run.ok();
    assert!(run.stderr.contains("removed 4 leftover"), "{}", run.stderr);
    for path in litter.iter().chain([&staging]) {
        assert!(!path.exists(), "{} was not swept", path.display());
    }
    assert!(in_flight.exists(), "a live writer's temp file was removed");
}

#[test]
fn r10_3_a_models_verify_commands_are_only_suggestions_until_a_person_adopts_them() {
    use crate::common::openai_server::{FakeServer, chat};
    let answer = json!({"tasks": [
        {"id": "spec", "title": "Specify", "description": "Specify it.", "type": "analysis",
         "agent": "aria_coordinator", "depends_on": [], "priority": "high",
         "expected_output": null, "acceptance": [], "verify": ["touch pwned-by-the-model"]}
    ]})
    .to_string();
    let server = FakeServer::start(vec![chat(&answer)]);
    let mut env = TestEnv::initialised();
    env.set("OPENAI_API_KEY", "sk-test-key");
    env.set("OPENAI_BASE_URL", server.base_url.clone());
    let fake = FakeClaude::install(&mut env);
    fake.script(&[]);
    let planned = env.nexus(&["plan", "specify it", "--planner", "openai"]);
    planned.ok();
    assert!(
        planned.stderr.contains("nexus plan adopt"),
        "{}",
        planned.stderr
    );
    let id = planned.stdout.trim().to_string();
    let stored: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".nexus/plans/{id}/plan.json"))).unwrap();
    assert_eq!(stored["tasks"][0]["verify"], json!([]));
    assert_eq!(
        stored["tasks"][0]["suggested_verify"],
        json!(["touch pwned-by-the-model"])
    );
    // Run: the suggestion is not run (nor does `--yes`-like trust adopt it).
    env.nexus(&["trust"]).ok();
    env.nexus(&["run", &id]).ok();
    assert!(!env.project.join("pwned-by-the-model").exists());
    // A person adopts it: recorded with who and when, trusted, then run.
    let adopted = env.nexus(&["plan", "adopt", &id]);
    adopted.ok();
    assert!(
        adopted.stdout.contains("touch pwned-by-the-model"),
        "{}",
        adopted.stdout
    );
    let stored: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".nexus/plans/{id}/plan.json"))).unwrap();
    let task = &stored["tasks"][0];
    assert_eq!(task["verify"], json!(["touch pwned-by-the-model"]));
    assert!(task.get("suggested_verify").is_none(), "{task}");
    assert!(task["adopted"]["by"].as_str().unwrap().contains('@'));
    assert!(task["adopted"]["at"].is_string());
}

#[test]
fn r10_7_a_cloned_stores_commands_run_only_once_trusted_and_a_change_asks_again() {
    let mut env = TestEnv::initialised();
    FakeClaude::install(&mut env).script(&[]);
    // As a clone brings it: an agent file with a verify command.
    let path = ".nexus/agents/aria_coordinator.toml";
    let text = env
        .read(path)
        .replacen("verify = []", "verify = [\"touch ran-verify\"]", 1);
    env.write(path, &text);
    one_task_plan(&env, "p");
    let doctor = env.nexus(&["doctor", "--json"]).json();
    let trust = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["name"] == "trust")
        .unwrap()
        .clone();
    assert_eq!(trust["verdict"], "warn");
    assert!(
        trust["detail"]
            .as_str()
            .unwrap()
            .contains("touch ran-verify")
    );
    let refused = env.nexus(&["run", "p"]);
    refused.code(8);
    assert_output(&env, "r10_untrusted.txt", &refused);
    assert!(!env.project.join("ran-verify").exists());
    let listed = env.nexus(&["trust", "--list"]);
    assert!(listed.stdout.contains("untrusted"), "{}", listed.stdout);
    env.nexus(&["trust"]).ok();
    env.nexus(&["run", "p"]).ok();
    assert!(env.project.join("ran-verify").exists());
    // A changed command asks again.
    let text = env
        .read(path)
        .replacen("touch ran-verify", "touch ran-verify-2", 1);
    env.write(path, &text);
    one_task_plan(&env, "q");
    env.nexus(&["run", "q"]).code(8);
    // Trust lives outside the repository (a committed file cannot forge it).
    assert!(env.home.join(".local/share/nexus/trust").is_dir());
}

#[test]
fn r10_a_key_a_server_echoes_is_redacted_on_stderr_and_in_the_brain_log() {
    use crate::common::openai_server::{FakeServer, error};
    let key = "sk-test-very-secret-0123456789";
    let echoed = json!({"error": {"message": format!("bad request; you sent Authorization: Bearer {key}"), "type": "invalid_request_error"}}).to_string();
    let server = FakeServer::start(vec![error(400, &echoed)]);
    let mut env = TestEnv::initialised();
    env.set("OPENAI_API_KEY", key);
    env.set("OPENAI_BASE_URL", server.base_url.clone());
    let run = env.nexus(&["plan", "do it", "--planner", "openai", "--id", "p9"]);
    run.code(6);
    assert!(!run.stderr.contains(key), "{}", run.stderr);
    assert!(run.stderr.contains("[REDACTED]"), "{}", run.stderr);
    let log = env.nexus_dir().join("logs/brain/p9.json");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(key), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&log).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "machine-local logs are owner-only");
}

#[test]
fn r10_agents_and_verify_commands_get_an_allow_list_not_the_brains_key() {
    let mut env = TestEnv::initialised();
    let fake = FakeClaude::install(&mut env);
    fake.script(&[]);
    env.set("OPENAI_API_KEY", "sk-brain-key-should-not-leak");
    env.set("SOME_RANDOM_SETTING", "x");
    env.set("ANTHROPIC_API_KEY", "the-agents-own-key");
    let path = ".nexus/agents/aria_coordinator.toml";
    let text = env
        .read(path)
        .replacen("verify = []", "verify = [\"env > verify-env.txt\"]", 1);
    env.write(path, &text);
    one_task_plan(&env, "p");
    env.nexus(&["trust"]).ok();
    env.nexus(&["run", "p"]).ok();
    let names = &fake.invocations()[0].env_names;
    assert!(!names.contains(&"OPENAI_API_KEY".to_string()), "{names:?}");
    assert!(
        !names.contains(&"SOME_RANDOM_SETTING".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"ANTHROPIC_API_KEY".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"NEXUS_DIR".to_string()), "{names:?}");
    let verify_env = env.read("verify-env.txt");
    assert!(!verify_env.contains("OPENAI_API_KEY"), "{verify_env}");
    assert!(!verify_env.contains("ANTHROPIC_API_KEY"), "{verify_env}");
    assert!(verify_env.contains("NEXUS_DIR="), "{verify_env}");
    assert!(verify_env.contains("PATH="), "{verify_env}");
    let logs = env.nexus_dir().join("logs/p/t01.log");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&logs).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "agent transcripts are owner-only");
}

#[test]
fn r10_a_garbage_deadline_is_a_usage_error() {
    let env = TestEnv::initialised();
    let run = env.nexus(&["plan", "x", "--planner", "builtin", "--deadline", "garbage"]);
    run.code(2);
    assert_output(&env, "r10_garbage_deadline.txt", &run);
    assert!(run.stderr.contains("`--deadline`"), "{}", run.stderr);
    let ok = env.nexus(&[
        "plan",
        "x",
        "--planner",
        "builtin",
        "--deadline",
        "2026-12-24",
    ]);
    ok.ok();
    let id = ok.stdout.trim();
    let stored = env.read(&format!(".nexus/plans/{id}/plan.json"));
    assert!(stored.contains("\"deadline\": \"2026-12-24\""), "{stored}");
}

#[test]
fn r10_a_process_left_holding_a_session_lock_is_named_and_the_wait_shown() {
    let mut env = TestEnv::initialised();
    FakeClaude::install(&mut env).script(&[]);
    crate::run::configure(&env, &[("timeout = \"30m\"", "timeout = \"2s\"")]);
    one_task_plan(&env, "p");
    // As a detached grandchild of a killed run would: a process that is not
    // nexus holds the session lock.
    let lock = env.nexus_dir().join("locks/session-aria_coordinator.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let mut holder = std::process::Command::new("sh")
        .args(["-c", "exec 9>>\"$1\"; flock 9 && exec sleep 60", "sh"])
        .arg(&lock)
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !nexus::state::lock::is_held(&lock) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = holder.id().to_string();
    let asked = env.nexus(&["ask", "aria_coordinator", "hello"]);
    asked.code(4);
    assert!(
        asked.stderr.contains(&format!("pid {pid}")) && asked.stderr.contains("sleep 60"),
        "{}",
        asked.stderr
    );
    let run = env.nexus(&["run", "p"]);
    assert!(
        run.stderr
            .contains("waiting for the session of agent `aria_coordinator`")
            && run.stderr.contains(&format!("pid {pid}")),
        "{}",
        run.stderr
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
}
