//! Docker Compose files to a topology (`design/importers.md`, Compose specifics).
//!
//! Decisions the design left open:
//! - The topology's name is the file's top-level `name:`, else `compose`.
//! - Links are evidenced, per service, in this order: `depends_on`, `links:`, then the
//!   environment (in key order for a map, list order for a list); the port of a merged
//!   link is the first evidence's that has one. An env link without a port in its
//!   value takes the callee's first container port (`ports:`, then `expose:`).
//! - An env value that is a single word (no scheme, no port, no dot) under a host-like
//!   name (`REDIS_HOST: cache`) and names no service is IMP002; a dotted name
//!   (`api.stripe.com`) is taken for an outside host and skipped.
//! - `*_MASTER_HOST` names a replica's primary, not a link.
//! - A load balancer's targets are its outbound links to components that are not data
//!   stores; its links to data stores stay links. The backend port is stated when every
//!   target link has the same one.
//! - Networks become zones only when some service names a network; services naming
//!   none are in the zone `default`, as Compose puts them on the default network.
//! - Swarm placement `node.labels.L==V` constraints become a host named after the
//!   values, shared by the services with the same constraints.
//! - A `redis-sentinel` (image or command) gives every Redis primary
//!   `failover: automatic`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::heuristics::{self, Guess};
use super::ids::Ids;
use super::node::{self, Node};
use super::topology::{At, Component, Host, Link, Suppression, Topology, Zone};
use super::{ImportOptions, Imported, Links, SourceKind, imp, invalid, reader_errors};
use crate::finding::Finding;
use crate::model::document::Kind;
use crate::rules::import::{IMP001, IMP002, IMP003, IMP004, IMP005};
use crate::source::{SourceFile, Span};
use crate::yaml::{Limits, Spanned};

