//! What rules read: the model and the graph of one file, built once.

use crate::availability::{Availability, EventId, WorkLimitExceeded};
use crate::firewalls::Guards;
use crate::graph::Graph;
use crate::model::{ComponentId, Kind, Model, Ref};

/// One failure event that stops entrypoints being served.
#[derive(Debug)]
pub struct Outage {
    /// The failure.
    pub event: EventId,
    /// The entrypoints it stops, in component order.
    pub entrypoints: Vec<ComponentId>,
}

/// The analysed topology handed to every rule.
pub struct Context<'a> {
    /// The validated model.
    pub model: &'a Model,
    /// The request-flow graph.
    pub graph: &'a Graph,
    /// Redundancy groups by `service` label and load-balancer cluster.
    groups: RedundancyGroups,
    /// For each data store, the replicas that replicate from it directly.
    replicas: Vec<Vec<ComponentId>>,
    /// The date certificate checks compare against.
    pub today: crate::model::Date,
    /// Network firewalls by what they protect.
    pub guards: Guards,
    /// The `service` labels in use, gathered the first time a fix needs a new one.
    labels: std::sync::OnceLock<std::collections::HashSet<Box<str>, foldhash::fast::RandomState>>,
}

/// The context of the rules that read the availability analysis: the [`Context`]
/// (which it dereferences to) and the analysis, which is built apart so that the other
/// rules can run meanwhile.
pub struct Analysed<'a> {
    cx: &'a Context<'a>,
    /// The availability analysis: events, dependencies, kill sets.
    pub availability: Availability,
    /// The single points of failure: every event that stops an entrypoint, in event
    /// order (components, then hosts, then failure-domain values).
    pub outages: Vec<Outage>,
}

impl<'a> std::ops::Deref for Analysed<'a> {
    type Target = Context<'a>;

    fn deref(&self) -> &Context<'a> {
        self.cx
    }
}

impl<'a> Analysed<'a> {
    /// The availability analysis of a context, within `work_limit` set elements.
    pub fn new(cx: &'a Context<'a>, work_limit: usize) -> Result<Analysed<'a>, WorkLimitExceeded> {
        let model = cx.model;
        let availability = Availability::analyse(model, &cx.groups, &cx.guards, work_limit)?;
        let mut by_event: Vec<Vec<ComponentId>> = vec![Vec::new(); availability.events.len()];
        for (i, c) in model.components.iter().enumerate() {
            if c.entrypoint {
                for e in availability.kill[i].iter() {
                    by_event[e.0 as usize].push(ComponentId(i as u32));
                }
            }
        }
        let outages = by_event
            .into_iter()
            .enumerate()
            .filter(|(_, entrypoints)| !entrypoints.is_empty())
            .map(|(e, entrypoints)| Outage {
                event: EventId(e as u32),
                entrypoints,
            })
            .collect();
        Ok(Analysed {
            cx,
            availability,
            outages,
        })
    }

    /// The outage of an event, when it is a single point of failure.
    pub fn outage(&self, event: EventId) -> Option<&Outage> {
        self.outages
            .binary_search_by_key(&event, |o| o.event)
            .ok()
            .map(|i| &self.outages[i])
    }
}

impl<'a> Context<'a> {
    /// Whether a component carries the `service` label `label`.
    pub fn label_used(&self, label: &str) -> bool {
        self.labels
            .get_or_init(|| {
                self.model
                    .components
                    .iter()
                    .filter_map(|c| c.service.as_ref().map(|s| s.value.as_str().into()))
                    .collect()
            })
            .contains(label)
    }

