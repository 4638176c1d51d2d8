//! Plan validation, shared by every planner and `nexus plan --from`: turns a
//! JSON document into tasks, or into the list of EVERY problem found (not
//! just the first), so one repair round or one edit fixes them all.
//!
//! Checks: the shape and types of each field, unique safe ids, dependencies
//! that exist, no cycle (named, e.g. `a → b → a`), known task types and
//! priorities, assigned agents that exist, and bounded sizes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::plan::graph::{find_cycles, name_cycle};

use serde_json::{Map, Value};

use crate::ids;
use crate::state::plan::{Priority, TaskSpec, TaskType};

/// Most tasks a plan may have.
pub const MAX_TASKS: usize = 50;
/// The longest estimate a task may carry, in minutes (a year).
pub const MAX_ESTIMATE_MINUTES: u32 = 525_600;
/// Most tasks a hand-written plan (`nexus plan --from`) may have.
pub const MAX_IMPORT_TASKS: usize = 10_000;
/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 8000;
/// Longest short text (expected output, one acceptance note, one command).
pub const MAX_SHORT_TEXT: usize = 2000;
/// Most entries of a list field (`depends_on`, `acceptance`, `verify`).
pub const MAX_LIST: usize = 50;

/// The fields a task may have.
pub const TASK_FIELDS: &[&str] = &[
    "id",
    "title",
    "description",
    "type",
    "agent",
    "depends_on",
    "priority",
    "expected_output",
    "acceptance",
    "verify",
    "suggested_verify",
    "adopted",
    "estimate_minutes",
];

/// Who wrote a plan document: its commands are run only if a person did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// A person (`nexus plan --from`): `verify` commands are commands.
    Person,
    /// A language model (a planner's answer): `verify` commands are only
    /// suggestions, kept as `suggested_verify` until a person adopts them
    /// (`nexus plan adopt`).
    Model,
}

/// Top-level fields of a plan document besides `tasks`. A stored
/// `plan.json` can be imported as is: its metadata (`schema`, `id`,
/// `planner`, `model`, `created_at`, `created_by`) is accepted and ignored.
const PLAN_FIELDS: &[&str] = &["tasks", "request", "priority", "deadline", "context"];
const IGNORED_PLAN_FIELDS: &[&str] = &[
    "schema",
    "id",
    "planner",
    "model",
    "created_at",
    "created_by",
];

/// A valid plan document: its tasks and the optional plan-level fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    /// `request`, when the document has one.
    pub request: Option<String>,
    /// `priority`, when the document has one.
    pub priority: Option<Priority>,
    /// `deadline`, when the document has one.
    pub deadline: Option<String>,
    /// `context`, when the document has one.
    pub context: BTreeMap<String, String>,
    /// The tasks, in document order.
    pub tasks: Vec<TaskSpec>,
}

