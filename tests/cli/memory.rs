//! An agent's memory: every turn appended, relevant earlier interactions in
//! a new session's prompt (keyword overlap), `nexus memory show|reset`.

use serde_json::Value;

use crate::common::asking::{DEV, memory, project, prompt, record};
use crate::common::fake_claude::Step;

const RELEVANT: &str = "Relevant earlier interactions";

#[test]
fn every_turn_is_appended_to_memory() {
    let (env, fake) = project();
    fake.script(&[
        Step::reply("tables users and orders").matching("database schema"),
        Step::api_error(500).matching("broken"),
    ]);
    env.nexus(&["ask", DEV, "design the database schema"]).ok();
    env.nexus(&["ask", DEV, "this one is broken"]).code(3);
    let session_id = record(&env, DEV)["session_id"].clone();
    let entries = memory(&env, DEV);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["kind"], "interaction");
    assert_eq!(entries[0]["request"], "design the database schema");
    assert_eq!(entries[0]["response"], "tables users and orders");
    assert_eq!(entries[0]["outcome"], "success");
    assert_eq!(entries[0]["thread"], format!("ask-{DEV}"));
    assert_eq!(entries[0]["session_id"], session_id);
    assert_eq!(entries[1]["outcome"], "api_error");
    // A failed turn remembers why it failed.
    assert!(
        entries[1]["response"]
            .as_str()
            .expect("response")
            .contains("500"),
        "{}",
        entries[1]
    );
    assert!(entries.iter().all(|entry| entry["schema"] == 1));
}

#[test]
fn a_new_session_gets_the_relevant_earlier_interactions_only() {
    let (env, fake) = project();
    fake.script(&[
        Step::reply("tables users and orders, keyed by id").matching("database schema"),
        Step::reply("the parser reads TOML").matching("config file parser"),
    ]);
    env.nexus(&["ask", DEV, "design the database schema for orders"])
        .ok();
    env.nexus(&["ask", DEV, "write the config file parser"])
        .ok();
    // Resumed: the session already holds its own turns, nothing is repeated.
    env.nexus(&["ask", DEV, "more on the orders database schema"])
        .ok();
    let calls = fake.invocations();
    assert!(calls[2].flags.resume.is_some());
    assert!(
        !prompt(&calls[2]).contains(RELEVANT),
        "{}",
        prompt(&calls[2])
    );

    env.nexus(&[
        "ask",
        "--new-session",
        DEV,
        "add an index to the orders database schema",
    ])
    .ok();
    let calls = fake.invocations();
    let text = prompt(&calls[3]);
    assert!(calls[3].flags.session_id.is_some());
    assert!(text.contains(RELEVANT), "{text}");
    assert!(
        text.contains("design the database schema for orders"),
        "{text}"
    );
    assert!(
        text.contains("tables users and orders, keyed by id"),
        "{text}"
    );
    assert!(!text.contains("config file parser"), "unrelated: {text}");
    assert!(!text.contains("the parser reads TOML"), "unrelated: {text}");
    // The message itself comes after the memory.
    let memory_at = text.find(RELEVANT).expect("memory");
    let message_at = text
        .find("add an index to the orders database schema")
        .expect("message");
    assert!(memory_at < message_at);

    // Nothing relevant: no memory section at all.
    env.nexus(&["ask", "--new-session", DEV, "hello there"])
        .ok();
    let calls = fake.invocations();
    assert!(
        !prompt(&calls[4]).contains(RELEVANT),
        "{}",
        prompt(&calls[4])
    );
}

#[test]
fn memory_show_lists_entries_and_reset_forgets_them() {
    let (env, fake) = project();
    fake.script(&[
        Step::reply("answer one").matching("question one"),
        Step::reply("answer two").matching("question two"),
        Step::reply("answer three").matching("question three"),
    ]);
    let empty = env.nexus(&["memory", "show", DEV]);
    empty.ok();
    assert!(
        empty.stderr.contains("remembers nothing"),
        "{}",
        empty.stderr
    );
    for question in ["question one", "question two", "question three"] {
        env.nexus(&["ask", DEV, question]).ok();
    }

    let shown = env.nexus(&["memory", "show", "code"]);
    shown.ok();
    for needle in [
        "question one",
        "answer one",
        "question three",
        "answer three",
        "interaction",
        "[success]",
    ] {
        assert!(shown.stdout.contains(needle), "{needle}: {}", shown.stdout);
    }
    let all = env.nexus(&["memory", "show", DEV, "--json"]).json();
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["request"], "question one");
    let last = env
        .nexus(&["memory", "show", DEV, "-n", "1", "--json"])
        .json();
    assert_eq!(
        last.as_array().expect("array").as_slice(),
        &all[2..],
        "-n 1 is the newest entry"
    );
    let last_two = env.nexus(&["memory", "show", DEV, "-n", "2"]);
    assert!(
        !last_two.stdout.contains("question one"),
        "{}",
        last_two.stdout
    );
    assert!(
        last_two.stdout.contains("question two"),
        "{}",
        last_two.stdout
    );

    // Another agent's memory is its own.
    let other = env
        .nexus(&["memory", "show", "aria_coordinator", "--json"])
        .json();
    assert_eq!(other, Value::Array(Vec::new()));

    let reset = env.nexus(&["memory", "reset", DEV]);
    reset.ok();
    assert!(
        reset.stderr.contains("forgot 3 entries"),
        "{}",
        reset.stderr
    );
    assert!(memory(&env, DEV).is_empty());
    let after = env.nexus(&["memory", "show", DEV, "--json"]).json();
    assert_eq!(after, Value::Array(Vec::new()));
    // A new session after the reset gets no earlier interactions.
    env.nexus(&["ask", "--new-session", DEV, "question one again"])
        .ok();
    let calls = fake.invocations();
    assert!(
        !prompt(calls.last().expect("a call")).contains(RELEVANT),
        "reset memory is not used"
    );
}

#[test]
fn memory_of_an_unknown_agent_is_a_usage_error() {
    let (env, _fake) = project();
    env.nexus(&["memory", "show", "nobody_here"]).code(2);
    env.nexus(&["memory", "reset", "nobody_here"]).code(2);
}
