//! The graph of a tag's tasks and subtasks, and the nexus tasks it becomes:
//! nodes with duplicates reported, dependencies resolved in both forms,
//! cycles looked for under the parent/subtask rule, statuses decided (a
//! parent's covering its subtasks), and the tasks emitted in plan order
//! with dependencies passed through skipped tasks (see the module docs of
//! [`crate::taskmaster`] for the rules).

use std::collections::{BTreeSet, HashMap};

use super::import::{ImportStatus, Imported, ImportedTask, Origin, Role};
use super::locate::Located;
use super::read::{Item, Reader, Reference};
use super::text::spec;

/// What happens to a task on import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    Done,
    Pending,
    Skip,
}

/// One task or subtask in the dependency graph.
pub(super) struct GraphNode<'a> {
    pub(super) item: &'a Item,
    /// Its parent's node, for a subtask.
    pub(super) parent: Option<usize>,
    /// Its subtasks' nodes, for a task.
    pub(super) children: Vec<usize>,
    /// The full Task Master id (`3`, `3.2`).
    pub(super) id: String,
    pub(super) task_id: String,
    pub(super) subtask_id: Option<String>,
    /// Its own dependencies, resolved to nodes, in file order.
    pub(super) dependencies: Vec<usize>,
    pub(super) decision: Decision,
}

/// The nodes of a tag and the indexes to find them by id.
struct Graph<'a> {
    nodes: Vec<GraphNode<'a>>,
    /// Task id → node.
    tasks: HashMap<String, usize>,
    /// (task id, subtask id) → node.
    subtasks: HashMap<(String, String), usize>,
}

/// Returns the tasks of the tag `located` whose `items` were read by
/// `reader`, which collects the problems and warnings found on the way.
/// `path` only names the file in texts.
pub(super) fn build(
    path: &str,
    located: &Located<'_>,
    items: &[Item],
    reader: &mut Reader,
) -> Imported {
    let mut graph = nodes(&located.tag, items, &mut reader.problems);
    resolve_dependencies(&mut graph, reader);
    report_cycles(&graph.nodes, &mut reader.problems);
    decide_statuses(&mut graph.nodes, &mut reader.warnings);
    emit(path, located, &graph.nodes, reader)
}

/// Returns nodes for every task and subtask whose id is known; duplicates
/// are reported and left out.
fn nodes<'a>(tag: &str, items: &'a [Item], problems: &mut Vec<String>) -> Graph<'a> {
    let mut graph = Graph {
        nodes: Vec::new(),
        tasks: HashMap::new(),
        subtasks: HashMap::new(),
    };
    let seen = positions_by_id(items);
    let mut reported = BTreeSet::new();
    for item in items {
        let Some(task_id) = &item.id else { continue };
        if let Some(positions) = seen.get(task_id.as_str()).filter(|found| found.len() > 1) {
            if reported.insert(task_id.clone()) {
                problems.push(format!(
                    "duplicate task id `{task_id}` (tasks {} of tag `{tag}`)",
                    positions_text(positions)
                ));
            }
            if graph.tasks.contains_key(task_id) {
                continue;
            }
        }
        let parent_node = graph.nodes.len();
        graph.tasks.insert(task_id.clone(), parent_node);
        graph.nodes.push(GraphNode {
            item,
            parent: None,
            children: Vec::new(),
            id: task_id.clone(),
            task_id: task_id.clone(),
            subtask_id: None,
            dependencies: Vec::new(),
            decision: Decision::Pending,
        });
        let sub_seen = positions_by_id(&item.subtasks);
        let mut sub_reported = BTreeSet::new();
        for subtask in &item.subtasks {
            let Some(subtask_id) = &subtask.id else {
                continue;
            };
            let key = (task_id.clone(), subtask_id.clone());
            if let Some(positions) = sub_seen
                .get(subtask_id.as_str())
                .filter(|found| found.len() > 1)
            {
                if sub_reported.insert(subtask_id.clone()) {
                    problems.push(format!(
                        "task `{task_id}` has duplicate subtask id `{subtask_id}` (subtasks {})",
                        positions_text(positions)
                    ));
                }
                if graph.subtasks.contains_key(&key) {
                    continue;
                }
            }
            let node = graph.nodes.len();
            graph.subtasks.insert(key, node);
            graph.nodes[parent_node].children.push(node);
            graph.nodes.push(GraphNode {
                item: subtask,
                parent: Some(parent_node),
                children: Vec::new(),
                id: format!("{task_id}.{subtask_id}"),
                task_id: task_id.clone(),
                subtask_id: Some(subtask_id.clone()),
                dependencies: Vec::new(),
                decision: Decision::Pending,
            });
        }
    }
    graph
}

