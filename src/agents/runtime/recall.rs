//! What a turn recalls from the agent's memory into its prompt, and what it
//! leaves there afterwards.

use anyhow::Result;

use super::{InFlight, Runtime};
use crate::agents::backend::{SessionMode, TurnOutput};
use crate::ids;
use crate::state::agent::Agent;
use crate::state::background::Write;
use crate::state::memory::{self, Entry, EntryKind};
use crate::state::message;

/// A compact agent's recap, in characters (a small model's context is small).
const COMPACT_RECAP_CHARS: u32 = 1500;

impl Runtime {
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

    pub(super) fn compose(
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

    /// Appends the turn to the agent's memory (after a recovery, a recap
    /// entry first); runs on the blocking pool under the memory lock.
    pub(super) fn remember(
        &self,
        flight: &InFlight<'_>,
        message_text: &str,
        output: &TurnOutput,
    ) -> Write {
        let (agent, options) = (flight.agent, flight.options);
        let session_id = flight.session.session_id.as_str();
        let (recovered, recall) = (flight.turn.recovered.as_deref(), &flight.turn.recall);
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

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}
