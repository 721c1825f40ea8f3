//! Kill sets in one pass: strongly connected components of the dependencies in
//! dependency-first order; inside a cycle, iterate from the own failure events until
//! nothing changes. Sets are sorted slices, shared where a component adds nothing to
//! what it depends on.

use std::rc::Rc;

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

/// A set being built: shared until something changes it.
enum Acc {
    Shared(KillSet),
    Owned(Vec<EventId>),
}

impl Acc {
    fn as_slice(&self) -> &[EventId] {
        match self {
            Acc::Shared(s) => s,
            Acc::Owned(v) => v,
        }
    }

    fn into_set(self) -> KillSet {
        match self {
            Acc::Shared(s) => s,
            Acc::Owned(v) => v.into(),
        }
    }
}

struct Solver<'a> {
    own: &'a [Vec<EventId>],
    demands: &'a [Vec<Clause>],
    kill: Vec<KillSet>,
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

    /// Intersects sets (OR: every alternative must fail).
    fn meet<I: Iterator<Item = KillSet>>(&mut self, mut sets: I) -> Result<Acc, WorkLimitExceeded> {
        let Some(first) = sets.next() else {
            return Ok(Acc::Owned(Vec::new()));
        };
        let mut acc = Acc::Shared(first);
        for s in sets {
            if acc.as_slice().is_empty() {
                break;
            }
            if let Acc::Shared(a) = &acc
                && Rc::ptr_eq(a, &s)
            {
                continue;
            }
            self.charge(acc.as_slice().len() + s.len())?;
            acc = Acc::Owned(intersection(acc.as_slice(), &s));
        }
        Ok(acc)
    }

    /// Joins `b` into `acc` (AND: any failing is enough).
    fn join(&mut self, acc: Acc, b: Acc) -> Result<Acc, WorkLimitExceeded> {
        if b.as_slice().is_empty() {
            return Ok(acc);
        }
        if acc.as_slice().is_empty() {
            return Ok(b);
        }
        if let (Acc::Shared(x), Acc::Shared(y)) = (&acc, &b)
            && Rc::ptr_eq(x, y)
        {
            return Ok(acc);
        }
        self.charge(acc.as_slice().len() + b.as_slice().len())?;
        Ok(Acc::Owned(union(acc.as_slice(), b.as_slice())))
    }

    /// The kill set of `c` from the current sets of what it depends on.
    fn evaluate(&mut self, c: usize) -> Result<KillSet, WorkLimitExceeded> {
        let demands = self.demands;
        let mut acc = Acc::Owned(self.own[c].clone());
        for clause in &demands[c] {
            // OR over alternatives: intersect each alternative's set.
            let mut clause_acc: Option<Acc> = None;
            for alt in &clause.alts {
                // AND over slots: union of each slot's intersection.
                let mut alt_acc = Acc::Owned(Vec::new());
                for slot in &alt.slots {
                    let sets: Vec<KillSet> = slot
                        .nodes
                        .iter()
                        .map(|n| self.kill[n.index()].clone())
                        .collect();
                    let slot_set = self.meet(sets.into_iter())?;
                    alt_acc = self.join(alt_acc, slot_set)?;
                }
                clause_acc = Some(match clause_acc {
                    None => alt_acc,
                    Some(prev) => {
                        let sets = [prev.into_set(), alt_acc.into_set()];
                        self.meet(sets.into_iter())?
                    }
                });
                if clause_acc.as_ref().is_some_and(|a| a.as_slice().is_empty()) {
                    break;
                }
            }
            if let Some(clause_acc) = clause_acc {
                acc = self.join(acc, clause_acc)?;
            }
        }
        Ok(acc.into_set())
    }
}

/// Computes every component's kill set.
pub fn compute(
    own: &[Vec<EventId>],
    demands: &[Vec<Clause>],
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
    let empty: KillSet = Rc::from(Vec::new());
    let mut solver = Solver {
        own,
        demands,
        kill: vec![empty; n],
        work: 0,
        limit,
    };
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
