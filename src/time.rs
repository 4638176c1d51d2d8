//! Timestamps (RFC 3339 UTC with milliseconds) and human durations (`24h`).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time, serialized as RFC 3339 UTC with milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub SystemTime);

impl Timestamp {
    /// Parses an RFC 3339 timestamp.
    pub fn parse(text: &str) -> Result<Self, String> {
        humantime::parse_rfc3339_weak(text.trim())
            .map(Timestamp)
            .map_err(|error| format!("`{text}` is not an RFC 3339 time: {error}"))
    }

    /// Returns the time elapsed from `self` to `later`, zero if negative.
    pub fn until(self, later: Timestamp) -> Duration {
        later.0.duration_since(self.0).unwrap_or_default()
    }

    /// Returns seconds since the Unix epoch, as a float.
    pub fn unix_seconds(self) -> f64 {
        self.0
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
    }

    /// Returns the time as `YYYYMMDD_HHMMSS` for message ids.
    pub fn compact(self) -> String {
        let text = humantime::format_rfc3339_seconds(self.0).to_string();
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        format!("{}_{}", &digits[..8], &digits[8..14])
    }
}

/// Checks a deadline as a user gives it: a date (`2026-12-24`) or an RFC
/// 3339 time in UTC (`2026-12-24T17:00:00Z`); returns it normalized (a date as
/// given, a time in UTC with milliseconds).
pub fn parse_deadline(text: &str) -> Result<String, String> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let is_date = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && text
            .chars()
            .enumerate()
            .all(|(index, c)| index == 4 || index == 7 || c.is_ascii_digit());
    if is_date {
        // The date must exist: check it as the start of that day.
        return Timestamp::parse(&format!("{text}T00:00:00Z"))
            .map(|_| text.to_string())
            .map_err(|_| format!("`{text}` is not a real date"));
    }
    match Timestamp::parse(text) {
        Ok(time) if time.is_representable() => Ok(time.to_string()),
        _ => Err(format!(
            "`{text}` is not a deadline: give a date (`2026-12-24`) or an RFC 3339 time (`2026-12-24T17:00:00Z`)"
        )),
    }
}

impl Timestamp {
    /// Returns whether RFC 3339 can write this time (years up to 9999).
    pub fn is_representable(self) -> bool {
        use std::fmt::Write as _;
        let mut text = String::new();
        write!(text, "{}", humantime::format_rfc3339_millis(self.0)).is_ok()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_representable() {
            write!(f, "{}", humantime::format_rfc3339_millis(self.0))
        } else {
            // Only a computed time (an ETA far away) can get here: files and
            // the clock never hold one. Never fail a whole printout for it.
            f.write_str("9999-12-31T23:59:59.999Z")
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A duration written the human way in config files: `90s`, `30m`, `24h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    /// Parses `90s`, `30m`, `1h 30m`, `24h`, `7days`.
    pub fn parse(text: &str) -> Result<Self, String> {
        humantime::parse_duration(text.trim())
            .map(HumanDuration)
            .map_err(|error| {
                format!("`{text}` is not a duration like `30s`, `10m` or `24h`: {error}")
            })
    }

    /// Returns seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
}

impl std::str::FromStr for HumanDuration {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        HumanDuration::parse(text)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        HumanDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Formats a duration for people: `850ms`, `12.3s`, `4m 05s`, `3h 12m`, `2d 4h`.
pub fn short_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    let secs = duration.as_secs();
    if millis < 1000 {
        format!("{millis}ms")
    } else if secs < 60 {
        format!("{:.1}s", duration.as_secs_f64())
    } else if secs < 3600 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else if secs < 86_400 {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    } else {
        format!("{}d {}h", secs / 86_400, (secs % 86_400) / 3600)
    }
}

#[cfg(test)]
mod deadline_tests {
    use super::*;

    #[test]
    fn deadlines_are_dates_or_times() {
        assert_eq!(parse_deadline("2026-12-24").unwrap(), "2026-12-24");
        assert_eq!(
            parse_deadline("2026-12-24T17:00:00Z").unwrap(),
            "2026-12-24T17:00:00.000Z"
        );
        for bad in ["garbage", "2026-13-40", "tomorrow", "", "2026-02-30"] {
            assert!(parse_deadline(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_as_rfc3339_utc() {
        let stamp = Timestamp::parse("2026-11-26T04:54:41.123Z").unwrap();
        assert_eq!(stamp.to_string(), "2026-11-26T04:54:41.123Z");
        assert_eq!(stamp.compact(), "20261126_045441");
        let json = serde_json::to_string(&stamp).unwrap();
        assert_eq!(json, "\"2026-11-26T04:54:41.123Z\"");
        assert!(Timestamp::parse("yesterday").is_err());
    }

    #[test]
    fn human_durations_parse_and_print() {
        assert_eq!(
            HumanDuration::parse("24h").unwrap().0,
            Duration::from_secs(86_400)
        );
        assert_eq!(HumanDuration::parse("90s").unwrap().to_string(), "1m 30s");
        assert!(HumanDuration::parse("soon").is_err());
        assert_eq!(short_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(short_duration(Duration::from_secs(245)), "4m 05s");
    }
}
