//! `nexus agents list|show`.

use crate::common::TestEnv;

#[test]
fn agents_list_shows_the_team() {
    let env = TestEnv::initialised();
    let run = env.nexus(&["agents", "list"]);
    run.ok();
    for name in [
        "aria_coordinator",
        "code_developer",
        "alpha_test_creator",
        "beta_test_validator",
    ] {
        assert!(run.stdout.contains(name), "{}", run.stdout);
    }
    let agents = env.nexus(&["agents", "list", "--json"]).json();
    let agents = agents.as_array().unwrap();
    assert_eq!(agents.len(), 4);
    let code = agents
        .iter()
        .find(|agent| agent["id"] == "code_developer")
        .unwrap();
    assert_eq!(code["name"], "Code");
    assert_eq!(code["claude"]["permission_mode"], "acceptEdits");
    assert_eq!(code["instances"], 1);
}

#[test]
fn agents_show_accepts_a_prefix_and_prints_the_built_prompt() {
    let env = TestEnv::initialised();
    let run = env.nexus(&["agents", "show", "beta"]);
    run.ok();
    assert!(
        run.stdout.contains("Beta (beta_test_validator)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("You are Beta, the test validator"),
        "{}",
        run.stdout
    );
    let shown = env.nexus(&["agents", "show", "aria", "--json"]).json();
    assert_eq!(
        shown["agent"]["personality"]["core_traits"][0],
        "analytical"
    );
    assert!(
        shown["built_system_prompt"]
            .as_str()
            .unwrap()
            .contains("## Personality")
    );
}

#[test]
fn an_unknown_agent_is_a_usage_error_listing_the_known_ones() {
    let env = TestEnv::initialised();
    let run = env.nexus(&["agents", "show", "zed"]);
    run.code(2);
    assert!(run.stderr.contains("no agent `zed`"), "{}", run.stderr);
    assert!(run.stderr.contains("`code_developer`"), "{}", run.stderr);
}

#[test]
fn a_malformed_agent_file_is_named_with_line_and_field_and_nothing_is_touched() {
    let env = TestEnv::initialised();
    let broken = env
        .read(".nexus/agents/code_developer.toml")
        .replace("max_turns = 40", "max_turns = \"forty\"");
    env.write(".nexus/agents/code_developer.toml", &broken);
    let before = env.snapshot();
    let run = env.nexus(&["agents", "list"]);
    run.code(5);
    assert!(run.stderr.contains("code_developer.toml"), "{}", run.stderr);
    assert!(
        run.stderr.contains("field `claude.max_turns`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("line "), "{}", run.stderr);
    assert_eq!(env.snapshot(), before);

    env.write(".nexus/agents/code_developer.toml", "schema = 1\nid = [\n");
    let run = env.nexus(&["agents", "list"]);
    run.code(5);
    assert!(
        run.stderr.contains("code_developer.toml") && run.stderr.contains("line 2"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_agent_file_from_a_newer_nexus_is_refused() {
    let env = TestEnv::initialised();
    let newer = env
        .read(".nexus/agents/code_developer.toml")
        .replace("schema = 2", "schema = 7");
    env.write(".nexus/agents/code_developer.toml", &newer);
    let run = env.nexus(&["agents", "show", "code_developer"]);
    run.code(5);
    assert!(
        run.stderr.contains("schema 7") && run.stderr.contains("up to 2"),
        "{}",
        run.stderr
    );
    assert_eq!(env.read(".nexus/agents/code_developer.toml"), newer);
}
