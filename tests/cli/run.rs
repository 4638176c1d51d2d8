//! `nexus run`: the scheduler, driven end to end with the fake `claude`.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::fake_claude::{FakeClaude, Step};
use crate::common::{TestEnv, nexus_bin};

/// A diamond: `a` → (`b`, `c`) → `d`, each task on its own agent.
fn diamond() -> Value {
    json!({"tasks": [
        {"id": "a", "title": "Specify", "description": "write the spec", "type": "analysis", "agent": "aria_coordinator", "priority": "high"},
        {"id": "b", "title": "Implement", "description": "implement it", "type": "implementation", "agent": "code_developer", "depends_on": ["a"]},
        {"id": "c", "title": "Write tests", "description": "write tests", "type": "test_creation", "agent": "alpha_test_creator", "depends_on": ["a"]},
        {"id": "d", "title": "Validate", "description": "run the tests", "type": "validation", "agent": "beta_test_validator", "depends_on": ["b", "c"]}
    ]})
}

/// Writes `plan.json` for plan `id` the way `nexus plan --from` stores it.
pub fn write_plan(env: &TestEnv, id: &str, tasks: &Value) {
    let mut plan = json!({
        "schema": 1,
        "id": id,
        "request": "test request",
        "planner": "import",
        "created_at": "2026-11-26T00:00:00.000Z",
        "tasks": tasks["tasks"],
    });
    for task in plan["tasks"].as_array_mut().unwrap() {
        for (key, default) in [("depends_on", json!([])), ("description", json!(""))] {
            if task.get(key).is_none() {
                task[key] = default;
            }
        }
    }
    env.write(
        &format!(".nexus/plans/{id}/plan.json"),
        &serde_json::to_string_pretty(&plan).unwrap(),
    );
}

/// Replaces text in `config.toml` (test settings: short timeouts, backoff).
pub fn configure(env: &TestEnv, replacements: &[(&str, &str)]) {
    let mut config = env.read(".nexus/config.toml");
    for (from, to) in replacements {
        assert!(config.contains(from), "config.toml has no `{from}`");
        config = config.replace(from, to);
    }
    env.write(".nexus/config.toml", &config);
}

/// Sets how many sessions of `agent` may work in parallel.
fn set_instances(env: &TestEnv, agent: &str, instances: u32) {
    let path = format!(".nexus/agents/{agent}.toml");
    let text = env
        .read(&path)
        .replace("instances = 1", &format!("instances = {instances}"));
    env.write(&path, &text);
}

/// Plan `p1`: four independent analysis tasks Aria can run side by side.
fn four_parallel_analysis_tasks(env: &TestEnv) {
    set_instances(env, "aria_coordinator", 4);
    write_plan(
        env,
        "p1",
        &json!({"tasks": [
            {"id": "a", "title": "A", "type": "analysis"},
            {"id": "b", "title": "B", "type": "analysis"},
            {"id": "c", "title": "C", "type": "analysis"},
            {"id": "d", "title": "D", "type": "analysis"}
        ]}),
    );
}

fn fast_config(env: &TestEnv) {
    configure(
        env,
        &[
            ("retry_backoff = \"5s\"", "retry_backoff = \"50ms\""),
            ("grace = \"5s\"", "grace = \"500ms\""),
        ],
    );
}

/// Reads a task record; a task that never ran may have no file (pending).
fn task(env: &TestEnv, plan: &str, id: &str) -> Value {
    match std::fs::read_to_string(
        env.project
            .join(format!(".nexus/plans/{plan}/tasks/{id}.json")),
    ) {
        Ok(text) => serde_json::from_str(&text).unwrap(),
        Err(_) => json!({"state": "pending"}),
    }
}

fn time(value: &Value) -> f64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    let parsed = humantime::parse_rfc3339_weak(text).unwrap();
    parsed
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn span(record: &Value) -> (f64, f64) {
    let attempt = record["attempts"].as_array().unwrap().last().unwrap();
    (time(&attempt["started_at"]), time(&attempt["finished_at"]))
}

fn setup() -> (TestEnv, FakeClaude) {
    let mut env = TestEnv::initialised();
    let fake = FakeClaude::install(&mut env);
    fast_config(&env);
    (env, fake)
}

