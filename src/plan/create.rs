//! Creating plans: validation errors, importing a hand-written plan
//! (`nexus plan --from`), new plan ids, and saving a plan whole (one pending
//! task file per task, `plan.json` last, all renamed into place at once).

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::Value;

use crate::exit::{Kind, tagged, tagged_hint};
use crate::ids;
use crate::plan::validate;
use crate::state::agent::Agent;
use crate::state::fs;
use crate::state::plan::{Plan, Priority};
use crate::state::store::Store;
use crate::state::task::TaskRecord;

/// Returns the exit-7 error listing every problem.
pub fn invalid(what: &str, problems: &[String], log: Option<&str>) -> anyhow::Error {
    let mut message = format!(
        "{what} is invalid ({} problem{}):",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for problem in problems {
        message.push_str(&format!("\n  - {problem}"));
    }
    match log {
        Some(log) => tagged_hint(
            Kind::PlanInvalid,
            message,
            format!("nothing was written under `plans/`; the raw answers are in `{log}`"),
        ),
        None => tagged(Kind::PlanInvalid, message),
    }
}

/// Parses a hand-written plan (`nexus plan --from`): JSON errors name the
/// line and column, then the same validation as any planner.
pub fn import(
    source: &str,
    text: &str,
    agents: &[Agent],
    default_priority: Priority,
) -> Result<validate::Draft> {
    let document: Value = serde_json::from_str(text).map_err(|error| {
        tagged_hint(
            Kind::PlanInvalid,
            format!("plan file `{source}` is not valid JSON: {error}"),
            "fix the file and run `nexus plan --from` again; nothing was written",
        )
    })?;
    let agent_ids: Vec<String> = agents.iter().map(|agent| agent.id.clone()).collect();
    validate::parse_plan(
        &document,
        &agent_ids,
        default_priority,
        validate::MAX_IMPORT_TASKS,
        validate::Author::Person,
    )
    .map_err(|problems| invalid(&format!("plan file `{source}`"), &problems, None))
}

/// Returns a new plan id that no plan uses yet.
pub fn new_plan_id(store: &Store) -> String {
    loop {
        let id = ids::random_hex(8);
        if !store.plan_dir(&id).exists() {
            return id;
        }
    }
}

/// Stores a valid plan: claims `plans/<id>/` (never overwriting an existing
/// plan), writes one pending task file per task, then `plan.json` last, so
/// a plan is only listed once it is whole.
pub fn save(store: &Store, plan: &Plan) -> Result<()> {
    save_with(store, plan, &BTreeMap::new(), &BTreeMap::new())
}

/// Stores a valid plan as [`save`] does, with the given task `records` (by
/// task id; other tasks start pending) and `results` (`results/<task>.md`,
/// by task id): an imported plan whose tasks were done before nexus.
pub fn save_with(
    store: &Store,
    plan: &Plan,
    records: &BTreeMap<String, TaskRecord>,
    results: &BTreeMap<String, String>,
) -> Result<()> {
    let _guard = store.lock_plan_edit(&plan.id)?;
    fs::create_dir_all(&store.plans_dir())?;
    let dir = store.plan_dir(&plan.id);
    if dir.exists() {
        return Err(plan_exists(&plan.id));
    }
    // The whole plan appears at once: it is written into a hidden directory
    // (plan listings skip dot names) and renamed into place, so a failure
    // half-way leaves no partial plan behind.
    let staging = store.plans_dir().join(format!(
        "{}{}-{}",
        crate::state::litter::temp_prefix(),
        plan.id,
        crate::ids::random_hex(8)
    ));
    let written = (|| -> Result<()> {
        fs::create_dir_all(&staging.join("tasks"))?;
        for task in &plan.tasks {
            let record = records
                .get(&task.id)
                .cloned()
                .unwrap_or_else(|| TaskRecord::pending(&task.id));
            fs::write_json(
                &staging.join("tasks").join(format!("{}.json", task.id)),
                &record,
            )?;
            if let Some(text) = results.get(&task.id) {
                fs::write_atomic(
                    &staging.join("results").join(format!("{}.md", task.id)),
                    text.as_bytes(),
                )?;
            }
        }
        fs::write_json(&staging.join("plan.json"), plan)?;
        fs::rename(&staging, &dir)
    })();
    if written.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    written
}

/// Returns the usage error for `--id` naming an existing plan.
pub fn plan_exists(plan_id: &str) -> anyhow::Error {
    tagged_hint(
        Kind::Usage,
        format!("plan `{plan_id}` already exists"),
        "choose another `--id`, or leave it out for a new random id",
    )
}
