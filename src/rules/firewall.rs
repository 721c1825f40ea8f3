//! Who may connect to what: hosts without firewalls, permissive rules, exposed data
//! stores, links the firewalls block, and load balancers that can be bypassed.

use std::collections::BTreeSet;

use crate::analysis::Context;
use crate::finding::Finding;
use crate::firewalls::{Barrier, admits, source_is_public};
use crate::model::{
    ComponentId, FirewallDef, HostId, Kind, LinkDef, LinkOrigin, Model, PortSpec, Source, Trust,
};
use crate::source::Span;

declare_rule!(FW001, "no-firewall", Firewall, Warning, no_firewall);
declare_rule!(
    FW002,
    "permissive-firewall",
    Firewall,
    Warning,
    permissive_firewall
);
declare_rule!(
    FW003,
    "datastore-exposed",
    Firewall,
    Error,
    datastore_exposed
);
declare_rule!(
    FW004,
    "link-blocked-by-firewall",
    Firewall,
    Error,
    link_blocked
);
declare_rule!(
    FW005,
    "load-balancer-bypass",
    Firewall,
    Warning,
    load_balancer_bypass
);

fn is_public(model: &Model, c: ComponentId) -> bool {
    model.zone(model.component(c).zone).trust == Trust::Public
}

/// What carries a firewall of its own: a host, or a component without one.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Machine {
    Host(HostId),
    Bare(ComponentId),
}

/// The allow rule that admits one inbound link, as YAML: the source's public zone for
/// traffic from the internet, else the source component.
fn allow_line(model: &Model, link: &LinkDef) -> String {
    let source = model.component(link.from);
    let from = if is_public(model, link.from) {
        model.zone(source.zone).id.value.clone()
    } else {
        source.id.value.clone()
    };
    let port = link
        .port
        .map_or_else(|| "any".to_string(), |p| p.to_string());
    format!("{{ port: {port}, from: {from} }}")
}

fn no_firewall(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    // Inbound links that cross onto each machine, in link order, each with the
    // component it reaches there: a link to a member of a peer or service group
    // reaches every member.
    let mut inbound: std::collections::BTreeMap<Machine, Vec<(&LinkDef, ComponentId)>> =
        std::collections::BTreeMap::new();
    // Machines with a firewall are never reported: their links are not collected.
    for link in &model.links {
        for &to in cx.group_of(link.to) {
            let target = model.component(to);
            // A managed service's access policy is its provider's (FW003 still looks).
            if target.kind.value == Kind::Client || target.managed {
                continue;
            }
            let machine = match target.host {
                Some(h) if model.component(link.from).host == Some(h) => continue,
                Some(h) if model.host(h).firewall.is_some() => continue,
                Some(h) => Machine::Host(h),
                None if target.firewall.is_some() || target.network_firewall.is_some() => {
                    continue;
                }
                None => Machine::Bare(to),
            };
            inbound.entry(machine).or_default().push((link, to));
        }
    }
    for (machine, links) in inbound {
        let (id, span) = match machine {
            Machine::Host(h) => {
                let host = model.host(h);
                (host.id.value.clone(), host.id.span)
            }
            Machine::Bare(c) => {
                let def = model.component(c);
                (def.id.value.clone(), def.id.span)
            }
        };
        // Behind a network firewall on every inbound path: each link's target is inside
        // a network firewall's perimeter (the link crosses it, or comes from inside).
        if links
            .iter()
            .all(|(_, to)| !cx.guards.guarding(model, *to).is_empty())
        {
            continue;
        }
        let mut rules: Vec<String> = links
            .iter()
            .map(|(l, _)| allow_line(model, l))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        rules.sort();
        let what = match machine {
            Machine::Host(_) => format!("host `{id}`"),
            Machine::Bare(c) => format!("{} `{id}`", model.component(c).kind.value.as_str()),
        };
        let section = match machine {
            Machine::Host(_) => "hosts",
            Machine::Bare(_) => "components",
        };
        let sources: BTreeSet<&str> = links
            .iter()
            .map(|(l, _)| model.component(l.from).id.value.as_str())
            .collect();
        let mut yaml = format!(
            "{section}:\n  {id}:\n    firewall:\n      default_inbound: deny\n      allow:\n"
        );
        for r in &rules {
            yaml.push_str(&format!("        - {r}\n"));
        }
        out.push(
            Finding::new(
                &FW001,
                span,
                format!(
                    "{what} receives connections from {} but has no firewall",
                    crate::finding::listed_of(sources.iter().map(|s| format!("`{s}`")), sources.len())
                ),
            )
            .label("no firewall here")
            .help("deny inbound traffic by default and allow exactly the ports and sources its links use")
            .subject(id.clone())
            .fix("a firewall that admits exactly its inbound links", yaml),
        );
    }
}

