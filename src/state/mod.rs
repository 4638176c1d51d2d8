//! Everything under `.nexus/`: the write path, locks, and one module per
//! kind of file.

pub mod agent;
pub mod background;
pub mod config;
pub mod confine;
pub mod fs;
pub mod litter;
pub mod lock;
pub mod memory;
pub mod message;
pub mod outcome;
pub mod plan;
pub mod prices;
pub mod session;
pub mod store;
pub mod task;
pub mod trust;
pub mod usage;
pub mod workspace;
