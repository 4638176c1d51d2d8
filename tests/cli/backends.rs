//! Codex and Gemini agents end to end with their fakes (`fake-codex`,
//! `fake-gemini`, faithful to the recorded samples): sessions created,
//! resumed and recovered, usage per call, cost from `[prices]` or
//! "unknown", a call killed with nexus still resumable, the Gemini traps
//! explained, and a plan mixing Claude, Codex and Gemini agents run to
//! completion with every command that works for Claude agents.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::agent_fakes::{FakeCli, add_agent};
use crate::common::asking::{memory, record, wait_until};
use crate::common::fake_claude::FakeClaude;
use crate::common::{TestEnv, nexus_bin};

/// A project with a Codex agent `coder` on the fake.
fn codex_project() -> (TestEnv, FakeCli) {
    let mut env = TestEnv::initialised();
    let fake = FakeCli::install(&mut env, "codex");
    add_agent(&env, "coder", "codex", "");
    (env, fake)
}

/// A project with a Gemini agent `gem` on the fake, its folder trusted by
/// the user's choice (`trust_workspace = true`) unless `trusted` is false.
fn gemini_project(trusted: bool) -> (TestEnv, FakeCli) {
    let mut env = TestEnv::initialised();
    let fake = FakeCli::install(&mut env, "gemini");
    let table = if trusted {
        "[gemini]\ntrust_workspace = true\n"
    } else {
        ""
    };
    add_agent(&env, "gem", "gemini", table);
    (env, fake)
}

/// The cost `[prices]` gives `tokens` (input, cached, output) at these
/// prices per million.
fn priced(tokens: (u64, u64, u64), input: f64, cached: f64, output: f64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let per = |count: u64, price: f64| count as f64 * price / 1e6;
    per(tokens.0 - tokens.1, input) + per(tokens.1, cached) + per(tokens.2, output)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn arg_after<'a>(call: &'a Value, flag: &str) -> Option<&'a str> {
    let argv = call["argv"].as_array()?;
    let at = argv.iter().position(|arg| arg == flag)?;
    argv.get(at + 1)?.as_str()
}

