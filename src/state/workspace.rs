//! `plans/<plan_id>/workspace.json`: where a plan's work lives in git — the
//! commit it started from and its integration branch. Written when the plan
//! first runs in worktree mode (and again when it is landed); committed with
//! the plan, so a clone that fetches the branches carries on from the same
//! base.

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
    /// The last `nexus land`: which tip of the integration branch went into
    /// which branch, and how. A squash or a merge leaves no ancestry that
    /// says the plan is in (`workspaces prune` reads this instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landed: Option<Landing>,
}

/// A plan's integration branch brought into a branch of the user's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Landing {
    /// The integration branch's tip that was landed.
    pub tip: String,
    /// The branch it went into.
    pub branch: String,
    /// `fast-forward`, `merge` or `squash`.
    pub how: String,
    /// The commit that branch was at afterwards.
    pub commit: String,
    /// When.
    pub at: Timestamp,
}

impl Versioned for PlanWorkspace {
    const SCHEMA: u32 = 1;
    const WHAT: &'static str = "plan workspace";
}
