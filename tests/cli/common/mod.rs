//! The test environment: a temp dir with a project and a HOME, a cleared
//! environment, and helpers to run the built `nexus` binary.

#![allow(dead_code)]

pub mod agent_fakes;
pub mod anthropic_server;
pub mod asking;
pub mod fake_claude;
pub mod gemini_server;
pub mod golden;
pub mod openai_server;
pub mod responses_server;
pub mod snapshot;
pub mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A hermetic environment for one test.
pub struct TestEnv {
    /// Keeps the temp dir alive.
    pub temp: tempfile::TempDir,
    /// The project root (where `.nexus` goes).
    pub project: PathBuf,
    /// The HOME the commands see.
    pub home: PathBuf,
    /// A directory put first on PATH (fake binaries go here).
    pub bin: PathBuf,
    /// Extra environment.
    pub env: BTreeMap<String, String>,
}

/// A finished command.
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Stdout.
    pub stdout: String,
    /// Stderr.
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Asserts the exit code, showing both streams on failure.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts success.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.code(0)
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.stdout))
    }
}

/// The path of the built `nexus` binary.
pub fn nexus_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nexus"))
}

impl TestEnv {
    /// Returns a fresh environment with an empty project.
    pub fn new() -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let project = temp.path().join("project");
        let home = temp.path().join("home");
        let bin = temp.path().join("bin");
        for dir in [&project, &home, &bin] {
            std::fs::create_dir_all(dir).expect("create test dirs");
        }
        TestEnv {
            temp,
            project,
            home,
            bin,
            env: BTreeMap::new(),
        }
    }

    /// Returns a fresh environment with `nexus init` done.
    pub fn initialised() -> Self {
        let env = TestEnv::new();
        env.nexus(&["init"]).ok();
        env
    }

    /// The `.nexus` directory.
    pub fn nexus_dir(&self) -> PathBuf {
        self.project.join(".nexus")
    }

    /// Sets an environment variable for later commands.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.env.insert(key.to_string(), value.into());
        self
    }

    /// Returns the PATH the commands see.
    pub fn path_var(&self) -> String {
        format!("{}:/usr/local/bin:/usr/bin:/bin", self.bin.display())
    }

    /// Returns a command for `program` with the hermetic environment, cwd = project.
    pub fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", self.path_var())
            .env("HOME", &self.home)
            .env("LANG", "C.UTF-8")
            .current_dir(&self.project)
            .stdin(Stdio::null());
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    /// Runs nexus in the project directory.
    pub fn nexus(&self, args: &[&str]) -> Run {
        self.nexus_in(&self.project, args)
    }

    /// Runs nexus in `cwd`.
    pub fn nexus_in(&self, cwd: &Path, args: &[&str]) -> Run {
        let output = self
            .command(&nexus_bin())
            .current_dir(cwd)
            .args(args)
            .output()
            .expect("run nexus");
        Run::from(output)
    }

    /// Runs nexus with stdin text.
    pub fn nexus_stdin(&self, args: &[&str], stdin: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(&nexus_bin())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn nexus");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        Run::from(child.wait_with_output().expect("wait nexus"))
    }

    /// Writes an executable script into the PATH bin directory.
    pub fn write_executable(&self, name: &str, script: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.bin.join(name);
        std::fs::write(&path, script).expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    /// Reads a file under the project.
    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.project.join(relative))
            .unwrap_or_else(|error| panic!("read {relative}: {error}"))
    }

    /// Writes a file under the project.
    pub fn write(&self, relative: &str, text: &str) {
        let path = self.project.join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// Returns every file under `.nexus` (relative path → bytes), for
    /// "nothing else was touched" checks.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let root = self.nexus_dir();
        walkdir::WalkDir::new(&root)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_type().is_file())
            .filter(|entry| !entry.path().starts_with(root.join("locks")))
            .map(|entry| {
                let relative = entry
                    .path()
                    .strip_prefix(&root)
                    .expect("prefix")
                    .display()
                    .to_string();
                (relative, std::fs::read(entry.path()).expect("read"))
            })
            .collect()
    }
}

/// The repository root (for `.nexus-example`, `completions/`, README).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
