//! Revising a plan (`nexus plan --revise`): what happened to each task
//! (state, failure, verification evidence, the agent's answer) for the
//! planner to read; the `builtin` revision (unfinished work re-queued with
//! its failure attached); the check of a model's proposal, which covers the
//! remaining work only, since completed tasks are kept exactly as they are;
//! the diff shown before anything is written; and the write: the plan keeps
//! its id, its earlier version goes to `plans/<id>/history/plan-<n>.json`
//! with a `revision-<n>.json` saying who revised it, how and what changed,
//! and the records (and results) of replaced or removed tasks move to
//! `history/plan-<n>/`. Kept tasks keep their records.

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::plan::validate;
use crate::state::fs;
use crate::state::plan::{Plan, TaskSpec};
use crate::state::store::Store;
use crate::state::task::{TaskRecord, TaskState};
use crate::time::Timestamp;

/// What happened to one task of the plan being revised.
#[derive(Debug, Clone)]
pub struct TaskOutcome {
    /// The task as planned.
    pub spec: TaskSpec,
    /// Its state (a `running` record no live run owns reads as
    /// `interrupted`: the revision holds the plan's lock).
    pub state: TaskState,
    /// Attempts made.
    pub attempts: usize,
    /// Why it is not completed.
    pub reason: Option<String>,
    /// Failed checks: the command, its exit and the end of its output.
    pub evidence: Vec<String>,
    /// The summary of the agent's latest answer.
    pub answer: Option<String>,
    /// The agent's open questions.
    pub questions: Vec<String>,
}

impl TaskOutcome {
    /// Returns whether the task is done and stays as it is.
    pub fn kept(&self) -> bool {
        self.state == TaskState::Completed
    }
}

