//! What a person does with a plan's delivered branch: look at it (`diff`),
//! bring it into their branch (`land`), take one task back out (`reject`);
//! and the housekeeping of worktrees and branches (`list`, `prune`, a plan's
//! removal). `land` is the only one that touches the user's checkout, and
//! only when asked to.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Result;
use serde::Serialize;

use crate::exit::{Kind, tagged, tagged_hint, with_hint};
use crate::state::fs;
use crate::state::plan::Plan;
use crate::state::store::Store;
use crate::state::task::{MergeState, TaskState};
use crate::state::workspace::PlanWorkspace;
use crate::workspace::git::Git;
use crate::workspace::worktree::{MERGE_WORKTREE, Workspaces};

/// Returns a plan's place in git, or the error saying it never ran in a
/// worktree.
pub fn plan_workspace(store: &Store, plan_id: &str) -> Result<PlanWorkspace> {
    let path = store.plan_workspace_path(plan_id);
    match fs::read_optional(&path)? {
        Some(text) => fs::parse_json(&path, &text),
        None => Err(tagged_hint(
            Kind::Usage,
            format!("plan `{plan_id}` has no branch: it has not run in worktree mode"),
            format!("run it in a git repository first: `nexus run {plan_id}`"),
        )),
    }
}

/// Returns the commit at the tip of a plan's integration branch, or the
/// usage error saying the branch is gone.
pub fn integration_tip(git: &Git, place: &PlanWorkspace) -> Result<String> {
    git.resolve(&format!("refs/heads/{}", place.integration))?
        .ok_or_else(|| {
            tagged_hint(
                Kind::Usage,
                format!("branch `{}` is gone", place.integration),
                format!(
                    "restore it if you can (`git branch {} <commit>`; `git reflog` may still know its tip), or remove the plan with `nexus plan rm` and plan again",
                    place.integration
                ),
            )
        })
}

/// Returns the arguments of `git diff` for a plan (base → integration tip)
/// or one task (the tip it started from → its head).
pub fn diff_range(store: &Store, plan_id: &str, task: Option<&str>) -> Result<(String, String)> {
    let plan = plan_workspace(store, plan_id)?;
    match task {
        None => Ok((plan.base, plan.integration)),
        Some(task) => {
            let record = store.load_task(plan_id, task)?;
            let workspace = record.workspace.ok_or_else(|| {
                tagged(
                    Kind::Usage,
                    format!("task `{task}` of plan `{plan_id}` has not worked in a worktree yet"),
                )
            })?;
            let head = workspace
                .head
                .unwrap_or_else(|| format!("refs/heads/{}", workspace.branch));
            Ok((workspace.base, head))
        }
    }
}

/// How `land` brought the plan in.
#[derive(Debug, Clone, Serialize)]
pub struct Landed {
    /// `fast-forward`, `merge` or `squash`.
    pub how: &'static str,
    /// The branch it landed on.
    pub branch: String,
    /// The commit that branch is at now.
    pub commit: String,
}

