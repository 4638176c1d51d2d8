//! Worktree mode, with real git in temp repositories and the fake `claude`
//! writing the files its script says: each agent instance in its own
//! worktree, each task on its branch, the merge queue, and the user's
//! checkout never touched.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::common::TestEnv;
use crate::common::fake_claude::{FakeClaude, Step};
use crate::common::snapshot::assert_output;
use crate::run::{configure, write_plan};

/// Runs git in `dir`, asserting success; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Test User")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test User")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A project that is a git repository with one commit, nexus initialised
/// (its `.nexus` committed, as users do), the fake agent installed, and the
/// workspaces under the temp dir.
pub fn repo() -> (TestEnv, FakeClaude) {
    let mut env = TestEnv::initialised();
    let fake = FakeClaude::install(&mut env);
    configure(
        &env,
        &[
            ("retry_backoff = \"5s\"", "retry_backoff = \"10ms\""),
            (
                "root = \"\"",
                &format!("root = \"{}\"", env.temp.path().join("ws").display()),
            ),
        ],
    );
    git(&env.project, &["init", "--quiet", "--initial-branch=main"]);
    env.write("README.md", "# project\n");
    git(&env.project, &["add", "-A"]);
    git(&env.project, &["commit", "--quiet", "-m", "start"]);
    (env, fake)
}

/// Writes plan `plan` of one task `a` ("Write A") for the developer.
fn write_task_a(env: &TestEnv, plan: &str) {
    write_plan(
        env,
        plan,
        &json!({"tasks": [{"id": "a", "title": "Write A", "type": "implementation", "agent": "code_developer"}]}),
    );
}

fn task(env: &TestEnv, plan: &str, id: &str) -> Value {
    serde_json::from_str(&env.read(&format!(".nexus/plans/{plan}/tasks/{id}.json"))).unwrap()
}

