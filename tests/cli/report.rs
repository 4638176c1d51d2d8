//! `nexus report`: Markdown (golden) and JSON over a plan that went
//! through every state with hostile text; the HTML page opened in a real
//! headless Chromium (`NEXUS_TEST_CHROMIUM`, installed by `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::TestEnv;
use crate::common::golden::{assert_golden, tool};
use crate::common::store::{HOSTILE_REQUEST, HOSTILE_TITLE, release_plan};

fn env() -> TestEnv {
    let mut env = TestEnv::initialised();
    env.set("NEXUS_NOW", "2026-11-26T10:00:00.000Z");
    release_plan(&env);
    env
}

#[test]
fn the_markdown_report_collects_what_each_agent_did() {
    let env = env();
    let run = env.nexus(&["report", "p-rel"]);
    run.ok();
    assert_golden("report_release.md", &run.stdout);
}

#[test]
fn json_holds_answers_ratings_evidence_lanes_and_costs() {
    let env = env();
    let report = env.nexus(&["report", "p-rel", "--json"]).json();
    assert_eq!(report["schema"], 1);
    assert_eq!(report["plan"]["request"], HOSTILE_REQUEST);
    let summary = &report["summary"];
    assert_eq!(summary["tasks"], 6);
    assert_eq!(summary["attempts"], 7);
    assert_eq!(summary["failed_attempts"], 3);
    assert_eq!(summary["retries"], 2);
    assert_eq!(summary["by_state"]["completed"], 3);
    assert_eq!(summary["by_state"]["stale"], 1);
    assert_eq!(
        summary["critical_path"],
        serde_json::json!(["spec", "build", "check", "ship"])
    );
    let spec = &report["tasks"][0];
    assert_eq!(spec["answer"]["clarity_rating"], 8);
    assert_eq!(spec["answer"]["complexity_rating"], 3);
    assert_eq!(spec["answer"]["deliverables"][0], "docs/release.md");
    assert_eq!(spec["result"], "# Release steps\n\n1. tag\n2. publish\n");
    let build = &report["tasks"][1];
    assert_eq!(
        build["answer"]["summary"], "Fixed the build",
        "the latest answer"
    );
    let evidence = &build["attempts"][0]["verification"][0];
    assert_eq!(evidence["command"], "cargo build");
    assert_eq!(evidence["exit_code"], 101);
    assert_eq!(build["attempts"][1]["verification"][0]["passed"], true);
    assert_eq!(report["questions"].as_array().unwrap().len(), 2);
    assert_eq!(report["next_steps"][1]["task_id"], "build");
    let agents = report["agents"].as_array().unwrap();
    let code = agents.iter().find(|a| a["id"] == "code_developer").unwrap();
    assert_eq!(code["cost_usd"], 0.35);
    assert_eq!(code["failed_attempts"], 1);
    let lanes = report["timeline"]["lanes"].as_array().unwrap();
    assert_eq!(lanes.len(), 4, "one lane per agent instance");
    let bars: usize = lanes
        .iter()
        .map(|l| l["bars"].as_array().unwrap().len())
        .sum();
    assert_eq!(bars, 7, "one bar per attempt");
    assert_eq!(report["tasks"][5]["title"], HOSTILE_TITLE);
    let running = &lanes[3]["bars"][0];
    assert_eq!(running["running"], true);
    assert_eq!(report["timeline"]["span_ms"], 59 * 60_000);
    // The newest plan is the default.
    assert_eq!(
        env.nexus(&["report", "--json"]).json()["plan"]["id"],
        "p-rel"
    );
}

#[test]
fn the_timeline_svg_is_pinned() {
    let env = env();
    let run = env.nexus(&["report", "p-rel", "--timeline"]);
    run.ok();
    assert_golden("report_release_timeline.svg", &run.stdout);
    assert_eq!(run.stdout.matches("<g class=\"bar\"").count(), 7);
    assert!(
        !run.stdout.contains("href="),
        "no links in the standalone picture"
    );
    env.nexus(&["report", "p-rel", "--json", "--html"]).code(2);
    env.nexus(&["report", "p-rel", "--html", "--timeline"])
        .code(2);
    env.nexus(&["report", "nope"]).code(2);
}