#[test]
fn a_diamond_runs_in_dependency_order_and_in_parallel() {
    let (env, fake) = setup();
    write_plan(&env, "p1", &diamond());
    fake.script(&[Step::echo().sleep(0.6).cost(0.01).repeat()]);
    let run = env.nexus(&["run", "p1", "--parallel", "4"]);
    run.ok();
    assert!(
        run.stderr.contains("finished plan `p1`: 4 completed"),
        "{}",
        run.stderr
    );
    let (a, b, c, d) = (
        task(&env, "p1", "a"),
        task(&env, "p1", "b"),
        task(&env, "p1", "c"),
        task(&env, "p1", "d"),
    );
    for record in [&a, &b, &c, &d] {
        assert_eq!(record["state"], "completed", "{record}");
        assert!((record["cost_usd"].as_f64().unwrap() - 0.01).abs() < 1e-9);
    }
    let (a, b, c, d) = (span(&a), span(&b), span(&c), span(&d));
    assert!(b.0 >= a.1 && c.0 >= a.1, "b and c start after a ends");
    assert!(d.0 >= b.1 && d.0 >= c.1, "d starts after b and c end");
    assert!(b.0 < c.1 && c.0 < b.1, "b and c overlap: {b:?} {c:?}");
    assert!(
        env.read(".nexus/plans/p1/results/a.md")
            .contains("FAKE-REPLY")
    );
    // Four agents, four sessions, each in the project root.
    let calls = fake.invocations();
    assert_eq!(calls.len(), 4);
    assert!(
        calls
            .iter()
            .all(|call| call.cwd == env.project && call.stdin == "null")
    );
}

/// `nexus run P 2>&1 | head -2`: once the reader is gone, notes to stderr
/// fail; the run goes on and ends well instead of panicking mid-plan.
#[test]
fn a_closed_stderr_and_stdout_do_not_stop_a_run() {
    let (env, fake) = setup();
    write_plan(&env, "p1", &diamond());
    fake.script(&[Step::echo().sleep(0.1).repeat()]);
    let mut child = spawn_nexus(&env, &["run", "p1", "--parallel", "4"]);
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status}");
    for id in ["a", "b", "c", "d"] {
        assert_eq!(task(&env, "p1", id)["state"], "completed", "{id}");
    }
}

#[test]
fn upstream_results_reach_downstream_prompts() {
    let (env, fake) = setup();
    write_plan(&env, "p1", &diamond());
    fake.script(&[
        Step::reply("SPEC-MARKER-41: the flag prints JSON").matching("# Task `a`"),
        Step::reply("IMPL-MARKER-42").matching("# Task `b`"),
        Step::reply("TESTS-MARKER-43").matching("# Task `c`"),
        Step::echo().repeat(),
    ]);
    env.nexus(&["run", "p1"]).ok();
    let calls = fake.invocations();
    let prompt_of = |id: &str| {
        calls
            .iter()
            .find_map(|call| {
                call.flags
                    .prompt
                    .clone()
                    .filter(|prompt| prompt.contains(&format!("# Task `{id}`")))
            })
            .unwrap_or_else(|| panic!("no call for {id}"))
    };
    assert!(
        prompt_of("b").contains("SPEC-MARKER-41"),
        "Code implements from Aria's specification"
    );
    let d = prompt_of("d");
    assert!(
        d.contains("IMPL-MARKER-42") && d.contains("TESTS-MARKER-43"),
        "Beta validates Code's and Alpha's work"
    );
    assert!(!prompt_of("a").contains("MARKER"));
}