/// Returns the files of `rev` (its tree, recursively).
fn files_at(dir: &Path, rev: &str) -> Vec<String> {
    git(dir, &["ls-tree", "-r", "--name-only", rev])
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn parallel_tasks_merge_their_work_and_a_dependent_sees_it_all() {
    let (env, fake) = repo();
    write_plan(
        &env,
        "p",
        &json!({"tasks": [
            {"id": "a", "title": "Write A", "type": "implementation", "agent": "code_developer"},
            {"id": "b", "title": "Write B", "type": "test_creation", "agent": "alpha_test_creator"},
            {"id": "c", "title": "Check", "type": "validation", "agent": "beta_test_validator",
             "depends_on": ["a", "b"], "verify": ["test -f a.txt && test -f b.txt"]}
        ]}),
    );
    fake.script(&[
        Step::write("a.txt", "from a\n").matching("# Task `a`"),
        Step::write("b.txt", "from b\n").matching("# Task `b`"),
        Step::echo().repeat(),
    ]);
    env.nexus(&["trust"]).ok();
    let head_before = git(&env.project, &["rev-parse", "HEAD"]);
    let status_before = git(&env.project, &["status", "--porcelain"]);
    let run = env.nexus(&["run", "p"]);
    run.ok();
    for id in ["a", "b", "c"] {
        let record = task(&env, "p", id);
        assert_eq!(record["state"], "completed", "{id}: {record}");
        assert_eq!(record["workspace"]["merge"], "merged", "{id}: {record}");
    }
    let files = files_at(&env.project, "nexus/p");
    assert!(files.contains(&"a.txt".to_string()) && files.contains(&"b.txt".to_string()));
    // The agents worked in worktrees, never in the project.
    assert!(!env.project.join("a.txt").exists() && !env.project.join("b.txt").exists());
    let calls = fake.invocations();
    for call in &calls {
        assert!(
            call.cwd.starts_with(env.temp.path().join("ws")),
            "{}",
            call.cwd.display()
        );
        assert_eq!(call.flags.permission_mode.as_deref(), Some("acceptEdits"));
    }
    // The task branch carries the agent's commit with its trailers, and
    // nothing of `.nexus`.
    let message = git(
        &env.project,
        &["log", "-1", "--format=%B", "nexus-task/p/a"],
    );
    assert!(
        message.contains("Nexus-Plan: p") && message.contains("Nexus-Task: a"),
        "{message}"
    );
    let changed = git(&env.project, &["diff", "--name-only", "main", "nexus/p"]);
    assert!(!changed.contains(".nexus"), "{changed}");
    // The user's checkout, branch and index are as they were.
    assert_eq!(git(&env.project, &["rev-parse", "HEAD"]), head_before);
    assert_eq!(
        git(&env.project, &["symbolic-ref", "HEAD"]),
        "refs/heads/main"
    );
    let status_after = git(&env.project, &["status", "--porcelain"]);
    // Only nexus's own state under `.nexus` may have changed.
    for line in status_after.lines() {
        assert!(
            line.contains(".nexus/") || status_before.contains(line),
            "run touched the checkout: {line}"
        );
    }
    git(&env.project, &["fsck", "--no-progress"]);
}

#[test]
fn a_conflicting_task_goes_back_to_its_agent_with_the_markers_and_then_merges() {
    let (env, fake) = repo();
    write_plan(
        &env,
        "p",
        &json!({"tasks": [
            {"id": "a", "title": "Write A", "type": "implementation", "agent": "code_developer"},
            {"id": "b", "title": "Write B", "type": "test_creation", "agent": "alpha_test_creator"}
        ]}),
    );
    fake.script(&[
        // Whichever merges second conflicts and gets the markers to resolve.
        Step::write("shared.txt", "resolved: A and B\n")
            .matching("Merge conflicts to resolve first")
            .repeat(),
        Step::write("shared.txt", "from a\n")
            .matching("# Task `a`")
            .sleep(0.3),
        Step::write("shared.txt", "from b\n")
            .matching("# Task `b`")
            .sleep(0.3),
        Step::echo().repeat(),
    ]);
    env.nexus(&["run", "p"]).ok();
    let records = [task(&env, "p", "a"), task(&env, "p", "b")];
    let conflicted: Vec<&Value> = records
        .iter()
        .filter(|record| record["attempts"].as_array().unwrap().len() == 2)
        .collect();
    assert_eq!(conflicted.len(), 1, "{records:?}");
    let second = conflicted[0];
    assert!(
        second["attempts"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("conflicted in `shared.txt`"),
        "{second}"
    );
    for record in &records {
        assert_eq!(record["state"], "completed");
        assert_eq!(record["workspace"]["merge"], "merged");
    }
    let shared = git(&env.project, &["show", "nexus/p:shared.txt"]);
    assert_eq!(shared, "resolved: A and B");
    git(&env.project, &["fsck", "--no-progress"]);
}

#[test]
fn a_failing_merge_check_never_moves_the_branch_and_goes_back_to_the_agent() {
    let (env, fake) = repo();
    configure(
        &env,
        &[(
            "verify = []\n# Commands run once",
            "verify = [\"grep -q good out.txt\"]\n# Commands run once",
        )],
    );
    write_plan(
        &env,
        "p",
        &json!({"tasks": [{"id": "a", "title": "Write", "type": "implementation", "agent": "code_developer"}]}),
    );
    fake.script(&[
        Step::write("out.txt", "good\n").matching("merge check"),
        Step::write("out.txt", "bad\n").matching("# Task `a`"),
    ]);
    env.nexus(&["trust"]).ok();
    env.nexus(&["run", "p"]).ok();
    let record = task(&env, "p", "a");
    let attempts = record["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{record}");
    assert_eq!(attempts[0]["merge_checks"][0]["passed"], false);
    assert_eq!(record["workspace"]["merge"], "merged");
    assert_eq!(git(&env.project, &["show", "nexus/p:out.txt"]), "good");
    // The branch never pointed at the commit whose checks failed.
    let moves = git(&env.project, &["reflog", "show", "--format=%H", "nexus/p"]);
    for commit in moves.lines() {
        let out = Command::new("git")
            .arg("-C")
            .arg(&env.project)
            .args(["show", &format!("{commit}:out.txt")])
            .output()
            .unwrap();
        assert_ne!(String::from_utf8_lossy(&out.stdout).trim(), "bad");
    }
}

#[test]
fn kill_9_in_the_merge_queue_is_repaired_by_the_next_run_without_paying_the_agent_again() {
    let (env, fake) = repo();
    let marker = env.home.join("in-merge");
    let slow = env.home.join("slow");
    std::fs::write(&slow, "").unwrap();
    let check =
        "if [ -f \\\"$HOME/slow\\\" ]; then touch \\\"$HOME/in-merge\\\"; sleep 30; fi; true";
    configure(
        &env,
        &[(
            "verify = []\n# Commands run once",
            &format!("verify = [\"{check}\"]\n# Commands run once"),
        )],
    );
    write_plan(
        &env,
        "p",
        &json!({"tasks": [{"id": "a", "title": "Write", "type": "implementation", "agent": "code_developer"}]}),
    );
    fake.script(&[Step::write("a.txt", "a\n").repeat()]);
    env.nexus(&["trust"]).ok();
    let mut child = env
        .command(&crate::common::nexus_bin())
        .args(["run", "p"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !marker.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "never reached the merge check"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let base = git(&env.project, &["rev-parse", "main"]);
    assert_eq!(
        git(&env.project, &["rev-parse", "nexus/p"]),
        base,
        "killed mid-merge, the branch has not moved"
    );
    std::fs::remove_file(&slow).unwrap();
    let rerun = env.nexus(&["run", "p"]);
    rerun.ok();
    let record = task(&env, "p", "a");
    assert_eq!(record["state"], "completed", "{record}");
    assert_eq!(record["workspace"]["merge"], "merged");
    assert_eq!(
        fake.invocations().len(),
        1,
        "the verified work was merged, not redone"
    );
    assert!(files_at(&env.project, "nexus/p").contains(&"a.txt".to_string()));
    git(&env.project, &["fsck", "--no-progress"]);
}

/// Runs a one-task plan `p` that writes `a.txt`, in a fresh repository.
fn delivered() -> (TestEnv, FakeClaude) {
    let (env, fake) = repo();
    write_plan(
        &env,
        "p",
        &json!({"tasks": [
            {"id": "a", "title": "Write A", "type": "implementation", "agent": "code_developer"},
            {"id": "b", "title": "Write B", "type": "implementation", "agent": "code_developer", "depends_on": ["a"]}
        ]}),
    );
    // `b`'s prompt recalls `a`'s exchange: match it first.
    fake.script(&[
        Step::write("b.txt", "from b\n")
            .matching("# Task `b`")
            .repeat(),
        Step::write("a.txt", "from a\n")
            .matching("# Task `a`")
            .repeat(),
    ]);
    env.nexus(&["run", "p"]).ok();
    (env, fake)
}

#[test]
fn diff_shows_the_plan_and_a_task_and_land_fast_forwards_the_users_branch() {
    let (env, fake) = delivered();
    // Both tasks ran in the developer's one worktree, in one resumed session.
    let calls = fake.invocations();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].cwd, calls[1].cwd);
    assert_eq!(calls[1].flags.resume, calls[0].flags.session_id);
    let plan_diff = env.nexus(&["diff", "p", "--stat"]);
    plan_diff.ok();
    assert!(
        plan_diff.stdout.contains("a.txt") && plan_diff.stdout.contains("b.txt"),
        "{}",
        plan_diff.stdout
    );
    let task_diff = env.nexus(&["diff", "p", "b"]);
    task_diff.ok();
    assert!(task_diff.stdout.contains("+from b"), "{}", task_diff.stdout);
    assert!(
        !task_diff.stdout.contains("a.txt"),
        "a task's diff is its own"
    );
    // The `.nexus` state the run wrote is committed first, as users do.
    git(&env.project, &["add", "-A"]);
    git(&env.project, &["commit", "--quiet", "-m", "nexus state"]);
    let landed = env.nexus(&["land", "p"]);
    landed.ok();
    assert!(
        landed.stderr.contains("merge") || landed.stderr.contains("fast-forward"),
        "{}",
        landed.stderr
    );
    assert_eq!(env.read("a.txt"), "from a\n");
    assert_eq!(env.read("b.txt"), "from b\n");
    assert_eq!(
        git(&env.project, &["symbolic-ref", "HEAD"]),
        "refs/heads/main"
    );
    // Landing again is a no-op.
    env.nexus(&["land", "p"]).ok();
}

#[test]
fn land_fast_forwards_and_refuses_uncommitted_changes_to_the_plans_files() {
    let (env, _fake) = delivered();
    // The user edits a file the plan changed (here: creates `a.txt`).
    env.write("a.txt", "mine\n");
    let head = git(&env.project, &["rev-parse", "HEAD"]);
    let refused = env.nexus(&["land", "p"]);
    refused.code(1);
    assert_output(&env, "land_dirty.txt", &refused);
    assert_eq!(env.read("a.txt"), "mine\n", "nothing was changed");
    assert_eq!(git(&env.project, &["rev-parse", "HEAD"]), head);
    std::fs::remove_file(env.project.join("a.txt")).unwrap();
    // `.nexus` itself is the user's business, not the plan's: a fast-forward.
    let landed = env.nexus(&["land", "p"]);
    landed.ok();
    assert!(landed.stderr.contains("fast-forward"), "{}", landed.stderr);
    assert_eq!(
        git(&env.project, &["rev-parse", "HEAD"]),
        git(&env.project, &["rev-parse", "nexus/p"])
    );
}

/// A merge or squash land never takes in, nor drops, what the user has
/// staged; landing twice (squash, then squash or merge) changes nothing the
/// second time.
#[test]
fn land_refuses_staged_changes_and_lands_a_squash_once() {
    let (env, _fake) = delivered();
    env.write("mine.txt", "mine\n");
    git(&env.project, &["add", "mine.txt"]);
    git(&env.project, &["commit", "--quiet", "-m", "moved on"]);
    env.write("staged.txt", "staged\n");
    git(&env.project, &["add", "staged.txt"]);
    let head = git(&env.project, &["rev-parse", "HEAD"]);
    for args in [&["land", "p", "--squash"][..], &["land", "p"][..]] {
        let refused = env.nexus(args);
        refused.code(1);
        assert!(
            refused.stderr.contains("you have staged changes")
                && refused.stderr.contains("nothing was changed"),
            "{}",
            refused.stderr
        );
        assert_eq!(git(&env.project, &["rev-parse", "HEAD"]), head);
        assert_eq!(
            git(&env.project, &["diff", "--cached", "--name-only"]),
            "staged.txt"
        );
        assert_eq!(env.read("staged.txt"), "staged\n");
    }
    git(&env.project, &["commit", "--quiet", "-m", "staged"]);
    // An unstaged edit to a file only the user's branch changed is no
    // business of the plan's.
    env.write("mine.txt", "mine, edited\n");
    let landed = env.nexus(&["land", "p", "--squash"]);
    landed.ok();
    assert_eq!(env.read("mine.txt"), "mine, edited\n");
    assert!(landed.stderr.contains("(squash)"), "{}", landed.stderr);
    let squashed = git(&env.project, &["rev-parse", "HEAD"]);
    assert_eq!(env.read("a.txt"), "from a\n");
    for args in [&["land", "p", "--squash"][..], &["land", "p"][..]] {
        let again = env.nexus(args);
        again.ok();
        assert!(
            again.stderr.contains("is already in `main`"),
            "{}",
            again.stderr
        );
        assert_eq!(git(&env.project, &["rev-parse", "HEAD"]), squashed);
        assert!(
            git(
                &env.project,
                &["status", "--porcelain", "--", "a.txt", "b.txt"]
            )
            .is_empty()
        );
    }
    // A squash leaves no ancestry; the plan's record says it was landed at
    // this tip, so prune takes the branch.
    let record: Value = serde_json::from_str(&env.read(".nexus/plans/p/workspace.json")).unwrap();
    assert_eq!(record["landed"]["how"], "squash", "{record}");
    assert_eq!(record["landed"]["branch"], "main", "{record}");
    assert_eq!(
        record["landed"]["tip"],
        git(&env.project, &["rev-parse", "nexus/p"]).as_str()
    );
    let pruned = env.nexus(&["workspaces", "prune"]);
    pruned.ok();
    assert!(
        pruned.stdout.contains("removed branch nexus/p\n"),
        "{}",
        pruned.stdout
    );
}

/// A land that conflicts names the files and the branch to merge by hand,
/// and leaves the checkout as it was.
#[test]
fn a_conflicting_land_names_the_files_and_changes_nothing() {
    let (env, _fake) = delivered();
    env.write("a.txt", "mine\n");
    git(&env.project, &["add", "a.txt"]);
    git(&env.project, &["commit", "--quiet", "-m", "my a"]);
    let head = git(&env.project, &["rev-parse", "HEAD"]);
    for args in [&["land", "p"][..], &["land", "p", "--squash"][..]] {
        let refused = env.nexus(args);
        refused.code(1);
        assert!(
            refused
                .stderr
                .contains("conflicts with your branch `main`: conflicts in `a.txt`")
                && refused.stderr.contains("merge `nexus/p` yourself"),
            "{}",
            refused.stderr
        );
        assert_eq!(git(&env.project, &["rev-parse", "HEAD"]), head);
        assert_eq!(env.read("a.txt"), "mine\n");
        assert!(
            git(
                &env.project,
                &["status", "--porcelain", "--", "a.txt", "b.txt"]
            )
            .is_empty(),
            "nothing left behind"
        );
    }
}

/// nexus moves and deletes its branches itself: never one the user has
/// checked out (that checkout's index would no longer match its branch),
/// and never a same-named branch it did not make.
#[test]
fn a_plan_branch_the_user_checked_out_or_made_is_never_moved_or_deleted() {
    let (env, fake) = repo();
    write_task_a(&env, "p");
    fake.script(&[Step::write("a.txt", "from a\n").repeat()]);
    let clean = |env: &TestEnv| git(&env.project, &["status", "--porcelain", "--", "a.txt"]);
    git(&env.project, &["checkout", "--quiet", "-b", "nexus/p"]);
    let refused = env.nexus(&["run", "p"]);
    refused.code(2);
    assert!(
        refused
            .stderr
            .contains("branch `nexus/p` is checked out in")
            && refused.stderr.contains("git switch -"),
        "{}",
        refused.stderr
    );
    git(&env.project, &["checkout", "--quiet", "main"]);
    let adopted = env.nexus(&["run", "p"]);
    adopted.code(2);
    assert!(
        adopted.stderr.contains("a branch `nexus/p` already exists"),
        "{}",
        adopted.stderr
    );
    assert!(fake.invocations().is_empty(), "no agent ran");
    git(&env.project, &["branch", "--quiet", "-D", "nexus/p"]);
    env.nexus(&["run", "p"]).ok();
    env.nexus(&["land", "p"]).ok();
    git(&env.project, &["checkout", "--quiet", "nexus/p"]);
    let tip = git(&env.project, &["rev-parse", "nexus/p"]);
    for args in [
        &["reject", "p", "a", "--reason", "redo"][..],
        &["plan", "rm", "p", "--yes"][..],
    ] {
        let refused = env.nexus(args);
        refused.code(2);
        assert!(
            refused.stderr.contains("is checked out in"),
            "{args:?}: {}",
            refused.stderr
        );
        assert_eq!(git(&env.project, &["rev-parse", "nexus/p"]), tip);
        assert!(clean(&env).is_empty(), "{args:?}");
    }
    assert!(env.nexus_dir().join("plans/p").exists());
    // prune keeps the checked-out branch and removes the task branch.
    let pruned = env.nexus(&["workspaces", "prune"]);
    pruned.ok();
    assert_eq!(git(&env.project, &["rev-parse", "nexus/p"]), tip);
    assert!(git(&env.project, &["branch", "--list", "nexus-task/*"]).is_empty());
    assert!(clean(&env).is_empty());
}

/// nexus's commits carry the identity git would use — from the config or
/// from the environment — and the fallback only for a role git cannot name.
#[test]
fn commits_use_the_users_identity_from_the_environment_else_the_fallback() {
    let (env, _fake) = delivered();
    let author = |rev: &str| {
        git(
            &env.project,
            &["log", "-1", "--format=%an <%ae>|%cn <%ce>", rev],
        )
    };
    assert_eq!(
        author("nexus-task/p/a"),
        "nexus <nexus@localhost>|nexus <nexus@localhost>",
        "no identity anywhere: the fallback"
    );
    let (mut env, fake) = repo();
    env.env.insert("GIT_AUTHOR_NAME".into(), "Ada".into());
    env.env
        .insert("GIT_AUTHOR_EMAIL".into(), "ada@example.com".into());
    write_task_a(&env, "q");
    fake.script(&[Step::write("a.txt", "from a\n").repeat()]);
    env.nexus(&["run", "q"]).ok();
    assert_eq!(
        git(
            &env.project,
            &[
                "log",
                "-1",
                "--format=%an <%ae>|%cn <%ce>",
                "nexus-task/q/a"
            ]
        ),
        "Ada <ada@example.com>|nexus <nexus@localhost>"
    );
}

/// `reject` reverts only the task's own merge (the one whose second parent
/// is its head): a record naming another commit — as one written when the
/// work was found already merged could — is refused, changing nothing.
#[test]
fn reject_refuses_a_recorded_merge_that_is_not_the_tasks_own() {
    let (env, _fake) = delivered();
    let tip = git(&env.project, &["rev-parse", "nexus/p"]);
    let path = env.nexus_dir().join("plans/p/tasks/a.json");
    let mut record: Value = serde_json::from_str(&env.read(".nexus/plans/p/tasks/a.json")).unwrap();
    // The tip is b's merge, not a's.
    record["workspace"]["merged"] = tip.as_str().into();
    std::fs::write(&path, serde_json::to_string_pretty(&record).unwrap()).unwrap();
    let refused = env.nexus(&["reject", "p", "a", "--reason", "redo"]);
    refused.code(1);
    assert!(
        refused
            .stderr
            .contains("did not merge its head; nothing was changed"),
        "{}",
        refused.stderr
    );
    assert_eq!(git(&env.project, &["rev-parse", "nexus/p"]), tip);
    assert_eq!(task(&env, "p", "a")["workspace"]["merge"], "merged");
}

#[test]
fn an_unfinished_plan_lands_only_with_partial() {
    let (env, fake) = repo();
    write_plan(
        &env,
        "p",
        &json!({"tasks": [
            {"id": "a", "title": "Write A", "type": "implementation", "agent": "code_developer"},
            {"id": "b", "title": "Fail", "type": "analysis", "agent": "aria_coordinator"}
        ]}),
    );
    fake.script(&[
        Step::write("a.txt", "a\n").matching("# Task `a`"),
        Step::max_turns().matching("# Task `b`").repeat(),
    ]);
    env.nexus(&["run", "p"]).code(3);
    let refused = env.nexus(&["land", "p"]);
    refused.code(3);
    assert_output(&env, "land_unfinished.txt", &refused);
    assert!(
        refused.stderr.contains("`b` (failed)"),
        "{}",
        refused.stderr
    );
    env.nexus(&["land", "p", "--partial"]).ok();
    assert_eq!(env.read("a.txt"), "a\n");
}

#[test]
fn reject_takes_a_task_out_and_its_agent_redoes_it_with_the_reason() {
    let (env, fake) = delivered();
    let rejected = env.nexus(&["reject", "p", "b", "--reason", "b.txt must say hello"]);
    rejected.ok();
    assert!(!files_at(&env.project, "nexus/p").contains(&"b.txt".to_string()));
    let record = task(&env, "p", "b");
    assert_eq!(record["state"], "pending");
    assert_eq!(record["workspace"]["merge"], "rejected");
    fake.script(&[Step::write("b.txt", "hello\n").matching("must say hello")]);
    env.nexus(&["run", "p"]).ok();
    assert_eq!(git(&env.project, &["show", "nexus/p:b.txt"]), "hello");
    assert_eq!(task(&env, "p", "b")["workspace"]["merge"], "merged");
}

#[test]
fn workspaces_are_listed_pruned_and_a_removed_plan_takes_its_branches() {
    let (env, _fake) = delivered();
    let listed = env.nexus(&["workspaces", "list", "--json"]).json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"code_developer") && names.contains(&"_merge"),
        "{names:?}"
    );
    // Idle time is the worktree's last use (its git index), which listing
    // itself must not refresh.
    let worktree = env.temp.path().join("ws/code_developer");
    let git_dir = git(&worktree, &["rev-parse", "--absolute-git-dir"]);
    let index = std::path::Path::new(&git_dir).join("index");
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&index)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    for _ in 0..2 {
        let listed = env.nexus(&["workspaces", "list", "--json"]).json();
        let item = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["name"] == "code_developer")
            .unwrap()
            .clone();
        let idle = item["idle_seconds"].as_u64().unwrap();
        assert!((7200..7300).contains(&idle), "{item}");
    }
    // Finished: its task branches go; the integration branch stays until
    // landed. A `nexus/…` branch of the user's own (no plan's trailer) stays.
    git(&env.project, &["branch", "nexus/feature"]);
    let pruned = env.nexus(&["workspaces", "prune"]);
    pruned.ok();
    git(&env.project, &["rev-parse", "--verify", "nexus/feature"]);
    git(&env.project, &["branch", "--quiet", "-D", "nexus/feature"]);
    assert!(
        pruned.stdout.contains("nexus-task/p/a"),
        "{}",
        pruned.stdout
    );
    assert!(
        !pruned.stdout.contains("branch nexus/p\n"),
        "{}",
        pruned.stdout
    );
    git(&env.project, &["rev-parse", "--verify", "nexus/p"]);
    let refused = env.nexus(&["plan", "rm", "p"]);
    refused.code(2);
    env.nexus(&["plan", "rm", "p", "--yes"]).ok();
    assert!(!env.nexus_dir().join("plans/p").exists());
    let left = git(&env.project, &["branch", "--list", "nexus*"]);
    assert!(left.is_empty(), "{left}");
}

