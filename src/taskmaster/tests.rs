//! Tests over the fixtures in `tests/fixtures/taskmaster/`: import of both
//! layouts, every problem kind, and the byte-preserving write-back.

use std::collections::BTreeMap;

use serde_json::Value;

use super::locate::own_id;
use super::*;
use crate::exit;
use crate::plan::validate;
use crate::state::plan::{Priority, TaskType};

const FIXTURES: &[&str] = &[
    "tagged.json",
    "legacy.json",
    "string-ids.json",
    "broken-reference.json",
    "cycle.json",
    "invalid-fields.json",
];

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/taskmaster/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap()
}

fn task<'a>(imported: &'a Imported, id: &str) -> &'a ImportedTask {
    imported
        .tasks
        .iter()
        .find(|task| task.spec.id == id)
        .unwrap_or_else(|| panic!("no task `{id}`"))
}

fn deps(imported: &Imported, id: &str) -> Vec<String> {
    task(imported, id).spec.depends_on.clone()
}

fn error_text(error: &anyhow::Error) -> String {
    format!("{error:#}")
}

fn import_error(name: &str, tag: Option<&str>) -> String {
    let error = import(name, &fixture(name), tag).unwrap_err();
    assert_eq!(exit::code_for(&error), exit::PLAN_INVALID, "{error:#}");
    error_text(&error)
}

