//! A fake OpenAI-compatible Chat Completions server on `127.0.0.1:0`: it
//! answers each request with the next scripted reply and records every
//! request (time, path, headers, JSON body) for the test to inspect.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One scripted reply.
#[derive(Debug, Clone)]
pub enum Reply {
    /// An HTTP answer.
    Http {
        /// Status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Content type.
        content_type: String,
        /// Body.
        body: String,
    },
    /// Read the request and never answer (until the server is dropped).
    Hang,
    /// Read the request and close the connection without answering.
    Drop,
}

/// One request the server got.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// When it arrived (after its body was read).
    pub at: Instant,
    /// Method and path, e.g. `POST /v1/chat/completions`.
    pub line: String,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: serde_json::Value,
}

impl Recorded {
    /// Returns a header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// The running server; stops when dropped.
pub struct FakeServer {
    /// The base URL, including `/v1`.
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl FakeServer {
    /// Starts a server answering with `replies` in order; past the end it
    /// answers 500 "no more scripted replies".
    pub fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script = Arc::new(Mutex::new(replies.into_iter()));
        {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let requests = Arc::clone(&requests);
                    let stop = Arc::clone(&stop);
                    let script = Arc::clone(&script);
                    std::thread::spawn(move || serve(stream, &requests, &stop, &script));
                }
            });
        }
        FakeServer {
            base_url: format!("http://127.0.0.1:{port}/v1"),
            requests,
            stop,
            port,
        }
    }

    /// Returns the requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(
    stream: TcpStream,
    requests: &Mutex<Vec<Recorded>>,
    stop: &AtomicBool,
    script: &Mutex<std::vec::IntoIter<Reply>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 || stop.load(Ordering::SeqCst) {
        return;
    }
    let mut headers = Vec::new();
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().to_string();
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    requests.lock().expect("requests lock").push(Recorded {
        at: Instant::now(),
        line: line.trim_end().to_string(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    });
    let reply = script
        .lock()
        .expect("script lock")
        .next()
        .unwrap_or_else(|| error(500, r#"{"error":{"message":"no more scripted replies"}}"#));
    let mut stream = stream;
    match reply {
        Reply::Drop => {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        Reply::Hang => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Reply::Http {
            status,
            headers,
            content_type,
            body,
        } => {
            let mut text = format!(
                "HTTP/1.1 {status} Scripted\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                text.push_str(&format!("{name}: {value}\r\n"));
            }
            text.push_str("\r\n");
            text.push_str(&body);
            let _ = stream.write_all(text.as_bytes());
            let _ = stream.flush();
        }
    }
}

/// A JSON error answer.
pub fn error(status: u16, body: &str) -> Reply {
    Reply::Http {
        status,
        headers: Vec::new(),
        content_type: "application/json".to_string(),
        body: body.to_string(),
    }
}

/// An answer with headers.
pub fn with_headers(reply: Reply, extra: &[(&str, &str)]) -> Reply {
    match reply {
        Reply::Http {
            status,
            mut headers,
            content_type,
            body,
        } => {
            headers.extend(
                extra
                    .iter()
                    .map(|(name, value)| ((*name).to_string(), (*value).to_string())),
            );
            Reply::Http {
                status,
                headers,
                content_type,
                body,
            }
        }
        other => other,
    }
}

/// A 200 completion whose message has `content` (and optionally a
/// refusal) and the given `finish_reason`.
pub fn completion(content: Option<&str>, refusal: Option<&str>, finish_reason: &str) -> Reply {
    let body = serde_json::json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": refusal},
            "finish_reason": finish_reason
        }],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30}
    });
    Reply::Http {
        status: 200,
        headers: Vec::new(),
        content_type: "application/json".to_string(),
        body: body.to_string(),
    }
}

/// A 200 completion carrying `content`, finished normally.
pub fn chat(content: &str) -> Reply {
    completion(Some(content), None, "stop")
}

/// A valid plan as an LLM would return it.
pub fn good_plan() -> String {
    serde_json::json!({"tasks": [
        {"id": "spec", "title": "Specify the flag", "description": "Specify --json.",
         "type": "analysis", "agent": "aria_coordinator", "depends_on": [],
         "priority": "high", "expected_output": "a spec", "acceptance": ["clear"],
         "estimate_minutes": 10},
        {"id": "build", "title": "Implement the flag", "description": "Implement it.",
         "type": "implementation", "agent": null, "depends_on": ["spec"],
         "priority": "medium", "expected_output": null, "acceptance": [],
         "estimate_minutes": 25}
    ]})
    .to_string()
}
