//! `nexus status`, `status PLAN TASK`, `--json`, `--watch`, `nexus metrics`
//! and `nexus log` over state trees built by hand: fresh, mid-run (one task
//! owned by this test process through the real locks, one stale), finished
//! with failures, and malformed files of every kind.
//!
//! Outputs are pinned as snapshots under `tests/cli/snapshots/` with the
//! temp dir, pid and host redacted; `NEXUS_UPDATE_SNAPSHOTS=1 cargo test`
//! rewrites them (review the diff).

// Test helpers build fixtures; a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{TestEnv, nexus_bin, repo_root};

const NOW: &str = "2026-11-26T10:00:00.000Z";

fn env() -> TestEnv {
    let mut env = TestEnv::initialised();
    env.set("NEXUS_NOW", NOW);
    // Usage percentages relative to a fixed machine: 2 CPUs, 8 GB.
    env.set("NEXUS_MACHINE", "2,8000");
    env
}

use crate::common::snapshot::assert_output as assert_snapshot;

/// Adds what the OS said an attempt used, and the agent's confidence.
fn measured(
    mut attempt: Value,
    cpu_seconds: f64,
    peak_memory_mb: f64,
    confidence: Option<f64>,
) -> Value {
    attempt["cpu_seconds"] = json!(cpu_seconds);
    attempt["peak_memory_mb"] = json!(peak_memory_mb);
    if let Some(confidence) = confidence {
        attempt["confidence"] = json!(confidence);
    }
    attempt
}

/// A task of a hand-written plan: id, title, type, agent, dependencies,
/// priority, estimate in minutes.
type Spec<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a [&'a str],
    &'a str,
    u32,
);

fn write_plan(env: &TestEnv, id: &str, created_at: &str, request: &str, tasks: &[Spec]) {
    let tasks: Vec<Value> = tasks
        .iter()
        .map(|(task, title, kind, agent, deps, priority, minutes)| {
            json!({
                "id": task, "title": title, "description": format!("Do {title}."),
                "type": kind, "agent": agent, "depends_on": deps, "priority": priority,
                "expected_output": null, "acceptance": [], "verify": [],
                "estimate_minutes": minutes,
            })
        })
        .collect();
    let plan = json!({
        "schema": 1, "id": id, "request": request, "planner": "import", "model": null,
        "created_at": created_at, "created_by": "test", "priority": "high",
        "deadline": null, "context": {}, "tasks": tasks,
    });
    env.write(
        &format!(".nexus/plans/{id}/plan.json"),
        &serde_json::to_string_pretty(&plan).unwrap(),
    );
}

#[allow(clippy::too_many_arguments)]
fn attempt(
    number: u32,
    agent: &str,
    started: &str,
    finished: Option<&str>,
    outcome: &str,
    reason: Option<&str>,
    cost: f64,
    duration_ms: u64,
) -> Value {
    json!({
        "number": number, "agent": agent, "session_id": format!("sess-{agent}"),
        "started_at": started, "finished_at": finished, "outcome": outcome,
        "reason": reason, "cost_usd": cost, "input_tokens": 1000 * u64::from(number),
        "output_tokens": 100, "turns": 2, "duration_ms": duration_ms, "verification": [],
    })
}

fn write_task(env: &TestEnv, plan: &str, task: &str, state: &str, fields: Value) {
    let attempts = fields["attempts"].as_array().cloned().unwrap_or_default();
    let sum = |key: &str| attempts.iter().filter_map(|a| a[key].as_f64()).sum::<f64>();
    let mut record = json!({
        "schema": 1, "task_id": task, "state": state,
        "agent": attempts.last().map(|a| a["agent"].clone()).unwrap_or(Value::Null),
        "instance": 0,
        "session_id": attempts.last().map(|a| a["session_id"].clone()).unwrap_or(Value::Null),
        "started_at": attempts.first().map(|a| a["started_at"].clone()).unwrap_or(Value::Null),
        "finished_at": null,
        "cost_usd": sum("cost_usd"), "input_tokens": sum("input_tokens") as u64,
        "output_tokens": sum("output_tokens") as u64, "turns": sum("turns") as u64,
        "summary": null, "reason": null, "progress": null, "owner": null,
        "attempts": attempts, "updated_at": NOW, "updated_by": "test",
    });
    for (key, value) in fields.as_object().unwrap() {
        record[key] = value.clone();
    }
    env.write(
        &format!(".nexus/plans/{plan}/tasks/{task}.json"),
        &serde_json::to_string_pretty(&record).unwrap(),
    );
}

