//! What every backend's settings table shares: reading the table named after
//! the backend from `config.toml` and from an agent file, overriding the
//! first with the second key by key ([`Layered`], declared with
//! `layered!`), checking it, mapping the agent's `permission`, the
//! pass-through keys `extra_args`, `env` and `pass_env` ([`Passthrough`]),
//! and the resolved settings as `nexus` shows them.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;

use anyhow::Result;
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::agents::backend::EnvPlan;
use crate::state::agent::{Agent, Permission, Source};
use crate::state::config::Config;

/// A backend's settings table (`[claude]`, `[codex]` …): every key optional,
/// the agent file's table overriding `config.toml`'s key by key.
pub trait Layered: DeserializeOwned + Default {
    /// The table's name in a file: the backend's name.
    const KEY: &'static str;

    /// Returns `self` with every key `over` sets replaced by its value.
    #[must_use]
    fn overridden_by(self, over: Self) -> Self;
}

/// Declares a backend's settings table and implements [`Layered`] for it:
/// `layered! { pub struct Table in "codex" { pub command: Option<String>, … } }`
/// (doc comments allowed) declares the `[codex]` table. Every field must be
/// an `Option`; the table derives `Serialize` and `Deserialize` and refuses
/// unknown keys.
macro_rules! layered {
    // `with passthrough`: the table also takes the pass-through keys
    // `extra_args`, `env` and `pass_env` (read by [`Passthrough::of`]).
    (
        $(#[$meta:meta])*
        pub struct $table:ident in $key:literal with passthrough {
            $(
                $(#[$field_meta:meta])*
                pub $field:ident: $type:ty,
            )+
        }
    ) => {
        layered! {
            $(#[$meta])*
            pub struct $table in $key {
                $(
                    $(#[$field_meta])*
                    pub $field: $type,
                )+
                /// More arguments for the CLI, as written.
                pub extra_args: Option<Vec<String>>,
                /// Variables set for the child (never secrets: the file may
                /// be committed).
                pub env: Option<::std::collections::BTreeMap<String, String>>,
                /// Names (or `PREFIX*` patterns) of more variables passed to
                /// the child beyond the backend's own (e.g. a custom
                /// provider's key variable).
                pub pass_env: Option<Vec<String>>,
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub struct $table:ident in $key:literal {
            $(
                $(#[$field_meta:meta])*
                pub $field:ident: $type:ty,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $table {
            $(
                $(#[$field_meta])*
                pub $field: $type,
            )+
        }

        impl $crate::agents::table::Layered for $table {
            const KEY: &'static str = $key;

            fn overridden_by(self, over: Self) -> Self {
                $table {
                    $($field: over.$field.or(self.$field)),+
                }
            }
        }
    };
}
pub(crate) use layered;

/// The table named `T::KEY` of a whole file, the file's other keys skipped
/// (the file's own type checks them).
struct InFile<T>(Option<T>);

impl<'de, T: Layered> Deserialize<'de> for InFile<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Tables<T>(PhantomData<T>);

        impl<'de, T: Layered> Visitor<'de> for Tables<T> {
            type Value = InFile<T>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a table")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InFile<T>, A::Error> {
                let mut table = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == T::KEY {
                        table = Some(map.next_value::<T>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(InFile(table))
            }
        }

        deserializer.deserialize_map(Tables(PhantomData))
    }
}

/// Returns what a file is, for messages: `config` for a `config.toml`, else
/// `agent`.
pub fn what_of(path: &Path) -> &'static str {
    if path.file_name().is_some_and(|name| name == "config.toml") {
        "config"
    } else {
        "agent"
    }
}

/// Reads the `[T::KEY]` table of a file (`path` holding `text`, a `what`
/// file; empty when absent); an error names the file, the key and the line.
pub fn table_in<T: Layered>(path: &Path, text: &str, what: &str) -> Result<T> {
    if text.is_empty() {
        return Ok(T::default());
    }
    let in_file: InFile<T> = crate::state::fs::parse_toml_part(path, text, what)?;
    Ok(in_file.0.unwrap_or_default())
}

/// [`table_in`] of a loaded file, from its text parsed once (every turn
/// reads its backend's tables); the text is read again only to name the
/// line of an error.
fn table_of<T: Layered>(source: &Source, what: &str) -> Result<T> {
    if let Some(document) = source.document() {
        let Some(value) = document.get(T::KEY) else {
            return Ok(T::default());
        };
        if let Ok(table) = T::deserialize(value.clone()) {
            return Ok(table);
        }
    }
    table_in(&source.path, &source.text, what)
}

/// Returns `base` overridden by `config.toml`'s table, then by the agent's.
pub fn layers<T: Layered>(base: T, config: &Config, agent: Option<&Agent>) -> Result<T> {
    let mut table = base.overridden_by(table_of(&config.source, "config")?);
    if let Some(agent) = agent {
        table = table.overridden_by(table_of(&agent.source, "agent")?);
    }
    Ok(table)
}

/// Returns the permission an agent's turns run with: its own, `edit` when
/// unset, and `edit` for `build` outside an isolated workspace (no shell in
/// the user's own checkout).
pub fn permission(agent: Option<&Agent>, isolated: bool) -> Permission {
    match agent.and_then(|agent| agent.permission) {
        Some(Permission::Build) if !isolated => Permission::Edit,
        Some(permission) => permission,
        None => Permission::Edit,
    }
}

/// Checks the `[T::KEY]` table of a file (`path` holding `text`): an
/// error names the file and the key, from the first `problem` found.
pub fn check<T: Layered>(
    path: &Path,
    text: &str,
    problem: impl FnOnce(&T) -> Option<String>,
) -> Result<()> {
    let what = what_of(path);
    match problem(&table_in(path, text, what)?) {
        Some(problem) => Err(crate::exit::tagged(
            crate::exit::Kind::StateInvalid,
            format!("{what} file `{}` is malformed: {problem}", path.display()),
        )),
        None => Ok(()),
    }
}

/// Returns the problem of the key `field` when its value is not one of
/// `allowed`.
pub fn not_one_of(field: &str, value: Option<&str>, allowed: &[&str]) -> Option<String> {
    value.filter(|value| !allowed.contains(value)).map(|value| {
        format!(
            "field `{field}`: `{value}` is not one of {}",
            allowed.join(", ")
        )
    })
}

/// Returns the problem of an `env` key of the `backend` table that looks
/// like a secret: the file may be committed.
pub fn secret_in_env(backend: &str, env: Option<&BTreeMap<String, String>>) -> Option<String> {
    env.into_iter()
        .flatten()
        .map(|(name, _)| name)
        .find(|name| crate::proc::env::looks_secret(name))
        .map(|name| {
            format!(
                "field `{backend}.env.{name}` looks like a secret, and this file may be committed; \
                 export it and list `{name}` in `{backend}.pass_env` instead"
            )
        })
}

/// The keys a table passes through to the CLI as they are, resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Passthrough {
    /// `extra_args`: more arguments.
    pub extra_args: Vec<String>,
    /// `env`: variables set for the child (never secrets).
    pub env: BTreeMap<String, String>,
    /// `pass_env`: names (or `PREFIX*` patterns) of more variables passed to
    /// the child.
    pub pass_env: Vec<String>,
}

impl Passthrough {
    /// Returns the keys resolved, each empty when unset.
    pub fn of(
        extra_args: Option<Vec<String>>,
        env: Option<BTreeMap<String, String>>,
        pass_env: Option<Vec<String>>,
    ) -> Self {
        Passthrough {
            extra_args: extra_args.unwrap_or_default(),
            env: env.unwrap_or_default(),
            pass_env: pass_env.unwrap_or_default(),
        }
    }

    /// Returns the keys as [`crate::agents::backend::Settings::showing`]
    /// takes them (`env` as `NAME=value` items).
    pub fn shown(&self) -> [(&'static str, Value); 3] {
        [
            ("extra_args", self.extra_args.clone().into()),
            (
                "env",
                Value::from(
                    self.env
                        .iter()
                        .map(|(name, value)| format!("{name}={value}"))
                        .collect::<Vec<_>>(),
                ),
            ),
            ("pass_env", self.pass_env.clone().into()),
        ]
    }

    /// Returns the child's environment: the backend's `own` variables and
    /// `pass_env` passed, `env` set.
    pub fn env_plan(&self, own: &[&str]) -> EnvPlan {
        let mut pass: Vec<String> = own.iter().map(ToString::to_string).collect();
        pass.extend(self.pass_env.iter().cloned());
        EnvPlan {
            pass,
            deny: Vec::new(),
            set: self.env.clone(),
        }
    }
}