/// Every firewall in the model: hosts', then components' own and network ones.
fn firewalls(model: &Model) -> impl Iterator<Item = Barrier<'_>> {
    let hosts = model.hosts.iter().enumerate().filter_map(|(i, h)| {
        let fw = h.firewall.as_ref()?;
        Some(Barrier::Host(HostId(i as u32), fw))
    });
    let components = model.components.iter().enumerate().flat_map(|(i, c)| {
        let id = ComponentId(i as u32);
        let own = c.firewall.as_deref().map(|fw| Barrier::Own(id, fw));
        let network = c
            .network_firewall
            .as_deref()
            .map(|nf| Barrier::Network(id, &nf.rules));
        own.into_iter().chain(network)
    });
    hosts.chain(components)
}

fn permissive_firewall(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for barrier in firewalls(model) {
        let (fw, owner_id) = (barrier.rules(), barrier.owner(model));
        if fw.default_allow {
            out.push(
                Finding::new(
                    &FW002,
                    fw.span,
                    format!("the firewall of `{owner_id}` admits everything by default"),
                )
                .label("`default_inbound: allow`")
                .help("deny by default and allow only what the links need")
                .subject(owner_id)
                .fix(
                    "deny by default",
                    barrier.fix(model, "default_inbound: deny"),
                ),
            );
        }
        for rule in &fw.allow {
            let any_source = match &rule.from {
                Source::Any => true,
                Source::Cidr(c) => c.is_everything(),
                _ => false,
            };
            if rule.port == PortSpec::Any && any_source {
                out.push(
                    Finding::new(
                        &FW002,
                        rule.span,
                        format!("the firewall of `{owner_id}` allows any port from any source"),
                    )
                    .label("allows everything")
                    .help("name the ports and sources this rule is for")
                    .subject(owner_id),
                );
            }
        }
    }
}

fn datastore_exposed(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for (i, c) in model.components.iter().enumerate() {
        if !c.kind.value.is_data_store() {
            continue;
        }
        let id = ComponentId(i as u32);
        let incoming: Vec<&LinkDef> = cx
            .graph
            .graph
            .edges_directed(crate::graph::node(id), petgraph::Direction::Incoming)
            .map(|e| model.link(*e.weight()))
            .collect();
        // A direct link from the public zone.
        if let Some(link) = incoming.iter().find(|l| is_public(model, l.from)) {
            out.push(
                Finding::new(
                    &FW003,
                    link.span,
                    format!("{} `{}` is reached straight from the public zone by `{}`", c.kind.value.as_str(), c.id.value, model.component(link.from).id.value),
                )
                .label("the internet talks to the data store")
                .related(c.id.span, "the data store")
                .help("put an application in front of it; a data store should never take connections from the internet")
                .subject(c.id.value.clone()),
            );
            continue;
        }
        // A firewall in front of it that admits a public source.
        let ports: Vec<Option<u16>> = incoming.iter().map(|l| l.port).collect();
        // Each firewall in front, with how to name it (only named when reported).
        let mut barriers: Vec<(&FirewallDef, Barrier)> = Vec::new();
        if let Some(h) = c.host
            && let Some(fw) = &model.host(h).firewall
        {
            barriers.push((fw, Barrier::Host(h, fw)));
        }
        if c.host.is_none()
            && let Some(fw) = &c.firewall
        {
            barriers.push((fw, Barrier::Own(id, fw)));
        }
        for f in cx.guards.guarding(model, id) {
            if let Some(nf) = &model.component(f).network_firewall {
                barriers.push((&nf.rules, Barrier::Network(f, &nf.rules)));
            }
        }
        let exposed = barriers.iter().find_map(|(fw, barrier)| {
            fw.allow
                .iter()
                .find(|r| {
                    source_is_public(model, &r.from)
                        && (r.port == PortSpec::Any
                            || ports
                                .iter()
                                .any(|p| p.is_some_and(|p| r.port.admits(Some(p)))))
                })
                .map(|r| (r.span, barrier.describe(model)))
        });
        if let Some((span, name)) = exposed {
            out.push(
                Finding::new(
                    &FW003,
                    span,
                    format!("{} `{}` is exposed to the public: {name} admits a public source on its port", c.kind.value.as_str(), c.id.value),
                )
                .label("admits the internet")
                .related(c.id.span, "the data store")
                .help("admit only the components that use the data store")
                .subject(c.id.value.clone()),
            );
        }
    }
}

