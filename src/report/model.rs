//! The report of one plan (built by [`crate::report::build::report`]):
//! what each agent did (its latest structured answer and result text), the verification
//! evidence of every attempt, open questions, recommended next steps, cost
//! and tokens per agent, and the timeline of every attempt on one lane per
//! agent instance. Markdown, JSON and the HTML page all render this one
//! [`Report`]; estimates and the critical path come from the one estimator
//! (`plan::estimate`), through [`PlanGraph`].
//!
//! # The `report --json` document (schema 1)
//!
//! ```text
//! {
//!   "schema": 1, "generated_at": time,
//!   "plan": {"id", "request", "planner", "model", "priority", "created_at", "deadline", "context"},
//!   "summary": {"tasks", "by_state" {state: n}, "attempts", "failed_attempts", "retries",
//!               "cost_usd", "input_tokens", "output_tokens", "turns", "agent_time_ms",
//!               "started_at", "finished_at", "wall_ms", "estimated_ms",
//!               "critical_path" [task ids], "critical_path_ms"},
//!   "tasks": [{"id", "title", "type", "priority", "agent", "state", "depends_on", "estimate_ms",
//!              "critical", "started_at", "finished_at", "took_ms", "cost_usd", "input_tokens",
//!              "output_tokens", "turns", "reason",
//!              "attempts": [{"number", "agent", "instance", "started_at", "finished_at",
//!                            "duration_ms", "outcome", "reason", "cost_usd", "input_tokens",
//!                            "output_tokens", "turns", "verification": [{"command", "exit_code",
//!                            "passed", "duration_ms", "output_tail"}]}],
//!              "answer": null | {"message_id", "at", "outcome", "structured", "summary",
//!                        "deliverables", "recommendations", "next_steps", "confidence_score",
//!                        "clarity_rating", "complexity_rating", "questions"},
//!              "result_file", "result"}],
//!   "agents": [{"id", "name", "instances", "tasks", "attempts", "failed_attempts", "busy_ms",
//!               "cost_usd", "input_tokens", "output_tokens", "turns"}],
//!   "timeline": {"start", "end", "span_ms",
//!                "lanes": [{"agent", "instance", "bars": [{"task_id", "attempt", "start_ms",
//!                           "end_ms", "running", "duration_ms", "outcome", "reason",
//!                           "cost_usd"}]}]},
//!   "questions" | "next_steps" | "recommendations": [{"task_id", "agent", "text"}],
//!   "problems": [{"file", "error"}]
//! }
//! ```
//!
//! Every object with a `cost_usd` also has `unpriced_turns` (calls of
//! unknown cost, not in `cost_usd`) when it is not 0.
//!
//! Times in a lane are milliseconds from `timeline.start`; a running
//! attempt ends at `generated_at`. `estimated_ms` is the plan's estimated
//! duration with `[run] parallel` slots and each agent's instances.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dashboard::snapshot::Problem;
use crate::picture::graph::PlanGraph;
use crate::report::flow::{self, Answer};
use crate::state::outcome::{AttemptOutcome, Outcome};
use crate::state::plan::{Priority, TaskType};
use crate::state::task::Verification;
use crate::state::usage::Usage;
use crate::time::Timestamp;

/// The version of the `report --json` document.
pub const REPORT_SCHEMA: u32 = 1;

/// The plan as it was asked for.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    /// The plan id.
    pub id: String,
    /// The user's request.
    pub request: String,
    /// Which planner made it.
    pub planner: String,
    /// The planning model, when an LLM planned.
    pub model: Option<String>,
    /// The plan's priority.
    pub priority: Priority,
    /// When it was created.
    pub created_at: Timestamp,
    /// Its deadline, as given.
    pub deadline: Option<String>,
    /// Context given to every task.
    pub context: BTreeMap<String, String>,
}