/// One service as read, before links and kinds are settled.
struct Service<'a> {
    key: &'a Spanned<String>,
    node: &'a Node,
    id: String,
    /// Kind stated by `x-infra-lint`.
    stated_kind: Option<Kind>,
    guess: Option<(Guess, Span, &'static str)>,
    /// Container ports published to a non-loopback address, with their items.
    published: Vec<(u16, Span)>,
    /// Container ports, published or exposed, in order.
    container_ports: Vec<u16>,
    networks: Vec<String>,
    role: Option<(&'static str, Option<(String, Span)>)>,
    sentinel: bool,
}

/// Reads a Compose file.
pub fn import(
    source: &SourceFile,
    options: &ImportOptions,
    limits: Limits,
) -> Result<Imported, Vec<Finding>> {
    let (root, errors) = node::read_document(source, limits);
    if !errors.is_empty() {
        return Err(reader_errors(errors));
    }
    let root = root.unwrap_or_default();
    if !root.is_map() {
        return Err(vec![invalid(
            root.span,
            format!(
                "a Compose file is a mapping with `services:`, not {}",
                root.type_name()
            ),
            "not a mapping",
        )]);
    }
    let Some((services_key, services)) = root.entry("services") else {
        return Err(vec![invalid(
            Span::new(0, 0),
            "a Compose file needs a top-level `services:` mapping",
            "no `services:`",
        )]);
    };
    if !services.is_map() {
        return Err(vec![invalid(
            services.span,
            format!("`services` must be a mapping, not {}", services.type_name()),
            "not a mapping",
        )]);
    }
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    if let Some((key, _)) = root.entry("include") {
        findings.push(imp(
            &IMP005,
            key.span,
            "",
            "`include:` names other Compose files: their services are not imported",
        ));
    }
    let swarm = services
        .entries()
        .iter()
        .any(|(_, s)| s.get("deploy").is_some())
        && !services
            .entries()
            .iter()
            .any(|(_, s)| s.get("build").is_some());

    // Services in name order, so ids do not depend on the file's order.
    let mut entries: Vec<&(Spanned<String>, Node)> = services.entries().iter().collect();
    entries.sort_by(|a, b| a.0.value.cmp(&b.0.value));
    let mut ids = Ids::default();
    let mut list: Vec<Service> = Vec::new();
    for (key, svc) in entries {
        if !svc.is_map() {
            errors.push(invalid(
                svc.span,
                format!(
                    "service `{}` must be a mapping, not {}",
                    key.value,
                    svc.type_name()
                ),
                "not a mapping",
            ));
            continue;
        }
        if let Some(profiles) = svc.get("profiles") {
            let named = profiles
                .items()
                .iter()
                .filter_map(Node::text)
                .any(|p| options.profiles.contains(&p));
            if !named {
                continue;
            }
        }
        list.push(read_service(
            key,
            svc,
            ids.claim(&key.value),
            &mut findings,
            &mut errors,
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    // Names a service answers to: its key, `container_name`, network aliases.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (i, s) in list.iter().enumerate() {
        by_name.insert(s.key.value.clone(), i);
    }
    for (i, s) in list.iter().enumerate() {
        if let Some(name) = s.node.get("container_name").and_then(Node::text) {
            by_name.entry(name).or_insert(i);
        }
        for (_, net) in s.node.get("networks").map_or(&[][..], Node::entries) {
            for alias in net.get("aliases").map_or(&[][..], Node::items) {
                if let Some(a) = alias.text() {
                    by_name.entry(a).or_insert(i);
                }
            }
        }
    }

    // Links from each service's evidence.
    let mut links = Links::default();
    let mut primaries: HashMap<usize, ()> = HashMap::new();
    let mut replica_of: Vec<Option<(usize, Span)>> = vec![None; list.len()];
    for (i, s) in list.iter().enumerate() {
        service_links(i, s, &list, &by_name, &mut links, &mut findings);
        if let Some((_, Some((primary, span)))) = &s.role {
            match by_name.get(primary) {
                Some(&p) if p != i => {
                    replica_of[i] = Some((p, *span));
                    primaries.insert(p, ());
                }
                _ => findings.push(imp(
                    &IMP002,
                    *span,
                    &s.id,
                    format!(
                        "`{}` names the primary `{primary}`, which is no service in this file",
                        s.key.value
                    ),
                )),
            }
        }
    }
    let sentinel = list.iter().any(|s| s.sentinel);

    // Kinds: stated, guessed, or `service`; a proxy calling others is a load balancer.
    let callers = links.callers();
    let kinds: Vec<Kind> = list
        .iter()
        .map(|s| {
            heuristics::kind_of(
                s.stated_kind,
                s.guess.as_ref().map(|(g, _, _)| g.kind),
                callers.contains(s.id.as_str()),
            )
        })
        .collect();
    let index_of: HashMap<&str, usize> = list
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();

    // Protocols the engines speak, where the evidence did not say.
    links.infer_protocols(
        |to| {
            index_of
                .get(to)
                .map(|&t| list[t].guess.as_ref().and_then(|(g, _, _)| g.engine))
        },
        &mut findings,
    );

    // Callers (other than the internet clients) by callee.
    let mut callers: HashMap<String, Vec<String>> = HashMap::new();
    for l in &links.links {
        callers
            .entry(l.to.clone())
            .or_default()
            .push(l.from.clone());
    }

    let mut topology = Topology {
        name: root
            .get("name")
            .and_then(Node::text)
            .unwrap_or_else(|| "compose".to_string()),
        description: format!("Imported from {} (Docker Compose).", source.path),
        origin: services_key.span,
        ..Topology::default()
    };

    // Zones from networks.
    let any_networks = list.iter().any(|s| !s.networks.is_empty());
    let mut zone_ids: BTreeMap<String, String> = BTreeMap::new();
    if any_networks {
        let mut names: BTreeSet<String> = BTreeSet::new();
        for s in &list {
            if s.networks.is_empty() {
                names.insert("default".into());
            }
            names.extend(s.networks.iter().cloned());
        }
        let declared = root.get("networks");
        for name in names {
            let id = ids.claim(&name);
            let origin = declared
                .and_then(|d| d.entry(&name))
                .map_or(services_key.span, |(k, _)| k.span);
            topology.zones.push(Zone {
                id: id.clone(),
                trust: "private",
                origin,
                from: format!("network {name}"),
            });
            zone_ids.insert(name, id);
        }
    }

    // Hosts.
    let mut host_of: Vec<Option<String>> = vec![None; list.len()];
    if !swarm && !list.is_empty() {
        let id = ids.claim("docker-host");
        topology.hosts.push(Host {
            id: id.clone(),
            zone: None,
            failure_domains: Vec::new(),
            origin: services_key.span,
            from: "the one Docker host a non-swarm Compose file runs on".into(),
        });
        findings.push(imp(
            &IMP004,
            services_key.span,
            "",
            format!("every service is assumed to run on one host `{id}`: a Compose file does not say which machines run it"),
        ));
        host_of.iter_mut().for_each(|h| *h = Some(id.clone()));
    } else if swarm {
        swarm_hosts(&list, &mut ids, &mut topology, &mut host_of);
    }

    let data_store = |i: usize| kinds[i].is_data_store();
    let mut replicas = HashMap::new();
    for (i, s) in list.iter().enumerate() {
        let kind = kinds[i];
        let mut c = Component::new(
            s.id.clone(),
            kind,
            s.key.span,
            format!("service {}", s.key.value),
        );
        c.host = host_of[i].clone();
        if let Some(image) = s.node.get("image").and_then(Node::str) {
            let name = heuristics::image_name(image);
            if !name.is_empty() {
                c.software = Some(name.to_string());
            }
            c.version = heuristics::image_tag(image).map(str::to_string);
        } else if let Some((g, _, _)) = &s.guess {
            c.software = Some(g.software.to_string());
        }
        if let Some((g, span, what)) = &s.guess
            && s.stated_kind.is_none()
        {
            let engine = g
                .engine
                .map_or(String::new(), |e| format!(" with engine `{e}`"));
            findings.push(imp(
                &IMP001,
                *span,
                &s.id,
                format!(
                    "`{}` is taken for a {}{engine} from its {what}",
                    s.id,
                    kind.as_str()
                ),
            ));
        }
        if matches!(kind, Kind::Database | Kind::Cache) {
            c.engine = s
                .guess
                .as_ref()
                .and_then(|(g, _, _)| g.engine)
                .map(str::to_string);
        }
        c.instances = s
            .node
            .at(&["deploy", "replicas"])
            .or_else(|| s.node.get("scale"))
            .and_then(|n| Some((n.int()?, n.span)))
            .and_then(|(n, span)| super::instances(n, span, &s.id, &mut findings));
        if !zone_ids.is_empty() {
            c.zone = zone_for(s, &callers, &list, &index_of, &zone_ids, &mut findings);
        }
        if matches!(kind, Kind::Database | Kind::Cache) {
            if let Some((p, _)) = replica_of[i] {
                c.role = Some("replica");
                c.replicates_from = Some(list[p].id.clone());
            } else if primaries.contains_key(&i) {
                c.role = Some("primary");
                if sentinel && c.engine.as_deref() == Some("redis") {
                    c.failover = Some("automatic");
                }
            }
        }
        // One more replica: a direct translation of `instances` for what is not a data
        // store (a second Postgres container is a second database, not a replica).
        if !kind.is_data_store() && kind != Kind::Client {
            let n = c
                .instances
                .as_ref()
                .map_or(1, |n| n.value)
                .saturating_add(1);
            let key = crate::fix::scalar(&s.key.value).into_owned();
            let (yaml, what) = if s.node.get("scale").is_some() {
                (
                    format!("services:\n  {key}:\n    scale: {n}\n"),
                    format!("scale: {n}"),
                )
            } else {
                (
                    format!("services:\n  {key}:\n    deploy:\n      replicas: {n}\n"),
                    format!("deploy.replicas: {n}"),
                )
            };
            replicas.insert(
                s.id.clone(),
                super::ReplicaFix {
                    description: format!("run {n} replicas of `{}` (`{what}`)", s.key.value),
                    yaml,
                    scope: Span::new(0, source.text.len()),
                },
            );
        }
        if let Some(hc) = s.node.get("healthcheck")
            && let Some(test) = hc.get("test")
        {
            let test = match &test.value {
                node::Value::Seq(items) => items
                    .iter()
                    .filter_map(Node::text)
                    .filter(|t| t != "CMD" && t != "CMD-SHELL")
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => test.text().unwrap_or_default(),
            };
            c.description = Some(format!("healthcheck: {}", crate::finding::shorten(&test)));
        }
        if let Some(hints) = s.node.get("x-infra-lint") {
            for item in hints.get("suppress").map_or(&[][..], Node::items) {
                if let Some(rule) = item.get("rule").and_then(Node::text) {
                    c.suppress.push(Suppression {
                        rule,
                        reason: item.get("reason").and_then(Node::text),
                        origin: item.span,
                    });
                }
            }
        }
        if kind.is_data_store()
            && !callers
                .get(s.id.as_str())
                .is_some_and(|from| from.iter().any(|f| index_of.contains_key(f.as_str())))
        {
            findings.push(imp(
                &IMP003,
                s.key.span,
                &s.id,
                format!(
                    "no service in this file links to the {} `{}`: its clients name it only in their code",
                    kind.as_str(),
                    s.id
                ),
            ).help(format!("declare the link on each client: `x-infra-lint: {{ links: [{}] }}`", s.key.value)));
        }
        topology.components.push(c);
    }

    // Internet clients for published ports.
    for (i, s) in list.iter().enumerate() {
        let Some(&(port, span)) = s.published.first() else {
            continue;
        };
        let client_id = ids.claim_as("internet", &s.key.value);
        let called = callers
            .get(s.id.as_str())
            .is_some_and(|from| from.iter().any(|f| index_of.contains_key(f.as_str())));
        let mut client = Component::new(
            client_id.clone(),
            Kind::Client,
            span,
            format!("the published ports of service {}", s.key.value),
        );
        if called || data_store(i) {
            client.entrypoint = Some(false);
        }
        topology.components.push(client);
        for &(port, span) in &s.published {
            links.add(Link {
                from: client_id.clone(),
                to: s.id.clone(),
                protocol: None,
                port: Some(port),
                tls: None,
                access: None,
                origin: span,
            });
        }
        // The protocol of the client's link, from the first port.
        if let Some(&li) = links.by_pair.get(&(client_id.clone(), s.id.clone())) {
            let engine = s.guess.as_ref().and_then(|(g, _, _)| g.engine);
            let link = &mut links.links[li];
            link.protocol = engine
                .and_then(heuristics::engine_protocol)
                .or_else(|| heuristics::port_protocol(port));
            if engine.is_none() && link.protocol.is_some() {
                findings.push(imp(
                    &IMP001,
                    span,
                    &s.id,
                    format!(
                        "the published port {port} of `{}` is taken to speak {} from its number",
                        s.id,
                        link.protocol.unwrap_or("tcp")
                    ),
                ));
            }
        }
    }

    // Load balancers' targets: their links to components that are not data stores.
    let lbs: BTreeSet<usize> = (0..list.len())
        .filter(|&i| kinds[i] == Kind::LoadBalancer)
        .collect();
    let mut kept = Vec::with_capacity(links.links.len());
    let mut targets: HashMap<usize, Vec<(String, Option<u16>)>> = HashMap::new();
    for l in links.links.drain(..) {
        let from = index_of.get(l.from.as_str()).copied();
        let to = index_of.get(l.to.as_str()).copied();
        match (from, to) {
            (Some(f), Some(t)) if lbs.contains(&f) && !data_store(t) => {
                targets.entry(f).or_default().push((l.to.clone(), l.port));
            }
            _ => kept.push(l),
        }
    }
    links.links = kept;
    for c in &mut topology.components {
        let Some(&i) = index_of.get(c.id.as_str()) else {
            continue;
        };
        if c.kind != Kind::LoadBalancer {
            continue;
        }
        match targets.remove(&i) {
            Some(t) => {
                let first = t[0].1;
                if first.is_some() && t.iter().all(|(_, p)| *p == first) {
                    c.backend_port = first;
                }
                c.targets = t.into_iter().map(|(id, _)| id).collect();
                let traefik = c.software.as_deref() == Some("traefik");
                let all_checked = c.targets.iter().all(|t| {
                    index_of
                        .get(t.as_str())
                        .is_some_and(|&ti| list[ti].node.get("healthcheck").is_some())
                });
                if (traefik || swarm) && all_checked {
                    c.health_check = Some(At::new(None, c.origin));
                }
            }
            // A proxy stated a load balancer with only data stores behind it: a web
            // server, since a load balancer needs targets.
            None => c.kind = Kind::WebServer,
        }
    }
    topology.links = links.links;
    Ok(Imported {
        kind: SourceKind::Compose,
        topology,
        findings,
        replicas,
    })
}

/// Reads what one service says about itself.
fn read_service<'a>(
    key: &'a Spanned<String>,
    svc: &'a Node,
    id: String,
    findings: &mut Vec<Finding>,
    errors: &mut Vec<Finding>,
) -> Service<'a> {
    if let Some((k, _)) = svc.entry("extends") {
        findings.push(imp(
            &IMP005,
            k.span,
            &id,
            format!(
                "`extends:` of `{}` is not followed: what it inherits is not imported",
                key.value
            ),
        ));
    }
    let mut stated_kind = None;
    if let Some(hints) = svc.get("x-infra-lint") {
        stated_kind = read_hints(hints, errors);
    }
    let image = svc.get("image");
    let guess = image
        .and_then(|i| {
            i.str()
                .map(|s| (heuristics::guess(heuristics::image_name(s)), i.span))
        })
        .and_then(|(g, span)| g.map(|g| (g, span, "image")))
        .or_else(|| heuristics::guess(&key.value).map(|g| (g, key.span, "name")));
    let mut published = Vec::new();
    let mut container_ports = Vec::new();
    for item in svc.get("ports").map_or(&[][..], Node::items) {
        if let Some((target, public)) = port_item(item, &id, findings) {
            container_ports.push(target);
            if public {
                published.push((target, item.span));
            }
        }
    }
    for item in svc.get("expose").map_or(&[][..], Node::items) {
        if let Some(p) = item
            .text()
            .and_then(|t| t.split(['/', '-']).next().and_then(|p| p.parse().ok()))
            .filter(|p| *p > 0)
        {
            container_ports.push(p);
        }
    }
    let networks = match svc.get("networks") {
        Some(n) if n.is_seq() => n.items().iter().filter_map(Node::text).collect(),
        Some(n) => n.entries().iter().map(|(k, _)| k.value.clone()).collect(),
        None => Vec::new(),
    };
    let command_text = svc.get("command").map(|c| match &c.value {
        node::Value::Seq(items) => items
            .iter()
            .filter_map(Node::text)
            .collect::<Vec<_>>()
            .join(" "),
        _ => c.text().unwrap_or_default(),
    });
    let sentinel = image
        .and_then(Node::str)
        .is_some_and(|i| heuristics::image_name(i).contains("sentinel"))
        || command_text
            .as_deref()
            .is_some_and(|c| c.contains("sentinel"));
    let guess = if sentinel { None } else { guess };
    let role = replication_role(svc, command_text.as_deref());
    Service {
        key,
        node: svc,
        id,
        stated_kind,
        guess,
        published,
        container_ports,
        networks,
        role,
        sentinel,
    }
}

/// Validates `x-infra-lint` strictly (Compose itself ignores `x-` keys, so a typo would
/// otherwise be lost); returns the kind it states.
fn read_hints(hints: &Node, errors: &mut Vec<Finding>) -> Option<Kind> {
    const KEYS: [&str; 3] = ["kind", "links", "suppress"];
    if !hints.is_map() {
        errors.push(invalid(
            hints.span,
            "`x-infra-lint` must be a mapping of `kind`, `links` and `suppress`",
            "not a mapping",
        ));
        return None;
    }
    let mut kind = None;
    for (k, v) in hints.entries() {
        match k.value.as_str() {
            "kind" => match v.str().and_then(hint_kind) {
                Some(found) => kind = Some(found),
                None => errors.push(
                    invalid(
                        v.span,
                        format!("`{}` is not a component kind", v.text().unwrap_or_default()),
                        "unknown kind",
                    )
                    .help(HINT_KINDS),
                ),
            },
            "links" => {
                if !v.is_seq() || v.items().iter().any(|i| i.str().is_none()) {
                    errors.push(invalid(
                        v.span,
                        "`links` must be a list of service names",
                        "not a list of names",
                    ));
                }
            }
            "suppress" => {
                for item in v.items() {
                    for (ik, _) in item.entries() {
                        if !matches!(ik.value.as_str(), "rule" | "reason" | "until") {
                            errors.push(invalid(ik.span, format!("unknown key `{}` in a suppression: expected `rule` and `reason`", ik.value), "unknown key"));
                        }
                    }
                    if item.get("rule").and_then(Node::str).is_none() {
                        errors.push(invalid(item.span, "a suppression needs `rule:`", "no rule"));
                    }
                }
                if !v.is_seq() {
                    errors.push(invalid(
                        v.span,
                        "`suppress` must be a list of `{ rule, reason }`",
                        "not a list",
                    ));
                }
            }
            other => {
                let hint = crate::spelling::closest(other, KEYS.iter().copied())
                    .map_or(String::new(), |b| format!("; did you mean `{b}`?"));
                errors.push(invalid(
                    k.span,
                    format!("unknown key `{other}` in `x-infra-lint`{hint}"),
                    "unknown key",
                ));
            }
        }
    }
    kind
}

/// The kinds a hint may state, for messages.
pub(crate) const HINT_KINDS: &str = "one of client, dns, cdn, load_balancer, web_server, app_server, service, database, cache, queue, storage, monitoring (a network firewall is placed by what it protects, which a hint cannot say)";

/// A kind a hint may state: any but `firewall`, which takes no links.
pub(crate) fn hint_kind(name: &str) -> Option<Kind> {
    kind_named(name).filter(|k| *k != Kind::Firewall)
}

/// A kind by its name in the format, as the topology reader reads it.
pub(crate) fn kind_named(name: &str) -> Option<Kind> {
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    let name: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        name.into_deserializer();
    Kind::deserialize(name).ok()
}

/// One `ports:` item: its container port and whether it is published beyond the
/// loopback address.
fn port_item(item: &Node, id: &str, findings: &mut Vec<Finding>) -> Option<(u16, bool)> {
    if item.is_map() {
        let target = item.get("target").and_then(Node::int)?;
        let host_ip = item.get("host_ip").and_then(Node::text).unwrap_or_default();
        let target = u16::try_from(target).ok().filter(|p| *p > 0)?;
        return Some((target, !loopback(&host_ip)));
    }
    let text = item.text()?;
    let text = match interpolate(&text) {
        Ok(t) => t,
        Err(var) => {
            findings.push(imp(
                &IMP005,
                item.span,
                id,
                format!("`${{{var}}}` has no default: this port is not imported"),
            ));
            return None;
        }
    };
    let text = text.split('/').next().unwrap_or(&text);
    // [host_ip:][published:]target, an IPv6 host in brackets.
    let (host_ip, rest) = match text.strip_prefix('[') {
        Some(r) => {
            let (ip, rest) = r.split_once("]:")?;
            (ip.to_string(), rest.to_string())
        }
        None => {
            let parts: Vec<&str> = text.split(':').collect();
            if parts.len() == 3 {
                (parts[0].to_string(), format!("{}:{}", parts[1], parts[2]))
            } else {
                (String::new(), text.to_string())
            }
        }
    };
    let target = rest.rsplit(':').next()?;
    let target = target
        .split('-')
        .next()?
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)?;
    Some((target, !loopback(&host_ip)))
}

