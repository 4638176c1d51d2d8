//! A fake Anthropic Messages API on `127.0.0.1:0`, for contract tests that
//! run the real Claude Code CLI offline (`ANTHROPIC_BASE_URL` pointed here).
//!
//! HTTP/1.1 with keep-alive, one thread per connection. `HEAD /` answers 200;
//! `POST /v1/messages` answers with the streamed (SSE) Messages sequence
//! `message_start`, `content_block_start`, `content_block_delta`,
//! `content_block_stop`, `message_delta`, `message_stop`; anything else is a
//! 404. Replies are queued with [`AnthropicServer::push`] and used one per
//! messages request; with the queue empty the reply echoes
//! `FAKE-REPLY turn=N msgs=M last_user=…`. Every request is recorded.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One scripted answer to a `POST /v1/messages`.
#[derive(Clone, Debug)]
pub enum Reply {
    /// The default: `FAKE-REPLY turn=N msgs=M last_user=<last user text>`.
    Echo,
    /// A text answer (`stop_reason: end_turn`).
    Text(String),
    /// A `tool_use` block (`stop_reason: tool_use`); the CLI runs the tool
    /// and sends another request with the `tool_result`.
    ToolUse {
        /// Tool name, e.g. `Write`.
        name: String,
        /// Tool input, e.g. `{"file_path": …, "content": …}`.
        input: Value,
    },
    /// An HTTP error with Anthropic's error body.
    Error {
        /// HTTP status.
        status: u16,
        /// `error.message`.
        message: String,
    },
    /// Never answers (until the server is dropped).
    Hang,
}

impl Reply {
    /// Returns a text reply.
    pub fn text(text: &str) -> Reply {
        Reply::Text(text.to_string())
    }

    /// Returns a `Write` tool_use of `content` to `file_path`.
    pub fn write(file_path: &str, content: &str) -> Reply {
        Reply::ToolUse {
            name: "Write".to_string(),
            input: json!({"file_path": file_path, "content": content}),
        }
    }

    /// Returns an HTTP error `status` with message `fake <status>`.
    pub fn error(status: u16) -> Reply {
        Reply::Error {
            status,
            message: format!("fake {status}"),
        }
    }
}

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `HEAD`, `POST`, …
    pub method: String,
    /// Path with query, e.g. `/v1/messages?beta=true`.
    pub path: String,
    /// Headers, names lowercased.
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON (`Null` if empty or not JSON).
    pub body: Value,
}

impl Request {
    /// Returns whether this is a Messages API call.
    pub fn is_messages(&self) -> bool {
        self.method == "POST" && self.path.split('?').next() == Some("/v1/messages")
    }

    /// Returns a header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Returns the `X-Claude-Code-Session-Id` header.
    pub fn session_id(&self) -> Option<&str> {
        self.header("x-claude-code-session-id")
    }