#[test]
fn detects_both_layouts_and_nothing_else() {
    for name in FIXTURES {
        assert!(detect(&fixture(name)), "{name}");
    }
    assert!(detect(r#"{"master": {"tasks": []}}"#));
    assert!(detect(
        r#"{"tasks": [{"id": "T-1", "title": "x", "status": "todo"}]}"#
    ));
    for text in [
        // A nexus plan: `depends_on`, no Task Master fields.
        r#"{"tasks": [{"id": "a", "title": "A", "type": "implementation", "depends_on": []}]}"#,
        r#"{"tasks": [{"id": "a", "title": "A", "depends_on": [], "status": "x"}]}"#,
        r#"{"tasks": []}"#,
        r#"{"tasks": {}}"#,
        r#"{"master": {"tasks": {}}}"#,
        r#"{"master": 1}"#,
        "{}",
        "[]",
        "\"tasks\"",
        "{\"tasks\": [",
    ] {
        assert!(!detect(text), "{text}");
    }
}

#[test]
fn tagged_master_follows_the_parent_rule() {
    let imported = import("tagged.json", &fixture("tagged.json"), None).unwrap();
    assert_eq!(imported.tag, "master");
    assert_eq!(imported.layout, Layout::Tagged);
    let ids: Vec<&str> = imported
        .tasks
        .iter()
        .map(|task| task.spec.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "1", "2.1", "2.2", "2.3", "2", "3", "4", "5", "7", "8.1", "8.2", "8.3", "8", "9",
            "10.1", "10.2", "10"
        ]
    );
    let skipped: Vec<String> = imported.skipped.iter().map(Origin::id).collect();
    assert_eq!(skipped, ["2.4", "6", "11.1", "11"]);

    // Subtasks inherit the parent's dependencies; the parent checks them.
    assert_eq!(deps(&imported, "2.1"), ["1"]);
    assert_eq!(deps(&imported, "2.2"), ["2.1", "1"]); // plain number: a sibling
    assert_eq!(deps(&imported, "2.3"), ["2.2", "1"]); // "2.2": dotted
    assert_eq!(deps(&imported, "2"), ["2.1", "2.2", "2.3"]);
    assert_eq!(deps(&imported, "3"), ["2"]);
    // 6 is cancelled: 7 waits for what 6 waited for.
    assert_eq!(deps(&imported, "7"), ["5", "2.3"]);
    assert_eq!(deps(&imported, "8.1"), ["3"]);
    assert_eq!(deps(&imported, "8.2"), ["8.1", "3"]);
    assert_eq!(deps(&imported, "8.3"), ["8.1", "8.2", "3"]); // "8.1" and 2 in one list
    assert_eq!(deps(&imported, "8"), ["8.1", "8.2", "8.3"]);
    assert_eq!(deps(&imported, "9"), ["8", "4", "7"]);
    assert_eq!(deps(&imported, "10.2"), ["10.1"]);

    let roles: Vec<(&str, Role)> = [
        ("1", Role::Task),
        ("2.1", Role::Subtask),
        ("2", Role::ParentCheck),
        ("8", Role::ParentCheck),
        ("10", Role::ParentCheck),
    ]
    .into();
    for (id, role) in roles {
        assert_eq!(task(&imported, id).role, role, "{id}");
    }

    // Every status: done stays done, the rest of what is imported is pending.
    let expect = [
        ("1", "done", ImportStatus::Done),
        ("2.1", "done", ImportStatus::Done),
        ("2.2", "in-progress", ImportStatus::Pending),
        ("2", "in-progress", ImportStatus::Pending),
        ("3", "pending", ImportStatus::Pending),
        ("4", "review", ImportStatus::Pending),
        ("5", "blocked", ImportStatus::Pending),
        ("10.2", "pending", ImportStatus::Done), // its parent is done
    ];
    for (id, original, status) in expect {
        let task = task(&imported, id);
        assert_eq!(task.origin.status.as_deref(), Some(original), "{id}");
        assert_eq!(task.status, status, "{id}");
    }
    assert_eq!(task(&imported, "8.1").origin.status, None);
    assert_eq!(task(&imported, "8.1").status, ImportStatus::Pending);
    let skipped_statuses: Vec<Option<&str>> = imported
        .skipped
        .iter()
        .map(|origin| origin.status.as_deref())
        .collect();
    assert_eq!(
        skipped_statuses,
        [
            Some("deferred"),
            Some("cancelled"),
            Some("pending"),
            Some("deferred")
        ]
    );
    let origin = &task(&imported, "8.3").origin;
    assert_eq!(
        (origin.task_id.as_str(), origin.subtask_id.as_deref()),
        ("8", Some("3"))
    );

    // Types, by the keyword rules; a parent is its check.
    let types = [
        ("1", TaskType::Implementation),
        ("2", TaskType::Validation),
        ("3", TaskType::TestCreation),
        ("4", TaskType::Bugfix),
        ("5", TaskType::Research),
        ("7", TaskType::Documentation),
        ("8.1", TaskType::Review),
        ("8.2", TaskType::Refactoring),
        ("8.3", TaskType::Bugfix),
        ("9", TaskType::Implementation),
    ];
    for (id, task_type) in types {
        assert_eq!(task(&imported, id).spec.task_type, task_type, "{id}");
    }

    // Priority: own, else the parent's, else medium.
    assert_eq!(task(&imported, "2.2").spec.priority, Priority::High);
    assert_eq!(task(&imported, "5").spec.priority, Priority::Medium);
    assert_eq!(task(&imported, "9").spec.priority, Priority::Low);

    let warnings = imported.warnings.join("\n");
    for expected in [
        "task `7` depends on `6`, which is skipped: it waits instead for what `6` waited for (`5`)",
        "task `10` is `done`, so its subtasks `10.2` count as done too",
        "task `11` is `deferred`, so its subtasks `11.1` are skipped too",
    ] {
        assert!(warnings.contains(expected), "{warnings}");
    }

    // What nexus validates, it accepts.
    assert_eq!(
        validate::check_tasks(&imported.specs(), &[]),
        Vec::<String>::new()
    );
    let specs: Vec<_> = imported.clone().into();
    assert_eq!(specs, imported.specs());
}

#[test]
fn text_goes_to_description_and_acceptance() {
    let imported = import("tagged.json", &fixture("tagged.json"), None).unwrap();
    let check = &task(&imported, "2").spec;
    assert_eq!(check.title, "Check: Implement the recipe store");
    assert!(
        check.description.starts_with(
            "Task Master task `2` was split into subtasks `2.1`, `2.2`, `2.3`, each done as a task of its own."
        ),
        "{}",
        check.description
    );
    assert!(check.description.contains(
        "## Task\n\nStore recipes with ingredients and tags, and find them again.\n\n## Details\n\nRecipes live in SQLite."
    ));
    assert!(
        check
            .description
            .contains("**Note added on 2025-06-02T09:14:31.207Z:**\nThe first benchmark"),
        "{}",
        check.description
    );
    assert!(!check.description.contains("info added"));
    assert_eq!(
        check.acceptance,
        [
            "All store operations are covered by tests against a temporary database.",
            "subtasks `2.1`, `2.2`, `2.3` together deliver what the task and its details ask for"
        ]
    );
    assert!(check.expected_output.is_some());

    let subtask = &task(&imported, "2.3").spec;
    assert_eq!(subtask.title, "Add full-text search");
    assert_eq!(
        subtask.description,
        "Search titles and ingredients.\n\n## Details\n\nUse FTS5.\n**Note added on 2025-06-03T16:40:02.118Z:**\nFTS5 is available in the bundled SQLite build.\n\n## Part of task `2`: Implement the recipe store\n\nStore recipes with ingredients and tags, and find them again."
    );
    assert!(subtask.acceptance.is_empty());

    let tests = &task(&imported, "3").spec;
    assert_eq!(
        tests.acceptance,
        [
            "Every public function has a unit test",
            "An integration test imports 1,000 recipes",
            "Tests run in under ten seconds"
        ]
    );
    // A `\u00e8` escape in the file is decoded text here.
    assert_eq!(
        task(&imported, "4").spec.acceptance,
        ["A title like `Crème brûlée` shows whole."]
    );
    assert_eq!(
        task(&imported, "7").spec.description,
        "Write rustdoc for every public item and a README section on search."
    );
    assert!(task(&imported, "1").spec.agent.is_none());
}

#[test]
fn other_tags_import_on_their_own() {
    let text = fixture("tagged.json");
    let auth = import("tagged.json", &text, Some("feature-auth")).unwrap();
    assert_eq!(auth.tag, "feature-auth");
    let ids: Vec<&str> = auth
        .tasks
        .iter()
        .map(|task| task.spec.id.as_str())
        .collect();
    assert_eq!(ids, ["1.1", "1.2", "1", "2"]);
    assert_eq!(deps(&auth, "1.2"), ["1.1"]);
    assert_eq!(deps(&auth, "2"), ["1"]);
    assert_eq!(task(&auth, "2").spec.task_type, TaskType::Research);
    let backlog = import("tagged.json", &text, Some("backlog")).unwrap();
    assert_eq!(backlog.tasks.len(), 1);
    assert_eq!(backlog.tasks[0].spec.task_type, TaskType::Planning);

    let error = import_error("tagged.json", Some("nope"));
    assert!(
        error.contains(
            "Task Master file `tagged.json`: there is no tag `nope` (tags: `master`, `feature-auth`, `backlog`)"
        ),
        "{error}"
    );
}

#[test]
fn the_old_layout_reads_as_master() {
    let text = fixture("legacy.json");
    let imported = import("tasks/tasks.json", &text, None).unwrap();
    assert_eq!(imported.layout, Layout::Legacy);
    assert_eq!(imported.tag, "master");
    assert_eq!(task(&imported, "1").status, ImportStatus::Done); // `completed`
    assert_eq!(task(&imported, "3").status, ImportStatus::Pending); // `todo`
    assert_eq!(task(&imported, "3").spec.priority, Priority::Critical);
    assert!(
        imported
            .warnings
            .contains(&"task `3` has unknown status `todo`: imported as pending".to_string()),
        "{:?}",
        imported.warnings
    );
    // `acceptanceCriteria` joins the acceptance items.
    assert_eq!(
        task(&imported, "2.1").spec.acceptance,
        ["unknown keys are listed", "typos suggest the closest key"]
    );
    assert_eq!(deps(&imported, "2.2"), ["2.1", "1"]);
    assert_eq!(deps(&imported, "3"), ["2"]);
    assert_eq!(
        task(&imported, "2").spec.acceptance,
        [
            "unknown key is reported with its line",
            "port 0 is rejected",
            "all errors appear in one message",
            "subtasks `2.1`, `2.2` together deliver what the task and its details ask for"
        ]
    );
    assert!(import("tasks/tasks.json", &text, Some("master")).is_ok());
    let error = import("tasks/tasks.json", &text, Some("feature")).unwrap_err();
    assert!(
        error_text(&error).contains("there is no tag `feature`: the file has the old layout"),
        "{error:#}"
    );
}

#[test]
fn string_ids_and_full_subtask_ids() {
    let imported = import("string-ids.json", &fixture("string-ids.json"), None).unwrap();
    let ids: Vec<&str> = imported
        .tasks
        .iter()
        .map(|task| task.spec.id.as_str())
        .collect();
    assert_eq!(ids, ["1", "2.1", "2.2", "2", "db-pool"]);
    assert_eq!(deps(&imported, "2.2"), ["2.1", "1"]);
    assert_eq!(deps(&imported, "db-pool"), ["2"]);
    assert_eq!(
        task(&imported, "2.2").origin.subtask_id.as_deref(),
        Some("2")
    );
    for task in &imported.tasks {
        assert!(crate::ids::is_safe_id(&task.spec.id), "{}", task.spec.id);
    }
}

#[test]
fn broken_references_are_all_named() {
    let error = import_error("broken-reference.json", None);
    assert!(
        error.contains(
            "Task Master file `broken-reference.json` (tag `master`) is invalid (4 problems)"
        ),
        "{error}"
    );
    for expected in [
        "task `1` depends on `9`, which does not exist",
        "task `1.1` depends on `4`, which does not exist (a plain id in a subtask's dependencies names a sibling subtask, else a task: there is no subtask `1.4` and no task `4`)",
        "task `1.2` depends on `1.7`, which does not exist",
        "task `1.2` depends on `3.1`, which does not exist",
    ] {
        assert!(error.contains(expected), "{error}");
    }
}

#[test]
fn cycles_are_named_including_those_through_a_parent() {
    let error = import_error("cycle.json", None);
    for expected in [
        "dependency cycle: `1 → 2 → 1`",
        "dependency cycle: `3 → 3.1 → 4 → 3` (a task with subtasks waits for all of them)",
        "dependency cycle: `5 → 5`",
    ] {
        assert!(error.contains(expected), "{error}");
    }
    assert!(error.contains("(3 problems)"), "{error}");
}

#[test]
fn every_field_problem_is_collected() {
    let error = import_error("invalid-fields.json", None);
    for expected in [
        "duplicate task id `1` (tasks #1, #2 of tag `master`)",
        "task #3 of tag `master`: field `id` must be a whole number, found `1.5`",
        "task #4 of tag `master`: field `id` is missing",
        "task `4`: field `title` is missing",
        "task `4`: unknown priority `urgent`",
        "task `4`: field `status` must be a string, found a number",
        "task `4`: field `dependencies` must be an array, found a string",
        "task `5`: field `title` must be a string, found an array",
        "task `5`: field `details` must be a string, found an object",
        "task `5` has duplicate subtask id `1` (subtasks #1, #2)",
        "task `5.2` has subtasks of its own",
        "subtask #4 of task `5` must be an object, found a string",
        "task #7 of tag `master`: id `a/b` cannot be a nexus task id",
        "task #7 of tag `master`: dependency #1 must be a task id (`7`, `\"7\"` or `\"3.2\"`), found a boolean",
        "task #7 of tag `master`: dependency #2 must be a task id (`7`, `\"7\"` or `\"3.2\"`), found null",
        "task #7 of tag `master`: dependency #3 must be a task id (`7`, `\"7\"` or `\"3.2\"`), found `\"x.y.z\"`",
    ] {
        assert!(error.contains(expected), "missing {expected:?} in\n{error}");
    }
}

#[test]
fn not_json_names_the_file_and_position() {
    let error = import("x/tasks.json", "{\"tasks\": [\n  {\"id\": 1,}\n]}", None).unwrap_err();
    assert_eq!(exit::code_for(&error), exit::PLAN_INVALID);
    let text = error_text(&error);
    assert!(
        text.contains("Task Master file `x/tasks.json` is not valid JSON")
            && text.contains("line 2"),
        "{text}"
    );
    let error = import("x.json", "[1, 2]", None).unwrap_err();
    assert!(
        error_text(&error).contains("not a Task Master file"),
        "{error:#}"
    );
}

#[test]
fn subtask_dependencies_fall_back_to_top_level_tasks() {
    let text = r#"{"master": {"tasks": [
        {"id": 7, "title": "Prepare the data", "status": "pending"},
        {"id": 8, "title": "Load the data", "status": "pending", "dependencies": [],
         "subtasks": [
            {"id": 1, "title": "Read", "dependencies": [7]},
            {"id": 2, "title": "Write", "dependencies": [8, 1]}
         ]}
    ]}}"#;
    let imported = import("t.json", text, None).unwrap();
    assert_eq!(deps(&imported, "8.1"), ["7"]);
    assert_eq!(deps(&imported, "8.2"), ["8.1"]);
    let warnings = imported.warnings.join("\n");
    assert!(
        warnings.contains(
            "task `8.1` depends on `7`: there is no subtask `8.7`, so it is read as task `7`"
        ),
        "{warnings}"
    );
    assert!(
        warnings.contains("task `8.2` depends on its own parent `8`: dropped"),
        "{warnings}"
    );
}

