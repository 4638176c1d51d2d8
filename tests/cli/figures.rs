//! The dashboard's figures from a real run: what each attempt used of the
//! machine (the OS's accounting of the finished agent process), the
//! confidence its agent gave, and what `status` makes of them per agent.

use serde_json::Value;

use crate::common::asking::project;
use crate::common::fake_claude::Step;

/// Each attempt records what the agent's process used (CPU seconds, peak
/// memory: the OS's accounting of the finished process) and the confidence
/// it gave; `status` adds them up per agent, says what share of the machine
/// the agents used, and scores the completed tasks.
#[cfg(target_os = "linux")]
#[test]
fn a_run_records_what_each_attempt_used_and_status_adds_it_up() {
    let (mut env, fake) = project();
    env.set("NEXUS_MACHINE", "2,8000");
    fake.script(&[
        Step::reply("done\n```json\n{\"summary\": \"done\", \"confidence\": 0.5}\n```")
            .sleep(0.3)
            .repeat(),
    ]);
    env.write(
        "plan.json",
        r#"{"tasks": [
            {"id": "a", "title": "A", "type": "analysis", "agent": "aria_coordinator", "estimate_minutes": 5},
            {"id": "b", "title": "B", "type": "implementation", "agent": "code_developer", "depends_on": ["a"]}
        ]}"#,
    );
    env.nexus(&["plan", "--from", "plan.json", "--id", "p1"])
        .ok();
    env.nexus(&["run", "p1"]).ok();
    let record: Value =
        serde_json::from_str(&env.read(".nexus/plans/p1/tasks/a.json")).expect("record");
    let attempt = &record["attempts"][0];
    let cpu = attempt["cpu_seconds"].as_f64().expect("cpu_seconds");
    let peak = attempt["peak_memory_mb"].as_f64().expect("peak_memory_mb");
    assert!((0.0..30.0).contains(&cpu), "{attempt}");
    assert!(peak > 0.5, "{attempt}");
    assert_eq!(attempt["confidence"], 0.5);
    let status = env.nexus(&["status", "--json"]).json();
    let aria = &status["agent_performance"]["aria_coordinator"];
    assert_eq!(aria["cpu_seconds"].as_f64(), Some(cpu), "{aria}");
    assert_eq!(aria["peak_memory_mb"].as_f64(), Some(peak), "{aria}");
    // No verification failed, confidence 0.5, no retry: 10 × (0.4 + 0.2 + 0.2).
    assert_eq!(aria["average_quality_score"], 8.0, "{aria}");
    assert_eq!(status["task_metrics"]["quality_score"], 8.0);
    assert_eq!(status["task_metrics"]["tasks_completed_today"], 2);
    let health = &status["system_health"];
    assert_eq!(health["cpus"], 2);
    assert_eq!(health["memory_total_mb"], 8000.0);
    assert!(health["cpu_usage"].as_f64().is_some(), "{health}");
    assert!(health["memory_usage"].as_f64().expect("memory_usage") > 0.0);
    assert_eq!(health["health_label"], "excellent");
    let text = env.nexus(&["status"]);
    assert!(
        text.stdout.contains("of 2 CPUs while they ran"),
        "{}",
        text.stdout
    );
    // A bad NEXUS_MACHINE is a usage error naming it.
    env.set("NEXUS_MACHINE", "two");
    let bad = env.nexus(&["status"]);
    bad.code(2);
    assert!(bad.stderr.contains("NEXUS_MACHINE"), "{}", bad.stderr);
}
