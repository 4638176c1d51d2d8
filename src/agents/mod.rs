//! Agents: the personality engine and the agent CLI adapters.

pub mod binary;
pub mod personality;
