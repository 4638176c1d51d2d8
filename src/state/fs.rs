//! The one write path (`write_atomic`) and the readers of state files.
//!
//! Every write is: a temp file (`.tmp*`) in the same directory, the bytes,
//! `sync_data`, rename over the target, fsync of the directory. A reader never
//! needs a lock and never sees half a file. Unchanged bytes are not written,
//! which keeps mtimes and `git status` quiet.
//!
//! Every read names its path on failure; malformed JSON/TOML names the line,
//! column and field path (via `serde_path_to_error`), and a file written by a
//! newer nexus is refused with both schema versions.

#![allow(
    clippy::disallowed_methods,
    reason = "this module is the write path the other modules must use"
)]

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::exit::{Kind, tagged, tagged_hint};
use crate::state::confine;

/// A state file type with a schema version.
pub trait Versioned {
    /// The newest schema version this nexus reads and writes.
    const SCHEMA: u32;
    /// What the file holds, for messages ("plan", "agent" …).
    const WHAT: &'static str;
}

/// Reads a file to a string, naming the path on failure.
pub fn read_to_string(path: &Path) -> Result<String> {
    confine::check(path)?;
    fs::read_to_string(path).with_context(|| format!("failed to read `{}`", path.display()))
}

/// Reads a file if it exists.
pub fn read_optional(path: &Path) -> Result<Option<String>> {
    confine::check(path)?;
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("failed to read `{}`", path.display())),
    }
}

/// Creates a directory and its parents, naming it on failure.
pub fn create_dir_all(path: &Path) -> Result<()> {
    confine::check(path)?;
    fs::create_dir_all(path)
        .with_context(|| format!("failed to create directory `{}`", path.display()))
}

/// Writes `bytes` to `path` atomically; returns `false` when the file already
/// held exactly these bytes and nothing was written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<bool> {
    write_with_mode(path, bytes, None)
}

/// Writes `bytes` to `path` atomically, readable by its owner only
/// (machine-local logs, the trust file).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<bool> {
    write_with_mode(path, bytes, Some(0o600))
}

fn write_with_mode(path: &Path, bytes: &[u8], fixed_mode: Option<u32>) -> Result<bool> {
    confine::check(path)?;
    if let Ok(existing) = fs::read(path)
        && existing == bytes
        && fixed_mode.is_none()
    {
        return Ok(false);
    }
    let dir = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(&crate::state::litter::temp_prefix())
        .tempfile_in(dir)
        .with_context(|| format!("failed to create a temp file in `{}`", dir.display()))?;
    // tempfile creates 0600 files; a state file is meant to be read (and
    // committed) like any other: keep the old file's mode, else the umask's.
    let mode = fixed_mode.unwrap_or_else(|| {
        fs::metadata(path).map_or_else(
            |_| 0o666 & !umask(),
            |meta| {
                use std::os::unix::fs::PermissionsExt;
                meta.permissions().mode() & 0o7777
            },
        )
    });
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))
            .with_context(|| format!("failed to set the mode of `{}`", temp.path().display()))?;
    }
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_data())
        .with_context(|| format!("failed to write `{}`", temp.path().display()))?;
    temp.persist(path)
        .map_err(|error| error.error)
        .with_context(|| format!("failed to rename a temp file to `{}`", path.display()))?;
    // The rename is durable only once the directory entry is on disk.
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    Ok(true)
}

/// Returns the process's umask (from `/proc/self/status`; 022 if unknown),
/// read without changing it, as `umask(2)` would for every thread.
fn umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("Umask:"))
                    .and_then(|value| u32::from_str_radix(value.trim(), 8).ok())
            })
            .unwrap_or(0o022)
    })
}

/// Returns pretty JSON with a trailing newline (key order = field order).
pub fn to_json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value).context("failed to serialize JSON")?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes a value as pretty JSON, atomically.
pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<bool> {
    write_atomic(path, &to_json_bytes(value)?)
}

