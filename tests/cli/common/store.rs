//! Builders for hand-written `.nexus` trees: plans, task records with
//! attempts and verification, results, and the protocol messages a run
//! writes (an assignment and a result per attempt), for the `report`,
//! `messages` and `graph` tests.

use serde_json::{Value, json};

use crate::common::TestEnv;

/// A task of a hand-written plan.
pub struct TaskDef<'a> {
    /// Task id.
    pub id: &'a str,
    /// Title (may be hostile).
    pub title: &'a str,
    /// Task type.
    pub kind: &'a str,
    /// Assigned agent.
    pub agent: &'a str,
    /// Dependencies.
    pub deps: &'a [&'a str],
    /// Estimate in minutes.
    pub minutes: u32,
}

/// Writes `plans/<id>/plan.json`.
pub fn plan(env: &TestEnv, id: &str, created_at: &str, request: &str, tasks: &[TaskDef]) {
    let tasks: Vec<Value> = tasks
        .iter()
        .map(|task| {
            json!({
                "id": task.id, "title": task.title, "description": format!("Do {}.", task.title),
                "type": task.kind, "agent": task.agent, "depends_on": task.deps,
                "priority": "medium", "expected_output": null, "acceptance": [],
                "verify": [], "estimate_minutes": task.minutes,
            })
        })
        .collect();
    let plan = json!({
        "schema": 1, "id": id, "request": request, "planner": "import", "model": null,
        "created_at": created_at, "created_by": "test", "priority": "high",
        "deadline": null, "context": {}, "tasks": tasks,
    });
    env.write(
        &format!(".nexus/plans/{id}/plan.json"),
        &serde_json::to_string_pretty(&plan).unwrap(),
    );
}

/// Returns an attempt.
#[allow(clippy::too_many_arguments)]
pub fn attempt(
    number: u32,
    agent: &str,
    started: &str,
    finished: Option<&str>,
    outcome: &str,
    reason: Option<&str>,
    cost: f64,
    duration_ms: u64,
) -> Value {
    json!({
        "number": number, "agent": agent, "session_id": format!("sess-{agent}"),
        "started_at": started, "finished_at": finished, "outcome": outcome,
        "reason": reason, "cost_usd": cost, "input_tokens": 1000 * u64::from(number),
        "output_tokens": 100, "turns": 2, "duration_ms": duration_ms, "verification": [],
    })
}

/// Returns one verification record.
pub fn verification(command: &str, exit_code: i32, duration_ms: u64, tail: &str) -> Value {
    json!({
        "command": command, "exit_code": exit_code, "passed": exit_code == 0,
        "duration_ms": duration_ms, "output_tail": tail,
    })
}

/// Writes a task record in `state` with `fields` (attempts, reason …)
/// laid over sensible defaults; totals are summed from the attempts.
pub fn task(env: &TestEnv, plan: &str, task: &str, state: &str, fields: Value) {
    let attempts = fields["attempts"].as_array().cloned().unwrap_or_default();
    let sum = |key: &str| {
        attempts
            .iter()
            .filter_map(|a| a[key].as_f64())
            .fold(0.0, |sum, value| sum + value)
    };
    let mut record = json!({
        "schema": 1, "task_id": task, "state": state,
        "agent": attempts.last().map(|a| a["agent"].clone()).unwrap_or(Value::Null),
        "instance": 0,
        "session_id": attempts.last().map(|a| a["session_id"].clone()).unwrap_or(Value::Null),
        "started_at": attempts.first().map(|a| a["started_at"].clone()).unwrap_or(Value::Null),
        "finished_at": attempts.last().map(|a| a["finished_at"].clone()).unwrap_or(Value::Null),
        "cost_usd": sum("cost_usd"), "input_tokens": sum("input_tokens") as u64,
        "output_tokens": sum("output_tokens") as u64, "turns": sum("turns") as u64,
        "summary": null, "reason": null, "progress": null, "owner": null,
        "attempts": attempts, "updated_at": "2026-11-26T10:00:00.000Z", "updated_by": "test",
    });
    for (key, value) in fields.as_object().unwrap() {
        record[key] = value.clone();
    }
    env.write(
        &format!(".nexus/plans/{plan}/tasks/{task}.json"),
        &serde_json::to_string_pretty(&record).unwrap(),
    );
}

