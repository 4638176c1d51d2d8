//! The protocol messages of one or every thread, in order — the original
//! dashboard's "communication flow" — and the exchanges they make up (an
//! assignment and the result that answers it). `nexus messages` lists
//! them, its Mermaid form draws them, and the report and `status PLAN
//! TASK` take each task's latest structured result from them.
//!
//! Readers take no lock; a message file that does not parse is named in
//! `problems` and the others are shown.
//!
//! # The `messages --json` document (schema 1)
//!
//! ```text
//! {
//!   "schema": 1, "generated_at": time, "scope": null | "PLAN" | "THREAD",
//!   "threads": ["p-rel", "ask-code_developer"],
//!   "messages": [{"at", "message_id", "thread", "message_type", "from", "from_instance",
//!                 "to", "to_instance", "task_id", "about", "status", "outcome",
//!                 "response_to", "execution_time_seconds", "file"}],
//!   "problems": [{"file", "error"}]
//! }
//! ```
//!
//! `about` is an assignment's title or a result's summary (else its
//! outcome and reason); `task_id` of a result is its assignment's.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::dashboard::snapshot::Problem;
use crate::state::fs;
use crate::state::message::{Message, MessageStatus, MessageType, NEXUS_PRIME, ResultPayload};
use crate::state::store::Store;
use crate::time::Timestamp;

/// The version of the `messages --json` document.
pub const MESSAGES_SCHEMA: u32 = 1;

/// Messages read from files, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Each message with its file.
    pub messages: Vec<(PathBuf, Message)>,
    /// Files that could not be read.
    pub problems: Vec<Problem>,
}

/// Returns the thread names under `messages/`, sorted.
pub fn threads(store: &Store) -> Result<Vec<String>> {
    Ok(fs::list_dir(&store.messages_dir())?
        .into_iter()
        .filter(|name| store.messages_dir().join(name).is_dir())
        .collect())
}

/// Reads every message of `threads`, oldest first (then by id).
pub fn load(store: &Store, threads: &[String]) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    for thread in threads {
        let dir = store.messages_dir().join(thread);
        for name in fs::list_dir(&dir)? {
            if !name.ends_with(".json") {
                continue;
            }
            let path = dir.join(&name);
            match fs::read_json::<Message>(&path) {
                Ok(message) => loaded.messages.push((path, message)),
                Err(error) => loaded.problems.push(Problem::new(&path, &error)),
            }
        }
    }
    loaded
        .messages
        .sort_by(|(_, a), (_, b)| (a.timestamp, &a.message_id).cmp(&(b.timestamp, &b.message_id)));
    Ok(loaded)
}

/// An assignment and the result that answered it (either may be missing:
/// an assignment still in flight, or one whose turn was restarted; a
/// result whose assignment file is gone).
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The thread.
    pub thread: String,
    /// The task, when the thread is a plan's.
    pub task_id: Option<String>,
    /// The agent that was asked.
    pub agent: String,
    /// Its instance.
    pub instance: Option<u32>,
    /// The assignment's title.
    pub title: String,
    /// Index of the assignment in the messages.
    pub assignment: Option<usize>,
    /// Index of the result in the messages.
    pub result: Option<usize>,
}

impl Exchange {
    /// Returns when it started: the assignment's time, else the result's.
    pub fn start(&self, messages: &[(PathBuf, Message)]) -> Option<Timestamp> {
        self.assignment
            .or(self.result)
            .map(|index| messages[index].1.timestamp)
    }

    /// Returns when it was answered.
    pub fn end(&self, messages: &[(PathBuf, Message)]) -> Option<Timestamp> {
        self.result.map(|index| messages[index].1.timestamp)
    }
}