/// Brings the plan's integration branch into the branch checked out in the
/// user's checkout: fast-forward when possible, else a merge commit (or one
/// squashed commit with `squash`). Refuses an unfinished plan unless
/// `partial`, and a checkout whose uncommitted changes touch files the plan
/// changed.
pub fn land(
    workspaces: &Workspaces,
    store: &Store,
    plan: &Plan,
    squash: bool,
    partial: bool,
    now: crate::time::Timestamp,
) -> Result<Landed> {
    let git = &workspaces.git;
    let top = &git.top;
    let place = plan_workspace(store, &plan.id)?;
    if !partial {
        let unfinished: Vec<String> = plan
            .tasks
            .iter()
            .filter_map(|spec| {
                let record = store.load_task(&plan.id, &spec.id).ok()?;
                (record.state != TaskState::Completed)
                    .then(|| format!("`{}` ({})", spec.id, record.state))
            })
            .collect();
        if !unfinished.is_empty() {
            return Err(tagged_hint(
                Kind::TasksFailed,
                format!(
                    "plan `{}` is not finished: {}",
                    plan.id,
                    unfinished.join(", ")
                ),
                "finish it with `nexus run`, or land what is merged with `--partial`",
            ));
        }
    }
    let branch = git
        .run(top, ["symbolic-ref", "--quiet", "--short", "HEAD"])
        .map_err(|_| {
            with_hint(
                format!(
                    "`{}` has no branch checked out (detached HEAD)",
                    top.display()
                ),
                "check out the branch to land on",
            )
        })?;
    let tip = integration_tip(git, &place)?;
    let head = git.run(top, ["rev-parse", "HEAD"])?;
    if git.is_ancestor(&tip, &head)? {
        return Ok(Landed {
            how: "already-landed",
            branch,
            commit: head,
        });
    }
    // Refuse when the user's uncommitted changes touch what the plan changed.
    let changed: Vec<String> = git
        .run(top, ["diff", "--name-only", &format!("{head}...{tip}")])?
        .lines()
        .map(str::to_string)
        .collect();
    let exclude = format!(":(top,exclude){}", workspaces.store_rel.display());
    let dirty: Vec<String> = git
        .run(
            top,
            [
                "status",
                "--porcelain",
                "--no-renames",
                "--",
                ":/",
                exclude.as_str(),
            ],
        )?
        .lines()
        .filter_map(|line| line.get(3..).map(str::to_string))
        .collect();
    let touched: Vec<&String> = dirty.iter().filter(|path| changed.contains(path)).collect();
    if !touched.is_empty() {
        return Err(with_hint(
            format!(
                "your uncommitted changes touch files plan `{}` changed: {}",
                plan.id,
                touched
                    .iter()
                    .map(|path| format!("`{path}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "commit or stash them first; nothing was changed",
        ));
    }
    let message = format!(
        "Land nexus plan `{}`: {}\n\nNexus-Plan: {}\n",
        plan.id,
        plan.request.trim(),
        plan.id
    );
    if !squash && git.is_ancestor(&head, &tip)? {
        // Git keeps staged changes through a fast-forward that does not
        // touch them (and the check above refused the ones it would).
        git.run(top, ["merge", "--ff-only", "--quiet", &tip])?;
        let landed = Landed {
            how: "fast-forward",
            branch,
            commit: git.run(top, ["rev-parse", "HEAD"])?,
        };
        record_landing(store, &plan.id, &tip, &landed, now)?;
        return Ok(landed);
    }
    // A merge or squash commit would take in whatever is staged, and undoing
    // a failed one would drop it: refuse before touching anything.
    if !git.output(top, ["diff", "--cached", "--quiet"])?.ok {
        return Err(with_hint(
            format!(
                "you have staged changes; landing plan `{}` makes a commit on `{branch}` that would take them in",
                plan.id
            ),
            "commit them, or unstage them (`git restore --staged .`); nothing was changed",
        ));
    }
    // Merge without committing first: a conflict is named and undone, and
    // a merge that changes nothing (the plan was landed before, e.g. with
    // `--squash`) is not committed.
    let merged = if squash {
        git.output(top, ["merge", "--squash", "--quiet", &tip])?
    } else {
        git.output(top, ["merge", "--no-ff", "--no-commit", "--quiet", &tip])?
    };
    let conflicted = git
        .run(top, ["diff", "--name-only", "--diff-filter=U"])
        .unwrap_or_default();
    let undo = |git: &Git| {
        // Nothing was staged before (checked above): `reset --merge` takes
        // back exactly what the merge did and keeps unstaged edits.
        let _ = git.output(top, ["reset", "--merge"]);
    };
    if !merged.ok {
        undo(git);
        let why = if conflicted.trim().is_empty() {
            format!("{}{}", merged.stdout.trim(), merged.stderr.trim())
        } else {
            format!(
                "conflicts in {}",
                conflicted
                    .lines()
                    .map(|path| format!("`{path}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(with_hint(
            format!(
                "plan `{}` conflicts with your branch `{branch}`: {why}",
                plan.id
            ),
            format!(
                "nothing was changed; merge `{}` yourself, or rebase your branch on it first",
                place.integration
            ),
        ));
    }
    if git.output(top, ["diff", "--cached", "--quiet"])?.ok {
        undo(git);
        return Ok(Landed {
            how: "already-landed",
            branch,
            commit: head,
        });
    }
    git.run(top, ["commit", "--quiet", "--no-verify", "-m", &message])?;
    let landed = Landed {
        how: if squash { "squash" } else { "merge" },
        branch,
        commit: git.run(top, ["rev-parse", "HEAD"])?,
    };
    record_landing(store, &plan.id, &tip, &landed, now)?;
    Ok(landed)
}

/// Records in the plan's `workspace.json` that its integration branch at
/// `tip` was landed as `landed` says.
fn record_landing(
    store: &Store,
    plan_id: &str,
    tip: &str,
    landed: &Landed,
    now: crate::time::Timestamp,
) -> Result<()> {
    let _guard = store.lock_plan_edit(plan_id)?;
    let mut record = plan_workspace(store, plan_id)?;
    record.landed = Some(crate::state::workspace::Landing {
        tip: tip.to_string(),
        branch: landed.branch.clone(),
        how: landed.how.to_string(),
        commit: landed.commit.clone(),
        at: now,
    });
    fs::write_json(&store.plan_workspace_path(plan_id), &record)?;
    Ok(())
}

/// Takes a merged task back out of its plan's integration branch (a revert
/// of its merge, through the merge queue) and puts it back to pending with
/// `reason`, for its agent to do again; returns the tasks merged since that
/// depend on it (their work was built on what is taken out).
pub fn reject(
    workspaces: &Workspaces,
    store: &Store,
    plan: &Plan,
    task_id: &str,
    reason: &str,
    now: crate::time::Timestamp,
) -> Result<Vec<String>> {
    let place = plan_workspace(store, &plan.id)?;
    workspaces.git.refuse_checked_out(&place.integration)?;
    let _plan_lock =
        crate::state::lock::try_shared(&store.plan_lock(&plan.id), &format!("plan `{}`", plan.id))?;
    let mut task_locks = crate::state::lock::KeyedLocks::open(&store.task_locks(&plan.id))?;
    if !task_locks.try_lock(task_id)? {
        return Err(tagged(
            Kind::Busy,
            format!("task `{task_id}` of plan `{}` is running", plan.id),
        ));
    }
    let mut record = store.load_task(&plan.id, task_id)?;
    let Some(mut state) = record
        .workspace
        .clone()
        .filter(|state| state.merge == MergeState::Merged)
    else {
        return Err(tagged(
            Kind::Usage,
            format!(
                "task `{task_id}` of plan `{}` is not merged: nothing to reject",
                plan.id
            ),
        ));
    };
    let git = &workspaces.git;
    let _merge = crate::state::lock::wait_exclusive(
        &store.merge_lock(),
        "the merge queue",
        Duration::from_secs(600),
    )?;
    let tip = integration_tip(git, &place)?;
    if let Some(merged) = state.merged.clone().filter(|merged| *merged != state.base) {
        let parents = git.run(&git.top, ["rev-list", "--parents", "-n", "1", &merged])?;
        let ids: Vec<&str> = parents.split_whitespace().collect();
        let is_merge = ids.len() > 2;
        // Only ever revert the task's own merge: the one whose second
        // parent is its head (a record written before that was checked may
        // name another commit).
        if is_merge && state.head.as_deref().is_some_and(|head| ids[2] != head) {
            return Err(with_hint(
                format!(
                    "the merge recorded for task `{task_id}` ({}) did not merge its head; nothing was changed",
                    crate::workspace::short(&merged)
                ),
                format!(
                    "revert the task's work on `{}` by hand (`git log --first-parent {}` shows its merges)",
                    place.integration, place.integration
                ),
            ));
        }
        let dir = workspaces.root.join(MERGE_WORKTREE);
        workspaces.ensure(&dir, &tip)?;
        workspaces.checkout(&dir, &tip)?;
        let mut args = vec!["revert", "--no-edit"];
        if is_merge {
            args.extend(["-m", "1"]);
        }
        args.push(&merged);
        let reverted = git.output(&dir, &args)?;
        if !reverted.ok {
            let _ = git.output(&dir, ["revert", "--abort"]);
            workspaces.checkout(&dir, &tip)?;
            return Err(with_hint(
                format!(
                    "task `{task_id}`'s merge cannot be reverted cleanly on `{}`: {}",
                    place.integration,
                    reverted.stderr.trim()
                ),
                "later tasks changed the same lines; reject them first",
            ));
        }
        let commit = git.run(&dir, ["rev-parse", "HEAD"])?;
        git.update_branch(&place.integration, &commit, Some(&tip))?;
    }
    state.merge = MergeState::Rejected;
    record.workspace = Some(state);
    record.state = TaskState::Pending;
    record.reason = Some(format!("rejected: {reason}"));
    record.progress = None;
    record.updated_at = Some(now);
    record.updated_by = std::env::args().collect::<Vec<_>>().join(" ");
    fs::write_json(&store.task_path(&plan.id, task_id), &record)?;
    let graph = crate::plan::graph::Graph::new(plan)
        .map_err(|problem| tagged(Kind::PlanInvalid, problem))?;
    let index = graph
        .ids
        .iter()
        .position(|id| id == task_id)
        .ok_or_else(|| {
            tagged(
                Kind::Usage,
                format!("plan `{}` has no task `{task_id}`", plan.id),
            )
        })?;
    Ok(graph
        .downstream(index)
        .into_iter()
        .map(|dependent| graph.ids[dependent].clone())
        .filter(|id| {
            store
                .load_task(&plan.id, id)
                .is_ok_and(|record| record.state == TaskState::Completed)
        })
        .collect())
}

/// One worktree as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// Its directory name (`<agent>[.<instance>]`, or `_merge`).
    pub name: String,
    /// Its path.
    pub path: PathBuf,
    /// The commit it is at.
    pub head: Option<String>,
    /// Files changed and not committed.
    pub changed: usize,
    /// Bytes on disk (build output included).
    pub bytes: u64,
    /// Seconds since it was last used (its index changed).
    pub idle_seconds: u64,
}

/// Returns the bytes of every file under `dir` (not following links).
pub fn disk_usage(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|entry| entry.metadata().ok())
        .filter(std::fs::Metadata::is_file)
        .map(|meta| meta.len())
        .sum()
}

/// Lists the worktrees under the workspace root.
pub fn list(workspaces: &Workspaces) -> Result<Vec<Listed>> {
    let mut listed = Vec::new();
    let Ok(entries) = std::fs::read_dir(&workspaces.root) else {
        return Ok(listed);
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() || !path.join(".git").exists() {
            continue;
        }
        let git = &workspaces.git;
        let head = git.resolve_in(&path, "HEAD").ok().flatten();
        // The index's time is the worktree's last use.
        let used = git
            .run(&path, ["rev-parse", "--absolute-git-dir"])
            .ok()
            .and_then(|dir| std::fs::metadata(Path::new(&dir).join("index")).ok())
            .and_then(|meta| meta.modified().ok())
            .unwrap_or(now);
        let changed = crate::workspace::uncommitted(&path).map_or(0, |files| files.len());
        listed.push(Listed {
            name: entry.file_name().to_string_lossy().into_owned(),
            bytes: disk_usage(&path),
            path,
            head,
            changed,
            idle_seconds: now.duration_since(used).unwrap_or_default().as_secs(),
        });
    }
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(listed)
}

/// An idle worktree `prune` kept.
#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    /// Its directory name.
    pub name: String,
    /// Files changed and not committed.
    pub uncommitted: usize,
}

/// What `prune` removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pruned {
    /// Worktrees removed.
    pub worktrees: Vec<String>,
    /// Idle worktrees kept because they hold uncommitted changes (removed
    /// with `force`).
    pub kept: Vec<Kept>,
    /// Branches deleted.
    pub branches: Vec<String>,
    /// Bytes freed on disk.
    pub bytes_freed: u64,
}

/// Removes the worktrees idle past the TTL whose agent instance is not in
/// use, the task branches of finished plans and every branch of deleted
/// plans, and the integration branches of finished plans that are landed
/// (contained in a branch of the user's); then prunes git's records.
pub fn prune(workspaces: &Workspaces, store: &Store, dry_run: bool, force: bool) -> Result<Pruned> {
    let mut pruned = Pruned::default();
    let git = &workspaces.git;
    let ttl = workspaces.config.ttl.0;
    let agents = store.load_agents().unwrap_or_default();
    for item in list(workspaces)? {
        if Duration::from_secs(item.idle_seconds) <= ttl || item.name == MERGE_WORKTREE {
            continue;
        }
        // Whose worktree it is, from the agents' own directory names (an
        // agent id may hold a dot: `dev.ops` is not `dev`'s instance).
        let owner = agents.iter().find_map(|agent| {
            (0..agent.instances.max(1))
                .find(|instance| {
                    workspaces
                        .instance_dir(&agent.id, *instance)
                        .file_name()
                        .is_some_and(|name| name == item.name.as_str())
                })
                .map(|instance| (agent.id.clone(), instance))
        });
        let (agent, instance) = owner.unwrap_or_else(|| match item.name.rsplit_once('.') {
            Some((agent, number)) => (agent.to_string(), number.parse::<u32>().unwrap_or(0)),
            None => (item.name.clone(), 0),
        });
        let holder = crate::state::lock::Holder::current(crate::time::Timestamp(SystemTime::now()));
        let Ok(_session) = crate::state::lock::try_exclusive_once(
            &store.session_lock(&agent, instance),
            "the session",
            &holder,
        ) else {
            continue;
        };
        if item.changed > 0 && !force {
            // Work an `ask` or an interrupted turn left behind, not yet
            // committed anywhere: the user's to look at first.
            pruned.kept.push(Kept {
                name: item.name,
                uncommitted: item.changed,
            });
            continue;
        }
        if !dry_run {
            workspaces.discard(&item.path)?;
        }
        pruned.bytes_freed += item.bytes;
        pruned.worktrees.push(item.name);
    }
    let plans = store.plan_ids()?;
    let user_branches: Vec<String> = git
        .branches("")?
        .into_iter()
        .filter(|branch| !branch.starts_with("nexus/") && !branch.starts_with("nexus-task/"))
        .collect();
    for branch in git
        .branches("nexus/")?
        .into_iter()
        .chain(git.branches("nexus-task/")?)
    {
        let plan_part = branch
            .trim_start_matches("nexus-task/")
            .trim_start_matches("nexus/")
            .split('/')
            .next()
            .unwrap_or_default()
            .replace("%2E", ".");
        let is_task = branch.starts_with("nexus-task/");
        let remove = if !plans.contains(&plan_part) {
            // A deleted plan's branch — if nexus made it: its tip carries the
            // plan's trailer. A `nexus/…` branch of the user's own stays.
            git.run(
                &git.top,
                ["log", "-1", "--format=%B", &format!("refs/heads/{branch}")],
            )
            .is_ok_and(|message| {
                message
                    .lines()
                    .any(|line| line.trim() == format!("Nexus-Plan: {plan_part}"))
            })
        } else {
            let finished = store.load_plan(&plan_part).is_ok_and(|plan| {
                plan.tasks.iter().all(|spec| {
                    store
                        .load_task(&plan.id, &spec.id)
                        .is_ok_and(|record| record.state == TaskState::Completed)
                })
            });
            // Landed: in a branch of the user's, or — after a squash or
            // merge, which leave no such ancestry — landed by nexus at the
            // branch's present tip.
            let landed_here = || {
                let recorded = plan_workspace(store, &plan_part)
                    .ok()
                    .and_then(|record| record.landed)
                    .map(|landing| landing.tip);
                recorded.is_some()
                    && git.resolve(&format!("refs/heads/{branch}")).ok().flatten() == recorded
            };
            finished
                && (is_task
                    || landed_here()
                    || user_branches.iter().any(|user| {
                        git.is_ancestor(
                            &format!("refs/heads/{branch}"),
                            &format!("refs/heads/{user}"),
                        )
                        .unwrap_or(false)
                    }))
        };
        // A branch the user has checked out stays (deleting it would leave
        // them on an unborn branch with everything staged).
        if remove && git.checked_out_at(&branch).is_none() {
            if !dry_run {
                git.delete_branch(&branch)?;
            }
            pruned.branches.push(branch);
        }
    }
    if !dry_run {
        workspaces.prune_records()?;
    }
    Ok(pruned)
}

/// Deletes a plan: its branches, then its files under `.nexus` (plan,
/// tasks, results, messages, logs). Refuses while it runs.
pub fn remove_plan(
    workspaces: Option<&Workspaces>,
    store: &Store,
    plan_id: &str,
) -> Result<Vec<String>> {
    let holder = crate::state::lock::Holder::current(crate::time::Timestamp(SystemTime::now()));
    let _lock = crate::state::lock::try_exclusive(
        &store.plan_lock(plan_id),
        &format!("plan `{plan_id}`"),
        &holder,
    )?;
    let mut branches = Vec::new();
    if let Some(workspaces) = workspaces {
        let git = &workspaces.git;
        let integration = Workspaces::integration_branch(plan_id);
        let prefix = format!(
            "nexus-task/{}/",
            crate::workspace::git::ref_component(plan_id)
        );
        let tasks = git.branches(&prefix)?;
        // Refused before anything is deleted.
        for branch in std::iter::once(&integration).chain(&tasks) {
            git.refuse_checked_out(branch)?;
        }
        if git.delete_branch(&integration)? {
            branches.push(integration);
        }
        for branch in tasks {
            git.delete_branch(&branch)?;
            branches.push(branch);
        }
    }
    fs::remove_dir_all(&store.plan_dir(plan_id))?;
    fs::remove_dir_all(&store.messages_dir().join(plan_id))?;
    fs::remove_dir_all(&store.logs_dir().join(plan_id))?;
    Ok(branches)
}
