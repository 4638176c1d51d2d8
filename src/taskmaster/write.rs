//! Writing statuses back into a Task Master file: only the bytes of the
//! chosen `status` values change; formatting, key order, escapes, other
//! tags and the trailing newline stay exactly as they were.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Result, anyhow};

use super::json::{self, Node};
use super::locate::{locate, own_id};
use crate::state::task::TaskState;

/// Every status Task Master knows (`completed` is tm-core's synonym of
/// `done`): the only values [`write_statuses`] writes.
pub const STATUSES: &[&str] = &[
    "pending",
    "in-progress",
    "done",
    "review",
    "deferred",
    "cancelled",
    "blocked",
    "completed",
];

/// Returns the Task Master status for a nexus task state: completed →
/// `done`, running → `in-progress`, failed or blocked → `blocked`, skipped
/// → `deferred`, pending and interrupted → `pending`.
pub fn nexus_to_taskmaster(state: TaskState) -> &'static str {
    match state {
        TaskState::Completed => "done",
        TaskState::Running => "in-progress",
        TaskState::Failed | TaskState::Blocked => "blocked",
        TaskState::Skipped => "deferred",
        TaskState::Pending | TaskState::Interrupted => "pending",
    }
}

/// Returns `text` (a Task Master file) with the `status` of each task and
/// subtask of `tag` (default `master`) named in `statuses` (Task Master id
/// such as `3` or `3.2` → status) set, and every other byte unchanged. A
/// status already equal is left as written. A task without a `status` key
/// gets one right after its `title` (else its `id`), in the whitespace and
/// separator style of that member. Fails, changing nothing, when an id is
/// not in the tag or appears twice there, or a status to write is not one
/// of [`STATUSES`].
pub fn write_statuses(
    text: &str,
    tag: Option<&str>,
    statuses: &BTreeMap<String, String>,
) -> Result<String> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str::<serde::de::IgnoredAny>(body)
        .map_err(|error| anyhow!("the Task Master file is not valid JSON: {error}"))?;
    let root = json::parse(text)
        .map_err(|error| anyhow!("the Task Master file is not valid JSON: {error}"))?;
    let located = locate(&root, tag).map_err(|message| anyhow!("{message}"))?;
    let tag = located.tag.as_str();
    let tasks = located.tasks.elements().ok_or_else(|| {
        anyhow!(
            "tag `{tag}`: field `tasks` must be an array, found {}",
            located.tasks.kind()
        )
    })?;

    let mut found: HashMap<String, Vec<&Node>> = HashMap::new();
    let mut record = |id: String, node| {
        if statuses.contains_key(&id) {
            found.entry(id).or_default().push(node);
        }
    };
    for task in tasks {
        let Some(Ok(task_id)) = task.get("id").map(|id| own_id(id, None)) else {
            continue;
        };
        for subtask in task
            .get("subtasks")
            .and_then(Node::elements)
            .unwrap_or_default()
        {
            if let Some(Ok(subtask_id)) = subtask.get("id").map(|id| own_id(id, Some(&task_id))) {
                record(format!("{task_id}.{subtask_id}"), subtask);
            }
        }
        record(task_id, task);
    }

    let mut problems = Vec::new();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for (id, status) in statuses {
        let node = match found.get(id).map(Vec::as_slice) {
            Some([node]) => *node,
            Some(many) => {
                problems.push(format!(
                    "task `{id}` appears {} times in tag `{tag}`",
                    many.len()
                ));
                continue;
            }
            None => {
                problems.push(format!("there is no task `{id}` in tag `{tag}`"));
                continue;
            }
        };
        let current = node.member("status");
        if current.is_some_and(|member| member.value.as_str() == Some(status.as_str())) {
            continue;
        }
        if !STATUSES.contains(&status.as_str()) {
            problems.push(format!(
                "status `{status}` for task `{id}` is not a Task Master status (known: {})",
                STATUSES
                    .iter()
                    .map(|status| format!("`{status}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        }
        let literal = serde_json::to_string(status)?;
        match current {
            Some(member) => edits.push((member.value.start, member.value.end, literal)),
            None => {
                let Some(anchor) = node.member("title").or_else(|| node.member("id")) else {
                    problems.push(format!("task `{id}` has neither `title` nor `id`"));
                    continue;
                };
                let indent_start = text[..anchor.key_start]
                    .trim_end_matches([' ', '\t', '\n', '\r'])
                    .len();
                let indent = &text[indent_start..anchor.key_start];
                let separator = &text[anchor.key_end..anchor.value.start];
                edits.push((
                    anchor.value.end,
                    anchor.value.end,
                    format!(",{indent}\"status\"{separator}{literal}"),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(anyhow!(
            "cannot write statuses into tag `{tag}` ({} problem{}):\n  - {}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            problems.join("\n  - ")
        ));
    }

    edits.sort_by_key(|edit| edit.0);
    let mut out = String::with_capacity(text.len() + 32 * edits.len());
    let mut copied = 0;
    for (start, end, replacement) in edits {
        out.push_str(&text[copied..start]);
        out.push_str(&replacement);
        copied = end;
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(id, status)| (id.to_string(), status.to_string()))
            .collect()
    }

    #[test]
    fn every_nexus_state_has_a_status() {
        let expected = [
            (TaskState::Pending, "pending"),
            (TaskState::Running, "in-progress"),
            (TaskState::Completed, "done"),
            (TaskState::Failed, "blocked"),
            (TaskState::Blocked, "blocked"),
            (TaskState::Interrupted, "pending"),
            (TaskState::Skipped, "deferred"),
        ];
        assert_eq!(expected.len(), TaskState::ALL.len());
        for (state, status) in expected {
            assert_eq!(nexus_to_taskmaster(state), status);
            assert!(STATUSES.contains(&status));
        }
    }

    #[test]
    fn only_the_status_bytes_change() {
        let text = "{\"tasks\":[{\"id\":1,\"title\":\"A\",\"status\":\"pending\",\"subtasks\":[{\"id\":1,\"status\":\"d\\u006fne\"}]}]}";
        let out = write_statuses(text, None, &map(&[("1", "done"), ("1.1", "done")])).unwrap();
        // `d\u006fne` already reads `done`, so it stays as written.
        assert_eq!(
            out,
            text.replace("\"status\":\"pending\"", "\"status\":\"done\"")
        );
    }

    #[test]
    fn a_missing_status_is_inserted_after_the_title_in_the_file_style() {
        let pretty =
            "{\n  \"tasks\": [\n    {\n      \"id\": 1,\n      \"title\": \"A\"\n    }\n  ]\n}\n";
        assert_eq!(
            write_statuses(pretty, None, &map(&[("1", "done")])).unwrap(),
            "{\n  \"tasks\": [\n    {\n      \"id\": 1,\n      \"title\": \"A\",\n      \"status\": \"done\"\n    }\n  ]\n}\n"
        );
        let compact = "{\"tasks\":[{\"id\":1,\"title\":\"A\",\"x\":0}]}";
        assert_eq!(
            write_statuses(compact, None, &map(&[("1", "done")])).unwrap(),
            "{\"tasks\":[{\"id\":1,\"title\":\"A\",\"status\":\"done\",\"x\":0}]}"
        );
        let tabs = "{\"tasks\": [{\n\t\"id\": 2\n}]}";
        assert_eq!(
            write_statuses(tabs, None, &map(&[("2", "review")])).unwrap(),
            "{\"tasks\": [{\n\t\"id\": 2,\n\t\"status\": \"review\"\n}]}"
        );
    }

    #[test]
    fn other_tags_are_never_touched() {
        let text = r#"{"a": {"tasks": [{"id": 1, "title": "x", "status": "pending"}]}, "master": {"tasks": [{"id": 1, "title": "x", "status": "pending"}]}}"#;
        let out = write_statuses(text, Some("master"), &map(&[("1", "done")])).unwrap();
        assert_eq!(
            out,
            r#"{"a": {"tasks": [{"id": 1, "title": "x", "status": "pending"}]}, "master": {"tasks": [{"id": 1, "title": "x", "status": "done"}]}}"#
        );
        let out = write_statuses(text, Some("a"), &map(&[("1", "blocked")])).unwrap();
        assert!(
            out.starts_with(r#"{"a": {"tasks": [{"id": 1, "title": "x", "status": "blocked"}"#)
        );
        assert!(out.ends_with(r#""status": "pending"}]}}"#));
    }

    #[test]
    fn string_ids_and_full_subtask_ids_are_found() {
        let text = r#"{"tasks": [{"id": "3", "title": "x", "subtasks": [{"id": "3.1", "title": "y", "status": "pending"}]}]}"#;
        let out = write_statuses(text, None, &map(&[("3.1", "in-progress")])).unwrap();
        assert!(out.contains(r#""status": "in-progress""#), "{out}");
    }

    #[test]
    fn problems_are_collected_and_nothing_is_written() {
        let text = r#"{"tasks": [{"id": 1, "title": "x", "subtasks": [{"id": 2, "title": "a"}, {"id": 2, "title": "b"}]}]}"#;
        let error = write_statuses(
            text,
            None,
            &map(&[("1", "finished"), ("9", "done"), ("1.2", "done")]),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("(3 problems)"), "{error}");
        assert!(error.contains("status `finished` for task `1`"), "{error}");
        assert!(error.contains("no task `9` in tag `master`"), "{error}");
        assert!(error.contains("task `1.2` appears 2 times"), "{error}");
        let error = write_statuses(text, Some("feature"), &map(&[])).unwrap_err();
        assert!(error.to_string().contains("no tag `feature`"), "{error}");
        assert!(write_statuses("{", None, &map(&[])).is_err());
    }
}
