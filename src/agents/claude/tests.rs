//! Unit tests of the Claude Code backend.

use super::*;
use crate::agents::backend::{AgentEvent, Exit, Outcome, Parsed, SessionMode, TurnOutput};
use crate::agents::testing;

fn sample(name: &str) -> String {
    testing::sample("claude-cli-samples", name)
}

fn interpret_exit(exit: &Exit, stdout: &str) -> TurnOutput {
    testing::interpret_exit(&Claude, &TurnContext::default(), exit, stdout)
}

fn interpret(code: Option<i32>, stdout: &str, stderr: &str) -> TurnOutput {
    testing::interpret(&Claude, &TurnContext::default(), code, stdout, stderr)
}

#[test]
fn the_real_success_sample_is_a_success_with_cost_and_session() {
    let output = interpret(Some(0), &sample("a_print_json_hello.json"), "");
    assert_eq!(output.outcome, Outcome::Success);
    assert_eq!(
        output.session_id.as_deref(),
        Some("f7764678-bcad-4b50-8211-11d56acaaa46")
    );
    assert_eq!(output.reply, "FAKE-REPLY turn=1 msgs=2 last_user=hello");
    assert!((output.usage.cost_usd - 0.00876).abs() < 1e-9);
    assert_eq!(output.usage.input_tokens, 1667);
    assert_eq!(output.usage.output_tokens, 17);
    assert_eq!(output.usage.turns, 1);
}

#[test]
fn stream_json_yields_the_cli_version_from_init() {
    let output = interpret(Some(0), &sample("c_stream_json_verbose.jsonl"), "");
    assert_eq!(output.outcome, Outcome::Success);
    assert!(
        output
            .cli_version
            .as_deref()
            .is_some_and(|v| v.starts_with("2.1.")),
        "{:?}",
        output.cli_version
    );
    let verbose = interpret(Some(0), &sample("a2_print_json_verbose.json"), "");
    assert_eq!(verbose.outcome, Outcome::Success);
}

#[test]
fn every_stream_line_becomes_normalized_events() {
    let events = testing::events(&Claude, &[sample("c2_stream_json_verbose_tool_use.jsonl")]);
    assert!(matches!(
        events[0],
        AgentEvent::Init {
            session_id: Some(_),
            ..
        }
    ));
    assert!(testing::uses_tool(&events, "Write"));
    assert!(
        events
            .iter()
            .any(|event| matches!(event, AgentEvent::ToolResult { .. }))
    );
    assert!(matches!(
        events.last(),
        Some(AgentEvent::Result { success: true, .. })
    ));
    let mut parser = Claude.parser(&TurnContext::default());
    assert_eq!(parser.line("plain text"), Parsed::Text);
    assert_eq!(parser.line("{\"type\":\"assis"), Parsed::Malformed);
}

#[test]
fn api_errors_carry_their_status_whatever_the_subtype_says() {
    for (name, status) in [
        ("e_500_r2.json", Some(500)),
        ("e_429_r2.json", Some(429)),
        ("e_401_r2.json", Some(401)),
    ] {
        let output = interpret(Some(1), &sample(name), "");
        assert_eq!(output.outcome, Outcome::ApiError, "{name}");
        assert_eq!(output.api_error_status, status, "{name}");
        assert!(
            output
                .reason
                .as_deref()
                .unwrap_or("")
                .contains(&format!("HTTP {}", status.unwrap())),
            "{name}"
        );
    }
    for name in ["e_hang_timeout.json", "conn_refused.json"] {
        let output = interpret(Some(1), &sample(name), "");
        assert_eq!(output.outcome, Outcome::ApiError, "{name}");
        assert_eq!(output.api_error_status, None);
    }
    let streamed = interpret(Some(1), &sample("e_500_stream_json.jsonl"), "");
    assert_eq!(streamed.outcome, Outcome::ApiError);
}

#[test]
fn limits_and_denials_are_not_successes() {
    assert_eq!(
        interpret(Some(1), &sample("maxturns.json"), "").outcome,
        Outcome::MaxTurns
    );
    assert_eq!(
        interpret(Some(1), &sample("budget.json"), "").outcome,
        Outcome::BudgetExceeded
    );
    let denied = interpret(Some(0), &sample("i_default.json"), "");
    assert_eq!(denied.outcome, Outcome::PermissionDenied);
    assert!(!denied.permission_denials.is_empty());
    assert_eq!(
        interpret(Some(0), &sample("i_accept.json"), "").outcome,
        Outcome::Success
    );
}

