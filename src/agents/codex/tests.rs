//! Unit tests of the Codex CLI backend.

use super::*;
use crate::agents::testing;

fn sample(name: &str) -> String {
    testing::sample("agent-cli-samples", name)
}

fn interpret_with(
    previous: Option<TokenCounts>,
    code: Option<i32>,
    stdout: &str,
    stderr: &str,
) -> TurnOutput {
    let context = TurnContext {
        previous_totals: previous,
    };
    testing::interpret(&Codex, &context, code, stdout, stderr)
}

fn interpret(code: Option<i32>, stdout: &str, stderr: &str) -> TurnOutput {
    interpret_with(None, code, stdout, stderr)
}

fn run(name: &str, code: i32) -> TurnOutput {
    let stderr = sample(&format!("codex-{name}.stderr.txt"));
    interpret(Some(code), &sample(&format!("codex-{name}.jsonl")), &stderr)
}

#[test]
fn a_new_thread_succeeds_with_its_id_answer_and_usage() {
    let output = run("c1", 0);
    assert_eq!(output.outcome, Outcome::Success, "{:?}", output.reason);
    assert_eq!(
        output.session_id.as_deref(),
        Some("01a239dd-12d5-7453-b00c-da7153eb7320")
    );
    assert_eq!(output.reply, "FAKE-REPLY turn=1 last_user=hello there");
    assert_eq!(output.usage.input_tokens, 11);
    assert_eq!(output.usage.output_tokens, 2);
    assert_eq!(output.tokens.cached_input, 3);
    assert_eq!(output.reported_cost, None, "Codex reports no money");
    assert_eq!(output.cumulative, Some(output.tokens));
}

#[test]
fn a_resumed_threads_cumulative_usage_becomes_the_calls_own() {
    let first = run("c1", 0);
    let stdout = sample("codex-c2.jsonl");
    let second = interpret_with(first.cumulative, Some(0), &stdout, "");
    assert_eq!(second.outcome, Outcome::Success);
    assert_eq!(second.usage.input_tokens, 100);
    assert_eq!(second.usage.output_tokens, 5);
    assert_eq!(second.tokens.cached_input, 10);
    assert_eq!(second.cumulative.map(|totals| totals.input), Some(111));
    // After a killed call the CLI's count restarts (c28): 11 < 111.
    let after_kill = interpret_with(
        second.cumulative,
        Some(0),
        &sample("codex-c28_resume_after_kill.jsonl"),
        "",
    );
    assert_eq!(after_kill.usage.input_tokens, 11);
}

#[test]
fn failures_are_classified() {
    let failed = run("c12_500_noretry", 1);
    assert_eq!(failed.outcome, Outcome::ApiError);
    assert!(failed.reason.unwrap().contains("high demand"));
    let retried = run("c11_500", 1);
    assert_eq!(retried.outcome, Outcome::ApiError);
    for (name, status) in [
        ("c_401_noretry", 401),
        ("c_403_noretry", 403),
        ("c_404_noretry", 404),
        ("c_429_noretry", 429),
        ("c_503_noretry", 503),
    ] {
        let output = run(name, 1);
        assert_eq!(output.outcome, Outcome::ApiError, "{name}");
        assert_eq!(output.api_error_status, Some(status), "{name}");
        assert!(
            output
                .reason
                .as_deref()
                .unwrap_or("")
                .contains(&format!("HTTP {status}")),
            "{name}: {:?}",
            output.reason
        );
    }
    assert_eq!(run("c24_closed_noretry", 1).outcome, Outcome::ApiError);
    assert_eq!(run("c26_stall_idle2s", 1).outcome, Outcome::ApiError);
    let unknown = run("c4_unknown", 1);
    assert_eq!(unknown.outcome, Outcome::SessionNotFound);
    assert!(unknown.reason.unwrap().contains("no rollout found"));
    assert_eq!(run("c33_bogus", 2).outcome, Outcome::BadArguments);
    assert_eq!(run("c37_bad_sandbox", 2).outcome, Outcome::BadArguments);
    assert_eq!(run("c34_no_git_check", 1).outcome, Outcome::BadArguments);
    assert_eq!(run("c8_noprompt_null", 1).outcome, Outcome::BadArguments);
    let killed = run("c27_killed_term", 143);
    assert_eq!(killed.outcome, Outcome::Killed);
    assert_eq!(
        killed.session_id.as_deref(),
        Some("01a239ef-dd9b-77d1-99f0-8f9cf18512e5"),
        "the id is known even though the turn died"
    );
    let cut = interpret(
        Some(0),
        "{\"type\":\"thread.started\",\"thread_id\":\"x\"}",
        "",
    );
    assert_eq!(cut.outcome, Outcome::InvalidOutput);
}

#[test]
fn error_items_are_not_failures_and_denials_come_from_stderr() {
    // An unknown model name's error item (c1) and a model switch (c32).
    assert_eq!(run("c32_resume_nomodel", 0).outcome, Outcome::Success);
    for name in ["c17_escalate_ro", "c18_patch_ro"] {
        let output = run(name, 0);
        assert_eq!(output.outcome, Outcome::PermissionDenied, "{name}");
        assert_eq!(output.permission_denials.len(), 1, "{name}");
    }
    // A command failing inside the sandbox leaves no trace: a success.
    assert_eq!(run("c16_touch_ro", 0).outcome, Outcome::Success);
    let tools = run("c15_exec_workspace-write", 0);
    assert_eq!(tools.outcome, Outcome::Success);
    assert_eq!(tools.usage.turns, 2, "one request per tool call, plus one");
}

