//! Everything resolved once per invocation: the `.nexus` directory (walk-up or
//! `--dir`), the environment, the clock and the output settings. Nothing else
//! reads the environment for nexus's own settings or the clock.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};

use crate::cli::Cli;
use crate::env_vars;
use crate::state::store::Store;
use crate::time::{HumanDuration, Timestamp};
use crate::ui::Ui;

/// The invocation's resolved settings.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The working directory.
    pub cwd: PathBuf,
    /// `--dir` / `NEXUS_DIR`.
    pub dir_flag: Option<PathBuf>,
    /// Output.
    pub ui: Ui,
    env: BTreeMap<String, String>,
    fixed_now: Option<Timestamp>,
    lock_timeout: Duration,
}

impl Ctx {
    /// Resolves the context from parsed arguments and the process environment.
    pub fn new(cli: &Cli) -> Result<Self> {
        let env: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
            .collect();
        let cwd = std::env::current_dir().context("failed to read the current directory")?;
        let fixed_now = match env.get(env_vars::NEXUS_NOW) {
            Some(text) => Some(Timestamp::parse(text).map_err(|error| {
                crate::exit::tagged(
                    crate::exit::Kind::Usage,
                    format!("`{}`: {error}", env_vars::NEXUS_NOW),
                )
            })?),
            None => None,
        };
        let lock_timeout = match env.get(env_vars::NEXUS_LOCK_TIMEOUT) {
            Some(text) => {
                HumanDuration::parse(text)
                    .map_err(|error| {
                        crate::exit::tagged(
                            crate::exit::Kind::Usage,
                            format!("`{}`: {error}", env_vars::NEXUS_LOCK_TIMEOUT),
                        )
                    })?
                    .0
            }
            None => Duration::from_secs(10),
        };
        let no_color = env
            .get(env_vars::NO_COLOR)
            .is_some_and(|value| !value.is_empty());
        let ui = Ui::new(cli.json, cli.quiet, cli.color, no_color)
            .with_redactor(crate::ui::Redactor::from_env(&env));
        let dir_flag = cli.dir.as_ref().map(|dir| {
            if dir.is_absolute() {
                dir.clone()
            } else {
                cwd.join(dir)
            }
        });
        Ok(Ctx {
            cwd,
            dir_flag,
            ui,
            env,
            fixed_now,
            lock_timeout,
        })
    }

    /// Returns the current time (`NEXUS_NOW` when set).
    pub fn now(&self) -> Timestamp {
        self.fixed_now
            .unwrap_or_else(|| Timestamp(SystemTime::now()))
    }

    /// Returns the machine capacity the dashboard's usage percentages are
    /// relative to: `NEXUS_MACHINE` (`CPUS,MEMORY_MB`) when set, else this
    /// machine's.
    pub fn machine(&self) -> Result<crate::dashboard::figures::Machine> {
        let Some(text) = self.var(env_vars::NEXUS_MACHINE) else {
            return Ok(crate::dashboard::figures::Machine::detect());
        };
        crate::dashboard::figures::Machine::parse(text).ok_or_else(|| {
            crate::exit::tagged(
                crate::exit::Kind::Usage,
                format!(
                    "`{}` is `{text}`, not `CPUS,MEMORY_MB` (e.g. `8,16000`)",
                    env_vars::NEXUS_MACHINE
                ),
            )
        })
    }

    /// Returns an environment variable of the invocation.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    }

    /// Returns the invocation's whole environment.
    pub fn env(&self) -> &BTreeMap<String, String> {
        &self.env
    }

    /// Returns the store: `--dir` if given (it must exist), else the nearest
    /// `.nexus` at or above the cwd.
    pub fn store(&self) -> Result<Store> {
        if let Some(dir) = &self.dir_flag {
            if !dir.is_dir() {
                return Err(crate::exit::with_hint(
                    format!(
                        "`{}` (from `--dir`/`NEXUS_DIR`) is not a directory",
                        dir.display()
                    ),
                    "point it at an existing `.nexus`, or create one with `nexus init`",
                ));
            }
            return Store::open(dir, self.lock_timeout);
        }
        let root = Store::find(&self.cwd).ok_or_else(|| Store::not_found(&self.cwd))?;
        Store::open(&root, self.lock_timeout)
    }

    /// Returns the lock wait for short read-modify-writes.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout
    }
}
