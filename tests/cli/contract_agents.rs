//! The agent runtime against the REAL Codex CLI 0.171.0 and Gemini CLI
//! 0.61.0 (`NEXUS_TEST_REAL_CODEX`, `NEXUS_TEST_REAL_GEMINI`, installed by
//! `.ci/run`), driven through `nexus ask` and `nexus run`, offline: Codex
//! talks to the fake Responses API through a custom provider set in the
//! agent's `[codex] extra_args`, Gemini to the fake Gemini API through
//! `GOOGLE_GEMINI_BASE_URL`, Claude Code to the fake Anthropic API; HOME is
//! a throwaway. Without the variables these tests fail in CI (`CI` set) and
//! are skipped locally.

use std::path::Path;

use serde_json::Value;

use crate::common::TestEnv;
use crate::common::agent_fakes::{GEMINI_SETTINGS, add_agent};
use crate::common::anthropic_server::{self, AnthropicServer};
use crate::common::asking::{configure, record};
use crate::common::gemini_server::{self, GeminiRequest, GeminiServer};
use crate::common::responses_server::{self, ResponsesServer};
use crate::real_claude::real_claude;
use crate::real_codex::real_codex;
use crate::real_gemini::real_gemini;

/// The personality's first words (the developer's agent file).
const PERSONALITY: &str = "You are Code, the developer";

/// Adds agent `coder` on the real Codex CLI, pointed at `server` by a
/// custom provider whose key variable (`FAKE_KEY`) the agent may see, with
/// a model Codex knows and a price for it.
fn codex_agent(env: &mut TestEnv, codex: &Path, server: &ResponsesServer) {
    let [_, provider, _, table] = server.codex_config_args().try_into().expect("4 args");
    add_agent(
        env,
        "coder",
        "codex",
        &format!(
            "[codex]\nmodel = \"gpt-5.5\"\nextra_args = [\"-c\", '{provider}', \"-c\", '{table}']\npass_env = [\"FAKE_KEY\"]\n"
        ),
    );
    configure(
        env,
        &[(
            "[prices]\n",
            "[prices]\n\"gpt-5.5\" = { input_per_mtok = 2.0, cached_input_per_mtok = 0.5, output_per_mtok = 8.0 }\n",
        )],
    );
    env.set("NEXUS_CODEX_BIN", codex.display().to_string())
        .set("FAKE_KEY", "sk-test");
}

/// Adds agent `gem` on the real Gemini CLI, pointed at `server`, with the
/// HOME settings headless runs need and its folder trusted by the agent's
/// `trust_workspace = true`.
fn gemini_agent(env: &mut TestEnv, gemini: &Path, server: &GeminiServer) {
    add_agent(env, "gem", "gemini", "[gemini]\ntrust_workspace = true\n");
    std::fs::create_dir_all(env.home.join(".gemini")).unwrap();
    std::fs::write(env.home.join(".gemini/settings.json"), GEMINI_SETTINGS).unwrap();
    let tmp = env.temp.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    env.set("NEXUS_GEMINI_BIN", gemini.display().to_string())
        .set("GOOGLE_GEMINI_BASE_URL", server.url())
        .set("GEMINI_API_KEY", "test-key")
        // The CLI writes its error reports there.
        .set("TMPDIR", tmp.display().to_string());
}

/// A project whose agents' turns are bounded (a wedged CLI fails the test).
fn project() -> TestEnv {
    let env = TestEnv::initialised();
    configure(&env, &[("timeout = \"30m\"", "timeout = \"150s\"")]);
    env
}

fn session_id(env: &TestEnv, agent: &str) -> String {
    record(env, agent)["session_id"]
        .as_str()
        .expect("session_id")
        .to_string()
}