/// An idle worktree that holds uncommitted work (left by `ask`, say) is
/// kept and named; `--force` removes it.
#[test]
fn prune_keeps_an_idle_worktree_with_uncommitted_work_unless_forced() {
    let (env, _fake) = delivered();
    configure(&env, &[("ttl = \"7d\"", "ttl = \"1h\"")]);
    let worktree = env.temp.path().join("ws/code_developer");
    std::fs::write(worktree.join("draft.txt"), "half done\n").unwrap();
    // Idle for two hours (its git index's time), past the TTL.
    let git_dir = git(&worktree, &["rev-parse", "--absolute-git-dir"]);
    std::fs::File::options()
        .write(true)
        .open(std::path::Path::new(&git_dir).join("index"))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
        .unwrap();
    let kept = env.nexus(&["workspaces", "prune"]);
    kept.ok();
    assert!(
        kept.stderr
            .contains("kept worktree code_developer: 1 uncommitted file(s)"),
        "{}",
        kept.stderr
    );
    assert!(worktree.join("draft.txt").exists());
    let json = env
        .nexus(&["workspaces", "prune", "--dry-run", "--json"])
        .json();
    assert_eq!(json["kept"][0]["name"], "code_developer", "{json}");
    assert_eq!(json["kept"][0]["uncommitted"], 1, "{json}");
    let forced = env.nexus(&["workspaces", "prune", "--force"]);
    forced.ok();
    assert!(
        forced.stdout.contains("removed worktree code_developer"),
        "{}",
        forced.stdout
    );
    assert!(!worktree.exists());
}

