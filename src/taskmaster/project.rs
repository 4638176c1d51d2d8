//! A Task Master file in a nexus project: the plan one tag becomes (its
//! tasks, the records of the tasks already done, the source the plan
//! remembers) and the statuses nexus reached written back into the file.
//! `nexus plan --from` and `nexus export --to taskmaster` call this; the
//! format's rules are in the module docs of [`crate::taskmaster`].
//!
//! **Done tasks** are recorded `completed` when the plan is saved, with the
//! summary [`IMPORTED_DONE`] and a reason saying where they were done, and
//! a result text that tells their dependents' agents the work was done
//! before nexus; `run` never runs a completed task.
//!
//! **The source.** The plan remembers the file as a path relative to the
//! project root only when the file is inside the project and reached
//! without a symlink ([`crate::state::confine::project_file`]); the same
//! check runs again before the file is written. A file outside the project
//! (or read from stdin) is imported all the same, and `export` then needs
//! `-o FILE`: the Task Master file to update.
//!
//! **Statuses back** ([`reached_status`]): a task nexus ran gets
//! [`super::nexus_to_taskmaster`] of its state; a task nexus never reached —
//! still pending and never attempted, or imported as done — keeps the
//! status written in the file, so an export before any run changes no
//! byte. Cancelled and deferred tasks are not in the plan and keep theirs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::import::{ImportStatus, Imported, ImportedTask, import};
use super::write::{nexus_to_taskmaster, write_statuses};
use crate::exit::{Kind, tagged_hint};
use crate::state::confine;
use crate::state::fs;
use crate::state::plan::{Plan, PlanSource, SourceFormat, TaskSpec};
use crate::state::store::Store;
use crate::state::task::{TaskRecord, TaskState};
use crate::time::Timestamp;

/// The summary recorded for a task imported as done.
pub const IMPORTED_DONE: &str = "imported as done from Task Master";

/// A Task Master file to import.
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    /// The file as the user named it (`-` for stdin), for messages.
    pub shown: &'a str,
    /// The file's path, `None` for stdin.
    pub path: Option<&'a Path>,
    /// Its text.
    pub text: &'a str,
    /// The tag to import (default `master`).
    pub tag: Option<&'a str>,
}

/// One tag of a Task Master file, ready to be saved as a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanImport {
    /// The tasks, in plan order, without agents.
    pub tasks: Vec<TaskSpec>,
    /// The records of the tasks already done, by task id; every other task
    /// starts pending.
    pub records: BTreeMap<String, TaskRecord>,
    /// The result text of each task already done, by task id.
    pub results: BTreeMap<String, String>,
    /// What the plan remembers of the file.
    pub source: PlanSource,
    /// A one-line account: tasks imported, already done, left out.
    pub summary: String,
    /// The importer's warnings, then why the source is not remembered.
    pub notes: Vec<String>,
}

/// Returns the plan made from `file` in the project at `project` (a
/// canonical directory): the import, the records of the done tasks
/// (written at `now` by the command `by`) and the source. Fails, tagged
/// [`Kind::PlanInvalid`], naming the Task Master ids, when the tag has a
/// problem.
pub fn import_plan(
    project: &Path,
    file: &SourceFile<'_>,
    now: Timestamp,
    by: &str,
) -> Result<PlanImport> {
    let imported = import(file.shown, file.text, file.tag)?;
    let mut notes = imported.warnings.clone();
    let remembered = match file.path {
        None => {
            notes.push(
                "the Task Master file came from stdin, so the plan does not remember it: `nexus export PLAN --to taskmaster` needs `-o FILE`".to_string(),
            );
            None
        }
        Some(path) => match confine::project_file(project, path) {
            Ok(relative) => Some(relative_text(&relative)),
            Err(reason) => {
                notes.push(format!(
                    "{reason}, so the plan does not remember it: `nexus export PLAN --to taskmaster` needs `-o FILE`"
                ));
                None
            }
        },
    };
    let place = format!(
        "`{}` (tag `{}`)",
        remembered.as_deref().unwrap_or(file.shown),
        imported.tag
    );
    let mut records = BTreeMap::new();
    let mut results = BTreeMap::new();
    for task in &imported.tasks {
        if task.status != ImportStatus::Done {
            continue;
        }
        let done = done_because(&imported, task);
        let id = task.spec.id.clone();
        let mut record = TaskRecord::pending(&id);
        record.state = TaskState::Completed;
        record.summary = Some(IMPORTED_DONE.to_string());
        record.reason = Some(format!(
            "{IMPORTED_DONE}: {done} in {place}; nexus does not run it"
        ));
        record.updated_at = Some(now);
        record.updated_by = by.to_string();
        records.insert(id.clone(), record);
        results.insert(
            id,
            format!(
                "Done before nexus ran this plan: {done} in {place}. nexus did not run it; the task was:\n\n## {}\n\n{}\n",
                task.spec.title,
                task.spec.description.trim()
            ),
        );
    }
    let summary = summary(&imported, file.shown, records.len());
    Ok(PlanImport {
        tasks: imported.specs(),
        records,
        results,
        source: PlanSource {
            format: SourceFormat::Taskmaster,
            path: remembered,
            tag: imported.tag,
        },
        summary,
        notes,
    })
}

