//! The only module that takes file locks (std `File::lock`/`try_lock`, i.e.
//! `flock`, released by the kernel when a process dies, so a killed nexus
//! never wedges anything).
//!
//! Two kinds of lock, as in nextest and uv:
//! - short read-modify-write locks ([`wait_exclusive`]) poll every 50 ms up to
//!   a bounded timeout (`NEXUS_LOCK_TIMEOUT`, default 10 s);
//! - exclusive resources — a plan being run, a session in use — are taken with
//!   [`try_exclusive`]/[`try_shared`] and fail at once with a busy error that
//!   names the holder (pid, host, since, command), which the holder writes into
//!   the lock file. Lock files stay in place under `.nexus/locks/`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::exit::{Kind, tagged, tagged_hint};
use crate::time::Timestamp;

/// Who holds a lock, written into the lock file by the holder.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// When the lock was taken.
    pub since: Timestamp,
    /// The command line of the holder.
    pub command: String,
}

impl Holder {
    /// Returns a holder record for this process.
    pub fn current(now: Timestamp) -> Self {
        let command: Vec<String> = std::env::args().collect();
        Holder {
            pid: std::process::id(),
            host: hostname(),
            since: now,
            command: command.join(" "),
        }
    }

    fn describe(&self) -> String {
        format!(
            "pid {} on host `{}` since {} (`{}`)",
            self.pid, self.host, self.since, self.command
        )
    }
}

/// Returns this machine's host name.
pub fn hostname() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates
    // on success (and we stop at the first NUL or the end regardless).
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return "unknown".to_string();
    }
    let end = buffer
        .iter()
        .position(|byte| *byte == 0)
        .unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

/// A held lock; released when dropped (or by the kernel if the process dies).
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    path: PathBuf,
}

impl LockGuard {
    /// Returns the lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the lock file's descriptor (for a child to inherit the lock).
    pub fn raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.file)
    }

    /// Records the holder in the lock file (best effort: only for messages).
    pub fn record_holder(&mut self, holder: &Holder) {
        if let Ok(text) = serde_json::to_string(holder) {
            let _ = self.file.set_len(0);
            let _ = self.file.seek(SeekFrom::Start(0));
            let _ = self.file.write_all(text.as_bytes());
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn open(path: &Path) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        crate::state::fs::create_dir_all(dir)?;
    }
    crate::state::confine::check(path)?;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| format!("failed to open lock file `{}`", path.display()))
}

fn read_holder(path: &Path) -> Option<Holder> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// A process that has a lock file open (so may hold its lock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenBy {
    /// Its pid.
    pub pid: u32,
    /// Its command line, shortened.
    pub command: String,
}

