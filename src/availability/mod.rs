//! The availability model of rules.md: failure events, each component's dependencies as
//! AND/OR clauses, and every component's kill set (the single failures that stop it),
//! computed in one pass over the strongly connected components of the dependencies.

mod demand;
mod killset;
mod simulate;

use std::sync::Arc;

pub use demand::{Alt, Clause, ClauseKind, Clusters, Place, Slot};
pub use killset::WorkLimitExceeded;
pub use simulate::simulate;

use crate::analysis::RedundancyGroups;
use crate::firewalls::Guards;
use crate::model::{ComponentId, DomainId, HostId, Kind, LinkId, Model};

/// A failure event's index in [`Availability::events`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub u32);

/// One failure: a component, a host, or one value of a failure-domain level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// A component goes down (all its instances).
    Component(ComponentId),
    /// A host goes down, and every component on it.
    Host(HostId),
    /// Every host with this failure-domain value goes down.
    Domain(DomainId),
    /// Not a failure of its own: every member of a redundancy group
    /// ([`Availability::groups`]) down at once. Its kill-set entries say which
    /// entrypoints a group's redundancy protects, which tells a group that matters from
    /// one that does not.
    Group(u32),
}

impl Event {
    /// The event's name as findings and `what-if` write it: an id or `level:value`.
    pub fn name(self, model: &Model) -> String {
        match self {
            Event::Component(c) => model.component(c).id.value.clone(),
            Event::Host(h) => model.host(h).id.value.clone(),
            Event::Domain(d) => model.failure_domains[d.index()].name(),
            Event::Group(_) => "a redundancy group".into(),
        }
    }

    /// The event as a message's subject: "host `h1`", or the quoted name.
    pub fn described(self, model: &Model) -> String {
        match self {
            Event::Host(_) => format!("host `{}`", self.name(model)),
            _ => format!("`{}`", self.name(model)),
        }
    }

    /// Whether this is a real failure (not a group's collective loss).
    pub fn is_failure(self) -> bool {
        !matches!(self, Event::Group(_))
    }
}

/// Components that some demand needs `needs` of: an OR group (needs 1), a quorum's
/// voters, or one component with several instances (one member, needs 1).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    /// The members, sorted.
    pub members: Vec<ComponentId>,
    /// How many must work.
    pub needs: u32,
}

impl Group {
    /// Whether it is a quorum (more than one member must work).
    pub fn is_quorum(&self) -> bool {
        self.needs > 1
    }

    /// How many members may fail before the group fails.
    pub fn tolerates(&self) -> usize {
        self.members.len().saturating_sub(self.needs as usize)
    }
}

/// A kill set: sorted, deduplicated event ids, shared between components whose sets are
/// equal by construction.
pub type KillSet = Arc<[EventId]>;

/// The analysis of one topology.
#[derive(Debug)]
pub struct Availability {
    /// Every failure event.
    pub events: Vec<Event>,
    /// Each component's own failure events (its own, its host's, its host's domains').
    pub own: Vec<Vec<EventId>>,
    /// Each component's dependencies.
    pub demands: Vec<Vec<Clause>>,
    /// Each component's kill set.
    pub kill: Vec<KillSet>,
    /// The event of each host.
    pub host_event: Vec<EventId>,
    /// The event of each failure-domain value.
    pub domain_event: Vec<EventId>,
    /// The event of each component that has one (instances 1, not a client).
    pub component_event: Vec<Option<EventId>>,
    /// Redundancy groups: each OR over two or more components in some dependency, each
    /// quorum, and each component with several instances. In sorted order.
    pub groups: Vec<Group>,
    /// Replication clusters: each data store's place, each head's replicas.
    pub clusters: Clusters,
    /// The collective-loss event of each group.
    pub group_event: Vec<EventId>,
    /// The components with a quorum, in component order.
    pub quorums: Vec<ComponentId>,
    /// For each event that breaks some quorum (stops more voters than it tolerates):
    /// the components whose quorum it breaks, in component order.
    broken_quorums: foldhash::HashMap<EventId, Vec<ComponentId>>,
    /// Who depends on each component, and through which link: the reverse of
    /// `demands`, for explaining a finding by walking back from where it strikes.
    dependents: Vec<Vec<(ComponentId, Option<LinkId>)>>,
}