/// Returns why an imported task counts as done: its own status, or its
/// parent's.
fn done_because(imported: &Imported, task: &ImportedTask) -> String {
    let own = task.origin.status.as_deref().unwrap_or_default();
    let id = task.origin.id();
    if matches!(
        own.trim().to_ascii_lowercase().as_str(),
        "done" | "completed"
    ) || task.origin.subtask_id.is_none()
    {
        return format!("task `{id}` is `{own}`");
    }
    let parent = imported
        .tasks
        .iter()
        .find(|other| {
            other.origin.subtask_id.is_none() && other.origin.task_id == task.origin.task_id
        })
        .and_then(|parent| parent.origin.status.clone())
        .unwrap_or_default();
    format!(
        "task `{id}` belongs to task `{}`, which is `{parent}`",
        task.origin.task_id
    )
}

fn summary(imported: &Imported, shown: &str, done: usize) -> String {
    let mut text = format!(
        "imported {} tasks from Task Master file `{shown}` (tag `{}`): {done} already done, {} to run",
        imported.tasks.len(),
        imported.tag,
        imported.tasks.len() - done
    );
    if !imported.skipped.is_empty() {
        let ids: Vec<String> = imported
            .skipped
            .iter()
            .map(|origin| format!("`{}`", origin.id()))
            .collect();
        text.push_str(&format!(
            "; left out as cancelled or deferred: {}",
            ids.join(", ")
        ));
    }
    text
}

/// Returns a relative path as `/`-separated text.
fn relative_text(relative: &Path) -> String {
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Returns the Task Master status nexus reached for a task with `record`,
/// or `None` when it reached none and the file's status stays: a task
/// still pending that was never attempted, or one imported as done
/// (completed without an attempt).
pub fn reached_status(record: &TaskRecord) -> Option<&'static str> {
    match record.state {
        TaskState::Pending | TaskState::Completed if record.attempts.is_empty() => None,
        state => Some(nexus_to_taskmaster(state)),
    }
}

/// Where `nexus export --to taskmaster` puts the file it edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Back into the file the plan remembers.
    InPlace,
    /// Into this file: a copy of the remembered file, or, when the plan
    /// remembers none, the Task Master file to update itself.
    File(PathBuf),
    /// On stdout.
    Stdout,
}

/// A Task Master file with the statuses of a plan written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteBack {
    /// The file whose text was edited.
    pub base: PathBuf,
    /// Where the text goes: `None` for stdout.
    pub destination: Option<PathBuf>,
    /// The edited text.
    pub text: String,
    /// The statuses written, by Task Master id (tasks nexus reached).
    pub statuses: BTreeMap<String, String>,
    /// The tag written into.
    pub tag: String,
}

/// Returns the Task Master file of `plan` with the statuses nexus reached
/// written in, and where it goes (see [`Output`]); nothing is written here.
/// A plan not imported from Task Master, a remembered path that is unsafe
/// now, or a file that no longer holds the plan's tasks is an error naming
/// the plan and the file.
pub fn write_back(store: &Store, plan: &Plan, output: Output) -> Result<WriteBack> {
    let Some(source) = plan
        .source
        .as_ref()
        .filter(|source| source.format == SourceFormat::Taskmaster)
    else {
        return Err(tagged_hint(
            Kind::Usage,
            format!("plan `{}` was not imported from Task Master", plan.id),
            "`nexus plan --from .taskmaster/tasks/tasks.json` imports one; `--to make`, `slurm` and `github-actions` export any plan",
        ));
    };
    let remembered = source
        .path
        .as_deref()
        .map(|relative| remembered_file(store, plan, relative))
        .transpose()?;
    let (base, destination) = match (remembered, output) {
        (Some(file), Output::InPlace) => (file.clone(), Some(file)),
        (Some(file), Output::File(path)) => (file, Some(path)),
        (Some(file), Output::Stdout) => (file, None),
        (None, Output::File(path)) => (path.clone(), Some(path)),
        (None, Output::InPlace | Output::Stdout) => {
            return Err(tagged_hint(
                Kind::Usage,
                format!(
                    "plan `{}` does not remember its Task Master file (it was outside the project, reached through a symlink, or read from stdin)",
                    plan.id
                ),
                "name the Task Master file to update with `-o FILE`",
            ));
        }
    };
    let text = fs::read_to_string(&base)?;
    let mut statuses = BTreeMap::new();
    for task in &plan.tasks {
        let record = store.load_task(&plan.id, &task.id)?;
        if let Some(status) = reached_status(&record) {
            statuses.insert(task.id.clone(), status.to_string());
        }
    }
    let text = write_statuses(&text, Some(&source.tag), &statuses).map_err(|error| {
        tagged_hint(
            Kind::PlanInvalid,
            format!(
                "cannot write the statuses of plan `{}` into `{}`: {error:#}",
                plan.id,
                base.display()
            ),
            "the file must still hold the plan's tasks in its tag; nothing was written",
        )
    })?;
    Ok(WriteBack {
        base,
        destination,
        text,
        statuses,
        tag: source.tag.clone(),
    })
}

