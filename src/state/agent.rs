//! `agents/<id>.toml`: one agent's full profile (identity, personality,
//! expertise, backend settings, verification), as users write and edit it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::exit::{Kind, tagged};
use crate::state::fs::{Versioned, check_top_level_keys, parse_toml};
use crate::state::plan::TaskType;

pub use crate::state::memory::{MemorySettings, Retention};

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
    /// What the agent remembers between turns and recalls into prompts.
    #[serde(default)]
    pub memory: MemorySettings,
    /// Slurm resources of this agent's jobs (`nexus export --to slurm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slurm: Option<SlurmSettings>,
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
    "memory",
    "slurm",
];

/// A file's path and text, kept so that each backend can read its own table
/// from it (with the file's line numbers in errors). Two sources are equal
/// when their paths and texts are, parsed yet or not.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// Its text.
    pub text: Arc<str>,
    /// The text parsed, once, when a backend first reads its table (every
    /// turn reads it; `None` when the text is not TOML).
    document: Arc<OnceLock<Option<toml::Table>>>,
}

impl PartialEq for Source {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.text == other.text
    }
}

impl Source {
    /// Returns the source of `path`, holding `text`.
    pub fn new(path: PathBuf, text: Arc<str>) -> Self {
        Source {
            path,
            text,
            document: Arc::default(),
        }
    }

    /// Returns the text's top-level table, parsed on the first call.
    pub fn document(&self) -> Option<&toml::Table> {
        self.document
            .get_or_init(|| toml::from_str(&self.text).ok())
            .as_ref()
    }
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
    /// The agent in a few words, as the team introduces it (the original
    /// team list's "Personality").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub summary: Vec<String>,
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
        agent.source = Source::new(path.to_path_buf(), Arc::from(text));
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
                .or_else(|| {
                    self.slurm
                        .as_ref()
                        .and_then(SlurmSettings::problem)
                        .map(|(key, problem)| format!("field `slurm.{key}`: {problem}"))
                })
                .or_else(|| {
                    self.memory
                        .problem()
                        .map(|(key, problem)| format!("field `memory.{key}` {problem}"))
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
    fn a_source_parsed_once_equals_one_not_parsed_yet() {
        let (id, text) = DEFAULT_AGENTS[1];
        let path = PathBuf::from(format!("{id}.toml"));
        let used = Agent::parse(&path, text).unwrap();
        let fresh = Agent::parse(&path, text).unwrap();
        assert!(
            used.source
                .document()
                .is_some_and(|table| table.contains_key("claude"))
        );
        assert_eq!(used, fresh);
        let other = Source::new(path, Arc::from("id = \"x\""));
        assert_ne!(used.source, other);
    }

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

    /// The original NEXUS profiles ("Agent Personality Definitions" and the
    /// team list), field by field: the default agents carry these values.
    /// `(id, role, core traits, [communication, decision making,
    /// collaboration, stress response], areas, capabilities, max tokens,
    /// temperature, the team list's personality)`.
    type Profile = (
        &'static str,
        &'static str,
        &'static [&'static str],
        [&'static str; 4],
        &'static [&'static str],
        &'static [&'static str],
        u32,
        f64,
        &'static str,
    );

    const ORIGINAL: &[Profile] = &[
        (
            "aria_coordinator",
            "coordinator",
            &["analytical", "organized", "strategic", "thorough"],
            [
                "structured and methodical",
                "data-driven with risk analysis",
                "facilitator and consensus-builder",
                "increases documentation and planning detail",
            ],
            &[
                "project_planning",
                "risk_analysis",
                "requirements_gathering",
                "technical_research",
                "stakeholder_coordination",
                "process_optimization",
            ],
            &[
                "research_and_analysis",
                "strategic_planning",
                "technical_documentation",
                "feasibility_studies",
                "timeline_estimation",
                "resource_allocation",
            ],
            4000,
            0.3,
            "methodical, thorough, detail-oriented",
        ),
        (
            "code_developer",
            "developer",
            &["creative", "precise", "quality-focused", "innovative"],
            [
                "technical and solution-oriented",
                "best-practices driven with creative problem-solving",
                "mentor and knowledge-sharer",
                "focuses on code quality and testing",
            ],
            &[
                "full_stack_development",
                "software_architecture",
                "code_optimization",
                "design_patterns",
                "api_design",
                "database_design",
            ],
            &[
                "code_generation",
                "refactoring_and_optimization",
                "architecture_design",
                "debugging_and_troubleshooting",
                "performance_analysis",
                "security_implementation",
            ],
            8000,
            0.1,
            "creative, precise, quality-focused",
        ),
        (
            "alpha_test_creator",
            "test_creator",
            &[
                "systematic",
                "thorough",
                "edge-case-focused",
                "detail-oriented",
            ],
            [
                "precise and coverage-focused",
                "comprehensive and scenario-based",
                "quality_advocate and risk_identifier",
                "increases test coverage and edge case analysis",
            ],
            &[
                "test_strategy_design",
                "test_case_generation",
                "coverage_analysis",
                "testing_frameworks",
                "quality_assurance",
                "automation_design",
            ],
            &[
                "unit_test_creation",
                "integration_test_design",
                "end_to_end_test_planning",
                "test_data_generation",
                "mock_and_stub_creation",
                "performance_test_design",
            ],
            6000,
            0.2,
            "systematic, thorough, edge-case focused",
        ),
        (
            "beta_test_validator",
            "test_validator",
            &[
                "persistent",
                "problem-solving",
                "validation-focused",
                "thorough",
            ],
            [
                "diagnostic and solution-oriented",
                "evidence-based with root cause analysis",
                "problem_solver and quality_guardian",
                "deepens debugging analysis and increases validation rigor",
            ],
            &[
                "test_execution",
                "failure_analysis",
                "debugging_strategies",
                "regression_testing",
                "performance_validation",
                "security_testing",
            ],
            &[
                "test_automation_execution",
                "bug_reproduction_and_isolation",
                "performance_benchmarking",
                "security_vulnerability_scanning",
                "regression_test_maintenance",
                "ci_cd_integration",
            ],
            6000,
            0.1,
            "persistent, detail-oriented, problem-solving",
        ),
    ];

