//! A plan's dependency graph in Graphviz DOT (`nexus graph --format dot |
//! dot -Tpng`). Node ids are the task ids as quoted strings and every
//! string goes through [`text::dot`], so no title or id can end a string
//! or add an attribute or statement.

use std::fmt::Write as _;

use crate::picture::graph::{CRITICAL_MARK, PlanGraph};
use crate::picture::palette;
use crate::picture::text;

/// Longest title shown in a node.
const TITLE_CHARS: usize = 40;

/// Longest request shown in the graph's label.
const REQUEST_CHARS: usize = 80;

/// Renders the graph: one box per task (id, title, agent, state and
/// estimate, filled by state), critical nodes marked ★ with a thick dark
/// border and critical edges thick and dark, and a legend cluster.
pub fn digraph(graph: &PlanGraph) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// plan {}: dependency graph drawn by nexus",
        text::dot(&graph.plan_id)
    );
    let _ = writeln!(out, "digraph \"{}\" {{", text::dot(&graph.plan_id));
    let _ = writeln!(
        out,
        "  graph [rankdir=TB, labelloc=t, fontname=\"Helvetica\", fontsize=13, label=\"plan {}: {}\\ncritical path: {} (est {})\"];",
        text::dot(&graph.plan_id),
        text::dot(&text::line(&graph.request, REQUEST_CHARS)),
        text::dot(&graph.critical_path.join(" → ")),
        text::duration(graph.critical_path_ms),
    );
    let pending = palette::state("pending");
    let _ = writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11, fontcolor=\"{}\", color=\"{}\", fillcolor=\"{}\"];",
        palette::TEXT,
        pending.stroke,
        pending.fill
    );
    let _ = writeln!(out, "  edge [color=\"{}\"];", palette::MUTED);
    for node in &graph.nodes {
        let colors = palette::state(node.state);
        let mark = if node.critical { CRITICAL_MARK } else { "" };
        let border = if node.critical {
            format!("color=\"{}\", penwidth=3", palette::CRITICAL)
        } else {
            format!("color=\"{}\"", colors.stroke)
        };
        let _ = writeln!(
            out,
            "  \"{}\" [label=\"{mark}{}\\n{}\\n{}\\n{}\", fillcolor=\"{}\", {border}];",
            text::dot(&node.id),
            text::dot(&node.id),
            text::dot(&text::line(&node.title, TITLE_CHARS)),
            text::dot(node.agent.as_deref().unwrap_or("unassigned")),
            text::dot(&PlanGraph::status_line(node)),
            colors.fill,
        );
    }
    for edge in &graph.edges {
        let style = if edge.critical {
            format!(" [color=\"{}\", penwidth=3]", palette::CRITICAL)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\"{style};",
            text::dot(&edge.from),
            text::dot(&edge.to)
        );
    }
    if !graph.nodes.is_empty() {
        out.push_str("  subgraph cluster_legend {\n");
        out.push_str("    label=\"Legend\"; style=dashed; color=\"#9ca3af\"; fontsize=11;\n");
        let states = graph.states();
        for state in &states {
            let colors = palette::state(state);
            let _ = writeln!(
                out,
                "    \"legend:{state}\" [label=\"{state}: {}\", fillcolor=\"{}\", color=\"{}\"];",
                palette::state_meaning(state),
                colors.fill,
                colors.stroke
            );
        }
        let _ = writeln!(
            out,
            "    \"legend:critical\" [label=\"{CRITICAL_MARK}{}\", style=rounded, color=\"{}\", penwidth=3];",
            text::dot(&graph.critical_legend()),
            palette::CRITICAL
        );
        // Invisible edges stack the legend in one column beside the graph.
        let mut column: Vec<String> = states
            .iter()
            .map(|state| format!("\"legend:{state}\""))
            .collect();
        column.push("\"legend:critical\"".to_string());
        let _ = writeln!(out, "    {} [style=invis];", column.join(" -> "));
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::graph::tests::loaded;
    use crate::plan::estimate::History;
    use crate::state::task::TaskState;

    #[test]
    fn hostile_titles_stay_inside_their_strings() {
        let plan = loaded(&[
            (
                "a",
                "x\"]; evil [label=\"pwned",
                &[],
                10,
                TaskState::Completed,
            ),
            ("b", "back\\slash \\N\\G\n}", &["a"], 5, TaskState::Blocked),
        ]);
        let dot = digraph(&PlanGraph::build(&plan, &History::default()).unwrap());
        assert!(dot.contains("x\\\"]; evil [label=\\\"pwned"), "{dot}");
        assert!(dot.contains("back\\\\slash \\\\N\\\\G }"), "{dot}");
        // Statements: the header, graph/node/edge defaults, two nodes, one
        // edge, the legend; no line was added by a title.
        let statements = dot
            .lines()
            .filter(|line| line.trim_end().ends_with(';'))
            .count();
        assert_eq!(statements, 3 + 2 + 1 + 1 + 3 + 1, "{dot}");
        assert!(
            dot.contains("\"a\" -> \"b\" [color=\"#1e3a8a\", penwidth=3];"),
            "{dot}"
        );
    }
}