/// Parses and validates a plan document. `agent_ids` are the agents that
/// exist; `default_priority` is used for tasks without one. Returns every
/// problem found, in document order, when there is any.
pub fn parse_plan(
    document: &Value,
    agent_ids: &[String],
    default_priority: Priority,
    max_tasks: usize,
    author: Author,
) -> Result<Draft, Vec<String>> {
    let mut problems = Vec::new();
    let Some(object) = document.as_object() else {
        return Err(vec![format!(
            "the plan must be a JSON object with a `tasks` array, found {}",
            kind(document)
        )]);
    };
    let mut draft = Draft::default();
    for key in object.keys() {
        if !PLAN_FIELDS.contains(&key.as_str()) && !IGNORED_PLAN_FIELDS.contains(&key.as_str()) {
            problems.push(format!(
                "unknown field `{key}` (a plan has `tasks`, `request`, `priority`, `deadline`, `context`)"
            ));
        }
    }
    draft.request = optional_string(object, "request", "the plan", &mut problems);
    draft.deadline =
        optional_string(object, "deadline", "the plan", &mut problems).and_then(|text| {
            match crate::time::parse_deadline(&text) {
                Ok(deadline) => Some(deadline),
                Err(problem) => {
                    problems.push(format!("the plan's `deadline`: {problem}"));
                    None
                }
            }
        });
    if let Some(text) = optional_string(object, "priority", "the plan", &mut problems) {
        match Priority::parse(&text) {
            Some(priority) => draft.priority = Some(priority),
            None => problems.push(format!(
                "the plan has unknown priority `{text}` (known: {})",
                priority_names()
            )),
        }
    }
    match object.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                match value {
                    Value::String(text) => {
                        draft.context.insert(key.clone(), text.clone());
                    }
                    other => problems.push(format!(
                        "the plan's `context.{key}` must be a string, found {}",
                        kind(other)
                    )),
                }
            }
        }
        Some(other) => problems.push(format!(
            "the plan's `context` must be an object of strings, found {}",
            kind(other)
        )),
    }
    let default_priority = draft.priority.unwrap_or(default_priority);
    let tasks = match object.get("tasks") {
        Some(Value::Array(tasks)) => tasks,
        Some(other) => {
            problems.push(format!(
                "field `tasks` must be an array, found {}",
                kind(other)
            ));
            return Err(problems);
        }
        None => {
            problems.push("field `tasks` is missing".to_string());
            return Err(problems);
        }
    };
    if tasks.is_empty() {
        problems.push("the plan has no tasks".to_string());
    }
    if tasks.len() > max_tasks {
        problems.push(format!(
            "the plan has {} tasks, more than the {max_tasks} allowed",
            tasks.len()
        ));
    }
    let mut specs = Vec::new();
    for (index, task) in tasks.iter().enumerate() {
        if let Some(spec) = parse_task(
            index,
            task,
            agent_ids,
            default_priority,
            author,
            &mut problems,
        ) {
            specs.push((index, spec));
        }
    }
    check_graph(&specs, &mut problems);
    if problems.is_empty() {
        draft.tasks = specs.into_iter().map(|(_, spec)| spec).collect();
        Ok(draft)
    } else {
        Err(problems)
    }
}

