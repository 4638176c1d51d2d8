//! `nexus log`: a task's raw agent output (`logs/<plan>/<task>.log`, the
//! agent CLI's own lines appended per turn) rendered for people from the
//! backend's normalized events: assistant text, tool uses by name, tool
//! results shortened, API retries, denied tools, the result line with cost
//! and duration. nexus's own separator lines
//! (`{"type":"nexus_attempt","number":N,"started_at":"…"}`) and the
//! runtime's turn headers (`{"type":"nexus_turn","agent":…,"session_id":…}`)
//! become headers; `nexus_stderr` lines show the CLI's stderr.
//! A line that is not JSON is shown as it is.

use std::time::Duration;

use serde_json::Value;

use crate::agents::backend::{AgentEvent, Backend, Parsed, TurnParser};
use crate::time::short_duration;
use crate::ui::{Tone, Ui, shorten};

/// How much of a tool's input is shown.
pub const TOOL_INPUT_CHARS: usize = 120;
/// How much of a tool's result is shown.
pub const TOOL_RESULT_CHARS: usize = 160;

/// One rendered transcript line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The text (possibly several lines, no trailing newline); empty when the
    /// line shows nothing.
    pub text: String,
    /// Whether the line looked like JSON but did not parse (half-written or
    /// corrupt); it is shown as it is.
    pub malformed: bool,
}

fn hanging(prefix: &str, text: &str) -> String {
    let pad = " ".repeat(crate::ui::visible_width(prefix) + 1);
    let mut out = String::new();
    for (index, line) in text.trim_end().lines().enumerate() {
        if index == 0 {
            out.push_str(&format!("{prefix} {line}"));
        } else {
            out.push_str(&format!("\n{pad}{line}"));
        }
    }
    if out.is_empty() {
        out.push_str(prefix);
    }
    out
}

/// Renders a transcript line by line: nexus's own lines itself, the agent
/// CLI's through its backend's parser (chosen by each turn's header, Claude
/// Code before any header), as normalized events.
pub struct Transcript {
    parser: Box<dyn TurnParser>,
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript {
            parser: default_backend().parser(&crate::agents::backend::TurnContext::default()),
        }
    }
}

fn default_backend() -> &'static dyn Backend {
    crate::agents::BACKENDS[0]
}

impl Transcript {
    /// Renders one line of a transcript.
    pub fn render_line(&mut self, line: &str, ui: &Ui) -> Rendered {
        let trimmed = line.trim();
        let plain = || Rendered {
            text: line.trim_end_matches(['\n', '\r']).to_string(),
            malformed: false,
        };
        // nexus's own lines: the runtime writes its turn header with sorted
        // keys, so `type` need not come first.
        if trimmed.starts_with('{')
            && trimmed.contains("\"type\":\"nexus_")
            && let Ok(event) = serde_json::from_str::<Value>(trimmed)
            && event
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind.starts_with("nexus_"))
        {
            if event.get("type").and_then(Value::as_str) == Some("nexus_turn") {
                let backend = event
                    .get("backend")
                    .and_then(Value::as_str)
                    .and_then(crate::agents::backend_named)
                    .unwrap_or_else(default_backend);
                self.parser = backend.parser(&crate::agents::backend::TurnContext::default());
            }
            return Rendered {
                text: render_nexus(&event, ui),
                malformed: false,
            };
        }
        match self.parser.line(line) {
            Parsed::Text => plain(),
            Parsed::Malformed => Rendered {
                malformed: true,
                ..plain()
            },
            Parsed::Events(events) => Rendered {
                text: events
                    .iter()
                    .map(|event| render_event(event, ui))
                    .filter(|text| !text.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n"),
                malformed: false,
            },
        }
    }
}

/// Renders nexus's own lines: attempt separators, turn headers, the CLI's
/// stderr and the note of a truncated log.
fn render_nexus(event: &Value, ui: &Ui) -> String {
    let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
    let field = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or("?");
    match kind {
        "nexus_attempt" => {
            let number = event.get("number").and_then(Value::as_u64).unwrap_or(0);
            ui.paint(
                &format!("── attempt {number} · started {} ──", field("started_at")),
                Tone::Bold,
            )
        }
        "nexus_turn" => {
            let how = if event
                .get("resume")
                .and_then(Value::as_bool)
                .unwrap_or(false)
            {
                "resumed"
            } else {
                "new"
            };
            ui.paint(
                &format!(
                    "── turn · {} · {how} session {} · started {} ──",
                    field("agent"),
                    field("session_id"),
                    field("started_at")
                ),
                Tone::Bold,
            )
        }
        "nexus_stderr" => ui.paint(&format!("stderr: {}", field("text").trim_end()), Tone::Dim),
        "nexus_truncated" => ui.paint(
            &format!(
                "[{} more lines not logged: the log of one turn is capped at {} bytes]",
                event
                    .get("dropped_lines")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
                event
                    .get("limit_bytes")
                    .and_then(Value::as_u64)
                    .unwrap_or(0)
            ),
            Tone::Warn,
        ),
        other => ui.paint(
            &format!(
                "{other}: {}",
                shorten(&event.to_string(), TOOL_RESULT_CHARS)
            ),
            Tone::Dim,
        ),
    }
}

