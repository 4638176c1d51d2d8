//! The dispatcher that runs a plan, split as nextest's runner is: the pure
//! decisions (`state`), one task's work (`worker`), the task prompt
//! (`prompt`), the async shell that wires them (`scheduler`), what a run
//! reports (`event`) and `--dry-run` (`dry_run`).

pub mod dry_run;
pub mod event;
pub mod isolated;
pub mod prompt;
pub mod reconcile;
pub mod scheduler;
pub mod state;
pub mod worker;
