//! The task prompt: what to do, the expected output and acceptance
//! criteria, the verification nexus will run, the results of the tasks it
//! depends on, and (on a retry) what went wrong last time.

use crate::plan::graph::Graph;
use crate::state::agent::Agent;
use crate::state::plan::{Plan, TaskSpec};

/// Longest upstream result text carried into a downstream prompt.
const UPSTREAM_CHARS: usize = 12_000;

/// One dependency of a task: its spec, the agent that did it, its result.
pub type Upstream = (TaskSpec, Option<String>, Option<String>);

/// Returns, for each dependency of task `index`: its spec, the agent that
/// did it, and its result.
pub fn gather_upstream(
    plan: &Plan,
    graph: &Graph,
    index: usize,
    mut result: impl FnMut(usize) -> Option<String>,
    mut agent: impl FnMut(usize) -> Option<String>,
) -> Vec<Upstream> {
    graph.deps[index]
        .iter()
        .map(|&dep| (plan.tasks[dep].clone(), agent(dep), result(dep)))
        .collect()
}

/// Returns the verify commands of a task: its own, then its agent's.
pub fn verify_commands(spec: &TaskSpec, agent: &Agent) -> Vec<String> {
    let mut commands = spec.verify.clone();
    for command in &agent.verify {
        if !commands.contains(command) {
            commands.push(command.clone());
        }
    }
    commands
}

/// Builds the task prompt: what to do, expected output, acceptance, the
/// results of the tasks it depends on, and (on a retry) what went wrong.
pub fn task_prompt(
    plan: &Plan,
    spec: &TaskSpec,
    upstream: &[Upstream],
    verify: &[String],
) -> String {
    let mut text = format!("# Task `{}`: {}\n", spec.id, spec.title);
    text.push_str(&format!("Plan `{}`: {}\n", plan.id, plan.request.trim()));
    text.push_str(&format!(
        "Type: {}. Priority: {}.\n",
        spec.task_type, spec.priority
    ));
    if let Some(deadline) = &plan.deadline {
        text.push_str(&format!("Deadline: {deadline}.\n"));
    }
    if !plan.context.is_empty() {
        text.push_str("Context:\n");
        for (key, value) in &plan.context {
            text.push_str(&format!("- {key}: {value}\n"));
        }
    }
    if !spec.description.trim().is_empty() {
        text.push_str(&format!("\n## What to do\n{}\n", spec.description.trim()));
    }
    if let Some(expected) = &spec.expected_output {
        text.push_str(&format!("\n## Expected output\n{}\n", expected.trim()));
    }
    if !spec.acceptance.is_empty() {
        text.push_str("\n## Acceptance criteria\n");
        for item in &spec.acceptance {
            text.push_str(&format!("- {item}\n"));
        }
    }
    if !verify.is_empty() {
        text.push_str(&format!(
            "\n## Verification\nWhen you finish, nexus runs these commands in the project root; the task is done only if they pass: {}\n",
            verify.iter().map(|command| format!("`{command}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    if !upstream.is_empty() {
        text.push_str("\n## Results of the tasks this one depends on\n");
        for (dep, agent, result) in upstream {
            let by = agent
                .as_deref()
                .map(|agent| format!(" (by `{agent}`)"))
                .unwrap_or_default();
            text.push_str(&format!("\n### `{}`: {}{by}\n", dep.id, dep.title));
            match result {
                Some(result) => {
                    let mut body: String = result.chars().take(UPSTREAM_CHARS).collect();
                    if body.len() < result.len() {
                        body.push_str("\n[…truncated; the full result is in `.nexus/plans/");
                        body.push_str(&format!("{}/results/{}.md`]", plan.id, dep.id));
                    }
                    text.push_str(body.trim_end());
                    text.push('\n');
                }
                None => text.push_str("(no result recorded)\n"),
            }
        }
    }
    text
}

/// Returns the note added to a retry's prompt.
pub fn retry_note(number: u32, reason: &str) -> String {
    format!(
        "\n## What went wrong last time\nAttempt {number} did not succeed: {reason}\nFix the cause before anything else.\n"
    )
}
