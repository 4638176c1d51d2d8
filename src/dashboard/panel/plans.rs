//! The dashboard's figures of the plans in scope: each plan's row and the
//! task metrics, summed plan by plan.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{
    Basis, Estimate, PlanRow, SHOWN_STATES, TaskMetrics, TaskRow, attempt_duration, mean_ms, ratio,
    round_cost, task_row,
};
use crate::dashboard::eta::estimate;
use crate::dashboard::figures;
use crate::dashboard::snapshot::LoadedPlan;
use crate::state::outcome::{AttemptOutcome, Outcome};
use crate::state::task::{Attempt, TaskRecord, TaskState};
use crate::time::Timestamp;

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

impl Basis<'_> {
    /// Returns a plan's row; its tasks' rows go to `tasks`, its figures to
    /// `totals`.
    pub(super) fn plan_row(
        &self,
        loaded: &LoadedPlan,
        totals: &mut ScopeTotals,
        tasks: &mut Vec<TaskRow>,
    ) -> PlanRow {
        let mut plan_states: BTreeMap<String, usize> = BTreeMap::new();
        let (mut plan_cost, mut plan_input, mut plan_output, mut completed) = (0.0, 0u64, 0u64, 0);
        let mut plan_unpriced = 0u32;
        for (spec, task) in loaded.plan.tasks.iter().zip(&loaded.tasks) {
            let state = task.shown_state();
            *plan_states.entry(state.to_string()).or_default() += 1;
            *totals.by_state.entry(state.to_string()).or_default() += 1;
            if let Some(record) = &task.record {
                totals.today.add(record, self.today);
                totals.qualities.extend(figures::quality_score(record));
                completed += usize::from(record.state == TaskState::Completed);
                plan_cost += record.cost_usd;
                plan_input = plan_input.saturating_add(record.input_tokens);
                plan_output = plan_output.saturating_add(record.output_tokens);
                plan_unpriced = plan_unpriced.saturating_add(record.unpriced_turns);
                totals.turns = totals.turns.saturating_add(u64::from(record.turns));
                totals.add_attempts(&record.attempts);
            }
            tasks.push(task_row(loaded, spec, task, &self.history, self.now));
        }
        totals.cost_usd += plan_cost;
        totals.input_tokens = totals.input_tokens.saturating_add(plan_input);
        totals.output_tokens = totals.output_tokens.saturating_add(plan_output);
        totals.unpriced_turns = totals.unpriced_turns.saturating_add(plan_unpriced);
        let total = loaded.plan.tasks.len();
        PlanRow {
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
                self.snapshot,
                &self.history,
                self.now,
            ),
        }
    }
}

/// The figures of the plans in scope, summed plan by plan.
pub(super) struct ScopeTotals {
    by_state: BTreeMap<String, usize>,
    attempts: usize,
    successes: usize,
    durations: Vec<Duration>,
    cost_usd: f64,
    input_tokens: u64,
    output_tokens: u64,
    turns: u64,
    unpriced_turns: u32,
    today: Today,
    qualities: Vec<f64>,
}

impl ScopeTotals {
    /// Returns empty totals, with every shown state at zero.
    pub(super) fn new() -> Self {
        ScopeTotals {
            by_state: SHOWN_STATES
                .iter()
                .map(|state| ((*state).to_string(), 0))
                .collect(),
            attempts: 0,
            successes: 0,
            durations: Vec::new(),
            cost_usd: 0.0,
            input_tokens: 0,
            output_tokens: 0,
            turns: 0,
            unpriced_turns: 0,
            today: Today::default(),
            qualities: Vec::new(),
        }
    }

    /// Counts the finished attempts among `attempts`.
    fn add_attempts(&mut self, attempts: &[Attempt]) {
        for attempt in attempts {
            if let Some(duration) = attempt_duration(attempt) {
                self.attempts += 1;
                self.successes +=
                    usize::from(attempt.outcome == AttemptOutcome::Turn(Outcome::Success));
                self.durations.push(duration);
            }
        }
    }

    /// Returns `task_metrics` for `total` tasks.
    pub(super) fn metrics(self, total: usize, estimated_completion: Estimate) -> TaskMetrics {
        TaskMetrics {
            total,
            by_state: self.by_state,
            attempts: self.attempts,
            success_rate: ratio(self.successes, self.attempts),
            avg_duration_ms: mean_ms(&self.durations),
            cost_usd: round_cost(self.cost_usd),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            turns: self.turns,
            unpriced_turns: self.unpriced_turns,
            estimated_completion,
            tasks_completed_today: self.today.completed,
            tasks_failed_today: self.today.failed,
            cost_usd_today: round_cost(self.today.cost_usd),
            quality_score: figures::mean_quality(&self.qualities),
        }
    }
}
