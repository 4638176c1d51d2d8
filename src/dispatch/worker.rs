//! One task's work, as a future the scheduler spawns: its attempts (an agent
//! turn each, then the task's `verify` commands, whose results are the
//! evidence), with retries and backoff as `state::retry_delay` decides. A
//! worker reports over a channel and never writes task state: the scheduler
//! is the only writer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::agents::backend::{AgentEvent, Outcome};
use crate::agents::runtime::{Runtime, TurnOptions};
use crate::dispatch::prompt::retry_note;
use crate::dispatch::state::{RetryCause, retry_delay};
use crate::proc::signals::{Stop, StopReceiver};
use crate::proc::supervise;
use crate::state::agent::Agent;
use crate::state::message::TaskPayload;
use crate::state::outcome::AttemptOutcome;
use crate::state::plan::{Plan, TaskSpec};
use crate::state::task::{Attempt, Verification};
use crate::workspace::Start;

/// What a worker reports.
pub(crate) enum Report {
    /// The agent's session id became known.
    Session { index: usize, session_id: String },
    /// The agent made progress.
    Progress { index: usize, percent: u8 },
    /// An attempt began.
    AttemptStarted { index: usize, attempt: Attempt },
    /// An attempt ended; `retrying` when another follows after that delay.
    AttemptFinished {
        index: usize,
        attempt: Attempt,
        retrying: Option<Duration>,
    },
    /// The task's work moved in git (worktree mode).
    Workspace {
        index: usize,
        workspace: crate::state::task::TaskWorkspace,
    },
    /// The task's work ended.
    Finished { index: usize, end: TaskEnd },
}

impl Report {
    /// Returns the task the report is about.
    pub(crate) fn index(&self) -> usize {
        match self {
            Report::Session { index, .. }
            | Report::Progress { index, .. }
            | Report::AttemptStarted { index, .. }
            | Report::AttemptFinished { index, .. }
            | Report::Workspace { index, .. }
            | Report::Finished { index, .. } => *index,
        }
    }
}

/// How a task's work ended.
#[derive(Debug, Clone)]
pub(crate) enum TaskEnd {
    /// Done and verified.
    Completed { summary: String, result: String },
    /// Failed for good.
    Failed { reason: String },
    /// A signal stopped it.
    Interrupted { reason: String },
}

/// Everything a task's worker needs.
pub(crate) struct Job {
    pub index: usize,
    pub plan: Arc<Plan>,
    pub spec: TaskSpec,
    pub agent: Agent,
    pub instance: u32,
    pub prompt: String,
    pub retries: u32,
    pub backoff: Duration,
    pub max_budget_usd: Option<f64>,
    pub verify: Vec<String>,
    pub log_path: PathBuf,
    /// The directory the agent and the verify commands run in.
    pub cwd: PathBuf,
    /// The agent's most agentic turns per call (for progress).
    pub max_turns: u32,
    /// The task's workspace, in worktree mode.
    pub workspace: Option<Arc<JobWorkspace>>,
}

/// A task's place in git, in worktree mode.
pub(crate) struct JobWorkspace {
    pub workspaces: crate::workspace::Workspaces,
    pub plan: crate::state::workspace::PlanWorkspace,
    /// The task's branch.
    pub branch: String,
    /// A verified commit a crash left waiting for the merge queue: it is
    /// merged without running the agent again.
    pub queued: Option<String>,
}

/// Drives one task to its end; returns its index.
pub(crate) async fn work_task(
    runtime: Arc<Runtime>,
    job: Job,
    stop: StopReceiver,
    reports: mpsc::UnboundedSender<Report>,
) -> usize {
    let index = job.index;
    let (attempt, end) = attempts(&runtime, &job, &stop, &reports).await;
    if let Some(attempt) = attempt {
        let _ = reports.send(Report::AttemptFinished {
            index,
            attempt,
            retrying: None,
        });
    }
    let _ = reports.send(Report::Finished { index, end });
    index
}

/// Returns whether a stop was requested.
fn stopping(stop: &StopReceiver) -> bool {
    *stop.borrow() != Stop::None
}

/// Turns the agent's events into session and progress reports: each
/// assistant step (text or tool call) is a share of the turn limit, up to
/// 95 % until the task ends.
pub(crate) fn progress(
    index: usize,
    max_turns: u32,
    reports: mpsc::UnboundedSender<Report>,
) -> impl FnMut(&AgentEvent) {
    let mut steps = 0u32;
    move |event| match event {
        AgentEvent::Init {
            session_id: Some(session_id),
            ..
        } => {
            let _ = reports.send(Report::Session {
                index,
                session_id: session_id.clone(),
            });
        }
        AgentEvent::Text(_) | AgentEvent::ToolUse { .. } => {
            steps = steps.saturating_add(1);
            let percent = (steps.saturating_mul(100) / max_turns.max(1)).min(95);
            let _ = reports.send(Report::Progress {
                index,
                percent: u8::try_from(percent).unwrap_or(95),
            });
        }
        _ => {}
    }
}