#[test]
fn a_failing_task_blocks_its_dependents_and_exits_3() {
    let (env, fake) = setup();
    write_plan(&env, "p1", &diamond());
    fake.script(&[
        Step::max_turns().matching("# Task `b`").repeat(),
        Step::echo().repeat(),
    ]);
    let run = env.nexus(&["run", "p1"]);
    run.code(3);
    assert!(run.stderr.contains("failed    b"), "{}", run.stderr);
    assert!(
        run.stderr.contains("blocked   d: dependency `b` failed"),
        "{}",
        run.stderr
    );
    assert_eq!(task(&env, "p1", "b")["state"], "failed");
    assert_eq!(
        task(&env, "p1", "b")["attempts"].as_array().unwrap().len(),
        1,
        "max_turns is not retried"
    );
    assert_eq!(task(&env, "p1", "c")["state"], "completed");
    assert_eq!(task(&env, "p1", "d")["state"], "blocked");
    // A re-run without --retry-failed changes nothing; with it, b and d run.
    fake.script(&[Step::echo().repeat()]);
    env.nexus(&["run", "p1"]).code(3);
    assert_eq!(
        fake.invocations().len(),
        3,
        "a re-run does not retry failures by default"
    );
    env.nexus(&["run", "p1", "--retry-failed"]).ok();
    assert_eq!(task(&env, "p1", "d")["state"], "completed");
}

#[test]
fn retryable_failures_are_retried_with_what_went_wrong() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [{"id": "a", "title": "A", "type": "implementation"}]}),
    );
    fake.script(&[Step::api_error(500), Step::reply("fixed")]);
    let run = env.nexus(&["run", "p1"]);
    run.ok();
    assert!(run.stderr.contains("retrying  a"), "{}", run.stderr);
    let record = task(&env, "p1", "a");
    let attempts = record["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0]["outcome"], "api_error");
    assert_eq!(attempts[1]["outcome"], "success");
    assert_eq!(
        record["agent"], "code_developer",
        "unassigned tasks are assigned first"
    );
    let calls = fake.invocations();
    let retry = calls[1].flags.prompt.clone().unwrap();
    assert!(
        retry.contains("What went wrong last time") && retry.contains("HTTP 500"),
        "{retry}"
    );
    assert!(
        calls[1]
            .flags
            .append_system_prompt
            .as_deref()
            .unwrap()
            .contains("Under pressure")
    );
    assert!(
        !calls[0]
            .flags
            .append_system_prompt
            .as_deref()
            .unwrap()
            .contains("Under pressure")
    );
    // The plan file now names the agent.
    assert!(
        env.read(".nexus/plans/p1/plan.json")
            .contains("\"agent\": \"code_developer\"")
    );
}

#[test]
fn a_permission_denial_is_retried_once_telling_the_agent_its_tools() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [{"id": "a", "title": "A", "type": "analysis"}]}),
    );
    fake.script(&[Step::write("out.txt", "x").repeat()]);
    let run = env.nexus(&["run", "p1"]);
    run.code(3);
    let record = task(&env, "p1", "a");
    let attempts = record["attempts"].as_array().unwrap();
    assert_eq!(
        attempts.len(),
        2,
        "one retry, then the task fails: {record}"
    );
    assert_eq!(attempts[0]["outcome"], "permission_denied");
    assert_eq!(attempts[1]["outcome"], "permission_denied");
    assert!(
        record["reason"].as_str().unwrap().contains("Write"),
        "{record}"
    );
    // The retry's prompt names the tools the agent has.
    let retry = &fake.invocations()[1];
    let prompt = retry.argv.last().unwrap();
    assert!(
        prompt.contains("Your permissions: mode `default`") && prompt.contains("`WebSearch`"),
        "{prompt}"
    );
}

#[test]
fn the_budget_stops_new_work_before_it_is_exceeded() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [
            {"id": "a", "title": "A", "type": "analysis"},
            {"id": "b", "title": "B", "type": "analysis", "depends_on": ["a"]},
            {"id": "c", "title": "C", "type": "analysis", "depends_on": ["b"]},
            {"id": "d", "title": "D", "type": "analysis", "depends_on": ["c"]}
        ]}),
    );
    fake.script(&[Step::echo().cost(0.5).repeat()]);
    let run = env.nexus(&["run", "p1", "--max-cost", "1.2"]);
    run.code(3);
    assert_eq!(task(&env, "p1", "a")["state"], "completed");
    assert_eq!(task(&env, "p1", "b")["state"], "completed");
    assert_eq!(task(&env, "p1", "c")["state"], "skipped");
    assert!(
        task(&env, "p1", "c")["reason"]
            .as_str()
            .unwrap()
            .contains("budget")
    );
    assert_eq!(task(&env, "p1", "d")["state"], "blocked");
    let calls = fake.invocations();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].flags.max_budget_usd.as_deref(),
        Some("1.2"),
        "the remaining budget caps each call"
    );
    assert_eq!(calls[1].flags.max_budget_usd.as_deref(), Some("0.7"));
}

