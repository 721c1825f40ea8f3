//! SPOF001: a component or host whose failure stops an entrypoint being served.

use super::spof003::{SPOF003, Stuck, single_writer, stuck};
use super::*;
use crate::analysis::{Analysed, Outage};
use crate::availability::{Event, Place};
use crate::finding::Finding;
use crate::model::{ComponentId, HostId, Kind};
use crate::rules::Rule;

declare_rule!(
    SPOF001,
    "single-point-of-failure",
    Availability,
    Warning,
    availability: single_point_of_failure
);

pub(super) fn component_outage(
    cx: &Analysed,
    c: ComponentId,
    outage: &Outage,
    rule: &'static Rule,
) -> Finding {
    let model = cx.model;
    let def = model.component(c);
    let impact = impact(cx, outage);
    let stuck = stuck(cx, c, outage.event);
    let what = if rule == &SPOF003 {
        format!("`{}` is the only place its writes can go", def.id.value)
    } else {
        format!("`{}` is a single point of failure", def.id.value)
    };
    let why = stuck
        .as_ref()
        .map(|s| format!(" ({})", stuck_reason(cx, c, s)))
        .unwrap_or_default();
    let mut f = Finding::new(
        rule,
        def.id.span,
        format!(
            "{what}{why}: if it fails, {} ({}){}",
            impact.sentence, impact.chain, impact.voters
        ),
    )
    .label(format!(
        "{} `{}` has no stand-in",
        def.kind.value.as_str(),
        def.id.value
    ))
    .subject(def.id.value.clone());
    if let Some(h) = def.host {
        f = f.subject(model.host(h).id.value.clone());
    }
    if let Some((span, text)) = impact.last_link {
        f = f.related(span, text);
    }
    // A replica that something writes to stands in for nothing: DB001's fix sends
    // those writes to the primary, and a second replica would not help.
    let written = matches!(cx.availability.clusters.place[c.index()], Place::Replica(_))
        && cx
            .graph
            .graph
            .edges_directed(crate::graph::node(c), petgraph::Direction::Incoming)
            .any(|e| {
                model
                    .link(*petgraph::visit::EdgeRef::weight(&e))
                    .access
                    .writes()
            });
    if written {
        return f
            .help("it takes writes, which a replica cannot: send them to the primary (see DB001)")
            .prose_fix(
                "apply DB001's fix: writes go to the primary, the replica only serves reads",
            );
    }
    // A store in a replication cycle (or copying a non-store) has no cluster to add
    // to: DB002/DB003 come first.
    if cx.availability.clusters.place[c.index()] == Place::Unclustered {
        return f
            .help("its replication has no primary to start from: fix that first (see DB002, DB003)")
            .prose_fix("apply DB002's or DB003's fix, then give the cluster a replica");
    }
    let (description, yaml) = if let Some(stuck) = &stuck {
        let (help, fix) = stuck_fix(cx, c, stuck);
        f = f.help(help);
        fix
    } else if let Place::Replica(head) = cx.availability.clusters.place[c.index()] {
        f = f.help("add another replica, so that this one is not the only one serving");
        second_replica_fix(cx, c, head)
    } else if !cx.availability.clusters.replicas_of(c).is_empty() && def.data_store.is_some() {
        f = f.help("promote a replica automatically when it fails, and let its readers read the replicas too");
        let (description, yaml) = failover_fix(cx, c);
        // With one synchronous replica, failover would leave it waiting on itself.
        if cx.availability.clusters.synchronous(model, c).len() == 1 {
            let (more, replica) = sync_replica_fix(model, def);
            (
                format!("{description}; {more}"),
                crate::fix::merge_yaml(&yaml, &replica),
            )
        } else {
            (description, yaml)
        }
    } else if rule == &SPOF003 {
        f = f.help("give it a replica and automatic failover, so writes have somewhere to go when it fails");
        replica_fix(model, def)
    } else if def.data_store.is_some() {
        f = f.help("give it a replica that takes over when it fails");
        replica_fix(model, def)
    } else if def.kind.value == Kind::LoadBalancer {
        f = f.help("run a second load balancer as its peer, with a failover mechanism");
        load_balancer_fix(model, def)
    } else {
        f = f.help("run a second one on another machine and put both behind what calls them");
        second_instance_fix(cx, def)
    };
    f.fix(description, yaml)
}