/// Run from a linked worktree of the user's, a plan starts from that
/// checkout's HEAD and lands on its branch; the main checkout is untouched.
#[test]
fn a_plan_run_in_the_users_linked_worktree_starts_and_lands_there() {
    let (env, fake) = repo();
    let feat = env.temp.path().join("feat");
    let feat_arg = feat.to_str().unwrap();
    git(
        &env.project,
        &["worktree", "add", "--quiet", "-b", "feat", feat_arg],
    );
    std::fs::write(feat.join("feat.txt"), "feature\n").unwrap();
    git(&feat, &["add", "feat.txt"]);
    git(&feat, &["commit", "--quiet", "-m", "feature work"]);
    let main_before = git(&env.project, &["rev-parse", "main"]);
    env.write(
        "q.json",
        &json!({"tasks": [{"id": "a", "title": "Write A", "type": "implementation", "agent": "code_developer"}]})
            .to_string(),
    );
    let store = feat.join(".nexus");
    let store_arg = store.to_str().unwrap();
    let plan_file = env.project.join("q.json");
    env.nexus(&[
        "--dir",
        store_arg,
        "plan",
        "--from",
        plan_file.to_str().unwrap(),
        "--id",
        "q",
    ])
    .ok();
    fake.script(&[Step::write("a.txt", "from a\n").repeat()]);
    env.nexus(&["--dir", store_arg, "run", "q"]).ok();
    let planned = files_at(&env.project, "nexus/q");
    assert!(
        planned.contains(&"feat.txt".to_string()) && planned.contains(&"a.txt".to_string()),
        "the plan starts from feat's HEAD: {planned:?}"
    );
    let landed = env.nexus(&["--dir", store_arg, "land", "q"]);
    landed.ok();
    assert!(landed.stderr.contains("into `feat`"), "{}", landed.stderr);
    assert_eq!(
        std::fs::read_to_string(feat.join("a.txt")).unwrap(),
        "from a\n"
    );
    assert_eq!(git(&env.project, &["rev-parse", "main"]), main_before);
    assert!(!env.project.join("a.txt").exists());
}