/// Writes `results/<task>.md`.
pub fn result(env: &TestEnv, plan: &str, task: &str, text: &str) {
    env.write(&format!(".nexus/plans/{plan}/results/{task}.md"), text);
}

fn party(agent: &str, instance: Option<u32>) -> Value {
    if agent == "nexus_prime" {
        json!({"agent_id": "nexus_prime", "agent_type": "orchestrator", "instance_id": null, "session_id": null})
    } else {
        json!({"agent_id": agent, "agent_type": "worker", "instance_id": instance,
               "session_id": format!("sess-{agent}-{}", instance.unwrap_or(0))})
    }
}

fn write_message(env: &TestEnv, thread: &str, message: &Value) {
    let id = message["message_id"].as_str().unwrap();
    env.write(
        &format!(".nexus/messages/{thread}/{id}.json"),
        &serde_json::to_string_pretty(message).unwrap(),
    );
}

/// One exchange of the protocol: NEXUS Prime assigns `task` to
/// `agent` (instance) at `sent`, and, when `answer` is given, the agent
/// answers at its time with `outcome` and the structured payload.
pub struct Exchange<'a> {
    /// The thread (a plan id or `ask-<agent>`).
    pub thread: &'a str,
    /// The task (none for `ask`).
    pub task: Option<&'a str>,
    /// The title of the assignment.
    pub title: &'a str,
    /// The agent.
    pub agent: &'a str,
    /// Its instance.
    pub instance: u32,
    /// When the assignment was sent (`msg_…` ids come from it).
    pub sent: &'a str,
    /// The answer: when, outcome, and the `task_result` fields.
    pub answer: Option<(&'a str, &'a str, Value)>,
}

/// Writes an exchange's messages; returns the assignment's id.
pub fn exchange(env: &TestEnv, exchange: &Exchange) -> String {
    let compact = |at: &str| -> String {
        at.chars()
            .filter(char::is_ascii_digit)
            .take(14)
            .collect::<String>()
    };
    let stamp = compact(exchange.sent);
    // A stable pseudo-random suffix from what the exchange is about.
    let suffix = format!(
        "{}{}{}",
        exchange.sent,
        exchange.agent,
        exchange.task.unwrap_or("")
    )
    .bytes()
    .fold(7u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u32::from(byte))
    }) % 0x100_0000;
    let assignment_id = format!("msg_{}_{}_{suffix:06x}", &stamp[..8], &stamp[8..]);
    let assignment = json!({
        "schema": 1, "message_id": assignment_id, "timestamp": exchange.sent,
        "protocol_version": "1.0", "from": party("nexus_prime", None),
        "to": party(exchange.agent, Some(exchange.instance)),
        "message_type": "task_assignment", "priority": "medium",
        "payload": {"task": {
            "plan_id": exchange.task.map(|_| exchange.thread), "task_id": exchange.task,
            "title": exchange.title, "description": "", "task_type": null,
            "requirements": [], "expected_output": null, "context": {},
            "prompt": format!("# {}", exchange.title),
        }},
        "response_to": null, "response_expected": true, "timeout_seconds": 1800,
        "conversation_thread": exchange.thread, "status": "sent",
        "execution_time_seconds": null,
    });
    write_message(env, exchange.thread, &assignment);
    if let Some((at, outcome, fields)) = &exchange.answer {
        let stamp = compact(at);
        let result_id = format!(
            "msg_{}_{}_r{}",
            &stamp[..8],
            &stamp[8..],
            &assignment_id[20..25]
        );
        let mut payload = json!({
            "summary": "", "deliverables": [], "recommendations": [], "next_steps": [],
            "confidence_score": null, "questions": [], "reply": "", "structured": true,
            "agent_feedback": {"outcome": outcome, "reason": null, "cost_usd": 0.01,
                "input_tokens": 100, "output_tokens": 10, "turns": 1,
                "permission_denials": [], "cli_version": "2.1.197"},
        });
        for (key, value) in fields.as_object().unwrap() {
            payload[key] = value.clone();
        }
        let result = json!({
            "schema": 1, "message_id": result_id, "timestamp": at,
            "protocol_version": "1.0", "from": party(exchange.agent, Some(exchange.instance)),
            "to": party("nexus_prime", None), "message_type": "task_result",
            "priority": "medium", "payload": {"task_result": payload},
            "response_to": assignment_id, "response_expected": false, "timeout_seconds": null,
            "conversation_thread": exchange.thread,
            "status": if *outcome == "success" { "completed" } else { "failed" },
            "execution_time_seconds": 12.5,
        });
        write_message(env, exchange.thread, &result);
    }
    assignment_id
}