    /// Returns all `system` text blocks joined by newlines.
    pub fn system_text(&self) -> String {
        match &self.body["system"] {
            Value::String(text) => text.clone(),
            Value::Array(blocks) => blocks
                .iter()
                .filter_map(|block| block["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        }
    }

    /// Returns the `messages` array.
    pub fn messages(&self) -> Vec<Value> {
        self.body["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Returns every text the user side sent (string contents and `text`
    /// blocks, not tool results), in order.
    pub fn user_texts(&self) -> Vec<String> {
        self.messages()
            .iter()
            .filter(|message| message["role"] == "user")
            .flat_map(|message| texts(&message["content"]))
            .collect()
    }
}

fn texts(content: &Value) -> Vec<String> {
    match content {
        Value::String(text) => vec![text.clone()],
        Value::Array(blocks) => blocks
            .iter()
            .filter(|block| block["type"] == "text")
            .filter_map(|block| block["text"].as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[derive(Default)]
struct Shared {
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Request>>,
    stop: AtomicBool,
    ids: AtomicU64,
}

/// The running server; stops when dropped.
pub struct AnthropicServer {
    port: u16,
    shared: Arc<Shared>,
}

impl AnthropicServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> AnthropicServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared::default());
        let accept_shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accept_shared);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        AnthropicServer { port, shared }
    }

    /// Returns the base URL for `ANTHROPIC_BASE_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Queues a reply for the next messages request without one.
    pub fn push(&self, reply: Reply) -> &Self {
        self.shared
            .replies
            .lock()
            .expect("replies lock")
            .push_back(reply);
        self
    }

    /// Returns every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().expect("requests lock").clone()
    }

    /// Returns the `POST /v1/messages` requests received so far.
    pub fn message_requests(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(Request::is_messages)
            .collect()
    }
}

impl Drop for AnthropicServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Serves one keep-alive connection until the client closes it.
fn serve(stream: TcpStream, shared: &Shared) {
    let Ok(writer) = stream.try_clone() else {
        return;
    };
    let mut writer = writer;
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        shared
            .requests
            .lock()
            .expect("requests lock")
            .push(request.clone());
        let keep_alive = !request
            .header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        let response = if request.method == "HEAD" && request.path == "/" {
            http(200, "text/plain", "")
        } else if request.is_messages() {
            let reply = shared
                .replies
                .lock()
                .expect("replies lock")
                .pop_front()
                .unwrap_or(Reply::Echo);
            if let Reply::Hang = reply {
                let until = Instant::now() + Duration::from_secs(600);
                while !shared.stop.load(Ordering::SeqCst) && Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(50));
                }
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            let id = shared.ids.fetch_add(1, Ordering::SeqCst);
            messages_response(&request, reply, id)
        } else {
            let body = json!({"type": "error", "error": {"type": "not_found_error", "message": "Not found"}});
            http(404, "application/json", &body.to_string())
        };
        if writer.write_all(&response).is_err() || !keep_alive {
            return;
        }
        let _ = writer.flush();
    }
}

fn http(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        529 => "Overloaded",
        _ => "Error",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nrequest-id: req_fake_{status}\r\nconnection: keep-alive\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn messages_response(request: &Request, reply: Reply, id: u64) -> Vec<u8> {
    let model = request.body["model"]
        .as_str()
        .unwrap_or("claude-opus-4-8")
        .to_string();
    let (block, delta, stop_reason) = match reply {
        Reply::Error { status, message } => {
            let kind = match status {
                400 => "invalid_request_error",
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                _ => "api_error",
            };
            let body = json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": format!("req_fake_{id}")});
            return http(status, "application/json", &body.to_string());
        }
        Reply::Hang => unreachable!("handled by the caller"),
        Reply::ToolUse { name, input } => (
            json!({"type": "tool_use", "id": format!("toolu_fake_{id:016}"), "name": name, "input": {}}),
            json!({"type": "input_json_delta", "partial_json": input.to_string()}),
            "tool_use",
        ),
        Reply::Text(text) => text_block(text),
        Reply::Echo => {
            let messages = request.messages();
            let turn = messages
                .iter()
                .filter(|message| {
                    message["role"] == "user" && !texts(&message["content"]).is_empty()
                })
                .count();
            let last = request.user_texts().last().cloned().unwrap_or_default();
            text_block(format!(
                "FAKE-REPLY turn={turn} msgs={} last_user={last}",
                messages.len()
            ))
        }
    };
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": {"id": format!("msg_fake_{id:020}"), "type": "message", "role": "assistant", "model": model, "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 1667, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": block}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": delta}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": 17}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    let body: String = events
        .iter()
        .map(|(event, data)| format!("event: {event}\ndata: {data}\n\n"))
        .collect();
    http(200, "text/event-stream", &body)
}

fn text_block(text: String) -> (Value, Value, &'static str) {
    (
        json!({"type": "text", "text": ""}),
        json!({"type": "text_delta", "text": text}),
        "end_turn",
    )
}

/// Reads one HTTP/1.1 request; None at end of stream or on garbage.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = headers.get("content-length") {
        body = vec![0; length.parse().ok()?];
        reader.read_exact(&mut body).ok()?;
    }
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}
