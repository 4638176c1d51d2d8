//! Assignment of tasks to agents, a library the scheduler also calls.
//!
//! An unassigned task goes to an agent that takes its type (the agent files
//! say which); if none does, to one whose capabilities name the type. Among
//! the candidates, the agent whose capabilities best match the task's text
//! wins; equal matches are balanced by load per instance (tasks already
//! assigned in the plan ÷ `instances`), then by id, so an agent with two
//! instances gets twice the work of a one-instance peer.
//!
//! The caller holds the plan's edit lock and writes the plan.

use anyhow::Result;
use serde::Serialize;

use crate::exit::{Kind, tagged, tagged_hint};
use crate::ids;
use crate::state::agent::Agent;
use crate::state::plan::{Plan, TaskSpec};
use crate::state::store::Store;
use crate::state::task::TaskState;

/// How a task got its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// Chosen now by type and capabilities.
    Auto,
    /// Already assigned before; kept.
    Kept,
    /// Set by hand (`nexus assign PLAN TASK AGENT`).
    Override,
}

/// One task's assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    /// The task.
    pub task: String,
    /// Its type.
    #[serde(rename = "type")]
    pub task_type: String,
    /// The agent.
    pub agent: String,
    /// How it was assigned.
    pub how: How,
    /// Whether the agent's file lists the task's type.
    pub takes_type: bool,
}

fn capability_score(agent: &Agent, task: &TaskSpec) -> usize {
    let text = format!("{} {}", task.title, task.description).to_lowercase();
    agent
        .expertise
        .capabilities
        .iter()
        .filter(|capability| {
            // Profiles write capabilities as identifiers (`code_generation`).
            let capability = capability.to_lowercase().replace('_', " ");
            !capability.is_empty() && text.contains(&capability)
        })
        .count()
}

fn names_type(agent: &Agent, task: &TaskSpec) -> bool {
    let name = task.task_type.name();
    let spaced = name.replace('_', " ");
    agent.expertise.capabilities.iter().any(|capability| {
        let capability = capability.to_lowercase();
        capability == name || capability == spaced
    })
}

/// Chooses agents for the unassigned tasks of `plan` (pure: no I/O). Returns
/// one row per task in plan order; `plan` is updated in place.
pub fn choose(agents: &[Agent], plan: &mut Plan) -> Result<Vec<Assignment>> {
    let mut load: Vec<u64> = agents
        .iter()
        .map(|agent| {
            plan.tasks
                .iter()
                .filter(|task| task.agent.as_deref() == Some(agent.id.as_str()))
                .count() as u64
        })
        .collect();
    let mut rows = Vec::new();
    for task in &mut plan.tasks {
        if let Some(agent) = &task.agent {
            rows.push(Assignment {
                task: task.id.clone(),
                task_type: task.task_type.name().to_string(),
                agent: agent.clone(),
                how: How::Kept,
                takes_type: agents
                    .iter()
                    .any(|known| &known.id == agent && known.takes(task.task_type)),
            });
            continue;
        }
        let mut candidates: Vec<usize> = (0..agents.len())
            .filter(|&index| agents[index].takes(task.task_type))
            .collect();
        if candidates.is_empty() {
            candidates = (0..agents.len())
                .filter(|&index| names_type(&agents[index], task))
                .collect();
        }
        let best = candidates.into_iter().min_by(|&a, &b| {
            let score = |index: usize| capability_score(&agents[index], task);
            // Lower load per instance first: compare a/ia with b/ib exactly.
            let ratio_a = u128::from(load[a]) * u128::from(agents[b].instances);
            let ratio_b = u128::from(load[b]) * u128::from(agents[a].instances);
            score(b)
                .cmp(&score(a))
                .then(ratio_a.cmp(&ratio_b))
                .then(agents[a].id.cmp(&agents[b].id))
        });
        let Some(best) = best else {
            return Err(tagged_hint(
                Kind::Usage,
                format!(
                    "no agent takes task `{}` of type `{}`",
                    task.id, task.task_type
                ),
                format!(
                    "add `{}` to an agent's `task_types` in `.nexus/agents/`, or assign it by hand with `nexus assign PLAN {} AGENT`",
                    task.task_type, task.id
                ),
            ));
        };
        load[best] += 1;
        task.agent = Some(agents[best].id.clone());
        rows.push(Assignment {
            task: task.id.clone(),
            task_type: task.task_type.name().to_string(),
            agent: agents[best].id.clone(),
            how: How::Auto,
            takes_type: agents[best].takes(task.task_type),
        });
    }
    Ok(rows)
}

/// Gives every unassigned task of `plan` an agent from the store's agents.
/// The caller holds the plan's edit lock and writes the plan.
pub fn assign_unassigned(store: &Store, plan: &mut Plan) -> Result<Vec<Assignment>> {
    let agents = store.load_agents()?;
    if agents.is_empty() {
        return Err(tagged_hint(
            Kind::StateInvalid,
            format!("there are no agents in `{}`", store.agents_dir().display()),
            "run `nexus init` to write the default team",
        ));
    }
    choose(&agents, plan)
}

