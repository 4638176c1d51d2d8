//! Golden files under `tests/cli/snapshots/`: a test's output compared
//! byte for byte; `NEXUS_UPDATE_SNAPSHOTS=1` rewrites them (review the diff).

/// Compares `actual` with `tests/cli/snapshots/<name>` (see `snapshot`).
#[track_caller]
pub fn assert_golden(name: &str, actual: &str) {
    crate::common::snapshot::assert_text(name, actual);
}

/// Returns the program named by the environment variable `var` (a test
/// tool `.ci/run` installs and exports), or `None` after a skip note when
/// it is unset outside CI. In CI (`CI` set) a missing tool fails the test.
#[expect(clippy::print_stderr, reason = "the skip note is for the developer")]
pub fn tool(var: &str) -> Option<std::path::PathBuf> {
    match std::env::var_os(var) {
        Some(path) if !path.is_empty() => Some(path.into()),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} is unset in CI: run the tests through `.ci/run`")
        }
        _ => {
            eprintln!("skipped: {var} is unset (`.ci/run` installs the tool and sets it)");
            None
        }
    }
}
