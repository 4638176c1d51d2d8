//! `nexus plan --revise PLAN ["GUIDANCE"]`: NEXUS Prime reads what
//! completed and what failed and proposes a revision for the remaining
//! work, shown as a diff before anything is written; completed tasks and
//! their records stay, the old version and the replaced records go to the
//! plan's history, and a model's commands stay suggestions.

use serde_json::{Value, json};

use crate::common::TestEnv;
use crate::common::fake_claude::{FakeClaude, Step};
use crate::common::openai_server::{FakeServer, chat};

/// A builtin plan `p1` run once: `implementation` fails (a 400 is not
/// retried), `tests` and `validation` are blocked, the rest completed.
fn failed_run() -> (TestEnv, FakeClaude) {
    let mut env = TestEnv::initialised();
    let fake = FakeClaude::install(&mut env);
    let config = env
        .read(".nexus/config.toml")
        .replace("mode = \"worktree\"", "mode = \"shared\"")
        .replace("retries = 1", "retries = 0");
    env.write(".nexus/config.toml", &config);
    fake.script(&[
        Step::api_error(400)
            .message("the parser module is missing")
            .matching("# Task `implementation`")
            .repeat(),
        Step::reply("done").repeat(),
    ]);
    env.nexus(&[
        "plan",
        "add a json flag",
        "--id",
        "p1",
        "--planner",
        "builtin",
    ])
    .ok();
    env.nexus(&["run", "p1"]).code(3);
    (env, fake)
}

