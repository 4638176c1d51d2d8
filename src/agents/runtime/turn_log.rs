//! A turn's raw output log: what the agent's CLI printed, line by line, with
//! a header naming the turn and a note of what did not fit.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::proc::supervise;
use crate::state::fs;

/// The most raw output one turn writes to its log; the rest is counted and
/// the log says so.
pub const MAX_LOG_BYTES: u64 = 64 << 20;

/// A turn's raw output, appended to its log line by line as it comes
/// (never held whole in memory), owner-only, capped at [`MAX_LOG_BYTES`].
pub(super) struct TurnLog {
    path: PathBuf,
    redactor: crate::ui::Redactor,
    writer: Option<std::io::BufWriter<std::fs::File>>,
    written: u64,
    dropped_lines: u64,
    error: Option<anyhow::Error>,
}

impl TurnLog {
    /// Opens the log at `path` for appending; every line is redacted.
    pub(super) fn open(path: &Path, redactor: crate::ui::Redactor) -> Result<Self> {
        let file = fs::open_log(path)?;
        Ok(TurnLog {
            path: path.to_path_buf(),
            redactor,
            writer: Some(std::io::BufWriter::new(file)),
            written: 0,
            dropped_lines: 0,
            error: None,
        })
    }

    /// Appends one line (unless the cap is reached; then it is counted).
    pub(super) fn line(&mut self, line: &str) {
        use std::io::Write as _;
        let line = self.redactor.redact(line);
        let line = line.as_ref();
        if self.written + line.len() as u64 + 1 > MAX_LOG_BYTES {
            self.dropped_lines += 1;
            return;
        }
        if let Some(writer) = &mut self.writer
            && let Err(error) = writer
                .write_all(line.as_bytes())
                .and_then(|()| writer.write_all(b"\n"))
        {
            self.error = Some(
                anyhow::Error::new(error)
                    .context(format!("failed to append to `{}`", self.path.display())),
            );
            self.writer = None;
        }
        self.written += line.len() as u64 + 1;
    }

    /// Writes the stderr tail and the truncation note, then flushes.
    pub(super) fn finish(mut self, stderr_tail: &str) -> Result<()> {
        use std::io::Write as _;
        if !stderr_tail.trim().is_empty() {
            let line = serde_json::json!({"type": "nexus_stderr", "text": supervise::tail(stderr_tail, 50, 8000)});
            self.written = self.written.min(MAX_LOG_BYTES - 16 * 1024);
            self.line(&line.to_string());
        }
        if self.dropped_lines > 0 {
            let line = serde_json::json!({
                "type": "nexus_truncated",
                "dropped_lines": self.dropped_lines,
                "limit_bytes": MAX_LOG_BYTES,
            });
            self.written = 0;
            self.line(&line.to_string());
        }
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        if let Some(mut writer) = self.writer.take() {
            writer
                .flush()
                .map_err(anyhow::Error::new)
                .map_err(|error| {
                    error.context(format!("failed to append to `{}`", self.path.display()))
                })?;
        }
        Ok(())
    }
}