/// Returns the remembered source file of `plan`, checked again as on
/// import: a relative path without `..`, inside the project, reached
/// without a symlink.
fn remembered_file(store: &Store, plan: &Plan, relative: &str) -> Result<PathBuf> {
    let path = Path::new(relative);
    let plain = !relative.is_empty()
        && path
            .components()
            .all(|component| matches!(component, std::path::Component::Normal(_)));
    let project = store.project_root();
    let checked = if plain {
        confine::project_file(&project, &project.join(path))
    } else {
        Err(format!(
            "`{relative}` is not a relative path inside the project"
        ))
    };
    match checked {
        Ok(relative) => Ok(project.join(relative)),
        Err(reason) => Err(tagged_hint(
            Kind::StateInvalid,
            format!(
                "plan file `{}`: field `source.path`: {reason}",
                store.plan_path(&plan.id).display()
            ),
            "nexus writes a Task Master file only inside the project and never through a symlink; name the file with `-o FILE`, or fix `source.path`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::task::Attempt;

    fn fixture() -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/taskmaster/cli/project.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-01-01T00:00:00Z").unwrap()
    }

    #[test]
    fn done_tasks_are_recorded_completed_with_where_they_were_done() {
        let dir = tempfile::tempdir().unwrap();
        let project = dir.path().canonicalize().unwrap();
        let path = project.join(".taskmaster/tasks/tasks.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let text = fixture();
        std::fs::write(&path, &text).unwrap();
        let file = SourceFile {
            shown: ".taskmaster/tasks/tasks.json",
            path: Some(&path),
            text: &text,
            tag: None,
        };
        let imported = import_plan(&project, &file, now(), "nexus plan").unwrap();
        assert_eq!(
            imported.source,
            PlanSource {
                format: SourceFormat::Taskmaster,
                path: Some(".taskmaster/tasks/tasks.json".to_string()),
                tag: "master".to_string(),
            }
        );
        let done: Vec<&str> = imported.records.keys().map(String::as_str).collect();
        assert_eq!(done, ["1", "9", "9.1", "9.2"]);
        let record = &imported.records["9.2"];
        assert_eq!(record.state, TaskState::Completed);
        assert_eq!(record.summary.as_deref(), Some(IMPORTED_DONE));
        assert_eq!(
            record.reason.as_deref(),
            Some(
                "imported as done from Task Master: task `9.2` belongs to task `9`, which is `done` in `.taskmaster/tasks/tasks.json` (tag `master`); nexus does not run it"
            )
        );
        assert_eq!(record.updated_at, Some(now()));
        assert!(imported.results["9.1"].contains("task `9.1` is `completed`"));
        assert!(
            imported.results["1"].contains("## Set up the workspace\n\nCreate the Cargo workspace")
        );
        assert_eq!(imported.tasks.len(), 12);
        assert!(imported.summary.contains("4 already done, 8 to run"));

        // Outside the project, the same file is imported but not remembered.
        let elsewhere = project.join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        let outside = import_plan(&elsewhere, &file, now(), "nexus plan").unwrap();
        assert_eq!(outside.source.path, None);
        assert!(
            outside
                .notes
                .last()
                .unwrap()
                .contains("is outside the project"),
            "{:?}",
            outside.notes
        );
        assert_eq!(outside.tasks, imported.tasks);
    }

    #[test]
    fn a_status_goes_back_only_for_tasks_nexus_reached() {
        let record = |state: TaskState, attempted: bool| {
            let mut record = TaskRecord::pending("t");
            record.state = state;
            if attempted {
                record.attempts.push(Attempt::started(1, "code", now()));
            }
            record
        };
        assert_eq!(reached_status(&record(TaskState::Pending, false)), None);
        assert_eq!(reached_status(&record(TaskState::Completed, false)), None);
        for (state, status) in [
            (TaskState::Completed, "done"),
            (TaskState::Running, "in-progress"),
            (TaskState::Failed, "blocked"),
            (TaskState::Interrupted, "pending"),
        ] {
            assert_eq!(reached_status(&record(state, true)), Some(status));
        }
        // Blocked or skipped without an attempt is still something nexus
        // decided.
        assert_eq!(
            reached_status(&record(TaskState::Blocked, false)),
            Some("blocked")
        );
        assert_eq!(
            reached_status(&record(TaskState::Skipped, false)),
            Some("deferred")
        );
    }
}
