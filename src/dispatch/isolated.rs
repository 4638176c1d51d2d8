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
    AttemptEnd, Job, JobWorkspace, Report, TaskEnd, progress, turn_failure, turn_options, verify,
};
use crate::proc::signals::{Stop, StopReceiver};
use crate::state::outcome::AttemptOutcome;
use crate::state::task::{Attempt, MergeState, TaskWorkspace};
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
            return merge_and_end(
                runtime, job, workspace, state, result, attempt, stop, reports,
            )
            .await;
        }
    }
    let guard = match runtime
        .lock_session(
            &job.agent,
            job.instance,
            Some(runtime.config.agent_backend.timeout.0),
            stop,
        )
        .await
    {
        Ok(guard) => guard,
        Err(error) => {
            let reason = format!("{error:#}");
            return if stopping(stop) {
                AttemptEnd::Done(TaskEnd::Interrupted { reason })
            } else {
                failed(reason)
            };
        }
    };
    let dir = workspace
        .workspaces
        .instance_dir(&job.agent.id, job.instance);
    let (prepared, created) = match workspace::prepare(
        &workspace.workspaces,
        &dir,
        &workspace.plan,
        &workspace.branch,
        &start,
    ) {
        Ok(prepared) => prepared,
        Err(error) => {
            return failed(format!(
                "the worktree `{}` could not be made ready: {error:#}",
                dir.display()
            ));
        }
    };
    state.base.clone_from(&prepared.base);
    state.worktree = Some(prepared.dir.display().to_string());
    let _ = reports.send(Report::Workspace {
        index: job.index,
        workspace: state.clone(),
    });
    if created && !workspace.workspaces.config.setup.is_empty() {
        let evidence = verify(
            runtime,
            &workspace.workspaces.config.setup,
            &prepared.cwd,
            stop,
        )
        .await;
        if let Some(check) = evidence.iter().find(|check| !check.passed) {
            attempt.verification = evidence.clone();
            return failed(format!(
                "`[workspace] setup` command `{}` failed in the new worktree `{}`:\n{}",
                check.command,
                prepared.dir.display(),
                check.output_tail
            ));
        }
    }
    let mut prompt = prompt.to_string();
    if !prepared.conflicts.is_empty() {
        prompt.push_str(&format!(
            "\n## Merge conflicts to resolve first\nThe plan's branch moved on since your work; nexus merged it into your working directory and these files have conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`): {}. Resolve every conflict, keeping both sides' intent, then finish the task. nexus commits your work; do not run git commands that change history.\n",
            prepared
                .conflicts
                .iter()
                .map(|path| format!("`{path}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut options = turn_options(runtime, job, under_stress);
    options.cwd = Some(prepared.cwd.clone());
    options.isolated = true;
    let report = runtime
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
    let finished_at = runtime.ctx.now();
    attempt.finished_at = Some(finished_at);
    let report = match report {
        Ok(report) => report,
        Err(error) => {
            let reason = format!("{error:#}");
            attempt.reason = Some(reason.clone());
            if stopping(stop) {
                attempt.outcome = Outcome::Interrupted.into();
                return AttemptEnd::Done(TaskEnd::Interrupted { reason });
            }
            attempt.outcome = AttemptOutcome::Error;
            return AttemptEnd::Done(TaskEnd::Failed { reason });
        }
    };
    let output = &report.output;
    attempt.session_id = Some(report.session_id.clone());
    attempt.outcome = output.outcome.into();
    attempt.reason.clone_from(&output.reason);
    attempt.set_usage(&output.usage);
    attempt.cpu_seconds = report.resources.map(|used| used.cpu_seconds());
    attempt.peak_memory_mb = report.resources.map(|used| used.peak_memory_mb());
    attempt.confidence = report.result.confidence_score;
    attempt.duration_ms = output.duration_ms;
    attempt.leaked = output.leaked;
    if output.outcome == Outcome::Interrupted {
        return AttemptEnd::Done(TaskEnd::Interrupted {
            reason: "interrupted by a signal".into(),
        });
    }
    if output.outcome != Outcome::Success {
        return turn_failure(runtime, job, output, true);
    }
    let unresolved: Vec<&String> = prepared
        .conflicts
        .iter()
        .filter(|path| has_markers(&prepared.dir.join(path)))
        .collect();
    if !unresolved.is_empty() {
        let reason = format!(
            "conflict markers are left in {}",
            unresolved
                .iter()
                .map(|path| format!("`{path}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        attempt.outcome = AttemptOutcome::VerificationFailed;
        attempt.reason = Some(reason.clone());
        return AttemptEnd::Failed {
            cause: RetryCause::MergeConflict,
            reason,
        };
    }
    let head = match workspace.workspaces.commit(&prepared.dir, &message(job)) {
        Ok(Some(head)) => head,
        Ok(None) => prepared.base.clone(),
        Err(error) => return failed(format!("committing the agent's work failed: {error:#}")),
    };
    let reference = format!("refs/heads/{}", workspace.branch);
    if let Err(error) = workspace.workspaces.git.run(
        &workspace.workspaces.git.top,
        ["update-ref", reference.as_str(), head.as_str()],
    ) {
        return failed(format!("{error:#}"));
    }
    state.head = Some(head.clone());
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
        let reason = format!(
            "verification `{}` failed ({}):\n{}",
            check.command,
            check
                .exit_code
                .map_or_else(|| "no exit code".to_string(), |code| format!("exit {code}")),
            check.output_tail
        );
        attempt.outcome = AttemptOutcome::VerificationFailed;
        attempt.reason = Some(reason.clone());
        let _ = reports.send(Report::Workspace {
            index: job.index,
            workspace: state,
        });
        return AttemptEnd::Failed {
            cause: RetryCause::VerificationFailed,
            reason,
        };
    }
    state.merge = MergeState::Queued;
    let result = (report.result.summary.clone(), output.reply.clone());
    merge_and_end(
        runtime, job, workspace, state, result, attempt, stop, reports,
    )
    .await
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
#[allow(clippy::too_many_arguments)]
async fn merge_and_end(
    runtime: &Runtime,
    job: &Job,
    workspace: &Arc<JobWorkspace>,
    mut state: TaskWorkspace,
    (summary, result): (String, String),
    attempt: &mut Attempt,
    stop: &StopReceiver,
    reports: &mpsc::UnboundedSender<Report>,
) -> AttemptEnd {
    let _ = reports.send(Report::Workspace {
        index: job.index,
        workspace: state.clone(),
    });
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
        Ok(MergeOutcome::AlreadyIn { tip }) => {
            state.merged = Some(tip);
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
                    format!(
                        "merge check `{}` failed on the merged tree ({}):\n{}",
                        check.command,
                        check.exit_code.map_or_else(
                            || "no exit code".to_string(),
                            |code| format!("exit {code}")
                        ),
                        check.output_tail
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
    let _ = reports.send(Report::Workspace {
        index: job.index,
        workspace: state,
    });
    end
}
