//! The dependency graph of a plan, for scheduling: which tasks are ready,
//! the order among ready tasks, and the topological order for `--dry-run`.

use std::collections::{BTreeMap, BTreeSet};

use crate::state::plan::{Plan, Priority};

/// Index-based view of a plan's dependencies.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Task ids in plan order.
    pub ids: Vec<String>,
    /// For each task, the indices it depends on.
    pub deps: Vec<Vec<usize>>,
    /// For each task, the indices depending on it.
    pub dependents: Vec<Vec<usize>>,
    /// For each task, the longest path in time from its start to the end
    /// of the plan: its own weight plus the longest of its dependents'
    /// (milliseconds; every task weighs 1 until [`Graph::with_weights`]).
    pub remaining_ms: Vec<u64>,
    /// Priorities.
    pub priority: Vec<Priority>,
    /// The topological order (dependencies first, plan order among equals).
    order: Vec<usize>,
}

impl Graph {
    /// Builds the graph; fails naming an unknown dependency or a cycle.
    pub fn new(plan: &Plan) -> Result<Self, String> {
        let ids: Vec<String> = plan.task_ids();
        let index: BTreeMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        let mut deps = vec![Vec::new(); ids.len()];
        let mut dependents = vec![Vec::new(); ids.len()];
        for (i, task) in plan.tasks.iter().enumerate() {
            for dep in &task.depends_on {
                let Some(&j) = index.get(dep.as_str()) else {
                    return Err(format!(
                        "task `{}` depends on unknown task `{dep}`",
                        task.id
                    ));
                };
                deps[i].push(j);
                dependents[j].push(i);
            }
        }
        let order = topological(&deps).map_err(|cycle| {
            let names: Vec<&str> = cycle.iter().map(|&i| ids[i].as_str()).collect();
            format!("the plan has a dependency cycle: {}", name_cycle(&names))
        })?;
        let priority = plan.tasks.iter().map(|task| task.priority).collect();
        let mut graph = Graph {
            remaining_ms: vec![0; ids.len()],
            ids,
            deps,
            dependents,
            priority,
            order,
        };
        graph.set_remaining(&vec![1; graph.ids.len()]);
        Ok(graph)
    }

    /// Returns the graph with each task weighted by its estimated duration,
    /// so the ready order follows the critical path in time.
    #[must_use]
    pub fn with_weights(mut self, weights: &[std::time::Duration]) -> Self {
        let weights: Vec<u64> = weights
            .iter()
            .map(|weight| u64::try_from(weight.as_millis()).unwrap_or(u64::MAX))
            .collect();
        self.set_remaining(&weights);
        self
    }

    fn set_remaining(&mut self, weights: &[u64]) {
        for &i in self.order.iter().rev() {
            let after = self.dependents[i]
                .iter()
                .map(|&j| self.remaining_ms[j])
                .max()
                .unwrap_or(0);
            self.remaining_ms[i] = weights.get(i).copied().unwrap_or(1).saturating_add(after);
        }
    }

    /// Returns the tasks of the longest path in time, first to last.
    pub fn critical_path(&self) -> Vec<usize> {
        let mut path = Vec::new();
        let mut current = (0..self.ids.len())
            .filter(|&i| self.deps[i].is_empty())
            .max_by_key(|&i| (self.remaining_ms[i], std::cmp::Reverse(i)));
        while let Some(i) = current {
            path.push(i);
            current = self.dependents[i]
                .iter()
                .copied()
                .max_by_key(|&j| (self.remaining_ms[j], std::cmp::Reverse(j)));
        }
        path
    }

    /// Returns the topological order (dependencies first, plan order among
    /// equals).
    pub fn order(&self) -> Vec<usize> {
        self.order.clone()
    }

    /// Sorts ready task indices: higher priority first, then the longest
    /// remaining path in time, then plan order.
    pub fn sort_ready(&self, ready: &mut [usize]) {
        ready.sort_by(|&a, &b| {
            self.priority[a]
                .cmp(&self.priority[b])
                .then(self.remaining_ms[b].cmp(&self.remaining_ms[a]))
                .then(a.cmp(&b))
        });
    }

    /// Returns every task that depends on `index`, directly or not.
    pub fn downstream(&self, index: usize) -> Vec<usize> {
        let mut seen = vec![false; self.ids.len()];
        let mut stack = self.dependents[index].clone();
        let mut out = Vec::new();
        while let Some(i) = stack.pop() {
            if !seen[i] {
                seen[i] = true;
                out.push(i);
                stack.extend(self.dependents[i].iter().copied());
            }
        }
        out.sort_unstable();
        out
    }
}

