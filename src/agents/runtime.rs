//! One turn with an agent's session — the original `send_to_session`, used by
//! `nexus ask` and by the scheduler.
//!
//! Order matters for crash safety: the session lock is taken first (one turn
//! per session at a time); a new session's record and the assignment message
//! are on disk **before** the CLI is called (written side by side), so a
//! killed call is still resumable and its assignment recorded; the result
//! message, session update and memory entry are written after it.

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
use crate::agents::sessions::{self, Validity};
use crate::context::Ctx;
use crate::exit::{Kind, tagged};
use crate::ids;
use crate::proc::signals::{Stop, StopReceiver};
use crate::proc::supervise::{self, Spec};
use crate::state::agent::Agent;
use crate::state::config::Config;
use crate::state::fs;
use crate::state::lock::{self, Holder, LockGuard};
use crate::state::memory::{self, Entry, EntryKind};
use crate::state::message::{
    self, AgentFeedback, Message, MessageStatus, MessageType, Party, Payload, ResultPayload,
    TaskPayload,
};
use crate::state::session::{CallRecord, SessionRecord, SessionStatus};
use crate::state::store::Store;
use crate::time::Timestamp;

/// A compact agent's recap, in characters (a small model's context is small).
const COMPACT_RECAP_CHARS: u32 = 1500;