/// Writes a value as TOML, atomically.
pub fn write_toml<T: Serialize>(path: &Path, value: &T) -> Result<bool> {
    let text = toml::to_string_pretty(value).context("failed to serialize TOML")?;
    write_atomic(path, text.as_bytes())
}

/// Returns the error for a malformed state file: names the file, keeps the
/// parser's line/column/field message as the cause.
fn malformed(path: &Path, what: &str, detail: impl std::fmt::Display) -> anyhow::Error {
    // The configuration must be there; records nexus wrote may go.
    let hint = if matches!(what, "config" | "agent") {
        "fix that file; nothing else was changed"
    } else {
        "fix or remove that file; nothing else was changed"
    };
    tagged_hint(
        Kind::StateInvalid,
        format!("{what} file `{}` is malformed: {detail}", path.display()),
        hint,
    )
}

/// Returns the error for a value that does not fit its type, naming the
/// field path (`.` is the whole document).
fn field_error(path: &Path, what: &str, field: &str, detail: &str) -> anyhow::Error {
    if field == "." {
        malformed(path, what, detail)
    } else {
        malformed(path, what, format!("field `{field}`: {detail}"))
    }
}

fn check_schema(path: &Path, what: &str, found: Option<i64>, supported: u32) -> Result<()> {
    match found {
        None => Err(malformed(path, what, "missing field `schema`")),
        Some(version) if version < 1 => Err(malformed(
            path,
            what,
            format!("`schema` must be at least 1, found {version}"),
        )),
        Some(version) if version > i64::from(supported) => Err(tagged_hint(
            Kind::StateInvalid,
            format!(
                "{what} file `{}` has schema {version}, newer than this nexus reads (up to {supported})",
                path.display()
            ),
            "upgrade nexus; the file was left untouched",
        )),
        Some(_) => Ok(()),
    }
}

/// Parses JSON text of a versioned type, naming `path` in every error.
pub fn parse_json<T: DeserializeOwned + Versioned>(path: &Path, text: &str) -> Result<T> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|error| malformed(path, T::WHAT, error))?;
    if !value.is_object() {
        return Err(malformed(path, T::WHAT, "expected a JSON object"));
    }
    check_schema(
        path,
        T::WHAT,
        value.get("schema").and_then(serde_json::Value::as_i64),
        T::SCHEMA,
    )?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = error.path().to_string();
        field_error(path, T::WHAT, &field, &error.into_inner().to_string())
    })
}

/// Reads a JSON file of a versioned type.
pub fn read_json<T: DeserializeOwned + Versioned>(path: &Path) -> Result<T> {
    let text = read_to_string(path)?;
    parse_json(path, &text)
}

/// Parses TOML text of a versioned type, naming `path` in every error.
pub fn parse_toml<T: DeserializeOwned + Versioned>(path: &Path, text: &str) -> Result<T> {
    let table: toml::Table = toml::from_str(text)
        .map_err(|error| malformed(path, T::WHAT, one_line(&error.to_string())))?;
    check_schema(
        path,
        T::WHAT,
        table.get("schema").and_then(toml::Value::as_integer),
        T::SCHEMA,
    )?;
    parse_toml_part(path, text, T::WHAT)
}

/// Parses the part of a TOML file that `T` describes (other keys are left
/// to other readers), naming `path`, the field and the line in every error.
pub fn parse_toml_part<T: DeserializeOwned>(path: &Path, text: &str, what: &str) -> Result<T> {
    let deserializer = toml::Deserializer::parse(text)
        .map_err(|error| malformed(path, what, one_line(&error.to_string())))?;
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        field_error(
            path,
            what,
            &field,
            &one_line(&error.into_inner().to_string()),
        )
    })
}

