//! The `builtin` planner: offline and deterministic. It lays out the
//! original flow's pipeline — requirements and risk analysis (Aria) →
//! implementation (Code) and test strategy (Alpha) → tests (Alpha) →
//! validation (Beta) — with the request threaded into every task.
//!
//! Each task names the default agent for its step when that agent exists
//! and takes the task's type; otherwise it is left for `nexus assign`.

use crate::brain::planner::PlanInput;
use crate::state::agent::Agent;
use crate::state::plan::{TaskSpec, TaskType};

struct Step {
    id: &'static str,
    title: &'static str,
    task_type: TaskType,
    agent: &'static str,
    depends_on: &'static [&'static str],
    todo: &'static str,
    expected_output: &'static str,
    acceptance: &'static [&'static str],
    estimate_minutes: u32,
}

const STEPS: &[Step] = &[
    Step {
        id: "analysis",
        title: "Analyse requirements and risks",
        task_type: TaskType::Analysis,
        agent: "aria_coordinator",
        depends_on: &[],
        todo: "Read the relevant code and state the requirements of this request precisely: \
what must change, what must not, edge cases and error behaviour. List the risks and open \
questions, and propose how to verify the result.",
        expected_output: "A specification: requirements, affected files, risks and a verification approach.",
        acceptance: &[
            "every requirement is testable",
            "risks and open questions are listed",
        ],
        estimate_minutes: 15,
    },
    Step {
        id: "implementation",
        title: "Implement the change",
        task_type: TaskType::Implementation,
        agent: "code_developer",
        depends_on: &["analysis"],
        todo: "Implement this request following the analysis, in the project's existing style. \
Keep the change small and coherent and leave the project building.",
        expected_output: "The change implemented, with the files changed and why.",
        acceptance: &[
            "the project builds",
            "the requirements of the analysis are met",
        ],
        estimate_minutes: 30,
    },
    Step {
        id: "test_strategy",
        title: "Design the test strategy",
        task_type: TaskType::TestCreation,
        agent: "alpha_test_creator",
        depends_on: &["analysis"],
        todo: "Design the test strategy for this request from the analysis: which behaviours to \
test, at which level, the edge and error cases, and the test data needed.",
        expected_output: "A test plan: the cases to cover and where their tests go.",
        acceptance: &["every requirement has at least one test case"],
        estimate_minutes: 10,
    },
    Step {
        id: "tests",
        title: "Write the tests",
        task_type: TaskType::TestCreation,
        agent: "alpha_test_creator",
        depends_on: &["implementation", "test_strategy"],
        todo: "Write the tests of the test strategy for this request against the implementation, \
including the edge and error cases.",
        expected_output: "Test files and the behaviours they cover.",
        acceptance: &["the tests cover the test strategy's cases"],
        estimate_minutes: 20,
    },
    Step {
        id: "validation",
        title: "Run and validate the tests",
        task_type: TaskType::Validation,
        agent: "beta_test_validator",
        depends_on: &["implementation", "tests"],
        todo: "Run the test suite, analyse every failure, fix what is broken, and give a verdict \
on this request against the analysis' acceptance criteria.",
        expected_output: "The test results and a verdict against the acceptance criteria.",
        acceptance: &[
            "all tests pass",
            "the verdict names any requirement not met",
        ],
        estimate_minutes: 15,
    },
];

/// Returns the pipeline's tasks for `input`, naming each step's default
/// agent when it is among `agents` and takes the step's type.
pub fn plan(input: &PlanInput, agents: &[Agent]) -> Vec<TaskSpec> {
    let request = input.request.trim();
    STEPS
        .iter()
        .map(|step| {
            let agent = agents
                .iter()
                .find(|agent| agent.id == step.agent && agent.takes(step.task_type))
                .map(|agent| agent.id.clone());
            let mut description = format!("Request: {request}\n\n{}", step.todo);
            if let Some(deadline) = &input.deadline {
                description.push_str(&format!("\n\nDeadline: {deadline}."));
            }
            TaskSpec {
                id: step.id.to_string(),
                title: step.title.to_string(),
                description,
                task_type: step.task_type,
                agent,
                depends_on: step.depends_on.iter().map(|id| (*id).to_string()).collect(),
                priority: input.priority,
                expected_output: Some(step.expected_output.to_string()),
                acceptance: step
                    .acceptance
                    .iter()
                    .map(|text| (*text).to_string())
                    .collect(),
                verify: Vec::new(),
                suggested_verify: Vec::new(),
                adopted: None,
                estimate_minutes: Some(step.estimate_minutes),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::plan::Priority;
    use std::path::Path;

    fn default_agents() -> Vec<Agent> {
        crate::state::agent::DEFAULT_AGENTS
            .iter()
            .map(|(id, text)| {
                crate::state::fs::parse_toml(Path::new(&format!("{id}.toml")), text).unwrap()
            })
            .collect()
    }

    #[test]
    fn the_pipeline_is_valid_deterministic_and_carries_the_request() {
        let input = PlanInput {
            request: "add --json to report".to_string(),
            priority: Priority::High,
            deadline: None,
            context: Default::default(),
        };
        let agents = default_agents();
        let tasks = plan(&input, &agents);
        assert_eq!(tasks, plan(&input, &agents));
        let ids: Vec<String> = agents.iter().map(|agent| agent.id.clone()).collect();
        assert!(crate::plan::validate::check_tasks(&tasks, &ids).is_empty());
        assert!(
            tasks
                .iter()
                .all(|task| task.description.contains("add --json to report"))
        );
        assert!(tasks.iter().all(|task| task.priority == Priority::High));
        assert_eq!(tasks[0].agent.as_deref(), Some("aria_coordinator"));
        assert_eq!(tasks[4].agent.as_deref(), Some("beta_test_validator"));
        let without_beta: Vec<Agent> = agents
            .into_iter()
            .filter(|agent| agent.id != "beta_test_validator")
            .collect();
        assert_eq!(plan(&input, &without_beta)[4].agent, None);
    }
}
