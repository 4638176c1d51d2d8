//! The dashboard's figures over every plan: each agent's tasks, attempts
//! and activity, its performance, the team's rows and the system's health.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{
    AgentPerformance, AgentRow, Basis, SystemHealth, TaskRef, attempt_duration, every_record,
    mean_ms, ratio, round_cost, task_agent,
};
use crate::dashboard::eta::estimate;
use crate::dashboard::figures;
use crate::dashboard::snapshot::{LoadedPlan, LoadedTask, RunInfo};
use crate::state::outcome::{AttemptOutcome, Outcome};
use crate::state::plan::TaskSpec;
use crate::state::task::{Attempt, TaskRecord, TaskState};
use crate::time::Timestamp;

/// What every plan's records say about each agent (all plans).
#[derive(Default)]
pub(super) struct Activity {
    pub(super) performance: BTreeMap<String, AgentPerformance>,
    outcomes: BTreeMap<String, Vec<(Timestamp, bool)>>,
    durations: BTreeMap<String, Vec<Duration>>,
    last_activity: BTreeMap<String, Timestamp>,
    current: BTreeMap<String, Vec<TaskRef>>,
    qualities: BTreeMap<String, Vec<f64>>,
    all_durations: Vec<Duration>,
    stale_tasks: usize,
}

/// Moves an agent's last activity to `at` when that is later.
fn touch(last_activity: &mut BTreeMap<String, Timestamp>, agent: &str, at: Timestamp) {
    let entry = last_activity.entry(agent.to_string()).or_insert(at);
    *entry = (*entry).max(at);
}

