//! One turn with an agent's session — the original `send_to_session`, used by
//! `nexus ask` and by the scheduler.
//!
//! Order matters for crash safety: the session lock is taken first (one turn
//! per session at a time); a new session's record and the assignment message
//! are on disk **before** the CLI is called (written side by side), so a
//! killed call is still resumable and its assignment recorded; the result
//! message, session update and memory entry are written after it.
//!
//! Its parts live beside it: the session a turn runs in (`session`), what
//! it recalls and remembers (`recall`), its messages (`messages`), costs
//! and budgets (`cost`) and the raw output log (`turn_log`).

mod cost;
mod messages;
mod recall;
mod session;
mod turn_log;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use crate::agents::backend::{
    AgentEvent, Backend, Exit, Outcome, Parsed, SessionMode, TurnContext, TurnOutput, TurnRequest,
    redacted_argv, resolve_program,
};
use crate::agents::personality;

use crate::context::Ctx;
use crate::exit::{Kind, tagged};
use crate::ids;
use crate::proc::signals::StopReceiver;
use crate::proc::supervise::{self, Spec};
use crate::state::agent::Agent;
use crate::state::background::{Write, join, spawn_json};
use crate::state::config::Config;
use crate::state::fs;
use crate::state::lock::LockGuard;
use crate::state::memory;
use crate::state::message::{self, AgentFeedback, ResultPayload, TaskPayload};
use crate::state::session::{CallRecord, SessionRecord, SessionStatus};
use crate::state::store::Store;
use crate::time::Timestamp;

pub use turn_log::MAX_LOG_BYTES;
use turn_log::TurnLog;

/// What the turn is about (a task of a plan, or a free `ask`).
#[derive(Debug, Clone, Default)]
pub struct TurnOptions {
    /// Start a fresh session even if one could be resumed.
    pub new_session: bool,
    /// A retry after a failure: the agent's stress response joins its prompt.
    pub under_stress: bool,
    /// A cost cap for this turn.
    pub max_budget_usd: Option<f64>,
    /// The message thread (a plan id, or `ask-<agent>`).
    pub thread: String,
    /// Priority for the messages.
    pub priority: String,
    /// The task, when the turn is part of a plan.
    pub task: Option<TaskPayload>,
    /// How long to wait for a session in use; `None` fails at once (busy).
    pub wait_for_session: Option<Duration>,
    /// Where to append the CLI's raw output.
    pub log_path: Option<PathBuf>,
    /// The directory the turn runs in (the project root when unset).
    pub cwd: Option<PathBuf>,
    /// Whether that directory is an isolated workspace (a worktree): the
    /// agent may then build and test there (`permission = "build"`).
    pub isolated: bool,
    /// A session check (`nexus sessions test`), not work: nothing is
    /// recalled into the prompt or remembered after it, and no structured
    /// answer is asked for.
    pub probe: bool,
}

/// What a turn did.
#[derive(Debug, Clone)]
pub struct TurnReport {
    /// The classified output.
    pub output: TurnOutput,
    /// The session used.
    pub session_id: String,
    /// Whether the session was resumed (vs. started).
    pub resumed: bool,
    /// Why the previous session was replaced, when it was.
    pub recovered: Option<String>,
    /// The assignment message id.
    pub assignment_id: String,
    /// The result message id.
    pub result_id: String,
    /// The result payload (structured block or plain text).
    pub result: ResultPayload,
    /// The argv, with long values shortened.
    pub argv: Vec<String>,
    /// The prompt that was sent.
    pub prompt: String,
    /// What the agent's process used (CPU time, peak memory), when the OS
    /// says.
    pub resources: Option<supervise::Resources>,
}

impl TurnReport {
    /// Returns whether the turn succeeded.
    pub fn succeeded(&self) -> bool {
        self.output.outcome == Outcome::Success
    }
}

/// One turn, ready to run: what `run` executes and `run --dry-run` shows.
#[derive(Debug, Clone)]
pub struct PreparedTurn {
    /// The backend.
    pub backend: &'static dyn Backend,
    /// New or resumed session.
    pub mode: SessionMode,
    /// Why the previous session is replaced, when it is.
    pub recovered: Option<String>,
    /// The full prompt.
    pub prompt: String,
    /// What the prompt recalls from the agent's memory (its opening block).
    pub recall: memory::Recall,
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// The argv as recorded (long values shortened).
    pub argv: Vec<String>,
    /// The child's whole environment.
    pub env: BTreeMap<String, String>,
    /// The working directory.
    pub cwd: PathBuf,
}

