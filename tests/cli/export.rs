//! `nexus export` and `nexus reconcile`: golden files of the three formats,
//! `-o`'s rules, the exported Makefile under `make -j4` with the fake agent,
//! reconciling after an executor stopped, the exported workflow's jobs run
//! one by one on simulated runners (fresh checkout, HOME and RUNNER_TEMP,
//! artifacts kept between jobs), `actionlint` on the workflow
//! (`NEXUS_TEST_ACTIONLINT` names the binary), `shellcheck` on the Slurm
//! script (`NEXUS_TEST_SHELLCHECK`), and the Slurm script submitted to a real
//! one-node cluster (`NEXUS_TEST_SLURM_CONF` names its `slurm.conf`; `.ci/run`
//! starts one with `testing/slurm-cluster.sh`). Without those variables the
//! last three print a skip note, and fail when `CI` is set.
//!
//! Golden files live in `tests/cli/snapshots/export_*`;
//! `NEXUS_UPDATE_SNAPSHOTS=1 cargo test --test cli export` rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::fake_claude::{FakeClaude, Step};
use crate::common::{TestEnv, nexus_bin, repo_root};
use crate::run::{configure, write_plan};

/// A diamond `a` → (`b`, `c`) → `d` with `a` urgent, plus `e.docs` after
/// `a` and an independent `f`, both Aria's (so they share her session's
/// lane).
fn diamond() -> Value {
    json!({"tasks": [
        {"id": "a", "title": "Specify", "description": "write the spec; ${{ github.token }} stays out", "type": "analysis", "agent": "aria_coordinator", "priority": "high"},
        {"id": "b", "title": "Implement", "type": "implementation", "agent": "code_developer", "depends_on": ["a"]},
        {"id": "c", "title": "Write tests", "type": "test_creation", "agent": "alpha_test_creator", "depends_on": ["a"]},
        {"id": "d", "title": "Validate", "type": "validation", "agent": "beta_test_validator", "depends_on": ["b", "c"]},
        {"id": "e.docs", "title": "Document", "type": "documentation", "agent": "aria_coordinator", "depends_on": ["a"], "priority": "low"},
        {"id": "f", "title": "Research", "type": "research", "agent": "aria_coordinator", "priority": "low"}
    ]})
}

fn setup() -> (TestEnv, FakeClaude) {
    let mut env = TestEnv::initialised();
    let fake = FakeClaude::install(&mut env);
    configure(
        &env,
        &[
            ("retry_backoff = \"5s\"", "retry_backoff = \"50ms\""),
            ("grace = \"5s\"", "grace = \"500ms\""),
        ],
    );
    (env, fake)
}

/// Adds a `[slurm]` table to an agent's file.
fn slurm_table(env: &TestEnv, agent: &str, table: &str) {
    let path = format!(".nexus/agents/{agent}.toml");
    let text = format!("{}\n[slurm]\n{table}", env.read(&path));
    env.write(&path, &text);
}

/// Compares `actual` with the golden file `name`, rewriting it first when
/// `NEXUS_UPDATE_SNAPSHOTS` is set (the convention of `status.rs`).
#[track_caller]
fn assert_golden(name: &str, actual: &str) {
    let path = repo_root().join("tests/cli/snapshots").join(name);
    if std::env::var_os("NEXUS_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "golden file `{name}` differs (NEXUS_UPDATE_SNAPSHOTS=1 cargo test --test cli export rewrites it)\n--- expected ---\n{expected}\n--- actual ---\n{actual}"
    );
}

fn redact(env: &TestEnv, text: &str) -> String {
    text.replace(&env.temp.path().display().to_string(), "[TEMP_DIR]")
}

/// Skips (or, in CI, fails) a test whose tool is not named by `variable`.
#[expect(
    clippy::print_stderr,
    reason = "the skip note is for the person running the tests"
)]
pub(crate) fn tool(variable: &str) -> Option<PathBuf> {
    match std::env::var_os(variable) {
        Some(value) if !value.is_empty() => Some(PathBuf::from(value)),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{variable} must be set in CI (`.ci/run` sets it)"
            );
            eprintln!("skipped: {variable} is not set (run `.ci/run`)");
            None
        }
    }
}

fn task_record(env: &TestEnv, plan: &str, id: &str) -> Value {
    match std::fs::read_to_string(
        env.project
            .join(format!(".nexus/plans/{plan}/tasks/{id}.json")),
    ) {
        Ok(text) => serde_json::from_str(&text).unwrap(),
        Err(_) => json!({"state": "pending"}),
    }
}