/// Reads what happened to each task of `plan`, in plan order.
pub fn outcomes(store: &Store, plan: &Plan) -> Result<Vec<TaskOutcome>> {
    let (answers, _problems) = crate::report::flow::latest_answers(store, &plan.id)?;
    let mut outcomes = Vec::new();
    for spec in &plan.tasks {
        let record = store.load_task(&plan.id, &spec.id)?;
        let state = match record.state {
            TaskState::Running => TaskState::Interrupted,
            other => other,
        };
        let evidence = record
            .attempts
            .last()
            .map(|attempt| {
                attempt
                    .verification
                    .iter()
                    .chain(&attempt.merge_checks)
                    .filter(|check| !check.passed)
                    .map(|check| {
                        format!(
                            "`{}` ({}): {}",
                            check.command,
                            check.exit_code.map_or_else(
                                || "no exit code".to_string(),
                                |code| format!("exit {code}")
                            ),
                            crate::proc::supervise::tail(&check.output_tail, 8, 800)
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let answer = answers.get(&spec.id);
        outcomes.push(TaskOutcome {
            spec: spec.clone(),
            state,
            attempts: record.attempts.len(),
            reason: record.reason.clone().or_else(|| {
                record
                    .attempts
                    .last()
                    .and_then(|attempt| attempt.reason.clone())
            }),
            evidence,
            answer: answer
                .map(|answer| answer.payload.summary.clone())
                .filter(|summary| !summary.trim().is_empty())
                .or(record.summary),
            questions: answer
                .map(|answer| answer.payload.questions.clone())
                .unwrap_or_default(),
        });
    }
    Ok(outcomes)
}

/// Returns what happened to a task, in words, for a planner or a person.
pub fn describe(outcome: &TaskOutcome) -> String {
    let mut text = match outcome.state {
        TaskState::Completed => "completed".to_string(),
        TaskState::Pending if outcome.attempts == 0 => "not started".to_string(),
        state if outcome.attempts == 0 => state.to_string(),
        state => format!(
            "{state} after {} attempt{}",
            outcome.attempts,
            if outcome.attempts == 1 { "" } else { "s" }
        ),
    };
    if !outcome.kept()
        && let Some(reason) = &outcome.reason
    {
        text.push_str(&format!(": {}", crate::ui::shorten(reason, 600)));
    }
    for evidence in &outcome.evidence {
        text.push_str(&format!("\nEvidence: {evidence}"));
    }
    if let Some(answer) = &outcome.answer {
        text.push_str(&format!(
            "\nThe agent's answer: {}",
            crate::ui::shorten(answer, 600)
        ));
    }
    for question in &outcome.questions {
        text.push_str(&format!(
            "\nThe agent asked: {}",
            crate::ui::shorten(question, 300)
        ));
    }
    text
}

/// The `builtin` revision: completed tasks kept, every other task queued
/// again as it was, with what went wrong (and the guidance) appended to its
/// description so that its agent reads it.
pub fn requeue(outcomes: &[TaskOutcome], guidance: Option<&str>) -> Vec<TaskSpec> {
    outcomes
        .iter()
        .map(|outcome| {
            let mut spec = outcome.spec.clone();
            if outcome.kept() || (outcome.state == TaskState::Pending && outcome.attempts == 0) {
                if let Some(guidance) = guidance.filter(|_| !outcome.kept()) {
                    spec.description = append(&spec.description, &format!("Guidance: {guidance}"));
                }
                return spec;
            }
            let mut note = format!("Revision: this task was {}.", describe(outcome));
            if let Some(guidance) = guidance {
                note.push_str(&format!("\nGuidance: {guidance}"));
            }
            spec.description = append(&spec.description, &note);
            spec
        })
        .collect()
}

/// Appends a paragraph, keeping the description within the validator's
/// bound (the oldest appended notes go first).
fn append(description: &str, note: &str) -> String {
    let joined = if description.trim().is_empty() {
        note.to_string()
    } else {
        format!("{}\n\n{note}", description.trim_end())
    };
    let limit = validate::MAX_DESCRIPTION;
    if joined.chars().count() <= limit {
        return joined;
    }
    let keep_note: String = note.chars().take(limit / 2).collect();
    let head: String = description
        .chars()
        .take(limit - keep_note.chars().count() - 4)
        .collect();
    format!("{head}…\n\n{keep_note}")
}

/// Checks a model's proposal for the remaining work (`{"tasks": [...]}`):
/// its commands become suggestions (never adopted), no task may take a
/// completed task's id, and the whole (completed tasks plus the proposal)
/// is validated like any plan. Returns the revised plan's tasks: the
/// completed ones first, exactly as they were, then the proposal.
pub fn check_proposal(
    document: &Value,
    outcomes: &[TaskOutcome],
    agent_ids: &[String],
    default_priority: crate::state::plan::Priority,
) -> std::result::Result<Vec<TaskSpec>, Vec<String>> {
    let Some(proposed) = document.get("tasks").and_then(Value::as_array) else {
        return Err(vec![
            "the answer must be a JSON object with a `tasks` array (the remaining work)"
                .to_string(),
        ]);
    };
    let kept: Vec<&TaskSpec> = outcomes
        .iter()
        .filter(|outcome| outcome.kept())
        .map(|outcome| &outcome.spec)
        .collect();
    let mut problems = Vec::new();
    let mut tasks: Vec<Value> = Vec::new();
    for spec in &kept {
        tasks.push(serde_json::to_value(spec).unwrap_or(Value::Null));
    }
    for task in proposed {
        let mut task = task.clone();
        if let Some(object) = task.as_object_mut() {
            if let Some(id) = object.get("id").and_then(Value::as_str)
                && kept.iter().any(|spec| spec.id == id)
            {
                problems.push(format!(
                    "task `{id}` is completed and kept as it is: do not return it (depend on it), or give the new task another id"
                ));
            }
            // A model's commands are only suggestions until a person
            // adopts them (`nexus plan adopt`), and it cannot adopt them;
            // a task it returns keeps the checks a person gave it before.
            object.remove("adopted");
            let before: Vec<String> = object
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| outcomes.iter().find(|outcome| outcome.spec.id == id))
                .map(|outcome| outcome.spec.verify.clone())
                .unwrap_or_default();
            if let Some(Value::Array(commands)) = object.remove("verify") {
                let (kept_checks, suggested): (Vec<Value>, Vec<Value>) =
                    commands.into_iter().partition(|command| {
                        command
                            .as_str()
                            .is_some_and(|command| before.iter().any(|old| old == command))
                    });
                object.insert("verify".to_string(), Value::Array(kept_checks));
                let list = object
                    .entry("suggested_verify")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = list {
                    list.extend(suggested);
                }
            }
        }
        tasks.push(task);
    }
    let merged = serde_json::json!({ "tasks": tasks });
    let parsed = validate::parse_plan(
        &merged,
        agent_ids,
        default_priority,
        validate::MAX_IMPORT_TASKS,
        validate::Author::Person,
    );
    match parsed {
        Ok(draft) if problems.is_empty() => Ok(draft
            .tasks
            .into_iter()
            .map(|mut spec| {
                // Kept tasks exactly as they were (adoptions included); a
                // returned task that kept its checks keeps who adopted them.
                if let Some(kept) = kept.iter().find(|kept| kept.id == spec.id) {
                    return (*kept).clone();
                }
                if let Some(old) = outcomes
                    .iter()
                    .find(|outcome| outcome.spec.id == spec.id)
                    .filter(|outcome| outcome.spec.verify == spec.verify)
                {
                    spec.adopted.clone_from(&old.spec.adopted);
                }
                spec
            })
            .collect()),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// One changed task and which of its fields changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    /// The task.
    pub task: String,
    /// The fields that differ.
    pub fields: Vec<&'static str>,
}

/// What a revision changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    /// Tasks the revision adds.
    pub added: Vec<String>,
    /// Tasks it removes.
    pub removed: Vec<String>,
    /// Tasks whose definition changes, with the fields (`field, field …`).
    pub changed: Vec<String>,
    /// Tasks queued again as they were (their records start afresh).
    pub requeued: Vec<String>,
    /// Tasks kept with their records (completed, or not started and
    /// unchanged).
    pub kept: Vec<String>,
}

impl Diff {
    /// Returns whether the revision changes nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.requeued.is_empty()
    }
}

/// Returns the fields in which two definitions of a task differ.
fn changed_fields(old: &TaskSpec, new: &TaskSpec) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut differs = |name: &'static str, same: bool| {
        if !same {
            fields.push(name);
        }
    };
    differs("title", old.title == new.title);
    differs("description", old.description == new.description);
    differs("type", old.task_type == new.task_type);
    differs("agent", old.agent == new.agent);
    differs("depends_on", old.depends_on == new.depends_on);
    differs("priority", old.priority == new.priority);
    differs(
        "expected_output",
        old.expected_output == new.expected_output,
    );
    differs("acceptance", old.acceptance == new.acceptance);
    differs("verify", old.verify == new.verify);
    differs(
        "suggested_verify",
        old.suggested_verify == new.suggested_verify,
    );
    differs(
        "estimate_minutes",
        old.estimate_minutes == new.estimate_minutes,
    );
    fields
}

/// Returns whether a task's record stays through the revision: completed,
/// or never started and defined the same.
fn keeps_record(outcome: &TaskOutcome, new: &TaskSpec) -> bool {
    outcome.kept()
        || (outcome.state == TaskState::Pending
            && outcome.attempts == 0
            && changed_fields(&outcome.spec, new).is_empty())
}

/// Compares the plan's tasks (with what happened to them) and a revision.
pub fn diff(outcomes: &[TaskOutcome], new: &[TaskSpec]) -> Diff {
    let mut diff = Diff::default();
    for spec in new {
        match outcomes.iter().find(|outcome| outcome.spec.id == spec.id) {
            None => diff.added.push(spec.id.clone()),
            Some(outcome) if keeps_record(outcome, spec) => diff.kept.push(spec.id.clone()),
            Some(outcome) => {
                let fields = changed_fields(&outcome.spec, spec);
                if fields.is_empty() {
                    diff.requeued.push(spec.id.clone());
                } else {
                    diff.changed
                        .push(format!("{} ({})", spec.id, fields.join(", ")));
                }
            }
        }
    }
    for outcome in outcomes {
        if !new.iter().any(|spec| spec.id == outcome.spec.id) {
            diff.removed.push(outcome.spec.id.clone());
        }
    }
    diff
}

/// The record of one revision: `plans/<id>/history/revision-<n>.json`,
/// written beside `plan-<n>.json`, the version it replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// Schema version.
    pub schema: u32,
    /// The version it replaced (1 = the plan as first made).
    pub revision: u32,
    /// When.
    pub at: Timestamp,
    /// The command.
    pub by: String,
    /// The planner that proposed it.
    pub planner: String,
    /// Its model, for an LLM planner.
    #[serde(default)]
    pub model: Option<String>,
    /// The user's guidance.
    #[serde(default)]
    pub guidance: Option<String>,
    /// What changed.
    pub changes: Diff,
}

