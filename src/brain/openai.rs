//! The `openai` planner's client: one Chat Completions call to any
//! OpenAI-compatible server, with ureq (sync), per OPENAI_API.md.
//!
//! - ureq is built with `http_status_as_error(false)` so error statuses keep
//!   their headers and body, and with connect and global timeouts always set
//!   (ureq sets none by default).
//! - Retries: 408, 409, 429 (except `insufficient_quota`, which never
//!   succeeds), 5xx, connection errors and timeouts, up to `max_retries`,
//!   honouring `retry-after-ms` / `retry-after`, else exponential backoff
//!   `min(0.5·2ⁿ, 8) s` with up to 25 % jitter, as the official SDKs do. A
//!   requested wait longer than `max_retry_wait` fails at once saying how
//!   long. 400/401/403/404 are never retried.
//! - Error bodies are parsed loosely (envelope, flat, string, integer code,
//!   HTML) and every failure names the server, the status and the message.
//! - A 2xx answer is checked in the documented order: choices →
//!   `finish_reason` → refusal → content. A cut-off answer (`length`) is
//!   returned as [`Answer::Truncated`]: the server worked, the plan did not,
//!   so the planner gives it the repair round and, failing that, exit 7.

use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use crate::exit::{Kind, tagged, tagged_hint};
use crate::time::short_duration;

/// Where and how to call the server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL including `/v1`.
    pub base_url: String,
    /// The API key, when its variable is set.
    pub api_key: Option<String>,
    /// The name of the key's environment variable, for hints.
    pub key_env: String,
    /// The model, for hints.
    pub model: String,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Retries after retryable failures.
    pub max_retries: u32,
    /// The longest server-requested wait that is honoured.
    pub max_retry_wait: Duration,
}

/// One raw answer (or transport failure), kept for `logs/brain/`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RawAnswer {
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    /// The body, or the transport error.
    pub body: String,
}

/// A 2xx answer that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The message content.
    Content(String),
    /// `finish_reason` was `length`: the content (maybe empty) is cut off.
    /// The planner treats it as an invalid plan, so the repair round can ask
    /// for a shorter one.
    Truncated(String),
}

/// The client.
#[derive(Debug)]
pub struct Client {
    agent: ureq::Agent,
    settings: Settings,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after this wait.
    Retry(Duration),
    /// Do not retry.
    Stop,
    /// The server asked for a wait longer than the cap: fail now.
    TooLong(Duration),
}

/// Returns whether an HTTP status (with the error's `code`) is worth a retry.
pub fn status_is_retryable(status: u16, code: Option<&str>) -> bool {
    match status {
        408 | 409 | 500..=599 => true,
        429 => code != Some("insufficient_quota"),
        _ => false,
    }
}

/// Returns the wait a server asked for: `retry-after-ms` (milliseconds),
/// else `retry-after` (seconds, or an HTTP date counted from `now`).
pub fn requested_wait(
    retry_after_ms: Option<&str>,
    retry_after: Option<&str>,
    now: std::time::SystemTime,
) -> Option<Duration> {
    let parse = |text: &str, scale: f64| {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|value| value.is_finite() && *value >= 0.0)
            // A huge value must not overflow a Duration: it is simply a wait
            // past any cap.
            .map(|value| Duration::try_from_secs_f64(value * scale).unwrap_or(Duration::MAX))
    };
    retry_after_ms
        .and_then(|text| parse(text, 0.001))
        .or_else(|| retry_after.and_then(|text| parse(text, 1.0)))
        .or_else(|| {
            let date = http_date(retry_after?)?;
            Some(date.duration_since(now).unwrap_or_default())
        })
}

/// Parses an HTTP date (RFC 9110 IMF-fixdate: `Wed, 21 Oct 2015 07:28:00 GMT`).
fn http_date(text: &str) -> Option<std::time::SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = MONTHS.iter().position(|name| name == month)? + 1;
    let day: u32 = day.parse().ok()?;
    let year: u32 = year.parse().ok()?;
    let rfc3339 = format!("{year:04}-{month:02}-{day:02}T{time}Z");
    humantime::parse_rfc3339(&rfc3339).ok()
}

