//! A plan's dependency graph as a Mermaid `flowchart` (GitHub, GitLab and
//! most Markdown viewers draw it). Node ids are `t0`, `t1`, … by plan
//! order, whatever the task ids; every label is escaped with
//! [`text::mermaid`], so a task title cannot end a label or add a
//! statement.

use std::fmt::Write as _;

use crate::picture::graph::{CRITICAL_MARK, PlanGraph};
use crate::picture::palette;
use crate::picture::text;

/// Longest title shown in a node.
const TITLE_CHARS: usize = 40;

/// Renders the flowchart: nodes labelled with id, title, agent, state and
/// estimate; critical edges thick (`==>`) and dark, critical nodes marked
/// ★ with a thick border; one class per state; a legend subgraph.
pub fn flowchart(graph: &PlanGraph) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "%% plan {}: dependency graph drawn by nexus",
        text::mermaid(&graph.plan_id)
    );
    out.push_str("flowchart TD\n");
    for (index, node) in graph.nodes.iter().enumerate() {
        let mark = if node.critical { CRITICAL_MARK } else { "" };
        let _ = writeln!(
            out,
            "    t{index}[\"{mark}{}<br/>{}<br/>{}<br/>{}\"]",
            text::mermaid(&node.id),
            text::mermaid(&text::line(&node.title, TITLE_CHARS)),
            text::mermaid(node.agent.as_deref().unwrap_or("unassigned")),
            text::mermaid(&PlanGraph::status_line(node)),
        );
    }
    let mut critical_links = Vec::new();
    for (index, edge) in graph.edges.iter().enumerate() {
        let arrow = if edge.critical {
            critical_links.push(index.to_string());
            "==>"
        } else {
            "-->"
        };
        let _ = writeln!(out, "    t{} {arrow} t{}", edge.from_index, edge.to_index);
    }
    let states = graph.states();
    if !graph.nodes.is_empty() {
        out.push_str("    subgraph legend[\"Legend\"]\n        direction LR\n");
        let mut keys = Vec::new();
        for state in &states {
            let _ = writeln!(
                out,
                "        legend_{state}[\"{state}: {}\"]:::{state}",
                text::mermaid(palette::state_meaning(state))
            );
            keys.push(format!("legend_{state}"));
        }
        let _ = writeln!(
            out,
            "        legend_critical[\"{CRITICAL_MARK}{}\"]:::critical",
            text::mermaid(&graph.critical_legend())
        );
        keys.push("legend_critical".to_string());
        // Invisible links lay the keys out in one row.
        let _ = writeln!(out, "        {}", keys.join(" ~~~ "));
        out.push_str("    end\n");
        out.push_str("    style legend_critical fill:#ffffff\n");
    }
    for state in &states {
        let colors = palette::state(state);
        let _ = writeln!(
            out,
            "    classDef {state} fill:{},stroke:{},color:{}",
            colors.fill,
            colors.stroke,
            palette::TEXT
        );
    }
    let _ = writeln!(
        out,
        "    classDef critical stroke:{},stroke-width:3px",
        palette::CRITICAL
    );
    for state in &states {
        let members: Vec<String> = graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.state == *state)
            .map(|(index, _)| format!("t{index}"))
            .collect();
        let _ = writeln!(out, "    class {} {state}", members.join(","));
    }
    let critical: Vec<String> = graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| node.critical)
        .map(|(index, _)| format!("t{index}"))
        .collect();
    if !critical.is_empty() {
        let _ = writeln!(out, "    class {} critical", critical.join(","));
    }
    if !critical_links.is_empty() {
        let _ = writeln!(
            out,
            "    linkStyle {} stroke:{},stroke-width:3px",
            critical_links.join(","),
            palette::CRITICAL
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::graph::tests::loaded;
    use crate::plan::estimate::History;
    use crate::state::task::TaskState;

    #[test]
    fn hostile_titles_stay_inside_their_labels() {
        let plan = loaded(&[
            (
                "a",
                "x\"] --> evil[\"<script>alert(1)</script>",
                &[],
                10,
                TaskState::Completed,
            ),
            (
                "b",
                "%%{init: {'theme':'dark'}}%%\nclick b call alert()",
                &["a"],
                5,
                TaskState::Failed,
            ),
        ]);
        let chart = flowchart(&PlanGraph::build(&plan, &History::default()).unwrap());
        // One line per node, edge and style statement: nothing was injected.
        let node_lines: Vec<&str> = chart
            .lines()
            .filter(|line| line.starts_with("    t"))
            .collect();
        assert_eq!(node_lines.len(), 3, "{chart}");
        assert!(!chart.contains("<script"), "{chart}");
        assert!(!chart.contains("evil[\""), "{chart}");
        assert!(!chart.contains("%%{"), "{chart}");
        assert!(!chart.contains("\nclick"), "{chart}");
        assert!(
            chart.contains("t0[\"★ a<br/>x#34;#93; --#62; evil#91;#34;#60;script#62;"),
            "{chart}"
        );
        assert!(chart.contains("    t0 ==> t1\n"), "{chart}");
        assert!(chart.contains("class t1 failed"), "{chart}");
    }
}
