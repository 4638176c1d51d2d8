//! A Task Master project run by the team: `nexus plan --from` on a
//! `tasks.json` of either layout (`--tag`, `--input-format`), `nexus run`
//! with the fake `claude`, and `nexus export --to taskmaster` writing the
//! statuses back so that only the status values change. The fixtures are
//! in `tests/fixtures/taskmaster/cli/`. With `NEXUS_TEST_TASK_MASTER`
//! naming the `task-master` CLI (`.ci/run` installs `task-master-ai`), a
//! last test checks that `task-master list` and `next` read the exported
//! files; without it that test prints a skip note, and fails when `CI` is
//! set.

use std::path::Path;

use serde_json::Value;

use crate::common::fake_claude::{FakeClaude, Step};
use crate::common::{TestEnv, repo_root};
use crate::export::tool;
use crate::run::configure;

const TAGGED: &str = ".taskmaster/tasks/tasks.json";
const LEGACY: &str = "tasks/tasks.json";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tests/fixtures/taskmaster/cli").join(name)).unwrap()
}

fn setup() -> (TestEnv, FakeClaude) {
    let mut env = TestEnv::initialised();
    let fake = FakeClaude::install(&mut env);
    configure(
        &env,
        &[
            ("retry_backoff = \"5s\"", "retry_backoff = \"50ms\""),
            ("grace = \"5s\"", "grace = \"500ms\""),
        ],
    );
    (env, fake)
}

fn record(env: &TestEnv, plan: &str, task: &str) -> Value {
    serde_json::from_str(&env.read(&format!(".nexus/plans/{plan}/tasks/{task}.json"))).unwrap()
}

fn stored_plan(env: &TestEnv, plan: &str) -> Value {
    serde_json::from_str(&env.read(&format!(".nexus/plans/{plan}/plan.json"))).unwrap()
}

/// Returns the status of every task and subtask of `tag` (`None`: the old
/// layout) by Task Master id.
fn statuses(text: &str, tag: Option<&str>) -> Vec<(String, String)> {
    let root: Value = serde_json::from_str(text).unwrap();
    let tasks = match tag {
        Some(tag) => &root[tag]["tasks"],
        None => &root["tasks"],
    };
    let mut found = Vec::new();
    for task in tasks.as_array().unwrap() {
        let id = task["id"].to_string();
        for subtask in task["subtasks"].as_array().into_iter().flatten() {
            found.push((
                format!("{id}.{}", subtask["id"]),
                subtask["status"].as_str().unwrap().to_string(),
            ));
        }
        found.push((id, task["status"].as_str().unwrap().to_string()));
    }
    found
}

/// Asserts that `after` differs from `before` in status values only, on
/// exactly `changed` lines, and returns those lines' numbers (1-based).
#[track_caller]
fn only_statuses_differ(before: &str, after: &str, changed: usize) -> Vec<usize> {
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(old.len(), new.len(), "the number of lines changed");
    assert_eq!(
        before.ends_with('\n'),
        after.ends_with('\n'),
        "the trailing newline changed"
    );
    let mut lines = Vec::new();
    for (number, (old, new)) in old.iter().zip(&new).enumerate() {
        if old == new {
            continue;
        }
        let (old_head, _) =
            status_split(old).unwrap_or_else(|| panic!("line {} changed: {old}", number + 1));
        let (new_head, _) =
            status_split(new).unwrap_or_else(|| panic!("line {} changed: {new}", number + 1));
        assert_eq!(
            old_head,
            new_head,
            "line {} changed more than its status",
            number + 1
        );
        lines.push(number + 1);
    }
    assert_eq!(lines.len(), changed, "changed lines: {lines:?}");
    lines
}

/// Splits a `"status": "value",` line into what precedes the value and the
/// value, or `None` for another line.
fn status_split(line: &str) -> Option<(String, String)> {
    let at = line.find("\"status\": \"")? + "\"status\": \"".len();
    let end = at + line[at..].find('"')?;
    Some((
        format!("{}|{}", &line[..at], &line[end..]),
        line[at..end].to_string(),
    ))
}

