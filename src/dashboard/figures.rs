//! The dashboard's derived figures beyond counts: the machine it runs on,
//! the agents' use of it (CPU time and peak memory of their attempts, from
//! the OS's accounting of each finished process), the quality score of
//! completed tasks, health labels and today's window. The formulas are
//! documented in the `dashboard` module docs and pinned by the tests below.

use std::time::Duration;

use serde::Serialize;

use crate::state::outcome::AttemptOutcome;
use crate::state::task::{Attempt, TaskRecord, TaskState};
use crate::time::Timestamp;

/// The machine's capacity, which usage percentages are relative to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Machine {
    /// CPUs this process may use.
    pub cpus: u32,
    /// Total memory in MB (10⁶ bytes), from `/proc/meminfo`; `None` where
    /// there is none.
    pub memory_total_mb: Option<f64>,
}

impl Machine {
    /// Returns this machine's capacity.
    pub fn detect() -> Self {
        let cpus = std::thread::available_parallelism()
            .ok()
            .and_then(|count| u32::try_from(count.get()).ok())
            .unwrap_or(1);
        let memory_total_mb = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| memory_total_mb(&text));
        Machine {
            cpus,
            memory_total_mb,
        }
    }
}

impl Machine {
    /// Parses `CPUS,MEMORY_MB` (`NEXUS_MACHINE`).
    pub fn parse(text: &str) -> Option<Self> {
        let (cpus, memory) = text.split_once(',')?;
        let cpus: u32 = cpus.trim().parse().ok().filter(|cpus| *cpus > 0)?;
        let memory: f64 = memory
            .trim()
            .parse()
            .ok()
            .filter(|memory: &f64| memory.is_finite() && *memory > 0.0)?;
        Some(Machine {
            cpus,
            memory_total_mb: Some(memory),
        })
    }
}

/// Returns `MemTotal` of a `/proc/meminfo` text, in MB.
fn memory_total_mb(meminfo: &str) -> Option<f64> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kilobytes: f64 = line
        .trim_start_matches("MemTotal:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(round1(kilobytes * 1024.0 / 1_000_000.0))
}

/// Rounds to one decimal.
pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// What some attempts used of the machine.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResourceUse {
    /// Attempts with figures (older ones and other OSes have none).
    pub measured_attempts: usize,
    /// Their CPU seconds, summed.
    pub cpu_seconds: f64,
    /// The largest peak memory of one attempt, MB.
    pub peak_memory_mb: Option<f64>,
    /// The most memory attempts that ran at the same time held: the sum of
    /// their peaks (an upper bound), MB.
    pub concurrent_memory_mb: Option<f64>,
    /// Wall seconds during which at least one measured attempt ran.
    pub busy_seconds: f64,
}

/// Returns what `attempts` used: only finished attempts with figures count.
pub fn resource_use<'a>(attempts: impl Iterator<Item = &'a Attempt>) -> ResourceUse {
    let mut used = ResourceUse::default();
    let mut spans: Vec<(Timestamp, Timestamp, f64)> = Vec::new();
    for attempt in attempts {
        let (Some(cpu), Some(finished)) = (attempt.cpu_seconds, attempt.finished_at) else {
            continue;
        };
        used.measured_attempts += 1;
        used.cpu_seconds += cpu;
        let peak = attempt.peak_memory_mb.unwrap_or(0.0);
        used.peak_memory_mb = Some(used.peak_memory_mb.unwrap_or(0.0).max(peak));
        spans.push((attempt.started_at, finished.max(attempt.started_at), peak));
    }
    if spans.is_empty() {
        return used;
    }
    // Sweep the start and end points: the busy union and the largest sum
    // of peaks at one time (an end before a start at the same instant).
    let mut points: Vec<(Timestamp, bool, f64)> = spans
        .iter()
        .flat_map(|(start, end, peak)| [(*start, true, *peak), (*end, false, *peak)])
        .collect();
    points.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut open, mut held, mut most) = (0usize, 0.0f64, 0.0f64);
    let mut busy = Duration::ZERO;
    let mut since: Option<Timestamp> = None;
    for (at, starts, peak) in points {
        if starts {
            if open == 0 {
                since = Some(at);
            }
            open += 1;
            held += peak;
            most = most.max(held);
        } else {
            open = open.saturating_sub(1);
            held = (held - peak).max(0.0);
            if open == 0
                && let Some(from) = since.take()
            {
                busy += from.until(at);
            }
        }
    }
    used.cpu_seconds = (used.cpu_seconds * 1000.0).round() / 1000.0;
    used.concurrent_memory_mb = Some(round1(most));
    used.busy_seconds = (busy.as_secs_f64() * 1000.0).round() / 1000.0;
    used
}

