//! Code shared by the fake agent CLIs `fake-codex` and `fake-gemini`
//! (included with `#[path]`): JSON with a fixed key order, ids and times,
//! stdin inspection, the scripted steps (`match`, `repeat`, used up under a
//! file lock in `<script>.state`, as in `fake-claude`), the invocation log
//! and the process tricks (ignore SIGTERM, die by a signal, leave a
//! grandchild holding stdout).

#![allow(dead_code, reason = "each fake uses part of it")]

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

/// Exit code for a broken test setup (bad script), distinct from the CLIs'.
pub const SETUP_ERROR: i32 = 97;

// ---------------------------------------------------------------------------
// Ordered JSON: the real CLIs' key order, without serde_json's preserve_order.

/// A JSON value whose objects keep their key order.
pub enum J {
    /// Any plain value.
    V(Value),
    /// An array.
    A(Vec<J>),
    /// An object, keys in order.
    O(Vec<(String, J)>),
}

impl std::fmt::Display for J {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.to_line())
    }
}

impl J {
    fn render(&self, out: &mut String) {
        match self {
            J::V(value) => out.push_str(&value.to_string()),
            J::A(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    item.render(out);
                }
                out.push(']');
            }
            J::O(pairs) => {
                out.push('{');
                for (index, (key, item)) in pairs.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::from(key.as_str()).to_string());
                    out.push(':');
                    item.render(out);
                }
                out.push('}');
            }
        }
    }

    /// Returns the compact JSON text.
    pub fn to_line(&self) -> String {
        let mut out = String::new();
        self.render(&mut out);
        out
    }

    /// Returns the JSON text indented by two spaces, like `JSON.stringify(v, null, 2)`.
    pub fn to_pretty(&self) -> String {
        let mut out = String::new();
        self.pretty(&mut out, 0);
        out
    }

    fn pretty(&self, out: &mut String, depth: usize) {
        let pad = |out: &mut String, depth: usize| out.push_str(&"  ".repeat(depth));
        match self {
            J::V(Value::Object(map)) if !map.is_empty() => {
                let pairs = map
                    .iter()
                    .map(|(key, value)| (key.clone(), J::V(value.clone())))
                    .collect();
                J::O(pairs).pretty(out, depth);
            }
            J::V(value) => out.push_str(&value.to_string()),
            J::A(items) if items.is_empty() => out.push_str("[]"),
            J::O(pairs) if pairs.is_empty() => out.push_str("{}"),
            J::A(items) => {
                out.push_str("[\n");
                for (index, item) in items.iter().enumerate() {
                    pad(out, depth + 1);
                    item.pretty(out, depth + 1);
                    out.push_str(if index + 1 < items.len() { ",\n" } else { "\n" });
                }
                pad(out, depth);
                out.push(']');
            }
            J::O(pairs) => {
                out.push_str("{\n");
                for (index, (key, item)) in pairs.iter().enumerate() {
                    pad(out, depth + 1);
                    out.push_str(&Value::from(key.as_str()).to_string());
                    out.push_str(": ");
                    item.pretty(out, depth + 1);
                    out.push_str(if index + 1 < pairs.len() { ",\n" } else { "\n" });
                }
                pad(out, depth);
                out.push('}');
            }
        }
    }
}

/// Wraps a plain value.
pub fn v(value: impl Into<Value>) -> J {
    J::V(value.into())
}

/// Builds an ordered object.
pub fn o(pairs: Vec<(&str, J)>) -> J {
    J::O(
        pairs
            .into_iter()
            .map(|(key, item)| (key.to_string(), item))
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// Ids and times.

fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut bytes))
        .is_err()
    {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = (nanos ^ u128::from(std::process::id())).to_le_bytes();
    }
    bytes
}