fn write_session(env: &TestEnv, agent: &str, status: &str, last_used: &str) {
    let record = json!({
        "schema": 1, "agent_id": agent, "instance": 0, "session_id": format!("sess-{agent}"),
        "cwd": "/project", "host": "somewhere", "created_at": "2026-11-26T08:00:00.000Z",
        "last_used_at": last_used, "turns": 4, "cost_usd": 0.5, "input_tokens": 4000,
        "output_tokens": 400, "status": status, "cli_version": "2.1.197",
        "recovered_from": null, "recovery_reason": null, "last_call": null,
    });
    env.write(
        &format!(".nexus/sessions/{agent}.json"),
        &serde_json::to_string_pretty(&record).unwrap(),
    );
}

/// A plan half done: `spec` completed, `build` running (owned by whoever
/// holds its lock), `docs` running with a dead owner, `check` pending.
fn mid_run(env: &TestEnv) {
    write_plan(
        env,
        "p-mid",
        "2026-11-26T09:00:00.000Z",
        "Add a --json flag",
        &[
            (
                "spec",
                "Specify the output",
                "analysis",
                "aria_coordinator",
                &[],
                "critical",
                10,
            ),
            (
                "build",
                "Implement it",
                "implementation",
                "code_developer",
                &["spec"],
                "high",
                20,
            ),
            (
                "docs",
                "Document it",
                "documentation",
                "aria_coordinator",
                &["spec"],
                "low",
                10,
            ),
            (
                "check",
                "Validate it",
                "validation",
                "beta_test_validator",
                &["build", "docs"],
                "medium",
                10,
            ),
        ],
    );
    write_task(
        env,
        "p-mid",
        "spec",
        "completed",
        json!({
            "attempts": [measured(attempt(1, "aria_coordinator", "2026-11-26T09:01:00.000Z",
                Some("2026-11-26T09:06:00.000Z"), "success", None, 0.05, 300_000), 12.5, 310.2, Some(0.9))],
            "finished_at": "2026-11-26T09:06:00.000Z",
            "summary": "Specified.",
        }),
    );
    write_task(
        env,
        "p-mid",
        "build",
        "running",
        json!({
            "attempts": [attempt(1, "code_developer", "2026-11-26T09:55:00.000Z", None, "running", None, 0.0, 0)],
            "owner": {"pid": std::process::id(), "host": nexus::state::lock::hostname()},
        }),
    );
    write_task(
        env,
        "p-mid",
        "docs",
        "running",
        json!({
            "attempts": [attempt(1, "aria_coordinator", "2026-11-26T09:50:00.000Z", None, "running", None, 0.0, 0)],
            "owner": {"pid": 4_194_000, "host": "gone-host"},
            "progress": 40,
        }),
    );
    write_session(env, "aria_coordinator", "ok", "2026-11-26T09:58:00.000Z");
}

/// A finished plan: `a` completed after a retry, `b` failed twice with a
/// failed verification, `c` blocked by `b`.
fn finished_with_failures(env: &TestEnv) {
    write_plan(
        env,
        "p-done",
        "2026-11-25T12:00:00.000Z",
        "Fix the flaky importer",
        &[
            (
                "a",
                "Find the cause",
                "analysis",
                "aria_coordinator",
                &[],
                "high",
                10,
            ),
            (
                "b",
                "Fix the importer",
                "bugfix",
                "code_developer",
                &["a"],
                "critical",
                30,
            ),
            (
                "c",
                "Validate the fix",
                "validation",
                "beta_test_validator",
                &["b"],
                "medium",
                10,
            ),
        ],
    );
    write_task(
        env,
        "p-done",
        "a",
        "completed",
        json!({
            "attempts": [
                measured(attempt(1, "aria_coordinator", "2026-11-25T12:01:00.000Z",
                    Some("2026-11-25T12:01:30.000Z"), "api_error", Some("API Error: 500"), 0.0, 30_000), 1.2, 150.0, None),
                measured(attempt(2, "aria_coordinator", "2026-11-25T12:02:00.000Z",
                    Some("2026-11-25T12:04:00.000Z"), "success", None, 0.1, 120_000), 30.0, 420.0, Some(0.8)),
            ],
            "finished_at": "2026-11-25T12:04:00.000Z",
        }),
    );
    let mut failed = attempt(
        2,
        "code_developer",
        "2026-11-25T12:20:00.000Z",
        Some("2026-11-25T12:30:00.000Z"),
        "verification_failed",
        Some("`cargo test` failed"),
        0.25,
        600_000,
    );
    failed["verification"] = json!([{
        "command": "cargo test", "exit_code": 101, "passed": false, "duration_ms": 4200,
        "output_tail": "test importer::flaky ... FAILED\ntest result: FAILED. 9 passed; 1 failed",
    }]);
    write_task(
        env,
        "p-done",
        "b",
        "failed",
        json!({
            "attempts": [
                measured(attempt(1, "code_developer", "2026-11-25T12:05:00.000Z",
                    Some("2026-11-25T12:15:00.000Z"), "timeout", Some("no output for 600s"), 0.2, 600_000), 55.0, 800.0, None),
                measured(failed, 40.0, 600.0, Some(0.6)),
            ],
            "finished_at": "2026-11-25T12:30:00.000Z",
            "reason": "verification failed: `cargo test` exited 101",
        }),
    );
    write_task(
        env,
        "p-done",
        "c",
        "blocked",
        json!({"reason": "dependency `b` failed", "finished_at": "2026-11-25T12:30:00.000Z"}),
    );
    env.write(
        ".nexus/plans/p-done/results/a.md",
        "# Cause\n\nThe importer races the cache.\n",
    );
    write_session(env, "code_developer", "failed", "2026-11-25T12:30:00.000Z");
}

