//! `nexus ask AGENT MESSAGE` end to end with the fake `claude`: the command
//! line the CLI gets, the session record written before the call, every
//! classified outcome, the busy lock, and the protocol messages.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::TestEnv;
use crate::common::asking::{
    Background, DEV, alive, configure, is_message_id, is_v4_uuid, memory, messages, project,
    prompt, record, record_path, timeouts, wait_until,
};
use crate::common::fake_claude::{FakeClaude, Step, transcript_path};

fn canonical(path: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(path).expect("canonicalize")
}

#[test]
fn ask_drives_the_cli_as_documented_and_resumes_the_same_session() {
    let (mut env, fake) = project();
    // Values that must come from the agent file, not from defaults.
    let agent_file = ".nexus/agents/code_developer.toml";
    let text = env
        .read(agent_file)
        .replace("model = \"sonnet\"", "model = \"claude-test-model\"")
        .replace("max_turns = 40", "max_turns = 7")
        .replace(
            "disallowed_tools = []",
            "disallowed_tools = [\"Bash(rm:*)\"]",
        )
        .replace(
            "You are Code, a skilled and creative software developer",
            "You are Code (PERSONALITY-MARK-42), a skilled and creative software developer",
        );
    env.write(agent_file, &text);
    // Leaked from a surrounding Claude Code session: must not reach the child.
    env.set("CLAUDECODE", "1");
    env.set("CLAUDE_CODE_ENTRYPOINT", "cli");
    fake.script(&[Step::reply("first answer"), Step::reply("second answer")]);

    let first = env.nexus(&["ask", DEV, "build the parser"]);
    first.ok();
    assert_eq!(first.stdout, "first answer\n");
    assert!(first.stderr.contains("new session"), "{}", first.stderr);

    // The second turn runs from a subdirectory: the CLI still gets the root.
    let sub = env.project.join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let second = env.nexus_in(&sub, &["ask", DEV, "now test it"]);
    second.ok();
    assert_eq!(second.stdout, "second answer\n");
    assert!(
        second.stderr.contains("resumed session"),
        "{}",
        second.stderr
    );

    let calls = fake.invocations();
    assert_eq!(calls.len(), 2);
    let session_id = calls[0].flags.session_id.clone().expect("--session-id");
    assert!(is_v4_uuid(&session_id), "{session_id}");
    assert!(first.stderr.contains(&session_id), "{}", first.stderr);
    assert_eq!(calls[0].flags.resume, None);
    assert_eq!(calls[1].flags.resume.as_deref(), Some(session_id.as_str()));
    assert_eq!(calls[1].flags.session_id, None);
    assert!(!calls[1].flags.fork_session);
    for call in &calls {
        let flags = &call.flags;
        assert!(flags.print, "-p");
        assert_eq!(flags.output_format.as_deref(), Some("stream-json"));
        assert!(flags.verbose, "--verbose");
        assert_eq!(flags.model.as_deref(), Some("claude-test-model"));
        assert_eq!(flags.max_turns.as_deref(), Some("7"));
        // `permission = "build"` outside a worktree is `edit`: no shell in
        // the user's own checkout, so no tool beyond the mode's own.
        assert_eq!(flags.permission_mode.as_deref(), Some("acceptEdits"));
        assert_eq!(flags.allowed_tools, Vec::<String>::new());
        assert_eq!(flags.disallowed_tools, ["Bash(rm:*)"]);
        // The personality on every call: --resume does not keep it.
        let system = flags.append_system_prompt.as_deref().unwrap_or_default();
        assert!(system.contains("PERSONALITY-MARK-42"), "{system}");
        assert!(
            system.contains("creative, precise, quality-focused"),
            "{system}"
        );
        // The output-token budget of the original profile.
        assert_eq!(call.env("CLAUDE_CODE_MAX_OUTPUT_TOKENS"), Some("8000"));
        // The prompt last, after `--`.
        let n = call.argv.len();
        assert_eq!(call.argv[n - 2], "--");
        assert_eq!(Some(&call.argv[n - 1]), flags.prompt.as_ref());
        assert_eq!(call.stdin, "null");
        assert_eq!(call.pgid, call.pid, "own process group");
        assert_eq!(canonical(&call.cwd), canonical(&env.project));
        assert_eq!(call.env("CLAUDE_CODE_MAX_RETRIES"), Some("2"));
        assert_eq!(call.env("API_TIMEOUT_MS"), Some("120000"));
        assert_eq!(call.env("CLAUDECODE"), None);
        assert_eq!(call.env("CLAUDE_CODE_ENTRYPOINT"), None);
    }
    assert!(prompt(&calls[0]).contains("build the parser"));
    assert!(prompt(&calls[1]).contains("now test it"));
    assert_eq!(
        calls[0].flags.append_system_prompt,
        calls[1].flags.append_system_prompt
    );

    let saved = record(&env, DEV);
    assert_eq!(saved["session_id"], session_id.as_str());
    assert_eq!(saved["turns"], 2);
    assert_eq!(saved["status"], "ok");
    assert_eq!(saved["cli_version"], "2.1.197");
    assert_eq!(
        canonical(std::path::Path::new(saved["cwd"].as_str().unwrap())),
        canonical(&env.project)
    );
    // The exact argv is recorded, with the long values shortened.
    let argv: Vec<&str> = saved["last_call"]["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arg| arg.as_str().unwrap())
        .collect();
    assert!(
        argv.windows(2)
            .any(|pair| pair == ["--resume", &session_id])
    );
    assert!(argv.iter().all(|arg| arg.chars().count() <= 81), "{argv:?}");
    assert_eq!(saved["last_call"]["outcome"], "success");
}

#[test]
fn the_users_own_retry_and_timeout_settings_are_kept() {
    let (mut env, fake) = project();
    env.set("CLAUDE_CODE_MAX_RETRIES", "9");
    env.set("API_TIMEOUT_MS", "4321");
    env.nexus(&["ask", DEV, "hello"]).ok();
    let call = &fake.invocations()[0];
    assert_eq!(call.env("CLAUDE_CODE_MAX_RETRIES"), Some("9"));
    assert_eq!(call.env("API_TIMEOUT_MS"), Some("4321"));
}

#[test]
fn json_prints_the_result_message() {
    let (env, fake) = project();
    fake.script(&[Step::reply("the answer").cost(0.25).tokens(100, 20)]);
    let run = env.nexus(&["ask", "--json", DEV, "a question"]);
    run.ok();
    let message = run.json();
    assert_eq!(message["message_type"], "task_result");
    assert_eq!(message["status"], "completed");
    assert_eq!(message["from"]["agent_id"], DEV);
    let result = &message["payload"]["task_result"];
    assert_eq!(result["reply"], "the answer");
    assert_eq!(result["agent_feedback"]["outcome"], "success");
    assert_eq!(result["agent_feedback"]["cost_usd"], 0.25);
    assert!(is_message_id(message["message_id"].as_str().unwrap()));
    // It is the file that was written.
    let saved = messages(&env, DEV);
    assert_eq!(saved.last().unwrap(), &message);
}

#[test]
fn a_dash_reads_the_message_from_stdin() {
    let (env, fake) = project();
    let run = env.nexus_stdin(&["ask", DEV, "-"], "a message\nover two lines\n");
    run.ok();
    let call = &fake.invocations()[0];
    assert!(
        prompt(call).contains("a message\nover two lines"),
        "{}",
        prompt(call)
    );
    // The CLI itself still gets /dev/null, not nexus's stdin.
    assert_eq!(call.stdin, "null");
    assert_eq!(
        memory(&env, DEV)[0]["request"],
        "a message\nover two lines\n"
    );
}

#[test]
fn a_message_starting_with_a_dash_stays_the_prompt() {
    let (env, fake) = project();
    env.nexus(&["ask", DEV, "--", "--help me with -p"]).ok();
    let call = &fake.invocations()[0];
    let n = call.argv.len();
    assert_eq!(call.argv[n - 2], "--");
    assert!(call.argv[n - 1].starts_with("--help me with -p"));
    assert!(call.flags.print);
    assert_eq!(
        call.flags.prompt.as_deref(),
        Some(call.argv[n - 1].as_str())
    );
}

#[test]
fn new_session_starts_a_fresh_one() {
    let (env, fake) = project();
    env.nexus(&["ask", DEV, "one"]).ok();
    let first = record(&env, DEV)["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let run = env.nexus(&["ask", "--new-session", DEV, "two"]);
    run.ok();
    assert!(run.stderr.contains("new session"), "{}", run.stderr);
    let calls = fake.invocations();
    let second = calls[1].flags.session_id.clone().expect("--session-id");
    assert_ne!(second, first);
    assert_eq!(calls[1].flags.resume, None);
    let saved = record(&env, DEV);
    assert_eq!(saved["session_id"], second.as_str());
    assert_eq!(saved["turns"], 1);
    assert_eq!(saved["recovered_from"], Value::Null);
}

#[test]
fn an_unknown_agent_is_a_usage_error() {
    let (env, fake) = project();
    let run = env.nexus(&["ask", "nobody_here", "hello"]);
    run.code(2);
    assert!(run.stderr.contains("nobody_here"), "{}", run.stderr);
    assert!(fake.invocations().is_empty());
}

#[test]
fn instances_have_their_own_sessions_and_a_missing_one_is_a_usage_error() {
    let (env, fake) = project();
    let run = env.nexus(&["ask", "--instance", "1", DEV, "hello"]);
    run.code(2);
    assert!(run.stderr.contains("instance"), "{}", run.stderr);
    assert!(fake.invocations().is_empty());

    let agent_file = ".nexus/agents/code_developer.toml";
    env.write(
        agent_file,
        &env.read(agent_file)
            .replace("instances = 1", "instances = 2"),
    );
    env.nexus(&["ask", DEV, "zero"]).ok();
    env.nexus(&["ask", "--instance", "1", DEV, "one"]).ok();
    let zero = record(&env, DEV);
    let one: Value =
        serde_json::from_str(&env.read(".nexus/sessions/code_developer.1.json")).unwrap();
    assert_eq!(one["instance"], 1);
    assert_ne!(zero["session_id"], one["session_id"]);
    let calls = fake.invocations();
    assert!(calls.iter().all(|call| call.flags.session_id.is_some()));
}

#[test]
fn the_record_is_written_before_the_call_so_a_killed_ask_is_resumable() {
    let (env, fake) = project();
    fake.script(&[Step::hang().matching("first")]);
    let mut background = Background::start(&env, &fake, &["ask", DEV, "first words"]);
    let call = background.wait_for_call(&fake, 1);
    let preset = call.flags.session_id.clone().expect("--session-id");
    // The fake writes the prompt to its transcript before hanging.
    let transcript = transcript_path(&env.home, &env.project, &preset);
    assert!(wait_until(Duration::from_secs(20), || transcript.is_file()));
    background.kill();

    let saved = record(&env, DEV);
    assert_eq!(saved["session_id"], preset.as_str());
    assert_eq!(saved["status"], "starting");
    // The assignment was recorded too.
    let sent = messages(&env, DEV);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["message_type"], "task_assignment");
    drop(background); // also kills the orphaned, hanging fake

    env.nexus(&["ask", DEV, "second words"]).ok();
    let calls = fake.invocations();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].flags.resume.as_deref(), Some(preset.as_str()));
    assert_eq!(record(&env, DEV)["session_id"], preset.as_str());
}

