//! Helpers for the agent-runtime tests (`ask`, `sessions`, `memory`): a
//! project with the fake `claude`, config edits, readers for session
//! records, messages and memory, and background `nexus` runs that are
//! always cleaned up (with any fake they left hanging).

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::fake_claude::{FakeClaude, Invocation};
use super::{Run, TestEnv, nexus_bin};

/// The agent most tests talk to.
pub const DEV: &str = "code_developer";

/// Returns an initialised project with the fake `claude` on PATH.
pub fn project() -> (TestEnv, FakeClaude) {
    let mut env = TestEnv::initialised();
    let fake = FakeClaude::install(&mut env);
    // An empty script: every call gets the default echo reply.
    fake.script(&[]);
    (env, fake)
}

/// Replaces `from` with `to` in `.nexus/config.toml` (each must occur).
pub fn configure(env: &TestEnv, edits: &[(&str, &str)]) {
    let mut text = env.read(".nexus/config.toml");
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "`{from}` is not in the default config.toml"
        );
        text = text.replacen(from, to, 1);
    }
    env.write(".nexus/config.toml", &text);
}

/// Sets the agent backend's wall-clock timeout, inactivity timeout and grace.
pub fn timeouts(env: &TestEnv, timeout: &str, inactivity: &str, grace: &str) {
    configure(
        env,
        &[
            ("timeout = \"30m\"", &format!("timeout = \"{timeout}\"")),
            (
                "inactivity_timeout = \"10m\"",
                &format!("inactivity_timeout = \"{inactivity}\""),
            ),
            ("grace = \"5s\"", &format!("grace = \"{grace}\"")),
        ],
    );
}

/// Returns the path of an agent's session record.
pub fn record_path(env: &TestEnv, agent: &str) -> PathBuf {
    env.nexus_dir()
        .join("sessions")
        .join(format!("{agent}.json"))
}

/// Reads an agent's session record.
#[track_caller]
pub fn record(env: &TestEnv, agent: &str) -> Value {
    let path = record_path(env, agent);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    serde_json::from_str(&text).expect("session record is JSON")
}

/// Rewrites fields of an agent's session record.
pub fn edit_record(env: &TestEnv, agent: &str, edit: impl FnOnce(&mut Value)) {
    let mut value = record(env, agent);
    edit(&mut value);
    std::fs::write(
        record_path(env, agent),
        serde_json::to_string_pretty(&value).expect("serialize"),
    )
    .expect("write record");
}

/// Reads the messages of `ask-<agent>`: assignments and results, oldest
/// first (an assignment before its result).
pub fn messages(env: &TestEnv, agent: &str) -> Vec<Value> {
    let dir = env
        .nexus_dir()
        .join("messages")
        .join(format!("ask-{agent}"));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut messages: Vec<Value> = entries
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read message");
            let value: Value = serde_json::from_str(&text).expect("message is JSON");
            let file = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            assert_eq!(value["message_id"], file.as_str(), "file named by its id");
            value
        })
        .collect();
    messages.sort_by_key(|message| {
        (
            message["timestamp"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            message["message_type"] != "task_assignment",
        )
    });
    messages
}

/// Reads an agent's memory lines.
pub fn memory(env: &TestEnv, agent: &str) -> Vec<Value> {
    let path = env
        .nexus_dir()
        .join("memory")
        .join(format!("{agent}.jsonl"));
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).expect("memory line is JSON"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Returns whether `text` is a UUID v4 in the 8-4-4-4-12 form.
pub fn is_v4_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, len)| {
            group.len() == len && group.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
        })
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}

/// Returns whether `id` looks like `msg_YYYYMMDD_HHMMSS_xxxxxx`.
pub fn is_message_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('_').collect();
    parts.len() == 4
        && parts[0] == "msg"
        && parts[1].len() == 8
        && parts[1].chars().all(|c| c.is_ascii_digit())
        && parts[2].len() == 6
        && parts[2].chars().all(|c| c.is_ascii_digit())
        && parts[3].len() == 6
        && parts[3].chars().all(|c| c.is_ascii_hexdigit())
}

