//! The fake `claude` (`testing/fake-claude.rs`) from a test's side: installs
//! it as `claude` on the [`TestEnv`]'s PATH, writes its script from Rust
//! values and reads back what each invocation was given.
//!
//! ```ignore
//! let mut env = TestEnv::initialised();
//! let fake = FakeClaude::install(&mut env);
//! fake.script(&[Step::reply("done").cost(0.01), Step::api_error(500)]);
//! // … run nexus …
//! let calls = fake.invocations();
//! assert_eq!(calls[0].flags.permission_mode.as_deref(), Some("acceptEdits"));
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::TestEnv;

/// Adds `pattern` to `[agent_backend] pass_env` of the env's config (when
/// there is one yet), so agent processes see a fake's control variables.
pub fn pass_fake_env(env: &TestEnv, pattern: &str) {
    let path = env.nexus_dir().join("config.toml");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let text = text.replacen("pass_env = [", &format!("pass_env = [\"{pattern}\", "), 1);
        std::fs::write(&path, text).expect("write config");
    }
}

/// Returns the path of the built fake `claude` binary.
pub fn fake_claude_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fake-claude"))
}

/// The fake installed in one [`TestEnv`].
pub struct FakeClaude {
    /// `claude` on the env's PATH (a symlink to the built fake).
    pub program: PathBuf,
    /// The script file (`FAKE_CLAUDE_SCRIPT`).
    pub script_path: PathBuf,
    /// The invocation log directory (`FAKE_CLAUDE_LOG`).
    pub log_dir: PathBuf,
}

impl FakeClaude {
    /// Installs the fake as `claude` in `env.bin` and points
    /// `FAKE_CLAUDE_SCRIPT` and `FAKE_CLAUDE_LOG` into the temp dir. With no
    /// script written, every call gets the default echo reply.
    pub fn install(env: &mut TestEnv) -> FakeClaude {
        let program = env.bin.join("claude");
        std::os::unix::fs::symlink(fake_claude_bin(), &program).expect("symlink fake claude");
        let root = env.temp.path().join("fake-claude");
        let log_dir = root.join("calls");
        std::fs::create_dir_all(&log_dir).expect("create fake-claude dirs");
        let script_path = root.join("script.json");
        env.set("FAKE_CLAUDE_SCRIPT", script_path.display().to_string());
        env.set("FAKE_CLAUDE_LOG", log_dir.display().to_string());
        // Agents get only an allow-list of variables: let the fake's through.
        pass_fake_env(env, "FAKE_CLAUDE_*");
        FakeClaude {
            program,
            script_path,
            log_dir,
        }
    }

    /// Replaces the script with `steps` and forgets which were used.
    pub fn script(&self, steps: &[Step]) {
        let steps: Vec<Value> = steps
            .iter()
            .map(|step| Value::Object(step.0.clone()))
            .collect();
        let text = serde_json::to_string_pretty(&steps).expect("serialize script");
        std::fs::write(&self.script_path, text).expect("write fake-claude script");
        let mut state = self.script_path.clone().into_os_string();
        state.push(".state");
        let _ = std::fs::remove_file(state);
    }

    /// Returns every recorded invocation, oldest first.
    pub fn invocations(&self) -> Vec<Invocation> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&self.log_dir)
            .expect("read fake-claude log dir")
            .map(|entry| entry.expect("log entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .filter_map(|path| {
                let text = std::fs::read_to_string(path).expect("read invocation");
                // A file just created and not yet written is skipped.
                (!text.is_empty()).then(|| {
                    serde_json::from_str(&text).unwrap_or_else(|error| {
                        panic!("bad invocation record {}: {error}\n{text}", path.display())
                    })
                })
            })
            .collect()
    }
}

/// Returns where the CLI keeps the transcript of `session_id` begun in `cwd`
/// for a `HOME` of `home` (without `CLAUDE_CONFIG_DIR`).
pub fn transcript_path(home: &Path, cwd: &Path, session_id: &str) -> PathBuf {
    let escaped: String = cwd
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    home.join(".claude/projects")
        .join(escaped)
        .join(format!("{session_id}.jsonl"))
}