impl Availability {
    /// Builds the model's events and dependencies and computes every kill set, or says
    /// that doing so would exceed `work_limit` set operations' worth of elements.
    pub fn analyse(
        model: &Model,
        groups: &RedundancyGroups,
        guards: &Guards,
        work_limit: usize,
    ) -> Result<Availability, WorkLimitExceeded> {
        let mut events = Vec::new();
        let mut component_event = vec![None; model.components.len()];
        for (i, c) in model.components.iter().enumerate() {
            // Several instances, a client or a managed service: no failure of its own.
            if c.instances == 1 && c.kind.value != Kind::Client && !c.managed {
                component_event[i] = Some(EventId(events.len() as u32));
                events.push(Event::Component(ComponentId(i as u32)));
            }
        }
        let mut host_event = Vec::with_capacity(model.hosts.len());
        for i in 0..model.hosts.len() {
            host_event.push(EventId(events.len() as u32));
            events.push(Event::Host(HostId(i as u32)));
        }
        let mut domain_event = Vec::with_capacity(model.failure_domains.len());
        for i in 0..model.failure_domains.len() {
            domain_event.push(EventId(events.len() as u32));
            events.push(Event::Domain(DomainId(i as u32)));
        }
        let clusters = Clusters::new(model, groups);
        let demands = demand::build(model, groups, guards, &clusters);
        let group_members = redundancy_groups(model, &demands);
        let mut group_event = Vec::with_capacity(group_members.len());
        for i in 0..group_members.len() {
            group_event.push(EventId(events.len() as u32));
            events.push(Event::Group(i as u32));
        }
        let mut own: Vec<Vec<EventId>> = model
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                // Clients are outside the system and have no failure of their own, but
                // one on a host goes down with it.
                let mut own = Vec::new();
                own.extend(component_event[i]);
                if let Some(h) = c.host {
                    own.push(host_event[h.index()]);
                    own.extend(
                        model
                            .host(h)
                            .domains
                            .iter()
                            .map(|d| domain_event[d.index()]),
                    );
                }
                own
            })
            .collect();
        for (group, event) in group_members.iter().zip(&group_event) {
            for m in &group.members {
                own[m.index()].push(*event);
            }
        }
        for events in &mut own {
            events.sort_unstable();
        }
        let kill = killset::compute(&own, &demands, model.hosts.len(), work_limit)?;
        // Which events break each quorum: those in more of its voters' kill sets than
        // it tolerates losing. Indexed by event, so a finding looks its event up.
        let quorums: Vec<ComponentId> = (0..model.components.len() as u32)
            .map(ComponentId)
            .filter(|c| model.component(*c).quorum.is_some())
            .collect();
        let mut broken_quorums: foldhash::HashMap<EventId, Vec<ComponentId>> =
            foldhash::HashMap::default();
        for &q in &quorums {
            let quorum = model.component(q).quorum.as_ref().expect("filtered");
            let voters = quorum.voters.iter().map(|v| &kill[v.index()][..]);
            for event in killset::in_more_than(voters, quorum.tolerates()) {
                broken_quorums.entry(event).or_default().push(q);
            }
        }
        let mut dependents: Vec<Vec<(ComponentId, Option<LinkId>)>> =
            vec![Vec::new(); model.components.len()];
        for (c, clauses) in demands.iter().enumerate() {
            for alt in clauses.iter().flat_map(|cl| &cl.alts) {
                for node in alt.slots.iter().flat_map(|s| &s.nodes) {
                    let entry = (ComponentId(c as u32), alt.link);
                    if dependents[node.index()].last() != Some(&entry) {
                        dependents[node.index()].push(entry);
                    }
                }
            }
        }
        Ok(Availability {
            events,
            own,
            demands,
            kill,
            host_event,
            domain_event,
            component_event,
            groups: group_members,
            clusters,
            group_event,
            quorums,
            broken_quorums,
            dependents,
        })
    }

    /// Whether `event` stops `c`.
    pub fn stops(&self, event: EventId, c: ComponentId) -> bool {
        self.kill[c.index()].binary_search(&event).is_ok()
    }

    /// Whether `event` stops a slot: more of its nodes than it tolerates.
    pub fn stops_slot(&self, event: EventId, slot: &Slot) -> bool {
        self.stops_gate(event, &slot.nodes, slot.tolerates())
    }

    /// Whether `event` stops more than `tolerates` of `nodes`.
    pub fn stops_gate(&self, event: EventId, nodes: &[ComponentId], tolerates: usize) -> bool {
        nodes.iter().filter(|n| self.stops(event, **n)).count() > tolerates
    }

    /// Whether `event` stops every alternative of a clause.
    pub fn stops_clause(&self, event: EventId, clause: &Clause) -> bool {
        clause
            .alts
            .iter()
            .all(|alt| alt.slots.iter().any(|s| self.stops_slot(event, s)))
    }

    /// The components whose quorum `event` breaks.
    pub fn quorums_broken_by(&self, event: EventId) -> &[ComponentId] {
        self.broken_quorums.get(&event).map_or(&[], Vec::as_slice)
    }

    /// The write demands that `store` may serve: each writer's clause (found through
    /// who depends on it, so only a store a rule asks about costs anything).
    pub fn writes_into(&self, store: ComponentId) -> impl Iterator<Item = &Clause> {
        self.dependents[store.index()]
            .iter()
            .flat_map(move |(d, _)| self.demands[d.index()].iter())
            .filter(move |clause| {
                clause.kind == ClauseKind::Writes
                    && clause
                        .alts
                        .iter()
                        .any(|alt| alt.slots.first().is_some_and(|s| s.nodes.contains(&store)))
            })
    }

    /// The components an event strikes directly.
    pub fn struck(&self, model: &Model, event: EventId) -> Vec<ComponentId> {
        match self.events[event.0 as usize] {
            Event::Component(c) => vec![c],
            Event::Host(h) => model.host(h).components.clone(),
            Event::Domain(d) => model.failure_domains[d.index()]
                .hosts
                .iter()
                .flat_map(|h| model.host(*h).components.iter().copied())
                .collect(),
            Event::Group(g) => self.groups[g as usize].members.clone(),
        }
    }

    /// One chain of dependencies from `from` to where `event` strikes: the components
    /// in order and the link or target that leads to each (None for the first). Found
    /// by walking back from the struck components through dependents the event also
    /// stops, so its cost is that of the stopped region, not of `from`'s fan-out.
    pub fn chain(
        &self,
        model: &Model,
        event: EventId,
        from: ComponentId,
    ) -> Vec<(ComponentId, Option<LinkId>)> {
        use std::collections::VecDeque;
        // For each visited component: the next one towards the struck ones, and the
        // link between them.
        let mut toward: foldhash::HashMap<ComponentId, Option<(ComponentId, Option<LinkId>)>> =
            foldhash::HashMap::default();
        let mut queue = VecDeque::new();
        for c in self.struck(model, event) {
            if self.stops(event, c) && toward.insert(c, None).is_none() {
                queue.push_back(c);
            }
        }
        while let Some(n) = queue.pop_front() {
            if n == from {
                break;
            }
            for &(d, link) in &self.dependents[n.index()] {
                if !toward.contains_key(&d) && self.stops(event, d) {
                    toward.insert(d, Some((n, link)));
                    queue.push_back(d);
                }
            }
        }
        let mut path = vec![(from, None)];
        let mut c = from;
        while let Some(Some((next, link))) = toward.get(&c) {
            path.push((*next, *link));
            c = *next;
        }
        path
    }
}