fn read_json(env: &TestEnv, relative: &str) -> Value {
    serde_json::from_str(&env.read(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

fn state(env: &TestEnv, task: &str) -> String {
    read_json(env, &format!(".nexus/plans/p1/tasks/{task}.json"))["state"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn builtin_revision_is_shown_asked_for_then_written_and_runs() {
    let (env, fake) = failed_run();
    assert_eq!(state(&env, "implementation"), "failed");
    let before = env.snapshot();

    // Not a terminal and no --yes: shown, refused, nothing written.
    let refused = env.nexus(&["plan", "--revise", "p1", "use serde_json"]);
    refused.code(2);
    assert!(
        refused.stdout.contains("version 2 of plan p1"),
        "{}",
        refused.stdout
    );
    assert!(
        refused.stdout.contains("implementation (description)"),
        "{}",
        refused.stdout
    );
    assert!(refused.stdout.contains("was failed"), "{}", refused.stdout);
    assert!(
        refused.stderr.contains("needs a confirmation"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    let dry = env.nexus(&["plan", "--revise", "p1", "use serde_json", "--dry-run"]);
    dry.ok();
    assert!(dry.stderr.contains("dry run: nothing was written"));
    assert_eq!(env.snapshot(), before, "nothing was written");

    let old_plan = env.read(".nexus/plans/p1/plan.json");
    let kept_record = env.read(".nexus/plans/p1/tasks/analysis.json");
    let written = env
        .nexus(&[
            "plan",
            "--revise",
            "p1",
            "use serde_json",
            "--yes",
            "--json",
        ])
        .json();
    assert_eq!(written["written"], true);
    assert_eq!(written["version"], 2);
    assert_eq!(written["planner"], "builtin");
    assert_eq!(
        written["changes"]["kept"],
        json!(["analysis", "test_strategy"])
    );
    assert_eq!(written["changes"]["removed"], json!([]));
    // The plan keeps its id; version 1 is in its history, verbatim.
    assert_eq!(env.read(".nexus/plans/p1/history/plan-1.json"), old_plan);
    let revision = read_json(&env, ".nexus/plans/p1/history/revision-1.json");
    assert_eq!(revision["guidance"], "use serde_json");
    assert_eq!(revision["changes"], written["changes"]);
    // Kept tasks keep their records; replaced ones are archived and pending.
    assert_eq!(env.read(".nexus/plans/p1/tasks/analysis.json"), kept_record);
    let archived = read_json(
        &env,
        ".nexus/plans/p1/history/plan-1/tasks/implementation.json",
    );
    assert_eq!(archived["state"], "failed");
    for task in ["implementation", "tests", "validation"] {
        assert_eq!(state(&env, task), "pending", "{task}");
    }
    let plan = read_json(&env, ".nexus/plans/p1/plan.json");
    let implementation = plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|task| task["id"] == "implementation")
        .unwrap();
    let description = implementation["description"].as_str().unwrap();
    assert!(
        description.contains("failed after 1 attempt"),
        "{description}"
    );
    assert!(
        description.contains("the parser module is missing"),
        "{description}"
    );
    assert!(
        description.contains("Guidance: use serde_json"),
        "{description}"
    );

    // The revised plan runs to the end; the agent reads what went wrong.
    fake.script(&[Step::reply("done").repeat()]);
    env.nexus(&["run", "p1"]).ok();
    let calls = fake.invocations();
    let prompt = calls
        .iter()
        .rev()
        .find_map(|call| {
            call.flags
                .prompt
                .as_deref()
                .filter(|prompt| prompt.contains("# Task `implementation`"))
        })
        .expect("implementation ran again");
    assert!(prompt.contains("the parser module is missing"), "{prompt}");
    assert!(prompt.contains("Guidance: use serde_json"), "{prompt}");
    // A second revision is version 3; nothing left to change says so.
    let again = env.nexus(&["plan", "--revise", "p1", "--yes"]);
    again.ok();
    assert!(again.stderr.contains("changes nothing"), "{}", again.stderr);
    assert!(
        !env.nexus_dir()
            .join("plans/p1/history/plan-2.json")
            .exists()
    );
}

#[test]
fn a_model_revision_splits_the_failed_task_and_its_commands_stay_suggestions() {
    let (mut env, _fake) = failed_run();
    let proposal = json!({"tasks": [
        {"id": "parser", "title": "Add the parser module", "description": "The module was missing.",
         "type": "implementation", "agent": "code_developer", "depends_on": ["analysis"],
         "priority": "high", "expected_output": null, "acceptance": [], "estimate_minutes": 20,
         "verify": ["cargo test parser"]},
        {"id": "implementation", "title": "Implement the flag", "description": "Use the parser.",
         "type": "implementation", "agent": "code_developer", "depends_on": ["parser"],
         "priority": "medium", "expected_output": null, "acceptance": [], "estimate_minutes": 20},
        {"id": "validation", "title": "Validate", "description": "Run the tests.",
         "type": "validation", "agent": "beta_test_validator",
         "depends_on": ["implementation", "test_strategy"], "priority": "medium",
         "expected_output": null, "acceptance": [], "estimate_minutes": 10}
    ]});
    // First a proposal that takes a completed task's id: sent back once.
    let bad = json!({"tasks": [{"id": "analysis", "title": "again", "type": "analysis"}]});
    let server = FakeServer::start(vec![chat(&bad.to_string()), chat(&proposal.to_string())]);
    env.set("OPENAI_API_KEY", "sk-test-key");
    env.set("OPENAI_BASE_URL", server.base_url.clone());
    let run = env.nexus(&[
        "plan",
        "--revise",
        "p1",
        "split the parser out",
        "--planner",
        "openai",
        "--yes",
    ]);
    run.ok();
    assert!(run.stderr.contains("corrected plan"), "{}", run.stderr);
    for needle in [
        "added    parser",
        "changed  implementation",
        "removed  tests",
        "kept     analysis",
    ] {
        assert!(run.stdout.contains(needle), "{needle}: {}", run.stdout);
    }
    // The model read what happened and the guidance.
    let requests = server.requests();
    let user = requests[0].body["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(user.contains("the parser module is missing"), "{user}");
    assert!(user.contains("split the parser out"), "{user}");
    assert!(user.contains("`analysis`: completed"), "{user}");
    let repair = requests[1].body["messages"][3]["content"].as_str().unwrap();
    assert!(repair.contains("`analysis` is completed"), "{repair}");
    let plan = read_json(&env, ".nexus/plans/p1/plan.json");
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
            "test_strategy",
            "parser",
            "implementation",
            "validation"
        ]
    );
    let parser = &plan["tasks"][2];
    assert_eq!(
        parser["verify"],
        json!([]),
        "a model's command never runs unadopted"
    );
    assert_eq!(parser["suggested_verify"], json!(["cargo test parser"]));
    assert!(
        !env.nexus_dir().join("plans/p1/tasks/tests.json").exists(),
        "removed"
    );
    assert!(
        env.nexus_dir()
            .join("plans/p1/history/plan-1/tasks/tests.json")
            .exists(),
        "its record is archived"
    );
    assert_eq!(state(&env, "parser"), "pending");
    assert!(
        env.nexus_dir()
            .join("logs/brain/p1.revision-1.json")
            .is_file(),
        "the raw answers are kept apart from the plan's first"
    );
}

#[test]
fn a_plan_being_run_is_not_revised() {
    let (env, _fake) = failed_run();
    let lock = env.nexus_dir().join("locks/plan-p1.lock");
    let holder =
        nexus::state::lock::Holder::current(nexus::time::Timestamp(std::time::SystemTime::now()));
    let _held = nexus::state::lock::try_exclusive(&lock, "plan `p1`", &holder).expect("lock");
    let run = env.nexus(&["plan", "--revise", "p1", "--yes"]);
    run.code(4);
    assert!(run.stderr.contains("plan `p1`"), "{}", run.stderr);
}

#[test]
fn the_claude_planner_revises_too() {
    let (env, fake) = failed_run();
    let proposal = json!({"tasks": [
        {"id": "implementation", "title": "Add the parser, then the flag",
         "description": "Create the parser module first.", "type": "implementation",
         "agent": "code_developer", "depends_on": ["analysis"], "priority": "high",
         "expected_output": null, "acceptance": [], "estimate_minutes": 30}
    ]});
    fake.script(&[Step::reply(&format!("```json\n{proposal}\n```")).matching("Revise this plan")]);
    let run = env.nexus(&[
        "plan",
        "--revise",
        "p1",
        "--planner",
        "claude",
        "--yes",
        "--json",
    ]);
    run.ok();
    let report = run.json();
    assert_eq!(report["planner"], "claude");
    assert_eq!(
        report["changes"]["kept"],
        json!(["analysis", "test_strategy"])
    );
    assert_eq!(
        report["changes"]["changed"],
        json!(["implementation (title, description, priority, expected_output, acceptance)"])
    );
    assert_eq!(report["changes"]["removed"], json!(["tests", "validation"]));
    let call = fake.invocations().pop().expect("the planner call");
    let prompt = call.flags.prompt.clone().unwrap_or_default();
    assert!(prompt.contains("the parser module is missing"), "{prompt}");
    assert_eq!(state(&env, "implementation"), "pending");
}
