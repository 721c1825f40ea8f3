//! Threagile models to a topology (`design/importers.md`, Threagile specifics).
//!
//! Decisions the design left open:
//! - The topology's name is the model's `title`, else `threagile`.
//! - Components are named by the assets' `id`s (sanitised); an asset without an `id`
//!   is an input error, as Threagile rejects it. Out-of-scope assets are imported: they
//!   still carry traffic.
//! - Zones come from the network trust boundaries (`network-*` types); an
//!   `execution-environment` boundary is a runtime, not a network, and makes no zone.
//!   A zone's trust is `dmz` when its id or title says DMZ, else `private`. An asset in
//!   nested boundaries is in the innermost one. External entities without
//!   `internet: true` stay in their boundary's zone (or the client default, internet).
//! - A `network-cloud-security-group` boundary gives a managed firewall `<id>-sg`
//!   protecting its zone, allowing on any port each asset outside that links in.
//! - Protocols: `http`, `https`, `ssh` and the `smtp` family keep their name; every
//!   other protocol is `tcp`, with `tls: true` when encrypted (its name has `encrypted`
//!   but not `unencrypted`, or it is `wss`, `ssh-tunnel`, `ftps`, `sftp`, `scp`,
//!   `ldaps`).
//! - `readonly: true` becomes `access: read` only on links to data stores (the format
//!   allows `access` there).
//! - A load balancer's targets are its links to the assets of its most linked
//!   technology (ties: the technology's name); its other links stay links.

use std::collections::{BTreeMap, HashMap};

use super::ids::Ids;
use super::node::{self, Node};
use super::topology::{Allow, At, Component, Firewall, Host, Link, Topology, Zone};
use super::{Imported, Links, SourceKind, imp, invalid, reader_errors};
use crate::finding::Finding;
use crate::model::document::Kind;
use crate::rules::import::{IMP002, IMP003, IMP004};
use crate::source::SourceFile;
use crate::yaml::{Limits, Spanned};

/// The kind of an asset's technology.
fn kind_of(technology: &str, external: bool) -> Kind {
    if external {
        return Kind::Client;
    }
    match technology {
        "load-balancer" => Kind::LoadBalancer,
        "web-server" | "reverse-proxy" | "waf" => Kind::WebServer,
        "application-server" | "erp" | "cms" => Kind::AppServer,
        "database" | "identity-store-ldap" | "identity-store-database" => Kind::Database,
        "file-server" => Kind::Storage,
        "message-queue" => Kind::Queue,
        "monitoring" => Kind::Monitoring,
        _ => Kind::Service,
    }
}

/// A protocol's name in the format and whether it is encrypted.
fn protocol_of(name: &str) -> (Option<&'static str>, bool) {
    let encrypted = (name.contains("encrypted") && !name.contains("unencrypted"))
        || matches!(
            name,
            "https" | "wss" | "ssh" | "ssh-tunnel" | "ftps" | "sftp" | "scp" | "ldaps"
        );
    let protocol = match name {
        "http" => Some("http"),
        "https" => Some("https"),
        "ssh" | "ssh-tunnel" => Some("ssh"),
        "smtp" | "smtp-encrypted" => Some("smtp"),
        _ => None,
    };
    (protocol, encrypted)
}

struct Asset<'a> {
    key: &'a Spanned<String>,
    node: &'a Node,
    raw_id: String,
    id: String,
    kind: Kind,
    technology: String,
}

