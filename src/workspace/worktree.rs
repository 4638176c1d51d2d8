//! One persistent git worktree per agent instance, shared by all plans and
//! reused across tasks, so an agent's session keeps its working directory.
//!
//! Worktrees live under the workspace root (see [`default_root`]): outside
//! the project, so that cargo (which would take a nested package for a
//! member of the project's workspace), npm (which resolves the project's
//! `node_modules` from a subdirectory), jest or ripgrep never see the
//! copies. The root holds a marker naming the repository it serves; a
//! directory under a marked root is nexus's to repair or replace.
//!
//! A worktree's HEAD is always detached: task branches are moved with
//! `update-ref` and never checked out, so no branch is ever "already used by
//! worktree" after a crash, and the user's own branches are never touched.
//! Every operation on an instance's worktree happens under that instance's
//! session lock (the caller holds it), which is also what makes a left-over
//! `index.lock` safe to remove: no live git process of ours can own it.

#![allow(
    clippy::disallowed_methods,
    reason = "worktrees live outside `.nexus`: this module owns their directories"
)]

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::Digest;

use crate::exit::{Kind, tagged, tagged_hint};
use crate::state::config::{WorkspaceConfig, WorkspaceMode};
use crate::state::store::Store;
use crate::workspace::git::{Git, ref_component};

/// The file marking a workspace root as nexus's.
const MARKER: &str = ".nexus-workspaces";

/// The name of the worktree the merge queue works in.
pub const MERGE_WORKTREE: &str = "_merge";

/// The workspaces of one project.
#[derive(Debug, Clone)]
pub struct Workspaces {
    /// The repository.
    pub git: Git,
    /// Where the worktrees live.
    pub root: PathBuf,
    /// The project directory relative to the repository's top level (empty
    /// when the project is the top level).
    pub project_rel: PathBuf,
    /// The `.nexus` directory relative to the top level (never committed).
    pub store_rel: PathBuf,
    /// The settings.
    pub config: WorkspaceConfig,
    /// The lock that serializes creating and pruning worktrees (git's own
    /// bookkeeping of worktrees does not take concurrent `worktree add`s).
    pub lock: PathBuf,
    /// How long to wait for it.
    pub lock_timeout: std::time::Duration,
}

/// Why agents work in the project itself, when they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shared {
    /// `[workspace] mode = "shared"`.
    Configured,
    /// The project is not in a git repository.
    NotARepository,
}

impl Shared {
    /// Returns the note `run` prints.
    pub fn note(&self) -> &'static str {
        match self {
            Shared::Configured => {
                "agents work in the project itself (`[workspace] mode = \"shared\"`)"
            }
            Shared::NotARepository => {
                "the project is not a git repository: agents work in the project itself, with no worktrees or merge queue"
            }
        }
    }
}

/// Returns the default workspace root of the project at `project_root`:
/// `$XDG_DATA_HOME/nexus/workspaces/<name>-<hash>` (else under
/// `~/.local/share`).
pub fn default_root(
    env: &std::collections::BTreeMap<String, String>,
    project_root: &Path,
) -> Option<PathBuf> {
    let non_empty = |name: &str| env.get(name).filter(|value| !value.is_empty());
    let data = match non_empty("XDG_DATA_HOME") {
        Some(data) => PathBuf::from(data),
        None => PathBuf::from(non_empty("HOME")?).join(".local/share"),
    };
    let name: String = project_root
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let digest = sha2::Sha256::digest(project_root.to_string_lossy().as_bytes());
    let hash: String = digest
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Some(data.join("nexus/workspaces").join(format!("{name}-{hash}")))
}

