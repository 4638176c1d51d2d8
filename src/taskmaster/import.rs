//! Reading one tag of a Task Master file into nexus tasks: ids, the
//! parent/subtask rule, dependencies in every form, statuses, text and
//! types, with every problem of the tag collected (see the module docs of
//! [`crate::taskmaster`] for the rules).

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use anyhow::Result;

use super::infer::infer_type;
use super::json::{self, Node, Value};
use crate::exit::{Kind, tagged};
use crate::ids;
use crate::plan::create as planner;
use crate::plan::validate::{self, MAX_DESCRIPTION, MAX_LIST, MAX_SHORT_TEXT, MAX_TITLE};
use crate::state::plan::{Priority, TaskSpec, TaskType};

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
    let imported = build(path, &located, items, &mut reader);
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

/// Returns whether `text` is a Task Master file of either layout: an old
/// `{"tasks": [...]}` whose tasks carry Task Master fields (and not nexus
/// plan fields), or an object of tags holding `tasks` arrays.
pub fn detect(text: &str) -> bool {
    let Ok(root) = json::parse(text) else {
        return false;
    };
    let Some(members) = root.members() else {
        return false;
    };
    if let Some(tasks) = root.get("tasks") {
        let Some(tasks) = tasks.elements() else {
            return false;
        };
        const TASK_MASTER_FIELDS: &[&str] = &[
            "dependencies",
            "status",
            "subtasks",
            "details",
            "testStrategy",
        ];
        let has = |fields: &[&str]| {
            tasks
                .iter()
                .any(|task| fields.iter().any(|field| task.get(field).is_some()))
        };
        return has(TASK_MASTER_FIELDS) && !has(&["depends_on"]);
    }
    !members.is_empty() && members.iter().any(|member| is_tag(&member.value))
}

/// A tag's value: an object with a `tasks` array.
fn is_tag(node: &Node) -> bool {
    node.get("tasks")
        .is_some_and(|tasks| tasks.elements().is_some())
}

/// Returns the value of `field`, unless it is missing or null.
fn present<'a>(node: &'a Node, field: &str) -> Option<&'a Node> {
    node.get(field)
        .filter(|found| !matches!(found.value, Value::Null))
}

/// The chosen tag of a parsed file.
pub(crate) struct Located<'a> {
    pub layout: Layout,
    pub tag: String,
    /// The tag's `tasks` value (not yet checked to be an array).
    pub tasks: &'a Node,
}

