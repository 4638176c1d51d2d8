//! Ctrl-C for the long-lived readers (`status --watch`, `log --follow`): a
//! SIGINT handler that only sets a flag, which the loops poll between frames.
//! A frame is one `write`, and the handler is installed with `SA_RESTART`, so
//! a signal never leaves a frame half drawn; the loop ends and nexus exits 0.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_signal: libc::c_int) {
    // Only async-signal-safe work here: an atomic store.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs the SIGINT handler (idempotent).
pub fn install() {
    // SAFETY: the sigaction struct is zeroed then filled with a valid handler
    // whose body is async-signal-safe; SIGINT is a valid signal number.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&raw mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &raw const action, std::ptr::null_mut());
    }
}

/// Returns whether SIGINT arrived since [`install`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Sleeps for `duration` in short steps; returns `true` early on SIGINT.
pub fn sleep(duration: Duration) -> bool {
    let deadline = Instant::now() + duration;
    loop {
        if interrupted() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
    }
}