impl Basis<'_> {
    /// Gathers every agent's tasks, attempts, outcomes and activity.
    pub(super) fn activity(&self) -> Activity {
        let snapshot = self.snapshot;
        let mut activity = Activity {
            performance: snapshot
                .agents
                .iter()
                .map(|loaded| (loaded.id.clone(), AgentPerformance::default()))
                .collect(),
            ..Activity::default()
        };
        for loaded in &snapshot.plans {
            for (spec, task) in loaded.plan.tasks.iter().zip(&loaded.tasks) {
                let Some(record) = &task.record else { continue };
                if let Some(agent) = task_agent(spec, task) {
                    self.count_task(&mut activity, agent, loaded, spec, task, record);
                }
                if record.state == TaskState::Running && !task.owner_live {
                    activity.stale_tasks += 1;
                }
                for attempt in &record.attempts {
                    Self::count_attempt(&mut activity, attempt);
                }
            }
        }
        for session in &snapshot.sessions {
            touch(
                &mut activity.last_activity,
                &session.agent_id,
                session.last_used_at,
            );
        }
        activity
    }

    /// Counts a task for its agent: done or failed (today), its quality,
    /// whether the agent works on it now.
    fn count_task(
        &self,
        activity: &mut Activity,
        agent: String,
        loaded: &LoadedPlan,
        spec: &TaskSpec,
        task: &LoadedTask,
        record: &TaskRecord,
    ) {
        let entry = activity.performance.entry(agent.clone()).or_default();
        match record.state {
            TaskState::Completed => entry.tasks_done += 1,
            TaskState::Failed => entry.tasks_failed += 1,
            _ => {}
        }
        if record.state == TaskState::Completed
            && record.finished_at.is_some_and(|at| at >= self.today)
        {
            entry.tasks_completed_today += 1;
        }
        if let Some(score) = figures::quality_score(record) {
            activity
                .qualities
                .entry(agent.clone())
                .or_default()
                .push(score);
        }
        if record.state == TaskState::Running && task.owner_live {
            activity.current.entry(agent).or_default().push(TaskRef {
                plan_id: loaded.plan.id.clone(),
                task_id: spec.id.clone(),
            });
        }
    }

    /// Counts an attempt for its agent: its use, and for a finished one its
    /// outcome and duration.
    fn count_attempt(activity: &mut Activity, attempt: &Attempt) {
        touch(
            &mut activity.last_activity,
            &attempt.agent,
            attempt.started_at,
        );
        let entry = activity
            .performance
            .entry(attempt.agent.clone())
            .or_default();
        entry.cost_usd += attempt.cost_usd;
        entry.input_tokens = entry.input_tokens.saturating_add(attempt.input_tokens);
        entry.output_tokens = entry.output_tokens.saturating_add(attempt.output_tokens);
        entry.unpriced_turns = entry.unpriced_turns.saturating_add(attempt.unpriced_turns);
        if let (Some(finished), Some(duration)) = (attempt.finished_at, attempt_duration(attempt)) {
            touch(&mut activity.last_activity, &attempt.agent, finished);
            activity
                .outcomes
                .entry(attempt.agent.clone())
                .or_default()
                .push((
                    finished,
                    attempt.outcome == AttemptOutcome::Turn(Outcome::Success),
                ));
            activity
                .durations
                .entry(attempt.agent.clone())
                .or_default()
                .push(duration);
            activity.all_durations.push(duration);
        }
    }

    /// Completes each agent's performance (rates, health, mean response,
    /// quality, resources); returns every outcome, oldest first.
    pub(super) fn rate_agents(&self, activity: &mut Activity) -> Vec<(Timestamp, bool)> {
        let mut all_outcomes = Vec::new();
        for (agent, entry) in &mut activity.performance {
            let mut list = activity.outcomes.remove(agent).unwrap_or_default();
            list.sort_by_key(|(at, _)| *at);
            all_outcomes.extend(list.iter().copied());
            let successes: Vec<bool> = list.iter().map(|(_, success)| *success).collect();
            entry.attempts = successes.len();
            entry.success_rate = ratio(successes.iter().filter(|ok| **ok).count(), successes.len());
            entry.health_score = figures::health_score(&successes);
            entry.health_label = figures::health_label(entry.health_score);
            entry.avg_response_ms = activity.durations.get(agent).and_then(|list| mean_ms(list));
            entry.cost_usd = round_cost(entry.cost_usd);
            entry.average_quality_score = activity
                .qualities
                .get(agent)
                .and_then(|scores| figures::mean_quality(scores));
            let used = figures::resource_use(
                every_record(self.snapshot)
                    .flat_map(|record| record.attempts.iter())
                    .filter(|attempt| attempt.agent == *agent),
            );
            entry.cpu_seconds = used.cpu_seconds;
            entry.peak_memory_mb = used.peak_memory_mb;
        }
        all_outcomes.sort_by_key(|(at, _)| *at);
        all_outcomes
    }

    /// Returns the team's rows, the busy agent instances and all of them.
    pub(super) fn agent_rows(&self, activity: &Activity) -> (Vec<AgentRow>, u32, u32) {
        let snapshot = self.snapshot;
        let mut agents_busy = 0;
        let mut agent_instances: u32 = 0;
        let agents = snapshot
            .agents
            .iter()
            .map(|loaded| {
                let current_tasks = activity
                    .current
                    .get(&loaded.id)
                    .cloned()
                    .unwrap_or_default();
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
                    last_activity: activity.last_activity.get(&loaded.id).copied(),
                    estimated_completion: estimate(
                        snapshot
                            .plans
                            .iter()
                            .flat_map(|plan| plan.plan.tasks.iter().zip(&plan.tasks))
                            .filter(|(spec, task)| {
                                task_agent(spec, task).as_deref() == Some(loaded.id.as_str())
                            }),
                        snapshot,
                        &self.history,
                        self.now,
                    ),
                }
            })
            .collect();
        (agents, agents_busy, agent_instances)
    }

    /// Returns `system_health`: runs, load, response time, health and the
    /// machine's use.
    pub(super) fn system_health(
        &self,
        activity: &Activity,
        all_outcomes: &[(Timestamp, bool)],
        agents_busy: u32,
        agent_instances: u32,
    ) -> SystemHealth {
        let snapshot = self.snapshot;
        let system_successes: Vec<bool> =
            all_outcomes.iter().map(|(_, success)| *success).collect();
        let system_health_score = figures::health_score(&system_successes);
        let system_use =
            figures::resource_use(every_record(snapshot).flat_map(|record| record.attempts.iter()));
        let runs: Vec<RunInfo> = snapshot
            .plans
            .iter()
            .flat_map(|loaded| loaded.runs.iter().cloned())
            .collect();
        SystemHealth {
            orchestrator: if runs.is_empty() { "idle" } else { "running" },
            runs,
            agents_busy,
            agent_instances,
            load_percent: (agents_busy * 100)
                .checked_div(agent_instances)
                .unwrap_or(0),
            avg_response_ms: mean_ms(&activity.all_durations),
            stale_tasks: activity.stale_tasks,
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
        }
    }
}