fn loopback(ip: &str) -> bool {
    ip.starts_with("127.") || ip == "::1" || ip == "localhost"
}

/// A value with Compose's interpolation applied: `${VAR:-default}` and `${VAR-default}`
/// become the default, `$$` a `$`; a variable without a default is returned as the
/// error (its value is known only when Compose runs).
pub(crate) fn interpolate(text: &str) -> Result<String, String> {
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let Some(end) = r.find('}') else {
                return Err(r.to_string());
            };
            let inner = &r[..end];
            match inner.split_once(":-").or_else(|| inner.split_once('-')) {
                Some((_, default)) => out.push_str(default),
                None => return Err(inner.split([':', '?']).next().unwrap_or(inner).to_string()),
            }
            rest = &r[end + 1..];
        } else {
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if name_len == 0 {
                out.push('$');
                rest = after;
            } else {
                return Err(after[..name_len].to_string());
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The role a service's labels, command or environment give it, and the primary a
/// replica names (with where).
fn replication_role(
    svc: &Node,
    command: Option<&str>,
) -> Option<(&'static str, Option<(String, Span)>)> {
    let mut role = None;
    for (k, v) in env_entries(svc) {
        let var = k.to_ascii_uppercase();
        let Some((value, span)) = v else { continue };
        if var.ends_with("_MASTER_HOST") || var.ends_with("_PRIMARY_HOST") {
            return Some(("replica", Some((value, span))));
        }
        if var.ends_with("_REPLICATION_MODE") {
            match value.to_ascii_lowercase().as_str() {
                "slave" | "replica" => role = Some("replica"),
                "master" | "primary" => role = Some("primary"),
                _ => {}
            }
        }
    }
    if let Some(cmd) = command {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        for w in words.windows(2) {
            if matches!(w[0], "--replicaof" | "--slaveof" | "replicaof" | "slaveof") {
                let span = svc.get("command").map_or(Span::default(), |c| c.span);
                return Some(("replica", Some((w[1].to_string(), span))));
            }
        }
    }
    let labels = svc.get("labels");
    let label_role = labels.and_then(|l| {
        if l.is_map() {
            l.get("role").and_then(Node::text)
        } else {
            l.items()
                .iter()
                .filter_map(Node::text)
                .find_map(|t| t.strip_prefix("role=").map(str::to_string))
        }
    });
    match label_role.as_deref() {
        Some("master" | "leader" | "primary") => role = Some("primary"),
        Some("replica" | "follower" | "slave") => role = role.or(Some("replica")),
        _ => {}
    }
    role.map(|r| (r, None))
}

/// A service's environment as (name, value and its span): a map, or a list of
/// `NAME=value`; a name without a value has none.
fn env_entries(svc: &Node) -> Vec<(String, Option<(String, Span)>)> {
    let Some(env) = svc.get("environment") else {
        return Vec::new();
    };
    if env.is_map() {
        let mut out: Vec<_> = env
            .entries()
            .iter()
            .map(|(k, v)| (k.value.clone(), v.text().map(|t| (t, v.span))))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    } else {
        env.items()
            .iter()
            .filter_map(|i| {
                let t = i.text()?;
                Some(match t.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some((v.to_string(), i.span))),
                    None => (t, None),
                })
            })
            .collect()
    }
}

