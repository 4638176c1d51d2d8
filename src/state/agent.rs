//! `agents/<id>.toml`: one agent's full profile (identity, personality,
//! expertise, backend settings, verification), as users write and edit it.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::exit::{Kind, tagged};
use crate::state::fs::{Versioned, read_toml};
use crate::state::plan::TaskType;

/// The four default agents, as `nexus init` writes them (file name, text).
pub const DEFAULT_AGENTS: &[(&str, &str)] = &[
    (
        "aria_coordinator",
        include_str!("../../.nexus-example/agents/aria_coordinator.toml"),
    ),
    (
        "code_developer",
        include_str!("../../.nexus-example/agents/code_developer.toml"),
    ),
    (
        "alpha_test_creator",
        include_str!("../../.nexus-example/agents/alpha_test_creator.toml"),
    ),
    (
        "beta_test_validator",
        include_str!("../../.nexus-example/agents/beta_test_validator.toml"),
    ),
];

/// One agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Schema version.
    pub schema: u32,
    /// The id; must equal the file stem.
    pub id: String,
    /// Display name ("Aria").
    pub name: String,
    /// Role ("coordinator").
    pub role: String,
    /// Job title.
    #[serde(default)]
    pub title: String,
    /// What the agent does.
    #[serde(default)]
    pub description: String,
    /// Task types this agent takes.
    pub task_types: Vec<TaskType>,
    /// Sessions of this agent that may work in parallel.
    #[serde(default = "one")]
    pub instances: u32,
    /// Commands run after this agent finishes a task.
    #[serde(default)]
    pub verify: Vec<String>,
    /// The agent's own instructions.
    #[serde(default)]
    pub system_prompt: String,
    /// Personality.
    pub personality: Personality,
    /// Expertise.
    pub expertise: Expertise,
    /// Claude Code settings.
    pub claude: ClaudeSettings,
}

fn one() -> u32 {
    1
}

impl Versioned for Agent {
    const SCHEMA: u32 = 1;
    const WHAT: &'static str = "agent";
}

/// `[personality]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Personality {
    /// Core traits.
    pub core_traits: Vec<String>,
    /// Communication style.
    pub communication_style: String,
    /// Decision making.
    pub decision_making: String,
    /// Collaboration style.
    pub collaboration_style: String,
    /// Stress response (added to prompts on retries).
    pub stress_response: String,
}

/// `[expertise]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expertise {
    /// Expertise areas.
    pub areas: Vec<String>,
    /// Capabilities (matched against task types and titles by `assign`).
    pub capabilities: Vec<String>,
}

/// `[claude]`: how this agent's Claude Code session is run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaudeSettings {
    /// `--model`.
    pub model: String,
    /// `--max-turns`.
    pub max_turns: u32,
    /// `CLAUDE_CODE_MAX_OUTPUT_TOKENS`; 0 = the CLI's default.
    #[serde(default)]
    pub max_output_tokens: u32,
    /// `--permission-mode`.
    pub permission_mode: String,
    /// `--allowedTools`.
    #[serde(default)]
    pub allowed_tools: Vec<String>,
    /// `--disallowedTools`.
    #[serde(default)]
    pub disallowed_tools: Vec<String>,
    /// `--add-dir`.
    #[serde(default)]
    pub add_dirs: Vec<String>,
}

/// The most sessions one agent may run in parallel.
pub const MAX_INSTANCES: u32 = 64;

/// Permission modes the CLI accepts.
pub const PERMISSION_MODES: &[&str] = &[
    "default",
    "acceptEdits",
    "plan",
    "bypassPermissions",
    "dontAsk",
    "auto",
];

impl Agent {
    /// Reads and checks an agent file: the id must match the file name, and
    /// values must be in range.
    pub fn load(path: &Path) -> Result<Self> {
        let agent: Agent = read_toml(path)?;
        agent.check(path)?;
        Ok(agent)
    }

    fn check(&self, path: &Path) -> Result<()> {
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default();
        let problem = if self.id != stem {
            Some(format!(
                "field `id` is `{}` but the file is named `{stem}.toml`",
                self.id
            ))
        } else if !crate::ids::is_safe_id(&self.id) {
            Some(format!("field `id`: `{}` is not a valid id", self.id))
        } else if self.instances == 0 || self.instances > MAX_INSTANCES {
            Some(format!(
                "field `instances` must be between 1 and {MAX_INSTANCES}"
            ))
        } else if !PERMISSION_MODES.contains(&self.claude.permission_mode.as_str()) {
            Some(format!(
                "field `claude.permission_mode`: `{}` is not one of {}",
                self.claude.permission_mode,
                PERMISSION_MODES.join(", ")
            ))
        } else if self.claude.max_turns == 0 {
            Some("field `claude.max_turns` must be at least 1".to_string())
        } else {
            None
        };
        match problem {
            Some(problem) => Err(tagged(
                Kind::StateInvalid,
                format!("agent file `{}` is malformed: {problem}", path.display()),
            )),
            None => Ok(()),
        }
    }

    /// Returns whether this agent takes tasks of `task_type`.
    pub fn takes(&self, task_type: TaskType) -> bool {
        self.task_types.contains(&task_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fs::parse_toml;

    #[test]
    fn default_agents_parse_and_cover_every_task_type() {
        let mut covered = Vec::new();
        for (id, text) in DEFAULT_AGENTS {
            let agent: Agent = parse_toml(Path::new(&format!("{id}.toml")), text).unwrap();
            agent.check(Path::new(&format!("{id}.toml"))).unwrap();
            assert!(!agent.personality.stress_response.is_empty());
            assert!(!agent.system_prompt.trim().is_empty());
            covered.extend(agent.task_types.clone());
        }
        for task_type in TaskType::ALL {
            assert!(
                covered.contains(task_type),
                "no default agent takes {task_type:?}"
            );
        }
    }

    #[test]
    fn an_id_that_does_not_match_the_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("someone.toml");
        std::fs::write(&path, DEFAULT_AGENTS[0].1).unwrap();
        let message = format!("{:#}", Agent::load(&path).unwrap_err());
        assert!(
            message.contains("someone.toml") && message.contains("field `id`"),
            "{message}"
        );
    }
}
