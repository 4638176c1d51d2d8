//! The dashboard's times, all from the one estimator (`plan::estimate`)
//! taught by the snapshot's records: a running task's progress, what is
//! left of a task, and when a set of tasks (a plan, an agent's queue, the
//! scope) should be done.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::dashboard::panel::{Estimate, task_agent};
use crate::dashboard::snapshot::{LoadedTask, Snapshot};
use crate::state::plan::TaskSpec;
use crate::state::task::{TaskRecord, TaskState};
use crate::time::Timestamp;

/// The one estimator (`plan::estimate`), taught by the records in the
/// snapshot.
pub(crate) type History = crate::plan::estimate::History;

/// Returns the estimator taught by every record of the snapshot.
pub(crate) fn history(snapshot: &Snapshot) -> History {
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
pub(crate) fn current_start(record: &TaskRecord) -> Option<Timestamp> {
    record
        .attempts
        .iter()
        .rev()
        .find(|attempt| attempt.finished_at.is_none())
        .map(|attempt| attempt.started_at)
        .or(record.started_at)
}

/// Returns a task's progress and its source.
pub(crate) fn progress(
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
pub(crate) fn remaining(task: &LoadedTask) -> bool {
    task.record.as_ref().is_some_and(|record| {
        matches!(
            record.state,
            TaskState::Pending | TaskState::Running | TaskState::Interrupted
        )
    })
}

/// Estimates the remaining work of some tasks (see the module docs).
pub(crate) fn estimate<'a>(
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