/// Returns the backoff before retry number `attempt + 1`: `min(0.5·2ⁿ, 8)`
/// seconds, less up to 25 % by `jitter` (0..1).
pub fn backoff(attempt: u32, jitter: f64) -> Duration {
    let base = (0.5 * 2f64.powi(i32::try_from(attempt.min(16)).unwrap_or(16))).min(8.0);
    Duration::from_secs_f64(base * (1.0 - 0.25 * jitter.clamp(0.0, 1.0)))
}

/// Decides whether attempt `attempt` (0-based) is followed by another.
pub fn decide(
    retryable: bool,
    requested: Option<Duration>,
    attempt: u32,
    max_retries: u32,
    max_wait: Duration,
    jitter: f64,
) -> Decision {
    if !retryable || attempt >= max_retries {
        return Decision::Stop;
    }
    match requested {
        Some(wait) if wait > max_wait => Decision::TooLong(wait),
        Some(wait) if !wait.is_zero() => Decision::Retry(wait),
        _ => Decision::Retry(backoff(attempt, jitter)),
    }
}

/// The best message and code found in an error body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorBody {
    /// The message.
    pub message: Option<String>,
    /// `code` (a string, or an integer as text).
    pub code: Option<String>,
    /// `type`.
    pub kind: Option<String>,
}

impl ErrorBody {
    /// Returns whether the error says the account is out of credit
    /// (`insufficient_quota` as `code` or `type`): such a 429 never succeeds.
    pub fn out_of_credit(&self) -> bool {
        [&self.code, &self.kind]
            .iter()
            .any(|field| field.as_deref() == Some("insufficient_quota"))
    }
}

/// Parses an error body loosely: `{"error": {...}}`, `{"error": "text"}`, a
/// flat `{"message", "code"}`, `{"detail": ...}`, HTML (its title or text),
/// or plain text.
pub fn parse_error_body(body: &str) -> ErrorBody {
    fn text(value: Option<&Value>) -> Option<String> {
        match value? {
            Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }
    fn from_object(object: &serde_json::Map<String, Value>) -> ErrorBody {
        ErrorBody {
            message: text(object.get("message"))
                .or_else(|| text(object.get("detail")))
                .or_else(|| text(object.get("msg"))),
            code: text(object.get("code")),
            kind: text(object.get("type")),
        }
    }
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(object)) => match object.get("error") {
            Some(Value::Object(inner)) => from_object(inner),
            Some(Value::String(message)) => ErrorBody {
                message: Some(message.trim().to_string()),
                ..from_object(&object)
            },
            _ => from_object(&object),
        },
        Ok(Value::String(message)) => ErrorBody {
            message: Some(message),
            ..ErrorBody::default()
        },
        _ => ErrorBody {
            message: plain_text(body),
            ..ErrorBody::default()
        },
    }
}

/// Returns the gist of a non-JSON body: an HTML page's `<title>` (else its
/// text without tags), or the first line of plain text, at most 200 chars.
fn plain_text(body: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    let text = if let (Some(start), Some(end)) = (lower.find("<title>"), lower.find("</title>")) {
        body.get(start + 7..end).unwrap_or_default().to_string()
    } else if lower.contains('<') && lower.contains('>') {
        let mut out = String::new();
        let mut in_tag = false;
        for c in body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    out.push(' ');
                }
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out
    } else {
        body.lines()
            .find(|line| !line.trim().is_empty())
            .unwrap_or_default()
            .to_string()
    };
    let flat = crate::ui::shorten(&text, 200);
    (!flat.is_empty()).then_some(flat)
}

/// Why an attempt failed.
#[derive(Debug)]
enum Failure {
    Status {
        status: u16,
        body: ErrorBody,
        requested: Option<Duration>,
        should_retry: Option<bool>,
    },
    Transport {
        timeout: bool,
        refused: bool,
        retryable: bool,
        message: String,
    },
}

