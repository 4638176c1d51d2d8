//! Running git for workspaces: every call names the repository or worktree
//! it runs in, never waits for a terminal prompt or a signing passphrase,
//! and runs no repository hook (nexus's commits are its own bookkeeping; a
//! hook that formats or rejects them would change or stall a run). When the
//! user has no identity git can name (CI as root has none), commits are
//! made as `nexus <nexus@localhost>`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use crate::exit::{Kind, tagged_hint};

/// The identity of nexus's commits when the repository has none.
pub const FALLBACK_NAME: &str = "nexus";
/// The email of nexus's commits when the repository has none.
pub const FALLBACK_EMAIL: &str = "nexus@localhost";

/// A git repository, seen from the user's checkout.
#[derive(Debug, Clone)]
pub struct Git {
    /// The top-level directory of the user's checkout (the main worktree,
    /// or a linked worktree of theirs).
    pub top: PathBuf,
    /// The common git directory (`.git` of the main worktree).
    pub common_dir: PathBuf,
    /// The variables that give nexus's commits the fallback identity, for
    /// each role (author, committer) git cannot name otherwise.
    identity: Vec<(&'static str, &'static str)>,
}

/// What a git call printed.
#[derive(Debug, Clone)]
pub struct Output {
    /// Whether it exited 0.
    pub ok: bool,
    /// Its exit code.
    pub code: Option<i32>,
    /// Stdout.
    pub stdout: String,
    /// Stderr.
    pub stderr: String,
}

fn base_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "commit.gpgSign=false",
            "-c",
            "tag.gpgSign=false",
            "-c",
            "core.quotePath=false",
            "-c",
            "advice.detachedHead=false",
        ])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null());
    command
}

/// Runs git in `dir` and returns what it printed, whatever its exit.
fn output<I, S>(dir: &Path, args: I, identity: &[(&str, &str)]) -> Result<Output>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<std::ffi::OsString> = args
        .into_iter()
        .map(|arg| arg.as_ref().to_os_string())
        .collect();
    let mut command = base_command(dir);
    command.args(&args);
    command.envs(identity.iter().copied());
    let shown = args
        .iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let result = command.output().map_err(|error| {
        let hint = if error.kind() == std::io::ErrorKind::NotFound {
            "install git, or set `[workspace] mode = \"shared\"` to run agents in the project itself"
        } else {
            "check that git can run here"
        };
        tagged_hint(
            Kind::Usage,
            format!("failed to run `git {shown}` in `{}`: {error}", dir.display()),
            hint,
        )
    })?;
    Ok(Output {
        ok: result.status.success(),
        code: result.status.code(),
        stdout: String::from_utf8_lossy(&result.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
    })
}

