//! `memory/<agent_id>.jsonl`: an agent's append-only memory of interactions
//! and recaps. Prompts include the few most relevant earlier interactions
//! (keyword overlap, bounded size); a recovered session gets a recap.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::state::fs;
use crate::time::Timestamp;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// One turn: what was asked and what came back.
    Interaction,
    /// A recap handed to a recovered session.
    Recap,
}

/// One line of memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Schema version.
    pub schema: u32,
    /// Kind.
    pub kind: EntryKind,
    /// When.
    pub at: Timestamp,
    /// The session it happened in.
    #[serde(default)]
    pub session_id: Option<String>,
    /// The thread (plan id or `ask-<agent>`).
    #[serde(default)]
    pub thread: Option<String>,
    /// The task, when part of a plan.
    #[serde(default)]
    pub task_id: Option<String>,
    /// What was asked (shortened).
    pub request: String,
    /// What came back (shortened).
    pub response: String,
    /// The outcome.
    #[serde(default)]
    pub outcome: String,
}

/// The newest schema of memory lines.
pub const SCHEMA: u32 = 1;

/// Longest request/response kept per entry.
pub const ENTRY_CHARS: usize = 1500;

/// Reads an agent's memory. Lines that do not parse (a torn last line after
/// a crash) are skipped and reported in the second value.
pub fn read(path: &Path) -> Result<(Vec<Entry>, Vec<String>)> {
    let Some(text) = fs::read_optional(path)? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(line) {
            Ok(entry) if entry.schema <= SCHEMA => entries.push(entry),
            Ok(entry) => problems.push(format!(
                "`{}` line {}: schema {} is newer than this nexus reads (up to {SCHEMA})",
                path.display(),
                index + 1,
                entry.schema
            )),
            Err(error) => {
                problems.push(format!("`{}` line {}: {error}", path.display(), index + 1))
            }
        }
    }
    Ok((entries, problems))
}

/// How much of the end of a memory file prompts look at: the newest
/// interactions only, so a turn costs the same on the thousandth task as on
/// the first.
pub const RECENT_BYTES: u64 = 128 * 1024;

/// Reads the newest entries of an agent's memory: the last `max_bytes` of
/// the file, from the first whole line.
pub fn read_recent(path: &Path, max_bytes: u64) -> Result<Vec<Entry>> {
    use std::io::{Read, Seek, SeekFrom};
    crate::state::confine::check(path)?;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(
                anyhow::Error::new(error).context(format!("failed to read `{}`", path.display()))
            );
        }
    };
    let length = file.metadata().map(|meta| meta.len()).unwrap_or(0);
    let start = length.saturating_sub(max_bytes);
    let mut bytes = Vec::new();
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.read_to_end(&mut bytes))
        .map_err(|error| {
            anyhow::Error::new(error).context(format!("failed to read `{}`", path.display()))
        })?;
    let text = String::from_utf8_lossy(&bytes);
    let whole = if start > 0 {
        text.split_once('\n').map_or("", |(_, rest)| rest)
    } else {
        &text
    };
    Ok(whole
        .lines()
        .filter_map(|line| serde_json::from_str::<Entry>(line).ok())
        .filter(|entry| entry.schema <= SCHEMA)
        .collect())
}

/// Appends an entry (the caller holds the agent's memory lock).
pub fn append(path: &Path, entry: &Entry) -> Result<()> {
    let line = serde_json::to_string(entry)?;
    fs::append_line(path, &line)
}

fn keywords(text: &str) -> BTreeSet<String> {
    const STOP: &[&str] = &[
        "the", "and", "for", "with", "that", "this", "from", "into", "your", "you", "are", "was",
        "were", "have", "has", "not", "but", "all", "any", "can", "will", "what", "when", "then",
        "than", "them", "they", "its", "our", "out", "use", "one", "two", "add", "please",
    ];
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .map(str::to_lowercase)
        .filter(|word| word.chars().count() >= 3 && !STOP.contains(&word.as_str()))
        .collect()
}

/// Returns up to `count` interactions most relevant to `query` by keyword
/// overlap (newer first among equals), skipping those of `exclude_session`
/// (the session already remembers its own turns), within `max_chars`.
pub fn relevant<'a>(
    entries: &'a [Entry],
    query: &str,
    exclude_session: Option<&str>,
    count: usize,
    max_chars: usize,
) -> Vec<&'a Entry> {
    let wanted = keywords(query);
    let mut scored: Vec<(usize, usize, &Entry)> = entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| entry.kind == EntryKind::Interaction)
        .filter(|(_, entry)| {
            exclude_session.is_none() || entry.session_id.as_deref() != exclude_session
        })
        .map(|(index, entry)| {
            let have = keywords(&format!("{} {}", entry.request, entry.response));
            (wanted.intersection(&have).count(), index, entry)
        })
        .filter(|(score, _, _)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut chosen = Vec::new();
    let mut used = 0;
    for (_, _, entry) in scored.into_iter().take(count) {
        let size = entry.request.len() + entry.response.len();
        if used + size > max_chars {
            break;
        }
        used += size;
        chosen.push(entry);
    }
    chosen
}