/// Returns the processes of this host that have `path` open, from `/proc`
/// (Linux): what really holds a lock, even when the process that took it
/// is gone and a child it started (an agent CLI, a grandchild of it)
/// inherited the descriptor. Empty where `/proc` is not readable.
pub fn open_by(path: &Path) -> Vec<OpenBy> {
    use std::os::unix::fs::MetadataExt;
    let Ok(target) = std::fs::metadata(path) else {
        return Vec::new();
    };
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for process in processes.flatten() {
        let Some(pid) = process
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(process.path().join("fd")) else {
            continue;
        };
        let holds = fds.flatten().any(|fd| {
            std::fs::metadata(fd.path())
                .is_ok_and(|meta| meta.dev() == target.dev() && meta.ino() == target.ino())
        });
        if holds {
            let command = std::fs::read(process.path().join("cmdline"))
                .map(|bytes| {
                    String::from_utf8_lossy(&bytes)
                        .split('\0')
                        .filter(|part| !part.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            found.push(OpenBy {
                pid,
                command: crate::ui::shorten(&command, 100),
            });
        }
    }
    found.retain(|process| process.pid != std::process::id());
    found
}

/// Describes who holds `path`: the live processes that have it open, else
/// the holder the file records.
pub fn describe_holders(path: &Path) -> Option<String> {
    let live = open_by(path);
    if !live.is_empty() {
        return Some(
            live.iter()
                .map(|process| format!("pid {} (`{}`)", process.pid, process.command))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    read_holder(path).map(|holder| holder.describe())
}

fn busy(path: &Path, what: &str) -> anyhow::Error {
    // Shared holders (e.g. `nexus run --task`) do not record themselves, and
    // the file may name a holder that is gone while a child it started
    // (an agent CLI) still holds the lock: name the live processes that
    // have the file open when that can be seen.
    let holder = match probe(path) {
        Probe::Shared => {
            "held shared by other nexus processes (such as `nexus run --task`)".to_string()
        }
        Probe::Exclusive | Probe::Free => match describe_holders(path) {
            Some(holders) => format!("held by {holders}"),
            None => "held by another nexus process".to_string(),
        },
    };
    tagged_hint(
        Kind::Busy,
        format!("{what} is busy: {holder}"),
        format!("wait for it to finish; the lock is `{}`", path.display()),
    )
}

/// Tries a lock a few times over ~50 ms: readers such as `status` probe
/// locks by taking them for an instant, which must not make a real taker
/// fail as busy.
fn retry_briefly(
    mut attempt: impl FnMut() -> Result<(), TryLockError>,
) -> Result<(), TryLockError> {
    let mut tries = 0;
    loop {
        match attempt() {
            Err(TryLockError::WouldBlock) if tries < 5 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Takes an exclusive lock at once or fails with a busy error naming `what`
/// and its holder; records this process as the holder.
pub fn try_exclusive(path: &Path, what: &str, holder: &Holder) -> Result<LockGuard> {
    exclusive(path, what, holder, true)
}

/// Like [`try_exclusive`] but a single attempt, for callers that poll in an
/// async loop and must not block their thread.
pub fn try_exclusive_once(path: &Path, what: &str, holder: &Holder) -> Result<LockGuard> {
    exclusive(path, what, holder, false)
}

fn exclusive(path: &Path, what: &str, holder: &Holder, retry: bool) -> Result<LockGuard> {
    let file = open(path)?;
    let taken = if retry {
        retry_briefly(|| file.try_lock())
    } else {
        file.try_lock()
    };
    match taken {
        Ok(()) => {
            let mut guard = LockGuard {
                file,
                path: path.to_path_buf(),
            };
            guard.record_holder(holder);
            Ok(guard)
        }
        Err(TryLockError::WouldBlock) => Err(busy(path, what)),
        Err(TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("failed to lock `{}`", path.display()))
        }
    }
}

/// Takes a shared lock at once or fails with a busy error naming `what`.
pub fn try_shared(path: &Path, what: &str) -> Result<LockGuard> {
    let file = open(path)?;
    match retry_briefly(|| file.try_lock_shared()) {
        Ok(()) => Ok(LockGuard {
            file,
            path: path.to_path_buf(),
        }),
        Err(TryLockError::WouldBlock) => Err(busy(path, what)),
        Err(TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("failed to lock `{}`", path.display()))
        }
    }
}

/// Takes an exclusive lock for a short read-modify-write, polling until
/// `timeout`; a timeout is a busy error naming `what`.
pub fn wait_exclusive(path: &Path, what: &str, timeout: Duration) -> Result<LockGuard> {
    let file = open(path)?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => {
                return Ok(LockGuard {
                    file,
                    path: path.to_path_buf(),
                });
            }
            Err(TryLockError::WouldBlock) => {
                if started.elapsed() >= timeout {
                    return Err(tagged(
                        Kind::Busy,
                        format!(
                            "timed out after {} waiting for the lock on {what} (`{}`)",
                            crate::time::short_duration(timeout),
                            path.display()
                        ),
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(TryLockError::Error(error)) => {
                return Err(error).with_context(|| format!("failed to lock `{}`", path.display()));
            }
        }
    }
}

/// Returns whether some process holds any lock on `path` right now.
pub fn is_held(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(_) => true,
    }
}

/// How a lock file is held right now, as seen by a reader that takes no lock
/// for longer than the probe itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// Nobody holds it (or the file does not exist).
    Free,
    /// One or more processes hold it shared (`nexus run PLAN --task T`).
    Shared,
    /// One process holds it exclusively (a whole-plan `nexus run PLAN`).
    Exclusive,
}

/// Returns how `path` is held: a shared probe that fails means an exclusive
/// holder; one that succeeds, followed by an exclusive probe that fails, means
/// shared holders.
pub fn probe(path: &Path) -> Probe {
    let Ok(file) = File::open(path) else {
        return Probe::Free;
    };
    if file.try_lock_shared().is_err() {
        return Probe::Exclusive;
    }
    let _ = file.unlock();
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            Probe::Free
        }
        Err(_) => Probe::Shared,
    }
}

/// Returns the holder recorded in a lock file, if it holds a readable one.
/// Best effort: shared holders may not write one, and a released lock keeps
/// its last holder's record, so only trust it while the lock is held.
pub fn recorded_holder(path: &Path) -> Option<Holder> {
    read_holder(path)
}

/// Byte-range locks on one file, one byte per key: the locks of a plan's
/// tasks, whose number is unbounded, live in one file per plan instead of
/// one file per task (a 10,000-task plan used to leave 10,000 lock files).
///
/// They are Linux open-file-description locks (`F_OFD_SETLK`): owned by the
/// open file, not the process, so two of them in one process exclude each
/// other like two processes do; released when the file is closed or the
/// process dies, like `flock`. A key's byte is at an offset given by the
/// 62-bit FNV-1a hash of the key, so two different task ids share a byte
/// with a probability of about n²/2⁶³ (nil for any real plan), and every
/// nexus version agrees on the offset.
#[derive(Debug)]
pub struct KeyedLocks {
    file: File,
    path: PathBuf,
    held: std::collections::BTreeSet<String>,
}

/// Returns the byte offset of `key` in a keyed lock file.
fn key_offset(key: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    i64::try_from(hash >> 2).unwrap_or(i64::MAX)
}

/// Runs `fcntl(fd, command, &flock { type, offset, len 1 })`; returns the
/// `flock` the kernel wrote back (for `F_OFD_GETLK`).
fn range_fcntl(
    file: &File,
    command: libc::c_int,
    kind: libc::c_int,
    offset: i64,
) -> std::io::Result<libc::flock> {
    let mut range = libc::flock {
        l_type: libc::c_short::try_from(kind).unwrap_or(0),
        l_whence: libc::c_short::try_from(libc::SEEK_SET).unwrap_or(0),
        l_start: offset,
        l_len: 1,
        l_pid: 0,
    };
    // SAFETY: fcntl with an OFD lock command reads and writes only the
    // `flock` struct passed by pointer, which lives for the whole call; the
    // descriptor belongs to `file`, open for reading and writing.
    let status = unsafe {
        libc::fcntl(
            std::os::fd::AsRawFd::as_raw_fd(file),
            command,
            &raw mut range,
        )
    };
    if status < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(range)
    }
}

impl KeyedLocks {
    /// Opens (creating) the lock file at `path`; takes no lock yet.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(KeyedLocks {
            file: open(path)?,
            path: path.to_path_buf(),
            held: std::collections::BTreeSet::new(),
        })
    }

    /// Takes `key`'s lock at once; returns `false` when another holder has
    /// it. Taking a key this set already holds succeeds.
    pub fn try_lock(&mut self, key: &str) -> Result<bool> {
        if self.held.contains(key) {
            return Ok(true);
        }
        let mut tries = 0;
        loop {
            match range_fcntl(
                &self.file,
                libc::F_OFD_SETLK,
                libc::F_WRLCK,
                key_offset(key),
            ) {
                Ok(_) => {
                    self.held.insert(key.to_string());
                    return Ok(true);
                }
                Err(error) if matches!(error.raw_os_error(), Some(libc::EAGAIN | libc::EACCES)) => {
                    // A probe by a reader (`status`) holds a key for an
                    // instant: retry briefly before calling it busy.
                    if tries >= 5 {
                        return Ok(false);
                    }
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(error) => {
                    return Err(error).with_context(|| {
                        format!("failed to lock `{key}` in `{}`", self.path.display())
                    });
                }
            }
        }
    }

    /// Releases `key`'s lock if this set holds it.
    pub fn unlock(&mut self, key: &str) {
        if self.held.remove(key) {
            let _ = range_fcntl(
                &self.file,
                libc::F_OFD_SETLK,
                libc::F_UNLCK,
                key_offset(key),
            );
        }
    }

    /// Returns the lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Returns whether some holder has `key`'s lock in the keyed lock file at
/// `path` right now (a missing file holds nothing). Takes no lock.
pub fn key_is_held(path: &Path, key: &str) -> bool {
    let Ok(file) = OpenOptions::new().read(true).write(true).open(path) else {
        return false;
    };
    range_fcntl(&file, libc::F_OFD_GETLK, libc::F_WRLCK, key_offset(key))
        .is_ok_and(|range| i32::from(range.l_type) != libc::F_UNLCK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder() -> Holder {
        Holder::current(Timestamp(std::time::SystemTime::now()))
    }

    #[test]
    fn writers_in_threads_never_lose_an_increment() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("locks/counter.lock");
        let counter = dir.path().join("counter.txt");
        std::fs::write(&counter, "0").unwrap();
        let threads = 8;
        let rounds = 25;
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let lock = lock.clone();
                let counter = counter.clone();
                std::thread::spawn(move || {
                    for _ in 0..rounds {
                        let _guard =
                            wait_exclusive(&lock, "the counter", Duration::from_secs(30)).unwrap();
                        let value: u64 =
                            std::fs::read_to_string(&counter).unwrap().parse().unwrap();
                        std::thread::yield_now();
                        crate::state::fs::write_atomic(
                            &counter,
                            (value + 1).to_string().as_bytes(),
                        )
                        .unwrap();
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&counter).unwrap(),
            (threads * rounds).to_string()
        );
    }

    #[test]
    fn a_busy_exclusive_lock_fails_fast_naming_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan-p1.lock");
        let _held = try_exclusive(&path, "plan `p1`", &holder()).unwrap();
        let error = try_exclusive(&path, "plan `p1`", &holder()).unwrap_err();
        let message = format!("{error:#}");
        assert!(message.contains("plan `p1` is busy"), "{message}");
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        assert_eq!(crate::exit::code_for(&error), crate::exit::BUSY);
        assert!(is_held(&path));
        assert!(try_shared(&path, "plan `p1`").is_err());
    }

    #[test]
    fn shared_locks_coexist_and_exclude_exclusive_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.lock");
        let first = try_shared(&path, "plan").unwrap();
        let second = try_shared(&path, "plan").unwrap();
        assert!(try_exclusive(&path, "plan", &holder()).is_err());
        drop(first);
        drop(second);
        assert!(!is_held(&path));
        assert!(try_exclusive(&path, "plan", &holder()).is_ok());
    }

    #[test]
    fn waiting_times_out_with_a_busy_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let _held = wait_exclusive(&path, "x", Duration::from_secs(1)).unwrap();
        let error = wait_exclusive(&path, "the thing", Duration::from_millis(100)).unwrap_err();
        assert!(error.to_string().contains("timed out"), "{error}");
        assert_eq!(crate::exit::code_for(&error), crate::exit::BUSY);
    }

    #[test]
    fn probes_tell_free_shared_and_exclusive_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan-p.lock");
        assert_eq!(probe(&path), Probe::Free);
        let shared = try_shared(&path, "plan").unwrap();
        assert_eq!(probe(&path), Probe::Shared);
        drop(shared);
        assert_eq!(probe(&path), Probe::Free);
        let _exclusive = try_exclusive(&path, "plan", &holder()).unwrap();
        assert_eq!(probe(&path), Probe::Exclusive);
        assert_eq!(recorded_holder(&path).unwrap().pid, std::process::id());
    }

    #[test]
    fn a_lock_held_by_a_killed_process_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("killed.lock");
        std::fs::write(&path, "").unwrap();
        // One process takes the lock with flock(1) and becomes `sleep`, so
        // killing it kills the only holder.
        let Ok(mut child) = std::process::Command::new("sh")
            .args(["-c", "exec 9>>\"$1\"; flock 9 && exec sleep 30", "sh"])
            .arg(&path)
            .spawn()
        else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !is_held(&path) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(is_held(&path));
        child.kill().unwrap();
        child.wait().unwrap();
        let guard = wait_exclusive(&path, "killed", Duration::from_secs(10));
        assert!(guard.is_ok(), "the lock of a killed holder must be free");
    }
    #[test]
    fn keyed_locks_exclude_per_key_within_one_process_and_release_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan-p.tasks.lock");
        let mut first = KeyedLocks::open(&path).unwrap();
        let mut second = KeyedLocks::open(&path).unwrap();
        assert!(first.try_lock("t01").unwrap());
        assert!(
            first.try_lock("t01").unwrap(),
            "re-taking a held key succeeds"
        );
        assert!(
            !second.try_lock("t01").unwrap(),
            "another holder is refused"
        );
        assert!(
            second.try_lock("t02").unwrap(),
            "other keys are independent"
        );
        assert!(key_is_held(&path, "t01") && key_is_held(&path, "t02"));
        assert!(!key_is_held(&path, "t03"));
        first.unlock("t01");
        assert!(!key_is_held(&path, "t01"));
        assert!(second.try_lock("t01").unwrap());
        drop(second);
        assert!(!key_is_held(&path, "t01") && !key_is_held(&path, "t02"));
        assert!(!key_is_held(&dir.path().join("missing.lock"), "t01"));
        assert_ne!(key_offset("t01"), key_offset("t02"));
        assert!(key_offset("x") >= 0);
    }
}
