//! Session validity and recovery through `nexus ask`, and `nexus sessions
//! list|show|check|gc`: checked without spending tokens (no CLI call), never
//! collecting a session whose lock is held.

use serde_json::{Value, json};

use crate::common::TestEnv;
use crate::common::asking::{
    Background, DEV, configure, edit_record, memory, project, prompt, record, record_path,
};
use crate::common::fake_claude::{FakeClaude, Step, transcript_path};

const ARIA: &str = "aria_coordinator";
const ALPHA: &str = "alpha_test_creator";
const BETA: &str = "beta_test_validator";

/// Asks once, spoils the session with `spoil`, asks again and checks the
/// second turn started a fresh session with a recap; returns the recovery
/// reason recorded.
fn recovers_after(spoil: impl FnOnce(&TestEnv, &str)) -> String {
    let (env, fake) = project();
    fake.script(&[Step::reply("tables users and orders").matching("design the orders schema")]);
    env.nexus(&["ask", DEV, "design the orders schema"]).ok();
    let old = record(&env, DEV)["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    spoil(&env, &old);
    let run = env.nexus(&["ask", DEV, "now write the migration"]);
    run.ok();
    assert!(run.stderr.contains("recovered"), "{}", run.stderr);
    let calls = fake.invocations();
    assert_eq!(calls.len(), 2, "no call was spent on the spoiled session");
    assert_eq!(calls[1].flags.resume, None);
    let fresh = calls[1].flags.session_id.clone().expect("--session-id");
    assert_ne!(fresh, old);
    let text = prompt(&calls[1]);
    assert!(text.contains("could not be resumed"), "{text}");
    assert!(text.contains("design the orders schema"), "{text}");
    assert!(text.contains("tables users and orders"), "{text}");
    assert!(text.contains("now write the migration"), "{text}");
    let saved = record(&env, DEV);
    assert_eq!(saved["session_id"], fresh.as_str());
    assert_eq!(saved["recovered_from"], old.as_str());
    assert_eq!(saved["turns"], 1);
    assert_eq!(saved["status"], "ok");
    let remembered = memory(&env, DEV);
    let recap = remembered
        .iter()
        .find(|entry| entry["kind"] == "recap")
        .expect("a recap entry");
    assert_eq!(recap["session_id"], fresh.as_str());
    assert_eq!(recap["outcome"], "recovered");
    assert_eq!(remembered.last().expect("entries")["outcome"], "success");
    // The record shows it, in `sessions show` too.
    let shown = env.nexus(&["sessions", "show", DEV]);
    shown.ok();
    assert!(shown.stdout.contains("recovered from"), "{}", shown.stdout);
    assert!(shown.stdout.contains(&old), "{}", shown.stdout);
    saved["recovery_reason"]
        .as_str()
        .expect("recovery_reason")
        .to_string()
}

#[test]
fn an_expired_session_is_replaced_with_a_recap() {
    let reason = recovers_after(|env, _| {
        edit_record(env, DEV, |value| {
            value["last_used_at"] = json!("2020-01-01T00:00:00Z");
        });
    });
    assert!(reason.contains("TTL"), "{reason}");
}

#[test]
fn a_short_ttl_expires_a_session() {
    let (mut env, fake) = project();
    configure(&env, &[("ttl = \"24h\"", "ttl = \"5s\"")]);
    env.set("NEXUS_NOW", "2026-03-01T10:00:00Z");
    env.nexus(&["ask", DEV, "first"]).ok();
    env.set("NEXUS_NOW", "2026-03-01T10:00:03Z");
    env.nexus(&["ask", DEV, "second"]).ok();
    env.set("NEXUS_NOW", "2026-03-01T10:00:30Z");
    env.nexus(&["ask", DEV, "third"]).ok();
    let calls = fake.invocations();
    assert!(calls[1].flags.resume.is_some(), "within the TTL: resumed");
    assert!(calls[2].flags.session_id.is_some(), "past the TTL: fresh");
    assert!(prompt(&calls[2]).contains("could not be resumed"));
    assert!(
        record(&env, DEV)["recovery_reason"]
            .as_str()
            .expect("reason")
            .contains("TTL")
    );
}

#[test]
fn a_session_whose_transcript_is_gone_is_replaced_with_a_recap() {
    let reason = recovers_after(|env, old| {
        std::fs::remove_file(transcript_path(&env.home, &env.project, old))
            .expect("remove transcript");
    });
    assert!(reason.contains("transcript"), "{reason}");
}

#[test]
fn a_session_from_another_host_is_replaced_with_a_recap() {
    let reason = recovers_after(|env, _| {
        edit_record(env, DEV, |value| value["host"] = json!("another-machine"));
    });
    assert!(reason.contains("another-machine"), "{reason}");
}

#[test]
fn a_session_from_another_directory_is_replaced_with_a_recap() {
    let reason = recovers_after(|env, _| {
        edit_record(env, DEV, |value| value["cwd"] = json!("/somewhere/else"));
    });
    assert!(reason.contains("/somewhere/else"), "{reason}");
}

fn listed(env: &TestEnv, args: &[&str]) -> Vec<Value> {
    let run = env.nexus(args);
    run.ok();
    run.json().as_array().expect("a JSON array").clone()
}

fn entry<'a>(list: &'a [Value], agent: &str) -> &'a Value {
    list.iter()
        .find(|item| item["record"]["agent_id"] == agent)
        .unwrap_or_else(|| panic!("{agent} is not listed: {list:?}"))
}

