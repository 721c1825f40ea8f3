//! Kill sets in one pass: strongly connected components of the dependencies in
//! dependency-first order; inside a cycle, iterate from the own failure events until
//! nothing changes. Sets are sorted slices, shared where a component adds nothing to
//! what it depends on.

use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};

use super::demand::Clause;
use super::{EventId, KillSet};

/// The analysis would have handled more set elements than its bound allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkLimitExceeded {
    /// The bound.
    pub limit: usize,
}

fn union(a: &[EventId], b: &[EventId]) -> Vec<EventId> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

fn intersection(a: &[EventId], b: &[EventId]) -> Vec<EventId> {
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// The events that stand in more than `tolerates` of the sets: those that stop a k-of-n
/// gate over them, with `tolerates` = n - k. Sorted.
pub fn in_more_than<'a>(
    sets: impl Iterator<Item = &'a [EventId]>,
    tolerates: usize,
) -> Vec<EventId> {
    let mut all: Vec<EventId> = sets.flatten().copied().collect();
    all.sort_unstable();
    all.chunk_by(|a, b| a == b)
        .filter(|run| run.len() > tolerates)
        .map(|run| run[0])
        .collect()
}

struct Solver<'a> {
    own: &'a [Vec<EventId>],
    demands: &'a [Vec<Clause>],
    kill: Vec<KillSet>,
    empty: KillSet,
    work: usize,
    limit: usize,
}

impl Solver<'_> {
    fn charge(&mut self, n: usize) -> Result<(), WorkLimitExceeded> {
        self.work += n;
        if self.work > self.limit {
            return Err(WorkLimitExceeded { limit: self.limit });
        }
        Ok(())
    }

    /// Intersects sets (OR: every alternative must fail). Shares the input when all
    /// inputs are the same set.
    fn meet(
        &mut self,
        sets: impl IntoIterator<Item = KillSet>,
    ) -> Result<KillSet, WorkLimitExceeded> {
        let mut sets = sets.into_iter();
        let Some(mut acc) = sets.next() else {
            return Ok(self.empty.clone());
        };
        for s in sets {
            if acc.is_empty() {
                break;
            }
            if Arc::ptr_eq(&acc, &s) {
                continue;
            }
            self.charge(acc.len() + s.len())?;
            acc = intersection(&acc, &s).into();
        }
        Ok(acc)
    }

    /// The events in more than `tolerates` of the sets: those that stop a k-of-n gate
    /// over them (`tolerates` = n - k; n - 1 is an OR, whose sets are intersected).
    fn gate(&mut self, sets: Vec<KillSet>, tolerates: usize) -> Result<KillSet, WorkLimitExceeded> {
        if tolerates + 1 >= sets.len() {
            return self.meet(sets);
        }
        self.charge(sets.iter().map(|s| s.len()).sum())?;
        Ok(in_more_than(sets.iter().map(|s| &s[..]), tolerates).into())
    }

    /// Unions sets (AND: any failing is enough) in one merge, however many there are:
    /// pairwise unions into a growing set would cost the square of a wide fan-out.
    fn join(&mut self, mut parts: Vec<KillSet>) -> Result<KillSet, WorkLimitExceeded> {
        parts.retain(|p| !p.is_empty());
        parts.sort_unstable_by_key(|p| Arc::as_ptr(p).cast::<EventId>() as usize);
        parts.dedup_by(|a, b| Arc::ptr_eq(a, b));
        match parts.len() {
            0 => Ok(self.empty.clone()),
            1 => Ok(parts.pop().expect("one part")),
            2 => {
                self.charge(parts[0].len() + parts[1].len())?;
                Ok(union(&parts[0], &parts[1]).into())
            }
            _ => {
                let total: usize = parts.iter().map(|p| p.len()).sum();
                self.charge(total)?;
                let mut all = Vec::with_capacity(total);
                for p in &parts {
                    all.extend_from_slice(p);
                }
                all.sort_unstable();
                all.dedup();
                Ok(all.into())
            }
        }
    }

    /// The kill set of `c` from the current sets of what it depends on.
    fn evaluate(&mut self, c: usize) -> Result<KillSet, WorkLimitExceeded> {
        let demands = self.demands;
        let mut parts: Vec<KillSet> = Vec::with_capacity(demands[c].len() + 1);
        if !self.own[c].is_empty() {
            parts.push(self.own[c].as_slice().into());
        }
        for clause in &demands[c] {
            // OR over alternatives: intersect each alternative's set.
            let mut clause_set: Option<KillSet> = None;
            for alt in &clause.alts {
                // AND over slots: union of each slot's intersection.
                let mut slot_sets = Vec::with_capacity(alt.slots.len());
                for slot in &alt.slots {
                    let sets: Vec<KillSet> = slot
                        .nodes
                        .iter()
                        .map(|n| self.kill[n.index()].clone())
                        .collect();
                    slot_sets.push(self.gate(sets, slot.tolerates())?);
                }
                let alt_set = self.join(slot_sets)?;
                let next = match clause_set.take() {
                    None => alt_set,
                    Some(prev) => self.meet([prev, alt_set])?,
                };
                let done = next.is_empty();
                clause_set = Some(next);
                if done {
                    break;
                }
            }
            parts.extend(clause_set);
        }
        self.join(parts)
    }
}

