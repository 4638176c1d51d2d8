//! Global behaviour: finding `.nexus`, global flags, exit codes, colour,
//! completions, the example `.nexus`, and README tables kept true.

use std::process::Stdio;

use crate::common::{TestEnv, nexus_bin, repo_root};

#[test]
fn nexus_is_found_by_walking_up_from_a_subdirectory() {
    let env = TestEnv::initialised();
    let deep = env.project.join("src/a/b");
    std::fs::create_dir_all(&deep).unwrap();
    let run = env.nexus_in(&deep, &["status", "--json"]);
    run.ok();
    assert_eq!(
        run.json()["nexus_dir"],
        env.nexus_dir().display().to_string()
    );
}

#[test]
fn outside_any_nexus_commands_fail_with_exit_1_and_an_init_hint() {
    let env = TestEnv::new();
    let run = env.nexus(&["agents", "list"]);
    run.code(1);
    assert!(
        run.stderr.starts_with("error: no `.nexus` directory found"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: run `nexus init`"),
        "{}",
        run.stderr
    );
}

#[test]
fn dir_flag_and_nexus_dir_variable_point_at_a_nexus() {
    let mut env = TestEnv::initialised();
    let elsewhere = env.temp.path().to_path_buf();
    let dir = env.nexus_dir().display().to_string();
    env.nexus_in(&elsewhere, &["--dir", &dir, "agents", "list"])
        .ok();
    env.set("NEXUS_DIR", &dir);
    env.nexus_in(&elsewhere, &["agents", "list"]).ok();
    let run = env.nexus_in(
        &elsewhere,
        &["--dir", "/nonexistent/.nexus", "agents", "list"],
    );
    run.code(1);
    assert!(run.stderr.contains("/nonexistent/.nexus"), "{}", run.stderr);
}

#[test]
fn status_works_on_a_fresh_nexus() {
    let env = TestEnv::initialised();
    let run = env.nexus(&["status"]);
    run.ok();
    assert!(
        run.stdout.contains("Agents") && run.stdout.contains("aria_coordinator"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("no plans yet"), "{}", run.stdout);
    let status = env.nexus(&["status", "--json"]).json();
    assert_eq!(status["agents"].as_array().unwrap().len(), 4);
    assert_eq!(status["plans"].as_array().unwrap().len(), 0);
}

#[test]
fn exit_code_usage_is_2_and_help_is_0() {
    let env = TestEnv::new();
    env.nexus(&["--no-such-flag"]).code(2);
    env.nexus(&["frobnicate"]).code(2);
    env.nexus(&["--help"]).ok();
    let version = env.nexus(&["--version"]);
    version.ok();
    assert!(version.stdout.starts_with("nexus "));
}

#[test]
fn doctor_names_a_malformed_config_with_its_line() {
    let env = TestEnv::initialised();
    env.write(".nexus/config.toml", "schema = 1\n[brain\n");
    let run = env.nexus(&["doctor", "--json"]);
    run.code(1);
    let report = run.json();
    let detail = report["checks"][1]["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("config.toml") && detail.contains("line 2"),
        "{detail}"
    );
}

#[test]
fn colour_follows_the_flag_no_color_and_the_terminal() {
    let mut env = TestEnv::initialised();
    let plain = env.nexus(&["agents", "list"]);
    assert!(
        !plain.stdout.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    let always = env.nexus(&["--color", "always", "agents", "list"]);
    assert!(
        always.stdout.contains('\u{1b}'),
        "colour with --color always"
    );
    env.set("NO_COLOR", "1");
    let run = env.nexus(&["--color", "never", "agents", "list"]);
    assert!(!run.stdout.contains('\u{1b}'));
    let error = env.nexus(&["--color", "always", "agents", "show", "zed"]);
    assert!(
        error.stderr.contains("\u{1b}["),
        "errors are coloured with --color always"
    );
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let env = TestEnv::initialised();
    let mut child = env
        .command(&nexus_bin())
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn committed_completions_are_exactly_the_generated_ones() {
    let env = TestEnv::new();
    let files = [
        ("bash", "nexus.bash"),
        ("zsh", "_nexus"),
        ("fish", "nexus.fish"),
        ("elvish", "nexus.elv"),
        ("powershell", "_nexus.ps1"),
    ];
    let update = std::env::var_os("NEXUS_UPDATE_COMPLETIONS").is_some();
    for (shell, file) in files {
        let run = env.nexus(&["completions", shell]);
        run.ok();
        assert!(run.stdout.contains("nexus"));
        let path = repo_root().join("completions").join(file);
        if update {
            std::fs::write(&path, &run.stdout).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == run.stdout,
            "completions/{file} is stale: run `NEXUS_UPDATE_COMPLETIONS=1 cargo test committed_completions`"
        );
    }
}

#[test]
fn the_example_nexus_is_valid_and_matches_init() {
    let env = TestEnv::new();
    let copy = env.project.join(".nexus");
    for entry in walkdir::WalkDir::new(repo_root().join(".nexus-example")) {
        let entry = entry.unwrap();
        let relative = entry
            .path()
            .strip_prefix(repo_root().join(".nexus-example"))
            .unwrap();
        let target = copy.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    let with_claude = env;
    with_claude.write_executable("claude", "#!/bin/sh\necho '2.1.197 (Claude Code)'\n");
    let report = with_claude.nexus(&["doctor", "--json"]);
    report.ok();
    let status = with_claude.nexus(&["status", "--json"]).json();
    assert_eq!(status["problems"].as_array().unwrap().len(), 0, "{status}");
    assert!(
        !status["plans"].as_array().unwrap().is_empty(),
        "the example carries a plan"
    );
    // init over the copy finds every default file identical.
    let run = with_claude.nexus(&["init", "--json"]);
    run.ok();
    let init = run.json();
    assert_eq!(init["created"].as_array().unwrap().len(), 0, "{init}");
    assert_eq!(init["kept"].as_array().unwrap().len(), 0, "{init}");
}

#[test]
fn readme_documents_every_exit_code_and_environment_variable() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for (code, name, _) in nexus::exit::TABLE {
        let row = format!("| {code} | `{name}` |");
        assert!(
            readme.contains(&row),
            "README lacks the exit code row `{row}`"
        );
    }
    for (name, _) in nexus::env_vars::ALL {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "README lacks the environment variable `{name}`"
        );
    }
}