#[test]
fn stderr_only_failures_are_classified() {
    let not_found = interpret(
        Some(1),
        "",
        "No conversation found with session ID: 00000000-0000-4000-8000-000000000000\n",
    );
    assert_eq!(not_found.outcome, Outcome::SessionNotFound);
    let in_use = interpret(Some(1), "", "Error: Session ID 1111 is already in use.\n");
    assert_eq!(in_use.outcome, Outcome::SessionInUse);
    let bad = interpret(
        Some(1),
        "",
        "Error: Invalid session ID. Must be a valid UUID.\n",
    );
    assert_eq!(bad.outcome, Outcome::BadArguments);
    let crashed = interpret(Some(139), "", "");
    assert_eq!(crashed.outcome, Outcome::Crashed);
    let not_found_stream = interpret(
        Some(1),
        &sample("d_resume_unknown_uuid_stream_json.jsonl"),
        "No conversation found with session ID: 00000000-0000-4000-8000-000000000000\n",
    );
    assert_eq!(not_found_stream.outcome, Outcome::SessionNotFound);
    let init_line = sample("c_stream_json_verbose.jsonl")
        .lines()
        .next()
        .unwrap()
        .to_string();
    let died = interpret(Some(2), &init_line, "TypeError: boom\n");
    assert_eq!(died.outcome, Outcome::Crashed);
    assert!(died.reason.unwrap().contains("TypeError"));
    let cut = interpret(Some(0), &init_line, "");
    assert_eq!(cut.outcome, Outcome::InvalidOutput);
    let garbage = interpret(Some(0), "{\"type\":\"result\",\"subty", "");
    assert_eq!(garbage.outcome, Outcome::InvalidOutput);
    let mut killed = testing::exit(None, "", "");
    killed.signal = Some(9);
    assert_eq!(interpret_exit(&killed, "").outcome, Outcome::Killed);
}

/// Issue 10: an exit 1 with a stderr line that is not one of the CLI's
/// argument errors is a crash (retried), not `bad_arguments`.
#[test]
fn r10_an_unknown_stderr_failure_is_a_crash_not_bad_arguments() {
    let crash = interpret(
        Some(1),
        "",
        "Error: ENOMEM: not enough memory, read\n    at Object.readSync\n",
    );
    assert_eq!(crash.outcome, Outcome::Crashed);
    assert!(crash.outcome.retryable());
    let unknown = interpret(Some(1), "", "error: unknown option '--bogus'\n");
    assert_eq!(unknown.outcome, Outcome::BadArguments);
    assert!(!unknown.outcome.retryable());
}

#[test]
fn not_logged_in_is_an_authentication_failure() {
    let output = interpret(
        Some(1),
        r#"{"type":"result","subtype":"success","is_error":true,"api_error_status":null,"result":"Not logged in · Please run /login","session_id":"s"}"#,
        "",
    );
    assert_eq!(output.outcome, Outcome::AuthFailed);
    assert!(!output.outcome.retryable());
}

fn agent(text: &str) -> Agent {
    Agent::parse(Path::new("beta_test_validator.toml"), text).unwrap()
}

#[test]
fn the_prompt_goes_last_after_a_double_dash() {
    let agent = agent(crate::state::agent::DEFAULT_AGENTS[3].1);
    let config = Config::defaults();
    let request = TurnRequest {
        config: &config,
        agent: &agent,
        session: SessionMode::Resume("abc".into()),
        system_prompt: "SYSTEM".into(),
        prompt: "--looks-like-a-flag".into(),
        max_budget_usd: Some(0.5),
        isolated: true,
    };
    let args: Vec<String> = Claude
        .turn_args(&request)
        .unwrap()
        .iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    assert_eq!(&args[args.len() - 2..], ["--", "--looks-like-a-flag"]);
    assert!(args.windows(2).any(|pair| pair == ["--resume", "abc"]));
    assert!(
        args.windows(2)
            .any(|pair| pair == ["--append-system-prompt", "SYSTEM"])
    );
    assert!(
        args.windows(2)
            .any(|pair| pair == ["--max-budget-usd", "0.5"])
    );
    assert!(args.contains(&"Bash(cargo test:*)".to_string()));
    // Outside a worktree `build` is `edit`: no shell in the user's checkout.
    let shared = TurnRequest {
        isolated: false,
        ..request
    };
    let args = Claude.turn_args(&shared).unwrap();
    assert!(
        !args
            .iter()
            .any(|arg| arg.to_string_lossy().starts_with("Bash("))
    );
}

