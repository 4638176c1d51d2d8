//! Plans for unit tests, built one way: a test states only what it is
//! about and takes the rest from here.

use std::collections::BTreeMap;

use crate::state::plan::{Plan, Priority, TaskSpec, TaskType};
use crate::time::Timestamp;

/// Returns an implementation task `id` (also its title) that depends on
/// `deps`: medium priority, no agent, no estimate, no checks.
pub(crate) fn task(id: &str, deps: &[&str]) -> TaskSpec {
    TaskSpec {
        id: id.into(),
        title: id.into(),
        description: String::new(),
        task_type: TaskType::Implementation,
        agent: None,
        depends_on: deps.iter().map(|dep| (*dep).to_string()).collect(),
        priority: Priority::Medium,
        expected_output: None,
        acceptance: Vec::new(),
        verify: Vec::new(),
        suggested_verify: Vec::new(),
        adopted: None,
        estimate_minutes: None,
    }
}

/// Returns plan `p` of `tasks`: request `r`, imported, medium priority,
/// created 2026-01-01.
pub(crate) fn plan(tasks: Vec<TaskSpec>) -> Plan {
    Plan {
        schema: 1,
        id: "p".into(),
        request: "r".into(),
        planner: "import".into(),
        model: None,
        created_at: Timestamp::parse("2026-01-01T00:00:00Z").expect("a valid time"),
        created_by: String::new(),
        priority: Priority::Medium,
        deadline: None,
        context: BTreeMap::new(),
        source: None,
        tasks,
    }
}