/// The figures of the whole plan.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Tasks in the plan.
    pub tasks: usize,
    /// Tasks by shown state (every state, zeros included).
    pub by_state: BTreeMap<String, usize>,
    /// Attempts made.
    pub attempts: usize,
    /// Finished attempts that did not succeed.
    pub failed_attempts: usize,
    /// Attempts beyond each task's first.
    pub retries: usize,
    /// What its agent calls used: cost, tokens, turns.
    #[serde(flatten)]
    pub usage: UsageReport,
    /// Summed wall time of finished attempts.
    pub agent_time_ms: u64,
    /// The first attempt's start.
    pub started_at: Option<Timestamp>,
    /// The last attempt's end (or now, while one runs).
    pub finished_at: Option<Timestamp>,
    /// From the first start to the last end.
    pub wall_ms: Option<u64>,
    /// The plan's estimated duration (`None` without a readable config).
    pub estimated_ms: Option<u64>,
    /// Task ids on the critical path.
    pub critical_path: Vec<String>,
    /// The critical path's estimated length.
    pub critical_path_ms: u64,
}

/// What agent calls used (a [`Usage`]), as the report writes it in the summary,
/// a task, an attempt or an agent: `cost_usd`, `unpriced_turns` (omitted when
/// 0), `input_tokens`, `output_tokens`, `turns`.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct UsageReport {
    /// Cost, USD.
    pub cost_usd: f64,
    /// Calls of unknown cost, not in `cost_usd` (omitted when 0).
    #[serde(skip_serializing_if = "crate::state::usage::is_zero")]
    pub unpriced_turns: u32,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Agent turns.
    pub turns: u32,
}

impl From<Usage> for UsageReport {
    fn from(usage: Usage) -> Self {
        UsageReport {
            cost_usd: usage.cost_usd,
            unpriced_turns: usage.unpriced_turns,
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            turns: usage.turns,
        }
    }
}

impl From<UsageReport> for Usage {
    fn from(report: UsageReport) -> Self {
        Usage {
            cost_usd: report.cost_usd,
            input_tokens: report.input_tokens,
            output_tokens: report.output_tokens,
            turns: report.turns,
            unpriced_turns: report.unpriced_turns,
        }
    }
}

/// One attempt, with the instance that ran it.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptReport {
    /// 1-based number.
    pub number: u32,
    /// The agent.
    pub agent: String,
    /// The agent instance (from the attempt's session).
    pub instance: u32,
    /// When it started.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
    /// Wall time (finished attempts).
    pub duration_ms: Option<u64>,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// Why it did not succeed.
    pub reason: Option<String>,
    /// What its agent calls used: cost, tokens, turns.
    #[serde(flatten)]
    pub usage: UsageReport,
    /// The verification commands and what they said.
    pub verification: Vec<Verification>,
}

impl AttemptReport {
    /// Returns whether it ended without success.
    pub fn failed(&self) -> bool {
        self.finished_at.is_some() && self.outcome != AttemptOutcome::Turn(Outcome::Success)
    }
}

/// The agent's latest structured answer to a task.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerReport {
    /// The `task_result` message.
    pub message_id: String,
    /// When it came.
    pub at: Timestamp,
    /// The turn's classified outcome.
    pub outcome: Option<String>,
    /// Whether the agent ended with the structured JSON block.
    pub structured: bool,
    /// Summary.
    pub summary: String,
    /// Deliverables.
    pub deliverables: Vec<String>,
    /// Recommendations.
    pub recommendations: Vec<String>,
    /// Next steps.
    pub next_steps: Vec<String>,
    /// Confidence 0–1.
    pub confidence_score: Option<f64>,
    /// How clear the task was to the agent, 1–10.
    pub clarity_rating: Option<u8>,
    /// How complex it was, 1–10.
    pub complexity_rating: Option<u8>,
    /// Questions for the team.
    pub questions: Vec<String>,
}

impl AnswerReport {
    /// Returns the report of a task's latest answer.
    pub fn from_answer(answer: &Answer) -> Self {
        let payload = &answer.payload;
        AnswerReport {
            message_id: answer.message_id.clone(),
            at: answer.at,
            outcome: payload
                .agent_feedback
                .as_ref()
                .map(|feedback| feedback.outcome.clone()),
            structured: payload.structured,
            summary: flow::result_about(Some(payload)),
            deliverables: payload.deliverables.clone(),
            recommendations: payload.recommendations.clone(),
            next_steps: payload.next_steps.clone(),
            confidence_score: payload.confidence_score,
            clarity_rating: payload.clarity_rating,
            complexity_rating: payload.complexity_rating,
            questions: payload.questions.clone(),
        }
    }
}

