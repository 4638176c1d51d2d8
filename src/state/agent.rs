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
    /// Slurm resources of this agent's jobs (`nexus export --to slurm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm: Option<SlurmSettings>,
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

/// `[slurm]`: what this agent's jobs ask Slurm for when a plan is exported
/// with `nexus export --to slurm`; each key set here overrides the
/// command's flag of the same name for this agent's tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmSettings {
    /// `--partition` (a name, or a comma-separated list).
    #[serde(default)]
    pub partition: Option<String>,
    /// `--time`: `MINUTES`, `H:MM:SS`, `D-HH[:MM[:SS]]` or `UNLIMITED`.
    #[serde(default)]
    pub time: Option<String>,
    /// `--cpus-per-task`.
    #[serde(default)]
    pub cpus_per_task: Option<u32>,
    /// `--mem`: a size in megabytes, or with a `K`, `M`, `G` or `T` suffix.
    #[serde(default)]
    pub mem: Option<String>,
}

impl SlurmSettings {
    /// Returns the first value Slurm would not accept, as `(key, problem)`.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if let Some(partition) = &self.partition
            && (partition.is_empty()
                || !partition
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.,-".contains(c)))
        {
            return Some((
                "partition",
                format!(
                    "`{partition}` is not a partition name (letters, digits, `_`, `.`, `-`; `,` between several)"
                ),
            ));
        }
        if let Some(time) = &self.time
            && !is_slurm_time(time)
        {
            return Some((
                "time",
                format!(
                    "`{time}` is not a Slurm time limit (`MINUTES`, `H:MM:SS`, `D-HH:MM:SS` or `UNLIMITED`)"
                ),
            ));
        }
        if self.cpus_per_task == Some(0) {
            return Some(("cpus_per_task", "must be at least 1".to_string()));
        }
        if let Some(mem) = &self.mem {
            let digits = mem.trim_end_matches(['K', 'M', 'G', 'T']);
            if digits.is_empty()
                || mem.len() - digits.len() > 1
                || !digits.chars().all(|c| c.is_ascii_digit())
            {
                return Some((
                    "mem",
                    format!(
                        "`{mem}` is not a memory size (megabytes, or digits with a `K`, `M`, `G` or `T` suffix)"
                    ),
                ));
            }
        }
        None
    }
}

/// Returns whether `text` is a time limit `sbatch --time` takes: `MINUTES`,
/// `MINUTES:SECONDS`, `HOURS:MINUTES:SECONDS`, `DAYS-HOURS`,
/// `DAYS-HOURS:MINUTES`, `DAYS-HOURS:MINUTES:SECONDS`, or no limit.
fn is_slurm_time(text: &str) -> bool {
    if matches!(text, "UNLIMITED" | "INFINITE" | "unlimited" | "infinite") {
        return true;
    }
    let numbers = |part: &str, most: usize| {
        let fields: Vec<&str> = part.split(':').collect();
        fields.len() <= most
            && fields
                .iter()
                .all(|field| !field.is_empty() && field.chars().all(|c| c.is_ascii_digit()))
    };
    match text.split_once('-') {
        Some((days, rest)) => numbers(days, 1) && numbers(rest, 3),
        None => numbers(text, 3),
    }
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
            self.slurm
                .as_ref()
                .and_then(SlurmSettings::problem)
                .map(|(key, problem)| format!("field `slurm.{key}`: {problem}"))
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
    fn slurm_settings_are_checked_key_by_key() {
        let good = SlurmSettings {
            partition: Some("gpu,batch".into()),
            time: Some("1-02:30:00".into()),
            cpus_per_task: Some(4),
            mem: Some("16G".into()),
        };
        assert_eq!(good.problem(), None);
        for time in ["90", "30:00", "2:00:00", "2-12", "2-12:30", "UNLIMITED"] {
            assert!(is_slurm_time(time), "{time}");
        }
        for time in ["", "1h", "1:2:3:4", "-5", "2-", "a-1"] {
            assert!(!is_slurm_time(time), "{time}");
        }
        let bad = |settings: SlurmSettings| settings.problem().map(|(key, _)| key);
        assert_eq!(
            bad(SlurmSettings {
                partition: Some("a b".into()),
                ..SlurmSettings::default()
            }),
            Some("partition")
        );
        assert_eq!(
            bad(SlurmSettings {
                mem: Some("8GB".into()),
                ..SlurmSettings::default()
            }),
            Some("mem")
        );
        assert_eq!(
            bad(SlurmSettings {
                cpus_per_task: Some(0),
                ..SlurmSettings::default()
            }),
            Some("cpus_per_task")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("code_developer.toml");
        let text = format!("{}\n[slurm]\ntime = \"2h\"\n", DEFAULT_AGENTS[1].1);
        std::fs::write(&path, text).unwrap();
        let message = format!("{:#}", Agent::load(&path).unwrap_err());
        assert!(message.contains("field `slurm.time`"), "{message}");
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
