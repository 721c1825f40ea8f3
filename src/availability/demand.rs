//! Each component's dependencies as clauses: AND over clauses, OR over a clause's
//! alternatives, AND over an alternative's slots, and in a slot "at least `needs` of
//! these nodes" (one for interchangeable nodes, k for a k-of-n quorum). The usual case
//! is one clause, one alternative, one slot, one node: a plain link.

use foldhash::HashMap;

use crate::analysis::RedundancyGroups;
use crate::firewalls::Guards;
use crate::model::{
    ComponentId, Failover, LinkId, LinkOrigin, Model, QuorumDef, Ref, ReplicationMode,
};

/// At least `needs` of the nodes must work: one of interchangeable nodes, or k of a
/// quorum's n voters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot {
    /// The nodes, sorted.
    pub nodes: Vec<ComponentId>,
    /// How many must work (1..=nodes.len()).
    pub needs: u32,
}

impl Slot {
    /// Any one of `nodes` (sorted).
    pub fn any(nodes: Vec<ComponentId>) -> Slot {
        Slot { nodes, needs: 1 }
    }

    /// A quorum's gate: `needs` of its voters.
    pub fn quorum(q: &QuorumDef) -> Slot {
        Slot {
            nodes: q.voters.clone(),
            needs: q.needs,
        }
    }

    /// How many of the nodes may fail before the slot fails.
    pub fn tolerates(&self) -> usize {
        self.nodes.len() - self.needs as usize
    }
}

/// One way to satisfy a clause: every slot must be satisfied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alt {
    /// The serving member's slot first, then a slot per network firewall on the path,
    /// then any quorum or synchronous-replica gate.
    pub slots: Vec<Slot>,
    /// The link that makes this a dependency (None for a component's own quorum).
    pub link: Option<LinkId>,
}

/// Why a clause exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClauseKind {
    /// A link (to a component or its redundancy group).
    Link,
    /// A load balancer's pool.
    Targets,
    /// A source's reads from one replication cluster, or addressed to a primary.
    Reads,
    /// Writes to a data store: to a standalone store, or to a primary's endpoint.
    Writes,
    /// The component's own quorum: it works only while enough voters work.
    Quorum,
}

/// One dependency: at least one alternative must work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    /// Why it exists.
    pub kind: ClauseKind,
    /// The alternatives.
    pub alts: Vec<Alt>,
}

/// A data store's place in replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Not a data store (or in a `service` group: a multi-primary group).
    None,
    /// The head of a cluster (standalone, or the primary its replicas copy).
    Head,
    /// A replica of the head with this component index.
    Replica(ComponentId),
    /// A replica whose chain never reaches a data store that copies nothing (a cycle,
    /// or a source that is not a data store): no cluster (DB002/DB003 report it).
    Unclustered,
}

/// Replication clusters: each data store's head, and each head's replicas.
#[derive(Debug)]
pub struct Clusters {
    /// Each component's place.
    pub place: Vec<Place>,
    /// Each head's replicas (direct or through a chain), sorted; empty otherwise.
    pub replicas: HashMap<ComponentId, Vec<ComponentId>>,
}

impl Clusters {
    /// Follows every data store's `replicates_from` to the store that copies nothing.
    pub fn new(model: &Model, groups: &RedundancyGroups) -> Clusters {
        let n = model.components.len();
        // 0: unvisited, 1: on the current walk, 2: done.
        let mut state = vec![0u8; n];
        let mut head: Vec<Option<ComponentId>> = vec![None; n];
        let mut walk = Vec::new();
        for start in 0..n {
            if state[start] != 0 || model.components[start].data_store.is_none() {
                continue;
            }
            let mut c = start;
            let found = loop {
                if state[c] == 2 {
                    break head[c];
                }
                if state[c] == 1 {
                    break None; // A replication cycle.
                }
                state[c] = 1;
                walk.push(c);
                match model.components[c]
                    .data_store
                    .as_ref()
                    .and_then(|d| d.replicates_from)
                {
                    None => break Some(ComponentId(c as u32)),
                    Some((s, _)) if model.component(s).data_store.is_none() => break None,
                    Some((s, _)) => c = s.index(),
                };
            };
            for c in walk.drain(..) {
                state[c] = 2;
                head[c] = found;
            }
        }
        let mut place = vec![Place::None; n];
        let mut replicas: HashMap<ComponentId, Vec<ComponentId>> = HashMap::default();
        for (i, c) in model.components.iter().enumerate() {
            if c.data_store.is_none() || groups.of(ComponentId(i as u32)).len() > 1 {
                continue;
            }
            place[i] = match head[i] {
                None => Place::Unclustered,
                Some(h) if h.index() == i => Place::Head,
                Some(h) => {
                    replicas.entry(h).or_default().push(ComponentId(i as u32));
                    Place::Replica(h)
                }
            };
        }
        Clusters { place, replicas }
    }

