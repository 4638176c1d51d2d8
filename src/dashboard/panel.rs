//! The dashboard computed from a [`Snapshot`]: system health, task metrics,
//! per-agent performance, plans and tasks. This is the `status --json`
//! document; its shape is documented in the module docs of `dashboard`. The
//! figures over every plan are summed in `agents`, those of the plans in
//! scope in `plans`.

mod agents;
mod plans;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::dashboard::eta::{History, current_start, estimate, history, progress, remaining};
use crate::dashboard::figures;
use crate::dashboard::snapshot::{LoadedPlan, LoadedTask, Problem, RunInfo, Snapshot};
use crate::state::plan::{TaskSpec, TaskType};
use crate::state::task::{Attempt, TaskRecord, TaskState};
use crate::time::Timestamp;
use plans::ScopeTotals;

/// The version of the `status --json` document.
pub const STATUS_SCHEMA: u32 = 2;

/// The `status --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// The document's version ([`STATUS_SCHEMA`]).
    pub schema: u32,
    /// When it was computed (`NEXUS_NOW` when set).
    pub generated_at: Timestamp,
    /// The `.nexus` directory.
    pub nexus_dir: String,
    /// The plan the plan and task lists are limited to, if any.
    pub scope: Option<String>,
    /// Orchestrator, load, response time (all plans).
    pub system_health: SystemHealth,
    /// Task counts, cost, tokens, estimate (the plans in scope).
    pub task_metrics: TaskMetrics,
    /// Per-agent performance, keyed by agent id (all plans).
    pub agent_performance: BTreeMap<String, AgentPerformance>,
    /// The team and what each agent does right now.
    pub agents: Vec<AgentRow>,
    /// The plans in scope, oldest first.
    pub plans: Vec<PlanRow>,
    /// Every task of the plans in scope, in plan order.
    pub tasks: Vec<TaskRow>,
    /// Files that could not be read.
    pub problems: Vec<Problem>,
}

/// `system_health`.
#[derive(Debug, Clone, Serialize)]
pub struct SystemHealth {
    /// `running` when some run holds a plan lock, else `idle`.
    pub orchestrator: &'static str,
    /// The runs holding plan locks now.
    pub runs: Vec<RunInfo>,
    /// Agent instances working on a task with a live owner.
    pub agents_busy: u32,
    /// All agent instances.
    pub agent_instances: u32,
    /// `agents_busy / agent_instances` in percent, rounded down.
    pub load_percent: u32,
    /// Mean wall time of finished attempts, ms.
    pub avg_response_ms: Option<u64>,
    /// Tasks whose file says `running` but no live process owns them.
    pub stale_tasks: usize,
    /// Session records on this machine.
    pub sessions: usize,
    /// Files that could not be read.
    pub problems: usize,
    /// The orchestrator's name (`[orchestrator] name`).
    pub orchestrator_name: String,
    /// 0–100 over every agent's recent outcomes (as an agent's); `null`
    /// without finished attempts.
    pub health_score: Option<u32>,
    /// `excellent`, `good`, `degraded` or `failing` for `health_score`.
    pub health_label: Option<&'static str>,
    /// The agents' CPU time as a percentage of the machine's CPU time while
    /// they ran (`cpu_seconds` / (busy wall time × `cpus`)).
    pub cpu_usage: Option<f64>,
    /// CPU seconds of every measured attempt.
    pub cpu_seconds: f64,
    /// CPUs of this machine.
    pub cpus: u32,
    /// The most memory agents running at the same time held (the sum of
    /// their attempts' peaks) as a percentage of the machine's memory.
    pub memory_usage: Option<f64>,
    /// That memory, MB.
    pub memory_mb: Option<f64>,
    /// The machine's memory, MB.
    pub memory_total_mb: Option<f64>,
}

