//! Reading the tasks and subtasks of a tag as written: every field checked
//! for its type, ids made canonical, dependencies parsed in both forms
//! (`7`, `"7"`, `"3.2"`), text cleaned; every problem is collected, none
//! stops the reading.

use std::fmt;

use super::json::{Node, Value};
use super::locate::{number_id, own_id, present, string_id};
use super::text::{clean, rewrite_notes, split_items};
use crate::state::plan::Priority;

/// A dependency as written, ids canonical.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Reference {
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
pub(super) struct Item {
    /// 1-based position in its array.
    pub(super) position: usize,
    /// The canonical own id, when it is valid.
    pub(super) id: Option<String>,
    pub(super) title: String,
    pub(super) description: String,
    pub(super) details: String,
    pub(super) test_strategy: String,
    /// `acceptanceCriteria` (older Task Master), as items.
    pub(super) criteria: Vec<String>,
    pub(super) priority: Option<Priority>,
    pub(super) status: Option<String>,
    pub(super) dependencies: Vec<Reference>,
    pub(super) subtasks: Vec<Item>,
}

/// Reads the tasks of one tag, collecting its problems and warnings.
pub(super) struct Reader {
    /// The tag being read, for messages.
    pub(super) tag: String,
    /// What makes the tag unimportable, each naming Task Master ids.
    pub(super) problems: Vec<String>,
    /// What was read in a way worth telling the user.
    pub(super) warnings: Vec<String>,
}

impl Reader {
    /// Reads one task (`parent` `None`) or subtask of `parent` (its id, when
    /// valid, and its label).
    pub(super) fn item(
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