/// Checks the top-level keys of a TOML file whose type takes other keys too:
/// each must be one of `fields` or the name of an agent backend (whose
/// table that backend reads); any other is an error naming it and its line.
pub fn check_top_level_keys(path: &Path, text: &str, what: &str, fields: &[&str]) -> Result<()> {
    let table: toml::Table = toml::from_str(text)
        .map_err(|error| malformed(path, what, one_line(&error.to_string())))?;
    for key in table.keys() {
        if fields.contains(&key.as_str()) || crate::agents::backend_named(key).is_some() {
            continue;
        }
        let line = text
            .lines()
            .position(|line| {
                let line = line.trim_start();
                line.strip_prefix(key.as_str())
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
                    || line.starts_with(&format!("[{key}]"))
                    || line.starts_with(&format!("[{key}."))
            })
            .map(|index| format!("line {}: ", index + 1))
            .unwrap_or_default();
        return Err(malformed(
            path,
            what,
            format!(
                "{line}unknown field `{key}`, expected one of {} or a backend table ({})",
                fields
                    .iter()
                    .map(|field| format!("`{field}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                crate::agents::backend_names()
            ),
        ));
    }
    Ok(())
}

/// Reads a TOML file of a versioned type.
pub fn read_toml<T: DeserializeOwned + Versioned>(path: &Path) -> Result<T> {
    let text = read_to_string(path)?;
    parse_toml(path, &text)
}

/// Folds the toml crate's multi-line error (with a source excerpt) into one
/// line: "line 3, column 9: invalid type: …".
fn one_line(message: &str) -> String {
    let mut location = String::new();
    let mut detail = Vec::new();
    for line in message.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("TOML parse error at ") {
            location = rest.to_string();
        } else if trimmed.is_empty()
            || trimmed.contains('|')
            || trimmed.chars().all(|c| c == '^' || c == ' ')
        {
            continue;
        } else {
            detail.push(trimmed.to_string());
        }
    }
    if location.is_empty() {
        detail.join("; ")
    } else {
        format!("{location}: {}", detail.join("; "))
    }
}

/// Appends one line to a JSON Lines file (created if missing) and syncs it.
/// The caller holds the file's lock, so lines never interleave.
pub fn append_line(path: &Path, line: &str) -> Result<()> {
    append(path, line, true)
}

/// Opens a machine-local log (`logs/…`) for appending: owner-only (its
/// directories too), starting on a new line after a line torn by a crash.
pub fn open_log(path: &Path) -> Result<fs::File> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    confine::check(path)?;
    if let Some(dir) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("failed to create directory `{}`", dir.display()))?;
    }
    let torn = ends_without_newline(path);
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| format!("failed to open `{}` for appending", path.display()))?;
    // A log made before logs were owner-only keeps no wider mode.
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .with_context(|| format!("failed to set the mode of `{}`", path.display()))?;
    if torn {
        file.write_all(b"\n")
            .with_context(|| format!("failed to append to `{}`", path.display()))?;
    }
    Ok(file)
}

/// Appends text to a machine-local log (`logs/`), without the fsync that
/// state files get: a raw transcript losing its tail on power loss costs
/// nothing that the state files do not hold.
pub fn append_log(path: &Path, text: &str) -> Result<()> {
    append(path, text, false)
}

fn append(path: &Path, text: &str, durable: bool) -> Result<()> {
    confine::check(path)?;
    if !durable {
        let mut file = open_log(path)?;
        let mut bytes = text.trim_end_matches('\n').as_bytes().to_vec();
        bytes.push(b'\n');
        return file
            .write_all(&bytes)
            .with_context(|| format!("failed to append to `{}`", path.display()));
    }
    if let Some(dir) = path.parent() {
        create_dir_all(dir)?;
    }
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("failed to open `{}` for appending", path.display()))?;
    // A line torn by a crash must not swallow this one: start on a new line.
    let mut bytes = if ends_without_newline(path) {
        vec![b'\n']
    } else {
        Vec::new()
    };
    bytes.extend_from_slice(text.trim_end_matches('\n').as_bytes());
    bytes.push(b'\n');
    file.write_all(&bytes)
        .and_then(|()| if durable { file.sync_data() } else { Ok(()) })
        .with_context(|| format!("failed to append to `{}`", path.display()))
}