/// Asserts a failed turn: exit 3, the outcome and `reason` in stderr, and
/// nothing lost (session record, result message, memory).
#[track_caller]
fn assert_failed(env: &TestEnv, run: &crate::common::Run, outcome: &str, reason: &str) {
    run.code(3);
    assert!(run.stderr.contains(outcome), "{}", run.stderr);
    assert!(run.stderr.contains(reason), "{}", run.stderr);
    assert_eq!(run.stdout, "", "no reply is printed for a failed turn");
    let saved = record(env, DEV);
    assert_eq!(saved["status"], "failed");
    assert_eq!(saved["last_call"]["outcome"], outcome);
    assert!(saved["turns"].as_u64().expect("turns") >= 1);
    let sent = messages(env, DEV);
    let result = sent.last().expect("a result message");
    assert_eq!(result["message_type"], "task_result");
    assert_eq!(result["status"], "failed");
    let feedback = &result["payload"]["task_result"]["agent_feedback"];
    assert_eq!(feedback["outcome"], outcome);
    assert!(
        feedback["reason"]
            .as_str()
            .unwrap_or_default()
            .contains(reason),
        "{feedback}"
    );
    let assignment = &sent[sent.len() - 2];
    assert_eq!(assignment["message_type"], "task_assignment");
    assert_eq!(result["response_to"], assignment["message_id"]);
    let remembered = memory(env, DEV);
    let last = remembered.last().expect("a memory entry");
    assert_eq!(last["outcome"], outcome);
}