fn format_uuid(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Returns a random version-4 UUID.
pub fn uuid_v4() -> String {
    let mut bytes = random_bytes();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    format_uuid(&bytes)
}

/// Returns a time-ordered version-7 UUID (what Codex uses for thread ids).
pub fn uuid_v7() -> String {
    let mut bytes = random_bytes();
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let millis = u64::try_from(millis).unwrap_or(0).to_be_bytes();
    bytes[..6].copy_from_slice(&millis[2..]);
    bytes[6] = (bytes[6] & 0x0f) | 0x70;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    format_uuid(&bytes)
}

/// Returns whether `text` has the 8-4-4-4-12 hex shape of a UUID.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()))
}

/// UTC calendar fields of a time: (year, month, day, hour, minute, second, millis).
pub fn utc_fields(time: SystemTime) -> (i64, i64, i64, u64, u64, u64, u32) {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis(),
    )
}

/// Returns `time` as RFC 3339 UTC with milliseconds.
pub fn rfc3339(time: SystemTime) -> String {
    let (year, month, day, hour, minute, second, millis) = utc_fields(time);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
}

// ---------------------------------------------------------------------------
// Stdin.

/// Classifies fd 0: `null`, `pipe`, `file`, `tty`, `closed` or `other`.
pub fn stdin_kind() -> &'static str {
    // SAFETY: fstat/stat write into the zeroed structs we own.
    unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        if libc::fstat(0, &raw mut stat) != 0 {
            return "closed";
        }
        let format = stat.st_mode & libc::S_IFMT;
        if format == libc::S_IFCHR {
            let mut null: libc::stat = std::mem::zeroed();
            if libc::stat(c"/dev/null".as_ptr(), &raw mut null) == 0 && null.st_rdev == stat.st_rdev
            {
                return "null";
            }
            if libc::isatty(0) == 1 {
                return "tty";
            }
            return "other";
        }
        match format {
            libc::S_IFIFO | libc::S_IFSOCK => "pipe",
            libc::S_IFREG => "file",
            _ => "other",
        }
    }
}

/// Reads stdin to its end (blocks on an open pipe, like the real CLIs
/// that do), or returns "" for a terminal or nothing.
pub fn read_stdin_to_end(kind: &str) -> String {
    if !matches!(kind, "pipe" | "file" | "null") {
        return String::new();
    }
    let mut text = String::new();
    let _ = std::io::stdin().read_to_string(&mut text);
    text
}

/// Reads a pipe only if data arrives within `wait` (else ""), or a file.
pub fn read_stdin_if_ready(kind: &str, wait: Duration) -> String {
    if kind == "pipe" {
        let mut poll = libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&raw mut poll, 1, millis) };
        if ready <= 0 {
            return String::new();
        }
    } else if kind != "file" {
        return String::new();
    }
    let mut text = String::new();
    let _ = std::io::stdin().read_to_string(&mut text);
    text
}

// ---------------------------------------------------------------------------
// Script.

/// One scripted step: the JSON object, checked against the fake's keys.
pub struct Step {
    /// Index in the script; None for the default (no script or none left).
    pub index: Option<usize>,
    /// The step's keys.
    pub map: Map<String, Value>,
}

impl Step {
    /// Returns the default step (an empty object).
    pub fn plain() -> Step {
        Step {
            index: None,
            map: Map::new(),
        }
    }

