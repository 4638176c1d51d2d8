//! The command-line surface: clap derive types, one `<Name>Args` per command.
//! Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::state::config::PlannerKind;
use crate::state::plan::Priority;

/// Orchestrates a team of AI coding agents (Claude Code sessions) from plain
/// files under `.nexus/`.
#[derive(Debug, Parser)]
#[command(name = "nexus", version, about, long_about = None, max_term_width = 100)]
#[command(
    after_help = "Exit codes: 0 ok, 1 error, 2 usage, 3 tasks failed, 4 busy, 5 invalid state, \
6 brain failed, 7 plan invalid, 8 untrusted, 130 interrupted."
)]
pub struct Cli {
    /// The `.nexus` directory to use (default: found by walking up from the cwd).
    #[arg(long, global = true, env = "NEXUS_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print data as JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Print only data and errors, no progress or notes.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create `.nexus/` here: config, the four default agents, `.gitignore`.
    Init(InitArgs),
    /// Turn a request into a plan of tasks (prints the plan id).
    Plan(PlanArgs),
    /// Give unassigned tasks an agent, or assign one task by hand.
    Assign(AssignArgs),
    /// Run a plan's ready tasks in dependency order, in parallel.
    Run(RunArgs),
    /// Write a plan's DAG for make, Slurm or GitHub Actions, each task one
    /// `nexus run PLAN --task T`, or its statuses back into Task Master.
    Export(ExportArgs),
    /// Mark tasks that can no longer run (a dependency failed) as blocked,
    /// after an external executor stopped; runs no agent.
    Reconcile(ReconcileArgs),
    /// Send one message to an agent's session and print the reply.
    Ask(AskArgs),
    /// Show the dashboard (agents, load, plans, tasks, cost), or one task in full.
    Status(StatusArgs),
    /// Print metrics in the Prometheus text format.
    Metrics(MetricsArgs),
    /// Print a task's agent transcript.
    Log(LogArgs),
    /// Collect what each agent did: results, verification, questions, next
    /// steps (Markdown, `--json`, or one HTML page with `--html`).
    Report(ReportArgs),
    /// List the protocol messages in order: who sent what to whom, when,
    /// about which task (text, `--json`, or a Mermaid sequence diagram).
    Messages(MessagesArgs),
    /// Draw a plan's dependency graph with states, estimates and the
    /// critical path (Mermaid, Graphviz DOT or SVG).
    Graph(GraphArgs),
    /// List and inspect agents.
    #[command(subcommand)]
    Agents(AgentsCommand),
    /// Inspect, check and collect agent session records.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Show or reset an agent's memory.
    #[command(subcommand)]
    Memory(MemoryCommand),
    /// Check the installation: `.nexus`, files, agent CLIs, API key, trust.
    Doctor(DoctorArgs),
    /// Allow the commands committed in `.nexus` (verify, checks) to run here.
    Trust(TrustArgs),
    /// Show what a plan (or one task) changed, from its branch.
    Diff(DiffArgs),
    /// Bring a finished plan's branch into your current branch.
    Land(LandArgs),
    /// Take a merged task back out of its plan's branch and queue it again.
    Reject(RejectArgs),
    /// List and prune the agents' worktrees and nexus's branches.
    #[command(subcommand)]
    Workspaces(WorkspacesCommand),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// `nexus init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Overwrite config and default agents with the defaults.
    #[arg(long)]
    pub force: bool,
}