#[test]
fn list_show_and_check_report_validity_without_calling_the_cli() {
    let (env, fake) = project();
    let empty = env.nexus(&["sessions", "list"]);
    empty.ok();
    assert!(empty.stderr.contains("no sessions"), "{}", empty.stderr);
    assert_eq!(
        listed(&env, &["sessions", "list", "--json"]),
        Vec::<Value>::new()
    );

    fake.script(&[Step::reply("ok").cost(0.5).repeat()]);
    env.nexus(&["ask", DEV, "one"]).ok();
    env.nexus(&["ask", DEV, "two"]).ok();
    env.nexus(&["ask", ARIA, "three"]).ok();
    let calls_before = fake.invocations().len();
    let dev_id = record(&env, DEV)["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    let aria_id = record(&env, ARIA)["session_id"]
        .as_str()
        .expect("id")
        .to_string();

    let text = env.nexus(&["sessions", "list"]);
    text.ok();
    for needle in [
        DEV,
        ARIA,
        dev_id.as_str(),
        aria_id.as_str(),
        "valid",
        "$1.0000",
    ] {
        assert!(text.stdout.contains(needle), "{needle}: {}", text.stdout);
    }
    let list = listed(&env, &["sessions", "list", "--json"]);
    assert_eq!(list.len(), 2);
    let dev = entry(&list, DEV);
    assert_eq!(dev["validity"]["state"], "valid");
    assert_eq!(dev["in_use"], false);
    assert_eq!(dev["record"]["turns"], 2);
    assert_eq!(dev["record"]["cost_usd"], 1.0);
    assert_eq!(dev["record"]["session_id"], dev_id.as_str());
    assert!(dev["age_seconds"].is_u64() && dev["idle_seconds"].is_u64());

    // Spoil aria's session: check sees it, for free.
    std::fs::remove_file(transcript_path(&env.home, &env.project, &aria_id)).expect("remove");
    let check = env.nexus(&["sessions", "check"]);
    check.ok();
    assert!(check.stdout.contains("transcript"), "{}", check.stdout);
    assert!(
        check.stderr.contains("1 valid, 1 not resumable"),
        "{}",
        check.stderr
    );
    let checked = listed(&env, &["sessions", "check", "--json"]);
    assert_eq!(entry(&checked, DEV)["validity"]["state"], "valid");
    let aria = entry(&checked, ARIA);
    assert_eq!(aria["validity"]["state"], "transcript_missing");
    assert!(
        aria["validity"]["detail"]
            .as_str()
            .expect("detail")
            .contains(&aria_id)
    );

    let show = env.nexus(&["sessions", "show", "code"]);
    show.ok();
    assert!(show.stdout.contains(&dev_id), "{}", show.stdout);
    assert!(show.stdout.contains("--resume"), "argv: {}", show.stdout);
    let shown = listed(&env, &["sessions", "show", DEV, "--json"]);
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["record"]["agent_id"], DEV);
    assert_eq!(shown[0]["record"]["last_call"]["outcome"], "success");
    let nothing = env.nexus(&["sessions", "show", ALPHA]);
    nothing.ok();
    assert!(
        nothing.stderr.contains("no session yet"),
        "{}",
        nothing.stderr
    );
    assert_eq!(
        listed(&env, &["sessions", "show", ALPHA, "--json"]),
        Vec::<Value>::new()
    );

    assert_eq!(
        fake.invocations().len(),
        calls_before,
        "listing and checking spent no tokens"
    );
}

