//! Session records: where they are, whether a session can be resumed (checked
//! for free: the CLI's transcript file exists or not), and which records
//! `sessions gc` collects.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::agents::backend::{Backend, SessionCheck};
use crate::agents::runtime::Runtime;
use crate::state::fs;
use crate::state::lock;
use crate::state::session::SessionRecord;
use crate::time::Timestamp;

/// Whether a session can be resumed from here, and if not why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "detail")]
pub enum Validity {
    /// The transcript exists and the session is within the TTL.
    Valid,
    /// Idle past the TTL.
    Expired(String),
    /// The CLI's transcript file is gone.
    TranscriptMissing(String),
    /// Created on another host.
    OtherHost(String),
    /// Created for another working directory.
    OtherDirectory(String),
    /// Made by another agent backend than the agent's now.
    OtherBackend(String),
}

impl Validity {
    /// Returns whether the session can be resumed.
    pub fn is_valid(&self) -> bool {
        matches!(self, Validity::Valid)
    }

    /// Returns a short reason.
    pub fn describe(&self) -> String {
        match self {
            Validity::Valid => "valid".to_string(),
            Validity::Expired(detail)
            | Validity::TranscriptMissing(detail)
            | Validity::OtherHost(detail)
            | Validity::OtherDirectory(detail)
            | Validity::OtherBackend(detail) => detail.clone(),
        }
    }
}

/// Checks a record without spending tokens: the same host, the same working
/// directory, the same backend, within the TTL, and the CLI's own state for
/// the session still there.
pub fn validity(
    record: &SessionRecord,
    backend: &dyn Backend,
    cwd: &Path,
    env: &BTreeMap<String, String>,
    now: Timestamp,
    ttl: Duration,
) -> Validity {
    let host = lock::hostname();
    if record.host != host {
        return Validity::OtherHost(format!(
            "created on host `{}`, this is `{host}`",
            record.host
        ));
    }
    if record.backend != backend.name() {
        return Validity::OtherBackend(format!(
            "made by backend `{}`, the agent now uses `{}`",
            record.backend,
            backend.name()
        ));
    }
    if Path::new(&record.cwd) != cwd {
        return Validity::OtherDirectory(format!(
            "created for `{}`, the turn runs in `{}`",
            record.cwd,
            cwd.display()
        ));
    }
    let idle = record.last_used_at.until(now);
    if idle > ttl {
        return Validity::Expired(format!(
            "idle for {}, past the TTL of {}",
            crate::time::short_duration(idle),
            crate::time::short_duration(ttl)
        ));
    }
    match backend.session_check(&record.session_id, cwd, env) {
        SessionCheck::Exists => Validity::Valid,
        SessionCheck::Missing(detail) => Validity::TranscriptMissing(detail),
    }
}

/// A record as listed.
#[derive(Debug, Serialize)]
pub struct Listed {
    /// The record's file.
    pub path: PathBuf,
    /// The record.
    pub record: SessionRecord,
    /// Seconds since creation.
    pub age_seconds: u64,
    /// Seconds since last use.
    pub idle_seconds: u64,
    /// Time since last use, to the millisecond (what `gc` compares).
    #[serde(skip)]
    pub idle: Duration,
    /// Resumable or not.
    pub validity: Validity,
    /// Whether a turn is in progress (its lock is held).
    pub in_use: bool,
}

/// Every record (sorted by agent and instance) plus malformed files; each
/// checked with its own backend's view of the child environment.
pub fn list(runtime: &Runtime) -> Result<(Vec<Listed>, Vec<String>)> {
    let store = &runtime.store;
    let now = runtime.ctx.now();
    let ttl = runtime.config.sessions.ttl.0;
    let project_root = store.project_root();
    let mut listed = Vec::new();
    let mut problems = Vec::new();
    for name in fs::list_dir(&store.sessions_dir())? {
        if !name.ends_with(".json") {
            continue;
        }
        let path = store.sessions_dir().join(&name);
        let record: SessionRecord = match fs::read_json(&path) {
            Ok(record) => record,
            Err(error) => {
                problems.push(format!("{error:#}"));
                continue;
            }
        };
        // A session lives where its agent instance's turns run: its
        // worktree in worktree mode, else the project.
        let home = crate::workspace::agent_home(
            store,
            &runtime.config.workspace,
            runtime.ctx.env(),
            &record.agent_id,
            record.instance,
        )
        .unwrap_or_else(|| project_root.clone());
        let validity = match crate::agents::backend_named(&record.backend) {
            Some(backend) => validity(
                &record,
                backend,
                &home,
                &runtime.agent_env(backend, None)?,
                now,
                ttl,
            ),
            None => Validity::OtherBackend(format!(
                "made by backend `{}`, which this nexus does not know",
                record.backend
            )),
        };
        let in_use = lock::is_held(&store.session_lock(&record.agent_id, record.instance));
        listed.push(Listed {
            age_seconds: record.created_at.until(now).as_secs(),
            idle_seconds: record.last_used_at.until(now).as_secs(),
            idle: record.last_used_at.until(now),
            path,
            record,
            validity,
            in_use,
        });
    }
    listed.sort_by(|a, b| {
        a.record
            .agent_id
            .cmp(&b.record.agent_id)
            .then(a.record.instance.cmp(&b.record.instance))
    });
    Ok((listed, problems))
}

/// Why `gc` removes a record: not in use and idle past `idle_limit` (a
/// zero limit: any idle time), orphaned, or no longer resumable.
pub fn gc_reason(
    listed: &Listed,
    agents: &BTreeMap<String, u32>,
    idle_limit: Duration,
) -> Option<String> {
    if listed.in_use {
        return None;
    }
    let record = &listed.record;
    match agents.get(&record.agent_id) {
        None => {
            return Some(format!(
                "orphaned: agent `{}` no longer exists",
                record.agent_id
            ));
        }
        Some(instances) if record.instance >= *instances => {
            return Some(format!(
                "orphaned: agent `{}` now has {instances} instance(s)",
                record.agent_id
            ));
        }
        Some(_) => {}
    }
    let expected_name = if record.instance == 0 {
        format!("{}.json", record.agent_id)
    } else {
        format!("{}.{}.json", record.agent_id, record.instance)
    };
    if listed.path.file_name().and_then(|name| name.to_str()) != Some(expected_name.as_str()) {
        return Some(format!(
            "orphaned: the file should be named `{expected_name}`"
        ));
    }
    // Idle time is compared to the millisecond, and a zero limit takes
    // every record not in use: `--older-than 0s` right after a turn must
    // not keep the record because its idle time rounds down to 0 s.
    if idle_limit.is_zero() || listed.idle > idle_limit {
        return Some(format!(
            "idle for {}, past {}",
            crate::time::short_duration(listed.idle),
            crate::time::short_duration(idle_limit)
        ));
    }
    match &listed.validity {
        Validity::TranscriptMissing(detail)
        | Validity::OtherHost(detail)
        | Validity::OtherDirectory(detail)
        | Validity::OtherBackend(detail) => Some(detail.clone()),
        Validity::Valid | Validity::Expired(_) => None,
    }
}