fn seconds(value: &Value) -> f64 {
    let parsed = humantime::parse_rfc3339_weak(value.as_str().unwrap()).unwrap();
    parsed
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// The (start, end) of a task's last attempt.
fn span(record: &Value) -> (f64, f64) {
    let attempt = record["attempts"].as_array().unwrap().last().unwrap();
    (
        seconds(&attempt["started_at"]),
        seconds(&attempt["finished_at"]),
    )
}

/// Asserts that every task of `ids` that ran started after each of its
/// dependencies (per `plan`) finished, from the recorded attempt times.
#[track_caller]
fn assert_dependency_order(env: &TestEnv, plan: &str, tasks: &Value) {
    for task in tasks["tasks"].as_array().unwrap() {
        let id = task["id"].as_str().unwrap();
        let record = task_record(env, plan, id);
        if record["attempts"].as_array().is_none_or(Vec::is_empty) {
            continue;
        }
        let (start, _) = span(&record);
        for dep in task["depends_on"].as_array().into_iter().flatten() {
            let dep = dep.as_str().unwrap();
            let (_, finished) = span(&task_record(env, plan, dep));
            assert!(
                start >= finished,
                "`{id}` started at {start} before its dependency `{dep}` finished at {finished}"
            );
        }
    }
}

#[test]
fn golden_files_for_each_executor() {
    let (env, _fake) = setup();
    write_plan(&env, "p1", &diamond());
    // Code has two sessions; Beta's jobs ask Slurm for more.
    let path = ".nexus/agents/code_developer.toml";
    env.write(
        path,
        &env.read(path).replace("instances = 1", "instances = 2"),
    );
    slurm_table(
        &env,
        "beta_test_validator",
        "time = \"4:00:00\"\nmem = \"16G\"\n",
    );
    let make = env.nexus(&["export", "p1", "--to", "make"]);
    make.ok();
    assert_golden("export_make.mk", &make.stdout);
    let slurm = env.nexus(&[
        "export",
        "p1",
        "--to",
        "slurm",
        "--partition",
        "batch",
        "--time",
        "1:00:00",
        "--cpus-per-task",
        "2",
    ]);
    slurm.ok();
    assert_golden("export_slurm.sh", &redact(&env, &slurm.stdout));
    let github = env.nexus(&[
        "export",
        "p1",
        "--to",
        "github-actions",
        "--secret",
        "ANTHROPIC_API_KEY",
        "--secret",
        "OPENAI_API_KEY",
        "--setup",
        "npm install -g @anthropic-ai/claude-code",
        "--setup",
        "cargo install --locked nexus",
    ]);
    github.ok();
    assert_golden("export_github.yml", &github.stdout);
    // Ids only: no task text (with its `${{`) reaches the workflow.
    assert!(!github.stdout.contains("github.token"));
    assert!(!github.stdout.contains("Specify"));
}

/// The README's Makefile is exactly what `export --to make` writes for the
/// worked example's plan.
#[test]
fn the_readme_makefile_is_the_generated_one() {
    let (env, _fake) = setup();
    env.nexus(&[
        "plan",
        "--planner",
        "builtin",
        "--id",
        "9c419bf5",
        "Add a --json flag to the report command",
    ])
    .ok();
    env.nexus(&["assign", "9c419bf5"]).ok();
    let makefile = env.nexus(&["export", "9c419bf5", "--to", "make"]);
    makefile.ok();
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```make\n{}```", makefile.stdout)),
        "README's Makefile differs from:\n{}",
        makefile.stdout
    );
}

#[test]
fn output_goes_to_exactly_the_named_file() {
    let (env, _fake) = setup();
    write_plan(&env, "p1", &diamond());
    let run = env.nexus(&["export", "p1", "--to", "slurm", "-o", "submit.sh"]);
    run.ok();
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("wrote `"), "{}", run.stderr);
    let script = env.project.join("submit.sh");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&script).unwrap().permissions());
    assert_eq!(
        mode & 0o111,
        0o111 & (mode >> 2),
        "a new script is executable: {mode:o}"
    );
    let stdout = env.nexus(&["export", "p1", "--to", "slurm"]).stdout;
    assert_eq!(env.read("submit.sh"), stdout, "-o writes what stdout shows");
    let dash = env.nexus(&["export", "p1", "--to", "slurm", "-o", "-"]);
    assert_eq!(dash.stdout, stdout, "`-o -` is stdout");
    assert!(!env.project.join("-").exists());
    // A symlink is refused and its target left alone.
    env.write("target.txt", "keep me");
    std::os::unix::fs::symlink(env.project.join("target.txt"), env.project.join("link.mk"))
        .unwrap();
    let refused = env.nexus(&["export", "p1", "--to", "make", "-o", "link.mk"]);
    refused.code(2);
    assert!(
        refused.stderr.contains("symbolic link"),
        "{}",
        refused.stderr
    );
    assert_eq!(env.read("target.txt"), "keep me");
    let missing = env.nexus(&["export", "p1", "--to", "make", "-o", "no/such/dir/Makefile"]);
    missing.code(2);
    assert!(
        missing.stderr.contains("does not exist"),
        "{}",
        missing.stderr
    );
    assert!(!env.project.join("no").exists());
    // Nothing under .nexus changes.
    let before = env.snapshot();
    env.nexus(&["export", "p1", "--to", "github-actions", "-o", "wf.yml"])
        .ok();
    assert_eq!(env.snapshot(), before);
}