/// A project with five session records: aria valid, alpha expired, beta
/// without transcript, `zed_helper` orphaned (agent file removed), and the
/// developer's held by a hanging `ask` (and idle past the TTL as well).
struct Collectable {
    env: TestEnv,
    fake: FakeClaude,
    busy: Background,
}

fn collectable() -> Collectable {
    let (env, fake) = project();
    configure(&env, &[("grace = \"5s\"", "grace = \"300ms\"")]);
    let aria_file = env.read(".nexus/agents/aria_coordinator.toml");
    env.write(
        ".nexus/agents/zed_helper.toml",
        &aria_file.replace("id = \"aria_coordinator\"", "id = \"zed_helper\""),
    );
    fake.script(&[Step::hang().matching("hold on")]);
    for agent in [DEV, ARIA, ALPHA, BETA, "zed_helper"] {
        env.nexus(&["ask", agent, "hello"]).ok();
    }
    edit_record(&env, ALPHA, |value| {
        value["last_used_at"] = json!("2020-01-01T00:00:00Z");
    });
    let beta_id = record(&env, BETA)["session_id"]
        .as_str()
        .expect("id")
        .to_string();
    std::fs::remove_file(transcript_path(&env.home, &env.project, &beta_id)).expect("remove");
    std::fs::remove_file(env.nexus_dir().join("agents/zed_helper.toml")).expect("remove");
    let busy = Background::start(&env, &fake, &["ask", DEV, "hold on"]);
    busy.wait_for_call(&fake, 6);
    // Idle past the TTL while in use: still never collected.
    edit_record(&env, DEV, |value| {
        value["last_used_at"] = json!("2020-01-01T00:00:00Z");
    });
    Collectable { env, fake, busy }
}

fn exists(env: &TestEnv, agent: &str) -> bool {
    record_path(env, agent).exists()
}

