//! State writes on the blocking pool: an async caller queues a write and
//! goes on, then waits for all of them at the point its order of writes
//! requires (the first error wins).

use std::path::PathBuf;

use anyhow::Result;

use crate::state::fs;

/// A state write running on the blocking pool.
pub type Write = tokio::task::JoinHandle<Result<()>>;

/// Writes a value as JSON on the blocking pool.
pub fn spawn_json<T: serde::Serialize + Send + 'static>(path: PathBuf, value: T) -> Write {
    tokio::task::spawn_blocking(move || fs::write_json(&path, &value).map(|_| ()))
}

/// Waits for every write (`None`s are skipped); the first error wins.
pub async fn join(writes: impl IntoIterator<Item = Option<Write>>) -> Result<()> {
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
