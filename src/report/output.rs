//! Where a picture or report goes: stdout, or exactly the file named by
//! `-o FILE`, written atomically through the one write path
//! (`state::fs::write_atomic`). A symlink at that path is refused rather
//! than followed or replaced: `-o` writes the file the user named, and a
//! link planted there should not redirect (or silently lose) the output.

use std::path::Path;

use anyhow::Result;

use crate::exit::with_hint;
use crate::state::fs;
use crate::ui::Ui;

/// Prints `text` on stdout, or writes it to `to` (`-` is stdout) and says
/// so on stderr.
pub fn emit(ui: &Ui, text: &str, to: Option<&Path>) -> Result<()> {
    match to {
        None => ui.out(text),
        Some(path) if path.as_os_str() == "-" => ui.out(text),
        Some(path) => {
            write_file(path, text)?;
            ui.note(&format!(
                "wrote `{}` ({} bytes)",
                path.display(),
                text.len()
            ));
            Ok(())
        }
    }
}

/// Writes `text` to `path` atomically; refuses a symlink or a directory at
/// `path` and a parent directory that does not exist.
pub fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(with_hint(
                format!(
                    "`{}` is a symlink; `-o` does not write through one",
                    path.display()
                ),
                "remove the link, or name the file it points to",
            ));
        }
        if meta.is_dir() {
            return Err(with_hint(
                format!("`{}` is a directory", path.display()),
                "name a file for `-o`",
            ));
        }
    }
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    if !parent.is_dir() {
        return Err(with_hint(
            format!("directory `{}` does not exist", parent.display()),
            "create it first; `-o` writes only the file it names",
        ));
    }
    fs::write_atomic(path, text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_written_and_links_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out.svg");
        write_file(&file, "<svg/>").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "<svg/>");
        write_file(&file, "<svg></svg>").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "<svg></svg>");
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.svg");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = write_file(&link, "x").unwrap_err();
        assert!(format!("{error:#}").contains("is a symlink"), "{error:#}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(write_file(dir.path(), "x").is_err());
        assert!(write_file(&dir.path().join("no/such/dir.svg"), "x").is_err());
    }
}
