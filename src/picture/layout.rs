//! A layered ("Sugiyama") layout of a dependency graph, top to bottom, for
//! the SVG pictures: nexus draws its graphs itself, so no Graphviz or
//! browser script is needed to read them.
//!
//! 1. **Layers**: each node goes one layer below the lowest of its
//!    dependencies (longest path from the sources), so every edge points down.
//! 2. **Dummy nodes**: an edge spanning several layers gets one invisible
//!    node per layer it crosses, so it is ordered and routed like the others
//!    and never runs through a box.
//! 3. **Order**: within each layer, nodes start in plan order, then
//!    alternate down and up sweeps sort them by the mean position of their
//!    neighbours in the layer above (below); the order with the fewest edge
//!    crossings wins.
//! 4. **Coordinates**: each node wants to sit at the mean x of its neighbours;
//!    within a layer the order and the minimum spacing are kept, and the
//!    positions closest (least squares) to the wishes are found exactly by
//!    isotonic regression (pool adjacent violators).
//! 5. **Routes**: each edge leaves its source's bottom and enters its
//!    target's top (ports spread across the box when a node has several),
//!    passing through its dummy nodes.
//!
//! Everything is deterministic: ties break on plan order, so the same plan
//! always gives the same picture (the golden tests rely on it).

/// Sizes and gaps, in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Spacing {
    /// Width of every node box.
    pub node_width: i64,
    /// Height of every node box.
    pub node_height: i64,
    /// Vertical gap between layers.
    pub layer_gap: i64,
    /// Minimum horizontal gap between boxes of a layer.
    pub node_gap: i64,
    /// Space kept around the drawing.
    pub margin: i64,
}

/// A point, in pixels from the top left.
pub type Point = (i64, i64);

/// Where everything goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The top-left corner of each node's box, in input order.
    pub nodes: Vec<Point>,
    /// The layer of each node (0 at the top).
    pub layers: Vec<usize>,
    /// For each input edge, the points it passes through, from the
    /// source's bottom to the target's top.
    pub routes: Vec<Vec<Point>>,
    /// The drawing's width, margins included.
    pub width: i64,
    /// The drawing's height, margins included.
    pub height: i64,
}

/// Width given to a dummy node when spacing a layer.
const DUMMY_WIDTH: f64 = 12.0;

/// Down-and-up sweeps tried when ordering layers.
const SWEEPS: usize = 12;

/// Coordinate refinement passes (each one down and one up).
const PASSES: usize = 6;

/// A real or dummy node of the layered graph.
#[derive(Debug, Clone)]
struct Vertex {
    layer: usize,
    /// The real node, or for a dummy the source of its edge.
    origin: usize,
    real: bool,
    up: Vec<usize>,
    down: Vec<usize>,
}

/// Lays out `count` nodes with `edges` (dependency → dependent; an edge
/// that would point up, which only a cycle makes, is drawn but not used
/// for layering).
pub fn layered(count: usize, edges: &[(usize, usize)], spacing: &Spacing) -> Layout {
    let edges: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|&(from, to)| from < count && to < count && from != to)
        .collect();
    let layers = assign_layers(count, &edges);
    let (vertices, chains) = with_dummies(count, &edges, &layers);
    let order = order_layers(&vertices);
    let widths: Vec<f64> = vertices
        .iter()
        .map(|vertex| {
            if vertex.real {
                spacing.node_width as f64
            } else {
                DUMMY_WIDTH
            }
        })
        .collect();
    let x = place(&vertices, &order, &widths, spacing.node_gap as f64);
    let left = (0..vertices.len())
        .map(|v| x[v] - widths[v] / 2.0)
        .fold(f64::INFINITY, f64::min);
    let right = (0..vertices.len())
        .map(|v| x[v] + widths[v] / 2.0)
        .fold(f64::NEG_INFINITY, f64::max);
    let shift = if left.is_finite() {
        spacing.margin as f64 - left
    } else {
        0.0
    };
    let center = |v: usize| round(x[v] + shift);
    let layer_top = |layer: usize| {
        spacing.margin
            + i64::try_from(layer).unwrap_or(0) * (spacing.node_height + spacing.layer_gap)
    };
    let nodes: Vec<Point> = (0..count)
        .map(|v| (center(v) - spacing.node_width / 2, layer_top(layers[v])))
        .collect();
    let routes = route(&edges, &chains, &vertices, &center, &layer_top, spacing);
    let layer_count = layers.iter().max().map_or(0, |top| top + 1);
    let width = if right.is_finite() {
        round(right - left) + 2 * spacing.margin
    } else {
        2 * spacing.margin
    };
    let height = if layer_count == 0 {
        2 * spacing.margin
    } else {
        layer_top(layer_count) - spacing.layer_gap + spacing.margin
    };
    Layout {
        nodes,
        layers,
        routes,
        width,
        height,
    }
}

