//! Launching a task: its prompt (with what its dependencies produced), its
//! record marked running, and the job its worker runs.

use std::sync::Arc;

use anyhow::{Result, anyhow};

use super::writes::Slot;
use super::{Scheduler, Workers};
use crate::dispatch::prompt::{gather_upstream, task_prompt, verify_commands};
use crate::dispatch::state::RunState;
use crate::dispatch::worker::{Job, JobWorkspace, work_task};
use crate::proc::signals::StopReceiver;
use crate::state::lock;
use crate::state::plan::TaskSpec;
use crate::state::task::{MergeState, Owner, TaskState};

impl Scheduler<'_> {
    /// Starts a task's worker on `instance` of its agent.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn launch(
        &mut self,
        index: usize,
        instance: u32,
        max_budget_usd: Option<f64>,
        slots: &mut [Slot],
        state: &RunState,
        workers: &mut Workers,
        stop: &StopReceiver,
    ) -> Result<()> {
        let spec = self.plan.tasks[index].clone();
        let agent_id = spec.agent.clone().unwrap_or_default();
        let agent = self
            .agents
            .get(&agent_id)
            .cloned()
            .ok_or_else(|| anyhow!("agent `{agent_id}` vanished during the run"))?;
        let verify = verify_commands(&spec, &agent);
        let prompt = self.prompt(index, &spec, &verify, slots);
        let max_turns = self
            .runtime
            .backend(&agent)
            .and_then(|backend| backend.settings(&self.runtime.config, Some(&agent), true))
            .map_or(1, |settings| settings.max_turns);
        self.claim(&mut slots[index], agent_id, instance);
        debug_assert!(state.task(index).running_on.is_some());
        let run_config = &self.runtime.config.run;
        let store = &self.runtime.store;
        let job = Job {
            index,
            plan: self.plan.clone(),
            spec,
            agent,
            instance,
            prompt,
            retries: run_config.retries,
            backoff: run_config.retry_backoff.0,
            max_budget_usd,
            verify,
            log_path: store.task_log_path(&self.plan.id, &self.graph.ids[index]),
            cwd: store.project_root(),
            max_turns,
            workspace: self.job_workspace(index, &slots[index]),
        };
        let handle = workers.set.spawn(work_task(
            self.runtime.clone(),
            job,
            stop.clone(),
            workers.sender.clone(),
        ));
        workers.tasks.insert(handle.id(), index);
        Ok(())
    }

    /// Returns the prompt of task `index`: the task with what its
    /// dependencies produced (this run's results, else their files) and its
    /// checks, and why a person rejected its earlier work, when one did.
    fn prompt(&self, index: usize, spec: &TaskSpec, verify: &[String], slots: &[Slot]) -> String {
        let store = &self.runtime.store;
        let plan_id = &self.plan.id;
        let upstream = gather_upstream(
            &self.plan,
            &self.graph,
            index,
            |dep| {
                slots[dep].result.clone().or_else(|| {
                    store
                        .load_result(plan_id, &self.graph.ids[dep])
                        .ok()
                        .flatten()
                })
            },
            |dep| slots[dep].record.agent.clone(),
        );
        let mut prompt = task_prompt(&self.plan, spec, &upstream, verify);
        if let Some(reason) = slots[index]
            .record
            .workspace
            .as_ref()
            .filter(|workspace| workspace.merge == MergeState::Rejected)
            .and(slots[index].record.reason.as_deref())
        {
            prompt.push_str(&format!(
                "\n## Your previous work on this task was rejected\nA person took it back out of the plan's branch: {}\nDo the task again from the current state of the project, addressing that.\n",
                reason.trim_start_matches("rejected: ")
            ));
        }
        prompt
    }

    /// Marks the task in `slot` running on `instance` of `agent_id`, owned
    /// by this process.
    fn claim(&self, slot: &mut Slot, agent_id: String, instance: u32) {
        slot.record.state = TaskState::Running;
        slot.record.agent = Some(agent_id);
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
    }

    /// Returns the task's workspace in worktree mode: its branch off the
    /// plan's, and the commit it queued for merging, if any.
    fn job_workspace(&self, index: usize, slot: &Slot) -> Option<Arc<JobWorkspace>> {
        let (workspaces, plan_workspace) = self.workspace.as_ref()?;
        let queued = slot
            .record
            .workspace
            .as_ref()
            .filter(|state| state.merge == MergeState::Queued)
            .and_then(|state| state.head.clone());
        Some(Arc::new(JobWorkspace {
            workspaces: workspaces.clone(),
            plan: plan_workspace.clone(),
            branch: crate::workspace::Workspaces::task_branch(
                &self.plan.id,
                &self.graph.ids[index],
            ),
            queued,
        }))
    }
}