/// Runs one ask against `step` after a successful first turn, and checks
/// the earlier turn is kept.
fn ask_after_success(step: Step) -> (TestEnv, FakeClaude, crate::common::Run) {
    let (env, fake) = project();
    fake.script(&[Step::reply("fine").matching("warm up"), step]);
    env.nexus(&["ask", DEV, "warm up"]).ok();
    let run = env.nexus(&["ask", DEV, "the real work"]);
    let remembered = memory(&env, DEV);
    assert_eq!(
        remembered[0]["request"], "warm up",
        "the earlier turn is kept"
    );
    assert_eq!(remembered.len(), 2);
    assert_eq!(messages(&env, DEV).len(), 4);
    (env, fake, run)
}

#[test]
fn an_api_error_is_reported_with_its_status() {
    let (env, fake, run) = ask_after_success(Step::api_error(500));
    assert_failed(&env, &run, "api_error", "HTTP 500");
    // The session stays resumable: the next turn resumes it.
    let first_id = fake.invocations()[0].flags.session_id.clone().unwrap();
    assert_eq!(record(&env, DEV)["session_id"], first_id.as_str());
    env.nexus(&["ask", DEV, "again"]).ok();
    assert_eq!(
        fake.invocations()[2].flags.resume.as_deref(),
        Some(first_id.as_str())
    );
}

