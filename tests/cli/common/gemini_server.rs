//! A fake Gemini API on `127.0.0.1:0`, for contract tests that run the real
//! Gemini CLI offline (`GOOGLE_GEMINI_BASE_URL` pointed here, any
//! `GEMINI_API_KEY`).
//!
//! `POST /v1beta/models/MODEL:streamGenerateContent?alt=sse` answers one SSE
//! `data:` chunk `{candidates:[{content:{role:"model",parts}}],usageMetadata,
//! modelVersion:"fake-model"}`; `POST …:generateContent` the same object as
//! JSON; anything else is a 404. Replies are queued with
//! [`GeminiServer::push`], one per model request; with the queue empty the
//! reply echoes `FAKE-REPLY turn=N last_user=…` (N counts the user prompts
//! in `contents`). Every request is recorded.

use std::collections::VecDeque;
use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::responses_server::{Request, hang, http, serve_forever};

/// Token counts of `usageMetadata`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// `promptTokenCount`.
    pub prompt: u64,
    /// `candidatesTokenCount`.
    pub candidates: u64,
}

impl Default for Usage {
    /// The counts of the recorded samples: 5 / 2.
    fn default() -> Self {
        Usage {
            prompt: 5,
            candidates: 2,
        }
    }
}

/// One scripted answer to a model request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// The default: `FAKE-REPLY turn=N last_user=<last user prompt>`.
    Echo,
    /// A text part.
    Text(String),
    /// A `functionCall` part (e.g. `write_file` with `file_path`, `content`).
    FunctionCall {
        /// Tool name.
        name: String,
        /// Arguments, in the order they are sent (the CLI echoes it).
        args: Vec<(String, Value)>,
    },
    /// An HTTP error with Google's error body.
    Error {
        /// HTTP status.
        status: u16,
        /// `error.message`.
        message: String,
    },
    /// Closes the connection without answering.
    Close,
    /// Never answers (until the server is dropped).
    Hang,
}

impl Reply {
    /// Returns a text reply.
    pub fn text(text: &str) -> Reply {
        Reply::Text(text.to_string())
    }

    /// Returns a `write_file` call.
    pub fn write_file(file_path: &str, content: &str) -> Reply {
        Reply::FunctionCall {
            name: "write_file".to_string(),
            args: vec![
                ("file_path".to_string(), Value::from(file_path)),
                ("content".to_string(), Value::from(content)),
            ],
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

/// Gemini views of a recorded [`Request`].
pub trait GeminiRequest {
    /// Returns whether this is a model call (`:streamGenerateContent` or
    /// `:generateContent`).
    fn is_model_call(&self) -> bool;
    /// Returns the model named in the path.
    fn path_model(&self) -> Option<String>;
    /// Returns the user prompts in `contents` (text parts that are not the
    /// injected `<session_context>`), in order.
    fn prompts(&self) -> Vec<String>;
    /// Returns the model texts in `contents` (earlier answers).
    fn model_texts(&self) -> Vec<String>;
}

impl GeminiRequest for Request {
    fn is_model_call(&self) -> bool {
        self.method == "POST"
            && self.path.starts_with("/v1beta/models/")
            && (self.path.contains(":streamGenerateContent")
                || self.path.contains(":generateContent"))
    }

    fn path_model(&self) -> Option<String> {
        let rest = self.path.strip_prefix("/v1beta/models/")?;
        Some(rest.split(':').next()?.to_string())
    }

    fn prompts(&self) -> Vec<String> {
        texts(&self.body, "user")
            .into_iter()
            .filter(|text| !text.starts_with("<session_context>"))
            .collect()
    }

    fn model_texts(&self) -> Vec<String> {
        texts(&self.body, "model")
    }
}

fn texts(body: &Value, role: &str) -> Vec<String> {
    body["contents"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|content| content["role"] == role)
        .flat_map(|content| {
            content["parts"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|part| part["text"].as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[derive(Default)]
struct Shared {
    replies: Mutex<VecDeque<(Reply, Usage)>>,
    requests: Mutex<Vec<Request>>,
    stop: AtomicBool,
}

/// The running server; stops when dropped.
pub struct GeminiServer {
    port: u16,
    shared: Arc<Shared>,
}

impl GeminiServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> GeminiServer {
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
        GeminiServer { port, shared }
    }

    /// Returns the URL for `GOOGLE_GEMINI_BASE_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Queues a reply (default usage) for the next model request.
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

    /// Returns the model requests received so far.
    pub fn model_requests(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(GeminiRequest::is_model_call)
            .collect()
    }
}

impl Drop for GeminiServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn respond(shared: &Shared, request: &Request, writer: &mut TcpStream) -> bool {
    if !request.is_model_call() {
        let body = json!({"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}});
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
    let parts = match reply {
        Reply::Hang => {
            hang(&|| shared.stop.load(Ordering::SeqCst), writer);
            return false;
        }
        Reply::Close => return false,
        Reply::Error { status, message } => {
            let name = match status {
                400 => "INVALID_ARGUMENT",
                401 => "UNAUTHENTICATED",
                403 => "PERMISSION_DENIED",
                404 => "NOT_FOUND",
                429 => "RESOURCE_EXHAUSTED",
                503 => "UNAVAILABLE",
                _ => "INTERNAL",
            };
            let body = json!({"error": {"code": status, "message": message, "status": name}});
            return writer
                .write_all(&http(status, "application/json", &body.to_string(), &[]))
                .is_ok();
        }
        Reply::FunctionCall { name, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|(key, value)| format!("{}:{value}", Value::from(key.as_str())))
                .collect();
            format!(
                "[{{\"functionCall\":{{\"name\":{},\"args\":{{{}}}}}}}]",
                Value::from(name),
                args.join(",")
            )
        }
        Reply::Text(text) => json!([{"text": text}]).to_string(),
        Reply::Echo => {
            let prompts = request.prompts();
            let last = prompts.last().cloned().unwrap_or_default();
            json!([{"text": format!("FAKE-REPLY turn={} last_user={last}", prompts.len())}])
                .to_string()
        }
    };
    let chunk = format!(
        "{{\"candidates\":[{{\"content\":{{\"role\":\"model\",\"parts\":{parts}}},\"finishReason\":\"STOP\",\"index\":0}}],\"usageMetadata\":{},\"modelVersion\":\"fake-model\"}}",
        json!({
            "promptTokenCount": usage.prompt,
            "candidatesTokenCount": usage.candidates,
            "totalTokenCount": usage.prompt + usage.candidates,
        })
    );
    let response = if request.path.contains(":generateContent") {
        http(200, "application/json", &chunk, &[])
    } else {
        http(
            200,
            "text/event-stream",
            &format!("data: {chunk}\r\n\r\n"),
            &[],
        )
    };
    writer.write_all(&response).is_ok()
}
