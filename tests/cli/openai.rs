//! `nexus plan` with the `openai` planner against a fake OpenAI-compatible
//! server on 127.0.0.1: the request body, retries, every failure mode, and
//! the validation + repair round. No internet.

use std::time::{Duration, Instant};

use crate::common::openai_server::{
    FakeServer, Reply, chat, completion, error, good_plan, with_headers,
};
use crate::common::{Run, TestEnv};

const URL_PART: &str = "127.0.0.1:";

fn env_for(server: &FakeServer) -> TestEnv {
    let mut env = TestEnv::initialised();
    env.set("OPENAI_API_KEY", "sk-test-key");
    env.set("OPENAI_BASE_URL", server.base_url.clone());
    env
}

/// Sets `[brain]` settings (the first line starting with `key = `).
fn configure(env: &TestEnv, settings: &[(&str, &str)]) {
    let mut text = env.read(".nexus/config.toml");
    for (key, value) in settings {
        let prefix = format!("{key} = ");
        let line = text
            .lines()
            .find(|line| line.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no `{key}` in config"))
            .to_string();
        text = text.replacen(&line, &format!("{key} = {value}"), 1);
    }
    env.write(".nexus/config.toml", &text);
}

fn plan(env: &TestEnv) -> Run {
    env.nexus(&["plan", "add a --json flag to report"])
}

fn plans_are_empty(env: &TestEnv) -> bool {
    std::fs::read_dir(env.nexus_dir().join("plans"))
        .map(|entries| entries.count() == 0)
        .unwrap_or(true)
}

#[track_caller]
fn assert_fails(run: &Run, code: i32, env: &TestEnv, needles: &[&str]) {
    run.code(code);
    assert!(run.stdout.is_empty(), "nothing on stdout: {}", run.stdout);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            run.stderr
        );
    }
    assert!(
        plans_are_empty(env),
        "nothing may be written under plans/ on failure"
    );
}

#[test]
fn a_good_plan_is_written_and_its_id_printed_alone() {
    let server = FakeServer::start(vec![chat(&good_plan())]);
    let env = env_for(&server);
    let run = plan(&env);
    run.ok();
    let id = run.stdout.trim();
    assert_eq!(run.stdout, format!("{id}\n"));
    assert_eq!(id.len(), 8);
    assert!(
        run.stderr.contains("`openai` planner"),
        "auto chose openai: {}",
        run.stderr
    );
    let stored: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".nexus/plans/{id}/plan.json"))).unwrap();
    assert_eq!(stored["planner"], "openai");
    assert_eq!(stored["model"], "gpt-4o-mini");
    assert_eq!(stored["tasks"][1]["depends_on"][0], "spec");
    // The schema asks an estimate per task; the plan carries it, and `plan`
    // says how long the whole should take (10 then 25 minutes).
    assert_eq!(stored["tasks"][0]["estimate_minutes"], 10);
    assert_eq!(stored["tasks"][1]["estimate_minutes"], 25);
    assert!(
        run.stderr
            .contains("estimated duration: ~35m 00s with 4 tasks at a time"),
        "{}",
        run.stderr
    );
    let task: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".nexus/plans/{id}/tasks/build.json"))).unwrap();
    assert_eq!(task["state"], "pending");
    assert_eq!(server.requests().len(), 1);
    assert!(
        env.nexus_dir()
            .join(format!("logs/brain/{id}.json"))
            .is_file(),
        "the raw answer is kept"
    );
}

#[test]
fn the_request_body_has_exactly_the_documented_fields() {
    let server = FakeServer::start(vec![chat(&good_plan())]);
    let env = env_for(&server);
    plan(&env).ok();
    let request = &server.requests()[0];
    assert_eq!(request.line, "POST /v1/chat/completions HTTP/1.1");
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-key"));
    assert!(
        request
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/json"))
    );
    let body = request.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "max_completion_tokens",
            "messages",
            "model",
            "response_format",
            "temperature"
        ]
    );
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["max_completion_tokens"], 4096);
    let format = &body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "nexus_plan");
    assert_eq!(format["json_schema"]["strict"], true);
    assert_eq!(
        format["json_schema"]["schema"]["additionalProperties"],
        false
    );
    let task = &format["json_schema"]["schema"]["properties"]["tasks"]["items"];
    assert_eq!(task["properties"]["estimate_minutes"]["type"], "integer");
    assert!(
        task["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|field| field == "estimate_minutes")
    );
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    let system = messages[0]["content"].as_str().unwrap();
    for agent in [
        "aria_coordinator",
        "code_developer",
        "alpha_test_creator",
        "beta_test_validator",
    ] {
        assert!(system.contains(agent), "the prompt lists {agent}");
    }
    assert!(system.contains("Takes task types: test_creation"));
    assert!(
        messages[1]["content"]
            .as_str()
            .unwrap()
            .contains("add a --json flag to report")
    );
}

