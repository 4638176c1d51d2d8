//! `nexus init`.

use crate::common::{TestEnv, repo_root};

#[test]
fn init_writes_exactly_the_example_config_agents_and_gitignore() {
    let env = TestEnv::new();
    let run = env.nexus(&["init"]);
    run.ok();
    assert!(run.stderr.contains("Initialised"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "data only on stdout: {}", run.stdout);
    let example = repo_root().join(".nexus-example");
    for relative in [
        "config.toml",
        ".gitignore",
        "agents/aria_coordinator.toml",
        "agents/code_developer.toml",
        "agents/alpha_test_creator.toml",
        "agents/beta_test_validator.toml",
    ] {
        let expected = std::fs::read_to_string(example.join(relative)).unwrap();
        assert_eq!(
            env.read(&format!(".nexus/{relative}")),
            expected,
            "{relative} differs from .nexus-example"
        );
    }
    let gitignore = env.read(".nexus/.gitignore");
    for ignored in ["sessions/", "logs/", "locks/", ".tmp*"] {
        assert!(
            gitignore.lines().any(|line| line == ignored),
            "{ignored} not ignored"
        );
    }
}

#[test]
fn rerunning_init_changes_nothing_and_says_so() {
    let env = TestEnv::initialised();
    let before = env.snapshot();
    let run = env.nexus(&["init"]);
    run.ok();
    assert!(
        run.stderr.contains("already initialised; nothing changed"),
        "{}",
        run.stderr
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn init_keeps_edited_files_unless_forced() {
    let env = TestEnv::initialised();
    let edited = env
        .read(".nexus/config.toml")
        .replace("parallel = 4", "parallel = 9");
    env.write(".nexus/config.toml", &edited);
    env.write(".nexus/agents/extra_agent.toml", "user file");
    let run = env.nexus(&["init"]);
    run.ok();
    assert!(
        run.stderr.contains("kept") && run.stderr.contains("config.toml"),
        "{}",
        run.stderr
    );
    assert_eq!(env.read(".nexus/config.toml"), edited);

    let run = env.nexus(&["init", "--force", "--json"]);
    run.ok();
    let report = run.json();
    assert_eq!(report["restored"], serde_json::json!(["config.toml"]));
    assert!(env.read(".nexus/config.toml").contains("parallel = 4"));
    assert_eq!(
        env.read(".nexus/agents/extra_agent.toml"),
        "user file",
        "--force leaves user agents alone"
    );
}

#[test]
fn init_below_an_existing_nexus_says_where_that_one_is() {
    let env = TestEnv::initialised();
    let sub = env.project.join("crates/inner");
    std::fs::create_dir_all(&sub).unwrap();
    let run = env.nexus_in(&sub, &["init"]);
    run.ok();
    let outer = env.nexus_dir().display().to_string();
    assert!(run.stderr.contains(&outer), "{}", run.stderr);
    assert!(sub.join(".nexus/config.toml").is_file());
}

#[test]
fn init_honours_dir() {
    let env = TestEnv::new();
    let target = env.temp.path().join("elsewhere/.nexus");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    env.nexus(&["--dir", target.to_str().unwrap(), "init"]).ok();
    assert!(target.join("agents/code_developer.toml").is_file());
    assert!(!env.nexus_dir().exists());
}
