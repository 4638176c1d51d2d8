//! Workspaces: in a git repository, every agent instance works in its own
//! worktree, every task on its own branch, and a plan delivers one verified
//! integration branch through a serialized merge queue. `run` never touches
//! the user's checkout, branch or index: it moves only `nexus/*` and
//! `nexus-task/*` branches (with `update-ref`) and works in worktrees.

pub mod git;
pub mod merge;
pub mod ops;
pub mod worktree;

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::exit::{Kind, tagged_hint};
use crate::state::fs;
use crate::state::store::Store;
use crate::state::workspace::PlanWorkspace;
use crate::time::Timestamp;
pub use worktree::{Shared, Workspaces};

/// How a task's attempt starts in its worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// From the integration branch's tip (a task's first attempt).
    Fresh,
    /// From the task branch's head (a retry after a failed check).
    Continue,
    /// From the task branch's head with the integration tip merged in, its
    /// conflicts left for the agent (a retry after a merge conflict).
    MergeTip,
}

/// A worktree made ready for an attempt.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The worktree.
    pub dir: PathBuf,
    /// Where the agent runs in it (the project's directory).
    pub cwd: PathBuf,
    /// The integration tip the attempt starts from.
    pub base: String,
    /// Paths left with conflict markers (after [`Start::MergeTip`]).
    pub conflicts: Vec<String>,
}

/// Returns the plan's place in git, recording it (and creating its
/// integration branch at the base) the first time: `base` is the commit to
/// start from (`run --base`), else the checkout's `HEAD`. Warns through
/// `note` that uncommitted changes are invisible to the agents.
pub fn begin_plan(
    store: &Store,
    workspaces: &Workspaces,
    plan_id: &str,
    base: Option<&str>,
    now: Timestamp,
    note: &mut dyn FnMut(&str),
) -> Result<PlanWorkspace> {
    let path = store.plan_workspace_path(plan_id);
    let _guard = store.lock_plan_edit(plan_id)?;
    let git = &workspaces.git;
    let existing: Option<PlanWorkspace> = match fs::read_optional(&path)? {
        Some(text) => Some(fs::parse_json(&path, &text)?),
        None => None,
    };
    let integration = existing.as_ref().map_or_else(
        || Workspaces::integration_branch(plan_id),
        |existing| existing.integration.clone(),
    );
    git.refuse_checked_out(&integration)?;
    if let Some(existing) = existing {
        if let Some(base) = base {
            let wanted = git.resolve(base)?;
            if wanted.as_deref() != Some(existing.base.as_str()) {
                return Err(tagged_hint(
                    Kind::Usage,
                    format!(
                        "plan `{plan_id}` already runs from `{}`; `--base {base}` cannot change that",
                        short(&existing.base)
                    ),
                    "leave `--base` out, or make a new plan",
                ));
            }
        }
        if git
            .resolve(&format!("refs/heads/{}", existing.integration))?
            .is_none()
        {
            // Deleted by hand, or a clone that did not fetch it: start it
            // again at the base (the tasks' merges are gone with it).
            git.update_branch(&existing.integration, &existing.base, None)?;
        }
        return Ok(existing);
    }
    let rev = base.unwrap_or("HEAD");
    let Some(commit) = git.resolve(rev)? else {
        return Err(match base {
            Some(base) => tagged_hint(
                Kind::Usage,
                format!("`--base {base}` names no commit"),
                "give a branch, tag or commit of this repository",
            ),
            None => tagged_hint(
                Kind::Usage,
                format!(
                    "the repository `{}` has no commit yet: the agents need one to start from",
                    git.top.display()
                ),
                "commit something first (`git commit --allow-empty -m start` will do)",
            ),
        });
    };
    if base.is_none() {
        let exclude = format!(":(top,exclude){}", workspaces.store_rel.display());
        // Without optional locks, as everywhere in the user's checkout: a
        // plain `git status` would refresh (rewrite) their index.
        let status = git.run(
            &git.top,
            [
                "--no-optional-locks",
                "status",
                "--porcelain",
                "--",
                ":/",
                exclude.as_str(),
            ],
        )?;
        if !status.trim().is_empty() {
            note(&format!(
                "your checkout has uncommitted changes; the agents start from `{}` (HEAD) and will not see them",
                short(&commit)
            ));
        }
    }
    if git.resolve(&format!("refs/heads/{integration}"))?.is_some() {
        // Not this plan's (it has no record yet): the user's own branch, or
        // one left by another clone. Taking it would put its commits in the
        // plan's work.
        return Err(tagged_hint(
            Kind::Usage,
            format!(
                "a branch `{integration}` already exists, and plan `{plan_id}` has not run yet"
            ),
            format!(
                "rename or delete that branch (`git branch -m {integration} <new-name>`); nothing was changed"
            ),
        ));
    }
    git.update_branch(&integration, &commit, None)?;
    let record = PlanWorkspace {
        schema: 1,
        base: commit,
        integration,
        created_at: now,
        created_by: std::env::args().collect::<Vec<_>>().join(" "),
        landed: None,
    };
    fs::write_json(&path, &record)?;
    Ok(record)
}