/// `nexus plan`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct PlanArgs {
    /// Act on an existing plan instead of making one.
    #[command(subcommand)]
    pub action: Option<PlanCommand>,
    /// What the team should do (with `--revise`: optional guidance for the
    /// revision).
    #[arg(required_unless_present_any = ["from", "revise"], value_name = "REQUEST")]
    pub request: Option<String>,
    /// Import a plan file instead of asking a planner: a nexus plan (JSON)
    /// or a Task Master `tasks.json`; `-` reads stdin.
    #[arg(long, value_name = "FILE", conflicts_with = "planner")]
    pub from: Option<PathBuf>,
    /// The format of `--from` (default: recognised from the file).
    #[arg(long, value_enum, value_name = "FORMAT", requires = "from")]
    pub input_format: Option<InputFormat>,
    /// The Task Master tag to import (default: `master`).
    #[arg(long, value_name = "NAME", requires = "from")]
    pub tag: Option<String>,
    /// The planner (default: `NEXUS_PLANNER`, else `[brain] planner` in config).
    #[arg(long, value_enum)]
    pub planner: Option<PlannerKind>,
    /// The model for the openai or claude planner.
    #[arg(long)]
    pub model: Option<String>,
    /// The plan's priority.
    #[arg(long, value_enum)]
    pub priority: Option<Priority>,
    /// A deadline, passed to the planner and agents as written.
    #[arg(long)]
    pub deadline: Option<String>,
    /// Context for the planner and every task (repeatable).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Context from a file: a JSON object or `KEY=VALUE` lines.
    #[arg(long, value_name = "FILE")]
    pub context_file: Option<PathBuf>,
    /// The plan id (default: a new random id).
    #[arg(long)]
    pub id: Option<String>,
    /// Print the plan without writing it.
    #[arg(long)]
    pub dry_run: bool,
    /// Revise this plan in the light of what completed and what failed
    /// (kept tasks stay; the old version goes to its history); shows the
    /// changes and asks before writing.
    #[arg(
        long,
        value_name = "PLAN",
        conflicts_with_all = ["from", "id", "priority", "deadline", "context", "context_file"]
    )]
    pub revise: Option<String>,
    /// Write the revision without asking (needed when stdin is not a terminal).
    #[arg(long, short = 'y', requires = "revise")]
    pub yes: bool,
}

/// `nexus plan --input-format`: what `--from` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// A claude-task-master `tasks.json` (`.taskmaster/tasks/tasks.json`).
    Taskmaster,
    /// A nexus plan: tasks with `depends_on`, or a stored `plan.json`.
    Nexus,
}

/// `nexus plan <action>`.
#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Delete a plan: its files under `.nexus` and its branches.
    Rm(PlanRmArgs),
    /// Adopt the checks a planner's model suggested as the task's `verify`
    /// commands (shown by `nexus status PLAN TASK`; never run until adopted).
    Adopt(AdoptArgs),
}

/// `nexus plan rm`.
#[derive(Debug, Args)]
pub struct PlanRmArgs {
    /// The plan (id or unique prefix).
    pub plan: String,
    /// Do not ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `nexus diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The plan (id or unique prefix; default: the newest).
    pub plan: Option<String>,
    /// One task: what it changed against the tip it started from.
    pub task: Option<String>,
    /// Only the files changed and their line counts.
    #[arg(long)]
    pub stat: bool,
}

/// `nexus land`.
#[derive(Debug, Args)]
pub struct LandArgs {
    /// The plan (id or unique prefix; default: the newest).
    pub plan: Option<String>,
    /// One commit with all of the plan's changes instead of its history.
    #[arg(long)]
    pub squash: bool,
    /// Land what is merged even though tasks are not completed.
    #[arg(long)]
    pub partial: bool,
}

/// `nexus reject`.
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The plan (id or unique prefix).
    pub plan: String,
    /// The merged task to take back out.
    pub task: String,
    /// Why: the agent reads it when it does the task again.
    #[arg(long)]
    pub reason: String,
}

/// `nexus workspaces …`.
#[derive(Debug, Subcommand)]
pub enum WorkspacesCommand {
    /// List the agents' worktrees: commit, changes, size, idle time.
    List,
    /// Remove idle worktrees and the branches of finished or deleted plans.
    Prune(PruneArgs),
}

/// `nexus workspaces prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Print what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove idle worktrees that hold uncommitted changes (kept
    /// otherwise, and named).
    #[arg(long)]
    pub force: bool,
}

/// `nexus plan adopt`.
#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// The plan (id or unique prefix).
    pub plan: String,
    /// Only this task (default: every task with suggested checks).
    pub task: Option<String>,
}

/// `nexus trust`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Only list the commands and whether they are trusted; change nothing.
    #[arg(long, conflicts_with = "revoke")]
    pub list: bool,
    /// Forget every command trusted for this `.nexus`.
    #[arg(long)]
    pub revoke: bool,
}

/// `nexus assign`.
#[derive(Debug, Args)]
pub struct AssignArgs {
    /// The plan (id or unique prefix; default: the newest).
    pub plan: Option<String>,
    /// A task to assign by hand.
    #[arg(requires = "agent")]
    pub task: Option<String>,
    /// The agent for that task.
    pub agent: Option<String>,
    /// Reassign a task that is running or finished.
    #[arg(long)]
    pub force: bool,
}

