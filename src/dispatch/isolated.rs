//! One attempt at a task in worktree mode: under the agent instance's
//! session lock, its worktree is made ready (created and set up the first
//! time), the agent works there, nexus commits what it changed on the task's
//! branch and runs the task's `verify` there; then, with the session free
//! for the agent's next task, the merge queue merges the branch onto the
//! plan's integration branch. The task is completed only once merged; a
//! conflict or a failing merge check is a failed attempt whose retry starts
//! from the task's branch (with the integration tip merged in and its
//! conflict markers left for the agent, after a conflict).

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::agents::backend::Outcome;
use crate::agents::runtime::Runtime;
use crate::dispatch::state::RetryCause;
use crate::dispatch::worker::{
    AttemptEnd, Job, JobWorkspace, Report, TaskEnd, progress, record_turn, turn_options,
    verification_failure, verify,
};
use crate::proc::signals::{Stop, StopReceiver};
use crate::state::lock::LockGuard;
use crate::state::outcome::AttemptOutcome;
use crate::state::task::{Attempt, MergeState, TaskWorkspace};
use crate::workspace::Prepared;
use crate::workspace::merge::{self, MergeOutcome};
use crate::workspace::{self, Start, short};

fn stopping(stop: &StopReceiver) -> bool {
    *stop.borrow() != Stop::None
}

fn failed(reason: impl Into<String>) -> AttemptEnd {
    AttemptEnd::Failed {
        cause: RetryCause::Fatal,
        reason: reason.into(),
    }
}

/// Returns the commit message of a task's work.
fn message(job: &Job) -> String {
    format!(
        "{}\n\nNexus-Plan: {}\nNexus-Task: {}\n",
        job.spec.title, job.plan.id, job.spec.id
    )
}

/// What an attempt in a worktree carries from phase to phase.
struct Ctx<'a> {
    runtime: &'a Runtime,
    job: &'a Job,
    workspace: &'a Arc<JobWorkspace>,
    stop: &'a StopReceiver,
    reports: &'a mpsc::UnboundedSender<Report>,
}

impl Ctx<'_> {
    fn report(&self, state: &TaskWorkspace) {
        let _ = self.reports.send(Report::Workspace {
            index: self.job.index,
            workspace: state.clone(),
        });
    }

    /// Takes the instance's session lock and makes its worktree ready
    /// (running `[workspace] setup` in a new one).
    async fn ready(
        &self,
        start: &Start,
        state: &mut TaskWorkspace,
        attempt: &mut Attempt,
    ) -> Result<(LockGuard, Prepared), AttemptEnd> {
        let (runtime, job, workspace) = (self.runtime, self.job, self.workspace);
        let guard = runtime
            .lock_session(
                &job.agent,
                job.instance,
                Some(runtime.config.agent_backend.timeout.0),
                self.stop,
            )
            .await
            .map_err(|error| {
                let reason = format!("{error:#}");
                if stopping(self.stop) {
                    AttemptEnd::Done(TaskEnd::Interrupted { reason })
                } else {
                    failed(reason)
                }
            })?;
        let dir = workspace
            .workspaces
            .instance_dir(&job.agent.id, job.instance);
        let (prepared, created) = workspace::prepare(
            &workspace.workspaces,
            &dir,
            &workspace.plan,
            &workspace.branch,
            start,
        )
        .map_err(|error| {
            failed(format!(
                "the worktree `{}` could not be made ready: {error:#}",
                dir.display()
            ))
        })?;
        state.base.clone_from(&prepared.base);
        state.worktree = Some(prepared.dir.display().to_string());
        self.report(state);
        let setup = &workspace.workspaces.config.setup;
        if created && !setup.is_empty() {
            let evidence = verify(runtime, setup, &prepared.cwd, self.stop).await;
            if let Some(check) = evidence.iter().find(|check| !check.passed) {
                attempt.verification = evidence.clone();
                // Half set up: made again (and set up again) next time.
                let _ = workspace.workspaces.discard(&prepared.dir);
                return Err(failed(format!(
                    "`[workspace] setup` command `{}` failed in the new worktree `{}`:\n{}",
                    check.command,
                    prepared.dir.display(),
                    check.output_tail
                )));
            }
        }
        Ok((guard, prepared))
    }

    /// Commits the agent's work on the task's branch (refusing conflict
    /// markers left behind); returns the branch's new head.
    fn commit(&self, prepared: &Prepared, attempt: &mut Attempt) -> Result<String, AttemptEnd> {
        let workspaces = &self.workspace.workspaces;
        let unresolved: Vec<String> = prepared
            .conflicts
            .iter()
            .filter(|path| has_markers(&prepared.dir.join(path)))
            .map(|path| format!("`{path}`"))
            .collect();
        if !unresolved.is_empty() {
            let reason = format!("conflict markers are left in {}", unresolved.join(", "));
            attempt.outcome = AttemptOutcome::VerificationFailed;
            attempt.reason = Some(reason.clone());
            return Err(AttemptEnd::Failed {
                cause: RetryCause::MergeConflict,
                reason,
            });
        }
        let head = match workspaces.commit(&prepared.dir, &message(self.job)) {
            Ok(Some(head)) => head,
            Ok(None) => prepared.base.clone(),
            Err(error) => {
                return Err(failed(format!(
                    "committing the agent's work failed: {error:#}"
                )));
            }
        };
        workspaces
            .git
            .set_branch(&self.workspace.branch, &head)
            .map_err(|error| failed(format!("{error:#}")))?;
        Ok(head)
    }
}