/// Kahn's algorithm, smallest index first; on a cycle returns one cycle
/// (each task depends on the next).
fn topological(deps: &[Vec<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let n = deps.len();
    let mut remaining: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut dependents = vec![Vec::new(); n];
    for (i, list) in deps.iter().enumerate() {
        for &j in list {
            dependents[j].push(i);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| remaining[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &j in &dependents[i] {
            remaining[j] -= 1;
            if remaining[j] == 0 {
                ready.insert(j);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    let cycle = find_cycles(deps).into_iter().next().unwrap_or_default();
    Err(cycle)
}

/// Returns `a → b → c → a` for the cycle `[a, b, c]` (each depends on the next).
pub fn name_cycle(ids: &[&str]) -> String {
    let mut parts: Vec<&str> = ids.to_vec();
    if let Some(first) = ids.first() {
        parts.push(first);
    }
    format!("`{}`", parts.join(" → "))
}

/// Returns the distinct cycles of a graph given as adjacency lists, each as
/// the node list starting at its lowest node, in order of discovery.
pub fn find_cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    fn visit(
        node: usize,
        edges: &[Vec<usize>],
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
        found: &mut Vec<Vec<usize>>,
        seen: &mut BTreeSet<Vec<usize>>,
    ) {
        marks[node] = Mark::OnStack;
        stack.push(node);
        for &next in &edges[node] {
            match marks[next] {
                Mark::New => visit(next, edges, marks, stack, found, seen),
                Mark::OnStack => {
                    if let Some(start) = stack.iter().position(|&entry| entry == next) {
                        let mut cycle = stack[start..].to_vec();
                        if let Some(lowest) = (0..cycle.len()).min_by_key(|&i| cycle[i]) {
                            cycle.rotate_left(lowest);
                        }
                        let mut key = cycle.clone();
                        key.sort_unstable();
                        if seen.insert(key) {
                            found.push(cycle);
                        }
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks[node] = Mark::Done;
    }
    let mut marks = vec![Mark::New; edges.len()];
    let mut found = Vec::new();
    let mut seen = BTreeSet::new();
    let mut stack = Vec::new();
    for node in 0..edges.len() {
        if marks[node] == Mark::New {
            visit(node, edges, &mut marks, &mut stack, &mut found, &mut seen);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::testing;
    use crate::state::plan::{TaskSpec, TaskType};

    fn plan(edges: &[(&str, &[&str], Priority)]) -> Plan {
        testing::plan(
            edges
                .iter()
                .map(|(id, deps, priority)| TaskSpec {
                    task_type: TaskType::Analysis,
                    priority: *priority,
                    ..testing::task(id, deps)
                })
                .collect(),
        )
    }

    #[test]
    fn ready_tasks_sort_by_priority_then_remaining_path_then_plan_order() {
        let graph = Graph::new(&plan(&[
            ("leaf", &[], Priority::Medium),
            ("root", &[], Priority::Medium),
            ("mid", &["root"], Priority::Medium),
            ("end", &["mid"], Priority::Medium),
            ("urgent", &[], Priority::Critical),
        ]))
        .unwrap();
        let mut ready = vec![0, 1, 4];
        graph.sort_ready(&mut ready);
        assert_eq!(
            ready,
            vec![4, 1, 0],
            "critical first, then the longest chain"
        );
        assert_eq!(graph.downstream(1), vec![2, 3]);
    }

    #[test]
    fn cycles_are_named() {
        let error = Graph::new(&plan(&[
            ("a", &["c"], Priority::Medium),
            ("b", &["a"], Priority::Medium),
            ("c", &["b"], Priority::Medium),
        ]))
        .unwrap_err();
        assert!(error.contains("cycle"), "{error}");
        // Named as the validator names cycles: each task depends on the next.
        assert!(error.contains("`a → c → b → a`"), "{error}");
        let unknown = Graph::new(&plan(&[("a", &["zz"], Priority::Medium)])).unwrap_err();
        assert!(unknown.contains("`zz`"));
    }

    #[test]
    fn order_puts_dependencies_first() {
        let graph = Graph::new(&plan(&[
            ("d", &["b", "c"], Priority::Medium),
            ("b", &["a"], Priority::Medium),
            ("c", &["a"], Priority::Medium),
            ("a", &[], Priority::Medium),
        ]))
        .unwrap();
        let order: Vec<&str> = graph
            .order()
            .iter()
            .map(|&i| graph.ids[i].as_str())
            .collect();
        assert_eq!(order, vec!["a", "b", "c", "d"]);
    }
}
