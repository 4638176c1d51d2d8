//! Where a picture or report goes: stdout, or exactly the file named by
//! `-o FILE`, written atomically by `state::fs::write_named` (the one
//! helper for user-named files: never through a symlink, never over a
//! directory, never creating one). Secrets from the environment are
//! redacted from a file as from stdout.

use std::path::Path;

use anyhow::Result;

use crate::state::fs;
use crate::ui::Ui;

/// Prints `text` on stdout, or writes it to `to` (relative to `cwd`; `-`
/// is stdout) and says so on stderr.
pub fn emit(ui: &Ui, cwd: &Path, text: &str, to: Option<&Path>) -> Result<()> {
    match to {
        None => ui.out(text),
        Some(path) if path.as_os_str() == "-" => ui.out(text),
        Some(path) => {
            let path = cwd.join(path);
            let text = ui.redactor().redact(text);
            fs::write_named(&path, text.as_bytes())?;
            ui.note(&format!(
                "wrote `{}` ({} bytes)",
                path.display(),
                text.len()
            ));
            Ok(())
        }
    }
}