    /// The replicas of a head (none for anything else).
    pub fn replicas_of(&self, head: ComponentId) -> &[ComponentId] {
        self.replicas.get(&head).map_or(&[], Vec::as_slice)
    }

    /// The replicas of a head that a failover may promote: critical, and not saying
    /// `failover: none`.
    pub fn promotable(&self, model: &Model, head: ComponentId) -> Vec<ComponentId> {
        self.replicas_of(head)
            .iter()
            .copied()
            .filter(|r| {
                let r = model.component(*r);
                r.critical && !r.data_store.as_ref().is_some_and(|d| d.opted_out)
            })
            .collect()
    }

    /// The critical replicas of a head that replicate synchronously: a write waits for
    /// one of them.
    pub fn synchronous(&self, model: &Model, head: ComponentId) -> Vec<ComponentId> {
        self.replicas_of(head)
            .iter()
            .copied()
            .filter(|r| {
                let r = model.component(*r);
                r.critical
                    && r.data_store
                        .as_ref()
                        .is_some_and(|d| d.replication_mode == ReplicationMode::Sync)
            })
            .collect()
    }
}

/// What a demand into a data store does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Read,
    Write,
}

struct Builder<'a> {
    model: &'a Model,
    groups: &'a RedundancyGroups,
    guards: &'a Guards,
    clusters: &'a Clusters,
    /// Each network firewall's slot: the critical members of its `service` group that
    /// protect exactly what it protects; None when it fails open (`critical: false`).
    firewall_slot: HashMap<ComponentId, Option<Slot>>,
}

