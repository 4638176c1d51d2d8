//! The brain: planners, plan validation and assignment.

pub mod assign;