#[test]
fn json_object_mode_and_the_max_tokens_field_are_honoured() {
    let server = FakeServer::start(vec![chat(&good_plan()), chat(&good_plan())]);
    let mut env = env_for(&server);
    configure(
        &env,
        &[
            ("json_mode", "\"json_object\""),
            ("token_field", "\"max_tokens\""),
            ("model", "\"llama3\""),
        ],
    );
    plan(&env).ok();
    let body = server.requests()[0].body.clone();
    let mut keys: Vec<String> = body.as_object().unwrap().keys().cloned().collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "max_tokens",
            "messages",
            "model",
            "response_format",
            "temperature"
        ]
    );
    assert_eq!(
        body["response_format"],
        serde_json::json!({"type": "json_object"})
    );
    assert_eq!(body["model"], "llama3");
    // json_mode none: no response_format; no key set: no Authorization.
    configure(&env, &[("json_mode", "\"none\"")]);
    env.env.remove("OPENAI_API_KEY");
    env.nexus(&["plan", "x", "--planner", "openai", "--model", "m2"])
        .ok();
    let second = &server.requests()[1];
    assert!(second.body.get("response_format").is_none());
    assert_eq!(second.body["model"], "m2");
    assert_eq!(second.header("authorization"), None);
}

#[test]
fn a_429_with_retry_after_is_waited_out_then_succeeds() {
    let limited = with_headers(
        error(
            429,
            r#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
        ),
        &[("retry-after", "1")],
    );
    let server = FakeServer::start(vec![limited, chat(&good_plan())]);
    let env = env_for(&server);
    let run = plan(&env);
    run.ok();
    assert!(run.stderr.contains("retrying in"), "{}", run.stderr);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].at - requests[0].at;
    assert!(gap >= Duration::from_millis(900), "waited only {gap:?}");
}