impl Failure {
    fn retryable(&self) -> bool {
        match self {
            Failure::Status {
                status,
                body,
                should_retry,
                ..
            } => {
                let quota = body.out_of_credit();
                let by_status = status_is_retryable(*status, body.code.as_deref()) && !quota;
                let never = matches!(status, 400 | 401 | 403 | 404) || quota;
                match should_retry {
                    Some(true) => !never,
                    Some(false) => false,
                    None => by_status,
                }
            }
            Failure::Transport { retryable, .. } => *retryable,
        }
    }

    fn requested(&self) -> Option<Duration> {
        match self {
            Failure::Status { requested, .. } => *requested,
            Failure::Transport { .. } => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            Failure::Status { status, body, .. } => {
                let reason = ureq::http::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|code| code.canonical_reason())
                    .map(|reason| format!(" {reason}"))
                    .unwrap_or_default();
                let mut text = format!("{status}{reason}");
                if let Some(message) = body.message.as_ref().filter(|message| **message != text) {
                    text.push_str(&format!(": {message}"));
                }
                if let Some(code) = body.code.as_ref().or(body.kind.as_ref()) {
                    text.push_str(&format!(" (`{code}`)"));
                }
                text
            }
            Failure::Transport { message, .. } => message.clone(),
        }
    }
}

