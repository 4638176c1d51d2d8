//! The dashboard computed from a [`Snapshot`]: system health, task metrics,
//! per-agent performance, plans and tasks. This is the `status --json`
//! document; its shape is documented in the module docs of `dashboard`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::dashboard::eta::{History, current_start, estimate, history, progress, remaining};
use crate::dashboard::figures;
use crate::dashboard::snapshot::{LoadedPlan, LoadedTask, Problem, RunInfo, Snapshot};
use crate::state::outcome::{AttemptOutcome, Outcome};
use crate::state::plan::{TaskSpec, TaskType};
use crate::state::task::{Attempt, TaskRecord, TaskState};
use crate::time::Timestamp;

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

/// Today's counters (since 00:00 UTC).
#[derive(Default)]
struct Today {
    completed: usize,
    failed: usize,
    cost_usd: f64,
}

impl Today {
    fn add(&mut self, record: &TaskRecord, today: Timestamp) {
        if record.finished_at.is_some_and(|at| at >= today) {
            match record.state {
                TaskState::Completed => self.completed += 1,
                TaskState::Failed => self.failed += 1,
                _ => {}
            }
        }
        self.cost_usd += record
            .attempts
            .iter()
            .filter(|attempt| attempt.finished_at.is_some_and(|at| at >= today))
            .map(|attempt| attempt.cost_usd)
            .sum::<f64>();
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
    let today = figures::day_start(now);
    let mut qualities: BTreeMap<String, Vec<f64>> = BTreeMap::new();
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
                if record.state == TaskState::Completed
                    && record.finished_at.is_some_and(|at| at >= today)
                {
                    entry.tasks_completed_today += 1;
                }
                if let Some(score) = figures::quality_score(record) {
                    qualities.entry(agent.clone()).or_default().push(score);
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
    let mut all_outcomes = Vec::new();
    for (agent, entry) in &mut performance {
        let mut list = outcomes.remove(agent).unwrap_or_default();
        list.sort_by_key(|(at, _)| *at);
        all_outcomes.extend(list.iter().copied());
        let successes: Vec<bool> = list.iter().map(|(_, success)| *success).collect();
        entry.attempts = successes.len();
        entry.success_rate = ratio(successes.iter().filter(|ok| **ok).count(), successes.len());
        entry.health_score = figures::health_score(&successes);
        entry.health_label = figures::health_label(entry.health_score);
        entry.avg_response_ms = durations.get(agent).and_then(|list| mean_ms(list));
        entry.cost_usd = round_cost(entry.cost_usd);
        entry.average_quality_score = qualities
            .get(agent)
            .and_then(|scores| figures::mean_quality(scores));
        let used = figures::resource_use(
            every_record(snapshot)
                .flat_map(|record| record.attempts.iter())
                .filter(|attempt| attempt.agent == *agent),
        );
        entry.cpu_seconds = used.cpu_seconds;
        entry.peak_memory_mb = used.peak_memory_mb;
    }
    all_outcomes.sort_by_key(|(at, _)| *at);
    let system_successes: Vec<bool> = all_outcomes.iter().map(|(_, success)| *success).collect();
    let system_health_score = figures::health_score(&system_successes);
    let system_use =
        figures::resource_use(every_record(snapshot).flat_map(|record| record.attempts.iter()));
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
                estimated_completion: estimate(
                    snapshot
                        .plans
                        .iter()
                        .flat_map(|plan| plan.plan.tasks.iter().zip(&plan.tasks))
                        .filter(|(spec, task)| {
                            task_agent(spec, task).as_deref() == Some(loaded.id.as_str())
                        }),
                    snapshot,
                    &history,
                    now,
                ),
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
        orchestrator_name: snapshot.orchestrator.clone(),
        health_score: system_health_score,
        health_label: figures::health_label(system_health_score),
        cpu_usage: system_use.cpu_percent(&snapshot.machine),
        cpu_seconds: system_use.cpu_seconds,
        cpus: snapshot.machine.cpus,
        memory_usage: system_use.memory_percent(&snapshot.machine),
        memory_mb: system_use.concurrent_memory_mb,
        memory_total_mb: snapshot.machine.memory_total_mb,
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
    let mut today_counts = Today::default();
    let mut scope_qualities = Vec::new();
    for loaded in snapshot.plans.iter().filter(in_scope) {
        let mut plan_states: BTreeMap<String, usize> = BTreeMap::new();
        let (mut plan_cost, mut plan_input, mut plan_output, mut completed) = (0.0, 0u64, 0u64, 0);
        let mut plan_unpriced = 0u32;
        for (spec, task) in loaded.plan.tasks.iter().zip(&loaded.tasks) {
            let state = task.shown_state();
            *plan_states.entry(state.to_string()).or_default() += 1;
            *by_state.entry(state.to_string()).or_default() += 1;
            if let Some(record) = &task.record {
                today_counts.add(record, today);
                scope_qualities.extend(figures::quality_score(record));
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
            tasks_completed_today: today_counts.completed,
            tasks_failed_today: today_counts.failed,
            cost_usd_today: round_cost(today_counts.cost_usd),
            quality_score: figures::mean_quality(&scope_qualities),
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