#[test]
fn a_codex_thread_is_captured_resumed_and_priced_per_call() {
    let (env, fake) = codex_project();
    let first = env.nexus(&["ask", "coder", "hello codex"]);
    first.ok();
    assert!(
        first.stdout.contains("FAKE-REPLY turn=1"),
        "{}",
        first.stdout
    );
    let saved = record(&env, "coder");
    let thread = saved["session_id"].as_str().unwrap().to_string();
    let calls = fake.calls();
    assert_eq!(calls[0]["thread_id"], thread.as_str(), "the CLI's own id");
    assert_eq!(saved["backend"], "codex");
    assert_eq!(saved["status"], "ok");
    assert_eq!(saved["input_tokens"], 11);
    assert_eq!(saved["cli_totals"]["input"], 11);
    // gpt-5-codex is priced in the default config.toml.
    let one_call = priced((11, 3, 2), 1.25, 0.125, 10.0);
    assert!(
        close(saved["cost_usd"].as_f64().unwrap(), one_call),
        "{saved}"
    );
    assert!(saved.get("unpriced_turns").is_none(), "{saved}");
    assert!(first.stderr.contains("$0.0000"), "{}", first.stderr);
    // The argv: stdin closed, the sandbox from `permission`, the
    // personality as developer instructions, the prompt after `--`.
    let call = &calls[0];
    assert_eq!(call["stdin"], "null");
    assert_eq!(call["flags"]["sandbox"], "workspace-write");
    assert_eq!(call["flags"]["model"], "gpt-5-codex");
    assert!(
        call["flags"]["configs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|config| config
                .as_str()
                .unwrap()
                .starts_with("developer_instructions=\"You are Code")),
        "{call}"
    );

    let second = env.nexus(&["ask", "coder", "and again"]);
    second.ok();
    assert!(
        second.stderr.contains("resumed session"),
        "{}",
        second.stderr
    );
    assert!(
        second.stdout.contains("FAKE-REPLY turn=2"),
        "{}",
        second.stdout
    );
    let calls = fake.calls();
    assert_eq!(calls[1]["flags"]["resume_id"], thread.as_str());
    // The first assignment went to a thread the CLI had not named yet: it
    // names none (never nexus's provisional id); its answer names the
    // thread, and the resumed turn's assignment names it too.
    let thread_dir = env.nexus_dir().join("messages/ask-coder");
    let files: Vec<_> = std::fs::read_dir(&thread_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    let mut messages: Vec<Value> = files
        .iter()
        .map(|file| serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap())
        .collect();
    messages.sort_by_key(|message| message["timestamp"].as_str().unwrap().to_string());
    let of_type = |kind: &str| -> Vec<&Value> {
        messages
            .iter()
            .filter(|message| message["message_type"] == kind)
            .collect()
    };
    let (assignments, results) = (of_type("task_assignment"), of_type("task_result"));
    assert_eq!((assignments.len(), results.len()), (2, 2), "{messages:?}");
    assert!(assignments[0]["to"]["session_id"].is_null(), "{messages:?}");
    assert_eq!(results[0]["from"]["session_id"], thread.as_str());
    assert_eq!(assignments[1]["to"]["session_id"], thread.as_str());
    let saved = record(&env, "coder");
    assert_eq!(saved["session_id"], thread.as_str());
    assert_eq!(saved["turns"], 2);
    // The CLI said 22 (cumulative); nexus counts 11 per call.
    assert_eq!(saved["cli_totals"]["input"], 22);
    assert_eq!(saved["input_tokens"], 22);
    assert!(close(saved["cost_usd"].as_f64().unwrap(), 2.0 * one_call));
    let remembered = memory(&env, "coder");
    assert_eq!(remembered.len(), 2);
    assert_eq!(remembered[1]["session_id"], thread.as_str());

    // sessions: listed as valid (its rollout exists), checked, shown.
    let listed = env.nexus(&["sessions", "list", "--json"]);
    listed.ok();
    let rows = listed.json();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["record"]["agent_id"] == "coder")
        .unwrap()
        .clone();
    assert_eq!(row["validity"]["state"], "valid", "{row}");
    env.nexus(&["sessions", "check"]).ok();
    // Gone from the CLI's store: recovered with a recap on the next turn.
    let rollouts = walkdir::WalkDir::new(env.home.join(".codex/sessions"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().contains(&thread))
        .map(|entry| entry.path().to_path_buf())
        .collect::<Vec<_>>();
    assert_eq!(rollouts.len(), 1);
    std::fs::remove_file(&rollouts[0]).unwrap();
    let third = env.nexus(&["ask", "coder", "after the loss"]);
    third.ok();
    assert!(third.stderr.contains("recovered"), "{}", third.stderr);
    let saved = record(&env, "coder");
    assert_ne!(saved["session_id"], thread.as_str());
    assert_eq!(saved["recovered_from"], thread.as_str());
    assert_eq!(
        saved["cli_totals"]["input"], 11,
        "a new thread's totals start again"
    );
    let prompt = fake.calls()[2]["flags"]["prompt"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(prompt.contains("could not be resumed"), "{prompt}");
    assert!(prompt.contains("hello codex"), "the recap: {prompt}");
}

#[test]
fn a_codex_model_without_a_price_costs_unknown_and_a_budget_refuses_it() {
    let (env, _fake) = codex_project();
    add_agent(&env, "coder", "codex", "[codex]\nmodel = \"gpt-6.2-sol\"\n");
    let asked = env.nexus(&["ask", "coder", "hello"]);
    asked.ok();
    assert!(asked.stderr.contains("· unknown"), "{}", asked.stderr);
    let saved = record(&env, "coder");
    assert_eq!(saved["unpriced_turns"], 1);
    assert_eq!(saved["cost_usd"], 0.0);
    let listed = env.nexus(&["sessions", "list"]);
    assert!(listed.stdout.contains("unknown"), "{}", listed.stdout);
    // The session test's estimate does not take an unpriced turn for a
    // free one.
    let estimate = env.nexus(&["sessions", "test", "coder"]);
    assert!(
        estimate.stderr.contains("cost unknown") && !estimate.stderr.contains("about $0.0000"),
        "{}",
        estimate.stderr
    );

    crate::run::write_plan(
        &env,
        "p1",
        &json!({"tasks": [{"id": "t", "title": "Do it", "type": "implementation", "agent": "coder"}]}),
    );
    let refused = env.nexus(&["run", "p1", "--max-cost", "1"]);
    refused.code(2);
    assert!(
        refused
            .stderr
            .contains("`coder` (codex model `gpt-6.2-sol`)"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("[prices]"), "{}", refused.stderr);
    // Without a budget the run goes on, and says the cost is unknown.
    let run = env.nexus(&["run", "p1"]);
    run.ok();
    assert!(run.stderr.contains("completed t in"), "{}", run.stderr);
    assert!(run.stderr.contains(", unknown"), "{}", run.stderr);
    assert!(run.stderr.contains("· unknown ·"), "{}", run.stderr);
    let status = env.nexus(&["status", "p1", "--json"]).json();
    assert_eq!(status["task_metrics"]["unpriced_turns"], 1, "{status}");
    assert_eq!(status["tasks"][0]["unpriced_turns"], 1);
    let text = env.nexus(&["status", "p1"]);
    assert!(
        text.stdout.contains("unknown · 11 input"),
        "{}",
        text.stdout
    );
    let report = env.nexus(&["report", "p1"]);
    report.ok();
    assert!(report.stdout.contains("unknown"), "{}", report.stdout);
    assert!(!report.stdout.contains("$0.0000"), "{}", report.stdout);
    let report = env.nexus(&["report", "p1", "--json"]).json();
    assert_eq!(report["summary"]["unpriced_turns"], 1, "{report}");
    // A price in config.toml makes it known, and the budget accepts it.
    crate::run::configure(
        &env,
        &[(
            "[prices]\n",
            "[prices]\n\"gpt-6.2-sol\" = { input_per_mtok = 1.0, output_per_mtok = 2.0 }\n",
        )],
    );
    env.nexus(&["ask", "coder", "priced now"]).ok();
    let saved = record(&env, "coder");
    assert_eq!(
        saved["unpriced_turns"], 2,
        "the earlier turns (ask and run) stay unknown"
    );
    assert!(saved["cost_usd"].as_f64().unwrap() > 0.0);
}

/// Kill -9 of nexus while Codex works: the record already holds the thread
/// id from `thread.started`, so the next turn resumes that thread.
#[test]
fn a_codex_call_killed_with_nexus_is_still_resumable() {
    let (env, fake) = codex_project();
    fake.script(&json!([{"match": "long job", "sleep_secs": 60}]));
    let mut nexus = env
        .command(&nexus_bin())
        .args(["ask", "coder", "a long job"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let thread = || {
        fake.calls()
            .first()
            .and_then(|call| call["thread_id"].as_str().map(str::to_string))
    };
    assert!(
        wait_until(Duration::from_secs(20), || {
            thread().is_some_and(|id| {
                std::fs::read_to_string(env.nexus_dir().join("sessions/coder.json"))
                    .is_ok_and(|text| text.contains(&id))
            })
        }),
        "the record never took the thread id"
    );
    let id = thread().unwrap();
    nexus.kill().unwrap();
    nexus.wait().unwrap();
    let saved = record(&env, "coder");
    assert_eq!(saved["session_id"], id.as_str());
    assert_eq!(saved["status"], "starting");
    // The orphaned CLI holds the session lock; it is killed like a hung one.
    fake.kill_hung();
    assert!(wait_until(Duration::from_secs(10), || {
        fake.calls()
            .first()
            .is_some_and(|call| !crate::common::asking::alive(call["pid"].as_i64().unwrap()))
    }));

    let next = env.nexus(&["ask", "coder", "carry on"]);
    next.ok();
    assert!(next.stderr.contains("resumed session"), "{}", next.stderr);
    let calls = fake.calls();
    assert_eq!(calls[1]["flags"]["resume_id"], id.as_str());
    assert!(
        next.stdout.contains("FAKE-REPLY turn=2 last_user="),
        "the killed prompt is in the thread: {}",
        next.stdout
    );
    let saved = record(&env, "coder");
    assert_eq!(saved["session_id"], id.as_str());
    assert_eq!(
        saved["input_tokens"], 11,
        "the killed call reported nothing"
    );
}

#[test]
fn codex_failures_are_classified_and_denials_seen_on_stderr() {
    let (env, fake) = codex_project();
    fake.script(&json!([
        {"match": "boom", "kind": "api_error", "status": 401},
        {"match": "escalate", "commands": [{"cmd": "rm -rf /", "escalate": true}], "reply": "done"},
    ]));
    let failed = env.nexus(&["ask", "coder", "boom"]);
    failed.code(3);
    assert!(failed.stderr.contains("api_error"), "{}", failed.stderr);
    assert!(failed.stderr.contains("HTTP 401"), "{}", failed.stderr);
    let denied = env.nexus(&["ask", "coder", "escalate please"]);
    denied.code(3);
    assert!(
        denied.stderr.contains("permission_denied"),
        "{}",
        denied.stderr
    );
    assert!(
        denied.stderr.contains("approval policy is Never"),
        "{}",
        denied.stderr
    );
    // A read-only agent runs in the read-only sandbox.
    add_agent(&env, "reader", "codex", "");
    let text = env
        .read(".nexus/agents/reader.toml")
        .replace("permission = \"build\"", "permission = \"read\"");
    env.write(".nexus/agents/reader.toml", &text);
    env.nexus(&["ask", "reader", "look"]).ok();
    let call = fake.calls().pop().unwrap();
    assert_eq!(call["flags"]["sandbox"], "read-only");
}

#[test]
fn a_gemini_session_is_preset_resumed_and_priced() {
    let (env, fake) = gemini_project(true);
    let first = env.nexus(&["ask", "gem", "hello gemini"]);
    first.ok();
    let saved = record(&env, "gem");
    let id = saved["session_id"].as_str().unwrap().to_string();
    assert!(crate::common::asking::is_v4_uuid(&id), "{id}");
    let calls = fake.calls();
    let call = &calls[0];
    assert_eq!(arg_after(call, "--session-id"), Some(id.as_str()), "{call}");
    assert_eq!(call["flags"]["model"], "gemini-2.5-flash");
    assert_eq!(call["flags"]["approval_mode"], "auto_edit");
    assert_eq!(call["flags"]["output_format"], "stream-json");
    assert_eq!(call["flags"]["skip_trust"], true, "the user opted in");
    assert_eq!(call["stdin"], "null");
    assert!(
        call["flags"]["prompt"]
            .as_str()
            .unwrap()
            .starts_with("<instructions>\nYou are Code"),
        "{call}"
    );
    assert_eq!(saved["input_tokens"], 5);
    assert!(close(
        saved["cost_usd"].as_f64().unwrap(),
        priced((5, 0, 2), 0.30, 0.075, 2.50)
    ));

    let second = env.nexus(&["ask", "gem", "second turn"]);
    second.ok();
    assert!(
        second.stderr.contains("resumed session"),
        "{}",
        second.stderr
    );
    let calls = fake.calls();
    assert_eq!(arg_after(&calls[1], "--resume"), Some(id.as_str()));
    let saved = record(&env, "gem");
    assert_eq!(saved["session_id"], id.as_str());
    assert_eq!(saved["turns"], 2);
    assert!(
        saved["input_tokens"].as_u64().unwrap() > 5,
        "per call, added"
    );
    assert!(saved.get("cli_totals").is_none(), "Gemini reports per call");

    // The session file gone (per cwd, via projects.json): recovered.
    let projects: Value = serde_json::from_str(
        &std::fs::read_to_string(env.home.join(".gemini/projects.json")).unwrap(),
    )
    .unwrap();
    let short = projects["projects"][env.project.display().to_string()]
        .as_str()
        .unwrap();
    std::fs::remove_dir_all(env.home.join(".gemini/tmp").join(short).join("chats")).unwrap();
    let third = env.nexus(&["ask", "gem", "after the loss"]);
    third.ok();
    assert!(third.stderr.contains("recovered"), "{}", third.stderr);
    assert_eq!(record(&env, "gem")["recovered_from"], id.as_str());
}

#[test]
fn geminis_headless_traps_are_classified_and_explained_never_worked_around() {
    let (env, fake) = gemini_project(false);
    let untrusted = env.nexus(&["ask", "gem", "hello"]);
    untrusted.code(3);
    assert!(
        untrusted.stderr.contains("auth_failed"),
        "{}",
        untrusted.stderr
    );
    assert!(
        untrusted.stderr.contains("trust_workspace"),
        "{}",
        untrusted.stderr
    );
    let call = fake.calls().pop().unwrap();
    assert_eq!(call["flags"]["skip_trust"], false, "never trusted silently");
    assert!(
        call["env"]["GEMINI_CLI_TRUST_WORKSPACE"].is_null(),
        "{call}"
    );
    let doctor = env.nexus(&["doctor"]);
    assert!(doctor.stdout.contains("gemini trust"), "{}", doctor.stdout);
    assert!(doctor.stdout.contains("exit 55"), "{}", doctor.stdout);
    assert!(
        doctor.stdout.contains("gemini auth") && doctor.stdout.contains("gemini-api-key"),
        "{}",
        doctor.stdout
    );
    assert!(
        doctor.stdout.contains("0.61.0") && doctor.stdout.contains("agents: gem"),
        "{}",
        doctor.stdout
    );

    // No auth type in the settings: exit 41, and doctor says what to write.
    std::fs::write(env.home.join(".gemini/settings.json"), "{}").unwrap();
    let settings_before = std::fs::read(env.home.join(".gemini/settings.json")).unwrap();
    let no_auth = env.nexus(&["ask", "gem", "hello"]);
    no_auth.code(3);
    assert!(no_auth.stderr.contains("auth_failed"), "{}", no_auth.stderr);
    assert!(no_auth.stderr.contains("exit 41"), "{}", no_auth.stderr);
    let doctor = env.nexus(&["doctor"]);
    doctor.code(1);
    assert!(
        doctor.stdout.contains("security.auth.selectedType"),
        "{}",
        doctor.stdout
    );
    assert_eq!(
        std::fs::read(env.home.join(".gemini/settings.json")).unwrap(),
        settings_before,
        "nexus never writes the user's settings"
    );
}

#[test]
fn gemini_api_errors_and_denials_are_classified() {
    let (env, fake) = gemini_project(true);
    fake.script(&json!([
        {"match": "boom", "kind": "api_error", "status": 429},
        {"match": "write", "write": {"file_path": "out.txt", "content": "hi"}, "reply": "wrote it"},
    ]));
    let failed = env.nexus(&["ask", "gem", "boom"]);
    failed.code(3);
    assert!(failed.stderr.contains("api_error"), "{}", failed.stderr);
    assert!(failed.stderr.contains("HTTP 429"), "{}", failed.stderr);
    // Read-only: the edit tools are not offered, the write is denied.
    let text = env
        .read(".nexus/agents/gem.toml")
        .replace("permission = \"build\"", "permission = \"read\"");
    env.write(".nexus/agents/gem.toml", &text);
    let denied = env.nexus(&["ask", "gem", "write the file"]);
    denied.code(3);
    assert!(
        denied.stderr.contains("permission_denied") && denied.stderr.contains("write_file"),
        "{}",
        denied.stderr
    );
    assert_eq!(
        fake.calls().pop().unwrap()["flags"]["approval_mode"],
        "default"
    );
    assert!(!env.project.join("out.txt").exists());
}

/// A plan mixing the three backends, run to completion with the fakes:
/// the upstream result reaches each downstream prompt, every agent keeps
/// its session, costs add up (Claude's reported, the others priced), and
/// `status`, `log`, `sessions`, `agents show`, `doctor` and `--dry-run`
/// work for every backend.
#[test]
fn a_plan_mixing_claude_codex_and_gemini_runs_to_completion() {
    let mut env = TestEnv::initialised();
    let claude = FakeClaude::install(&mut env);
    claude.script(&[crate::common::fake_claude::Step::reply("SPEC-42: add --json").cost(0.01)]);
    let codex = FakeCli::install(&mut env, "codex");
    let gemini = FakeCli::install(&mut env, "gemini");
    add_agent(&env, "coder", "codex", "");
    add_agent(&env, "gem", "gemini", "[gemini]\ntrust_workspace = true\n");
    codex.script(&json!([{"match": "Implement", "reply": "IMPLEMENTED per SPEC-42"}]));
    gemini.script(&json!([{"match": "Review", "reply": "REVIEWED: fine"}]));
    crate::run::write_plan(
        &env,
        "mix",
        &json!({"tasks": [
            {"id": "spec", "title": "Specify", "description": "write the spec", "type": "analysis", "agent": "aria_coordinator"},
            {"id": "build", "title": "Implement", "description": "Implement the spec", "type": "implementation", "agent": "coder", "depends_on": ["spec"]},
            {"id": "review", "title": "Review", "description": "Review the work", "type": "review", "agent": "gem", "depends_on": ["build"]},
            {"id": "polish", "title": "Polish", "description": "Apply the review", "type": "refactoring", "agent": "coder", "depends_on": ["review"]}
        ]}),
    );
    let dry = env.nexus(&["run", "mix", "--dry-run"]);
    dry.ok();
    assert!(
        dry.stdout.contains("exec") && dry.stdout.contains("--json"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("--approval-mode"), "{}", dry.stdout);
    assert!(codex.calls().is_empty() && gemini.calls().is_empty());

    let run = env.nexus(&["run", "mix"]);
    run.ok();
    assert!(run.stderr.contains("4 completed"), "{}", run.stderr);
    let task = |id: &str| -> Value {
        serde_json::from_str(&env.read(&format!(".nexus/plans/mix/tasks/{id}.json"))).unwrap()
    };
    let (spec, build, review) = (task("spec"), task("build"), task("review"));
    for record in [&spec, &build, &review] {
        assert_eq!(record["state"], "completed", "{record}");
        assert!(record.get("unpriced_turns").is_none(), "{record}");
    }
    let codex_prompt = codex.calls()[0]["flags"]["prompt"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(codex_prompt.contains("SPEC-42"), "{codex_prompt}");
    let gemini_prompt = gemini.calls()[0]["flags"]["prompt"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        gemini_prompt.contains("IMPLEMENTED per SPEC-42"),
        "{gemini_prompt}"
    );
    assert_eq!(build["session_id"], codex.calls()[0]["thread_id"]);
    assert!(close(spec["cost_usd"].as_f64().unwrap(), 0.01), "{spec}");
    assert!(build["cost_usd"].as_f64().unwrap() > 0.0, "{build}");
    assert!(review["cost_usd"].as_f64().unwrap() > 0.0, "{review}");
    assert!(
        env.read(".nexus/plans/mix/results/review.md")
            .contains("REVIEWED")
    );

    let status = env.nexus(&["status", "mix", "--json"]).json();
    assert_eq!(status["task_metrics"]["by_state"]["completed"], 4);
    // The Codex agent's second task resumed its thread, 11 tokens a call.
    let calls = codex.calls();
    assert_eq!(calls[1]["flags"]["resume_id"], calls[0]["thread_id"]);
    let polish = task("polish");
    assert_eq!(polish["session_id"], build["session_id"]);
    assert_eq!(polish["input_tokens"], 11, "{polish}");
    assert!(
        calls[1]["flags"]["prompt"]
            .as_str()
            .unwrap()
            .contains("REVIEWED: fine")
    );
    assert!(status["task_metrics"].get("unpriced_turns").is_none());
    let log = env.nexus(&["log", "mix", "build"]);
    log.ok();
    assert!(
        log.stdout.contains("assistant: IMPLEMENTED per SPEC-42"),
        "{}",
        log.stdout
    );
    let log = env.nexus(&["log", "mix", "review"]);
    assert!(log.stdout.contains("result: success"), "{}", log.stdout);
    let sessions = env.nexus(&["sessions", "list", "--json"]).json();
    let backends: Vec<&str> = sessions
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["validity"]["state"] == "valid")
        .map(|row| row["record"]["backend"].as_str().unwrap())
        .collect();
    for backend in ["claude", "codex", "gemini"] {
        assert!(backends.contains(&backend), "{backends:?}");
    }
    let show = env.nexus(&["agents", "show", "coder"]);
    show.ok();
    assert!(
        show.stdout.contains("codex (`") && show.stdout.contains("codex-cli 0.171.0"),
        "{}",
        show.stdout
    );
    let list = env.nexus(&["agents", "list"]);
    assert!(
        list.stdout.contains("sandbox workspace-write"),
        "{}",
        list.stdout
    );
    let doctor = env.nexus(&["doctor"]);
    for needle in [
        "codex-cli 0.171.0",
        "agents: coder",
        "agents: gem",
        "codex auth",
    ] {
        assert!(
            doctor.stdout.contains(needle),
            "{needle}: {}",
            doctor.stdout
        );
    }
    let gc = env.nexus(&["sessions", "gc", "--dry-run"]);
    gc.ok();
    assert!(!gc.stdout.contains("coder"), "{}", gc.stdout);
}