/// The settings a turn needs, resolved once.
#[derive(Debug, Clone)]
pub struct Runtime {
    /// The invocation context (env, clock).
    pub ctx: Ctx,
    /// The store.
    pub store: Store,
    /// The configuration.
    pub config: Config,
}

impl Runtime {
    /// Returns a runtime for `store` with `config`.
    pub fn new(ctx: &Ctx, store: Store, config: Config) -> Self {
        Runtime {
            ctx: ctx.clone(),
            store,
            config,
        }
    }

    /// Returns the backend that runs `agent`.
    pub fn backend(&self, agent: &Agent) -> Result<&'static dyn Backend> {
        let name = agent.backend_name(&self.config);
        crate::agents::backend_named(name).ok_or_else(|| {
            tagged(
                Kind::StateInvalid,
                format!(
                    "agent `{}` names backend `{name}`, which is not one of {}",
                    agent.id,
                    crate::agents::backend_names()
                ),
            )
        })
    }

    /// Returns the directory a turn runs in.
    pub fn turn_cwd(&self, options: &TurnOptions) -> PathBuf {
        options
            .cwd
            .clone()
            .unwrap_or_else(|| self.store.project_root())
    }

    /// Returns the environment of a command nexus runs itself (`verify`):
    /// the allow-list, `pass_env`, and `NEXUS_DIR` — no backend's variables.
    pub fn command_env(&self) -> BTreeMap<String, String> {
        crate::proc::env::build(
            self.ctx.env(),
            &[],
            &self.config.agent_backend.pass_env,
            &[],
            &self.nexus_dir_env(),
        )
    }

    fn nexus_dir_env(&self) -> BTreeMap<String, String> {
        let root = std::path::absolute(self.store.root())
            .unwrap_or_else(|_| self.store.root().to_path_buf());
        BTreeMap::from([(
            crate::env_vars::NEXUS_DIR.to_string(),
            root.display().to_string(),
        )])
    }

    /// Returns the environment of an agent's CLI: the allow-list, what its
    /// backend declares, `pass_env`, `[agent_backend.env]`, `NEXUS_DIR`.
    pub fn agent_env(
        &self,
        backend: &dyn Backend,
        agent: Option<&Agent>,
    ) -> Result<BTreeMap<String, String>> {
        let plan = backend.env(&self.config, agent, self.ctx.env())?;
        let mut set = self.nexus_dir_env();
        set.extend(plan.set);
        for (key, value) in &self.config.agent_backend.env {
            set.insert(key.clone(), value.clone());
        }
        Ok(crate::proc::env::build(
            self.ctx.env(),
            &plan.pass,
            &self.config.agent_backend.pass_env,
            &plan.deny,
            &set,
        ))
    }

    /// Returns the executable of `backend` for `agent`.
    pub fn program(&self, backend: &dyn Backend, agent: Option<&Agent>) -> Result<PathBuf> {
        let settings = backend.settings(&self.config, agent, true)?;
        Ok(resolve_program(
            backend,
            &settings.command,
            self.ctx.env(),
            &self.ctx.cwd,
        ))
    }

    /// Returns the process spec of a prepared turn.
    fn spec(&self, turn: &PreparedTurn) -> Spec {
        let backend = &self.config.agent_backend;
        Spec {
            program: turn.program.clone(),
            args: turn.args.clone(),
            cwd: turn.cwd.clone(),
            env: Some(turn.env.clone()),
            timeout: backend.timeout.0,
            inactivity: backend.inactivity_timeout.0,
            grace: backend.grace.0,
            leak_timeout: backend.leak_timeout.0,
            inherit_fd: None,
        }
    }

    /// Returns the spec of a command nexus runs itself (`verify`) in `cwd`.
    pub fn command_spec(&self, command: &str, cwd: &Path) -> Spec {
        let backend = &self.config.agent_backend;
        Spec {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), format!("exec 2>&1\n{command}").into()],
            cwd: cwd.to_path_buf(),
            env: Some(self.command_env()),
            timeout: backend.timeout.0,
            inactivity: backend.timeout.0,
            grace: backend.grace.0,
            leak_timeout: backend.leak_timeout.0,
            inherit_fd: None,
        }
    }

    fn now(&self) -> Timestamp {
        self.ctx.now()
    }

    /// Prepares one turn: the prompt, the argv and the environment, for
    /// `mode`. The one place both `run` and `run --dry-run` get them from.
    pub fn prepare_turn(
        &self,
        agent: &Agent,
        message_text: &str,
        options: &TurnOptions,
        mode: SessionMode,
        recovered: Option<String>,
    ) -> Result<PreparedTurn> {
        let backend = self.backend(agent)?;
        let (prompt, recall) = self.compose(
            agent,
            message_text,
            &mode,
            recovered.as_deref(),
            options.probe,
        )?;
        let request = TurnRequest {
            config: &self.config,
            agent,
            session: mode.clone(),
            system_prompt: personality::system_prompt(agent, options.under_stress),
            prompt: prompt.clone(),
            max_budget_usd: options.max_budget_usd,
            isolated: options.isolated,
        };
        let args = backend.turn_args(&request)?;
        let program = self.program(backend, Some(agent))?;
        Ok(PreparedTurn {
            backend,
            argv: redacted_argv(&program, &args),
            mode,
            recovered,
            prompt,
            recall,
            program,
            args,
            env: self.agent_env(backend, Some(agent))?,
            cwd: self.turn_cwd(options),
        })
    }

    /// Runs one turn: see the module docs for the order of writes. Every
    /// event of the agent's output goes to `on_event` as it comes.
    pub async fn send(
        &self,
        agent: &Agent,
        instance: u32,
        message_text: &str,
        options: &TurnOptions,
        stop: StopReceiver,
        on_event: impl FnMut(&AgentEvent),
    ) -> Result<TurnReport> {
        let session_lock = self
            .lock_session(agent, instance, options.wait_for_session, &stop)
            .await?;
        self.send_locked(
            &session_lock,
            agent,
            instance,
            message_text,
            options,
            stop,
            on_event,
        )
        .await
    }

    /// Runs one turn whose session lock the caller holds (and may keep
    /// holding after it, e.g. through commit and verification). A resumed
    /// session the CLI no longer knows is replaced once by a fresh one.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_locked(
        &self,
        session_lock: &LockGuard,
        agent: &Agent,
        instance: u32,
        message_text: &str,
        options: &TurnOptions,
        stop: StopReceiver,
        mut on_event: impl FnMut(&AgentEvent),
    ) -> Result<TurnReport> {
        let previous = self.load_session(&agent.id, instance)?;
        let backend = self.backend(agent)?;
        let cwd = self.turn_cwd(options);
        let (mut mode, mut recovered) =
            self.choose_session(backend, agent, previous.as_ref(), options.new_session, &cwd)?;
        let mut attempts_left = 2;
        loop {
            attempts_left -= 1;
            let turn = self.prepare_turn(agent, message_text, options, mode, recovered)?;
            let mut flight = self
                .begin(agent, instance, options, turn, previous.as_ref())
                .await?;
            let (output, resources) = self
                .call(&mut flight, session_lock, stop.clone(), &mut on_event)
                .await?;
            let session_write = self.record_call(&mut flight, previous.as_ref(), &output)?;
            if output.outcome == Outcome::SessionNotFound
                && flight.turn.mode.is_resume()
                && attempts_left > 0
            {
                // The CLI no longer knows the session (e.g. its data was
                // cleaned): recover with a fresh one and a recap.
                recovered = Some(
                    output
                        .reason
                        .clone()
                        .unwrap_or_else(|| "no conversation found".to_string()),
                );
                mode = SessionMode::New(ids::uuid_v4());
                join([session_write]).await?;
                continue;
            }
            return self
                .conclude(flight, message_text, output, resources, session_write)
                .await;
        }
    }

    /// Starts a turn: a new session's record and the assignment message go
    /// to disk side by side, and both are there before the call, so a killed
    /// call stays resumable and its assignment is recorded.
    async fn begin<'a>(
        &self,
        agent: &'a Agent,
        instance: u32,
        options: &'a TurnOptions,
        turn: PreparedTurn,
        previous: Option<&SessionRecord>,
    ) -> Result<InFlight<'a>> {
        let session_path = self.store.session_path(&agent.id, instance);
        let (session, record_write) = match (&turn.mode, previous) {
            (SessionMode::Resume(_), Some(existing)) => (existing.clone(), None),
            _ => {
                let recovery = turn
                    .recovered
                    .as_deref()
                    .zip(previous.map(|record| record.session_id.as_str()))
                    .map(|(reason, from)| (from, reason));
                let fresh = self.new_record(agent, instance, &turn, recovery);
                let write = spawn_json(session_path.clone(), fresh.clone());
                (fresh, Some(write))
            }
        };
        let started_at = self.now();
        // A new session's id is provisional until the CLI names it when the
        // CLI does not take one (Codex): the assignment names none then.
        let known = turn.mode.is_resume() || turn.backend.presets_session_id();
        let (assignment_id, assignment_write) = self.write_assignment(
            agent,
            instance,
            known.then_some(session.session_id.as_str()),
            &turn.prompt,
            options,
            started_at,
        )?;
        join([record_write, Some(assignment_write)]).await?;
        Ok(InFlight {
            agent,
            instance,
            options,
            turn,
            session,
            session_path,
            assignment_id,
            started_at,
        })
    }

    /// Runs the agent's CLI for the turn: each line of its output goes to
    /// the log, each event to `on_event`. Returns the priced output and what
    /// the process used.
    async fn call(
        &self,
        flight: &mut InFlight<'_>,
        session_lock: &LockGuard,
        stop: StopReceiver,
        on_event: &mut impl FnMut(&AgentEvent),
    ) -> Result<(TurnOutput, Option<supervise::Resources>)> {
        let mut log = self.open_log(flight)?;
        let turn = &flight.turn;
        let mut spec = self.spec(turn);
        // The CLI inherits the session lock: if nexus is killed (-9) the
        // turn goes on in the orphan and the session stays locked until
        // it ends, so no second turn can split its transcript.
        spec.inherit_fd = Some(session_lock.raw_fd());
        let context = TurnContext {
            previous_totals: if turn.mode.is_resume() {
                flight.session.cli_totals
            } else {
                None
            },
        };
        let mut parser = turn.backend.parser(&context);
        // A CLI that names its own sessions (Codex) says which in its
        // first event: the record takes that id at once, so a call
        // killed from here on is still resumable.
        let learns_id = !turn.backend.presets_session_id() && !turn.mode.is_resume();
        let mut id_write: Option<Write> = None;
        let session = &mut flight.session;
        let session_path = &flight.session_path;
        let finished = supervise::run(&spec, stop, |line| {
            if let Some(log) = &mut log {
                log.line(line);
            }
            if let Parsed::Events(events) = parser.line(line) {
                for event in &events {
                    if learns_id
                        && id_write.is_none()
                        && let AgentEvent::Init {
                            session_id: Some(reported),
                            ..
                        } = event
                        && ids::is_uuid(reported)
                    {
                        session.session_id.clone_from(reported);
                        id_write = Some(spawn_json(session_path.clone(), session.clone()));
                    }
                    on_event(event);
                }
            }
        })
        .await;
        join([id_write]).await?;
        let (mut output, resources) = match finished {
            Ok(finished) => {
                if let Some(log) = log.take() {
                    log.finish(&finished.stderr_tail)?;
                }
                (parser.finish(&Exit::of(&finished)), finished.resources)
            }
            Err(error) => (turn.backend.spawn_error(&error), None),
        };
        self.price(
            &mut output,
            turn.backend,
            flight.agent,
            flight.options.isolated,
        )?;
        Ok((output, resources))
    }

    /// Opens the turn's log, when it has one, and writes its header line.
    fn open_log(&self, flight: &InFlight<'_>) -> Result<Option<TurnLog>> {
        let Some(path) = &flight.options.log_path else {
            return Ok(None);
        };
        let mut log = TurnLog::open(path, self.ctx.ui.redactor().clone())?;
        let turn = &flight.turn;
        let header = serde_json::json!({
            "type": "nexus_turn",
            "agent": flight.agent.id,
            "instance": flight.instance,
            "backend": turn.backend.name(),
            "session_id": flight.session.session_id,
            "resume": turn.mode.is_resume(),
            "cwd": turn.cwd,
            "started_at": flight.started_at,
            "argv": turn.argv,
        });
        log.line(&header.to_string());
        Ok(Some(log))
    }

    /// Records the call in the session (its use, status, CLI version and
    /// totals, the session id the CLI reported, the call itself); returns
    /// the write. A new session whose call never reached the CLI leaves the
    /// previous record (if any) as it was.
    fn record_call(
        &self,
        flight: &mut InFlight<'_>,
        previous: Option<&SessionRecord>,
        output: &TurnOutput,
    ) -> Result<Option<Write>> {
        let outcome = output.outcome;
        if outcome.never_ran() && matches!(flight.turn.mode, SessionMode::New(_)) {
            // Nothing reached the CLI: keep the previous record (if any).
            match previous {
                Some(previous) => fs::write_json(&flight.session_path, previous)?,
                None => fs::remove_file(&flight.session_path)?,
            };
            return Ok(None);
        }
        let session = &mut flight.session;
        session.last_used_at = self.now();
        session.turns += 1;
        session.add_usage(&output.usage);
        session.status = if outcome == Outcome::Success {
            SessionStatus::Ok
        } else {
            SessionStatus::Failed
        };
        if output.cli_version.is_some() {
            session.cli_version.clone_from(&output.cli_version);
        }
        if output.cumulative.is_some() {
            session.cli_totals = output.cumulative;
        }
        if let Some(reported) = output.session_id.as_ref().filter(|id| ids::is_uuid(id)) {
            session.session_id.clone_from(reported);
        }
        session.last_call = Some(CallRecord {
            argv: flight.turn.argv.clone(),
            started_at: flight.started_at,
            duration_ms: output.duration_ms,
            exit_code: output.exit_code,
            outcome: outcome.name().to_string(),
            leaked: output.leaked,
        });
        Ok(Some(spawn_json(
            flight.session_path.clone(),
            session.clone(),
        )))
    }

    /// Ends the turn: the result message and the memory entry are written
    /// beside the session update, and all of them are on disk before the
    /// report.
    async fn conclude(
        &self,
        flight: InFlight<'_>,
        message_text: &str,
        output: TurnOutput,
        resources: Option<supervise::Resources>,
        session_write: Option<Write>,
    ) -> Result<TurnReport> {
        let outcome = output.outcome;
        let mut result = message::result_payload(&output.reply);
        result.agent_feedback = Some(AgentFeedback {
            outcome: outcome.name().to_string(),
            reason: output.reason.clone(),
            cost_usd: output.usage.cost_usd,
            input_tokens: output.usage.input_tokens,
            output_tokens: output.usage.output_tokens,
            turns: output.usage.turns,
            unpriced_turns: output.usage.unpriced_turns,
            permission_denials: output.permission_denials.clone(),
            cli_version: output.cli_version.clone(),
        });
        let (result_id, result_write) = self.write_result(&flight, &result, &output)?;
        let memory_write =
            if outcome.never_ran() || flight.options.probe || !flight.agent.memory.remembers() {
                None
            } else {
                Some(self.remember(&flight, message_text, &output))
            };
        join([session_write, Some(result_write), memory_write]).await?;
        Ok(TurnReport {
            session_id: flight.session.session_id.clone(),
            resumed: flight.turn.mode.is_resume(),
            recovered: flight.turn.recovered,
            assignment_id: flight.assignment_id,
            result_id,
            result,
            argv: flight.turn.argv,
            prompt: flight.turn.prompt,
            output,
            resources,
        })
    }
}

/// A turn under way: who runs it, what was prepared, the session record it
/// updates and the assignment it answers.
struct InFlight<'a> {
    agent: &'a Agent,
    instance: u32,
    options: &'a TurnOptions,
    turn: PreparedTurn,
    session: SessionRecord,
    session_path: PathBuf,
    assignment_id: String,
    started_at: Timestamp,
}
