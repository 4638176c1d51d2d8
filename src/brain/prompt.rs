//! The planning prompt and the plan's JSON schema.
//!
//! The prompt hands the planner the request and the whole team as the agent
//! files describe it (role, capabilities, task types), as the original
//! distribution prompt did. The schema is valid for OpenAI's strict
//! `json_schema` mode (OPENAI_API.md): `additionalProperties: false` on every
//! object, every property required, optional ones typed `[T, "null"]`. It
//! bounds ids by `pattern` and lists by `maxItems` (keywords strict mode
//! accepts); text lengths are bounded by validation instead, because strict
//! mode rejects `maxLength`.

use serde_json::{Value, json};

use crate::brain::planner::PlanInput;
use crate::state::agent::Agent;
use crate::state::config::JsonMode;
use crate::state::plan::{Priority, TaskType};

/// The `name` of the schema in `response_format`.
pub const SCHEMA_NAME: &str = "nexus_plan";
/// Most tasks the schema lets a planner return.
pub const SCHEMA_MAX_TASKS: usize = 20;

/// Returns the system message: the planner's role, the team and the rules.
pub fn system_prompt(agents: &[Agent]) -> String {
    let mut text = String::from(
        "You are NEXUS Prime, the coordinator of a team of AI coding agents. \
Break the user's request into a small plan of concrete tasks, each done by one \
agent of the team, with dependencies between them.\n\n## The team\n",
    );
    for agent in agents {
        let types: Vec<&str> = agent.task_types.iter().map(|t| t.name()).collect();
        text.push_str(&format!(
            "- `{}`: {}, the {}",
            agent.id, agent.name, agent.role
        ));
        if !agent.title.is_empty() {
            text.push_str(&format!(" ({})", agent.title));
        }
        text.push('.');
        if !agent.description.is_empty() {
            text.push_str(&format!(" {}", agent.description.trim()));
        }
        text.push_str(&format!(
            "\n  Capabilities: {}.\n  Takes task types: {}.\n",
            agent.expertise.capabilities.join(", "),
            types.join(", ")
        ));
    }
    let type_names: Vec<&str> = TaskType::ALL.iter().map(|t| t.name()).collect();
    let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.name()).collect();
    text.push_str(&format!(
        "\n## Rules\n\
- Answer with one JSON object and nothing else: {{\"tasks\": [...]}}.\n\
- Each task has: `id` (short, unique, lowercase letters, digits, `_` or `-`), \
`title` (one line), `description` (what to do, self-contained), `type` (one of: {}), \
`agent` (the id of the team member who takes that type, or null), `depends_on` \
(ids of tasks that must finish first; only ids of other tasks in this plan), \
`priority` (one of: {}), `expected_output` (what the deliverable looks like, or null), \
`acceptance` (short acceptance criteria) and `estimate_minutes` (the whole minutes the \
agent should need for the task, at least 1).\n\
- Use between 2 and 8 tasks. Dependencies must not form a cycle.\n\
- Follow the team's flow where it fits: analysis first, then implementation and \
test strategy, then tests, then validation.\n\
- Keep every text short and specific to the request.\n",
        type_names.join(", "),
        priorities.join(", ")
    ));
    text
}

/// Returns the user message: the request and its priority, deadline and context.
pub fn user_prompt(input: &PlanInput) -> String {
    let mut text = format!("Request: {}\n", input.request.trim());
    text.push_str(&format!("Priority: {}\n", input.priority));
    if let Some(deadline) = &input.deadline {
        text.push_str(&format!("Deadline: {deadline}\n"));
    }
    if !input.context.is_empty() {
        text.push_str("Context:\n");
        for (key, value) in &input.context {
            text.push_str(&format!("- {key}: {value}\n"));
        }
    }
    text.push_str("\nReturn the plan as JSON.");
    text
}

/// Returns the user message of a revision (`nexus plan --revise`): the
/// request, every task with what happened to it (state, failure, evidence,
/// the agent's answer), the user's guidance, and what to return: the tasks
/// of the remaining work only, since completed tasks stay as they are.
pub fn revise_prompt(
    plan: &crate::state::plan::Plan,
    outcomes: &[crate::plan::revise::TaskOutcome],
    guidance: Option<&str>,
) -> String {
    let mut text = format!(
        "Revise this plan in the light of what happened.\n\nRequest: {}\nPriority: {}\n",
        plan.request.trim(),
        plan.priority
    );
    if let Some(deadline) = &plan.deadline {
        text.push_str(&format!("Deadline: {deadline}\n"));
    }
    if !plan.context.is_empty() {
        text.push_str("Context:\n");
        for (key, value) in &plan.context {
            text.push_str(&format!("- {key}: {value}\n"));
        }
    }
    text.push_str("\n## The tasks and what happened\n");
    for outcome in outcomes {
        let spec = &outcome.spec;
        let task = serde_json::to_string(spec).unwrap_or_default();
        text.push_str(&format!(
            "\n### `{}`: {}\n{task}\n",
            spec.id,
            crate::plan::revise::describe(outcome)
        ));
    }
    if let Some(guidance) = guidance.filter(|text| !text.trim().is_empty()) {
        text.push_str(&format!(
            "\n## Guidance from the user\n{}\n",
            guidance.trim()
        ));
    }
    let kept: Vec<String> = outcomes
        .iter()
        .filter(|outcome| outcome.kept())
        .map(|outcome| format!("`{}`", outcome.spec.id))
        .collect();
    text.push_str(&format!(
        "\n## What to return\n\
Completed tasks ({}) stay exactly as they are: do not return them; your tasks may depend on \
their ids. Return {{\"tasks\": [...]}} with the tasks of the remaining work only, in the same \
schema: keep a task that has not started by returning it unchanged (same id), replace a failed \
or blocked one (the same id with what must change, or new ids) or split it into smaller tasks \
so that what went wrong is fixed, and drop what is no longer needed.",
        if kept.is_empty() {
            "none yet".to_string()
        } else {
            kept.join(", ")
        }
    ));
    text
}