#[test]
fn a_rate_limit_is_an_api_error_429() {
    let (env, _fake, run) = ask_after_success(Step::api_error(429));
    assert_failed(&env, &run, "api_error", "HTTP 429");
}

#[test]
fn the_turn_limit_is_reported() {
    let (env, _fake, run) = ask_after_success(Step::max_turns());
    assert_failed(&env, &run, "max_turns", "");
}

#[test]
fn the_budget_limit_is_reported() {
    let (env, _fake, run) = ask_after_success(Step::max_budget());
    assert_failed(&env, &run, "budget_exceeded", "");
}

#[test]
fn permission_denials_fail_the_turn() {
    let (env, fake) = project();
    // Aria works in the `default` permission mode: edits are denied, not
    // prompted, and the CLI still exits 0 (`i_default.json`).
    fake.script(&[Step::write("notes.txt", "x").text("I wrote it")]);
    let run = env.nexus(&["ask", "aria_coordinator", "write the notes"]);
    run.code(3);
    assert!(run.stderr.contains("permission_denied"), "{}", run.stderr);
    assert!(run.stderr.contains("Write"), "{}", run.stderr);
    assert!(!env.project.join("notes.txt").exists());
    let call = &fake.invocations()[0];
    assert_eq!(call.flags.permission_mode.as_deref(), Some("default"));
    assert_eq!(call.exit_code, Some(0), "the CLI itself said ok");
    let saved = record(&env, "aria_coordinator");
    assert_eq!(saved["status"], "failed");
    assert_eq!(saved["last_call"]["outcome"], "permission_denied");
    let result = messages(&env, "aria_coordinator").pop().unwrap();
    assert_eq!(result["status"], "failed");
    let feedback = &result["payload"]["task_result"]["agent_feedback"];
    assert_eq!(feedback["permission_denials"], json!(["Write"]));
    // The reply is kept even though the work was not done.
    assert_eq!(result["payload"]["task_result"]["reply"], "I wrote it");
    assert_eq!(
        memory(&env, "aria_coordinator")[0]["outcome"],
        "permission_denied"
    );
}