/// Adds the links one service's `depends_on`, `links:`, environment and hints evidence.
fn service_links(
    i: usize,
    s: &Service,
    list: &[Service],
    by_name: &HashMap<String, usize>,
    links: &mut Links,
    findings: &mut Vec<Finding>,
) {
    let mut add = |to: usize, port: Option<u16>, protocol: Option<&'static str>, origin: Span| {
        if to == i {
            return;
        }
        let port = port.or_else(|| list[to].container_ports.first().copied());
        links.add(Link {
            from: s.id.clone(),
            to: list[to].id.clone(),
            protocol,
            port,
            tls: protocol
                .map(|p| matches!(p, "https" | "tls" | "grpcs"))
                .filter(|t| *t),
            access: None,
            origin,
        });
    };
    let unresolved = |findings: &mut Vec<Finding>, name: &str, span: Span, what: &str| {
        findings.push(imp(
            &IMP002,
            span,
            &s.id,
            format!(
                "{what} of `{}` names `{name}`, which is no service in this file",
                s.key.value
            ),
        ));
    };
    // depends_on: a list, or a map with conditions.
    if let Some(deps) = s.node.get("depends_on") {
        let mut named: Vec<(String, Span, bool)> = Vec::new();
        if deps.is_map() {
            for (k, v) in deps.entries() {
                let completed = v.get("condition").and_then(Node::str)
                    == Some("service_completed_successfully");
                named.push((k.value.clone(), k.span, completed));
            }
        } else {
            for item in deps.items() {
                if let Some(t) = item.text() {
                    named.push((t, item.span, false));
                }
            }
        }
        for (name, span, completed) in named {
            match by_name.get(&name) {
                Some(&t) if !completed => add(t, None, None, span),
                Some(_) => {}
                None => unresolved(findings, &name, span, "`depends_on`"),
            }
        }
    }
    for item in s.node.get("links").map_or(&[][..], Node::items) {
        if let Some(t) = item.text() {
            let name = t.split(':').next().unwrap_or(&t).to_string();
            match by_name.get(&name) {
                Some(&to) => add(to, None, None, item.span),
                None => unresolved(findings, &name, item.span, "`links:`"),
            }
        }
    }
    if let Some(hints) = s.node.get("x-infra-lint") {
        for item in hints.get("links").map_or(&[][..], Node::items) {
            if let Some(name) = item.str() {
                match by_name.get(name) {
                    Some(&to) => add(to, None, None, item.span),
                    None => unresolved(findings, name, item.span, "`x-infra-lint` `links`"),
                }
            }
        }
    }
    for (var, value) in env_entries(s.node) {
        let Some((value, span)) = value else { continue };
        let upper = var.to_ascii_uppercase();
        if upper.ends_with("_MASTER_HOST") || upper.ends_with("_PRIMARY_HOST") {
            continue;
        }
        let value = match interpolate(&value) {
            Ok(v) => v,
            Err(missing) => {
                if heuristics::names_a_host(&var) || value.contains("://") {
                    findings.push(imp(
                        &IMP005,
                        span,
                        &s.id,
                        format!("`{var}` uses `${{{missing}}}`, which has no default: the service it names is not known"),
                    ));
                }
                continue;
            }
        };
        let Some((scheme, host, port)) = heuristics::host_of(&value) else {
            continue;
        };
        let host_named = heuristics::names_a_host(&var);
        // A bare word counts only under a host-like name; `host:port` and URLs always.
        if scheme.is_none() && port.is_none() && !host_named {
            continue;
        }
        match by_name.get(host) {
            Some(&to) => add(to, port, scheme.and_then(heuristics::scheme_protocol), span),
            None => {
                let single_word = !host.contains('.') && host != "localhost";
                if host_named && single_word && host.parse::<f64>().is_err() {
                    unresolved(findings, host, span, &format!("`{var}`"));
                }
            }
        }
    }
}