impl Client {
    /// Returns a client with timeouts set and error statuses kept as responses.
    pub fn new(settings: Settings) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // A redirect is reported with its status and the base-URL hint
            // instead of being followed (a POST body is not resent anyway).
            .max_redirects(0)
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.timeout))
            .build()
            .into();
        Client { agent, settings }
    }

    /// Returns the Chat Completions URL.
    pub fn endpoint(&self) -> String {
        format!(
            "{}/chat/completions",
            self.settings.base_url.trim_end_matches('/')
        )
    }

    /// Sends one request body, retrying per the policy; returns the answer.
    /// Every raw answer is appended to `raw`; retries are announced through
    /// `notify`.
    pub fn complete(
        &self,
        body: &Value,
        notify: &mut dyn FnMut(&str),
        raw: &mut Vec<RawAnswer>,
    ) -> Result<Answer> {
        let bytes = serde_json::to_vec(body)?;
        let endpoint = self.endpoint();
        let mut attempt = 0u32;
        loop {
            let failure = match self.send_once(&endpoint, &bytes) {
                Ok((status, headers, text)) => {
                    raw.push(RawAnswer {
                        status: Some(status),
                        body: text.clone(),
                    });
                    if (200..300).contains(&status) {
                        return check_answer(&text).map_err(|(message, hint)| {
                            let message = format!("server `{endpoint}`: {message}");
                            match hint {
                                Some(hint) => tagged_hint(Kind::BrainFailed, message, hint),
                                None => tagged(Kind::BrainFailed, message),
                            }
                        });
                    }
                    Failure::Status {
                        status,
                        body: parse_error_body(&text),
                        requested: requested_wait(
                            headers.retry_after_ms.as_deref(),
                            headers.retry_after.as_deref(),
                            std::time::SystemTime::now(),
                        ),
                        should_retry: headers.should_retry,
                    }
                }
                Err(failure) => {
                    if let Failure::Transport { message, .. } = &failure {
                        raw.push(RawAnswer {
                            status: None,
                            body: message.clone(),
                        });
                    }
                    failure
                }
            };
            let jitter = f64::from(crate::ids::random_bytes::<1>()[0]) / 255.0;
            match decide(
                failure.retryable(),
                failure.requested(),
                attempt,
                self.settings.max_retries,
                self.settings.max_retry_wait,
                jitter,
            ) {
                Decision::Retry(wait) => {
                    let what = match &failure {
                        Failure::Status { .. } => format!("server answered {}", failure.describe()),
                        Failure::Transport { .. } => failure.describe(),
                    };
                    notify(&format!(
                        "{what}; retrying in {} (retry {} of {})",
                        short_duration(wait),
                        attempt + 1,
                        self.settings.max_retries
                    ));
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                Decision::TooLong(wait) => {
                    return Err(tagged_hint(
                        Kind::BrainFailed,
                        format!(
                            "server `{endpoint}` answered {} and asked to wait {} before retrying, longer than `[brain] max_retry_wait` ({})",
                            failure.describe(),
                            short_duration(wait),
                            short_duration(self.settings.max_retry_wait)
                        ),
                        "try again later, or raise `[brain] max_retry_wait` in `.nexus/config.toml`",
                    ));
                }
                Decision::Stop => return Err(self.final_error(&endpoint, &failure, attempt)),
            }
        }
    }

    fn final_error(&self, endpoint: &str, failure: &Failure, attempt: u32) -> anyhow::Error {
        let tries = if attempt > 0 {
            format!(" (after {} attempts)", attempt + 1)
        } else {
            String::new()
        };
        let settings = &self.settings;
        let (message, hint) = match failure {
            Failure::Status { status, body, .. } => {
                let message = format!("server `{endpoint}` answered {}{tries}", failure.describe());
                let hint = match status {
                    401 | 403 => Some(match settings.api_key {
                        None => format!(
                            "`{}` is not set: export the API key in it, or name another variable in `[brain] api_key_env`",
                            settings.key_env
                        ),
                        Some(_) => format!(
                            "check the API key in `{}` (the variable named by `[brain] api_key_env`)",
                            settings.key_env
                        ),
                    }),
                    404 => Some(format!(
                        "check the model name `{}` (`[brain] model` or `--model`) and that the base URL `{}` ends in `/v1`",
                        settings.model, settings.base_url
                    )),
                    429 if body.out_of_credit() => Some(
                        "the account has no credit left: add credit, or plan offline with `--planner builtin`"
                            .to_string(),
                    ),
                    400 => Some(
                        "if the server does not support structured output, set `[brain] json_mode` to `json_object` or `none`"
                            .to_string(),
                    ),
                    _ => None,
                };
                (message, hint)
            }
            Failure::Transport {
                timeout, refused, ..
            } => {
                let message = if *timeout {
                    format!(
                        "server `{endpoint}` did not answer within {} ({}){tries}",
                        short_duration(settings.timeout),
                        failure.describe()
                    )
                } else {
                    format!("server `{endpoint}` failed: {}{tries}", failure.describe())
                };
                let hint = if *timeout {
                    Some(
                        "raise `[brain] timeout` in `.nexus/config.toml`, or check that the server is up"
                            .to_string(),
                    )
                } else if *refused {
                    Some(
                        "check that the server is running and that `OPENAI_BASE_URL` or `[brain] base_url` is right"
                            .to_string(),
                    )
                } else {
                    None
                };
                (message, hint)
            }
        };
        match hint {
            Some(hint) => tagged_hint(Kind::BrainFailed, message, hint),
            None => tagged(Kind::BrainFailed, message),
        }
    }

    fn send_once(
        &self,
        endpoint: &str,
        bytes: &[u8],
    ) -> std::result::Result<(u16, RetryHeaders, String), Failure> {
        let mut request = self
            .agent
            .post(endpoint)
            .header("Content-Type", "application/json");
        if let Some(key) = &self.settings.api_key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        let mut response = request.send(bytes).map_err(transport_failure)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        let headers = RetryHeaders {
            retry_after_ms: header("retry-after-ms"),
            retry_after: header("retry-after"),
            should_retry: header("x-should-retry").and_then(|value| match value.trim() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            }),
        };
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(transport_failure)?;
        Ok((status, headers, text))
    }
}

#[derive(Debug, Default)]
struct RetryHeaders {
    retry_after_ms: Option<String>,
    retry_after: Option<String>,
    should_retry: Option<bool>,
}

