//! The dashboard computed from a [`Snapshot`]: system health, task metrics,
//! per-agent performance, plans and tasks. This is the `status --json`
//! document; its shape is documented in the module docs of `dashboard`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::dashboard::snapshot::{LoadedPlan, LoadedTask, Problem, RunInfo, Snapshot};
use crate::state::outcome::{AttemptOutcome, Outcome};
use crate::state::plan::{TaskSpec, TaskType};
use crate::state::task::{Attempt, TaskRecord, TaskState};
use crate::time::Timestamp;

/// The version of the `status --json` document.
pub const STATUS_SCHEMA: u32 = 2;

/// How many recent finished attempts the health score weighs.
pub const HEALTH_WINDOW: usize = 10;
/// The weight of each older attempt relative to the next newer one.
pub const HEALTH_DECAY: f64 = 0.8;

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

/// Returns the health score of outcomes ordered oldest → newest: the
/// success share of the last [`HEALTH_WINDOW`], each older one weighing
/// [`HEALTH_DECAY`] times the next newer one, as 0–100.
pub fn health_score(successes_oldest_first: &[bool]) -> Option<u32> {
    let recent = successes_oldest_first
        .iter()
        .rev()
        .take(HEALTH_WINDOW)
        .enumerate();
    let (mut good, mut all) = (0.0, 0.0);
    for (age, success) in recent {
        let weight = HEALTH_DECAY.powi(i32::try_from(age).unwrap_or(i32::MAX));
        all += weight;
        if *success {
            good += weight;
        }
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (all > 0.0).then(|| (good / all * 100.0).round() as u32)
}

/// The one estimator (`plan::estimate`), taught by the records in the
/// snapshot.
type History = crate::plan::estimate::History;

fn history(snapshot: &Snapshot) -> History {
    let mut history = History::default();
    for loaded in &snapshot.plans {
        for (spec, task) in loaded.plan.tasks.iter().zip(&loaded.tasks) {
            if let Some(record) = &task.record {
                history.add_record(spec, record);
            }
        }
    }
    history
}

/// Returns when the current attempt of a running record started.
fn current_start(record: &TaskRecord) -> Option<Timestamp> {
    record
        .attempts
        .iter()
        .rev()
        .find(|attempt| attempt.finished_at.is_none())
        .map(|attempt| attempt.started_at)
        .or(record.started_at)
}

/// Returns a task's progress and its source.
fn progress(
    spec: &TaskSpec,
    task: &LoadedTask,
    history: &History,
    now: Timestamp,
) -> (Option<u8>, Option<&'static str>) {
    let Some(record) = &task.record else {
        return (None, None);
    };
    match record.state {
        TaskState::Completed => (Some(100), None),
        TaskState::Running => {
            if let Some(progress) = record.progress {
                return (Some(progress.min(100)), Some("agent"));
            }
            let Some(started) = current_start(record) else {
                return (None, None);
            };
            let expected = history.known(spec, task_agent(spec, task).as_deref());
            match expected {
                Some(expected) if !expected.is_zero() => {
                    let share = started.until(now).as_secs_f64() / expected.as_secs_f64();
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let percent = (share * 100.0).floor().clamp(0.0, 99.0) as u8;
                    (Some(percent), Some("elapsed"))
                }
                _ => (None, None),
            }
        }
        _ => (None, None),
    }
}

/// Whether a task still needs work: pending, running (live or stale) or
/// interrupted. Failed, blocked and skipped tasks wait for `--retry-failed`.
fn remaining(task: &LoadedTask) -> bool {
    task.record.as_ref().is_some_and(|record| {
        matches!(
            record.state,
            TaskState::Pending | TaskState::Running | TaskState::Interrupted
        )
    })
}

/// Estimates the remaining work of some tasks (see the module docs).
fn estimate<'a>(
    tasks: impl Iterator<Item = (&'a TaskSpec, &'a LoadedTask)>,
    snapshot: &Snapshot,
    history: &History,
    now: Timestamp,
) -> Estimate {
    let mut lanes: BTreeMap<String, Duration> = BTreeMap::new();
    let (mut remaining_tasks, mut unestimated_tasks) = (0, 0);
    for (spec, task) in tasks {
        if !remaining(task) {
            continue;
        }
        remaining_tasks += 1;
        let Some(expected) = history.known(spec, task_agent(spec, task).as_deref()) else {
            unestimated_tasks += 1;
            continue;
        };
        let left = match task.record.as_ref().and_then(|record| {
            (record.state == TaskState::Running)
                .then(|| current_start(record))
                .flatten()
        }) {
            Some(started) => expected.saturating_sub(started.until(now)),
            None => expected,
        };
        let agent = task_agent(spec, task).unwrap_or_default();
        let lane = lanes.entry(agent).or_default();
        *lane = lane.saturating_add(left);
    }
    let remaining_seconds = lanes
        .iter()
        .map(|(agent, work)| {
            let instances = snapshot
                .agents
                .iter()
                .find(|loaded| &loaded.id == agent)
                .map_or(1, super::snapshot::LoadedAgent::instances);
            work.as_secs().div_ceil(u64::from(instances))
        })
        .max()
        .unwrap_or(0);
    let all_unknown = remaining_tasks > 0 && remaining_tasks == unestimated_tasks;
    let remaining_seconds = (!all_unknown).then_some(remaining_seconds);
    let eta = remaining_seconds
        .filter(|_| remaining_tasks > 0)
        .and_then(|seconds| now.0.checked_add(Duration::from_secs(seconds)))
        .map(Timestamp)
        // Past the year 9999 an RFC 3339 time cannot be written: no ETA.
        .filter(|eta| eta.is_representable());
    Estimate {
        remaining_tasks,
        unestimated_tasks,
        remaining_seconds,
        eta,
    }
}