/// One task of the report.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    /// The task id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Type.
    #[serde(rename = "type")]
    pub task_type: TaskType,
    /// Priority.
    pub priority: Priority,
    /// The agent of its record, else the plan's.
    pub agent: Option<String>,
    /// Its shown state.
    pub state: &'static str,
    /// Dependencies.
    pub depends_on: Vec<String>,
    /// Estimated duration.
    pub estimate_ms: u64,
    /// Whether it is on the critical path.
    pub critical: bool,
    /// First start.
    pub started_at: Option<Timestamp>,
    /// When it reached its final state.
    pub finished_at: Option<Timestamp>,
    /// Summed wall time of its finished attempts.
    pub took_ms: Option<u64>,
    /// What its agent calls used: cost, tokens, turns.
    #[serde(flatten)]
    pub usage: UsageReport,
    /// Why it is not completed.
    pub reason: Option<String>,
    /// Every attempt.
    pub attempts: Vec<AttemptReport>,
    /// The agent's latest answer.
    pub answer: Option<AnswerReport>,
    /// `results/<task>.md`.
    pub result_file: String,
    /// Its text, when written.
    pub result: Option<String>,
}

/// What one agent did in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct AgentReport {
    /// The agent id.
    pub id: String,
    /// Its name ("Aria"), or the id when its file is unreadable.
    pub name: String,
    /// Its instances.
    pub instances: u32,
    /// The tasks it made attempts at.
    pub tasks: Vec<String>,
    /// Attempts.
    pub attempts: usize,
    /// Finished attempts that did not succeed.
    pub failed_attempts: usize,
    /// Summed wall time of its finished attempts.
    pub busy_ms: u64,
    /// What its agent calls used: cost, tokens, turns.
    #[serde(flatten)]
    pub usage: UsageReport,
}

/// One attempt on the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    /// The task.
    pub task_id: String,
    /// The task's index in the plan.
    #[serde(skip)]
    pub task_index: usize,
    /// The attempt number.
    pub attempt: u32,
    /// Start, in ms from the timeline's start.
    pub start_ms: u64,
    /// End, in ms from the timeline's start (now, while running).
    pub end_ms: u64,
    /// Whether it is still running.
    pub running: bool,
    /// Its recorded wall time (the agent's turn; verification may follow
    /// before `end_ms`).
    pub duration_ms: Option<u64>,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// Why it did not succeed.
    pub reason: Option<String>,
    /// Its cost, USD.
    pub cost_usd: f64,
    /// Calls of unknown cost, not in `cost_usd` (omitted when 0).
    #[serde(skip_serializing_if = "crate::state::usage::is_zero")]
    pub unpriced_turns: u32,
}

/// One agent instance's attempts, in time order.
#[derive(Debug, Clone, Serialize)]
pub struct Lane {
    /// The agent.
    pub agent: String,
    /// The instance.
    pub instance: u32,
    /// Its attempts.
    pub bars: Vec<Bar>,
}

/// Every attempt on one lane per agent instance.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// The first attempt's start.
    pub start: Option<Timestamp>,
    /// The last attempt's end (now, while one runs).
    pub end: Option<Timestamp>,
    /// From start to end, at least 1 ms.
    pub span_ms: u64,
    /// One lane per instance of every agent in the plan, idle ones too.
    pub lanes: Vec<Lane>,
}

/// A question, next step or recommendation, with the task it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// The task.
    pub task_id: String,
    /// The agent that said it.
    pub agent: Option<String>,
    /// What it said.
    pub text: String,
}

/// The `report --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The document's version ([`REPORT_SCHEMA`]).
    pub schema: u32,
    /// When it was computed.
    pub generated_at: Timestamp,
    /// The plan.
    pub plan: PlanSummary,
    /// Figures of the whole plan.
    pub summary: Summary,
    /// Every task, in plan order.
    pub tasks: Vec<TaskReport>,
    /// Every agent that has a task or made an attempt, in order of
    /// appearance.
    pub agents: Vec<AgentReport>,
    /// Every attempt on one lane per agent instance.
    pub timeline: Timeline,
    /// Open questions from the agents' latest answers.
    pub questions: Vec<Item>,
    /// Next steps the agents recommend.
    pub next_steps: Vec<Item>,
    /// The agents' recommendations.
    pub recommendations: Vec<Item>,
    /// Files that could not be read.
    pub problems: Vec<Problem>,
    /// The dependency graph (drawn by the HTML page).
    #[serde(skip)]
    pub graph: PlanGraph,
}
