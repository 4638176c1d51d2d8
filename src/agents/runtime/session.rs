//! Which session a turn runs in: the instance's lock, its record, and the
//! choice between resuming it and starting a new one.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use super::{PreparedTurn, Runtime};
use crate::agents::backend::{Backend, SessionMode};
use crate::agents::sessions::{self, Validity};
use crate::exit::{Kind, tagged};
use crate::ids;
use crate::proc::signals::{Stop, StopReceiver};
use crate::state::agent::Agent;
use crate::state::fs;
use crate::state::lock::{self, Holder, LockGuard};
use crate::state::session::{SessionRecord, SessionStatus};

impl Runtime {
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

    /// Returns the record of a new session for `turn`; `recovered` is the
    /// session it replaces and why.
    pub(super) fn new_record(
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
}