#[allow(clippy::cast_possible_truncation)]
fn round(value: f64) -> i64 {
    value.round() as i64
}

/// Returns each node's layer: one below its lowest dependency. Nodes on a
/// cycle (never in a validated plan) stay where the relaxation leaves them.
fn assign_layers(count: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut incoming = vec![0usize; count];
    let mut outgoing = vec![Vec::new(); count];
    for &(from, to) in edges {
        incoming[to] += 1;
        outgoing[from].push(to);
    }
    let mut layers = vec![0usize; count];
    let mut ready: std::collections::BTreeSet<usize> =
        (0..count).filter(|&v| incoming[v] == 0).collect();
    while let Some(v) = ready.pop_first() {
        for &next in &outgoing[v] {
            layers[next] = layers[next].max(layers[v] + 1);
            incoming[next] -= 1;
            if incoming[next] == 0 {
                ready.insert(next);
            }
        }
    }
    layers
}

/// Returns the vertices (the real nodes first, then dummies) and, for each
/// edge, the dummies it passes through, top to bottom.
fn with_dummies(
    count: usize,
    edges: &[(usize, usize)],
    layers: &[usize],
) -> (Vec<Vertex>, Vec<Vec<usize>>) {
    let mut vertices: Vec<Vertex> = (0..count)
        .map(|v| Vertex {
            layer: layers[v],
            origin: v,
            real: true,
            up: Vec::new(),
            down: Vec::new(),
        })
        .collect();
    let mut chains = Vec::with_capacity(edges.len());
    for &(from, to) in edges {
        let mut chain = Vec::new();
        if layers[to] <= layers[from] {
            chains.push(chain);
            continue;
        }
        let mut previous = from;
        for layer in layers[from] + 1..layers[to] {
            let dummy = vertices.len();
            vertices.push(Vertex {
                layer,
                origin: from,
                real: false,
                up: vec![previous],
                down: Vec::new(),
            });
            vertices[previous].down.push(dummy);
            chain.push(dummy);
            previous = dummy;
        }
        vertices[previous].down.push(to);
        vertices[to].up.push(previous);
        chains.push(chain);
    }
    (vertices, chains)
}

