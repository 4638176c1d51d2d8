//! `plans/<plan_id>/plan.json`: the request and its tasks with dependencies,
//! as a planner produced it or a user wrote it (`nexus plan --from FILE`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::state::fs::Versioned;
use crate::time::Timestamp;

/// A task type; agents declare which types they take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskType {
    /// Requirements and risk analysis.
    Analysis,
    /// Research.
    Research,
    /// Planning.
    Planning,
    /// Documentation.
    Documentation,
    /// Implementation.
    Implementation,
    /// Refactoring.
    Refactoring,
    /// Bug fixing.
    Bugfix,
    /// Writing tests.
    TestCreation,
    /// Running and validating tests.
    Validation,
    /// Review.
    Review,
}

impl TaskType {
    /// Every task type, in documentation order.
    pub const ALL: &'static [TaskType] = &[
        TaskType::Analysis,
        TaskType::Research,
        TaskType::Planning,
        TaskType::Documentation,
        TaskType::Implementation,
        TaskType::Refactoring,
        TaskType::Bugfix,
        TaskType::TestCreation,
        TaskType::Validation,
        TaskType::Review,
    ];

    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            TaskType::Analysis => "analysis",
            TaskType::Research => "research",
            TaskType::Planning => "planning",
            TaskType::Documentation => "documentation",
            TaskType::Implementation => "implementation",
            TaskType::Refactoring => "refactoring",
            TaskType::Bugfix => "bugfix",
            TaskType::TestCreation => "test_creation",
            TaskType::Validation => "validation",
            TaskType::Review => "review",
        }
    }

    /// Parses a snake_case name.
    pub fn parse(text: &str) -> Option<Self> {
        TaskType::ALL
            .iter()
            .copied()
            .find(|task_type| task_type.name() == text)
    }
}

impl fmt::Display for TaskType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Priority, as in the original protocol. Orders critical first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Default,
    clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Must be done first.
    Critical,
    /// Important.
    High,
    /// Normal.
    #[default]
    Medium,
    /// Whenever.
    Low,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: &'static [Priority] = &[
        Priority::Critical,
        Priority::High,
        Priority::Medium,
        Priority::Low,
    ];

    /// Returns the snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<Self> {
        Priority::ALL
            .iter()
            .copied()
            .find(|priority| priority.name() == text)
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A stored plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Schema version.
    pub schema: u32,
    /// The plan id (directory name).
    pub id: String,
    /// The user's request.
    pub request: String,
    /// Which planner made it: `builtin`, `openai`, `claude` or `import`.
    pub planner: String,
    /// The model that planned, when an LLM did.
    #[serde(default)]
    pub model: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// The command that created it.
    #[serde(default)]
    pub created_by: String,
    /// The plan's priority.
    #[serde(default)]
    pub priority: Priority,
    /// A deadline, as the user gave it.
    #[serde(default)]
    pub deadline: Option<String>,
    /// Context key/value pairs given to the planner and every task.
    #[serde(default)]
    pub context: BTreeMap<String, String>,
    /// The file the plan was imported from, when nexus writes results back
    /// into it (a Task Master file: `nexus export --to taskmaster`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<PlanSource>,
    /// The tasks, in plan order.
    pub tasks: Vec<TaskSpec>,
}

impl Versioned for Plan {
    const SCHEMA: u32 = 2;
    const WHAT: &'static str = "plan";
}

/// One task of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Unique id within the plan.
    pub id: String,
    /// Short title.
    pub title: String,
    /// What to do.
    #[serde(default)]
    pub description: String,
    /// The task type.
    #[serde(rename = "type")]
    pub task_type: TaskType,
    /// The assigned agent, if any.
    #[serde(default)]
    pub agent: Option<String>,
    /// Ids of tasks that must complete first.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Priority.
    #[serde(default)]
    pub priority: Priority,
    /// What the deliverable looks like.
    #[serde(default)]
    pub expected_output: Option<String>,
    /// Acceptance criteria.
    #[serde(default)]
    pub acceptance: Vec<String>,
    /// Commands nexus runs after the agent to verify the task (a person's:
    /// written in a plan file, or adopted with `nexus plan adopt`).
    #[serde(default)]
    pub verify: Vec<String>,
    /// Checks a planner's model proposed: shown, never run until a person
    /// adopts them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggested_verify: Vec<String>,
    /// Who adopted suggested checks into `verify`, and when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted: Option<Adoption>,
    /// Estimated minutes, for progress and completion estimates.
    #[serde(default)]
    pub estimate_minutes: Option<u32>,
}

/// The file a plan was imported from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSource {
    /// The file's format.
    pub format: SourceFormat,
    /// The file, relative to the project root (the directory holding
    /// `.nexus`), `/`-separated; `None` when nexus does not remember it: it
    /// was outside the project, reached through a symlink, or read from
    /// stdin.
    #[serde(default)]
    pub path: Option<String>,
    /// The Task Master tag the plan was made from.
    pub tag: String,
}

/// The format of a plan's source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// A claude-task-master `tasks.json`.
    Taskmaster,
}

/// A person's adoption of a model's suggested checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adoption {
    /// Who (`user@host`).
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// The commands adopted.
    pub commands: Vec<String>,
}

impl Plan {
    /// Returns the task with `id`.
    pub fn task(&self, id: &str) -> Option<&TaskSpec> {
        self.tasks.iter().find(|task| task.id == id)
    }

    /// Returns the task ids in plan order.
    pub fn task_ids(&self) -> Vec<String> {
        self.tasks.iter().map(|task| task.id.clone()).collect()
    }
}
