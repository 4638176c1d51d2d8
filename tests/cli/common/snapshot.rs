//! The one snapshot helper for CLI output (jj's `CommandOutput`, uv's
//! `uv_snapshot!`): a run's stdout, then `------- stderr -------` and its
//! stderr, then `[exit status: N]`, with the temp dir, the store, this
//! process's pid and the host name redacted, compared with
//! `tests/cli/snapshots/<name>`; `NEXUS_UPDATE_SNAPSHOTS=1` rewrites them
//! (review the diff).

use crate::common::{Run, TestEnv, repo_root};

/// Replaces what differs between machines and runs with placeholders.
pub fn redact(env: &TestEnv, text: &str) -> String {
    let pid = std::process::id();
    text.replace(&env.nexus_dir().display().to_string(), "[NEXUS_DIR]")
        .replace(&env.temp.path().display().to_string(), "[TEMP_DIR]")
        .replace(&format!("pid {pid}"), "pid [PID]")
        .replace(&format!("\"pid\": {pid}"), "\"pid\": \"[PID]\"")
        .replace(&nexus::state::lock::hostname(), "[HOST]")
}

/// Returns a run as one text: stdout, stderr, exit status.
pub fn output(env: &TestEnv, run: &Run) -> String {
    let mut actual = redact(env, &run.stdout);
    if !run.stderr.is_empty() {
        actual.push_str("------- stderr -------\n");
        actual.push_str(&redact(env, &run.stderr));
    }
    actual.push_str(&format!("[exit status: {}]\n", run.code));
    actual
}

/// Compares `actual` with `tests/cli/snapshots/<name>`.
#[track_caller]
pub fn assert_text(name: &str, actual: &str) {
    let path = repo_root().join("tests/cli/snapshots").join(name);
    if std::env::var_os("NEXUS_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "snapshot `{name}` differs (NEXUS_UPDATE_SNAPSHOTS=1 cargo test rewrites it)\n--- expected ---\n{expected}\n--- actual ---\n{actual}"
    );
}

/// Compares a run's output (stdout, stderr, exit status) with a snapshot.
#[track_caller]
pub fn assert_output(env: &TestEnv, name: &str, run: &Run) {
    assert_text(name, &output(env, run));
}
