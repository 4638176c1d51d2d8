//! A fake OpenAI Responses API on `127.0.0.1:0`, for contract tests that
//! run the real Codex CLI offline through a custom model provider
//! (`-c model_provider=fake -c 'model_providers.fake={…,base_url=URL,wire_api="responses"}'`).
//!
//! HTTP/1.1 with keep-alive, one thread per connection. `POST /v1/responses`
//! answers with the SSE sequence `response.created`,
//! `response.output_item.done` (one item), `response.completed` (with
//! `usage`); anything else is a 404. Replies are queued with
//! [`ResponsesServer::push`] and used one per request; with the queue empty
//! the reply echoes `FAKE-REPLY turn=N last_user=…` (N counts the user
//! prompts in `input`). Every request is recorded. The HTTP plumbing here is
//! also used by `gemini_server.rs`.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Token counts reported in `response.completed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// `input_tokens`.
    pub input: u64,
    /// `input_tokens_details.cached_tokens`.
    pub cached: u64,
    /// `output_tokens`.
    pub output: u64,
    /// `output_tokens_details.reasoning_tokens`.
    pub reasoning: u64,
}

impl Default for Usage {
    /// The counts of the recorded samples: 11 / 3 / 2 / 0.
    fn default() -> Self {
        Usage {
            input: 11,
            cached: 3,
            output: 2,
            reasoning: 0,
        }
    }
}

/// One scripted answer to a `POST /v1/responses`.
#[derive(Clone, Debug)]
pub enum Reply {
    /// The default: `FAKE-REPLY turn=N last_user=<last user prompt>`.
    Echo,
    /// A `message` item with one `output_text`.
    Text(String),
    /// A `function_call` item (e.g. `exec_command` with `{"cmd": …}`); the
    /// CLI runs it and calls again with the `function_call_output`.
    FunctionCall {
        /// Function name.
        name: String,
        /// Arguments, a JSON object.
        arguments: Value,
    },
    /// A `custom_tool_call` item (e.g. `apply_patch` with the patch text).
    CustomToolCall {
        /// Tool name.
        name: String,
        /// Free-form input.
        input: String,
    },
    /// An HTTP error with OpenAI's error body.
    Error {
        /// HTTP status.
        status: u16,
        /// `error.message`.
        message: String,
        /// A `retry-after` header (seconds), if any.
        retry_after: Option<u32>,
    },
    /// Closes the connection without answering.
    Close,
    /// Never answers (until the server is dropped).
    Hang,
    /// Sends the headers and `response.created`, then nothing.
    Stall,
}

impl Reply {
    /// Returns a text reply.
    pub fn text(text: &str) -> Reply {
        Reply::Text(text.to_string())
    }

    /// Returns an `exec_command` call of `cmd`.
    pub fn exec(cmd: &str) -> Reply {
        Reply::FunctionCall {
            name: "exec_command".to_string(),
            arguments: json!({"cmd": cmd}),
        }
    }

    /// Returns an `apply_patch` call adding `path` with `content` (one line).
    pub fn add_file(path: &str, line: &str) -> Reply {
        Reply::CustomToolCall {
            name: "apply_patch".to_string(),
            input: format!("*** Begin Patch\n*** Add File: {path}\n+{line}\n*** End Patch\n"),
        }
    }

    /// Returns an HTTP error `status` with message `fake <status>`.
    pub fn error(status: u16) -> Reply {
        Reply::Error {
            status,
            message: format!("fake {status}"),
            retry_after: None,
        }
    }
}

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path with query.
    pub path: String,
    /// Headers, names lowercased.
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON (`Null` if empty or not JSON).
    pub body: Value,
}

impl Request {
    /// Returns whether this is a Responses API call.
    pub fn is_responses(&self) -> bool {
        self.method == "POST" && self.path.split('?').next() == Some("/v1/responses")
    }

    /// Returns a header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Returns the `thread-id` header (the Codex thread id).
    pub fn thread_id(&self) -> Option<&str> {
        self.header("thread-id")
    }

    /// Returns the requested model.
    pub fn model(&self) -> Option<&str> {
        self.body["model"].as_str()
    }

    /// Returns the `input` items.
    pub fn input(&self) -> Vec<Value> {
        self.body["input"].as_array().cloned().unwrap_or_default()
    }

