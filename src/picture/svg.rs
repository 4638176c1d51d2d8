//! A plan's dependency graph as SVG, laid out by nexus ([`layout`]): a
//! heading with the critical path, one box per task (id, title, agent,
//! state and estimate; filled by state), curved edges with arrowheads, the
//! critical path thick and dark with ★ on its tasks, and a legend. Plain
//! SVG 1.1 attributes and no script, so it shows the same as an `<img>`,
//! inline in the HTML report, or in a README. All text is escaped.

use std::fmt::Write as _;

use crate::picture::graph::{CRITICAL_MARK, Node, PlanGraph};
use crate::picture::layout::{self, Point, Spacing};
use crate::picture::palette;
use crate::picture::text;

/// Average width of a character at the body size (12px sans-serif), in
/// tenths of a pixel, used to size boxes without font metrics: a little
/// over DejaVu Sans (6.4) and Arial (5.9), so text stays inside.
pub const CHAR_TENTHS: i64 = 66;

/// The font stack of every picture (no wide fonts such as Verdana, which
/// the box sizes do not allow for).
pub const FONT: &str = "Arial, Helvetica, DejaVu Sans, Liberation Sans, sans-serif";

const PAD: i64 = 10;
const LINE: i64 = 16;
const NODE_HEIGHT: i64 = 4 * LINE + 14;
const MIN_NODE_WIDTH: i64 = 150;
const MAX_NODE_WIDTH: i64 = 280;
const HEADER: i64 = 52;
const LEGEND_ROW: i64 = 22;
const MARGIN: i64 = 16;

/// Returns the four label lines of a node, cut to `chars` characters.
fn node_lines(node: &Node, chars: usize) -> [String; 4] {
    let mark = if node.critical { CRITICAL_MARK } else { "" };
    [
        text::line(&format!("{mark}{}", node.id), chars),
        text::line(&node.title, chars),
        text::line(node.agent.as_deref().unwrap_or("unassigned"), chars),
        text::line(&PlanGraph::status_line(node), chars),
    ]
}

/// Returns the width of text of `chars` characters, in pixels.
pub fn text_width(chars: usize) -> i64 {
    i64::try_from(chars)
        .unwrap_or(i64::MAX / 100)
        .saturating_mul(CHAR_TENTHS)
        / 10
}

/// Returns how many characters fit in `width` pixels.
pub fn chars_in(width: i64) -> usize {
    usize::try_from(width.max(0) * 10 / CHAR_TENTHS).unwrap_or(0)
}

/// Returns the box width that fits the longest label line, within bounds.
fn node_width(graph: &PlanGraph) -> i64 {
    graph
        .nodes
        .iter()
        .flat_map(|node| node_lines(node, usize::MAX))
        .map(|line| text_width(line.chars().count() + 1) + 2 * PAD)
        .max()
        .unwrap_or(MIN_NODE_WIDTH)
        .clamp(MIN_NODE_WIDTH, MAX_NODE_WIDTH)
}

/// Returns the `d` of a path through `points`, each hop a vertical-tangent
/// cubic curve (straight where the hop is vertical).
pub fn curve(points: &[Point]) -> String {
    let mut d = String::new();
    if let Some((x, y)) = points.first() {
        let _ = write!(d, "M{x},{y}");
    }
    for pair in points.windows(2) {
        let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
        let middle = (y1 + y2) / 2;
        let _ = write!(d, " C{x1},{middle} {x2},{middle} {x2},{y2}");
    }
    d
}

/// The legend items: a swatch fill and stroke (or the critical-path line),
/// and the words.
fn legend_items(graph: &PlanGraph) -> Vec<(Option<palette::Colors>, String)> {
    let mut items: Vec<(Option<palette::Colors>, String)> = graph
        .states()
        .into_iter()
        .map(|state| {
            (
                Some(palette::state(state)),
                format!("{state}: {}", palette::state_meaning(state)),
            )
        })
        .collect();
    items.push((None, format!("{CRITICAL_MARK}{}", graph.critical_legend())));
    items
}

/// Places legend items in rows no wider than `width`; returns each item's
/// (x, row) and the number of rows.
fn legend_rows(items: &[(Option<palette::Colors>, String)], width: i64) -> (Vec<(i64, i64)>, i64) {
    let mut placed = Vec::with_capacity(items.len());
    let (mut x, mut row) = (0, 0);
    for (_, words) in items {
        let item_width = 26 + text_width(words.chars().count()) + 18;
        if x > 0 && x + item_width > width {
            x = 0;
            row += 1;
        }
        placed.push((x, row));
        x += item_width;
    }
    (placed, if items.is_empty() { 0 } else { row + 1 })
}

