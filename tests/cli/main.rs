//! End-to-end tests of the `nexus` binary: one test binary, one module per
//! command, all in temp dirs with a cleared environment and a throwaway HOME.

#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]
#![allow(clippy::unwrap_used, reason = "a test crate: a panic is a failed test")]

mod common;

mod agents;
mod ask;
mod assign;
mod backends;
mod contract;
mod contract_agents;
mod doctor;
mod export;
mod fake_claude;
mod fake_codex;
mod fake_gemini;
mod figures;
mod foundation;
mod graph;
mod hostile;
mod init;
mod llama;
mod memory;
mod messages;
mod openai;
mod plan;
mod real_claude;
mod real_codex;
mod real_gemini;
mod report;
mod revise;
mod run;
mod sessions;
mod status;
mod taskmaster;
mod workspaces;

/// Every `.rs` file under `tests/cli` is a module of this binary, so none is
/// silently skipped.
#[test]
fn no_test_file_is_forgotten() {
    let main = include_str!("main.rs");
    let dir = common::repo_root().join("tests/cli");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(module) = name.strip_suffix(".rs")
            && module != "main"
        {
            assert!(
                main.contains(&format!("mod {module};")),
                "tests/cli/{name} is not a module of main.rs"
            );
        }
    }
}
