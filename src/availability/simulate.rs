//! Which components still work after a set of failures: mark everything up as working,
//! then unmark whatever has an unsatisfied dependency until nothing changes. This is
//! `what-if`, and the brute-force oracle the kill sets are tested against.

use std::collections::VecDeque;

use super::EventId;
use super::demand::Clause;

fn satisfied(clauses: &[Clause], working: &[bool]) -> bool {
    clauses.iter().all(|clause| {
        clause.alts.iter().any(|alt| {
            alt.slots.iter().all(|slot| {
                slot.nodes.iter().filter(|n| working[n.index()]).count() >= slot.needs as usize
            })
        })
    })
}

/// Whether each component works when every event in `failed` happens at once and the
/// components in `down` are down (all their instances).
pub fn simulate(
    own: &[Vec<EventId>],
    demands: &[Vec<Clause>],
    failed: &[EventId],
    down: &[usize],
) -> Vec<bool> {
    let n = own.len();
    let mut working: Vec<bool> = own
        .iter()
        .map(|events| !events.iter().any(|e| failed.contains(e)))
        .collect();
    for &c in down {
        working[c] = false;
    }
    // Who depends on whom, to revisit only the dependents of what just stopped.
    let mut dependents: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (c, clauses) in demands.iter().enumerate() {
        for clause in clauses {
            for alt in &clause.alts {
                for slot in &alt.slots {
                    for node in &slot.nodes {
                        dependents[node.index()].push(c as u32);
                    }
                }
            }
        }
    }
    let mut queue: VecDeque<usize> = (0..n).collect();
    while let Some(c) = queue.pop_front() {
        if !working[c] {
            // A stopped component: its dependents may stop too.
            for &d in &dependents[c] {
                if working[d as usize] && !satisfied(&demands[d as usize], &working) {
                    working[d as usize] = false;
                    queue.push_back(d as usize);
                }
            }
            continue;
        }
        if !satisfied(&demands[c], &working) {
            working[c] = false;
            queue.push_back(c);
        }
    }
    working
}