/// Finds `tag` (default `master`) in a parsed Task Master file.
pub(crate) fn locate<'a>(root: &'a Node, tag: Option<&str>) -> Result<Located<'a>, String> {
    let wanted = tag.unwrap_or(DEFAULT_TAG);
    let Some(members) = root.members() else {
        return Err(format!(
            "not a Task Master file: the document is {}, not an object",
            root.kind()
        ));
    };
    if let Some(tasks) = root.get("tasks") {
        if wanted != DEFAULT_TAG {
            return Err(format!(
                "there is no tag `{wanted}`: the file has the old layout, whose only tag is `{DEFAULT_TAG}`"
            ));
        }
        return Ok(Located {
            layout: Layout::Legacy,
            tag: DEFAULT_TAG.to_string(),
            tasks,
        });
    }
    let tags: Vec<&str> = members
        .iter()
        .filter(|member| member.value.get("tasks").is_some())
        .map(|member| member.key.as_str())
        .collect();
    if tags.is_empty() {
        return Err(
            "not a Task Master file: it has no `tasks` array and no tag object holding one"
                .to_string(),
        );
    }
    match root.get(wanted).and_then(|value| value.get("tasks")) {
        Some(tasks) => Ok(Located {
            layout: Layout::Tagged,
            tag: wanted.to_string(),
            tasks,
        }),
        None => Err(format!(
            "there is no tag `{wanted}` (tags: {})",
            tags.iter()
                .map(|tag| format!("`{tag}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Returns the canonical text of a numeric id (`3`), or `None` when the
/// number is not a whole number ≥ 0.
pub(crate) fn number_id(raw: &str) -> Option<String> {
    raw.parse::<u64>().ok().map(|number| number.to_string())
}

/// Returns the canonical text of a string id: trimmed, and a run of digits
/// read as a number (`"03"` is `3`, as Task Master's `parseInt` reads it).
pub(crate) fn string_id(text: &str) -> String {
    let text = text.trim();
    if !text.is_empty()
        && text.bytes().all(|byte| byte.is_ascii_digit())
        && let Ok(number) = text.parse::<u64>()
    {
        return number.to_string();
    }
    text.to_string()
}

/// Returns the canonical own id of a task (`parent` `None`) or of a
/// subtask of `parent`, from its `id` value; `Err` says what is wrong.
pub(crate) fn own_id(node: &Node, parent: Option<&str>) -> Result<String, String> {
    let id = match &node.value {
        Value::Number(raw) => number_id(raw)
            .ok_or_else(|| format!("field `id` must be a whole number, found `{raw}`"))?,
        Value::String(text) => {
            let text = text.trim();
            // Subtask ids are sometimes written in full (`"7.1"` under task 7).
            let text = parent
                .and_then(|parent| text.strip_prefix(parent))
                .and_then(|rest| rest.strip_prefix('.'))
                .unwrap_or(text);
            string_id(text)
        }
        _ => {
            return Err(format!(
                "field `id` must be a number or a string, found {}",
                node.kind()
            ));
        }
    };
    let full = match parent {
        Some(parent) => format!("{parent}.{id}"),
        None => id.clone(),
    };
    if id.is_empty() || id.contains('.') || !ids::is_safe_id(&full) {
        return Err(format!(
            "id `{id}` cannot be a nexus task id: use 1-64 ASCII letters, digits, `_` or `-`, not starting with `-` (a `.` only separates a subtask's id from its parent's)"
        ));
    }
    Ok(id)
}

/// A dependency as written, ids canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reference {
    /// `7` or `"7"`: a task, or in a subtask a sibling subtask.
    Plain(String),
    /// `"3.2"`: subtask 2 of task 3.
    Dotted(String, String),
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Plain(id) => write!(f, "{id}"),
            Reference::Dotted(task, subtask) => write!(f, "{task}.{subtask}"),
        }
    }
}

/// One task or subtask as read, before the graph is built.
#[derive(Debug)]
struct Item {
    /// 1-based position in its array.
    position: usize,
    /// The canonical own id, when it is valid.
    id: Option<String>,
    title: String,
    description: String,
    details: String,
    test_strategy: String,
    /// `acceptanceCriteria` (older Task Master), as items.
    criteria: Vec<String>,
    priority: Option<Priority>,
    status: Option<String>,
    dependencies: Vec<Reference>,
    subtasks: Vec<Item>,
}

struct Reader {
    tag: String,
    problems: Vec<String>,
    warnings: Vec<String>,
}

impl Reader {
    /// Reads one task (`parent` `None`) or subtask of `parent` (its id, when
    /// valid, and its label).
    fn item(
        &mut self,
        node: &Node,
        position: usize,
        parent: Option<(&Option<String>, &str)>,
    ) -> Option<Item> {
        let position_label = match parent {
            None => format!("task #{position} of tag `{}`", self.tag),
            Some((_, parent_label)) => format!("subtask #{position} of {parent_label}"),
        };
        if node.members().is_none() {
            self.problems.push(format!(
                "{position_label} must be an object, found {}",
                node.kind()
            ));
            return None;
        }
        let parent_id = parent.map(|(id, _)| id.as_deref());
        let id = match (node.get("id"), parent_id) {
            (None, _) => {
                self.problems
                    .push(format!("{position_label}: field `id` is missing"));
                None
            }
            // A subtask of a parent without a valid id cannot be named.
            (Some(_), Some(None)) => None,
            (Some(id), parent_id) => match own_id(id, parent_id.flatten()) {
                Ok(id) => Some(id),
                Err(problem) => {
                    self.problems.push(format!("{position_label}: {problem}"));
                    None
                }
            },
        };
        let label = match (&id, parent_id) {
            (Some(id), None) => format!("task `{id}`"),
            (Some(id), Some(Some(parent))) => format!("task `{parent}.{id}`"),
            _ => position_label,
        };
        let title = match self.string(node, "title", &label) {
            Some(title) if !title.trim().is_empty() => clean(&title),
            Some(_) => {
                self.problems
                    .push(format!("{label}: field `title` is empty"));
                String::new()
            }
            None => {
                if present(node, "title").is_none() {
                    self.problems
                        .push(format!("{label}: field `title` is missing"));
                }
                String::new()
            }
        };
        let description = self.text(node, "description", &label);
        let details = rewrite_notes(&self.text(node, "details", &label))
            .trim()
            .to_string();
        let test_strategy = self.text(node, "testStrategy", &label);
        let criteria = match present(node, "acceptanceCriteria").map(|found| (found, &found.value))
        {
            None => Vec::new(),
            Some((_, Value::String(text))) => split_items(&clean(text)),
            Some((_, Value::Array(items))) if items.iter().all(|item| item.as_str().is_some()) => {
                items
                    .iter()
                    .filter_map(Node::as_str)
                    .map(|item| clean(item).trim().to_string())
                    .filter(|item| !item.is_empty())
                    .collect()
            }
            Some((found, _)) => {
                self.warnings.push(format!(
                    "{label}: field `acceptanceCriteria` is {}, not text or a list of text: ignored",
                    found.kind()
                ));
                Vec::new()
            }
        };
        let priority = self.string(node, "priority", &label).and_then(|text| {
            match text.trim().to_ascii_lowercase().as_str() {
                "critical" => Some(Priority::Critical),
                "high" => Some(Priority::High),
                "medium" => Some(Priority::Medium),
                "low" => Some(Priority::Low),
                _ => {
                    self.problems.push(format!(
                        "{label}: unknown priority `{text}` (Task Master has `high`, `medium`, `low` and `critical`)"
                    ));
                    None
                }
            }
        });
        let status = self.string(node, "status", &label);
        let dependencies = self.dependencies(node, &label);
        let subtasks = match self.array(node, "subtasks", &label) {
            None => Vec::new(),
            Some(elements) if parent.is_none() => elements
                .iter()
                .enumerate()
                .filter_map(|(index, element)| self.item(element, index + 1, Some((&id, &label))))
                .collect(),
            Some(elements) => {
                if !elements.is_empty() {
                    self.problems.push(format!(
                        "{label} has subtasks of its own; Task Master nests subtasks one level deep only"
                    ));
                }
                Vec::new()
            }
        };
        Some(Item {
            position,
            id,
            title,
            description,
            details,
            test_strategy,
            criteria,
            priority,
            status,
            dependencies,
            subtasks,
        })
    }

    /// Reads an optional string field: `None` when missing, null or of
    /// another type (then reported).
    fn string(&mut self, node: &Node, field: &str, label: &str) -> Option<String> {
        let found = present(node, field)?;
        match &found.value {
            Value::String(text) => Some(text.clone()),
            _ => {
                self.problems.push(format!(
                    "{label}: field `{field}` must be a string, found {}",
                    found.kind()
                ));
                None
            }
        }
    }

    /// Reads an optional text field, cleaned and trimmed (missing or null is
    /// empty).
    fn text(&mut self, node: &Node, field: &str, label: &str) -> String {
        self.string(node, field, label)
            .map(|text| clean(&text).trim().to_string())
            .unwrap_or_default()
    }

    /// Reads an optional array field: `None` when missing, null or of
    /// another type (then reported).
    fn array<'a>(&mut self, node: &'a Node, field: &str, label: &str) -> Option<&'a [Node]> {
        let found = present(node, field)?;
        let elements = found.elements();
        if elements.is_none() {
            self.problems.push(format!(
                "{label}: field `{field}` must be an array, found {}",
                found.kind()
            ));
        }
        elements
    }

    fn dependencies(&mut self, node: &Node, label: &str) -> Vec<Reference> {
        let Some(elements) = self.array(node, "dependencies", label) else {
            return Vec::new();
        };
        let mut references = Vec::new();
        for (index, element) in elements.iter().enumerate() {
            let reference = match &element.value {
                Value::Number(raw) => number_id(raw).map(Reference::Plain),
                Value::String(text) => match text.trim().split_once('.') {
                    Some((task, subtask)) => {
                        let (task, subtask) = (string_id(task), string_id(subtask));
                        (!task.is_empty() && !subtask.is_empty() && !subtask.contains('.'))
                            .then_some(Reference::Dotted(task, subtask))
                    }
                    None => {
                        let id = string_id(text);
                        (!id.is_empty()).then_some(Reference::Plain(id))
                    }
                },
                _ => None,
            };
            match reference {
                Some(reference) => references.push(reference),
                None => {
                    let shown = match &element.value {
                        Value::Number(raw) => format!("`{raw}`"),
                        Value::String(text) => format!("`{text:?}`"),
                        _ => element.kind().to_string(),
                    };
                    self.problems.push(format!(
                        "{label}: dependency #{} must be a task id (`7`, `\"7\"` or `\"3.2\"`), found {shown}",
                        index + 1
                    ));
                }
            }
        }
        references
    }
}

