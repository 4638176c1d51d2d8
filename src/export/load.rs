//! Builds an [`Export`] from a stored plan: its dependency graph (refusing
//! a cycle or an unknown dependency, as `run` does), its agents and their
//! `[slurm]` tables. The writers never read files; this is the only part of
//! `export` that does.

use std::collections::BTreeMap;

use anyhow::Result;

use crate::exit::{Kind, tagged, tagged_hint};
use crate::export::{Export, ExportTask, Resources};
use crate::plan::graph::Graph;
use crate::state::agent::{Agent, SlurmSettings};
use crate::state::plan::Plan;
use crate::state::store::Store;

/// Returns `agent`'s settings over `defaults`, key by key.
pub fn resources(defaults: &Resources, agent: Option<&SlurmSettings>) -> Resources {
    let Some(agent) = agent else {
        return defaults.clone();
    };
    Resources {
        partition: agent
            .partition
            .clone()
            .or_else(|| defaults.partition.clone()),
        time: agent.time.clone().or_else(|| defaults.time.clone()),
        cpus_per_task: agent.cpus_per_task.or(defaults.cpus_per_task),
        mem: agent.mem.clone().or_else(|| defaults.mem.clone()),
    }
}

/// Returns the export of `plan`: every task with its agent's instances and
/// resources (`defaults` under the agent's `[slurm]` table), ordered
/// dependencies first, then shallower tasks, then more urgent ones, then
/// plan order. Every task must have an agent (`nexus assign` gives them one;
/// export writes nothing under `.nexus`).
pub fn load(store: &Store, plan: &Plan, defaults: &Resources) -> Result<Export> {
    let graph = Graph::new(plan).map_err(|problem| {
        tagged(
            Kind::PlanInvalid,
            format!("plan `{}` cannot be exported: {problem}", plan.id),
        )
    })?;
    if let Some(task) = plan.tasks.iter().find(|task| task.agent.is_none()) {
        return Err(tagged_hint(
            Kind::Usage,
            format!("task `{}` of plan `{}` has no agent", task.id, plan.id),
            format!(
                "run `nexus assign {}` first (export writes nothing under `.nexus`)",
                plan.id
            ),
        ));
    }
    store.check_plan_agents(plan)?;
    let agents: BTreeMap<String, Agent> = store
        .load_agents()?
        .into_iter()
        .map(|agent| (agent.id.clone(), agent))
        .collect();
    let mut depth = vec![0usize; graph.ids.len()];
    for index in graph.order() {
        depth[index] = graph.deps[index]
            .iter()
            .map(|&dep| depth[dep] + 1)
            .max()
            .unwrap_or(0);
    }
    let mut order: Vec<usize> = (0..graph.ids.len()).collect();
    order.sort_by_key(|&index| (depth[index], graph.priority[index], index));
    let tasks = order
        .into_iter()
        .map(|index| {
            let spec = &plan.tasks[index];
            let agent_id = spec.agent.clone().unwrap_or_default();
            let agent = agents.get(&agent_id);
            ExportTask {
                id: spec.id.clone(),
                depends_on: spec.depends_on.clone(),
                priority: spec.priority,
                agent: agent_id,
                agent_instances: agent.map_or(1, |agent| agent.instances),
                resources: resources(defaults, agent.and_then(|agent| agent.slurm.as_ref())),
            }
        })
        .collect();
    Ok(Export {
        plan_id: plan.id.clone(),
        tasks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_settings_override_the_defaults_key_by_key() {
        let defaults = Resources {
            partition: Some("batch".into()),
            time: Some("60".into()),
            cpus_per_task: Some(1),
            mem: None,
        };
        let agent = SlurmSettings {
            partition: None,
            time: Some("2:00:00".into()),
            cpus_per_task: None,
            mem: Some("8G".into()),
        };
        assert_eq!(
            resources(&defaults, Some(&agent)),
            Resources {
                partition: Some("batch".into()),
                time: Some("2:00:00".into()),
                cpus_per_task: Some(1),
                mem: Some("8G".into()),
            }
        );
        assert_eq!(resources(&defaults, None), defaults);
    }
}
