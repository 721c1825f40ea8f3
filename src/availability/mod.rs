//! The availability model of rules.md: failure events, each component's dependencies as
//! AND/OR clauses, and every component's kill set (the single failures that stop it),
//! computed in one pass over the strongly connected components of the dependencies.

mod demand;
mod killset;
mod simulate;

use std::rc::Rc;

pub use demand::{Alt, Clause, ClauseKind, Slot};
pub use killset::WorkLimitExceeded;
pub use simulate::simulate;

use crate::analysis::RedundancyGroups;
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
}

impl Event {
    /// The event's name as findings and `what-if` write it: an id or `level:value`.
    pub fn name(self, model: &Model) -> String {
        match self {
            Event::Component(c) => model.component(c).id.value.clone(),
            Event::Host(h) => model.host(h).id.value.clone(),
            Event::Domain(d) => model.failure_domains[d.index()].name(),
        }
    }
}

/// A kill set: sorted, deduplicated event ids, shared between components whose sets are
/// equal by construction.
pub type KillSet = Rc<[EventId]>;

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
}

impl Availability {
    /// Builds the model's events and dependencies and computes every kill set, or says
    /// that doing so would exceed `work_limit` set operations' worth of elements.
    pub fn analyse(
        model: &Model,
        groups: &RedundancyGroups,
        work_limit: usize,
    ) -> Result<Availability, WorkLimitExceeded> {
        let mut events = Vec::new();
        let mut component_event = vec![None; model.components.len()];
        for (i, c) in model.components.iter().enumerate() {
            if c.instances == 1 && c.kind.value != Kind::Client {
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
        let own: Vec<Vec<EventId>> = model
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut own = Vec::new();
                if c.kind.value == Kind::Client {
                    return own; // Clients are outside the system: nothing of theirs fails it.
                }
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
                own.sort_unstable();
                own
            })
            .collect();
        let demands = demand::build(model, groups);
        let kill = killset::compute(&own, &demands, work_limit)?;
        Ok(Availability {
            events,
            own,
            demands,
            kill,
            host_event,
            domain_event,
            component_event,
        })
    }

    /// Whether `event` stops `c`.
    pub fn stops(&self, event: EventId, c: ComponentId) -> bool {
        self.kill[c.index()].binary_search(&event).is_ok()
    }

    /// One chain of dependencies from `from` to where `event` strikes: the components
    /// in order and the link or target that leads to each (None for the first).
    pub fn chain(&self, event: EventId, from: ComponentId) -> Vec<(ComponentId, Option<LinkId>)> {
        let mut path = vec![(from, None)];
        let mut seen = vec![false; self.kill.len()];
        seen[from.index()] = true;
        let mut c = from;
        // Follow a dependency that holds the event until reaching a component the event
        // strikes itself. Kill sets are a least fixpoint, so such a path exists; `seen`
        // keeps cycles from trapping the walk.
        for _ in 0..self.kill.len() {
            if self.own[c.index()].binary_search(&event).is_ok() {
                break;
            }
            let next = self.demands[c.index()].iter().find_map(|clause| {
                clause.alts.iter().find_map(|alt| {
                    alt.slots.iter().find_map(|slot| {
                        slot.nodes
                            .iter()
                            .find(|n| !seen[n.index()] && self.stops(event, **n))
                            .map(|n| (*n, alt.link))
                    })
                })
            });
            let Some((n, link)) = next else { break };
            seen[n.index()] = true;
            path.push((n, link));
            c = n;
        }
        path
    }
}

#[cfg(test)]
mod tests;