/// Orders each layer to reduce crossings; returns the vertices per layer.
fn order_layers(vertices: &[Vertex]) -> Vec<Vec<usize>> {
    let layer_count = vertices.iter().map(|v| v.layer + 1).max().unwrap_or(0);
    let mut order: Vec<Vec<usize>> = vec![Vec::new(); layer_count];
    let mut initial: Vec<usize> = (0..vertices.len()).collect();
    // Plan order; a dummy sits where its edge's source does.
    initial.sort_by_key(|&v| (vertices[v].origin, !vertices[v].real, v));
    for v in initial {
        order[vertices[v].layer].push(v);
    }
    let mut best = order.clone();
    let mut best_crossings = crossings(vertices, &order);
    for sweep in 0..SWEEPS {
        if best_crossings == 0 {
            break;
        }
        let downward = sweep % 2 == 0;
        let sequence: Vec<usize> = if downward {
            (1..layer_count).collect()
        } else {
            (0..layer_count.saturating_sub(1)).rev().collect()
        };
        for layer in sequence {
            let reference = if downward { layer - 1 } else { layer + 1 };
            let position = positions(&order[reference], vertices.len());
            let current = positions(&order[layer], vertices.len());
            let key = |v: usize| {
                let neighbours = if downward {
                    &vertices[v].up
                } else {
                    &vertices[v].down
                };
                let known: Vec<f64> = neighbours
                    .iter()
                    .filter_map(|&n| position[n])
                    .map(|p| p as f64)
                    .collect();
                if known.is_empty() {
                    current[v].map_or(0.0, |p| p as f64)
                } else {
                    known.iter().sum::<f64>() / known.len() as f64
                }
            };
            let mut keyed: Vec<(f64, usize, usize)> = order[layer]
                .iter()
                .enumerate()
                .map(|(index, &v)| (key(v), index, v))
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            order[layer] = keyed.into_iter().map(|(_, _, v)| v).collect();
        }
        let count = crossings(vertices, &order);
        if count < best_crossings {
            best_crossings = count;
            best = order.clone();
        }
    }
    best
}

/// Returns each vertex's index within `members` (`None` when absent).
fn positions(members: &[usize], total: usize) -> Vec<Option<usize>> {
    let mut position = vec![None; total];
    for (index, &v) in members.iter().enumerate() {
        position[v] = Some(index);
    }
    position
}

/// Counts the edge crossings between adjacent layers.
fn crossings(vertices: &[Vertex], order: &[Vec<usize>]) -> usize {
    let mut total = 0;
    for pair in order.windows(2) {
        let upper = positions(&pair[0], vertices.len());
        let lower = positions(&pair[1], vertices.len());
        let mut segments: Vec<(usize, usize)> = Vec::new();
        for &v in &pair[0] {
            for &w in &vertices[v].down {
                if let (Some(a), Some(b)) = (upper[v], lower[w]) {
                    segments.push((a, b));
                }
            }
        }
        for (i, &(a1, b1)) in segments.iter().enumerate() {
            for &(a2, b2) in &segments[i + 1..] {
                if (a1 < a2 && b1 > b2) || (a1 > a2 && b1 < b2) {
                    total += 1;
                }
            }
        }
    }
    total
}

/// Returns each vertex's x (centre): packed and centred first, then moved
/// towards its neighbours' mean in alternating passes.
fn place(vertices: &[Vertex], order: &[Vec<usize>], widths: &[f64], gap: f64) -> Vec<f64> {
    let mut x = vec![0.0; vertices.len()];
    let layer_width = |members: &[usize]| -> f64 {
        members.iter().map(|&v| widths[v]).sum::<f64>()
            + gap * members.len().saturating_sub(1) as f64
    };
    let widest = order.iter().map(|m| layer_width(m)).fold(0.0, f64::max);
    for members in order.iter() {
        let mut cursor = (widest - layer_width(members)) / 2.0;
        for &v in members {
            x[v] = cursor + widths[v] / 2.0;
            cursor += widths[v] + gap;
        }
    }
    let layer_count = order.len();
    for pass in 0..PASSES * 2 {
        let downward = pass % 2 == 0;
        let sequence: Vec<usize> = if downward {
            (1..layer_count).collect()
        } else {
            (0..layer_count.saturating_sub(1)).rev().collect()
        };
        for layer in sequence {
            let wishes: Vec<f64> = order[layer]
                .iter()
                .map(|&v| {
                    let neighbours = if downward {
                        &vertices[v].up
                    } else {
                        &vertices[v].down
                    };
                    if neighbours.is_empty() {
                        x[v]
                    } else {
                        neighbours.iter().map(|&n| x[n]).sum::<f64>() / neighbours.len() as f64
                    }
                })
                .collect();
            let placed = fit_in_order(&order[layer], &wishes, widths, gap);
            for (&v, value) in order[layer].iter().zip(placed) {
                x[v] = value;
            }
        }
    }
    x
}

