//! The plan domain: the dependency graph (with the one cycle finder),
//! validation of drafted and imported plans, and assignment of agents.

pub mod assign;
pub mod create;
pub mod estimate;
pub mod graph;
pub mod validate;