#[test]
fn verification_decides_completion_and_stores_evidence() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [
            {"id": "good", "title": "G", "type": "implementation", "verify": ["test -f made.txt && echo verified"]},
            {"id": "bad", "title": "B", "type": "analysis", "verify": ["echo checking; exit 7"]}
        ]}),
    );
    fake.script(&[
        Step::write("made.txt", "hi").matching("# Task `good`"),
        Step::echo().repeat(),
    ]);
    // A plan's commands run only once trusted on this machine.
    let refused = env.nexus(&["run", "p1"]);
    refused.code(8);
    assert!(
        refused.stderr.contains("test -f made.txt && echo verified")
            && refused.stderr.contains("nexus trust"),
        "{}",
        refused.stderr
    );
    assert!(fake.invocations().is_empty(), "nothing ran");
    env.nexus(&["trust"]).ok();
    let run = env.nexus(&["run", "p1"]);
    run.code(3);
    assert!(env.project.join("made.txt").is_file());
    let good = task(&env, "p1", "good");
    assert_eq!(good["state"], "completed");
    let evidence = &good["attempts"][0]["verification"][0];
    assert_eq!(evidence["exit_code"], 0);
    assert_eq!(evidence["passed"], true);
    assert!(
        evidence["output_tail"]
            .as_str()
            .unwrap()
            .contains("verified")
    );
    let bad = task(&env, "p1", "bad");
    assert_eq!(bad["state"], "failed");
    let attempts = bad["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "a failed verification is retried");
    assert_eq!(attempts[0]["outcome"], "verification_failed");
    assert_eq!(attempts[0]["verification"][0]["exit_code"], 7);
    assert!(
        attempts[0]["verification"][0]["output_tail"]
            .as_str()
            .unwrap()
            .contains("checking")
    );
    let retry_prompt = fake
        .invocations()
        .iter()
        .filter_map(|call| call.flags.prompt.clone())
        .find(|prompt| prompt.contains("What went wrong"))
        .unwrap();
    assert!(
        retry_prompt.contains("verification `echo checking; exit 7` failed (exit 7)"),
        "{retry_prompt}"
    );
}

#[test]
fn task_runs_one_task_and_checks_its_dependencies() {
    let (env, fake) = setup();
    write_plan(&env, "p1", &diamond());
    fake.script(&[Step::echo().repeat()]);
    let run = env.nexus(&["run", "p1", "--task", "d"]);
    run.code(3);
    assert!(
        run.stderr
            .contains("depends on unfinished tasks: `b` (pending), `c` (pending)"),
        "{}",
        run.stderr
    );
    env.nexus(&["run", "p1", "--task", "a"]).ok();
    assert_eq!(task(&env, "p1", "a")["state"], "completed");
    assert_eq!(task(&env, "p1", "b")["state"], "pending");
    assert_eq!(fake.invocations().len(), 1);
    env.nexus(&["run", "p1", "--task", "d", "--force"]).ok();
    assert_eq!(task(&env, "p1", "d")["state"], "completed");
    // A completed task is not run again (make semantics).
    env.nexus(&["run", "p1", "--task", "a"]).ok();
    assert_eq!(fake.invocations().len(), 2);
    env.nexus(&["run", "p1", "--task", "zz"]).code(2);
}