#[test]
fn export_refuses_what_it_cannot_write() {
    let (env, _fake) = setup();
    write_plan(&env, "p1", &diamond());
    let foreign = env.nexus(&["export", "p1", "--to", "make", "--partition", "x"]);
    foreign.code(2);
    assert!(
        foreign
            .stderr
            .contains("`--partition` is an option of `--to slurm` only"),
        "{}",
        foreign.stderr
    );
    env.nexus(&["export", "p1", "--to", "slurm", "--secret", "X"])
        .code(2);
    let time = env.nexus(&["export", "p1", "--to", "slurm", "--time", "2h"]);
    time.code(2);
    assert!(time.stderr.contains("`--time`"), "{}", time.stderr);
    let secret = env.nexus(&[
        "export",
        "p1",
        "--to",
        "github-actions",
        "--secret",
        "GITHUB_TOKEN",
    ]);
    secret.code(2);
    assert!(
        secret.stderr.contains("`GITHUB_TOKEN`"),
        "{}",
        secret.stderr
    );
    slurm_table(&env, "code_developer", "mem = \"lots\"\n");
    let agent = env.nexus(&["export", "p1", "--to", "slurm"]);
    agent.code(5);
    assert!(
        agent.stderr.contains("field `slurm.mem`"),
        "{}",
        agent.stderr
    );
    write_plan(
        &env,
        "loose",
        &json!({"tasks": [{"id": "a", "title": "A", "type": "analysis"}]}),
    );
    let unassigned = env.nexus(&["export", "loose", "--to", "make"]);
    unassigned.code(2);
    assert!(
        unassigned.stderr.contains("nexus assign loose"),
        "{}",
        unassigned.stderr
    );
    write_plan(
        &env,
        "cyc",
        &json!({"tasks": [
            {"id": "a", "title": "A", "type": "analysis", "agent": "aria_coordinator", "depends_on": ["b"]},
            {"id": "b", "title": "B", "type": "analysis", "agent": "aria_coordinator", "depends_on": ["a"]}
        ]}),
    );
    env.nexus(&["export", "cyc", "--to", "make"]).code(7);
}

/// GitHub runs at most 256 jobs in a workflow: 255 tasks and the reconcile
/// job fit, 256 tasks are refused with the way out.
#[test]
fn a_plan_past_githubs_job_cap_is_refused_with_the_make_hint() {
    let (env, _fake) = setup();
    let tasks = |count: usize| {
        json!({"tasks": (0..count)
            .map(|index| json!({"id": format!("t{index}"), "title": "T", "type": "analysis", "agent": "aria_coordinator"}))
            .collect::<Vec<_>>()})
    };
    write_plan(&env, "fits", &tasks(255));
    let fits = env.nexus(&["export", "fits", "--to", "github-actions"]);
    fits.ok();
    assert_eq!(fits.stdout.matches("\n  task-").count(), 255);
    write_plan(&env, "big", &tasks(256));
    let big = env.nexus(&["export", "big", "--to", "github-actions"]);
    big.code(2);
    assert!(big.stderr.contains("at most 256 jobs"), "{}", big.stderr);
    assert!(big.stderr.contains("--to make"), "{}", big.stderr);
}

