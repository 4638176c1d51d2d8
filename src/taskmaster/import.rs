//! Reading one tag of a Task Master file into nexus tasks: ids, the
//! parent/subtask rule, dependencies in every form, statuses, text and
//! types, with every problem of the tag collected (see the module docs of
//! [`crate::taskmaster`] for the rules).

use anyhow::Result;

use super::graph;
use super::json;
use super::locate::locate;
use super::read::Reader;
use crate::exit::{Kind, tagged};
use crate::plan::create as planner;
use crate::plan::validate;
use crate::state::plan::TaskSpec;

/// The tag an old-layout file (`{"tasks": [...]}`) is read as, and the tag
/// used when none is asked for.
pub const DEFAULT_TAG: &str = "master";

/// Which of the two layouts a Task Master file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `{"master": {"tasks": [...], "metadata": {...}}, "<tag>": {...}}`.
    Tagged,
    /// The older `{"tasks": [...]}`, read as tag `master`.
    Legacy,
}

/// One tag of a Task Master file, ready to become a nexus plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The tag that was read.
    pub tag: String,
    /// The file's layout.
    pub layout: Layout,
    /// The tasks to import, in plan order: each parent's subtasks, then the
    /// parent (its check task, when it has subtasks).
    pub tasks: Vec<ImportedTask>,
    /// Tasks and subtasks left out because they (or their parent) are
    /// `cancelled` or `deferred`, in file order.
    pub skipped: Vec<Origin>,
    /// Things read in a way worth telling the user (a dependency read as a
    /// top-level task, a skipped dependency passed through, an unknown
    /// status …). Each is a lowercase fragment naming Task Master ids.
    pub warnings: Vec<String>,
}

impl Imported {
    /// Returns the nexus task specs, in plan order.
    pub fn specs(&self) -> Vec<TaskSpec> {
        self.tasks.iter().map(|task| task.spec.clone()).collect()
    }
}

impl From<Imported> for Vec<TaskSpec> {
    fn from(imported: Imported) -> Self {
        imported.tasks.into_iter().map(|task| task.spec).collect()
    }
}

/// One imported task: its nexus spec and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedTask {
    /// The nexus task (`agent` is `None`); its id is [`Origin::id`].
    pub spec: TaskSpec,
    /// The Task Master task or subtask it was made from.
    pub origin: Origin,
    /// What the task is in the parent/subtask rule.
    pub role: Role,
    /// Whether it is already done or still to run.
    pub status: ImportStatus,
}

/// Where an imported task came from in the Task Master file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The top-level task's id, as text (`3`, or a string id as written).
    pub task_id: String,
    /// The subtask's own id within its parent (`2` of `3.2`).
    pub subtask_id: Option<String>,
    /// The `status` value as written, `None` when the key is missing.
    pub status: Option<String>,
}

impl Origin {
    /// Returns the full Task Master id (`3` or `3.2`): the nexus task id and
    /// the key [`super::write_statuses`] takes.
    pub fn id(&self) -> String {
        match &self.subtask_id {
            Some(subtask) => format!("{}.{subtask}", self.task_id),
            None => self.task_id.clone(),
        }
    }
}

/// What an imported task is in the parent/subtask rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A top-level task without (remaining) subtasks: the work itself.
    Task,
    /// A subtask: the work itself.
    Subtask,
    /// A top-level task whose subtasks are the work: it checks them
    /// (type `validation`, depends on all of them).
    ParentCheck,
}

/// The state an imported task starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStatus {
    /// `done` (or `completed`) in the file, or a subtask of a done parent:
    /// mark it completed and never run it.
    Done,
    /// Anything else that is imported: to be run.
    Pending,
}

/// Returns the tasks of `tag` (default `master`) of the Task Master file
/// `text`; `path` only names the file in messages. Every problem in the
/// tag is reported at once, as one error tagged [`Kind::PlanInvalid`].
pub fn import(path: &str, text: &str, tag: Option<&str>) -> Result<Imported> {
    let invalid_json = |error: String| {
        tagged(
            Kind::PlanInvalid,
            format!("Task Master file `{path}` is not valid JSON: {error}"),
        )
    };
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str::<serde::de::IgnoredAny>(body)
        .map_err(|error| invalid_json(error.to_string()))?;
    let root = json::parse(text).map_err(invalid_json)?;
    let located = locate(&root, tag).map_err(|message| {
        tagged(
            Kind::PlanInvalid,
            format!("Task Master file `{path}`: {message}"),
        )
    })?;
    let mut reader = Reader {
        tag: located.tag.clone(),
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let items = match located.tasks.elements() {
        Some(elements) => elements
            .iter()
            .enumerate()
            .filter_map(|(index, node)| reader.item(node, index + 1, None))
            .collect(),
        None => {
            reader.problems.push(format!(
                "tag `{}`: field `tasks` must be an array, found {}",
                located.tag,
                located.tasks.kind()
            ));
            Vec::new()
        }
    };
    let imported = graph::build(path, &located, &items, &mut reader);
    if reader.problems.is_empty() {
        // Texts were cut to size above; this catches what cannot be (a
        // parent with more subtasks than a task may depend on).
        reader
            .problems
            .extend(validate::check_tasks(&imported.specs(), &[]));
    }
    if reader.problems.is_empty() {
        Ok(imported)
    } else {
        Err(planner::invalid(
            &format!("Task Master file `{path}` (tag `{}`)", located.tag),
            &reader.problems,
            None,
        ))
    }
}
