//! The brain: turns a request into a validated plan of tasks (an LLM server,
//! the Claude CLI, or the offline pipeline) and assigns tasks to agents.
//!
//! Nothing here touches the terminal: progress notes go through a callback
//! and results come back as values for `commands/` to print.

pub mod builtin;
pub mod claude;
pub mod openai;
pub mod planner;
pub mod prompt;
