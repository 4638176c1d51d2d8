//! The dispatcher that runs a plan: ready tasks in dependency order, in
//! parallel up to a limit, at most one turn per agent session at a time.
//!
//! The scheduler is the only writer of task state. Each running task is a
//! future (`work_task`) that drives the agent turn, verification and retries
//! and reports over a channel; the loop here writes every task file, every
//! result and every progress line. A task's lock
//! (`locks/task-<plan>-<task>.lock`) is held while it runs, and the plan lock
//! (`locks/plan-<plan>.lock`) for the whole run — exclusive for a whole-plan
//! run, shared for `--task` runs, so `make -j` can run different tasks of one
//! plan side by side while a second whole-plan run fails fast (busy).
//!
//! Task-file writes go to the blocking pool so the dispatcher never waits on
//! an fsync; a per-task sequence number keeps them in order (the newest
//! wins), a completed task's result is written before its record in the same
//! job, and every queued write is awaited before `run` returns. The budget
//! reserves each running task's estimated cost (the mean reported cost, or
//! `[run] task_max_budget_usd`) and runs one task at a time until a cost is
//! known. See the README ("Benchmarks") for what these choices cost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::agents::backend::Outcome;
use crate::agents::runtime::{Runtime, TurnOptions};
use crate::exec::plan_graph::Graph;
use crate::exec::signals::{Stop, StopReceiver};
use crate::exec::supervise::{self, Spec};
use crate::exit::{Kind, tagged, tagged_hint};
use crate::state::agent::Agent;
use crate::state::fs;
use crate::state::lock::{self, Holder, LockGuard};
use crate::state::message::TaskPayload;
use crate::state::plan::{Plan, TaskSpec};
use crate::state::task::{Attempt, Owner, TaskRecord, TaskState, Verification};
use crate::time::Timestamp;

/// Longest upstream result text carried into a downstream prompt.
const UPSTREAM_CHARS: usize = 12_000;

/// How a run was asked for.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Tasks at the same time.
    pub parallel: u32,
    /// Plan budget in USD (0 = none).
    pub max_cost_usd: f64,
    /// Run failed and blocked tasks again.
    pub retry_failed: bool,
    /// Run exactly this task.
    pub task: Option<String>,
    /// With `task`: ignore unfinished dependencies.
    pub force: bool,
}

/// One line of progress (stderr text, or a JSON line with `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// `run_started`, `task_started`, `task_retrying`, `task_completed`,
    /// `task_failed`, `task_blocked`, `task_skipped`, `task_interrupted`,
    /// `agent_leaked`, `run_finished`.
    pub event: &'static str,
    /// When.
    pub at: Timestamp,
    /// The plan.
    pub plan: String,
    /// The task, for task events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// The agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The attempt number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// Duration of the attempt or run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Cost of the attempt or run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Why a task failed, was blocked or skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Counts by state, on `run_finished`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<BTreeMap<String, usize>>,
}

impl Event {
    fn new(event: &'static str, at: Timestamp, plan: &str) -> Self {
        Event {
            event,
            at,
            plan: plan.to_string(),
            task: None,
            agent: None,
            session_id: None,
            attempt: None,
            duration_ms: None,
            cost_usd: None,
            reason: None,
            counts: None,
        }
    }
}

/// The end of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Counts by state of the tasks in scope.
    pub counts: BTreeMap<String, usize>,
    /// Cost spent in this run.
    pub cost_usd: f64,
    /// Wall time.
    pub wall_ms: u64,
    /// Whether a signal stopped the run.
    pub interrupted: bool,
    /// Whether every task in scope is completed.
    pub all_completed: bool,
}

/// What the agent futures report.
enum Report {
    Session {
        index: usize,
        session_id: String,
    },
    Progress {
        index: usize,
        percent: u8,
    },
    AttemptStarted {
        index: usize,
        attempt: Attempt,
    },
    AttemptFinished {
        index: usize,
        attempt: Attempt,
        retrying: Option<Duration>,
    },
    Finished {
        index: usize,
        end: TaskEnd,
    },
}

/// How a task's work ended.
#[derive(Debug, Clone)]
enum TaskEnd {
    Completed { summary: String, result: String },
    Failed { reason: String },
    Interrupted { reason: String },
}

/// Everything a task's future needs.
struct Job {
    index: usize,
    plan: Arc<Plan>,
    spec: TaskSpec,
    agent: Agent,
    instance: u32,
    prompt: String,
    retries: u32,
    backoff: Duration,
    max_budget_usd: Option<f64>,
    verify: Vec<String>,
    log_path: std::path::PathBuf,
}

/// Returns the plan's dependency graph, or the plan-invalid error naming the
/// problem (unknown dependency, cycle).
fn graph(plan: &Plan) -> Result<Graph> {
    Graph::new(plan).map_err(|problem| {
        tagged(
            Kind::PlanInvalid,
            format!("plan `{}` cannot run: {problem}", plan.id),
        )
    })
}

/// Returns the index of `task` in the plan, or a usage error.
fn task_index(plan: &Plan, graph: &Graph, task: &str) -> Result<usize> {
    graph.ids.iter().position(|id| id == task).ok_or_else(|| {
        tagged_hint(
            Kind::Usage,
            format!("plan `{}` has no task `{task}`", plan.id),
            format!("`nexus status {}` lists its tasks", plan.id),
        )
    })
}