impl ResourceUse {
    /// Returns the CPU time as a percentage of the machine's CPU time while
    /// the attempts ran (busy wall time × CPUs).
    pub fn cpu_percent(&self, machine: &Machine) -> Option<f64> {
        let capacity = self.busy_seconds * f64::from(machine.cpus.max(1));
        (self.measured_attempts > 0 && capacity > 0.0)
            .then(|| round1((self.cpu_seconds / capacity * 100.0).min(100.0)))
    }

    /// Returns the largest concurrent memory as a percentage of the
    /// machine's memory.
    pub fn memory_percent(&self, machine: &Machine) -> Option<f64> {
        let total = machine.memory_total_mb.filter(|total| *total > 0.0)?;
        self.concurrent_memory_mb
            .map(|held| round1((held / total * 100.0).min(100.0)))
    }
}

/// The weights of the quality score's parts: verification passed the
/// first time it ran, the agent's confidence, and no retries.
pub const QUALITY_WEIGHTS: (f64, f64, f64) = (0.4, 0.4, 0.2);

/// Returns the quality score (0–10, one decimal) of a completed task:
/// `10 × (0.4·V + 0.4·C + 0.2·R) / (0.4 + 0.4 + 0.2)` where `V` is 1 when
/// no attempt failed its verification, `C` the confidence (0–1) the agent
/// gave in the answer that completed it, and `R` 1 / attempts. Without a
/// confidence its weight is left out (`/ 0.6`). `None` unless completed.
pub fn quality_score(record: &TaskRecord) -> Option<f64> {
    if record.state != TaskState::Completed || record.attempts.is_empty() {
        return None;
    }
    let (verified_weight, confidence_weight, retry_weight) = QUALITY_WEIGHTS;
    let verified = if record
        .attempts
        .iter()
        .any(|attempt| attempt.outcome == AttemptOutcome::VerificationFailed)
    {
        0.0
    } else {
        1.0
    };
    #[allow(clippy::cast_precision_loss)]
    let retries = 1.0 / record.attempts.len() as f64;
    let confidence = record
        .attempts
        .last()
        .and_then(|attempt| attempt.confidence)
        .filter(|confidence| confidence.is_finite())
        .map(|confidence| confidence.clamp(0.0, 1.0));
    let (sum, weights) = match confidence {
        Some(confidence) => (
            verified_weight * verified + confidence_weight * confidence + retry_weight * retries,
            verified_weight + confidence_weight + retry_weight,
        ),
        None => (
            verified_weight * verified + retry_weight * retries,
            verified_weight + retry_weight,
        ),
    };
    Some(round1(10.0 * sum / weights))
}

/// Returns the mean of some quality scores, one decimal.
pub fn mean_quality(scores: &[f64]) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (!scores.is_empty()).then(|| round1(scores.iter().sum::<f64>() / scores.len() as f64))
}

/// How many recent finished attempts the health score weighs.
pub const HEALTH_WINDOW: usize = 10;
/// The weight of each older attempt relative to the next newer one.
pub const HEALTH_DECAY: f64 = 0.8;

/// Returns the health score of outcomes ordered oldest → newest: the
/// success share of the last [`HEALTH_WINDOW`], each older one weighing
/// [`HEALTH_DECAY`] times the next newer one, as 0–100.
pub fn health_score(successes_oldest_first: &[bool]) -> Option<u32> {
    let recent = successes_oldest_first
        .iter()
        .rev()
        .take(HEALTH_WINDOW)
        .enumerate();
    let (mut good, mut all) = (0.0, 0.0);
    for (age, success) in recent {
        let weight = HEALTH_DECAY.powi(i32::try_from(age).unwrap_or(i32::MAX));
        all += weight;
        if *success {
            good += weight;
        }
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (all > 0.0).then(|| (good / all * 100.0).round() as u32)
}

/// Returns the word for a 0–100 health score: `excellent` (90 and up),
/// `good` (75–89), `degraded` (50–74) or `failing` (below 50).
pub fn health_label(score: Option<u32>) -> Option<&'static str> {
    score.map(|score| match score {
        90.. => "excellent",
        75..=89 => "good",
        50..=74 => "degraded",
        _ => "failing",
    })
}

