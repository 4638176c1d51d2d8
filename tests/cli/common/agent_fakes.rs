//! The fake `codex` and `gemini` (`testing/fake-codex.rs`,
//! `testing/fake-gemini.rs`) from a test's side: installs one as the real
//! CLI's name on the [`TestEnv`]'s PATH, writes its script and reads back
//! its invocation log; adds agents that use them; and kills whatever a
//! killed nexus left running.

use std::path::PathBuf;

use serde_json::Value;

use super::TestEnv;
use super::fake_claude::pass_fake_env;

/// One fake CLI installed in a [`TestEnv`].
pub struct FakeCli {
    /// `codex` or `gemini`.
    pub name: &'static str,
    /// The script file (`FAKE_<NAME>_SCRIPT`).
    pub script_path: PathBuf,
    /// The invocation log directory (`FAKE_<NAME>_LOG`).
    pub log_dir: PathBuf,
}

/// The settings that let headless Gemini authenticate with an API key and
/// make one attempt per request.
pub const GEMINI_SETTINGS: &str =
    r#"{"security":{"auth":{"selectedType":"gemini-api-key"}},"general":{"maxAttempts":1}}"#;

impl FakeCli {
    /// Installs `fake-<name>` as `<name>` (`codex` or `gemini`) in
    /// `env.bin`, with an empty script (every call gets the default echo
    /// reply) and its control variables passed to agents. For Gemini, also
    /// the HOME settings and the API key headless runs need.
    pub fn install(env: &mut TestEnv, name: &'static str) -> FakeCli {
        let binary = match name {
            "codex" => env!("CARGO_BIN_EXE_fake-codex"),
            "gemini" => env!("CARGO_BIN_EXE_fake-gemini"),
            other => panic!("no fake for `{other}`"),
        };
        std::os::unix::fs::symlink(binary, env.bin.join(name)).expect("symlink the fake");
        let root = env.temp.path().join(format!("fake-{name}"));
        let log_dir = root.join("calls");
        std::fs::create_dir_all(&log_dir).expect("create the fake's dirs");
        let script_path = root.join("script.json");
        std::fs::write(&script_path, "[]").expect("write the script");
        let upper = name.to_ascii_uppercase();
        env.set(
            &format!("FAKE_{upper}_SCRIPT"),
            script_path.display().to_string(),
        );
        env.set(&format!("FAKE_{upper}_LOG"), log_dir.display().to_string());
        pass_fake_env(env, &format!("FAKE_{upper}_*"));
        if name == "gemini" {
            std::fs::create_dir_all(env.home.join(".gemini")).expect("create ~/.gemini");
            std::fs::write(env.home.join(".gemini/settings.json"), GEMINI_SETTINGS)
                .expect("write the Gemini settings");
            env.set("GEMINI_API_KEY", "test-key");
        }
        FakeCli {
            name,
            script_path,
            log_dir,
        }
    }

    /// Replaces the script with `steps` (a JSON array) and forgets which
    /// were used.
    pub fn script(&self, steps: &Value) {
        std::fs::write(&self.script_path, steps.to_string()).expect("write the script");
        let mut state = self.script_path.clone().into_os_string();
        state.push(".state");
        let _ = std::fs::remove_file(state);
    }

    /// Returns every logged invocation whose flags were parsed, oldest first.
    pub fn calls(&self) -> Vec<Value> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&self.log_dir)
            .expect("read the fake's log")
            .map(|entry| entry.expect("log entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .filter_map(|text| serde_json::from_str::<Value>(&text).ok())
            .filter(|call| call.get("flags").is_some())
            .collect()
    }

    /// Kills the process group of every logged invocation that has not
    /// ended (a call left running by a killed nexus).
    pub fn kill_hung(&self) {
        for call in self.calls() {
            if call["ended_at"].is_null()
                && let Some(pid) = call["pid"].as_i64()
                && super::asking::alive(pid)
                && std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| {
                    exe.to_string_lossy()
                        .contains(&format!("fake-{}", self.name))
                })
            {
                super::asking::signal(-call["pgid"].as_i64().unwrap_or(pid), libc::SIGKILL);
            }
        }
    }
}

impl Drop for FakeCli {
    fn drop(&mut self) {
        self.kill_hung();
    }
}

/// Adds agent `id` (a copy of the default developer) run by `backend`,
/// with `extra` appended to its file (e.g. a `[codex]` table).
pub fn add_agent(env: &TestEnv, id: &str, backend: &str, extra: &str) {
    let text = env
        .read(".nexus/agents/code_developer.toml")
        .replace("id = \"code_developer\"", &format!("id = \"{id}\""))
        .replace("backend = \"claude\"", &format!("backend = \"{backend}\""));
    env.write(
        &format!(".nexus/agents/{id}.toml"),
        &format!("{text}\n{extra}"),
    );
}