/// Returns whether a task in `state` runs: completed ones never; failed and
/// blocked ones with `--retry-failed` or when named by `--task`; the rest
/// (pending, interrupted, skipped) always.
fn will_run(state: TaskState, options: &RunOptions) -> bool {
    match state {
        TaskState::Completed => false,
        TaskState::Failed | TaskState::Blocked => options.retry_failed || options.task.is_some(),
        TaskState::Pending | TaskState::Running | TaskState::Interrupted | TaskState::Skipped => {
            true
        }
    }
}

/// Returns, for each dependency of task `index`: its spec, the agent that
/// did it, and its result.
fn gather_upstream(
    plan: &Plan,
    graph: &Graph,
    index: usize,
    mut result: impl FnMut(usize) -> Option<String>,
    mut agent: impl FnMut(usize) -> Option<String>,
) -> Vec<(TaskSpec, Option<String>, Option<String>)> {
    graph.deps[index]
        .iter()
        .map(|&dep| (plan.tasks[dep].clone(), agent(dep), result(dep)))
        .collect()
}

/// Returns the verify commands of a task: its own, then its agent's.
pub fn verify_commands(spec: &TaskSpec, agent: &Agent) -> Vec<String> {
    let mut commands = spec.verify.clone();
    for command in &agent.verify {
        if !commands.contains(command) {
            commands.push(command.clone());
        }
    }
    commands
}