/// Runs verification commands in `cwd`; returns the evidence (stopping at
/// the first that fails).
pub async fn verify(
    runtime: &Runtime,
    commands: &[String],
    cwd: &std::path::Path,
    stop: &StopReceiver,
) -> Vec<Verification> {
    let mut evidence = Vec::new();
    for command in commands {
        let spec = runtime.command_spec(command, cwd);
        let result = supervise::run(&spec, stop.clone(), |_| {}).await;
        let verification = match result {
            Ok(finished) => Verification {
                command: command.clone(),
                exit_code: finished.code,
                passed: finished.code == Some(0) && finished.stopped.is_none(),
                duration_ms: u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX),
                output_tail: supervise::tail(&finished.stdout_tail, 40, 4000),
            },
            Err(error) => Verification {
                command: command.clone(),
                exit_code: None,
                passed: false,
                duration_ms: 0,
                output_tail: format!("failed to start `/bin/sh`: {}", error.error),
            },
        };
        let passed = verification.passed;
        evidence.push(verification);
        if !passed {
            break;
        }
    }
    evidence
}

/// Returns the turn options of a task's attempt.
pub(crate) fn turn_options(runtime: &Runtime, job: &Job, under_stress: bool) -> TurnOptions {
    TurnOptions {
        new_session: false,
        under_stress,
        max_budget_usd: job.max_budget_usd,
        thread: job.plan.id.clone(),
        priority: job.spec.priority.name().to_string(),
        task: Some(TaskPayload {
            plan_id: Some(job.plan.id.clone()),
            task_id: Some(job.spec.id.clone()),
            title: job.spec.title.clone(),
            description: job.spec.description.clone(),
            task_type: Some(job.spec.task_type.name().to_string()),
            requirements: job.spec.acceptance.clone(),
            expected_output: job.spec.expected_output.clone(),
            context: job.plan.context.clone(),
            prompt: String::new(),
        }),
        wait_for_session: Some(runtime.config.agent_backend.timeout.0),
        log_path: Some(job.log_path.clone()),
        cwd: Some(job.cwd.clone()),
        isolated: false,
        probe: false,
    }
}

/// How one attempt went.
pub(crate) enum AttemptEnd {
    /// The task ends here.
    Done(TaskEnd),
    /// The attempt failed; `cause` decides whether it is retried.
    Failed { cause: RetryCause, reason: String },
}