/// Returns the prompt's note on conflicts left for the agent.
fn conflict_note(conflicts: &[String]) -> String {
    if conflicts.is_empty() {
        return String::new();
    }
    format!(
        "\n## Merge conflicts to resolve first\nThe plan's branch moved on since your work; nexus merged it into your working directory and these files have conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`): {}. Resolve every conflict, keeping both sides' intent, then finish the task. nexus commits your work; do not run git commands that change history.\n",
        conflicts
            .iter()
            .map(|path| format!("`{path}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Runs one attempt in the agent instance's worktree (see the module docs).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn attempt(
    runtime: &Runtime,
    job: &Job,
    workspace: &Arc<JobWorkspace>,
    prompt: &str,
    under_stress: bool,
    start: Start,
    first: bool,
    attempt: &mut Attempt,
    stop: &StopReceiver,
    reports: &mpsc::UnboundedSender<Report>,
) -> AttemptEnd {
    let ctx = Ctx {
        runtime,
        job,
        workspace,
        stop,
        reports,
    };
    let mut state = TaskWorkspace {
        branch: workspace.branch.clone(),
        base: workspace.plan.base.clone(),
        head: None,
        merge: MergeState::Working,
        merged: None,
        worktree: None,
    };
    // A crash left a verified commit waiting for the merge queue: merge it
    // rather than pay for the agent's work again.
    if first && let Some(head) = &workspace.queued {
        let current = workspace
            .workspaces
            .git
            .resolve(&format!("refs/heads/{}", workspace.branch));
        if matches!(current, Ok(Some(ref commit)) if commit == head) {
            state.head = Some(head.clone());
            state.merge = MergeState::Queued;
            attempt.outcome = Outcome::Success.into();
            attempt.reason =
                Some("the agent's verified work of an interrupted run was merged".into());
            let result = earlier_result(runtime, job);
            return merge_and_end(&ctx, state, result, attempt).await;
        }
    }
    let (guard, prepared) = match ctx.ready(&start, &mut state, attempt).await {
        Ok(ready) => ready,
        Err(end) => return end,
    };
    let prompt = format!("{prompt}{}", conflict_note(&prepared.conflicts));
    let mut options = turn_options(runtime, job, under_stress);
    options.cwd = Some(prepared.cwd.clone());
    options.isolated = true;
    let turn = runtime
        .send_locked(
            &guard,
            &job.agent,
            job.instance,
            &prompt,
            &options,
            stop.clone(),
            progress(job.index, job.max_turns, reports.clone()),
        )
        .await;
    let report = match record_turn(runtime, job, attempt, turn, stop, true) {
        Ok(report) => report,
        Err(end) => return end,
    };
    let head = match ctx.commit(&prepared, attempt) {
        Ok(head) => head,
        Err(end) => return end,
    };
    state.head = Some(head);
    let evidence = verify(runtime, &job.verify, &prepared.cwd, stop).await;
    let failed_check = evidence.iter().find(|check| !check.passed).cloned();
    attempt.verification = evidence;
    attempt.finished_at = Some(runtime.ctx.now());
    drop(guard);
    if let Some(check) = failed_check {
        if stopping(stop) {
            return AttemptEnd::Done(TaskEnd::Interrupted {
                reason: "interrupted during verification".into(),
            });
        }
        ctx.report(&state);
        return verification_failure(&check, attempt);
    }
    state.merge = MergeState::Queued;
    let result = (report.result.summary.clone(), report.output.reply.clone());
    merge_and_end(&ctx, state, result, attempt).await
}

/// Returns whether a file still holds conflict markers.
fn has_markers(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines()
            .any(|line| line.starts_with("<<<<<<< ") || line.starts_with(">>>>>>> "))
    })
}

/// Returns the summary and answer of the task's last result message (the
/// work an interrupted run verified).
fn earlier_result(runtime: &Runtime, job: &Job) -> (String, String) {
    let messages =
        crate::state::message::read_thread(&runtime.store, &job.plan.id).unwrap_or_default();
    messages
        .iter()
        .rev()
        .filter(|message| {
            message
                .payload
                .task_result
                .as_ref()
                .is_some_and(|_| message.status == crate::state::message::MessageStatus::Completed)
        })
        .find(|message| {
            // The assignment it answers names the task.
            messages.iter().any(|assignment| {
                Some(&assignment.message_id) == message.response_to.as_ref()
                    && assignment
                        .payload
                        .task
                        .as_ref()
                        .and_then(|task| task.task_id.as_deref())
                        == Some(job.spec.id.as_str())
            })
        })
        .and_then(|message| message.payload.task_result.as_ref())
        .map_or_else(
            || {
                (
                    "merged the work an interrupted run had verified".to_string(),
                    String::new(),
                )
            },
            |result| (result.summary.clone(), result.reply.clone()),
        )
}

/// Queues the task's branch for merging and ends the attempt by the merge's
/// outcome.
async fn merge_and_end(
    ctx: &Ctx<'_>,
    mut state: TaskWorkspace,
    (summary, result): (String, String),
    attempt: &mut Attempt,
) -> AttemptEnd {
    let (runtime, job, workspace, stop) = (ctx.runtime, ctx.job, ctx.workspace, ctx.stop);
    ctx.report(&state);
    let outcome = merge::merge(
        runtime,
        &workspace.workspaces,
        &job.plan.id,
        &job.spec.id,
        &job.spec.title,
        &workspace.branch,
        &workspace.plan.integration,
        stop,
    )
    .await;
    let (end, merge_state) = match outcome {
        Ok(MergeOutcome::Merged { commit }) => {
            state.merged = Some(commit);
            (
                AttemptEnd::Done(TaskEnd::Completed { summary, result }),
                MergeState::Merged,
            )
        }
        Ok(MergeOutcome::AlreadyIn { merge }) => {
            state.merged = merge;
            (
                AttemptEnd::Done(TaskEnd::Completed { summary, result }),
                MergeState::Merged,
            )
        }
        Ok(MergeOutcome::Conflict { paths, tip }) => {
            let reason = format!(
                "merging onto `{}` (at {}) conflicted in {}",
                workspace.plan.integration,
                short(&tip),
                paths
                    .iter()
                    .map(|path| format!("`{path}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            attempt.outcome = AttemptOutcome::VerificationFailed;
            attempt.reason = Some(reason.clone());
            (
                AttemptEnd::Failed {
                    cause: RetryCause::MergeConflict,
                    reason,
                },
                MergeState::Conflict,
            )
        }
        Ok(MergeOutcome::ChecksFailed { evidence }) => {
            let check = evidence.iter().find(|check| !check.passed).cloned();
            let reason = check.map_or_else(
                || "a merge check failed".to_string(),
                |check| {
                    crate::dispatch::worker::failed_check(
                        "merge check",
                        " on the merged tree",
                        &check,
                    )
                },
            );
            attempt.merge_checks = evidence;
            attempt.outcome = AttemptOutcome::VerificationFailed;
            attempt.reason = Some(reason.clone());
            (
                AttemptEnd::Failed {
                    cause: RetryCause::ChecksFailed,
                    reason,
                },
                MergeState::ChecksFailed,
            )
        }
        Err(error) => (
            failed(format!("the merge queue failed: {error:#}")),
            MergeState::Queued,
        ),
    };
    state.merge = merge_state;
    ctx.report(&state);
    end
}