#[test]
fn dry_run_prints_argv_and_prompt_and_changes_nothing() {
    let (env, fake) = setup();
    write_plan(&env, "p1", &diamond());
    let before = env.snapshot();
    let run = env.nexus(&["run", "p1", "--dry-run"]);
    run.ok();
    assert!(
        run.stdout.contains("== a (aria_coordinator, session: new)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("--session-id <new-session-id>"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("# Task `d`: Validate"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("### `b`: Implement"),
        "upstream sections are shown: {}",
        run.stdout
    );
    let json = env.nexus(&["run", "p1", "--dry-run", "--json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 4);
    assert_eq!(json[0]["task"], "a");
    assert!(
        json[0]["argv"]
            .as_array()
            .unwrap()
            .iter()
            .any(|arg| arg == "--")
    );
    assert_eq!(env.snapshot(), before, "dry run writes nothing");
    assert!(fake.invocations().is_empty());
}

fn spawn_nexus(env: &TestEnv, args: &[&str]) -> std::process::Child {
    env.command(&nexus_bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn state_is(env: &TestEnv, plan: &str, id: &str, state: &str) -> bool {
    std::fs::read_to_string(
        env.project
            .join(format!(".nexus/plans/{plan}/tasks/{id}.json")),
    )
    .ok()
    .and_then(|text| serde_json::from_str::<Value>(&text).ok())
    .is_some_and(|record| record["state"] == state)
}

fn alive(pid: i64) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(i32::try_from(pid).unwrap(), 0) == 0 }
}

#[test]
fn a_second_run_of_the_same_plan_is_busy() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [{"id": "a", "title": "A", "type": "analysis"}]}),
    );
    write_plan(
        &env,
        "p2",
        &json!({"tasks": [{"id": "a", "title": "A", "type": "implementation"}]}),
    );
    fake.script(&[
        Step::echo().sleep(3.0).matching("Plan `p1`"),
        Step::echo().repeat(),
    ]);
    let mut first = spawn_nexus(&env, &["run", "p1"]);
    wait_for("the first run to start", || {
        state_is(&env, "p1", "a", "running")
    });
    let second = env.nexus(&["run", "p1"]);
    second.code(4);
    assert!(
        second.stderr.contains("plan `p1` is busy"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains(&format!("pid {}", first.id())),
        "{}",
        second.stderr
    );
    env.nexus(&["run", "p1", "--task", "a"]).code(4);
    // Another plan runs side by side.
    env.nexus(&["run", "p2"]).ok();
    assert_eq!(first.wait().unwrap().code(), Some(0));
}

#[test]
fn sigint_stops_agents_marks_interrupted_and_a_rerun_completes() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [
            {"id": "a", "title": "A", "type": "analysis"},
            {"id": "b", "title": "B", "type": "implementation"},
            {"id": "c", "title": "C", "type": "validation", "depends_on": ["a", "b"]}
        ]}),
    );
    fake.script(&[
        Step::hang().matching("# Task `a`"),
        Step::hang().ignore_sigterm().matching("# Task `b`"),
        Step::echo().repeat(),
    ]);
    let mut child = spawn_nexus(&env, &["run", "p1"]);
    wait_for("both agents to start", || fake.invocations().len() == 2);
    // SAFETY: plain kill(2) of the child we spawned.
    unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    for call in fake.invocations() {
        wait_for("the agent to be gone", || !alive(call.pid));
    }
    assert_eq!(task(&env, "p1", "a")["state"], "interrupted");
    assert_eq!(task(&env, "p1", "b")["state"], "interrupted");
    assert_eq!(task(&env, "p1", "c")["state"], "pending");
    fake.script(&[Step::echo().repeat()]);
    env.nexus(&["run", "p1"]).ok();
    for id in ["a", "b", "c"] {
        assert_eq!(task(&env, "p1", id)["state"], "completed");
    }
}

