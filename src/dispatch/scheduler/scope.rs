//! What a run of a plan covers, decided before it starts: the plan's graph,
//! the tasks that will run, the commands they may execute, their agents.

use anyhow::Result;

use super::RunOptions;
use crate::exit::{Kind, tagged, tagged_hint};
use crate::plan::graph::Graph;
use crate::state::fs;
use crate::state::plan::Plan;
use crate::state::store::Store;
use crate::state::task::TaskState;

/// Returns the plan's dependency graph, or the plan-invalid error naming the
/// problem (unknown dependency, cycle).
pub(crate) fn graph(plan: &Plan) -> Result<Graph> {
    Graph::new(plan).map_err(|problem| {
        tagged(
            Kind::PlanInvalid,
            format!("plan `{}` cannot run: {problem}", plan.id),
        )
    })
}

/// Returns the index of `task` in the plan, or a usage error.
pub(crate) fn task_index(plan: &Plan, graph: &Graph, task: &str) -> Result<usize> {
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
pub(crate) fn will_run(state: TaskState, options: &RunOptions) -> bool {
    match state {
        TaskState::Completed => false,
        TaskState::Failed | TaskState::Blocked => options.retry_failed || options.task.is_some(),
        TaskState::Pending | TaskState::Running | TaskState::Interrupted | TaskState::Skipped => {
            true
        }
    }
}

/// Returns the commands a run of `plan` with `options` may execute: the
/// `verify` commands (the task's, then its agent's) of every task in scope
/// that will run, with where each comes from.
pub fn commands_to_run(
    store: &Store,
    plan: &Plan,
    options: &RunOptions,
) -> Result<Vec<crate::state::trust::Committed>> {
    let mut found = Vec::new();
    for spec in &plan.tasks {
        if options.task.as_ref().is_some_and(|task| *task != spec.id) {
            continue;
        }
        if !will_run(store.load_task(&plan.id, &spec.id)?.state, options) {
            continue;
        }
        let Some(agent_id) = &spec.agent else {
            continue;
        };
        let agent = store.load_agent(agent_id)?;
        for command in crate::dispatch::prompt::verify_commands(spec, &agent) {
            let source = if spec.verify.contains(&command) {
                format!("plan `{}` task `{}` verify", plan.id, spec.id)
            } else {
                format!("agent `{}` verify", agent.id)
            };
            found.push(crate::state::trust::Committed { command, source });
        }
    }
    let workspace = &store.load_config()?.workspace;
    if workspace.mode == crate::state::config::WorkspaceMode::Worktree {
        found.extend(crate::state::trust::workspace_commands(workspace));
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// Assigns the unassigned tasks of a plan (as `nexus assign` does) under the
/// plan's edit lock, re-reading the plan inside the lock so parallel
/// `--task` runs agree; returns the plan as written.
pub fn ensure_assigned(store: &Store, plan_id: &str) -> Result<Plan> {
    let plan = store.load_plan(plan_id)?;
    if plan.tasks.iter().all(|task| task.agent.is_some()) {
        store.check_plan_agents(&plan)?;
        return Ok(plan);
    }
    let _guard = store.lock_plan_edit(plan_id)?;
    let mut plan = store.load_plan(plan_id)?;
    crate::plan::assign::assign_unassigned(store, &mut plan)?;
    fs::write_json(&store.plan_path(plan_id), &plan)?;
    store.check_plan_agents(&plan)?;
    Ok(plan)
}
