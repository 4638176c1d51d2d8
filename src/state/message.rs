//! `messages/<thread>/<message_id>.json`: the original JSON protocol. Every
//! assignment and every result is one file, written once.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::state::fs::{self, Versioned};
use crate::state::store::Store;
use crate::time::Timestamp;

/// The protocol version written in every message.
pub const PROTOCOL_VERSION: &str = "1.0";

/// The orchestrator's own id in `from`/`to`.
pub const NEXUS_PRIME: &str = "nexus_prime";

/// One side of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    /// Agent id (`nexus_prime` for the orchestrator).
    pub agent_id: String,
    /// Agent type (its role; `orchestrator` for nexus_prime).
    pub agent_type: String,
    /// Instance of the agent.
    #[serde(default)]
    pub instance_id: Option<u32>,
    /// Session the message went to or came from.
    #[serde(default)]
    pub session_id: Option<String>,
}

impl Party {
    /// Returns the orchestrator as a party.
    pub fn nexus_prime() -> Self {
        Party {
            agent_id: NEXUS_PRIME.into(),
            agent_type: "orchestrator".into(),
            instance_id: None,
            session_id: None,
        }
    }
}

/// A task handed to an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPayload {
    /// Plan id (none for `ask`).
    #[serde(default)]
    pub plan_id: Option<String>,
    /// Task id (none for `ask`).
    #[serde(default)]
    pub task_id: Option<String>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Task type.
    #[serde(default)]
    pub task_type: Option<String>,
    /// Requirements (acceptance criteria).
    #[serde(default)]
    pub requirements: Vec<String>,
    /// Expected output.
    #[serde(default)]
    pub expected_output: Option<String>,
    /// Context passed along.
    #[serde(default)]
    pub context: BTreeMap<String, String>,
    /// The full prompt sent.
    pub prompt: String,
}

/// How the agent's turn went, from nexus's side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentFeedback {
    /// Classified outcome.
    pub outcome: String,
    /// Why it failed.
    #[serde(default)]
    pub reason: Option<String>,
    /// Cost in USD.
    pub cost_usd: f64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Agent turns.
    pub turns: u32,
    /// Denied tools.
    #[serde(default)]
    pub permission_denials: Vec<String>,
    /// The CLI version.
    #[serde(default)]
    pub cli_version: Option<String>,
}

/// An agent's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ResultPayload {
    /// Summary (from the agent's JSON block, else the reply's start).
    pub summary: String,
    /// Deliverables.
    #[serde(default)]
    pub deliverables: Vec<String>,
    /// Recommendations.
    #[serde(default)]
    pub recommendations: Vec<String>,
    /// Next steps.
    #[serde(default)]
    pub next_steps: Vec<String>,
    /// Confidence 0–1.
    #[serde(default)]
    pub confidence_score: Option<f64>,
    /// Questions for the team.
    #[serde(default)]
    pub questions: Vec<String>,
    /// The agent's whole reply.
    pub reply: String,
    /// Whether the reply ended with the structured JSON block.
    #[serde(default)]
    pub structured: bool,
    /// nexus's view of the turn.
    #[serde(default)]
    pub agent_feedback: Option<AgentFeedback>,
}

/// The payload: a task or a task result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Payload {
    /// For `task_assignment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<TaskPayload>,
    /// For `task_result`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_result: Option<ResultPayload>,
}

/// What a message is, as in the original protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    /// NEXUS Prime hands an agent a task (or an `ask` message).
    TaskAssignment,
    /// An agent answers an assignment.
    TaskResult,
    /// A progress note.
    StatusUpdate,
}

impl MessageType {
    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::TaskAssignment => "task_assignment",
            MessageType::TaskResult => "task_result",
            MessageType::StatusUpdate => "status_update",
        }
    }
}

/// Where an exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// An assignment was sent.
    Sent,
    /// The work was done.
    Completed,
    /// The work failed.
    Failed,
}

impl MessageStatus {
    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            MessageStatus::Sent => "sent",
            MessageStatus::Completed => "completed",
            MessageStatus::Failed => "failed",
        }
    }
}

/// One protocol message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Schema version.
    pub schema: u32,
    /// `msg_YYYYMMDD_HHMMSS_xxxxxx`.
    pub message_id: String,
    /// When it was sent.
    pub timestamp: Timestamp,
    /// Protocol version.
    pub protocol_version: String,
    /// Sender.
    pub from: Party,
    /// Receiver.
    pub to: Party,
    /// What the message is.
    pub message_type: MessageType,
    /// Priority.
    pub priority: String,
    /// The payload.
    pub payload: Payload,
    /// The message this answers.
    #[serde(default)]
    pub response_to: Option<String>,
    /// Whether an answer is expected.
    pub response_expected: bool,
    /// How long the answer may take.
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
    /// The thread (a plan id, or `ask-<agent>`).
    pub conversation_thread: String,
    /// Where the exchange stands.
    pub status: MessageStatus,
    /// How long the work took.
    #[serde(default)]
    pub execution_time_seconds: Option<f64>,
}

impl Versioned for Message {
    const SCHEMA: u32 = 1;
    const WHAT: &'static str = "message";
}

