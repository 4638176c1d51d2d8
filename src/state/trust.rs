//! Which commands committed in `.nexus` this machine's user has trusted.
//!
//! Agents' and plans' `verify` commands (and the workspace checks) are
//! shell commands in files that travel with a repository: after a `git
//! clone` they are someone else's. nexus runs one only once the local user
//! has trusted it — with `nexus trust`, or by adopting it (`nexus plan
//! adopt`) — as direnv does for `.envrc`. Trust is keyed by the SHA-256 of
//! the store's path and the command's exact text, so a changed command asks
//! again, and it lives outside the repository, in
//! `$XDG_DATA_HOME/nexus/trust/` (else `~/.local/share/nexus/trust/`), one
//! owner-only file per store: a trust file committed by someone else cannot
//! exist there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::exit::{Kind, tagged_hint};
use crate::state::fs::Versioned;
use crate::state::store::Store;
use crate::time::Timestamp;

/// A command nexus would run, and where it is written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Committed {
    /// The command, as `sh -c` runs it.
    pub command: String,
    /// Where it comes from (`agent code_developer`, `plan p1 task t2` …).
    pub source: String,
}

/// One trusted command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The command.
    pub command: String,
    /// Where it came from when it was trusted.
    pub source: String,
    /// When.
    pub trusted_at: Timestamp,
}

/// A store's trust file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustFile {
    /// Schema version.
    pub schema: u32,
    /// The store this file is about.
    pub store: PathBuf,
    /// Trusted commands by hash.
    pub commands: BTreeMap<String, Entry>,
}

impl Versioned for TrustFile {
    const SCHEMA: u32 = 1;
    const WHAT: &'static str = "trust";
}

/// The trust of one store on this machine.
#[derive(Debug, Clone)]
pub struct Trust {
    path: Option<PathBuf>,
    file: TrustFile,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Returns the directory of trust files, from the environment.
pub fn trust_dir(env: &BTreeMap<String, String>) -> Option<PathBuf> {
    let non_empty = |name: &str| env.get(name).filter(|value| !value.is_empty());
    if let Some(data) = non_empty("XDG_DATA_HOME") {
        return Some(PathBuf::from(data).join("nexus/trust"));
    }
    non_empty("HOME").map(|home| PathBuf::from(home).join(".local/share/nexus/trust"))
}

impl Trust {
    /// Reads the trust of `store` (none yet is an empty trust).
    pub fn load(env: &BTreeMap<String, String>, store: &Store) -> Result<Self> {
        let root = store.root().to_path_buf();
        let path = trust_dir(env).map(|dir| {
            let digest = sha2::Sha256::digest(root.to_string_lossy().as_bytes());
            dir.join(format!("{}.json", &hex(&digest)[..16]))
        });
        let file = match &path {
            Some(path) => match crate::state::fs::read_optional(path)? {
                Some(text) => crate::state::fs::parse_json(path, &text)?,
                None => TrustFile {
                    schema: TrustFile::SCHEMA,
                    store: root,
                    commands: BTreeMap::new(),
                },
            },
            None => TrustFile {
                schema: TrustFile::SCHEMA,
                store: root,
                commands: BTreeMap::new(),
            },
        };
        Ok(Trust { path, file })
    }

    /// Returns where the trust is kept.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn hash(&self, command: &str) -> String {
        let mut hasher = sha2::Sha256::new();
        hasher.update(self.file.store.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update(command.as_bytes());
        hex(&hasher.finalize())
    }

    /// Returns whether `command` is trusted here.
    pub fn is_trusted(&self, command: &str) -> bool {
        self.file.commands.contains_key(&self.hash(command))
    }

    /// Trusts `command`; returns whether it was not trusted before.
    pub fn trust(&mut self, command: &str, source: &str, now: Timestamp) -> bool {
        let hash = self.hash(command);
        if self.file.commands.contains_key(&hash) {
            return false;
        }
        self.file.commands.insert(
            hash,
            Entry {
                command: command.to_string(),
                source: source.to_string(),
                trusted_at: now,
            },
        );
        true
    }