/// Renders the graph as a standalone SVG document. With `links`, each node
/// links to `#task-N` (the task's section in the HTML report).
pub fn graph(graph: &PlanGraph, links: bool) -> String {
    let width_of_node = node_width(graph);
    let chars = chars_in(width_of_node - 2 * PAD);
    let edges: Vec<(usize, usize)> = graph
        .edges
        .iter()
        .map(|edge| (edge.from_index, edge.to_index))
        .collect();
    let spacing = Spacing {
        node_width: width_of_node,
        node_height: NODE_HEIGHT,
        layer_gap: 44,
        node_gap: 24,
        margin: MARGIN,
    };
    let placed = layout::layered(graph.nodes.len(), &edges, &spacing);
    let heading = text::line(&format!("plan {}: {}", graph.plan_id, graph.request), 90);
    let path = if graph.critical_path.is_empty() {
        "critical path: none".to_string()
    } else {
        format!(
            "critical path: {} (est {})",
            graph.critical_path.join(" → "),
            text::duration(graph.critical_path_ms)
        )
    };
    let path = text::line(&path, 110);
    let items = legend_items(graph);
    let header_width = text_width(heading.chars().count().max(path.chars().count())) + 2 * MARGIN;
    let width = placed.width.max(header_width).max(480);
    let (legend_places, legend_row_count) = legend_rows(&items, width - 2 * MARGIN);
    let shift_x = (width - placed.width) / 2;
    let legend_top = HEADER + placed.height;
    let height = legend_top + legend_row_count * LEGEND_ROW + MARGIN;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"nexus-graph\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" font-family=\"{FONT}\" font-size=\"12\" role=\"img\" aria-labelledby=\"g-title\">"
    );
    let _ = writeln!(
        out,
        "<title id=\"g-title\">Dependency graph of plan {}</title>",
        text::xml(&graph.plan_id)
    );
    out.push_str("<defs>\n");
    for (id, color, size) in [
        ("g-arrow", palette::MUTED, 9),
        ("g-arrow-critical", palette::CRITICAL, 12),
    ] {
        let _ = writeln!(
            out,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"{size}\" markerHeight=\"{size}\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{color}\"/></marker>"
        );
    }
    out.push_str("</defs>\n");
    let _ = writeln!(
        out,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>"
    );
    let _ = writeln!(
        out,
        "<text x=\"{MARGIN}\" y=\"22\" font-size=\"14\" font-weight=\"bold\" fill=\"{}\">{}</text>",
        palette::TEXT,
        text::xml(&heading)
    );
    let _ = writeln!(
        out,
        "<text x=\"{MARGIN}\" y=\"40\" fill=\"{}\">{}</text>",
        palette::CRITICAL,
        text::xml(&path)
    );
    let offset = |(x, y): Point| (x + shift_x, y + HEADER);
    out.push_str("<g class=\"edges\" fill=\"none\">\n");
    for (edge, route) in graph.edges.iter().zip(&placed.routes) {
        let points: Vec<Point> = route.iter().copied().map(offset).collect();
        let (color, stroke, marker) = if edge.critical {
            (palette::CRITICAL, 3, "g-arrow-critical")
        } else {
            (palette::MUTED, 1, "g-arrow")
        };
        let _ = writeln!(
            out,
            "<path class=\"edge\" data-from=\"{}\" data-to=\"{}\" d=\"{}\" stroke=\"{color}\" stroke-width=\"{stroke}\" marker-end=\"url(#{marker})\"/>",
            text::xml(&edge.from),
            text::xml(&edge.to),
            curve(&points)
        );
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for (index, node) in graph.nodes.iter().enumerate() {
        let (x, y) = offset(placed.nodes[index]);
        write_node(&mut out, index, node, (x, y), width_of_node, chars, links);
    }
    out.push_str("</g>\n");
    write_legend(&mut out, &items, &legend_places, legend_top);
    out.push_str("</svg>\n");
    out
}

