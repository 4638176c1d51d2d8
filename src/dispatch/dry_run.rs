//! `nexus run --dry-run`: what would run, in order, with the exact argv and
//! prompt each turn would get (from `Runtime::prepare_turn`, the same as a
//! real run) and the budget cap the dispatcher would give it. Writes nothing.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use serde::Serialize;

use crate::agents::backend::SessionMode;
use crate::agents::runtime::{Runtime, TurnOptions};
use crate::dispatch::prompt::{gather_upstream, task_prompt, verify_commands};
use crate::dispatch::scheduler::{RunOptions, graph, task_index, will_run};
use crate::dispatch::state::{Budget, RunState, TaskView};
use crate::state::plan::Plan;

/// What `--dry-run` shows for one task.
#[derive(Debug, Serialize)]
pub struct DryRunTask {
    /// The task.
    pub task: String,
    /// Its agent.
    pub agent: String,
    /// Resume or new session.
    pub session: String,
    /// The argv (long values shortened).
    pub argv: Vec<String>,
    /// The full prompt.
    pub prompt: String,
    /// What the prompt recalls from the agent's memory (the block it opens
    /// with): `kind` (`none`, `recap`, `unseen`), the entries' `keys` and
    /// `text`, and its size in bytes.
    pub recall: RecallShown,
    /// Verification commands.
    pub verify: Vec<String>,
}

/// The recalled block of a dry-run task.
#[derive(Debug, Serialize)]
pub struct RecallShown {
    /// Recap, unseen interactions, or nothing.
    pub kind: crate::state::memory::RecallKind,
    /// The recalled entries' keys, oldest first.
    pub keys: Vec<String>,
    /// The recalled entries as the prompt shows them.
    pub text: String,
    /// The text's size in bytes.
    pub bytes: usize,
}

/// Returns the cost cap a task would get now: the dispatcher's own rule,
/// from the plan's records.
fn budget_cap(runtime: &Runtime, plan: &Plan, options: &RunOptions) -> Result<Option<f64>> {
    let graph = graph(plan)?;
    let mut spent = 0.0;
    let mut costs_seen = Vec::new();
    let mut views = Vec::new();
    for spec in &plan.tasks {
        let record = runtime.store.load_task(&plan.id, &spec.id)?;
        spent += record.cost_usd;
        costs_seen.extend(
            record
                .attempts
                .iter()
                .map(|attempt| attempt.cost_usd)
                .filter(|cost| *cost > 0.0),
        );
        views.push(TaskView {
            state: record.state,
            agent: spec.agent.clone(),
            pending: false,
            running_on: None,
            reserved: 0.0,
        });
    }
    let state = RunState::new(
        graph,
        views,
        &[],
        BTreeMap::new(),
        1,
        Budget {
            max_cost_usd: options.max_cost_usd,
            task_max_usd: runtime.config.run.task_max_budget_usd,
            spent,
            costs_seen,
        },
        false,
    );
    Ok(state.next_cap())
}

/// Returns what would run, in order, without changing anything.
pub fn dry_run(runtime: &Runtime, plan: &Plan, options: &RunOptions) -> Result<Vec<DryRunTask>> {
    let graph = graph(plan)?;
    let store = &runtime.store;
    let order: Vec<usize> = match &options.task {
        Some(task) => vec![task_index(plan, &graph, task)?],
        None => graph.order(),
    };
    let max_budget_usd = budget_cap(runtime, plan, options)?;
    let workspaces =
        crate::workspace::Workspaces::open(store, &runtime.config.workspace, runtime.ctx.env())?
            .ok();
    let mut out = Vec::new();
    for index in order {
        let spec = &plan.tasks[index];
        let record = store.load_task(&plan.id, &spec.id)?;
        if !will_run(record.state, options) {
            continue;
        }
        let agent_id = spec.agent.clone().ok_or_else(|| {
            anyhow!(
                "task `{}` has no agent; run `nexus assign {}`",
                spec.id,
                plan.id
            )
        })?;
        let agent = store.load_agent(&agent_id)?;
        let upstream = gather_upstream(
            plan,
            &graph,
            index,
            |dep| {
                let stored = store.load_result(&plan.id, &graph.ids[dep]).ok().flatten();
                stored.or_else(|| Some("(not run yet: its result will be here)".to_string()))
            },
            |dep| plan.tasks[dep].agent.clone(),
        );
        let verify = verify_commands(spec, &agent);
        let message = task_prompt(plan, spec, &upstream, &verify);
        // In worktree mode the turn runs in the agent instance's worktree,
        // which is also where its session was made.
        let worktree = workspaces
            .as_ref()
            .map(|workspaces| workspaces.project_dir(&workspaces.instance_dir(&agent.id, 0)));
        let turn_options = TurnOptions {
            max_budget_usd,
            isolated: worktree.is_some(),
            cwd: worktree,
            ..TurnOptions::default()
        };
        let backend = runtime.backend(&agent)?;
        let session = runtime.load_session(&agent.id, 0)?;
        let (mut mode, recovered) = runtime.choose_session(
            backend,
            &agent,
            session.as_ref(),
            false,
            &runtime.turn_cwd(&turn_options),
        )?;
        if let SessionMode::New(id) = &mut mode {
            // The real id is drawn when the task runs.
            *id = "<new-session-id>".to_string();
        }
        let turn = runtime.prepare_turn(&agent, &message, &turn_options, mode, recovered)?;
        out.push(DryRunTask {
            task: spec.id.clone(),
            agent: agent.id.clone(),
            session: match (&turn.mode, &turn.recovered) {
                (SessionMode::Resume(id), _) => format!("resume {id}"),
                (SessionMode::New(_), Some(reason)) => format!("new (recovering: {reason})"),
                (SessionMode::New(_), None) => "new".to_string(),
            },
            argv: turn.argv,
            prompt: turn.prompt,
            recall: RecallShown {
                kind: turn.recall.kind,
                bytes: turn.recall.text.len(),
                keys: turn.recall.keys,
                text: turn.recall.text,
            },
            verify,
        });
    }
    Ok(out)
}