impl crate::state::fs::Versioned for Revision {
    const SCHEMA: u32 = 1;
    const WHAT: &'static str = "plan revision";
}

/// Returns `plans/<id>/history/`.
pub fn history_dir(store: &Store, plan_id: &str) -> std::path::PathBuf {
    store.plan_dir(plan_id).join("history")
}

/// Returns the number the next revision gets: one more than the versions
/// in the plan's history.
pub fn next_revision(store: &Store, plan_id: &str) -> Result<u32> {
    let count = fs::list_dir(&history_dir(store, plan_id))?
        .iter()
        .filter(|name| name.starts_with("plan-") && name.ends_with(".json"))
        .count();
    Ok(u32::try_from(count).unwrap_or(u32::MAX - 1) + 1)
}

/// Writes a revision (the caller holds the plan's exclusive and edit
/// locks): the old plan to `history/plan-<n>.json`, the records and
/// results of tasks removed or started afresh to `history/plan-<n>/`,
/// pending records for them and for new tasks, `plan.json` last, then
/// `history/revision-<n>.json`. A crash half-way leaves the old plan
/// whole; a record moved away reads as pending.
pub fn write(
    store: &Store,
    plan: &Plan,
    outcomes: &[TaskOutcome],
    tasks: Vec<TaskSpec>,
    revision: &Revision,
) -> Result<()> {
    let history = history_dir(store, &plan.id);
    let number = revision.revision;
    let archive = history.join(format!("plan-{number}"));
    fs::create_dir_all(&history)?;
    fs::write_json(&history.join(format!("plan-{number}.json")), plan)?;
    let starts_afresh = |id: &str| match outcomes.iter().find(|outcome| outcome.spec.id == id) {
        None => true,
        Some(outcome) => match tasks.iter().find(|spec| spec.id == id) {
            None => true,
            Some(spec) => !keeps_record(outcome, spec),
        },
    };
    for outcome in outcomes {
        let id = &outcome.spec.id;
        if !starts_afresh(id) {
            continue;
        }
        for (from, to) in [
            (
                store.task_path(&plan.id, id),
                archive.join("tasks").join(format!("{id}.json")),
            ),
            (
                store.result_path(&plan.id, id),
                archive.join("results").join(format!("{id}.md")),
            ),
        ] {
            if from.exists() {
                if let Some(parent) = to.parent() {
                    fs::create_dir_all(parent)?;
                }
                fs::rename(&from, &to)?;
            }
        }
    }
    for spec in &tasks {
        if starts_afresh(&spec.id) {
            fs::write_json(
                &store.task_path(&plan.id, &spec.id),
                &TaskRecord::pending(&spec.id),
            )?;
        }
    }
    let mut revised = plan.clone();
    if tasks
        .iter()
        .any(|task| !task.suggested_verify.is_empty() || task.adopted.is_some())
    {
        revised.schema = revised.schema.max(2);
    }
    revised.tasks = tasks;
    fs::write_json(&store.plan_path(&plan.id), &revised)?;
    fs::write_json(&history.join(format!("revision-{number}.json")), revision)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::plan::{Priority, TaskType};

    fn spec(id: &str, deps: &[&str]) -> TaskSpec {
        TaskSpec {
            id: id.into(),
            title: id.into(),
            description: format!("do {id}"),
            task_type: TaskType::Implementation,
            agent: Some("code_developer".into()),
            depends_on: deps.iter().map(|d| (*d).to_string()).collect(),
            priority: Priority::Medium,
            expected_output: None,
            acceptance: vec![],
            verify: vec!["cargo test".into()],
            suggested_verify: Vec::new(),
            adopted: None,
            estimate_minutes: Some(10),
        }
    }

    fn outcome(id: &str, deps: &[&str], state: TaskState, attempts: usize) -> TaskOutcome {
        TaskOutcome {
            spec: spec(id, deps),
            state,
            attempts,
            reason: (state == TaskState::Failed).then(|| "`cargo test` failed".to_string()),
            evidence: if state == TaskState::Failed {
                vec!["`cargo test` (exit 101): 1 failed".to_string()]
            } else {
                Vec::new()
            },
            answer: Some(format!("answer of {id}")),
            questions: Vec::new(),
        }
    }

    fn plan_outcomes() -> Vec<TaskOutcome> {
        vec![
            outcome("spec", &[], TaskState::Completed, 1),
            outcome("build", &["spec"], TaskState::Failed, 2),
            outcome("tests", &["build"], TaskState::Blocked, 0),
            outcome("docs", &["spec"], TaskState::Pending, 0),
        ]
    }

    #[test]
    fn builtin_requeues_unfinished_work_with_its_failure_attached() {
        let outcomes = plan_outcomes();
        let tasks = requeue(&outcomes, Some("use the new parser"));
        assert_eq!(tasks.len(), 4);
        assert_eq!(tasks[0], outcomes[0].spec, "completed: kept as is");
        assert!(tasks[1].description.contains("failed after 2 attempts"));
        assert!(tasks[1].description.contains("exit 101"));
        assert!(
            tasks[1]
                .description
                .contains("Guidance: use the new parser")
        );
        assert!(tasks[2].description.contains("blocked"));
        let diff = diff(&outcomes, &tasks);
        assert_eq!(diff.kept, ["spec"]);
        assert_eq!(diff.changed.len(), 3, "{diff:?}");
        assert!(diff.changed[0].starts_with("build (description)"));
        assert!(diff.added.is_empty() && diff.removed.is_empty());
        // Without guidance a pending task stays as it is, record and all.
        let plain = requeue(&outcomes, None);
        assert_eq!(super::diff(&outcomes, &plain).kept, ["spec", "docs"]);
    }

    #[test]
    fn a_proposal_keeps_completed_tasks_and_never_adopts_commands() {
        let outcomes = plan_outcomes();
        let agents = vec!["code_developer".to_string()];
        let proposal = serde_json::json!({"tasks": [
            {"id": "build_parser", "title": "Build the parser", "type": "implementation",
             "agent": "code_developer", "depends_on": ["spec"], "verify": ["rm -rf /"],
             "adopted": {"by": "model", "at": "2026-01-01T00:00:00Z", "commands": ["x"]}},
            {"id": "build_cli", "title": "Build the CLI", "type": "implementation",
             "depends_on": ["build_parser"]},
            {"id": "docs", "title": "docs", "description": "do docs", "type": "implementation",
             "agent": "code_developer", "depends_on": ["spec"], "verify": ["cargo test"],
             "estimate_minutes": 10}
        ]});
        let tasks = check_proposal(&proposal, &outcomes, &agents, Priority::Medium).unwrap();
        let ids: Vec<&str> = tasks.iter().map(|task| task.id.as_str()).collect();
        assert_eq!(ids, ["spec", "build_parser", "build_cli", "docs"]);
        assert_eq!(tasks[0], outcomes[0].spec);
        assert!(tasks[1].verify.is_empty());
        assert_eq!(tasks[1].suggested_verify, ["rm -rf /"]);
        assert_eq!(tasks[1].adopted, None);
        let diff = diff(&outcomes, &tasks);
        assert_eq!(diff.added, ["build_parser", "build_cli"]);
        assert_eq!(diff.removed, ["build", "tests"]);
        assert_eq!(diff.kept, ["spec", "docs"], "a person's check stays");
        assert!(diff.changed.is_empty());
        // A completed task's id, an unknown dependency: every problem named.
        let bad = serde_json::json!({"tasks": [
            {"id": "spec", "title": "again", "type": "analysis"},
            {"id": "x", "title": "x", "type": "analysis", "depends_on": ["nowhere"]}
        ]});
        let problems = check_proposal(&bad, &outcomes, &agents, Priority::Medium).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("`spec` is completed")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("unknown task `nowhere`")),
            "{problems:?}"
        );
        assert!(
            check_proposal(&serde_json::json!([]), &outcomes, &agents, Priority::Medium).is_err()
        );
    }
}
