//! The agent runtime against the REAL Claude Code CLI 2.1.197, driven through
//! `nexus ask` (`NEXUS_CLAUDE_BIN` = the CLI in `NEXUS_TEST_REAL_CLAUDE`),
//! offline: the CLI talks to the fake Anthropic Messages API on 127.0.0.1,
//! with a throwaway HOME and no non-essential traffic. Without the variable
//! these tests fail in CI (`CI` set) and are skipped locally, like
//! `real_claude.rs`.

use serde_json::Value;

use crate::common::TestEnv;
use crate::common::anthropic_server::{AnthropicServer, Reply, Request};
use crate::common::asking::{DEV, is_v4_uuid, memory, messages, record};
use crate::common::fake_claude::transcript_path;
use crate::real_claude::real_claude;

/// The developer's own instructions, from its agent file: part of the
/// personality nexus appends to the system prompt.
const PERSONALITY: &str = "You are Code, a skilled and creative software developer";

/// An initialised project whose `nexus ask` runs the real CLI against
/// `server`.
fn real_project(claude: &std::path::Path, server: &AnthropicServer) -> TestEnv {
    let mut env = TestEnv::initialised();
    env.set("NEXUS_CLAUDE_BIN", claude.display().to_string())
        .set("ANTHROPIC_BASE_URL", server.url())
        .set("ANTHROPIC_API_KEY", "test-key")
        .set("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .set("DISABLE_TELEMETRY", "1")
        .set("DISABLE_ERROR_REPORTING", "1")
        .set("DISABLE_AUTOUPDATER", "1")
        // No retries with backoff: a scripted 500 fails at once.
        .set("CLAUDE_CODE_MAX_RETRIES", "0");
    // A generous bound, so a wedged CLI fails the test instead of hanging it.
    crate::common::asking::configure(&env, &[("timeout = \"30m\"", "timeout = \"150s\"")]);
    env
}

/// The messages requests of one session, oldest first.
fn requests_of(server: &AnthropicServer, session_id: &str) -> Vec<Request> {
    server
        .message_requests()
        .into_iter()
        .filter(|request| request.session_id() == Some(session_id))
        .collect()
}

fn session_id(env: &TestEnv) -> String {
    record(env, DEV)["session_id"]
        .as_str()
        .expect("session_id")
        .to_string()
}

#[test]
fn sessions_are_captured_persisted_and_resumed_with_the_personality() {
    let Some(claude) = real_claude() else { return };
    let server = AnthropicServer::start();
    let env = real_project(&claude, &server);

    let first = env.nexus(&["ask", DEV, "hello from the first turn"]);
    first.ok();
    assert!(first.stdout.contains("FAKE-REPLY"), "{}", first.stdout);
    let id = session_id(&env);
    assert!(is_v4_uuid(&id), "{id}");
    assert!(first.stderr.contains(&id), "{}", first.stderr);
    let saved = record(&env, DEV);
    assert_eq!(saved["status"], "ok");
    assert!(
        saved["cli_version"]
            .as_str()
            .is_some_and(|version| version.starts_with("2.1.197")),
        "{saved}"
    );
    assert!(transcript_path(&env.home, &env.project, &id).is_file());
    let calls = requests_of(&server, &id);
    let call = calls.last().expect("the API saw the preset session id");
    assert!(
        call.system_text().contains(PERSONALITY),
        "{}",
        call.system_text()
    );

    let second = env.nexus(&["ask", DEV, "and this is the second turn"]);
    second.ok();
    assert!(
        second.stderr.contains("resumed session"),
        "{}",
        second.stderr
    );
    assert_eq!(session_id(&env), id, "--resume keeps the id");
    assert_eq!(record(&env, DEV)["turns"], 2);
    let calls = requests_of(&server, &id);
    let call = calls.last().expect("a request of the resumed session");
    let texts = call.user_texts();
    assert!(
        texts
            .iter()
            .any(|text| text.contains("hello from the first turn")),
        "the earlier turn is in the history: {texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|text| text.contains("and this is the second turn")),
        "{texts:?}"
    );
    assert!(
        call.messages()
            .iter()
            .any(|message| message["role"] == "assistant"),
        "the earlier answer is in the history"
    );
    assert!(
        call.system_text().contains(PERSONALITY),
        "the personality is passed again on resume: {}",
        call.system_text()
    );
}

#[test]
fn a_tool_use_write_lands_in_the_project_under_accept_edits() {
    let Some(claude) = real_claude() else { return };
    let server = AnthropicServer::start();
    let env = real_project(&claude, &server);
    let target = env.project.join("src/hello.txt");
    server
        .push(Reply::write(
            &target.display().to_string(),
            "written by the agent\n",
        ))
        .push(Reply::text("DONE-AFTER-WRITE"));
    let run = env.nexus(&["ask", DEV, "write the hello file"]);
    run.ok();
    assert_eq!(run.stdout.trim(), "DONE-AFTER-WRITE");
    assert_eq!(env.read("src/hello.txt"), "written by the agent\n");
    let result = messages(&env, DEV).pop().expect("a result");
    let feedback = &result["payload"]["task_result"]["agent_feedback"];
    assert_eq!(feedback["outcome"], "success");
    assert_eq!(feedback["permission_denials"], Value::Array(Vec::new()));
    assert_eq!(feedback["turns"], 2);
}

#[test]
fn an_api_500_is_an_api_error_and_nothing_is_lost() {
    let Some(claude) = real_claude() else { return };
    let server = AnthropicServer::start();
    let env = real_project(&claude, &server);
    server.push(Reply::text("the plan is ready"));
    env.nexus(&["ask", DEV, "make a plan"]).ok();
    let id = session_id(&env);

    server.push(Reply::error(500));
    let failed = env.nexus(&["ask", DEV, "carry out the plan"]);
    failed.code(3);
    assert!(failed.stderr.contains("api_error"), "{}", failed.stderr);
    assert!(failed.stderr.contains("HTTP 500"), "{}", failed.stderr);
    let saved = record(&env, DEV);
    assert_eq!(saved["session_id"], id.as_str());
    assert_eq!(saved["status"], "failed");
    assert_eq!(saved["turns"], 2);
    assert_eq!(saved["last_call"]["outcome"], "api_error");
    let sent = messages(&env, DEV);
    assert_eq!(sent.len(), 4, "both assignments and both results");
    let result = &sent[3];
    assert_eq!(result["status"], "failed");
    assert_eq!(result["response_to"], sent[2]["message_id"]);
    let feedback = &result["payload"]["task_result"]["agent_feedback"];
    assert_eq!(feedback["outcome"], "api_error");
    assert!(
        feedback["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("HTTP 500"),
        "{feedback}"
    );
    let remembered = memory(&env, DEV);
    assert_eq!(remembered.len(), 2);
    assert_eq!(remembered[0]["response"], "the plan is ready");
    assert_eq!(remembered[1]["outcome"], "api_error");

    // The session survives the failure: the next turn resumes it.
    env.nexus(&["ask", DEV, "try again"]).ok();
    assert_eq!(session_id(&env), id);
    let calls = requests_of(&server, &id);
    let texts = calls.last().expect("a request").user_texts();
    assert!(
        texts.iter().any(|text| text.contains("make a plan")),
        "{texts:?}"
    );
}

#[test]
fn a_deleted_transcript_is_recovered_with_a_recap() {
    let Some(claude) = real_claude() else { return };
    let server = AnthropicServer::start();
    let env = real_project(&claude, &server);
    server.push(Reply::text("tables users and orders"));
    env.nexus(&["ask", DEV, "design the orders schema"]).ok();
    let old = session_id(&env);
    std::fs::remove_file(transcript_path(&env.home, &env.project, &old))
        .expect("remove the transcript");

    let run = env.nexus(&["ask", DEV, "now write the migration"]);
    run.ok();
    assert!(run.stderr.contains("recovered"), "{}", run.stderr);
    let fresh = session_id(&env);
    assert_ne!(fresh, old);
    let saved = record(&env, DEV);
    assert_eq!(saved["recovered_from"], old.as_str());
    assert!(transcript_path(&env.home, &env.project, &fresh).is_file());
    let calls = requests_of(&server, &fresh);
    let call = calls.first().expect("the API saw the new session");
    // The CLI adds its own context blocks; the prompt is one of the texts.
    let texts = call.user_texts();
    let first = texts
        .iter()
        .find(|text| text.contains("now write the migration"))
        .unwrap_or_else(|| panic!("the prompt reached the API: {texts:?}"));
    assert!(first.contains("could not be resumed"), "{first}");
    assert!(first.contains("design the orders schema"), "{first}");
    assert!(first.contains("tables users and orders"), "{first}");
    assert!(first.contains("now write the migration"), "{first}");
    assert!(
        call.messages()
            .iter()
            .all(|message| message["role"] != "assistant"),
        "a fresh session has no history"
    );
    assert!(call.system_text().contains(PERSONALITY));
}

/// An empty transcript passes nexus's free validity check, but the CLI
/// answers `--resume` with its stream-json "No conversation found" result:
/// nexus recovers with a fresh session and a recap within the same `ask`.
#[test]
fn the_clis_own_no_conversation_found_is_recovered_with_a_recap() {
    let Some(claude) = real_claude() else { return };
    let server = AnthropicServer::start();
    let env = real_project(&claude, &server);
    server.push(Reply::text("tables users and orders"));
    env.nexus(&["ask", DEV, "design the orders schema"]).ok();
    let old = session_id(&env);
    std::fs::write(transcript_path(&env.home, &env.project, &old), "").expect("empty it");

    let run = env.nexus(&["ask", DEV, "now write the migration"]);
    run.ok();
    assert!(run.stderr.contains("recovered"), "{}", run.stderr);
    let fresh = session_id(&env);
    assert_ne!(fresh, old);
    let saved = record(&env, DEV);
    assert_eq!(saved["recovered_from"], old.as_str());
    assert!(
        saved["recovery_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("No conversation found"),
        "{saved}"
    );
    let calls = requests_of(&server, &fresh);
    let texts = calls.first().expect("the new session").user_texts();
    assert!(
        texts
            .iter()
            .any(|text| text.contains("could not be resumed")
                && text.contains("design the orders schema")),
        "{texts:?}"
    );
    let remembered = memory(&env, DEV);
    assert!(remembered.iter().any(|entry| entry["kind"] == "recap"));
}

/// Issue 5: the real CLI runs a two-task plan end to end — Aria's
/// specification reaches Code's prompt, Code's `Write` lands in the project
/// and `verify` confirms it, both tasks complete with their sessions recorded.
#[test]
fn a_two_task_plan_runs_end_to_end_with_the_real_cli() {
    let Some(claude) = real_claude() else { return };
    let server = AnthropicServer::start();
    let env = real_project(&claude, &server);
    let target = env.project.join("src/report_json.txt");
    server
        .push(Reply::text(
            "SPEC-77: `report --json` prints {\"items\": [...]}",
        ))
        .push(Reply::write(
            &target.display().to_string(),
            "implemented per SPEC-77\n",
        ))
        .push(Reply::text("IMPLEMENTED"));
    env.write(
        "plan.json",
        r#"{"request": "add --json to report", "tasks": [
            {"id": "spec", "title": "Specify the JSON", "type": "analysis", "description": "write the spec"},
            {"id": "build", "title": "Implement it", "type": "implementation", "description": "implement the spec",
             "depends_on": ["spec"], "verify": ["grep -q SPEC-77 src/report_json.txt"]}
        ]}"#,
    );
    env.nexus(&["plan", "--from", "plan.json", "--id", "two"])
        .ok();
    // The plan's verify command runs once trusted on this machine.
    env.nexus(&["trust"]).ok();
    let run = env.nexus(&["run", "two"]);
    run.ok();
    let task = |id: &str| -> Value {
        serde_json::from_str(&env.read(&format!(".nexus/plans/two/tasks/{id}.json"))).unwrap()
    };
    let (spec, build) = (task("spec"), task("build"));
    assert_eq!(spec["state"], "completed", "{spec}");
    assert_eq!(build["state"], "completed", "{build}");
    assert_eq!(spec["agent"], "aria_coordinator");
    assert_eq!(build["agent"], DEV);
    assert_eq!(
        build["attempts"][0]["verification"][0]["passed"], true,
        "{build}"
    );
    assert_eq!(env.read("src/report_json.txt"), "implemented per SPEC-77\n");
    assert!(
        env.read(".nexus/plans/two/results/spec.md")
            .contains("SPEC-77")
    );
    // The developer's session got Aria's result in its prompt.
    let build_session = build["session_id"].as_str().unwrap().to_string();
    let calls = requests_of(&server, &build_session);
    let first = calls
        .first()
        .expect("the developer's session reached the API");
    assert!(
        first
            .user_texts()
            .iter()
            .any(|text| text.contains("SPEC-77")),
        "{:?}",
        first.user_texts()
    );
    assert!(first.system_text().contains(PERSONALITY));
    let spec_session = spec["session_id"].as_str().unwrap();
    assert_ne!(
        spec_session, build_session,
        "each agent has its own session"
    );
    assert!(transcript_path(&env.home, &env.project, spec_session).is_file());
}

#[test]
fn a_session_is_resumed_in_its_worktree_across_two_tasks() {
    let Some(claude) = real_claude() else { return };
    let server = AnthropicServer::start();
    let env = real_project(&claude, &server);
    let root = env.temp.path().join("ws");
    crate::common::asking::configure(
        &env,
        &[("root = \"\"", &format!("root = \"{}\"", root.display()))],
    );
    let git = crate::workspaces::git;
    git(&env.project, &["init", "--quiet", "--initial-branch=main"]);
    env.write("README.md", "# project\n");
    git(&env.project, &["add", "README.md"]);
    git(&env.project, &["commit", "--quiet", "-m", "start"]);
    let worktree = root.join(DEV);
    server
        .push(Reply::write(
            &worktree.join("first.txt").display().to_string(),
            "one\n",
        ))
        .push(Reply::text("FIRST DONE"))
        .push(Reply::write(
            &worktree.join("second.txt").display().to_string(),
            "two\n",
        ))
        .push(Reply::text("SECOND DONE"));
    env.write(
        "plan.json",
        r#"{"request": "two files", "tasks": [
            {"id": "first", "title": "Write the first file", "type": "implementation", "agent": "code_developer"},
            {"id": "second", "title": "Write the second file", "type": "implementation", "agent": "code_developer",
             "depends_on": ["first"]}
        ]}"#,
    );
    env.nexus(&["plan", "--from", "plan.json", "--id", "wt"])
        .ok();
    env.nexus(&["run", "wt"]).ok();
    let task = |id: &str| -> Value {
        serde_json::from_str(&env.read(&format!(".nexus/plans/wt/tasks/{id}.json"))).unwrap()
    };
    let (first, second) = (task("first"), task("second"));
    for record in [&first, &second] {
        assert_eq!(record["state"], "completed", "{record}");
        assert_eq!(record["workspace"]["merge"], "merged", "{record}");
    }
    // One session, resumed in the same worktree for the second task.
    let session = first["session_id"].as_str().unwrap();
    assert_eq!(
        second["session_id"].as_str(),
        Some(session),
        "{}",
        env.read(".nexus/sessions/code_developer.json")
    );
    assert!(transcript_path(&env.home, &worktree, session).is_file());
    let calls = requests_of(&server, session);
    let last = calls
        .last()
        .expect("the second task's turn reached the API");
    assert!(
        last.user_texts()
            .iter()
            .any(|text| text.contains("Write the first file")),
        "the resumed session carries the first task: {:?}",
        last.user_texts()
    );
    let files = git(&env.project, &["ls-tree", "-r", "--name-only", "nexus/wt"]);
    assert!(
        files.contains("first.txt") && files.contains("second.txt"),
        "{files}"
    );
    assert!(
        !env.project.join("first.txt").exists(),
        "the checkout is untouched"
    );
}
