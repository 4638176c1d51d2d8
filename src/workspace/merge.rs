//! The merge queue: a task's verified branch is merged onto its plan's
//! integration branch one merge at a time (under `locks/merge.lock`), in a
//! dedicated merge worktree; the plan's merge checks (`[workspace] verify`)
//! run on the *merged* tree, and the integration branch moves (a
//! compare-and-swap `update-ref`) only when they pass. A conflict or a
//! failing check leaves the branch where it was and goes back to the agent.
//! The integration branch never points at a commit whose checks did not
//! pass; a merge a crash interrupted is cleaned up by the next one.

use std::path::PathBuf;

use anyhow::Result;

use crate::agents::runtime::Runtime;
use crate::proc::signals::StopReceiver;
use crate::state::task::Verification;
use crate::workspace::worktree::{MERGE_WORKTREE, Workspaces};

/// How a merge went.
#[derive(Debug, Clone, PartialEq)]
pub enum MergeOutcome {
    /// Merged: the integration branch is at this merge commit now.
    Merged {
        /// The merge commit.
        commit: String,
    },
    /// The task's work was in the integration branch already (nothing new,
    /// e.g. a task that changed no file, or a merge whose record a crash
    /// cut short).
    AlreadyIn {
        /// The merge commit that brought the task's head in, when there is
        /// one (none when the head is simply an ancestor of the tip).
        merge: Option<String>,
    },
    /// The merge conflicted in these paths.
    Conflict {
        /// The conflicting paths.
        paths: Vec<String>,
        /// The integration tip it was merged onto.
        tip: String,
    },
    /// The merged tree failed a merge check.
    ChecksFailed {
        /// The evidence, up to the failing check.
        evidence: Vec<Verification>,
    },
}

/// Merges the task branch `branch` onto the integration branch
/// `integration` (see the module docs). `title` goes into the merge commit's
/// message with the plan and task ids as trailers.
#[allow(clippy::too_many_arguments)]
pub async fn merge(
    runtime: &Runtime,
    workspaces: &Workspaces,
    plan_id: &str,
    task_id: &str,
    title: &str,
    branch: &str,
    integration: &str,
    stop: &StopReceiver,
) -> Result<MergeOutcome> {
    let lock_path = runtime.store.merge_lock();
    let wait = runtime.config.agent_backend.timeout.0;
    let what = format!("the merge queue of `{}`", runtime.store.root().display());
    let _guard = tokio::task::spawn_blocking(move || {
        crate::state::lock::wait_exclusive(&lock_path, &what, wait)
    })
    .await
    .map_err(|error| anyhow::anyhow!("waiting for the merge queue failed: {error}"))??;
    let git = &workspaces.git;
    let tip = git
        .resolve(&format!("refs/heads/{integration}"))?
        .ok_or_else(|| {
            anyhow::anyhow!("the integration branch `{integration}` of plan `{plan_id}` is gone")
        })?;
    let head = git
        .resolve(&format!("refs/heads/{branch}"))?
        .ok_or_else(|| anyhow::anyhow!("the branch `{branch}` of task `{task_id}` is gone"))?;
    if git.is_ancestor(&head, &tip)? {
        return Ok(MergeOutcome::AlreadyIn {
            merge: merge_of(git, plan_id, task_id, &head, &tip)?,
        });
    }
    let dir: PathBuf = workspaces.root.join(MERGE_WORKTREE);
    workspaces.ensure(&dir, &tip)?;
    workspaces.checkout(&dir, &tip)?;
    let message = format!(
        "Merge task `{task_id}`: {title}\n\nNexus-Plan: {plan_id}\nNexus-Task: {task_id}\n"
    );
    let merged = git.output(
        &dir,
        ["merge", "--no-ff", "--no-edit", "-m", &message, &head],
    )?;
    if !merged.ok {
        let paths = workspaces.conflicted(&dir)?;
        let _ = git.output(&dir, ["merge", "--abort"]);
        workspaces.checkout(&dir, &tip)?;
        if paths.is_empty() {
            return Err(anyhow::anyhow!(
                "`git merge` of `{branch}` failed in `{}`: {}",
                dir.display(),
                merged.stderr.trim()
            ));
        }
        return Ok(MergeOutcome::Conflict { paths, tip });
    }
    let commit = git.run(&dir, ["rev-parse", "HEAD"])?;
    let checks = &workspaces.config.verify;
    if !checks.is_empty() {
        let cwd = workspaces.project_dir(&dir);
        let evidence = crate::dispatch::worker::verify(runtime, checks, &cwd, stop).await;
        if evidence.iter().any(|check| !check.passed) {
            workspaces.checkout(&dir, &tip)?;
            return Ok(MergeOutcome::ChecksFailed { evidence });
        }
    }
    git.update_branch(integration, &commit, Some(&tip))?;
    Ok(MergeOutcome::Merged { commit })
}

/// Returns the merge commit on `tip`'s first-parent line that merged the
/// task's `head` (its second parent), found by the trailers the merge
/// queue writes; `None` when no merge brought it in.
fn merge_of(
    git: &crate::workspace::git::Git,
    plan_id: &str,
    task_id: &str,
    head: &str,
    tip: &str,
) -> Result<Option<String>> {
    let plan = format!("Nexus-Plan: {plan_id}");
    let task = format!("Nexus-Task: {task_id}");
    let listed = git.run(
        &git.top,
        [
            "log",
            "--first-parent",
            "--merges",
            "--fixed-strings",
            "--all-match",
            "--grep",
            plan.as_str(),
            "--grep",
            task.as_str(),
            "--format=%H %P",
            tip,
        ],
    )?;
    Ok(listed.lines().find_map(|line| {
        let mut ids = line.split_whitespace();
        let (merge, _first, second) = (ids.next()?, ids.next()?, ids.next()?);
        (second == head).then(|| merge.to_string())
    }))
}
