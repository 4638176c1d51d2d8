//! `nexus assign`: automatic assignment, overrides, prefixes, `--force`,
//! and balancing across agent instances.

use crate::common::TestEnv;

const UNASSIGNED: &str = r#"{"tasks": [
    {"id": "spec", "title": "Spec", "type": "analysis"},
    {"id": "build", "title": "Build", "type": "implementation", "depends_on": ["spec"]},
    {"id": "check", "title": "Check", "type": "validation", "depends_on": ["build"]}
]}"#;

fn with_plan(text: &str, id: &str) -> TestEnv {
    let env = TestEnv::initialised();
    env.write("plan.json", text);
    env.nexus(&["plan", "--from", "plan.json", "--id", id]).ok();
    env
}

fn agents_in(env: &TestEnv, plan: &str) -> Vec<Option<String>> {
    let plan: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".nexus/plans/{plan}/plan.json"))).expect("plan");
    plan["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .map(|task| task["agent"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn assign_gives_every_unassigned_task_an_agent_by_type() {
    let env = with_plan(UNASSIGNED, "p1");
    assert_eq!(agents_in(&env, "p1"), [None, None, None]);
    let run = env.nexus(&["assign"]);
    run.ok();
    assert!(
        run.stdout.contains("build") && run.stdout.contains("code_developer"),
        "{}",
        run.stdout
    );
    assert_eq!(
        agents_in(&env, "p1"),
        [
            Some("aria_coordinator".to_string()),
            Some("code_developer".to_string()),
            Some("beta_test_validator".to_string())
        ]
    );
    let again = env.nexus(&["assign", "p1", "--json"]).json();
    assert_eq!(again["plan"], "p1");
    assert!(
        again["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["how"] == "kept"),
        "{again}"
    );
}

#[test]
fn one_task_is_overridden_by_prefixes_and_unknowns_are_usage_errors() {
    let env = with_plan(UNASSIGNED, "abc123");
    env.nexus(&["plan", "other", "--id", "abd999"]).ok();
    let run = env.nexus(&["assign", "abc", "bui", "alpha", "--json"]);
    run.ok();
    let row = &run.json()["assignments"][0];
    assert_eq!(row["task"], "build");
    assert_eq!(row["agent"], "alpha_test_creator");
    assert_eq!(row["how"], "override");
    assert!(
        run.stderr
            .contains("does not list task type `implementation`"),
        "{}",
        run.stderr
    );
    assert_eq!(
        agents_in(&env, "abc123")[1].as_deref(),
        Some("alpha_test_creator")
    );
    let unknown_agent = env.nexus(&["assign", "abc123", "build", "zed"]);
    unknown_agent.code(2);
    assert!(
        unknown_agent.stderr.contains("no agent `zed`"),
        "{}",
        unknown_agent.stderr
    );
    let unknown_task = env.nexus(&["assign", "abc123", "nope", "code"]);
    unknown_task.code(2);
    assert!(
        unknown_task.stderr.contains("no task `nope`"),
        "{}",
        unknown_task.stderr
    );
    let ambiguous = env.nexus(&["assign", "ab", "build", "code"]);
    ambiguous.code(2);
    assert!(
        ambiguous.stderr.contains("ambiguous"),
        "{}",
        ambiguous.stderr
    );
    env.nexus(&["assign", "zz"]).code(2);
}

#[test]
fn a_running_or_finished_task_needs_force() {
    let env = with_plan(UNASSIGNED, "p1");
    for state in ["running", "completed"] {
        let path = ".nexus/plans/p1/tasks/build.json";
        let record = env
            .read(path)
            .replace("\"state\": \"pending\"", &format!("\"state\": \"{state}\""))
            .replace("\"state\": \"running\"", &format!("\"state\": \"{state}\""));
        env.write(path, &record);
        let refused = env.nexus(&["assign", "p1", "build", "code_developer"]);
        refused.code(2);
        assert!(
            refused.stderr.contains(&format!("is {state}")),
            "{}",
            refused.stderr
        );
        assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
        assert_eq!(agents_in(&env, "p1")[1], None);
    }
    env.nexus(&["assign", "p1", "build", "code_developer", "--force"])
        .ok();
    assert_eq!(agents_in(&env, "p1")[1].as_deref(), Some("code_developer"));
}

#[test]
fn work_is_balanced_across_instances() {
    let env = TestEnv::initialised();
    // A second developer with two instances next to Code's one.
    let code = env.read(".nexus/agents/code_developer.toml");
    env.write(
        ".nexus/agents/dev_pair.toml",
        &code
            .replace("id = \"code_developer\"", "id = \"dev_pair\"")
            .replace("instances = 1", "instances = 2"),
    );
    let tasks: Vec<String> = (0..6)
        .map(|i| format!(r#"{{"id": "t{i}", "title": "Task {i}", "type": "implementation"}}"#))
        .collect();
    env.write(
        "plan.json",
        &format!("{{\"tasks\": [{}]}}", tasks.join(",")),
    );
    env.nexus(&["plan", "--from", "plan.json", "--id", "many"])
        .ok();
    env.nexus(&["assign"]).ok();
    let agents = agents_in(&env, "many");
    let pair = agents
        .iter()
        .filter(|agent| agent.as_deref() == Some("dev_pair"))
        .count();
    let code = agents
        .iter()
        .filter(|agent| agent.as_deref() == Some("code_developer"))
        .count();
    assert_eq!((pair, code), (4, 2), "{agents:?}");
}