    /// Forgets every trusted command of this store; returns how many.
    pub fn revoke_all(&mut self) -> usize {
        let count = self.file.commands.len();
        self.file.commands.clear();
        count
    }

    /// Returns the trusted commands.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.file.commands.values()
    }

    /// Writes the trust file (owner-only).
    pub fn save(&self) -> Result<()> {
        let Some(path) = &self.path else {
            return Err(tagged_hint(
                Kind::Usage,
                "cannot keep trust: neither `XDG_DATA_HOME` nor `HOME` is set",
                "set `HOME`",
            ));
        };
        if let Some(dir) = path.parent() {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|error| {
                    anyhow::Error::new(error)
                        .context(format!("failed to create directory `{}`", dir.display()))
                })?;
        }
        crate::state::fs::write_private(path, &crate::state::fs::to_json_bytes(&self.file)?)?;
        Ok(())
    }
}

/// Returns every command committed in the store that nexus may run: each
/// agent's and each plan task's `verify`.
pub fn committed(store: &Store) -> Result<Vec<Committed>> {
    let mut found = Vec::new();
    for agent in store.load_agents()? {
        for command in &agent.verify {
            found.push(Committed {
                command: command.clone(),
                source: format!("agent `{}` verify", agent.id),
            });
        }
    }
    for plan_id in store.plan_ids()? {
        let plan = store.load_plan(&plan_id)?;
        found.extend(plan_commands(&plan));
    }
    found.extend(workspace_commands(&store.load_config()?.workspace));
    found.sort();
    found.dedup();
    Ok(found)
}

/// Returns the workspace commands of the configuration: merge checks and
/// setup commands.
pub fn workspace_commands(config: &crate::state::config::WorkspaceConfig) -> Vec<Committed> {
    config
        .verify
        .iter()
        .map(|command| Committed {
            command: command.clone(),
            source: "config `[workspace] verify`".to_string(),
        })
        .chain(config.setup.iter().map(|command| Committed {
            command: command.clone(),
            source: "config `[workspace] setup`".to_string(),
        }))
        .collect()
}

/// Returns the `verify` commands of a plan's tasks.
pub fn plan_commands(plan: &crate::state::plan::Plan) -> Vec<Committed> {
    plan.tasks
        .iter()
        .flat_map(|task| {
            task.verify.iter().map(|command| Committed {
                command: command.clone(),
                source: format!("plan `{}` task `{}` verify", plan.id, task.id),
            })
        })
        .collect()
}

/// Returns the error for commands a run would need that are not trusted.
pub fn untrusted_error(untrusted: &[Committed]) -> anyhow::Error {
    let mut message = format!(
        "{} command(s) committed in `.nexus` are not trusted on this machine yet:",
        untrusted.len()
    );
    for item in untrusted {
        message.push_str(&format!("\n  - `{}` ({})", item.command, item.source));
    }
    tagged_hint(
        Kind::Untrusted,
        message,
        "read them, then run `nexus trust` to allow them (a cloned repository's commands are someone else's)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_is_per_store_and_per_command_text() {
        let dir = tempfile::tempdir().unwrap();
        let env = BTreeMap::from([(
            "XDG_DATA_HOME".to_string(),
            dir.path().join("data").display().to_string(),
        )]);
        let store = Store::open(
            &dir.path().join("a/.nexus"),
            std::time::Duration::from_secs(1),
        )
        .unwrap();
        let now = Timestamp::parse("2026-12-01T00:00:00Z").unwrap();
        let mut trust = Trust::load(&env, &store).unwrap();
        assert!(!trust.is_trusted("cargo test"));
        assert!(trust.trust("cargo test", "agent `x` verify", now));
        assert!(!trust.trust("cargo test", "again", now));
        trust.save().unwrap();
        let again = Trust::load(&env, &store).unwrap();
        assert!(again.is_trusted("cargo test"));
        assert!(
            !again.is_trusted("cargo test "),
            "a changed command asks again"
        );
        let other = Store::open(
            &dir.path().join("b/.nexus"),
            std::time::Duration::from_secs(1),
        )
        .unwrap();
        assert!(!Trust::load(&env, &other).unwrap().is_trusted("cargo test"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(again.path().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