impl Builder<'_> {
    fn critical(&self, c: ComponentId) -> bool {
        self.model.component(c).critical
    }

    /// The slots of the network firewalls a request from `source` to `target` crosses.
    fn firewall_slots(&self, source: ComponentId, target: ComponentId) -> Vec<Slot> {
        let mut slots: Vec<Slot> = Vec::new();
        for f in self.guards.crossed(self.model, source, target) {
            if let Some(Some(slot)) = self.firewall_slot.get(&f)
                && !slots.contains(slot)
            {
                slots.push(slot.clone());
            }
        }
        slots.sort_unstable();
        slots
    }

    /// "Any working member of `members`, with the firewalls in front of it": one
    /// alternative per distinct set of firewalls, over the members behind that set.
    fn member_alts(
        &self,
        source: ComponentId,
        members: Vec<ComponentId>,
        link: LinkId,
    ) -> Vec<Alt> {
        // Most designs have no network firewall, and most targets are alone: one
        // alternative, without grouping members by their firewalls.
        if self.guards.is_empty() || members.len() == 1 {
            let firewalls = match members.first() {
                Some(&m) => self.firewall_slots(source, m),
                None => Vec::new(),
            };
            let mut slots = Vec::with_capacity(1 + firewalls.len());
            slots.push(Slot::any(members));
            slots.extend(firewalls);
            return vec![Alt {
                slots,
                link: Some(link),
            }];
        }
        let mut by_firewalls: Vec<(Vec<Slot>, Vec<ComponentId>)> = Vec::new();
        for m in members {
            let firewalls = self.firewall_slots(source, m);
            match by_firewalls.iter_mut().find(|(f, _)| *f == firewalls) {
                Some((_, ms)) => ms.push(m),
                None => by_firewalls.push((firewalls, vec![m])),
            }
        }
        by_firewalls
            .into_iter()
            .map(|(firewalls, mut nodes)| {
                nodes.sort_unstable();
                let mut slots = vec![Slot::any(nodes)];
                slots.extend(firewalls);
                Alt {
                    slots,
                    link: Some(link),
                }
            })
            .collect()
    }

    /// The critical members of `c`'s redundancy group.
    fn group(&self, c: ComponentId) -> Vec<ComponentId> {
        self.groups
            .of(c)
            .iter()
            .copied()
            .filter(|n| self.critical(*n))
            .collect()
    }

    /// A demand addressed to a head: it follows the head's endpoint. With automatic
    /// failover that is the head or any promotable replica (behind the quorum, when one
    /// decides promotions; a quorum on writes gates every member); a write also needs a
    /// working synchronous replica other than the member serving.
    fn endpoint(&self, source: ComponentId, head: ComponentId, op: Op, link: LinkId) -> Vec<Alt> {
        let model = self.model;
        let store = model.component(head);
        let ds = store.data_store.as_ref().expect("a head is a data store");
        let mut members = vec![head];
        if ds.failover == Failover::Automatic {
            members.extend(self.clusters.promotable(model, head));
        }
        let quorum = store.cluster_quorum();
        let sync = match op {
            Op::Write => self.clusters.synchronous(model, head),
            Op::Read => Vec::new(),
        };
        let mut alts = Vec::with_capacity(members.len());
        for m in members {
            let mut slots = vec![Slot::any(vec![m])];
            slots.extend(self.firewall_slots(source, m));
            if let Some(q) = quorum
                && (q.gates_writes || m != head)
            {
                slots.push(Slot::quorum(q));
            }
            if !sync.is_empty() {
                let others: Vec<ComponentId> = sync.iter().copied().filter(|s| *s != m).collect();
                if others.is_empty() {
                    continue; // Promoted, the only synchronous replica has none to wait for.
                }
                slots.push(Slot::any(others));
            }
            alts.push(Alt {
                slots,
                link: Some(link),
            });
        }
        alts
    }

    /// The alternatives that serve `op` for `source` through a link to `t`, and whether
    /// `t` takes that op itself (a replica takes no writes).
    fn serving(
        &self,
        source: ComponentId,
        t: ComponentId,
        op: Op,
        link: LinkId,
    ) -> (Vec<Alt>, bool) {
        match self.clusters.place[t.index()] {
            Place::Head => (self.endpoint(source, t, op, link), true),
            Place::Replica(_) => (self.member_alts(source, vec![t], link), op == Op::Read),
            Place::None | Place::Unclustered => {
                (self.member_alts(source, self.group(t), link), true)
            }
        }
    }

    fn clauses(&self, c: ComponentId, links: &[LinkId]) -> Vec<Clause> {
        let model = self.model;
        let mut clauses = Vec::new();
        // The load balancer's pool: read and write alternatives over every target.
        let mut pool_reads: Vec<Alt> = Vec::new();
        let mut pool_writes: Vec<Alt> = Vec::new();
        let mut replica_writes: Vec<Alt> = Vec::new();
        let mut pool_stores = false;
        // Reads into each cluster, by head.
        let mut reads: Vec<(ComponentId, Vec<Alt>)> = Vec::new();
        for &l in links {
            let link = model.link(l);
            let t = link.to;
            if !self.critical(t) {
                continue;
            }
            let place = self.clusters.place[t.index()];
            if let LinkOrigin::Target { .. } = link.origin {
                if matches!(place, Place::None | Place::Unclustered) {
                    // Serves reads and writes alike: copied to the writes only if the
                    // pool splits them (it holds data stores).
                    let alts = self.member_alts(c, self.group(t), l);
                    if pool_stores {
                        pool_writes.extend(alts.iter().cloned());
                    }
                    pool_reads.extend(alts);
                    continue;
                }
                if !pool_stores {
                    // The plain targets so far are alternatives for writes as well.
                    pool_stores = true;
                    pool_writes.extend(pool_reads.iter().cloned());
                }
                if link.access.reads() {
                    pool_reads.extend(self.serving(c, t, Op::Read, l).0);
                }
                if link.access.writes() {
                    match self.serving(c, t, Op::Write, l) {
                        (alts, true) => pool_writes.extend(alts),
                        (alts, false) => replica_writes.extend(alts),
                    }
                }
                continue;
            }
            match place {
                Place::None | Place::Unclustered => clauses.push(Clause {
                    kind: ClauseKind::Link,
                    alts: self.member_alts(c, self.group(t), l),
                }),
                Place::Head | Place::Replica(_) => {
                    let head = match place {
                        Place::Replica(h) => h,
                        _ => t,
                    };
                    if link.access.reads() {
                        let alts = self.serving(c, t, Op::Read, l).0;
                        match reads.iter_mut().find(|(h, _)| *h == head) {
                            Some((_, all)) => all.extend(alts),
                            None => reads.push((head, alts)),
                        }
                    }
                    if link.access.writes() {
                        // A write to a replica depends on that replica (DB001 says so).
                        let kind = if place == Place::Head {
                            ClauseKind::Writes
                        } else {
                            ClauseKind::Link
                        };
                        clauses.push(Clause {
                            kind,
                            alts: self.serving(c, t, Op::Write, l).0,
                        });
                    }
                }
            }
        }
        for (_, alts) in reads {
            clauses.push(Clause {
                kind: ClauseKind::Reads,
                alts,
            });
        }
        if pool_writes.is_empty() {
            // A pool of replicas written to: each write depends on a replica (DB001).
            pool_writes = replica_writes;
        }
        if !pool_stores {
            if !pool_reads.is_empty() {
                clauses.push(Clause {
                    kind: ClauseKind::Targets,
                    alts: pool_reads,
                });
            }
        } else {
            for (alts, kind) in [
                (pool_reads, ClauseKind::Targets),
                (pool_writes, ClauseKind::Writes),
            ] {
                if !alts.is_empty() {
                    clauses.push(Clause { kind, alts });
                }
            }
        }
        if let Some(q) = model.component(c).own_quorum() {
            clauses.push(Clause {
                kind: ClauseKind::Quorum,
                alts: vec![Alt {
                    slots: vec![Slot::quorum(q)],
                    link: None,
                }],
            });
        }
        clauses
    }
}

