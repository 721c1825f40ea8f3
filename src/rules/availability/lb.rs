//! The load balancer rules: a pool of one, no health check, unlike targets, peers
//! that cannot take over.

use super::*;
use crate::analysis::Context;
use crate::finding::Finding;
use crate::model::document::Mode;
use crate::model::{ComponentDef, ComponentId, Failover, FirewallDef, Model};

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

pub(super) fn load_balancers(model: &Model) -> impl Iterator<Item = &ComponentDef> {
    model
        .components
        .iter()
        .filter(|c| c.load_balancer.is_some())
}

pub(super) fn single_target_pool(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for c in load_balancers(model) {
        let lb = c.load_balancer.as_ref().expect("filtered");
        // An empty pool (`targets: []`) sends requests nowhere.
        if lb.targets.is_empty() && !lb.targets_span.is_empty() {
            out.push(
                Finding::new(
                    &LB001,
                    lb.targets_span,
                    format!(
                        "load balancer `{}` has no target: requests through it reach nothing",
                        c.id.value
                    ),
                )
                .label("an empty pool")
                .help("list the components it sends requests to")
                .subject(c.id.value.clone())
                .prose_fix("list its targets: which components serve it is the design's choice"),
            );
            continue;
        }
        // One target balances nothing unless it stands for several: instances, a
        // `service` group or a peer cluster behind it.
        let [(t, _)] = lb.targets[..] else { continue };
        let target = model.component(t);
        if target.instances > 1 || cx.group_of(t).len() > 1 {
            continue;
        }
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

pub(super) fn no_health_check(cx: &Context, out: &mut Vec<Finding>) {
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
                .safe_fix(
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
pub(super) fn firewall_of<'m>(model: &'m Model, c: &'m ComponentDef) -> Option<&'m FirewallDef> {
    match c.host {
        Some(h) => model.host(h).firewall.as_ref(),
        None => c.firewall.as_deref(),
    }
}

/// The monitoring agent that watches a component: its host's, or its own.
pub(super) fn agent_of<'m>(model: &'m Model, c: &'m ComponentDef) -> Option<&'m str> {
    match c.host {
        Some(h) => model.host(h).monitoring.as_ref(),
        None => c.monitoring.as_deref(),
    }
    .map(|m| m.agent.as_str())
}

/// The ports of the links into a component, in graph order.
pub(super) fn incoming_ports(cx: &Context, id: ComponentId) -> Vec<Option<u16>> {
    cx.graph
        .graph
        .edges_directed(crate::graph::node(id), petgraph::Direction::Incoming)
        .map(|e| cx.model.link(*petgraph::visit::EdgeRef::weight(&e)).port)
        .collect()
}

pub(super) fn target_profile(
    cx: &Context,
    id: ComponentId,
    c: &ComponentDef,
) -> [(&'static str, String); 5] {
    let model = cx.model;
    let ports = incoming_ports(cx, id);
    let firewall = firewall_of(model, c).map_or_else(
        || "none".to_string(),
        |fw| {
            let mut rules: Vec<String> = fw
                .allow
                .iter()
                .filter(|r| ports.is_empty() || ports.iter().any(|p| r.port.admits(*p)))
                .map(|r| format!("port {} from {}", r.port, model.source_name(&r.from)))
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
pub(super) fn surely_alike(cx: &Context, a: ComponentId, b: ComponentId) -> bool {
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

pub(super) fn heterogeneous_active_active(cx: &Context, out: &mut Vec<Finding>) {
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

pub(super) fn peers_without_failover(cx: &Context, out: &mut Vec<Finding>) {
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
        // VRRP, DNS or anycast is the user's choice: not applied without asking.
        out.push(f.fix(
            "take over through a shared virtual IP (keepalived/VRRP)",
            format!("components:\n  {}:\n    failover: vrrp\n", c.id.value),
        ));
    }
}
