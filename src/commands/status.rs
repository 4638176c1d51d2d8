//! `nexus status`: the team and the plans, read from the plain files. A
//! malformed file never stops it: it shows what it can and names the file.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::context::Ctx;
use crate::state::store::Store;
use crate::state::task::TaskState;
use crate::ui::{Tone, shorten, table};

/// One agent row.
#[derive(Debug, Serialize)]
struct AgentRow {
    id: String,
    name: String,
    role: String,
    instances: u32,
}

/// One plan row.
#[derive(Debug, Serialize)]
struct PlanRow {
    id: String,
    request: String,
    planner: String,
    created_at: String,
    tasks: usize,
    by_state: BTreeMap<String, usize>,
    cost_usd: f64,
}

/// The status document (`--json`).
#[derive(Debug, Serialize)]
struct Status {
    schema: u32,
    nexus_dir: String,
    agents: Vec<AgentRow>,
    plans: Vec<PlanRow>,
    problems: Vec<String>,
}

fn collect(store: &Store, only: Option<&str>) -> Result<Status> {
    let mut problems = Vec::new();
    let mut agents = Vec::new();
    for id in store.agent_ids()? {
        match crate::state::agent::Agent::load(&store.agent_path(&id)) {
            Ok(agent) => agents.push(AgentRow {
                id: agent.id,
                name: agent.name,
                role: agent.role,
                instances: agent.instances,
            }),
            Err(error) => problems.push(format!("{error:#}")),
        }
    }
    let plan_ids = match only {
        Some(given) => vec![store.resolve_plan(Some(given))?],
        None => store.plan_ids()?,
    };
    let mut plans = Vec::new();
    for plan_id in plan_ids {
        let plan = match store.load_plan(&plan_id) {
            Ok(plan) => plan,
            Err(error) => {
                problems.push(format!("{error:#}"));
                continue;
            }
        };
        let mut by_state = BTreeMap::new();
        let mut cost = 0.0;
        for task in &plan.tasks {
            match store.load_task(&plan_id, &task.id) {
                Ok(record) => {
                    *by_state.entry(record.state.name().to_string()).or_insert(0) += 1;
                    cost += record.cost_usd;
                }
                Err(error) => problems.push(format!("{error:#}")),
            }
        }
        plans.push(PlanRow {
            id: plan.id.clone(),
            request: plan.request.clone(),
            planner: plan.planner.clone(),
            created_at: plan.created_at.to_string(),
            tasks: plan.tasks.len(),
            by_state,
            cost_usd: cost,
        });
    }
    plans.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(Status {
        schema: 1,
        nexus_dir: store.root().display().to_string(),
        agents,
        plans,
        problems,
    })
}

/// Runs the command.
pub fn run(ctx: &Ctx, args: &StatusArgs) -> Result<u8> {
    let store = ctx.store()?;
    let status = collect(&store, args.plan.as_deref())?;
    let ui = &ctx.ui;
    if ui.json {
        ui.json_out(&status)?;
        return Ok(crate::exit::OK);
    }
    let mut text = String::new();
    text.push_str(&format!("{}\n", ui.paint("Team", Tone::Bold)));
    let mut rows = vec![
        ["AGENT", "NAME", "ROLE", "INSTANCES"]
            .map(|head| ui.paint(head, Tone::Dim))
            .to_vec(),
    ];
    for agent in &status.agents {
        rows.push(vec![
            ui.paint(&agent.id, Tone::Accent),
            agent.name.clone(),
            agent.role.clone(),
            agent.instances.to_string(),
        ]);
    }
    text.push_str(&table(&rows));
    text.push_str(&format!("\n{}\n", ui.paint("Plans", Tone::Bold)));
    if status.plans.is_empty() {
        text.push_str("no plans yet: nexus plan \"<request>\"\n");
    } else {
        let mut rows = vec![
            ["PLAN", "TASKS", "STATES", "COST", "REQUEST"]
                .map(|head| ui.paint(head, Tone::Dim))
                .to_vec(),
        ];
        for plan in &status.plans {
            let states: Vec<String> = TaskState::ALL
                .iter()
                .filter_map(|state| {
                    status_count(&plan.by_state, *state).map(|count| format!("{count} {state}"))
                })
                .collect();
            rows.push(vec![
                ui.paint(&plan.id, Tone::Accent),
                plan.tasks.to_string(),
                states.join(", "),
                format!("${:.2}", plan.cost_usd),
                shorten(&plan.request, 60),
            ]);
        }
        text.push_str(&table(&rows));
    }
    for problem in &status.problems {
        text.push_str(&format!(
            "\n{} {problem}\n",
            ui.paint("problem:", Tone::Bad)
        ));
    }
    ui.out(&text)?;
    Ok(crate::exit::OK)
}

fn status_count(by_state: &BTreeMap<String, usize>, state: TaskState) -> Option<usize> {
    by_state
        .get(state.name())
        .copied()
        .filter(|count| *count > 0)
}
