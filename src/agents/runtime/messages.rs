//! The protocol messages of a turn: the assignment nexus sends before the
//! call and the result the agent gives back.

use std::collections::BTreeMap;

use anyhow::Result;

use super::{InFlight, Runtime, TurnOptions};
use crate::agents::backend::{Outcome, TurnOutput};
use crate::ids;
use crate::state::agent::Agent;
use crate::state::background::{Write, spawn_json};
use crate::state::message::{
    self, Message, MessageStatus, MessageType, Party, Payload, ResultPayload, TaskPayload,
};
use crate::time::Timestamp;

impl Runtime {
    fn party(agent: &Agent, instance: u32, session_id: Option<&str>) -> Party {
        Party {
            agent_id: agent.id.clone(),
            agent_type: agent.role.clone(),
            instance_id: Some(instance),
            session_id: session_id.map(str::to_string),
        }
    }

    /// Queues the assignment message of a turn (the task, or a free `ask`,
    /// with the prompt sent) to session `session_id` (`None` for a new
    /// session of a CLI that names its sessions itself: its id is not known
    /// before the call, and the result message carries it); returns its id
    /// and the write.
    pub(super) fn write_assignment(
        &self,
        agent: &Agent,
        instance: u32,
        session_id: Option<&str>,
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
        let message = Message {
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
        Ok(self.queue(message))
    }

    /// Queues the result message of the turn in `flight`, in answer to its
    /// assignment; returns its id and the write.
    pub(super) fn write_result(
        &self,
        flight: &InFlight<'_>,
        result: &ResultPayload,
        output: &TurnOutput,
    ) -> Result<(String, Write)> {
        let (agent, instance, options) = (flight.agent, flight.instance, flight.options);
        let session_id = flight.session.session_id.as_str();
        let assignment_id = flight.assignment_id.as_str();
        let at = self.now();
        let succeeded = output.outcome == Outcome::Success;
        let message = Message {
            schema: 1,
            message_id: ids::message_id(at),
            timestamp: at,
            protocol_version: message::PROTOCOL_VERSION.to_string(),
            from: Self::party(agent, instance, Some(session_id)),
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
        Ok(self.queue(message))
    }

    /// Queues the write of a message in its thread; returns its id and the
    /// write.
    fn queue(&self, mut message: Message) -> (String, Write) {
        let path = message::prepare(&self.store, &mut message);
        let id = message.message_id.clone();
        (id, spawn_json(path, message))
    }
}
