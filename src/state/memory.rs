//! `memory/<agent_id>.jsonl`: an agent's append-only memory of interactions
//! and recaps, and what a prompt recalls from it ([`recall`]).
//!
//! A prompt recalls only what its session does not already hold: a new or
//! recovered session gets a recap (the most relevant earlier interactions,
//! then the newest); a resumed session holds its own turns and whatever was
//! recalled into them, so it gets only relevant interactions of other
//! sessions (another instance's work, or work before it) that it has not
//! seen. Each interaction records the keys of what its prompt recalled
//! (`recalled`), which is how a later turn knows. The bounds are the
//! agent's `[memory]` settings.

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
    /// The entry's id (entries written before ids existed have none; their
    /// key is made of their session and time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The keys of the entries recalled into this turn's prompt, so the
    /// session is known to hold them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recalled: Vec<String>,
}

impl Entry {
    /// Returns the key other entries' `recalled` name this one by.
    pub fn key(&self) -> String {
        match &self.id {
            Some(id) => id.clone(),
            None => format!("{}@{}", self.session_id.as_deref().unwrap_or("-"), self.at),
        }
    }
}

/// What an agent's memory keeps (`[memory] retention_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Retention {
    /// The session keeps the whole conversation, and memory keeps every
    /// interaction (up to `max_conversations`) and recalls it into later
    /// prompts of new, recovered or parallel sessions.
    #[default]
    FullSession,
    /// Nothing is written to memory or recalled: each session stands alone
    /// and a recovered one gets no recap.
    None,
}

impl Retention {
    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Retention::FullSession => "full_session",
            Retention::None => "none",
        }
    }
}

/// `[memory]`: the original profile's memory settings (`retention_policy`,
/// `max_conversations`, `context_window_size`, `learning_patterns`,
/// `context_preservation`), plus the size bound of recalled text. Every key
/// is optional; the defaults are the original template's values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemorySettings {
    /// What is kept.
    #[serde(default)]
    pub retention_policy: Retention,
    /// The most entries the agent's memory file keeps: `nexus sessions gc`
    /// drops older ones (the file is only appended to while agents work).
    /// Recall reads at most the newest 128 KiB of the file whatever this
    /// says.
    #[serde(default = "MemorySettings::default_max_conversations")]
    pub max_conversations: u32,
    /// The most earlier interactions recalled into one prompt (0: none).
    #[serde(default = "MemorySettings::default_context_window_size")]
    pub context_window_size: u32,
    /// The most characters of recalled interactions in one prompt.
    #[serde(default = "MemorySettings::default_context_chars")]
    pub context_chars: u32,
    /// How the agent learns, in the profile's words (system prompt).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub learning_patterns: String,
    /// What context the agent keeps, in the profile's words (system prompt).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub context_preservation: String,
}

impl MemorySettings {
    /// The most entries a memory file may be set to keep.
    pub const MAX_CONVERSATIONS: u32 = 1_000_000;
    /// The most interactions a prompt may be set to recall.
    pub const MAX_WINDOW: u32 = 1000;
    /// The most characters of recalled text a prompt may be set to carry.
    pub const MAX_CHARS: u32 = 200_000;

    fn default_max_conversations() -> u32 {
        1000
    }

    fn default_context_window_size() -> u32 {
        50
    }

    fn default_context_chars() -> u32 {
        6000
    }

    /// Returns the first value out of range, as `(key, problem)`.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if !(1..=Self::MAX_CONVERSATIONS).contains(&self.max_conversations) {
            return Some((
                "max_conversations",
                format!("must be between 1 and {}", Self::MAX_CONVERSATIONS),
            ));
        }
        if self.context_window_size > Self::MAX_WINDOW {
            return Some((
                "context_window_size",
                format!("must be at most {}", Self::MAX_WINDOW),
            ));
        }
        if self.context_chars > Self::MAX_CHARS {
            return Some((
                "context_chars",
                format!("must be at most {}", Self::MAX_CHARS),
            ));
        }
        None
    }

    /// Returns whether anything is remembered at all.
    pub fn remembers(&self) -> bool {
        self.retention_policy != Retention::None
    }
}

