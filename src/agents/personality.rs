//! The personality engine: builds an agent's system prompt from its file.
//!
//! The same agent file always yields the same text (a test pins it). The
//! prompt is passed with `--append-system-prompt` on every call, because the
//! CLI does not keep it across `--resume` (CLAUDE_CLI.md).

use crate::state::agent::Agent;

/// Returns a profile value as prose: the original profiles write some
/// values as identifiers (`test_creator`, `risk_analysis`); the prompt reads
/// them with spaces.
fn prose(value: &str) -> String {
    value.replace('_', " ")
}

fn prose_list(values: &[String]) -> String {
    values
        .iter()
        .map(|value| prose(value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Returns the system prompt for `agent`; `under_stress` adds the agent's
/// stress response (used on a retry after a failure).
pub fn system_prompt(agent: &Agent, under_stress: bool) -> String {
    let personality = &agent.personality;
    let mut text = String::new();
    text.push_str(&format!(
        "You are {}, the {} of a team of AI agents orchestrated by nexus.",
        agent.name,
        prose(&agent.role)
    ));
    if !agent.title.is_empty() {
        text.push_str(&format!(" Your title: {}.", agent.title));
    }
    text.push('\n');
    if !agent.description.is_empty() {
        text.push_str(&format!("{}\n", agent.description));
    }
    text.push_str("\n## Personality\n");
    if !personality.summary.is_empty() {
        text.push_str(&format!(
            "- In short: {}.\n",
            prose_list(&personality.summary)
        ));
    }
    if !personality.core_traits.is_empty() {
        text.push_str(&format!(
            "- Core traits: {}.\n",
            prose_list(&personality.core_traits)
        ));
    }
    for (label, value) in [
        ("Communication style", &personality.communication_style),
        ("Decision making", &personality.decision_making),
        ("Collaboration style", &personality.collaboration_style),
    ] {
        text.push_str(&format!("- {label}: {}\n", prose(value)));
    }
    text.push_str("\n## Expertise\n");
    if !agent.expertise.areas.is_empty() {
        text.push_str(&format!(
            "- Areas: {}.\n",
            prose_list(&agent.expertise.areas)
        ));
    }
    if !agent.expertise.capabilities.is_empty() {
        text.push_str(&format!(
            "- Capabilities: {}.\n",
            prose_list(&agent.expertise.capabilities)
        ));
    }
    let types: Vec<&str> = agent
        .task_types
        .iter()
        .map(|task_type| task_type.name())
        .collect();
    text.push_str(&format!(
        "- You take tasks of type: {}.\n",
        types.join(", ")
    ));
    let memory = &agent.memory;
    if !memory.learning_patterns.is_empty() || !memory.context_preservation.is_empty() {
        text.push_str("\n## Memory\n");
        if !memory.learning_patterns.is_empty() {
            text.push_str(&format!(
                "- How you learn: {}.\n",
                prose(&memory.learning_patterns)
            ));
        }
        if !memory.context_preservation.is_empty() {
            text.push_str(&format!(
                "- The context you keep: {}.\n",
                prose(&memory.context_preservation)
            ));
        }
    }
    if !agent.system_prompt.trim().is_empty() {
        text.push_str(&format!(
            "\n## Instructions\n{}\n",
            agent.system_prompt.trim()
        ));
    }
    if under_stress {
        text.push_str(&format!(
            "\n## Under pressure\nA previous attempt at this work failed. Your response to pressure: {}.\n",
            prose(personality.stress_response.trim_end_matches('.'))
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::agent::DEFAULT_AGENTS;
    use crate::state::fs::parse_toml;
    use std::path::Path;

    fn code() -> Agent {
        parse_toml(Path::new("code_developer.toml"), DEFAULT_AGENTS[1].1).unwrap()
    }

    #[test]
    fn the_same_agent_file_yields_the_same_prompt() {
        let expected = "\
You are Code, the developer of a team of AI agents orchestrated by nexus.
Code implementation and software craftsmanship.

## Personality
- In short: creative, precise, quality-focused.
- Core traits: creative, precise, quality-focused, innovative.
- Communication style: technical and solution-oriented
- Decision making: best-practices driven with creative problem-solving
- Collaboration style: mentor and knowledge-sharer

## Expertise
- Areas: full stack development, software architecture, code optimization, design patterns, api design, database design.
- Capabilities: code generation, refactoring and optimization, architecture design, debugging and troubleshooting, performance analysis, security implementation.
- You take tasks of type: implementation, refactoring, bugfix.

## Memory
- How you learn: technical pattern recognition.
- The context you keep: codebase and architecture aware.

## Instructions
You are Code, a skilled and creative software developer. You write clean, efficient, and well-documented code following best practices. You think about scalability, maintainability, and performance. You explain your implementation decisions and provide multiple solutions when appropriate.
";
        assert_eq!(system_prompt(&code(), false), expected);
        assert_eq!(system_prompt(&code(), false), system_prompt(&code(), false));
    }

    #[test]
    fn retries_add_the_stress_response() {
        let prompt = system_prompt(&code(), true);
        assert!(prompt.contains("## Under pressure"));
        assert!(prompt.contains("Your response to pressure: focuses on code quality and testing."));
        assert!(!system_prompt(&code(), false).contains("Under pressure"));
    }
}