/// Validates tasks that are already typed (a plan edited in place, the
/// builtin planner's output): ids, dependencies, cycles, agents, sizes.
pub fn check_tasks(tasks: &[TaskSpec], agent_ids: &[String]) -> Vec<String> {
    let document = serde_json::json!({ "tasks": tasks });
    match parse_plan(
        &document,
        agent_ids,
        Priority::default(),
        MAX_IMPORT_TASKS,
        Author::Person,
    ) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn priority_names() -> String {
    Priority::ALL
        .iter()
        .map(|priority| priority.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn type_names() -> String {
    TaskType::ALL
        .iter()
        .map(|task_type| task_type.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn optional_string(
    object: &Map<String, Value>,
    field: &str,
    label: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match object.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(other) => {
            problems.push(format!(
                "{label}: field `{field}` must be a string, found {}",
                kind(other)
            ));
            None
        }
    }
}

fn string_list(
    object: &Map<String, Value>,
    field: &str,
    label: &str,
    max_len: usize,
    problems: &mut Vec<String>,
) -> Vec<String> {
    match object.get(field) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > MAX_LIST {
                problems.push(format!(
                    "{label}: field `{field}` has {} entries, more than the {MAX_LIST} allowed",
                    items.len()
                ));
            }
            let mut out = Vec::new();
            for (position, item) in items.iter().enumerate() {
                match item {
                    Value::String(text) => {
                        if text.chars().count() > max_len {
                            problems.push(format!(
                                "{label}: `{field}[{position}]` is longer than {max_len} characters"
                            ));
                        }
                        out.push(text.clone());
                    }
                    other => problems.push(format!(
                        "{label}: `{field}[{position}]` must be a string, found {}",
                        kind(other)
                    )),
                }
            }
            out
        }
        Some(other) => {
            problems.push(format!(
                "{label}: field `{field}` must be an array of strings, found {}",
                kind(other)
            ));
            Vec::new()
        }
    }
}

fn check_length(text: &str, field: &str, max: usize, label: &str, problems: &mut Vec<String>) {
    if text.chars().count() > max {
        problems.push(format!(
            "{label}: field `{field}` is longer than {max} characters"
        ));
    }
    // Plan text is shown in terminals: no escape sequences or other control
    // characters beyond line breaks and tabs.
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        problems.push(format!(
            "{label}: field `{field}` contains control characters"
        ));
    }
}

/// Parses task #`index + 1` of a plan document, adding its problems to
/// `problems`. A task with problems of its own still comes back when it has
/// an id, so the id and graph checks see it.
fn parse_task(
    index: usize,
    task: &Value,
    agent_ids: &[String],
    default_priority: Priority,
    author: Author,
    problems: &mut Vec<String>,
) -> Option<TaskSpec> {
    let position = index + 1;
    let Some(object) = task.as_object() else {
        problems.push(format!(
            "task #{position} must be an object, found {}",
            kind(task)
        ));
        return None;
    };
    let id = required_string(object, "id", &format!("task #{position}"), problems).cloned();
    let label = match &id {
        Some(id) => format!("task `{id}`"),
        None => format!("task #{position}"),
    };
    if let Some(id) = &id
        && let Err(error) = ids::check_safe_id("task", id)
    {
        problems.push(format!("{label}: {error}"));
    }
    check_task_fields(object, &label, problems);
    let title = task_title(object, &label, problems);
    let description = optional_string(object, "description", &label, problems).unwrap_or_default();
    check_length(
        &description,
        "description",
        MAX_DESCRIPTION,
        &label,
        problems,
    );
    let task_type = task_type(object, &label, problems);
    let agent = task_agent(object, &label, agent_ids, problems);
    let mut depends_on = string_list(object, "depends_on", &label, 64, problems);
    let mut seen = BTreeSet::new();
    depends_on.retain(|dependency| seen.insert(dependency.clone()));
    let priority = task_priority(object, &label, default_priority, problems);
    let expected_output = optional_string(object, "expected_output", &label, problems);
    if let Some(text) = &expected_output {
        check_length(text, "expected_output", MAX_SHORT_TEXT, &label, problems);
    }
    let acceptance = string_list(object, "acceptance", &label, MAX_SHORT_TEXT, problems);
    let (verify, suggested_verify) = task_checks(object, &label, author, problems);
    let estimate_minutes = estimate_minutes(object, &label, problems);
    // A task with problems of its own still takes part in the id and graph
    // checks when it has an id, so duplicates and cycles are reported too.
    let id = id?;
    let spec = TaskSpec {
        id,
        title,
        description,
        task_type: task_type.unwrap_or(TaskType::Analysis),
        agent,
        depends_on,
        priority: priority.unwrap_or_default(),
        expected_output,
        acceptance,
        verify,
        suggested_verify,
        adopted: None,
        estimate_minutes,
    };
    Some(spec)
}

/// Returns a field that must be a string; a missing one or one of another
/// type is a problem.
fn required_string<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    label: &str,
    problems: &mut Vec<String>,
) -> Option<&'a String> {
    match object.get(field) {
        Some(Value::String(text)) => Some(text),
        Some(other) => {
            problems.push(format!(
                "{label}: field `{field}` must be a string, found {}",
                kind(other)
            ));
            None
        }
        None => {
            problems.push(format!("{label}: field `{field}` is missing"));
            None
        }
    }
}

