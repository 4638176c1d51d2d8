//! The words of the outcomes every CLI can end in, for the backends'
//! classifiers (with [`crate::agents::backend::stopped_outcome`]).

use crate::agents::backend::{Exit, Outcome};

/// A classified turn's end: its outcome and, unless a success, why.
pub type Verdict = (Outcome, Option<String>);

/// Returns the verdict on a turn whose CLI reported success (`after` names
/// that report): a crash when the process did not exit 0, a permission
/// denial when `denied` says which tools were refused, else a success.
pub fn success_unless(exit: &Exit, after: &str, denied: Option<String>) -> Verdict {
    if exit.code != Some(0) {
        return (
            Outcome::Crashed,
            Some(format!("{} after {after}", exit.code_text())),
        );
    }
    match denied {
        Some(reason) => (Outcome::PermissionDenied, Some(reason)),
        None => (Outcome::Success, None),
    }
}

/// Returns `Some(reason)` when tools were denied: `what` (`tools denied by
/// the sandbox`), then the tools joined by `separator`.
pub fn denied(what: &str, tools: &[String], separator: &str) -> Option<String> {
    (!tools.is_empty()).then(|| format!("{what}: {}", tools.join(separator)))
}

/// Returns the verdict on an API error: its HTTP status, when known, and
/// the start of its message.
pub fn api_error(status: Option<u16>, message: &str) -> Verdict {
    let status = status.map_or_else(
        || "no HTTP status".to_string(),
        |status| format!("HTTP {status}"),
    );
    (
        Outcome::ApiError,
        Some(format!(
            "API error ({status}): {}",
            crate::ui::shorten(message, 300)
        )),
    )
}

/// Returns the verdict on a process a signal ended.
pub fn killed(signal: i32) -> Verdict {
    (Outcome::Killed, Some(format!("killed by signal {signal}")))
}

/// Returns the verdict on a process that failed `when` (`with no output`,
/// `before a result`), with the first stderr line that says why.
pub fn crashed(exit: &Exit, when: &str, stderr_line: &str) -> Verdict {
    (
        Outcome::Crashed,
        Some(format!(
            "{} {when}{}",
            exit.code_text(),
            stderr_suffix(stderr_line)
        )),
    )
}

/// Returns `: LINE` to end a reason with a stderr line, nothing when it is
/// empty.
pub fn stderr_suffix(stderr_line: &str) -> String {
    if stderr_line.is_empty() {
        String::new()
    } else {
        format!(": {stderr_line}")
    }
}

/// Returns the verdict on output without the end a turn must print: `what`
/// (`no result in the output`), the exit and the end of stdout.
pub fn invalid_output(what: &str, exit: &Exit) -> Verdict {
    (
        Outcome::InvalidOutput,
        Some(format!(
            "{what} ({}): {}",
            exit.code_text(),
            crate::ui::shorten(&exit.stdout_tail, 200)
        )),
    )
}