#[test]
fn a_real_codex_thread_is_captured_resumed_and_counted_per_call() {
    let Some(codex) = real_codex() else { return };
    let server = ResponsesServer::start();
    let mut env = project();
    codex_agent(&mut env, &codex, &server);

    let first = env.nexus(&["ask", "coder", "hello from nexus"]);
    first.ok();
    assert!(
        first.stdout.contains("FAKE-REPLY turn=1"),
        "{}",
        first.stdout
    );
    let thread = session_id(&env, "coder");
    let requests = server.responses_requests();
    let request = requests.last().expect("a request");
    assert_eq!(request.thread_id(), Some(thread.as_str()), "the CLI's id");
    assert_eq!(request.model(), Some("gpt-5.5"));
    let developer: Vec<String> = request
        .input()
        .iter()
        .filter(|item| item["role"] == "developer")
        .map(Value::to_string)
        .collect();
    assert!(
        developer.iter().any(|text| text.contains(PERSONALITY)),
        "the personality is a developer message: {developer:?}"
    );
    let saved = record(&env, "coder");
    assert_eq!(saved["input_tokens"], 11);
    assert_eq!(saved["status"], "ok");

    server.push_with_usage(
        responses_server::Reply::Echo,
        responses_server::Usage {
            input: 100,
            cached: 10,
            output: 5,
            reasoning: 1,
        },
    );
    let second = env.nexus(&["ask", "coder", "the second turn"]);
    second.ok();
    assert!(
        second.stderr.contains("resumed session"),
        "{}",
        second.stderr
    );
    assert_eq!(session_id(&env, "coder"), thread, "the same thread");
    let requests = server.responses_requests();
    let request = requests.last().expect("a request");
    assert_eq!(request.thread_id(), Some(thread.as_str()));
    let texts = request.user_texts();
    assert!(
        texts.iter().any(|text| text.contains("hello from nexus")),
        "{texts:?}"
    );
    let saved = record(&env, "coder");
    // The CLI reported 111 for the thread; the call was 100.
    assert_eq!(saved["cli_totals"]["input"], 111);
    assert_eq!(saved["input_tokens"], 111);
    assert_eq!(saved["output_tokens"], 7);
    let second_cost = (90.0 * 2.0 + 10.0 * 0.5 + 5.0 * 8.0) / 1e6;
    let first_cost = (8.0 * 2.0 + 3.0 * 0.5 + 2.0 * 8.0) / 1e6;
    assert!(
        (saved["cost_usd"].as_f64().unwrap() - (first_cost + second_cost)).abs() < 1e-12,
        "{saved}"
    );

    server.push(responses_server::Reply::error(401));
    let failed = env.nexus(&["ask", "coder", "this one fails"]);
    failed.code(3);
    assert!(failed.stderr.contains("api_error"), "{}", failed.stderr);
    assert!(failed.stderr.contains("HTTP 401"), "{}", failed.stderr);
    let saved = record(&env, "coder");
    assert_eq!(saved["session_id"], thread.as_str(), "the thread survives");
    assert_eq!(saved["last_call"]["outcome"], "api_error");
}

#[test]
fn a_real_gemini_session_is_preset_resumed_and_counted_per_call() {
    let Some(gemini) = real_gemini() else { return };
    let server = GeminiServer::start();
    let mut env = project();
    gemini_agent(&mut env, &gemini, &server);

    let first = env.nexus(&["ask", "gem", "hello from nexus"]);
    first.ok();
    assert!(first.stdout.contains("FAKE-REPLY"), "{}", first.stdout);
    let id = session_id(&env, "gem");
    assert!(
        crate::common::asking::is_v4_uuid(&id),
        "nexus preset it: {id}"
    );
    let requests = server.model_requests();
    let request = requests.last().expect("a model request");
    assert_eq!(request.path_model().as_deref(), Some("gemini-2.5-flash"));
    let prompts = request.prompts();
    assert!(
        prompts.iter().any(|text| text.contains(PERSONALITY)),
        "the personality opens the prompt: {prompts:?}"
    );
    assert!(crate::real_gemini::session_file(&env.home, &env.project, &id).is_some());

    server.push_with_usage(
        gemini_server::Reply::Echo,
        gemini_server::Usage {
            prompt: 50,
            candidates: 4,
        },
    );
    let second = env.nexus(&["ask", "gem", "the second turn"]);
    second.ok();
    assert!(
        second.stderr.contains("resumed session"),
        "{}",
        second.stderr
    );
    assert_eq!(session_id(&env, "gem"), id);
    let requests = server.model_requests();
    let prompts = requests.last().expect("a model request").prompts();
    assert!(
        prompts.iter().any(|text| text.contains("hello from nexus")),
        "the history is sent: {prompts:?}"
    );
    let saved = record(&env, "gem");
    assert_eq!(saved["input_tokens"], 55, "5 then 50: per call");
    assert_eq!(saved["output_tokens"], 6);
    assert!(
        saved["cost_usd"].as_f64().unwrap() > 0.0,
        "gemini-2.5-flash is priced"
    );

    server.push(gemini_server::Reply::error(500));
    let failed = env.nexus(&["ask", "gem", "this one fails"]);
    failed.code(3);
    assert!(failed.stderr.contains("api_error"), "{}", failed.stderr);
    assert!(failed.stderr.contains("HTTP 500"), "{}", failed.stderr);
    assert_eq!(session_id(&env, "gem"), id);
}