    /// Returns a string key.
    pub fn text(&self, key: &str) -> Option<String> {
        self.map
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// Returns an unsigned integer key.
    pub fn int(&self, key: &str) -> Option<u64> {
        self.map.get(key).and_then(Value::as_u64)
    }

    /// Returns a number key.
    pub fn float(&self, key: &str) -> Option<f64> {
        self.map.get(key).and_then(Value::as_f64)
    }

    /// Returns a boolean key (false when absent).
    pub fn flag(&self, key: &str) -> bool {
        self.map.get(key) == Some(&Value::Bool(true))
    }

    /// Returns an array key (empty when absent).
    pub fn list(&self, key: &str) -> Vec<Value> {
        self.map
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// Returns `kind`, default `success`.
    pub fn kind(&self) -> String {
        self.text("kind").unwrap_or_else(|| "success".to_string())
    }

    /// Returns the wait before answering: `sleep_secs` plus `sleep_ms`.
    pub fn sleep(&self) -> Duration {
        let secs = self.float("sleep_secs").unwrap_or(0.0)
            + self.float("sleep_ms").unwrap_or(0.0) / 1000.0;
        Duration::from_secs_f64(secs.max(0.0))
    }

    /// Returns `exit_code` (or its alias `exit`).
    pub fn exit_code(&self) -> Option<i32> {
        self.map
            .get("exit_code")
            .or_else(|| self.map.get("exit"))
            .and_then(Value::as_i64)
            .and_then(|code| i32::try_from(code).ok())
    }

    /// Returns the signal to die by, if any.
    pub fn signal(&self) -> Option<i32> {
        self.map.get("signal").and_then(signal_number)
    }
}

/// Keys every fake understands (see the table in each fake's docs).
pub const COMMON_KEYS: &[&str] = &[
    "match",
    "repeat",
    "kind",
    "reply",
    "status",
    "message",
    "retries",
    "sleep_secs",
    "sleep_ms",
    "heartbeat_secs",
    "ignore_sigterm",
    "signal",
    "grandchild_secs",
    "stdout",
    "truncate_bytes",
    "stderr",
    "exit_code",
    "exit",
];

/// Returns a signal number from a name (`"SIGKILL"`, `"TERM"`) or number.
pub fn signal_number(value: &Value) -> Option<i32> {
    if let Some(number) = value.as_i64() {
        return i32::try_from(number).ok();
    }
    let name = value.as_str()?;
    let name = name.strip_prefix("SIG").unwrap_or(name);
    Some(match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "ABRT" => libc::SIGABRT,
        "BUS" => libc::SIGBUS,
        "KILL" => libc::SIGKILL,
        "SEGV" => libc::SIGSEGV,
        "PIPE" => libc::SIGPIPE,
        "TERM" => libc::SIGTERM,
        "USR1" => libc::SIGUSR1,
        _ => return None,
    })
}

fn check_step(index: usize, raw: &Value, keys: &[&str], kinds: &[&str]) -> Result<Step, String> {
    let map = raw
        .as_object()
        .ok_or_else(|| format!("step {index} is not an object"))?;
    if let Some(key) = map
        .keys()
        .find(|key| !COMMON_KEYS.contains(&key.as_str()) && !keys.contains(&key.as_str()))
    {
        return Err(format!("step {index} has unknown key `{key}`"));
    }
    let step = Step {
        index: Some(index),
        map: map.clone(),
    };
    let kind = step.kind();
    if !kinds.contains(&kind.as_str()) {
        return Err(format!("step {index} has unknown kind `{kind}`"));
    }
    if let Some(value) = map.get("signal")
        && signal_number(value).is_none()
    {
        return Err(format!("step {index} has unknown signal {value}"));
    }
    Ok(step)
}

/// Takes the next step for `prompt` from the script named by `env_var`,
/// under a lock on `<script>.state`; extra `keys` and the allowed `kinds`
/// are the fake's own.
pub fn take_step(
    env_var: &str,
    prompt: &str,
    keys: &[&str],
    kinds: &[&str],
) -> Result<Step, String> {
    let Some(script) = std::env::var_os(env_var) else {
        return Ok(Step::plain());
    };
    let script = PathBuf::from(script);
    let text = std::fs::read_to_string(&script)
        .map_err(|error| format!("cannot read script `{}`: {error}", script.display()))?;
    let steps: Vec<Value> = serde_json::from_str(&text)
        .map_err(|error| format!("script `{}` is not a JSON array: {error}", script.display()))?;
    let mut state_path = script.clone().into_os_string();
    state_path.push(".state");
    let mut state = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&state_path)
        .map_err(|error| format!("cannot open script state: {error}"))?;
    state
        .lock()
        .map_err(|error| format!("cannot lock script state: {error}"))?;
    let mut used_text = String::new();
    let _ = state.read_to_string(&mut used_text);
    let mut used: BTreeSet<usize> = serde_json::from_str(&used_text).unwrap_or_default();
    for (index, raw) in steps.iter().enumerate() {
        if used.contains(&index) {
            continue;
        }
        let wanted = raw.get("match").and_then(Value::as_str);
        if wanted.is_some_and(|wanted| !prompt.contains(wanted)) {
            continue;
        }
        let step = check_step(index, raw, keys, kinds)?;
        if raw.get("repeat") != Some(&Value::Bool(true)) {
            used.insert(index);
            let text = serde_json::to_string(&used).unwrap_or_default();
            let _ = state.set_len(0);
            let _ = std::io::Seek::rewind(&mut state);
            let _ = state.write_all(text.as_bytes());
        }
        return Ok(step);
    }
    Ok(Step::plain())
}