/// The most raw output one turn writes to its log; the rest is counted and
/// the log says so.
pub const MAX_LOG_BYTES: u64 = 64 << 20;

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

    /// Takes the session lock of an agent instance. While it waits (`run`),
    /// `on_wait` hears every 30 s who holds it.
    pub async fn lock_session(
        &self,
        agent: &Agent,
        instance: u32,
        wait: Option<Duration>,
        stop: &StopReceiver,
    ) -> Result<LockGuard> {
        let path = self.store.session_lock(&agent.id, instance);
        let what = if instance == 0 {
            format!("the session of agent `{}`", agent.id)
        } else {
            format!("the session of agent `{}` instance {instance}", agent.id)
        };
        let holder = Holder::current(self.now());
        let started = std::time::Instant::now();
        let mut stop = stop.clone();
        let mut next_note = started;
        loop {
            if *stop.borrow() != Stop::None {
                return Err(tagged(
                    Kind::Interrupted,
                    format!("interrupted while waiting for {what}"),
                ));
            }
            // Polling (`run`) tries once per round; failing at once (`ask`)
            // retries briefly so a reader's probe is not taken for a turn.
            let attempt = if wait.is_some() {
                lock::try_exclusive_once(&path, &what, &holder)
            } else {
                lock::try_exclusive(&path, &what, &holder)
            };
            match attempt {
                Ok(guard) => return Ok(guard),
                Err(error) => match wait {
                    Some(limit)
                        if started.elapsed() < limit
                            && crate::exit::code_for(&error) == crate::exit::BUSY =>
                    {
                        // Never wait silently: say who holds the session
                        // (perhaps an agent orphaned by a killed nexus) and
                        // for how long we have waited, every 30 s.
                        if std::time::Instant::now() >= next_note {
                            let holders = lock::describe_holders(&path)
                                .unwrap_or_else(|| "another process".to_string());
                            self.ctx.ui.note(&format!(
                                "waiting for {what}, held by {holders} (waited {} of at most {})",
                                crate::time::short_duration(started.elapsed()),
                                crate::time::short_duration(limit)
                            ));
                            next_note += Duration::from_secs(30);
                        }
                        tokio::select! {
                            () = tokio::time::sleep(Duration::from_millis(100)) => {}
                            changed = stop.changed() => {
                                if changed.is_err() {
                                    // Nobody can ask us to stop any more.
                                    tokio::time::sleep(Duration::from_millis(100)).await;
                                }
                            }
                        }
                    }
                    _ => return Err(error),
                },
            }
        }
    }

    /// Reads an instance's session record, if any.
    pub fn load_session(&self, agent_id: &str, instance: u32) -> Result<Option<SessionRecord>> {
        let path = self.store.session_path(agent_id, instance);
        match fs::read_optional(&path)? {
            Some(text) => Ok(Some(fs::parse_json(&path, &text)?)),
            None => Ok(None),
        }
    }

    /// Decides between resuming and starting; returns the mode and, when an
    /// existing session cannot be resumed, why.
    pub fn choose_session(
        &self,
        backend: &dyn Backend,
        agent: &Agent,
        record: Option<&SessionRecord>,
        new_session: bool,
        cwd: &Path,
    ) -> Result<(SessionMode, Option<String>)> {
        Ok(match record {
            None => (SessionMode::New(ids::uuid_v4()), None),
            Some(_) if new_session => (SessionMode::New(ids::uuid_v4()), None),
            Some(record) => {
                let validity = sessions::validity(
                    record,
                    backend,
                    cwd,
                    &self.agent_env(backend, Some(agent))?,
                    self.now(),
                    self.config.sessions.ttl.0,
                );
                match validity {
                    Validity::Valid => (SessionMode::Resume(record.session_id.clone()), None),
                    other => (SessionMode::New(ids::uuid_v4()), Some(other.describe())),
                }
            }
        })
    }

    /// Builds the full prompt: what the session lacks from the agent's
    /// memory (a recap for a new or recovered session, relevant unseen
    /// interactions for a resumed one; see [`memory::recall`]), the message,
    /// and the request for the structured block. Returns the prompt and
    /// what it recalled.
    pub fn compose_prompt(
        &self,
        agent: &Agent,
        message_text: &str,
        mode: &SessionMode,
        recovered: Option<&str>,
    ) -> Result<(String, memory::Recall)> {
        self.compose(agent, message_text, mode, recovered, false)
    }

    fn compose(
        &self,
        agent: &Agent,
        message_text: &str,
        mode: &SessionMode,
        recovered: Option<&str>,
        probe: bool,
    ) -> Result<(String, memory::Recall)> {
        if probe {
            return Ok((message_text.to_string(), memory::Recall::none()));
        }
        // A small model's context holds only the essentials: a short recap
        // for a fresh session, nothing for a resumed one.
        let compact = self
            .backend(agent)?
            .settings(&self.config, Some(agent), true)?
            .compact;
        let resumed = match mode {
            SessionMode::Resume(id) => Some(id.as_str()),
            SessionMode::New(_) => None,
        };
        let recall = if agent.memory.remembers() && !(compact && resumed.is_some()) {
            let entries =
                memory::read_recent(&self.store.memory_path(&agent.id), memory::RECENT_BYTES)?;
            let mut settings = agent.memory.clone();
            if compact {
                settings.context_chars = settings.context_chars.min(COMPACT_RECAP_CHARS);
            }
            memory::recall(&entries, message_text, resumed, &settings)
        } else {
            memory::Recall::none()
        };
        let mut prompt = String::new();
        if let Some(reason) = recovered {
            prompt.push_str(&format!(
                "Your previous session could not be resumed ({reason}); this is a fresh session.\n"
            ));
        }
        match recall.kind {
            memory::RecallKind::None => {}
            memory::RecallKind::Recap => {
                prompt.push_str(&format!("Recap of your earlier work:\n{}\n", recall.text));
            }
            memory::RecallKind::Unseen => prompt.push_str(&format!(
                "Relevant earlier interactions from your other sessions:\n{}\n",
                recall.text
            )),
        }
        prompt.push_str(message_text.trim_end());
        if !compact {
            prompt.push_str("\n\n");
            prompt.push_str(message::RESULT_BLOCK_INSTRUCTION);
        }
        Ok((prompt, recall))
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

    fn new_record(
        &self,
        agent: &Agent,
        instance: u32,
        turn: &PreparedTurn,
        recovered: Option<(&str, &str)>,
    ) -> SessionRecord {
        let now = self.now();
        SessionRecord {
            schema: SessionRecord::CURRENT,
            agent_id: agent.id.clone(),
            instance,
            backend: turn.backend.name().to_string(),
            session_id: turn.mode.id().to_string(),
            cwd: turn.cwd.display().to_string(),
            host: lock::hostname(),
            created_at: now,
            last_used_at: now,
            turns: 0,
            cost_usd: 0.0,
            input_tokens: 0,
            output_tokens: 0,
            unpriced_turns: 0,
            cli_totals: None,
            status: SessionStatus::Starting,
            cli_version: None,
            recovered_from: recovered.map(|(from, _)| from.to_string()),
            recovery_reason: recovered.map(|(_, reason)| reason.to_string()),
            last_call: None,
        }
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
    /// holding after it, e.g. through commit and verification).
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
        let record = self.load_session(&agent.id, instance)?;
        let backend = self.backend(agent)?;
        let cwd = self.turn_cwd(options);
        let (mut mode, mut recovered) =
            self.choose_session(backend, agent, record.as_ref(), options.new_session, &cwd)?;
        let mut attempts_left = 2;
        loop {
            attempts_left -= 1;
            let previous_id = record.as_ref().map(|record| record.session_id.clone());
            let turn = self.prepare_turn(
                agent,
                message_text,
                options,
                mode.clone(),
                recovered.clone(),
            )?;
            let session_path = self.store.session_path(&agent.id, instance);
            let (mut session, record_write) = match (&mode, &record) {
                (SessionMode::Resume(_), Some(existing)) => (existing.clone(), None),
                _ => {
                    let recovery = recovered
                        .as_deref()
                        .zip(previous_id.as_deref())
                        .map(|(reason, from)| (from, reason));
                    let fresh = self.new_record(agent, instance, &turn, recovery);
                    let write = spawn_json(session_path.clone(), fresh.clone());
                    (fresh, Some(write))
                }
            };
            let started_at = self.now();
            let (assignment_id, assignment_write) = self.write_assignment(
                agent,
                instance,
                &session.session_id,
                &turn.prompt,
                options,
                started_at,
            )?;
            // Both are on disk before the call: a killed call stays
            // resumable, and its assignment is recorded.
            join(vec![record_write, Some(assignment_write)]).await?;
            let mut log = match &options.log_path {
                Some(path) => Some(TurnLog::open(path, self.ctx.ui.redactor().clone())?),
                None => None,
            };
            if let Some(log) = &mut log {
                let header = serde_json::json!({
                    "type": "nexus_turn",
                    "agent": agent.id,
                    "instance": instance,
                    "backend": turn.backend.name(),
                    "session_id": session.session_id,
                    "resume": turn.mode.is_resume(),
                    "cwd": turn.cwd,
                    "started_at": started_at,
                    "argv": turn.argv,
                });
                log.line(&header.to_string());
            }
            let mut spec = self.spec(&turn);
            // The CLI inherits the session lock: if nexus is killed (-9) the
            // turn goes on in the orphan and the session stays locked until
            // it ends, so no second turn can split its transcript.
            spec.inherit_fd = Some(session_lock.raw_fd());
            let context = TurnContext {
                previous_totals: if turn.mode.is_resume() {
                    session.cli_totals
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
            let finished = supervise::run(&spec, stop.clone(), |line| {
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
            join(vec![id_write]).await?;
            let (mut output, resources) = match finished {
                Ok(finished) => {
                    if let Some(log) = log.take() {
                        log.finish(&finished.stderr_tail)?;
                    }
                    (parser.finish(&Exit::of(&finished)), finished.resources)
                }
                Err(error) => (turn.backend.spawn_error(&error), None),
            };
            self.price(&mut output, turn.backend, agent, options.isolated)?;
            let outcome = output.outcome;
            let mut session_write: Option<Write> = None;
            if outcome.never_ran() && matches!(mode, SessionMode::New(_)) {
                // Nothing reached the CLI: keep the previous record (if any).
                match &record {
                    Some(previous) => fs::write_json(&session_path, previous)?,
                    None => fs::remove_file(&session_path)?,
                };
            } else {
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
                    argv: turn.argv.clone(),
                    started_at,
                    duration_ms: output.duration_ms,
                    exit_code: output.exit_code,
                    outcome: outcome.name().to_string(),
                    leaked: output.leaked,
                });
                session_write = Some(spawn_json(session_path.clone(), session.clone()));
            }
            if outcome == Outcome::SessionNotFound
                && matches!(mode, SessionMode::Resume(_))
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
                join(vec![session_write]).await?;
                continue;
            }
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
            let (result_id, result_write) = self.write_result(
                agent,
                instance,
                &session.session_id,
                &assignment_id,
                &result,
                options,
                &output,
            )?;
            let memory_write = if outcome.never_ran() || options.probe || !agent.memory.remembers()
            {
                None
            } else {
                Some(self.remember(
                    agent,
                    &session.session_id,
                    message_text,
                    &output,
                    options,
                    (recovered.as_deref(), &turn.recall),
                ))
            };
            join(vec![session_write, Some(result_write), memory_write]).await?;
            return Ok(TurnReport {
                session_id: session.session_id.clone(),
                resumed: turn.mode.is_resume(),
                recovered,
                assignment_id,
                result_id,
                result,
                argv: turn.argv,
                prompt: turn.prompt,
                output,
                resources,
            });
        }
    }

    /// Checks that the cost of every turn of `agents` can be known: its
    /// backend reports one, or `[prices]` has an entry for its model. A
    /// budget (`run --max-cost`) refuses to start otherwise, naming them.
    pub fn check_costs_known<'a>(&self, agents: impl IntoIterator<Item = &'a Agent>) -> Result<()> {
        let mut unknown: Vec<String> = Vec::new();
        for agent in agents {
            let backend = self.backend(agent)?;
            if backend.reports_cost() {
                continue;
            }
            let model = backend.settings(&self.config, Some(agent), true)?.model;
            let priced =
                crate::state::prices::lookup(&self.config.prices, &[model.as_deref()]).is_some();
            let entry = format!(
                "`{}` ({} model `{}`)",
                agent.id,
                backend.name(),
                model.as_deref().unwrap_or("default")
            );
            if !priced && !unknown.contains(&entry) {
                unknown.push(entry);
            }
        }
        if unknown.is_empty() {
            return Ok(());
        }
        Err(crate::exit::tagged_hint(
            Kind::Usage,
            format!(
                "a budget is set but the cost of these agents' turns cannot be known: {}",
                unknown.join(", ")
            ),
            "add the model's prices to `[prices]` in config.toml (USD per million tokens), \
             or run without `--max-cost`",
        ))
    }

    /// Sets a turn's cost from `[prices]` (the model the CLI reported, else
    /// the agent's configured model), else from what the CLI reported; a
    /// turn that used tokens no price covers counts as unpriced.
    fn price(
        &self,
        output: &mut TurnOutput,
        backend: &dyn Backend,
        agent: &Agent,
        isolated: bool,
    ) -> Result<()> {
        let settings = backend.settings(&self.config, Some(agent), isolated)?;
        let priced = crate::state::prices::price(
            &self.config.prices,
            &[output.model.as_deref(), settings.model.as_deref()],
            &output.tokens,
            output.reported_cost,
        );
        output.usage.cost_usd = priced.cost_usd();
        output.usage.unpriced_turns = u32::from(priced.is_unknown());
        Ok(())
    }

    fn party(agent: &Agent, instance: u32, session_id: &str) -> Party {
        Party {
            agent_id: agent.id.clone(),
            agent_type: agent.role.clone(),
            instance_id: Some(instance),
            session_id: Some(session_id.to_string()),
        }
    }

    fn write_assignment(
        &self,
        agent: &Agent,
        instance: u32,
        session_id: &str,
        prompt: &str,
        options: &TurnOptions,
        at: Timestamp,
    ) -> Result<(String, Write)> {
        let task = options.task.clone().map_or_else(
            || TaskPayload {
                plan_id: None,
                task_id: None,
                title: crate::ui::shorten(prompt, 60),
                description: String::new(),
                task_type: None,
                requirements: Vec::new(),
                expected_output: None,
                context: BTreeMap::new(),
                prompt: prompt.to_string(),
            },
            |mut task| {
                task.prompt = prompt.to_string();
                task
            },
        );
        let mut message = Message {
            schema: 1,
            message_id: ids::message_id(at),
            timestamp: at,
            protocol_version: message::PROTOCOL_VERSION.to_string(),
            from: Party::nexus_prime(),
            to: Self::party(agent, instance, session_id),
            message_type: MessageType::TaskAssignment,
            priority: options.priority.clone(),
            payload: Payload {
                task: Some(task),
                task_result: None,
            },
            response_to: None,
            response_expected: true,
            timeout_seconds: Some(self.config.agent_backend.timeout.0.as_secs()),
            conversation_thread: options.thread.clone(),
            status: MessageStatus::Sent,
            execution_time_seconds: None,
        };
        let path = message::prepare(&self.store, &mut message);
        let id = message.message_id.clone();
        Ok((id, spawn_json(path, message)))
    }

    #[allow(clippy::too_many_arguments)]
    fn write_result(
        &self,
        agent: &Agent,
        instance: u32,
        session_id: &str,
        assignment_id: &str,
        result: &ResultPayload,
        options: &TurnOptions,
        output: &TurnOutput,
    ) -> Result<(String, Write)> {
        let at = self.now();
        let succeeded = output.outcome == Outcome::Success;
        let mut message = Message {
            schema: 1,
            message_id: ids::message_id(at),
            timestamp: at,
            protocol_version: message::PROTOCOL_VERSION.to_string(),
            from: Self::party(agent, instance, session_id),
            to: Party::nexus_prime(),
            message_type: MessageType::TaskResult,
            priority: options.priority.clone(),
            payload: Payload {
                task: None,
                task_result: Some(result.clone()),
            },
            response_to: Some(assignment_id.to_string()),
            response_expected: false,
            timeout_seconds: None,
            conversation_thread: options.thread.clone(),
            status: if succeeded {
                MessageStatus::Completed
            } else {
                MessageStatus::Failed
            },
            execution_time_seconds: Some(output.duration_ms as f64 / 1000.0),
        };
        let path = message::prepare(&self.store, &mut message);
        let id = message.message_id.clone();
        Ok((id, spawn_json(path, message)))
    }

    fn remember(
        &self,
        agent: &Agent,
        session_id: &str,
        message_text: &str,
        output: &TurnOutput,
        options: &TurnOptions,
        (recovered, recall): (Option<&str>, &memory::Recall),
    ) -> Write {
        let path = self.store.memory_path(&agent.id);
        let at = self.now();
        let task_id = options.task.as_ref().and_then(|task| task.task_id.clone());
        let mut entries = Vec::new();
        if let Some(reason) = recovered {
            entries.push(Entry {
                schema: memory::SCHEMA,
                kind: EntryKind::Recap,
                at,
                session_id: Some(session_id.to_string()),
                thread: Some(options.thread.clone()),
                task_id: task_id.clone(),
                request: format!("session recovered: {reason}"),
                response: "a recap of earlier interactions was given to the new session"
                    .to_string(),
                outcome: "recovered".to_string(),
                id: Some(ids::random_hex(12)),
                recalled: Vec::new(),
            });
        }
        let response = if output.reply.is_empty() {
            output.reason.clone().unwrap_or_default()
        } else {
            output.reply.clone()
        };
        entries.push(Entry {
            schema: memory::SCHEMA,
            kind: EntryKind::Interaction,
            at,
            session_id: Some(session_id.to_string()),
            thread: Some(options.thread.clone()),
            task_id,
            request: truncate(message_text, memory::ENTRY_CHARS),
            response: truncate(&response, memory::ENTRY_CHARS),
            outcome: output.outcome.name().to_string(),
            id: Some(ids::random_hex(12)),
            recalled: recall.keys.clone(),
        });
        let store = self.store.clone();
        let agent_id = agent.id.clone();
        tokio::task::spawn_blocking(move || {
            let _guard = store.lock_memory(&agent_id)?;
            for entry in &entries {
                memory::append(&path, entry)?;
            }
            Ok(())
        })
    }
}

