//! `nexus graph`: Mermaid, DOT and SVG pinned as golden files for a plan
//! that went through every state with hostile text; the DOT checked by
//! Graphviz's own `dot` (`NEXUS_TEST_DOT`, installed by `.ci/run`); `-o`
//! writes the named file and refuses a symlink.

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
fn mermaid_dot_and_svg_are_pinned() {
    let env = env();
    let mermaid = env.nexus(&["graph", "p-rel"]);
    mermaid.ok();
    assert_eq!(
        mermaid.stdout,
        env.nexus(&["graph", "p-rel", "--format", "mermaid"]).stdout
    );
    assert_golden("graph_release.mmd", &mermaid.stdout);
    let dot = env.nexus(&["graph", "p-r", "--format", "dot"]);
    dot.ok();
    assert_golden("graph_release.dot", &dot.stdout);
    let svg = env.nexus(&["graph", "p-rel", "--format", "svg"]);
    svg.ok();
    assert_golden("graph_release.svg", &svg.stdout);
    // Markup never survives into Mermaid or SVG; in DOT it stays inside
    // quoted strings (checked against Graphviz below).
    for text in [&mermaid.stdout, &svg.stdout] {
        assert!(!text.contains("<script"), "{text}");
    }
    for text in [&mermaid.stdout, &dot.stdout, &svg.stdout] {
        assert!(!text.contains(HOSTILE_REQUEST), "{text}");
    }
    // The critical path by estimate: spec → build → check → ship.
    assert!(
        dot.stdout
            .contains("critical path: spec → build → check → ship (est "),
        "{}",
        dot.stdout
    );
    let json = env.nexus(&["graph", "p-rel", "--json"]).json();
    assert_eq!(
        json["critical_path"],
        serde_json::json!(["spec", "build", "check", "ship"])
    );
    assert_eq!(json["nodes"][5]["title"], HOSTILE_TITLE);
    assert_eq!(json["nodes"][5]["state"], "stale");
    assert_eq!(json["nodes"][1]["took_ms"], 660_000);
    env.nexus(&["graph", "p-rel", "--json", "--format", "dot"])
        .code(2);
}

#[test]
fn graphviz_reads_the_dot_as_written() {
    let Some(dot_bin) = tool("NEXUS_TEST_DOT") else {
        return;
    };
    let env = env();
    let file = env.temp.path().join("graph.dot");
    env.nexus(&[
        "graph",
        "p-rel",
        "--format",
        "dot",
        "-o",
        file.to_str().unwrap(),
    ])
    .ok();
    let output = std::process::Command::new(&dot_bin)
        .arg("-Tplain")
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "dot failed: {stderr}"
    );
    let plain = String::from_utf8_lossy(&output.stdout);
    // `node NAME x y w h LABEL …`: every task once, plus the legend.
    let nodes: Vec<&str> = plain
        .lines()
        .filter(|line| line.starts_with("node "))
        .collect();
    for id in ["spec", "build", "docs", "check", "ship", "notes"] {
        let count = nodes
            .iter()
            .filter(|line| line.starts_with(&format!("node {id} ")))
            .count();
        assert_eq!(count, 1, "{id} in\n{plain}");
    }
    // Four states in the legend, and the critical-path key.
    assert_eq!(nodes.len(), 6 + 4 + 1, "{plain}");
    let edges = plain.lines().filter(|line| line.starts_with("edge "));
    assert_eq!(edges.filter(|line| !line.contains(" invis ")).count(), 6);
    // The hostile title and request reached Graphviz as labels, quotes and all.
    assert!(
        plain.contains(r#"\n<script>console.error(\"pwned\")</script>…\n"#),
        "{plain}"
    );
    let svg = std::process::Command::new(&dot_bin)
        .arg("-Tsvg")
        .arg(&file)
        .output()
        .unwrap();
    assert!(svg.status.success());
    let svg = String::from_utf8_lossy(&svg.stdout);
    assert!(!svg.contains("<script"), "{svg}");
    // The request, in the graph's label, is text in Graphviz's own SVG.
    assert!(
        svg.contains("Release &quot;v2&quot; &lt;now&gt; &amp; tell #ops; %%{init}%%"),
        "{svg}"
    );
}

#[test]
fn output_goes_to_the_named_file_and_never_through_a_symlink() {
    let env = env();
    let file = env.temp.path().join("graph.svg");
    let run = env.nexus(&[
        "graph",
        "p-rel",
        "--format",
        "svg",
        "-o",
        file.to_str().unwrap(),
    ]);
    run.ok();
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("wrote `"), "{}", run.stderr);
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        written,
        env.nexus(&["graph", "p-rel", "--format", "svg"]).stdout
    );
    let target = env.temp.path().join("precious.txt");
    std::fs::write(&target, "keep").unwrap();
    let link = env.temp.path().join("link.svg");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let refused = env.nexus(&["graph", "p-rel", "-o", link.to_str().unwrap()]);
    refused.code(2);
    assert!(
        refused.stderr.contains("is a symbolic link"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    let missing = env.temp.path().join("no/such/dir/g.svg");
    env.nexus(&["graph", "p-rel", "-o", missing.to_str().unwrap()])
        .code(2);
    // A relative path is relative to the working directory.
    env.nexus(&["graph", "p-rel", "--format", "dot", "-o", "g.dot"])
        .ok();
    assert!(env.read("g.dot").starts_with("// plan p-rel"));
    env.nexus(&["graph", "nope"]).code(2);
}