#[test]
fn a_write_inside_the_project_is_allowed_under_accept_edits() {
    let (env, fake) = project();
    fake.script(&[Step::write("notes/hello.txt", "hi\n").text("wrote it")]);
    env.nexus(&["ask", DEV, "write inside"]).ok();
    assert_eq!(env.read("notes/hello.txt"), "hi\n");
}

#[test]
fn session_not_found_on_resume_recovers_with_a_recap() {
    let (env, fake) = project();
    fake.script(&[
        Step::reply("schema designed").matching("design the schema"),
        Step::raw_stdout("")
            .stderr("No conversation found with session ID: whatever")
            .exit_code(1)
            .matching("add an index"),
    ]);
    env.nexus(&["ask", DEV, "design the schema"]).ok();
    let old = record(&env, DEV)["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let run = env.nexus(&["ask", DEV, "add an index"]);
    run.ok();
    assert!(run.stderr.contains("recovered"), "{}", run.stderr);
    let calls = fake.invocations();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[1].flags.resume.as_deref(), Some(old.as_str()));
    let fresh = calls[2].flags.session_id.clone().expect("a fresh session");
    assert_ne!(fresh, old);
    let recap = prompt(&calls[2]);
    assert!(recap.contains("could not be resumed"), "{recap}");
    assert!(recap.contains("design the schema"), "{recap}");
    assert!(recap.contains("schema designed"), "{recap}");
    assert!(recap.contains("add an index"), "{recap}");
    let saved = record(&env, DEV);
    assert_eq!(saved["session_id"], fresh.as_str());
    assert_eq!(saved["recovered_from"], old.as_str());
    assert!(
        saved["recovery_reason"]
            .as_str()
            .unwrap()
            .contains("No conversation found")
    );
    assert_eq!(saved["status"], "ok");
    let remembered = memory(&env, DEV);
    assert!(
        remembered.iter().any(|entry| entry["kind"] == "recap"),
        "{remembered:?}"
    );
}

/// The real CLI's answer to `--resume` of an unknown session in
/// stream-json mode (`d_resume_unknown_uuid_stream_json.jsonl`): an
/// `error_during_execution` result with `is_error: true`, plus the stderr line.
#[test]
fn session_not_found_in_the_stream_json_shape_recovers_too() {
    let (env, fake) = project();
    env.nexus(&["ask", DEV, "design the schema"]).ok();
    let old = record(&env, DEV)["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let not_found = json!({
        "type": "result", "subtype": "error_during_execution", "duration_ms": 0,
        "duration_api_ms": 0, "is_error": true, "num_turns": 0, "stop_reason": null,
        "session_id": old, "total_cost_usd": 0,
        "usage": {"input_tokens": 0, "output_tokens": 0},
        "modelUsage": {}, "permission_denials": [],
        "uuid": "09f85cf1-dcef-4272-aacb-1bf988fd05cb",
        "errors": [format!("No conversation found with session ID: {old}")]
    });
    fake.script(&[Step::raw_stdout(&format!("{not_found}\n"))
        .stderr(&format!("No conversation found with session ID: {old}\n"))
        .exit_code(1)
        .matching("add an index")]);
    let run = env.nexus(&["ask", DEV, "add an index"]);
    run.ok();
    let calls = fake.invocations();
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[1].flags.resume.as_deref(), Some(old.as_str()));
    assert!(calls[2].flags.session_id.is_some());
    assert!(prompt(&calls[2]).contains("design the schema"));
    assert_eq!(record(&env, DEV)["recovered_from"], old.as_str());
}