fn transport_failure(error: ureq::Error) -> Failure {
    use std::io::ErrorKind;
    let message = error.to_string();
    match &error {
        ureq::Error::Timeout(_) => Failure::Transport {
            timeout: true,
            refused: false,
            retryable: true,
            message: format!("timed out: {message}"),
        },
        ureq::Error::Io(io) => {
            let timeout = matches!(io.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock);
            let refused = io.kind() == ErrorKind::ConnectionRefused;
            let dropped = matches!(
                io.kind(),
                ErrorKind::UnexpectedEof
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
            );
            let message = if refused {
                format!("connection refused: {message}")
            } else if dropped {
                format!("connection closed without an answer: {message}")
            } else {
                message
            };
            Failure::Transport {
                timeout,
                refused,
                retryable: true,
                message,
            }
        }
        ureq::Error::ConnectionFailed => Failure::Transport {
            timeout: false,
            refused: true,
            retryable: true,
            message: format!("could not connect: {message}"),
        },
        ureq::Error::Protocol(_) => Failure::Transport {
            timeout: false,
            refused: false,
            retryable: true,
            message: format!("connection closed without a valid answer: {message}"),
        },
        _ => Failure::Transport {
            timeout: false,
            refused: false,
            retryable: false,
            message,
        },
    }
}

