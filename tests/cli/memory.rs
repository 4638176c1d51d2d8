//! An agent's memory: every turn appended; a prompt recalls only what its
//! session lacks (a recap for a new or recovered session, unseen relevant
//! interactions of other sessions for a resumed one), within the agent's
//! `[memory]` settings; `nexus memory show|reset`.

use serde_json::Value;

use crate::common::TestEnv;
use crate::common::asking::{DEV, memory, project, prompt, record};
use crate::common::fake_claude::{Step, transcript_path};

const RELEVANT: &str = "Relevant earlier interactions";
const RECAP: &str = "Recap of your earlier work";

/// Replaces `from` with `to` in an agent's file (it must occur).
fn edit_agent(env: &TestEnv, agent: &str, from: &str, to: &str) {
    let path = format!(".nexus/agents/{agent}.toml");
    let text = env.read(&path);
    assert!(text.contains(from), "`{from}` is not in {path}");
    env.write(&path, &text.replacen(from, to, 1));
}

/// Whether `text` holds `needle`, counting occurrences.
fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

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
fn a_new_session_gets_a_recap_most_relevant_first_within_the_window() {
    let (env, fake) = project();
    fake.script(&[
        Step::reply("tables users and orders, keyed by id").matching("database schema"),
        Step::reply("the parser reads TOML").matching("config file parser"),
        Step::reply("noted").repeat(),
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
    let resumed = prompt(&calls[2]);
    assert!(
        !resumed.contains(RELEVANT) && !resumed.contains(RECAP),
        "{resumed}"
    );

    // A new session holds nothing: it gets a recap, oldest first.
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
    assert!(text.starts_with(RECAP), "{text}");
    let schema_at = text
        .find("design the database schema for orders")
        .expect("schema");
    let parser_at = text.find("write the config file parser").expect("parser");
    assert!(schema_at < parser_at, "oldest first: {text}");
    let message_at = text
        .find("add an index to the orders database schema")
        .expect("message");
    assert!(parser_at < message_at, "the message comes after the memory");

    // A window of one: only the most relevant interaction.
    edit_agent(
        &env,
        DEV,
        "context_window_size = 50",
        "context_window_size = 1",
    );
    env.nexus(&[
        "ask",
        "--new-session",
        DEV,
        "the orders database schema again",
    ])
    .ok();
    let calls = fake.invocations();
    let text = prompt(&calls[4]);
    assert!(text.starts_with(RECAP), "{text}");
    assert_eq!(count(text, "  asked: "), 1, "{text}");
    assert!(text.contains("schema"), "{text}");
    assert!(
        !text.contains("asked: write the config file parser"),
        "unrelated: {text}"
    );

    // A window of zero: nothing recalled at all.
    edit_agent(
        &env,
        DEV,
        "context_window_size = 1",
        "context_window_size = 0",
    );
    env.nexus(&["ask", "--new-session", DEV, "the orders database schema"])
        .ok();
    let calls = fake.invocations();
    assert!(!prompt(&calls[5]).contains(RECAP), "{}", prompt(&calls[5]));
}

/// The issue: a turn that resumed a recovered session recalled the very
/// exchanges its recap had just given it, and every turn of one instance
/// recalled the other instance's work again. A resumed session now gets
/// only relevant interactions it has not seen, once.
#[test]
fn a_resumed_session_never_pays_twice_for_what_it_holds() {
    let (env, fake) = project();
    edit_agent(&env, DEV, "instances = 1", "instances = 2");
    fake.script(&[
        Step::reply("tables users and orders").matching("orders schema"),
        Step::reply("migration written").matching("orders migration"),
        Step::reply("index added").matching("orders index"),
    ]);
    env.nexus(&["ask", DEV, "design the orders schema"]).ok();
    env.nexus(&["ask", DEV, "write the orders migration"]).ok();
    // The session's transcript is gone: the next turn recovers with a recap.
    let old = record(&env, DEV)["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    std::fs::remove_file(transcript_path(&env.home, &env.project, &old))
        .expect("remove transcript");
    env.nexus(&["ask", DEV, "check the orders schema and migration"])
        .ok();
    let calls = fake.invocations();
    let recovered = prompt(&calls[2]);
    assert!(recovered.contains("could not be resumed"), "{recovered}");
    assert!(recovered.contains(RECAP), "{recovered}");
    assert_eq!(count(recovered, "  asked: "), 2, "{recovered}");

    // Resumed: the recap's entries are held already.
    env.nexus(&["ask", DEV, "the orders schema once more"]).ok();
    let calls = fake.invocations();
    assert!(calls[3].flags.resume.is_some());
    let resumed = prompt(&calls[3]);
    assert!(
        !resumed.contains(RELEVANT) && !resumed.contains(RECAP),
        "{resumed}"
    );

    // Another instance works on the orders index…
    env.nexus(&["ask", "--instance", "1", DEV, "add the orders index"])
        .ok();
    // …which instance 0's next resumed turn recalls once, not again later.
    env.nexus(&["ask", DEV, "is the orders index used by the schema"])
        .ok();
    env.nexus(&["ask", DEV, "and the orders index after the migration"])
        .ok();
    let calls = fake.invocations();
    let first = prompt(&calls[5]);
    assert!(first.starts_with(RELEVANT), "{first}");
    assert!(first.contains("add the orders index"), "{first}");
    assert!(
        !first.contains("design the orders schema"),
        "held already: {first}"
    );
    let second = prompt(&calls[6]);
    assert!(!second.contains(RELEVANT), "recalled once only: {second}");
    // Memory says what each prompt recalled.
    let entries = memory(&env, DEV);
    let last_but_one = &entries[entries.len() - 2];
    assert_eq!(
        last_but_one["recalled"].as_array().map(Vec::len),
        Some(1),
        "{last_but_one}"
    );
}

#[test]
fn retention_none_remembers_and_recalls_nothing() {
    let (env, fake) = project();
    fake.script(&[]);
    edit_agent(
        &env,
        DEV,
        "retention_policy = \"full_session\"",
        "retention_policy = \"none\"",
    );
    env.nexus(&["ask", DEV, "design the orders schema"]).ok();
    env.nexus(&["ask", "--new-session", DEV, "the orders schema"])
        .ok();
    assert!(memory(&env, DEV).is_empty());
    let calls = fake.invocations();
    assert!(!prompt(&calls[1]).contains(RECAP), "{}", prompt(&calls[1]));
}

/// `run --dry-run` shows exactly what each prompt recalls.
#[test]
fn dry_run_shows_what_is_recalled() {
    let (env, fake) = project();
    fake.script(&[]);
    env.nexus(&["ask", DEV, "design the orders schema"]).ok();
    env.write(
        "plan.json",
        r#"{"tasks": [{"id": "impl", "title": "Implement the orders schema", "type": "implementation", "agent": "code_developer"}]}"#,
    );
    env.nexus(&["plan", "--from", "plan.json", "--id", "p1"])
        .ok();
    let shown = env.nexus(&["run", "p1", "--dry-run"]);
    shown.ok();
    assert!(
        shown.stdout.contains("memory: nothing recalled"),
        "resumed, and the session holds the only entry: {}",
        shown.stdout
    );
    // Once the session is gone, the new one gets a recap of that entry.
    std::fs::remove_file(env.nexus_dir().join("sessions/code_developer.json")).expect("rm");
    let shown = env.nexus(&["run", "p1", "--dry-run", "--json"]).json();
    let recall = &shown[0]["recall"];
    assert_eq!(recall["kind"], "recap", "{shown}");
    assert_eq!(recall["keys"].as_array().map(Vec::len), Some(1));
    let text = recall["text"].as_str().expect("text");
    assert!(text.contains("design the orders schema"), "{text}");
    assert_eq!(recall["bytes"].as_u64(), Some(text.len() as u64));
    let prompt = shown[0]["prompt"].as_str().expect("prompt");
    assert!(
        prompt.starts_with(RECAP) && prompt.contains(text),
        "{prompt}"
    );
    let plain = env.nexus(&["run", "p1", "--dry-run"]);
    assert!(
        plain
            .stdout
            .contains("memory: a recap of 1 earlier interaction"),
        "{}",
        plain.stdout
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

/// `[memory] max_conversations`: `sessions gc` drops the oldest entries
/// beyond it (never a run: memory is append-only while agents work).
#[test]
fn gc_trims_memory_to_max_conversations() {
    let (env, fake) = project();
    fake.script(&[]);
    edit_agent(
        &env,
        DEV,
        "max_conversations = 1000",
        "max_conversations = 2",
    );
    for question in ["question one", "question two", "question three"] {
        env.nexus(&["ask", DEV, question]).ok();
    }
    assert_eq!(memory(&env, DEV).len(), 3, "a run never trims");
    let dry = env.nexus(&["sessions", "gc", "--dry-run"]);
    dry.ok();
    assert!(
        dry.stdout
            .contains("would drop 1 oldest memory entry of `code_developer` (it keeps 2)"),
        "{}",
        dry.stdout
    );
    assert_eq!(memory(&env, DEV).len(), 3);
    let gc = env.nexus(&["sessions", "gc", "--json"]).json();
    assert_eq!(gc["memory_trimmed"][0]["dropped"], 1, "{gc}");
    let kept = memory(&env, DEV);
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0]["request"], "question two");
}