impl Default for MemorySettings {
    fn default() -> Self {
        MemorySettings {
            retention_policy: Retention::default(),
            max_conversations: Self::default_max_conversations(),
            context_window_size: Self::default_context_window_size(),
            context_chars: Self::default_context_chars(),
            learning_patterns: String::new(),
            context_preservation: String::new(),
        }
    }
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

/// How a prompt's recalled block came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecallKind {
    /// Nothing recalled.
    None,
    /// A new or recovered session: a recap of earlier work.
    Recap,
    /// A resumed session: relevant interactions it has not seen.
    Unseen,
}

/// What one prompt recalls from memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recall {
    /// Recap, unseen interactions, or nothing.
    pub kind: RecallKind,
    /// The keys of the recalled entries, oldest first.
    pub keys: Vec<String>,
    /// The entries as the prompt shows them ([`format_entries`]).
    pub text: String,
}

impl Recall {
    /// Returns an empty recall.
    pub fn none() -> Self {
        Recall {
            kind: RecallKind::None,
            keys: Vec::new(),
            text: String::new(),
        }
    }
}

/// Chooses what a prompt recalls. `resumed` is the session the turn
/// resumes (`None` for a new or recovered session); `entries` are the
/// agent's newest entries, oldest first. Only the newest
/// `max_conversations` interactions count; candidates are ranked by keyword
/// overlap with `query`, then by recency, and taken up to
/// `context_window_size` entries and `context_chars` characters. A resumed
/// session is offered only interactions of other sessions that share a
/// keyword with `query` and that neither its own turns nor anything
/// recalled into them hold already.
pub fn recall(
    entries: &[Entry],
    query: &str,
    resumed: Option<&str>,
    settings: &MemorySettings,
) -> Recall {
    if !settings.remembers() || settings.context_window_size == 0 {
        return Recall::none();
    }
    let mut interactions: Vec<(usize, &Entry)> = entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| entry.kind == EntryKind::Interaction)
        .collect();
    let keep = usize::try_from(settings.max_conversations).unwrap_or(usize::MAX);
    if interactions.len() > keep {
        interactions.drain(..interactions.len() - keep);
    }
    let mut known = BTreeSet::new();
    if let Some(session) = resumed {
        for entry in entries
            .iter()
            .filter(|entry| entry.session_id.as_deref() == Some(session))
        {
            known.insert(entry.key());
            known.extend(entry.recalled.iter().cloned());
        }
    }
    let wanted = keywords(query);
    let mut scored: Vec<(usize, usize, &Entry)> = interactions
        .into_iter()
        .filter(|(_, entry)| resumed.is_none() || entry.session_id.as_deref() != resumed)
        .filter(|(_, entry)| !known.contains(&entry.key()))
        .map(|(index, entry)| {
            let have = keywords(&format!("{} {}", entry.request, entry.response));
            (wanted.intersection(&have).count(), index, entry)
        })
        .filter(|(score, _, _)| resumed.is_none() || *score > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let window = usize::try_from(settings.context_window_size).unwrap_or(usize::MAX);
    let budget = usize::try_from(settings.context_chars).unwrap_or(usize::MAX);
    let mut chosen: Vec<(usize, &Entry)> = Vec::new();
    let mut used = 0;
    for (_, index, entry) in scored {
        if chosen.len() >= window {
            break;
        }
        let size = format_entries(&[entry]).chars().count();
        if used + size > budget {
            continue;
        }
        used += size;
        chosen.push((index, entry));
    }
    if chosen.is_empty() {
        return Recall::none();
    }
    chosen.sort_by_key(|(index, _)| *index);
    let shown: Vec<&Entry> = chosen.iter().map(|(_, entry)| *entry).collect();
    Recall {
        kind: if resumed.is_some() {
            RecallKind::Unseen
        } else {
            RecallKind::Recap
        },
        keys: shown.iter().map(|entry| entry.key()).collect(),
        text: format_entries(&shown),
    }
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

/// Keeps the newest `max_entries` lines of an agent's memory file (the
/// caller holds its lock); returns how many were dropped. Run by `nexus
/// sessions gc`, never during a run: an exported GitHub workflow ships the
/// lines a job appended by their byte offset.
pub fn trim(path: &Path, max_entries: usize, dry_run: bool) -> Result<usize> {
    let Some(text) = fs::read_optional(path)? else {
        return Ok(0);
    };
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let dropped = lines.len().saturating_sub(max_entries);
    if dropped > 0 && !dry_run {
        let mut kept = lines[dropped..].join("\n");
        kept.push('\n');
        fs::write_atomic(path, kept.as_bytes())?;
    }
    Ok(dropped)
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
            id: None,
            recalled: Vec::new(),
        }
    }

    fn settings(window: u32, chars: u32) -> MemorySettings {
        MemorySettings {
            context_window_size: window,
            context_chars: chars,
            ..MemorySettings::default()
        }
    }

    #[test]
    fn a_new_session_gets_a_recap_ranked_by_relevance_then_recency() {
        let mut entries = vec![
            entry(
                "design the database schema",
                "tables users and orders",
                "s1",
            ),
            entry("write the parser", "parser written with tests", "s1"),
            entry("database migration plan", "migrate orders table", "s2"),
        ];
        for (index, entry) in entries.iter_mut().enumerate() {
            entry.id = Some(format!("e{index}"));
        }
        let all = recall(
            &entries,
            "update the orders database schema",
            None,
            &settings(50, 10_000),
        );
        assert_eq!(all.kind, RecallKind::Recap);
        assert_eq!(all.keys, ["e0", "e1", "e2"], "shown oldest first");
        let two = recall(
            &entries,
            "update the orders database schema",
            None,
            &settings(2, 10_000),
        );
        assert_eq!(two.keys, ["e0", "e2"], "the most relevant two");
        assert!(two.text.contains("design the database schema"));
        let small = recall(&entries, "database", None, &settings(50, 10));
        assert_eq!(small, Recall::none(), "the size bound holds");
        let none = MemorySettings {
            retention_policy: crate::state::agent::Retention::None,
            ..MemorySettings::default()
        };
        assert_eq!(recall(&entries, "database", None, &none), Recall::none());
        let newest = MemorySettings {
            max_conversations: 1,
            ..MemorySettings::default()
        };
        assert_eq!(recall(&entries, "database", None, &newest).keys, ["e2"]);
    }

    #[test]
    fn a_resumed_session_gets_only_relevant_entries_it_has_not_seen() {
        let mut entries = vec![
            entry("design the orders schema", "tables", "old"),
            entry("unrelated chat", "hello", "old"),
            // The session was recovered from `old` with a recap of e0.
            entry("now write the orders migration", "done", "s"),
            // Another instance's work since.
            entry("orders index", "added", "other"),
            entry("orders view", "added", "other"),
        ];
        for (index, entry) in entries.iter_mut().enumerate() {
            entry.id = Some(format!("e{index}"));
        }
        entries[2].recalled = vec!["e0".into(), "e1".into()];
        let unseen = recall(
            &entries,
            "check the orders tables",
            Some("s"),
            &settings(50, 10_000),
        );
        assert_eq!(unseen.kind, RecallKind::Unseen);
        assert_eq!(unseen.keys, ["e3", "e4"]);
        // Once recalled into a turn of `s`, they are not recalled again.
        entries[2]
            .recalled
            .extend(["e3".to_string(), "e4".to_string()]);
        let again = recall(
            &entries,
            "check the orders tables",
            Some("s"),
            &settings(50, 10_000),
        );
        assert_eq!(again, Recall::none());
        // Old entries without ids are keyed by session and time.
        let mut old = entry("orders", "x", "a");
        assert!(old.key().starts_with("a@"));
        old.id = Some("k".into());
        assert_eq!(old.key(), "k");
    }

    #[test]
    fn trim_keeps_the_newest_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        for i in 0..10 {
            append(&path, &entry(&format!("question {i}"), "answer", "s")).unwrap();
        }
        assert_eq!(trim(&path, 4, true).unwrap(), 6);
        assert_eq!(
            read(&path).unwrap().0.len(),
            10,
            "a dry run changes nothing"
        );
        assert_eq!(trim(&path, 4, false).unwrap(), 6);
        let (kept, problems) = read(&path).unwrap();
        assert!(problems.is_empty());
        assert_eq!(kept.len(), 4);
        assert_eq!(kept[0].request, "question 6");
        assert_eq!(trim(&path, 4, false).unwrap(), 0);
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
}
