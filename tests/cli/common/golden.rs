//! Golden files under `tests/cli/snapshots/`: a test's output compared
//! byte for byte; `NEXUS_UPDATE_SNAPSHOTS=1` rewrites them (review the diff).

use crate::common::repo_root;

/// Compares `actual` with `tests/cli/snapshots/<name>`.
#[track_caller]
pub fn assert_golden(name: &str, actual: &str) {
    let path = repo_root().join("tests/cli/snapshots").join(name);
    if std::env::var_os("NEXUS_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "golden file `{name}` differs (NEXUS_UPDATE_SNAPSHOTS=1 cargo test rewrites it)\n--- expected ---\n{expected}\n--- actual ---\n{actual}"
    );
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
