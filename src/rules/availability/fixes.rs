//! Fixes that add redundancy: a peer, a second instance, a replica, failover.

use super::*;
use crate::analysis::Context;
use crate::model::{ComponentDef, ComponentId, LinkOrigin, Model};

/// Longest id the format allows.
const MAX_ID: usize = 63;

/// `base-n`, with `base` cut so that the id fits the format's 63 characters (ids are
/// ASCII, so bytes are characters).
fn numbered(base: &str, n: usize) -> String {
    let suffix = format!("-{n}");
    let keep = base.len().min(MAX_ID - suffix.len());
    format!("{}{suffix}", &base[..keep])
}

/// An id not yet used, for fixes that add something: `base-2`, `base-3`...
pub(super) fn fresh_id(model: &Model, base: &str) -> String {
    // The smallest free number, when cutting the base to fit did not make it another's.
    let first = numbered(base, model.free_suffix(base));
    if model.lookup(&first).is_none() {
        return first;
    }
    (2..)
        .map(|n| numbered(base, n))
        .find(|c| model.lookup(c).is_none())
        .expect("some suffix is free")
}

/// `count` distinct ids not yet used: `base-2`, `base-3`...
pub(super) fn fresh_ids(model: &Model, base: &str, count: usize) -> Vec<String> {
    // Every number below the smallest free one is taken.
    (model.free_suffix(base)..)
        .map(|n| numbered(base, n))
        .filter(|c| model.lookup(c).is_none())
        .take(count)
        .collect()
}

/// More voters for `c`'s quorum, each on a machine of its own, so that the `taken`
/// voters one failure stops are fewer than the quorum tolerates; `needs` becomes a
/// majority of the new count.
pub(super) fn voters_fix(model: &Model, c: ComponentId, taken: usize) -> (String, String) {
    let def = model.component(c);
    let q = def.quorum.as_ref().expect("a quorum");
    let n = q.voters.len();
    let add = (2 * taken + 1).saturating_sub(n).max(1);
    let last = model.component(*q.voters.last().expect("voters"));
    let new_voters = fresh_ids(model, stem(&last.id.value), add);
    // Voters that are data stores voting on their own cluster (a replica set): the new
    // ones join it as replicas.
    let member = match (&last.data_store, &def.data_store) {
        (Some(d), Some(_)) => format!(
            "{}    role: replica\n    replicates_from: {}\n",
            d.engine
                .as_deref()
                .map(|e| format!("    engine: {}\n", crate::fix::scalar(e)))
                .unwrap_or_default(),
            def.id.value
        ),
        _ => String::new(),
    };
    let hosts = fresh_ids(model, &format!("{}-host", stem(&last.id.value)), add);
    let mut voters: Vec<&str> = q
        .voters
        .iter()
        .map(|v| model.component(*v).id.value.as_str())
        .collect();
    voters.extend(new_voters.iter().map(String::as_str));
    let total = voters.len();
    let mut yaml = String::from("hosts:\n");
    for h in &hosts {
        yaml.push_str(&format!("  {h}: {{}}\n"));
    }
    let gates = if q.gates_writes { ", for: writes" } else { "" };
    yaml.push_str(&format!(
        "components:\n  {}:\n    quorum: {{ voters: [{}], needs: {}{gates} }}\n",
        def.id.value,
        voters.join(", "),
        total / 2 + 1
    ));
    for (v, h) in new_voters.iter().zip(&hosts) {
        yaml.push_str(&format!(
            "  {v}:\n    kind: {}\n    host: {h}\n{member}",
            last.kind.value.as_str()
        ));
    }
    (
        format!(
            "add {} on separate machines to the quorum of `{}`",
            names(&new_voters),
            def.id.value
        ),
        yaml,
    )
}

/// The `engine:` line of a new copy of `c` (nothing when `c` states none).
fn engine_line(c: &ComponentDef) -> String {
    c.data_store
        .as_ref()
        .and_then(|d| d.engine.as_deref())
        .map(|e| format!("    engine: {}\n", crate::fix::scalar(e)))
        .unwrap_or_default()
}

