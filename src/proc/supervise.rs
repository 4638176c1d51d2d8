//! Supervises one child process (an agent turn or a `verify` command).
//!
//! The child gets stdin = /dev/null and its own process group; stdout and
//! stderr are read line by line in the same `select!` as `wait()`, the
//! wall-clock and inactivity timers and the stop channel — never
//! `wait_with_output`, which deadlocks when a grandchild keeps a pipe open.
//! On timeout or stop: SIGTERM to the whole group, a grace period, SIGKILL
//! (nextest `runner/unix.rs`). After the child exits, the pipes get a short
//! leak timeout to close; if a grandchild still holds them the group is
//! killed and the run is marked `leaked`.
//!
//! What the child used (CPU time, peak memory) comes from the kernel's own
//! accounting of that one process and of the descendants it waited for: on
//! Linux a blocking `waitid(P_PID, pid, WEXITED | WNOWAIT)` with the
//! syscall's `rusage` argument reads it from the zombie without reaping it,
//! and tokio then reaps the child as usual. (`getrusage(RUSAGE_CHILDREN)`
//! deltas would mix in every other child that ended meanwhile, and reaping
//! with `wait4` behind tokio's back would leave its `Child` guessing.)

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::proc::signals::{Stop, StopReceiver};

/// What to run and how long to let it.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The program.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// The working directory.
    pub cwd: PathBuf,
    /// The child's whole environment (nothing else is inherited); `None`
    /// inherits nexus's own.
    pub env: Option<BTreeMap<String, String>>,
    /// Wall-clock limit.
    pub timeout: Duration,
    /// Limit on silence (no stdout or stderr line).
    pub inactivity: Duration,
    /// SIGTERM → SIGKILL grace.
    pub grace: Duration,
    /// How long pipes may stay open after the child exits.
    pub leak_timeout: Duration,
    /// A descriptor the child keeps open across `exec` (a lock it holds).
    pub inherit_fd: Option<std::os::fd::RawFd>,
}

/// Why the supervisor stopped the child, if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The wall-clock limit passed.
    Timeout,
    /// No output for the inactivity limit.
    Inactive,
    /// A stop was requested (SIGINT/SIGTERM to nexus).
    Interrupted,
}

/// How the child ended.
#[derive(Debug)]
pub struct Finished {
    /// Exit code, when it exited normally.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// The end of what it printed on stdout (at most [`TAIL_BYTES`]); every
    /// line went to `on_line` as it came.
    pub stdout_tail: String,
    /// The end of what it printed on stderr (at most [`TAIL_BYTES`]).
    pub stderr_tail: String,
    /// How many bytes it printed on stdout.
    pub stdout_bytes: u64,
    /// Wall time.
    pub duration: Duration,
    /// Whether (and why) the supervisor stopped it.
    pub stopped: Option<Stopped>,
    /// Whether its pipes stayed open past the leak timeout after it exited.
    pub leaked: bool,
    /// What it used, when the OS says (Linux).
    pub resources: Option<Resources>,
}

/// What a finished child used: its own figures plus those of the
/// descendants it waited for (the kernel's `RUSAGE_BOTH` of the zombie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resources {
    /// User plus system CPU time.
    pub cpu: Duration,
    /// The largest resident set size of the child or one of those
    /// descendants, in bytes.
    pub peak_rss_bytes: u64,
}

impl Resources {
    /// Returns the CPU time in seconds, to the millisecond.
    pub fn cpu_seconds(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let ms = self.cpu.as_millis() as f64;
        ms / 1000.0
    }

    /// Returns the peak resident set size in MB (10⁶ bytes), to 0.1 MB.
    pub fn peak_memory_mb(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let tenths = (self.peak_rss_bytes as f64 / 100_000.0).round();
        tenths / 10.0
    }
}

/// Blocks until process `pid` (a child of ours) has exited and returns what
/// it used, leaving it unreaped for its `Child` to collect.
#[cfg(target_os = "linux")]
fn peek_exit(pid: i32) -> Option<Resources> {
    loop {
        // SAFETY: zeroed `siginfo_t` and `rusage` are valid values of these
        // plain C structs.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: Linux's waitid syscall takes a fifth argument, a `struct
        // rusage *` it fills for the waited-for process; both pointers are
        // to live locals of the right types. WNOWAIT leaves the child a
        // zombie, so tokio's own wait still reaps it.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_waitid,
                libc::P_PID,
                pid,
                std::ptr::addr_of_mut!(info),
                libc::WEXITED | libc::WNOWAIT,
                std::ptr::addr_of_mut!(usage),
            )
        };
        if rc == 0 {
            let time = |tv: libc::timeval| {
                Duration::from_secs(u64::try_from(tv.tv_sec).unwrap_or(0))
                    + Duration::from_micros(u64::try_from(tv.tv_usec).unwrap_or(0))
            };
            return Some(Resources {
                cpu: time(usage.ru_utime) + time(usage.ru_stime),
                // Linux counts `ru_maxrss` in kilobytes.
                peak_rss_bytes: u64::try_from(usage.ru_maxrss)
                    .unwrap_or(0)
                    .saturating_mul(1024),
            });
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return None;
        }
    }
}

