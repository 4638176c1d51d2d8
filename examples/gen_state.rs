//! Writes a large synthetic state tree for the `status` benchmark
//! (`benches/status.sh`): PLANS plans of TASKS tasks each under an existing
//! `.nexus` (run `nexus init` first), with a deterministic mix of completed,
//! failed, running (stale), blocked and pending tasks, attempts with costs
//! and durations, and one session record per default agent.
//!
//! Usage: `gen_state NEXUS_DIR [PLANS] [TASKS]` (defaults 100 × 100).

#![allow(
    clippy::disallowed_methods,
    reason = "a benchmark fixture generator, not nexus state"
)]

use std::path::Path;

use serde_json::{Value, json};

const AGENTS: &[(&str, &str)] = &[
    ("aria_coordinator", "analysis"),
    ("code_developer", "implementation"),
    ("alpha_test_creator", "test_creation"),
    ("beta_test_validator", "validation"),
];

fn write(path: &Path, value: &Value) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(path, text)
}

fn time(minute: u64) -> String {
    format!(
        "2026-11-{:02}T{:02}:{:02}:00.000Z",
        1 + (minute / 1440) % 28,
        (minute / 60) % 24,
        minute % 60
    )
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(root) = args.get(1) else {
        return Err(std::io::Error::other(
            "usage: gen_state NEXUS_DIR [PLANS] [TASKS]",
        ));
    };
    let root = Path::new(root);
    let plans: u64 = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100);
    let tasks: u64 = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(100);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for plan_index in 0..plans {
        let plan_id = format!("plan{plan_index:03}");
        let created = plan_index * 300;
        let specs: Vec<Value> = (0..tasks)
            .map(|task_index| {
                let (agent, kind) = AGENTS[usize::try_from(task_index % 4).unwrap_or(0)];
                let depends: Vec<String> = if task_index == 0 {
                    vec![]
                } else {
                    vec![format!("t{:03}", task_index - 1)]
                };
                let priority = ["critical", "high", "medium", "low"]
                    [usize::try_from(task_index % 4).unwrap_or(0)];
                json!({
                    "id": format!("t{task_index:03}"),
                    "title": format!("Task {task_index} of {plan_id}"),
                    "description": "Synthetic benchmark task with a description of typical length, \
                        naming files, acceptance criteria and the expected output.",
                    "type": kind, "agent": agent, "depends_on": depends,
                    "priority": priority,
                    "expected_output": "A summary.", "acceptance": ["it works"],
                    "verify": [], "estimate_minutes": 5 + task_index % 20,
                })
            })
            .collect();
        write(
            &root.join("plans").join(&plan_id).join("plan.json"),
            &json!({
                "schema": 1, "id": plan_id, "request": format!("Benchmark request {plan_index}"),
                "planner": "import", "model": null, "created_at": time(created),
                "created_by": "gen_state", "priority": "medium", "deadline": null,
                "context": {}, "tasks": specs,
            }),
        )?;
        for task_index in 0..tasks {
            let task_id = format!("t{task_index:03}");
            let (agent, _) = AGENTS[usize::try_from(task_index % 4).unwrap_or(0)];
            let roll = next() % 100;
            let state = match roll {
                0..60 => "completed",
                60..70 => "failed",
                70..73 => "running",
                73..78 => "blocked",
                _ => "pending",
            };
            if state == "pending" {
                continue;
            }
            let attempts: Vec<Value> = (1..=1 + next() % 2)
                .map(|number| {
                    let start = created + task_index * 3 + number;
                    let last = state == "running";
                    let outcome = if last {
                        "running"
                    } else if state == "completed" {
                        "success"
                    } else {
                        "api_error"
                    };
                    json!({
                        "number": number, "agent": agent,
                        "session_id": "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b",
                        "started_at": time(start),
                        "finished_at": if last { Value::Null } else { json!(time(start + 2)) },
                        "outcome": outcome,
                        "reason": null, "cost_usd": 0.01 * f64::from(u32::try_from(next() % 10).unwrap_or(0)),
                        "input_tokens": 1000 + next() % 5000, "output_tokens": 100 + next() % 900,
                        "turns": 1 + next() % 5, "duration_ms": 10_000 + next() % 600_000,
                        "verification": [],
                    })
                })
                .collect();
            write(
                &root
                    .join("plans")
                    .join(&plan_id)
                    .join("tasks")
                    .join(format!("{task_id}.json")),
                &json!({
                    "schema": 1, "task_id": task_id, "state": state, "agent": agent,
                    "instance": 0, "session_id": "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b",
                    "started_at": time(created + task_index * 3),
                    "finished_at": if state == "running" { Value::Null } else { json!(time(created + task_index * 3 + 5)) },
                    "cost_usd": 0.05, "input_tokens": 4000, "output_tokens": 500, "turns": 3,
                    "summary": "Done.", "reason": null, "progress": null,
                    "owner": if state == "running" { json!({"pid": 1, "host": "elsewhere"}) } else { Value::Null },
                    "attempts": attempts, "updated_at": time(created + task_index * 3 + 5),
                    "updated_by": "gen_state",
                }),
            )?;
        }
    }
    for (agent, _) in AGENTS {
        write(
            &root.join("sessions").join(format!("{agent}.json")),
            &json!({
                "schema": 1, "agent_id": agent, "instance": 0,
                "session_id": "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b", "cwd": "/project",
                "host": "bench", "created_at": time(0), "last_used_at": time(100),
                "turns": 10, "cost_usd": 1.5, "input_tokens": 10_000, "output_tokens": 1000,
                "status": "ok", "cli_version": "2.1.197", "recovered_from": null,
                "recovery_reason": null, "last_call": null,
            }),
        )?;
    }
    Ok(())
}