/// Returns the message that sends a plan's problems back for one repair.
pub fn repair_prompt(problems: &[String]) -> String {
    let mut text = String::from("That plan is not valid. Problems:\n");
    for problem in problems {
        text.push_str(&format!("- {problem}\n"));
    }
    text.push_str(
        "\nReturn the whole corrected plan as one JSON object with the same schema, and nothing else.",
    );
    text
}

/// Returns the JSON schema of a planner's answer; `agent_ids` are the
/// values `agent` may take besides null.
pub fn plan_schema(agent_ids: &[String]) -> Value {
    let types: Vec<&str> = TaskType::ALL.iter().map(|t| t.name()).collect();
    let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.name()).collect();
    let mut agents: Vec<Value> = agent_ids.iter().map(|id| json!(id)).collect();
    agents.push(Value::Null);
    let id_pattern = "^[a-z0-9][a-z0-9_-]{0,39}$";
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["tasks"],
        "properties": {
            "tasks": {
                "type": "array",
                "minItems": 1,
                "maxItems": SCHEMA_MAX_TASKS,
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": [
                        "id", "title", "description", "type", "agent", "depends_on",
                        "priority", "expected_output", "acceptance", "estimate_minutes"
                    ],
                    "properties": {
                        "id": {"type": "string", "pattern": id_pattern},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "type": {"type": "string", "enum": types},
                        "agent": {"type": ["string", "null"], "enum": agents},
                        "depends_on": {
                            "type": "array",
                            "maxItems": 10,
                            "items": {"type": "string", "pattern": id_pattern}
                        },
                        "priority": {"type": "string", "enum": priorities},
                        "expected_output": {"type": ["string", "null"]},
                        "acceptance": {
                            "type": "array",
                            "maxItems": 5,
                            "items": {"type": "string"}
                        },
                        "estimate_minutes": {"type": "integer"}
                    }
                }
            }
        }
    })
}

/// Returns the `response_format` field for a JSON mode (`None`: no field);
/// `custom` replaces the built-in schema (`[brain] plan_schema`).
pub fn response_format(
    mode: JsonMode,
    agent_ids: &[String],
    custom: Option<&Value>,
) -> Option<Value> {
    match mode {
        JsonMode::JsonSchema => Some(json!({
            "type": "json_schema",
            "json_schema": {
                "name": SCHEMA_NAME,
                "strict": true,
                "schema": custom.cloned().unwrap_or_else(|| plan_schema(agent_ids))
            }
        })),
        JsonMode::JsonObject => Some(json!({"type": "json_object"})),
        JsonMode::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the strict-mode rules on every object of a schema.
    fn check_strict(schema: &Value, path: &str) {
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            assert_eq!(
                schema["additionalProperties"],
                json!(false),
                "{path}: additionalProperties"
            );
            let required: Vec<&str> = schema["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            for (name, property) in properties {
                assert!(
                    required.contains(&name.as_str()),
                    "{path}.{name} not required"
                );
                check_strict(property, &format!("{path}.{name}"));
            }
            assert_eq!(required.len(), properties.len(), "{path}: extra required");
        }
        if let Some(items) = schema.get("items") {
            check_strict(items, &format!("{path}[]"));
        }
        assert!(schema.get("maxLength").is_none(), "{path}: maxLength");
    }

    #[test]
    fn the_schema_follows_strict_mode_rules() {
        let schema = plan_schema(&["code_developer".to_string()]);
        assert_eq!(schema["type"], "object");
        check_strict(&schema, "$");
        let agent = &schema["properties"]["tasks"]["items"]["properties"]["agent"];
        assert_eq!(agent["type"], json!(["string", "null"]));
        assert_eq!(agent["enum"], json!(["code_developer", null]));
        // Every task carries an estimate the scheduler's estimator starts from.
        let task = &schema["properties"]["tasks"]["items"];
        assert_eq!(task["properties"]["estimate_minutes"]["type"], "integer");
        assert!(
            task["required"]
                .as_array()
                .unwrap()
                .contains(&json!("estimate_minutes"))
        );
        assert!(system_prompt(&[]).contains("`estimate_minutes`"));
    }

    #[test]
    fn json_object_mode_mentions_json_in_the_prompt() {
        let input = PlanInput {
            request: "add a flag".to_string(),
            priority: Priority::High,
            deadline: Some("friday".to_string()),
            context: [("lang".to_string(), "rust".to_string())].into(),
        };
        let text = user_prompt(&input);
        assert!(text.contains("JSON") && text.contains("friday") && text.contains("lang: rust"));
        assert_eq!(response_format(JsonMode::None, &[], None), None);
        let pinned = json!({"type": "object"});
        assert_eq!(
            response_format(JsonMode::JsonSchema, &[], Some(&pinned)).unwrap()["json_schema"]["schema"],
            pinned
        );
    }
}