/// One scripted behaviour of the fake (one JSON object of the script; the
/// keys are documented at the top of `testing/fake-claude.rs`).
#[derive(Clone, Debug, Default)]
pub struct Step(pub Map<String, Value>);

impl Step {
    fn with(mut self, key: &str, value: impl Into<Value>) -> Step {
        self.0.insert(key.to_string(), value.into());
        self
    }

    fn kind(kind: &str) -> Step {
        Step::default().with("kind", kind)
    }

    /// Returns a success step with the default echo reply
    /// (`FAKE-REPLY turn=N msgs=M last_user=…`).
    pub fn echo() -> Step {
        Step::default()
    }

    /// Returns a success step replying `text`.
    pub fn reply(text: &str) -> Step {
        Step::default().with("reply", text)
    }

    /// Returns an API error with this HTTP status (`is_error`, exit 1).
    pub fn api_error(status: u16) -> Step {
        Step::kind("api_error").with("status", status)
    }

    /// Returns the "Request timed out" API error (status null).
    pub fn timeout() -> Step {
        Step::kind("timeout")
    }

    /// Returns the "Unable to connect to API" error (status null).
    pub fn connection_refused() -> Step {
        Step::kind("connection_refused")
    }

    /// Returns an `error_max_turns` result.
    pub fn max_turns() -> Step {
        Step::kind("max_turns")
    }

    /// Returns an `error_max_budget_usd` result.
    pub fn max_budget() -> Step {
        Step::kind("max_budget")
    }

    /// Returns a step that writes a file with the `Write` tool (subject to
    /// the permission mode).
    pub fn write(file_path: &str, content: &str) -> Step {
        Step::default().with("write", json!({"file_path": file_path, "content": content}))
    }

    /// Returns a step that sleeps an hour in silence (a hung API).
    pub fn hang() -> Step {
        Step::default().sleep(3600.0)
    }

    /// Returns a step that dies by `signal` (`"SIGSEGV"`, `"SIGKILL"`, …)
    /// without printing a result.
    pub fn crash(signal: &str) -> Step {
        Step::default().with("signal", signal)
    }

    /// Returns a step printing `stdout` verbatim (garbage, half JSON, …).
    pub fn raw_stdout(stdout: &str) -> Step {
        Step::default().with("stdout", stdout)
    }

    /// Applies the step only to prompts containing `text`.
    pub fn matching(self, text: &str) -> Step {
        self.with("match", text)
    }

    /// Keeps the step for every later matching call.
    pub fn repeat(self) -> Step {
        self.with("repeat", true)
    }

    /// Sets the final reply text.
    pub fn text(self, text: &str) -> Step {
        self.with("reply", text)
    }

    /// Sets `total_cost_usd`.
    pub fn cost(self, usd: f64) -> Step {
        self.with("cost_usd", usd)
    }

    /// Sets the input and output token counts.
    pub fn tokens(self, input: u64, output: u64) -> Step {
        self.with("input_tokens", input)
            .with("output_tokens", output)
    }

    /// Sets `num_turns`.
    pub fn turns(self, turns: u64) -> Step {
        self.with("num_turns", turns)
    }

    /// Sets the error text (`result`, or `errors[0]`).
    pub fn message(self, text: &str) -> Step {
        self.with("message", text)
    }

    /// Emits this many `system/api_retry` events before an API error.
    pub fn retries(self, count: u64) -> Step {
        self.with("retries", count)
    }

    /// Adds a Write tool_use to this step.
    pub fn writes(self, file_path: &str, content: &str) -> Step {
        self.with("write", json!({"file_path": file_path, "content": content}))
    }

    /// Reports an extra permission denial.
    pub fn deny(mut self, tool_name: &str, tool_input: Value) -> Step {
        let entry = json!({"tool_name": tool_name, "tool_input": tool_input});
        match self.0.get_mut("permission_denials") {
            Some(Value::Array(list)) => list.push(entry),
            _ => {
                self.0
                    .insert("permission_denials".to_string(), json!([entry]));
            }
        }
        self
    }