/// Renders one agent event.
fn render_event(event: &AgentEvent, ui: &Ui) -> String {
    let or_unknown = |value: &Option<String>| value.clone().unwrap_or_else(|| "?".to_string());
    match event {
        AgentEvent::Init {
            session_id,
            model,
            cwd,
            ..
        } => ui.paint(
            &format!(
                "session {} · model {} · cwd {}",
                or_unknown(session_id),
                or_unknown(model),
                or_unknown(cwd)
            ),
            Tone::Dim,
        ),
        AgentEvent::Retry {
            attempt,
            max,
            status,
            delay_ms,
            error,
        } => {
            let delay = delay_ms
                .map(|ms| short_duration(Duration::from_millis(ms)))
                .unwrap_or_else(|| "?".to_string());
            format!(
                "{} {}/{}: {error} (HTTP {}), next try in {delay}",
                ui.paint("retry", Tone::Warn),
                attempt.unwrap_or(0),
                max.unwrap_or(0),
                status.clone().unwrap_or_else(|| "?".to_string()),
            )
        }
        AgentEvent::System(subtype) => ui.paint(&format!("system: {subtype}"), Tone::Dim),
        AgentEvent::Text(text) => hanging(&ui.paint("assistant:", Tone::Bold), text),
        AgentEvent::Thinking(text) => ui.paint(
            &format!("thinking: {}", shorten(text, TOOL_RESULT_CHARS)),
            Tone::Dim,
        ),
        AgentEvent::ToolUse { name, input } => format!(
            "{} {}",
            ui.paint(&format!("tool {name}:"), Tone::Accent),
            shorten(input, TOOL_INPUT_CHARS)
        ),
        AgentEvent::ToolResult { text, is_error } => {
            let head = if *is_error {
                ui.paint("  ↳ tool error:", Tone::Bad)
            } else {
                ui.paint("  ↳ tool result:", Tone::Dim)
            };
            format!("{head} {}", shorten(text, TOOL_RESULT_CHARS))
        }
        AgentEvent::UserText(text) => format!("user: {}", shorten(text, TOOL_RESULT_CHARS)),
        AgentEvent::PermissionDenied(tool) => ui.paint(
            &format!("denied: {tool} (not allowed by the permission settings)"),
            Tone::Warn,
        ),
        AgentEvent::Result {
            success,
            api_status,
            kind,
            usage,
            duration_ms,
            text,
        } => {
            let mut head = if *success {
                ui.paint("result: success", Tone::Good)
            } else {
                match api_status {
                    Some(status) => ui.paint(&format!("result: error (API {status})"), Tone::Bad),
                    None => ui.paint(&format!("result: error ({kind})"), Tone::Bad),
                }
            };
            if let Some(usage) = usage.filter(|usage| usage.turns > 0) {
                let noun = if usage.turns == 1 { "turn" } else { "turns" };
                head.push_str(&format!(" · {} {noun}", usage.turns));
            }
            if let Some(ms) = duration_ms {
                head.push_str(&format!(
                    " · {}",
                    short_duration(Duration::from_millis(*ms))
                ));
            }
            if let Some(usage) = usage {
                head.push_str(&format!(" · {}", usage.cost_text()));
                head.push_str(&format!(
                    " · {}/{} tokens",
                    usage.input_tokens, usage.output_tokens
                ));
            }
            match text {
                Some(text) if !text.is_empty() => format!("{head}\n{}", hanging(" ", text)),
                _ => head,
            }
        }
        AgentEvent::Error(message) => ui.paint(&format!("error: {message}"), Tone::Bad),
        AgentEvent::Other { kind, raw } => ui.paint(
            &format!("{kind}: {}", shorten(raw, TOOL_RESULT_CHARS)),
            Tone::Dim,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::ColorChoice;

    fn plain() -> Ui {
        Ui::new(false, false, ColorChoice::Never, true)
    }

    #[test]
    fn plain_lines_and_broken_json_pass_through() {
        let ui = plain();
        assert_eq!(
            Transcript::default().render_line("not json at all\n", &ui),
            Rendered {
                text: "not json at all".into(),
                malformed: false
            }
        );
        let half = Transcript::default().render_line("{\"type\":\"assistant\",\"mess", &ui);
        assert!(half.malformed);
        assert_eq!(half.text, "{\"type\":\"assistant\",\"mess");
    }

    #[test]
    fn results_show_outcome_turns_duration_and_cost() {
        let ui = plain();
        let line = r#"{"type":"result","subtype":"success","is_error":false,"duration_ms":445,"num_turns":2,"result":"DONE","total_cost_usd":0.018875,"usage":{"input_tokens":3460,"output_tokens":63}}"#;
        assert_eq!(
            Transcript::default().render_line(line, &ui).text,
            "result: success · 2 turns · 445ms · $0.0189 · 3460/63 tokens\n  DONE"
        );
    }
}