/// Runs git in `dir`; fails naming the command and its stderr.
fn run<I, S>(dir: &Path, args: I, identity: &[(&str, &str)]) -> Result<String>
where
    I: IntoIterator<Item = S> + Clone,
    S: AsRef<OsStr>,
{
    let shown = args
        .clone()
        .into_iter()
        .map(|arg| arg.as_ref().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let result = output(dir, args, identity)?;
    if result.ok {
        Ok(result.stdout.trim_end().to_string())
    } else {
        Err(anyhow::anyhow!(
            "`git {shown}` failed in `{}` ({}): {}",
            dir.display(),
            result
                .code
                .map_or_else(|| "killed".to_string(), |code| format!("exit {code}")),
            result.stderr.trim()
        ))
    }
}

/// Runs git in `dir` with no identity of nexus's (a read-only call);
/// fails naming the command and git's message.
pub fn run_plain<I, S>(dir: &Path, args: I) -> Result<String>
where
    I: IntoIterator<Item = S> + Clone,
    S: AsRef<OsStr>,
{
    run(dir, args, &[])
}

impl Git {
    /// Returns the repository `dir` is in, or `None` when it is in none.
    pub fn discover(dir: &Path) -> Result<Option<Git>> {
        let found = output(
            dir,
            ["rev-parse", "--show-toplevel", "--git-common-dir"],
            &[],
        )?;
        if !found.ok {
            return Ok(None);
        }
        let mut lines = found.stdout.lines();
        let (Some(top), Some(common)) = (lines.next(), lines.next()) else {
            return Ok(None);
        };
        let top = PathBuf::from(top);
        let common_dir = if Path::new(common).is_absolute() {
            PathBuf::from(common)
        } else {
            dir.join(common)
        };
        let common_dir = common_dir.canonicalize().unwrap_or(common_dir);
        // `top` is the checkout the user runs nexus in — a linked worktree of
        // theirs too: its HEAD is the plan's base and the branch `land`
        // moves. Branches and worktrees are the repository's, whichever
        // checkout names them.
        // Whatever names the user (config, `GIT_AUTHOR_*`/`GIT_COMMITTER_*`,
        // `EMAIL`) is git's to read: `git var` says whether it can.
        let known = |role: &str| {
            output(&top, ["var", role], &[])
                .ok()
                .is_some_and(|out| out.ok)
        };
        let mut identity = Vec::new();
        if !known("GIT_AUTHOR_IDENT") {
            identity.extend([
                ("GIT_AUTHOR_NAME", FALLBACK_NAME),
                ("GIT_AUTHOR_EMAIL", FALLBACK_EMAIL),
            ]);
        }
        if !known("GIT_COMMITTER_IDENT") {
            identity.extend([
                ("GIT_COMMITTER_NAME", FALLBACK_NAME),
                ("GIT_COMMITTER_EMAIL", FALLBACK_EMAIL),
            ]);
        }
        Ok(Some(Git {
            top,
            common_dir,
            identity,
        }))
    }

    /// Runs git in `dir` (a worktree of this repository); fails naming the
    /// command and git's message.
    pub fn run<I, S>(&self, dir: &Path, args: I) -> Result<String>
    where
        I: IntoIterator<Item = S> + Clone,
        S: AsRef<OsStr>,
    {
        run(dir, args, &self.identity)
    }

    /// Runs git in `dir` and returns what it printed, whatever its exit.
    pub fn output<I, S>(&self, dir: &Path, args: I) -> Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        output(dir, args, &self.identity)
    }

    /// Returns the commit `rev` names, if it names one.
    pub fn resolve(&self, rev: &str) -> Result<Option<String>> {
        let found = self.output(
            &self.top,
            [
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )?;
        Ok(found
            .ok
            .then(|| found.stdout.trim().to_string())
            .filter(|sha| !sha.is_empty()))
    }

    /// Returns the checkout (the main one or a linked worktree) that has
    /// `branch` checked out, if one has. Read from the `HEAD` files as git
    /// itself does, without a git process (nexus's own worktrees are always
    /// detached, so only the user's checkouts can match).
    pub fn checked_out_at(&self, branch: &str) -> Option<PathBuf> {
        let wanted = format!("ref: refs/heads/{branch}");
        let names_it =
            |head: &Path| std::fs::read_to_string(head).is_ok_and(|text| text.trim() == wanted);
        if names_it(&self.common_dir.join("HEAD")) {
            // The main worktree: the parent of a common `.git` directory.
            return Some(match self.common_dir.file_name() {
                Some(name) if name == ".git" => self
                    .common_dir
                    .parent()
                    .map_or_else(|| self.top.clone(), Path::to_path_buf),
                _ => self.top.clone(),
            });
        }
        let linked = std::fs::read_dir(self.common_dir.join("worktrees")).ok()?;
        linked.filter_map(Result::ok).find_map(|entry| {
            let admin = entry.path();
            names_it(&admin.join("HEAD")).then(|| {
                // `gitdir` holds the path of the worktree's `.git` file.
                std::fs::read_to_string(admin.join("gitdir"))
                    .ok()
                    .and_then(|gitdir| Path::new(gitdir.trim()).parent().map(Path::to_path_buf))
                    .unwrap_or(admin)
            })
        })
    }

    /// Fails when `branch` is checked out in one of the user's checkouts:
    /// moving or deleting it there would leave that checkout's index and
    /// files out of step with its branch (a later `git commit -a` would undo
    /// the plan's work).
    pub fn refuse_checked_out(&self, branch: &str) -> Result<()> {
        match self.checked_out_at(branch) {
            None => Ok(()),
            Some(place) => Err(tagged_hint(
                Kind::Usage,
                format!(
                    "branch `{branch}` is checked out in `{}`; nexus moves and deletes its branches itself",
                    place.display()
                ),
                "switch that checkout to another branch first (`git switch -`); nothing was changed",
            )),
        }
    }

    /// Moves `refs/heads/<branch>` to `new`, only if it is at `old` (`None`:
    /// only if it does not exist yet): a compare-and-swap, so two writers
    /// never lose each other's update. Refused while the branch is checked
    /// out in one of the user's checkouts.
    pub fn update_branch(&self, branch: &str, new: &str, old: Option<&str>) -> Result<()> {
        self.refuse_checked_out(branch)?;
        let reference = format!("refs/heads/{branch}");
        let old = old.unwrap_or("0000000000000000000000000000000000000000");
        self.run(&self.top, ["update-ref", &reference, new, old])
            .with_context(|| format!("failed to move branch `{branch}`"))?;
        Ok(())
    }

    /// Points `refs/heads/<branch>` at `commit`, wherever it was (a task's
    /// branch, which only its own agent instance moves); refused while the
    /// branch is checked out in one of the user's checkouts.
    pub fn set_branch(&self, branch: &str, commit: &str) -> Result<()> {
        self.refuse_checked_out(branch)?;
        let reference = format!("refs/heads/{branch}");
        self.run(&self.top, ["update-ref", &reference, commit])
            .with_context(|| format!("failed to move branch `{branch}`"))?;
        Ok(())
    }

    /// Deletes `refs/heads/<branch>` if it exists; refused while it is
    /// checked out in one of the user's checkouts.
    pub fn delete_branch(&self, branch: &str) -> Result<bool> {
        let reference = format!("refs/heads/{branch}");
        if self.resolve(&reference)?.is_none() {
            return Ok(false);
        }
        self.refuse_checked_out(branch)?;
        self.run(&self.top, ["update-ref", "-d", &reference])?;
        Ok(true)
    }

    /// Returns the branches under `refs/heads/<prefix>`.
    pub fn branches(&self, prefix: &str) -> Result<Vec<String>> {
        let listed = self.run(
            &self.top,
            [
                "for-each-ref",
                "--format=%(refname:strip=2)",
                &format!("refs/heads/{prefix}"),
            ],
        )?;
        Ok(listed
            .lines()
            .map(str::to_string)
            .filter(|line| !line.is_empty())
            .collect())
    }

    /// Returns whether `ancestor` is an ancestor of (or equal to) `commit`.
    pub fn is_ancestor(&self, ancestor: &str, commit: &str) -> Result<bool> {
        Ok(self
            .output(&self.top, ["merge-base", "--is-ancestor", ancestor, commit])?
            .ok)
    }
}

/// Returns `id` as one component of a git branch name: as it is when git
/// accepts it, else with every `.` written `%2E` (`..`, a trailing `.` or
/// `.lock` are refused; task and plan ids hold no other character git
/// refuses, and never a `%`, so the encoding is one to one).
pub fn ref_component(id: &str) -> String {
    let refused =
        id.contains("..") || id.ends_with('.') || id.ends_with(".lock") || id.starts_with('.');
    if refused {
        id.replace('.', "%2E")
    } else {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_git_refuses_are_encoded_one_to_one() {
        assert_eq!(ref_component("t01"), "t01");
        assert_eq!(ref_component("3.2"), "3.2");
        assert_eq!(ref_component("a..b"), "a%2E%2Eb");
        assert_eq!(ref_component("x.lock"), "x%2Elock");
        assert_eq!(ref_component("end."), "end%2E");
    }
}
