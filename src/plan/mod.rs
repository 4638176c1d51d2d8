//! The plan domain: the dependency graph (with the one cycle finder),
//! validation of drafted and imported plans, assignment of agents, the one
//! estimator, and revision of a plan in the light of what happened.

pub mod assign;
pub mod create;
pub mod estimate;
pub mod graph;
pub mod revise;
#[cfg(test)]
pub(crate) mod testing;
pub mod validate;