#[test]
fn temperature_is_accepted_ignored_and_reported_other_keys_are_errors() {
    for (id, text) in crate::state::agent::DEFAULT_AGENTS {
        let path = PathBuf::from(format!("{id}.toml"));
        let ignored = Claude.ignored_keys(&path, text);
        assert_eq!(ignored.len(), 1, "{id}: {ignored:?}");
        assert_eq!(ignored[0].0, "claude.temperature");
        assert!(
            ignored[0].1.contains("no temperature setting"),
            "{ignored:?}"
        );
        // Nothing reaches the CLI.
        let agent = agent(&text.replace(id, "beta_test_validator"));
        let config = Config::defaults();
        let request = TurnRequest {
            config: &config,
            agent: &agent,
            session: SessionMode::New("abc".into()),
            system_prompt: String::new(),
            prompt: String::new(),
            max_budget_usd: None,
            isolated: true,
        };
        let args = Claude.turn_args(&request).unwrap();
        assert!(
            !args
                .iter()
                .any(|arg| arg.to_string_lossy().contains("temperature"))
        );
    }
    let text = crate::state::agent::DEFAULT_AGENTS[3].1;
    let out_of_range = text.replace("temperature = 0.1", "temperature = 1.5");
    let message = format!(
        "{:#}",
        Agent::parse(Path::new("beta_test_validator.toml"), &out_of_range).unwrap_err()
    );
    assert!(message.contains("claude.temperature"), "{message}");
    let typo = text.replace("temperature = 0.1", "top_p = 0.1");
    let message = format!(
        "{:#}",
        Agent::parse(Path::new("beta_test_validator.toml"), &typo).unwrap_err()
    );
    assert!(message.contains("top_p"), "{message}");
    assert!(
        Claude
            .ignored_keys(
                Path::new("config.toml"),
                crate::state::config::DEFAULT_CONFIG_TOML
            )
            .is_empty()
    );
}

#[test]
fn the_agent_table_overrides_the_config_table_key_by_key() {
    let text = crate::state::config::DEFAULT_CONFIG_TOML.replace(
        "\n[claude]\n",
        "\n[claude]\nmodel = \"opus\"\nmax_turns = 7\n",
    );
    let config = Config::parse(Path::new("config.toml"), &text).unwrap();
    let text = "schema = 2\nid = \"beta_test_validator\"\nname = \"B\"\nrole = \"r\"\ntask_types = [\"review\"]\n\
        [personality]\ncore_traits = []\ncommunication_style = \"\"\ndecision_making = \"\"\ncollaboration_style = \"\"\nstress_response = \"\"\n\
        [expertise]\nareas = []\ncapabilities = []\n[claude]\nmax_turns = 3\n";
    let resolved = resolve(&config, Some(&agent(text))).unwrap();
    assert_eq!(resolved.model.as_deref(), Some("opus"), "from the config");
    assert_eq!(resolved.max_turns, 3, "the agent's key wins");
    assert_eq!(resolved.permission_mode, "acceptEdits", "from `permission`");
    let broken = text.replace("max_turns = 3", "max_turn = 3");
    let error = Agent::parse(Path::new("beta_test_validator.toml"), &broken).unwrap_err();
    let message = format!("{error:#}");
    assert!(
        message.contains("beta_test_validator.toml") && message.contains("max_turn"),
        "{message}"
    );
}

#[test]
fn transcripts_live_under_the_escaped_cwd() {
    let mut env = BTreeMap::new();
    env.insert("HOME".to_string(), "/home/u".to_string());
    let path = transcript_path("s1", Path::new("/tmp/my project.x"), &env).unwrap();
    assert_eq!(
        path,
        Path::new("/home/u/.claude/projects/-tmp-my-project-x/s1.jsonl")
    );
    assert_eq!(
        transcript_path("s1", Path::new("/tmp/w/"), &env).unwrap(),
        Path::new("/home/u/.claude/projects/-tmp-w/s1.jsonl"),
        "a trailing `/` is not part of the CLI's cwd"
    );
    env.insert("CLAUDE_CONFIG_DIR".to_string(), "/cfg".to_string());
    assert_eq!(
        transcript_path("s1", Path::new("/a"), &env).unwrap(),
        Path::new("/cfg/projects/-a/s1.jsonl")
    );
}
