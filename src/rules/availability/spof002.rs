//! SPOF002: redundancy defeated by placement.

use std::collections::BTreeMap;

use super::*;
use crate::analysis::{Analysed, Outage};
use crate::availability::{Event, EventId, Group};
use crate::finding::Finding;
use crate::model::{ComponentId, DomainId, HostId};

declare_rule!(
    SPOF002,
    "shared-failure-domain",
    Availability,
    Warning,
    availability: shared_failure_domain
);

/// How fine a domain is, smallest first: hosts covered, then levels with more values,
/// then the conventionally smaller level, then the event (a host before any value).
type Fineness = (usize, std::cmp::Reverse<usize>, usize, EventId);

fn shared_failure_domain(cx: &Analysed, out: &mut Vec<Finding>) {
    let model = cx.model;
    let av = &cx.availability;
    // How many values each level has: of two levels covering the same hosts, the one
    // with more values cuts finer (a rack before its datacenter).
    let mut level_values: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for d in &model.failure_domains {
        *level_values.entry(d.level.as_str()).or_default() += 1;
    }
    for (group, group_event) in av.groups.iter().zip(&av.group_event) {
        // Only redundancy that protects an entrypoint can be defeated: losing every
        // member at once must stop one.
        let Some(group_outage) = cx.outage(*group_event) else {
            continue;
        };
        // A quorum that tolerates no loss has no redundancy for placement to defeat.
        if group.is_quorum() && group.tolerates() == 0 {
            continue;
        }
        // An OR group is defeated only by a domain that holds every member: most are
        // not, and a glance at the first member's host says so.
        if !group.is_quorum() && !one_domain_holds_all(model, &group.members) {
            continue;
        }
        // The members in each host and each level value. A domain defeats the group
        // when it holds more members than the group tolerates losing: every member of
        // an OR group, a majority of a majority quorum's voters.
        let mut by_host: BTreeMap<HostId, Vec<ComponentId>> = BTreeMap::new();
        let mut by_domain: BTreeMap<DomainId, Vec<ComponentId>> = BTreeMap::new();
        for &m in &group.members {
            if let Some(h) = model.component(m).host {
                by_host.entry(h).or_default().push(m);
                for d in &model.host(h).domains {
                    by_domain.entry(*d).or_default().push(m);
                }
            }
        }
        let tolerates = group.tolerates();
        // The finest domain is the one covering the fewest hosts; between levels that
        // cover the same hosts, the one with more values, then the conventionally
        // smaller one (a rack before its datacenter); a host before any level value.
        let mut candidates: Vec<(Fineness, &[ComponentId])> = Vec::new();
        for (h, members) in &by_host {
            if members.len() > tolerates {
                let key = (
                    1,
                    std::cmp::Reverse(usize::MAX),
                    0,
                    av.host_event[h.index()],
                );
                candidates.push((key, members));
            }
        }
        for (d, members) in &by_domain {
            if members.len() > tolerates {
                let fd = &model.failure_domains[d.index()];
                let key = (
                    fd.hosts.len(),
                    std::cmp::Reverse(level_values[fd.level.as_str()]),
                    level_rank(&fd.level),
                    av.domain_event[d.index()],
                );
                candidates.push((key, members));
            }
        }
        // The domain's own failure must stop an entrypoint: for an OR group it does
        // whenever the group's loss does; a quorum's voters may serve elsewhere too.
        let Some((key, members)) = candidates
            .into_iter()
            .filter(|(key, _)| cx.outage(key.3).is_some())
            .min_by_key(|(key, _)| *key)
        else {
            continue;
        };
        out.push(shared_domain_finding(
            cx,
            key.3,
            members,
            group,
            group_outage,
        ));
    }
}

/// Whether some host or level value holds every one of `members`.
fn one_domain_holds_all(model: &crate::model::Model, members: &[ComponentId]) -> bool {
    let hosts: Option<Vec<HostId>> = members.iter().map(|m| model.component(*m).host).collect();
    let Some(hosts) = hosts else { return false };
    let Some(first) = hosts.first() else {
        return false;
    };
    hosts.iter().all(|h| h == first)
        || model
            .host(*first)
            .domains
            .iter()
            .any(|d| hosts.iter().all(|h| model.host(*h).domains.contains(d)))
}