impl Workspaces {
    /// Returns the project's workspaces, or why agents work in the project
    /// itself.
    pub fn open(
        store: &Store,
        config: &WorkspaceConfig,
        env: &std::collections::BTreeMap<String, String>,
    ) -> Result<std::result::Result<Workspaces, Shared>> {
        if config.mode == WorkspaceMode::Shared {
            return Ok(Err(Shared::Configured));
        }
        let project_root = store.project_root();
        let Some(git) = Git::discover(&project_root)? else {
            return Ok(Err(Shared::NotARepository));
        };
        let root = if config.root.trim().is_empty() {
            default_root(env, &project_root).ok_or_else(|| {
                tagged_hint(
                    Kind::Usage,
                    "cannot place the workspaces: neither `XDG_DATA_HOME` nor `HOME` is set",
                    "set `[workspace] root` in `.nexus/config.toml`",
                )
            })?
        } else {
            project_root.join(config.root.trim())
        };
        let top = git.top.canonicalize().unwrap_or_else(|_| git.top.clone());
        let project = project_root
            .canonicalize()
            .unwrap_or_else(|_| project_root.clone());
        let project_rel = project
            .strip_prefix(&top)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let store_root = store
            .root()
            .canonicalize()
            .unwrap_or_else(|_| store.root().to_path_buf());
        let store_rel = store_root
            .strip_prefix(&top)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| PathBuf::from(crate::state::store::DIR_NAME));
        if root.starts_with(&top) {
            return Err(tagged_hint(
                Kind::Usage,
                format!(
                    "`[workspace] root` `{}` is inside the repository `{}`",
                    root.display(),
                    top.display()
                ),
                "put the worktrees outside the checkout (cargo, npm and ripgrep would see them), or leave `root` empty",
            ));
        }
        Ok(Ok(Workspaces {
            git,
            root,
            project_rel,
            store_rel,
            config: config.clone(),
            lock: store.worktrees_lock(),
            lock_timeout: store.lock_timeout().max(std::time::Duration::from_secs(60)),
        }))
    }

    /// Claims the root for this repository (creating it and its marker), or
    /// fails when it serves another.
    pub fn claim_root(&self) -> Result<()> {
        refuse_symlink(&self.root)?;
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("failed to create directory `{}`", self.root.display()))?;
        let marker = self.root.join(MARKER);
        let ours = self.git.common_dir.display().to_string();
        match std::fs::read_to_string(&marker) {
            Ok(text) if text.trim() == ours => Ok(()),
            Ok(text) => Err(tagged_hint(
                Kind::Usage,
                format!(
                    "the workspace root `{}` serves another repository (`{}`)",
                    self.root.display(),
                    text.trim()
                ),
                "set another `[workspace] root`",
            )),
            Err(_) => {
                if std::fs::read_dir(&self.root)
                    .map(|mut entries| entries.next().is_some())
                    .unwrap_or(false)
                {
                    return Err(tagged_hint(
                        Kind::Usage,
                        format!(
                            "the workspace root `{}` is not empty and not nexus's",
                            self.root.display()
                        ),
                        "point `[workspace] root` at an empty or new directory",
                    ));
                }
                crate::state::fs::write_atomic(&marker, format!("{ours}\n").as_bytes())?;
                Ok(())
            }
        }
    }

    /// Returns the worktree directory of an agent instance.
    pub fn instance_dir(&self, agent_id: &str, instance: u32) -> PathBuf {
        if instance == 0 {
            self.root.join(agent_id)
        } else {
            self.root.join(format!("{agent_id}.{instance}"))
        }
    }

    /// Returns the directory inside worktree `dir` that corresponds to the
    /// project (where agents and verify commands run).
    pub fn project_dir(&self, dir: &Path) -> PathBuf {
        // `join("")` would add a trailing `/`, and the agent CLI keys its
        // sessions by the exact directory.
        if self.project_rel.as_os_str().is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(&self.project_rel)
        }
    }

    /// Returns the integration branch of a plan.
    pub fn integration_branch(plan_id: &str) -> String {
        format!("nexus/{}", ref_component(plan_id))
    }

    /// Returns the branch of a task.
    pub fn task_branch(plan_id: &str, task_id: &str) -> String {
        format!(
            "nexus-task/{}/{}",
            ref_component(plan_id),
            ref_component(task_id)
        )
    }

    /// Drops git's records of worktrees whose directory is gone.
    pub fn prune_records(&self) -> Result<()> {
        let _guard = self.lock_worktrees()?;
        self.git.run(&self.git.top, ["worktree", "prune"])?;
        Ok(())
    }

    fn lock_worktrees(&self) -> Result<crate::state::lock::LockGuard> {
        crate::state::lock::wait_exclusive(&self.lock, "the worktrees", self.lock_timeout)
    }

    /// Returns the git directory of `dir` when it is a worktree of this
    /// repository.
    fn our_worktree_git_dir(&self, dir: &Path) -> Option<PathBuf> {
        if !dir.join(".git").exists() {
            return None;
        }
        let out = self
            .git
            .output(dir, ["rev-parse", "--git-common-dir", "--absolute-git-dir"])
            .ok()
            .filter(|out| out.ok)?;
        let mut lines = out.stdout.lines();
        let common = PathBuf::from(lines.next()?.trim());
        let git_dir = PathBuf::from(lines.next()?.trim());
        let common = if common.is_absolute() {
            common
        } else {
            dir.join(common)
        };
        let common = common.canonicalize().unwrap_or(common);
        (common == self.git.common_dir).then_some(git_dir)
    }

    /// Makes sure the worktree `dir` exists and is healthy, creating it at
    /// `start` when missing (the caller holds its lock); returns whether it
    /// was created (so setup runs).
    pub fn ensure(&self, dir: &Path, start: &str) -> Result<bool> {
        self.claim_root()?;
        refuse_symlink(dir)?;
        if let Some(git_dir) = self.our_worktree_git_dir(dir) {
            // A crash may have left git's index lock behind: nothing of ours
            // is running in this worktree now (we hold its lock).
            let _ = std::fs::remove_file(git_dir.join("index.lock"));
            return Ok(false);
        }
        let _guard = self.lock_worktrees()?;
        if dir.exists() {
            // Our directory, but git no longer knows it (its record was
            // pruned, or a half-made worktree): replace it.
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("failed to remove stale worktree `{}`", dir.display()))?;
        }
        self.git.run(&self.git.top, ["worktree", "prune"])?;
        self.git
            .run(
                &self.git.top,
                [
                    "worktree".as_ref(),
                    "add".as_ref(),
                    "--detach".as_ref(),
                    "--quiet".as_ref(),
                    dir.as_os_str(),
                    start.as_ref(),
                ],
            )
            .with_context(|| format!("failed to create worktree `{}`", dir.display()))?;
        self.copy_files(dir)?;
        Ok(true)
    }

    /// Removes worktree `dir` (its directory and git's record of it) under
    /// the worktrees' lock: for `prune`, and after a failed setup so that
    /// the next attempt makes it again (and runs `[workspace] setup` again).
    pub fn discard(&self, dir: &Path) -> Result<()> {
        let _guard = self.lock_worktrees()?;
        self.git.run(
            &self.git.top,
            [
                "worktree".as_ref(),
                "remove".as_ref(),
                "--force".as_ref(),
                dir.as_os_str(),
            ],
        )?;
        Ok(())
    }

    /// Copies `[workspace] copy_files` from the project into a new worktree.
    fn copy_files(&self, dir: &Path) -> Result<()> {
        let project = self.git.top.join(&self.project_rel);
        for name in &self.config.copy_files {
            let relative = Path::new(name);
            if relative.is_absolute()
                || relative
                    .components()
                    .any(|part| matches!(part, std::path::Component::ParentDir))
            {
                return Err(tagged(
                    Kind::StateInvalid,
                    format!(
                        "`[workspace] copy_files` entry `{name}` must be a path inside the project"
                    ),
                ));
            }
            let from = project.join(relative);
            if !from.is_file() {
                continue;
            }
            let to = self.project_dir(dir).join(relative);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("failed to create `{}`", parent.display()))?;
            }
            std::fs::copy(&from, &to).with_context(|| {
                format!("failed to copy `{}` to `{}`", from.display(), to.display())
            })?;
        }
        Ok(())
    }

    /// Puts worktree `dir` at `commit`, detached, with no local change and
    /// no untracked file (ignored ones, such as build output, are kept).
    /// `reset --hard` also ends a merge left unfinished (it removes
    /// `MERGE_HEAD`).
    pub fn checkout(&self, dir: &Path, commit: &str) -> Result<()> {
        self.git.run(dir, ["reset", "--hard", "--quiet"])?;
        self.git.run(dir, ["clean", "-fdq"])?;
        self.git
            .run(dir, ["checkout", "--detach", "--force", "--quiet", commit])?;
        Ok(())
    }

    /// Merges `tip` into worktree `dir` (at the task's head) without
    /// committing; returns the conflicting paths, whose conflict markers are
    /// left for the agent to resolve.
    pub fn merge_in(&self, dir: &Path, tip: &str) -> Result<Vec<String>> {
        let merged = self
            .git
            .output(dir, ["merge", "--no-ff", "--no-commit", tip])?;
        let conflicts = self.conflicted(dir)?;
        if !merged.ok && conflicts.is_empty() {
            return Err(anyhow::anyhow!(
                "`git merge {tip}` failed in `{}`: {}",
                dir.display(),
                merged.stderr.trim()
            ));
        }
        Ok(conflicts)
    }

    /// Returns the paths with unresolved conflicts in worktree `dir`.
    pub fn conflicted(&self, dir: &Path) -> Result<Vec<String>> {
        Ok(self
            .git
            .run(dir, ["diff", "--name-only", "--diff-filter=U"])?
            .lines()
            .map(str::to_string)
            .filter(|line| !line.is_empty())
            .collect())
    }

    /// Commits everything the agent changed in worktree `dir` except the
    /// store (`.nexus` is never committed from a worktree); returns the new
    /// head, or `None` when there was nothing to commit.
    pub fn commit(&self, dir: &Path, message: &str) -> Result<Option<String>> {
        let exclude = format!(":(top,exclude){}", self.store_rel.display());
        self.git
            .run(dir, ["add", "-A", "--", ":/", exclude.as_str()])?;
        let merging = self.git.resolve_in(dir, "MERGE_HEAD")?.is_some();
        let staged = !self.git.output(dir, ["diff", "--cached", "--quiet"])?.ok;
        if !staged && !merging {
            return Ok(None);
        }
        self.git
            .run(dir, ["commit", "--quiet", "--no-verify", "-m", message])?;
        Ok(Some(self.git.run(dir, ["rev-parse", "HEAD"])?))
    }
}

impl Git {
    /// Returns the commit `rev` names in worktree `dir` (for per-worktree
    /// refs such as `HEAD` and `MERGE_HEAD`).
    pub fn resolve_in(&self, dir: &Path, rev: &str) -> Result<Option<String>> {
        let found = self.output(dir, ["rev-parse", "--verify", "--quiet", rev])?;
        Ok(found
            .ok
            .then(|| found.stdout.trim().to_string())
            .filter(|sha| !sha.is_empty()))
    }
}

/// Fails when `path` exists and is a symlink: a workspace directory is
/// always a real one.
fn refuse_symlink(path: &Path) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink()) {
        return Err(crate::state::confine::symlink_error(path));
    }
    Ok(())
}
