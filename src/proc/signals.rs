//! SIGINT/SIGTERM handling: the first signal asks for a graceful stop
//! (terminate process groups with a grace period, record `interrupted`, exit
//! 130), the second kills at once (nextest's `SignalCount`, just's handler).

use tokio::sync::watch;

/// How hard to stop, broadcast to every supervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Stop {
    /// Keep going.
    #[default]
    None,
    /// First signal: SIGTERM the groups, wait the grace period, then SIGKILL.
    Graceful,
    /// Second signal: SIGKILL at once.
    Immediate,
}

/// A receiver of stop requests.
pub type StopReceiver = watch::Receiver<Stop>;

/// Installs SIGINT and SIGTERM handlers (inside a tokio runtime) and returns
/// a receiver that moves to `Graceful`, then `Immediate`.
pub fn install() -> std::io::Result<(StopReceiver, watch::Sender<Stop>)> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let (sender, receiver) = watch::channel(Stop::None);
    let task_sender = sender.clone();
    tokio::spawn(async move {
        let mut count = 0u32;
        loop {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            count += 1;
            let stop = if count == 1 {
                Stop::Graceful
            } else {
                Stop::Immediate
            };
            if task_sender.send(stop).is_err() {
                break;
            }
        }
    });
    Ok((receiver, sender))
}

/// Returns a receiver that never fires (tests, `--dry-run`).
pub fn never() -> (StopReceiver, watch::Sender<Stop>) {
    let (sender, receiver) = watch::channel(Stop::None);
    (receiver, sender)
}