/// Assigns one task (id or unique prefix) to one agent (id or unique
/// prefix). A running, completed or failed task is only reassigned with
/// `force`. The caller holds the plan's edit lock and writes the plan.
pub fn assign_one(
    store: &Store,
    plan: &mut Plan,
    task: &str,
    agent: &str,
    force: bool,
) -> Result<Assignment> {
    let task_ids = plan.task_ids();
    let task_id = ids::resolve_prefix("task", task, &task_ids)
        .map_err(|error| {
            tagged_hint(
                Kind::Usage,
                format!("{error:#} in plan `{}`", plan.id),
                format!("`nexus status {}` lists its tasks", plan.id),
            )
        })?
        .to_string();
    let agent = store.load_agent(agent)?;
    let record = store.load_task(&plan.id, &task_id)?;
    if matches!(
        record.state,
        TaskState::Running | TaskState::Completed | TaskState::Failed
    ) && !force
    {
        return Err(tagged_hint(
            Kind::Usage,
            format!(
                "task `{task_id}` of plan `{}` is {}; it is not reassigned",
                plan.id, record.state
            ),
            "pass `--force` to reassign it anyway",
        ));
    }
    let spec = plan
        .tasks
        .iter_mut()
        .find(|spec| spec.id == task_id)
        .ok_or_else(|| tagged(Kind::Usage, format!("no task `{task_id}`")))?;
    spec.agent = Some(agent.id.clone());
    Ok(Assignment {
        task: task_id,
        task_type: spec.task_type.name().to_string(),
        agent: agent.id.clone(),
        how: How::Override,
        takes_type: agent.takes(spec.task_type),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::plan::TaskType;
    use std::path::Path;

    fn agent(id: &str, types: &[TaskType], instances: u32, capabilities: &[&str]) -> Agent {
        let (_, text) = crate::state::agent::DEFAULT_AGENTS[1];
        let mut agent: Agent =
            crate::state::fs::parse_toml(Path::new("code_developer.toml"), text).unwrap();
        agent.id = id.to_string();
        agent.task_types = types.to_vec();
        agent.instances = instances;
        agent.expertise.capabilities = capabilities.iter().map(|c| (*c).to_string()).collect();
        agent
    }

    fn plan(types: &[TaskType]) -> Plan {
        crate::plan::testing::plan(
            types
                .iter()
                .enumerate()
                .map(|(index, task_type)| TaskSpec {
                    title: format!("task {index}"),
                    task_type: *task_type,
                    ..crate::plan::testing::task(&format!("t{index}"), &[])
                })
                .collect(),
        )
    }

    fn agents_of(rows: &[Assignment]) -> Vec<&str> {
        rows.iter().map(|row| row.agent.as_str()).collect()
    }

    #[test]
    fn load_is_balanced_per_instance() {
        use TaskType::Implementation as I;
        let agents = [agent("a", &[I], 2, &[]), agent("b", &[I], 1, &[])];
        let mut plan = plan(&[I, I, I, I, I, I]);
        let rows = choose(&agents, &mut plan).unwrap();
        let to_a = rows.iter().filter(|row| row.agent == "a").count();
        assert_eq!(to_a, 4, "{:?}", agents_of(&rows));
        assert!(
            rows.iter()
                .all(|row| row.how == How::Auto && row.takes_type)
        );
    }

    #[test]
    fn types_come_first_then_capabilities_then_id() {
        use TaskType::{Bugfix, Review};
        let agents = [
            agent("z_fixer", &[Bugfix], 1, &["parser"]),
            agent("a_fixer", &[Bugfix], 1, &[]),
            agent("reviewer", &[], 1, &["review"]),
        ];
        let mut plan = plan(&[Bugfix, Review]);
        plan.tasks[0].title = "fix the parser crash".to_string();
        let rows = choose(&agents, &mut plan).unwrap();
        assert_eq!(agents_of(&rows), ["z_fixer", "reviewer"]);
        assert!(!rows[1].takes_type);
        let mut nobody = self::plan(&[TaskType::Research]);
        let error = choose(&agents, &mut nobody).unwrap_err();
        assert!(
            error.to_string().contains("no agent takes task `t0`"),
            "{error}"
        );
    }

    #[test]
    fn assigned_tasks_are_kept_and_count_as_load() {
        use TaskType::Implementation as I;
        let agents = [agent("a", &[I], 1, &[]), agent("b", &[I], 1, &[])];
        let mut plan = plan(&[I, I]);
        plan.tasks[0].agent = Some("a".to_string());
        let rows = choose(&agents, &mut plan).unwrap();
        assert_eq!(rows[0].how, How::Kept);
        assert_eq!(agents_of(&rows), ["a", "b"]);
    }
}