/// Returns the path a message goes to, `messages/<thread>/<id>.json`,
/// drawing a new id if (improbably) that file exists.
pub fn prepare(store: &Store, message: &mut Message) -> std::path::PathBuf {
    let dir = store.messages_dir().join(&message.conversation_thread);
    let mut path = dir.join(format!("{}.json", message.message_id));
    while path.exists() {
        message.message_id = crate::ids::message_id(message.timestamp);
        path = dir.join(format!("{}.json", message.message_id));
    }
    path
}

/// Writes a message (see [`prepare`]); returns the id used.
pub fn write(store: &Store, message: &mut Message) -> Result<String> {
    let path = prepare(store, message);
    fs::write_json(&path, message)?;
    Ok(message.message_id.clone())
}

/// Reads every message of a thread, oldest first.
pub fn read_thread(store: &Store, thread: &str) -> Result<Vec<Message>> {
    let dir = store.messages_dir().join(thread);
    let mut messages = Vec::new();
    for name in fs::list_dir(&dir)? {
        if name.ends_with(".json") {
            messages.push(fs::read_json::<Message>(&dir.join(name))?);
        }
    }
    messages.sort_by(|a, b| {
        a.timestamp
            .cmp(&b.timestamp)
            .then(a.message_id.cmp(&b.message_id))
    });
    Ok(messages)
}

/// Extracts the structured block an agent is asked to end with: the last
/// fenced ```json block (or a bare trailing `{…}`) holding a `summary`.
pub fn parse_result_block(reply: &str) -> Option<ResultPayload> {
    let candidate = last_json_block(reply)?;
    let value: serde_json::Value = serde_json::from_str(candidate).ok()?;
    let object = value.as_object()?;
    let summary = object.get("summary")?.as_str()?.to_string();
    let strings = |key: &str| -> Vec<String> {
        match object.get(key) {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_string)
                })
                .collect(),
            Some(serde_json::Value::String(text)) => vec![text.clone()],
            _ => Vec::new(),
        }
    };
    let confidence = object
        .get("confidence")
        .or_else(|| object.get("confidence_score"))
        .and_then(serde_json::Value::as_f64)
        .map(|value| if value > 1.0 { value / 100.0 } else { value })
        .filter(|value| (0.0..=1.0).contains(value));
    Some(ResultPayload {
        summary,
        deliverables: strings("deliverables"),
        recommendations: strings("recommendations"),
        next_steps: strings("next_steps"),
        confidence_score: confidence,
        questions: strings("questions"),
        reply: reply.to_string(),
        structured: true,
        agent_feedback: None,
    })
}

fn last_json_block(reply: &str) -> Option<&str> {
    if let Some(start) = reply.rfind("```json") {
        let body = &reply[start + "```json".len()..];
        let end = body.find("```")?;
        return Some(body[..end].trim());
    }
    let trimmed = reply.trim_end();
    if trimmed.ends_with('}') {
        // A bare trailing object: walk back to its opening brace.
        let mut depth = 0i32;
        for (index, c) in trimmed.char_indices().rev() {
            match c {
                '}' => depth += 1,
                '{' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&trimmed[index..]);
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// Returns the result payload for a reply: the structured block when the
/// agent gave one, else the reply's first paragraph as the summary.
pub fn result_payload(reply: &str) -> ResultPayload {
    parse_result_block(reply).unwrap_or_else(|| ResultPayload {
        summary: crate::ui::shorten(reply.split("\n\n").next().unwrap_or(reply), 300),
        reply: reply.to_string(),
        ..ResultPayload::default()
    })
}

/// The instruction appended to every prompt asking for the JSON block.
pub const RESULT_BLOCK_INSTRUCTION: &str = "\
When you are done, end your answer with a fenced ```json block holding an object with these keys: \
\"summary\" (one or two sentences), \"deliverables\" (list of files or artefacts), \"recommendations\" (list), \
\"next_steps\" (list), \"confidence\" (0 to 1), \"questions\" (list, empty if none).";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fenced_block_at_the_end_is_parsed() {
        let reply = "I did it.\n\n```json\n{\"summary\": \"Added the flag\", \"deliverables\": [\"src/a.rs\"], \"confidence\": 0.8, \"questions\": []}\n```\n";
        let payload = parse_result_block(reply).unwrap();
        assert_eq!(payload.summary, "Added the flag");
        assert_eq!(payload.deliverables, vec!["src/a.rs"]);
        assert_eq!(payload.confidence_score, Some(0.8));
        assert!(payload.structured);
    }

    #[test]
    fn a_bare_trailing_object_is_parsed_and_plain_text_still_works() {
        let payload =
            parse_result_block("done {\"summary\": \"ok\", \"next_steps\": \"ship\"}").unwrap();
        assert_eq!(payload.next_steps, vec!["ship"]);
        assert!(parse_result_block("just text").is_none());
        let plain = result_payload("First paragraph.\n\nSecond.");
        assert_eq!(plain.summary, "First paragraph.");
        assert!(!plain.structured);
        assert!(parse_result_block("```json\n{\"no_summary\": 1}\n```").is_none());
        assert!(parse_result_block("```json\n{broken\n```").is_none());
    }
}
