//! Each component's dependencies as clauses: AND over clauses, OR over a clause's
//! alternatives, AND over an alternative's slots, OR over a slot's nodes. The usual
//! case is one clause, one alternative, one slot, one node: a plain link.

use foldhash::HashMap;

use crate::analysis::RedundancyGroups;
use crate::firewalls::Guards;
use crate::model::{ComponentId, Failover, Kind, LinkId, LinkOrigin, Model, Role};

/// Interchangeable nodes: one of them working is enough.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The nodes, sorted.
    pub nodes: Vec<ComponentId>,
}

/// One way to satisfy a clause: every slot must have a working node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alt {
    /// The target's slot first, then a slot per network firewall on the path.
    pub slots: Vec<Slot>,
    /// The link that makes this a dependency.
    pub link: Option<LinkId>,
}

/// Why a clause exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClauseKind {
    /// A link (to a component or its redundancy group).
    Link,
    /// A load balancer's pool.
    Targets,
    /// A source's reads from one replication cluster.
    Reads,
    /// A write to a primary with automatic failover: any promotable member will do.
    Writes,
}

/// One dependency: at least one alternative must work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    /// Why it exists.
    pub kind: ClauseKind,
    /// The alternatives.
    pub alts: Vec<Alt>,
}

struct Builder<'a> {
    model: &'a Model,
    groups: &'a RedundancyGroups,
    guards: &'a Guards,
    /// Each data store's replication cluster (a union-find root).
    cluster: Vec<u32>,
    /// Each cluster's members.
    members: HashMap<u32, Vec<ComponentId>>,
}

impl Builder<'_> {
    fn critical(&self, c: ComponentId) -> bool {
        self.model.component(c).critical
    }

    /// A slot over `c`'s redundancy group, without non-critical members.
    fn group_slot(&self, c: ComponentId) -> Option<Slot> {
        let nodes: Vec<ComponentId> = self
            .groups
            .of(c)
            .iter()
            .copied()
            .filter(|n| self.critical(*n))
            .collect();
        (!nodes.is_empty()).then_some(Slot { nodes })
    }

    /// The alternative "reach `target` from `source`": its slot, then the slots of the
    /// network firewalls in front of it that `source` is not already behind.
    fn alt(
        &self,
        source: ComponentId,
        target_slot: Slot,
        target: ComponentId,
        link: LinkId,
    ) -> Alt {
        let mut slots = vec![target_slot];
        for f in self.guards.crossed(self.model, source, target) {
            if let Some(slot) = self.group_slot(f)
                && !slots.contains(&slot)
            {
                slots.push(slot);
            }
        }
        Alt {
            slots,
            link: Some(link),
        }
    }

    fn clauses(&self, c: ComponentId, links: &[LinkId]) -> Vec<Clause> {
        let mut clauses = Vec::new();
        let mut targets = Vec::new();
        let mut reads: Vec<(u32, Vec<Alt>)> = Vec::new();
        for &l in links {
            let link = self.model.link(l);
            let t = link.to;
            if !self.critical(t) {
                continue;
            }
            let Some(slot) = self.group_slot(t) else {
                continue;
            };
            if let LinkOrigin::Target { .. } = link.origin {
                targets.push(self.alt(c, slot, t, l));
                continue;
            }
            let target = self.model.component(t);
            let cluster = target
                .data_store
                .as_ref()
                .map(|_| self.cluster[t.index()])
                .filter(|k| *k != u32::MAX);
            let Some(cluster) = cluster else {
                clauses.push(Clause {
                    kind: ClauseKind::Link,
                    alts: vec![self.alt(c, slot, t, l)],
                });
                continue;
            };
            if link.access.reads() {
                let alt = self.alt(c, Slot { nodes: vec![t] }, t, l);
                match reads.iter_mut().find(|(k, _)| *k == cluster) {
                    Some((_, alts)) => alts.push(alt),
                    None => reads.push((cluster, vec![alt])),
                }
            }
            if link.access.writes() {
                let store = target.data_store.as_ref().expect("a data store");
                if store.role == Role::Primary && store.failover == Failover::Automatic {
                    let alts = self.members[&cluster]
                        .iter()
                        .filter(|m| {
                            let def = self.model.component(**m);
                            **m == t
                                || (def.critical
                                    && def
                                        .data_store
                                        .as_ref()
                                        .is_some_and(|d| d.role == Role::Replica && !d.opted_out))
                        })
                        .map(|m| self.alt(c, Slot { nodes: vec![*m] }, *m, l))
                        .collect();
                    clauses.push(Clause {
                        kind: ClauseKind::Writes,
                        alts,
                    });
                } else {
                    clauses.push(Clause {
                        kind: ClauseKind::Link,
                        alts: vec![self.alt(c, Slot { nodes: vec![t] }, t, l)],
                    });
                }
            }
        }
        for (_, alts) in reads {
            clauses.push(Clause {
                kind: ClauseKind::Reads,
                alts,
            });
        }
        if !targets.is_empty() {
            clauses.push(Clause {
                kind: ClauseKind::Targets,
                alts: targets,
            });
        }
        clauses
    }
}

/// Builds every component's clauses from its outgoing links.
pub fn build(model: &Model, groups: &RedundancyGroups, guards: &Guards) -> Vec<Vec<Clause>> {
    let n = model.components.len();
    // Replication clusters: union-find over `replicates_from`, data stores only.
    let mut parent: Vec<u32> = (0..n as u32).collect();
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    let mut in_cluster = vec![false; n];
    for (i, c) in model.components.iter().enumerate() {
        if let Some((source, _)) = c.data_store.as_ref().and_then(|d| d.replicates_from)
            && model.component(source).data_store.is_some()
        {
            in_cluster[i] = true;
            in_cluster[source.index()] = true;
            let (a, b) = (find(&mut parent, i as u32), find(&mut parent, source.0));
            parent[a.max(b) as usize] = a.min(b);
        }
    }
    let mut cluster = vec![u32::MAX; n];
    let mut members: HashMap<u32, Vec<ComponentId>> = HashMap::default();
    for i in 0..n {
        if in_cluster[i] && matches!(model.components[i].kind.value, Kind::Database | Kind::Cache) {
            let root = find(&mut parent, i as u32);
            cluster[i] = root;
            members.entry(root).or_default().push(ComponentId(i as u32));
        }
    }
    let builder = Builder {
        model,
        groups,
        guards,
        cluster,
        members,
    };
    let mut outgoing: Vec<Vec<LinkId>> = vec![Vec::new(); n];
    for (i, l) in model.links.iter().enumerate() {
        outgoing[l.from.index()].push(LinkId(i as u32));
    }
    outgoing
        .iter()
        .enumerate()
        .map(|(i, links)| builder.clauses(ComponentId(i as u32), links))
        .collect()
}