#[test]
fn odd_parents_stay_importable() {
    // A parent depending on its own subtask; a parent whose subtasks are all
    // cancelled is a plain task again.
    let text = r#"{"tasks": [
        {"id": 1, "title": "Base", "status": "pending"},
        {"id": 2, "title": "Own", "status": "pending", "dependencies": [1, "2.1"],
         "subtasks": [{"id": 1, "title": "Part", "status": "pending"}]},
        {"id": 3, "title": "Gone", "status": "pending", "dependencies": [1],
         "subtasks": [{"id": 1, "title": "Part", "status": "cancelled"}]}
    ]}"#;
    let imported = import("t.json", text, None).unwrap();
    assert_eq!(deps(&imported, "2.1"), ["1"]);
    assert_eq!(deps(&imported, "2"), ["2.1"]);
    assert!(
        imported.warnings.iter().any(
            |warning| warning.starts_with("task `2` depends on its own subtask `2.1`: dropped")
        ),
        "{:?}",
        imported.warnings
    );
    assert_eq!(task(&imported, "3").role, Role::Task);
    assert_eq!(deps(&imported, "3"), ["1"]);
    assert_eq!(
        task(&imported, "3").spec.task_type,
        TaskType::Implementation
    );
}

#[test]
fn long_texts_are_cut_to_what_nexus_takes() {
    let details = "d".repeat(20_000);
    let strategy = "s".repeat(5_000);
    let subtasks: Vec<Value> = (1..=60)
        .map(|n| serde_json::json!({"id": n, "title": format!("Part {n}")}))
        .collect();
    let document = serde_json::json!({"tasks": [
        {"id": 1, "title": "t".repeat(300), "details": details, "testStrategy": strategy},
        {"id": 2, "title": "Big", "subtasks": subtasks},
    ]});
    let error = import("big.json", &document.to_string(), None).unwrap_err();
    // Sixty subtasks are more than one task may depend on.
    let text = error_text(&error);
    assert!(text.contains("(1 problem)"), "{text}");
    assert!(
        text.contains("task `2`: field `depends_on` has 60 entries"),
        "{text}"
    );

    let document = serde_json::json!({"tasks": [document["tasks"][0].clone()]});
    let imported = import("big.json", &document.to_string(), None).unwrap();
    let spec = &imported.tasks[0].spec;
    assert_eq!(spec.title.chars().count(), validate::MAX_TITLE);
    assert!(spec.description.chars().count() <= validate::MAX_DESCRIPTION);
    assert!(
        spec.description
            .ends_with("[cut to fit; the full text is task `1` of tag `master` in `big.json`]"),
        "{}",
        &spec.description[spec.description.len() - 200..]
    );
    assert!(spec.acceptance[0].chars().count() <= validate::MAX_SHORT_TEXT);
    assert!(spec.acceptance[0].ends_with("in `big.json`]"));
}