/// Why automatic failover does not save `c`, in words.
fn stuck_reason(cx: &Analysed, c: ComponentId, stuck: &Stuck) -> String {
    let model = cx.model;
    let id = |c: &ComponentId| model.component(*c).id.value.clone();
    match stuck {
        Stuck::NoPromotable(replicas) if replicas.is_empty() => {
            "`failover: automatic` is set but it has no replica to promote".into()
        }
        Stuck::NoPromotable(replicas) => format!(
            "`failover: automatic` is set but no replica can be promoted: {} {} out of promotion",
            names(&replicas.iter().map(id).collect::<Vec<_>>()),
            if replicas.len() == 1 { "is" } else { "are" }
        ),
        Stuck::Quorum(taken) => {
            let q = model.component(c).quorum.as_ref().expect("a quorum");
            format!(
                "its failover cannot happen: the quorum needs {} of its {} voters, and its failure takes {}",
                q.needs,
                q.voters.len(),
                names(&taken.iter().map(id).collect::<Vec<_>>())
            )
        }
        Stuck::LastSync(r) => format!(
            "its one synchronous replica `{}` would take over with no synchronous replica left to confirm writes",
            id(r)
        ),
        Stuck::ReplicasFall => "every replica that could be promoted fails with it".into(),
    }
}

/// The help and fix for a head whose automatic failover cannot happen: never "add
/// `failover: automatic`", which it has.
fn stuck_fix(cx: &Analysed, c: ComponentId, stuck: &Stuck) -> (&'static str, (String, String)) {
    let model = cx.model;
    let def = model.component(c);
    match stuck {
        Stuck::NoPromotable(replicas) if !replicas.is_empty() => {
            let r = model.component(replicas[0]);
            let critical = if r.critical {
                ""
            } else {
                "    critical: true\n"
            };
            (
                "let a replica be promoted: remove its `failover: none`",
                (
                    format!(
                        "let `{}` be promoted when `{}` fails",
                        r.id.value, def.id.value
                    ),
                    format!(
                        "components:\n  {}:\n    failover: automatic\n{critical}",
                        r.id.value
                    ),
                ),
            )
        }
        Stuck::Quorum(taken) => (
            "add voters on separate machines, so that one failure cannot take the quorum",
            voters_fix(model, c, taken.len()),
        ),
        Stuck::LastSync(_) => (
            "add a second synchronous replica on another machine",
            sync_replica_fix(model, def),
        ),
        _ => (
            "add a replica on another machine that can be promoted",
            replica_fix(model, def),
        ),
    }
}

pub(super) fn host_outage(cx: &Analysed, h: HostId, outage: &Outage) -> Finding {
    let model = cx.model;
    let host = model.host(h);
    let impact = impact(cx, outage);
    let mut f = Finding::new(
        &SPOF001,
        host.id.span,
        format!(
            "host `{}` is a single point of failure: if it fails, {} ({}){}",
            host.id.value, impact.sentence, impact.chain, impact.voters
        ),
    )
    .label("every component on this host fails with it")
    .subject(host.id.value.clone())
    .help("spread the components that stand in for each other across separate hosts");
    for c in &host.components {
        let def = model.component(*c);
        f = f.related(
            def.id.span,
            format!("`{}` runs on `{}`", def.id.value, host.id.value),
        );
    }
    let new_host = fresh_id(model, &host.id.value);
    let moved = host
        .components
        .iter()
        .map(|c| model.component(*c))
        .find(|c| c.instances < 2)
        .or_else(|| host.components.first().map(|c| model.component(*c)));
    if let Some(moved) = moved {
        f = f.fix(
            format!("add a host `{new_host}` and move a redundant component onto it"),
            format!(
                "hosts:\n  {new_host}: {{}}\ncomponents:\n  {}:\n    host: {new_host}\n",
                moved.id.value
            ),
        );
    }
    f
}

pub(super) fn single_point_of_failure(cx: &Analysed, out: &mut Vec<Finding>) {
    let model = cx.model;
    let av = &cx.availability;
    for outage in &cx.outages {
        match av.events[outage.event.0 as usize] {
            Event::Component(c) => {
                if !single_writer(cx, c, outage.event) {
                    out.push(component_outage(cx, c, outage, &SPOF001));
                }
            }
            Event::Host(h) => {
                let reported =
                    model.host(h).components.iter().any(|c| {
                        av.component_event[c.index()].is_some_and(|e| cx.outage(e).is_some())
                    });
                if !reported {
                    out.push(host_outage(cx, h, outage));
                }
            }
            // A failure-domain value stops users only through what it holds: a
            // component or host reported here, or redundancy it defeats (SPOF002).
            // A group's collective loss is not a failure at all.
            Event::Domain(_) | Event::Group(_) => {}
        }
    }
}