/// Without `trust_workspace` the real CLI refuses the folder (exit 55):
/// nexus says so and never trusts it on its own.
#[test]
fn a_real_gemini_in_an_untrusted_folder_is_an_auth_failure_with_the_hint() {
    let Some(gemini) = real_gemini() else { return };
    let server = GeminiServer::start();
    let mut env = project();
    gemini_agent(&mut env, &gemini, &server);
    let text = env
        .read(".nexus/agents/gem.toml")
        .replace("trust_workspace = true", "trust_workspace = false");
    env.write(".nexus/agents/gem.toml", &text);
    let refused = env.nexus(&["ask", "gem", "hello"]);
    refused.code(3);
    assert!(refused.stderr.contains("auth_failed"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("trust_workspace"),
        "{}",
        refused.stderr
    );
    assert!(server.model_requests().is_empty());
}

/// Issue: a plan mixing Claude, Codex and Gemini agents runs to completion
/// with the three real CLIs, each result reaching the next agent.
#[test]
fn a_plan_mixing_the_three_real_clis_runs_to_completion() {
    let (Some(claude), Some(codex), Some(gemini)) = (real_claude(), real_codex(), real_gemini())
    else {
        return;
    };
    let anthropic = AnthropicServer::start();
    let responses = ResponsesServer::start();
    let google = GeminiServer::start();
    let mut env = project();
    env.set("NEXUS_CLAUDE_BIN", claude.display().to_string())
        .set("ANTHROPIC_BASE_URL", anthropic.url())
        .set("ANTHROPIC_API_KEY", "test-key")
        .set("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .set("DISABLE_TELEMETRY", "1")
        .set("DISABLE_ERROR_REPORTING", "1")
        .set("DISABLE_AUTOUPDATER", "1")
        .set("CLAUDE_CODE_MAX_RETRIES", "0");
    codex_agent(&mut env, &codex, &responses);
    gemini_agent(&mut env, &gemini, &google);
    anthropic.push(anthropic_server::Reply::text("SPEC-9: print JSON"));
    responses.push(responses_server::Reply::text("IMPLEMENTED SPEC-9"));
    google.push(gemini_server::Reply::text("REVIEWED SPEC-9"));
    env.write(
        "plan.json",
        r#"{"request": "add --json", "tasks": [
            {"id": "spec", "title": "Specify", "type": "analysis", "description": "write the spec", "agent": "aria_coordinator"},
            {"id": "build", "title": "Implement", "type": "implementation", "description": "implement the spec", "agent": "coder", "depends_on": ["spec"]},
            {"id": "review", "title": "Review", "type": "review", "description": "review the work", "agent": "gem", "depends_on": ["build"]}
        ]}"#,
    );
    env.nexus(&["plan", "--from", "plan.json", "--id", "mix"])
        .ok();
    let run = env.nexus(&["run", "mix"]);
    run.ok();
    assert!(run.stderr.contains("3 completed"), "{}", run.stderr);
    let task = |id: &str| -> Value {
        serde_json::from_str(&env.read(&format!(".nexus/plans/mix/tasks/{id}.json"))).unwrap()
    };
    for id in ["spec", "build", "review"] {
        let record = task(id);
        assert_eq!(record["state"], "completed", "{record}");
        assert!(record.get("unpriced_turns").is_none(), "{record}");
    }
    let codex_request = responses
        .responses_requests()
        .pop()
        .expect("Codex was asked");
    // The task prompt (a Markdown text) carries the specification.
    assert!(
        codex_request
            .input()
            .iter()
            .any(|item| item["role"] == "user" && item.to_string().contains("SPEC-9: print JSON")),
        "{:?}",
        codex_request.input()
    );
    let gemini_request = google.model_requests().pop().expect("Gemini was asked");
    assert!(
        gemini_request
            .prompts()
            .iter()
            .any(|text| text.contains("IMPLEMENTED SPEC-9")),
        "{:?}",
        gemini_request.prompts()
    );
    assert_eq!(
        task("build")["session_id"].as_str(),
        codex_request.thread_id()
    );
    assert!(
        env.read(".nexus/plans/mix/results/review.md")
            .contains("REVIEWED SPEC-9")
    );
}