    /// Returns the user prompts in `input`, in order (user `input_text`s
    /// that are not injected context such as `<environment_context>`).
    pub fn user_texts(&self) -> Vec<String> {
        self.input()
            .iter()
            .filter(|item| item["type"] == "message" && item["role"] == "user")
            .flat_map(|item| {
                item["content"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|part| part["type"] == "input_text")
                    .filter_map(|part| part["text"].as_str().map(str::to_string))
                    .filter(|text| !text.starts_with('<') && !text.starts_with("# "))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Returns the assistant texts in `input` (earlier answers).
    pub fn assistant_texts(&self) -> Vec<String> {
        self.input()
            .iter()
            .filter(|item| item["type"] == "message" && item["role"] == "assistant")
            .flat_map(|item| {
                item["content"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|part| part["text"].as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Returns the `output` of every tool result in `input`.
    pub fn tool_outputs(&self) -> Vec<String> {
        self.input()
            .iter()
            .filter(|item| {
                item["type"] == "function_call_output" || item["type"] == "custom_tool_call_output"
            })
            .filter_map(|item| item["output"].as_str().map(str::to_string))
            .collect()
    }
}

#[derive(Default)]
struct Shared {
    replies: Mutex<VecDeque<(Reply, Usage)>>,
    requests: Mutex<Vec<Request>>,
    stop: AtomicBool,
    ids: AtomicU64,
}

/// The running server; stops when dropped.
pub struct ResponsesServer {
    port: u16,
    shared: Arc<Shared>,
}

impl ResponsesServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> ResponsesServer {
        let shared = Arc::new(Shared::default());
        let handler_shared = Arc::clone(&shared);
        let port = serve_forever(
            Arc::new(move |request: &Request, writer: &mut TcpStream| {
                respond(&handler_shared, request, writer)
            }),
            {
                let shared = Arc::clone(&shared);
                Arc::new(move |request: Request| {
                    shared.requests.lock().expect("requests lock").push(request);
                })
            },
            {
                let shared = Arc::clone(&shared);
                Arc::new(move || shared.stop.load(Ordering::SeqCst))
            },
        );
        ResponsesServer { port, shared }
    }

    /// Returns the base URL for the provider's `base_url` (ends in `/v1`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Returns the `-c` arguments that point `codex exec` here through a
    /// provider `fake` whose key is read from `FAKE_KEY`, with no retries.
    pub fn codex_config_args(&self) -> Vec<String> {
        vec![
            "-c".to_string(),
            "model_provider=fake".to_string(),
            "-c".to_string(),
            format!(
                "model_providers.fake={{name=\"fake\",base_url=\"{}\",env_key=\"FAKE_KEY\",wire_api=\"responses\",request_max_retries=0,stream_max_retries=0,stream_idle_timeout_ms=60000}}",
                self.url()
            ),
        ]
    }

    /// Queues a reply (default usage) for the next request without one.
    pub fn push(&self, reply: Reply) -> &Self {
        self.push_with_usage(reply, Usage::default())
    }

    /// Queues a reply with these token counts.
    pub fn push_with_usage(&self, reply: Reply, usage: Usage) -> &Self {
        self.shared
            .replies
            .lock()
            .expect("replies lock")
            .push_back((reply, usage));
        self
    }

    /// Returns every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().expect("requests lock").clone()
    }

    /// Returns the `POST /v1/responses` requests received so far.
    pub fn responses_requests(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(Request::is_responses)
            .collect()
    }
}

impl Drop for ResponsesServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Answers one request; false closes the connection.
type Handler = Arc<dyn Fn(&Request, &mut TcpStream) -> bool + Send + Sync>;
/// Records one request.
type Recorder = Arc<dyn Fn(Request) + Send + Sync>;
/// Tells whether the server is stopping.
type Stopped = Arc<dyn Fn() -> bool + Send + Sync>;

/// Binds 127.0.0.1:0 and serves keep-alive connections on threads until
/// `stopped()`; returns the port.
pub(crate) fn serve_forever(handler: Handler, record: Recorder, stopped: Stopped) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stopped() {
                break;
            }
            let Ok(stream) = stream else { continue };
            let handler = Arc::clone(&handler);
            let record = Arc::clone(&record);
            std::thread::spawn(move || {
                let Ok(mut writer) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                while let Some(request) = read_request(&mut reader) {
                    record(request.clone());
                    let keep_alive = !request
                        .header("connection")
                        .is_some_and(|value| value.eq_ignore_ascii_case("close"));
                    if !handler(&request, &mut writer) || !keep_alive {
                        let _ = writer.shutdown(Shutdown::Both);
                        return;
                    }
                    let _ = writer.flush();
                }
            });
        }
    });
    port
}

/// Waits until the server stops (at most ten minutes), then closes.
pub(crate) fn hang(stopped: &dyn Fn() -> bool, writer: &TcpStream) {
    let until = Instant::now() + Duration::from_secs(600);
    while !stopped() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = writer.shutdown(Shutdown::Both);
}

fn respond(shared: &Shared, request: &Request, writer: &mut TcpStream) -> bool {
    if !request.is_responses() {
        let body = json!({"error": {"message": "Not found", "type": "invalid_request_error"}});
        return writer
            .write_all(&http(404, "application/json", &body.to_string(), &[]))
            .is_ok();
    }
    let (reply, usage) = shared
        .replies
        .lock()
        .expect("replies lock")
        .pop_front()
        .unwrap_or((Reply::Echo, Usage::default()));
    let id = shared.ids.fetch_add(1, Ordering::SeqCst);
    let model = request.model().unwrap_or("fake-model").to_string();
    let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let created = event(
        "response.created",
        json!({"type": "response.created", "response": {"id": format!("resp_{id}"), "object": "response", "model": model, "status": "in_progress"}}),
    );
    let item = match reply {
        Reply::Hang => {
            hang(&|| shared.stop.load(Ordering::SeqCst), writer);
            return false;
        }
        Reply::Close => return false,
        Reply::Stall => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n";
            let _ = writer.write_all(head.as_bytes());
            let _ = writer.write_all(created.as_bytes());
            let _ = writer.flush();
            hang(&|| shared.stop.load(Ordering::SeqCst), writer);
            return false;
        }
        Reply::Error {
            status,
            message,
            retry_after,
        } => {
            let kind = match status {
                400 | 401 | 404 => "invalid_request_error",
                429 => "requests",
                _ => "server_error",
            };
            let body =
                json!({"error": {"message": message, "type": kind, "param": null, "code": null}});
            let retry = retry_after.map(|secs| secs.to_string());
            let extra: Vec<(&str, &str)> = retry
                .as_deref()
                .map(|secs| vec![("retry-after", secs)])
                .unwrap_or_default();
            return writer
                .write_all(&http(status, "application/json", &body.to_string(), &extra))
                .is_ok();
        }
        Reply::FunctionCall { name, arguments } => json!({
            "type": "function_call", "id": format!("fc_{id}"), "call_id": format!("call_{id}"),
            "name": name, "arguments": arguments.to_string(), "status": "completed"
        }),
        Reply::CustomToolCall { name, input } => json!({
            "type": "custom_tool_call", "id": format!("ctc_{id}"), "call_id": format!("call_{id}"),
            "name": name, "input": input, "status": "completed"
        }),
        Reply::Text(text) => message_item(id, &text),
        Reply::Echo => {
            let prompts = request.user_texts();
            let last = prompts.last().cloned().unwrap_or_default();
            message_item(
                id,
                &format!("FAKE-REPLY turn={} last_user={last}", prompts.len()),
            )
        }
    };
    let usage = json!({
        "input_tokens": usage.input,
        "input_tokens_details": {"cached_tokens": usage.cached},
        "output_tokens": usage.output,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning},
        "total_tokens": usage.input + usage.output,
    });
    let body = created
        + &event(
            "response.output_item.done",
            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
        )
        + &event(
            "response.completed",
            json!({"type": "response.completed", "response": {"id": format!("resp_{id}"), "object": "response", "model": model, "status": "completed", "usage": usage}}),
        );
    writer
        .write_all(&http(200, "text/event-stream", &body, &[]))
        .is_ok()
}

fn message_item(id: u64, text: &str) -> Value {
    json!({
        "type": "message", "id": format!("msg_{id}"), "role": "assistant", "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}]
    })
}

/// Returns a whole HTTP/1.1 response.
pub(crate) fn http(status: u16, content_type: &str, body: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let headers: String = extra
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{headers}connection: keep-alive\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one HTTP/1.1 request; None at end of stream or on garbage.
pub(crate) fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
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
    let body = decode_body(&headers, body);
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// Parses a JSON body (Codex may send it zstd- or gzip-encoded: those stay
/// `Null`, as they are not asked for by the fake's responses).
fn decode_body(headers: &BTreeMap<String, String>, body: Vec<u8>) -> Value {
    if headers.contains_key("content-encoding") {
        return Value::Null;
    }
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}
