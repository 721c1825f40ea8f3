//! Availability: single points of failure from the AND/OR model, and the load
//! balancer rules. All of them read the one analysis in [`Context`].

use super::Rule;
use crate::analysis::{Analysed, Context, Outage};
use crate::availability::{Event, EventId};
use crate::finding::Finding;
use crate::model::document::Mode;
use crate::model::{
    ComponentDef, ComponentId, Failover, FirewallDef, HostId, Kind, LinkOrigin, Model, Role,
};

declare_rule!(
    SPOF001,
    "single-point-of-failure",
    Availability,
    Warning,
    availability: single_point_of_failure
);

declare_rule!(
    SPOF002,
    "shared-failure-domain",
    Availability,
    Warning,
    availability: shared_failure_domain
);

declare_rule!(
    SPOF003,
    "single-writable-database",
    Availability,
    Warning,
    availability: single_writable_database
);

declare_rule!(
    LB001,
    "single-target-pool",
    Availability,
    Warning,
    single_target_pool
);

declare_rule!(
    LB002,
    "no-health-check",
    Availability,
    Warning,
    no_health_check
);

declare_rule!(
    LB003,
    "heterogeneous-active-active",
    Availability,
    Warning,
    heterogeneous_active_active
);

declare_rule!(
    LB004,
    "peers-without-failover",
    Availability,
    Warning,
    peers_without_failover
);

/// Whether a component's own failure is SPOF003's to report: a database or cache
/// that is standalone, or a primary without automatic failover.
fn single_writer(c: &ComponentDef) -> bool {
    matches!(c.kind.value, Kind::Database | Kind::Cache)
        && c.data_store.as_ref().is_some_and(|d| match d.role {
            Role::Standalone => true,
            Role::Primary => d.failover != Failover::Automatic,
            Role::Replica => false,
        })
}

/// `a`, `b` and `c`, each in backticks.
fn names(list: &[String]) -> String {
    let quoted: Vec<String> = list.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// "users can no longer be served" and the chain from the first entrypoint, with the
/// label on the link or target that makes the last step a dependency.
struct Impact {
    sentence: String,
    chain: String,
    last_link: Option<(crate::source::Span, String)>,
}

fn impact(cx: &Analysed, outage: &Outage) -> Impact {
    let model = cx.model;
    let entry_names: Vec<String> = outage
        .entrypoints
        .iter()
        .map(|e| model.component(*e).id.value.clone())
        .collect();
    let sentence = format!("{} can no longer be served", names(&entry_names));
    let path = cx
        .availability
        .chain(model, outage.event, outage.entrypoints[0]);
    let chain = path
        .iter()
        .map(|(c, _)| model.component(*c).id.value.as_str())
        .collect::<Vec<_>>()
        .join(" -> ");
    let last_link = path.last().and_then(|(c, link)| {
        let link = model.link((*link)?);
        let text = match link.origin {
            LinkOrigin::Target { lb } => format!("a target of `{}`", model.component(lb).id.value),
            LinkOrigin::Declared => format!(
                "`{}` depends on `{}` through this link",
                model.component(link.from).id.value,
                model.component(*c).id.value
            ),
        };
        Some((link.span, text))
    });
    Impact {
        sentence,
        chain,
        last_link,
    }
}

/// An id not yet used, for fixes that add something: `base-2`, `base-3`...
fn fresh_id(model: &Model, base: &str) -> String {
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|c| model.lookup(c).is_none())
        .expect("some suffix is free")
}

/// `base` itself when it is free, else a fresh variant of it.
fn free_id(model: &Model, base: &str) -> String {
    if model.lookup(base).is_none() {
        base.to_string()
    } else {
        fresh_id(model, base)
    }
}

/// An id without its instance number: `web-1` -> `web`.
fn stem(id: &str) -> &str {
    match id.rsplit_once('-') {
        Some((stem, n)) if !stem.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => stem,
        _ => id,
    }
}

/// The id of a second copy of `id`: `lb-1` -> `lb-2`, `web` -> `web-2`.
fn sibling_id(model: &Model, id: &str) -> String {
    fresh_id(model, stem(id))
}

/// The `host:` line of a fix's new component: a fresh host beside `c`'s, so the copy
/// does not share its machine (nothing for a host-less component).
fn new_host_line(model: &Model, c: &ComponentDef) -> String {
    match c.host {
        Some(h) => format!("    host: {}\n", fresh_id(model, &model.host(h).id.value)),
        None => String::new(),
    }
}