/// `nexus run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The plan (id or unique prefix; default: the newest).
    pub plan: Option<String>,
    /// Run exactly this task (its dependencies must be completed).
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// With `--task`: run even if dependencies are not completed.
    #[arg(long)]
    pub force: bool,
    /// Tasks at the same time (default: `[run] parallel`).
    #[arg(long, short = 'j', value_name = "N")]
    pub parallel: Option<u32>,
    /// Stop scheduling before the plan's cost would pass this (USD).
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
    /// Run failed and blocked tasks again.
    #[arg(long)]
    pub retry_failed: bool,
    /// Print the argv and prompt of every task that would run; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// In a git repository: the commit the plan's first run starts from
    /// (default: `HEAD`); its integration branch `nexus/<plan>` starts there.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
}

/// `nexus export --to`: the executors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTarget {
    /// A Makefile: one target per task, for `make -jN`.
    Make,
    /// A script of `sbatch` jobs with `afterok` dependencies and a last
    /// reconcile job.
    Slurm,
    /// A workflow with one job per task and `needs:` from the dependencies.
    GithubActions,
    /// The statuses nexus reached, written back into the Task Master file
    /// the plan was imported from (in place, or `-o FILE`).
    Taskmaster,
}

/// `nexus export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The plan (id or unique prefix; default: the newest).
    pub plan: Option<String>,
    /// The executor to write for.
    #[arg(long, value_enum, value_name = "EXECUTOR")]
    pub to: ExportTarget,
    /// Write exactly this file (atomically; never through a symlink)
    /// instead of stdout (`-` is stdout). Task Master: instead of the
    /// imported file (which is the default), or the file to update when the
    /// plan remembers none.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// How jobs call nexus (default: `nexus`, found on the executor's PATH).
    #[arg(long, value_name = "PROGRAM")]
    pub nexus: Option<String>,
    /// Slurm: every job's partition (an agent's `[slurm]` table overrides
    /// this and the three below).
    #[arg(long, value_name = "NAME", help_heading = "Slurm")]
    pub partition: Option<String>,
    /// Slurm: every job's time limit (`MINUTES`, `H:MM:SS`, `D-HH:MM:SS`).
    #[arg(long, value_name = "TIME", help_heading = "Slurm")]
    pub time: Option<String>,
    /// Slurm: CPUs per task.
    #[arg(long, value_name = "N", help_heading = "Slurm")]
    pub cpus_per_task: Option<u32>,
    /// Slurm: memory per job (`4096`, `8G`).
    #[arg(long, value_name = "SIZE", help_heading = "Slurm")]
    pub mem: Option<String>,
    /// GitHub Actions: the runner label (default: `ubuntu-latest`).
    #[arg(long, value_name = "LABEL", help_heading = "GitHub Actions")]
    pub runs_on: Option<String>,
    /// GitHub Actions: a repository secret every task step gets as the
    /// environment variable of the same name (repeatable; default:
    /// `ANTHROPIC_API_KEY`).
    #[arg(long = "secret", value_name = "NAME", help_heading = "GitHub Actions")]
    pub secrets: Vec<String>,
    /// GitHub Actions: a shell command run before nexus in every job, such
    /// as installing nexus and the agent's CLI (repeatable).
    #[arg(
        long = "setup",
        value_name = "COMMAND",
        help_heading = "GitHub Actions"
    )]
    pub setup: Vec<String>,
}

/// `nexus reconcile`.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The plan (id or unique prefix; default: the newest).
    pub plan: Option<String>,
}

/// `nexus status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The plan (id or unique prefix; default: all plans).
    pub plan: Option<String>,
    /// One task of PLAN in full: attempts, verification, session, result.
    #[arg(requires = "plan")]
    pub task: Option<String>,
    /// Redraw in place every `--interval` until Ctrl-C (one frame when stdout
    /// is not a terminal).
    #[arg(long)]
    pub watch: bool,
    /// Seconds between redraws with `--watch`.
    #[arg(long, default_value_t = 1.0, value_name = "S")]
    pub interval: f64,
}

