//! `nexus log`: a task's raw agent output (`logs/<plan>/<task>.log`, the
//! Claude CLI's stream-json lines appended per attempt) rendered for people:
//! assistant text, tool uses by name, tool results shortened, API retries,
//! the result line with cost and duration. nexus's own separator lines
//! (`{"type":"nexus_attempt","number":N,"started_at":"…"}`) and the
//! runtime's turn headers (`{"type":"nexus_turn","agent":…,"session_id":…}`)
//! become headers; `nexus_stderr` lines show the CLI's stderr.
//! A line that is not JSON is shown as it is.

use std::time::Duration;

use serde_json::Value;

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

fn millis(value: Option<&Value>) -> Option<String> {
    let ms = value?.as_f64()?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(short_duration(Duration::from_millis(ms.max(0.0) as u64)))
}

/// Renders one line of a transcript.
pub fn render_line(line: &str, ui: &Ui) -> Rendered {
    let trimmed = line.trim();
    if !trimmed.starts_with('{') {
        return Rendered {
            text: line.trim_end_matches(['\n', '\r']).to_string(),
            malformed: false,
        };
    }
    let Ok(event) = serde_json::from_str::<Value>(trimmed) else {
        return Rendered {
            text: line.trim_end_matches(['\n', '\r']).to_string(),
            malformed: true,
        };
    };
    Rendered {
        text: render_event(&event, ui),
        malformed: false,
    }
}