#[test]
fn a_requested_wait_past_the_cap_fails_at_once_saying_how_long() {
    let limited = with_headers(
        error(
            429,
            r#"{"error":{"message":"Slow down","code":"rate_limit_exceeded"}}"#,
        ),
        &[("retry-after", "3600")],
    );
    let server = FakeServer::start(vec![limited]);
    let env = env_for(&server);
    let started = Instant::now();
    let run = plan(&env);
    assert_fails(&run, 6, &env, &["429", "Slow down", "1h", "max_retry_wait"]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn insufficient_quota_is_not_retried() {
    let server = FakeServer::start(vec![error(
        429,
        r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#,
    )]);
    let env = env_for(&server);
    let run = plan(&env);
    assert_fails(
        &run,
        6,
        &env,
        &[
            URL_PART,
            "429",
            "You exceeded your current quota",
            "insufficient_quota",
            "hint:",
        ],
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_500_is_retried_then_succeeds() {
    let server = FakeServer::start(vec![
        error(
            500,
            r#"{"error":{"message":"The server had an error","type":"server_error"}}"#,
        ),
        chat(&good_plan()),
    ]);
    let env = env_for(&server);
    plan(&env).ok();
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_502_html_page_is_reported_by_its_title_after_the_retries() {
    let page = Reply::Http {
        status: 502,
        headers: Vec::new(),
        content_type: "text/html".to_string(),
        body: "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>".to_string(),
    };
    let server = FakeServer::start(vec![page.clone(), page.clone(), page]);
    let env = env_for(&server);
    let run = plan(&env);
    assert_fails(
        &run,
        6,
        &env,
        &[URL_PART, "502", "Bad Gateway", "after 3 attempts"],
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_401_names_the_key_variable_and_is_not_retried() {
    let server = FakeServer::start(vec![error(
        401,
        r#"{"error":{"message":"Incorrect API key provided: sk-test***","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
    )]);
    let env = env_for(&server);
    let run = plan(&env);
    assert_fails(
        &run,
        6,
        &env,
        &[
            URL_PART,
            "401",
            "Incorrect API key provided",
            "hint:",
            "`OPENAI_API_KEY`",
        ],
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_404_model_not_found_suggests_the_model_name_and_v1() {
    let server = FakeServer::start(vec![error(
        404,
        r#"{"error":{"message":"The model `gpt-9` does not exist","type":"invalid_request_error","code":"model_not_found"}}"#,
    )]);
    let env = env_for(&server);
    let run = env.nexus(&["plan", "x", "--model", "gpt-9"]);
    assert_fails(
        &run,
        6,
        &env,
        &[
            "404",
            "The model `gpt-9` does not exist",
            "model_not_found",
            "`gpt-9`",
            "/v1",
        ],
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn invalid_json_content_gets_one_repair_then_exit_7() {
    let server = FakeServer::start(vec![
        chat("Sure! Here is your plan: tasks are analysis and build."),
        chat("{\"tasks\": [ oops"),
    ]);
    let env = env_for(&server);
    let run = plan(&env);
    assert_fails(&run, 7, &env, &["not valid JSON", "line 1", "logs/brain/"]);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_truncated_answer_gets_the_repair_round_then_exit_7() {
    let cut = completion(Some("{\"tasks\": [{\"id\": \"a"), None, "length");
    let server = FakeServer::start(vec![cut.clone(), cut]);
    let env = env_for(&server);
    let run = plan(&env);
    assert_fails(
        &run,
        7,
        &env,
        &[
            URL_PART,
            "cut off",
            "`finish_reason` is `length`",
            "max_tokens` is 4096",
        ],
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let repair = requests[1].body["messages"].as_array().expect("messages");
    assert!(
        repair[3]["content"]
            .as_str()
            .expect("text")
            .contains("shorter texts")
    );
}

#[test]
fn a_refusal_is_reported() {
    let server = FakeServer::start(vec![completion(
        None,
        Some("I'm sorry, I cannot help with that."),
        "stop",
    )]);
    let env = env_for(&server);
    let run = plan(&env);
    assert_fails(&run, 6, &env, &["refused", "I cannot help with that"]);
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = FakeServer::start(vec![Reply::Hang]);
    let env = env_for(&server);
    configure(&env, &[("timeout", "\"1s\""), ("max_retries", "0")]);
    let started = Instant::now();
    let run = plan(&env);
    assert_fails(
        &run,
        6,
        &env,
        &[URL_PART, "did not answer within 1.0s", "[brain] timeout"],
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_dropped_connection_is_retried_and_reported() {
    let server = FakeServer::start(vec![Reply::Drop, chat(&good_plan())]);
    let env = env_for(&server);
    plan(&env).ok();
    assert_eq!(server.requests().len(), 2);

    let server = FakeServer::start(vec![Reply::Drop, Reply::Drop]);
    let env = env_for(&server);
    configure(&env, &[("max_retries", "1")]);
    let run = plan(&env);
    assert_fails(&run, 6, &env, &[URL_PART, "after 2 attempts"]);
    assert_eq!(server.requests().len(), 2);
}

fn invalid_plan_case(plan_json: &str, expected: &[&str]) {
    let server = FakeServer::start(vec![chat(plan_json), chat(plan_json)]);
    let env = env_for(&server);
    let run = plan(&env);
    let mut needles = vec!["is invalid", "nothing was written under `plans/`"];
    needles.extend_from_slice(expected);
    assert_fails(&run, 7, &env, &needles);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "exactly one repair round");
    let repair = requests[1].body["messages"].as_array().expect("messages");
    let last = repair.last().expect("a message")["content"]
        .as_str()
        .expect("text");
    for needle in expected {
        assert!(
            last.contains(needle),
            "the repair request lists {needle:?}: {last}"
        );
    }
    assert_eq!(repair[repair.len() - 2]["role"], "assistant");
    let logs = std::fs::read_dir(env.nexus_dir().join("logs/brain"))
        .expect("logs/brain")
        .count();
    assert_eq!(logs, 1, "the raw answers are kept");
}

#[test]
fn a_cyclic_plan_is_rejected_naming_the_cycle() {
    let plan = r#"{"tasks": [
        {"id": "a", "title": "A", "description": "", "type": "analysis", "agent": null, "depends_on": ["c"], "priority": "high", "expected_output": null, "acceptance": []},
        {"id": "b", "title": "B", "description": "", "type": "implementation", "agent": null, "depends_on": ["a"], "priority": "high", "expected_output": null, "acceptance": []},
        {"id": "c", "title": "C", "description": "", "type": "review", "agent": null, "depends_on": ["b"], "priority": "high", "expected_output": null, "acceptance": []}
    ]}"#;
    invalid_plan_case(plan, &["dependency cycle: `a → c → b → a`"]);
}

#[test]
fn duplicate_ids_and_unknown_dependencies_are_all_listed() {
    // What SmolLM2 really answered once (OPENAI_API.md): shared ids, missing deps.
    let plan = r#"{"tasks": [
        {"id": "task", "title": "A", "description": "", "type": "analysis", "agent": null, "depends_on": [], "priority": "high", "expected_output": null, "acceptance": []},
        {"id": "task", "title": "B", "description": "", "type": "implementation", "agent": null, "depends_on": ["design"], "priority": "high", "expected_output": null, "acceptance": []}
    ]}"#;
    invalid_plan_case(
        plan,
        &[
            "duplicate task id `task` (tasks #1, #2)",
            "depends on unknown task `design`",
        ],
    );
}

#[test]
fn a_repair_that_succeeds_stores_the_corrected_plan() {
    let broken = r#"{"tasks": [{"id": "a", "title": "A", "description": "", "type": "analysis", "agent": null, "depends_on": ["zzz"], "priority": "high", "expected_output": null, "acceptance": []}]}"#;
    let server = FakeServer::start(vec![
        chat(broken),
        chat(&format!("```json\n{}\n```", good_plan())),
    ]);
    let env = env_for(&server);
    let run = plan(&env);
    run.ok();
    assert!(
        run.stderr.contains("asking once for a corrected plan"),
        "{}",
        run.stderr
    );
    let id = run.stdout.trim();
    let stored: serde_json::Value =
        serde_json::from_str(&env.read(&format!(".nexus/plans/{id}/plan.json"))).unwrap();
    assert_eq!(stored["tasks"][0]["id"], "spec");
    let second = &server.requests()[1];
    let messages = second.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[2]["content"], broken);
    assert!(
        messages[3]["content"]
            .as_str()
            .unwrap()
            .contains("task `a` depends on unknown task `zzz`")
    );
}

/// Review findings: a huge `retry-after` is a wait past the cap (no
/// overflow panic), and `insufficient_quota` given only as the error's `type`
/// is still never retried.
#[test]
fn huge_retry_waits_and_quota_by_type_fail_at_once() {
    for header in [
        ("retry-after", "1e20"),
        ("retry-after-ms", "99999999999999999999999"),
    ] {
        let limited = with_headers(
            error(
                429,
                r#"{"error":{"message":"Slow down","code":"rate_limit_exceeded"}}"#,
            ),
            &[header],
        );
        let server = FakeServer::start(vec![limited]);
        let env = env_for(&server);
        let run = plan(&env);
        assert_fails(&run, 6, &env, &["429", "Slow down", "max_retry_wait"]);
        assert_eq!(server.requests().len(), 1, "{header:?}");
    }
    let server = FakeServer::start(vec![
        error(
            429,
            r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":null}}"#,
        ),
        chat(&good_plan()),
    ]);
    let env = env_for(&server);
    let run = plan(&env);
    assert_fails(&run, 6, &env, &["429", "You exceeded your current quota"]);
    assert_eq!(server.requests().len(), 1);
}

/// Plan text reaches terminals and estimates reach the dashboard's ETA:
/// control characters and absurd estimates are validation errors.
#[test]
fn control_characters_and_absurd_estimates_are_rejected() {
    let plan = r#"{"tasks": [
        {"id": "a", "title": "A\u001b]0;pwned\u0007", "description": "", "type": "analysis", "agent": null, "depends_on": [], "priority": "high", "expected_output": null, "acceptance": []},
        {"id": "b", "title": "B", "description": "", "type": "analysis", "agent": null, "depends_on": [], "priority": "high", "expected_output": null, "acceptance": [], "estimate_minutes": 4294967295}
    ]}"#;
    invalid_plan_case(
        plan,
        &[
            "field `title` contains control characters",
            "field `estimate_minutes`",
        ],
    );
}