#[test]
fn every_line_becomes_normalized_events() {
    let events = testing::events(
        &Codex,
        &[
            sample("codex-c15_exec_workspace-write.jsonl"),
            sample("codex-c19_patch_ww.jsonl"),
            sample("codex-c11_500.jsonl"),
        ],
    );
    assert!(matches!(
        events[0],
        AgentEvent::Init {
            session_id: Some(_),
            ..
        }
    ));
    assert!(testing::uses_tool(&events, "shell"));
    assert!(testing::uses_tool(&events, "apply_patch"));
    assert!(events.iter().any(|event| matches!(
        event,
        AgentEvent::Retry {
            attempt: Some(1),
            max: Some(5),
            ..
        }
    )));
    let mut parser = Codex.parser(&TurnContext::default());
    assert_eq!(parser.line("plain"), Parsed::Text);
    assert_eq!(parser.line("{\"type\":\"item."), Parsed::Malformed);
}

fn agent(permission: &str, table: &str) -> Agent {
    testing::agent("codex", "coder", permission, table)
}

fn args(agent: &Agent, session: SessionMode, isolated: bool) -> Vec<String> {
    testing::turn_args(
        &Codex,
        agent,
        session,
        "You are \"C\".\nBe brief.",
        "resume",
        isolated,
    )
}

#[test]
fn turns_map_permissions_to_sandboxes_and_resume_after_the_options() {
    let read = agent("read", "");
    let new = args(&read, SessionMode::New("ignored".into()), true);
    assert_eq!(&new[..3], ["exec", "--json", "--skip-git-repo-check"]);
    assert!(new.windows(2).any(|pair| pair == ["-s", "read-only"]));
    assert!(
        !new.contains(&"ignored".to_string()),
        "no preset id: {new:?}"
    );
    assert_eq!(&new[new.len() - 2..], ["--", "resume"]);
    let instructions = new
        .iter()
        .find(|arg| arg.starts_with("developer_instructions="))
        .unwrap();
    let parsed: toml::Table = toml::from_str(instructions).unwrap();
    assert_eq!(
        parsed["developer_instructions"].as_str(),
        Some("You are \"C\".\nBe brief.")
    );

    let build = agent(
        "build",
        "[codex]\nextra_args = [\"-c\", \"model_provider=fake\"]\nadd_dirs = [\"../notes\"]\n",
    );
    let resumed = args(&build, SessionMode::Resume("t-1".into()), true);
    assert!(
        resumed
            .windows(2)
            .any(|pair| pair == ["-s", "workspace-write"])
    );
    let resume_at = resumed.iter().position(|arg| arg == "resume").unwrap();
    assert_eq!(resumed[resume_at + 1], "t-1");
    for option in ["--add-dir", "model_provider=fake", "-s"] {
        let at = resumed.iter().position(|arg| arg == option).unwrap();
        assert!(at < resume_at, "{option} goes before `resume`: {resumed:?}");
    }
    let full = agent("full", "[codex]\nsandbox = \"read-only\"\n");
    assert!(
        args(&full, SessionMode::New(String::new()), true)
            .windows(2)
            .any(|pair| pair == ["-s", "read-only"]),
        "the table overrides the permission"
    );
}

#[test]
fn bad_tables_are_named() {
    let error = Agent::parse(
        Path::new("coder.toml"),
        "schema = 2\nid = \"coder\"\nname = \"C\"\nrole = \"r\"\ntask_types = [\"review\"]\n\
            [personality]\ncore_traits = []\ncommunication_style = \"\"\ndecision_making = \"\"\ncollaboration_style = \"\"\nstress_response = \"\"\n\
            [expertise]\nareas = []\ncapabilities = []\n[codex]\nsandbox = \"yolo\"\n",
    )
    .unwrap_err();
    assert!(format!("{error:#}").contains("codex.sandbox"), "{error:#}");
    let secret = Config::parse(
        Path::new("config.toml"),
        &crate::state::config::DEFAULT_CONFIG_TOML.replace(
            "\n[codex]\n",
            "\n[codex]\nenv = { OPENAI_API_KEY = \"sk\" }\n",
        ),
    )
    .unwrap_err();
    assert!(
        format!("{secret:#}").contains("looks like a secret"),
        "{secret:#}"
    );
}

#[test]
fn rollouts_are_found_under_codex_home() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir.path().join(".codex/sessions/2026/12/03");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::write(
        day.join("rollout-2026-12-03T03-00-00-01a239dd-12d5-7453-b00c-da7153eb7320.jsonl"),
        "{}\n",
    )
    .unwrap();
    let env = BTreeMap::from([("HOME".to_string(), dir.path().display().to_string())]);
    assert_eq!(
        Codex.session_check(
            "01a239dd-12d5-7453-b00c-da7153eb7320",
            Path::new("/any"),
            &env
        ),
        SessionCheck::Exists
    );
    assert!(matches!(
        Codex.session_check(
            "01a239dd-0000-7453-b00c-da7153eb7320",
            Path::new("/any"),
            &env
        ),
        SessionCheck::Missing(_)
    ));
    let env = BTreeMap::from([(
        "CODEX_HOME".to_string(),
        dir.path().join("elsewhere").display().to_string(),
    )]);
    assert!(matches!(
        Codex.session_check(
            "01a239dd-12d5-7453-b00c-da7153eb7320",
            Path::new("/any"),
            &env
        ),
        SessionCheck::Missing(_)
    ));
}