#[test]
fn kill_9_of_nexus_leaves_a_state_that_a_rerun_recovers() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [{"id": "a", "title": "A", "type": "analysis"}]}),
    );
    fake.script(&[Step::hang().matching("# Task `a`"), Step::echo().repeat()]);
    let mut child = spawn_nexus(&env, &["run", "p1"]);
    wait_for("the task to run", || state_is(&env, "p1", "a", "running"));
    wait_for("the agent to start", || !fake.invocations().is_empty());
    child.kill().unwrap();
    child.wait().unwrap();
    // The orphaned agent still holds the session: no second turn can start
    // in it while it lives (review finding: kill -9 must not split a session).
    let busy = env.nexus(&["ask", "aria_coordinator", "are you there?"]);
    busy.code(4);
    assert!(
        busy.stderr
            .contains("the session of agent `aria_coordinator` is busy"),
        "{}",
        busy.stderr
    );
    // The orphaned agent is ours to clean up in the test (its own group).
    for call in fake.invocations() {
        // SAFETY: killing the fake's process group, which it leads.
        unsafe { libc::kill(-i32::try_from(call.pgid).unwrap(), libc::SIGKILL) };
    }
    assert_eq!(
        task(&env, "p1", "a")["state"],
        "running",
        "the file says running, with no live owner"
    );
    let session: Value =
        serde_json::from_str(&env.read(".nexus/sessions/aria_coordinator.json")).unwrap();
    let run = env.nexus(&["run", "p1"]);
    run.ok();
    let record = task(&env, "p1", "a");
    assert_eq!(record["state"], "completed");
    let attempts = record["attempts"].as_array().unwrap();
    assert_eq!(attempts[0]["outcome"], "interrupted");
    assert_eq!(attempts[1]["outcome"], "success");
    let calls = fake.invocations();
    assert_eq!(
        calls.last().unwrap().flags.resume.as_deref(),
        session["session_id"].as_str(),
        "the killed call's session is resumed"
    );
}

#[test]
fn a_makefile_with_one_target_per_task_runs_under_make_j4() {
    let (env, fake) = setup();
    let tasks = json!({"tasks": [
        {"id": "spec", "title": "S", "type": "analysis"},
        {"id": "impl1", "title": "I1", "type": "implementation", "depends_on": ["spec"]},
        {"id": "impl2", "title": "I2", "type": "refactoring", "depends_on": ["spec"]},
        {"id": "tests", "title": "T", "type": "test_creation", "depends_on": ["spec"]},
        {"id": "review", "title": "R", "type": "review", "depends_on": ["impl1", "impl2", "tests"]}
    ]});
    write_plan(&env, "mk", &tasks);
    // Two instances of the developer so impl1 and impl2 can run together.
    set_instances(&env, "code_developer", 2);
    fake.script(&[Step::echo().sleep(0.3).repeat()]);
    let nexus = nexus_bin().display().to_string();
    let mut makefile = String::from("all: review\n");
    for task in tasks["tasks"].as_array().unwrap() {
        let id = task["id"].as_str().unwrap();
        let deps: Vec<&str> = task["depends_on"]
            .as_array()
            .map(|deps| deps.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        makefile.push_str(&format!(
            "{id}: {}\n\t{nexus} -q run mk --task {id}\n",
            deps.join(" ")
        ));
    }
    makefile.push_str(".PHONY: all spec impl1 impl2 tests review\n");
    env.write("Makefile", &makefile);
    let output = env
        .command(Path::new("make"))
        .args(["-j4", "all"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for id in ["spec", "impl1", "impl2", "tests", "review"] {
        assert_eq!(task(&env, "mk", id)["state"], "completed", "{id}");
    }
    let status = env.nexus(&["status", "--json"]).json();
    assert_eq!(status["problems"].as_array().unwrap().len(), 0, "{status}");
    env.nexus(&["doctor", "--json"]);
    let doctor = env.nexus(&["doctor", "--json"]).json();
    let files = doctor["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["name"] == "files")
        .unwrap()
        .clone();
    assert_eq!(files["verdict"], "ok", "{files}");
}

#[test]
fn json_streams_events_on_stdout() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [{"id": "a", "title": "A", "type": "analysis"}]}),
    );
    fake.script(&[Step::echo().cost(0.25).repeat()]);
    let run = env.nexus(&["run", "p1", "--json"]);
    run.ok();
    let events: Vec<Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "run_started",
            "task_started",
            "task_completed",
            "run_finished"
        ]
    );
    assert_eq!(events[2]["cost_usd"], 0.25);
    assert_eq!(events[3]["counts"]["completed"], 1);
}