#[test]
fn gc_removes_expired_spoiled_and_orphaned_records_but_never_one_in_use() {
    let Collectable {
        env,
        fake: _fake,
        mut busy,
    } = collectable();
    let all = [DEV, ARIA, ALPHA, BETA, "zed_helper"];

    let list = listed(&env, &["sessions", "list", "--json"]);
    assert_eq!(entry(&list, DEV)["in_use"], true);
    let text = env.nexus(&["sessions", "list"]);
    assert!(text.stdout.contains("in use"), "{}", text.stdout);

    let dry = env.nexus(&["sessions", "gc", "--dry-run"]);
    dry.ok();
    for agent in [ALPHA, BETA, "zed_helper"] {
        assert!(
            dry.stdout.contains(&format!("{agent}.json")),
            "{}",
            dry.stdout
        );
    }
    assert!(dry.stdout.contains("would remove"), "{}", dry.stdout);
    assert!(
        !dry.stdout.contains(&format!("{DEV}.json")),
        "{}",
        dry.stdout
    );
    assert!(
        !dry.stdout.contains(&format!("{ARIA}.json")),
        "{}",
        dry.stdout
    );
    assert!(
        all.iter().all(|agent| exists(&env, agent)),
        "dry run removed nothing"
    );

    let dry_json = env.nexus(&["sessions", "gc", "--dry-run", "--json"]).json();
    assert_eq!(dry_json["dry_run"], true);
    assert_eq!(dry_json["skipped_in_use"], 1);
    let reasons: Vec<(String, String)> = dry_json["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .map(|item| {
            (
                item["agent_id"].as_str().expect("agent").to_string(),
                item["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    let reason_of = |agent: &str| {
        reasons
            .iter()
            .find(|(id, _)| id == agent)
            .map(|(_, reason)| reason.clone())
            .unwrap_or_default()
    };
    assert!(reason_of(ALPHA).contains("idle"), "{reasons:?}");
    assert!(reason_of(BETA).contains("transcript"), "{reasons:?}");
    assert!(reason_of("zed_helper").contains("orphaned"), "{reasons:?}");
    assert!(all.iter().all(|agent| exists(&env, agent)));

    let gc = env.nexus(&["sessions", "gc"]);
    gc.ok();
    assert!(gc.stdout.contains("removed"), "{}", gc.stdout);
    assert!(gc.stderr.contains("1 in use left alone"), "{}", gc.stderr);
    for agent in [ALPHA, BETA, "zed_helper"] {
        assert!(
            gc.stdout.contains(&format!("{agent}.json")),
            "{}",
            gc.stdout
        );
        assert!(!exists(&env, agent), "{agent} was removed");
    }
    assert!(exists(&env, DEV), "the session in use is kept");
    assert!(exists(&env, ARIA), "the valid session is kept");

    // Once the turn is over, the developer's session is collectable too
    // (its turn rewrote `last_used_at`, so only an explicit age takes it).
    busy.signal_and_finish(libc::SIGTERM).code(130);
    let again = env.nexus(&["sessions", "gc", "--json"]).json();
    assert_eq!(again["removed"], json!([]));
    assert_eq!(again["skipped_in_use"], 0);
    assert!(exists(&env, DEV));
}

#[test]
fn gc_older_than_collects_by_idle_time() {
    let (mut env, _fake) = project();
    env.set("NEXUS_NOW", "2026-03-01T10:00:00Z");
    env.nexus(&["ask", DEV, "hello"]).ok();
    env.nexus(&["ask", ARIA, "hello"]).ok();
    // An hour later: within the 24 h TTL, so a plain gc keeps both.
    env.set("NEXUS_NOW", "2026-03-01T11:00:00Z");
    let kept = env.nexus(&["sessions", "gc", "--json"]).json();
    assert_eq!(kept["removed"], json!([]));
    assert!(exists(&env, DEV) && exists(&env, ARIA));
    let dry = env
        .nexus(&[
            "sessions",
            "gc",
            "--older-than",
            "1s",
            "--dry-run",
            "--json",
        ])
        .json();
    assert_eq!(dry["removed"].as_array().expect("removed").len(), 2);
    assert!(exists(&env, DEV) && exists(&env, ARIA));
    let gc = env.nexus(&["sessions", "gc", "--older-than", "1s"]);
    gc.ok();
    assert!(gc.stdout.contains("removed"), "{}", gc.stdout);
    assert!(!exists(&env, DEV) && !exists(&env, ARIA));
    // The next ask starts a fresh session (nothing to recover from).
    env.nexus(&["ask", DEV, "again"]).ok();
    assert_eq!(record(&env, DEV)["recovered_from"], Value::Null);
}

/// Regression (issue "small defects"): idle time was counted in whole
/// seconds and compared with `>`, so `--older-than 0s` right after a turn
/// removed nothing. Zero means every record not in use.
#[test]
fn gc_older_than_zero_removes_every_idle_record_right_after_a_turn() {
    let (mut env, _fake) = project();
    env.set("NEXUS_NOW", "2026-03-01T10:00:00Z");
    env.nexus(&["ask", DEV, "hello"]).ok();
    env.nexus(&["ask", ARIA, "hello"]).ok();
    // The same instant: both records have been idle for 0 ms.
    let kept = env
        .nexus(&["sessions", "gc", "--older-than", "1s", "--json"])
        .json();
    assert_eq!(kept["removed"], json!([]), "1s keeps records idle for 0 ms");
    let gc = env
        .nexus(&["sessions", "gc", "--older-than", "0s", "--json"])
        .json();
    let removed = gc["removed"].as_array().expect("removed");
    assert_eq!(removed.len(), 2, "{gc}");
    assert!(!exists(&env, DEV) && !exists(&env, ARIA));
}

/// The CLI keeps transcripts under `CLAUDE_CONFIG_DIR` when set, whether the
/// user exported it or `[agent_backend.env]` gives it to the CLI: validity
/// must look where the CLI writes, or every turn would "recover".
#[test]
fn validity_looks_in_the_clis_config_dir() {
    for via_config in [false, true] {
        let (mut env, fake) = project();
        let config_dir = env.temp.path().join("claude-config");
        if via_config {
            configure(
                &env,
                &[(
                    "[agent_backend.env]\n",
                    &format!(
                        "[agent_backend.env]\nCLAUDE_CONFIG_DIR = \"{}\"\n",
                        config_dir.display()
                    ),
                )],
            );
        } else {
            env.set("CLAUDE_CONFIG_DIR", config_dir.display().to_string());
        }
        env.nexus(&["ask", DEV, "one"]).ok();
        let id = record(&env, DEV)["session_id"]
            .as_str()
            .expect("id")
            .to_string();
        assert!(
            walkdir::WalkDir::new(&config_dir)
                .into_iter()
                .filter_map(Result::ok)
                .any(|entry| entry.file_name().to_string_lossy() == format!("{id}.jsonl")),
            "the CLI wrote its transcript under CLAUDE_CONFIG_DIR"
        );
        let checked = listed(&env, &["sessions", "check", "--json"]);
        assert_eq!(
            entry(&checked, DEV)["validity"]["state"],
            "valid",
            "via_config={via_config}"
        );
        env.nexus(&["ask", DEV, "two"]).ok();
        let calls = fake.invocations();
        assert_eq!(
            calls[1].flags.resume.as_deref(),
            Some(id.as_str()),
            "via_config={via_config}"
        );
    }
}

/// `nexus sessions test`: the original session management test, for real:
/// every agent's session created (or resumed), persisted, resumed, and its
/// recovery checked, with the cost estimated first.
#[test]
fn sessions_test_creates_persists_resumes_and_checks_recovery() {
    let (env, fake) = project();
    fake.script(&[Step::reply("OK").cost(0.01).repeat()]);
    // Not a terminal and no --yes: it says what it would cost and runs nothing.
    let refused = env.nexus(&["sessions", "test"]);
    refused.code(2);
    assert!(
        refused
            .stderr
            .contains("4 agents: 8 short turns, cost unknown"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert!(fake.invocations().is_empty());

    let run = env.nexus(&["sessions", "test", "--yes", "--json"]);
    run.ok();
    let report = run.json();
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(report["turns"], 8, "create, then resume, for each of 4");
    let agents = report["agents"].as_array().expect("agents");
    assert_eq!(agents.len(), 4);
    for tested in agents {
        let steps: Vec<&str> = tested["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|step| step["step"].as_str().expect("step"))
            .collect();
        assert_eq!(
            steps,
            ["create_or_resume", "persisted", "resumed", "recovery"],
            "{tested}"
        );
        let agent = tested["agent"].as_str().expect("agent");
        assert_eq!(record(&env, agent)["session_id"], tested["session_id"]);
    }
    let calls = fake.invocations();
    assert_eq!(calls.len(), 8);
    for pair in calls.chunks(2) {
        let created = pair[0].flags.session_id.clone().expect("--session-id");
        assert_eq!(pair[1].flags.resume.as_deref(), Some(created.as_str()));
        // A probe: no memory recalled, no structured answer asked for.
        assert!(prompt(&pair[0]).starts_with("This is a session check by nexus"));
        assert!(
            !prompt(&pair[0]).contains("```json"),
            "{}",
            prompt(&pair[0])
        );
    }
    // Probes are not remembered.
    assert!(memory(&env, DEV).is_empty());

    // Now every session resumes: one turn each, estimated from earlier turns.
    let again = env.nexus(&["sessions", "test", "code", "--yes"]);
    again.ok();
    assert!(
        again
            .stderr
            .contains("1 agent: 1 short turn, about $0.0100 (from earlier turns)"),
        "{}",
        again.stderr
    );
    assert!(
        again.stdout.contains("the first turn resumed session"),
        "{}",
        again.stdout
    );
    assert!(again.stdout.contains("the agent has a resumable session"));
    assert_eq!(fake.invocations().len(), 9);
}

#[test]
fn sessions_test_reports_a_failing_turn_and_exits_3() {
    let (env, fake) = project();
    fake.script(&[Step::api_error(401).repeat()]);
    let run = env.nexus(&["sessions", "test", "beta", "--yes"]);
    run.code(3);
    assert!(run.stdout.contains("FAIL"), "{}", run.stdout);
    assert!(
        run.stdout.contains("failed for beta_test_validator"),
        "{}",
        run.stdout
    );
    assert_eq!(fake.invocations().len(), 1, "it stops at the failed step");
}
