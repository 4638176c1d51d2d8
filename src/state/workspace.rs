//! `plans/<plan_id>/workspace.json`: where a plan's work lives in git — the
//! commit it started from and its integration branch. Written once, when
//! the plan first runs in worktree mode; committed with the plan, so a
//! clone that fetches the branches carries on from the same base.

use serde::{Deserialize, Serialize};

use crate::state::fs::Versioned;
use crate::time::Timestamp;

/// A plan's place in git.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanWorkspace {
    /// Schema version.
    pub schema: u32,
    /// The commit the plan started from (its integration branch's root).
    pub base: String,
    /// The integration branch (`nexus/<plan>`).
    pub integration: String,
    /// When the plan first ran.
    pub created_at: Timestamp,
    /// The command that recorded it.
    #[serde(default)]
    pub created_by: String,
}

impl Versioned for PlanWorkspace {
    const SCHEMA: u32 = 1;
    const WHAT: &'static str = "plan workspace";
}