/// Polls `condition` every 20 ms until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    loop {
        if condition() {
            return true;
        }
        if started.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Returns whether a process exists and is not a zombie.
pub fn alive(pid: i64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the field after the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Sends `signal` to `pid` (a process this test started, directly or
/// through nexus).
pub fn signal(pid: i64, signal: i32) {
    let pid = i32::try_from(pid).expect("pid fits");
    // SAFETY: kill(2) on a pid the test owns; a stale pid only yields ESRCH.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// A `nexus` run in the background. Dropping it kills nexus and every fake
/// `claude` of `fake` still running (their process groups), so a failing
/// test leaves nothing behind.
pub struct Background {
    /// The nexus process.
    pub child: Option<Child>,
    /// Its pid.
    pub pid: i64,
    log_dir: PathBuf,
}

impl Background {
    /// Starts `nexus args` in the project directory.
    pub fn start(env: &TestEnv, fake: &FakeClaude, args: &[&str]) -> Background {
        let child = env
            .command(&nexus_bin())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nexus");
        Background {
            pid: i64::from(child.id()),
            child: Some(child),
            log_dir: fake.log_dir.clone(),
        }
    }

    /// Waits (up to 20 s) until the fake has been called `count` times in
    /// all, and returns the latest invocation.
    #[track_caller]
    pub fn wait_for_call(&self, fake: &FakeClaude, count: usize) -> Invocation {
        // The fake logs a call first with its argv alone, then again once
        // it has parsed its flags: wait for the parsed record.
        let parsed = |fake: &FakeClaude| {
            fake.invocations()
                .into_iter()
                .filter(|call| call.flags.print)
                .count()
        };
        assert!(
            wait_until(Duration::from_secs(20), || parsed(fake) >= count),
            "the fake was not called {count} time(s) within 20 s"
        );
        fake.invocations().pop().expect("an invocation")
    }

    /// Waits (up to 20 s) for nexus to exit and returns what it printed.
    #[track_caller]
    pub fn finish(&mut self) -> Run {
        let mut child = self.child.take().expect("not finished yet");
        let pid = self.pid;
        let (sender, receiver) = std::sync::mpsc::channel();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut out = String::new();
            let mut err = String::new();
            if let Some(mut stdout) = stdout {
                let _ = stdout.read_to_string(&mut out);
            }
            if let Some(mut stderr) = stderr {
                let _ = stderr.read_to_string(&mut err);
            }
            let status = child.wait().expect("wait nexus");
            let _ = sender.send((status, out, err));
        });
        let Ok((status, stdout, stderr)) = receiver.recv_timeout(Duration::from_secs(20)) else {
            signal(pid, libc::SIGKILL);
            panic!("nexus (pid {pid}) did not exit within 20 s");
        };
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
        }
    }

    /// Sends `signal` to nexus and waits for it like [`Background::finish`].
    #[track_caller]
    pub fn signal_and_finish(&mut self, number: i32) -> Run {
        signal(self.pid, number);
        self.finish()
    }

    /// Kills nexus with SIGKILL and reaps it (its child survives: it has
    /// its own process group).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.kill();
        kill_hung_fakes(&self.log_dir);
    }
}

/// Kills the process group of every fake invocation logged in `log_dir`
/// that has not ended (a hang left behind by a killed nexus).
pub fn kill_hung_fakes(log_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(log_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(call) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if call["ended_at"].is_null()
            && let Some(pid) = call["pid"].as_i64()
            && alive(pid)
            && std::fs::read_link(format!("/proc/{pid}/exe"))
                .is_ok_and(|exe| exe.to_string_lossy().contains("fake-claude"))
        {
            signal(-call["pgid"].as_i64().unwrap_or(pid), libc::SIGKILL);
        }
    }
}

/// Returns the invocation's prompt.
pub fn prompt(call: &Invocation) -> &str {
    call.flags.prompt.as_deref().unwrap_or_default()
}