#[test]
fn a_plan_with_a_cycle_or_unknown_agent_is_refused() {
    let (env, _fake) = setup();
    write_plan(
        &env,
        "cyc",
        &json!({"tasks": [
            {"id": "a", "title": "A", "type": "analysis", "agent": "aria_coordinator", "depends_on": ["b"]},
            {"id": "b", "title": "B", "type": "analysis", "agent": "aria_coordinator", "depends_on": ["a"]}
        ]}),
    );
    let run = env.nexus(&["run", "cyc"]);
    run.code(7);
    assert!(run.stderr.contains("cycle"), "{}", run.stderr);
    write_plan(
        &env,
        "ghost",
        &json!({"tasks": [{"id": "a", "title": "A", "type": "analysis", "agent": "nobody"}]}),
    );
    let run = env.nexus(&["run", "ghost"]);
    run.code(5);
    assert!(
        run.stderr.contains("unknown agent `nobody`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_stored_plan_with_unsafe_or_duplicate_ids_is_refused_before_anything_is_written() {
    let (env, fake) = setup();
    fake.script(&[Step::echo().repeat()]);
    write_plan(
        &env,
        "evil",
        &json!({"tasks": [{"id": "../../../../escape", "title": "E", "type": "analysis", "agent": "aria_coordinator"}]}),
    );
    let run = env.nexus(&["run", "evil"]);
    run.code(5);
    assert!(
        run.stderr
            .contains("task id `../../../../escape` is not valid"),
        "{}",
        run.stderr
    );
    write_plan(
        &env,
        "twice",
        &json!({"tasks": [
            {"id": "a", "title": "A", "type": "analysis", "agent": "aria_coordinator"},
            {"id": "a", "title": "A again", "type": "analysis", "agent": "aria_coordinator"}
        ]}),
    );
    let run = env.nexus(&["run", "twice"]);
    run.code(5);
    assert!(
        run.stderr.contains("task id `a` appears more than once"),
        "{}",
        run.stderr
    );
    assert!(fake.invocations().is_empty());
    let outside: Vec<_> = std::fs::read_dir(env.temp.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert!(
        !outside
            .iter()
            .any(|name| name.to_string_lossy().contains("escape")),
        "{outside:?}"
    );
    // status and doctor apply the same checks: the bad plans are problems.
    let status = env.nexus(&["status", "--json"]);
    status.ok();
    let problems = status.json()["problems"].to_string();
    assert!(
        problems.contains("plans/evil/plan.json") && problems.contains("plans/twice/plan.json"),
        "{problems}"
    );
    let doctor = env.nexus(&["doctor", "--json"]).json();
    assert!(
        doctor["checks"].to_string().contains("is not valid"),
        "{doctor}"
    );
}

#[test]
fn parallel_tasks_do_not_overrun_the_budget_while_costs_are_unknown() {
    let (env, fake) = setup();
    four_parallel_analysis_tasks(&env);
    fake.script(&[Step::echo().cost(1.0).repeat()]);
    let run = env.nexus(&["run", "p1", "-j", "4", "--max-cost", "1.5"]);
    run.code(3);
    let states: Vec<String> = ["a", "b", "c", "d"]
        .iter()
        .map(|id| task(&env, "p1", id)["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        states.iter().filter(|state| *state == "completed").count(),
        1,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|state| *state == "skipped").count(),
        3,
        "{states:?}"
    );
    assert_eq!(fake.invocations().len(), 1);
}

#[test]
fn a_refused_task_run_changes_no_file() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [
            {"id": "a", "title": "A", "type": "analysis"},
            {"id": "b", "title": "B", "type": "implementation", "depends_on": ["a"]}
        ]}),
    );
    fake.script(&[Step::max_turns().repeat()]);
    env.nexus(&["run", "p1"]).code(3);
    assert_eq!(task(&env, "p1", "b")["state"], "blocked");
    let before = env.snapshot();
    let run = env.nexus(&["run", "p1", "--task", "b"]);
    run.code(3);
    assert!(
        run.stderr
            .contains("depends on unfinished tasks: `a` (failed)"),
        "{}",
        run.stderr
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn blocking_follows_dependencies_whatever_the_plan_order() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [
            {"id": "c", "title": "C", "type": "validation", "depends_on": ["b"]},
            {"id": "b", "title": "B", "type": "implementation", "depends_on": ["a"]},
            {"id": "a", "title": "A", "type": "analysis"}
        ]}),
    );
    fake.script(&[Step::max_turns().repeat()]);
    env.nexus(&["run", "p1"]).code(3);
    assert_eq!(task(&env, "p1", "a")["state"], "failed");
    assert_eq!(task(&env, "p1", "b")["state"], "blocked");
    assert_eq!(task(&env, "p1", "c")["state"], "blocked");
    assert_eq!(task(&env, "p1", "c")["reason"], "dependency `b` blocked");
}

