//! `nexus plan` with the builtin and claude planners, `--from` imports,
//! `--dry-run`, ids and options.

use crate::common::{Run, TestEnv};

fn plans(env: &TestEnv) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.nexus_dir().join("plans"))
        .map(|entries| {
            entries
                .map(|entry| {
                    entry
                        .expect("entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn stored(env: &TestEnv, id: &str) -> serde_json::Value {
    serde_json::from_str(&env.read(&format!(".nexus/plans/{id}/plan.json"))).expect("plan")
}

#[test]
fn builtin_is_the_offline_default_and_prints_only_the_id() {
    let env = TestEnv::initialised();
    let run = env.nexus(&[
        "plan",
        "add a --json flag",
        "--priority",
        "high",
        "--deadline",
        "2026-11-27",
        "--context",
        "language=rust",
    ]);
    run.ok();
    let id = run.stdout.trim_end().to_string();
    assert_eq!(run.stdout, format!("{id}\n"), "the id alone on stdout");
    assert!(
        id.len() == 8 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(run.stderr.contains("`builtin` planner"), "{}", run.stderr);
    let plan = stored(&env, &id);
    assert_eq!(plan["planner"], "builtin");
    assert_eq!(plan["priority"], "high");
    assert_eq!(plan["deadline"], "2026-11-27");
    assert_eq!(plan["context"]["language"], "rust");
    let ids: Vec<&str> = plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| task["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "analysis",
            "implementation",
            "test_strategy",
            "tests",
            "validation"
        ]
    );
    let agents: Vec<&str> = plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| task["agent"].as_str().unwrap())
        .collect();
    assert_eq!(
        agents,
        [
            "aria_coordinator",
            "code_developer",
            "alpha_test_creator",
            "alpha_test_creator",
            "beta_test_validator"
        ]
    );
    for task in plan["tasks"].as_array().unwrap() {
        assert!(
            task["description"]
                .as_str()
                .unwrap()
                .contains("add a --json flag")
        );
        let record = env.read(&format!(
            ".nexus/plans/{id}/tasks/{}.json",
            task["id"].as_str().unwrap()
        ));
        assert!(record.contains("\"state\": \"pending\""), "{record}");
    }
    // status sees it; the files are valid for doctor's reader too.
    let status = env.nexus(&["status", "--json"]).json();
    assert_eq!(status["plans"][0]["id"], id.as_str());
    assert_eq!(status["plans"][0]["by_state"]["pending"], 5);
}

#[test]
fn json_prints_the_plan_and_dry_run_writes_nothing() {
    let env = TestEnv::initialised();
    let before = env.snapshot();
    let dry = env.nexus(&["plan", "refactor the parser", "--dry-run"]);
    dry.ok();
    assert!(dry.stdout.contains("implementation"), "{}", dry.stdout);
    assert!(dry.stderr.contains("nothing was written"), "{}", dry.stderr);
    let dry_json = env.nexus(&["plan", "refactor the parser", "--dry-run", "--json"]);
    dry_json.ok();
    assert_eq!(dry_json.json()["tasks"].as_array().unwrap().len(), 5);
    assert_eq!(env.snapshot(), before, "--dry-run changes nothing");
    let run = env.nexus(&["plan", "refactor the parser", "--json", "--id", "p1"]);
    run.ok();
    let plan = run.json();
    assert_eq!(plan["id"], "p1");
    assert_eq!(plan["request"], "refactor the parser");
    assert_eq!(stored(&env, "p1"), plan);
}

#[test]
fn an_existing_id_is_never_overwritten_and_bad_ids_are_refused() {
    let env = TestEnv::initialised();
    env.nexus(&["plan", "first", "--id", "mine"]).ok();
    let original = env.read(".nexus/plans/mine/plan.json");
    let run = env.nexus(&["plan", "second", "--id", "mine"]);
    run.code(2);
    assert!(
        run.stderr.contains("plan `mine` already exists"),
        "{}",
        run.stderr
    );
    assert_eq!(env.read(".nexus/plans/mine/plan.json"), original);
    let bad = env.nexus(&["plan", "x", "--id", "../escape"]);
    bad.code(2);
    assert!(
        bad.stderr.contains("`../escape` is not valid"),
        "{}",
        bad.stderr
    );
    env.nexus(&["plan", "x", "--context", "novalue"]).code(2);
}

#[test]
fn nexus_planner_selects_the_planner_and_does_not_conflict_with_from() {
    let mut env = TestEnv::initialised();
    env.set("OPENAI_API_KEY", "sk-unused");
    env.set("NEXUS_PLANNER", "builtin");
    let run = env.nexus(&["plan", "x"]);
    run.ok();
    assert!(run.stderr.contains("`builtin` planner"), "{}", run.stderr);
    env.write("plan.json", GOOD);
    env.nexus(&["plan", "--from", "plan.json", "--dry-run"])
        .ok();
    env.set("NEXUS_PLANNER", "gpt");
    let bad = env.nexus(&["plan", "x"]);
    bad.code(2);
    assert!(
        bad.stderr.contains("`NEXUS_PLANNER` is `gpt`"),
        "{}",
        bad.stderr
    );
}

const GOOD: &str = r#"{
  "request": "ship the report flag",
  "tasks": [
    {"id": "spec", "title": "Spec", "type": "analysis", "agent": "aria_coordinator"},
    {"id": "code", "title": "Code it", "type": "implementation", "depends_on": ["spec"], "priority": "critical", "verify": ["cargo build"]}
  ]
}"#;

#[test]
fn from_imports_a_hand_written_plan_from_a_file_or_stdin() {
    let env = TestEnv::initialised();
    env.write("plan.json", GOOD);
    let run = env.nexus(&["plan", "--from", "plan.json", "--id", "hand"]);
    run.ok();
    assert_eq!(run.stdout, "hand\n");
    let plan = stored(&env, "hand");
    assert_eq!(plan["planner"], "import");
    assert_eq!(plan["request"], "ship the report flag");
    assert_eq!(plan["tasks"][1]["priority"], "critical");
    assert_eq!(plan["tasks"][1]["verify"][0], "cargo build");
    assert_eq!(plan["tasks"][1]["agent"], serde_json::Value::Null);
    let piped = env.nexus_stdin(&["plan", "--from", "-", "--json"], GOOD);
    piped.ok();
    assert_eq!(piped.json()["tasks"][0]["id"], "spec");
    // The example's stored plan.json imports as is.
    let example = std::fs::read_to_string(
        crate::common::repo_root().join(".nexus-example/plans/example/plan.json"),
    )
    .unwrap();
    env.nexus_stdin(&["plan", "--from", "-", "--id", "copy"], &example)
        .ok();
    assert_eq!(stored(&env, "copy")["tasks"].as_array().unwrap().len(), 4);
}

fn import_fails(text: &str, expected: &[&str]) -> Run {
    let env = TestEnv::initialised();
    env.write("plan.json", text);
    let before = env.snapshot();
    let run = env.nexus(&["plan", "--from", "plan.json"]);
    run.code(7);
    for needle in expected {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            run.stderr
        );
    }
    assert_eq!(env.snapshot(), before, "a failed import writes nothing");
    assert!(plans(&env).is_empty());
    run
}

#[test]
fn from_rejects_invalid_plans_listing_every_problem() {
    import_fails(
        r#"{"tasks": [
            {"id": "a", "title": "A", "type": "analysis", "depends_on": ["b"]},
            {"id": "b", "title": "B", "type": "review", "depends_on": ["a"]}
        ]}"#,
        &[
            "plan file `plan.json` is invalid",
            "dependency cycle: `a → b → a`",
        ],
    );
    import_fails(
        r#"{"tasks": [
            {"id": "a", "title": "A", "type": "analysis"},
            {"id": "a", "title": "A again", "type": "analysis", "depends_on": ["nope"]},
            {"id": "c", "title": "C", "type": "analysis", "agent": "zed"}
        ]}"#,
        &[
            "(3 problems)",
            "duplicate task id `a` (tasks #1, #2)",
            "task `a` depends on unknown task `nope`",
            "task `c` is assigned to unknown agent `zed`",
        ],
    );
    import_fails(
        "{\n  \"tasks\": [\n    {\"id\": \"a\",}\n  ]\n}",
        &["plan file `plan.json` is not valid JSON", "line 3 column"],
    );
}