/// An unknown task is named as one, in `diff` and `reject` as in `status`;
/// in a git repository with `mode = "shared"`, `run` says agents work in the
/// project and `diff` says how to get worktrees.
#[test]
fn unknown_tasks_and_shared_mode_are_named_as_such() {
    let (env, fake) = delivered();
    for args in [
        &["diff", "p", "nosuch"][..],
        &["reject", "p", "nosuch", "--reason", "x"][..],
    ] {
        let refused = env.nexus(args);
        refused.code(2);
        assert!(
            refused
                .stderr
                .contains("no task `nosuch` (known: `a`, `b`)"),
            "{args:?}: {}",
            refused.stderr
        );
    }
    // A plan branch deleted by hand is named, with a way back.
    git(&env.project, &["branch", "--quiet", "-D", "nexus/p"]);
    for args in [&["diff", "p"][..], &["land", "p"][..]] {
        let gone = env.nexus(args);
        gone.code(2);
        assert!(
            gone.stderr.contains("branch `nexus/p` is gone") && gone.stderr.contains("git reflog"),
            "{args:?}: {}",
            gone.stderr
        );
    }
    configure(&env, &[("mode = \"worktree\"", "mode = \"shared\"")]);
    write_task_a(&env, "s");
    fake.script(&[Step::write("s.txt", "shared\n").repeat()]);
    let run = env.nexus(&["run", "s"]);
    run.ok();
    assert!(
        run.stderr
            .contains("agents work in the project itself (`[workspace] mode = \"shared\"`)"),
        "{}",
        run.stderr
    );
    let diff = env.nexus(&["diff", "s"]);
    diff.code(2);
    assert!(
        diff.stderr
            .contains("set `mode = \"worktree\"` under `[workspace]`"),
        "{}",
        diff.stderr
    );
}