/// A state write running on the blocking pool.
type Write = tokio::task::JoinHandle<Result<()>>;

/// Writes a value as JSON on the blocking pool.
fn spawn_json<T: serde::Serialize + Send + 'static>(path: PathBuf, value: T) -> Write {
    tokio::task::spawn_blocking(move || fs::write_json(&path, &value).map(|_| ()))
}

/// Waits for writes; the first error wins.
async fn join(writes: Vec<Option<Write>>) -> Result<()> {
    let mut first = None;
    for write in writes.into_iter().flatten() {
        let outcome = write
            .await
            .map_err(|error| anyhow::anyhow!("a state write panicked: {error}"))
            .and_then(|done| done);
        if let Err(error) = outcome {
            first.get_or_insert(error);
        }
    }
    first.map_or(Ok(()), Err)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// A turn's raw output, appended to its log line by line as it comes
/// (never held whole in memory), owner-only, capped at [`MAX_LOG_BYTES`].
struct TurnLog {
    path: PathBuf,
    redactor: crate::ui::Redactor,
    writer: Option<std::io::BufWriter<std::fs::File>>,
    written: u64,
    dropped_lines: u64,
    error: Option<anyhow::Error>,
}

impl TurnLog {
    fn open(path: &Path, redactor: crate::ui::Redactor) -> Result<Self> {
        let file = fs::open_log(path)?;
        Ok(TurnLog {
            path: path.to_path_buf(),
            redactor,
            writer: Some(std::io::BufWriter::new(file)),
            written: 0,
            dropped_lines: 0,
            error: None,
        })
    }

    fn line(&mut self, line: &str) {
        use std::io::Write as _;
        let line = self.redactor.redact(line);
        let line = line.as_ref();
        if self.written + line.len() as u64 + 1 > MAX_LOG_BYTES {
            self.dropped_lines += 1;
            return;
        }
        if let Some(writer) = &mut self.writer
            && let Err(error) = writer
                .write_all(line.as_bytes())
                .and_then(|()| writer.write_all(b"\n"))
        {
            self.error = Some(
                anyhow::Error::new(error)
                    .context(format!("failed to append to `{}`", self.path.display())),
            );
            self.writer = None;
        }
        self.written += line.len() as u64 + 1;
    }

    /// Writes the stderr tail and the truncation note, then flushes.
    fn finish(mut self, stderr_tail: &str) -> Result<()> {
        use std::io::Write as _;
        if !stderr_tail.trim().is_empty() {
            let line = serde_json::json!({"type": "nexus_stderr", "text": supervise::tail(stderr_tail, 50, 8000)});
            self.written = self.written.min(MAX_LOG_BYTES - 16 * 1024);
            self.line(&line.to_string());
        }
        if self.dropped_lines > 0 {
            let line = serde_json::json!({
                "type": "nexus_truncated",
                "dropped_lines": self.dropped_lines,
                "limit_bytes": MAX_LOG_BYTES,
            });
            self.written = 0;
            self.line(&line.to_string());
        }
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        if let Some(mut writer) = self.writer.take() {
            writer
                .flush()
                .map_err(anyhow::Error::new)
                .map_err(|error| {
                    error.context(format!("failed to append to `{}`", self.path.display()))
                })?;
        }
        Ok(())
    }
}