#[test]
fn a_task_master_plan_runs_and_only_the_statuses_go_back() {
    let (env, fake) = setup();
    let original = fixture("project.json");
    env.write(TAGGED, &original);
    let plan = env.nexus(&["plan", "--from", TAGGED, "--id", "tm"]);
    plan.ok();
    assert_eq!(plan.stdout, "tm\n");
    for note in [
        "note: task `9` is `done`, so its subtasks `9.2` count as done too",
        "note: task `8` depends on `7`, which is skipped: it waits instead for what `7` waited for (`1`)",
        "imported 12 tasks from Task Master file `.taskmaster/tasks/tasks.json` (tag `master`): 4 already done, 8 to run; left out as cancelled or deferred: `6`, `7`",
    ] {
        assert!(plan.stderr.contains(note), "{note}\n{}", plan.stderr);
    }
    let stored = stored_plan(&env, "tm");
    assert_eq!(stored["schema"], 2);
    assert_eq!(
        stored["source"],
        serde_json::json!({"format": "taskmaster", "path": TAGGED, "tag": "master"})
    );
    let tasks = stored["tasks"].as_array().unwrap();
    let ids: Vec<&str> = tasks
        .iter()
        .map(|task| task["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "1", "2.1", "2.2", "2.3", "2", "3", "4", "5", "8", "9.1", "9.2", "9"
        ]
    );
    let spec = |id: &str| tasks.iter().find(|task| task["id"] == id).unwrap();
    // Both dependency forms in subtasks; a parent becomes the check of its
    // subtasks; dependencies pass through cancelled and deferred tasks.
    assert_eq!(spec("2.2")["depends_on"], serde_json::json!(["2.1", "1"]));
    assert_eq!(spec("2.3")["depends_on"], serde_json::json!(["2.2", "1"]));
    assert_eq!(
        spec("2")["depends_on"],
        serde_json::json!(["2.1", "2.2", "2.3"])
    );
    assert_eq!(spec("2")["type"], "validation");
    assert_eq!(spec("3")["type"], "bugfix");
    assert_eq!(spec("3")["priority"], "critical");
    assert_eq!(spec("8")["depends_on"], serde_json::json!(["1", "5"]));
    assert_eq!(
        spec("2")["acceptance"][0],
        "a sample file parses",
        "the test strategy's list gives the acceptance items"
    );
    // Done stays done, recorded as imported; the rest is pending.
    let done = record(&env, "tm", "1");
    assert_eq!(done["state"], "completed");
    assert_eq!(done["summary"], "imported as done from Task Master");
    assert_eq!(done["attempts"], serde_json::json!([]));
    assert!(
        record(&env, "tm", "9.2")["reason"]
            .as_str()
            .unwrap()
            .contains("task `9.2` belongs to task `9`, which is `done`")
    );
    assert_eq!(record(&env, "tm", "2.2")["state"], "pending");

    fake.script(&[
        Step::api_error(500).matching("# Task `3`").repeat(),
        Step::echo().repeat(),
    ]);
    let run = env.nexus(&["run", "tm"]);
    run.code(3);
    let prompts: Vec<String> = fake
        .invocations()
        .into_iter()
        .filter_map(|call| call.flags.prompt)
        .collect();
    for never in [
        "# Task `1`:",
        "# Task `9`:",
        "# Task `9.1`:",
        "# Task `9.2`:",
    ] {
        assert!(
            !prompts.iter().any(|prompt| prompt.starts_with(never)),
            "a done task ran: {never}"
        );
    }
    let first = prompts
        .iter()
        .find(|prompt| prompt.starts_with("# Task `2.1`:"))
        .unwrap();
    assert!(
        first.contains("Done before nexus ran this plan: task `1` is `done`"),
        "{first}"
    );
    assert_eq!(record(&env, "tm", "3")["state"], "failed");
    assert_eq!(record(&env, "tm", "4")["state"], "blocked");

    let export = env.nexus(&["export", "tm", "--to", "taskmaster"]);
    export.ok();
    assert!(
        export
            .stderr
            .contains("wrote the statuses of 8 tasks of plan `tm` (tag `master`) into"),
        "{}",
        export.stderr
    );
    let exported = env.read(TAGGED);
    only_statuses_differ(&original, &exported, 8);
    let expected = [
        ("1", "done"),
        ("2.1", "done"),
        ("2.2", "done"),
        ("2.3", "done"),
        ("2", "done"),
        ("3", "blocked"),
        ("4", "blocked"),
        ("5", "done"),
        ("6", "cancelled"),
        ("7", "deferred"),
        ("8", "done"),
        ("9.1", "completed"),
        ("9.2", "pending"),
        ("9", "done"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(id, status)| ((*id).to_string(), (*status).to_string()))
        .collect();
    assert_eq!(statuses(&exported, Some("master")), expected);
    for tag in ["feature-ui", "spike"] {
        assert_eq!(
            statuses(&exported, Some(tag)),
            statuses(&original, Some(tag))
        );
    }
    // Once written, writing again changes nothing.
    let again = env.nexus(&["export", "tm", "--to", "taskmaster"]);
    again.ok();
    assert!(again.stderr.contains("already holds"), "{}", again.stderr);
    assert_eq!(env.read(TAGGED), exported);
}

#[test]
fn the_old_layout_round_trips_with_its_formatting() {
    let (env, fake) = setup();
    let original = fixture("legacy-project.json");
    env.write(LEGACY, &original);
    env.nexus(&["plan", "--from", LEGACY, "--id", "old"]).ok();
    assert_eq!(stored_plan(&env, "old")["source"]["path"], LEGACY);
    // Before any run nexus reached no status: the file stays as it is.
    env.nexus(&["export", "old", "--to", "taskmaster"]).ok();
    assert_eq!(env.read(LEGACY), original);
    fake.script(&[Step::echo().repeat()]);
    env.nexus(&["run", "old"]).ok();
    env.nexus(&["export", "old", "--to", "taskmaster"]).ok();
    let exported = env.read(LEGACY);
    only_statuses_differ(&original, &exported, 4);
    assert!(
        statuses(&exported, None)
            .iter()
            .all(|(_, status)| status == "done")
    );
}

#[test]
fn a_tag_imports_on_its_own_and_its_statuses_go_back_into_it() {
    let (env, fake) = setup();
    let original = fixture("project.json");
    env.write(TAGGED, &original);
    env.nexus(&[
        "plan",
        "--from",
        TAGGED,
        "--tag",
        "feature-ui",
        "--id",
        "ui",
    ])
    .ok();
    assert_eq!(stored_plan(&env, "ui")["source"]["tag"], "feature-ui");
    fake.script(&[Step::echo().repeat()]);
    env.nexus(&["run", "ui"]).ok();
    env.nexus(&["export", "ui", "--to", "taskmaster"]).ok();
    let exported = env.read(TAGGED);
    only_statuses_differ(&original, &exported, 3);
    assert_eq!(
        statuses(&exported, Some("master")),
        statuses(&original, Some("master"))
    );
    assert!(
        statuses(&exported, Some("feature-ui"))
            .iter()
            .all(|(_, status)| status == "done")
    );
    // Another tag's problems do not stop this one, and are named when asked for.
    let spike = env.nexus(&["plan", "--from", TAGGED, "--tag", "spike"]);
    spike.code(7);
    assert!(
        spike
            .stderr
            .contains("task `1` depends on `4`, which does not exist"),
        "{}",
        spike.stderr
    );
    let unknown = env.nexus(&["plan", "--from", TAGGED, "--tag", "nope"]);
    unknown.code(7);
    assert!(
        unknown
            .stderr
            .contains("there is no tag `nope` (tags: `master`, `feature-ui`, `spike`)"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_broken_file_names_the_task_master_ids_and_writes_nothing() {
    let env = TestEnv::initialised();
    env.write(TAGGED, &fixture("broken.json"));
    let before = env.snapshot();
    let run = env.nexus(&["plan", "--from", TAGGED]);
    run.code(7);
    for problem in [
        "Task Master file `.taskmaster/tasks/tasks.json` (tag `master`) is invalid (3 problems)",
        "task `1.1` depends on `3`, which does not exist",
        "task `1.2` depends on `1.9`, which does not exist",
        "dependency cycle: `2 → 4 → 2`",
    ] {
        assert!(run.stderr.contains(problem), "{problem}\n{}", run.stderr);
    }
    assert_eq!(run.stdout, "");
    assert_eq!(env.snapshot(), before, "nothing was written");
    // A clean tag of the same file imports.
    env.nexus(&["plan", "--from", TAGGED, "--tag", "clean"])
        .ok();
}

#[test]
fn input_format_and_tag_are_options_of_from() {
    let env = TestEnv::initialised();
    env.write(TAGGED, &fixture("project.json"));
    env.write(
        "nexus-plan.json",
        r#"{"tasks": [{"id": "a", "title": "A", "type": "analysis", "depends_on": []}]}"#,
    );
    let tag = env.nexus(&["plan", "--from", "nexus-plan.json", "--tag", "master"]);
    tag.code(2);
    assert!(
        tag.stderr.contains(
            "`--tag` picks a tag of a Task Master file, and `nexus-plan.json` is a nexus plan"
        ),
        "{}",
        tag.stderr
    );
    env.nexus(&["plan", "do it", "--tag", "master"]).code(2);
    env.nexus(&["plan", "do it", "--input-format", "nexus"])
        .code(2);
    // Forced as a nexus plan, a Task Master file fails nexus's validation.
    env.nexus(&["plan", "--from", TAGGED, "--input-format", "nexus"])
        .code(7);
    env.nexus(&[
        "plan",
        "--from",
        TAGGED,
        "--input-format",
        "taskmaster",
        "--id",
        "forced",
    ])
    .ok();
    // A nexus plan was not imported from Task Master; `--nexus` is not an
    // option of `--to taskmaster`.
    env.nexus(&["plan", "--from", "nexus-plan.json", "--id", "own"])
        .ok();
    let export = env.nexus(&["export", "own", "--to", "taskmaster"]);
    export.code(2);
    assert!(
        export
            .stderr
            .contains("plan `own` was not imported from Task Master"),
        "{}",
        export.stderr
    );
    env.nexus(&["export", "forced", "--to", "taskmaster", "--nexus", "x"])
        .code(2);
}

#[test]
fn status_shows_a_done_task_as_imported() {
    let env = TestEnv::initialised();
    env.write(TAGGED, &fixture("project.json"));
    env.nexus(&["plan", "--from", TAGGED, "--id", "tm"]).ok();
    let detail = env.nexus(&["status", "tm", "1"]);
    detail.ok();
    assert!(
        detail.stdout.contains(
            "imported as done from Task Master: task `1` is `done` in `.taskmaster/tasks/tasks.json` (tag `master`)"
        ),
        "{}",
        detail.stdout
    );
    assert!(
        detail.stdout.contains("Done before nexus ran this plan"),
        "{}",
        detail.stdout
    );
    let json = env.nexus(&["status", "tm", "--json"]).json();
    let row = json["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["task_id"] == "9")
        .unwrap();
    assert_eq!(row["state"], "completed");
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .starts_with("imported as done from Task Master")
    );
    assert_eq!(json["plans"][0]["by_state"]["completed"], 4);
}

#[test]
fn export_writes_elsewhere_or_to_stdout_on_request() {
    let (env, fake) = setup();
    let original = fixture("legacy-project.json");
    env.write(LEGACY, &original);
    env.nexus(&["plan", "--from", LEGACY, "--id", "p"]).ok();
    fake.script(&[Step::echo().repeat()]);
    env.nexus(&["run", "p"]).ok();
    let stdout = env.nexus(&["export", "p", "--to", "taskmaster", "-o", "-"]);
    stdout.ok();
    only_statuses_differ(&original, &stdout.stdout, 4);
    env.nexus(&["export", "p", "--to", "taskmaster", "-o", "copy.json"])
        .ok();
    assert_eq!(env.read("copy.json"), stdout.stdout);
    assert_eq!(env.read(LEGACY), original, "the original is left alone");
    // `-o` never writes through a symlink.
    std::os::unix::fs::symlink(
        env.temp.path().join("target.json"),
        env.project.join("link.json"),
    )
    .unwrap();
    env.nexus(&["export", "p", "--to", "taskmaster", "-o", "link.json"])
        .code(2);
    assert!(!env.temp.path().join("target.json").exists());
}

#[test]
fn a_file_outside_the_project_is_imported_and_updated_with_o() {
    let (env, fake) = setup();
    let original = fixture("legacy-project.json");
    let outside = env.temp.path().join("elsewhere/tasks.json");
    std::fs::create_dir_all(outside.parent().unwrap()).unwrap();
    std::fs::write(&outside, &original).unwrap();
    let shown = outside.display().to_string();
    let plan = env.nexus(&["plan", "--from", &shown, "--id", "out"]);
    plan.ok();
    assert!(
        plan.stderr.contains(&format!(
            "note: `{shown}` is outside the project `{}`, so the plan does not remember it: `nexus export PLAN --to taskmaster` needs `-o FILE`",
            env.project.canonicalize().unwrap().display()
        )),
        "{}",
        plan.stderr
    );
    let source = &stored_plan(&env, "out")["source"];
    assert_eq!(source["path"], Value::Null);
    assert_eq!(source["tag"], "master");
    fake.script(&[Step::echo().repeat()]);
    env.nexus(&["run", "out"]).ok();
    let export = env.nexus(&["export", "out", "--to", "taskmaster"]);
    export.code(2);
    assert!(
        export
            .stderr
            .contains("hint: name the Task Master file to update with `-o FILE`"),
        "{}",
        export.stderr
    );
    env.nexus(&["export", "out", "--to", "taskmaster", "-o", &shown])
        .ok();
    only_statuses_differ(&original, &std::fs::read_to_string(&outside).unwrap(), 4);
    // From stdin there is no file to remember either.
    let stdin = env.nexus_stdin(&["plan", "--from", "-", "--id", "piped"], &original);
    stdin.ok();
    assert!(stdin.stderr.contains("came from stdin"), "{}", stdin.stderr);
}

#[test]
fn the_source_is_never_reached_through_a_symlink() {
    let (env, fake) = setup();
    let original = fixture("legacy-project.json");
    // A symlink inside the project: imported, not remembered.
    env.write("real/tasks.json", &original);
    std::fs::create_dir_all(env.project.join("tasks")).unwrap();
    std::os::unix::fs::symlink(
        env.project.join("real/tasks.json"),
        env.project.join(LEGACY),
    )
    .unwrap();
    let plan = env.nexus(&["plan", "--from", LEGACY, "--id", "linked"]);
    plan.ok();
    assert!(
        plan.stderr.contains(&format!(
            "note: `{}` is a symlink, so the plan does not remember it",
            env.project.join(LEGACY).display()
        )),
        "{}",
        plan.stderr
    );
    assert_eq!(stored_plan(&env, "linked")["source"]["path"], Value::Null);

    // Remembered, then the directory is swapped for a symlink to a copy
    // outside: export refuses and writes nothing.
    env.write(TAGGED, &fixture("project.json"));
    env.nexus(&["plan", "--from", TAGGED, "--id", "tm"]).ok();
    fake.script(&[Step::echo().repeat()]);
    env.nexus(&["run", "tm", "--task", "2.1"]).ok();
    let outside = env.temp.path().join("outside");
    std::fs::create_dir_all(outside.join("tasks")).unwrap();
    std::fs::write(outside.join("tasks/tasks.json"), fixture("project.json")).unwrap();
    std::fs::remove_dir_all(env.project.join(".taskmaster")).unwrap();
    std::os::unix::fs::symlink(&outside, env.project.join(".taskmaster")).unwrap();
    let export = env.nexus(&["export", "tm", "--to", "taskmaster"]);
    export.code(5);
    assert!(
        export.stderr.contains("field `source.path`"),
        "{}",
        export.stderr
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("tasks/tasks.json")).unwrap(),
        fixture("project.json")
    );
    // A path edited to leave the project is refused the same way.
    let plan_path = ".nexus/plans/tm/plan.json";
    let edited = env.read(plan_path).replace(
        "\"path\": \".taskmaster/tasks/tasks.json\"",
        "\"path\": \"../outside/tasks/tasks.json\"",
    );
    env.write(plan_path, &edited);
    let export = env.nexus(&["export", "tm", "--to", "taskmaster"]);
    export.code(5);
    assert!(
        export
            .stderr
            .contains("`../outside/tasks/tasks.json` is not a relative path inside the project"),
        "{}",
        export.stderr
    );
}

/// Runs `task-master ARGS` in `project` (offline, its own HOME) and parses
/// the JSON document its output starts with.
fn task_master_json(program: &Path, env: &TestEnv, project: &Path, args: &[&str]) -> Value {
    let output = env
        .command(program)
        .current_dir(project)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "task-master {args:?}: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // A first run on a tagged file adds a notice box after the JSON.
    serde_json::Deserializer::from_str(stdout.trim_start())
        .into_iter::<Value>()
        .next()
        .unwrap_or_else(|| panic!("no JSON: {stdout}"))
        .unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

#[test]
fn task_master_reads_what_nexus_wrote() {
    let Some(program) = tool("NEXUS_TEST_TASK_MASTER") else {
        return;
    };
    let (env, fake) = setup();
    let original = fixture("project.json");
    env.write(TAGGED, &original);
    env.nexus(&["plan", "--from", TAGGED, "--id", "tm"]).ok();
    fake.script(&[
        Step::api_error(500).matching("# Task `3`").repeat(),
        Step::echo().repeat(),
    ]);
    env.nexus(&["run", "tm"]).code(3);
    env.nexus(&["export", "tm", "--to", "taskmaster"]).ok();
    let exported = env.read(TAGGED);

    let listed = task_master_json(
        &program,
        &env,
        &env.project,
        &["list", "--json", "--with-subtasks"],
    );
    let mut seen = Vec::new();
    for task in listed["tasks"].as_array().unwrap() {
        let id = task["id"].as_str().unwrap();
        for subtask in task["subtasks"].as_array().into_iter().flatten() {
            seen.push((
                format!("{id}.{}", subtask["id"].as_str().unwrap()),
                subtask["status"].as_str().unwrap().to_string(),
            ));
        }
        seen.push((id.to_string(), task["status"].as_str().unwrap().to_string()));
    }
    assert_eq!(seen, statuses(&exported, Some("master")));
    // Everything left is blocked behind the failed task, so `next` offers
    // nothing; in another tag it goes on as before.
    let next = task_master_json(&program, &env, &env.project, &["next", "--format", "json"]);
    assert_eq!(next["found"], false, "{next}");
    let next = task_master_json(
        &program,
        &env,
        &env.project,
        &["next", "--format", "json", "--tag", "feature-ui"],
    );
    assert_eq!(next["task"]["id"], "1", "{next}");

    // The old layout, where task-master 0.43 looks for it.
    let (old, fake) = setup();
    old.write(TAGGED, &fixture("legacy-project.json"));
    old.nexus(&["plan", "--from", TAGGED, "--id", "old"]).ok();
    fake.script(&[Step::echo().repeat()]);
    old.nexus(&["run", "old"]).ok();
    old.nexus(&["export", "old", "--to", "taskmaster"]).ok();
    let listed = task_master_json(&program, &old, &old.project, &["list", "--json"]);
    let tasks = listed["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 3);
    assert!(
        tasks.iter().all(|task| task["status"] == "done"),
        "{listed}"
    );
    let next = task_master_json(&program, &old, &old.project, &["next", "--format", "json"]);
    assert_eq!(next["found"], false, "{next}");
}