/// Returns whether a non-empty file's last byte is not a newline.
fn ends_without_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1))
        .and_then(|_| file.read_exact(&mut last))
        .is_ok()
        && last[0] != b'\n'
}

/// Removes a file; a missing file is not an error.
pub fn remove_file(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error).with_context(|| format!("failed to remove `{}`", path.display())),
    }
}

/// Renames `from` to `to` (both state paths).
pub fn rename(from: &Path, to: &Path) -> Result<()> {
    confine::check(from)?;
    confine::check(to)?;
    fs::rename(from, to)
        .with_context(|| format!("failed to move `{}` to `{}`", from.display(), to.display()))
}

/// Removes a directory and everything in it (a symlink in it is removed,
/// never followed); a missing directory is not an error.
pub fn remove_dir_all(path: &Path) -> Result<()> {
    confine::check(path)?;
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("failed to remove `{}`", path.display())),
    }
}

/// Lists the entries of a directory (names, sorted), empty when missing.
pub fn list_dir(path: &Path) -> Result<Vec<String>> {
    confine::check(path)?;
    let entries = match fs::read_dir(path) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(error).with_context(|| format!("failed to list `{}`", path.display()));
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("failed to list `{}`", path.display()))?;
        if let Some(name) = entry.file_name().to_str()
            && !name.starts_with('.')
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Writes `bytes` into exactly the file a user named (`export -o`), through
/// [`write_atomic`]: never through a symlink (which would write elsewhere),
/// never over something that is not a regular file, never creating a
/// directory. Returns whether the file is new.
pub fn write_named(path: &Path, bytes: &[u8]) -> Result<bool> {
    let existing = fs::symlink_metadata(path).ok();
    if let Some(meta) = &existing {
        if meta.file_type().is_symlink() {
            return Err(tagged_hint(
                Kind::Usage,
                format!(
                    "`{}` is a symbolic link; only the file named is written",
                    path.display()
                ),
                "name the link's target, or remove the link",
            ));
        }
        if !meta.is_file() {
            return Err(tagged(
                Kind::Usage,
                format!("`{}` exists and is not a regular file", path.display()),
            ));
        }
    }
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    if !parent.is_dir() {
        return Err(tagged(
            Kind::Usage,
            format!("directory `{}` does not exist", parent.display()),
        ));
    }
    write_atomic(path, bytes)?;
    Ok(existing.is_none())
}