/// Makes an agent instance's worktree ready for an attempt at a task (the
/// caller holds the instance's session lock): created if missing, reset,
/// and placed as `start` says; returns whether it was created too (so that
/// `[workspace] setup` runs).
pub fn prepare(
    workspaces: &Workspaces,
    dir: &Path,
    plan: &PlanWorkspace,
    task_branch: &str,
    start: &Start,
) -> Result<(Prepared, bool)> {
    let git = &workspaces.git;
    let tip = git
        .resolve(&format!("refs/heads/{}", plan.integration))?
        .ok_or_else(|| anyhow::anyhow!("the integration branch `{}` is gone", plan.integration))?;
    let head = git.resolve(&format!("refs/heads/{task_branch}"))?;
    let created = workspaces.ensure(dir, &tip)?;
    let mut conflicts = Vec::new();
    match (start, head) {
        (Start::Continue, Some(head)) => workspaces.checkout(dir, &head)?,
        (Start::MergeTip, Some(head)) => {
            workspaces.checkout(dir, &head)?;
            conflicts = workspaces.merge_in(dir, &tip)?;
        }
        _ => {
            workspaces.checkout(dir, &tip)?;
            // The task's branch starts at the tip it was given.
            git.set_branch(task_branch, &tip)?;
        }
    }
    Ok((
        Prepared {
            dir: dir.to_path_buf(),
            cwd: workspaces.project_dir(dir),
            base: tip,
            conflicts,
        },
        created,
    ))
}

/// Returns the first 10 characters of a commit id.
pub fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

/// Returns where agent `agent_id`'s instance `instance` lives outside a
/// run: in worktree mode its worktree's project directory once it has one
/// (where `run` made its session), else `None` (the project itself). The
/// one answer `ask`, `sessions list|check|gc` and `sessions test` share.
pub fn agent_home(
    store: &Store,
    config: &crate::state::config::WorkspaceConfig,
    env: &std::collections::BTreeMap<String, String>,
    agent_id: &str,
    instance: u32,
) -> Option<PathBuf> {
    let workspaces = Workspaces::open(store, config, env).ok()?.ok()?;
    let project = workspaces.project_dir(&workspaces.instance_dir(agent_id, instance));
    project.is_dir().then_some(project)
}

/// Returns the files with uncommitted changes in worktree `dir` (as `git
/// status --porcelain` names them), without refreshing its index (so looking
/// does not count as using it).
pub fn uncommitted(dir: &Path) -> Result<Vec<String>> {
    Ok(
        git::run_plain(dir, ["--no-optional-locks", "status", "--porcelain"])?
            .lines()
            .map(|line| line.get(3..).unwrap_or(line).to_string())
            .filter(|path| !path.is_empty())
            .collect(),
    )
}
