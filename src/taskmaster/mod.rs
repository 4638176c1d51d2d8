//! The Task Master file format (`.taskmaster/tasks/tasks.json`, or the
//! older `tasks/tasks.json`, of claude-task-master): recognising a file,
//! importing one tag as nexus tasks, and writing the statuses nexus reached
//! back into the original text. No CLI code: `plan` and `export` call this.
//!
//! # The format as read
//!
//! A file is either tagged, `{"master": {"tasks": [...], "metadata": {...}},
//! "<tag>": {...}}`, or the older `{"tasks": [...]}`, read as tag `master`.
//! A task has `id`, `title`, `description`, `details`, `testStrategy`,
//! `priority`, `dependencies`, `status` and `subtasks`; a subtask the same
//! but no `subtasks`. Unknown fields are ignored. Only the chosen tag is
//! checked: other tags may be in any state (the claude-task-master
//! repository's own file has a dangling dependency in tag `test-tag`).
//!
//! **Ids.** A task id is a whole number or a string (newer Task Master
//! writes `"3"`; third-party tools write `"rust-sync-engine"`); a string of
//! digits is read as the number (`"03"` is `3`, as Task Master's `parseInt`
//! reads it). A subtask id is unique within its parent and is also written
//! in full sometimes (`"7.1"` under task 7); it is read without the prefix.
//! The nexus id is the Task Master id, `3` or `3.2`, so it must pass
//! [`crate::ids::is_safe_id`] and a task's own id must hold no `.`.
//!
//! **Dependencies.** A task's dependency `7`, `"7"` is task 7 and `"3.2"`
//! subtask 2 of task 3. In a subtask's dependencies `"3.2"` is the same,
//! but a plain `2` or `"2"` names a *sibling* subtask: Task Master's
//! scheduler (`find-next-task.js`: `toFullSubId`) and its cycle check
//! (`isCircularDependency`) both read it so, and real files mix the two
//! forms (the claude-task-master repository's own file: 309 numbers, 54
//! dotted strings, and `"1"`, `"2"` in one subtask). When no sibling has
//! that id but a top-level task does, the dependency is read as that task,
//! with a warning: Task Master's `validate-dependencies` reads a number
//! that way, and files written by agents mean it (`oraclepack`, tag
//! `chore-overview`: subtasks 8.1 and 8.2 depend on `7`, a top-level task;
//! task 8 has subtasks 1–3 only). Task Master itself has no way to write a
//! subtask's dependency on a top-level task otherwise.
//!
//! # The parent/subtask rule
//!
//! The subtasks are the work. A task with subtasks becomes a final check
//! task (type `validation`, title `Check: <title>`) that depends on all its
//! subtasks and checks that together they meet the parent's description,
//! details and test strategy. Its subtasks inherit the parent's own
//! dependencies, so they wait for the work the parent waited for; anything
//! that depended on the parent waits for the check, so for all its work.
//! A task's dependency on one of its own subtasks, or a subtask's on its own
//! parent, says nothing more under this rule and is dropped with a warning.
//! Cycles are looked for in the graph this rule makes, so "subtask 3.1
//! waits for task 5, which waits for task 3" is reported as the cycle
//! `3 → 3.1 → 5 → 3` it becomes.
//!
//! # Statuses
//!
//! On import `done` (and `completed`, which Task Master's `next` treats as
//! done) stays done: [`ImportStatus::Done`], to be recorded completed and
//! never run. `cancelled` and `deferred` tasks are left out
//! ([`Imported::skipped`]); a dependency on one is replaced by what that
//! task waited for, with a warning. Everything else (`pending`,
//! `in-progress`, `review`, `blocked`, a missing or unknown status) is
//! pending. A parent's status covers its subtasks: subtasks of a done
//! parent are done (Task Master's `set-status done` marks them so, and
//! agents often skip that: `oraclepack` has 24 done parents with pending
//! subtasks), and subtasks of a cancelled or deferred parent are left out
//! (Task Master's `next` never offers them). A parent whose subtasks are
//! all left out is imported as a plain task. [`Origin::status`] keeps the
//! status as written.
//!
//! On export [`nexus_to_taskmaster`] maps each task's nexus state and
//! [`write_statuses`] changes only the `status` values (a parent check's is
//! its own state). [`write_back`] writes only the statuses nexus reached
//! ([`reached_status`]): a task still pending and never attempted, or one
//! imported as done, keeps the status written in the file.
//!
//! # The plan
//!
//! [`import_plan`] turns a tag into what `nexus plan --from` saves: the
//! tasks, the records of the done ones (completed, [`IMPORTED_DONE`]), and
//! the source the plan remembers (a project-relative path, only for a file
//! inside the project reached without a symlink); [`write_back`] reads that
//! source, or the file `-o` names, for `nexus export --to taskmaster`.
//!
//! # Text
//!
//! The nexus title is the task's title (`Check: <title>` for a check); the
//! description is the task's description, then `## Details` (with
//! `<info added on …>` notes shown as `**Note added on …:**`), and for a
//! subtask `## Part of task <id>: <parent title>` with the parent's
//! description. The test strategy, and the older `acceptanceCriteria`
//! field, become the acceptance items (a bulleted or numbered list gives
//! one item per entry). Priority is the task's own, else its parent's, else
//! medium (as Task Master's `next` does); `critical` is kept. Texts longer
//! than nexus allows are cut (the details first) with a note naming the
//! task in the file, where the agent can read the rest; control characters
//! other than line breaks and tabs are dropped (nexus refuses them in plan
//! text). The task type is inferred from the title by fixed keyword rules
//! ([`infer_type`]).
//!
//! # Problems
//!
//! [`import`] reports every problem of the tag at once, naming the file and
//! the Task Master ids (`task `3.2` depends on `7`, which does not exist`):
//! invalid JSON, an unknown tag (listing the tags), a field of the wrong
//! type, a missing or invalid id, duplicate ids, a dependency that does not
//! exist, a cycle; the error is tagged [`crate::exit::Kind::PlanInvalid`].
//! The tasks are then put through nexus's own plan checks
//! ([`crate::plan::validate::check_tasks`]), so what `import` returns is
//! a valid plan; the one limit that cannot be met by cutting text is a
//! parent with more subtasks than a task may depend on (50).

mod graph;
mod import;
mod infer;
mod json;
mod locate;
mod project;
mod read;
mod text;
mod write;

pub use import::{DEFAULT_TAG, ImportStatus, Imported, ImportedTask, Layout, Origin, Role, import};
pub use infer::infer_type;
pub use locate::detect;
pub use project::{
    IMPORTED_DONE, Output, PlanImport, SourceFile, WriteBack, import_plan, reached_status,
    write_back,
};
pub use write::{STATUSES, nexus_to_taskmaster, write_statuses};

#[cfg(test)]
mod tests;
