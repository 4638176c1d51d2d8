//! The task records a run holds and their writes: each goes to the blocking
//! pool in order, and all of them land before the run returns.

use std::sync::Arc;

use anyhow::{Result, anyhow};

use super::Scheduler;
use crate::state::fs;
use crate::state::task::{Attempt, TaskRecord};

/// The state the shell keeps per task.
pub(super) struct Slot {
    /// The task record as this run has it.
    pub(super) record: TaskRecord,
    /// How many attempts the record had when the run began.
    pub(super) attempts_at_start: usize,
    /// The result text of a task completed in this run (what dependents get,
    /// without waiting for the file).
    pub(super) result: Option<String>,
    /// Orders this task's file writes: a write older than the newest one
    /// already on disk is dropped.
    written: Arc<std::sync::Mutex<u64>>,
    /// The number of this task's newest queued write.
    sequence: u64,
}

/// Task-file writes run on the blocking pool, so the dispatcher never waits
/// for an fsync; each task's writes stay in order (see `Slot::written`).
#[derive(Default)]
pub(super) struct Writes {
    handles: Vec<tokio::task::JoinHandle<Result<()>>>,
}

impl Slot {
    /// Returns the slot of a record read at the start of the run.
    pub(super) fn new(record: TaskRecord) -> Self {
        Slot {
            attempts_at_start: record.attempts.len(),
            record,
            result: None,
            written: Arc::new(std::sync::Mutex::new(0)),
            sequence: 0,
        }
    }

    /// Returns the attempts made in this run.
    pub(super) fn this_run(&self) -> &[Attempt] {
        &self.record.attempts[self.attempts_at_start.min(self.record.attempts.len())..]
    }
}

impl Writes {
    /// Waits for every write; returns the first error.
    pub(super) async fn finish(&mut self) -> Result<()> {
        crate::state::background::join(self.handles.drain(..).map(Some)).await
    }
}

impl Scheduler<'_> {
    /// Queues a write of the task file.
    pub(super) fn write(&mut self, slot: &mut Slot) -> Result<()> {
        self.write_with(slot, None)
    }

    /// Queues a write of the task file; `first` (the result file) is written
    /// before it in the same job, so a task is never `completed` on disk
    /// without its result.
    pub(super) fn write_with(
        &mut self,
        slot: &mut Slot,
        first: Option<(std::path::PathBuf, Vec<u8>)>,
    ) -> Result<()> {
        slot.record.updated_at = Some(self.now());
        slot.record.updated_by.clone_from(&self.command);
        // An older record is upgraded on its next real write.
        slot.record.schema = <TaskRecord as crate::state::fs::Versioned>::SCHEMA;
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
}