fn task_agent(spec: &TaskSpec, task: &LoadedTask) -> Option<String> {
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
    }
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
    let history = history(snapshot);
    let in_scope = |loaded: &&LoadedPlan| scope.is_none_or(|id| loaded.plan.id == id);

    // Agents and their performance, over every plan.
    let mut performance: BTreeMap<String, AgentPerformance> = snapshot
        .agents
        .iter()
        .map(|loaded| (loaded.id.clone(), AgentPerformance::default()))
        .collect();
    let mut outcomes: BTreeMap<String, Vec<(Timestamp, bool)>> = BTreeMap::new();
    let mut durations: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    let mut last_activity: BTreeMap<String, Timestamp> = BTreeMap::new();
    let mut current: BTreeMap<String, Vec<TaskRef>> = BTreeMap::new();
    let mut touch = |agent: &str, at: Timestamp| {
        let entry = last_activity.entry(agent.to_string()).or_insert(at);
        *entry = (*entry).max(at);
    };
    let mut all_durations = Vec::new();
    let mut stale_tasks = 0;
    for loaded in &snapshot.plans {
        for (spec, task) in loaded.plan.tasks.iter().zip(&loaded.tasks) {
            let Some(record) = &task.record else { continue };
            if let Some(agent) = task_agent(spec, task) {
                let entry = performance.entry(agent.clone()).or_default();
                match record.state {
                    TaskState::Completed => entry.tasks_done += 1,
                    TaskState::Failed => entry.tasks_failed += 1,
                    _ => {}
                }
                if record.state == TaskState::Running && task.owner_live {
                    current.entry(agent).or_default().push(TaskRef {
                        plan_id: loaded.plan.id.clone(),
                        task_id: spec.id.clone(),
                    });
                }
            }
            if record.state == TaskState::Running && !task.owner_live {
                stale_tasks += 1;
            }
            for attempt in &record.attempts {
                touch(&attempt.agent, attempt.started_at);
                let entry = performance.entry(attempt.agent.clone()).or_default();
                entry.cost_usd += attempt.cost_usd;
                entry.input_tokens = entry.input_tokens.saturating_add(attempt.input_tokens);
                entry.output_tokens = entry.output_tokens.saturating_add(attempt.output_tokens);
                entry.unpriced_turns = entry.unpriced_turns.saturating_add(attempt.unpriced_turns);
                if let (Some(finished), Some(duration)) =
                    (attempt.finished_at, attempt_duration(attempt))
                {
                    touch(&attempt.agent, finished);
                    outcomes.entry(attempt.agent.clone()).or_default().push((
                        finished,
                        attempt.outcome == AttemptOutcome::Turn(Outcome::Success),
                    ));
                    durations
                        .entry(attempt.agent.clone())
                        .or_default()
                        .push(duration);
                    all_durations.push(duration);
                }
            }
        }
    }
    for session in &snapshot.sessions {
        touch(&session.agent_id, session.last_used_at);
    }
    for (agent, entry) in &mut performance {
        let mut list = outcomes.remove(agent).unwrap_or_default();
        list.sort_by_key(|(at, _)| *at);
        let successes: Vec<bool> = list.iter().map(|(_, success)| *success).collect();
        entry.attempts = successes.len();
        entry.success_rate = ratio(successes.iter().filter(|ok| **ok).count(), successes.len());
        entry.health_score = health_score(&successes);
        entry.avg_response_ms = durations.get(agent).and_then(|list| mean_ms(list));
        entry.cost_usd = round_cost(entry.cost_usd);
    }
    let mut agents_busy = 0;
    let mut agent_instances: u32 = 0;
    let agents: Vec<AgentRow> = snapshot
        .agents
        .iter()
        .map(|loaded| {
            let current_tasks = current.get(&loaded.id).cloned().unwrap_or_default();
            let instances = loaded.instances();
            agent_instances = agent_instances.saturating_add(instances);
            agents_busy += u32::try_from(current_tasks.len())
                .unwrap_or(u32::MAX)
                .min(instances);
            AgentRow {
                id: loaded.id.clone(),
                name: loaded
                    .agent
                    .as_ref()
                    .map_or_else(|| "?".to_string(), |agent| agent.name.clone()),
                role: loaded
                    .agent
                    .as_ref()
                    .map_or_else(|| "?".to_string(), |agent| agent.role.clone()),
                instances,
                status: if current_tasks.is_empty() {
                    "idle"
                } else {
                    "busy"
                },
                current_tasks,
                last_activity: last_activity.get(&loaded.id).copied(),
            }
        })
        .collect();
    let runs: Vec<RunInfo> = snapshot
        .plans
        .iter()
        .flat_map(|loaded| loaded.runs.iter().cloned())
        .collect();
    let system_health = SystemHealth {
        orchestrator: if runs.is_empty() { "idle" } else { "running" },
        runs,
        agents_busy,
        agent_instances,
        load_percent: (agents_busy * 100)
            .checked_div(agent_instances)
            .unwrap_or(0),
        avg_response_ms: mean_ms(&all_durations),
        stale_tasks,
        sessions: snapshot.sessions.len(),
        problems: snapshot.problems.len(),
    };

    // Plans and tasks in scope.
    let mut plans = Vec::new();
    let mut tasks = Vec::new();
    let mut by_state: BTreeMap<String, usize> = SHOWN_STATES
        .iter()
        .map(|state| ((*state).to_string(), 0))
        .collect();
    let (mut attempts, mut successes, mut scope_durations) = (0, 0, Vec::new());
    let (mut cost_usd, mut input_tokens, mut output_tokens, mut turns) = (0.0, 0u64, 0u64, 0u64);
    let mut unpriced_turns = 0u32;
    for loaded in snapshot.plans.iter().filter(in_scope) {
        let mut plan_states: BTreeMap<String, usize> = BTreeMap::new();
        let (mut plan_cost, mut plan_input, mut plan_output, mut completed) = (0.0, 0u64, 0u64, 0);
        let mut plan_unpriced = 0u32;
        for (spec, task) in loaded.plan.tasks.iter().zip(&loaded.tasks) {
            let state = task.shown_state();
            *plan_states.entry(state.to_string()).or_default() += 1;
            *by_state.entry(state.to_string()).or_default() += 1;
            if let Some(record) = &task.record {
                completed += usize::from(record.state == TaskState::Completed);
                plan_cost += record.cost_usd;
                plan_input = plan_input.saturating_add(record.input_tokens);
                plan_output = plan_output.saturating_add(record.output_tokens);
                plan_unpriced = plan_unpriced.saturating_add(record.unpriced_turns);
                turns = turns.saturating_add(u64::from(record.turns));
                for attempt in &record.attempts {
                    if let Some(duration) = attempt_duration(attempt) {
                        attempts += 1;
                        successes +=
                            usize::from(attempt.outcome == AttemptOutcome::Turn(Outcome::Success));
                        scope_durations.push(duration);
                    }
                }
            }
            tasks.push(task_row(loaded, spec, task, &history, now));
        }
        cost_usd += plan_cost;
        input_tokens = input_tokens.saturating_add(plan_input);
        output_tokens = output_tokens.saturating_add(plan_output);
        unpriced_turns = unpriced_turns.saturating_add(plan_unpriced);
        let total = loaded.plan.tasks.len();
        plans.push(PlanRow {
            id: loaded.plan.id.clone(),
            request: loaded.plan.request.clone(),
            planner: loaded.plan.planner.clone(),
            priority: loaded.plan.priority.name().to_string(),
            created_at: loaded.plan.created_at,
            active: !loaded.runs.is_empty(),
            tasks: total,
            by_state: plan_states,
            progress: u32::try_from((completed * 100).checked_div(total).unwrap_or(0))
                .unwrap_or(100),
            cost_usd: round_cost(plan_cost),
            input_tokens: plan_input,
            output_tokens: plan_output,
            unpriced_turns: plan_unpriced,
            estimated_completion: estimate(
                loaded.plan.tasks.iter().zip(&loaded.tasks),
                snapshot,
                &history,
                now,
            ),
        });
    }
    let estimated_completion = estimate(
        snapshot
            .plans
            .iter()
            .filter(in_scope)
            .flat_map(|loaded| loaded.plan.tasks.iter().zip(&loaded.tasks)),
        snapshot,
        &history,
        now,
    );
    Dashboard {
        schema: STATUS_SCHEMA,
        generated_at: now,
        nexus_dir: snapshot.nexus_dir.clone(),
        scope: scope.map(str::to_string),
        system_health,
        task_metrics: TaskMetrics {
            total: tasks.len(),
            by_state,
            attempts,
            success_rate: ratio(successes, attempts),
            avg_duration_ms: mean_ms(&scope_durations),
            cost_usd: round_cost(cost_usd),
            input_tokens,
            output_tokens,
            turns,
            unpriced_turns,
            estimated_completion,
        },
        agent_performance: performance,
        agents,
        plans,
        tasks,
        problems: snapshot.problems.clone(),
    }
}

/// Rounds a sum of costs to micro-dollars, so float noise never shows.
pub fn round_cost(cost: f64) -> f64 {
    (cost * 1_000_000.0).round() / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_weighs_recent_outcomes_more() {
        assert_eq!(health_score(&[]), None);
        assert_eq!(health_score(&[true, true]), Some(100));
        assert_eq!(health_score(&[false]), Some(0));
        // Newest failed: 0.8 / 1.8 of the weight succeeded.
        assert_eq!(health_score(&[true, false]), Some(44));
        // Newest succeeded: 1 / 1.8.
        assert_eq!(health_score(&[false, true]), Some(56));
        // Only the last ten count.
        let mut long = vec![false; 20];
        long.extend([true; 10]);
        assert_eq!(health_score(&long), Some(100));
    }
}
