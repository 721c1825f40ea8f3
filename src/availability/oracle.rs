//! The brute-force oracle of rules.md, written from the model and the spec's words, not
//! from the clauses the analysis builds: fail the events, mark every component that is
//! up as working, then repeatedly unmark any component with an unsatisfied dependency
//! until nothing changes. The property test compares it with the kill sets on every
//! event; a mistake in either the clause builder or the kill-set solver shows up as a
//! disagreement.

use crate::analysis::Context;
use crate::model::{
    ComponentDef, ComponentId, Failover, LinkOrigin, Model, Ref, ReplicationMode, Role,
};

/// What fails: components (their own failure, or every member of a redundancy group
/// at once), hosts, failure-domain values.
#[derive(Default)]
pub struct Failed {
    /// Components down in every instance.
    pub components: Vec<ComponentId>,
    /// Hosts down.
    pub hosts: Vec<crate::model::HostId>,
    /// Failure-domain values down.
    pub domains: Vec<crate::model::DomainId>,
}

struct Oracle<'a> {
    cx: &'a Context<'a>,
    model: &'a Model,
    /// Each data store's cluster head, when its `replicates_from` chain ends at a data
    /// store that copies nothing.
    head: Vec<Option<ComponentId>>,
}

impl<'a> Oracle<'a> {
    fn new(cx: &'a Context<'a>) -> Oracle<'a> {
        let model = cx.model;
        let n = model.components.len();
        let mut head = vec![None; n];
        for (i, slot) in head.iter_mut().enumerate() {
            if model.components[i].data_store.is_none()
                || cx.group_of(ComponentId(i as u32)).len() > 1
            {
                continue;
            }
            // Walk the chain; more steps than components means a cycle.
            let mut c = ComponentId(i as u32);
            for _ in 0..=n {
                match model.component(c).data_store.as_ref() {
                    None => break,
                    Some(d) => match d.replicates_from {
                        None => {
                            *slot = Some(c);
                            break;
                        }
                        Some((s, _)) => c = s,
                    },
                }
            }
        }
        Oracle { cx, model, head }
    }

    fn def(&self, c: ComponentId) -> &ComponentDef {
        self.model.component(c)
    }

    fn replicas(&self, head: ComponentId) -> Vec<ComponentId> {
        (0..self.model.components.len() as u32)
            .map(ComponentId)
            .filter(|r| *r != head && self.head[r.index()] == Some(head))
            .collect()
    }

    /// A network firewall lets traffic through: it fails open (`critical: false`), or
    /// some critical member of its `service` group that protects the same things works.
    fn firewall_ok(&self, f: ComponentId, w: &[bool]) -> bool {
        let protects = |c: ComponentId| {
            let mut v: Vec<String> = self
                .def(c)
                .network_firewall
                .as_ref()
                .map(|nf| nf.protects.iter().map(|(r, _)| format!("{r:?}")).collect())
                .unwrap_or_default();
            v.sort();
            v.dedup();
            v
        };
        if !self.def(f).critical {
            return true;
        }
        self.cx.group_of(f).iter().any(|g| {
            w[g.index()]
                && self.def(*g).critical
                && self.def(*g).network_firewall.is_some()
                && protects(*g) == protects(f)
        })
    }

    /// `source` reaches `target` itself (working) through every network firewall in
    /// front of it that `source` is not behind.
    fn reach(&self, source: ComponentId, target: ComponentId, w: &[bool]) -> bool {
        if !w[target.index()] {
            return false;
        }
        let model = self.model;
        let guards = |c: ComponentId| -> Vec<ComponentId> {
            let def = model.component(c);
            (0..model.components.len() as u32)
                .map(ComponentId)
                .filter(|f| *f != c)
                .filter(|f| {
                    model
                        .component(*f)
                        .network_firewall
                        .as_ref()
                        .is_some_and(|nf| {
                            nf.protects.iter().any(|(r, _)| match *r {
                                Ref::Component(p) => p == c,
                                Ref::Host(h) => def.host == Some(h),
                                Ref::Zone(z) => def.zone == z,
                                Ref::Certificate(_) => false,
                            })
                        })
                })
                .collect()
        };
        let behind = guards(source);
        guards(target)
            .into_iter()
            .filter(|f| !behind.contains(f))
            .all(|f| self.firewall_ok(f, w))
    }

    /// A working critical member of `t`'s redundancy group that `source` reaches.
    fn any_member(&self, source: ComponentId, t: ComponentId, w: &[bool]) -> bool {
        self.cx
            .group_of(t)
            .iter()
            .any(|m| self.def(*m).critical && self.reach(source, *m, w))
    }

    /// A demand addressed to the head `p`: its endpoint, and for a write a working
    /// synchronous replica other than the member serving.
    fn endpoint(&self, source: ComponentId, p: ComponentId, write: bool, w: &[bool]) -> bool {
        let def = self.def(p);
        let ds = def.data_store.as_ref().expect("a data store");
        let replicas = self.replicas(p);
        let mut members = vec![p];
        if ds.failover == Failover::Automatic {
            members.extend(replicas.iter().copied().filter(|r| {
                self.def(*r).critical
                    && self
                        .def(*r)
                        .data_store
                        .as_ref()
                        .is_some_and(|d| !d.opted_out)
            }));
        }
        let quorum = def.quorum.as_ref().filter(|_| ds.role == Role::Primary);
        let quorum_holds = quorum
            .is_none_or(|q| q.voters.iter().filter(|v| w[v.index()]).count() >= q.needs as usize);
        let sync: Vec<ComponentId> = replicas
            .iter()
            .copied()
            .filter(|r| {
                self.def(*r).critical
                    && self
                        .def(*r)
                        .data_store
                        .as_ref()
                        .is_some_and(|d| d.replication_mode == ReplicationMode::Sync)
            })
            .collect();
        members.iter().any(|&m| {
            let gated = quorum.is_some_and(|q| q.gates_writes || m != p);
            self.reach(source, m, w)
                && (!gated || quorum_holds)
                && (!write || sync.is_empty() || sync.iter().any(|s| *s != m && w[s.index()]))
        })
    }

    /// Whether a data store is the head of its cluster, a replica, or neither.
    fn place(&self, t: ComponentId) -> Option<(ComponentId, bool)> {
        let h = self.head[t.index()]?;
        Some((h, h == t))
    }

    /// Whether every dependency of `c` is met while `w` holds.
    fn satisfied(&self, c: ComponentId, w: &[bool]) -> bool {
        let model = self.model;
        let mut pool_reads: Option<bool> = None;
        let mut pool_writes: Option<bool> = None;
        let mut pool_replica_writes: Option<bool> = None;
        let mut pool_plain: Option<bool> = None;
        let mut pool_has_stores = false;
        // Per cluster head: whether some read alternative works.
        let mut reads: Vec<(ComponentId, bool)> = Vec::new();
        for link in model.links.iter().filter(|l| l.from == c) {
            let t = link.to;
            if !self.def(t).critical {
                continue;
            }
            let place = self.place(t);
            if let LinkOrigin::Target { .. } = link.origin {
                match place {
                    None => {
                        let ok = self.any_member(c, t, w);
                        *pool_plain.get_or_insert(false) |= ok;
                    }
                    Some((h, is_head)) => {
                        pool_has_stores = true;
                        if link.access.reads() {
                            let ok = if is_head {
                                self.endpoint(c, h, false, w)
                            } else {
                                self.reach(c, t, w)
                            };
                            *pool_reads.get_or_insert(false) |= ok;
                        }
                        if link.access.writes() {
                            if is_head {
                                *pool_writes.get_or_insert(false) |= self.endpoint(c, h, true, w);
                            } else {
                                *pool_replica_writes.get_or_insert(false) |= self.reach(c, t, w);
                            }
                        }
                    }
                }
                continue;
            }
            match place {
                None => {
                    if !self.any_member(c, t, w) {
                        return false;
                    }
                }
                Some((h, is_head)) => {
                    if link.access.reads() {
                        let ok = if is_head {
                            self.endpoint(c, h, false, w)
                        } else {
                            self.reach(c, t, w)
                        };
                        match reads.iter_mut().find(|(x, _)| *x == h) {
                            Some((_, any)) => *any |= ok,
                            None => reads.push((h, ok)),
                        }
                    }
                    if link.access.writes() {
                        let ok = if is_head {
                            self.endpoint(c, h, true, w)
                        } else {
                            self.reach(c, t, w)
                        };
                        if !ok {
                            return false;
                        }
                    }
                }
            }
        }
        if reads.iter().any(|(_, ok)| !ok) {
            return false;
        }
        // The pool: reads from any member that serves reads, writes to any member that
        // takes writes (to a replica only when none does); any other target serves
        // both.
        if let Some(plain) = pool_plain.filter(|_| !pool_has_stores) {
            if !plain {
                return false;
            }
        } else if pool_has_stores {
            let plain = pool_plain.unwrap_or(false);
            if (pool_reads.is_some() || pool_plain.is_some())
                && !(pool_reads == Some(true) || plain)
            {
                return false;
            }
            if pool_writes.is_some() || pool_plain.is_some() {
                if !(pool_writes == Some(true) || plain) {
                    return false;
                }
            } else if pool_replica_writes == Some(false) {
                return false;
            }
        }
        let def = self.def(c);
        if let Some(q) = &def.quorum {
            let primary = def
                .data_store
                .as_ref()
                .is_some_and(|d| d.role == Role::Primary);
            if !primary && q.voters.iter().filter(|v| w[v.index()]).count() < q.needs as usize {
                return false;
            }
        }
        true
    }
}

/// Which components work after `failed`, by the spec's own procedure.
pub fn working(cx: &Context, failed: &Failed) -> Vec<bool> {
    let model = cx.model;
    let oracle = Oracle::new(cx);
    let mut w: Vec<bool> = model
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let host_down = c.host.is_some_and(|h| {
                failed.hosts.contains(&h)
                    || model
                        .host(h)
                        .domains
                        .iter()
                        .any(|d| failed.domains.contains(d))
            });
            !failed.components.contains(&ComponentId(i as u32)) && !host_down
        })
        .collect();
    loop {
        let mut changed = false;
        for i in 0..w.len() {
            if w[i] && !oracle.satisfied(ComponentId(i as u32), &w) {
                w[i] = false;
                changed = true;
            }
        }
        if !changed {
            return w;
        }
    }
}