#[test]
fn a_missing_from_file_is_an_error_naming_it() {
    let env = TestEnv::initialised();
    let run = env.nexus(&["plan", "--from", "nope.json"]);
    run.code(1);
    assert!(run.stderr.contains("nope.json"), "{}", run.stderr);
}

fn fake_claude(env: &TestEnv, stdout: &str, exit: i32) {
    let out = env.temp.path().join("claude-out.json");
    std::fs::write(&out, stdout).expect("write");
    let args = env.temp.path().join("claude-args.txt");
    env.write_executable(
        "claude",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\ncat '{}'\nexit {exit}\n",
            args.display(),
            out.display()
        ),
    );
}

#[test]
fn the_claude_planner_runs_the_cli_and_reads_the_plan_from_result() {
    let env = TestEnv::initialised();
    let plan = r#"```json
{"tasks": [{"id": "spec", "title": "Spec", "description": "d", "type": "analysis", "agent": null, "depends_on": [], "priority": "high", "expected_output": null, "acceptance": []}]}
```"#;
    let result = serde_json::json!({
        "type": "result", "subtype": "success", "is_error": false, "result": plan,
        "session_id": "3c9da8ff-df9b-4f15-b3bb-5f6a5324e694", "total_cost_usd": 0.01
    });
    fake_claude(&env, &result.to_string(), 0);
    let run = env.nexus(&["plan", "write docs", "--planner", "claude"]);
    run.ok();
    assert!(run.stderr.contains("`claude` planner"), "{}", run.stderr);
    let id = run.stdout.trim();
    let stored = stored(&env, id);
    assert_eq!(stored["planner"], "claude");
    assert_eq!(stored["model"], "sonnet");
    let args = std::fs::read_to_string(env.temp.path().join("claude-args.txt")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        args[..6],
        ["-p", "--output-format", "json", "--model", "sonnet", "--"]
    );
    assert!(args[6].contains("NEXUS Prime"), "the prompt comes last");
}

#[test]
fn a_failed_claude_call_is_a_brain_failure_even_with_subtype_success() {
    let env = TestEnv::initialised();
    let failed = r#"{"type":"result","subtype":"success","is_error":true,"api_error_status":401,"result":"Failed to authenticate. API Error: 401 fake 401","session_id":"3c9da8ff-df9b-4f15-b3bb-5f6a5324e694"}"#;
    fake_claude(&env, failed, 1);
    let run = env.nexus(&["plan", "write docs", "--planner", "claude"]);
    run.code(6);
    assert!(run.stderr.contains("API status 401"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Failed to authenticate"),
        "{}",
        run.stderr
    );
    assert!(plans(&env).is_empty());
    // Exit 0 but is_error true is still a failure.
    fake_claude(&env, &failed.replace("401", "500"), 0);
    env.nexus(&["plan", "write docs", "--planner", "claude"])
        .code(6);
    assert!(plans(&env).is_empty());
}

/// `plan` says how long the plan should take: the makespan at `[run]
/// parallel` from the scheduler's own estimator.
#[test]
fn plan_prints_the_estimated_duration_at_the_configured_parallelism() {
    let env = TestEnv::initialised();
    let run = env.nexus(&["plan", "add a flag", "--planner", "builtin"]);
    run.ok();
    // analysis 15 → implementation 30 (test strategy 10 beside it) →
    // tests 20 → validation 15: 80 minutes of 90 worked.
    assert!(
        run.stderr.contains(
            "estimated duration: ~1h 20m with 4 tasks at a time (critical path ~1h 20m, 1h 30m of work in all)"
        ),
        "{}",
        run.stderr
    );
    let text = env
        .read(".nexus/config.toml")
        .replace("parallel = 4", "parallel = 1");
    env.write(".nexus/config.toml", &text);
    let dry = env.nexus(&["plan", "add a flag", "--planner", "builtin", "--dry-run"]);
    dry.ok();
    assert!(
        dry.stdout
            .contains("estimated duration: ~1h 30m with 1 task at a time"),
        "{}",
        dry.stdout
    );
}