/// Returns the failed attempt of a turn that did not succeed. A permission
/// denial gets one retry that tells the agent which tools it has.
pub(crate) fn turn_failure(
    runtime: &Runtime,
    job: &Job,
    output: &crate::agents::backend::TurnOutput,
    isolated: bool,
) -> AttemptEnd {
    let outcome = output.outcome;
    let reason = format!(
        "{}: {}",
        outcome.name(),
        output.reason.clone().unwrap_or_default()
    );
    if outcome != Outcome::PermissionDenied {
        return AttemptEnd::Failed {
            cause: RetryCause::Turn(outcome),
            reason,
        };
    }
    let tools = runtime
        .backend(&job.agent)
        .and_then(|backend| backend.settings(&runtime.config, Some(&job.agent), isolated))
        .map(|settings| {
            let allowed = settings
                .table
                .get("allowed_tools")
                .and_then(serde_json::Value::as_array)
                .map(|tools| {
                    tools
                        .iter()
                        .filter_map(serde_json::Value::as_str)
                        .map(|tool| format!("`{tool}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|list| !list.is_empty())
                .unwrap_or_else(|| "none beyond the mode's own".to_string());
            format!(
                "Your permissions: mode `{}`; tools allowed: {allowed}.",
                settings.permission
            )
        })
        .unwrap_or_default();
    AttemptEnd::Failed {
        cause: RetryCause::PermissionDenied,
        reason: format!(
            "{reason}. {tools} Do the task with these tools; where you cannot, say in your answer what is left undone and why."
        ),
    }
}

/// Records a finished turn in its attempt; returns the report when the
/// agent succeeded, else how the attempt ends (interrupted, failed for
/// nexus's own reasons, or the turn's failure, retried or not).
pub(crate) fn record_turn(
    runtime: &Runtime,
    job: &Job,
    attempt: &mut Attempt,
    report: anyhow::Result<crate::agents::runtime::TurnReport>,
    stop: &StopReceiver,
    isolated: bool,
) -> Result<crate::agents::runtime::TurnReport, AttemptEnd> {
    let finished_at = runtime.ctx.now();
    attempt.finished_at = Some(finished_at);
    attempt.duration_ms =
        u64::try_from(attempt.started_at.until(finished_at).as_millis()).unwrap_or(0);
    let report = match report {
        Ok(report) => report,
        Err(error) => {
            let reason = format!("{error:#}");
            attempt.reason = Some(reason.clone());
            if stopping(stop) {
                attempt.outcome = Outcome::Interrupted.into();
                return Err(AttemptEnd::Done(TaskEnd::Interrupted { reason }));
            }
            attempt.outcome = AttemptOutcome::Error;
            return Err(AttemptEnd::Done(TaskEnd::Failed { reason }));
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
    match output.outcome {
        Outcome::Success => Ok(report),
        Outcome::Interrupted => Err(AttemptEnd::Done(TaskEnd::Interrupted {
            reason: "interrupted by a signal".into(),
        })),
        _ => Err(turn_failure(runtime, job, output, isolated)),
    }
}

/// Says how `check` failed: `label` and its command, `place`, its exit
/// code, then the end of its output.
pub(crate) fn failed_check(label: &str, place: &str, check: &Verification) -> String {
    format!(
        "{label} `{}` failed{place} ({}):\n{}",
        check.command,
        check
            .exit_code
            .map_or_else(|| "no exit code".to_string(), |code| format!("exit {code}")),
        check.output_tail
    )
}

/// Returns the failed attempt of a `verify` command that failed.
pub(crate) fn verification_failure(check: &Verification, attempt: &mut Attempt) -> AttemptEnd {
    let reason = failed_check("verification", "", check);
    attempt.outcome = AttemptOutcome::VerificationFailed;
    attempt.reason = Some(reason.clone());
    AttemptEnd::Failed {
        cause: RetryCause::VerificationFailed,
        reason,
    }
}

/// Runs one attempt: the turn, then verification.
pub(crate) async fn attempt(
    runtime: &Runtime,
    job: &Job,
    prompt: &str,
    under_stress: bool,
    attempt: &mut Attempt,
    stop: &StopReceiver,
    reports: &mpsc::UnboundedSender<Report>,
) -> AttemptEnd {
    let options = turn_options(runtime, job, under_stress);
    let report = runtime
        .send(
            &job.agent,
            job.instance,
            prompt,
            &options,
            stop.clone(),
            progress(job.index, job.max_turns, reports.clone()),
        )
        .await;
    let report = match record_turn(runtime, job, attempt, report, stop, false) {
        Ok(report) => report,
        Err(end) => return end,
    };
    let output = &report.output;
    let evidence = verify(runtime, &job.verify, &job.cwd, stop).await;
    let failed = evidence.iter().find(|check| !check.passed).cloned();
    attempt.verification = evidence;
    attempt.finished_at = Some(runtime.ctx.now());
    let Some(check) = failed else {
        return AttemptEnd::Done(TaskEnd::Completed {
            summary: report.result.summary.clone(),
            result: output.reply.clone(),
        });
    };
    if stopping(stop) {
        return AttemptEnd::Done(TaskEnd::Interrupted {
            reason: "interrupted during verification".into(),
        });
    }
    verification_failure(&check, attempt)
}

/// Runs the attempts of one task; returns the last attempt (unless none
/// ended) and how the task ended.
async fn attempts(
    runtime: &Runtime,
    job: &Job,
    stop: &StopReceiver,
    reports: &mpsc::UnboundedSender<Report>,
) -> (Option<Attempt>, TaskEnd) {
    let index = job.index;
    let mut failure: Option<(u32, String)> = None;
    let mut last_cause: Option<RetryCause> = None;
    for attempt_index in 0..=job.retries {
        if stopping(stop) {
            return (
                None,
                TaskEnd::Interrupted {
                    reason: "interrupted before it started".into(),
                },
            );
        }
        let number_hint = attempt_index + 1;
        let mut current = Attempt::started(number_hint, &job.agent.id, runtime.ctx.now());
        let _ = reports.send(Report::AttemptStarted {
            index,
            attempt: current.clone(),
        });
        let mut prompt = job.prompt.clone();
        if let Some((number, reason)) = &failure {
            prompt.push_str(&retry_note(*number, reason));
        }
        let ended = match &job.workspace {
            Some(workspace) => {
                let start = match last_cause {
                    None => Start::Fresh,
                    Some(RetryCause::MergeConflict) => Start::MergeTip,
                    Some(_) => Start::Continue,
                };
                crate::dispatch::isolated::attempt(
                    runtime,
                    job,
                    workspace,
                    &prompt,
                    failure.is_some(),
                    start,
                    attempt_index == 0,
                    &mut current,
                    stop,
                    reports,
                )
                .await
            }
            None => {
                attempt(
                    runtime,
                    job,
                    &prompt,
                    failure.is_some(),
                    &mut current,
                    stop,
                    reports,
                )
                .await
            }
        };
        let (cause, reason) = match ended {
            AttemptEnd::Done(end) => return (Some(current), end),
            AttemptEnd::Failed { cause, reason } => (cause, reason),
        };
        last_cause = Some(cause);
        let Some(delay) = retry_delay(cause, attempt_index, job.retries, job.backoff) else {
            return (Some(current), TaskEnd::Failed { reason });
        };
        let _ = reports.send(Report::AttemptFinished {
            index,
            attempt: current,
            retrying: Some(delay),
        });
        failure = Some((number_hint, reason));
        let mut waiting = stop.clone();
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = waiting.wait_for(|stop| *stop != Stop::None) => {
                return (None, TaskEnd::Interrupted { reason: "interrupted while waiting to retry".into() });
            }
        }
    }
    (
        None,
        TaskEnd::Failed {
            reason: "no attempt was made".into(),
        },
    )
}