#[test]
fn status_shows_each_tasks_branch_commit_and_merge_state() {
    let (env, _fake) = delivered();
    let shown = env.nexus(&["status", "p", "a"]);
    shown.ok();
    // The Branch section is a table aligned like the task's facts.
    let section: Vec<&str> = shown
        .stdout
        .lines()
        .skip_while(|line| *line != "Branch")
        .skip(1)
        .take_while(|line| !line.is_empty() && !line.starts_with(char::is_uppercase))
        .collect();
    assert_eq!(section.len(), 3, "{}", shown.stdout);
    assert!(
        section[0].starts_with("branch    nexus-task/p/a from ")
            && section[0].contains(", at ")
            && section[1].starts_with("merge     merged as ")
            && section[2].starts_with("worktree  ")
            && section[2].ends_with("code_developer"),
        "{}",
        shown.stdout
    );
    let status = env.nexus(&["status", "p", "--json"]).json();
    let row = status["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|task| task["task_id"] == "a")
        .unwrap()
        .clone();
    assert_eq!(row["workspace"]["merge"], "merged", "{row}");
    assert_eq!(row["workspace"]["branch"], "nexus-task/p/a");
    let head = git(&env.project, &["rev-parse", "nexus-task/p/a"]);
    assert_eq!(row["workspace"]["head"], head.as_str());
}

/// A worktree whose setup failed is not reused half set up: the next
/// attempt makes it again and runs the setup again.
#[test]
fn a_failed_setup_is_run_again_in_a_new_worktree() {
    let (env, fake) = repo();
    // Fails the first time it runs, passes the second.
    let setup =
        "echo run >> \\\"$HOME/setup-runs\\\"; test $(wc -l < \\\"$HOME/setup-runs\\\") -ge 2";
    configure(&env, &[("setup = []", &format!("setup = [\"{setup}\"]"))]);
    write_task_a(&env, "p");
    fake.script(&[Step::write("a.txt", "from a\n").repeat()]);
    env.nexus(&["trust"]).ok();
    let failed = env.nexus(&["run", "p"]);
    failed.code(3);
    assert!(
        failed.stderr.contains("`[workspace] setup` command"),
        "{}",
        failed.stderr
    );
    env.nexus(&["run", "p", "--retry-failed"]).ok();
    assert_eq!(
        std::fs::read_to_string(env.home.join("setup-runs")).unwrap(),
        "run\nrun\n"
    );
    assert_eq!(task(&env, "p", "a")["state"], "completed");
}

#[test]
fn a_new_worktree_gets_the_copied_files_and_its_setup_commands_run_once() {
    let (env, fake) = repo();
    env.write(".env", "SECRET_URL=local\n");
    // Setup output is build state, git-ignored like `node_modules`.
    env.write(".gitignore", ".env\nsetup.log\n");
    git(&env.project, &["add", ".gitignore"]);
    git(&env.project, &["commit", "--quiet", "-m", "ignore .env"]);
    configure(
        &env,
        &[
            ("copy_files = []", "copy_files = [\".env\"]"),
            ("setup = []", "setup = [\"echo set-up >> setup.log\"]"),
        ],
    );
    write_plan(
        &env,
        "p",
        &json!({"tasks": [
            {"id": "a", "title": "A", "type": "implementation", "agent": "code_developer"},
            {"id": "b", "title": "B", "type": "implementation", "agent": "code_developer", "depends_on": ["a"]}
        ]}),
    );
    fake.script(&[Step::echo().repeat()]);
    // Setup commands are committed configuration: trusted first.
    env.nexus(&["run", "p"]).code(8);
    env.nexus(&["trust"]).ok();
    env.nexus(&["run", "p"]).ok();
    let worktree = env.temp.path().join("ws/code_developer");
    assert_eq!(
        std::fs::read_to_string(worktree.join(".env")).unwrap(),
        "SECRET_URL=local\n"
    );
    assert_eq!(
        std::fs::read_to_string(worktree.join("setup.log")).unwrap(),
        "set-up\n",
        "setup ran once, though two tasks used the worktree"
    );
    // Neither the copied file nor the setup's output reached a branch.
    let files = files_at(&env.project, "nexus/p");
    assert!(!files.contains(&".env".to_string()), "{files:?}");
}

/// In worktree mode a turn runs in the agent instance's worktree, where its
/// session lives: `run --dry-run` and `sessions test` look there too, so
/// they show the resume a run would make (not a recovery), and `build`
/// grants the build and test commands there.
#[test]
fn dry_run_and_sessions_test_use_the_worktree_where_the_session_lives() {
    let (env, fake) = repo();
    write_plan(
        &env,
        "p",
        &json!({"tasks": [
            {"id": "a", "title": "Write the orders schema", "type": "implementation", "agent": "code_developer"},
            {"id": "b", "title": "Extend the orders schema", "type": "implementation",
             "agent": "code_developer", "depends_on": ["a"]}
        ]}),
    );
    fake.script(&[
        Step::write("a.txt", "from a\n").matching("# Task `a`"),
        Step::echo().repeat(),
    ]);
    env.nexus(&["run", "p", "--task", "a"]).ok();
    let dry = env.nexus(&["run", "p", "--dry-run", "--json"]).json();
    let b = &dry[0];
    assert_eq!(b["task"], "b");
    assert!(
        b["session"]
            .as_str()
            .unwrap_or_default()
            .starts_with("resume "),
        "the dry run resumes the worktree's session: {b}"
    );
    assert_eq!(b["recall"]["kind"], "none", "the session holds task a: {b}");
    let argv = b["argv"].as_array().expect("argv");
    assert!(
        argv.iter().any(|arg| arg == "Bash(cargo test:*)"),
        "`build` in a worktree: {argv:?}"
    );
    let calls_before = fake.invocations().len();
    let tested = env.nexus(&["sessions", "test", "code", "--yes", "--json"]);
    tested.ok();
    let report = tested.json();
    assert_eq!(report["turns"], 1, "resumed at once: {report}");
    let call = fake.invocations().pop().expect("a probe");
    assert_eq!(fake.invocations().len(), calls_before + 1);
    assert!(
        call.cwd.starts_with(env.temp.path().join("ws")),
        "{}",
        call.cwd.display()
    );
    // And the real run of `b` resumes that session too.
    env.nexus(&["run", "p"]).ok();
    let last = fake.invocations().pop().expect("task b");
    assert!(
        last.flags
            .prompt
            .as_deref()
            .unwrap_or_default()
            .contains("# Task `b`")
    );
    assert!(last.flags.resume.is_some(), "worktree sessions are resumed");
}

/// Outside a run, an agent's session lives in its worktree too: `sessions
/// list` counts it valid there, `sessions gc` keeps it, and `ask` resumes it
/// there (warning about files the turn left uncommitted, which no branch
/// gets).
#[test]
fn sessions_and_ask_find_the_agents_session_in_its_worktree() {
    let (env, fake) = delivered();
    let listed = env.nexus(&["sessions", "list", "--json"]).json();
    let dev = listed
        .as_array()
        .expect("a JSON array")
        .iter()
        .find(|item| item["record"]["agent_id"] == "code_developer")
        .expect("the developer's session")
        .clone();
    assert_eq!(dev["validity"]["state"], "valid", "{dev}");
    let gc = env.nexus(&["sessions", "gc"]);
    gc.ok();
    assert!(
        env.nexus_dir()
            .join("sessions/code_developer.json")
            .exists(),
        "{}",
        gc.stdout
    );
    let session = fake.invocations()[0].flags.session_id.clone();
    fake.script(&[Step::write("scratch.txt", "notes\n")]);
    let asked = env.nexus(&["ask", "code", "Why two files?"]);
    asked.ok();
    let call = fake.invocations().pop().expect("the ask turn");
    assert_eq!(
        call.flags.resume, session,
        "ask resumes the worktree's session"
    );
    assert!(
        call.cwd.starts_with(env.temp.path().join("ws")),
        "{}",
        call.cwd.display()
    );
    assert!(
        asked.stderr.contains("scratch.txt") && asked.stderr.contains("not committed"),
        "{}",
        asked.stderr
    );
    // The user's checkout is untouched.
    assert!(!env.project.join("scratch.txt").exists());
}

/// What a crash or a user leaves behind in the worktrees is repaired by the
/// next run: a worktree whose directory is gone (git still lists it) is made
/// again, and a stale `index.lock` and a half-done merge in another are
/// cleared, without touching the user's checkout.
#[test]
fn a_deleted_worktree_and_a_stale_index_lock_are_repaired_by_the_next_run() {
    let (env, fake) = delivered();
    let user_head = git(&env.project, &["rev-parse", "HEAD"]);
    let merge_dir = env.temp.path().join("ws/_merge");
    let merge_git = git(&merge_dir, &["rev-parse", "--absolute-git-dir"]);
    std::fs::write(std::path::Path::new(&merge_git).join("index.lock"), "").unwrap();
    // A merge killed half-way: MERGE_HEAD and a changed file left behind.
    std::fs::write(
        std::path::Path::new(&merge_git).join("MERGE_HEAD"),
        format!("{user_head}\n"),
    )
    .unwrap();
    std::fs::write(merge_dir.join("a.txt"), "<<<<<<< half-merged\n").unwrap();
    std::fs::remove_dir_all(env.temp.path().join("ws/code_developer")).unwrap();
    write_plan(
        &env,
        "q",
        &json!({"tasks": [{"id": "c", "title": "Write C", "type": "implementation", "agent": "code_developer"}]}),
    );
    fake.script(&[Step::write("c.txt", "from c\n").repeat()]);
    let rerun = env.nexus(&["run", "q"]);
    rerun.ok();
    assert_eq!(task(&env, "q", "c")["workspace"]["merge"], "merged");
    assert!(files_at(&env.project, "nexus/q").contains(&"c.txt".to_string()));
    assert!(env.temp.path().join("ws/code_developer/c.txt").exists());
    assert_eq!(git(&env.project, &["rev-parse", "HEAD"]), user_head);
    assert!(!env.project.join("c.txt").exists());
    assert!(!std::path::Path::new(&merge_git).join("MERGE_HEAD").exists());
    // The half-merged file was thrown away, not merged into plan q.
    assert!(!files_at(&env.project, "nexus/q").contains(&"a.txt".to_string()));
    git(&env.project, &["fsck", "--no-progress"]);
}