    /// What every rule reads about a model and its graph; `today` is the date
    /// certificate checks compare against.
    pub fn new(model: &'a Model, graph: &'a Graph, today: crate::model::Date) -> Context<'a> {
        let groups = redundancy_groups(model);
        let guards = Guards::new(model);
        let mut replicas = vec![Vec::new(); model.components.len()];
        for (i, c) in model.components.iter().enumerate() {
            if let Some((source, _)) = c.data_store.as_ref().and_then(|d| d.replicates_from) {
                replicas[source.index()].push(ComponentId(i as u32));
            }
        }
        Context {
            labels: std::sync::OnceLock::new(),
            groups,
            replicas,
            today,
            guards,
            model,
            graph,
        }
    }

    /// The members interchangeable with `c`: its `service` group and, for a load balancer
    /// with a failover mechanism, its peers. Always holds `c`.
    pub fn group_of(&self, c: ComponentId) -> &[ComponentId] {
        self.groups.of(c)
    }

    /// The replicas that replicate from `c` directly.
    pub fn replicas_of(&self, c: ComponentId) -> &[ComponentId] {
        &self.replicas[c.index()]
    }

    /// The components that an entrypoint reaches: along links, across redundancy
    /// groups, from a reached primary to its replicas (they hold its data and stand in
    /// for it), to the voters of a reached quorum and the target of a reached store's
    /// backups, and to network firewalls in front of anything reached.
    pub fn reachable(&self) -> Vec<bool> {
        let starts = self
            .model
            .components
            .iter()
            .map(|c| c.entrypoint)
            .collect::<Vec<_>>();
        self.reachable_from(&starts, None)
    }

    /// The components reached from `starts` (as [`Context::reachable`]), through
    /// components that are `alive` only, when given.
    pub fn reachable_from(&self, starts: &[bool], alive: Option<&[bool]>) -> Vec<bool> {
        let model = self.model;
        let up = |c: ComponentId| alive.is_none_or(|a| a[c.index()]);
        let mut seen = vec![false; model.components.len()];
        let mut stack: Vec<ComponentId> = Vec::new();
        for (i, start) in starts.iter().enumerate() {
            if *start && up(ComponentId(i as u32)) {
                seen[i] = true;
                stack.push(ComponentId(i as u32));
            }
        }
        // Each redundancy group is expanded once, by the first of its members reached
        // (or the first link to a member that is down): a member reached later adds
        // nothing, so a group of n members costs n, not n squared.
        let mut expanded = vec![false; self.groups.count()];
        let visit = |n: ComponentId,
                     seen: &mut [bool],
                     stack: &mut Vec<ComponentId>,
                     expanded: &mut [bool]| {
            if up(n) {
                if !seen[n.index()] {
                    seen[n.index()] = true;
                    stack.push(n);
                }
                return;
            }
            // A link to a member that is down still reaches the members that stand in
            // for it (a peer that took over, the rest of a service group).
            if let Some(g) = self.groups.index(n)
                && !std::mem::replace(&mut expanded[g], true)
            {
                for &m in self.groups.members(g) {
                    if up(m) && !seen[m.index()] {
                        seen[m.index()] = true;
                        stack.push(m);
                    }
                }
            }
        };
        while let Some(c) = stack.pop() {
            let component = model.component(c);
            for n in self.graph.graph.neighbors(crate::graph::node(c)) {
                visit(self.graph.graph[n], &mut seen, &mut stack, &mut expanded);
            }
            if let Some(g) = self.groups.index(c)
                && !std::mem::replace(&mut expanded[g], true)
            {
                for &m in self.groups.members(g) {
                    visit(m, &mut seen, &mut stack, &mut expanded);
                }
            }
            for &r in self.replicas_of(c) {
                visit(r, &mut seen, &mut stack, &mut expanded);
            }
            // Backups are reached with what they keep a copy of.
            if let Some(b) = &component.backup {
                visit(b.to, &mut seen, &mut stack, &mut expanded);
            }
            // Quorum voters are reached with what they vote for.
            if let Some(q) = &component.quorum {
                for &v in &q.voters {
                    visit(v, &mut seen, &mut stack, &mut expanded);
                }
            }
            // Peers are reached with their load balancer whatever its failover.
            if let Some(lb) = &component.load_balancer {
                for (p, _) in &lb.peers {
                    visit(*p, &mut seen, &mut stack, &mut expanded);
                }
            }
        }
        let mut zone_reached = vec![false; model.zones.len()];
        for (i, c) in model.components.iter().enumerate() {
            if seen[i] && c.kind.value != Kind::Firewall {
                zone_reached[c.zone.index()] = true;
            }
        }
        for (i, c) in model.components.iter().enumerate() {
            let Some(fw) = &c.network_firewall else {
                continue;
            };
            let guards_reached = fw.protects.iter().any(|(r, _)| match *r {
                Ref::Component(p) => seen[p.index()],
                Ref::Host(h) => model.host(h).components.iter().any(|p| seen[p.index()]),
                Ref::Zone(z) => zone_reached[z.index()],
                Ref::Certificate(_) => false,
            });
            seen[i] |= guards_reached;
        }
        seen
    }
}