/// A link and one component it must reach (the target, or a member of its group).
fn check_admission(
    cx: &Context,
    link: &LinkDef,
    to: ComponentId,
    span: Span,
    out: &mut Vec<Finding>,
) {
    let model = cx.model;
    for barrier in cx.guards.barriers(model, link.from, to) {
        let fw = barrier.rules();
        if admits(model, fw, link.from, link.port) {
            continue;
        }
        let from = model.component(link.from);
        let port = link
            .port
            .map_or_else(|| "any port".to_string(), |p| format!("port {p}"));
        // Say which half is missing: a rule for the source on another port, or none.
        let source_rule = fw
            .allow
            .iter()
            .find(|r| crate::firewalls::source_matches(model, &r.from, link.from));
        let why = match source_rule {
            Some(_) => format!("no rule admits {port} from `{}`", from.id.value),
            None => format!("no rule admits `{}` at all", from.id.value),
        };
        let owner = barrier.owner(model).to_string();
        let allow = allow_line(model, link);
        let target_note = if to == link.to {
            String::new()
        } else {
            format!(" (as `{}` stands in for it)", model.component(to).id.value)
        };
        let mut f = Finding::new(
            &FW004,
            span,
            format!(
                "{} blocks the link {}{target_note}: {why}",
                barrier.describe(model),
                link.name(model)
            ),
        )
        .label("this link is not admitted")
        .help("the design contradicts itself: allow the link, or remove it")
        .subject(link.name(model))
        .subject(owner.clone());
        if let Some(rule) = source_rule {
            f = f.related(rule.span, "this rule is for another port");
        } else {
            f = f.related(fw.span, "the firewall");
        }
        out.push(f.fix(
            "admit the link",
            barrier.fix(model, &format!("allow:\n  - {allow}")),
        ));
    }
}

fn link_blocked(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for link in &model.links {
        // A link to a member of a peer or service group reaches every member.
        for &member in cx.group_of(link.to) {
            let span = link.span;
            check_admission(cx, link, member, span, out);
        }
    }
}