/// Returns the 1-based positions of the items with each id.
fn positions_by_id(items: &[Item]) -> HashMap<&str, Vec<usize>> {
    let mut seen: HashMap<&str, Vec<usize>> = HashMap::new();
    for item in items {
        if let Some(id) = &item.id {
            seen.entry(id).or_default().push(item.position);
        }
    }
    seen
}

fn positions_text(positions: &[usize]) -> String {
    positions
        .iter()
        .map(|position| format!("#{position}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Resolves every node's dependencies to nodes, reporting those that do
/// not exist and dropping (with a warning) those the parent/subtask rule
/// makes say nothing.
fn resolve_dependencies(graph: &mut Graph<'_>, reader: &mut Reader) {
    let nodes = &graph.nodes;
    let mut all_resolved = Vec::with_capacity(nodes.len());
    for (index, node) in nodes.iter().enumerate() {
        let mut resolved = Vec::new();
        for reference in &node.item.dependencies {
            let Some(target) = resolve(graph, node, reference, &mut reader.warnings) else {
                continue;
            };
            match target {
                Some(target) if node.parent.is_none() && nodes[target].parent == Some(index) => {
                    reader.warnings.push(format!(
                        "task `{}` depends on its own subtask `{}`: dropped, since a task waits for all its subtasks anyway",
                        node.id, nodes[target].id
                    ));
                }
                Some(target) => {
                    if !resolved.contains(&target) {
                        resolved.push(target);
                    }
                }
                None => {
                    let hint = match (reference, node.parent) {
                        (Reference::Plain(id), Some(_)) => format!(
                            " (a plain id in a subtask's dependencies names a sibling subtask, else a task: there is no subtask `{}.{id}` and no task `{id}`)",
                            node.task_id
                        ),
                        _ => String::new(),
                    };
                    reader.problems.push(format!(
                        "task `{}` depends on `{reference}`, which does not exist{hint}",
                        node.id
                    ));
                }
            }
        }
        all_resolved.push(resolved);
    }
    for (node, resolved) in graph.nodes.iter_mut().zip(all_resolved) {
        node.dependencies = resolved;
    }
}

/// Returns the node `reference` names in `node`'s dependencies: `Some(None)`
/// when none exists, `None` when the dependency is dropped (a subtask's on
/// its own parent, with a warning).
fn resolve(
    graph: &Graph<'_>,
    node: &GraphNode<'_>,
    reference: &Reference,
    warnings: &mut Vec<String>,
) -> Option<Option<usize>> {
    Some(match reference {
        Reference::Dotted(task, subtask) => graph
            .subtasks
            .get(&(task.clone(), subtask.clone()))
            .copied(),
        Reference::Plain(id) => match node.parent {
            None => graph.tasks.get(id).copied(),
            // In a subtask a plain id names a sibling (Task Master's
            // `next` and cycle check read it so); failing that, a
            // top-level task (as its `validate-dependencies` does).
            Some(parent) => {
                let sibling = graph
                    .subtasks
                    .get(&(node.task_id.clone(), id.clone()))
                    .copied();
                match (sibling, graph.tasks.get(id).copied()) {
                    (Some(sibling), _) => Some(sibling),
                    (None, Some(task)) if task == parent => {
                        warnings.push(format!(
                            "task `{}` depends on its own parent `{id}`: dropped, since a subtask already waits for what its parent waits for",
                            node.id
                        ));
                        return None;
                    }
                    (None, Some(task)) => {
                        warnings.push(format!(
                            "task `{}` depends on `{id}`: there is no subtask `{}.{id}`, so it is read as task `{id}`",
                            node.id, node.task_id
                        ));
                        Some(task)
                    }
                    (None, None) => None,
                }
            }
        },
    })
}

/// Reports cycles over the graph the import produces: a parent waits for
/// its subtasks and a subtask for what its parent waits for.
fn report_cycles(nodes: &[GraphNode<'_>], problems: &mut Vec<String>) {
    let full_edges: Vec<Vec<usize>> = (0..nodes.len())
        .map(|index| full_edges(nodes, index))
        .collect();
    for cycle in crate::plan::graph::find_cycles(&full_edges) {
        let names: Vec<&str> = cycle.iter().map(|node| nodes[*node].id.as_str()).collect();
        let through_parent = cycle
            .iter()
            .zip(cycle.iter().cycle().skip(1))
            .any(|(from, to)| nodes[*to].parent == Some(*from));
        problems.push(format!(
            "dependency cycle: {}{}",
            crate::plan::graph::name_cycle(&names),
            if through_parent {
                " (a task with subtasks waits for all of them)"
            } else {
                ""
            }
        ));
    }
}

/// Decides what happens to each node from its status; a done, cancelled or
/// deferred parent's status covers its subtasks.
fn decide_statuses(nodes: &mut [GraphNode<'_>], warnings: &mut Vec<String>) {
    for node in nodes.iter_mut() {
        let (decision, unknown) = decide(node.item.status.as_deref());
        if let Some(status) = unknown {
            warnings.push(format!(
                "task `{}` has unknown status `{status}`: imported as pending",
                node.id
            ));
        }
        node.decision = decision;
    }
    for index in 0..nodes.len() {
        let parent_decision = nodes[index].decision;
        if nodes[index].parent.is_some() || parent_decision == Decision::Pending {
            continue;
        }
        let changed: Vec<usize> = nodes[index]
            .children
            .iter()
            .copied()
            .filter(|child| {
                nodes[*child].decision != parent_decision
                    && nodes[*child].decision != Decision::Skip
            })
            .collect();
        if changed.is_empty() {
            continue;
        }
        let names = id_list(nodes, &changed);
        let status = nodes[index].item.status.as_deref().unwrap_or_default();
        warnings.push(match parent_decision {
            Decision::Done => format!(
                "task `{}` is `{status}`, so its subtasks {names} count as done too (Task Master marks subtasks done with their parent)",
                nodes[index].id
            ),
            _ => format!(
                "task `{}` is `{status}`, so its subtasks {names} are skipped too",
                nodes[index].id
            ),
        });
        for child in changed {
            nodes[child].decision = parent_decision;
        }
    }
}

/// Returns the tasks in plan order (each parent's subtasks, then the
/// parent), the skipped ones apart, with the warnings collected.
fn emit(
    path: &str,
    located: &Located<'_>,
    nodes: &[GraphNode<'_>],
    reader: &mut Reader,
) -> Imported {
    let tag = &located.tag;
    let mut imported = Imported {
        tag: tag.clone(),
        layout: located.layout,
        tasks: Vec::new(),
        skipped: Vec::new(),
        warnings: Vec::new(),
    };
    let mut passed: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut order: Vec<usize> = Vec::new();
    for (index, node) in nodes.iter().enumerate() {
        if node.parent.is_none() {
            order.extend(node.children.iter().copied());
            order.push(index);
        }
    }
    let broken = !reader.problems.is_empty();
    for index in order {
        let node = &nodes[index];
        let origin = Origin {
            task_id: node.task_id.clone(),
            subtask_id: node.subtask_id.clone(),
            status: node.item.status.clone(),
        };
        if node.decision == Decision::Skip {
            imported.skipped.push(origin);
            continue;
        }
        let active_children: Vec<usize> = node
            .children
            .iter()
            .copied()
            .filter(|child| nodes[*child].decision != Decision::Skip)
            .collect();
        let role = match (node.parent, active_children.is_empty()) {
            (Some(_), _) => Role::Subtask,
            (None, true) => Role::Task,
            (None, false) => Role::ParentCheck,
        };
        // With problems (a cycle above all) the graph is not walked.
        let depends_on = if broken {
            Vec::new()
        } else {
            depends_on(
                nodes,
                index,
                role,
                &active_children,
                &mut passed,
                &mut reader.warnings,
            )
        };
        let spec = spec(path, tag, nodes, index, role, &active_children, depends_on);
        imported.tasks.push(ImportedTask {
            spec,
            origin,
            role,
            status: if node.decision == Decision::Done {
                ImportStatus::Done
            } else {
                ImportStatus::Pending
            },
        });
    }
    imported.warnings = std::mem::take(&mut reader.warnings);
    imported
}

/// Returns the nexus dependencies of node `index` in `role`: a check's are
/// its active subtasks, a subtask's its own and its parent's; a skipped
/// one is replaced by what it waited for (with a warning). The graph has
/// no cycle here.
fn depends_on(
    nodes: &[GraphNode<'_>],
    index: usize,
    role: Role,
    active_children: &[usize],
    passed: &mut HashMap<usize, Vec<usize>>,
    warnings: &mut Vec<String>,
) -> Vec<String> {
    let node = &nodes[index];
    let direct: Vec<usize> = match role {
        Role::ParentCheck => active_children.to_vec(),
        Role::Task => node.dependencies.clone(),
        Role::Subtask => {
            let mut direct = node.dependencies.clone();
            if let Some(parent) = node.parent {
                direct.extend(nodes[parent].dependencies.iter().copied());
            }
            direct
        }
    };
    let mut targets = Vec::new();
    for target in direct {
        if nodes[target].decision == Decision::Skip {
            let through = pass_through(nodes, target, passed);
            warnings.push(format!(
                "task `{}` depends on `{}`, which is skipped: it waits instead for what `{}` waited for ({})",
                node.id,
                nodes[target].id,
                nodes[target].id,
                if through.is_empty() {
                    "nothing".to_string()
                } else {
                    id_list(nodes, &through)
                }
            ));
            targets.extend(through);
        } else {
            targets.push(target);
        }
    }
    let mut depends_on: Vec<String> = Vec::new();
    for target in targets {
        let id = &nodes[target].id;
        if target != index && !depends_on.contains(id) {
            depends_on.push(id.clone());
        }
    }
    depends_on
}

/// The edges of a node in the graph the import produces, skipped nodes
/// included: a parent waits for its own dependencies and all its subtasks,
/// a subtask for its own and its parent's dependencies.
fn full_edges(nodes: &[GraphNode<'_>], index: usize) -> Vec<usize> {
    let node = &nodes[index];
    let mut edges = node.dependencies.clone();
    match node.parent {
        Some(parent) => edges.extend(nodes[parent].dependencies.iter().copied()),
        None => edges.extend(node.children.iter().copied()),
    }
    edges
}

/// Returns the imported nodes a dependency on the skipped node `index`
/// stands for: what it waited for, itself passed through when skipped.
/// The graph has no cycle here (checked first).
fn pass_through(
    nodes: &[GraphNode<'_>],
    index: usize,
    memo: &mut HashMap<usize, Vec<usize>>,
) -> Vec<usize> {
    if let Some(done) = memo.get(&index) {
        return done.clone();
    }
    let mut out = Vec::new();
    for target in full_edges(nodes, index) {
        let found = if nodes[target].decision == Decision::Skip {
            pass_through(nodes, target, memo)
        } else {
            vec![target]
        };
        for target in found {
            if !out.contains(&target) {
                out.push(target);
            }
        }
    }
    memo.insert(index, out.clone());
    out
}

/// Returns what a status means on import, and the status when it is not
/// one Task Master knows.
fn decide(status: Option<&str>) -> (Decision, Option<&str>) {
    let Some(status) = status else {
        return (Decision::Pending, None);
    };
    match status.trim().to_ascii_lowercase().as_str() {
        "done" | "completed" => (Decision::Done, None),
        "cancelled" | "canceled" | "deferred" => (Decision::Skip, None),
        "pending" | "in-progress" | "review" | "blocked" => (Decision::Pending, None),
        _ => (Decision::Pending, Some(status)),
    }
}

/// Returns the ids of `list` as `` `a`, `b` ``.
pub(super) fn id_list(nodes: &[GraphNode<'_>], list: &[usize]) -> String {
    list.iter()
        .map(|index| format!("`{}`", nodes[*index].id))
        .collect::<Vec<_>>()
        .join(", ")
}