#[test]
fn a_byte_order_mark_is_read_and_kept() {
    let text = format!("\u{feff}{}", fixture("string-ids.json"));
    assert!(detect(&text));
    assert_eq!(import("bom.json", &text, None).unwrap().tasks.len(), 5);
    let statuses: BTreeMap<String, String> = [("2.1".to_string(), "done".to_string())].into();
    let out = write_statuses(&text, None, &statuses).unwrap();
    assert!(out.starts_with('\u{feff}'));
    assert_eq!(out.len(), text.len() - "pending".len() + "done".len());
}

/// Returns every `(tag, id) → status` of a fixture whose id is unique in
/// its tag and whose status is a string.
fn original_statuses(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let document: Value = serde_json::from_str(text).unwrap();
    let tags: Vec<(String, &Value)> = match document.get("tasks") {
        Some(tasks) => vec![("master".to_string(), tasks)],
        None => document
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(tag, value)| value.get("tasks").map(|tasks| (tag.clone(), tasks)))
            .collect(),
    };
    let parsed = super::json::parse;
    let id_of = |value: &Value, parent: Option<&str>| {
        let node = parsed(&value.to_string()).ok()?;
        own_id(&node, parent).ok()
    };
    let mut out = BTreeMap::new();
    for (tag, tasks) in tags {
        let mut found: Vec<(String, String)> = Vec::new();
        for task in tasks.as_array().into_iter().flatten() {
            let Some(task_id) = task.get("id").and_then(|id| id_of(id, None)) else {
                continue;
            };
            if let Some(status) = task.get("status").and_then(Value::as_str) {
                found.push((task_id.clone(), status.to_string()));
            }
            for subtask in task
                .get("subtasks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(subtask_id) = subtask.get("id").and_then(|id| id_of(id, Some(&task_id)))
                else {
                    continue;
                };
                if let Some(status) = subtask.get("status").and_then(Value::as_str) {
                    found.push((format!("{task_id}.{subtask_id}"), status.to_string()));
                }
            }
        }
        let unique: BTreeMap<String, String> = found
            .iter()
            .filter(|(id, _)| found.iter().filter(|(other, _)| other == id).count() == 1)
            .cloned()
            .collect();
        out.insert(tag, unique);
    }
    out
}