/// A new replica of `head` named after `base`, like `like` (kind, engine), in `mode`,
/// on a host of its own that the fix adds: (its id, its host, the YAML).
fn added_replica(
    model: &Model,
    head: &ComponentDef,
    like: &ComponentDef,
    base: &str,
    mode: crate::model::ReplicationMode,
) -> (String, String, String) {
    let replica = fresh_id(model, base);
    let host = free_id(model, &format!("{replica}-host"));
    let mode = match mode {
        crate::model::ReplicationMode::Async => String::new(),
        m => format!("    replication: {{ mode: {} }}\n", m.as_str()),
    };
    let yaml = format!(
        "hosts:\n  {host}: {{}}\ncomponents:\n  {replica}:\n    kind: {kind}\n    host: {host}\n{engine}    role: replica\n    replicates_from: {head}\n{mode}",
        kind = like.kind.value.as_str(),
        engine = engine_line(like),
        head = head.id.value,
    );
    (replica, host, yaml)
}

/// Another replica of `head` beside the replica `r`, in the same replication mode, on a
/// machine of its own, and read by every component that reads `r` (a reader of two
/// members of a cluster reads whichever is up): what a replica that is a single point
/// of failure needs.
pub(super) fn second_replica_fix(
    cx: &Context,
    rc: ComponentId,
    head: ComponentId,
) -> (String, String) {
    let model = cx.model;
    let (r, head) = (model.component(rc), model.component(head));
    let mode = r
        .data_store
        .as_ref()
        .map_or(crate::model::ReplicationMode::Async, |d| d.replication_mode);
    let (replica, host, mut yaml) = added_replica(model, head, r, stem(&r.id.value), mode);
    let mut readers = std::collections::BTreeSet::new();
    let mut links = String::new();
    for edge in cx
        .graph
        .graph
        .edges_directed(crate::graph::node(rc), petgraph::Direction::Incoming)
    {
        let link = model.link(*petgraph::visit::EdgeRef::weight(&edge));
        if !link.access.reads() || link.origin != LinkOrigin::Declared || !readers.insert(link.from)
        {
            continue;
        }
        links.push_str(&format!(
            "  - {{ from: {}, to: {replica}, protocol: {}, access: read }}\n",
            model.component(link.from).id.value,
            link.protocol.as_str()
        ));
    }
    if !links.is_empty() {
        yaml.push_str("links:\n");
        yaml.push_str(&links);
    }
    (
        format!(
            "add `{replica}`, another replica of `{}`, on host `{host}`{}",
            head.id.value,
            if links.is_empty() {
                ""
            } else {
                ", read where the replica is read"
            }
        ),
        yaml,
    )
}

/// A second synchronous replica of `c`, on a machine of its own.
pub(super) fn sync_replica_fix(model: &Model, c: &ComponentDef) -> (String, String) {
    let base = format!("{}-sync", stem(&c.id.value));
    let (replica, host, yaml) =
        added_replica(model, c, c, &base, crate::model::ReplicationMode::Sync);
    (
        format!(
            "add `{replica}`, a second synchronous replica of `{}`, on host `{host}`",
            c.id.value
        ),
        yaml,
    )
}

/// `base` itself when it is free, else a fresh variant of it.
pub(crate) fn free_id(model: &Model, base: &str) -> String {
    if base.len() <= MAX_ID && model.lookup(base).is_none() {
        base.to_string()
    } else {
        fresh_id(model, base)
    }
}

/// An id without its instance number: `web-1` -> `web`.
pub(super) fn stem(id: &str) -> &str {
    match id.rsplit_once('-') {
        Some((stem, n)) if !stem.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => stem,
        _ => id,
    }
}

/// The id of a second copy of `id`: `lb-1` -> `lb-2`, `web` -> `web-2`.
pub(super) fn sibling_id(model: &Model, id: &str) -> String {
    fresh_id(model, stem(id))
}

/// Where a fix's new copy of `c` runs: a new host beside `c`'s (in its zone), so the
/// copy does not share its machine. Returns the copy's `host:` line and the `hosts:`
/// section that adds the host (both empty for a host-less component).
pub(super) fn new_host(model: &Model, c: &ComponentDef) -> (String, String) {
    match c.host {
        Some(h) => {
            let old = model.host(h);
            let host = fresh_id(model, &old.id.value);
            let zone = if old.zone_stated {
                format!("{{ zone: {} }}", model.zones[old.zone.index()].id.value)
            } else {
                "{}".to_string()
            };
            (
                format!("    host: {host}\n"),
                format!("hosts:\n  {host}: {zone}\n"),
            )
        }
        None => (String::new(), String::new()),
    }
}