#[test]
fn status_of_one_task_shows_the_agents_answer() {
    let env = env();
    let run = env.nexus(&["status", "p-rel", "spec"]);
    run.ok();
    let text = &run.stdout;
    for expected in [
        "Answer\n",
        "summary     Specified the release <b>steps</b>",
        "confidence  90%",
        "clarity     8/10 (how clear the task was)",
        "complexity  3/10 (how hard it was)",
        "deliverables\n  - docs/release.md",
        "next steps\n  - write the changelog",
        "questions\n  - Which registry, \"crates.io\" or <ours>?",
    ] {
        assert!(text.contains(expected), "{expected:?} not in\n{text}");
    }
    let json = env.nexus(&["status", "p-rel", "build", "--json"]).json();
    assert_eq!(json["answer"]["summary"], "Fixed the build");
    assert_eq!(json["answer"]["clarity_rating"], 7);
    let without = env.nexus(&["status", "p-rel", "ship", "--json"]).json();
    assert_eq!(without["answer"], serde_json::Value::Null);
}

#[test]
fn the_html_page_is_self_contained_and_escapes_everything() {
    let env = env();
    let file = env.temp.path().join("report.html");
    env.nexus(&["report", "p-rel", "--html", "-o", file.to_str().unwrap()])
        .ok();
    let html = std::fs::read_to_string(&file).unwrap();
    assert_eq!(html, env.nexus(&["report", "p-rel", "--html"]).stdout);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.to_lowercase().contains("<script"), "no script at all");
    for remote in ["http://", "https://", "src=", "@import", "url(http"] {
        let outside_svg_namespace = html.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !outside_svg_namespace.contains(remote),
            "{remote} in the page"
        );
    }
    assert!(html.contains("&lt;script&gt;console.error(&quot;pwned&quot;)&lt;/script&gt;"));
    assert!(html.contains("Release &quot;v2&quot; &lt;now&gt; &amp; tell #ops; %%{init}%%"));
    assert!(html.contains("&lt;script&gt;console.error(&#39;docs&#39;)&lt;/script&gt;"));
    assert!(html.contains("Content-Security-Policy"));
    assert_eq!(html.matches("<article id=\"task-").count(), 6);
}

/// Runs headless Chromium on `page` with extra `args`; returns stdout and
/// stderr. It gets its own profile and HOME in the test's temp dir, and is
/// killed if it hangs.
fn chromium(env: &TestEnv, program: &Path, page: &Path, args: &[String]) -> (String, String) {
    let profile = tempfile::tempdir_in(env.temp.path()).unwrap();
    let mut child = Command::new(program)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", profile.path())
        .env("LANG", "C.UTF-8")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let readers = std::thread::spawn(move || {
        use std::io::Read;
        let (mut stdout, mut stderr) = (String::new(), String::new());
        let _ = out.read_to_string(&mut stdout);
        let _ = err.read_to_string(&mut stderr);
        (stdout, stderr)
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    readers.join().unwrap()
}

/// Returns the console messages Chromium logged (`CONSOLE` lines).
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.contains("CONSOLE"))
        .collect()
}

