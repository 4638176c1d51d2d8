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
    /// Calls of unknown cost (not in `cost_usd`).
    #[serde(default, skip_serializing_if = "crate::state::usage::is_zero")]
    pub unpriced_turns: u32,
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
    /// How clear the agent found the task, 1–10 (the original protocol's
    /// `agent_feedback.clarity_rating`).
    #[serde(default)]
    pub clarity_rating: Option<u8>,
    /// How complex the agent found the task, 1–10.
    #[serde(default)]
    pub complexity_rating: Option<u8>,
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
/// The original protocol's shape is read too: the result under
/// `task_result` (deliverables may be an object of named texts) and the
/// ratings and `additional_questions` under `agent_feedback`.
pub fn parse_result_block(reply: &str) -> Option<ResultPayload> {
    let candidate = last_json_block(reply)?;
    let value: serde_json::Value = serde_json::from_str(candidate).ok()?;
    let outer = value.as_object()?;
    let object = match outer
        .get("task_result")
        .and_then(serde_json::Value::as_object)
    {
        Some(inner) if !outer.contains_key("summary") => inner,
        _ => outer,
    };
    let summary = object.get("summary")?.as_str()?.to_string();
    let feedback = outer
        .get("agent_feedback")
        .and_then(serde_json::Value::as_object);
    let field = |key: &str| {
        object
            .get(key)
            .or_else(|| feedback.and_then(|feedback| feedback.get(key)))
    };
    let text = |item: &serde_json::Value| {
        item.as_str()
            .map_or_else(|| item.to_string(), str::to_string)
    };
    let strings = |key: &str| -> Vec<String> {
        match field(key) {
            Some(serde_json::Value::Array(items)) => items.iter().map(text).collect(),
            Some(serde_json::Value::Object(named)) => named
                .iter()
                .map(|(name, item)| format!("{name}: {}", text(item)))
                .collect(),
            Some(serde_json::Value::String(text)) => vec![text.clone()],
            _ => Vec::new(),
        }
    };
    let confidence = field("confidence")
        .or_else(|| field("confidence_score"))
        .and_then(serde_json::Value::as_f64)
        .map(|value| if value > 1.0 { value / 100.0 } else { value })
        .filter(|value| (0.0..=1.0).contains(value));
    Some(ResultPayload {
        summary,
        deliverables: strings("deliverables"),
        recommendations: strings("recommendations"),
        next_steps: strings("next_steps"),
        confidence_score: confidence,
        questions: {
            let mut questions = strings("questions");
            questions.extend(strings("additional_questions"));
            questions
        },
        clarity_rating: field("clarity_rating").and_then(rating),
        complexity_rating: field("complexity_rating").and_then(rating),
        reply: reply.to_string(),
        structured: true,
        agent_feedback: None,
    })
}

/// Reads a 1–10 rating (a number, or a string holding one), rounded; any
/// other value is no rating.
fn rating(value: &serde_json::Value) -> Option<u8> {
    let number = match value {
        serde_json::Value::Number(number) => number.as_f64()?,
        serde_json::Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    let rounded = number.round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (1.0..=10.0).contains(&rounded).then_some(rounded as u8)
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
\"next_steps\" (list), \"confidence\" (0 to 1), \"questions\" (list, empty if none), \
\"clarity_rating\" (1 to 10: how clear the task was to you), \"complexity_rating\" (1 to 10: how hard it was).";

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

    #[test]
    fn ratings_are_read_at_the_top_or_under_agent_feedback() {
        let top = parse_result_block(
            "```json\n{\"summary\": \"s\", \"clarity_rating\": 9, \"complexity_rating\": \"7\"}\n```",
        )
        .unwrap();
        assert_eq!(
            (top.clarity_rating, top.complexity_rating),
            (Some(9), Some(7))
        );
        let nested = parse_result_block(
            "{\"summary\": \"s\", \"questions\": [\"a?\"], \"agent_feedback\": {\"clarity_rating\": 8.6, \"complexity_rating\": 11, \"additional_questions\": [\"b?\"]}}",
        )
        .unwrap();
        assert_eq!(nested.clarity_rating, Some(9));
        assert_eq!(nested.complexity_rating, None, "out of range is no rating");
        assert_eq!(nested.questions, vec!["a?", "b?"]);
        for bad in ["0", "-3", "true", "\"high\"", "null"] {
            let reply = format!("{{\"summary\": \"s\", \"clarity_rating\": {bad}}}");
            assert_eq!(
                parse_result_block(&reply).unwrap().clarity_rating,
                None,
                "{bad}"
            );
        }
        assert!(RESULT_BLOCK_INSTRUCTION.contains("clarity_rating"));
        assert!(RESULT_BLOCK_INSTRUCTION.contains("complexity_rating"));
    }

    #[test]
    fn the_original_protocol_shape_is_read() {
        let reply = r#"{"task_result": {"summary": "Analysed", "confidence_score": 0.95,
            "deliverables": {"security_analysis": "done"}, "next_steps": ["review"]},
            "agent_feedback": {"clarity_rating": 9, "complexity_rating": 7,
            "additional_questions": ["SSO?"]}}"#;
        let payload = parse_result_block(reply).unwrap();
        assert_eq!(payload.summary, "Analysed");
        assert_eq!(payload.deliverables, vec!["security_analysis: done"]);
        assert_eq!(payload.confidence_score, Some(0.95));
        assert_eq!(payload.questions, vec!["SSO?"]);
        assert_eq!(
            (payload.clarity_rating, payload.complexity_rating),
            (Some(9), Some(7))
        );
    }

    #[test]
    fn a_payload_written_before_the_ratings_still_reads() {
        let old = r#"{"summary": "s", "deliverables": [], "recommendations": [], "next_steps": [],
            "confidence_score": 0.5, "questions": [], "reply": "r", "structured": true,
            "agent_feedback": null}"#;
        let payload: ResultPayload = serde_json::from_str(old).unwrap();
        assert_eq!(payload.clarity_rating, None);
        assert_eq!(payload.complexity_rating, None);
    }
}
