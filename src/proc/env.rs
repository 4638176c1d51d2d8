//! The environment a child process gets: never nexus's whole environment
//! (which may hold the brain's `OPENAI_API_KEY` or any other secret), but a
//! documented allow-list, plus what the child's backend declares, plus the
//! names the user lists in `[agent_backend] pass_env`, plus values nexus sets.

use std::collections::BTreeMap;

/// The variables every child may inherit: the shell basics, locale and
/// terminal, temp dir, proxies and certificates, and the homes of common
/// toolchains (so `cargo test` or `npm test` in a verify command works).
/// A trailing `*` matches a prefix.
pub const COMMON: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TERM",
    "COLORTERM",
    "NO_COLOR",
    "TZ",
    "TMPDIR",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "GOPATH",
    "GOROOT",
    "GOCACHE",
    "GOMODCACHE",
    "GOFLAGS",
    "JAVA_HOME",
    "MAVEN_HOME",
    "GRADLE_USER_HOME",
    "NVM_DIR",
    "NODE_PATH",
    "PNPM_HOME",
    "BUN_INSTALL",
    "PYENV_ROOT",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "UV_CACHE_DIR",
    "PIP_CACHE_DIR",
];

/// Returns whether `name` matches `pattern` (an exact name, or a prefix
/// ending in `*`).
pub fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// Returns a child's environment: the variables of `parent` matching
/// [`COMMON`], `pass` or `pass_env`, minus `deny`, then `set` on top.
pub fn build(
    parent: &BTreeMap<String, String>,
    pass: &[String],
    pass_env: &[String],
    deny: &[String],
    set: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = parent
        .iter()
        .filter(|(name, _)| {
            let allowed = COMMON.iter().any(|pattern| matches(pattern, name))
                || pass.iter().any(|pattern| matches(pattern, name))
                || pass_env.iter().any(|pattern| matches(pattern, name));
            allowed && !deny.iter().any(|pattern| matches(pattern, name))
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    for (name, value) in set {
        env.insert(name.clone(), value.clone());
    }
    env
}

/// Returns whether a variable's name says it holds a secret (a key, token,
/// password …): such variables are never written into committed files.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "AUTH",
    ]
    .iter()
    .any(|word| upper.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parent() -> BTreeMap<String, String> {
        [
            ("PATH", "/bin"),
            ("HOME", "/h"),
            ("LC_ALL", "C"),
            ("OPENAI_API_KEY", "sk-secret"),
            ("ANTHROPIC_API_KEY", "a-secret"),
            ("CLAUDECODE", "1"),
            ("MY_TOOL_HOME", "/t"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
    }

    #[test]
    fn only_allowed_variables_pass() {
        let env = build(&parent(), &[], &[], &[], &BTreeMap::new());
        let names: Vec<&str> = env.keys().map(String::as_str).collect();
        assert_eq!(names, vec!["HOME", "LC_ALL", "PATH"]);
        let env = build(
            &parent(),
            &["ANTHROPIC_*".to_string(), "CLAUDE*".to_string()],
            &["MY_TOOL_HOME".to_string()],
            &["CLAUDECODE".to_string()],
            &BTreeMap::from([("NEXUS_DIR".to_string(), "/p/.nexus".to_string())]),
        );
        assert!(env.contains_key("ANTHROPIC_API_KEY") && env.contains_key("MY_TOOL_HOME"));
        assert!(
            !env.contains_key("OPENAI_API_KEY"),
            "the brain's key never leaks"
        );
        assert!(
            !env.contains_key("CLAUDECODE"),
            "denied even when a pattern matches"
        );
        assert_eq!(env["NEXUS_DIR"], "/p/.nexus");
    }

    #[test]
    fn secret_names_are_recognised() {
        for name in [
            "OPENAI_API_KEY",
            "GH_TOKEN",
            "db_password",
            "AWS_SECRET_ACCESS_KEY",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in ["PATH", "RUST_LOG", "CLAUDE_CODE_MAX_RETRIES"] {
            assert!(!looks_secret(name), "{name}");
        }
    }
}