#[test]
fn writing_back_the_original_statuses_changes_no_byte() {
    for name in FIXTURES {
        let text = fixture(name);
        let tags = original_statuses(&text);
        assert!(!tags.is_empty(), "{name}");
        for (tag, statuses) in tags {
            assert!(!statuses.is_empty(), "{name} {tag}");
            let out = write_statuses(&text, Some(&tag), &statuses)
                .unwrap_or_else(|error| panic!("{name} {tag}: {error:#}"));
            assert!(out == text, "{name} tag {tag} changed");
        }
    }
}

#[test]
fn round_trip_changes_exactly_the_status_values() {
    let text = fixture("tagged.json");
    let imported = import("tagged.json", &text, None).unwrap();
    let mut statuses: BTreeMap<String, String> = imported
        .tasks
        .iter()
        .filter(|task| task.origin.status.is_some())
        .map(|task| {
            (
                task.origin.id(),
                task.origin.status.clone().unwrap_or_default(),
            )
        })
        .collect();
    let changes = [
        ("2", "done"),
        ("2.2", "done"),
        ("2.3", "in-progress"),
        ("3", "blocked"),
        ("4", "done"),
        ("10.2", "done"),
    ];
    for (id, status) in changes {
        statuses.insert(id.to_string(), status.to_string());
    }
    let out = write_statuses(&text, Some("master"), &statuses).unwrap();

    // Line by line: only status lines differ, keeping their indentation.
    let before: Vec<&str> = text.split('\n').collect();
    let after: Vec<&str> = out.split('\n').collect();
    assert_eq!(before.len(), after.len());
    let mut changed = Vec::new();
    for (old, new) in before.iter().zip(&after) {
        if old != new {
            let indent = old.len() - old.trim_start().len();
            assert_eq!(old[..indent], new[..indent]);
            assert!(old.trim_start().starts_with("\"status\": \""), "{old}");
            assert!(new.trim_start().starts_with("\"status\": \""), "{new}");
            changed.push(new.trim());
        }
    }
    assert_eq!(
        changed,
        [
            "\"status\": \"done\",",        // 2 (before its subtasks in the file)
            "\"status\": \"done\",",        // 2.2
            "\"status\": \"in-progress\",", // 2.3
            "\"status\": \"blocked\",",     // 3
            "\"status\": \"done\",",        // 4
            "\"status\": \"done\",",        // 10.2
        ]
    );
    // Task Master writes no trailing newline; none appears.
    assert!(!out.ends_with('\n'));

    // Still JSON, with the same structure: the original with those values.
    let mut expected: Value = serde_json::from_str(&text).unwrap();
    let master = &mut expected["master"]["tasks"];
    master[1]["status"] = "done".into();
    master[1]["subtasks"][1]["status"] = "done".into();
    master[1]["subtasks"][2]["status"] = "in-progress".into();
    master[2]["status"] = "blocked".into();
    master[3]["status"] = "done".into();
    master[9]["subtasks"][1]["status"] = "done".into();
    let written: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(written, expected);
    // The escaped characters are still escaped.
    assert!(out.contains("Cr\\u00e8me br\\u00fbl\\u00e9e"));
}