fn load_balancer_fix(model: &Model, c: &ComponentDef) -> (String, String) {
    let peer = sibling_id(model, &c.id.value);
    let host_line = new_host_line(model, c);
    let targets: Vec<&str> = c
        .load_balancer
        .as_ref()
        .map(|lb| {
            lb.targets
                .iter()
                .map(|(t, _)| model.component(*t).id.value.as_str())
                .collect()
        })
        .unwrap_or_default();
    let software = c
        .software
        .as_deref()
        .map(|s| format!("    software: {s}\n"))
        .unwrap_or_default();
    let yaml = format!(
        "components:\n  {id}:\n    peers: [{peer}]\n    failover: vrrp\n  {peer}:\n    kind: load_balancer\n{host_line}{software}    balancing: {{ targets: [{targets}] }}\n    peers: [{id}]\n    failover: vrrp\n",
        id = c.id.value,
        targets = targets.join(", "),
    );
    (
        format!(
            "add a peer load balancer `{peer}` that takes over through VRRP (a shared virtual IP)"
        ),
        yaml,
    )
}

fn second_instance_fix(model: &Model, c: &ComponentDef) -> (String, String) {
    let twin = sibling_id(model, &c.id.value);
    let service = c
        .service
        .as_ref()
        .map_or_else(|| free_id(model, stem(&c.id.value)), |s| s.value.clone());
    let host_line = new_host_line(model, c);
    let yaml = format!(
        "components:\n  {id}:\n    service: {service}\n  {twin}:\n    kind: {kind}\n{host_line}    service: {service}\n",
        id = c.id.value,
        kind = c.kind.value.as_str(),
    );
    (
        format!(
            "run a second `{}` on another machine, in one `service` group with this one",
            c.kind.value.as_str()
        ),
        yaml,
    )
}

fn replica_fix(model: &Model, c: &ComponentDef) -> (String, String) {
    let replica = free_id(model, &format!("{}-replica", stem(&c.id.value)));
    let host_line = new_host_line(model, c);
    let engine = c
        .data_store
        .as_ref()
        .and_then(|d| d.engine.as_deref())
        .map(|e| format!("    engine: {e}\n"))
        .unwrap_or_default();
    let yaml = format!(
        "components:\n  {id}:\n    role: primary\n    failover: automatic\n  {replica}:\n    kind: {kind}\n{host_line}{engine}    role: replica\n    replicates_from: {id}\n",
        id = c.id.value,
        kind = c.kind.value.as_str(),
    );
    (
        format!(
            "add a replica of `{}` on another machine and promote it automatically when the primary fails",
            c.id.value
        ),
        yaml,
    )
}

/// For a primary that has replicas: automatic failover, and reads spread so that no
/// reader depends on one node: each reader of a single member also reads another
/// (its existing link to it changed to `read_write`, or a new `read` link).
fn failover_fix(cx: &Context, c: ComponentId) -> (String, String) {
    let model = cx.model;
    let def = model.component(c);
    let mut members = vec![c];
    members.extend_from_slice(cx.replicas_of(c));
    let mut links = String::new();
    let mut done = std::collections::BTreeSet::new();
    for &m in &members {
        for edge in cx
            .graph
            .graph
            .edges_directed(crate::graph::node(m), petgraph::Direction::Incoming)
        {
            let link = model.link(*petgraph::visit::EdgeRef::weight(&edge));
            let source = link.from;
            if !link.access.reads() || link.origin != LinkOrigin::Declared || !done.insert(source) {
                continue;
            }
            let outgoing = cx.graph.outgoing(source);
            let reads = outgoing
                .iter()
                .filter(|l| model.link(**l).access.reads() && members.contains(&model.link(**l).to))
                .count();
            if reads > 1 {
                continue;
            }
            let other = members
                .iter()
                .copied()
                .find(|o| *o != m)
                .expect("a primary with replicas");
            let source_id = &model.component(source).id.value;
            let other_id = &model.component(other).id.value;
            let existing = outgoing
                .iter()
                .map(|l| model.link(*l))
                .find(|l| l.to == other);
            match existing {
                Some(l) => links.push_str(&format!(
                    "  - {{ from: {source_id}, to: {other_id}, protocol: {}, access: read_write }}\n",
                    l.protocol.as_str(),
                )),
                None => links.push_str(&format!(
                    "  - {{ from: {source_id}, to: {other_id}, protocol: {}, access: read }}\n",
                    link.protocol.as_str()
                )),
            }
        }
    }
    let mut yaml = format!(
        "components:\n  {}:\n    failover: automatic\n",
        def.id.value
    );
    if !links.is_empty() {
        yaml.push_str("links:\n");
        yaml.push_str(&links);
    }
    let replica_id = &model.component(members[1]).id.value;
    (
        format!(
            "promote `{replica_id}` automatically when `{}` fails, and let every reader read both",
            def.id.value
        ),
        yaml,
    )
}