/// The zone of a service: its one network, or the one it shares with its callers.
fn zone_for(
    s: &Service,
    callers: &HashMap<String, Vec<String>>,
    list: &[Service],
    index_of: &HashMap<&str, usize>,
    zone_ids: &BTreeMap<String, String>,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    let mut nets: Vec<&String> = s.networks.iter().collect();
    nets.sort();
    let default = "default".to_string();
    let chosen = match nets.len() {
        0 => &default,
        1 => nets[0],
        _ => {
            let shared = callers.get(s.id.as_str()).and_then(|from| {
                nets.iter().copied().find(|n| {
                    from.iter().any(|f| {
                        index_of
                            .get(f.as_str())
                            .is_some_and(|&ci| list[ci].networks.contains(n))
                    })
                })
            });
            let chosen = shared.unwrap_or(nets[0]);
            let span = s.node.entry("networks").map_or(s.key.span, |(k, _)| k.span);
            findings.push(imp(
                &IMP004,
                span,
                &s.id,
                format!(
                    "`{}` is on several networks; it is placed in `{chosen}`, {}",
                    s.key.value,
                    if shared.is_some() {
                        "the one it shares with its callers"
                    } else {
                        "the first by name"
                    }
                ),
            ));
            chosen
        }
    };
    zone_ids.get(chosen).cloned()
}