fn load_balancer_bypass(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for link in &model.links {
        if link.origin != LinkOrigin::Declared || !is_public(model, link.from) {
            continue;
        }
        let lbs: Vec<&str> = cx
            .graph
            .graph
            .edges_directed(crate::graph::node(link.to), petgraph::Direction::Incoming)
            .filter_map(|e| match model.link(*e.weight()).origin {
                LinkOrigin::Target { lb } => Some(model.component(lb).id.value.as_str()),
                LinkOrigin::Declared => None,
            })
            .collect();
        if lbs.is_empty() {
            continue;
        }
        let target = &model.component(link.to).id.value;
        let from = &model.component(link.from).id.value;
        // The fix removes this link; it adds the one through the balancer only when the
        // source does not link to it already.
        let lb_id = model.lookup(lbs[0]);
        let already = cx
            .graph
            .outgoing(link.from)
            .iter()
            .any(|l| Some(crate::model::Ref::Component(model.link(*l).to)) == lb_id);
        let (description, yaml) = if already {
            (
                format!(
                    "remove the link {from}->{target}: `{from}` already reaches it through `{}`",
                    lbs[0]
                ),
                String::new(),
            )
        } else {
            (
                format!("replace the link {from}->{target} by one to `{}`", lbs[0]),
                format!(
                    "links:\n  - {{ from: {from}, to: {}, protocol: {} }}\n",
                    lbs[0],
                    link.protocol.as_str()
                ),
            )
        };
        let finding = Finding::new(
            &FW005,
            link.span,
            format!(
                "`{from}` reaches `{target}` directly, bypassing load balancer `{}`",
                lbs[0]
            ),
        )
        .label("skips the load balancer")
        .help("clients that skip the balancer skip its TLS and health checks: send them through it")
        .subject(target.clone())
        .subject(lbs[0]);
        // The link is deleted, and the one through the balancer added when missing.
        out.push(finding.fix(description, yaml).removing(link.span));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::fixture::check_rule;

    fn topo(hosts: &str, components: &str, links: &str) -> String {
        format!(
            "version: 1\nname: t\nzones:\n  office: {{ trust: public, cidr: 203.0.113.0/24 }}\nhosts:\n{hosts}components:\n  users: {{ kind: client }}\n{components}links:\n{links}"
        )
    }

    const WEB_APP: &str =
        "  web: { kind: web_server, host: h1 }\n  app: { kind: app_server, host: h2 }\n";
    const LINKS: &str = "  - { from: users, to: web, protocol: https, port: 443 }\n  - { from: web, to: app, protocol: http, port: 8080 }\n";

    #[test]
    fn fw001_no_firewall() {
        let fw1 = "    firewall: { allow: [{ port: 443, from: internet }] }\n";
        let fw2 = "    firewall: { allow: [{ port: 8080, from: web }] }\n";
        check_rule(
            "FW001",
            &[
                &topo("  h1: {}\n  h2: {}\n", WEB_APP, LINKS),
                &topo(&format!("  h1:\n{fw1}  h2: {{}}\n"), WEB_APP, LINKS),
            ],
            &[
                &topo(&format!("  h1:\n{fw1}  h2:\n{fw2}"), WEB_APP, LINKS),
                // Behind a network firewall on every inbound path.
                &topo(
                    "  h1: {}\n  h2: {}\n",
                    "  web: { kind: web_server, host: h1 }\n  app: { kind: app_server, host: h2 }\n  edge: { kind: firewall, protects: [h1, h2], allow: [{ port: 443, from: internet }, { port: 8080, from: web }] }\n",
                    LINKS,
                ),
            ],
        );
    }

    #[test]
    fn fw001_a_link_to_one_member_of_a_group_reaches_them_all() {
        // users -> web-1 reaches web-2 too (one `service`): web-2's host has no firewall.
        let hosts = "  h1:\n    firewall: { allow: [{ port: 443, from: internet }] }\n  h2: {}\n";
        let comps = "  web-1: { kind: web_server, host: h1, service: web }\n  web-2: { kind: web_server, host: h2, service: web }\n";
        let link = "  - { from: users, to: web-1, protocol: https, port: 443 }\n";
        let report = crate::rules::fixture::lint(&topo(hosts, comps, link));
        let fw001: Vec<&Vec<crate::yaml::Text>> = report
            .findings
            .iter()
            .filter(|f| f.rule.code == "FW001")
            .map(|f| &f.subjects)
            .collect();
        assert_eq!(fw001, [&vec![crate::yaml::Text::from("h2")]]);
    }

    #[test]
    fn fw002_permissive_firewall() {
        let host = |fw: &str| {
            format!(
                "  h1:\n    firewall: {fw}\n  h2:\n    firewall: {{ allow: [{{ port: 8080, from: web }}] }}\n"
            )
        };
        check_rule(
            "FW002",
            &[
                &topo(&host("{ default_inbound: allow }"), WEB_APP, LINKS),
                &topo(
                    &host("{ allow: [{ port: any, from: any }] }"),
                    WEB_APP,
                    LINKS,
                ),
                &topo(
                    &host("{ allow: [{ port: any, from: 0.0.0.0/0 }] }"),
                    WEB_APP,
                    LINKS,
                ),
            ],
            &[&topo(
                &host("{ allow: [{ port: 443, from: any }] }"),
                WEB_APP,
                LINKS,
            )],
        );
    }

    #[test]
    fn fw003_datastore_exposed() {
        let comps = "  app: { kind: app_server, host: h1 }\n  db: { kind: database, host: h2 }\n";
        let links = "  - { from: users, to: app, protocol: https, port: 443 }\n  - { from: app, to: db, protocol: postgres, port: 5432 }\n";
        let hosts = |rule: &str| {
            format!(
                "  h1: {{ firewall: {{ allow: [{{ port: 443, from: internet }}] }} }}\n  h2: {{ firewall: {{ allow: [{rule}] }} }}\n"
            )
        };
        check_rule(
            "FW003",
            &[
                &topo(&hosts("{ port: 5432, from: any }"), comps, links),
                &topo(&hosts("{ port: any, from: office }"), comps, links),
                &topo(
                    &hosts("{ port: 5432, from: 203.0.113.0/25 }, { port: 5432, from: app }"),
                    comps,
                    links,
                ),
                &topo(
                    &hosts("{ port: 5432, from: app }, { port: 5432, from: users }"),
                    comps,
                    &format!(
                        "{links}  - {{ from: users, to: db, protocol: postgres, port: 5432 }}\n"
                    ),
                ),
            ],
            &[
                &topo(&hosts("{ port: 5432, from: app }"), comps, links),
                &topo(
                    &hosts("{ port: 5432, from: app }, { port: 22, from: any }"),
                    comps,
                    links,
                ),
            ],
        );
    }

    #[test]
    fn fw004_link_blocked_by_firewall() {
        let hosts = |rule: &str| {
            format!(
                "  h1: {{ firewall: {{ allow: [{{ port: 443, from: internet }}] }} }}\n  h2: {{ firewall: {{ allow: [{rule}] }} }}\n"
            )
        };
        check_rule(
            "FW004",
            &[
                &topo(&hosts("{ port: 9090, from: web }"), WEB_APP, LINKS),
                &topo(&hosts("{ port: 8080, from: users }"), WEB_APP, LINKS),
                // A network firewall in front of the app admits nothing from web.
                &topo(
                    "  h1: {}\n  h2: {}\n",
                    "  web: { kind: web_server, host: h1 }\n  app: { kind: app_server, host: h2 }\n  fw: { kind: firewall, protects: [app], allow: [{ port: 22, from: any }] }\n",
                    LINKS,
                ),
            ],
            &[
                &topo(&hosts("{ port: 8080, from: web }"), WEB_APP, LINKS),
                &topo(&hosts("{ port: \"8000-8100\", from: h1 }"), WEB_APP, LINKS),
                // On the same host, the host firewall is not crossed.
                &topo(
                    &hosts("{ port: 443, from: internet }"),
                    "  web: { kind: web_server, host: h2 }\n  app: { kind: app_server, host: h2 }\n",
                    LINKS,
                ),
            ],
        );
    }

    #[test]
    fn fw005_load_balancer_bypass() {
        let comps = "  lb: { kind: load_balancer, balancing: { targets: [web] } }\n  web: { kind: web_server }\n";
        check_rule(
            "FW005",
            &[&topo(
                "  h1: {}\n",
                comps,
                "  - { from: users, to: lb, protocol: https }\n  - { from: users, to: web, protocol: https }\n",
            )],
            &[&topo(
                "  h1: {}\n",
                comps,
                "  - { from: users, to: lb, protocol: https }\n",
            )],
        );
        // The bypassing link is deleted (its whole lines in a block list, one item and
        // a comma in a flow list), and replaced by one to the balancer when missing.
        let fixed = crate::rules::fixture::assert_fix_resolves(
            &topo(
                "  h1: {}\n",
                comps,
                "  - { from: users, to: lb, protocol: https }\n  # direct\n  - from: users\n    to: web\n    protocol: https\n  - { from: web, to: lb, protocol: http }\n",
            ),
            "FW005",
            "web",
        );
        assert!(
            fixed.ends_with("links:\n  - { from: users, to: lb, protocol: https }\n  # direct\n  - { from: web, to: lb, protocol: http }\n"),
            "{fixed}"
        );
        let fixed = crate::rules::fixture::assert_fix_resolves(
            &topo("  h1: {}\n", comps, "").replace(
                "links:\n",
                "links: [{ from: users, to: web, protocol: https }, { from: web, to: lb }]\n",
            ),
            "FW005",
            "web",
        );
        assert!(
            fixed.contains(
                "links: [{ from: web, to: lb }, { from: users, to: lb, protocol: https }]"
            ),
            "{fixed}"
        );
        // The only item of a flow list, replaced.
        let fixed = crate::rules::fixture::assert_fix_resolves(
            &topo("  h1: {}\n", comps, "").replace(
                "links:\n",
                "links: [ { from: users, to: web, protocol: https } ]\n",
            ),
            "FW005",
            "web",
        );
        assert!(
            fixed.contains("links: [ { from: users, to: lb, protocol: https } ]"),
            "{fixed}"
        );
    }
}
