//! What the workers report, applied to the task records: sessions,
//! progress, attempts and each task's end.

use anyhow::Result;

use super::Scheduler;
use super::writes::Slot;
use crate::dispatch::event::{Event, EventKind};
use crate::dispatch::state::RunState;
use crate::dispatch::worker::{Report, TaskEnd};
use crate::state::outcome::AttemptOutcome;
use crate::state::task::TaskState;

impl Scheduler<'_> {
    /// Applies one worker's report.
    pub(super) fn handle(
        &mut self,
        report: Report,
        slots: &mut [Slot],
        state: &mut RunState,
    ) -> Result<()> {
        let plan_id = self.plan.id.clone();
        // A task that already ended (its worker panicked and was ended for
        // it) takes no more reports.
        if state.task(report.index()).running_on.is_none() {
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
                        ..Event::new(EventKind::TaskStarted, self.now(), &plan_id)
                    },
                    Some(index),
                );
            }
            Report::AttemptFinished {
                index,
                attempt,
                retrying,
            } => self.attempt_finished(index, attempt, retrying, slots, state)?,
            Report::Workspace { index, workspace } => {
                slots[index].record.workspace = Some(workspace);
                self.write(&mut slots[index])?;
            }
            Report::Finished { index, end } => self.finished(index, end, slots, state)?,
        }
        Ok(())
    }

    fn attempt_finished(
        &mut self,
        index: usize,
        mut attempt: crate::state::task::Attempt,
        retrying: Option<std::time::Duration>,
        slots: &mut [Slot],
        state: &mut RunState,
    ) -> Result<()> {
        let plan_id = self.plan.id.clone();
        let slot = &mut slots[index];
        if let Some(last) = slot.record.attempts.last_mut() {
            attempt.number = last.number;
            *last = attempt.clone();
        }
        slot.record.add_usage(&attempt.usage());
        if attempt.session_id.is_some() {
            slot.record.session_id.clone_from(&attempt.session_id);
        }
        state.attempt_finished(attempt.cost_usd);
        if attempt.leaked {
            self.event(
                Event {
                    attempt: Some(attempt.number),
                    reason: Some("the agent left a process holding its output open after it exited; its group was killed".into()),
                    ..Event::new(EventKind::AgentLeaked, self.now(), &plan_id)
                },
                Some(index),
            );
        }
        if let Some(delay) = retrying {
            self.write(&mut slots[index])?;
            self.event(
                Event {
                    attempt: Some(attempt.number),
                    reason: attempt
                        .reason
                        .clone()
                        .map(|reason| format!("{}: {reason}", attempt.outcome)),
                    duration_ms: Some(u64::try_from(delay.as_millis()).unwrap_or(0)),
                    cost_usd: Some(attempt.cost_usd),
                    unpriced_turns: Some(attempt.unpriced_turns).filter(|count| *count > 0),
                    ..Event::new(EventKind::TaskRetrying, self.now(), &plan_id)
                },
                Some(index),
            );
        }
        Ok(())
    }

    fn finished(
        &mut self,
        index: usize,
        end: TaskEnd,
        slots: &mut [Slot],
        state: &mut RunState,
    ) -> Result<()> {
        let plan_id = self.plan.id.clone();
        let now = self.runtime.ctx.now();
        let slot = &mut slots[index];
        slot.record.owner = None;
        slot.record.finished_at = Some(now);
        // An attempt still open here never reported its end (its worker
        // failed): close it with the task's reason.
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
            attempt.finished_at = Some(now);
            attempt.outcome = AttemptOutcome::Error;
            attempt.reason = Some(open_reason);
        }
        let this_run =
            slot.this_run()
                .iter()
                .fold((0.0, 0u64, 0u32), |(cost, ms, unpriced), attempt| {
                    (
                        cost + attempt.cost_usd,
                        ms + attempt.duration_ms,
                        unpriced.saturating_add(attempt.unpriced_turns),
                    )
                });
        let attempt = slot.record.attempts.last().map(|attempt| attempt.number);
        let mut result_file = None;
        let (kind, reason, new_state) = match end {
            TaskEnd::Completed { summary, result } => {
                let path = self
                    .runtime
                    .store
                    .result_path(&plan_id, &slot.record.task_id);
                result_file = Some((path, format!("{}\n", result.trim_end()).into_bytes()));
                slot.result = Some(result);
                slot.record.summary = Some(summary);
                slot.record.reason = None;
                slot.record.progress = Some(100);
                (EventKind::TaskCompleted, None, TaskState::Completed)
            }
            TaskEnd::Failed { reason } => {
                slot.record.reason = Some(reason.clone());
                slot.record.progress = None;
                (EventKind::TaskFailed, Some(reason), TaskState::Failed)
            }
            TaskEnd::Interrupted { reason } => {
                slot.record.reason = Some(reason.clone());
                slot.record.progress = None;
                (
                    EventKind::TaskInterrupted,
                    Some(reason),
                    TaskState::Interrupted,
                )
            }
        };
        slot.record.state = new_state;
        state.task_finished(index, new_state);
        self.write_with(&mut slots[index], result_file)?;
        let session_id = slots[index].record.session_id.clone();
        self.event(
            Event {
                session_id,
                attempt,
                duration_ms: Some(this_run.1),
                cost_usd: Some(this_run.0),
                unpriced_turns: Some(this_run.2).filter(|count| *count > 0),
                reason,
                ..Event::new(kind, self.now(), &plan_id)
            },
            Some(index),
        );
        Ok(())
    }
}