/// Starts watching for the child's exit on the blocking pool, when the OS
/// can report what it used.
fn watch_exit(pid: u32) -> Option<tokio::task::JoinHandle<Option<Resources>>> {
    #[cfg(target_os = "linux")]
    {
        let pid = i32::try_from(pid).ok().filter(|pid| *pid > 0)?;
        Some(tokio::task::spawn_blocking(move || peek_exit(pid)))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

async fn watched(
    watcher: &mut Option<tokio::task::JoinHandle<Option<Resources>>>,
) -> Option<Resources> {
    match watcher {
        Some(handle) => handle.await.ok().flatten(),
        None => std::future::pending().await,
    }
}

/// A failure to start the child.
#[derive(Debug)]
pub struct SpawnError {
    /// The program.
    pub program: PathBuf,
    /// The OS error.
    pub error: std::io::Error,
}

fn signal_group(pid: u32, signal: i32) {
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals the process group the
        // child leads (it was spawned with process_group(0)); no memory is
        // involved and a stale group only yields ESRCH.
        unsafe {
            libc::kill(-pid, signal);
        }
    }
}

/// Serializes the spawns of this process (see [`spawn`]).
static SPAWN_WITH_FD: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Spawns `command`; when `inherit_fd` is given the child inherits that
/// descriptor. Instead of a `pre_exec` hook — which forces a full `fork` of
/// this multi-threaded process and cost about 1 ms per agent turn in the
/// benchmark — the descriptor's close-on-exec flag is cleared only around the
/// spawn (a `vfork`/`posix_spawn` that returns once the child has exec'd),
/// under a lock that every such spawn takes, so no other child of ours
/// inherits it. (Other spawns in nexus — the planner's CLI, `doctor` — never
/// run during a `run`.)
fn spawn(
    command: &mut Command,
    inherit_fd: Option<std::os::fd::RawFd>,
) -> std::io::Result<tokio::process::Child> {
    // Every spawn takes the lock: a child spawned while another's descriptor
    // is inheritable would inherit it too.
    let _serial = SPAWN_WITH_FD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(fd) = inherit_fd else {
        return command.spawn();
    };
    set_cloexec(fd, false)?;
    let child = command.spawn();
    set_cloexec(fd, true)?;
    child
}

fn set_cloexec(fd: std::os::fd::RawFd, on: bool) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor this process owns (a held lock file);
    // F_GETFD/F_SETFD only read and write its flags.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFD);
        if flags < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let flags = if on {
            flags | libc::FD_CLOEXEC
        } else {
            flags & !libc::FD_CLOEXEC
        };
        if libc::fcntl(fd, libc::F_SETFD, flags) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Sends SIGTERM to the group and schedules SIGKILL after `grace`, unless
/// a SIGKILL is already scheduled (a later request never postpones it).
fn terminate(pid: u32, grace: Duration, kill_at: &mut Option<tokio::time::Instant>) {
    signal_group(pid, libc::SIGTERM);
    kill_at.get_or_insert_with(|| tokio::time::Instant::now() + grace);
}

/// Runs the child to completion under supervision. `on_line` sees every
/// stdout line as it arrives (progress, logs).
pub async fn run(
    spec: &Spec,
    mut stop: StopReceiver,
    mut on_line: impl FnMut(&str),
) -> Result<Finished, SpawnError> {
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(env) = &spec.env {
        command.env_clear().envs(env);
    }
    let started = Instant::now();
    let mut child = spawn(&mut command, spec.inherit_fd).map_err(|error| SpawnError {
        program: spec.program.clone(),
        error,
    })?;
    let pid = child.id().unwrap_or(0);
    let mut watcher = watch_exit(pid);
    let mut resources = None;
    let mut stdout_lines = child.stdout.take().map(LineReader::new);
    let mut stderr_lines = child.stderr.take().map(LineReader::new);
    let mut stdout = Tail::default();
    let mut stderr = Tail::default();
    let mut stopped: Option<Stopped> = None;
    let mut kill_at: Option<tokio::time::Instant> = None;
    let mut last_activity = tokio::time::Instant::now();
    let deadline = tokio::time::Instant::now() + spec.timeout;
    let mut status = None;
    let mut exited_at: Option<tokio::time::Instant> = None;
    let mut leaked = false;
    let mut stop_open = true;

    loop {
        if status.is_some() && stdout_lines.is_none() && stderr_lines.is_none() {
            break;
        }
        let inactivity_at = last_activity + spec.inactivity;
        let leak_at = exited_at.map(|at| at + spec.leak_timeout);
        tokio::select! {
            line = next_line(&mut stdout_lines), if stdout_lines.is_some() => {
                match line {
                    Some(line) => {
                        on_line(&line);
                        stdout.push(&line);
                        last_activity = tokio::time::Instant::now();
                    }
                    None => stdout_lines = None,
                }
            }
            line = next_line(&mut stderr_lines), if stderr_lines.is_some() => {
                match line {
                    Some(line) => {
                        stderr.push(&line);
                        last_activity = tokio::time::Instant::now();
                    }
                    None => stderr_lines = None,
                }
            }
            used = watched(&mut watcher), if status.is_none() && watcher.is_some() => {
                watcher = None;
                // With the child's figures it is a zombie now, and tokio's
                // wait reaps it at once. Without them (the watch failed) it
                // may still run: the `child.wait()` branch below waits for
                // it, with output, timers and stops still served.
                if used.is_some() {
                    resources = used;
                    status = Some(child.wait().await);
                    exited_at = Some(tokio::time::Instant::now());
                }
            }
            result = child.wait(), if status.is_none() && watcher.is_none() => {
                status = Some(result);
                exited_at = Some(tokio::time::Instant::now());
            }
            () = tokio::time::sleep_until(deadline), if status.is_none() && stopped.is_none() => {
                stopped = Some(Stopped::Timeout);
                terminate(pid, spec.grace, &mut kill_at);
            }
            () = tokio::time::sleep_until(inactivity_at), if status.is_none() && stopped.is_none() => {
                stopped = Some(Stopped::Inactive);
                terminate(pid, spec.grace, &mut kill_at);
            }
            () = sleep_until_opt(kill_at), if kill_at.is_some() && status.is_none() => {
                signal_group(pid, libc::SIGKILL);
                kill_at = None;
            }
            () = sleep_until_opt(leak_at), if leak_at.is_some() => {
                // The child is gone but something it started holds the pipes.
                leaked = true;
                signal_group(pid, libc::SIGKILL);
                stdout_lines = None;
                stderr_lines = None;
            }
            changed = stop.changed(), if status.is_none() && stop_open => {
                if changed.is_err() {
                    // The sender is gone: nobody can ask us to stop any more.
                    stop_open = false;
                    continue;
                }
                let request = *stop.borrow_and_update();
                match request {
                    Stop::None => {}
                    Stop::Graceful => {
                        stopped.get_or_insert(Stopped::Interrupted);
                        terminate(pid, spec.grace, &mut kill_at);
                    }
                    Stop::Immediate => {
                        stopped.get_or_insert(Stopped::Interrupted);
                        signal_group(pid, libc::SIGKILL);
                        kill_at = None;
                    }
                }
            }
        }
    }
    // Whatever the child left behind in its group goes with it.
    if stopped.is_some() || leaked {
        signal_group(pid, libc::SIGKILL);
    }
    let (code, signal) = match status {
        Some(Ok(status)) => {
            use std::os::unix::process::ExitStatusExt;
            (status.code(), status.signal())
        }
        _ => (None, None),
    };
    Ok(Finished {
        code,
        signal,
        stdout_bytes: stdout.bytes,
        stdout_tail: stdout.text,
        stderr_tail: stderr.text,
        duration: started.elapsed(),
        stopped,
        leaked,
        resources,
    })
}

/// How much of each stream a finished child keeps: its end, for messages
/// and evidence. Agent output is streamed to its log line by line instead
/// of being held (200 MB of output once meant 621 MB of memory).
pub const TAIL_BYTES: usize = 64 * 1024;

/// The end of a stream, at most [`TAIL_BYTES`] (cut at a line start).
#[derive(Default)]
struct Tail {
    text: String,
    bytes: u64,
}

impl Tail {
    fn push(&mut self, line: &str) {
        self.bytes += line.len() as u64 + 1;
        self.text.push_str(line);
        self.text.push('\n');
        if self.text.len() > 2 * TAIL_BYTES {
            let mut cut = self.text.len() - TAIL_BYTES;
            while !self.text.is_char_boundary(cut) {
                cut += 1;
            }
            // Keep whole lines where one starts soon after the cut.
            if let Some(newline) = self.text[cut..].find('\n')
                && newline < 1024
            {
                cut += newline + 1;
            }
            self.text.drain(..cut);
        }
    }
}

/// Reads lines of raw bytes (lossy UTF-8: one bad byte must not end the
/// stream). Cancel safe in `select!`: a partial line stays in `buffer`.
struct LineReader<R> {
    reader: BufReader<R>,
    buffer: Vec<u8>,
}

impl<R: tokio::io::AsyncRead + Unpin> LineReader<R> {
    fn new(inner: R) -> Self {
        LineReader {
            reader: BufReader::new(inner),
            buffer: Vec::new(),
        }
    }

    /// Returns the next line without its newline; `None` at end of stream or
    /// on a read error.
    async fn next(&mut self) -> Option<String> {
        match self.reader.read_until(b'\n', &mut self.buffer).await {
            Ok(0) | Err(_) if self.buffer.is_empty() => None,
            Ok(_) | Err(_) => {
                let mut line = std::mem::take(&mut self.buffer);
                if line.last() == Some(&b'\n') {
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                }
                Some(String::from_utf8_lossy(&line).into_owned())
            }
        }
    }
}

async fn next_line<R: tokio::io::AsyncRead + Unpin>(
    lines: &mut Option<LineReader<R>>,
) -> Option<String> {
    match lines {
        Some(lines) => lines.next().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Returns the last `max_lines` lines of `text`, at most `max_bytes` long.
pub fn tail(text: &str, max_lines: usize, max_bytes: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(max_lines);
    let joined = lines[start..].join("\n");
    if joined.len() <= max_bytes {
        return joined;
    }
    let mut cut = joined.len() - max_bytes;
    while !joined.is_char_boundary(cut) {
        cut += 1;
    }
    format!("…{}", &joined[cut..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(script: &str) -> Spec {
        Spec {
            program: PathBuf::from("/bin/sh"),
            args: vec!["-c".into(), script.into()],
            cwd: std::env::temp_dir(),
            env: None,
            timeout: Duration::from_secs(30),
            inactivity: Duration::from_secs(30),
            grace: Duration::from_millis(300),
            leak_timeout: Duration::from_millis(300),
            inherit_fd: None,
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn captures_output_lines_and_exit_code() {
        let (stop, _keep) = crate::proc::signals::never();
        let mut seen = Vec::new();
        let finished = block_on(run(
            &spec("echo one; echo two; echo err >&2; exit 3"),
            stop,
            |line| {
                seen.push(line.to_string());
            },
        ))
        .unwrap();
        assert_eq!(finished.code, Some(3));
        assert_eq!(finished.stdout_tail, "one\ntwo\n");
        assert_eq!(finished.stderr_tail, "err\n");
        assert_eq!(seen, vec!["one", "two"]);
        assert!(finished.stopped.is_none() && !finished.leaked);
    }

    #[test]
    fn wall_clock_timeout_terminates_then_kills_a_stubborn_group() {
        let (stop, _keep) = crate::proc::signals::never();
        // The timeout leaves the shell ample time to set its trap first.
        let mut stubborn = spec("trap '' TERM; while true; do echo tick; sleep 0.05; done");
        stubborn.timeout = Duration::from_millis(1500);
        let finished = block_on(run(&stubborn, stop, |_| {})).unwrap();
        assert_eq!(finished.stopped, Some(Stopped::Timeout));
        assert_eq!(finished.signal, Some(libc::SIGKILL));
    }

    #[test]
    fn inactivity_timeout_fires_on_silence() {
        let (stop, _keep) = crate::proc::signals::never();
        let mut silent = spec("echo start; sleep 30");
        silent.inactivity = Duration::from_millis(300);
        let finished = block_on(run(&silent, stop, |_| {})).unwrap();
        assert_eq!(finished.stopped, Some(Stopped::Inactive));
        assert_eq!(finished.stdout_tail, "start\n");
        assert!(finished.signal.is_some());
    }

    #[test]
    fn a_grandchild_holding_the_pipe_is_detected_as_a_leak() {
        let (stop, _keep) = crate::proc::signals::never();
        let finished =
            block_on(run(&spec("(sleep 30) & echo done; exit 0"), stop, |_| {})).unwrap();
        assert_eq!(finished.code, Some(0));
        assert!(finished.leaked);
        assert_eq!(finished.stdout_tail, "done\n");
        assert!(finished.duration < Duration::from_secs(20));
    }

    #[test]
    fn a_stop_request_interrupts_the_group() {
        let (stop, sender) = crate::proc::signals::never();
        let finished = block_on(async move {
            let handle =
                tokio::spawn(async move { run(&spec("echo up; sleep 30"), stop, |_| {}).await });
            tokio::time::sleep(Duration::from_millis(200)).await;
            sender.send(Stop::Graceful).unwrap();
            handle.await.unwrap()
        })
        .unwrap();
        assert_eq!(finished.stopped, Some(Stopped::Interrupted));
        assert_eq!(finished.signal, Some(libc::SIGTERM));
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let (stop, _keep) = crate::proc::signals::never();
        let mut missing = spec("");
        missing.program = PathBuf::from("/nonexistent/claude");
        let error = block_on(run(&missing, stop, |_| {})).unwrap_err();
        assert_eq!(error.error.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn a_non_utf8_byte_does_not_end_the_stream() {
        let (stop, _keep) = crate::proc::signals::never();
        let finished = block_on(run(
            &spec("printf 'bin\\377ary\\n'; echo after; exit 0"),
            stop,
            |_| {},
        ))
        .unwrap();
        assert_eq!(finished.code, Some(0));
        assert!(
            finished.stdout_tail.contains("bin\u{fffd}ary"),
            "{:?}",
            finished.stdout_tail
        );
        assert!(finished.stdout_tail.contains("after"));
    }

    #[test]
    fn only_the_end_of_a_large_output_is_kept() {
        let (stop, _keep) = crate::proc::signals::never();
        let mut lines = 0usize;
        let finished = block_on(run(
            &spec("i=0; while [ $i -lt 20000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done"),
            stop,
            |_| lines += 1,
        ))
        .unwrap();
        assert_eq!(lines, 20000, "every line reaches the callback");
        assert!(finished.stdout_bytes > 600_000);
        assert!(finished.stdout_tail.len() <= 2 * TAIL_BYTES);
        assert!(
            finished
                .stdout_tail
                .ends_with("line-19999-xxxxxxxxxxxxxxxxxxxxxxxx\n")
        );
        assert!(
            finished.stdout_tail.starts_with("line-"),
            "cut at a line start"
        );
    }

    #[test]
    fn an_explicit_environment_replaces_the_inherited_one() {
        let (stop, _keep) = crate::proc::signals::never();
        let mut only = spec("env");
        only.env = Some(BTreeMap::from([("ONLY_THIS".to_string(), "1".to_string())]));
        let finished = block_on(run(&only, stop, |_| {})).unwrap();
        let names: Vec<&str> = finished
            .stdout_tail
            .lines()
            .filter_map(|line| line.split('=').next())
            .filter(|name| *name != "PWD" && *name != "SHLVL" && *name != "_")
            .collect();
        assert_eq!(names, vec!["ONLY_THIS"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_childs_own_cpu_time_and_peak_memory_are_measured() {
        let (stop, _keep) = crate::proc::signals::never();
        // Busy for a while, and a child of its own that holds ~40 MB: its
        // figures count too, since the shell waits for it.
        let finished = block_on(run(
            &spec(
                "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; \
                 head -c 40000000 /dev/zero | tail -c 1 >/dev/null; exit 0",
            ),
            stop,
            |_| {},
        ))
        .unwrap();
        assert_eq!(finished.code, Some(0));
        let resources = finished.resources.expect("measured on Linux");
        assert!(resources.cpu > Duration::from_millis(50), "{resources:?}");
        assert!(resources.cpu < finished.duration * 4, "{resources:?}");
        assert!(resources.peak_rss_bytes > 1_000_000, "{resources:?}");
        assert!(resources.peak_memory_mb() > 1.0);
        // Children running side by side each get their own figures.
        let (stop, _keep) = crate::proc::signals::never();
        let sleeper = spec("sleep 0.5");
        let worker = spec("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done");
        let (idle, busy) = block_on(async {
            tokio::join!(
                run(&sleeper, stop.clone(), |_| {}),
                run(&worker, stop.clone(), |_| {})
            )
        });
        let idle = idle.unwrap().resources.expect("measured");
        let busy = busy.unwrap().resources.expect("measured");
        assert!(idle.cpu < busy.cpu, "idle {idle:?} busy {busy:?}");
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail("a\nb\nc", 2, 100), "b\nc");
        assert_eq!(tail("abcdef", 5, 3), "…def");
    }
}
