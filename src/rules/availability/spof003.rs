//! SPOF003: a data store that is the only place some writes can go, and why its
//! failover (when it has one) cannot save them.

use super::spof001::component_outage;
use crate::analysis::Analysed;
use crate::availability::{Event, EventId, Place};
use crate::finding::Finding;
use crate::model::{ComponentId, Failover, Kind, Role};

declare_rule!(
    SPOF003,
    "single-writable-database",
    Availability,
    Warning,
    availability: single_writable_database
);

/// Why a head with `failover: automatic` still stops what it serves when it fails.
pub(super) enum Stuck {
    /// No replica can be promoted: none exists, or each says `failover: none` or is not
    /// critical (these are listed).
    NoPromotable(Vec<ComponentId>),
    /// The quorum that must agree on the promotion (or on writes) falls with it: the
    /// voters it takes.
    Quorum(Vec<ComponentId>),
    /// Its one synchronous replica would take over with none left to confirm writes.
    LastSync(ComponentId),
    /// Every promotable replica fails with it.
    ReplicasFall,
}

/// Why `c`, a head with automatic failover, stops what it serves when `event` (its own
/// failure) happens; None when it has no automatic failover.
pub(super) fn stuck(cx: &Analysed, c: ComponentId, event: EventId) -> Option<Stuck> {
    let model = cx.model;
    let av = &cx.availability;
    let def = model.component(c);
    let store = def.data_store.as_ref()?;
    if store.failover != Failover::Automatic || av.clusters.place[c.index()] != Place::Head {
        return None;
    }
    let promotable = av.clusters.promotable(model, c);
    if promotable.is_empty() {
        return Some(Stuck::NoPromotable(av.clusters.replicas_of(c).to_vec()));
    }
    if let Some(q) = def.cluster_quorum()
        && av.stops_gate(event, &q.voters, q.tolerates())
    {
        let taken = q
            .voters
            .iter()
            .copied()
            .filter(|v| av.stops(event, *v))
            .collect();
        return Some(Stuck::Quorum(taken));
    }
    let sync = av.clusters.synchronous(model, c);
    if let [only] = sync[..]
        && promotable.iter().all(|p| *p == only || av.stops(event, *p))
    {
        return Some(Stuck::LastSync(only));
    }
    Some(Stuck::ReplicasFall)
}

/// Whether `c`'s own failure is SPOF003's to report: a database or cache that heads
/// its cluster (standalone or primary), and whose failure leaves some write that could
/// go to it with nowhere to go.
pub(super) fn single_writer(cx: &Analysed, c: ComponentId, event: EventId) -> bool {
    let av = &cx.availability;
    let def = cx.model.component(c);
    matches!(def.kind.value, Kind::Database | Kind::Cache)
        && av.clusters.place[c.index()] == Place::Head
        && def
            .data_store
            .as_ref()
            .is_some_and(|d| d.role != Role::Replica)
        && av
            .writes_into(c)
            .any(|clause| av.stops_clause(event, clause))
}

fn single_writable_database(cx: &Analysed, out: &mut Vec<Finding>) {
    for outage in &cx.outages {
        if let Event::Component(c) = cx.availability.events[outage.event.0 as usize]
            && single_writer(cx, c, outage.event)
        {
            out.push(component_outage(cx, c, outage, &SPOF003));
        }
    }
}
