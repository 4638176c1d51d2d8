//! The text of an imported task: its title, description (the task's
//! description, details and, for a subtask, its parent), acceptance items
//! from the test strategy, all cut to the sizes nexus takes and cleaned of
//! control characters (see the module docs of [`crate::taskmaster`]).

use super::graph::{GraphNode, id_list};
use super::import::Role;
use super::infer::infer_type;
use crate::plan::validate::{MAX_DESCRIPTION, MAX_LIST, MAX_SHORT_TEXT, MAX_TITLE};
use crate::state::plan::{Priority, TaskSpec, TaskType};

/// Builds the nexus task for a node.
pub(super) fn spec(
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
pub(super) fn split_items(text: &str) -> Vec<String> {
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
pub(super) fn rewrite_notes(text: &str) -> String {
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
pub(super) fn clean(text: &str) -> String {
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
}