fn component_outage(
    cx: &Analysed,
    c: ComponentId,
    outage: &Outage,
    rule: &'static Rule,
) -> Finding {
    let model = cx.model;
    let def = model.component(c);
    let impact = impact(cx, outage);
    let what = if rule == &SPOF003 {
        format!("`{}` is the only place its writes can go", def.id.value)
    } else {
        format!("`{}` is a single point of failure", def.id.value)
    };
    let mut f = Finding::new(
        rule,
        def.id.span,
        format!(
            "{what}: if it fails, {} ({})",
            impact.sentence, impact.chain
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
    let (description, yaml) = if !cx.replicas_of(c).is_empty() && def.data_store.is_some() {
        f = f.help("promote a replica automatically when it fails, and let its readers read the replicas too");
        failover_fix(cx, c)
    } else if rule == &SPOF003 || def.data_store.is_some() {
        f = f.help("give it a replica and automatic failover, so writes have somewhere to go when it fails");
        replica_fix(model, def)
    } else if def.kind.value == Kind::LoadBalancer {
        f = f.help("run a second load balancer as its peer, with a failover mechanism");
        load_balancer_fix(model, def)
    } else {
        f = f.help("run a second one on another machine and put both behind what calls them");
        second_instance_fix(model, def)
    };
    f.fix(description, yaml)
}

fn host_outage(cx: &Analysed, h: HostId, outage: &Outage) -> Finding {
    let model = cx.model;
    let host = model.host(h);
    let impact = impact(cx, outage);
    let mut f = Finding::new(
        &SPOF001,
        host.id.span,
        format!(
            "host `{}` is a single point of failure: if it fails, {} ({})",
            host.id.value, impact.sentence, impact.chain
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

fn single_point_of_failure(cx: &Analysed, out: &mut Vec<Finding>) {
    let model = cx.model;
    let av = &cx.availability;
    for outage in &cx.outages {
        match av.events[outage.event.0 as usize] {
            Event::Component(c) => {
                if !single_writer(model.component(c)) {
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

fn single_writable_database(cx: &Analysed, out: &mut Vec<Finding>) {
    for outage in &cx.outages {
        if let Event::Component(c) = cx.availability.events[outage.event.0 as usize]
            && single_writer(cx.model.component(c))
        {
            out.push(component_outage(cx, c, outage, &SPOF003));
        }
    }
}

fn shared_failure_domain(cx: &Analysed, out: &mut Vec<Finding>) {
    let model = cx.model;
    let av = &cx.availability;
    // How many values each level has: of two levels covering the same hosts, the one
    // with more values cuts finer (a rack before its datacenter).
    let mut level_values: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for d in &model.failure_domains {
        *level_values.entry(d.level.as_str()).or_default() += 1;
    }
    for (members, group_event) in av.groups.iter().zip(&av.group_event) {
        // Only redundancy that protects an entrypoint can be defeated: losing every
        // member at once must stop one.
        let Some(group_outage) = cx.outage(*group_event) else {
            continue;
        };
        let hosts: Option<Vec<HostId>> = members.iter().map(|m| model.component(*m).host).collect();
        let Some(hosts) = hosts else { continue };
        // The domains every member's host shares: the host itself, or level values.
        // The finest domain is the one covering the fewest hosts; between levels that
        // cover the same hosts, the one with more values, then the conventionally
        // smaller one (a rack before its datacenter).
        let mut candidates: Vec<(usize, std::cmp::Reverse<usize>, usize, EventId)> = Vec::new();
        if hosts.iter().all(|h| *h == hosts[0]) {
            candidates.push((
                1,
                std::cmp::Reverse(usize::MAX),
                0,
                av.host_event[hosts[0].index()],
            ));
        }
        for d in &model.host(hosts[0]).domains {
            if hosts.iter().all(|h| model.host(*h).domains.contains(d)) {
                let fd = &model.failure_domains[d.index()];
                candidates.push((
                    fd.hosts.len(),
                    std::cmp::Reverse(level_values[fd.level.as_str()]),
                    level_rank(&fd.level),
                    av.domain_event[d.index()],
                ));
            }
        }
        // A domain that takes every member down stops what their loss stops: it is a
        // single point of failure whenever the group's loss is.
        let Some((_, _, _, event)) = candidates.into_iter().min() else {
            continue;
        };
        out.push(shared_domain_finding(cx, event, members, group_outage));
    }
}

/// Where a conventional level name sits from small to large; other names come after.
fn level_rank(level: &str) -> usize {
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
    let redundant = if members.len() == 1 {
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
        member_names.join(", ")
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
            let host = fd
                .hosts
                .last()
                .map(|h| model.host(*h))
                .expect("a domain has hosts");
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

/// A value of `level` not used yet: `r1` -> `r2`.
fn fresh_value(model: &Model, level: &str, value: &str) -> String {
    let stem = value.trim_end_matches(|c: char| c.is_ascii_digit());
    // Failure domains are sorted by level then value: a binary search, not a scan.
    let taken = |v: &str| {
        model
            .failure_domains
            .binary_search_by(|d| (d.level.as_str(), d.value.as_str()).cmp(&(level, v)))
            .is_ok()
    };
    (2..)
        .map(|n| format!("{stem}{n}"))
        .find(|v| !taken(v))
        .expect("some value is free")
}

fn load_balancers(model: &Model) -> impl Iterator<Item = &ComponentDef> {
    model
        .components
        .iter()
        .filter(|c| c.load_balancer.is_some())
}

fn single_target_pool(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for c in load_balancers(model) {
        let lb = c.load_balancer.as_ref().expect("filtered");
        if lb.targets.len() != 1 {
            continue;
        }
        let target = model.component(lb.targets[0].0);
        let twin = sibling_id(model, &target.id.value);
        out.push(
            Finding::new(&LB001, lb.targets_span, format!("load balancer `{}` has one target: it balances nothing", c.id.value))
                .label(format!("only `{}`", target.id.value))
                .help("add a second target, or remove the load balancer if one backend is intended")
                .subject(c.id.value.clone())
                .fix(
                    format!("add a second `{}` as a target", target.kind.value.as_str()),
                    format!(
                        "components:\n  {twin}:\n    kind: {}\n  {}:\n    balancing:\n      targets: [{}, {twin}]\n",
                        target.kind.value.as_str(),
                        c.id.value,
                        target.id.value
                    ),
                ),
        );
    }
}

fn no_health_check(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for c in load_balancers(model) {
        let lb = c.load_balancer.as_ref().expect("filtered");
        if lb.health_check || lb.targets.is_empty() {
            continue;
        }
        let share = if lb.targets.len() > 1 {
            format!("1/{} of requests", lb.targets.len())
        } else {
            "every request".into()
        };
        out.push(
            Finding::new(&LB002, lb.balancing_span, format!("load balancer `{}` has no health check: a dead target keeps receiving {share}", c.id.value))
                .label("no `health_check` in this block")
                .help("add a health check so a failed target is taken out of rotation")
                .subject(c.id.value.clone())
                .fix(
                    "probe each target and take failed ones out of rotation",
                    format!("components:\n  {}:\n    balancing:\n      health_check: {{ path: /health, interval_s: 5 }}\n", c.id.value),
                ),
        );
    }
}

/// What LB003 compares between active-active targets, by field. A host firewall is
/// compared on the rules for the ports the target is reached on: the rest belongs to
/// other components on the host.
/// The firewall in front of a component: its host's, or its own without a host.
fn firewall_of<'m>(model: &'m Model, c: &'m ComponentDef) -> Option<&'m FirewallDef> {
    match c.host {
        Some(h) => model.host(h).firewall.as_ref(),
        None => c.firewall.as_deref(),
    }
}

/// The monitoring agent that watches a component: its host's, or its own.
fn agent_of<'m>(model: &'m Model, c: &'m ComponentDef) -> Option<&'m str> {
    match c.host {
        Some(h) => model.host(h).monitoring.as_ref(),
        None => c.monitoring.as_deref(),
    }
    .map(|m| m.agent.as_str())
}

/// The ports of the links into a component, in graph order.
fn incoming_ports(cx: &Context, id: ComponentId) -> Vec<Option<u16>> {
    cx.graph
        .graph
        .edges_directed(crate::graph::node(id), petgraph::Direction::Incoming)
        .map(|e| cx.model.link(*petgraph::visit::EdgeRef::weight(&e)).port)
        .collect()
}

fn target_profile(cx: &Context, id: ComponentId, c: &ComponentDef) -> [(&'static str, String); 5] {
    let model = cx.model;
    let ports = incoming_ports(cx, id);
    let firewall = firewall_of(model, c).map_or_else(
        || "none".to_string(),
        |fw| {
            let mut rules: Vec<String> = fw
                .allow
                .iter()
                .filter(|r| ports.is_empty() || ports.iter().any(|p| r.port.admits(*p)))
                .map(|r| {
                    let from = match &r.from {
                        crate::model::Source::Any => "any".to_string(),
                        crate::model::Source::Zone(z) => model.zone(*z).id.value.clone(),
                        crate::model::Source::Component(x) => model.component(*x).id.value.clone(),
                        crate::model::Source::Host(h) => model.host(*h).id.value.clone(),
                        crate::model::Source::Cidr(cidr) => cidr.to_string(),
                    };
                    format!("{:?} from {from}", r.port)
                })
                .collect();
            rules.sort();
            format!(
                "{} {}",
                if fw.default_allow { "allow" } else { "deny" },
                rules.join(", ")
            )
        },
    );
    [
        ("kind", c.kind.value.as_str().to_string()),
        (
            "software",
            c.software.clone().unwrap_or_else(|| "unstated".into()),
        ),
        (
            "version",
            c.version.clone().unwrap_or_else(|| "unstated".into()),
        ),
        ("firewall", firewall),
        (
            "monitoring",
            agent_of(model, c).unwrap_or("none").to_string(),
        ),
    ]
}

/// Whether two targets certainly have the same profile, found without writing it out
/// (most pools are uniform); false means "compare the profiles".
fn surely_alike(cx: &Context, a: ComponentId, b: ComponentId) -> bool {
    let model = cx.model;
    let (ca, cb) = (model.component(a), model.component(b));
    ca.kind.value == cb.kind.value
        && ca.software == cb.software
        && ca.version == cb.version
        && agent_of(model, ca) == agent_of(model, cb)
        && match (firewall_of(model, ca), firewall_of(model, cb)) {
            (None, None) => true,
            (Some(x), Some(y)) => {
                x.default_allow == y.default_allow
                    && x.allow.len() == y.allow.len()
                    && x.allow
                        .iter()
                        .zip(&y.allow)
                        .all(|(r, s)| r.port == s.port && r.from == s.from)
                    && incoming_ports(cx, a) == incoming_ports(cx, b)
            }
            _ => false,
        }
}

fn heterogeneous_active_active(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for c in load_balancers(model) {
        let lb = c.load_balancer.as_ref().expect("filtered");
        if lb.mode != Mode::ActiveActive || lb.targets.len() < 2 {
            continue;
        }
        let first = model.component(lb.targets[0].0);
        let mut base = None;
        for &(t, span) in &lb.targets[1..] {
            if surely_alike(cx, lb.targets[0].0, t) {
                continue;
            }
            let base = base.get_or_insert_with(|| target_profile(cx, lb.targets[0].0, first));
            let other = model.component(t);
            let profile = target_profile(cx, t, other);
            let differing: Vec<&str> = base
                .iter()
                .zip(&profile)
                .filter(|(a, b)| a.1 != b.1)
                .map(|(a, _)| a.0)
                .collect();
            if differing.is_empty() {
                continue;
            }
            let details: Vec<String> = base
                .iter()
                .zip(&profile)
                .filter(|(a, b)| a.1 != b.1)
                .map(|(a, b)| {
                    format!(
                        "{}: `{}` has {}, `{}` has {}",
                        a.0, first.id.value, a.1, other.id.value, b.1
                    )
                })
                .collect();
            out.push(
                Finding::new(
                    &LB003,
                    span,
                    format!(
                        "active-active targets of `{}` differ in {}: `{}` and `{}` must be configured identically",
                        c.id.value,
                        differing.join(", "),
                        first.id.value,
                        other.id.value
                    ),
                )
                .label(format!("differs from `{}`", first.id.value))
                .related(lb.targets[0].1, "the first target")
                .help(details.join("; "))
                .subject(c.id.value.clone())
                .subject(other.id.value.clone()),
            );
        }
    }
}

fn peers_without_failover(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for c in load_balancers(model) {
        let lb = c.load_balancer.as_ref().expect("filtered");
        if lb.peers.is_empty() || lb.failover != Failover::None {
            continue;
        }
        let peers: Vec<String> = lb
            .peers
            .iter()
            .map(|(p, _)| model.component(*p).id.value.clone())
            .collect();
        let mut f = Finding::new(
            &LB004,
            lb.peers[0].1,
            format!(
                "load balancer `{}` has peers {} but no failover mechanism: no peer can take over",
                c.id.value,
                names(&peers)
            ),
        )
        .label("a peer without failover")
        .help("set `failover: vrrp` (a shared virtual IP), `dns` or `anycast`")
        .subject(c.id.value.clone());
        for p in &peers {
            f = f.subject(p.clone());
        }
        out.push(f.fix(
            "take over through a shared virtual IP (keepalived/VRRP)",
            format!("components:\n  {}:\n    failover: vrrp\n", c.id.value),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::fixture::{check_rule, lint};

    /// The availability findings of a topology: (code, first subject), sorted.
    fn spofs(yaml: &str) -> Vec<(String, String)> {
        let report = lint(yaml);
        assert!(report.valid, "{:?}", report.findings);
        let mut out: Vec<(String, String)> = report
            .findings
            .iter()
            .filter(|f| f.rule.code.starts_with("SPOF"))
            .map(|f| (f.rule.code.to_string(), f.subjects[0].clone()))
            .collect();
        out.sort();
        out
    }

    fn expect(list: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = list
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        v.sort();
        v
    }

    /// The format spec's worked example, with `extra` YAML spliced in per test.
    fn worked_example(primary: &str, app2_links: &str, lb_extra: &str) -> String {
        format!(
            "version: 1
name: foobar-distributed
hosts:
  lb-host: {{}}
  lb-host-2: {{}}
  server-1: {{}}
  server-2: {{}}
components:
  users:
    kind: client
  lb-1:
    kind: load_balancer
    host: lb-host
    balancing:
      targets: [web-1, web-2]
{lb_extra}
  web-1: {{ kind: web_server, host: server-1 }}
  web-2: {{ kind: web_server, host: server-2 }}
  app-1: {{ kind: app_server, host: server-1 }}
  app-2: {{ kind: app_server, host: server-2 }}
  db-primary: {{ kind: database, host: server-1, engine: mysql, role: primary{primary} }}
  db-replica: {{ kind: database, host: server-2, engine: mysql, role: replica, replicates_from: db-primary }}
links:
  - {{ from: users, to: lb-1, protocol: http, port: 80 }}
  - {{ from: web-1, to: app-1, protocol: http }}
  - {{ from: web-2, to: app-2, protocol: http }}
{app2_links}"
        )
    }

    const SEED_APP_LINKS: &str =
        "  - { from: app-1, to: db-primary, protocol: mysql, access: read_write }
  - { from: app-2, to: db-primary, protocol: mysql, access: write }
  - { from: app-2, to: db-replica, protocol: mysql, access: read }
";

    #[test]
    fn one_lb_two_webs_one_app_one_database() {
        let yaml = "version: 1
name: t
components:
  users: { kind: client }
  lb: { kind: load_balancer, balancing: { targets: [web-1, web-2] } }
  web-1: { kind: web_server }
  web-2: { kind: web_server }
  app: { kind: app_server }
  db: { kind: database }
links:
  - { from: users, to: lb }
  - { from: web-1, to: app }
  - { from: web-2, to: app }
  - { from: app, to: db }
";
        assert_eq!(
            spofs(yaml),
            expect(&[("SPOF001", "lb"), ("SPOF001", "app"), ("SPOF003", "db")])
        );
    }

    #[test]
    fn the_worked_example_has_the_lb_and_the_primary() {
        let yaml = worked_example("", SEED_APP_LINKS, "");
        assert_eq!(
            spofs(&yaml),
            expect(&[("SPOF001", "lb-1"), ("SPOF003", "db-primary")])
        );
    }

    #[test]
    fn automatic_failover_and_reads_from_both_nodes_leave_only_the_lb() {
        let links = "  - { from: app-1, to: db-primary, protocol: mysql, access: read_write }
  - { from: app-1, to: db-replica, protocol: mysql, access: read }
  - { from: app-2, to: db-primary, protocol: mysql, access: read_write }
  - { from: app-2, to: db-replica, protocol: mysql, access: read }
";
        let yaml = worked_example(", failover: automatic", links, "");
        assert_eq!(spofs(&yaml), expect(&[("SPOF001", "lb-1")]));
    }

    #[test]
    fn an_lb_pair_under_vrrp_is_no_spof() {
        let links = "  - { from: app-1, to: db-primary, protocol: mysql, access: read_write }
  - { from: app-1, to: db-replica, protocol: mysql, access: read }
  - { from: app-2, to: db-primary, protocol: mysql, access: read_write }
  - { from: app-2, to: db-replica, protocol: mysql, access: read }
";
        let pair = "    peers: [lb-2]
    failover: vrrp
  lb-2:
    kind: load_balancer
    host: lb-host-2
    balancing:
      targets: [web-1, web-2]
    peers: [lb-1]
    failover: vrrp";
        let yaml = worked_example(", failover: automatic", links, pair);
        assert_eq!(spofs(&yaml), expect(&[]));
        // Without failover automatic, the primary is still the single writer.
        let yaml = worked_example("", links, pair);
        assert_eq!(spofs(&yaml), expect(&[("SPOF003", "db-primary")]));
    }

    #[test]
    fn two_redundant_web_servers_on_one_rack() {
        let yaml = "version: 1
name: t
hosts:
  h1: { failure_domains: { rack: r1, datacenter: dc1 } }
  h2: { failure_domains: { rack: r1, datacenter: dc1 } }
  h3: { failure_domains: { rack: r2, datacenter: dc1 } }
  h4: { failure_domains: { rack: r3, datacenter: dc2 } }
components:
  users: { kind: client }
  lb-1: { kind: load_balancer, host: h3, peers: [lb-2], failover: vrrp, balancing: { targets: [web-1, web-2] } }
  lb-2: { kind: load_balancer, host: h4, peers: [lb-1], failover: vrrp, balancing: { targets: [web-1, web-2] } }
  web-1: { kind: web_server, host: h1 }
  web-2: { kind: web_server, host: h2 }
links:
  - { from: users, to: lb-1 }
";
        // The webs share rack r1 and datacenter dc1; the rack is the finest domain
        // that holds both, so it is the one named.
        assert_eq!(spofs(yaml), expect(&[("SPOF002", "rack:r1")]));
        // When the datacenter covers exactly the same hosts as the rack, the level with
        // more values (the rack) is still the finer one.
        let same_hosts = yaml.replace(
            "h3: { failure_domains: { rack: r2, datacenter: dc1 } }",
            "h3: { failure_domains: { rack: r2, datacenter: dc3 } }",
        );
        assert_eq!(spofs(&same_hosts), expect(&[("SPOF002", "rack:r1")]));
        // Two redundant components on one host: the host is named, and is itself a
        // single point of failure with no component reported on its own.
        let one_host = yaml.replace(
            "web-2: { kind: web_server, host: h2 }",
            "web-2: { kind: web_server, host: h1 }",
        );
        assert_eq!(
            spofs(&one_host),
            expect(&[("SPOF001", "h1"), ("SPOF002", "h1")])
        );
        // Instances on one host: the same insight for a single component.
        let instances = "version: 1\nname: t\nhosts:\n  h1: {}\ncomponents:\n  users: { kind: client }\n  web: { kind: web_server, host: h1, instances: 3 }\nlinks:\n  - { from: users, to: web }\n";
        assert_eq!(
            spofs(instances),
            expect(&[("SPOF001", "h1"), ("SPOF002", "h1")])
        );
    }

    #[test]
    fn app_servers_that_read_only_from_one_replica() {
        let yaml = "version: 1
name: t
hosts:
  a: {}
  b: {}
  c: {}
components:
  users: { kind: client }
  lb: { kind: load_balancer, service: edge, balancing: { targets: [app-1, app-2] } }
  lb-b: { kind: load_balancer, service: edge, balancing: { targets: [app-1, app-2] } }
  app-1: { kind: app_server, host: a }
  app-2: { kind: app_server, host: b }
  db-primary: { kind: database, host: a, role: primary, failover: automatic }
  db-replica-1: { kind: database, host: b, role: replica, replicates_from: db-primary }
  db-replica-2: { kind: database, host: c, role: replica, replicates_from: db-primary }
links:
  - { from: users, to: lb }
  - { from: app-1, to: db-primary, access: write }
  - { from: app-2, to: db-primary, access: write }
  - { from: app-1, to: db-replica-2, access: read }
  - { from: app-2, to: db-replica-2, access: read }
";
        // Host c holds only the replica, so the replica is the one finding.
        assert_eq!(spofs(yaml), expect(&[("SPOF001", "db-replica-2")]));
    }

    #[test]
    fn spof_fixtures() {
        let chain = |lb: &str, db: &str| {
            format!(
                "version: 1\nname: t\nhosts:\n  h1: {{ failure_domains: {{ rack: r1 }} }}\n  h2: {{ failure_domains: {{ rack: r1 }} }}\ncomponents:\n  users: {{ kind: client }}\n{lb}  web-1: {{ kind: web_server, host: h1, service: web }}\n  web-2: {{ kind: web_server, host: h2, service: web }}\n{db}links:\n  - {{ from: users, to: web-1 }}\n  - {{ from: web-1, to: db }}\n  - {{ from: web-2, to: db }}\n"
            )
        };
        let standalone = "  db: { kind: database, instances: 2 }\n";
        let single = "  db: { kind: database, role: primary }\n";
        let replicated =
            "  db: { kind: database, role: primary, failover: automatic, instances: 2 }\n";
        // SPOF001: a single app in the chain; SPOF002: the web pair on one rack;
        // SPOF003: the single database.
        let single_app = "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  app: { kind: app_server }\nlinks:\n  - { from: users, to: app }\n";
        let app_pair = "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  app-1: { kind: app_server, service: app }\n  app-2: { kind: app_server, service: app }\nlinks:\n  - { from: users, to: app-1 }\n";
        let pair_on_one_host = "version: 1\nname: t\nhosts:\n  h: {}\ncomponents:\n  users: { kind: client }\n  app-1: { kind: app_server, host: h, service: app }\n  app-2: { kind: app_server, host: h, service: app }\nlinks:\n  - { from: users, to: app-1 }\n";
        check_rule("SPOF001", &[single_app, pair_on_one_host], &[app_pair]);
        check_rule(
            "SPOF002",
            &[&chain("", standalone)],
            &[&chain("", standalone).replace(
                "h2: { failure_domains: { rack: r1 } }",
                "h2: { failure_domains: { rack: r2 } }",
            )],
        );
        check_rule(
            "SPOF003",
            &[&chain("", single)],
            &[&chain("", replicated), &chain("", standalone)],
        );
    }

    #[test]
    fn rule_fixtures() {
        let lb_pool = |targets: &str, extra: &str| {
            format!(
                "version: 1\nname: t\ncomponents:\n  users: {{ kind: client }}\n  lb: {{ kind: load_balancer, balancing: {{ targets: [{targets}]{extra} }} }}\n  web-1: {{ kind: web_server, software: nginx }}\n  web-2: {{ kind: web_server, software: nginx }}\nlinks:\n  - {{ from: users, to: lb }}\n"
            )
        };
        check_rule(
            "LB001",
            &[&lb_pool("web-1", "")],
            &[&lb_pool("web-1, web-2", "")],
        );
        check_rule(
            "LB002",
            &[&lb_pool("web-1, web-2", "")],
            &[&lb_pool(
                "web-1, web-2",
                ", health_check: { path: /health }",
            )],
        );
        let mixed = lb_pool("web-1, web-2", "").replace(
            "web-2: { kind: web_server, software: nginx }",
            "web-2: { kind: web_server, software: apache }",
        );
        let passive = mixed.replace("balancing: {", "balancing: { mode: active_passive,");
        check_rule(
            "LB003",
            &[&mixed],
            &[&lb_pool("web-1, web-2", ""), &passive],
        );
        let peers = |failover: &str| {
            format!(
                "version: 1\nname: t\ncomponents:\n  users: {{ kind: client }}\n  lb-1: {{ kind: load_balancer, peers: [lb-2]{failover}, balancing: {{ targets: [web] }} }}\n  lb-2: {{ kind: load_balancer, peers: [lb-1]{failover}, balancing: {{ targets: [web] }} }}\n  web: {{ kind: web_server }}\nlinks:\n  - {{ from: users, to: lb-1 }}\n"
            )
        };
        check_rule(
            "LB004",
            &[&peers(""), &peers(", failover: none")],
            &[&peers(", failover: vrrp")],
        );
    }
}