fn write_node(
    out: &mut String,
    index: usize,
    node: &Node,
    (x, y): Point,
    width: i64,
    chars: usize,
    links: bool,
) {
    let colors = palette::state(node.state);
    let (stroke, stroke_width) = if node.critical {
        (palette::CRITICAL, 3)
    } else {
        (colors.stroke, 1)
    };
    let _ = writeln!(
        out,
        "<g class=\"node\" data-node=\"{}\" data-state=\"{}\">",
        text::xml(&node.id),
        node.state
    );
    if links {
        let _ = writeln!(out, "<a href=\"#task-{index}\">");
    }
    let _ = writeln!(
        out,
        "<title>{}: {} ({}, {})</title>",
        text::xml(&node.id),
        text::xml(&text::line(&node.title, 300)),
        text::xml(node.agent.as_deref().unwrap_or("unassigned")),
        text::xml(&PlanGraph::status_line(node))
    );
    let _ = writeln!(
        out,
        "<rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{NODE_HEIGHT}\" rx=\"8\" fill=\"{}\" stroke=\"{stroke}\" stroke-width=\"{stroke_width}\"/>",
        colors.fill
    );
    let center = x + width / 2;
    for (line_index, line) in node_lines(node, chars).iter().enumerate() {
        let baseline = y + 20 + LINE * i64::try_from(line_index).unwrap_or(0);
        let style = match line_index {
            0 => " font-weight=\"bold\" font-size=\"13\"",
            2 | 3 => " fill-opacity=\"0.85\"",
            _ => "",
        };
        let _ = writeln!(
            out,
            "<text x=\"{center}\" y=\"{baseline}\" text-anchor=\"middle\" fill=\"{}\"{style}>{}</text>",
            palette::TEXT,
            text::xml(line)
        );
    }
    if links {
        out.push_str("</a>\n");
    }
    out.push_str("</g>\n");
}

fn write_legend(
    out: &mut String,
    items: &[(Option<palette::Colors>, String)],
    places: &[(i64, i64)],
    top: i64,
) {
    out.push_str("<g class=\"legend\">\n");
    for ((colors, words), (x, row)) in items.iter().zip(places) {
        let x = MARGIN + x;
        let y = top + row * LEGEND_ROW;
        match colors {
            Some(colors) => {
                let _ = writeln!(
                    out,
                    "<rect x=\"{x}\" y=\"{}\" width=\"18\" height=\"12\" rx=\"3\" fill=\"{}\" stroke=\"{}\"/>",
                    y + 2,
                    colors.fill,
                    colors.stroke
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "<line x1=\"{x}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"3\"/>",
                    y + 8,
                    x + 18,
                    y + 8,
                    palette::CRITICAL
                );
            }
        }
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>",
            x + 26,
            y + 12,
            palette::TEXT,
            text::xml(words)
        );
    }
    out.push_str("</g>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::graph::tests::loaded;
    use crate::plan::estimate::History;
    use crate::state::task::TaskState;

    #[test]
    fn the_svg_is_well_formed_escaped_and_complete() {
        let plan = loaded(&[
            (
                "a",
                "<script>alert('x')</script> & \"q\"\u{7}",
                &[],
                10,
                TaskState::Completed,
            ),
            ("b", "B", &["a"], 5, TaskState::Failed),
            ("c", "C", &["a"], 20, TaskState::Pending),
            ("d", "D", &["b", "c"], 10, TaskState::Pending),
        ]);
        let graph = PlanGraph::build(&plan, &History::default()).unwrap();
        let svg = super::graph(&graph, true);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
        assert!(!svg.contains('\u{7}'));
        assert_eq!(svg.matches("<g class=\"node\"").count(), 4);
        assert_eq!(svg.matches("<path class=\"edge\"").count(), 4);
        assert_eq!(svg.matches("href=\"#task-").count(), 4);
        assert!(svg.contains("critical path: a → c → d (est 40m)"), "{svg}");
        assert!(svg.contains("failed: its last attempt failed"));
        // Balanced elements: every opened tag is closed.
        for tag in ["svg", "g", "text", "title", "a", "defs", "marker"] {
            let opened =
                svg.matches(&format!("<{tag} ")).count() + svg.matches(&format!("<{tag}>")).count();
            let closed = svg.matches(&format!("</{tag}>")).count();
            assert_eq!(opened, closed, "<{tag}> in\n{svg}");
        }
        assert_eq!(svg, super::graph(&graph, true), "deterministic");
        assert!(!super::graph(&graph, false).contains("href="));
    }

    #[test]
    fn curves_pass_through_every_point() {
        assert_eq!(curve(&[(0, 0), (10, 20)]), "M0,0 C0,10 10,10 10,20");
        assert_eq!(curve(&[]), "");
    }
}