/// `task_metrics`.
#[derive(Debug, Clone, Serialize)]
pub struct TaskMetrics {
    /// Tasks in scope.
    pub total: usize,
    /// Tasks per shown state (every state, zeros included).
    pub by_state: BTreeMap<String, usize>,
    /// Finished attempts.
    pub attempts: usize,
    /// Successful / finished attempts.
    pub success_rate: Option<f64>,
    /// Mean wall time of finished attempts, ms.
    pub avg_duration_ms: Option<u64>,
    /// Cost, USD.
    pub cost_usd: f64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Agent turns.
    pub turns: u64,
    /// Calls of unknown cost, not in `cost_usd` (omitted when 0).
    #[serde(skip_serializing_if = "crate::state::usage::is_zero")]
    pub unpriced_turns: u32,
    /// When the remaining tasks should be done.
    pub estimated_completion: Estimate,
    /// Tasks completed since 00:00 UTC.
    pub tasks_completed_today: usize,
    /// Tasks failed since 00:00 UTC.
    pub tasks_failed_today: usize,
    /// Cost of the attempts finished since 00:00 UTC.
    pub cost_usd_today: f64,
    /// The mean quality score (0–10) of the completed tasks.
    pub quality_score: Option<f64>,
}

/// An estimate of the remaining work (see the `dashboard` module docs).
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    /// Tasks still to do: pending, running, stale or interrupted.
    pub remaining_tasks: usize,
    /// Of those, tasks without any basis for an estimate.
    pub unestimated_tasks: usize,
    /// Seconds of work left on the busiest agent.
    pub remaining_seconds: Option<u64>,
    /// `generated_at + remaining_seconds`, when work remains.
    pub eta: Option<Timestamp>,
}

/// One entry of `agent_performance`.
#[derive(Debug, Clone, Serialize, Default)]
pub struct AgentPerformance {
    /// Tasks completed with this agent.
    pub tasks_done: usize,
    /// Tasks failed with this agent.
    pub tasks_failed: usize,
    /// Finished attempts.
    pub attempts: usize,
    /// Successful / finished attempts.
    pub success_rate: Option<f64>,
    /// 0–100 from the recent outcomes; `null` without history.
    pub health_score: Option<u32>,
    /// Mean wall time of its finished attempts, ms.
    pub avg_response_ms: Option<u64>,
    /// Cost, USD.
    pub cost_usd: f64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Calls of unknown cost, not in `cost_usd` (omitted when 0).
    #[serde(skip_serializing_if = "crate::state::usage::is_zero")]
    pub unpriced_turns: u32,
    /// `excellent`, `good`, `degraded` or `failing` for `health_score`.
    pub health_label: Option<&'static str>,
    /// Tasks it completed since 00:00 UTC.
    pub tasks_completed_today: usize,
    /// The mean quality score (0–10) of the tasks it completed.
    pub average_quality_score: Option<f64>,
    /// CPU seconds of its measured attempts.
    pub cpu_seconds: f64,
    /// The largest peak memory of one of its attempts, MB.
    pub peak_memory_mb: Option<f64>,
}

/// A task reference.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TaskRef {
    /// The plan.
    pub plan_id: String,
    /// The task.
    pub task_id: String,
}

/// One agent in `agents`.
#[derive(Debug, Clone, Serialize)]
pub struct AgentRow {
    /// The id.
    pub id: String,
    /// The display name (`?` when the file is malformed).
    pub name: String,
    /// The role.
    pub role: String,
    /// Instances.
    pub instances: u32,
    /// `busy` or `idle`.
    pub status: &'static str,
    /// Tasks it works on now (live owners only).
    pub current_tasks: Vec<TaskRef>,
    /// Its latest attempt start or finish, or session use.
    pub last_activity: Option<Timestamp>,
    /// When its queue (its remaining tasks in every plan, divided among its
    /// instances) should be done.
    pub estimated_completion: Estimate,
}

/// One plan in `plans`.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    /// The id.
    pub id: String,
    /// The request.
    pub request: String,
    /// The planner.
    pub planner: String,
    /// Priority.
    pub priority: String,
    /// Created.
    pub created_at: Timestamp,
    /// Whether a run holds its lock.
    pub active: bool,
    /// Tasks.
    pub tasks: usize,
    /// Tasks per shown state (non-zero only).
    pub by_state: BTreeMap<String, usize>,
    /// Completed tasks in percent, rounded down.
    pub progress: u32,
    /// Cost, USD.
    pub cost_usd: f64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Calls of unknown cost, not in `cost_usd` (omitted when 0).
    #[serde(skip_serializing_if = "crate::state::usage::is_zero")]
    pub unpriced_turns: u32,
    /// When its remaining tasks should be done.
    pub estimated_completion: Estimate,
}

