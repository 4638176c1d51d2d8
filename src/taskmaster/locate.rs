//! Finding the way into a Task Master file: recognising either layout,
//! locating a tag, and reading ids in their canonical form (see the module
//! docs of [`crate::taskmaster`] for the rules). The writer uses the same
//! lookups as the importer, so both find the same tasks.

use super::import::{DEFAULT_TAG, Layout};
use super::json::{self, Node, Value};
use crate::ids;

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
pub(super) fn present<'a>(node: &'a Node, field: &str) -> Option<&'a Node> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