#[test]
fn ctrl_c_stops_a_run_that_waits_for_a_busy_session() {
    let (env, fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [{"id": "a", "title": "A", "type": "analysis"}]}),
    );
    fake.script(&[
        Step::hang().matching("hold the session"),
        Step::echo().repeat(),
    ]);
    let mut asking = spawn_nexus(&env, &["ask", "aria_coordinator", "hold the session"]);
    wait_for("the ask to hold the session", || {
        !fake.invocations().is_empty()
    });
    let mut running = spawn_nexus(&env, &["run", "p1"]);
    wait_for("the task to wait", || state_is(&env, "p1", "a", "running"));
    let started = Instant::now();
    // SAFETY: plain kill(2) of the child we spawned.
    unsafe { libc::kill(i32::try_from(running.id()).unwrap(), libc::SIGINT) };
    assert_eq!(running.wait().unwrap().code(), Some(130));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the wait for the session is interruptible"
    );
    assert_eq!(task(&env, "p1", "a")["state"], "interrupted");
    assert_eq!(
        fake.invocations().len(),
        1,
        "no agent was started for the interrupted task"
    );
    // SAFETY: as above.
    unsafe { libc::kill(i32::try_from(asking.id()).unwrap(), libc::SIGTERM) };
    asking.wait().unwrap();
}

#[test]
fn log_follow_ends_for_a_task_whose_runner_is_gone() {
    let (env, _fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [{"id": "a", "title": "A", "type": "analysis", "agent": "aria_coordinator"}]}),
    );
    env.write(
        ".nexus/plans/p1/tasks/a.json",
        &serde_json::to_string_pretty(&json!({"schema": 1, "task_id": "a", "state": "running", "owner": {"pid": 999999, "host": "gone"}})).unwrap(),
    );
    env.write(
        ".nexus/logs/p1/a.log",
        "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"s\"}\n",
    );
    let started = Instant::now();
    let run = env.nexus(&["log", "p1", "a", "--follow"]);
    run.ok();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(run.stdout.contains("session s"), "{}", run.stdout);
}

/// Third review: an attempt that ends without a reported cost (a crash) must
/// not count as a known cost of $0 and lift the one-at-a-time rule.
#[test]
fn a_zero_cost_crash_does_not_lift_the_budget_gate() {
    let (env, fake) = setup();
    four_parallel_analysis_tasks(&env);
    fake.script(&[Step::crash("SIGSEGV"), Step::echo().cost(1.0).repeat()]);
    let run = env.nexus(&["run", "p1", "-j", "4", "--max-cost", "1.5"]);
    run.code(3);
    let completed = ["a", "b", "c", "d"]
        .iter()
        .filter(|id| task(&env, "p1", id)["state"] == "completed")
        .count();
    assert_eq!(completed, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("$2.0000"), "{}", run.stderr);
}

/// Third review: a refused `--task` run does not even repair a stale record.
#[test]
fn a_refused_task_run_leaves_a_stale_record_alone() {
    let (env, _fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [
            {"id": "a", "title": "A", "type": "analysis", "agent": "aria_coordinator"},
            {"id": "b", "title": "B", "type": "implementation", "agent": "code_developer", "depends_on": ["a"]}
        ]}),
    );
    env.write(
        ".nexus/plans/p1/tasks/b.json",
        &serde_json::to_string_pretty(&json!({"schema": 1, "task_id": "b", "state": "running", "owner": {"pid": 999999, "host": "gone"}})).unwrap(),
    );
    let before = env.snapshot();
    env.nexus(&["run", "p1", "--task", "b"]).code(3);
    assert_eq!(env.snapshot(), before);
    env.nexus(&["run", "p1", "--max-cost", "-1"]).code(2);
    env.nexus(&["run", "p1", "-j", "0"]).code(2);
}