/// What happens to a task on import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Done,
    Pending,
    Skip,
}

/// One task or subtask in the dependency graph.
struct GraphNode<'a> {
    item: &'a Item,
    /// Its parent's node, for a subtask.
    parent: Option<usize>,
    /// Its subtasks' nodes, for a task.
    children: Vec<usize>,
    /// The full Task Master id (`3`, `3.2`).
    id: String,
    task_id: String,
    subtask_id: Option<String>,
    /// Its own dependencies, resolved to nodes, in file order.
    dependencies: Vec<usize>,
    decision: Decision,
}

fn build(path: &str, located: &Located<'_>, items: Vec<Item>, reader: &mut Reader) -> Imported {
    let tag = &located.tag;
    // Nodes for every task and subtask whose id is known; duplicates are
    // reported and left out.
    let mut nodes: Vec<GraphNode<'_>> = Vec::new();
    let mut tasks: HashMap<String, usize> = HashMap::new();
    let mut subtasks: HashMap<(String, String), usize> = HashMap::new();
    let mut seen: HashMap<String, Vec<usize>> = HashMap::new();
    for item in &items {
        if let Some(id) = &item.id {
            seen.entry(id.clone()).or_default().push(item.position);
        }
    }
    let mut reported = BTreeSet::new();
    for item in &items {
        let Some(task_id) = &item.id else { continue };
        if let Some(positions) = seen.get(task_id).filter(|positions| positions.len() > 1) {
            if reported.insert(task_id.clone()) {
                reader.problems.push(format!(
                    "duplicate task id `{task_id}` (tasks {} of tag `{tag}`)",
                    positions
                        .iter()
                        .map(|position| format!("#{position}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if tasks.contains_key(task_id) {
                continue;
            }
        }
        let parent_node = nodes.len();
        tasks.insert(task_id.clone(), parent_node);
        nodes.push(GraphNode {
            item,
            parent: None,
            children: Vec::new(),
            id: task_id.clone(),
            task_id: task_id.clone(),
            subtask_id: None,
            dependencies: Vec::new(),
            decision: Decision::Pending,
        });
        let mut sub_seen: HashMap<&str, Vec<usize>> = HashMap::new();
        for subtask in &item.subtasks {
            if let Some(id) = &subtask.id {
                sub_seen.entry(id).or_default().push(subtask.position);
            }
        }
        let mut sub_reported = BTreeSet::new();
        for subtask in &item.subtasks {
            let Some(subtask_id) = &subtask.id else {
                continue;
            };
            let key = (task_id.clone(), subtask_id.clone());
            if let Some(positions) = sub_seen
                .get(subtask_id.as_str())
                .filter(|positions| positions.len() > 1)
            {
                if sub_reported.insert(subtask_id.clone()) {
                    reader.problems.push(format!(
                        "task `{task_id}` has duplicate subtask id `{subtask_id}` (subtasks {})",
                        positions
                            .iter()
                            .map(|position| format!("#{position}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if subtasks.contains_key(&key) {
                    continue;
                }
            }
            let node = nodes.len();
            subtasks.insert(key, node);
            nodes[parent_node].children.push(node);
            nodes.push(GraphNode {
                item: subtask,
                parent: Some(parent_node),
                children: Vec::new(),
                id: format!("{task_id}.{subtask_id}"),
                task_id: task_id.clone(),
                subtask_id: Some(subtask_id.clone()),
                dependencies: Vec::new(),
                decision: Decision::Pending,
            });
        }
    }

    // Dependencies, resolved to nodes.
    for index in 0..nodes.len() {
        let mut resolved = Vec::new();
        let node = &nodes[index];
        for reference in &node.item.dependencies {
            let target = match reference {
                Reference::Dotted(task, subtask) => {
                    subtasks.get(&(task.clone(), subtask.clone())).copied()
                }
                Reference::Plain(id) => match node.parent {
                    None => tasks.get(id).copied(),
                    // In a subtask a plain id names a sibling (Task Master's
                    // `next` and cycle check read it so); failing that, a
                    // top-level task (as its `validate-dependencies` does).
                    Some(parent) => {
                        let sibling = subtasks.get(&(node.task_id.clone(), id.clone())).copied();
                        match (sibling, tasks.get(id).copied()) {
                            (Some(sibling), _) => Some(sibling),
                            (None, Some(task)) if task == parent => {
                                reader.warnings.push(format!(
                                    "task `{}` depends on its own parent `{id}`: dropped, since a subtask already waits for what its parent waits for",
                                    node.id
                                ));
                                continue;
                            }
                            (None, Some(task)) => {
                                reader.warnings.push(format!(
                                    "task `{}` depends on `{id}`: there is no subtask `{}.{id}`, so it is read as task `{id}`",
                                    node.id, node.task_id
                                ));
                                Some(task)
                            }
                            (None, None) => None,
                        }
                    }
                },
            };
            match target {
                Some(target) if node.parent.is_none() && nodes[target].parent == Some(index) => {
                    reader.warnings.push(format!(
                        "task `{}` depends on its own subtask `{}`: dropped, since a task waits for all its subtasks anyway",
                        node.id, nodes[target].id
                    ));
                }
                Some(target) => {
                    if !resolved.contains(&target) {
                        resolved.push(target);
                    }
                }
                None => {
                    let hint = match (reference, node.parent) {
                        (Reference::Plain(id), Some(_)) => format!(
                            " (a plain id in a subtask's dependencies names a sibling subtask, else a task: there is no subtask `{}.{id}` and no task `{id}`)",
                            node.task_id
                        ),
                        _ => String::new(),
                    };
                    reader.problems.push(format!(
                        "task `{}` depends on `{reference}`, which does not exist{hint}",
                        node.id
                    ));
                }
            }
        }
        nodes[index].dependencies = resolved;
    }

    // Cycles, over the graph the import produces: a parent waits for its
    // subtasks and a subtask for what its parent waits for.
    let full_edges: Vec<Vec<usize>> = (0..nodes.len())
        .map(|index| full_edges(&nodes, index))
        .collect();
    for cycle in crate::plan::graph::find_cycles(&full_edges) {
        let names: Vec<&str> = cycle.iter().map(|node| nodes[*node].id.as_str()).collect();
        let through_parent = cycle
            .iter()
            .zip(cycle.iter().cycle().skip(1))
            .any(|(from, to)| nodes[*to].parent == Some(*from));
        reader.problems.push(format!(
            "dependency cycle: {}{}",
            crate::plan::graph::name_cycle(&names),
            if through_parent {
                " (a task with subtasks waits for all of them)"
            } else {
                ""
            }
        ));
    }

    // Statuses.
    for node in &mut nodes {
        let (decision, unknown) = decide(node.item.status.as_deref());
        if let Some(status) = unknown {
            reader.warnings.push(format!(
                "task `{}` has unknown status `{status}`: imported as pending",
                node.id
            ));
        }
        node.decision = decision;
    }
    for index in 0..nodes.len() {
        let parent_decision = nodes[index].decision;
        if nodes[index].parent.is_some() || parent_decision == Decision::Pending {
            continue;
        }
        let changed: Vec<usize> = nodes[index]
            .children
            .iter()
            .copied()
            .filter(|child| {
                nodes[*child].decision != parent_decision
                    && nodes[*child].decision != Decision::Skip
            })
            .collect();
        if changed.is_empty() {
            continue;
        }
        let names = id_list(&nodes, &changed);
        let status = nodes[index].item.status.as_deref().unwrap_or_default();
        reader.warnings.push(match parent_decision {
            Decision::Done => format!(
                "task `{}` is `{status}`, so its subtasks {names} count as done too (Task Master marks subtasks done with their parent)",
                nodes[index].id
            ),
            _ => format!(
                "task `{}` is `{status}`, so its subtasks {names} are skipped too",
                nodes[index].id
            ),
        });
        for child in changed {
            nodes[child].decision = parent_decision;
        }
    }

    // The tasks, in plan order.
    let mut imported = Imported {
        tag: tag.clone(),
        layout: located.layout,
        tasks: Vec::new(),
        skipped: Vec::new(),
        warnings: Vec::new(),
    };
    let mut passed: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut order: Vec<usize> = Vec::new();
    for (index, node) in nodes.iter().enumerate() {
        if node.parent.is_none() {
            order.extend(node.children.iter().copied());
            order.push(index);
        }
    }
    let broken = !reader.problems.is_empty();
    for index in order {
        let node = &nodes[index];
        let origin = Origin {
            task_id: node.task_id.clone(),
            subtask_id: node.subtask_id.clone(),
            status: node.item.status.clone(),
        };
        if node.decision == Decision::Skip {
            imported.skipped.push(origin);
            continue;
        }
        let active_children: Vec<usize> = node
            .children
            .iter()
            .copied()
            .filter(|child| nodes[*child].decision != Decision::Skip)
            .collect();
        let role = match (node.parent, active_children.is_empty()) {
            (Some(_), _) => Role::Subtask,
            (None, true) => Role::Task,
            (None, false) => Role::ParentCheck,
        };
        // With problems (a cycle above all) the graph is not walked.
        let depends_on = if broken {
            Vec::new()
        } else {
            let direct: Vec<usize> = match role {
                Role::ParentCheck => active_children.clone(),
                Role::Task => node.dependencies.clone(),
                Role::Subtask => {
                    let mut direct = node.dependencies.clone();
                    if let Some(parent) = node.parent {
                        direct.extend(nodes[parent].dependencies.iter().copied());
                    }
                    direct
                }
            };
            let mut targets = Vec::new();
            for target in direct {
                if nodes[target].decision == Decision::Skip {
                    let through = pass_through(&nodes, target, &mut passed);
                    reader.warnings.push(format!(
                        "task `{}` depends on `{}`, which is skipped: it waits instead for what `{}` waited for ({})",
                        node.id,
                        nodes[target].id,
                        nodes[target].id,
                        if through.is_empty() {
                            "nothing".to_string()
                        } else {
                            id_list(&nodes, &through)
                        }
                    ));
                    targets.extend(through);
                } else {
                    targets.push(target);
                }
            }
            let mut depends_on: Vec<String> = Vec::new();
            for target in targets {
                let id = &nodes[target].id;
                if target != index && !depends_on.contains(id) {
                    depends_on.push(id.clone());
                }
            }
            depends_on
        };
        let spec = spec(path, tag, &nodes, index, role, &active_children, depends_on);
        imported.tasks.push(ImportedTask {
            spec,
            origin,
            role,
            status: if node.decision == Decision::Done {
                ImportStatus::Done
            } else {
                ImportStatus::Pending
            },
        });
    }
    imported.warnings = std::mem::take(&mut reader.warnings);
    imported
}

/// The edges of a node in the graph the import produces, skipped nodes
/// included: a parent waits for its own dependencies and all its subtasks,
/// a subtask for its own and its parent's dependencies.
fn full_edges(nodes: &[GraphNode<'_>], index: usize) -> Vec<usize> {
    let node = &nodes[index];
    let mut edges = node.dependencies.clone();
    match node.parent {
        Some(parent) => edges.extend(nodes[parent].dependencies.iter().copied()),
        None => edges.extend(node.children.iter().copied()),
    }
    edges
}

/// Returns the imported nodes a dependency on the skipped node `index`
/// stands for: what it waited for, itself passed through when skipped.
/// The graph has no cycle here (checked first).
fn pass_through(
    nodes: &[GraphNode<'_>],
    index: usize,
    memo: &mut HashMap<usize, Vec<usize>>,
) -> Vec<usize> {
    if let Some(done) = memo.get(&index) {
        return done.clone();
    }
    let mut out = Vec::new();
    for target in full_edges(nodes, index) {
        let found = if nodes[target].decision == Decision::Skip {
            pass_through(nodes, target, memo)
        } else {
            vec![target]
        };
        for target in found {
            if !out.contains(&target) {
                out.push(target);
            }
        }
    }
    memo.insert(index, out.clone());
    out
}

/// Returns what a status means on import, and the status when it is not
/// one Task Master knows.
fn decide(status: Option<&str>) -> (Decision, Option<&str>) {
    let Some(status) = status else {
        return (Decision::Pending, None);
    };
    match status.trim().to_ascii_lowercase().as_str() {
        "done" | "completed" => (Decision::Done, None),
        "cancelled" | "canceled" | "deferred" => (Decision::Skip, None),
        "pending" | "in-progress" | "review" | "blocked" => (Decision::Pending, None),
        _ => (Decision::Pending, Some(status)),
    }
}

fn id_list(nodes: &[GraphNode<'_>], list: &[usize]) -> String {
    list.iter()
        .map(|index| format!("`{}`", nodes[*index].id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Builds the nexus task for a node.
fn spec(
    path: &str,
    tag: &str,
    nodes: &[GraphNode<'_>],
    index: usize,
    role: Role,
    children: &[usize],
    depends_on: Vec<String>,
) -> TaskSpec {
    let node = &nodes[index];
    let item = node.item;
    let parent = node.parent.map(|parent| nodes[parent].item);
    let where_full = format!("task `{}` of tag `{tag}` in `{path}`", node.id);
    let cut_marker = format!("\n\n[cut to fit; the full text is {where_full}]");
    let mut sections: Vec<Section> = Vec::new();
    let mut acceptance = item.criteria.clone();
    acceptance.extend(split_items(&item.test_strategy));
    let (title, task_type, expected_output) = match role {
        Role::ParentCheck => {
            let ids = id_list(nodes, children);
            sections.push(Section::new(
                SectionKind::Plain,
                None,
                format!(
                    "Task Master task `{}` was split into subtasks {ids}, each done as a task of its own. Check that together they meet this task, described below, and report any gap.",
                    node.id
                ),
            ));
            sections.push(Section::new(
                SectionKind::Plain,
                Some("Task"),
                item.description.clone(),
            ));
            sections.push(Section::new(
                SectionKind::Shrinkable,
                Some("Details"),
                item.details.clone(),
            ));
            acceptance.push(format!(
                "subtasks {ids} together deliver what the task and its details ask for"
            ));
            (
                format!("Check: {}", item.title),
                TaskType::Validation,
                Some(format!(
                    "a verdict on whether subtasks {ids} together meet the task, with the evidence"
                )),
            )
        }
        Role::Task | Role::Subtask => {
            sections.push(Section::new(
                SectionKind::Plain,
                None,
                item.description.clone(),
            ));
            sections.push(Section::new(
                SectionKind::Shrinkable,
                Some("Details"),
                item.details.clone(),
            ));
            if let Some(parent) = parent {
                sections.push(Section::new(
                    SectionKind::Always,
                    Some(&format!(
                        "Part of task `{}`: {}",
                        node.task_id, parent.title
                    )),
                    parent.description.clone(),
                ));
            }
            (
                item.title.clone(),
                infer_type(&item.title, &item.description),
                None,
            )
        }
    };
    let priority = item
        .priority
        .or_else(|| parent.and_then(|parent| parent.priority))
        .unwrap_or(Priority::Medium);
    TaskSpec {
        id: node.id.clone(),
        title: cut(&title, MAX_TITLE, "…"),
        description: compose(&sections, MAX_DESCRIPTION, &cut_marker),
        task_type,
        agent: None,
        depends_on,
        priority,
        expected_output,
        acceptance: fit_items(
            acceptance,
            &format!(" [cut to fit; the full text is {where_full}]"),
        ),
        verify: Vec::new(),
        suggested_verify: Vec::new(),
        adopted: None,
        estimate_minutes: None,
    }
}

/// One part of a composed description.
struct Section {
    heading: Option<String>,
    body: String,
    kind: SectionKind,
}

#[derive(Clone, Copy, PartialEq)]
enum SectionKind {
    /// Shown when its body is not empty.
    Plain,
    /// Shown when its body is not empty; cut first when the whole is too long.
    Shrinkable,
    /// Shown (its heading at least) even when its body is empty.
    Always,
}

impl Section {
    fn new(kind: SectionKind, heading: Option<&str>, body: String) -> Section {
        Section {
            heading: heading.map(str::to_string),
            body,
            kind,
        }
    }

    fn render(&self, body: &str) -> Option<String> {
        match (&self.heading, body.is_empty()) {
            (_, true) if self.kind != SectionKind::Always => None,
            (Some(heading), true) => Some(format!("## {heading}")),
            (Some(heading), false) => Some(format!("## {heading}\n\n{body}")),
            (None, _) => Some(body.to_string()),
        }
    }
}

/// Joins the sections with blank lines, in at most `max` characters: the
/// shrinkable section (the details) is cut first, then the whole, each cut
/// ending with `marker`.
fn compose(sections: &[Section], max: usize, marker: &str) -> String {
    let join = |bodies: &[String]| {
        sections
            .iter()
            .zip(bodies)
            .filter_map(|(section, body)| section.render(body))
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    let mut bodies: Vec<String> = sections
        .iter()
        .map(|section| section.body.clone())
        .collect();
    let whole = join(&bodies);
    let length = whole.chars().count();
    if length <= max {
        return whole;
    }
    let marker_length = marker.chars().count();
    if let Some(shrink) = sections
        .iter()
        .position(|section| section.kind == SectionKind::Shrinkable)
    {
        let target = bodies[shrink].chars().count().saturating_sub(length - max);
        // Cutting the details to a stub says nothing; cut the whole instead.
        if target >= marker_length + 200 {
            bodies[shrink] = cut(&bodies[shrink], target, marker);
            let shrunk = join(&bodies);
            if shrunk.chars().count() <= max {
                return shrunk;
            }
        }
    }
    cut(&whole, max, marker)
}

/// Returns `text` if it has at most `max` characters, else its head ending
/// with `marker`, `max` characters in all.
fn cut(text: &str, max: usize, marker: &str) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let marker_length = marker.chars().count();
    let keep = max.saturating_sub(marker_length);
    let head: String = text.chars().take(keep).collect();
    let mut out = head.trim_end().to_string();
    out.push_str(marker);
    out.chars().take(max).collect()
}

/// Splits a test strategy or acceptance text into items: a list (two or
/// more lines starting `-`, `*`, `•`, `1.` or `1)`) gives one item per
/// entry, after any text before it; other text is one item, or one per
/// paragraph when it is too long for one.
fn split_items(text: &str) -> Vec<String> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    let entries = text
        .lines()
        .filter(|line| list_entry(line).is_some())
        .count();
    if entries < 2 {
        if text.chars().count() <= MAX_SHORT_TEXT {
            return vec![text.to_string()];
        }
        return text
            .split("\n\n")
            .map(str::trim)
            .filter(|paragraph| !paragraph.is_empty())
            .map(str::to_string)
            .collect();
    }
    let mut items: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        match list_entry(line) {
            Some(entry) => {
                if !current.trim().is_empty() {
                    items.push(current.trim().to_string());
                }
                current = entry.to_string();
            }
            None => {
                current.push('\n');
                current.push_str(line);
            }
        }
    }
    if !current.trim().is_empty() {
        items.push(current.trim().to_string());
    }
    items
}

/// Returns the text of a list line without its marker.
fn list_entry(line: &str) -> Option<&str> {
    let line = line.trim_start();
    for marker in ["- ", "* ", "• "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some(rest.trim());
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = &line[digits..];
    rest.strip_prefix(". ")
        .or_else(|| rest.strip_prefix(") "))
        .map(str::trim)
}

/// Bounds a list of acceptance items to nexus's sizes: each at most
/// `MAX_SHORT_TEXT` characters, at most `MAX_LIST` items (the rest joined
/// into the last).
fn fit_items(mut items: Vec<String>, marker: &str) -> Vec<String> {
    if items.len() > MAX_LIST {
        let rest = items.split_off(MAX_LIST - 1).join("\n");
        items.push(rest);
    }
    items
        .into_iter()
        .map(|item| cut(&item, MAX_SHORT_TEXT, marker))
        .collect()
}

/// Rewrites Task Master's appended notes (`<info added on TIME>` … `</info
/// added on TIME>`) as `**Note added on TIME:**` followed by the note.
fn rewrite_notes(text: &str) -> String {
    const OPEN: &str = "<info added on ";
    const CLOSE: &str = "</info added on ";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next_open = rest.find(OPEN);
        let next_close = rest.find(CLOSE);
        let (at, closing) = match (next_open, next_close) {
            (Some(open), Some(close)) if close < open => (close, true),
            (Some(open), _) => (open, false),
            (None, Some(close)) => (close, true),
            (None, None) => break,
        };
        let start = at + if closing { CLOSE.len() } else { OPEN.len() };
        // Only a tag on one line whose stamp holds no `<` is a note marker.
        let stamp_end = rest[start..]
            .find(['>', '<', '\n'])
            .filter(|end| rest[start + end..].starts_with('>'));
        match stamp_end {
            Some(end) => {
                let stamp = &rest[start..start + end];
                out.push_str(&rest[..at]);
                if !closing {
                    out.push_str(&format!("**Note added on {stamp}:**"));
                }
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[..start]);
                rest = &rest[start..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Drops control characters other than line breaks and tabs: plan text is
/// shown in terminals and nexus refuses escape sequences in it.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_become_labelled_paragraphs() {
        let details = "Do it.\n\n<info added on 2025-03-31T18:49:14.439Z>\nFound X.\n</info added on 2025-03-31T18:49:14.439Z>\n<info added on bad\nline> stays";
        assert_eq!(
            rewrite_notes(details),
            "Do it.\n\n**Note added on 2025-03-31T18:49:14.439Z:**\nFound X.\n\n<info added on bad\nline> stays"
        );
        assert_eq!(rewrite_notes("a </info added on x> b"), "a  b");
        assert_eq!(rewrite_notes("no notes"), "no notes");
    }

    #[test]
    fn lists_split_into_items_and_prose_stays_whole() {
        assert_eq!(
            split_items(
                "Verify that:\n1. parsing works\n   for all inputs\n2) errors name the file\n- and more"
            ),
            [
                "Verify that:",
                "parsing works\n   for all inputs",
                "errors name the file",
                "and more"
            ]
        );
        assert_eq!(
            split_items("Unit tests for X. 1. is not a list"),
            ["Unit tests for X. 1. is not a list"]
        );
        assert!(split_items("  ").is_empty());
        let long = format!("{}\n\n{}", "a".repeat(1500), "b".repeat(1500));
        assert_eq!(split_items(&long).len(), 2);
    }

    #[test]
    fn cutting_keeps_the_limit_and_says_so() {
        assert_eq!(cut("short", 10, "…"), "short");
        assert_eq!(cut("abcdefghijkl", 5, "…"), "abcd…");
        assert_eq!(cut("äöüäöüäöü", 4, "…").chars().count(), 4);
        let items = fit_items((0..60).map(|n| format!("item {n}")).collect(), " [cut]");
        assert_eq!(items.len(), MAX_LIST);
        assert!(items[MAX_LIST - 1].starts_with("item 49\nitem 50"));
    }

    #[test]
    fn long_details_are_cut_before_the_rest() {
        let sections = [
            Section::new(SectionKind::Plain, None, "Short description.".to_string()),
            Section::new(SectionKind::Shrinkable, Some("Details"), "d".repeat(10_000)),
            Section::new(
                SectionKind::Always,
                Some("Part of task `3`: Parent"),
                "Parent text.".to_string(),
            ),
        ];
        let text = compose(&sections, MAX_DESCRIPTION, "\n\n[cut]");
        assert_eq!(text.chars().count(), MAX_DESCRIPTION);
        assert!(text.starts_with("Short description.\n\n## Details\n\nddd"));
        assert!(text.contains("ddd\n\n[cut]\n\n## Part of task `3`: Parent\n\nParent text."));
        let huge = [Section::new(SectionKind::Plain, None, "x".repeat(9000))];
        let text = compose(&huge, MAX_DESCRIPTION, "\n\n[cut]");
        assert_eq!(text.chars().count(), MAX_DESCRIPTION);
        assert!(text.ends_with("x\n\n[cut]"));
    }

    #[test]
    fn ids_are_canonical() {
        assert_eq!(number_id("3"), Some("3".to_string()));
        assert_eq!(number_id("3.0"), None);
        assert_eq!(number_id("-1"), None);
        assert_eq!(string_id(" 03 "), "3");
        assert_eq!(string_id("rust-sync"), "rust-sync");
        let node = |text: &str| json::parse(text).unwrap();
        assert_eq!(own_id(&node("\"7.1\""), Some("7")), Ok("1".to_string()));
        assert_eq!(own_id(&node("2"), Some("7")), Ok("2".to_string()));
        assert!(own_id(&node("\"1.2\""), None).is_err());
        assert!(own_id(&node("\"a/b\""), None).is_err());
        assert!(own_id(&node("\"-x\""), None).is_err());
        assert!(own_id(&node("true"), None).is_err());
        assert!(own_id(&node("1.5"), None).is_err());
    }
}