#[test]
fn a_missing_status_is_inserted_in_place() {
    let text = fixture("tagged.json");
    let statuses: BTreeMap<String, String> = [("8.1".to_string(), "done".to_string())].into();
    let out = write_statuses(&text, None, &statuses).unwrap();
    let before: Vec<&str> = text.split('\n').collect();
    let after: Vec<&str> = out.split('\n').collect();
    assert_eq!(after.len(), before.len() + 1);
    let at = before
        .iter()
        .position(|line| line.contains("\"title\": \"Audit error messages\""))
        .unwrap();
    assert_eq!(before[..=at], after[..=at]);
    assert_eq!(after[at + 1], "            \"status\": \"done\",");
    assert_eq!(before[at + 1..], after[at + 2..]);
    let imported = import("tagged.json", &out, None).unwrap();
    assert_eq!(
        task(&imported, "8.1").origin.status.as_deref(),
        Some("done")
    );
    assert_eq!(task(&imported, "8.1").status, ImportStatus::Done);
}

#[test]
fn statuses_in_other_tags_are_never_changed() {
    let text = fixture("tagged.json");
    let statuses: BTreeMap<String, String> = [
        ("1".to_string(), "done".to_string()),
        ("1.1".to_string(), "done".to_string()),
    ]
    .into();
    let out = write_statuses(&text, Some("feature-auth"), &statuses).unwrap();
    let before: Value = serde_json::from_str(&text).unwrap();
    let after: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(before["master"], after["master"]);
    assert_eq!(before["backlog"], after["backlog"]);
    assert_eq!(after["feature-auth"]["tasks"][0]["status"], "done");
    assert_eq!(
        after["feature-auth"]["tasks"][0]["subtasks"][0]["status"],
        "done"
    );
    assert_eq!(
        after["feature-auth"]["tasks"][0]["subtasks"][1]["status"],
        "pending"
    );
    // Tag `backlog` also has a task `1`: the master copy is what changes.
    let out = write_statuses(&text, None, &statuses).unwrap_err();
    assert!(
        error_text(&out).contains("no task `1.1` in tag `master`"),
        "{out:#}"
    );
}

#[test]
fn the_old_layout_keeps_its_tabs_and_trailing_newline() {
    let text = fixture("legacy.json");
    let statuses: BTreeMap<String, String> = [
        ("2".to_string(), "done".to_string()),
        ("2.2".to_string(), "in-progress".to_string()),
    ]
    .into();
    let out = write_statuses(&text, None, &statuses).unwrap();
    assert!(out.ends_with("}\n"));
    let changed: Vec<(&str, &str)> = text
        .split('\n')
        .zip(out.split('\n'))
        .filter(|(old, new)| old != new)
        .collect();
    assert_eq!(
        changed,
        [
            (
                "\t\t\t\"status\": \"pending\",",
                "\t\t\t\"status\": \"done\","
            ),
            (
                "\t\t\t\t\t\"status\": \"pending\",",
                "\t\t\t\t\t\"status\": \"in-progress\","
            ),
        ]
    );
}