/// Checks a 2xx body in the documented order and returns the answer, or
/// the failure message with an optional hint.
pub fn check_answer(body: &str) -> std::result::Result<Answer, (String, Option<String>)> {
    let document: Value = serde_json::from_str(body).map_err(|error| {
        (
            format!(
                "the answer is not JSON ({error}): {}",
                crate::ui::shorten(body, 200)
            ),
            None,
        )
    })?;
    let Some(choice) = document
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|choices| choices.first())
    else {
        return Err(("the answer has no `choices`".to_string(), None));
    };
    match choice.get("finish_reason").and_then(Value::as_str) {
        Some("length") => {
            let content = choice
                .get("message")
                .and_then(|message| message.get("content"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Ok(Answer::Truncated(content.to_string()));
        }
        Some("content_filter") => {
            return Err((
                "the answer was filtered (`finish_reason` is `content_filter`)".to_string(),
                None,
            ));
        }
        _ => {}
    }
    let message = choice.get("message");
    if let Some(refusal) = message.and_then(|message| message.get("refusal"))
        && !refusal.is_null()
    {
        let text = refusal
            .as_str()
            .map_or_else(|| refusal.to_string(), str::to_string);
        return Err((format!("the model refused: {text}"), None));
    }
    match message
        .and_then(|message| message.get("content"))
        .and_then(Value::as_str)
    {
        Some(content) if !content.trim().is_empty() => Ok(Answer::Content(content.to_string())),
        _ => Err(("the answer has no content".to_string(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses_follow_the_table() {
        for status in [408, 409, 429, 500, 502, 503, 504] {
            assert!(status_is_retryable(status, None), "{status}");
        }
        for status in [400, 401, 402, 403, 404, 422] {
            assert!(!status_is_retryable(status, None), "{status}");
        }
        assert!(!status_is_retryable(429, Some("insufficient_quota")));
        assert!(status_is_retryable(429, Some("rate_limit_exceeded")));
    }

    #[test]
    fn requested_waits_prefer_milliseconds_and_honour_dates() {
        let now = humantime::parse_rfc3339("2015-10-21T07:27:30Z").unwrap();
        assert_eq!(
            requested_wait(Some("1500"), Some("9"), now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            requested_wait(None, Some("2"), now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            requested_wait(None, Some("0.5"), now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            requested_wait(None, Some("Wed, 21 Oct 2015 07:28:00 GMT"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            requested_wait(None, Some("Wed, 21 Oct 2015 07:27:00 GMT"), now),
            Some(Duration::ZERO),
            "a date in the past asks for no wait (backoff applies)"
        );
        assert_eq!(requested_wait(None, Some("next tuesday"), now), None);
        assert_eq!(requested_wait(Some("-1"), None, now), None);
    }

    #[test]
    fn backoff_doubles_caps_at_eight_seconds_and_jitters_down_a_quarter() {
        assert_eq!(backoff(0, 0.0), Duration::from_millis(500));
        assert_eq!(backoff(1, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(3, 0.0), Duration::from_secs(4));
        assert_eq!(backoff(10, 0.0), Duration::from_secs(8));
        assert_eq!(backoff(10, 1.0), Duration::from_secs(6));
        assert_eq!(backoff(u32::MAX, 0.5), Duration::from_secs(7));
    }

    #[test]
    fn decisions_honour_requests_caps_and_the_retry_count() {
        let cap = Duration::from_secs(60);
        assert_eq!(
            decide(true, Some(Duration::from_secs(2)), 0, 2, cap, 0.0),
            Decision::Retry(Duration::from_secs(2))
        );
        assert_eq!(
            decide(true, Some(Duration::from_secs(120)), 0, 2, cap, 0.0),
            Decision::TooLong(Duration::from_secs(120))
        );
        assert_eq!(
            decide(true, None, 1, 2, cap, 0.0),
            Decision::Retry(Duration::from_secs(1))
        );
        assert_eq!(
            decide(true, Some(Duration::ZERO), 0, 2, cap, 0.0),
            Decision::Retry(Duration::from_millis(500))
        );
        assert_eq!(decide(true, None, 2, 2, cap, 0.0), Decision::Stop);
        assert_eq!(decide(false, None, 0, 2, cap, 0.0), Decision::Stop);
    }

    #[test]
    fn error_bodies_are_parsed_loosely() {
        let envelope = parse_error_body(
            r#"{"error":{"message":"Incorrect API key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
        );
        assert_eq!(envelope.message.as_deref(), Some("Incorrect API key"));
        assert_eq!(envelope.code.as_deref(), Some("invalid_api_key"));
        let integer = parse_error_body(
            r#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#,
        );
        assert_eq!(integer.code.as_deref(), Some("503"));
        assert_eq!(integer.message.as_deref(), Some("Loading model"));
        let string = parse_error_body(r#"{"error":"Unexpected endpoint or method"}"#);
        assert_eq!(
            string.message.as_deref(),
            Some("Unexpected endpoint or method")
        );
        let flat =
            parse_error_body(r#"{"object":"error","message":"model x does not exist","code":404}"#);
        assert_eq!(flat.message.as_deref(), Some("model x does not exist"));
        let html = parse_error_body(
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>",
        );
        assert_eq!(html.message.as_deref(), Some("502 Bad Gateway"));
        let plain = parse_error_body("\nupstream connect error\nmore");
        assert_eq!(plain.message.as_deref(), Some("upstream connect error"));
        assert_eq!(parse_error_body(""), ErrorBody::default());
    }

    #[test]
    fn answers_are_checked_in_order() {
        let answer = |choice: &str| format!(r#"{{"choices":[{choice}]}}"#);
        assert_eq!(
            check_answer(&answer(
                r#"{"finish_reason":"stop","message":{"content":"{}"}}"#
            ))
            .unwrap(),
            Answer::Content("{}".to_string())
        );
        // Truncation comes before the refusal check.
        let truncated = check_answer(&answer(
            r#"{"finish_reason":"length","message":{"content":"{\"ta","refusal":"no"}}"#,
        ))
        .unwrap();
        assert_eq!(truncated, Answer::Truncated("{\"ta".to_string()));
        let refused = check_answer(&answer(
            r#"{"finish_reason":"stop","message":{"content":null,"refusal":"I can't help"}}"#,
        ))
        .unwrap_err();
        assert!(refused.0.contains("refused: I can't help"), "{refused:?}");
        let empty = check_answer(&answer(
            r#"{"finish_reason":"stop","message":{"content":null}}"#,
        ))
        .unwrap_err();
        assert!(empty.0.contains("no content"), "{empty:?}");
        assert!(
            check_answer(r#"{"choices":[]}"#)
                .unwrap_err()
                .0
                .contains("no `choices`")
        );
        assert!(check_answer("<html>").unwrap_err().0.contains("not JSON"));
    }
}