pub(super) fn load_balancer_fix(model: &Model, c: &ComponentDef) -> (String, String) {
    let peer = sibling_id(model, &c.id.value);
    let (host_line, hosts) = new_host(model, c);
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
        .map(|s| format!("    software: {}\n", crate::fix::scalar(s)))
        .unwrap_or_default();
    let yaml = format!(
        "{hosts}components:\n  {id}:\n    peers: [{peer}]\n    failover: vrrp\n  {peer}:\n    kind: load_balancer\n{host_line}{software}    balancing: {{ targets: [{targets}] }}\n    peers: [{id}]\n    failover: vrrp\n",
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

pub(super) fn second_instance_fix(cx: &Context, c: &ComponentDef) -> (String, String) {
    let model = cx.model;
    let twin = sibling_id(model, &c.id.value);
    // A new label: one no component carries (joining another group would change the
    // design), and, though labels are not ids, not an id either (it reads better).
    let free =
        |label: &str| model.lookup(label).is_none() && !cx.label_used(label) && label != twin;
    let service = c.service.as_ref().map_or_else(
        || {
            let stem = stem(&c.id.value);
            let group = format!("{stem}-group");
            [stem.to_string(), group.clone()]
                .into_iter()
                .find(|l| free(l))
                .unwrap_or_else(|| {
                    (2..)
                        .map(|n| numbered(&group, n))
                        .find(|l| free(l))
                        .expect("some label is free")
                })
        },
        |s| s.value.clone(),
    );
    let service = crate::fix::scalar(&service).into_owned();
    let (host_line, hosts) = new_host(model, c);
    // Network firewalls stand in for each other only when they protect the same things
    // (and the twin must admit what this one admits).
    let network = c
        .network_firewall
        .as_deref()
        .map(|fw| network_firewall_lines(model, fw))
        .unwrap_or_default();
    let yaml = format!(
        "{hosts}components:\n  {id}:\n    service: {service}\n  {twin}:\n    kind: {kind}\n{host_line}    service: {service}\n{network}",
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

/// A network firewall's `protects`, `default_inbound` and `allow`, as component keys.
fn network_firewall_lines(model: &Model, fw: &crate::model::NetworkFirewallDef) -> String {
    let name = |r: crate::model::Ref| -> String {
        match r {
            crate::model::Ref::Zone(z) => model.zone(z).id.value.clone(),
            crate::model::Ref::Host(h) => model.host(h).id.value.clone(),
            crate::model::Ref::Component(c) => model.component(c).id.value.clone(),
            crate::model::Ref::Certificate(_) => String::new(),
        }
    };
    let protects: Vec<String> = fw
        .protects
        .iter()
        .map(|(r, _)| crate::fix::scalar(&name(*r)).into_owned())
        .collect();
    let mut out = format!("    protects: [{}]\n", protects.join(", "));
    if fw.rules.default_allow {
        out.push_str("    default_inbound: allow\n");
    }
    if !fw.rules.allow.is_empty() {
        let rules: Vec<String> = fw
            .rules
            .allow
            .iter()
            .map(|a| {
                // A range (`8000-8100`) is written as a string; `any` and a port plain.
                let port = match a.port {
                    crate::model::PortSpec::Range(lo, hi) if lo != hi => format!("\"{}\"", a.port),
                    _ => a.port.to_string(),
                };
                format!(
                    "{{ port: {port}, from: {} }}",
                    crate::fix::scalar(&model.source_name(&a.from))
                )
            })
            .collect();
        out.push_str(&format!("    allow: [{}]\n", rules.join(", ")));
    }
    out
}

pub(super) fn replica_fix(model: &Model, c: &ComponentDef) -> (String, String) {
    let replica = free_id(model, &format!("{}-replica", stem(&c.id.value)));
    let (host_line, hosts) = new_host(model, c);
    let engine = engine_line(c);
    let yaml = format!(
        "{hosts}components:\n  {id}:\n    role: primary\n    failover: automatic\n  {replica}:\n    kind: {kind}\n{host_line}{engine}    role: replica\n    replicates_from: {id}\n",
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
pub(super) fn failover_fix(cx: &Context, c: ComponentId) -> (String, String) {
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

/// A value of `level` not used yet: `r1` -> `r2`.
pub(super) fn fresh_value(model: &Model, level: &str, value: &str) -> String {
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