/// Returns the positions closest (least squares) to `wishes` that keep
/// the members in order with at least `gap` between boxes: isotonic
/// regression on the wishes less each member's minimum offset.
fn fit_in_order(members: &[usize], wishes: &[f64], widths: &[f64], gap: f64) -> Vec<f64> {
    let mut offsets = Vec::with_capacity(members.len());
    let mut offset = 0.0;
    for (index, &v) in members.iter().enumerate() {
        if index > 0 {
            offset += widths[members[index - 1]] / 2.0 + gap + widths[v] / 2.0;
        }
        offsets.push(offset);
    }
    // Pool adjacent violators: blocks of (sum, count) with non-decreasing means.
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for (wish, offset) in wishes.iter().zip(&offsets) {
        blocks.push((wish - offset, 1));
        while blocks.len() > 1 {
            let (last_sum, last_count) = blocks[blocks.len() - 1];
            let (prev_sum, prev_count) = blocks[blocks.len() - 2];
            if prev_sum / prev_count as f64 <= last_sum / last_count as f64 {
                break;
            }
            blocks.pop();
            let merged = blocks.len() - 1;
            blocks[merged] = (prev_sum + last_sum, prev_count + last_count);
        }
    }
    let mut out = Vec::with_capacity(members.len());
    for (sum, count) in blocks {
        let mean = sum / count as f64;
        for _ in 0..count {
            out.push(mean + offsets[out.len()]);
        }
    }
    out
}

