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
//!     "sessions": 2, "problems": 0,
//!     "orchestrator_name": "NEXUS Prime",     // `[orchestrator] name`
//!     "health_score": 0-100 | null, "health_label": "excellent" | "good" | "degraded" | "failing" | null,
//!     "cpu_usage": 12.5 | null,         // % of the machine's CPU time while agents ran
//!     "cpu_seconds": 42.1, "cpus": 2,   // the absolute figures beside it
//!     "memory_usage": 4.1 | null,       // % of the machine's memory
//!     "memory_mb": 812.0 | null, "memory_total_mb": 16000.0 | null
//!   },
//!   "task_metrics": {
//!     "total": 4,
//!     "by_state": {"pending": 2, "running": 1, "stale": 0, "completed": 1, "failed": 0,
//!                  "blocked": 0, "interrupted": 0, "skipped": 0, "unreadable": 0},
//!     "attempts": 1, "success_rate": 1.0 | null, "avg_duration_ms": 70500 | null,
//!     "cost_usd": 0.0421, "input_tokens": 5120, "output_tokens": 812, "turns": 3,
//!     "estimated_completion": {"remaining_tasks", "unestimated_tasks",
//!                              "remaining_seconds": n | null, "eta": time | null},
//!     "tasks_completed_today": 3, "tasks_failed_today": 0, "cost_usd_today": 0.12,
//!     "quality_score": 0-10 | null
//!   },
//!   "agent_performance": {              // keyed by agent id, over every plan
//!     "code_developer": {"tasks_done", "tasks_failed", "attempts", "success_rate",
//!                        "health_score": 0-100 | null, "avg_response_ms",
//!                        "cost_usd", "input_tokens", "output_tokens",
//!                        "health_label", "tasks_completed_today",
//!                        "average_quality_score": 0-10 | null,
//!                        "cpu_seconds", "peak_memory_mb": n | null}
//!   },
//!   "agents": [{"id", "name", "role", "instances", "status": "busy" | "idle",
//!               "current_tasks": [{"plan_id", "task_id"}], "last_activity",
//!               "estimated_completion": {...}}],   // its queue
//!   "plans": [{"id", "request", "planner", "priority", "created_at", "active",
//!              "tasks", "by_state", "progress", "cost_usd", "input_tokens",
//!              "output_tokens", "estimated_completion"}],
//!   "tasks": [{"plan_id", "task_id", "title", "type", "priority", "agent", "state",
//!              "depends_on", "progress": 0-100 | null, "progress_source": "agent" | "elapsed" | null,
//!              "owner": {"pid", "host", "live"} | null, "attempts", "started_at",
//!              "finished_at", "cost_usd", "input_tokens", "output_tokens", "reason",
//!              "estimate_seconds": n | null, "time_left_seconds": n | null,
//!              "quality_score": 0-10 | null}],
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
//! - **Estimates** come from the one estimator (`plan::estimate`): a task's
//!   `estimate_minutes`, refined by how long completed tasks of the same
//!   agent and type took, else that history alone (`estimate_seconds`).
//! - **Time left** of a task still to do (pending, running, stale,
//!   interrupted): its estimate less the time its current attempt has run,
//!   0 once past it (`due`).
//! - **Estimated completion** of a set of tasks (the scope, a plan, an
//!   agent's queue in every plan): the time left of each is summed per agent
//!   and divided by that agent's instances; the busiest agent's total is
//!   `remaining_seconds` and `eta` is now plus that. It ignores dependency
//!   waits, so it is a lower bound; tasks with no basis at all are counted in
//!   `unestimated_tasks`.
//! - **Health label** beside a 0–100 health score: `excellent` from 90,
//!   `good` from 75, `degraded` from 50, else `failing`. The system's score
//!   is the agents' formula over every agent's finished attempts.
//! - **Quality score** (0–10) of a completed task:
//!   `10 × (0.4·V + 0.4·C + 0.2·R) / (0.4 + 0.4 + 0.2)`, with `V` 1 when no
//!   attempt failed its verification (it passed the first time it ran), `C`
//!   the confidence (0–1) the agent gave with the answer that completed it,
//!   `R` 1 / attempts; without a confidence its weight is left out (`/ 0.6`).
//!   An agent's `average_quality_score` and the scope's `quality_score` are
//!   the means over completed tasks.
//! - **Today** is since 00:00 UTC: tasks that reached `completed` or `failed`,
//!   and the cost of attempts that finished.
//! - **Machine use**: each attempt records the CPU seconds and peak resident
//!   memory of the agent's process (and the processes it waited for), from
//!   the OS's accounting of the finished process (`ru_maxrss` counts the
//!   image `exec` replaced, so a peak is never below the spawning nexus's
//!   own, ~20 MB). `cpu_usage` is the measured attempts' CPU seconds over
//!   the wall time during which any of them ran times `cpus`; `memory_usage`
//!   is the largest sum of the peaks of attempts that ran at the same time
//!   (an upper bound) over the machine's memory (`/proc/meminfo`);
//!   `NEXUS_MACHINE=CPUS,MEMORY_MB` fixes the machine for reproducible
//!   output. Attempts without figures (older ones, other OSes) are left out.
//!
//! `status PLAN TASK --json` prints a [`detail::TaskDetail`] (schema 1).

pub mod board;
pub mod detail;
pub mod eta;
pub mod figures;
pub mod interrupt;
pub mod metrics;
pub mod panel;
pub mod render;
pub mod snapshot;
pub mod transcript;

pub use panel::{Dashboard, STATUS_SCHEMA};
pub use snapshot::{Problem, Snapshot};