/// Builds the task prompt: what to do, expected output, acceptance, the
/// results of the tasks it depends on, and (on a retry) what went wrong.
pub fn task_prompt(
    plan: &Plan,
    spec: &TaskSpec,
    upstream: &[(TaskSpec, Option<String>, Option<String>)],
    verify: &[String],
) -> String {
    let mut text = format!("# Task `{}`: {}\n", spec.id, spec.title);
    text.push_str(&format!("Plan `{}`: {}\n", plan.id, plan.request.trim()));
    text.push_str(&format!(
        "Type: {}. Priority: {}.\n",
        spec.task_type, spec.priority
    ));
    if let Some(deadline) = &plan.deadline {
        text.push_str(&format!("Deadline: {deadline}.\n"));
    }
    if !plan.context.is_empty() {
        text.push_str("Context:\n");
        for (key, value) in &plan.context {
            text.push_str(&format!("- {key}: {value}\n"));
        }
    }
    if !spec.description.trim().is_empty() {
        text.push_str(&format!("\n## What to do\n{}\n", spec.description.trim()));
    }
    if let Some(expected) = &spec.expected_output {
        text.push_str(&format!("\n## Expected output\n{}\n", expected.trim()));
    }
    if !spec.acceptance.is_empty() {
        text.push_str("\n## Acceptance criteria\n");
        for item in &spec.acceptance {
            text.push_str(&format!("- {item}\n"));
        }
    }
    if !verify.is_empty() {
        text.push_str(&format!(
            "\n## Verification\nWhen you finish, nexus runs these commands in the project root; the task is done only if they pass: {}\n",
            verify.iter().map(|command| format!("`{command}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    if !upstream.is_empty() {
        text.push_str("\n## Results of the tasks this one depends on\n");
        for (dep, agent, result) in upstream {
            let by = agent
                .as_deref()
                .map(|agent| format!(" (by `{agent}`)"))
                .unwrap_or_default();
            text.push_str(&format!("\n### `{}`: {}{by}\n", dep.id, dep.title));
            match result {
                Some(result) => {
                    let mut body: String = result.chars().take(UPSTREAM_CHARS).collect();
                    if body.len() < result.len() {
                        body.push_str("\n[…truncated; the full result is in `.nexus/plans/");
                        body.push_str(&format!("{}/results/{}.md`]", plan.id, dep.id));
                    }
                    text.push_str(body.trim_end());
                    text.push('\n');
                }
                None => text.push_str("(no result recorded)\n"),
            }
        }
    }
    text
}

fn retry_note(number: u32, reason: &str) -> String {
    format!(
        "\n## What went wrong last time\nAttempt {number} did not succeed: {reason}\nFix the cause before anything else.\n"
    )
}

/// Runs verification commands in the project root; returns the evidence.
async fn verify(
    runtime: &Runtime,
    agent: &Agent,
    commands: &[String],
    stop: &StopReceiver,
) -> Vec<Verification> {
    let mut evidence = Vec::new();
    for command in commands {
        let mut spec: Spec = runtime.spec(agent, Vec::new());
        spec.program = "/bin/sh".into();
        spec.args = vec!["-c".into(), format!("exec 2>&1\n{command}").into()];
        spec.inactivity = spec.timeout;
        let result = supervise::run(&spec, stop.clone(), |_| {}).await;
        let verification = match result {
            Ok(finished) => Verification {
                command: command.clone(),
                exit_code: finished.code,
                passed: finished.code == Some(0) && finished.stopped.is_none(),
                duration_ms: u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX),
                output_tail: supervise::tail(&finished.stdout, 40, 4000),
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

/// Drives one task: attempts, verification, retries with backoff; reports
/// the last attempt and how the task ended.
async fn work_task(
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

/// Reports an agent's stream-json lines as session and progress events.
fn line_reporter(
    index: usize,
    max_turns: u32,
    reports: mpsc::UnboundedSender<Report>,
) -> impl FnMut(&str) {
    let mut assistant_events = 0u32;
    move |line| {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
            return;
        };
        let field = |name: &str| value.get(name).and_then(serde_json::Value::as_str);
        match (field("type"), field("subtype")) {
            (Some("system"), Some("init")) => {
                if let Some(session) = field("session_id") {
                    let _ = reports.send(Report::Session {
                        index,
                        session_id: session.to_string(),
                    });
                }
            }
            (Some("assistant"), _) => {
                assistant_events += 1;
                let percent = (assistant_events * 100 / max_turns.max(1)).min(95);
                let _ = reports.send(Report::Progress {
                    index,
                    percent: u8::try_from(percent).unwrap_or(95),
                });
            }
            _ => {}
        }
    }
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
    let attempts = job.retries + 1;
    for attempt_index in 0..attempts {
        if stopping(stop) {
            return (
                None,
                TaskEnd::Interrupted {
                    reason: "interrupted before it started".into(),
                },
            );
        }
        let started_at = runtime.ctx.now();
        let number_hint = attempt_index + 1;
        let _ = reports.send(Report::AttemptStarted {
            index,
            attempt: Attempt::started(number_hint, &job.agent.id, started_at),
        });
        let mut prompt = job.prompt.clone();
        if let Some((number, reason)) = &failure {
            prompt.push_str(&retry_note(*number, reason));
        }
        let options = TurnOptions {
            new_session: false,
            under_stress: failure.is_some(),
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
        };
        let on_line = line_reporter(index, job.agent.claude.max_turns, reports.clone());
        let report = runtime
            .send(
                &job.agent,
                job.instance,
                &prompt,
                &options,
                stop.clone(),
                on_line,
            )
            .await;
        let finished_at = runtime.ctx.now();
        let mut attempt = Attempt {
            finished_at: Some(finished_at),
            duration_ms: u64::try_from(started_at.until(finished_at).as_millis()).unwrap_or(0),
            ..Attempt::started(number_hint, &job.agent.id, started_at)
        };
        let report = match report {
            Ok(report) => report,
            Err(error) => {
                let reason = format!("{error:#}");
                if stopping(stop) {
                    attempt.outcome = "interrupted".to_string();
                    attempt.reason = Some(reason.clone());
                    return (Some(attempt), TaskEnd::Interrupted { reason });
                }
                attempt.outcome = "error".to_string();
                attempt.reason = Some(reason.clone());
                return (Some(attempt), TaskEnd::Failed { reason });
            }
        };
        let output = &report.output;
        let outcome = output.outcome.unwrap_or(Outcome::Crashed);
        attempt = Attempt {
            session_id: Some(report.session_id.clone()),
            outcome: outcome.name().to_string(),
            reason: output.reason.clone(),
            cost_usd: output.cost_usd,
            input_tokens: output.input_tokens,
            output_tokens: output.output_tokens,
            turns: output.turns,
            duration_ms: output.duration_ms,
            leaked: output.leaked,
            ..attempt
        };
        if outcome == Outcome::Interrupted {
            return (
                Some(attempt),
                TaskEnd::Interrupted {
                    reason: "interrupted by a signal".into(),
                },
            );
        }
        let reason = if outcome == Outcome::Success {
            let evidence = verify(runtime, &job.agent, &job.verify, stop).await;
            let failed = evidence.iter().find(|check| !check.passed).cloned();
            attempt.verification = evidence;
            attempt.finished_at = Some(runtime.ctx.now());
            let Some(check) = failed else {
                let end = TaskEnd::Completed {
                    summary: report.result.summary.clone(),
                    result: output.reply.clone(),
                };
                return (Some(attempt), end);
            };
            if stopping(stop) {
                return (
                    Some(attempt),
                    TaskEnd::Interrupted {
                        reason: "interrupted during verification".into(),
                    },
                );
            }
            let reason = format!(
                "verification `{}` failed ({}):\n{}",
                check.command,
                check
                    .exit_code
                    .map_or_else(|| "no exit code".to_string(), |code| format!("exit {code}")),
                check.output_tail
            );
            attempt.outcome = "verification_failed".into();
            attempt.reason = Some(reason.clone());
            reason
        } else {
            if !outcome.retryable() {
                let reason = format!(
                    "{}: {}",
                    outcome.name(),
                    output.reason.clone().unwrap_or_default()
                );
                return (Some(attempt), TaskEnd::Failed { reason });
            }
            format!(
                "{}: {}",
                outcome.name(),
                output.reason.clone().unwrap_or_default()
            )
        };
        if attempt_index + 1 >= attempts {
            return (Some(attempt), TaskEnd::Failed { reason });
        }
        let delay = job.backoff.saturating_mul(1 << attempt_index.min(10));
        let _ = reports.send(Report::AttemptFinished {
            index,
            attempt,
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

/// The state the loop keeps per task.
struct Slot {
    record: TaskRecord,
    task_lock: Option<LockGuard>,
    busy_instance: Option<(String, u32)>,
    attempts_at_start: usize,
    /// The result text of a task completed in this run (what dependents get,
    /// without waiting for the file).
    result: Option<String>,
    /// Orders this task's file writes: a write older than the newest one
    /// already on disk is dropped.
    written: Arc<std::sync::Mutex<u64>>,
    sequence: u64,
    /// The part of the plan budget this task is expected to spend while it
    /// runs (its estimate), so parallel launches do not overcommit.
    reserved: f64,
}

/// Task-file writes run on the blocking pool, so the dispatcher never waits
/// for an fsync; each task's writes stay in order (see `Slot::written`).
#[derive(Default)]
struct Writes {
    handles: Vec<tokio::task::JoinHandle<Result<()>>>,
}

impl Writes {
    /// Waits for every write; returns the first error.
    async fn finish(&mut self) -> Result<()> {
        let mut first = None;
        for handle in self.handles.drain(..) {
            let outcome = handle
                .await
                .map_err(|error| anyhow!("a state write panicked: {error}"))
                .and_then(|done| done);
            if let Err(error) = outcome {
                first.get_or_insert(error);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// Runs a plan (or one task of it). `emit` receives every event.
pub struct Scheduler<'a> {
    runtime: Arc<Runtime>,
    plan: Arc<Plan>,
    graph: Graph,
    agents: BTreeMap<String, Agent>,
    options: RunOptions,
    emit: &'a mut dyn FnMut(&Event),
    command: String,
    writes: Writes,
}

impl<'a> Scheduler<'a> {
    /// Prepares a run: loads agents, builds the graph.
    pub fn new(
        runtime: Arc<Runtime>,
        plan: Plan,
        options: RunOptions,
        emit: &'a mut dyn FnMut(&Event),
    ) -> Result<Self> {
        let graph = graph(&plan)?;
        let agents: BTreeMap<String, Agent> = runtime
            .store
            .load_agents()?
            .into_iter()
            .map(|agent| (agent.id.clone(), agent))
            .collect();
        for task in &plan.tasks {
            let Some(agent) = &task.agent else {
                return Err(tagged_hint(
                    Kind::Usage,
                    format!("task `{}` of plan `{}` has no agent", task.id, plan.id),
                    format!("run `nexus assign {}`", plan.id),
                ));
            };
            if !agents.contains_key(agent) {
                runtime.store.check_plan_agents(&plan)?;
            }
        }
        let command: Vec<String> = std::env::args().collect();
        Ok(Scheduler {
            runtime,
            plan: Arc::new(plan),
            graph,
            agents,
            options,
            emit,
            command: command.join(" "),
            writes: Writes::default(),
        })
    }

    fn now(&self) -> Timestamp {
        self.runtime.ctx.now()
    }

    fn write(&mut self, slot: &mut Slot) -> Result<()> {
        self.write_with(slot, None)
    }

    /// Queues a write of the task file; `first` (the result file) is written
    /// before it in the same job, so a task is never `completed` on disk
    /// without its result.
    fn write_with(
        &mut self,
        slot: &mut Slot,
        first: Option<(std::path::PathBuf, Vec<u8>)>,
    ) -> Result<()> {
        slot.record.updated_at = Some(self.now());
        slot.record.updated_by.clone_from(&self.command);
        let path = self
            .runtime
            .store
            .task_path(&self.plan.id, &slot.record.task_id);
        let bytes = fs::to_json_bytes(&slot.record)?;
        slot.sequence += 1;
        let sequence = slot.sequence;
        let written = slot.written.clone();
        self.writes
            .handles
            .push(tokio::task::spawn_blocking(move || {
                let mut last = written
                    .lock()
                    .map_err(|_| anyhow!("a task-file write panicked"))?;
                if let Some((first_path, first_bytes)) = first {
                    fs::write_atomic(&first_path, &first_bytes)?;
                }
                if *last < sequence {
                    fs::write_atomic(&path, &bytes)?;
                    *last = sequence;
                }
                Ok(())
            }));
        Ok(())
    }

    fn event(&mut self, mut event: Event, index: Option<usize>) {
        if let Some(index) = index {
            event.task = Some(self.graph.ids[index].clone());
            if event.agent.is_none() {
                event.agent = self.plan.tasks[index].agent.clone();
            }
        }
        (self.emit)(&event);
    }

    /// Runs to the end (or a signal); returns the summary.
    pub async fn run(mut self, stop: StopReceiver) -> Result<Summary> {
        let outcome = self.run_inner(stop).await;
        // Every queued state write lands before we return, error or not.
        let writes = self.writes.finish().await;
        let summary = outcome?;
        writes?;
        Ok(summary)
    }

    async fn run_inner(&mut self, stop: StopReceiver) -> Result<Summary> {
        let started = Instant::now();
        let store = self.runtime.store.clone();
        let plan_id = self.plan.id.clone();
        let holder = Holder::current(self.now());
        let plan_lock_path = store.lock_path(&format!("plan-{plan_id}"));
        let what = format!("plan `{plan_id}`");
        let (_plan_lock, scope): (LockGuard, Vec<usize>) = match &self.options.task {
            None => (
                lock::try_exclusive(&plan_lock_path, &what, &holder)?,
                (0..self.graph.ids.len()).collect(),
            ),
            Some(task) => {
                let index = task_index(&self.plan, &self.graph, task)?;
                (lock::try_shared(&plan_lock_path, &what)?, vec![index])
            }
        };
        let mut slots: Vec<Slot> = Vec::with_capacity(self.graph.ids.len());
        for id in &self.graph.ids {
            let record = store.load_task(&plan_id, id)?;
            let attempts_at_start = record.attempts.len();
            slots.push(Slot {
                record,
                task_lock: None,
                busy_instance: None,
                attempts_at_start,
                result: None,
                written: Arc::new(std::sync::Mutex::new(0)),
                sequence: 0,
                reserved: 0.0,
            });
        }
        // Take the locks of the tasks in scope (a busy one fails the run
        // before anything is written).
        for &index in &scope {
            let task_what = format!("task `{}` of plan `{plan_id}`", self.graph.ids[index]);
            let guard = lock::try_exclusive(
                &store.lock_path(&format!("task-{plan_id}-{}", self.graph.ids[index])),
                &task_what,
                &holder,
            )?;
            slots[index].task_lock = Some(guard);
        }
        // `--task`: its dependencies must be completed (checked before any
        // state changes, so a refused run touches nothing).
        if let Some(task) = &self.options.task {
            let index = scope[0];
            if !self.options.force {
                let unfinished: Vec<String> = self.graph.deps[index]
                    .iter()
                    .filter(|&&dep| slots[dep].record.state != TaskState::Completed)
                    .map(|&dep| format!("`{}` ({})", self.graph.ids[dep], slots[dep].record.state))
                    .collect();
                if !unfinished.is_empty() {
                    return Err(tagged_hint(
                        Kind::TasksFailed,
                        format!(
                            "task `{task}` of plan `{plan_id}` depends on unfinished tasks: {}",
                            unfinished.join(", ")
                        ),
                        "run those first, or pass `--force`",
                    ));
                }
            }
            if slots[index].record.state == TaskState::Completed {
                self.event(
                    Event {
                        reason: Some("already completed".into()),
                        ..Event::new("task_skipped", self.now(), &plan_id)
                    },
                    Some(index),
                );
            }
        }
        // A running task we could lock has no live owner (its runner died):
        // it becomes interrupted.
        for &index in &scope {
            if slots[index].record.state == TaskState::Running {
                let slot = &mut slots[index];
                slot.record.runner_gone(self.runtime.ctx.now());
                self.write(slot)?;
            }
        }
        // Decide what is in play.
        let mut pending: Vec<bool> = vec![false; slots.len()];
        for &index in &scope {
            let state = slots[index].record.state;
            pending[index] = will_run(state, &self.options);
            if pending[index] && state != TaskState::Pending {
                slots[index].record.state = TaskState::Pending;
                slots[index].record.reason = None;
                self.write(&mut slots[index])?;
            }
        }
        let spent_before: f64 = slots.iter().map(|slot| slot.record.cost_usd).sum();
        let mut spent = spent_before;
        let mut costs_seen: Vec<f64> = slots
            .iter()
            .flat_map(|slot| slot.record.attempts.iter())
            .map(|attempt| attempt.cost_usd)
            .filter(|cost| *cost > 0.0)
            .collect();
        let mut in_scope = vec![false; slots.len()];
        for &index in &scope {
            in_scope[index] = true;
        }
        // Blocking follows dependencies, so sweep in topological order.
        let order: Vec<usize> = self
            .graph
            .order()
            .into_iter()
            .filter(|&index| in_scope[index])
            .collect();
        self.event(Event::new("run_started", self.now(), &plan_id), None);

        let (sender, mut receiver) = mpsc::unbounded_channel::<Report>();
        let mut workers: tokio::task::JoinSet<usize> = tokio::task::JoinSet::new();
        let mut worker_tasks: BTreeMap<tokio::task::Id, usize> = BTreeMap::new();
        let mut running = 0usize;
        let mut busy: BTreeMap<(String, u32), usize> = BTreeMap::new();
        let mut stopping = *stop.borrow() != Stop::None;
        let mut stop_watch = stop.clone();
        let parallel = self.options.parallel.max(1) as usize;
        let run_config = self.runtime.config.run.clone();
        loop {
            // Block tasks whose dependencies failed; launch ready ones. A task
            // skipped for the budget can block others: go round again.
            let mut skipped_any = false;
            if !stopping {
                for &index in &order {
                    if !pending[index] {
                        continue;
                    }
                    if let Some(&dep) = self.graph.deps[index].iter().find(|&&dep| {
                        slots[dep].record.state.blocks_dependents()
                            && !(pending[dep] || slots[dep].busy_instance.is_some())
                    }) && self.options.task.is_none()
                    {
                        pending[index] = false;
                        let dep_state = slots[dep].record.state;
                        let reason = slots[index].record.block(&self.graph.ids[dep], dep_state);
                        self.write(&mut slots[index])?;
                        self.event(
                            Event {
                                reason: Some(reason),
                                ..Event::new("task_blocked", self.now(), &plan_id)
                            },
                            Some(index),
                        );
                    }
                }
                let mut ready: Vec<usize> = scope
                    .iter()
                    .copied()
                    .filter(|&index| pending[index])
                    .filter(|&index| {
                        self.options.task.is_some()
                            || self.graph.deps[index]
                                .iter()
                                .all(|&dep| slots[dep].record.state == TaskState::Completed)
                    })
                    .collect();
                self.graph.sort_ready(&mut ready);
                for index in ready {
                    if running >= parallel {
                        break;
                    }
                    let spec = self.plan.tasks[index].clone();
                    let agent_id = spec.agent.clone().unwrap_or_default();
                    let Some(agent) = self.agents.get(&agent_id).cloned() else {
                        continue;
                    };
                    // In this process, the first instance not busy; with
                    // `--task` (other processes may run this agent too), also
                    // the first whose session lock is free, else wait for 0.
                    let free = |instance: &u32| !busy.contains_key(&(agent_id.clone(), *instance));
                    let unlocked =
                        |instance: &u32| {
                            !lock::is_held(&store.lock_path(&crate::agents::sessions::lock_name(
                                &agent_id, *instance,
                            )))
                        };
                    let instance = if self.options.task.is_some() {
                        (0..agent.instances)
                            .find(|instance| free(instance) && unlocked(instance))
                            .or(Some(0))
                    } else {
                        (0..agent.instances).find(free)
                    };
                    let Some(instance) = instance else {
                        continue;
                    };
                    // Budget: stop before the plan's cost would pass the limit.
                    let mut max_budget = (run_config.task_max_budget_usd > 0.0)
                        .then_some(run_config.task_max_budget_usd);
                    let mut estimate = 0.0;
                    if self.options.max_cost_usd > 0.0 {
                        let reserved: f64 = slots.iter().map(|slot| slot.reserved).sum();
                        let remaining = self.options.max_cost_usd - spent - reserved;
                        if max_budget.is_none() && costs_seen.is_empty() && running > 0 {
                            // Nothing tells what a task costs yet: run one at
                            // a time until the first attempt reports its cost.
                            break;
                        }
                        estimate = max_budget.unwrap_or_else(|| {
                            if costs_seen.is_empty() {
                                0.0
                            } else {
                                costs_seen.iter().sum::<f64>() / costs_seen.len() as f64
                            }
                        });
                        if remaining <= 0.0 || estimate > remaining {
                            pending[index] = false;
                            let reason = format!(
                                "budget: ${spent:.4} spent and ${reserved:.4} reserved by running tasks of ${:.4}, next task estimated at ${estimate:.4}",
                                self.options.max_cost_usd
                            );
                            slots[index].record.state = TaskState::Skipped;
                            slots[index].record.reason = Some(reason.clone());
                            self.write(&mut slots[index])?;
                            self.event(
                                Event {
                                    reason: Some(reason),
                                    ..Event::new("task_skipped", self.now(), &plan_id)
                                },
                                Some(index),
                            );
                            skipped_any = true;
                            continue;
                        }
                        max_budget =
                            Some(max_budget.map_or(remaining, |budget| budget.min(remaining)));
                    }
                    let upstream = gather_upstream(
                        &self.plan,
                        &self.graph,
                        index,
                        |dep| {
                            slots[dep].result.clone().or_else(|| {
                                store
                                    .load_result(&plan_id, &self.graph.ids[dep])
                                    .ok()
                                    .flatten()
                            })
                        },
                        |dep| slots[dep].record.agent.clone(),
                    );
                    let verify = verify_commands(&spec, &agent);
                    let prompt = task_prompt(&self.plan, &spec, &upstream, &verify);
                    pending[index] = false;
                    running += 1;
                    busy.insert((agent_id.clone(), instance), index);
                    let slot = &mut slots[index];
                    slot.reserved = estimate;
                    slot.busy_instance = Some((agent_id.clone(), instance));
                    slot.record.state = TaskState::Running;
                    slot.record.agent = Some(agent_id.clone());
                    slot.record.instance = Some(instance);
                    slot.record.reason = None;
                    slot.record.progress = Some(0);
                    slot.record.finished_at = None;
                    slot.record.owner = Some(Owner {
                        pid: std::process::id(),
                        host: lock::hostname(),
                    });
                    if slot.record.started_at.is_none() {
                        slot.record.started_at = Some(self.runtime.ctx.now());
                    }
                    let job = Job {
                        index,
                        plan: self.plan.clone(),
                        spec,
                        agent,
                        instance,
                        prompt,
                        retries: run_config.retries,
                        backoff: run_config.retry_backoff.0,
                        max_budget_usd: max_budget,
                        verify,
                        log_path: store.task_log_path(&plan_id, &self.graph.ids[index]),
                    };
                    let handle = workers.spawn(work_task(
                        self.runtime.clone(),
                        job,
                        stop.clone(),
                        sender.clone(),
                    ));
                    worker_tasks.insert(handle.id(), index);
                }
            }
            if running == 0 {
                if skipped_any {
                    continue;
                }
                break;
            }
            tokio::select! {
                report = receiver.recv() => {
                    let Some(report) = report else { break };
                    self.handle(report, &mut slots, &mut running, &mut busy, &mut spent, &mut costs_seen)?;
                }
                Some(joined) = workers.join_next_with_id(), if !workers.is_empty() => {
                    if let Err(error) = joined {
                        // A worker that panicked never reported its end.
                        if let Some(index) = worker_tasks.get(&error.id()).copied() {
                            let end = TaskEnd::Failed { reason: format!("its worker failed: {error}") };
                            self.handle(Report::Finished { index, end }, &mut slots, &mut running, &mut busy, &mut spent, &mut costs_seen)?;
                        }
                    }
                }
                _ = stop_watch.changed(), if !stopping => {
                    if *stop_watch.borrow() != Stop::None {
                        stopping = true;
                    }
                }
            }
        }
        let interrupted = stopping || *stop.borrow() != Stop::None;
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for &index in &scope {
            *counts
                .entry(slots[index].record.state.name().to_string())
                .or_insert(0) += 1;
        }
        let all_completed = scope
            .iter()
            .all(|&index| slots[index].record.state == TaskState::Completed);
        let summary = Summary {
            counts: counts.clone(),
            cost_usd: spent - spent_before,
            wall_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            interrupted,
            all_completed,
        };
        self.event(
            Event {
                counts: Some(counts),
                cost_usd: Some(summary.cost_usd),
                duration_ms: Some(summary.wall_ms),
                ..Event::new("run_finished", self.now(), &plan_id)
            },
            None,
        );
        Ok(summary)
    }

    fn handle(
        &mut self,
        report: Report,
        slots: &mut [Slot],
        running: &mut usize,
        busy: &mut BTreeMap<(String, u32), usize>,
        spent: &mut f64,
        costs_seen: &mut Vec<f64>,
    ) -> Result<()> {
        let plan_id = self.plan.id.clone();
        // A task that already ended (its worker panicked and was ended for
        // it) takes no more reports.
        let (Report::Session { index, .. }
        | Report::Progress { index, .. }
        | Report::AttemptStarted { index, .. }
        | Report::AttemptFinished { index, .. }
        | Report::Finished { index, .. }) = &report;
        if slots[*index].busy_instance.is_none() {
            return Ok(());
        }
        match report {
            Report::Session { index, session_id } => {
                let slot = &mut slots[index];
                slot.record.session_id = Some(session_id.clone());
                if let Some(attempt) = slot.record.attempts.last_mut() {
                    attempt.session_id = Some(session_id);
                }
                // Written with the next progress or the end of the attempt.
            }
            Report::Progress { index, percent } => {
                let slot = &mut slots[index];
                if slot
                    .record
                    .progress
                    .is_none_or(|old| percent >= old.saturating_add(5))
                {
                    slot.record.progress = Some(percent);
                    self.write(slot)?;
                }
            }
            Report::AttemptStarted { index, mut attempt } => {
                let slot = &mut slots[index];
                attempt.number = u32::try_from(slot.record.attempts.len() + 1).unwrap_or(u32::MAX);
                let number = attempt.number;
                slot.record.attempts.push(attempt);
                self.write(slot)?;
                self.event(
                    Event {
                        attempt: Some(number),
                        ..Event::new("task_started", self.now(), &plan_id)
                    },
                    Some(index),
                );
            }
            Report::AttemptFinished {
                index,
                mut attempt,
                retrying,
            } => {
                let slot = &mut slots[index];
                if let Some(last) = slot.record.attempts.last_mut() {
                    attempt.number = last.number;
                    *last = attempt.clone();
                }
                slot.record.cost_usd += attempt.cost_usd;
                slot.record.input_tokens += attempt.input_tokens;
                slot.record.output_tokens += attempt.output_tokens;
                slot.record.turns += attempt.turns;
                if attempt.session_id.is_some() {
                    slot.record.session_id.clone_from(&attempt.session_id);
                }
                *spent += attempt.cost_usd;
                // Only a reported cost tells what a task costs: a crash or an
                // interruption at $0 must not lift the one-at-a-time rule.
                if attempt.cost_usd > 0.0 {
                    costs_seen.push(attempt.cost_usd);
                }
                if attempt.leaked {
                    self.event(
                        Event {
                            attempt: Some(attempt.number),
                            reason: Some("the agent left a process holding its output open after it exited; its group was killed".into()),
                            ..Event::new("agent_leaked", self.now(), &plan_id)
                        },
                        Some(index),
                    );
                }
                if retrying.is_some() {
                    self.write(slot)?;
                }
                if let Some(delay) = retrying {
                    self.event(
                        Event {
                            attempt: Some(attempt.number),
                            reason: attempt
                                .reason
                                .clone()
                                .map(|reason| format!("{}: {reason}", attempt.outcome)),
                            duration_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(0)),
                            cost_usd: Some(attempt.cost_usd),
                            ..Event::new("task_retrying", self.now(), &plan_id)
                        },
                        Some(index),
                    );
                }
            }
            Report::Finished { index, end } => {
                *running = running.saturating_sub(1);
                let slot = &mut slots[index];
                if let Some(key) = slot.busy_instance.take() {
                    busy.remove(&key);
                }
                slot.reserved = 0.0;
                slot.record.owner = None;
                slot.record.finished_at = Some(self.runtime.ctx.now());
                // An attempt still open here never reported its end (its
                // worker failed): close it with the task's reason.
                let open_reason = match &end {
                    TaskEnd::Failed { reason } | TaskEnd::Interrupted { reason } => reason.clone(),
                    TaskEnd::Completed { .. } => String::new(),
                };
                if let Some(attempt) = slot
                    .record
                    .attempts
                    .last_mut()
                    .filter(|attempt| attempt.finished_at.is_none())
                {
                    attempt.finished_at = slot.record.finished_at;
                    attempt.outcome = "error".to_string();
                    attempt.reason = Some(open_reason);
                }
                let this_run: f64 = slot
                    .record
                    .attempts
                    .iter()
                    .skip(slot.attempts_at_start)
                    .map(|attempt| attempt.cost_usd)
                    .sum();
                let duration: u64 = slot
                    .record
                    .attempts
                    .iter()
                    .skip(slot.attempts_at_start)
                    .map(|attempt| attempt.duration_ms)
                    .sum();
                let attempt = slot.record.attempts.last().map(|attempt| attempt.number);
                let mut result_file = None;
                let (name, reason) = match end {
                    TaskEnd::Completed { summary, result } => {
                        let path = self
                            .runtime
                            .store
                            .result_path(&plan_id, &slot.record.task_id);
                        result_file = Some((path, format!("{}\n", result.trim_end()).into_bytes()));
                        slot.result = Some(result);
                        slot.record.state = TaskState::Completed;
                        slot.record.summary = Some(summary);
                        slot.record.reason = None;
                        slot.record.progress = Some(100);
                        ("task_completed", None)
                    }
                    TaskEnd::Failed { reason } => {
                        slot.record.state = TaskState::Failed;
                        slot.record.reason = Some(reason.clone());
                        slot.record.progress = None;
                        ("task_failed", Some(reason))
                    }
                    TaskEnd::Interrupted { reason } => {
                        slot.record.state = TaskState::Interrupted;
                        slot.record.reason = Some(reason.clone());
                        slot.record.progress = None;
                        ("task_interrupted", Some(reason))
                    }
                };
                self.write_with(slot, result_file)?;
                let session_id = slots[index].record.session_id.clone();
                self.event(
                    Event {
                        session_id,
                        attempt,
                        duration_ms: Some(duration),
                        cost_usd: Some(this_run),
                        reason,
                        ..Event::new(name, self.now(), &plan_id)
                    },
                    Some(index),
                );
            }
        }
        Ok(())
    }
}

/// Assigns the unassigned tasks of a plan (as `nexus assign` does) under the
/// plan's edit lock, re-reading the plan inside the lock so parallel
/// `--task` runs agree; returns the plan as written.
pub fn ensure_assigned(store: &crate::state::store::Store, plan_id: &str) -> Result<Plan> {
    let plan = store.load_plan(plan_id)?;
    if plan.tasks.iter().all(|task| task.agent.is_some()) {
        store.check_plan_agents(&plan)?;
        return Ok(plan);
    }
    let _guard = store.lock_for_update(
        &format!("plan-edit-{plan_id}"),
        &format!("plan `{plan_id}`"),
    )?;
    let mut plan = store.load_plan(plan_id)?;
    crate::brain::assign::assign_unassigned(store, &mut plan)?;
    fs::write_json(&store.plan_path(plan_id), &plan)?;
    store.check_plan_agents(&plan)?;
    Ok(plan)
}

/// What `--dry-run` shows for one task.
#[derive(Debug, Serialize)]
pub struct DryRunTask {
    /// The task.
    pub task: String,
    /// Its agent.
    pub agent: String,
    /// Resume or new session.
    pub session: String,
    /// The argv (long values shortened).
    pub argv: Vec<String>,
    /// The full prompt.
    pub prompt: String,
    /// Verification commands.
    pub verify: Vec<String>,
}

/// Returns what would run, in order, without changing anything.
pub fn dry_run(runtime: &Runtime, plan: &Plan, options: &RunOptions) -> Result<Vec<DryRunTask>> {
    use crate::agents::backend::{Backend, TurnRequest};
    use crate::agents::claude::{Claude, redacted_argv};
    let graph = graph(plan)?;
    let store = &runtime.store;
    let order: Vec<usize> = match &options.task {
        Some(task) => vec![task_index(plan, &graph, task)?],
        None => graph.order(),
    };
    let mut out = Vec::new();
    for index in order {
        let spec = &plan.tasks[index];
        let record = store.load_task(&plan.id, &spec.id)?;
        if !will_run(record.state, options) {
            continue;
        }
        let agent_id = spec.agent.clone().ok_or_else(|| {
            anyhow!(
                "task `{}` has no agent; run `nexus assign {}`",
                spec.id,
                plan.id
            )
        })?;
        let agent = store.load_agent(&agent_id)?;
        let upstream = gather_upstream(
            plan,
            &graph,
            index,
            |dep| {
                let stored = store.load_result(&plan.id, &graph.ids[dep]).ok().flatten();
                stored.or_else(|| Some("(not run yet: its result will be here)".to_string()))
            },
            |dep| plan.tasks[dep].agent.clone(),
        );
        let verify = verify_commands(spec, &agent);
        let message = task_prompt(plan, spec, &upstream, &verify);
        let record = runtime.load_session(&agent.id, 0)?;
        let (mut mode, recovered) = runtime.choose_session(record.as_ref(), false);
        if let crate::agents::backend::SessionMode::New(id) = &mut mode {
            // The real id is drawn when the task runs.
            *id = "<new-session-id>".to_string();
        }
        let prompt = runtime.compose_prompt(&agent, &message, &mode, recovered.as_deref())?;
        let budget = (runtime.config.run.task_max_budget_usd > 0.0)
            .then_some(runtime.config.run.task_max_budget_usd);
        let request = TurnRequest {
            agent: &agent,
            session: mode.clone(),
            system_prompt: crate::agents::personality::system_prompt(&agent, false),
            prompt: prompt.clone(),
            max_budget_usd: budget,
        };
        let args = Claude.args(&request);
        out.push(DryRunTask {
            task: spec.id.clone(),
            agent: agent.id.clone(),
            session: match (&mode, recovered) {
                (crate::agents::backend::SessionMode::Resume(id), _) => format!("resume {id}"),
                (crate::agents::backend::SessionMode::New(_), Some(reason)) => {
                    format!("new (recovering: {reason})")
                }
                (crate::agents::backend::SessionMode::New(_), None) => "new".to_string(),
            },
            argv: redacted_argv(&runtime.program, &args),
            prompt,
            verify,
        });
    }
    Ok(out)
}
