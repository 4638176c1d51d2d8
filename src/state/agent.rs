//! `agents/<id>.toml`: one agent's full profile (identity, personality,
//! expertise, backend settings, verification), as users write and edit it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::exit::{Kind, tagged};
use crate::state::fs::{Versioned, check_top_level_keys, parse_toml};
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

/// One agent. Besides the fields below, the file holds one table per agent
/// backend it configures (`[claude]` …), read by that backend from
/// [`Agent::source`]; any other top-level key is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The agent CLI that runs it (`[agent_backend] default` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// What its tools may do, whatever the backend (each maps it to its own
    /// flags); `edit` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<Permission>,
    /// Personality.
    pub personality: Personality,
    /// Expertise.
    pub expertise: Expertise,
    /// The file the agent was read from, and its text.
    #[serde(skip)]
    pub source: Source,
}

/// The top-level keys of an agent file other than backend tables.
const FIELDS: &[&str] = &[
    "schema",
    "id",
    "name",
    "role",
    "title",
    "description",
    "task_types",
    "instances",
    "verify",
    "system_prompt",
    "backend",
    "permission",
    "personality",
    "expertise",
];

/// A file's path and text, kept so that each backend can read its own table
/// from it (with the file's line numbers in errors).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// Its text.
    pub text: Arc<str>,
}

/// What an agent's tools may do: a neutral level each backend maps to its
/// own permission flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read files only.
    Read,
    /// Read and edit files in the working directory.
    Edit,
    /// Edit, and run the common build and test commands.
    Build,
    /// Everything, without asking (for sandboxes).
    Full,
}

impl Permission {
    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Edit => "edit",
            Permission::Build => "build",
            Permission::Full => "full",
        }
    }
}

fn one() -> u32 {
    1
}

impl Versioned for Agent {
    const SCHEMA: u32 = 2;
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

/// The most sessions one agent may run in parallel.
pub const MAX_INSTANCES: u32 = 64;

impl Agent {
    /// Reads and checks an agent file: the id must match the file name, and
    /// values must be in range.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::state::fs::read_to_string(path)?;
        Agent::parse(path, &text)
    }

    /// Parses and checks the text of an agent file read from `path`: its
    /// fields, then each backend table it holds (by that backend).
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let mut agent: Agent = parse_toml(path, text)?;
        check_top_level_keys(path, text, "agent", FIELDS)?;
        agent.source = Source {
            path: path.to_path_buf(),
            text: Arc::from(text),
        };
        agent.check(path)?;
        Ok(agent)
    }

    /// Returns the name of the backend that runs this agent.
    pub fn backend_name<'a>(&'a self, config: &'a crate::state::config::Config) -> &'a str {
        self.backend
            .as_deref()
            .unwrap_or(&config.agent_backend.default)
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
        } else {
            self.backend
                .as_deref()
                .filter(|name| crate::agents::backend_named(name).is_none())
                .map(|backend| {
                    format!(
                        "field `backend`: `{backend}` is not one of {}",
                        crate::agents::backend_names()
                    )
                })
        };
        match problem {
            Some(problem) => Err(tagged(
                Kind::StateInvalid,
                format!("agent file `{}` is malformed: {problem}", path.display()),
            )),
            None => {
                for backend in crate::agents::BACKENDS {
                    backend.check(path, &self.source.text)?;
                }
                Ok(())
            }
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

    #[test]
    fn default_agents_parse_and_cover_every_task_type() {
        let mut covered = Vec::new();
        for (id, text) in DEFAULT_AGENTS {
            let agent = Agent::parse(Path::new(&format!("{id}.toml")), text).unwrap();
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