/// Returns the start of `now`'s day, 00:00 UTC: "today" in the counters.
pub fn day_start(now: Timestamp) -> Timestamp {
    let seconds = now
        .0
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    Timestamp(std::time::UNIX_EPOCH + Duration::from_secs(seconds - seconds % 86_400))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::outcome::Outcome;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn attempt(start: &str, end: &str, cpu: f64, peak: f64) -> Attempt {
        let mut attempt = Attempt::started(1, "a", at(start));
        attempt.finished_at = Some(at(end));
        attempt.outcome = Outcome::Success.into();
        attempt.cpu_seconds = Some(cpu);
        attempt.peak_memory_mb = Some(peak);
        attempt
    }

    #[test]
    fn resource_use_sums_cpu_unions_busy_time_and_finds_the_concurrent_peak() {
        let attempts = [
            attempt("2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z", 4.0, 100.0),
            attempt("2026-01-01T00:00:05Z", "2026-01-01T00:00:20Z", 6.0, 300.0),
            attempt("2026-01-01T00:01:00Z", "2026-01-01T00:01:10Z", 2.0, 50.0),
        ];
        let mut unmeasured = attempt("2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", 0.0, 0.0);
        unmeasured.cpu_seconds = None;
        let used = resource_use(attempts.iter().chain([&unmeasured]));
        assert_eq!(used.measured_attempts, 3);
        assert!((used.cpu_seconds - 12.0).abs() < 1e-9);
        assert_eq!(used.peak_memory_mb, Some(300.0));
        assert_eq!(
            used.concurrent_memory_mb,
            Some(400.0),
            "the first two overlap"
        );
        assert!((used.busy_seconds - 30.0).abs() < 1e-9, "{used:?}");
        let machine = Machine {
            cpus: 2,
            memory_total_mb: Some(8000.0),
        };
        // 12 CPU seconds over 30 busy seconds of 2 CPUs.
        assert_eq!(used.cpu_percent(&machine), Some(20.0));
        assert_eq!(used.memory_percent(&machine), Some(5.0));
        assert_eq!(resource_use(std::iter::empty()).cpu_percent(&machine), None);
    }

    #[test]
    fn quality_rewards_first_time_verification_confidence_and_no_retries() {
        let mut record = TaskRecord::pending("t");
        assert_eq!(quality_score(&record), None, "not completed");
        record.state = TaskState::Completed;
        let mut done = attempt("2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z", 1.0, 1.0);
        done.confidence = Some(0.9);
        record.attempts = vec![done.clone()];
        // 10 × (0.4 + 0.4 × 0.9 + 0.2) = 9.6
        assert_eq!(quality_score(&record), Some(9.6));
        let mut failed = done.clone();
        failed.outcome = AttemptOutcome::VerificationFailed;
        record.attempts = vec![failed, done.clone()];
        // 10 × (0 + 0.36 + 0.2 / 2) = 4.6
        assert_eq!(quality_score(&record), Some(4.6));
        done.confidence = None;
        record.attempts = vec![done];
        // No confidence: 10 × (0.4 + 0.2) / 0.6 = 10
        assert_eq!(quality_score(&record), Some(10.0));
        assert_eq!(mean_quality(&[9.6, 4.6]), Some(7.1));
        assert_eq!(mean_quality(&[]), None);
    }

    #[test]
    fn health_labels_and_today() {
        assert_eq!(health_label(Some(100)), Some("excellent"));
        assert_eq!(health_label(Some(90)), Some("excellent"));
        assert_eq!(health_label(Some(89)), Some("good"));
        assert_eq!(health_label(Some(75)), Some("good"));
        assert_eq!(health_label(Some(74)), Some("degraded"));
        assert_eq!(health_label(Some(50)), Some("degraded"));
        assert_eq!(health_label(Some(49)), Some("failing"));
        assert_eq!(health_label(None), None);
        assert_eq!(
            day_start(at("2026-11-26T10:00:00.123Z")),
            at("2026-11-26T00:00:00Z")
        );
        assert_eq!(
            memory_total_mb("MemTotal:       24576000 kB\nMemFree: 1 kB\n"),
            Some(25165.8)
        );
        assert_eq!(memory_total_mb("nothing"), None);
        assert_eq!(
            Machine::parse("2, 8000"),
            Some(Machine {
                cpus: 2,
                memory_total_mb: Some(8000.0)
            })
        );
        for bad in ["", "2", "0,8000", "2,-1", "x,1"] {
            assert_eq!(Machine::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn health_weighs_recent_outcomes_more() {
        assert_eq!(health_score(&[]), None);
        assert_eq!(health_score(&[true, true]), Some(100));
        assert_eq!(health_score(&[false]), Some(0));
        // Newest failed: 0.8 / 1.8 of the weight succeeded.
        assert_eq!(health_score(&[true, false]), Some(44));
        // Newest succeeded: 1 / 1.8.
        assert_eq!(health_score(&[false, true]), Some(56));
        // Only the last ten count.
        let mut long = vec![false; 20];
        long.extend([true; 10]);
        assert_eq!(health_score(&long), Some(100));
    }
}
