//! Running child processes: supervision of one agent process, signals, and
//! (in `scheduler`) the dispatcher that runs a plan. The only async code.

pub mod plan_graph;
pub mod reconcile;
pub mod scheduler;
pub mod signals;
pub mod supervise;

/// Runs a future to completion on a fresh current-thread runtime (commands
/// that run one agent turn: `ask`, the claude planner).
pub fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| anyhow::anyhow!("failed to start the async runtime: {error}"))?;
    Ok(runtime.block_on(future))
}

/// Runs a future on a multi-threaded runtime with `workers` threads (2–64).
/// Agent turns write their state files synchronously (each write is an
/// fsync'd rename), so the run uses about one worker per parallel task to
/// keep those writes overlapping.
pub fn block_on_multi<F: std::future::Future>(
    workers: usize,
    future: F,
) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.clamp(2, 64))
        .enable_all()
        .build()
        .map_err(|error| anyhow::anyhow!("failed to start the async runtime: {error}"))?;
    Ok(runtime.block_on(future))
}