// ---------------------------------------------------------------------------
// Invocation log.

/// Claims `call-NNNN.json` in the directory named by `env_var`.
pub fn claim_log(env_var: &str) -> Option<(PathBuf, u64)> {
    let dir = PathBuf::from(std::env::var_os(env_var)?);
    let _ = std::fs::create_dir_all(&dir);
    (1..100_000u64).find_map(|seq| {
        let path = dir.join(format!("call-{seq:04}.json"));
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .ok()
            .map(|_| (path, seq))
    })
}

/// Rewrites a log record atomically.
pub fn write_log(path: &std::path::Path, record: &Value) {
    let text = serde_json::to_string_pretty(record).unwrap_or_default() + "\n";
    let temp = path.with_extension("tmp");
    if std::fs::write(&temp, text).is_ok() {
        let _ = std::fs::rename(&temp, path);
    }
}

// ---------------------------------------------------------------------------
// Process tricks.

/// The variable that makes a re-executed fake a stdout-holding grandchild.
pub const GRANDCHILD_VAR: &str = "FAKE_AGENT_GRANDCHILD_SECS";

/// In the re-executed grandchild: holds the inherited pipes, then exits.
pub fn grandchild_main() {
    if let Ok(secs) = std::env::var(GRANDCHILD_VAR) {
        std::thread::sleep(Duration::from_secs_f64(secs.parse().unwrap_or(1.0)));
        std::process::exit(0);
    }
}

/// Applies the step's process options: ignore SIGTERM, spawn a grandchild
/// that keeps stdout/stderr open; returns the grandchild's pid.
pub fn process_options(step: &Step) -> Option<u32> {
    if step.flag("ignore_sigterm") {
        // SAFETY: installing SIG_IGN is always sound.
        unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
    }
    let secs = step.float("grandchild_secs")?;
    let exe = std::env::current_exe().ok()?;
    std::process::Command::new(exe)
        .env(GRANDCHILD_VAR, secs.to_string())
        .stdin(std::process::Stdio::null())
        .spawn()
        .ok()
        .map(|child| child.id())
}

/// Dies by `signal` (after flushing stdout).
pub fn die_by(signal: i32) {
    let _ = std::io::stdout().flush();
    // SAFETY: restoring the default action and raising is sound.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Sleeps until `end`, calling `beat` every `every` if given.
pub fn wait_until(end: Instant, every: Option<Duration>, mut beat: impl FnMut()) {
    loop {
        let now = Instant::now();
        if now >= end {
            return;
        }
        let left = end - now;
        match every {
            Some(every) => {
                std::thread::sleep(left.min(every));
                if Instant::now() < end {
                    beat();
                }
            }
            None => std::thread::sleep(left),
        }
    }
}

/// Writes `output` to stdout after the step's `stdout` / `truncate_bytes`
/// overrides, then the step's `stderr` text.
pub fn print_output(step: &Step, output: String) {
    let mut output = step.text("stdout").unwrap_or(output);
    if let Some(limit) = step
        .int("truncate_bytes")
        .and_then(|n| usize::try_from(n).ok())
    {
        let mut cut = limit.min(output.len());
        while !output.is_char_boundary(cut) {
            cut -= 1;
        }
        output.truncate(cut);
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
    if let Some(text) = step.text("stderr") {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
    }
}
