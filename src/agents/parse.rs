//! What the backends' parsers share: reading a JSON line, the JSON values
//! in it, and the cap on the answer a turn keeps.

use serde_json::Value;

use crate::agents::backend::{AgentEvent, MAX_REPLY_BYTES, Parsed};

/// Lines longer than this are logged but not parsed (a JSON value that size
/// would take several times its size in memory).
pub const MAX_PARSED_LINE: usize = 64 << 20;

/// Reads one stdout line of a CLI that prints a JSON object a line: an
/// object becomes the events `events` makes of it; other text is
/// [`Parsed::Text`]; an object cut off (or too long to parse) is
/// [`Parsed::Malformed`].
pub fn json_line(line: &str, events: impl FnOnce(Value) -> Vec<AgentEvent>) -> Parsed {
    let trimmed = line.trim();
    if trimmed.len() > MAX_PARSED_LINE {
        return Parsed::Malformed;
    }
    if !trimmed.starts_with('{') {
        return Parsed::Text;
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(value) if value.is_object() => Parsed::Events(events(value)),
        _ => Parsed::Malformed,
    }
}

/// Returns `reply` cut to [`MAX_REPLY_BYTES`] (on a character boundary),
/// with a note saying so when it was longer.
pub fn capped(mut reply: String) -> String {
    if reply.len() > MAX_REPLY_BYTES {
        let mut cut = MAX_REPLY_BYTES;
        while !reply.is_char_boundary(cut) {
            cut -= 1;
        }
        reply.truncate(cut);
        reply.push_str("\n[…answer truncated by nexus; the whole answer is in the task's log]");
    }
    reply
}

/// Returns the string at `pointer` in `value`.
pub fn string_at(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Returns the number at `pointer` in `value`, 0 when there is none.
pub fn u64_at(value: &Value, pointer: &str) -> u64 {
    value.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

/// Returns the event of a line whose type (`kind`, `event` when it has
/// none) the backend does not know.
pub fn unknown(kind: &str, event: &Value) -> AgentEvent {
    AgentEvent::Other {
        kind: if kind.is_empty() { "event" } else { kind }.to_string(),
        raw: event.to_string(),
    }
}