#[test]
fn a_missing_cli_is_reported_with_the_install_hint() {
    // No fake on PATH and nothing named `claude` there either.
    let env = TestEnv::initialised();
    let run = env.nexus(&["ask", DEV, "hello"]);
    run.code(1);
    assert!(run.stderr.contains("cli_missing"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("npm install -g @anthropic-ai/claude-code"),
        "{}",
        run.stderr
    );
    // Nothing reached a CLI: no session to resume later.
    assert!(!record_path(&env, DEV).exists());

    let mut env = TestEnv::initialised();
    let missing = env.temp.path().join("no/such/claude");
    env.set("NEXUS_CLAUDE_BIN", missing.display().to_string());
    let run = env.nexus(&["ask", DEV, "hello"]);
    run.code(1);
    assert!(run.stderr.contains("cli_missing"), "{}", run.stderr);
    assert!(
        run.stderr.contains(&missing.display().to_string()),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}

#[test]
fn a_cli_that_is_not_executable_is_reported() {
    let mut env = TestEnv::initialised();
    let path = env.temp.path().join("claude-not-executable");
    std::fs::write(&path, "#!/bin/sh\necho hi\n").unwrap();
    env.set("NEXUS_CLAUDE_BIN", path.display().to_string());
    let run = env.nexus(&["ask", DEV, "hello"]);
    run.code(1);
    assert!(run.stderr.contains("cli_not_executable"), "{}", run.stderr);
    assert!(!record_path(&env, DEV).exists());
}

#[test]
fn nexus_claude_bin_names_the_cli() {
    let mut env = TestEnv::initialised();
    // Not on PATH: only the variable finds it.
    let fake = FakeClaude::install(&mut env);
    fake.script(&[]);
    let elsewhere = env.temp.path().join("elsewhere-claude");
    std::fs::rename(&fake.program, &elsewhere).unwrap();
    env.set("NEXUS_CLAUDE_BIN", elsewhere.display().to_string());
    env.nexus(&["ask", DEV, "hello"]).ok();
    assert_eq!(fake.invocations().len(), 1);
}

#[test]
fn bad_arguments_are_reported() {
    let (env, fake) = project();
    env.nexus(&["ask", DEV, "warm up"]).ok();
    // A tool rule that looks like an option: the CLI rejects the command
    // line (exit 1, empty stdout, the message on stderr).
    let agent_file = ".nexus/agents/code_developer.toml";
    env.write(
        agent_file,
        &env.read(agent_file).replace(
            "disallowed_tools = []",
            "disallowed_tools = [\"--frobnicate\"]",
        ),
    );
    let run = env.nexus(&["ask", DEV, "the real work"]);
    assert_failed(&env, &run, "bad_arguments", "--disallowedTools");
    assert_eq!(fake.invocations()[1].exit_code, Some(1));
    assert_eq!(memory(&env, DEV)[0]["request"], "warm up");
}

#[test]
fn a_crash_without_output_is_reported() {
    let (mut env, _fake) = project();
    env.nexus(&["ask", DEV, "warm up"]).ok();
    let crasher = env.write_executable("crashing-claude", "#!/bin/sh\nexit 2\n");
    env.set("NEXUS_CLAUDE_BIN", crasher.display().to_string());
    let run = env.nexus(&["ask", DEV, "the real work"]);
    assert_failed(&env, &run, "crashed", "exit 2");
}

#[test]
fn a_crash_after_the_stream_started_is_reported_as_a_crash() {
    // The CLI printed its `system/init` line, then died with exit 2 and a
    // stack trace, without a `result`: a crash, not unreadable output.
    let (env, _fake, run) = ask_after_success(
        Step::raw_stdout("")
            .stderr("TypeError: cannot read properties of undefined\n")
            .exit_code(2),
    );
    assert_failed(&env, &run, "crashed", "exit 2");
    assert!(run.stderr.contains("TypeError"), "{}", run.stderr);
}

#[test]
fn death_by_a_signal_is_reported() {
    let (env, _fake, run) = ask_after_success(Step::crash("SIGSEGV"));
    assert_failed(&env, &run, "killed", "signal 11");
}

#[test]
fn garbage_and_truncated_output_are_invalid() {
    let (env, _fake, run) = ask_after_success(Step::raw_stdout("this is not json at all\n"));
    assert_failed(&env, &run, "invalid_output", "no `result`");

    let (env, fake) = project();
    fake.script(&[Step::reply("a long enough answer").truncate(600)]);
    let run = env.nexus(&["ask", DEV, "cut me short"]);
    assert_failed(&env, &run, "invalid_output", "");

    let (mut env, _fake) = project();
    let proxy_page = env.write_executable(
        "html-claude",
        "#!/bin/sh\necho '<html>502 Bad Gateway</html>'\n",
    );
    env.set("NEXUS_CLAUDE_BIN", proxy_page.display().to_string());
    let run = env.nexus(&["ask", DEV, "anything"]);
    assert_failed(&env, &run, "invalid_output", "not JSON");
}

/// Asserts the fake of `call` was stopped from outside and is gone.
#[track_caller]
fn assert_stopped(fake: &FakeClaude) {
    let call = fake.invocations().pop().expect("an invocation");
    assert_eq!(call.ended_at, None, "it did not exit by itself");
    assert!(
        wait_until(Duration::from_secs(10), || !alive(call.pid)),
        "the fake (pid {}) is still running",
        call.pid
    );
}

#[test]
fn the_wall_clock_timeout_stops_the_turn() {
    let (env, fake) = project();
    timeouts(&env, "1s", "10m", "300ms");
    // It keeps talking, so only the wall clock can stop it.
    fake.script(&[Step::hang().heartbeat(0.2)]);
    let started = Instant::now();
    let run = env.nexus(&["ask", DEV, "take forever"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_failed(&env, &run, "timeout", "wall-clock");
    assert_stopped(&fake);
}

#[test]
fn the_inactivity_timeout_stops_a_silent_turn() {
    let (env, fake) = project();
    timeouts(&env, "10m", "1s", "300ms");
    fake.script(&[Step::hang()]);
    let started = Instant::now();
    let run = env.nexus(&["ask", DEV, "say nothing"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_failed(&env, &run, "inactivity_timeout", "inactivity");
    assert_stopped(&fake);
}

#[test]
fn a_cli_ignoring_sigterm_is_killed_after_the_grace() {
    let (env, fake) = project();
    timeouts(&env, "1s", "10m", "300ms");
    fake.script(&[Step::hang().ignore_sigterm()]);
    let started = Instant::now();
    let run = env.nexus(&["ask", DEV, "ignore the signal"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_failed(&env, &run, "timeout", "wall-clock");
    assert_stopped(&fake);
}

#[test]
fn a_grandchild_holding_the_pipe_is_killed_and_reported() {
    let (env, fake) = project();
    configure(
        &env,
        &[("leak_timeout = \"2s\"", "leak_timeout = \"300ms\"")],
    );
    fake.script(&[Step::reply("done, mostly").grandchild(60.0)]);
    let started = Instant::now();
    let run = env.nexus(&["ask", DEV, "leave something behind"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    run.ok();
    assert_eq!(run.stdout, "done, mostly\n");
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    assert!(run.stderr.contains("holding its output"), "{}", run.stderr);
    let grandchild = fake.invocations()[0].grandchild_pid.expect("a grandchild");
    assert!(
        wait_until(Duration::from_secs(10), || !alive(grandchild)),
        "the grandchild {grandchild} is still running"
    );
}

#[test]
fn a_second_ask_to_a_busy_session_exits_4_naming_the_holder() {
    let (env, fake) = project();
    configure(&env, &[("grace = \"5s\"", "grace = \"300ms\"")]);
    fake.script(&[Step::hang().matching("hold the line")]);
    let mut background = Background::start(&env, &fake, &["ask", DEV, "hold the line"]);
    let hanging = background.wait_for_call(&fake, 1);

    let busy = env.nexus(&["ask", DEV, "me too"]);
    busy.code(4);
    assert!(busy.stderr.contains("busy"), "{}", busy.stderr);
    assert!(
        busy.stderr.contains(&background.pid.to_string()),
        "the holder's pid {} is named: {}",
        background.pid,
        busy.stderr
    );
    assert_eq!(fake.invocations().len(), 1, "the busy ask called nothing");

    // Another agent has its own session.
    env.nexus(&["ask", "aria_coordinator", "are you free"]).ok();

    // SIGTERM to nexus stops the turn (and its CLI) and exits 130.
    crate::common::asking::signal(background.pid, libc::SIGTERM);
    let stopped = background.finish();
    stopped.code(130);
    assert!(
        wait_until(Duration::from_secs(10), || !alive(hanging.pid)),
        "the interrupted CLI is gone"
    );
    // The session is free again and resumable.
    env.nexus(&["ask", DEV, "me too"]).ok();
    let calls = fake.invocations();
    let last = calls.last().unwrap();
    assert_eq!(last.flags.resume, hanging.flags.session_id);
}

#[test]
fn messages_link_assignment_and_result() {
    let (env, fake) = project();
    fake.script(&[Step::reply("plain text answer")]);
    env.nexus(&["ask", DEV, "do the thing"]).ok();
    let session_id = record(&env, DEV)["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let sent = messages(&env, DEV);
    assert_eq!(sent.len(), 2);
    let (assignment, result) = (&sent[0], &sent[1]);
    for message in &sent {
        assert!(is_message_id(message["message_id"].as_str().unwrap()));
        assert_eq!(message["conversation_thread"], format!("ask-{DEV}"));
        assert_eq!(message["protocol_version"], "1.0");
    }
    assert_eq!(assignment["message_type"], "task_assignment");
    assert_eq!(assignment["from"]["agent_id"], "nexus_prime");
    assert_eq!(assignment["to"]["agent_id"], DEV);
    assert_eq!(assignment["to"]["session_id"], session_id.as_str());
    assert_eq!(assignment["status"], "sent");
    assert_eq!(assignment["response_expected"], true);
    let sent_prompt = assignment["payload"]["task"]["prompt"].as_str().unwrap();
    assert_eq!(sent_prompt, prompt(&fake.invocations()[0]));

    assert_eq!(result["message_type"], "task_result");
    assert_eq!(result["response_to"], assignment["message_id"]);
    assert_eq!(result["from"]["agent_id"], DEV);
    assert_eq!(result["from"]["session_id"], session_id.as_str());
    assert_eq!(result["to"]["agent_id"], "nexus_prime");
    assert_eq!(result["status"], "completed");
    assert!(result["execution_time_seconds"].is_number());
    let payload = &result["payload"]["task_result"];
    assert_eq!(payload["structured"], false);
    assert_eq!(payload["summary"], "plain text answer");
    assert_eq!(payload["reply"], "plain text answer");
}

#[test]
fn a_trailing_json_block_fills_the_result_payload() {
    let (env, fake) = project();
    let reply = "I added the flag.\n\n```json\n{\"summary\": \"Added --verbose\", \
                 \"deliverables\": [\"src/cli.rs\"], \"recommendations\": [\"document it\"], \
                 \"next_steps\": [\"release\"], \"confidence\": 0.9, \"questions\": [\"ok?\"]}\n```";
    fake.script(&[Step::reply(reply)]);
    let run = env.nexus(&["ask", DEV, "add a verbose flag"]);
    run.ok();
    assert!(run.stdout.contains("I added the flag."));
    let sent = messages(&env, DEV);
    let payload = &sent[1]["payload"]["task_result"];
    assert_eq!(payload["structured"], true);
    assert_eq!(payload["summary"], "Added --verbose");
    assert_eq!(payload["deliverables"], json!(["src/cli.rs"]));
    assert_eq!(payload["recommendations"], json!(["document it"]));
    assert_eq!(payload["next_steps"], json!(["release"]));
    assert_eq!(payload["confidence_score"], 0.9);
    assert_eq!(payload["questions"], json!(["ok?"]));
    // Every prompt asks for the block.
    assert!(prompt(&fake.invocations()[0]).contains("```json"));
}
