//! Identifiers: random hex ids, UUID v4 session ids, protocol message ids,
//! and resolution of ids given by unique prefix.

use std::io::Read;

use anyhow::{Result, bail};

use crate::time::Timestamp;

/// Returns `count` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let filled =
        std::fs::File::open("/dev/urandom").and_then(|mut file| file.read_exact(&mut bytes));
    if filled.is_err() {
        // No /dev/urandom (a strange chroot): fall back to time and pid mixing,
        // which is unique enough for file names that are also checked for clashes.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let mut state = (nanos as u64) ^ (u64::from(std::process::id()) << 32);
        for byte in &mut bytes {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            *byte = (state >> 33) as u8;
        }
    }
    bytes
}

/// Returns `len` random lowercase hex characters (len ≤ 32).
pub fn random_hex(len: usize) -> String {
    let bytes = random_bytes::<16>();
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    hex[..len.min(32)].to_string()
}

/// Returns a new random UUID v4, as the Claude CLI's `--session-id` expects.
pub fn uuid_v4() -> String {
    let mut bytes = random_bytes::<16>();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Returns whether `text` is a UUID in the 8-4-4-4-12 hex form.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Returns a protocol message id: `msg_YYYYMMDD_HHMMSS_xxxxxx`.
pub fn message_id(now: Timestamp) -> String {
    format!("msg_{}_{}", now.compact(), random_hex(6))
}

/// Returns whether `id` is usable as a file name component: ASCII letters,
/// digits, `_`, `-` and `.`, not starting with `.` or `-`, at most 64 bytes.
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with(['.', '-'])
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Checks that `id` is a safe file-name id, naming `what` it is otherwise.
pub fn check_safe_id(what: &str, id: &str) -> Result<()> {
    if is_safe_id(id) {
        Ok(())
    } else {
        bail!(
            "{what} id `{id}` is not valid: use 1-64 ASCII letters, digits, `_`, `-` or `.`, not starting with `.` or `-`"
        )
    }
}

/// Resolves `given` against `candidates`: an exact match, else the single
/// candidate it is a prefix of. `what` names the kind of id in errors.
pub fn resolve_prefix<'a>(what: &str, given: &str, candidates: &'a [String]) -> Result<&'a str> {
    if let Some(exact) = candidates
        .iter()
        .find(|candidate| candidate.as_str() == given)
    {
        return Ok(exact);
    }
    let matches: Vec<&String> = candidates
        .iter()
        .filter(|candidate| candidate.starts_with(given))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.as_str()),
        [] if candidates.is_empty() => bail!("no {what} `{given}`: there is no {what} yet"),
        [] => bail!(
            "no {what} `{given}` (known: {})",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        many => bail!(
            "{what} prefix `{given}` is ambiguous: it matches {}",
            many.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Returns the shortest prefix length (at least `min`) that tells each id apart.
pub fn shortest_unique_prefix(id: &str, all: &[String], min: usize) -> usize {
    let mut len = min.min(id.len());
    while len < id.len()
        && all
            .iter()
            .any(|other| other != id && other.starts_with(&id[..len]))
    {
        len += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_and_distinct() {
        let first = uuid_v4();
        assert!(is_uuid(&first), "{first}");
        assert_eq!(&first[14..15], "4");
        assert!(matches!(&first[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(first, uuid_v4());
        assert!(!is_uuid("not-a-uuid"));
    }

    #[test]
    fn prefixes_resolve_uniquely_or_fail_clearly() {
        let ids = vec!["a1b2".to_string(), "a1c3".to_string(), "ff00".to_string()];
        assert_eq!(resolve_prefix("plan", "ff", &ids).unwrap(), "ff00");
        assert_eq!(resolve_prefix("plan", "a1b2", &ids).unwrap(), "a1b2");
        let ambiguous = resolve_prefix("plan", "a1", &ids).unwrap_err().to_string();
        assert!(ambiguous.contains("ambiguous"), "{ambiguous}");
        assert!(resolve_prefix("plan", "zz", &ids).is_err());
        assert_eq!(shortest_unique_prefix("a1b2", &ids, 1), 3);
        assert_eq!(shortest_unique_prefix("ff00", &ids, 1), 1);
    }

    #[test]
    fn safe_ids_reject_paths() {
        assert!(is_safe_id("code_developer"));
        assert!(!is_safe_id("../etc"));
        assert!(!is_safe_id("a/b"));
        assert!(!is_safe_id(""));
        assert!(!is_safe_id(".hidden"));
    }
}
