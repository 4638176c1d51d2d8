//! Agents: the personality engine and the agent CLI adapters.

pub mod backend;
pub mod binary;
pub mod claude;
pub mod personality;
pub mod runtime;
pub mod sessions;
