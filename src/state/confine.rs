//! Where nexus may read and write state, and the rule that keeps it there:
//! never through a symlink. A `.nexus` directory comes from anywhere — a
//! `git clone` of someone else's repository included — and a symlink
//! committed at `locks/plan-p.lock`, `memory/<agent>.jsonl` or
//! `messages/<plan>/` would otherwise make `nexus run` truncate, append to
//! or create files wherever it points (or read them into a prompt).
//!
//! A store registers its root (canonical, so the path above it holds no
//! symlink) with [`confine`]; from then on every path under a registered
//! root that `state::fs` or `state::lock` reads, writes, lists or locks is
//! checked component by component, and a symlink anywhere below the root is
//! an error naming it. Files outside every root (a plan file given to
//! `--from`, a path given to `-o`) are the user's own and are not checked
//! here; a user's file nexus remembers and rewrites later (an imported
//! Task Master file) must be a [`project_file`]: inside the project and
//! reached without a symlink.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use anyhow::Result;

use crate::exit::{Kind, tagged_hint};

/// The roots (canonical paths) under which no symlink is followed.
static ROOTS: RwLock<Vec<PathBuf>> = RwLock::new(Vec::new());

/// Registers `root` (canonical) as a root nexus keeps state under.
pub fn confine(root: &Path) {
    let mut roots = ROOTS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !roots.iter().any(|known| known == root) {
        roots.push(root.to_path_buf());
    }
}

/// Returns the error for a symlink where state belongs.
pub fn symlink_error(path: &Path) -> anyhow::Error {
    tagged_hint(
        Kind::StateInvalid,
        format!(
            "`{}` is a symlink; nexus never reads or writes state through a symlink",
            path.display()
        ),
        "replace it with a regular file or directory (a symlink in `.nexus` may come from a cloned repository); nothing was changed",
    )
}

/// Checks that no component of `path` below a registered root is a symlink
/// (the root itself was checked when it was registered). Components that
/// do not exist yet are fine: nexus creates them as real directories.
pub fn check(path: &Path) -> Result<()> {
    let roots = ROOTS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(root) = roots.iter().find(|root| path.starts_with(root)) else {
        return Ok(());
    };
    let Ok(below) = path.strip_prefix(root) else {
        return Ok(());
    };
    let mut current = root.clone();
    for component in below.components() {
        current.push(component);
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => return Err(symlink_error(&current)),
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => break,
            Err(_) => break,
        }
    }
    Ok(())
}

