//! One task in full (`nexus status PLAN TASK`): its spec, record, the states
//! of its dependencies, its session, result text and transcript location.

use anyhow::Result;
use serde::Serialize;

use crate::dashboard::panel::{self, TaskRow};
use crate::dashboard::snapshot::{Problem, Snapshot};
use crate::ids;
use crate::report::model::AnswerReport;
use crate::state::fs;
use crate::state::plan::{Plan, TaskSpec};
use crate::state::session::SessionRecord;
use crate::state::store::Store;
use crate::state::task::TaskRecord;
use crate::time::Timestamp;

/// The version of the `status PLAN TASK --json` document.
pub const DETAIL_SCHEMA: u32 = 1;

/// A dependency and where it is.
#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    /// The task id.
    pub id: String,
    /// Its title (empty when the id is not in the plan).
    pub title: String,
    /// Its shown state (`unknown` when the id is not in the plan).
    pub state: String,
}

/// The `status PLAN TASK --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct TaskDetail {
    /// The document's version ([`DETAIL_SCHEMA`]).
    pub schema: u32,
    /// When it was computed.
    pub generated_at: Timestamp,
    /// The plan.
    pub plan_id: String,
    /// The task as planned.
    pub task: TaskSpec,
    /// The task's dashboard row: state, progress, owner, totals.
    pub status: TaskRow,
    /// The execution record (`null` when its file is malformed).
    pub record: Option<TaskRecord>,
    /// Dependencies with their states.
    pub dependencies: Vec<Dependency>,
    /// The session record of the task's session, when it is on this machine.
    pub session: Option<SessionRecord>,
    /// The agent's latest structured answer (summary, deliverables,
    /// recommendations, next steps, confidence, ratings, questions), from
    /// its `task_result` message.
    pub answer: Option<AnswerReport>,
    /// `results/<task>.md`.
    pub result_file: String,
    /// Its text, when written.
    pub result: Option<String>,
    /// The raw transcript, when there is one.
    pub log_file: Option<String>,
    /// Files that could not be read.
    pub problems: Vec<Problem>,
}

/// Resolves a task of a plan given by id or unique prefix.
pub fn resolve_task<'a>(plan: &'a Plan, given: &str) -> Result<&'a TaskSpec> {
    let ids = plan.task_ids();
    let id = ids::resolve_prefix("task", given, &ids).map_err(|error| {
        crate::exit::tagged_hint(
            crate::exit::Kind::Usage,
            format!("{error:#}"),
            format!("`nexus status {}` lists its tasks", plan.id),
        )
    })?;
    plan.task(id)
        .ok_or_else(|| anyhow::anyhow!("task `{id}` vanished from plan `{}`", plan.id))
}

/// Returns the loaded plan `plan_id`, or the error that kept it from loading.
pub fn loaded_plan<'a>(
    snapshot: &'a Snapshot,
    store: &Store,
    plan_id: &str,
) -> Result<&'a crate::dashboard::snapshot::LoadedPlan> {
    match snapshot.plan(plan_id) {
        Some(loaded) => Ok(loaded),
        None => {
            fs::read_json::<Plan>(&store.plan_path(plan_id))?;
            Err(anyhow::anyhow!("plan `{plan_id}` could not be read"))
        }
    }
}

/// Computes the detail of one task.
pub fn build(
    snapshot: &Snapshot,
    store: &Store,
    plan_id: &str,
    given_task: &str,
    now: Timestamp,
) -> Result<TaskDetail> {
    let loaded = loaded_plan(snapshot, store, plan_id)?;
    let spec = resolve_task(&loaded.plan, given_task)?;
    let dashboard = panel::build(snapshot, Some(plan_id), now);
    let status = dashboard
        .tasks
        .iter()
        .find(|row| row.task_id == spec.id)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("task `{}` is missing from its dashboard", spec.id))?;
    let index = loaded
        .plan
        .tasks
        .iter()
        .position(|task| task.id == spec.id)
        .unwrap_or_default();
    let record = loaded.tasks.get(index).and_then(|task| task.record.clone());
    let dependencies = spec
        .depends_on
        .iter()
        .map(|id| {
            let position = loaded.plan.tasks.iter().position(|task| &task.id == id);
            Dependency {
                id: id.clone(),
                title: position
                    .map(|position| loaded.plan.tasks[position].title.clone())
                    .unwrap_or_default(),
                state: position
                    .and_then(|position| loaded.tasks.get(position))
                    .map_or("unknown", |task| task.shown_state())
                    .to_string(),
            }
        })
        .collect();
    let session = record
        .as_ref()
        .and_then(|record| record.session_id.as_ref())
        .and_then(|session_id| {
            snapshot
                .sessions
                .iter()
                .find(|session| &session.session_id == session_id)
                .cloned()
        });
    let mut problems = snapshot.problems.clone();
    let result_path = store.result_path(plan_id, &spec.id);
    let result = match store.load_result(plan_id, &spec.id) {
        Ok(text) => text,
        Err(error) => {
            problems.push(Problem::new(&result_path, &error));
            None
        }
    };
    let (answers, message_problems) = crate::report::flow::latest_answers(store, plan_id)?;
    problems.extend(message_problems);
    let log_path = store.task_log_path(plan_id, &spec.id);
    Ok(TaskDetail {
        schema: DETAIL_SCHEMA,
        generated_at: now,
        plan_id: plan_id.to_string(),
        task: spec.clone(),
        status,
        record,
        dependencies,
        session,
        answer: answers.get(&spec.id).map(AnswerReport::from_answer),
        result_file: result_path.display().to_string(),
        result,
        log_file: log_path.is_file().then(|| log_path.display().to_string()),
        problems,
    })
}
