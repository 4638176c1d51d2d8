//! `nexus messages`: the protocol messages of a plan, a thread or every
//! thread in time order, as a table (golden), JSON, and a Mermaid sequence
//! diagram (golden) with `par` blocks where exchanges overlapped.

use crate::common::TestEnv;
use crate::common::golden::assert_golden;
use crate::common::store::{HOSTILE_TITLE, release_plan};

fn env() -> TestEnv {
    let mut env = TestEnv::initialised();
    env.set("NEXUS_NOW", "2026-11-26T10:00:00.000Z");
    release_plan(&env);
    env
}

fn redact(env: &TestEnv, text: &str) -> String {
    text.replace(&env.nexus_dir().display().to_string(), "[NEXUS_DIR]")
}

#[test]
fn a_plans_messages_are_listed_in_order() {
    let env = env();
    let run = env.nexus(&["messages", "p-rel"]);
    run.ok();
    assert_golden("messages_release.txt", &run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1 + 13,
        "a header and 13 messages:\n{}",
        run.stdout
    );
    assert!(lines[1].contains("nexus_prime") && lines[1].contains("aria_coordinator"));
    assert!(!run.stdout.contains("ask-code_developer"));
    let all = env.nexus(&["messages"]);
    all.ok();
    assert_golden("messages_all.txt", &all.stdout);
    assert!(all.stdout.contains("ask-code_developer"), "{}", all.stdout);
    let thread = env.nexus(&["messages", "ask-code_developer"]);
    thread.ok();
    assert_eq!(thread.stdout.lines().count(), 3, "{}", thread.stdout);
}

#[test]
fn json_names_sender_receiver_task_and_answer() {
    let env = env();
    let run = env.nexus(&["messages", "p-r", "--json"]);
    run.ok();
    let json = run.json();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["scope"], "p-rel");
    let messages = json["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 13);
    let times: Vec<&str> = messages.iter().map(|m| m["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
    let first_result = messages
        .iter()
        .find(|m| m["message_type"] == "task_result")
        .unwrap();
    assert_eq!(first_result["from"], "aria_coordinator");
    assert_eq!(first_result["to"], "nexus_prime");
    assert_eq!(first_result["task_id"], "spec");
    assert_eq!(first_result["about"], "Specified the release <b>steps</b>");
    assert_eq!(first_result["outcome"], "success");
    let failed: Vec<&serde_json::Value> = messages
        .iter()
        .filter(|m| m["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["task_id"], "check");
    let notes = messages.iter().find(|m| m["task_id"] == "notes").unwrap();
    assert_eq!(notes["about"], HOSTILE_TITLE);
    assert!(
        redact(&env, notes["file"].as_str().unwrap())
            .starts_with("[NEXUS_DIR]/messages/p-rel/msg_")
    );
}

#[test]
fn the_sequence_diagram_shows_overlaps_as_par_blocks() {
    let env = env();
    let run = env.nexus(&["messages", "p-rel", "--format", "mermaid"]);
    run.ok();
    assert_golden("messages_release.mmd", &run.stdout);
    let text = &run.stdout;
    assert!(text.starts_with("%% messages of plan p-rel"), "{text}");
    assert!(
        text.contains("participant NEXUS as 🧠 NEXUS Prime"),
        "{text}"
    );
    assert!(text.contains("as Aria (aria_coordinator)"), "{text}");
    // build and docs ran together: one par block, a branch per agent.
    assert!(text.contains("    par code_developer build\n"), "{text}");
    assert!(text.contains("    and aria_coordinator docs\n"), "{text}");
    assert_eq!(text.matches("\n    end\n").count(), 2, "{text}");
    assert!(text.contains("--xNEXUS: ✗ check: timeout"), "{text}");
    assert!(text.contains("build (attempt 2)"), "{text}");
    // The first build answer was ✓, but its verification failed: said so.
    assert!(
        text.contains("NEXUS->>NEXUS: ✗ build: verification #96;cargo build#96; failed (exit 101)"),
        "{text}"
    );
    assert!(
        text.contains("Note over A3: notes: no answer yet"),
        "{text}"
    );
    assert!(!text.contains("<script"), "{text}");
    assert!(!text.contains("%%{"), "{text}");
    // Every line is a statement nexus wrote: no text started a new one.
    for line in text.lines() {
        let statement = line.trim_start();
        assert!(
            [
                "%%",
                "sequenceDiagram",
                "participant",
                "User",
                "NEXUS",
                "A",
                "par ",
                "and ",
                "end",
                "Note over"
            ]
            .iter()
            .any(|start| statement.starts_with(start)),
            "unexpected line {line:?}"
        );
    }
}

#[test]
fn bad_scopes_and_files_are_named() {
    let env = env();
    let unknown = env.nexus(&["messages", "nope"]);
    unknown.code(2);
    assert!(
        unknown.stderr.contains("no plan or thread `nope`"),
        "{}",
        unknown.stderr
    );
    env.nexus(&["messages", "p-rel", "--json", "--format", "mermaid"])
        .code(2);
    env.write(
        ".nexus/messages/p-rel/msg_broken.json",
        "{\"schema\": 1, \"mess",
    );
    let run = env.nexus(&["messages", "p-rel"]);
    run.ok();
    assert!(run.stderr.contains("msg_broken.json"), "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 14);
    let json = env.nexus(&["messages", "p-rel", "--json"]).json();
    assert!(
        json["problems"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("msg_broken.json")
    );
    let fresh = TestEnv::initialised();
    let empty = fresh.nexus(&["messages"]);
    empty.ok();
    assert!(
        empty.stdout.starts_with("no messages yet"),
        "{}",
        empty.stdout
    );
}