/// An owner of a running task.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerRow {
    /// Process id from the task file.
    pub pid: u32,
    /// Host from the task file.
    pub host: String,
    /// Whether a live process holds the task's lock.
    pub live: bool,
}

/// One task in `tasks`.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    /// The plan.
    pub plan_id: String,
    /// The task.
    pub task_id: String,
    /// Title.
    pub title: String,
    /// Type.
    #[serde(rename = "type")]
    pub task_type: TaskType,
    /// Priority.
    pub priority: String,
    /// The agent of the record, else the plan's.
    pub agent: Option<String>,
    /// The state: a task state, `stale` or `unreadable`.
    pub state: &'static str,
    /// Dependencies.
    pub depends_on: Vec<String>,
    /// 0–100: 100 when completed; while running from the agent's events or
    /// elapsed time against the estimate (at most 99).
    pub progress: Option<u8>,
    /// `agent` or `elapsed`, for a running task's progress.
    pub progress_source: Option<&'static str>,
    /// The owner while running.
    pub owner: Option<OwnerRow>,
    /// Attempts made.
    pub attempts: usize,
    /// First start.
    pub started_at: Option<Timestamp>,
    /// Final state reached.
    pub finished_at: Option<Timestamp>,
    /// Cost, USD.
    pub cost_usd: f64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Calls of unknown cost, not in `cost_usd` (omitted when 0).
    #[serde(skip_serializing_if = "crate::state::usage::is_zero")]
    pub unpriced_turns: u32,
    /// Why it is not completed.
    pub reason: Option<String>,
    /// Its branch, commit and merge state, in worktree mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<crate::state::task::TaskWorkspace>,
    /// How long it should take, from the one estimator; `null` without any
    /// basis.
    pub estimate_seconds: Option<u64>,
    /// For a task still to do: its estimate less the time its current
    /// attempt has run (0 when over); `null` otherwise.
    pub time_left_seconds: Option<u64>,
    /// Its quality score (0–10), once completed.
    pub quality_score: Option<f64>,
}

/// Returns an attempt's wall time: its `duration_ms`, else finish − start.
pub fn attempt_duration(attempt: &Attempt) -> Option<Duration> {
    let finished = attempt.finished_at?;
    if attempt.duration_ms > 0 {
        Some(Duration::from_millis(attempt.duration_ms))
    } else {
        Some(attempt.started_at.until(finished))
    }
}