fn render_event(event: &Value, ui: &Ui) -> String {
    let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
    let subtype = event.get("subtype").and_then(Value::as_str).unwrap_or("");
    let field = |name: &str| event.get(name).and_then(Value::as_str).unwrap_or("?");
    match (kind, subtype) {
        ("nexus_attempt", _) => {
            let number = event.get("number").and_then(Value::as_u64).unwrap_or(0);
            ui.paint(
                &format!("── attempt {number} · started {} ──", field("started_at")),
                Tone::Bold,
            )
        }
        ("nexus_turn", _) => {
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
        ("nexus_stderr", _) => {
            ui.paint(&format!("stderr: {}", field("text").trim_end()), Tone::Dim)
        }
        ("system", "init") => ui.paint(
            &format!(
                "session {} · model {} · cwd {}",
                field("session_id"),
                field("model"),
                field("cwd")
            ),
            Tone::Dim,
        ),
        ("system", "api_retry") => {
            let attempt = event.get("attempt").and_then(Value::as_u64).unwrap_or(0);
            let max = event
                .get("max_retries")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let status = event
                .get("error_status")
                .map_or_else(|| "?".to_string(), ToString::to_string);
            let delay = millis(event.get("retry_delay_ms")).unwrap_or_else(|| "?".to_string());
            format!(
                "{} {attempt}/{max}: {} (HTTP {status}), next try in {delay}",
                ui.paint("retry", Tone::Warn),
                field("error")
            )
        }
        ("system", other) => ui.paint(&format!("system: {other}"), Tone::Dim),
        ("assistant", _) => {
            let content = event
                .pointer("/message/content")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut parts = Vec::new();
            for item in &content {
                match item.get("type").and_then(Value::as_str).unwrap_or("") {
                    "text" => parts.push(hanging(
                        &ui.paint("assistant:", Tone::Bold),
                        item.get("text").and_then(Value::as_str).unwrap_or(""),
                    )),
                    "tool_use" => {
                        let name = item.get("name").and_then(Value::as_str).unwrap_or("?");
                        let input = item
                            .get("input")
                            .map_or_else(String::new, ToString::to_string);
                        parts.push(format!(
                            "{} {}",
                            ui.paint(&format!("tool {name}:"), Tone::Accent),
                            shorten(&input, TOOL_INPUT_CHARS)
                        ));
                    }
                    "thinking" => parts.push(ui.paint(
                        &format!(
                            "thinking: {}",
                            shorten(
                                item.get("thinking").and_then(Value::as_str).unwrap_or(""),
                                TOOL_RESULT_CHARS
                            )
                        ),
                        Tone::Dim,
                    )),
                    other => parts.push(format!("assistant {other}")),
                }
            }
            parts.join("\n")
        }
        ("user", _) => {
            let content = event
                .pointer("/message/content")
                .cloned()
                .unwrap_or(Value::Null);
            match content {
                Value::Array(items) => items
                    .iter()
                    .map(|item| {
                        if item.get("type").and_then(Value::as_str) == Some("tool_result") {
                            let failed =
                                item.get("is_error").and_then(Value::as_bool) == Some(true);
                            let head = if failed {
                                ui.paint("  ↳ tool error:", Tone::Bad)
                            } else {
                                ui.paint("  ↳ tool result:", Tone::Dim)
                            };
                            format!(
                                "{head} {}",
                                shorten(
                                    &text_of(item.get("content").unwrap_or(&Value::Null)),
                                    TOOL_RESULT_CHARS
                                )
                            )
                        } else {
                            format!(
                                "user: {}",
                                shorten(
                                    &text_of(item.get("text").unwrap_or(item)),
                                    TOOL_RESULT_CHARS
                                )
                            )
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                other => format!("user: {}", shorten(&text_of(&other), TOOL_RESULT_CHARS)),
            }
        }
        ("result", _) => {
            let failed = event.get("is_error").and_then(Value::as_bool) != Some(false);
            let mut head = if failed {
                match event
                    .get("api_error_status")
                    .filter(|status| !status.is_null())
                {
                    Some(status) => ui.paint(&format!("result: error (API {status})"), Tone::Bad),
                    None => ui.paint(&format!("result: error ({subtype})"), Tone::Bad),
                }
            } else {
                ui.paint("result: success", Tone::Good)
            };
            if let Some(turns) = event.get("num_turns").and_then(Value::as_u64) {
                let noun = if turns == 1 { "turn" } else { "turns" };
                head.push_str(&format!(" · {turns} {noun}"));
            }
            if let Some(duration) = millis(event.get("duration_ms")) {
                head.push_str(&format!(" · {duration}"));
            }
            if let Some(cost) = event.get("total_cost_usd").and_then(Value::as_f64) {
                head.push_str(&format!(" · ${cost:.4}"));
            }
            let input = event.pointer("/usage/input_tokens").and_then(Value::as_u64);
            let output = event
                .pointer("/usage/output_tokens")
                .and_then(Value::as_u64);
            if let (Some(input), Some(output)) = (input, output) {
                head.push_str(&format!(" · {input}/{output} tokens"));
            }
            match event.get("result").and_then(Value::as_str) {
                Some(text) if !text.is_empty() => format!("{head}\n{}", hanging(" ", text)),
                _ => head,
            }
        }
        (other, _) => ui.paint(
            &format!(
                "{}: {}",
                if other.is_empty() { "event" } else { other },
                shorten(&event.to_string(), TOOL_RESULT_CHARS)
            ),
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
            render_line("not json at all\n", &ui),
            Rendered {
                text: "not json at all".into(),
                malformed: false
            }
        );
        let half = render_line("{\"type\":\"assistant\",\"mess", &ui);
        assert!(half.malformed);
        assert_eq!(half.text, "{\"type\":\"assistant\",\"mess");
    }

    #[test]
    fn results_show_outcome_turns_duration_and_cost() {
        let ui = plain();
        let line = r#"{"type":"result","subtype":"success","is_error":false,"duration_ms":445,"num_turns":2,"result":"DONE","total_cost_usd":0.018875,"usage":{"input_tokens":3460,"output_tokens":63}}"#;
        assert_eq!(
            render_line(line, &ui).text,
            "result: success · 2 turns · 445ms · $0.0189 · 3460/63 tokens\n  DONE"
        );
    }
}