/// The redundancy groups of the dependencies: each OR over two or more components (the
/// serving members of a clause's alternatives, or a slot's nodes), each quorum, and
/// each component with several instances.
fn redundancy_groups(model: &Model, demands: &[Vec<Clause>]) -> Vec<Group> {
    // Many demands name the same group (every writer of one cluster): a hash set
    // drops the repeats cheaply, one sort at the end gives the order.
    let mut groups: foldhash::HashSet<Group> = foldhash::HashSet::default();
    for clauses in demands {
        for clause in clauses {
            if clause.alts.len() > 1 {
                let mut members: Vec<ComponentId> = clause
                    .alts
                    .iter()
                    .flat_map(|alt| {
                        alt.slots
                            .first()
                            .map(|s| s.nodes.clone())
                            .unwrap_or_default()
                    })
                    .collect();
                members.sort_unstable();
                members.dedup();
                if members.len() > 1 {
                    groups.insert(Group { members, needs: 1 });
                }
            }
            for alt in &clause.alts {
                for slot in &alt.slots {
                    if slot.nodes.len() > 1 {
                        groups.insert(Group {
                            members: slot.nodes.clone(),
                            needs: slot.needs,
                        });
                    }
                }
            }
        }
    }
    for (i, c) in model.components.iter().enumerate() {
        if c.instances > 1 && c.kind.value != Kind::Client {
            groups.insert(Group {
                members: vec![ComponentId(i as u32)],
                needs: 1,
            });
        }
    }
    let mut groups: Vec<Group> = groups.into_iter().collect();
    groups.sort_unstable();
    groups
}

#[cfg(test)]
mod oracle;
#[cfg(test)]
mod tests;
