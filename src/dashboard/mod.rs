//! The read side of nexus: `status`, `metrics` and `log`, computed from the
//! plain files while a run may be writing them (readers take no lock; every
//! write is atomic). A file that does not parse never stops them: it is
//! named in `problems` and everything else is shown.
//!
//! [`snapshot`] reads `.nexus` once; [`panel`] computes the dashboard (the
//! `status --json` document); [`detail`] one task in full; [`render`] the
//! human text; [`metrics`] the Prometheus text; [`transcript`] a task's agent
//! log; [`interrupt`] Ctrl-C for `--watch` and `--follow`.
//!
//! # The `status --json` document (schema 2)
//!
//! ```text
//! {
//!   "schema": 2,
//!   "generated_at": "2026-11-26T10:00:00.000Z",   // NEXUS_NOW when set
//!   "nexus_dir": "/path/.nexus",
//!   "scope": null | "PLAN",             // `status PLAN` limits plans, tasks, task_metrics
//!   "system_health": {                  // always over every plan
//!     "orchestrator": "running" | "idle",
//!     "runs": [{"plan_id", "mode": "plan" | "task", "task_id", "pid", "host", "since", "command"}],
//!     "agents_busy": 1, "agent_instances": 4, "load_percent": 25,
//!     "avg_response_ms": 70500 | null,  // mean wall time of finished attempts
//!     "stale_tasks": 0,                 // `running` without a live owner
//!     "sessions": 2, "problems": 0
//!   },
//!   "task_metrics": {
//!     "total": 4,
//!     "by_state": {"pending": 2, "running": 1, "stale": 0, "completed": 1, "failed": 0,
//!                  "blocked": 0, "interrupted": 0, "skipped": 0, "unreadable": 0},
//!     "attempts": 1, "success_rate": 1.0 | null, "avg_duration_ms": 70500 | null,
//!     "cost_usd": 0.0421, "input_tokens": 5120, "output_tokens": 812, "turns": 3,
//!     "estimated_completion": {"remaining_tasks", "unestimated_tasks",
//!                              "remaining_seconds": n | null, "eta": time | null}
//!   },
//!   "agent_performance": {              // keyed by agent id, over every plan
//!     "code_developer": {"tasks_done", "tasks_failed", "attempts", "success_rate",
//!                        "health_score": 0-100 | null, "avg_response_ms",
//!                        "cost_usd", "input_tokens", "output_tokens"}
//!   },
//!   "agents": [{"id", "name", "role", "instances", "status": "busy" | "idle",
//!               "current_tasks": [{"plan_id", "task_id"}], "last_activity"}],
//!   "plans": [{"id", "request", "planner", "priority", "created_at", "active",
//!              "tasks", "by_state", "progress", "cost_usd", "input_tokens",
//!              "output_tokens", "estimated_completion"}],
//!   "tasks": [{"plan_id", "task_id", "title", "type", "priority", "agent", "state",
//!              "depends_on", "progress": 0-100 | null, "progress_source": "agent" | "elapsed" | null,
//!              "owner": {"pid", "host", "live"} | null, "attempts", "started_at",
//!              "finished_at", "cost_usd", "input_tokens", "output_tokens", "reason"}],
//!   "problems": [{"file", "error"}]
//! }
//! ```
//!
//! A task's `state` is its file's state, except `stale` (the file says
//! `running` but neither its task lock nor an exclusive plan lock is held, so
//! no live process owns it) and `unreadable` (its file is malformed).
//!
//! # How the numbers are derived
//!
//! - **Progress** of a running task: the `progress` the runner wrote from the
//!   agent's events (`progress_source: "agent"`), else the time since the
//!   current attempt started against the task's `estimate_minutes` (or the
//!   history estimate below), at most 99 (`"elapsed"`). Completed tasks are
//!   100; others `null`.
//! - **Success rate**: successful / finished attempts (`outcome == "success"`).
//! - **Health score** of an agent: its last 10 finished attempts, newest
//!   weighing 1 and each older one 0.8 times the next newer one;
//!   `round(100 × weight of successes / total weight)`. `null` without
//!   finished attempts. One failure after a long good run costs 22 points,
//!   and the score recovers as successes follow.
//! - **Estimated completion**: each remaining task (pending, running, stale,
//!   interrupted) is expected to take the mean wall time of successful
//!   attempts of its task type in every plan's history, else its
//!   `estimate_minutes`, else the mean of all successful attempts; a running
//!   task is credited with the time it has run. The work is summed per agent
//!   and divided by that agent's instances; the busiest agent's total is
//!   `remaining_seconds` and `eta` is now plus that. It ignores dependency
//!   waits, so it is a lower bound; tasks with no basis at all are counted in
//!   `unestimated_tasks`.
//!
//! `status PLAN TASK --json` prints a [`detail::TaskDetail`] (schema 1).

pub mod detail;
pub mod interrupt;
pub mod metrics;
pub mod panel;
pub mod render;
pub mod snapshot;
pub mod transcript;

pub use panel::{Dashboard, STATUS_SCHEMA};
pub use snapshot::{Problem, Snapshot};