fn mean_ms(durations: &[Duration]) -> Option<u64> {
    if durations.is_empty() {
        return None;
    }
    let total: u128 = durations.iter().map(Duration::as_millis).sum();
    u64::try_from(total / durations.len() as u128).ok()
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

/// Returns the agent of a task: its record's, else its plan's.
pub(crate) fn task_agent(spec: &TaskSpec, task: &LoadedTask) -> Option<String> {
    task.record
        .as_ref()
        .and_then(|record| record.agent.clone())
        .or_else(|| spec.agent.clone())
}

fn task_row(
    plan: &LoadedPlan,
    spec: &TaskSpec,
    task: &LoadedTask,
    history: &History,
    now: Timestamp,
) -> TaskRow {
    let (progress, progress_source) = progress(spec, task, history, now);
    let record = task.record.as_ref();
    let expected = history.known(spec, task_agent(spec, task).as_deref());
    let time_left_seconds = expected.filter(|_| remaining(task)).map(|expected| {
        let ran = record
            .filter(|record| record.state == TaskState::Running)
            .and_then(current_start)
            .map_or(Duration::ZERO, |started| started.until(now));
        expected.saturating_sub(ran).as_secs()
    });
    TaskRow {
        plan_id: plan.plan.id.clone(),
        task_id: spec.id.clone(),
        title: spec.title.clone(),
        task_type: spec.task_type,
        priority: spec.priority.name().to_string(),
        agent: task_agent(spec, task),
        state: task.shown_state(),
        depends_on: spec.depends_on.clone(),
        progress,
        progress_source,
        owner: record
            .filter(|record| record.state == TaskState::Running)
            .and_then(|record| record.owner.as_ref())
            .map(|owner| OwnerRow {
                pid: owner.pid,
                host: owner.host.clone(),
                live: task.owner_live,
            }),
        attempts: record.map_or(0, |record| record.attempts.len()),
        started_at: record.and_then(|record| record.started_at),
        finished_at: record.and_then(|record| record.finished_at),
        cost_usd: record.map_or(0.0, |record| record.cost_usd),
        input_tokens: record.map_or(0, |record| record.input_tokens),
        output_tokens: record.map_or(0, |record| record.output_tokens),
        unpriced_turns: record.map_or(0, |record| record.unpriced_turns),
        reason: record.and_then(|record| record.reason.clone()),
        workspace: record.and_then(|record| record.workspace.clone()),
        estimate_seconds: expected.map(|expected| expected.as_secs()),
        time_left_seconds,
        quality_score: record.and_then(figures::quality_score),
    }
}

/// Returns every readable task record of the snapshot.
fn every_record(snapshot: &Snapshot) -> impl Iterator<Item = &TaskRecord> {
    snapshot
        .plans
        .iter()
        .flat_map(|loaded| loaded.tasks.iter())
        .filter_map(|task| task.record.as_ref())
}

/// Every shown state, for `by_state` maps with a stable shape.
pub const SHOWN_STATES: &[&str] = &[
    "pending",
    "running",
    "stale",
    "completed",
    "failed",
    "blocked",
    "interrupted",
    "skipped",
    "unreadable",
];

/// Computes the dashboard; `scope` limits plans, tasks and task metrics to
/// one plan (system health and agents always cover every plan).
pub fn build(snapshot: &Snapshot, scope: Option<&str>, now: Timestamp) -> Dashboard {
    let basis = Basis {
        snapshot,
        history: history(snapshot),
        now,
        today: figures::day_start(now),
    };
    let in_scope = |loaded: &&LoadedPlan| scope.is_none_or(|id| loaded.plan.id == id);

    // Agents and their performance, over every plan.
    let mut activity = basis.activity();
    let all_outcomes = basis.rate_agents(&mut activity);
    let (agents, agents_busy, agent_instances) = basis.agent_rows(&activity);
    let system_health = basis.system_health(&activity, &all_outcomes, agents_busy, agent_instances);

    // Plans and tasks in scope.
    let mut totals = ScopeTotals::new();
    let mut tasks = Vec::new();
    let plans: Vec<PlanRow> = snapshot
        .plans
        .iter()
        .filter(in_scope)
        .map(|loaded| basis.plan_row(loaded, &mut totals, &mut tasks))
        .collect();
    let estimated_completion = estimate(
        snapshot
            .plans
            .iter()
            .filter(in_scope)
            .flat_map(|loaded| loaded.plan.tasks.iter().zip(&loaded.tasks)),
        snapshot,
        &basis.history,
        now,
    );
    Dashboard {
        schema: STATUS_SCHEMA,
        generated_at: now,
        nexus_dir: snapshot.nexus_dir.clone(),
        scope: scope.map(str::to_string),
        system_health,
        task_metrics: totals.metrics(tasks.len(), estimated_completion),
        agent_performance: activity.performance,
        agents,
        plans,
        tasks,
        problems: snapshot.problems.clone(),
    }
}

/// What [`build`] computes from: the snapshot, the durations history and
/// the time (now, and the start of today).
struct Basis<'a> {
    snapshot: &'a Snapshot,
    history: History,
    now: Timestamp,
    today: Timestamp,
}

/// Rounds a sum of costs to micro-dollars, so float noise never shows.
pub fn round_cost(cost: f64) -> f64 {
    (cost * 1_000_000.0).round() / 1_000_000.0
}