#[test]
fn the_exported_makefile_runs_a_diamond_in_dependency_order_under_make_j4() {
    let (env, fake) = setup();
    let plan = json!({"tasks": [
        {"id": "a", "title": "A", "type": "analysis", "agent": "aria_coordinator"},
        {"id": "b", "title": "B", "type": "implementation", "agent": "code_developer", "depends_on": ["a"]},
        {"id": "c", "title": "C", "type": "test_creation", "agent": "alpha_test_creator", "depends_on": ["a"]},
        {"id": "d", "title": "D", "type": "validation", "agent": "beta_test_validator", "depends_on": ["b", "c"]}
    ]});
    write_plan(&env, "mk", &plan);
    fake.script(&[Step::echo().sleep(1.0).repeat()]);
    let nexus = nexus_bin().display().to_string();
    env.nexus(&[
        "export", "mk", "--to", "make", "--nexus", &nexus, "-o", "Makefile",
    ])
    .ok();
    let output = env
        .command(Path::new("make"))
        .args(["-j4"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for id in ["a", "b", "c", "d"] {
        assert_eq!(task_record(&env, "mk", id)["state"], "completed", "{id}");
    }
    assert_dependency_order(&env, "mk", &plan);
    let (b, c) = (
        span(&task_record(&env, "mk", "b")),
        span(&task_record(&env, "mk", "c")),
    );
    assert!(
        b.0 < c.1 && c.0 < b.1,
        "b and c ran side by side: {b:?} {c:?}"
    );
    assert_eq!(fake.invocations().len(), 4);
    let before = env.snapshot();
    let reconcile = env.nexus(&["reconcile", "mk"]);
    reconcile.ok();
    assert!(
        reconcile.stderr.contains("0 changed; 4 completed"),
        "{}",
        reconcile.stderr
    );
    assert_eq!(
        env.snapshot(),
        before,
        "nothing to reconcile, nothing written"
    );
}

#[test]
fn reconcile_blocks_what_make_left_behind_after_a_failure() {
    let (env, fake) = setup();
    let plan = json!({"tasks": [
        {"id": "a", "title": "A", "type": "analysis", "agent": "aria_coordinator"},
        {"id": "b", "title": "B", "type": "implementation", "agent": "code_developer", "depends_on": ["a"]},
        {"id": "c", "title": "C", "type": "test_creation", "agent": "alpha_test_creator", "depends_on": ["a"]},
        {"id": "d", "title": "D", "type": "validation", "agent": "beta_test_validator", "depends_on": ["b", "c"]},
        {"id": "e", "title": "E", "type": "review", "agent": "beta_test_validator", "depends_on": ["d"]}
    ]});
    write_plan(&env, "mk", &plan);
    fake.script(&[
        Step::max_turns().matching("# Task `b`").repeat(),
        Step::echo().repeat(),
    ]);
    let nexus = nexus_bin().display().to_string();
    env.nexus(&[
        "export", "mk", "--to", "make", "--nexus", &nexus, "-o", "Makefile",
    ])
    .ok();
    let output = env
        .command(Path::new("make"))
        .args(["-k", "-j4"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(task_record(&env, "mk", "b")["state"], "failed");
    assert_eq!(task_record(&env, "mk", "c")["state"], "completed");
    assert_eq!(
        task_record(&env, "mk", "d")["state"],
        "pending",
        "make never ran d"
    );
    let output = env
        .command(Path::new("make"))
        .arg("reconcile")
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "reconcile exits 3: the plan failed"
    );
    let d = task_record(&env, "mk", "d");
    assert_eq!(d["state"], "blocked");
    assert_eq!(d["reason"], "dependency `b` failed");
    assert_eq!(
        task_record(&env, "mk", "e")["reason"],
        "dependency `d` blocked"
    );
    let status = env.nexus(&["status", "mk", "--json"]).json();
    let states: BTreeMap<String, String> = status["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| {
            (
                task["task_id"].as_str().unwrap().to_string(),
                task["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(states["d"], "blocked");
    assert_eq!(states["e"], "blocked");
    // Reconciling again changes nothing.
    let before = env.snapshot();
    let again = env.nexus(&["reconcile", "mk", "--json"]);
    again.code(3);
    let document = again.json();
    assert_eq!(document["changes"].as_array().unwrap().len(), 0);
    assert_eq!(document["counts"]["blocked"], 2);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn reconcile_repairs_a_dead_runner_and_leaves_a_live_one_alone() {
    let (env, _fake) = setup();
    write_plan(
        &env,
        "p1",
        &json!({"tasks": [
            {"id": "gone", "title": "G", "type": "analysis", "agent": "aria_coordinator"},
            {"id": "after", "title": "A", "type": "implementation", "agent": "code_developer", "depends_on": ["gone"]},
            {"id": "live", "title": "L", "type": "analysis", "agent": "aria_coordinator"},
            {"id": "waits", "title": "W", "type": "review", "agent": "beta_test_validator", "depends_on": ["live"]}
        ]}),
    );
    for id in ["gone", "live"] {
        env.write(
            &format!(".nexus/plans/p1/tasks/{id}.json"),
            &serde_json::to_string_pretty(&json!({
                "schema": 1, "task_id": id, "state": "running",
                "owner": {"pid": 999_999, "host": "lost-node"},
                "attempts": [{"number": 1, "agent": "aria_coordinator", "started_at": "2026-11-26T00:00:00.000Z", "outcome": "running"}]
            }))
            .unwrap(),
        );
    }
    // A live runner holds `live`'s task lock (a byte of the plan's task-lock
    // file, as `run --task` takes it).
    let mut holder =
        nexus::state::lock::KeyedLocks::open(&env.nexus_dir().join("locks/plan-p1.tasks.lock"))
            .unwrap();
    assert!(holder.try_lock("live").unwrap());
    let run = env.nexus(&["reconcile", "p1"]);
    run.code(3);
    assert!(
        run.stderr
            .contains("interrupted gone: its runner (pid 999999 on `lost-node`) is gone"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("blocked   after: dependency `gone` interrupted"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("still running: `live`"),
        "{}",
        run.stderr
    );
    let gone = task_record(&env, "p1", "gone");
    assert_eq!(gone["state"], "interrupted");
    assert_eq!(gone["attempts"][0]["outcome"], "interrupted");
    assert!(gone["updated_by"].as_str().unwrap().contains("reconcile"));
    assert_eq!(task_record(&env, "p1", "live")["state"], "running");
    assert_eq!(task_record(&env, "p1", "waits")["state"], "pending");
    drop(holder);
    // A whole-plan run holds the plan lock exclusively: reconcile is busy.
    let deadline = Instant::now() + Duration::from_secs(20);
    let plan_lock = env.nexus_dir().join("locks/plan-p1.lock");
    let mut holder = std::process::Command::new("flock")
        .arg(&plan_lock)
        .args(["sleep", "60"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    while !nexus::state::lock::is_held(&plan_lock) {
        assert!(Instant::now() < deadline, "flock never took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    env.nexus(&["reconcile", "p1"]).code(4);
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn actionlint_accepts_the_workflow() {
    let Some(actionlint) = tool("NEXUS_TEST_ACTIONLINT") else {
        return;
    };
    let (env, _fake) = setup();
    write_plan(&env, "p1", &diamond());
    // The project in a subdirectory of a repository: `working-directory`.
    std::fs::create_dir_all(env.temp.path().join(".git")).unwrap();
    let workflow = env.temp.path().join("nexus-p1.yml");
    env.nexus(&[
        "export",
        "p1",
        "--to",
        "github-actions",
        "--setup",
        "npm install -g @anthropic-ai/claude-code && echo \"$HOME\"",
        "--secret",
        "ANTHROPIC_API_KEY",
        "-o",
        &workflow.display().to_string(),
    ])
    .ok();
    assert!(
        std::fs::read_to_string(&workflow)
            .unwrap()
            .contains("working-directory: 'project'")
    );
    for file in [
        workflow,
        repo_root().join("tests/cli/snapshots/export_github.yml"),
    ] {
        let output = std::process::Command::new(&actionlint)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "actionlint rejects `{}`:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn shellcheck_accepts_the_slurm_script() {
    let Some(shellcheck) = tool("NEXUS_TEST_SHELLCHECK") else {
        return;
    };
    let output = std::process::Command::new(&shellcheck)
        .args(["--shell=sh", "--severity=info"])
        .arg(repo_root().join("tests/cli/snapshots/export_slurm.sh"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// Runs a Slurm command against the test cluster.
fn slurm(env: &TestEnv, program: &str, args: &[&str]) -> String {
    let output = env
        .command(Path::new(program))
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("`{program}`: {error}"));
    assert!(
        output.status.success(),
        "`{program} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The exported script submitted to a real one-node Slurm cluster (2 CPUs)
/// with the fake agent: nine tasks in which `g` fails. Checks that every
/// other task completed in dependency order (from the recorded times), that
/// independent tasks ran side by side but never two of one agent's session,
/// that Slurm cancelled `g`'s dependents and the reconcile job marked them
/// blocked, and — each job having its own HOME, as if on another host — that
/// an agent's second task recovered its session with a recap.
#[test]
fn a_plan_submitted_to_a_real_slurm_cluster() {
    let Some(conf) = tool("NEXUS_TEST_SLURM_CONF") else {
        return;
    };
    let started = Instant::now();
    let (mut env, fake) = setup();
    env.set("SLURM_CONF", conf.display().to_string());
    let plan = json!({"tasks": [
        {"id": "a", "title": "A", "type": "analysis", "agent": "aria_coordinator", "priority": "high"},
        {"id": "b", "title": "B", "type": "implementation", "agent": "code_developer", "depends_on": ["a"]},
        {"id": "c", "title": "C", "type": "test_creation", "agent": "alpha_test_creator", "depends_on": ["a"]},
        {"id": "d", "title": "D", "type": "validation", "agent": "beta_test_validator", "depends_on": ["b", "c"]},
        {"id": "e", "title": "E", "type": "documentation", "agent": "aria_coordinator", "depends_on": ["a"]},
        {"id": "f", "title": "F", "type": "bugfix", "agent": "code_developer", "depends_on": ["d"]},
        {"id": "g", "title": "G", "type": "test_creation", "agent": "alpha_test_creator", "depends_on": ["c"]},
        {"id": "h", "title": "H", "type": "review", "agent": "beta_test_validator", "depends_on": ["g"]},
        {"id": "i", "title": "I", "type": "research", "agent": "aria_coordinator", "depends_on": ["h"]}
    ]});
    write_plan(&env, "sl", &plan);
    slurm_table(&env, "beta_test_validator", "time = \"15\"\n");
    fake.script(&[
        Step::max_turns().matching("# Task `g`").repeat(),
        Step::echo().sleep(3.0).repeat(),
    ]);
    // Each job gets a HOME of its own, so the agent CLI's transcripts of one
    // job are not there for the next: as on another host.
    let hosts = env.temp.path().join("hosts");
    let wrapper = env.temp.path().join("nexus-on-a-host");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nHOME='{}'/\"job-$SLURM_JOB_ID\"\nexport HOME\nmkdir -p \"$HOME\"\nexec '{}' \"$@\"\n",
            hosts.display(),
            nexus_bin().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let wrapper = wrapper.display().to_string();
    env.nexus(&[
        "export",
        "sl",
        "--to",
        "slurm",
        "--nexus",
        &wrapper,
        "--partition",
        "debug",
        "--time",
        "10",
        "--cpus-per-task",
        "1",
        "--mem",
        "200M",
        "-o",
        "submit.sh",
    ])
    .ok();
    let output = env
        .command(Path::new("sh"))
        .arg("submit.sh")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let jobs: BTreeMap<String, String> = printed
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some(kind), Some(name), Some(job)) => {
                    Some((format!("{kind} {name}"), job.to_string()))
                }
                _ => None,
            }
        })
        .collect();
    assert_eq!(
        jobs.len(),
        10,
        "nine tasks and the reconcile job: {printed}"
    );
    let ids: Vec<&String> = jobs.values().collect();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let queued = slurm(&env, "squeue", &["-h", "-o", "%i"]);
        if !queued
            .lines()
            .any(|id| ids.contains(&&id.trim().to_string()))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "jobs still queued after 300 s:\n{}",
            slurm(&env, "squeue", &[])
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let submitted_in = started.elapsed();

    let status = env.nexus(&["status", "sl", "--json"]).json();
    let tasks: BTreeMap<String, Value> = status["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| (task["task_id"].as_str().unwrap().to_string(), task.clone()))
        .collect();
    for id in ["a", "b", "c", "d", "e", "f"] {
        assert_eq!(tasks[id]["state"], "completed", "{id}: {}", tasks[id]);
    }
    assert_eq!(tasks["g"]["state"], "failed");
    assert_eq!(tasks["h"]["state"], "blocked", "{}", tasks["h"]);
    assert_eq!(tasks["h"]["reason"], "dependency `g` failed");
    assert_eq!(tasks["i"]["state"], "blocked");
    assert_eq!(tasks["i"]["reason"], "dependency `h` blocked");
    // Slurm itself cancelled them; the reconcile job ran after.
    for id in ["h", "i"] {
        let shown = slurm(
            &env,
            "scontrol",
            &["show", "job", &jobs[&format!("task {id}")]],
        );
        assert!(
            shown.contains("JobState=CANCELLED") && shown.contains("DependencyNeverSatisfied"),
            "{shown}"
        );
    }
    let reconcile = slurm(&env, "scontrol", &["show", "job", &jobs["reconcile sl"]]);
    assert!(
        reconcile.contains("JobName=nexus-reconcile:sl"),
        "{reconcile}"
    );
    let beta = slurm(&env, "scontrol", &["show", "job", &jobs["task d"]]);
    assert!(
        beta.contains("TimeLimit=00:15:00"),
        "Beta's [slurm] table: {beta}"
    );
    assert!(beta.contains("JobName=nexus:sl:d"), "{beta}");

    assert_dependency_order(&env, "sl", &plan);
    // Side by side where the DAG allows; never two turns of one session.
    let ran: Vec<(String, String, (f64, f64))> = ["a", "b", "c", "d", "e", "f", "g"]
        .iter()
        .map(|id| {
            let record = task_record(&env, "sl", id);
            (
                (*id).to_string(),
                record["agent"].as_str().unwrap().to_string(),
                span(&record),
            )
        })
        .collect();
    let mut overlapping = Vec::new();
    for (i, (first, first_agent, x)) in ran.iter().enumerate() {
        for (second, second_agent, y) in &ran[i + 1..] {
            if x.0 < y.1 && y.0 < x.1 {
                assert_ne!(
                    first_agent, second_agent,
                    "`{first}` and `{second}` ran at once in one agent's session"
                );
                overlapping.push(format!("{first}+{second}"));
            }
        }
    }
    assert!(
        !overlapping.is_empty(),
        "no two tasks ran side by side: {ran:?}"
    );

    // Another "host" per job: Aria's and Code's second tasks found no
    // transcript, started a fresh session and got a recap.
    for (agent, first, second) in [("aria_coordinator", "a", "e"), ("code_developer", "b", "f")] {
        let session: Value =
            serde_json::from_str(&env.read(&format!(".nexus/sessions/{agent}.json"))).unwrap();
        let first_session = task_record(&env, "sl", first)["session_id"].clone();
        assert_eq!(session["recovered_from"], first_session, "{session}");
        assert!(
            session["recovery_reason"]
                .as_str()
                .unwrap()
                .contains("transcript"),
            "{session}"
        );
        assert_eq!(
            session["session_id"],
            task_record(&env, "sl", second)["session_id"]
        );
        let memory = env.read(&format!(".nexus/memory/{agent}.jsonl"));
        assert!(memory.contains("\"kind\":\"recap\""), "{memory}");
        let prompt = fake
            .invocations()
            .into_iter()
            .filter_map(|call| call.flags.prompt)
            .find(|prompt| prompt.contains(&format!("# Task `{second}`")))
            .unwrap();
        assert!(
            prompt.contains("Your previous session could not be resumed")
                && prompt.contains("Recap of your earlier work"),
            "{prompt}"
        );
    }
    eprintln!(
        "slurm: {} jobs ran in {:.1} s ({:.1} s in all); side by side: {}",
        jobs.len(),
        submitted_in.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        overlapping.join(", ")
    );
}

/// One step of a job of the exported workflow, as the simulator reads it.
#[derive(Debug, Default)]
struct SimStep {
    uses: Option<String>,
    with: BTreeMap<String, String>,
    run: Option<String>,
    always: bool,
}

/// One job of the exported workflow.
#[derive(Debug, Default)]
struct SimJob {
    id: String,
    needs: Vec<String>,
    always: bool,
    steps: Vec<SimStep>,
}

/// Reads the jobs of a workflow nexus wrote (its own regular layout, not
/// YAML in general).
fn read_jobs(workflow: &str) -> Vec<SimJob> {
    let mut jobs: Vec<SimJob> = Vec::new();
    let mut in_jobs = false;
    let mut in_block = false;
    for line in workflow.lines() {
        if in_block {
            if line.is_empty() || line.starts_with("          ") {
                let step = jobs.last_mut().unwrap().steps.last_mut().unwrap();
                let script = step.run.get_or_insert_with(String::new);
                script.push_str(line.get(10..).unwrap_or(""));
                script.push('\n');
                continue;
            }
            in_block = false;
        }
        if line == "jobs:" {
            in_jobs = true;
            continue;
        }
        if !in_jobs {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let text = line.trim_start();
        match indent {
            2 => jobs.push(SimJob {
                id: text.trim_end_matches(':').to_string(),
                ..SimJob::default()
            }),
            4 => {
                let job = jobs.last_mut().unwrap();
                if let Some(needs) = text.strip_prefix("needs: [") {
                    job.needs = needs
                        .trim_end_matches(']')
                        .split(", ")
                        .map(str::to_string)
                        .collect();
                } else if text.starts_with("if:") {
                    job.always = text.contains("always()");
                }
            }
            6 | 8 => {
                let job = jobs.last_mut().unwrap();
                let text = match text.strip_prefix("- ") {
                    Some(rest) => {
                        job.steps.push(SimStep::default());
                        rest
                    }
                    None => text,
                };
                let step = job.steps.last_mut().unwrap();
                if let Some(uses) = text.strip_prefix("uses: ") {
                    step.uses = Some(uses.to_string());
                } else if text == "if: always()" {
                    step.always = true;
                } else if text == "run: |" {
                    in_block = true;
                } else if let Some(run) = text.strip_prefix("run: ") {
                    step.run = Some(format!("{run}\n"));
                }
            }
            10 => {
                let step = jobs.last_mut().unwrap().steps.last_mut().unwrap();
                if let Some((key, value)) = text.split_once(": ") {
                    step.with
                        .insert(key.to_string(), value.trim_matches('\'').to_string());
                }
            }
            _ => {}
        }
    }
    jobs
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The exported workflow's jobs run one after another as GitHub would run
/// them, each on a fresh "runner" (a new checkout of the committed `.nexus`,
/// its own HOME and RUNNER_TEMP), with artifacts kept between them: a
/// task's prompt gets its dependency's result through the artifacts, a
/// failed task's dependents are skipped and the reconcile job marks them
/// blocked in the state it uploads, memory lines of every job arrive, and an
/// agent's second task recovers its session with a recap.
#[test]
fn the_workflow_carries_state_between_simulated_runners() {
    let (env, fake) = setup();
    let plan = json!({"tasks": [
        {"id": "a", "title": "A", "type": "analysis", "agent": "aria_coordinator"},
        {"id": "b", "title": "B", "type": "implementation", "agent": "code_developer", "depends_on": ["a"]},
        {"id": "c", "title": "C", "type": "test_creation", "agent": "alpha_test_creator", "depends_on": ["a"]},
        {"id": "d", "title": "D", "type": "validation", "agent": "beta_test_validator", "depends_on": ["b", "c"]},
        {"id": "e", "title": "E", "type": "documentation", "agent": "aria_coordinator", "depends_on": ["a"]}
    ]});
    write_plan(&env, "gh", &plan);
    fake.script(&[
        Step::reply("SPEC-MARKER-77").matching("# Task `a`"),
        Step::max_turns().matching("# Task `b`").repeat(),
        Step::echo().repeat(),
    ]);
    let nexus = nexus_bin().display().to_string();
    let workflow = env
        .nexus(&["export", "gh", "--to", "github-actions", "--nexus", &nexus])
        .stdout;
    let jobs = read_jobs(&workflow);
    assert_eq!(jobs.len(), 6, "{jobs:?}");
    // The repository as committed: everything but the machine-local parts.
    let repository = env.temp.path().join("repository");
    copy_tree(&env.project, &repository);
    for local in ["sessions", "logs", "locks"] {
        let _ = std::fs::remove_dir_all(repository.join(".nexus").join(local));
    }
    let artifacts = env.temp.path().join("artifacts");
    let mut outcome: BTreeMap<String, bool> = BTreeMap::new();
    for job in &jobs {
        let needs_ok = job.needs.iter().all(|need| outcome[need]);
        if !needs_ok && !job.always {
            outcome.insert(job.id.clone(), false);
            continue;
        }
        let runner = env.temp.path().join("runners").join(&job.id);
        let (workspace, temp, home) = (
            runner.join("work"),
            runner.join("temp"),
            runner.join("home"),
        );
        for dir in [&temp, &home] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let mut ok = true;
        for step in &job.steps {
            if !ok && !step.always {
                continue;
            }
            let path_input = |key: &str| {
                step.with[key].replace("${{ runner.temp }}", &temp.display().to_string())
            };
            match (step.uses.as_deref(), &step.run) {
                (Some(uses), _) if uses.starts_with("actions/checkout@") => {
                    copy_tree(&repository, &workspace);
                }
                (Some(uses), _) if uses.starts_with("actions/download-artifact@") => {
                    let prefix = step.with["pattern"].trim_end_matches('*').to_string();
                    let into = PathBuf::from(path_input("path"));
                    std::fs::create_dir_all(&into).unwrap();
                    for entry in std::fs::read_dir(&artifacts).into_iter().flatten() {
                        let entry = entry.unwrap();
                        if entry.file_name().to_string_lossy().starts_with(&prefix) {
                            copy_tree(&entry.path(), &into);
                        }
                    }
                }
                (Some(uses), _) if uses.starts_with("actions/upload-artifact@") => {
                    let from = PathBuf::from(path_input("path"));
                    let to = artifacts.join(&step.with["name"]);
                    let _ = std::fs::remove_dir_all(&to);
                    if from.is_dir() {
                        copy_tree(&from, &to);
                    }
                }
                (None, Some(script)) => {
                    let file = temp.join("step.sh");
                    std::fs::write(&file, script).unwrap();
                    let status = env
                        .command(Path::new("bash"))
                        .args(["--noprofile", "--norc", "-eo", "pipefail"])
                        .arg(&file)
                        .current_dir(&workspace)
                        .env("RUNNER_TEMP", &temp)
                        .env("HOME", &home)
                        // No repository around: the branch steps find none
                        // and do nothing (and never reach a remote).
                        .env("GIT_CEILING_DIRECTORIES", env.temp.path())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .status()
                        .unwrap();
                    ok &= status.success();
                }
                other => panic!("a step the simulator does not know: {other:?}"),
            }
        }
        outcome.insert(job.id.clone(), ok);
    }
    assert_eq!(
        outcome,
        BTreeMap::from([
            ("task-a".to_string(), true),
            ("task-b".to_string(), false),
            ("task-c".to_string(), true),
            ("task-d".to_string(), false),
            ("task-e".to_string(), true),
            ("reconcile".to_string(), false),
        ]),
        "the reconcile job fails, as the plan did"
    );
    // c's agent got a's result through the artifacts.
    let prompt_of = |id: &str| {
        fake.invocations()
            .into_iter()
            .filter_map(|call| call.flags.prompt)
            .find(|prompt| prompt.contains(&format!("# Task `{id}`")))
            .unwrap_or_else(|| panic!("no call for {id}"))
    };
    assert!(prompt_of("c").contains("SPEC-MARKER-77"));
    assert!(fake.invocations().iter().all(|call| {
        !call
            .flags
            .prompt
            .as_deref()
            .unwrap_or("")
            .contains("# Task `d`")
    }));
    // The state the reconcile job uploaded.
    let state = artifacts.join("nexus-gh-state");
    let record = |id: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(state.join(format!("plans/gh/tasks/{id}.json"))).unwrap(),
        )
        .unwrap()
    };
    for (id, expected) in [
        ("a", "completed"),
        ("b", "failed"),
        ("c", "completed"),
        ("e", "completed"),
        ("d", "blocked"),
    ] {
        assert_eq!(record(id)["state"], expected, "{id}");
    }
    assert_eq!(record("d")["reason"], "dependency `b` failed");
    assert!(state.join("plans/gh/results/c.md").is_file());
    // Every job's memory lines arrived; Aria's second task, on another
    // runner, recovered her session with a recap.
    let memory = std::fs::read_to_string(state.join("memory/aria_coordinator.jsonl")).unwrap();
    assert!(
        memory.contains("\"task_id\":\"a\"") && memory.contains("\"task_id\":\"e\""),
        "{memory}"
    );
    assert!(memory.contains("\"kind\":\"recap\""), "{memory}");
    assert!(prompt_of("e").contains("Recap of your earlier work"));
    let code = std::fs::read_to_string(state.join("memory/code_developer.jsonl")).unwrap();
    assert!(code.contains("\"task_id\":\"b\""), "{code}");
}
