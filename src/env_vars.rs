//! Every environment variable nexus reads, as documented constants.
//!
//! The README's "Environment" table is checked against [`ALL`] by a test, so a
//! variable cannot be added here without being documented there.

/// The `.nexus` directory to use instead of walking up from the cwd.
pub const NEXUS_DIR: &str = "NEXUS_DIR";
/// A fixed "now" (RFC 3339) for reproducible output in tests and demos.
pub const NEXUS_NOW: &str = "NEXUS_NOW";
/// A fixed machine capacity (`CPUS,MEMORY_MB`) that the dashboard's usage
/// percentages are relative to, for reproducible output.
pub const NEXUS_MACHINE: &str = "NEXUS_MACHINE";
/// The Claude Code executable, overriding `[claude] command`.
pub const NEXUS_CLAUDE_BIN: &str = "NEXUS_CLAUDE_BIN";
/// The Codex CLI executable, overriding `[codex] command`.
pub const NEXUS_CODEX_BIN: &str = "NEXUS_CODEX_BIN";
/// The Gemini CLI executable, overriding `[gemini] command`.
pub const NEXUS_GEMINI_BIN: &str = "NEXUS_GEMINI_BIN";
/// How long a short read-modify-write lock is waited for (e.g. `10s`).
pub const NEXUS_LOCK_TIMEOUT: &str = "NEXUS_LOCK_TIMEOUT";
/// The planner to use, overriding `[brain] planner`.
pub const NEXUS_PLANNER: &str = "NEXUS_PLANNER";
/// Disables colour when set to anything (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// The default API key variable of the `openai` planner.
pub const OPENAI_API_KEY: &str = "OPENAI_API_KEY";
/// The base URL of the `openai` planner, overriding `[brain] base_url`.
pub const OPENAI_BASE_URL: &str = "OPENAI_BASE_URL";

/// Every variable above with a one-line description, in README order.
pub const ALL: &[(&str, &str)] = &[
    (
        NEXUS_DIR,
        "the `.nexus` directory to use (else found by walking up from the cwd)",
    ),
    (
        NEXUS_NOW,
        "a fixed current time (RFC 3339), for reproducible output",
    ),
    (
        NEXUS_MACHINE,
        "a fixed machine capacity `CPUS,MEMORY_MB` for the dashboard's usage percentages (else this machine's), for reproducible output",
    ),
    (
        NEXUS_CLAUDE_BIN,
        "the Claude Code executable (else `[claude] command`, then `claude` on `PATH`)",
    ),
    (
        NEXUS_CODEX_BIN,
        "the Codex CLI executable (else `[codex] command`, then `codex` on `PATH`)",
    ),
    (
        NEXUS_GEMINI_BIN,
        "the Gemini CLI executable (else `[gemini] command`, then `gemini` on `PATH`)",
    ),
    (
        NEXUS_LOCK_TIMEOUT,
        "how long to wait for a short state lock (default `10s`)",
    ),
    (
        NEXUS_PLANNER,
        "the planner: `auto`, `openai`, `claude` or `builtin` (else `[brain] planner`)",
    ),
    (NO_COLOR, "disables colour (same as `--color never`)"),
    (
        OPENAI_API_KEY,
        "the `openai` planner's key (the variable's name is `[brain] api_key_env`)",
    ),
    (
        OPENAI_BASE_URL,
        "the `openai` planner's base URL (else `[brain] base_url`)",
    ),
];