/// Returns each edge's points: the source's bottom, through its dummies,
/// to the target's top, with ports spread along the boxes' edges.
fn route(
    edges: &[(usize, usize)],
    chains: &[Vec<usize>],
    vertices: &[Vertex],
    center: &dyn Fn(usize) -> i64,
    layer_top: &dyn Fn(usize) -> i64,
    spacing: &Spacing,
) -> Vec<Vec<Point>> {
    // The vertex right after the source and right before the target.
    let first_hop = |index: usize| chains[index].first().copied().unwrap_or(edges[index].1);
    let last_hop = |index: usize| chains[index].last().copied().unwrap_or(edges[index].0);
    let spread = |node: usize, mine: usize, by_source: bool| -> i64 {
        let mut siblings: Vec<usize> = (0..edges.len())
            .filter(|&e| {
                if by_source {
                    edges[e].0 == node
                } else {
                    edges[e].1 == node
                }
            })
            .collect();
        siblings.sort_by_key(|&e| {
            let other = if by_source { first_hop(e) } else { last_hop(e) };
            (center(other), e)
        });
        let count = i64::try_from(siblings.len()).unwrap_or(1);
        let index =
            i64::try_from(siblings.iter().position(|&e| e == mine).unwrap_or(0)).unwrap_or(0);
        let usable = spacing.node_width * 3 / 5;
        if count <= 1 {
            0
        } else {
            -usable / 2 + usable * index / (count - 1)
        }
    };
    edges
        .iter()
        .enumerate()
        .map(|(index, &(from, to))| {
            let mut points = vec![(
                center(from) + spread(from, index, true),
                layer_top(vertices[from].layer) + spacing.node_height,
            )];
            for &dummy in &chains[index] {
                let top = layer_top(vertices[dummy].layer);
                points.push((center(dummy), top));
                points.push((center(dummy), top + spacing.node_height));
            }
            points.push((
                center(to) + spread(to, index, false),
                layer_top(vertices[to].layer),
            ));
            points
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACING: Spacing = Spacing {
        node_width: 100,
        node_height: 40,
        layer_gap: 30,
        node_gap: 20,
        margin: 10,
    };

    fn check_no_overlap(layout: &Layout) {
        for a in 0..layout.nodes.len() {
            for b in a + 1..layout.nodes.len() {
                if layout.layers[a] == layout.layers[b] {
                    let distance = (layout.nodes[a].0 - layout.nodes[b].0).abs();
                    assert!(
                        distance >= SPACING.node_width + SPACING.node_gap - 1,
                        "{a} and {b} overlap: {layout:?}"
                    );
                }
            }
            let (x, y) = layout.nodes[a];
            assert!(x >= 0 && y >= 0, "{layout:?}");
            assert!(x + SPACING.node_width <= layout.width, "{layout:?}");
            assert!(y + SPACING.node_height <= layout.height, "{layout:?}");
        }
    }

    #[test]
    fn a_chain_is_one_straight_column() {
        let layout = layered(3, &[(0, 1), (1, 2)], &SPACING);
        assert_eq!(layout.layers, vec![0, 1, 2]);
        assert!(layout.nodes.iter().all(|node| node.0 == layout.nodes[0].0));
        assert_eq!(layout.nodes[1].1, 10 + 70);
        assert_eq!(layout.width, 120);
        assert_eq!(layout.height, 10 + 3 * 40 + 2 * 30 + 10);
        assert_eq!(layout.routes[0], vec![(60, 50), (60, 80)]);
    }

    #[test]
    fn a_diamond_is_symmetric() {
        let layout = layered(4, &[(0, 1), (0, 2), (1, 3), (2, 3)], &SPACING);
        assert_eq!(layout.layers, vec![0, 1, 1, 2]);
        check_no_overlap(&layout);
        let middle = (layout.nodes[1].0 + layout.nodes[2].0) / 2;
        assert_eq!(layout.nodes[0].0, middle);
        assert_eq!(layout.nodes[3].0, middle);
        assert!(layout.nodes[1].0 < layout.nodes[2].0, "plan order kept");
        // Two edges leave the top node from different ports.
        assert_ne!(layout.routes[0][0], layout.routes[1][0]);
    }

    #[test]
    fn a_long_edge_goes_around_the_node_in_between() {
        // 0 → 1 → 2 and 0 → 2: the long edge passes a dummy beside node 1.
        let layout = layered(3, &[(0, 1), (1, 2), (0, 2)], &SPACING);
        check_no_overlap(&layout);
        let long = &layout.routes[2];
        assert_eq!(long.len(), 4, "{long:?}");
        let (x1, y1) = layout.nodes[1];
        for &(x, y) in &long[1..3] {
            let inside =
                x >= x1 && x <= x1 + SPACING.node_width && y >= y1 && y <= y1 + SPACING.node_height;
            assert!(!inside, "the long edge crosses node 1 at ({x}, {y})");
        }
    }

    #[test]
    fn crossings_are_removed_when_they_can_be() {
        // Sources 0, 1; node 2 depends on 1 and node 3 on 0: plan order crosses.
        let edges = [(1, 2), (0, 3)];
        let layout = layered(4, &edges, &SPACING);
        check_no_overlap(&layout);
        assert!(
            layout.nodes[3].0 < layout.nodes[2].0,
            "3 sits under 0, 2 under 1: {layout:?}"
        );
    }

    #[test]
    fn the_layout_is_deterministic_and_handles_odd_input() {
        let edges = [(0, 3), (1, 3), (2, 4), (3, 5), (4, 5), (0, 5), (1, 4)];
        let first = layered(6, &edges, &SPACING);
        assert_eq!(first, layered(6, &edges, &SPACING));
        check_no_overlap(&first);
        let empty = layered(0, &[], &SPACING);
        assert_eq!((empty.width, empty.height), (20, 20));
        // Out-of-range and self edges are ignored; a cycle does not hang.
        let odd = layered(2, &[(0, 0), (0, 7), (0, 1), (1, 0)], &SPACING);
        assert_eq!(odd.nodes.len(), 2);
        assert_eq!(odd.routes.len(), 2);
    }

    #[test]
    fn independent_tasks_share_the_top_layer() {
        let layout = layered(5, &[], &SPACING);
        assert!(layout.layers.iter().all(|&layer| layer == 0));
        check_no_overlap(&layout);
        let xs: Vec<i64> = layout.nodes.iter().map(|node| node.0).collect();
        assert!(xs.windows(2).all(|pair| pair[0] < pair[1]), "{xs:?}");
    }
}