/// Returns the path of the existing regular file `path` relative to
/// `project` (a canonical directory) when `path` reaches it without a
/// symlink and it lies inside `project`; otherwise the reason, a lowercase
/// fragment naming the path. A file of the user's that nexus remembers and
/// later rewrites (an imported Task Master file) must pass this both when
/// it is remembered and when it is written, so that a symlink placed since
/// (by a cloned repository, say) cannot redirect the write.
pub fn project_file(project: &Path, path: &Path) -> Result<PathBuf, String> {
    let shown = path.display();
    let absolute = std::path::absolute(path).map_err(|error| format!("`{shown}`: {error}"))?;
    // The path as the user wrote it, `..` taken lexically: it names the
    // real file only when no symlink was passed on the way.
    let mut lexical = PathBuf::new();
    for component in absolute.components() {
        match component {
            std::path::Component::ParentDir => {
                lexical.pop();
            }
            std::path::Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    let canonical = absolute
        .canonicalize()
        .map_err(|error| format!("`{shown}` cannot be resolved: {error}"))?;
    if !canonical.starts_with(project) {
        return Err(format!(
            "`{shown}` is outside the project `{}`",
            project.display()
        ));
    }
    if lexical != canonical {
        let link = lexical
            .ancestors()
            .filter(|ancestor| {
                std::fs::symlink_metadata(ancestor).is_ok_and(|meta| meta.file_type().is_symlink())
            })
            .last();
        return Err(match link {
            Some(link) if link != lexical => format!(
                "`{shown}` is reached through the symlink `{}`",
                link.display()
            ),
            _ => format!("`{shown}` is a symlink"),
        });
    }
    if !canonical.is_file() {
        return Err(format!("`{shown}` is not a regular file"));
    }
    canonical
        .strip_prefix(project)
        .map(Path::to_path_buf)
        .map_err(|_| format!("`{shown}` is outside the project `{}`", project.display()))
}

/// Returns `dir` (a `.nexus` directory, existing) as a canonical path,
/// refusing a `.nexus` that is itself a symlink.
pub fn canonical_root(dir: &Path) -> Result<PathBuf> {
    let meta = std::fs::symlink_metadata(dir);
    if meta.is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Err(tagged_hint(
            Kind::StateInvalid,
            format!(
                "`{}` is a symlink; nexus never reads or writes state through a symlink",
                dir.display()
            ),
            "point `--dir`/`NEXUS_DIR` at the directory it links to if you meant it",
        ));
    }
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let name = absolute.file_name().map(std::ffi::OsStr::to_os_string);
    let parent = absolute.parent().map(Path::to_path_buf);
    match (parent, name) {
        (Some(parent), Some(name)) => Ok(parent.canonicalize().unwrap_or(parent).join(name)),
        _ => Ok(absolute),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_anywhere_below_a_root_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap().join(".nexus");
        std::fs::create_dir_all(root.join("plans/p")).unwrap();
        std::fs::create_dir_all(dir.path().join("elsewhere")).unwrap();
        confine(&root);
        assert!(check(&root.join("plans/p/plan.json")).is_ok());
        assert!(check(&root.join("not/there/yet.json")).is_ok());
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), root.join("plans/p/results"))
            .unwrap();
        let error = check(&root.join("plans/p/results/t.md")).unwrap_err();
        assert!(
            format!("{error:#}").contains("plans/p/results` is a symlink"),
            "{error:#}"
        );
        assert_eq!(crate::exit::code_for(&error), crate::exit::STATE_INVALID);
        std::os::unix::fs::symlink("/etc/passwd", root.join("x.json")).unwrap();
        assert!(check(&root.join("x.json")).is_err());
        // Outside every root nothing is checked.
        assert!(check(&dir.path().join("elsewhere/free.txt")).is_ok());
    }

    #[test]
    fn a_project_file_is_inside_and_reached_without_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let project = base.join("project");
        std::fs::create_dir_all(project.join("sub/real")).unwrap();
        std::fs::write(project.join("sub/real/tasks.json"), "{}").unwrap();
        std::fs::write(base.join("outside.json"), "{}").unwrap();
        assert_eq!(
            project_file(&project, &project.join("sub/real/tasks.json")),
            Ok(PathBuf::from("sub/real/tasks.json"))
        );
        assert_eq!(
            project_file(&project, &project.join("sub/./real/../real/tasks.json")),
            Ok(PathBuf::from("sub/real/tasks.json"))
        );
        let outside = project_file(&project, &project.join("../outside.json")).unwrap_err();
        assert!(outside.contains("is outside the project"), "{outside}");
        assert!(project_file(&project, &project.join("sub")).is_err());
        assert!(project_file(&project, &project.join("missing.json")).is_err());
        std::os::unix::fs::symlink(project.join("sub/real"), project.join("link")).unwrap();
        let through = project_file(&project, &project.join("link/tasks.json")).unwrap_err();
        assert!(
            through.ends_with(&format!(
                "is reached through the symlink `{}`",
                project.join("link").display()
            )),
            "{through}"
        );
        std::os::unix::fs::symlink(
            project.join("sub/real/tasks.json"),
            project.join("file.json"),
        )
        .unwrap();
        let file = project_file(&project, &project.join("file.json")).unwrap_err();
        assert!(file.ends_with("file.json` is a symlink"), "{file}");
    }

    #[test]
    fn a_root_that_is_a_symlink_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join(".nexus")).unwrap();
        assert!(canonical_root(&dir.path().join(".nexus")).is_err());
        assert!(canonical_root(&dir.path().join("real")).is_ok());
    }
}