/// Swarm hosts from placement constraints: `node.hostname==X` is host X;
/// `node.labels.L==V` constraints a host named after the values.
fn swarm_hosts(
    list: &[Service],
    ids: &mut Ids,
    topology: &mut Topology,
    host_of: &mut [Option<String>],
) {
    let mut hosts: BTreeMap<String, (Vec<(String, String)>, Span)> = BTreeMap::new();
    let mut wanted: Vec<Option<String>> = vec![None; list.len()];
    for (i, s) in list.iter().enumerate() {
        let Some(constraints) = s.node.at(&["deploy", "placement", "constraints"]) else {
            continue;
        };
        let mut hostname = None;
        let mut labels = Vec::new();
        for c in constraints.items() {
            let Some(text) = c.text() else { continue };
            let Some((l, r)) = text.split_once("==") else {
                continue;
            };
            let (l, r) = (l.trim(), r.trim().to_string());
            if l == "node.hostname" {
                hostname = Some(r);
            } else if let Some(label) = l.strip_prefix("node.labels.") {
                labels.push((label.to_string(), r));
            }
        }
        labels.sort();
        let name = match hostname {
            Some(h) => h,
            None if !labels.is_empty() => labels
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join("-"),
            None => continue,
        };
        hosts
            .entry(name.clone())
            .or_insert((labels, constraints.span));
        wanted[i] = Some(name);
    }
    let mut host_ids: HashMap<String, String> = HashMap::new();
    for (name, (labels, span)) in hosts {
        let id = ids.claim(&name);
        topology.hosts.push(Host {
            id: id.clone(),
            zone: None,
            failure_domains: labels,
            origin: span,
            from: format!("swarm placement on {name}"),
        });
        host_ids.insert(name, id);
    }
    for (i, w) in wanted.into_iter().enumerate() {
        host_of[i] = w.and_then(|n| host_ids.get(&n).cloned());
    }
}