/// The hostile request of [`release_plan`].
pub const HOSTILE_REQUEST: &str = "Release \"v2\" <now> & tell #ops; %%{init}%%";

/// The hostile title of the `notes` task of [`release_plan`].
pub const HOSTILE_TITLE: &str = "<script>console.error(\"pwned\")</script> 'notes' & \"more\"";

/// A plan that went through everything, with hostile text: `spec`
/// completed (with questions and ratings), `build` completed on its second
/// attempt after a failed verification, `docs` completed alongside `build`,
/// `check` failed twice (timeout, API error), `ship` blocked, and `notes`
/// (titled with a script) still `running` with no live owner; the messages
/// of every attempt, result files, and an `ask` thread.
pub fn release_plan(env: &TestEnv) {
    let task = |id, title, kind, agent, deps, minutes| TaskDef {
        id,
        title,
        kind,
        agent,
        deps,
        minutes,
    };
    plan(
        env,
        "p-rel",
        "2026-11-26T09:00:00.000Z",
        HOSTILE_REQUEST,
        &[
            task(
                "spec",
                "Specify the release",
                "analysis",
                "aria_coordinator",
                &[],
                10,
            ),
            task(
                "build",
                "Build \"v2\" <fast>",
                "implementation",
                "code_developer",
                &["spec"],
                20,
            ),
            task(
                "docs",
                "Write the docs",
                "documentation",
                "aria_coordinator",
                &["spec"],
                15,
            ),
            task(
                "check",
                "Validate",
                "validation",
                "beta_test_validator",
                &["build", "docs"],
                10,
            ),
            task(
                "ship",
                "Ship it",
                "documentation",
                "aria_coordinator",
                &["check", "spec"],
                5,
            ),
            task(
                "notes",
                HOSTILE_TITLE,
                "research",
                "alpha_test_creator",
                &[],
                5,
            ),
        ],
    );
    let a = attempt;
    self::task(
        env,
        "p-rel",
        "spec",
        "completed",
        json!({
            "attempts": [a(1, "aria_coordinator", "2026-11-26T09:01:00.000Z",
                Some("2026-11-26T09:04:00.000Z"), "success", None, 0.05, 180_000)],
            "summary": "Specified the release",
        }),
    );
    let mut failed = a(
        1,
        "code_developer",
        "2026-11-26T09:04:10.000Z",
        Some("2026-11-26T09:10:10.000Z"),
        "verification_failed",
        Some("`cargo build` failed"),
        0.2,
        360_000,
    );
    failed["verification"] = json!([verification(
        "cargo build",
        101,
        2100,
        "error[E0425]: cannot find value `x` in this scope\n<b>not bold</b>"
    )]);
    let mut fixed = a(
        2,
        "code_developer",
        "2026-11-26T09:10:20.000Z",
        Some("2026-11-26T09:15:20.000Z"),
        "success",
        None,
        0.15,
        300_000,
    );
    fixed["verification"] = json!([verification(
        "cargo build",
        0,
        1800,
        "Finished `dev` profile"
    )]);
    self::task(
        env,
        "p-rel",
        "build",
        "completed",
        json!({"attempts": [failed, fixed]}),
    );
    self::task(
        env,
        "p-rel",
        "docs",
        "completed",
        json!({
            "attempts": [a(1, "aria_coordinator", "2026-11-26T09:04:10.000Z",
                Some("2026-11-26T09:08:00.000Z"), "success", None, 0.03, 230_000)],
        }),
    );
    self::task(
        env,
        "p-rel",
        "check",
        "failed",
        json!({
            "attempts": [
                a(1, "beta_test_validator", "2026-11-26T09:15:30.000Z",
                    Some("2026-11-26T09:20:30.000Z"), "timeout", Some("no output for 300s"), 0.04, 300_000),
                a(2, "beta_test_validator", "2026-11-26T09:20:40.000Z",
                    Some("2026-11-26T09:22:00.000Z"), "api_error", Some("API Error: 500"), 0.0, 80_000),
            ],
            "reason": "API Error: 500",
        }),
    );
    self::task(
        env,
        "p-rel",
        "ship",
        "blocked",
        json!({
            "reason": "dependency `check` failed", "finished_at": "2026-11-26T09:22:00.000Z",
        }),
    );
    self::task(
        env,
        "p-rel",
        "notes",
        "running",
        json!({
            "attempts": [a(1, "alpha_test_creator", "2026-11-26T09:21:00.000Z", None, "running", None, 0.0, 0)],
            "finished_at": null,
        }),
    );
    result(
        env,
        "p-rel",
        "spec",
        "# Release steps\n\n1. tag\n2. publish\n",
    );
    result(
        env,
        "p-rel",
        "build",
        "Built with `cargo build --release`.\n",
    );
    result(
        env,
        "p-rel",
        "docs",
        "<script>console.error('docs')</script>\n\"quoted\" & done\n",
    );
    let exchanges = [
        (
            "spec",
            "Specify the release",
            "aria_coordinator",
            "2026-11-26T09:01:00.000Z",
            Some((
                "2026-11-26T09:04:00.000Z",
                "success",
                json!({
                    "summary": "Specified the release <b>steps</b>",
                    "deliverables": ["docs/release.md"],
                    "recommendations": ["tag only after CI is green"],
                    "next_steps": ["write the changelog"],
                    "confidence_score": 0.9,
                    "questions": ["Which registry, \"crates.io\" or <ours>?"],
                    "clarity_rating": 8, "complexity_rating": 3,
                }),
            )),
        ),
        (
            "build",
            "Build \"v2\" <fast>",
            "code_developer",
            "2026-11-26T09:04:10.000Z",
            Some((
                "2026-11-26T09:10:10.000Z",
                "success",
                json!({"summary": "Built it"}),
            )),
        ),
        (
            "docs",
            "Write the docs",
            "aria_coordinator",
            "2026-11-26T09:04:11.000Z",
            Some((
                "2026-11-26T09:08:00.000Z",
                "success",
                json!({
                    "summary": "Wrote <script>console.error('summary')</script> docs",
                }),
            )),
        ),
        (
            "build",
            "Build \"v2\" <fast>",
            "code_developer",
            "2026-11-26T09:10:20.000Z",
            Some((
                "2026-11-26T09:15:20.000Z",
                "success",
                json!({
                    "summary": "Fixed the build",
                    "next_steps": ["run the release tests"],
                    "questions": ["Should `x` be configurable?"],
                    "clarity_rating": 7, "complexity_rating": 6, "confidence_score": 0.75,
                }),
            )),
        ),
        (
            "check",
            "Validate",
            "beta_test_validator",
            "2026-11-26T09:15:30.000Z",
            Some((
                "2026-11-26T09:20:30.000Z",
                "timeout",
                json!({"summary": "", "structured": false}),
            )),
        ),
        (
            "check",
            "Validate",
            "beta_test_validator",
            "2026-11-26T09:20:40.000Z",
            Some((
                "2026-11-26T09:22:00.000Z",
                "api_error",
                json!({"summary": "", "structured": false}),
            )),
        ),
        (
            "notes",
            HOSTILE_TITLE,
            "alpha_test_creator",
            "2026-11-26T09:21:00.000Z",
            None,
        ),
    ];
    for (task, title, agent, sent, answer) in exchanges {
        exchange(
            env,
            &Exchange {
                thread: "p-rel",
                task: Some(task),
                title,
                agent,
                instance: 0,
                sent,
                answer,
            },
        );
    }
    exchange(
        env,
        &Exchange {
            thread: "ask-code_developer",
            task: None,
            title: "Why serde?",
            agent: "code_developer",
            instance: 0,
            sent: "2026-11-26T09:30:00.000Z",
            answer: Some((
                "2026-11-26T09:30:20.000Z",
                "success",
                json!({"summary": "It is the standard."}),
            )),
        },
    );
}