/// Computes every component's kill set (the model has `hosts` hosts).
pub fn compute(
    own: &[Vec<EventId>],
    demands: &[Vec<Clause>],
    hosts: usize,
    limit: usize,
) -> Result<Vec<KillSet>, WorkLimitExceeded> {
    let n = own.len();
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, n);
    for _ in 0..n {
        graph.add_node(());
    }
    for (c, clauses) in demands.iter().enumerate() {
        for clause in clauses {
            for alt in &clause.alts {
                for slot in &alt.slots {
                    for node in &slot.nodes {
                        graph.add_edge(NodeIndex::new(c), NodeIndex::new(node.index()), ());
                    }
                }
            }
        }
    }
    let empty: KillSet = Arc::from(Vec::new());
    let mut solver = Solver {
        own,
        demands,
        kill: vec![empty.clone(); n],
        empty,
        work: 0,
        limit,
    };
    // Every component's set is handled at least once, and every host is an event:
    // the bound that the reader checks as it counts them (`yaml::Limits::max_elements`).
    solver.charge(n + hosts)?;
    // Tarjan's algorithm yields components dependencies-first.
    for scc in petgraph::algo::tarjan_scc(&graph) {
        let cyclic = scc.len() > 1 || graph.contains_edge(scc[0], scc[0]);
        if !cyclic {
            let c = scc[0].index();
            solver.kill[c] = solver.evaluate(c)?;
            continue;
        }
        for node in &scc {
            solver.kill[node.index()] = own[node.index()].clone().into();
        }
        loop {
            let mut changed = false;
            for node in &scc {
                let c = node.index();
                let next = solver.evaluate(c)?;
                // Sets only grow from the own events, so a longer set is a changed one.
                if next.len() != solver.kill[c].len() {
                    solver.kill[c] = next;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }
    Ok(solver.kill)
}

#[cfg(test)]
mod tests {
    use super::{EventId, intersection, union};

    fn ids(v: &[u32]) -> Vec<EventId> {
        v.iter().map(|i| EventId(*i)).collect()
    }

    #[test]
    fn sorted_set_operations() {
        assert_eq!(
            union(&ids(&[1, 3, 5]), &ids(&[2, 3, 6])),
            ids(&[1, 2, 3, 5, 6])
        );
        assert_eq!(
            intersection(&ids(&[1, 3, 5]), &ids(&[2, 3, 5])),
            ids(&[3, 5])
        );
        assert_eq!(intersection(&ids(&[1]), &ids(&[])), ids(&[]));
    }
}