/// Pairs assignments with their results, in order of the first message.
pub fn exchanges(messages: &[(PathBuf, Message)]) -> Vec<Exchange> {
    let mut out: Vec<Exchange> = Vec::new();
    let mut by_assignment: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, (_, message)) in messages.iter().enumerate() {
        match message.message_type {
            MessageType::TaskAssignment => {
                let task = message.payload.task.as_ref();
                by_assignment.insert(message.message_id.as_str(), out.len());
                out.push(Exchange {
                    thread: message.conversation_thread.clone(),
                    task_id: task.and_then(|task| task.task_id.clone()),
                    agent: message.to.agent_id.clone(),
                    instance: message.to.instance_id,
                    title: task.map(|task| task.title.clone()).unwrap_or_default(),
                    assignment: Some(index),
                    result: None,
                });
            }
            MessageType::TaskResult => {
                let known = message
                    .response_to
                    .as_deref()
                    .and_then(|id| by_assignment.get(id).copied())
                    .filter(|&known| out[known].result.is_none());
                match known {
                    Some(known) => out[known].result = Some(index),
                    None => out.push(Exchange {
                        thread: message.conversation_thread.clone(),
                        task_id: None,
                        agent: message.from.agent_id.clone(),
                        instance: message.from.instance_id,
                        title: String::new(),
                        assignment: None,
                        result: Some(index),
                    }),
                }
            }
            MessageType::StatusUpdate => {}
        }
    }
    out
}

/// One message as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// When it was sent.
    pub at: Timestamp,
    /// Its id.
    pub message_id: String,
    /// Its thread.
    pub thread: String,
    /// `task_assignment`, `task_result` or `status_update`.
    pub message_type: MessageType,
    /// The sender's agent id (`nexus_prime` for the orchestrator).
    pub from: String,
    /// The sender's instance.
    pub from_instance: Option<u32>,
    /// The receiver's agent id.
    pub to: String,
    /// The receiver's instance.
    pub to_instance: Option<u32>,
    /// The task it is about.
    pub task_id: Option<String>,
    /// The assignment's title or the result's summary.
    pub about: String,
    /// `sent`, `completed` or `failed`.
    pub status: MessageStatus,
    /// A result's classified outcome (`success`, `timeout` …).
    pub outcome: Option<String>,
    /// The message it answers.
    pub response_to: Option<String>,
    /// How long the work took.
    pub execution_time_seconds: Option<f64>,
    /// Its file.
    pub file: String,
}

/// The `messages` document.
#[derive(Debug, Clone, Serialize)]
pub struct Flow {
    /// The document's version ([`MESSAGES_SCHEMA`]).
    pub schema: u32,
    /// When it was computed.
    pub generated_at: Timestamp,
    /// The plan or thread given, if any.
    pub scope: Option<String>,
    /// The threads read.
    pub threads: Vec<String>,
    /// Every message, oldest first.
    pub messages: Vec<Entry>,
    /// Files that could not be read.
    pub problems: Vec<Problem>,
}

/// Returns what a result says in one line: its summary, else its outcome
/// and reason.
pub fn result_about(payload: Option<&ResultPayload>) -> String {
    let Some(payload) = payload else {
        return String::new();
    };
    if !payload.summary.trim().is_empty() {
        return payload.summary.clone();
    }
    match &payload.agent_feedback {
        Some(feedback) => match &feedback.reason {
            Some(reason) => format!("{}: {reason}", feedback.outcome),
            None => feedback.outcome.clone(),
        },
        None => String::new(),
    }
}

/// Builds the listing of `loaded` messages.
pub fn build(loaded: &Loaded, scope: Option<&str>, threads: &[String], now: Timestamp) -> Flow {
    let mut task_of: BTreeMap<&str, Option<String>> = BTreeMap::new();
    for (_, message) in &loaded.messages {
        if message.message_type == MessageType::TaskAssignment {
            task_of.insert(
                message.message_id.as_str(),
                message
                    .payload
                    .task
                    .as_ref()
                    .and_then(|task| task.task_id.clone()),
            );
        }
    }
    let messages = loaded
        .messages
        .iter()
        .map(|(path, message)| {
            let result = message.payload.task_result.as_ref();
            let (task_id, about) = match message.message_type {
                MessageType::TaskResult => (
                    message
                        .response_to
                        .as_deref()
                        .and_then(|id| task_of.get(id).cloned().flatten()),
                    result_about(result),
                ),
                _ => {
                    let task = message.payload.task.as_ref();
                    (
                        task.and_then(|task| task.task_id.clone()),
                        task.map(|task| task.title.clone()).unwrap_or_default(),
                    )
                }
            };
            Entry {
                at: message.timestamp,
                message_id: message.message_id.clone(),
                thread: message.conversation_thread.clone(),
                message_type: message.message_type,
                from: message.from.agent_id.clone(),
                from_instance: message.from.instance_id,
                to: message.to.agent_id.clone(),
                to_instance: message.to.instance_id,
                task_id,
                about,
                status: message.status,
                outcome: result
                    .and_then(|result| result.agent_feedback.as_ref())
                    .map(|feedback| feedback.outcome.clone()),
                response_to: message.response_to.clone(),
                execution_time_seconds: message.execution_time_seconds,
                file: path.display().to_string(),
            }
        })
        .collect();
    Flow {
        schema: MESSAGES_SCHEMA,
        generated_at: now,
        scope: scope.map(str::to_string),
        threads: threads.to_vec(),
        messages,
        problems: loaded.problems.clone(),
    }
}

