//! The real message flow of a run as a Mermaid `sequenceDiagram`, in the
//! style of the original description's "communication flow": NEXUS Prime
//! and one participant per agent, each assignment and its answer in time
//! order, and a `par` block wherever exchanges really overlapped in time —
//! one branch per agent instance, so work one instance did in turn is
//! never shown as parallel.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::dashboard::snapshot::LoadedPlan;
use crate::picture::text;
use crate::report::flow::Exchange;
use crate::state::message::{Message, MessageStatus};
use crate::state::outcome::AttemptOutcome;
use crate::time::Timestamp;

/// Longest text on one arrow.
const MESSAGE_CHARS: usize = 70;

/// What the diagram says about the plan, when it draws one plan's thread.
#[derive(Debug, Clone)]
pub struct PlanContext {
    /// The plan id.
    pub plan_id: String,
    /// The user's request.
    pub request: String,
    /// The planner that made it.
    pub planner: String,
    /// Its number of tasks.
    pub tasks: usize,
    /// Shown states with their counts, in the dashboard's order.
    pub states: Vec<(&'static str, usize)>,
    /// What nexus decided after an agent's answer, by task and attempt
    /// number: a failed verification turns a ✓ answer into a failed
    /// attempt, drawn as NEXUS Prime's own step.
    pub verdicts: BTreeMap<(String, u32), String>,
}

impl PlanContext {
    /// Returns what the diagram says about a loaded plan: its request,
    /// task states, and the attempts nexus failed after a ✓ answer.
    pub fn from_plan(loaded: &LoadedPlan) -> Self {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for task in &loaded.tasks {
            *counts.entry(task.shown_state()).or_insert(0) += 1;
        }
        let states = crate::dashboard::panel::SHOWN_STATES
            .iter()
            .filter_map(|state| counts.get(state).map(|count| (*state, *count)))
            .collect();
        let mut verdicts = BTreeMap::new();
        for (spec, task) in loaded.plan.tasks.iter().zip(&loaded.tasks) {
            let attempts = task.record.iter().flat_map(|record| record.attempts.iter());
            for attempt in
                attempts.filter(|attempt| attempt.outcome == AttemptOutcome::VerificationFailed)
            {
                let check = attempt.verification.iter().find(|check| !check.passed);
                let what = check.map_or_else(
                    || "verification failed".to_string(),
                    |check| match check.exit_code {
                        Some(code) => {
                            format!("verification `{}` failed (exit {code})", check.command)
                        }
                        None => format!("verification `{}` failed", check.command),
                    },
                );
                verdicts.insert(
                    (spec.id.clone(), attempt.number),
                    format!("{}: {what}", spec.id),
                );
            }
        }
        PlanContext {
            plan_id: loaded.plan.id.clone(),
            request: loaded.plan.request.clone(),
            planner: loaded.plan.planner.clone(),
            tasks: loaded.plan.tasks.len(),
            states,
            verdicts,
        }
    }
}

/// Returns the agents in order of first appearance (their participant ids
/// are `A0`, `A1` …, whatever the agent ids are).
fn participants(exchanges: &[Exchange]) -> Vec<String> {
    let mut agents: Vec<String> = Vec::new();
    for exchange in exchanges {
        if !agents.contains(&exchange.agent) {
            agents.push(exchange.agent.clone());
        }
    }
    agents
}

/// Groups exchanges (indices, by start) into runs that overlap in time; an
/// exchange still waiting for its answer lasts until `open_end`.
fn overlapping(
    exchanges: &[Exchange],
    messages: &[(PathBuf, Message)],
    open_end: Timestamp,
) -> Vec<Vec<usize>> {
    let mut spans: Vec<(Timestamp, Timestamp, usize)> = exchanges
        .iter()
        .enumerate()
        .filter_map(|(index, exchange)| {
            let start = exchange.start(messages)?;
            let end = exchange.end(messages).unwrap_or(open_end).max(start);
            Some((start, end, index))
        })
        .collect();
    spans.sort();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_end: Option<Timestamp> = None;
    for (start, end, index) in spans {
        match (groups.last_mut(), group_end) {
            (Some(group), Some(until)) if start < until => {
                group.push(index);
                group_end = Some(until.max(end));
            }
            _ => {
                groups.push(vec![index]);
                group_end = Some(end);
            }
        }
    }
    groups
}

/// Returns each exchange's attempt number at its task (0 for `ask`).
fn attempt_numbers(exchanges: &[Exchange]) -> Vec<u32> {
    let mut attempts: BTreeMap<&str, u32> = BTreeMap::new();
    let mut numbers = vec![0u32; exchanges.len()];
    for (index, exchange) in exchanges.iter().enumerate() {
        if let (Some(task), Some(_)) = (exchange.task_id.as_deref(), exchange.assignment) {
            let count = attempts.entry(task).or_insert(0);
            *count += 1;
            numbers[index] = *count;
        }
    }
    numbers
}

/// The exchanges one agent instance had within an overlapping group, in
/// order: a `par` branch.
struct Lane {
    agent: String,
    instance: Option<u32>,
    members: Vec<usize>,
}

impl Lane {
    /// Returns the branch's label: the instance and its tasks.
    fn label(&self, exchanges: &[Exchange]) -> String {
        let tasks: Vec<&str> = self
            .members
            .iter()
            .map(|&index| {
                let exchange = &exchanges[index];
                exchange.task_id.as_deref().unwrap_or(&exchange.title)
            })
            .collect();
        format!(
            "{} {}",
            crate::report::flow::party_name(&self.agent, self.instance),
            tasks.join(", ")
        )
    }
}

/// Splits a group of exchanges into lanes, one per agent instance, in
/// order of each lane's first exchange.
fn lanes(exchanges: &[Exchange], group: Vec<usize>) -> Vec<Lane> {
    let mut lanes: Vec<Lane> = Vec::new();
    for index in group {
        let (agent, instance) = (&exchanges[index].agent, exchanges[index].instance);
        match lanes
            .iter_mut()
            .find(|lane| lane.agent == *agent && lane.instance == instance)
        {
            Some(lane) => lane.members.push(index),
            None => lanes.push(Lane {
                agent: agent.clone(),
                instance,
                members: vec![index],
            }),
        }
    }
    lanes
}

/// Renders the sequence diagram of `exchanges` (from [`crate::report::flow::exchanges`]);
/// `names` maps agent ids to display names ("Aria").
pub fn diagram(
    messages: &[(PathBuf, Message)],
    exchanges: &[Exchange],
    names: &BTreeMap<String, String>,
    plan: Option<&PlanContext>,
) -> String {
    let mut out = String::new();
    match plan {
        Some(plan) => {
            let _ = writeln!(
                out,
                "%% messages of plan {}, drawn by nexus",
                text::mermaid(&plan.plan_id)
            );
        }
        None => out.push_str("%% messages drawn by nexus\n"),
    }
    out.push_str("sequenceDiagram\n");
    if plan.is_some() {
        out.push_str("    participant User\n");
    }
    out.push_str("    participant NEXUS as 🧠 NEXUS Prime\n");
    let agents = participants(exchanges);
    let id_of: BTreeMap<&str, String> = agents
        .iter()
        .enumerate()
        .map(|(index, agent)| (agent.as_str(), format!("A{index}")))
        .collect();
    for agent in &agents {
        let id = &id_of[agent.as_str()];
        let shown = match names.get(agent) {
            Some(name) if name != agent => format!("{name} ({agent})"),
            _ => agent.clone(),
        };
        let _ = writeln!(out, "    participant {id} as {}", text::mermaid(&shown));
    }
    if let Some(plan) = plan {
        let _ = writeln!(
            out,
            "    User->>NEXUS: {}",
            text::mermaid(&text::line(&plan.request, MESSAGE_CHARS))
        );
        let _ = writeln!(
            out,
            "    NEXUS->>NEXUS: plan {}: {} tasks by the {} planner",
            text::mermaid(&plan.plan_id),
            plan.tasks,
            text::mermaid(&plan.planner)
        );
    }
    let numbers = attempt_numbers(exchanges);
    let open_end = messages.iter().map(|(_, message)| message.timestamp).max();
    if let Some(open_end) = open_end {
        for group in overlapping(exchanges, messages, open_end) {
            let lanes = lanes(exchanges, group);
            let parallel = lanes.len() > 1;
            for (lane_index, lane) in lanes.iter().enumerate() {
                if parallel {
                    let keyword = if lane_index == 0 { "par" } else { "and" };
                    let label = lane.label(exchanges);
                    let _ = writeln!(
                        out,
                        "    {keyword} {}",
                        text::mermaid(&text::line(&label, MESSAGE_CHARS))
                    );
                }
                let indent = if parallel { "        " } else { "    " };
                for &index in &lane.members {
                    let id = &id_of[exchanges[index].agent.as_str()];
                    let exchange = &exchanges[index];
                    write_exchange(&mut out, indent, id, exchange, numbers[index], messages);
                    let verdict = exchange
                        .task_id
                        .as_ref()
                        .and_then(|task| plan?.verdicts.get(&(task.clone(), numbers[index])));
                    if let Some(verdict) = verdict {
                        let _ = writeln!(
                            out,
                            "{indent}NEXUS->>NEXUS: ✗ {}",
                            text::mermaid(&text::line(verdict, MESSAGE_CHARS))
                        );
                    }
                }
            }
            if parallel {
                out.push_str("    end\n");
            }
        }
    }
    if let Some(plan) = plan {
        let states: Vec<String> = plan
            .states
            .iter()
            .map(|(state, count)| format!("{count} {state}"))
            .collect();
        let _ = writeln!(
            out,
            "    NEXUS-->>User: plan {}: {}",
            text::mermaid(&plan.plan_id),
            text::mermaid(&states.join(", "))
        );
    }
    out
}

/// Writes one exchange: the assignment, then the answer (✓ or ✗), or a
/// note that none came yet.
fn write_exchange(
    out: &mut String,
    indent: &str,
    id: &str,
    exchange: &Exchange,
    attempt: u32,
    messages: &[(PathBuf, Message)],
) {
    let task = exchange.task_id.as_deref().unwrap_or("ask");
    if exchange.assignment.is_some() {
        let what = if attempt > 1 {
            format!("{task} (attempt {attempt}): {}", exchange.title)
        } else {
            format!("{task}: {}", exchange.title)
        };
        let _ = writeln!(
            out,
            "{indent}NEXUS->>{id}: {}",
            text::mermaid(&text::line(&what, MESSAGE_CHARS))
        );
    }
    match exchange.result.map(|index| &messages[index].1) {
        Some(result) => {
            let about = crate::report::flow::result_about(result.payload.task_result.as_ref());
            let (arrow, mark) = if result.status == MessageStatus::Failed {
                ("--x", "✗")
            } else {
                ("-->>", "✓")
            };
            let words = text::line(&format!("{task}: {about}"), MESSAGE_CHARS);
            let _ = writeln!(
                out,
                "{indent}{id}{arrow}NEXUS: {mark} {}",
                text::mermaid(&words)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{indent}Note over {id}: {}: no answer yet",
                text::mermaid(task)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::flow::exchanges;

    /// Returns an assignment of `task` to `agent` at `sent` and, with
    /// `answered`, its answer.
    fn exchange(
        task: &str,
        agent: &str,
        instance: u32,
        sent: &str,
        answered: Option<&str>,
    ) -> Vec<(PathBuf, Message)> {
        let id = format!("msg_{task}_{sent}");
        let party = |agent: &str, instance: Option<u32>| serde_json::json!({"agent_id": agent, "agent_type": "t", "instance_id": instance, "session_id": null});
        let mut messages = vec![serde_json::json!({
            "schema": 1, "message_id": id, "timestamp": format!("2026-01-01T00:00:{sent}Z"),
            "protocol_version": "1.0", "from": party("nexus_prime", None),
            "to": party(agent, Some(instance)), "message_type": "task_assignment",
            "priority": "medium", "payload": {"task": {"task_id": task, "title": task,
            "description": "", "prompt": ""}}, "response_expected": true,
            "conversation_thread": "p", "status": "sent",
        })];
        if let Some(answered) = answered {
            messages.push(serde_json::json!({
                "schema": 1, "message_id": format!("{id}_r"),
                "timestamp": format!("2026-01-01T00:00:{answered}Z"), "protocol_version": "1.0",
                "from": party(agent, Some(instance)), "to": party("nexus_prime", None),
                "message_type": "task_result", "priority": "medium",
                "payload": {"task_result": {"summary": "ok", "reply": "ok"}},
                "response_to": id, "response_expected": false,
                "conversation_thread": "p", "status": "completed",
            }));
        }
        messages
            .into_iter()
            .map(|value| (PathBuf::new(), serde_json::from_value(value).unwrap()))
            .collect()
    }

    fn draw(parts: Vec<Vec<(PathBuf, Message)>>) -> String {
        let mut messages: Vec<(PathBuf, Message)> = parts.into_iter().flatten().collect();
        messages.sort_by(|a, b| {
            (a.1.timestamp, &a.1.message_id).cmp(&(b.1.timestamp, &b.1.message_id))
        });
        diagram(&messages, &exchanges(&messages), &BTreeMap::new(), None)
    }

    #[test]
    fn only_overlapping_exchanges_share_a_par_block() {
        // a and b overlap; c starts exactly when b ends: not parallel.
        let text = draw(vec![
            exchange("a", "x", 0, "01", Some("05")),
            exchange("b", "y", 0, "02", Some("08")),
            exchange("c", "z", 0, "08", Some("09")),
        ]);
        assert_eq!(text.matches("    par ").count(), 1, "{text}");
        assert!(
            text.contains("    par x a\n        NEXUS->>A0: a: a\n"),
            "{text}"
        );
        assert!(text.contains("    and y b\n"), "{text}");
        assert!(text.contains("    end\n    NEXUS->>A2: c: c\n"), "{text}");
    }

    #[test]
    fn one_instance_working_in_turn_is_one_branch() {
        // x does a then c while y does b the whole time: two branches, and
        // x's tasks stay in order in one of them.
        let text = draw(vec![
            exchange("a", "x", 0, "01", Some("03")),
            exchange("b", "y", 0, "02", Some("09")),
            exchange("c", "x", 0, "04", Some("06")),
        ]);
        assert!(text.contains("    par x a, c\n"), "{text}");
        assert_eq!(text.matches("    and ").count(), 1, "{text}");
        // Another instance of the same agent is a branch of its own.
        let instances = draw(vec![
            exchange("a", "x", 0, "01", Some("05")),
            exchange("b", "x", 1, "02", Some("06")),
        ]);
        assert!(
            instances.contains("    par x a\n") && instances.contains("    and x.1 b\n"),
            "{instances}"
        );
    }

    #[test]
    fn an_exchange_without_answer_lasts_until_the_last_message() {
        let text = draw(vec![
            exchange("a", "x", 0, "01", None),
            exchange("b", "y", 0, "03", Some("04")),
        ]);
        assert!(text.contains("    par x a\n"), "{text}");
        assert!(text.contains("Note over A0: a: no answer yet"), "{text}");
    }
}