/// Adds a problem for each field a task does not have.
fn check_task_fields(object: &Map<String, Value>, label: &str, problems: &mut Vec<String>) {
    for key in object.keys() {
        if !TASK_FIELDS.contains(&key.as_str()) {
            problems.push(format!(
                "{label}: unknown field `{key}` (a task has {})",
                TASK_FIELDS
                    .iter()
                    .map(|field| format!("`{field}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
}

/// Returns the task's title (empty when it has problems).
fn task_title(object: &Map<String, Value>, label: &str, problems: &mut Vec<String>) -> String {
    match required_string(object, "title", label, problems) {
        Some(title) if !title.trim().is_empty() => {
            check_length(title, "title", MAX_TITLE, label, problems);
            title.clone()
        }
        Some(_) => {
            problems.push(format!("{label}: field `title` is empty"));
            String::new()
        }
        None => String::new(),
    }
}

/// Returns the task's type, when it names a known one.
fn task_type(
    object: &Map<String, Value>,
    label: &str,
    problems: &mut Vec<String>,
) -> Option<TaskType> {
    let name = required_string(object, "type", label, problems)?;
    let parsed = TaskType::parse(name);
    if parsed.is_none() {
        problems.push(format!(
            "{label} has unknown type `{name}` (known: {})",
            type_names()
        ));
    }
    parsed
}

/// Returns the agent the task is assigned to, if any (an unknown one is a
/// problem).
fn task_agent(
    object: &Map<String, Value>,
    label: &str,
    agent_ids: &[String],
    problems: &mut Vec<String>,
) -> Option<String> {
    let agent = optional_string(object, "agent", label, problems);
    if let Some(agent) = &agent
        && !agent_ids.contains(agent)
    {
        problems.push(format!(
            "{label} is assigned to unknown agent `{agent}` (known: {})",
            agent_ids
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    agent
}

/// Returns the task's priority (`default_priority` without one), when it
/// names a known one.
fn task_priority(
    object: &Map<String, Value>,
    label: &str,
    default_priority: Priority,
    problems: &mut Vec<String>,
) -> Option<Priority> {
    match optional_string(object, "priority", label, problems) {
        None => Some(default_priority),
        Some(name) => {
            let parsed = Priority::parse(&name);
            if parsed.is_none() {
                problems.push(format!(
                    "{label} has unknown priority `{name}` (known: {})",
                    priority_names()
                ));
            }
            parsed
        }
    }
}

/// Returns the task's `verify` and `suggested_verify` commands; a model's
/// `verify` commands become suggestions.
fn task_checks(
    object: &Map<String, Value>,
    label: &str,
    author: Author,
    problems: &mut Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let mut verify = string_list(object, "verify", label, MAX_SHORT_TEXT, problems);
    let mut suggested_verify =
        string_list(object, "suggested_verify", label, MAX_SHORT_TEXT, problems);
    if author == Author::Model {
        // A model's commands never run unchecked: they wait for a person.
        for command in verify.drain(..) {
            if !suggested_verify.contains(&command) {
                suggested_verify.push(command);
            }
        }
    }
    (verify, suggested_verify)
}

/// Returns the task's estimate in minutes, if it has a valid one.
fn estimate_minutes(
    object: &Map<String, Value>,
    label: &str,
    problems: &mut Vec<String>,
) -> Option<u32> {
    match object.get("estimate_minutes") {
        None | Some(Value::Null) => None,
        Some(value) => match value
            .as_u64()
            .and_then(|minutes| u32::try_from(minutes).ok())
            .filter(|minutes| *minutes <= MAX_ESTIMATE_MINUTES)
        {
            Some(minutes) => Some(minutes),
            None => {
                problems.push(format!(
                    "{label}: field `estimate_minutes` must be a whole number of minutes, at most {MAX_ESTIMATE_MINUTES} (a year)"
                ));
                None
            }
        },
    }
}

/// Checks ids, dependencies and cycles over the tasks that have an id.
fn check_graph(specs: &[(usize, TaskSpec)], problems: &mut Vec<String>) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut reported = BTreeSet::new();
    for (index, spec) in specs {
        match first.get(spec.id.as_str()) {
            Some(_) => {
                if reported.insert(spec.id.clone()) {
                    let positions: Vec<String> = specs
                        .iter()
                        .filter(|(_, other)| other.id == spec.id)
                        .map(|(position, _)| format!("#{}", position + 1))
                        .collect();
                    problems.push(format!(
                        "duplicate task id `{}` (tasks {})",
                        spec.id,
                        positions.join(", ")
                    ));
                }
            }
            None => {
                first.insert(spec.id.as_str(), *index);
            }
        }
    }
    // The graph uses the first task of each id.
    let nodes: Vec<&TaskSpec> = specs
        .iter()
        .filter(|(index, spec)| first.get(spec.id.as_str()) == Some(index))
        .map(|(_, spec)| spec)
        .collect();
    let position: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(node, spec)| (spec.id.as_str(), node))
        .collect();
    // Every task's dependencies must exist, duplicates' too.
    for (_, spec) in specs {
        for dependency in &spec.depends_on {
            if !position.contains_key(dependency.as_str()) {
                problems.push(format!(
                    "task `{}` depends on unknown task `{dependency}`",
                    spec.id
                ));
            }
        }
    }
    let mut edges = vec![Vec::new(); nodes.len()];
    for (node, spec) in nodes.iter().enumerate() {
        for dependency in &spec.depends_on {
            if let Some(target) = position.get(dependency.as_str()) {
                edges[node].push(*target);
            }
        }
    }
    for cycle in find_cycles(&edges) {
        let names: Vec<&str> = cycle.iter().map(|node| nodes[*node].id.as_str()).collect();
        problems.push(format!("dependency cycle: {}", name_cycle(&names)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn agents() -> Vec<String> {
        vec!["code_developer".to_string(), "aria_coordinator".to_string()]
    }

    fn task(id: &str, deps: &[&str]) -> Value {
        json!({"id": id, "title": format!("do {id}"), "type": "implementation", "depends_on": deps})
    }

    fn problems(document: &Value) -> Vec<String> {
        parse_plan(
            document,
            &agents(),
            Priority::Medium,
            MAX_TASKS,
            Author::Person,
        )
        .unwrap_err()
    }

    #[test]
    fn a_good_plan_parses_with_defaults() {
        let document = json!({"tasks": [task("a", &[]), task("b", &["a"])], "priority": "high"});
        let draft = parse_plan(
            &document,
            &agents(),
            Priority::Medium,
            MAX_TASKS,
            Author::Person,
        )
        .unwrap();
        assert_eq!(draft.tasks.len(), 2);
        assert_eq!(draft.tasks[1].depends_on, vec!["a".to_string()]);
        assert_eq!(draft.tasks[0].priority, Priority::High);
        assert_eq!(draft.tasks[0].agent, None);
    }

    #[test]
    fn a_cycle_is_named_in_dependency_order() {
        let document = json!({"tasks": [task("a", &["b"]), task("b", &["c"]), task("c", &["a"]), task("d", &[])]});
        let found = problems(&document);
        assert_eq!(found, vec!["dependency cycle: `a → b → c → a`".to_string()]);
    }

    #[test]
    fn a_self_dependency_is_a_cycle_and_separate_cycles_are_all_named() {
        let document = json!({"tasks": [task("a", &["a"]), task("b", &["c"]), task("c", &["b"])]});
        let found = problems(&document);
        assert_eq!(
            found,
            vec![
                "dependency cycle: `a → a`".to_string(),
                "dependency cycle: `b → c → b`".to_string()
            ]
        );
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let document = json!({"tasks": [
            task("a", &["ghost"]),
            task("a", &[]),
            {"id": "../x", "title": "", "type": "coding", "agent": "bob", "priority": "urgent", "extra": 1},
            {"title": "no id", "type": "analysis"},
        ]});
        let found = problems(&document).join("\n");
        for expected in [
            "duplicate task id `a` (tasks #1, #2)",
            "task `a` depends on unknown task `ghost`",
            "task `../x`: task id `../x` is not valid",
            "task `../x`: field `title` is empty",
            "task `../x` has unknown type `coding`",
            "task `../x` is assigned to unknown agent `bob`",
            "task `../x` has unknown priority `urgent`",
            "task `../x`: unknown field `extra`",
            "task #4: field `id` is missing",
        ] {
            assert!(
                found.contains(expected),
                "missing {expected:?} in:\n{found}"
            );
        }
    }

    #[test]
    fn sizes_are_bounded() {
        let tasks: Vec<Value> = (0..=MAX_TASKS)
            .map(|i| task(&format!("t{i}"), &[]))
            .collect();
        let found = problems(&json!({ "tasks": tasks }));
        assert!(found[0].contains("more than the 50 allowed"), "{found:?}");
        let long = "x".repeat(MAX_TITLE + 1);
        let found = problems(&json!({"tasks": [{"id": "a", "title": long, "type": "review"}]}));
        assert_eq!(
            found,
            vec!["task `a`: field `title` is longer than 200 characters".to_string()]
        );
        assert_eq!(
            problems(&json!({"tasks": []})),
            vec!["the plan has no tasks"]
        );
        assert!(problems(&json!([1]))[0].contains("must be a JSON object"));
    }

    #[test]
    fn a_stored_plan_file_is_accepted_as_a_document() {
        let text = include_str!("../../.nexus-example/plans/example/plan.json");
        let document: Value = serde_json::from_str(text).unwrap();
        let agents: Vec<String> = crate::state::agent::DEFAULT_AGENTS
            .iter()
            .map(|(id, _)| (*id).to_string())
            .collect();
        let draft = parse_plan(
            &document,
            &agents,
            Priority::Medium,
            MAX_TASKS,
            Author::Person,
        )
        .unwrap();
        assert_eq!(draft.tasks.len(), 4);
        assert_eq!(
            draft.context.get("language").map(String::as_str),
            Some("rust")
        );
        assert!(check_tasks(&draft.tasks, &agents).is_empty());
    }
}
