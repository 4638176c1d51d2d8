//! Claude Code's output: `stream-json` lines (or the one JSON object of
//! `--output-format json`) as normalized events, and the classification of
//! a turn's end from its `result` object, exit and stderr (see the
//! backend's module docs for what the CLI was seen to do).

use serde_json::Value;

use crate::agents::backend::{
    AgentEvent, Exit, Outcome, Parsed, TurnOutput, TurnParser, stopped_outcome,
};
use crate::agents::parse::{self, string_at, u64_at};
use crate::agents::verdict::{self, Verdict};
use crate::state::usage::{TokenCounts, Usage};

/// Lines on stderr that are the CLI's own argument errors (exit 1, nothing
/// on stdout): trying again cannot help. Any other stderr-only failure is a
/// crash, which may be retried.
const ARGUMENT_ERRORS: &[&str] = &[
    "error: unknown option",
    "error: option '",
    "error: missing required argument",
    "error: too many arguments",
    "Error: Invalid session ID",
    "Error: --session-id can only be used",
    "Error: When using --print",
    "Error: --resume requires",
    "Error: Input must be provided",
    "cannot be used with root/sudo privileges",
];

/// The state of one turn's output: what the classification needs.
#[derive(Default)]
pub(super) struct Parser {
    session_id: Option<String>,
    version: Option<String>,
    model: Option<String>,
    result: Option<Value>,
    any_json: bool,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item.get("text").and_then(Value::as_str) {
                Some(text) => text.to_string(),
                None => item.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Returns the usage a `result` object reports.
fn usage_of(result: &Value) -> Usage {
    Usage {
        cost_usd: result
            .get("total_cost_usd")
            .and_then(Value::as_f64)
            .unwrap_or(0.0),
        input_tokens: u64_at(result, "/usage/input_tokens")
            + u64_at(result, "/usage/cache_creation_input_tokens")
            + u64_at(result, "/usage/cache_read_input_tokens"),
        output_tokens: u64_at(result, "/usage/output_tokens"),
        turns: u32::try_from(u64_at(result, "/num_turns")).unwrap_or(u32::MAX),
        unpriced_turns: 0,
    }
}

/// Returns the token counts a `result` object reports, split for pricing.
fn tokens_of(result: &Value) -> TokenCounts {
    let cached_input = u64_at(result, "/usage/cache_read_input_tokens");
    let cache_write_input = u64_at(result, "/usage/cache_creation_input_tokens");
    TokenCounts {
        input: u64_at(result, "/usage/input_tokens") + cached_input + cache_write_input,
        cached_input,
        cache_write_input,
        output: u64_at(result, "/usage/output_tokens"),
    }
}

/// Returns the `errors` of a result, joined.
fn errors_of(result: &Value) -> Option<String> {
    result
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|text| !text.is_empty())
}

fn denials_of(result: &Value) -> Vec<String> {
    result
        .get("permission_denials")
        .and_then(Value::as_array)
        .map(|denials| {
            denials
                .iter()
                .map(|denial| {
                    denial
                        .get("tool_name")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown tool")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Returns the events of one parsed stream-json object.
fn events_of(event: &Value) -> Vec<AgentEvent> {
    let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
    let subtype = event.get("subtype").and_then(Value::as_str).unwrap_or("");
    let string = |name: &str| event.get(name).and_then(Value::as_str).map(str::to_string);
    match (kind, subtype) {
        ("system", "init") => vec![AgentEvent::Init {
            session_id: string("session_id"),
            model: string("model"),
            cwd: string("cwd"),
            version: string("claude_code_version"),
        }],
        ("system", "api_retry") => vec![AgentEvent::Retry {
            attempt: event.get("attempt").and_then(Value::as_u64),
            max: event.get("max_retries").and_then(Value::as_u64),
            status: event
                .get("error_status")
                .filter(|status| !status.is_null())
                .map(ToString::to_string),
            delay_ms: event
                .get("retry_delay_ms")
                .and_then(Value::as_f64)
                .map(|ms| {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let ms = ms.max(0.0) as u64;
                    ms
                }),
            error: string("error").unwrap_or_else(|| "?".to_string()),
        }],
        ("system", other) => vec![AgentEvent::System(other.to_string())],
        ("assistant", _) => event
            .pointer("/message/content")
            .and_then(Value::as_array)
            .map(|content| {
                content
                    .iter()
                    .map(|item| {
                        let field = |name: &str| {
                            item.get(name)
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string()
                        };
                        match item.get("type").and_then(Value::as_str).unwrap_or("") {
                            "text" => AgentEvent::Text(field("text")),
                            "thinking" => AgentEvent::Thinking(field("thinking")),
                            "tool_use" => AgentEvent::ToolUse {
                                name: item
                                    .get("name")
                                    .and_then(Value::as_str)
                                    .unwrap_or("?")
                                    .to_string(),
                                input: item.get("input").map_or_else(String::new, Value::to_string),
                            },
                            other => AgentEvent::Other {
                                kind: format!("assistant {other}"),
                                raw: item.to_string(),
                            },
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        ("user", _) => match event.pointer("/message/content") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    if item.get("type").and_then(Value::as_str) == Some("tool_result") {
                        AgentEvent::ToolResult {
                            text: text_of(item.get("content").unwrap_or(&Value::Null)),
                            is_error: item.get("is_error").and_then(Value::as_bool) == Some(true),
                        }
                    } else {
                        AgentEvent::UserText(text_of(item.get("text").unwrap_or(item)))
                    }
                })
                .collect(),
            Some(other) => vec![AgentEvent::UserText(text_of(other))],
            None => vec![AgentEvent::UserText(String::new())],
        },
        ("result", _) => {
            let mut events: Vec<AgentEvent> = denials_of(event)
                .into_iter()
                .map(AgentEvent::PermissionDenied)
                .collect();
            let success = event.get("is_error").and_then(Value::as_bool) == Some(false);
            events.push(AgentEvent::Result {
                success,
                api_status: event.get("api_error_status").and_then(Value::as_u64),
                kind: subtype.to_string(),
                usage: Some(usage_of(event)),
                duration_ms: event.get("duration_ms").and_then(Value::as_u64),
                text: string("result").or_else(|| errors_of(event)),
            });
            events
        }
        (other, _) => vec![parse::unknown(other, event)],
    }
}

impl Parser {
    fn consider(&mut self, value: Value) -> Vec<AgentEvent> {
        self.any_json = true;
        let events = events_of(&value);
        for event in &events {
            if let AgentEvent::Init {
                session_id,
                version,
                model,
                ..
            } = event
            {
                self.session_id.clone_from(session_id);
                self.version.clone_from(version);
                self.model.clone_from(model);
            }
        }
        if value.get("type").and_then(Value::as_str) == Some("result") {
            self.result = Some(value);
        }
        events
    }
}

impl TurnParser for Parser {
    fn line(&mut self, line: &str) -> Parsed {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && trimmed.len() <= parse::MAX_PARSED_LINE {
            // `--output-format json --verbose` prints one array of messages.
            return match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::Array(items)) => Parsed::Events(
                    items
                        .into_iter()
                        .flat_map(|item| self.consider(item))
                        .collect(),
                ),
                _ => Parsed::Malformed,
            };
        }
        parse::json_line(trimmed, |value| self.consider(value))
    }

    fn finish(self: Box<Self>, exit: &Exit) -> TurnOutput {
        let mut output = TurnOutput::from_exit(exit);
        output.session_id = self.session_id.clone();
        output.cli_version = self.version.clone();
        output.model = self.model.clone();
        if let Some(result) = &self.result {
            output.reply = parse::capped(string_at(result, "/result").unwrap_or_default());
            if let Some(session) = result.get("session_id").and_then(Value::as_str) {
                output.session_id = Some(session.to_string());
            }
            output.usage = usage_of(result);
            output.tokens = tokens_of(result);
            output.reported_cost = result.get("total_cost_usd").and_then(Value::as_f64);
            output.api_error_status = result
                .get("api_error_status")
                .and_then(Value::as_u64)
                .and_then(|status| u16::try_from(status).ok());
            output.permission_denials = denials_of(result);
        }
        let (outcome, reason) = classify(exit, self.result.as_ref(), self.any_json, &output);
        output.outcome = outcome;
        output.reason = reason;
        output
    }
}

fn classify(exit: &Exit, result: Option<&Value>, any_json: bool, output: &TurnOutput) -> Verdict {
    if let Some((outcome, reason)) = stopped_outcome(exit) {
        return (outcome, Some(reason));
    }
    let first_stderr_line = exit.first_stderr_line();
    if let Some(result) = result {
        let subtype = result
            .get("subtype")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let errors = errors_of(result);
        if subtype == "error_max_turns" {
            return (
                Outcome::MaxTurns,
                Some(errors.unwrap_or_else(|| {
                    format!("reached the turn limit after {} turns", output.usage.turns)
                })),
            );
        }
        if subtype == "error_max_budget_usd" {
            return (
                Outcome::BudgetExceeded,
                Some(errors.unwrap_or_else(|| "reached the budget limit".into())),
            );
        }
        // `--resume` of an unknown session in stream-json mode is a result,
        // not just a stderr line (`d_resume_unknown_uuid_stream_json.jsonl`):
        // it must lead to recovery, not pass for an API error.
        if let Some(text) = errors
            .as_deref()
            .filter(|text| text.contains("No conversation found"))
        {
            return (Outcome::SessionNotFound, Some(text.to_string()));
        }
        if result
            .get("is_error")
            .and_then(Value::as_bool)
            .unwrap_or(true)
        {
            let message = if output.reply.is_empty() {
                errors.unwrap_or_else(|| subtype.to_string())
            } else {
                output.reply.clone()
            };
            if output.api_error_status.is_none() && message.contains("Not logged in") {
                return (
                    Outcome::AuthFailed,
                    Some(format!(
                        "{}; set `ANTHROPIC_API_KEY` (listed in the child's environment) or log in with `claude`",
                        crate::ui::shorten(&message, 200)
                    )),
                );
            }
            return verdict::api_error(output.api_error_status, &message);
        }
        return verdict::success_unless(
            exit,
            "a successful result",
            verdict::denied(
                "tools denied by the permission settings",
                &output.permission_denials,
                ", ",
            ),
        );
    }
    if let Some(signal) = exit.signal {
        return verdict::killed(signal);
    }
    if first_stderr_line.contains("No conversation found") {
        return (Outcome::SessionNotFound, Some(first_stderr_line));
    }
    if first_stderr_line.contains("is already in use") {
        return (Outcome::SessionInUse, Some(first_stderr_line));
    }
    if !any_json && exit.stdout_tail.trim().is_empty() {
        if exit.code == Some(1)
            && ARGUMENT_ERRORS
                .iter()
                .any(|known| first_stderr_line.contains(known))
        {
            return (Outcome::BadArguments, Some(first_stderr_line));
        }
        return verdict::crashed(exit, "with no output", &first_stderr_line);
    }
    if any_json && exit.code.is_some_and(|code| code != 0) {
        // The stream started (`system/init`) and the CLI died before its
        // `result`: a crash, not unreadable output.
        return verdict::crashed(exit, "before a `result`", &first_stderr_line);
    }
    let what = if any_json {
        "no `result` object in the output"
    } else {
        "output is not JSON"
    };
    verdict::invalid_output(what, exit)
}