    #[test]
    fn default_agents_carry_the_original_profiles_values() {
        for (id, role, traits, styles, areas, capabilities, tokens, temperature, summary) in
            ORIGINAL
        {
            let text = DEFAULT_AGENTS
                .iter()
                .find(|(name, _)| name == id)
                .map(|(_, text)| *text)
                .unwrap();
            let agent = Agent::parse(Path::new(&format!("{id}.toml")), text).unwrap();
            let personality = &agent.personality;
            assert_eq!(agent.role, *role, "{id}");
            assert_eq!(personality.core_traits, *traits, "{id}");
            assert_eq!(personality.summary.join(", "), *summary, "{id}");
            assert_eq!(
                [
                    personality.communication_style.as_str(),
                    personality.decision_making.as_str(),
                    personality.collaboration_style.as_str(),
                    personality.stress_response.as_str(),
                ],
                *styles,
                "{id}"
            );
            assert_eq!(agent.expertise.areas, *areas, "{id}");
            assert_eq!(agent.expertise.capabilities, *capabilities, "{id}");
            let claude: toml::Table = toml::from_str(text).unwrap();
            let claude = claude["claude"].as_table().unwrap();
            assert_eq!(
                claude["max_output_tokens"].as_integer(),
                Some(i64::from(*tokens)),
                "{id}"
            );
            assert_eq!(claude["temperature"].as_float(), Some(*temperature), "{id}");
            // The memory template: full session, 1000 conversations, 50 recalled.
            assert_eq!(agent.memory.retention_policy, Retention::FullSession);
            assert_eq!(agent.memory.max_conversations, 1000);
            assert_eq!(agent.memory.context_window_size, 50);
            assert!(!agent.memory.learning_patterns.is_empty());
            assert!(!agent.memory.context_preservation.is_empty());
            assert_eq!(
                agent.memory,
                MemorySettings {
                    learning_patterns: agent.memory.learning_patterns.clone(),
                    context_preservation: agent.memory.context_preservation.clone(),
                    ..MemorySettings::default()
                },
                "{id}: the file's values are the defaults"
            );
            // Tools: Code, Alpha and Beta build and test (in a worktree); Aria reads.
            let expected = if *id == "aria_coordinator" {
                Permission::Read
            } else {
                Permission::Build
            };
            assert_eq!(agent.permission, Some(expected), "{id}");
            assert!(
                claude.get("permission_mode").is_none(),
                "{id}: `permission` decides"
            );
        }
    }

    #[test]
    fn memory_settings_are_checked() {
        let text = DEFAULT_AGENTS[1].1;
        for (from, to, field) in [
            (
                "max_conversations = 1000",
                "max_conversations = 0",
                "memory.max_conversations",
            ),
            (
                "context_window_size = 50",
                "context_window_size = 5000",
                "memory.context_window_size",
            ),
            (
                "retention_policy = \"full_session\"",
                "retention_policy = \"forever\"",
                "retention_policy",
            ),
            (
                "context_chars = 6000",
                "context_size = 6000",
                "context_size",
            ),
        ] {
            let broken = text.replace(from, to);
            let message = format!(
                "{:#}",
                Agent::parse(Path::new("code_developer.toml"), &broken).unwrap_err()
            );
            assert!(message.contains(field), "{message}");
        }
        let without = text.split("\n[memory]").next().unwrap().to_string()
            + "\n[claude]\nmodel = \"sonnet\"\n";
        let agent = Agent::parse(Path::new("code_developer.toml"), &without).unwrap();
        assert_eq!(
            agent.memory,
            MemorySettings::default(),
            "an older file gets the defaults"
        );
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
