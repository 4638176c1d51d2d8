//! Agents: the backends that run agent CLIs (one file each, listed in
//! [`BACKENDS`]), the personality engine, the session runtime and records.

pub mod backend;
pub mod binary;
pub mod claude;
pub mod codex;
pub mod gemini;
pub mod parse;
pub mod personality;
pub mod runtime;
pub mod session_test;
pub mod sessions;
pub mod table;
#[cfg(test)]
pub(crate) mod testing;
pub mod verdict;

use crate::agents::backend::Backend;

/// Every agent backend nexus can run, one line each. Adding a backend is a
/// new `agents/<name>.rs` implementing [`Backend`], its `mod` line above and
/// its entry here.
pub const BACKENDS: &[&dyn Backend] = &[&claude::Claude, &codex::Codex, &gemini::Gemini];

/// Returns the backend called `name`.
pub fn backend_named(name: &str) -> Option<&'static dyn Backend> {
    BACKENDS
        .iter()
        .copied()
        .find(|backend| backend.name() == name)
}

/// Returns the backends' names as a list for messages: `` `claude`, `codex`, … ``.
pub fn backend_names() -> String {
    BACKENDS
        .iter()
        .map(|backend| format!("`{}`", backend.name()))
        .collect::<Vec<_>>()
        .join(", ")
}