#[test]
fn the_html_page_loads_in_a_real_browser_without_a_console_error() {
    let Some(browser) = tool("NEXUS_TEST_CHROMIUM") else {
        return;
    };
    let env = env();
    // The check itself works: a page that logs an error is caught.
    let control = env.temp.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><title>c</title><script>console.error('control')</script>",
    )
    .unwrap();
    let (_, stderr) = chromium(&env, &browser, &control, &["--dump-dom".to_string()]);
    assert!(
        console_lines(&stderr)
            .iter()
            .any(|line| line.contains("control")),
        "a console error must be visible in Chromium's log:\n{stderr}"
    );
    let page = env.temp.path().join("report.html");
    env.nexus(&["report", "p-rel", "--html", "-o", page.to_str().unwrap()])
        .ok();
    let (dom, stderr) = chromium(&env, &browser, &page, &["--dump-dom".to_string()]);
    assert!(
        console_lines(&stderr).is_empty(),
        "console output:\n{stderr}"
    );
    assert!(dom.contains("<main>"), "no DOM dumped:\n{dom}\n{stderr}");
    assert!(
        !dom.to_lowercase().contains("<script"),
        "a script element in\n{dom}"
    );
    // One graph node per task, one timeline bar per attempt, one section per task.
    assert_eq!(dom.matches("class=\"node\"").count(), 6, "{dom}");
    assert_eq!(dom.matches("class=\"bar\"").count(), 7, "{dom}");
    assert_eq!(dom.matches("<article id=\"task-").count(), 6, "{dom}");
    for id in ["spec", "build", "docs", "check", "ship", "notes"] {
        assert!(dom.contains(&format!("data-node=\"{id}\"")), "{id}");
    }
    // Hostile text is shown as text: serialized back escaped, quotes intact.
    assert!(
        dom.contains(
            "&lt;script&gt;console.error(\"pwned\")&lt;/script&gt; 'notes' &amp; \"more\""
        ),
        "{dom}"
    );
    assert!(
        dom.contains("Release \"v2\" &lt;now&gt; &amp; tell #ops; %%{init}%%"),
        "{dom}"
    );
    // Screenshots, wide and narrow, and a printout.
    for (name, size) in [("wide.png", "1280,2000"), ("narrow.png", "390,2400")] {
        let shot = env.temp.path().join(name);
        chromium(
            &env,
            &browser,
            &page,
            &[
                format!("--window-size={size}"),
                format!("--screenshot={}", shot.display()),
            ],
        );
        let bytes = std::fs::read(&shot).unwrap_or_default();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{name}: {} bytes",
            bytes.len()
        );
        keep_for_review(&shot);
    }
    let pdf = env.temp.path().join("report.pdf");
    chromium(
        &env,
        &browser,
        &page,
        &[
            "--no-pdf-header-footer".to_string(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    let bytes = std::fs::read(&pdf).unwrap_or_default();
    assert!(
        bytes.starts_with(b"%PDF") && bytes.len() > 10_000,
        "pdf: {} bytes",
        bytes.len()
    );
    keep_for_review(&pdf);
}

/// Copies a screenshot or printout to `NEXUS_TEST_ARTIFACTS` when set, for
/// a person to look at.
fn keep_for_review(file: &Path) {
    if let Some(dir) = std::env::var_os("NEXUS_TEST_ARTIFACTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(file, dir.join(file.file_name().unwrap())).unwrap();
    }
}

/// Copies `.nexus-example` into the test's project as its `.nexus`.
fn example_env() -> TestEnv {
    let mut env = TestEnv::new();
    env.set("NEXUS_NOW", "2026-11-26T10:00:00.000Z");
    let example = crate::common::repo_root().join(".nexus-example");
    for entry in walkdir::WalkDir::new(&example) {
        let entry = entry.unwrap();
        let target = env
            .nexus_dir()
            .join(entry.path().strip_prefix(&example).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    env
}

/// The README's pictures are exactly what nexus draws for `.nexus-example`;
/// `NEXUS_UPDATE_PICTURES=1 cargo test readme_pictures` redraws them.
#[test]
fn readme_pictures_are_drawn_from_the_example() {
    let env = example_env();
    let update = std::env::var_os("NEXUS_UPDATE_PICTURES").is_some();
    for (file, args) in [
        (
            "example-graph.svg",
            &["graph", "example", "--format", "svg"][..],
        ),
        (
            "example-timeline.svg",
            &["report", "example", "--timeline"][..],
        ),
    ] {
        let run = env.nexus(args);
        run.ok();
        let path = crate::common::repo_root().join("docs").join(file);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &run.stdout).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == run.stdout,
            "docs/{file} is stale: run `NEXUS_UPDATE_PICTURES=1 cargo test readme_pictures`"
        );
    }
    let readme = std::fs::read_to_string(crate::common::repo_root().join("README.md")).unwrap();
    for file in ["docs/example-graph.svg", "docs/example-timeline.svg"] {
        assert!(
            readme.contains(&format!("]({file})")),
            "README does not show {file}"
        );
    }
}

#[test]
fn the_example_report_reads_its_whole_run() {
    let env = example_env();
    let report = env.nexus(&["report", "--json"]).json();
    assert_eq!(report["summary"]["by_state"]["completed"], 4);
    assert_eq!(report["summary"]["retries"], 1);
    assert_eq!(report["problems"].as_array().unwrap().len(), 0, "{report}");
    // The analysis answer was written before the ratings existed: it reads.
    assert_eq!(
        report["tasks"][0]["answer"]["clarity_rating"],
        serde_json::Value::Null
    );
    assert_eq!(report["tasks"][3]["answer"]["clarity_rating"], 9);
    let messages = env.nexus(&["messages", "example", "--format", "mermaid"]);
    messages.ok();
    assert!(messages.stdout.contains("    par "), "{}", messages.stdout);
}

#[test]
fn secrets_from_the_environment_are_redacted_from_written_files() {
    let mut env = env();
    env.set("OPENAI_API_KEY", "sk-test-0123456789abcdef");
    crate::common::store::result(
        &env,
        "p-rel",
        "spec",
        "the key is sk-test-0123456789abcdef\n",
    );
    let file = env.temp.path().join("report.html");
    env.nexus(&["report", "p-rel", "--html", "-o", file.to_str().unwrap()])
        .ok();
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(!html.contains("sk-test-0123456789abcdef"));
    assert!(html.contains("the key is [REDACTED]"));
    let markdown = env.nexus(&["report", "p-rel", "--json"]);
    assert!(!markdown.stdout.contains("sk-test-0123456789abcdef"));
}