/// Each network firewall's slot: the members of its `service` group that are critical
/// network firewalls protecting exactly the same things.
fn firewall_slots(model: &Model, groups: &RedundancyGroups) -> HashMap<ComponentId, Option<Slot>> {
    fn key(c: &crate::model::ComponentDef) -> Vec<(u8, u32)> {
        let mut k: Vec<(u8, u32)> = c
            .network_firewall
            .as_ref()
            .map(|f| {
                f.protects
                    .iter()
                    .map(|(r, _)| match *r {
                        Ref::Zone(z) => (0, z.0),
                        Ref::Host(h) => (1, h.0),
                        Ref::Component(c) => (2, c.0),
                        Ref::Certificate(c) => (3, c.0),
                    })
                    .collect()
            })
            .unwrap_or_default();
        k.sort_unstable();
        k.dedup();
        k
    }
    let mut slots = HashMap::default();
    // (the group's first member, what it protects) -> the firewalls that share both.
    type Key = (ComponentId, Vec<(u8, u32)>);
    let mut by_key: HashMap<Key, Vec<ComponentId>> = HashMap::default();
    let mut firewalls = Vec::new();
    for (i, c) in model.components.iter().enumerate() {
        if c.network_firewall.is_none() {
            continue;
        }
        let id = ComponentId(i as u32);
        firewalls.push(id);
        if c.critical {
            by_key
                .entry((groups.of(id)[0], key(c)))
                .or_default()
                .push(id);
        }
    }
    for f in firewalls {
        let c = model.component(f);
        let slot = c
            .critical
            .then(|| Slot::any(by_key[&(groups.of(f)[0], key(c))].clone()));
        slots.insert(f, slot);
    }
    slots
}

/// Builds every component's clauses from its outgoing links and its quorum.
pub fn build(
    model: &Model,
    groups: &RedundancyGroups,
    guards: &Guards,
    clusters: &Clusters,
) -> Vec<Vec<Clause>> {
    let n = model.components.len();
    let builder = Builder {
        model,
        groups,
        guards,
        clusters,
        firewall_slot: firewall_slots(model, groups),
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
