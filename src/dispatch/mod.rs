//! The dispatcher that runs a plan: the scheduler and what it drives.

pub mod scheduler;