/// Components that stand in for each other. Kept as one member list per group, so a
/// group of thousands costs its size once, not once per member.
pub struct RedundancyGroups {
    /// Every component id, so a singleton group is a one-element slice of it.
    all: Vec<ComponentId>,
    /// Each component's group, or `u32::MAX` when it is alone.
    group: Vec<u32>,
    /// The members of each group, sorted.
    members: Vec<Vec<ComponentId>>,
}

impl RedundancyGroups {
    /// The members interchangeable with `c`, itself included.
    pub fn of(&self, c: ComponentId) -> &[ComponentId] {
        match self.group[c.index()] {
            u32::MAX => std::slice::from_ref(&self.all[c.index()]),
            g => &self.members[g as usize],
        }
    }

    /// How many groups of two or more members there are.
    pub fn count(&self) -> usize {
        self.members.len()
    }

    /// The group of `c`, when it has one of two or more members.
    pub fn index(&self, c: ComponentId) -> Option<usize> {
        match self.group[c.index()] {
            u32::MAX => None,
            g => Some(g as usize),
        }
    }

    /// The members of group `g`, sorted.
    pub fn members(&self, g: usize) -> &[ComponentId] {
        &self.members[g]
    }
}

fn redundancy_groups(model: &Model) -> RedundancyGroups {
    let n = model.components.len();
    // Union-find over service labels and failover-enabled LB peers.
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut by_service: foldhash::HashMap<&str, usize> = foldhash::HashMap::default();
    for (i, c) in model.components.iter().enumerate() {
        if let Some(s) = &c.service {
            let first = *by_service.entry(s.value.as_str()).or_insert(i);
            let (a, b) = (find(&mut parent, first), find(&mut parent, i));
            parent[a.max(b)] = a.min(b);
        }
        if let Some(lb) = &c.load_balancer
            && lb.failover != crate::model::Failover::None
        {
            for (peer, _) in &lb.peers {
                let (a, b) = (find(&mut parent, i), find(&mut parent, peer.index()));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    // Group sizes first, so that only groups of two or more get a member list (most
    // components are alone; a list each would be a million allocations).
    let roots: Vec<usize> = (0..n).map(|i| find(&mut parent, i)).collect();
    let mut size = vec![0u32; n];
    for &root in &roots {
        size[root] += 1;
    }
    let mut group = vec![u32::MAX; n];
    let mut members: Vec<Vec<ComponentId>> = Vec::new();
    for (i, &root) in roots.iter().enumerate() {
        if size[root] < 2 {
            continue;
        }
        // A root is its group's smallest member (unions keep the smaller root), so
        // it is met first and numbers the group.
        if group[root] == u32::MAX {
            group[root] = members.len() as u32;
            members.push(Vec::with_capacity(size[root] as usize));
        }
        let g = group[root];
        group[i] = g;
        members[g as usize].push(ComponentId(i as u32));
    }
    RedundancyGroups {
        all: (0..n as u32).map(ComponentId).collect(),
        group,
        members,
    }
}