/// Returns an error for a state file that is missing but required.
pub fn missing(path: &Path, what: &str) -> anyhow::Error {
    tagged(
        Kind::StateInvalid,
        format!("{what} file `{}` is missing", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Counter {
        schema: u32,
        name: String,
        count: u64,
        #[serde(default)]
        tags: Vec<String>,
    }

    impl Versioned for Counter {
        const SCHEMA: u32 = 2;
        const WHAT: &'static str = "counter";
    }

    fn error_text(error: &anyhow::Error) -> String {
        format!("{error:#}")
    }

    #[test]
    fn named_files_are_written_only_where_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out.txt");
        assert!(write_named(&file, b"one").unwrap(), "new");
        assert!(!write_named(&file, b"two").unwrap(), "replaced");
        assert_eq!(fs::read_to_string(&file).unwrap(), "two");
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let error = write_named(&link, b"three").unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert_eq!(fs::read_to_string(&file).unwrap(), "two");
        assert!(write_named(dir.path(), b"x").is_err(), "a directory");
        assert!(write_named(&dir.path().join("no/such.txt"), b"x").is_err());
        assert!(!dir.path().join("no").exists());
    }

    #[test]
    fn atomic_write_replaces_whole_files_and_skips_unchanged_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/state.json");
        assert!(write_atomic(&path, b"one\n").unwrap());
        assert!(
            !write_atomic(&path, b"one\n").unwrap(),
            "same bytes are not rewritten"
        );
        assert!(write_atomic(&path, b"two\n").unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"two\n");
        let leftovers: Vec<_> = list_dir(&dir.path().join("sub")).unwrap();
        assert_eq!(
            leftovers,
            vec!["state.json".to_string()],
            "no temp file is left"
        );
    }

    #[test]
    fn new_files_follow_the_umask_and_rewrites_keep_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomic(&path, b"one\n").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o666 & !umask(), "{mode:o}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"two\n").unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }

    #[test]
    fn concurrent_readers_never_see_a_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.json");
        let small = vec![b'a'; 10];
        let large = vec![b'b'; 1 << 20];
        write_atomic(&path, &small).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let path = path.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut reads = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let bytes = fs::read(&path).unwrap();
                    assert!(
                        bytes.len() == 10 || bytes.len() == 1 << 20,
                        "partial read of {} bytes",
                        bytes.len()
                    );
                    assert!(bytes.iter().all(|b| *b == bytes[0]));
                    reads += 1;
                }
                reads
            })
        };
        for round in 0..40 {
            write_atomic(&path, if round % 2 == 0 { &large } else { &small }).unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    }

    #[test]
    fn json_round_trips_with_stable_keys_and_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let value = Counter {
            schema: 2,
            name: "x".into(),
            count: 3,
            tags: vec![],
        };
        write_json(&path, &value).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("{\n  \"schema\": 2,\n  \"name\""),
            "{text}"
        );
        assert!(text.ends_with("}\n"));
        assert_eq!(read_json::<Counter>(&path).unwrap(), value);
    }

    #[test]
    fn newer_schema_is_refused_naming_both_versions_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let text = "{\"schema\": 9, \"name\": \"x\", \"count\": 1}\n";
        fs::write(&path, text).unwrap();
        let error = read_json::<Counter>(&path).unwrap_err();
        let message = error_text(&error);
        assert!(
            message.contains("schema 9") && message.contains("up to 2"),
            "{message}"
        );
        assert!(message.contains("c.json"), "{message}");
        assert_eq!(crate::exit::code_for(&error), crate::exit::STATE_INVALID);
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn malformed_json_names_file_line_column_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let cases = [
            (
                "{\"schema\": 1, \"name\": \"x\",\n \"count\": }",
                "line 2 column",
            ),
            ("{\"schema\": 1, \"name\": \"x\"}", "missing field `count`"),
            (
                "{\"schema\": 1, \"name\": \"x\", \"count\": \"many\"}",
                "field `count`",
            ),
            (
                "{\"schema\": 1, \"name\": \"x\", \"count\": 1, \"tags\": [1]}",
                "field `tags[0]`",
            ),
            ("{\"name\": \"x\", \"count\": 1}", "missing field `schema`"),
            ("[1, 2]", "expected a JSON object"),
            ("", "EOF"),
        ];
        for (text, expected) in cases {
            fs::write(&path, text).unwrap();
            let error = read_json::<Counter>(&path).unwrap_err();
            let message = error_text(&error);
            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(message.contains("c.json"), "{message}");
            assert_eq!(crate::exit::code_for(&error), crate::exit::STATE_INVALID);
        }
    }

    #[test]
    fn malformed_toml_names_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let cases = [
            ("schema = 1\nname = \"x\"\ncount = \n", "line 3"),
            ("schema = 1\nname = \"x\"\n", "missing field `count`"),
            (
                "schema = 1\nname = \"x\"\ncount = \"many\"\n",
                "field `count`",
            ),
            ("schema = 3\nname = \"x\"\ncount = 1\n", "schema 3"),
        ];
        for (text, expected) in cases {
            fs::write(&path, text).unwrap();
            let message = error_text(&read_toml::<Counter>(&path).unwrap_err());
            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(message.contains("c.toml"), "{message}");
        }
    }
}