    /// Waits this long before answering.
    pub fn sleep(self, secs: f64) -> Step {
        self.with("sleep_secs", secs)
    }

    /// While waiting, prints a stream-json event this often.
    pub fn heartbeat(self, secs: f64) -> Step {
        self.with("heartbeat_secs", secs)
    }

    /// Ignores SIGTERM.
    pub fn ignore_sigterm(self) -> Step {
        self.with("ignore_sigterm", true)
    }

    /// Dies by `signal` after the wait.
    pub fn signal(self, signal: &str) -> Step {
        self.with("signal", signal)
    }

    /// Leaves a process holding stdout/stderr open `secs` after exiting.
    pub fn grandchild(self, secs: f64) -> Step {
        self.with("grandchild_secs", secs)
    }

    /// Replaces stdout.
    pub fn stdout(self, text: &str) -> Step {
        self.with("stdout", text)
    }

    /// Cuts the normal stdout after `bytes`.
    pub fn truncate(self, bytes: usize) -> Step {
        self.with("truncate_bytes", bytes)
    }

    /// Writes `text` to stderr.
    pub fn stderr(self, text: &str) -> Step {
        self.with("stderr", text)
    }

    /// Replaces the exit code.
    pub fn exit_code(self, code: i32) -> Step {
        self.with("exit_code", code)
    }
}

/// What one invocation of the fake was given (its `call-NNNN.json`).
#[derive(Clone, Debug, Deserialize)]
pub struct Invocation {
    /// Order of the call, from 1.
    pub seq: u64,
    /// The full argv (argv[0] is the program path).
    pub argv: Vec<String>,
    /// The working directory.
    pub cwd: PathBuf,
    /// Process id.
    pub pid: i64,
    /// Process group id.
    pub pgid: i64,
    /// `null` (/dev/null), `pipe`, `file`, `tty`, `closed` or `other`.
    pub stdin: String,
    /// The watched environment variables (None when unset).
    pub env: BTreeMap<String, Option<String>>,
    /// The names of every variable in its environment.
    #[serde(default)]
    pub env_names: Vec<String>,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time; None when killed from outside.
    pub ended_at: Option<String>,
    /// Exit code, when it exited by itself.
    pub exit_code: Option<i32>,
    /// The signal it raised on itself, if scripted.
    pub signal: Option<i32>,
    /// The script step used (index), None for the default reply.
    pub step: Option<usize>,
    /// The effective session id.
    pub session_id: Option<String>,
    /// Pid of a scripted grandchild.
    pub grandchild_pid: Option<i64>,
    /// The parsed flags.
    pub flags: InvocationFlags,
}

/// The flags the fake parsed.
#[derive(Clone, Debug, Deserialize)]
pub struct InvocationFlags {
    /// `-p`.
    pub print: bool,
    /// `--output-format`.
    pub output_format: Option<String>,
    /// `--verbose`.
    pub verbose: bool,
    /// The prompt (with piped stdin appended).
    pub prompt: Option<String>,
    /// `--append-system-prompt`.
    pub append_system_prompt: Option<String>,
    /// `--system-prompt`.
    pub system_prompt: Option<String>,
    /// `--session-id`.
    pub session_id: Option<String>,
    /// `--resume`.
    pub resume: Option<String>,
    /// `--fork-session`.
    pub fork_session: bool,
    /// `--model`.
    pub model: Option<String>,
    /// `--max-turns` as given.
    pub max_turns: Option<String>,
    /// `--max-budget-usd` as given.
    pub max_budget_usd: Option<String>,
    /// `--permission-mode`.
    pub permission_mode: Option<String>,
    /// `--allowedTools` values.
    pub allowed_tools: Vec<String>,
    /// `--disallowedTools` values.
    pub disallowed_tools: Vec<String>,
    /// `--add-dir` values.
    pub add_dirs: Vec<String>,
}

impl Invocation {
    /// Returns the value of a watched environment variable.
    pub fn env(&self, key: &str) -> Option<&str> {
        self.env.get(key).and_then(Option::as_deref)
    }
}