/// Where a conventional level name sits from small to large; other names come after.
pub(super) fn level_rank(level: &str) -> usize {
    const ORDER: [&str; 11] = [
        "host",
        "chassis",
        "rack",
        "row",
        "pdu",
        "room",
        "availability_zone",
        "az",
        "zone",
        "datacenter",
        "region",
    ];
    ORDER
        .iter()
        .position(|l| level.eq_ignore_ascii_case(l))
        .map_or(ORDER.len(), |i| i + 1)
}

fn shared_domain_finding(
    cx: &Analysed,
    event: EventId,
    members: &[ComponentId],
    group: &Group,
    outage: &Outage,
) -> Finding {
    let model = cx.model;
    let impact = impact(cx, outage);
    let member_names: Vec<String> = members
        .iter()
        .map(|m| model.component(*m).id.value.clone())
        .collect();
    let domain = cx.availability.events[event.0 as usize];
    let domain_name = domain.name(model);
    let (span, where_) = match domain {
        Event::Host(h) => (model.host(h).id.span, format!("host `{domain_name}`")),
        Event::Domain(d) => (
            model.failure_domains[d.index()].span,
            format!("`{domain_name}`"),
        ),
        Event::Component(_) | Event::Group(_) => {
            unreachable!("a shared domain is a host or a level value")
        }
    };
    let redundant = if group.is_quorum() {
        format!(
            "{} of the {} voters of a quorum that needs {}, {}, sit",
            members.len(),
            group.members.len(),
            group.needs,
            names(&member_names)
        )
    } else if members.len() == 1 {
        let c = model.component(members[0]);
        format!("the {} instances of `{}` all run", c.instances, c.id.value)
    } else {
        format!("the redundant {} all sit", names(&member_names))
    };
    let mut f = Finding::new(
        &SPOF002,
        span,
        format!(
            "{redundant} in {where_}: if it fails, {} ({})",
            impact.sentence, impact.chain
        ),
    )
    .label(format!(
        "one failure here stops every member ({})",
        crate::finding::listed(&member_names)
    ))
    .subject(domain_name.clone());
    for (m, name) in members.iter().zip(&member_names) {
        f = f.subject(name.clone()).related(
            model.component(*m).id.span,
            format!("`{name}` is placed here"),
        );
    }
    match domain {
        Event::Domain(d) => {
            let fd = &model.failure_domains[d.index()];
            // A host that holds a member: moving it takes that member out.
            let host = members
                .iter()
                .rev()
                .find_map(|m| model.component(*m).host)
                .map(|h| model.host(h))
                .expect("the members sit on hosts of the domain");
            let value = fresh_value(model, &fd.level, &fd.value);
            f = f
                .help(format!(
                    "place the members in different `{}` values",
                    fd.level
                ))
                .fix(
                    format!("move host `{}` to another {}", host.id.value, fd.level),
                    format!(
                        "hosts:\n  {}:\n    failure_domains: {{ {}: {value} }}\n",
                        host.id.value, fd.level
                    ),
                );
        }
        _ => {
            let new_host = match domain {
                Event::Host(h) => fresh_id(model, &model.host(h).id.value),
                _ => "host-2".into(),
            };
            let moved = &member_names[member_names.len() - 1];
            let fix = if members.len() == 1 {
                let c = model.component(members[0]);
                (
                    format!(
                        "split `{}` into two components on separate hosts",
                        c.id.value
                    ),
                    format!(
                        "hosts:\n  {new_host}: {{}}\ncomponents:\n  {id}:\n    instances: 1\n    service: {id}\n  {twin}:\n    kind: {kind}\n    host: {new_host}\n    service: {id}\n",
                        id = c.id.value,
                        twin = sibling_id(model, &c.id.value),
                        kind = c.kind.value.as_str(),
                    ),
                )
            } else {
                (
                    format!("add a host `{new_host}` and move `{moved}` onto it"),
                    format!(
                        "hosts:\n  {new_host}: {{}}\ncomponents:\n  {moved}:\n    host: {new_host}\n"
                    ),
                )
            };
            f = f
                .help("place the members on different hosts")
                .fix(fix.0, fix.1);
        }
    }
    f
}