/// Reads a Threagile model.
pub fn import(source: &SourceFile, limits: Limits) -> Result<Imported, Vec<Finding>> {
    let (root, errors) = node::read_document(source, limits);
    if !errors.is_empty() {
        return Err(reader_errors(errors));
    }
    let root = root.unwrap_or_default();
    if !root.is_map() {
        return Err(vec![invalid(
            root.span,
            format!("a Threagile model is a mapping, not {}", root.type_name()),
            "not a mapping",
        )]);
    }
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let assets_node = root.entry("technical_assets");
    let mut entries: Vec<&(Spanned<String>, Node)> = assets_node
        .map_or(&[][..], |(_, n)| n.entries())
        .iter()
        .collect();
    entries.sort_by(|a, b| a.0.value.cmp(&b.0.value));
    let mut assets: Vec<Asset> = Vec::new();
    for (key, node) in entries {
        let Some(raw_id) = node.get("id").and_then(Node::text) else {
            errors.push(invalid(
                key.span,
                format!("technical asset `{}` has no `id`", key.value),
                "no id",
            ));
            continue;
        };
        let technology = node
            .get("technology")
            .and_then(Node::text)
            .unwrap_or_default();
        let external = node.get("type").and_then(Node::str) == Some("external-entity");
        assets.push(Asset {
            key,
            node,
            kind: kind_of(&technology, external),
            technology,
            id: String::new(),
            raw_id,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    assets.sort_by(|a, b| a.raw_id.cmp(&b.raw_id));
    let mut ids = Ids::default();
    for a in &mut assets {
        a.id = ids.claim(&a.raw_id);
    }
    let by_raw: HashMap<&str, usize> = assets
        .iter()
        .enumerate()
        .map(|(i, a)| (a.raw_id.as_str(), i))
        .collect();

    let mut topology = Topology {
        name: root
            .get("title")
            .and_then(Node::text)
            .unwrap_or_else(|| "threagile".into()),
        description: format!("Imported from {} (Threagile model).", source.path),
        origin: root
            .entry("threagile_version")
            .map_or(root.span, |(k, _)| k.span),
        ..Topology::default()
    };

    // Trust boundaries: zones, the innermost per asset.
    let mut boundaries: Vec<(&Spanned<String>, &Node, String)> = root
        .get("trust_boundaries")
        .map_or(&[][..], Node::entries)
        .iter()
        .filter_map(|(k, b)| Some((k, b, b.get("id").and_then(Node::text)?)))
        .collect();
    boundaries.sort_by(|a, b| a.2.cmp(&b.2));
    let mut zone_of: Vec<Option<(usize, usize)>> = vec![None; assets.len()];
    let mut boundary_zone: HashMap<&str, String> = HashMap::new();
    let nested_in: HashMap<String, usize> = boundaries
        .iter()
        .flat_map(|(_, b, id)| {
            b.get("trust_boundaries_nested")
                .map_or(&[][..], Node::items)
                .iter()
                .filter_map(Node::text)
                .map(move |n| (n, id.clone()))
        })
        .fold(HashMap::new(), |mut depth, (child, _)| {
            *depth.entry(child).or_insert(0) += 1;
            depth
        });
    for (bi, (key, b, raw)) in boundaries.iter().enumerate() {
        let ty = b
            .get("type")
            .and_then(Node::str)
            .unwrap_or("network-on-prem");
        if !ty.starts_with("network") {
            continue;
        }
        let id = ids.claim(raw);
        let title = key.value.to_ascii_lowercase();
        let trust = if title.contains("dmz") || raw.to_ascii_lowercase().contains("dmz") {
            "dmz"
        } else {
            "private"
        };
        topology.zones.push(Zone {
            id: id.clone(),
            trust,
            origin: key.span,
            from: format!("trust boundary {}", key.value),
        });
        boundary_zone.insert(raw.as_str(), id);
        let depth = nested_in.get(raw).copied().unwrap_or(0);
        for inside in b
            .get("technical_assets_inside")
            .map_or(&[][..], Node::items)
        {
            let Some(name) = inside.text() else { continue };
            match by_raw.get(name.as_str()) {
                Some(&a) => {
                    if zone_of[a].is_none_or(|(_, d)| depth >= d) {
                        zone_of[a] = Some((bi, depth));
                    }
                }
                None => findings.push(imp(
                    &IMP002,
                    inside.span,
                    "",
                    format!(
                        "trust boundary `{}` lists `{name}`, which is no technical asset",
                        key.value
                    ),
                )),
            }
        }
    }

    // Shared runtimes: hosts.
    let mut host_of: Vec<Option<String>> = vec![None; assets.len()];
    let mut runtimes: Vec<(&Spanned<String>, &Node, String)> = root
        .get("shared_runtimes")
        .map_or(&[][..], Node::entries)
        .iter()
        .filter_map(|(k, r)| Some((k, r, r.get("id").and_then(Node::text)?)))
        .collect();
    runtimes.sort_by(|a, b| a.2.cmp(&b.2));
    for (key, r, raw) in runtimes {
        let id = ids.claim(&raw);
        topology.hosts.push(Host {
            id: id.clone(),
            zone: None,
            failure_domains: Vec::new(),
            origin: key.span,
            from: format!("shared runtime {}", key.value),
        });
        for running in r
            .get("technical_assets_running")
            .map_or(&[][..], Node::items)
        {
            let Some(name) = running.text() else { continue };
            match by_raw.get(name.as_str()) {
                Some(&a) => {
                    host_of[a].get_or_insert(id.clone());
                }
                None => findings.push(imp(
                    &IMP002,
                    running.span,
                    "",
                    format!(
                        "shared runtime `{}` runs `{name}`, which is no technical asset",
                        key.value
                    ),
                )),
            }
        }
    }

    // Links.
    let mut links = Links::default();
    for a in &assets {
        let mut comms: Vec<&(Spanned<String>, Node)> = a
            .node
            .get("communication_links")
            .map_or(&[][..], Node::entries)
            .iter()
            .collect();
        comms.sort_by(|x, y| x.0.value.cmp(&y.0.value));
        for (title, link) in comms {
            let Some(target) = link.get("target") else {
                continue;
            };
            let name = target.text().unwrap_or_default();
            let Some(&t) = by_raw.get(name.as_str()) else {
                findings.push(imp(
                    &IMP002,
                    target.span,
                    &a.id,
                    format!("communication link `{}` of `{}` targets `{name}`, which is no technical asset", title.value, a.raw_id),
                ));
                continue;
            };
            let (protocol, encrypted) =
                protocol_of(link.get("protocol").and_then(Node::str).unwrap_or(""));
            let readonly = link.get("readonly").and_then(Node::bool) == Some(true);
            links.add(Link {
                from: a.id.clone(),
                to: assets[t].id.clone(),
                protocol,
                port: None,
                tls: (encrypted && protocol != Some("https")).then_some(true),
                access: (readonly && assets[t].kind.is_data_store()).then_some("read"),
                origin: title.span,
            });
        }
    }

    let index_of: HashMap<&str, usize> = assets
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.as_str(), i))
        .collect();
    // Load balancers' targets: the assets of their most linked technology.
    let mut outgoing: HashMap<usize, Vec<usize>> = HashMap::new();
    for (li, l) in links.links.iter().enumerate() {
        if let Some(&f) = index_of.get(l.from.as_str()) {
            outgoing.entry(f).or_default().push(li);
        }
    }
    let mut targets: HashMap<usize, Vec<String>> = HashMap::new();
    let mut taken = vec![false; links.links.len()];
    for (i, _) in assets
        .iter()
        .enumerate()
        .filter(|(_, a)| a.kind == Kind::LoadBalancer)
    {
        let out = outgoing.get(&i).map_or(&[][..], Vec::as_slice);
        let tech_of = |li: usize| {
            index_of
                .get(links.links[li].to.as_str())
                .map(|&t| assets[t].technology.as_str())
        };
        let mut by_tech: BTreeMap<&str, usize> = BTreeMap::new();
        for &li in out {
            if let Some(t) = tech_of(li) {
                *by_tech.entry(t).or_default() += 1;
            }
        }
        let Some(tech) = by_tech
            .iter()
            .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
            .map(|(t, _)| *t)
        else {
            continue;
        };
        let mut chosen = Vec::new();
        for &li in out {
            if tech_of(li) == Some(tech) {
                taken[li] = true;
                chosen.push(links.links[li].to.clone());
            }
        }
        targets.insert(i, chosen);
    }
    let mut li = 0;
    links.links.retain(|_| {
        li += 1;
        !taken[li - 1]
    });

    let mut called: HashMap<String, usize> = HashMap::new();
    for l in &links.links {
        *called.entry(l.to.clone()).or_default() += 1;
    }
    for t in targets.values().flatten() {
        *called.entry(t.clone()).or_default() += 1;
    }
    let mut components = Vec::new();
    let mut replicas = HashMap::new();
    for (i, a) in assets.iter().enumerate() {
        let mut kind = a.kind;
        let mut c = Component::new(
            a.id.clone(),
            kind,
            a.key.span,
            format!("technical asset {}", a.key.value),
        );
        if kind == Kind::LoadBalancer {
            c.targets = targets.remove(&i).unwrap_or_default();
            if c.targets.is_empty() {
                kind = Kind::WebServer;
                c.kind = kind;
            }
        }
        if !a.technology.is_empty() {
            c.software = Some(a.technology.clone());
        }
        c.host = host_of[i].clone();
        let internet = a.node.get("internet").and_then(Node::bool) == Some(true);
        if !(kind == Kind::Client && internet) {
            c.zone =
                zone_of[i].and_then(|(b, _)| boundary_zone.get(boundaries[b].2.as_str()).cloned());
        }
        let devops = a.node.get("usage").and_then(Node::str) == Some("devops");
        if devops {
            if kind == Kind::Client {
                c.entrypoint = Some(false);
            } else if kind != Kind::Monitoring {
                c.critical = Some(false);
            }
        }
        if let Some(r) = a.node.get("redundant")
            && r.bool() == Some(true)
            && kind != Kind::Client
        {
            c.instances = Some(At::new(2, r.span));
            findings.push(imp(
                &IMP004,
                r.span,
                &a.id,
                format!("`redundant: true` of `{}` is taken as two instances: the model does not say how many", a.raw_id),
            ));
        }
        // `redundant: true` is how the model says a second instance.
        if kind != Kind::Client && c.instances.is_none() {
            replicas.insert(
                a.id.clone(),
                super::ReplicaFix {
                    description: format!("mark `{}` redundant (`redundant: true`)", a.key.value),
                    yaml: format!(
                        "technical_assets:\n  {}:\n    redundant: true\n",
                        crate::fix::scalar(&a.key.value)
                    ),
                    scope: crate::source::Span::new(0, source.text.len()),
                },
            );
        }
        if kind.is_data_store() && !called.contains_key(a.id.as_str()) {
            findings.push(imp(
                &IMP003,
                a.key.span,
                &a.id,
                format!(
                    "no asset links to the {} `{}`: add the communication links of its clients",
                    kind.as_str(),
                    a.raw_id
                ),
            ));
        }
        if let Some(d) = a.node.get("description").and_then(Node::text) {
            c.description = Some(d);
        }
        components.push(c);
    }

    // Cloud security groups: managed firewalls admitting the modelled inbound sources.
    for (key, b, raw) in &boundaries {
        if b.get("type").and_then(Node::str) != Some("network-cloud-security-group") {
            continue;
        }
        let Some(zone) = boundary_zone.get(raw.as_str()) else {
            continue;
        };
        let inside: std::collections::HashSet<&str> = components
            .iter()
            .filter(|c| c.zone.as_deref() == Some(zone.as_str()))
            .map(|c| c.id.as_str())
            .collect();
        let mut allow = Vec::new();
        for l in &links.links {
            let from_zone = index_of
                .get(l.from.as_str())
                .and_then(|&f| components.get(f))
                .and_then(|c| c.zone.as_deref());
            if inside.contains(&l.to.as_str()) && from_zone != Some(zone.as_str()) {
                allow.push(Allow {
                    port: "any".into(),
                    from: l.from.clone(),
                    origin: l.origin,
                });
            }
        }
        let id = ids.claim_as(raw, "sg");
        let mut fw = Component::new(
            id,
            Kind::Firewall,
            key.span,
            format!("security group of trust boundary {}", key.value),
        );
        fw.managed = Some(true);
        fw.protects = vec![zone.clone()];
        fw.firewall = Some(Firewall {
            allow,
            origin: key.span,
        });
        components.push(fw);
    }
    topology.components = components;
    topology.links = links.links;
    Ok(Imported {
        kind: SourceKind::Threagile,
        topology,
        findings,
        replicas,
    })
}