/// `nexus ask`.
#[derive(Debug, Args)]
pub struct AskArgs {
    /// The agent (id or unique prefix).
    pub agent: String,
    /// The message; `-` reads it from stdin.
    pub message: String,
    /// Start a fresh session instead of resuming.
    #[arg(long)]
    pub new_session: bool,
    /// The agent instance (0-based).
    #[arg(long, default_value_t = 0)]
    pub instance: u32,
}

/// `nexus agents`.
#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// List the agents.
    List,
    /// Show one agent's full profile and the system prompt nexus builds.
    Show(AgentArg),
}

/// One agent.
#[derive(Debug, Args)]
pub struct AgentArg {
    /// The agent (id or unique prefix).
    pub agent: String,
}

/// `nexus sessions`.
#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List session records with age, idle time, turns, cost and validity.
    List,
    /// Show an agent's session records.
    Show(AgentArg),
    /// Check every session's transcript (no tokens spent).
    Check,
    /// Remove records idle past the TTL, without a transcript, or orphaned,
    /// and memory entries past each agent's `[memory] max_conversations`.
    Gc(GcArgs),
    /// Test each agent's session for real: create or resume it, check it is
    /// persisted, resume it, check recovery (one or two short turns each;
    /// the cost estimate is shown first).
    Test(SessionsTestArgs),
}

/// `nexus sessions test`.
#[derive(Debug, Args)]
pub struct SessionsTestArgs {
    /// The agents (ids or unique prefixes; default: every agent).
    pub agents: Vec<String>,
    /// Start without asking (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `nexus sessions gc`.
#[derive(Debug, Args)]
pub struct GcArgs {
    /// Idle time past which a record is removed (default: `[sessions] ttl`).
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<crate::time::HumanDuration>,
    /// Print what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `nexus memory`.
#[derive(Debug, Subcommand)]
pub enum MemoryCommand {
    /// Show an agent's remembered interactions.
    Show(MemoryShowArgs),
    /// Forget an agent's interactions.
    Reset(AgentArg),
}

/// `nexus memory show`.
#[derive(Debug, Args)]
pub struct MemoryShowArgs {
    /// The agent (id or unique prefix).
    pub agent: String,
    /// Show only the last N entries.
    #[arg(long, short = 'n', value_name = "N")]
    pub last: Option<usize>,
}

/// `nexus log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The plan (id or unique prefix).
    pub plan: String,
    /// The task (id or unique prefix).
    pub task: String,
    /// Keep printing as the transcript grows, until the task stops running
    /// or Ctrl-C. `--json` prints the raw stream-json lines.
    #[arg(long, short = 'f')]
    pub follow: bool,
}

/// `nexus metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {}

/// `nexus report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The plan (id or unique prefix; default: the newest).
    pub plan: Option<String>,
    /// One self-contained HTML page (summary, graph, timeline, cost per
    /// agent, every task's result); readable offline, no script.
    #[arg(long, conflicts_with = "timeline")]
    pub html: bool,
    /// Only the timeline, as SVG: every attempt on one lane per agent
    /// instance.
    #[arg(long)]
    pub timeline: bool,
    /// Write to FILE (atomically; a symlink there is refused) instead of
    /// stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `nexus messages`.
#[derive(Debug, Args)]
pub struct MessagesArgs {
    /// A plan (id or unique prefix) or a thread (`ask-<agent>`); default:
    /// every thread.
    #[arg(value_name = "PLAN|THREAD")]
    pub scope: Option<String>,
    /// How to show them.
    #[arg(long, value_enum, default_value_t = MessagesFormat::Text)]
    pub format: MessagesFormat,
    /// Write to FILE (atomically; a symlink there is refused) instead of
    /// stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `nexus messages --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MessagesFormat {
    /// One line per message.
    Text,
    /// A Mermaid `sequenceDiagram`, with `par` blocks where tasks overlapped.
    Mermaid,
}

/// `nexus graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The plan (id or unique prefix; default: the newest).
    pub plan: Option<String>,
    /// The picture's language (default: mermaid).
    #[arg(long, value_enum)]
    pub format: Option<GraphFormat>,
    /// Write to FILE (atomically; a symlink there is refused) instead of
    /// stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `nexus graph --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart (renders on GitHub and GitLab).
    Mermaid,
    /// Graphviz DOT (`| dot -Tpng`).
    Dot,
    /// SVG, laid out by nexus itself.
    Svg,
}

/// `nexus doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {}

/// `nexus completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