/// Formats entries for a prompt.
pub fn format_entries(entries: &[&Entry]) -> String {
    let mut text = String::new();
    for entry in entries {
        let place = match (&entry.thread, &entry.task_id) {
            (Some(thread), Some(task)) => format!(" (plan `{thread}`, task `{task}`)"),
            (Some(thread), None) => format!(" ({thread})"),
            _ => String::new(),
        };
        text.push_str(&format!(
            "- {}{place}, {}:\n  asked: {}\n  answered: {}\n",
            entry.at,
            entry.outcome,
            crate::ui::shorten(&entry.request, 400),
            crate::ui::shorten(&entry.response, 600)
        ));
    }
    text
}

/// Returns a recap of the newest interactions, within `max_chars`.
pub fn recap(entries: &[Entry], max_chars: usize) -> String {
    let mut chosen: Vec<&Entry> = Vec::new();
    let mut used = 0;
    for entry in entries
        .iter()
        .rev()
        .filter(|entry| entry.kind == EntryKind::Interaction)
    {
        let size = entry.request.len().min(400) + entry.response.len().min(600) + 80;
        if used + size > max_chars {
            break;
        }
        used += size;
        chosen.push(entry);
    }
    chosen.reverse();
    format_entries(&chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(request: &str, response: &str, session: &str) -> Entry {
        Entry {
            schema: SCHEMA,
            kind: EntryKind::Interaction,
            at: Timestamp::parse("2026-11-26T00:00:00Z").unwrap(),
            session_id: Some(session.into()),
            thread: None,
            task_id: None,
            request: request.into(),
            response: response.into(),
            outcome: "success".into(),
        }
    }

    #[test]
    fn relevance_ranks_by_keyword_overlap_and_skips_the_current_session() {
        let entries = vec![
            entry(
                "design the database schema",
                "tables users and orders",
                "s1",
            ),
            entry("write the parser", "parser written with tests", "s1"),
            entry("database migration plan", "migrate orders table", "s2"),
        ];
        let chosen = relevant(
            &entries,
            "update the orders database schema",
            None,
            2,
            10_000,
        );
        assert_eq!(chosen.len(), 2);
        assert_eq!(chosen[0].request, "design the database schema");
        let other = relevant(
            &entries,
            "update the orders database schema",
            Some("s1"),
            3,
            10_000,
        );
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].session_id.as_deref(), Some("s2"));
        assert!(
            relevant(&entries, "database", None, 3, 10).is_empty(),
            "the size bound holds"
        );
    }

    #[test]
    fn torn_lines_are_skipped_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        append(&path, &entry("q", "a", "s")).unwrap();
        std::fs::write(
            &path,
            format!(
                "{}{{\"schema\":1,\"kin",
                std::fs::read_to_string(&path).unwrap()
            ),
        )
        .unwrap();
        let (entries, problems) = read(&path).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("line 2"), "{problems:?}");
        // The next append starts on a new line instead of joining the torn one.
        append(&path, &entry("after the crash", "kept", "s")).unwrap();
        let (entries, problems) = read(&path).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].request, "after the crash");
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn recent_reads_only_whole_lines_from_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        for i in 0..100 {
            append(&path, &entry(&format!("question {i}"), "answer", "s")).unwrap();
        }
        let all = read_recent(&path, u64::MAX).unwrap();
        assert_eq!(all.len(), 100);
        let recent = read_recent(&path, 2000).unwrap();
        assert!(!recent.is_empty() && recent.len() < 100);
        assert_eq!(recent.last().unwrap().request, "question 99");
        assert!(
            read_recent(&dir.path().join("missing.jsonl"), 10)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn recaps_keep_the_newest_within_the_bound() {
        let entries: Vec<Entry> = (0..50)
            .map(|i| entry(&format!("question {i}"), "answer", "s"))
            .collect();
        let text = recap(&entries, 1000);
        assert!(text.contains("question 49"));
        assert!(!text.contains("question 0:"));
        assert!(text.len() < 1500);
    }
}