/// A task's latest answer: when it came and what it said.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The result message's id.
    pub message_id: String,
    /// When it came.
    pub at: Timestamp,
    /// The structured payload (ratings, questions …).
    pub payload: ResultPayload,
}

/// Returns each task's latest answer among `loaded` messages.
pub fn answers(loaded: &Loaded) -> BTreeMap<String, Answer> {
    let mut answers = BTreeMap::new();
    for exchange in exchanges(&loaded.messages) {
        let (Some(task_id), Some(index)) = (exchange.task_id, exchange.result) else {
            continue;
        };
        let message = &loaded.messages[index].1;
        if let Some(payload) = &message.payload.task_result {
            answers.insert(
                task_id,
                Answer {
                    message_id: message.message_id.clone(),
                    at: message.timestamp,
                    payload: payload.clone(),
                },
            );
        }
    }
    answers
}

/// Returns each task's latest answer in plan `plan_id`'s thread, and the
/// message files that could not be read.
pub fn latest_answers(
    store: &Store,
    plan_id: &str,
) -> Result<(BTreeMap<String, Answer>, Vec<Problem>)> {
    let loaded = load(store, &[plan_id.to_string()])?;
    Ok((answers(&loaded), loaded.problems))
}

/// Returns a party as shown: its agent id, with `.N` for instance N > 0.
pub fn party_name(agent: &str, instance: Option<u32>) -> String {
    match instance {
        Some(instance) if instance > 0 && agent != NEXUS_PRIME => format!("{agent}.{instance}"),
        _ => agent.to_string(),
    }
}

/// Renders the listing as aligned text: time, (thread,) sender → receiver,
/// kind, task, status and what it is about, one line per message.
pub fn render(flow: &Flow, ui: &crate::ui::Ui) -> String {
    use crate::ui::{Tone, shorten, table};
    if flow.messages.is_empty() {
        return "no messages yet: `nexus run` writes one per assignment and per answer\n"
            .to_string();
    }
    let all_threads = flow.scope.is_none();
    let mut header = vec!["TIME"];
    if all_threads {
        header.push("THREAD");
    }
    header.extend(["FROM", "TO", "KIND", "TASK", "STATUS", "ABOUT"]);
    let mut rows = vec![
        header
            .iter()
            .map(|cell| ui.paint(cell, Tone::Dim))
            .collect::<Vec<_>>(),
    ];
    for entry in &flow.messages {
        let mut row = vec![entry.at.to_string()];
        if all_threads {
            row.push(shorten(&entry.thread, 30));
        }
        let kind = match entry.message_type {
            MessageType::TaskAssignment => "assignment",
            MessageType::TaskResult => "result",
            MessageType::StatusUpdate => "status",
        };
        let status = entry
            .outcome
            .clone()
            .unwrap_or_else(|| entry.status.name().to_string());
        let tone = match entry.status {
            MessageStatus::Completed => Tone::Good,
            MessageStatus::Failed => Tone::Bad,
            MessageStatus::Sent => Tone::Dim,
        };
        row.extend([
            ui.paint(
                &shorten(&party_name(&entry.from, entry.from_instance), 30),
                Tone::Accent,
            ),
            ui.paint(
                &shorten(&party_name(&entry.to, entry.to_instance), 30),
                Tone::Accent,
            ),
            kind.to_string(),
            shorten(entry.task_id.as_deref().unwrap_or("—"), 30),
            ui.paint(&status, tone),
            shorten(&entry.about, 60),
        ]);
        rows.push(row);
    }
    table(&rows)
}