#[test]
fn fresh_status_plain_and_json() {
    let env = env();
    assert_snapshot(&env, "status_fresh.txt", &env.nexus(&["status"]));
    assert_snapshot(&env, "status_fresh.json", &env.nexus(&["status", "--json"]));
}

#[test]
fn mid_run_status_shows_the_live_owner_and_the_stale_task() {
    let env = env();
    mid_run(&env);
    let locks = env.nexus_dir().join("locks");
    let _plan = nexus::state::lock::try_shared(&locks.join("plan-p-mid.lock"), "plan").unwrap();
    // A `--task` run holds its task's key in the plan's task-lock file.
    let mut task =
        nexus::state::lock::KeyedLocks::open(&locks.join("plan-p-mid.tasks.lock")).unwrap();
    assert!(task.try_lock("build").unwrap());
    assert_snapshot(&env, "status_mid_run.txt", &env.nexus(&["status"]));
    let run = env.nexus(&["status", "--json"]);
    assert_snapshot(&env, "status_mid_run.json", &run);
    let status = run.json();
    assert_eq!(status["system_health"]["orchestrator"], "running");
    assert_eq!(status["system_health"]["agents_busy"], 1);
    assert_eq!(status["system_health"]["stale_tasks"], 1);
    let states: BTreeMap<&str, &str> = status["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| {
            (
                task["task_id"].as_str().unwrap(),
                task["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(states["build"], "running");
    assert_eq!(states["docs"], "stale");
    assert_snapshot(
        &env,
        "status_mid_run_task.txt",
        &env.nexus(&["status", "p-mid", "build"]),
    );
}

#[test]
fn an_exclusive_plan_lock_is_a_whole_plan_run_that_owns_its_tasks() {
    let env = env();
    mid_run(&env);
    let holder = nexus::state::lock::Holder {
        pid: 777,
        host: "runner-host".to_string(),
        since: nexus::time::Timestamp::parse("2026-11-26T09:50:00.000Z").unwrap(),
        command: "nexus run p-mid".to_string(),
    };
    let _plan = nexus::state::lock::try_exclusive(
        &env.nexus_dir().join("locks/plan-p-mid.lock"),
        "plan",
        &holder,
    )
    .unwrap();
    let status = env.nexus(&["status", "--json"]).json();
    let runs = &status["system_health"]["runs"];
    assert_eq!(runs[0]["mode"], "plan");
    assert_eq!(runs[0]["pid"], 777);
    assert_eq!(runs[0]["command"], "nexus run p-mid");
    assert_eq!(status["system_health"]["stale_tasks"], 0);
    assert_eq!(status["system_health"]["agents_busy"], 2);
    let text = env.nexus(&["status"]);
    assert!(
        text.stdout.contains(
            "running: plan `p-mid` by pid 777 on `runner-host` since 2026-11-26T09:50:00.000Z"
        ),
        "{}",
        text.stdout
    );
}

#[test]
fn finished_with_failures_plain_json_and_task_detail() {
    let env = env();
    finished_with_failures(&env);
    assert_snapshot(&env, "status_failures.txt", &env.nexus(&["status"]));
    assert_snapshot(
        &env,
        "status_failures_plan.json",
        &env.nexus(&["status", "p-done", "--json"]),
    );
    assert_snapshot(
        &env,
        "status_failures_task_b.txt",
        &env.nexus(&["status", "p-done", "b"]),
    );
    assert_snapshot(
        &env,
        "status_failures_task_a.json",
        &env.nexus(&["status", "p-d", "a", "--json"]),
    );
    let unknown = env.nexus(&["status", "p-done", "zzz"]);
    unknown.code(2);
    assert!(
        unknown.stderr.contains("no task `zzz`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn malformed_files_of_every_kind_are_named_and_not_fatal() {
    let env = env();
    mid_run(&env);
    finished_with_failures(&env);
    write_plan(&env, "p-bad", "2026-11-26T09:30:00.000Z", "x", &[]);
    let broken = [
        (
            ".nexus/plans/p-bad/plan.json",
            "{\"schema\": 1, \"id\": \"p-bad\", \"requ",
        ),
        (".nexus/plans/p-done/tasks/a.json", ""),
        (".nexus/sessions/code_developer.json", "{\"schema\": 1}"),
        (
            ".nexus/agents/alpha_test_creator.toml",
            "schema = 1\nname = \n",
        ),
    ];
    for (path, text) in broken {
        env.write(path, text);
    }
    let text = env.nexus(&["status"]);
    text.ok();
    let run = env.nexus(&["status", "--json"]);
    run.ok();
    let status = run.json();
    let problems: Vec<String> = status["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| problem["file"].as_str().unwrap().to_string())
        .collect();
    for (path, _) in broken {
        let full = env.project.join(path).display().to_string();
        assert!(problems.contains(&full), "{full} not in {problems:?}");
        assert!(
            text.stdout.contains(&full),
            "{full} not named in:\n{}",
            text.stdout
        );
    }
    let tasks = status["tasks"].as_array().unwrap();
    let unreadable = tasks.iter().find(|task| task["task_id"] == "a").unwrap();
    assert_eq!(unreadable["state"], "unreadable");
    let alpha = status["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|agent| agent["id"] == "alpha_test_creator")
        .unwrap();
    assert_eq!(alpha["name"], "?");
    // The other commands carry on too.
    let metrics = env.nexus(&["metrics"]);
    metrics.ok();
    assert!(
        metrics.stderr.contains("plans/p-bad/plan.json"),
        "{}",
        metrics.stderr
    );
    assert!(
        metrics.stdout.contains("nexus_state_problems 4"),
        "{}",
        metrics.stdout
    );
    env.nexus(&["status", "p-done", "b"]).ok();
    env.nexus(&["status", "p-done", "a"]).ok();
    let detail = env.nexus(&["status", "p-bad", "x"]);
    detail.code(5);
    assert!(
        detail.stderr.contains("p-bad/plan.json"),
        "{}",
        detail.stderr
    );
}

#[test]
fn watch_prints_one_plain_frame_when_stdout_is_not_a_terminal() {
    let env = env();
    finished_with_failures(&env);
    let once = env.nexus(&["status"]);
    let watched = env.nexus(&["status", "--watch", "--interval", "0.2"]);
    watched.ok();
    assert_eq!(watched.stdout, once.stdout);
    assert!(!watched.stdout.contains('\u{1b}'));
    env.nexus(&["status", "--watch", "--interval", "0"]).code(2);
}

/// A Prometheus text-format line checker: every line is a HELP or TYPE
/// comment or a sample `name{label="value",…} number` of a declared family.
fn check_prometheus(text: &str) -> BTreeMap<String, f64> {
    fn is_name(name: &str) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = BTreeMap::new();
    assert!(text.ends_with('\n'));
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap();
            assert!(is_name(name) && !help.is_empty(), "{line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(is_name(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                types.insert(name.to_string(), kind.to_string()).is_none(),
                "{line}"
            );
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "stray line {line:?}"
        );
        let (series, value) = line.rsplit_once(' ').unwrap();
        let number: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let name = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
                // label="value" pairs, values with \\ \" \n escapes only.
                let mut rest = labels;
                while !rest.is_empty() {
                    let (key, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                    assert!(is_name(key), "{line}");
                    let mut chars = after.char_indices();
                    let mut end = None;
                    while let Some((index, c)) = chars.next() {
                        match c {
                            '\\' => {
                                let (_, escaped) = chars.next().unwrap();
                                assert!(matches!(escaped, '\\' | '"' | 'n'), "{line}");
                            }
                            '"' => {
                                end = Some(index);
                                break;
                            }
                            '\n' => panic!("{line}"),
                            _ => {}
                        }
                    }
                    let end = end.unwrap_or_else(|| panic!("unterminated label in {line}"));
                    rest = &after[end + 1..];
                    rest = rest.strip_prefix(',').unwrap_or(rest);
                }
                name
            }
            None => series,
        };
        assert!(is_name(name), "{line}");
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| types.get(*base).map(String::as_str) == Some("histogram"))
            })
            .unwrap_or(name);
        assert!(types.contains_key(family), "no TYPE for {line}");
        samples.insert(series.to_string(), number);
    }
    samples
}

#[test]
fn metrics_are_valid_prometheus_text() {
    let env = env();
    mid_run(&env);
    finished_with_failures(&env);
    let run = env.nexus(&["metrics"]);
    run.ok();
    assert_eq!(run.stderr, "");
    let samples = check_prometheus(&run.stdout);
    assert_eq!(samples[r#"nexus_tasks{plan="p-done",state="failed"}"#], 1.0);
    assert_eq!(samples[r#"nexus_tasks{plan="p-mid",state="stale"}"#], 2.0);
    assert_eq!(
        samples[r#"nexus_agent_cost_usd{agent="code_developer"}"#],
        0.45
    );
    assert_eq!(
        samples[r#"nexus_agent_tokens{agent="aria_coordinator",direction="input"}"#],
        5000.0
    );
    assert_eq!(
        samples[r#"nexus_sessions{agent="code_developer",status="failed"}"#],
        1.0
    );
    // Histogram: cumulative buckets ending in +Inf = count.
    let buckets: Vec<f64> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("nexus_task_attempt_duration_seconds_bucket"))
        .map(|line| line.rsplit_once(' ').unwrap().1.parse().unwrap())
        .collect();
    assert!(
        buckets.windows(2).all(|pair| pair[0] <= pair[1]),
        "{buckets:?}"
    );
    assert_eq!(samples["nexus_task_attempt_duration_seconds_count"], 5.0);
    assert_eq!(*buckets.last().unwrap(), 5.0);
    assert_eq!(samples["nexus_task_attempt_duration_seconds_sum"], 1650.0);
    assert_snapshot(&env, "metrics.txt", &run);
}

fn with_transcript(env: &TestEnv) {
    finished_with_failures(env);
    let fixture =
        std::fs::read_to_string(repo_root().join("tests/cli/fixtures/transcript.log")).unwrap();
    env.write(".nexus/logs/p-done/a.log", &fixture);
}

#[test]
fn log_renders_a_stream_json_transcript() {
    let env = env();
    with_transcript(&env);
    let run = env.nexus(&["log", "p-done", "a"]);
    assert_snapshot(&env, "log_rendered.txt", &run);
    assert!(
        run.stderr.contains("line 15 is not valid JSON"),
        "{}",
        run.stderr
    );
    let raw = env.nexus(&["log", "p-done", "a", "--json"]);
    raw.ok();
    let fixture =
        std::fs::read_to_string(repo_root().join("tests/cli/fixtures/transcript.log")).unwrap();
    assert_eq!(raw.stdout.trim_end(), fixture.trim_end());
    let missing = env.nexus(&["log", "p-done", "b"]);
    missing.code(1);
    assert!(
        missing.stderr.contains("has no transcript yet"),
        "{}",
        missing.stderr
    );
}

fn wait_for(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[test]
fn log_follow_prints_new_lines_until_the_task_stops_running() {
    let env = env();
    mid_run(&env);
    // A live runner holds the task's lock while it runs.
    let mut runner =
        nexus::state::lock::KeyedLocks::open(&env.nexus_dir().join("locks/plan-p-mid.tasks.lock"))
            .unwrap();
    assert!(runner.try_lock("docs").unwrap());
    let log = env.nexus_dir().join("logs/p-mid/docs.log");
    env.write(".nexus/logs/p-mid/docs.log", "first line\n");
    let mut child = env
        .command(&nexus_bin())
        .args(["log", "p-mid", "docs", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    append(&log, "second line\nthird ");
    std::thread::sleep(Duration::from_millis(500));
    append(&log, "line\n");
    let record = env
        .read(".nexus/plans/p-mid/tasks/docs.json")
        .replace("\"running\"", "\"completed\"");
    env.write(".nexus/plans/p-mid/tasks/docs.json", &record);
    let status =
        wait_for(&mut child, Duration::from_secs(20)).expect("follow ends when the task stops");
    let output = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "first line\nsecond line\nthird line\n"
    );
}

#[test]
fn log_follow_exits_cleanly_on_ctrl_c() {
    let env = env();
    mid_run(&env);
    env.write(".nexus/logs/p-mid/docs.log", "only line\n");
    let mut child = env
        .command(&nexus_bin())
        .args(["log", "p-mid", "docs", "--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = wait_for(&mut child, Duration::from_secs(20)).expect("follow ends on SIGINT");
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), "only line\n");
}
