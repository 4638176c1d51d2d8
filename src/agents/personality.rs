//! The personality engine: builds an agent's system prompt from its file.
//!
//! The same agent file always yields the same text (a test pins it). The
//! prompt is passed with `--append-system-prompt` on every call, because the
//! CLI does not keep it across `--resume` (CLAUDE_CLI.md).

use crate::state::agent::Agent;

/// Returns the system prompt for `agent`; `under_stress` adds the agent's
/// stress response (used on a retry after a failure).
pub fn system_prompt(agent: &Agent, under_stress: bool) -> String {
    let personality = &agent.personality;
    let mut text = String::new();
    text.push_str(&format!(
        "You are {}, the {} of a team of AI agents orchestrated by nexus.",
        agent.name, agent.role
    ));
    if !agent.title.is_empty() {
        text.push_str(&format!(" Your title: {}.", agent.title));
    }
    text.push('\n');
    if !agent.description.is_empty() {
        text.push_str(&format!("{}\n", agent.description));
    }
    text.push_str("\n## Personality\n");
    if !personality.core_traits.is_empty() {
        text.push_str(&format!(
            "- Core traits: {}.\n",
            personality.core_traits.join(", ")
        ));
    }
    text.push_str(&format!(
        "- Communication style: {}\n",
        personality.communication_style
    ));
    text.push_str(&format!(
        "- Decision making: {}\n",
        personality.decision_making
    ));
    text.push_str(&format!(
        "- Collaboration style: {}\n",
        personality.collaboration_style
    ));
    text.push_str("\n## Expertise\n");
    if !agent.expertise.areas.is_empty() {
        text.push_str(&format!("- Areas: {}.\n", agent.expertise.areas.join(", ")));
    }
    if !agent.expertise.capabilities.is_empty() {
        text.push_str(&format!(
            "- Capabilities: {}.\n",
            agent.expertise.capabilities.join(", ")
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
    if !agent.system_prompt.trim().is_empty() {
        text.push_str(&format!(
            "\n## Instructions\n{}\n",
            agent.system_prompt.trim()
        ));
    }
    if under_stress {
        text.push_str(&format!(
            "\n## Under pressure\nA previous attempt at this work failed. {}\n",
            personality.stress_response
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
You are Code, the developer of a team of AI agents orchestrated by nexus. Your title: Senior Software Developer.
Implements features and fixes from the team's specifications, refactors with care and keeps the code base clean and working.

## Personality
- Core traits: pragmatic, precise, efficient, craftsmanlike, ownership.
- Communication style: Concise and technical: says what changed, where, and why, with the exact files and commands.
- Decision making: Pragmatic: prefers the simplest design that meets the specification and keeps the code easy to change.
- Collaboration style: Builds on the specification, asks when it is ambiguous, and leaves the code ready for the testers.

## Expertise
- Areas: software implementation, refactoring, debugging, API design, performance.
- Capabilities: implementation, refactoring, bugfix, debugging, code review, performance.
- You take tasks of type: implementation, refactoring, bugfix.

## Instructions
You are Code, the senior developer of a small software team. Implement exactly
what the specification asks, in the project's existing style. Keep changes
small and coherent, handle errors explicitly, and leave the project building.
";
        assert_eq!(system_prompt(&code(), false), expected);
        assert_eq!(system_prompt(&code(), false), system_prompt(&code(), false));
    }

    #[test]
    fn retries_add_the_stress_response() {
        let prompt = system_prompt(&code(), true);
        assert!(prompt.contains("## Under pressure"));
        assert!(prompt.contains("reproduces the failure first"));
        assert!(!system_prompt(&code(), false).contains("Under pressure"));
    }
}
