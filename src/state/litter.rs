//! What a killed writer leaves behind, and sweeping it away safely.
//!
//! Every temp file `state::fs::write_atomic` makes, and the staging
//! directory of a new plan, is named `.tmp-<host>-<pid>-<random>` (`<host>`:
//! 8 hex digits of the host name's hash). A `kill -9` between creating it and
//! renaming it into place leaves it behind. It is litter, and removed, when
//! its writer is gone: a process of this host whose pid no longer exists, or
//! any writer once it is older than [`STALE_AFTER`] (a write takes
//! milliseconds; on a shared filesystem another host's pids are unknown
//! here). A temp file of a live writer is never touched. `run` sweeps the
//! directories it writes on start; `doctor` lists what it finds anywhere.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Result;

/// Temp files older than this are litter whoever made them.
pub const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Returns this host's tag in temp names.
fn host_tag() -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in crate::state::lock::hostname().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

/// Returns the prefix of this process's temp names: `.tmp-<host>-<pid>-`.
pub fn temp_prefix() -> String {
    format!(".tmp-{}-{}-", host_tag(), std::process::id())
}

/// Returns whether process `pid` exists on this host.
fn alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: kill(2) with signal 0 only checks that the process exists and
    // may be signalled; it sends nothing and touches no memory.
    let status = unsafe { libc::kill(pid, 0) };
    status == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Returns whether an entry named `name`, last modified at `modified`, is a
/// dead writer's leftover.
pub fn is_litter(name: &str, modified: Option<SystemTime>, now: SystemTime) -> bool {
    let Some(rest) = name.strip_prefix(".tmp") else {
        return false;
    };
    let old = modified
        .and_then(|modified| now.duration_since(modified).ok())
        .is_some_and(|age| age > STALE_AFTER);
    if old {
        return true;
    }
    let mut parts = rest.trim_start_matches('-').splitn(3, '-');
    match (
        parts.next(),
        parts.next().and_then(|pid| pid.parse::<u32>().ok()),
    ) {
        (Some(host), Some(pid)) if host == host_tag() => !alive(pid),
        _ => false,
    }
}

/// Removes the litter directly inside `dir`; returns what was removed.
pub fn sweep(dir: &Path) -> Result<Vec<PathBuf>> {
    let now = SystemTime::now();
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(removed);
    };
    crate::state::confine::check(dir)?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if !is_litter(&name, meta.modified().ok(), now) {
            continue;
        }
        let path = entry.path();
        if meta.is_dir() {
            crate::state::fs::remove_dir_all(&path)?;
        } else {
            crate::state::fs::remove_file(&path)?;
        }
        removed.push(path);
    }
    Ok(removed)
}

/// Returns every piece of litter under `root` (not following symlinks; a
/// litter directory is listed, not its contents).
pub fn find(root: &Path) -> Vec<PathBuf> {
    let now = SystemTime::now();
    let mut found = Vec::new();
    let mut walk = walkdir::WalkDir::new(root).follow_links(false).into_iter();
    while let Some(entry) = walk.next() {
        let Ok(entry) = entry else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        let modified = entry.metadata().ok().and_then(|meta| meta.modified().ok());
        if entry.depth() > 0 && is_litter(&name, modified, now) {
            if entry.file_type().is_dir() {
                walk.skip_current_dir();
            }
            found.push(entry.into_path());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dead_or_stale_writers_leave_litter() {
        let now = SystemTime::now();
        let host = host_tag();
        let live = format!(".tmp-{host}-{}-abc", std::process::id());
        assert!(!is_litter(&live, Some(now), now), "a live writer's file");
        assert!(is_litter(
            &format!(".tmp-{host}-999999999-abc"),
            Some(now),
            now
        ));
        assert!(
            !is_litter(".tmp-00000000-999999999-abc", Some(now), now),
            "another host's recent file: its writer may be alive"
        );
        let old = now - STALE_AFTER - Duration::from_secs(1);
        assert!(is_litter(".tmp-00000000-1-abc", Some(old), now));
        assert!(
            is_litter(".tmpAbC123", Some(old), now),
            "an older nexus's name"
        );
        assert!(!is_litter(".tmpAbC123", Some(now), now));
        assert!(!is_litter("t01.json", Some(old), now));
        assert!(temp_prefix().starts_with(&format!(".tmp-{host}-")));
    }
}
