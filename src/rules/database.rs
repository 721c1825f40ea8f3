//! Primary/replica routing: writes to replicas, broken replication, unused replicas,
//! stale reads and replicas that share their primary's fate.

use crate::analysis::Context;
use crate::finding::Finding;
use crate::model::document::ReplicationMode;
use crate::model::{Access, ComponentId, Kind, LinkOrigin, Role};

declare_rule!(DB001, "write-to-replica", Database, Error, write_to_replica);
declare_rule!(
    DB002,
    "invalid-replication-source",
    Database,
    Error,
    invalid_replication_source
);
declare_rule!(
    DB003,
    "replication-cycle",
    Database,
    Error,
    replication_cycle
);
declare_rule!(DB004, "unused-replica", Database, Info, unused_replica);
declare_rule!(DB005, "stale-read-risk", Database, Info, stale_read_risk);
declare_rule!(
    DB006,
    "replica-shares-host",
    Database,
    Warning,
    replica_shares_host
);

fn role(cx: &Context, c: ComponentId) -> Option<Role> {
    cx.model.component(c).data_store.as_ref().map(|d| d.role)
}

/// The primary a replica (or a chain of replicas) copies, if the chain ends at one.
fn primary_of(cx: &Context, c: ComponentId) -> Option<ComponentId> {
    let model = cx.model;
    let mut at = c;
    for _ in 0..model.components.len() {
        let store = model.component(at).data_store.as_ref()?;
        match (store.role, store.replicates_from) {
            (Role::Replica, Some((source, _))) => at = source,
            (Role::Replica, None) => return None,
            _ => return Some(at),
        }
    }
    None // a cycle: DB003
}

fn write_to_replica(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for link in &model.links {
        if !link.access.writes() || role(cx, link.to) != Some(Role::Replica) {
            continue;
        }
        let from = &model.component(link.from).id.value;
        if let LinkOrigin::Target { .. } = link.origin {
            // A pool's links carry `balancing.backend.access`: read_write unless said.
            let replica = &model.component(link.to).id.value;
            out.push(
                Finding::new(
                    &DB001,
                    link.span,
                    format!(
                        "load balancer `{from}` sends writes to `{replica}`, a read-only replica: its pool's backend access is {}",
                        link.access.as_str()
                    ),
                )
                .label("a replica in a pool that takes writes")
                .help("make the pool read-only with `backend: { access: read }`, and send writes to the primary")
                .subject(link.name(model))
                .subject(replica.clone())
                .safe_fix(
                    format!("make `{from}`'s pool read-only"),
                    format!(
                        "components:\n  {from}:\n    balancing:\n      backend:\n        access: read\n"
                    ),
                ),
            );
            continue;
        }
        let replica = &model.component(link.to).id.value;
        let access = if link.access == Access::Write {
            "writes"
        } else {
            "reads and writes"
        };
        let mut f = Finding::new(
            &DB001,
            link.span,
            format!(
                "`{from}` {access} to `{replica}`, a read-only replica: its writes fail or are lost"
            ),
        )
        .label("writes to a replica")
        .help("send writes to the primary; keep only reads on the replica")
        .subject(link.name(model))
        .subject(replica.clone());
        if let Some(primary) = primary_of(cx, link.to) {
            let primary_id = &model.component(primary).id.value;
            f = f.related(
                model.component(link.to).id.span,
                format!("a replica of `{primary_id}`"),
            );
            let already = cx
                .graph
                .outgoing(link.from)
                .iter()
                .any(|l| model.link(*l).to == primary);
            let protocol = link.protocol.as_str();
            let yaml = if already {
                format!(
                    "links:\n  - {{ from: {from}, to: {replica}, protocol: {protocol}, access: read }}\n"
                )
            } else {
                format!(
                    "links:\n  - {{ from: {from}, to: {replica}, protocol: {protocol}, access: read }}\n  - {{ from: {from}, to: {primary_id}, protocol: {protocol}, access: write }}\n"
                )
            };
            f = f.fix(
                format!("read from `{replica}`, write to the primary `{primary_id}`"),
                yaml,
            );
        }
        out.push(f);
    }
}

fn invalid_replication_source(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for c in &model.components {
        let Some(store) = &c.data_store else { continue };
        match store.replicates_from {
            None if store.role == Role::Replica => {
                out.push(
                    Finding::new(
                        &DB002,
                        c.id.span,
                        format!(
                            "replica `{}` does not say what it replicates from",
                            c.id.value
                        ),
                    )
                    .label("`role: replica` without `replicates_from`")
                    .help("name its primary with `replicates_from`")
                    .subject(c.id.value.clone()),
                );
            }
            Some((source, span)) => {
                let src = model.component(source);
                if !matches!(src.kind.value, Kind::Database | Kind::Cache) {
                    out.push(
                        Finding::new(
                            &DB002,
                            span,
                            format!(
                                "`{}` replicates from `{}`, a {}, not a database or cache",
                                c.id.value,
                                src.id.value,
                                src.kind.value.as_str()
                            ),
                        )
                        .label("not a data store")
                        .help("replicate from the primary database")
                        .subject(c.id.value.clone()),
                    );
                    continue;
                }
                let engines = (
                    store.engine.as_deref(),
                    src.data_store.as_ref().and_then(|d| d.engine.as_deref()),
                );
                if let (Some(a), Some(b)) = engines
                    && !a.eq_ignore_ascii_case(b)
                {
                    out.push(
                        Finding::new(
                            &DB002,
                            span,
                            format!(
                                "`{}` ({a}) replicates from `{}` ({b}): engines differ",
                                c.id.value, src.id.value
                            ),
                        )
                        .label("a different engine")
                        .help("a replica runs the same engine as its source")
                        .subject(c.id.value.clone()),
                    );
                }
            }
            None => {}
        }
    }
}

fn replication_cycle(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    let n = model.components.len();
    // Each data store has at most one source: a functional graph, whose cycles a
    // coloured walk finds in linear time.
    let next = |c: usize| {
        model.components[c]
            .data_store
            .as_ref()
            .and_then(|d| d.replicates_from)
            .map(|(s, _)| s.index())
    };
    let mut state = vec![0u8; n]; // 0 unseen, 1 on the current walk, 2 done
    for start in 0..n {
        let mut walk = Vec::new();
        let mut at = Some(start);
        while let Some(c) = at {
            if state[c] != 0 {
                if state[c] == 1 {
                    let from = walk.iter().position(|x| *x == c).expect("on the walk");
                    let cycle = &walk[from..];
                    let first = *cycle.iter().min().expect("non-empty");
                    let names: Vec<&str> = cycle
                        .iter()
                        .chain(std::iter::once(&cycle[0]))
                        .map(|x: &usize| model.components[*x].id.value.as_str())
                        .collect();
                    let def = &model.components[first];
                    let span = def
                        .data_store
                        .as_ref()
                        .and_then(|d| d.replicates_from)
                        .map_or(def.id.span, |(_, s)| s);
                    out.push(
                        Finding::new(&DB003, span, format!("replication forms a cycle: {}", names.join(" -> ")))
                            .label("replicates from a node that replicates from it")
                            .help("one node is the primary: remove its `replicates_from` and give it `role: primary`")
                            .subject(def.id.value.clone()),
                    );
                }
                break;
            }
            state[c] = 1;
            walk.push(c);
            at = next(c);
        }
        for c in walk {
            state[c] = 2;
        }
    }
}

fn unused_replica(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for (i, c) in model.components.iter().enumerate() {
        let id = ComponentId(i as u32);
        if role(cx, id) != Some(Role::Primary) {
            continue;
        }
        // Every replica of the cluster, chains included.
        let mut replicas: Vec<ComponentId> = cx.replicas_of(id).to_vec();
        let mut i = 0;
        while i < replicas.len() {
            for r in cx.replicas_of(replicas[i]) {
                if !replicas.contains(r) && *r != id {
                    replicas.push(*r);
                }
            }
            i += 1;
        }
        if replicas.is_empty() {
            continue;
        }
        let read = replicas.iter().any(|r| {
            cx.graph
                .graph
                .edges_directed(crate::graph::node(*r), petgraph::Direction::Incoming)
                .any(|e| model.link(*e.weight()).access.reads())
        });
        if read {
            continue;
        }
        let replica = &model.component(replicas[0]).id.value;
        let reader = cx
            .graph
            .graph
            .edges_directed(crate::graph::node(id), petgraph::Direction::Incoming)
            .map(|e| model.link(*e.weight()))
            .find(|l| l.access.reads());
        let mut f = Finding::new(
            &DB004,
            c.id.span,
            format!("nothing reads from the replicas of `{}` ({}): every read loads the primary", c.id.value, crate::finding::listed_of(replicas.iter().map(|r| format!("`{}`", model.component(*r).id.value)), replicas.len())),
        )
        .label("all reads come here")
        .help("send read-only queries to a replica, or keep it as a declared standby and suppress this with a reason")
        .subject(c.id.value.clone());
        // Every replica is unused (none is read), in the order the message names them.
        for r in &replicas {
            f = f.subject(model.component(*r).id.value.clone());
        }
        if let Some(l) = reader {
            let from = &model.component(l.from).id.value;
            // A link that is there already keeps its protocol: only its access changes.
            let linked = cx
                .graph
                .outgoing(l.from)
                .iter()
                .any(|x| model.link(*x).to == replicas[0]);
            let protocol = if linked {
                String::new()
            } else {
                format!(", protocol: {}", l.protocol.as_str())
            };
            f = f.fix(
                format!("let `{from}` read from `{replica}`"),
                format!("links:\n  - {{ from: {from}, to: {replica}{protocol}, access: read }}\n"),
            );
        }
        out.push(f);
    }
}

fn stale_read_risk(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for (i, c) in model.components.iter().enumerate() {
        let id = ComponentId(i as u32);
        let links: Vec<_> = cx
            .graph
            .outgoing(id)
            .into_iter()
            .map(|l| model.link(l))
            .collect();
        for write in links
            .iter()
            .filter(|l| l.access.writes() && role(cx, l.to) == Some(Role::Primary))
        {
            for read in links
                .iter()
                .filter(|l| l.access.reads() && role(cx, l.to) == Some(Role::Replica))
            {
                let replica = model.component(read.to);
                let store = replica.data_store.as_ref().expect("a replica");
                if store.replication_mode != ReplicationMode::Async
                    || primary_of(cx, read.to) != Some(write.to)
                {
                    continue;
                }
                out.push(
                    Finding::new(
                        &DB005,
                        read.span,
                        format!(
                            "`{}` writes to `{}` and reads `{}`, an async replica: it may not see its own writes",
                            c.id.value,
                            model.component(write.to).id.value,
                            replica.id.value
                        ),
                    )
                    .label("reads may lag the writes")
                    .related(write.span, "the writes")
                    .help("read your own writes from the primary, or make replication semi_sync/sync")
                    .subject(c.id.value.clone())
                    .subject(replica.id.value.clone())
                    .fix(
                        "make the replica acknowledge writes before the primary commits",
                        format!("components:\n  {}:\n    replication: {{ mode: semi_sync, tls: {} }}\n", replica.id.value, store.replication_tls),
                    ),
                );
            }
        }
    }
}

fn replica_shares_host(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for c in &model.components {
        let Some(store) = &c.data_store else { continue };
        let Some((source, span)) = store.replicates_from else {
            continue;
        };
        let (Some(h), Some(hs)) = (c.host, model.component(source).host) else {
            continue;
        };
        if h != hs {
            continue;
        }
        let host = &model.host(h).id.value;
        out.push(
            Finding::new(
                &DB006,
                c.id.span,
                format!("replica `{}` runs on `{host}` with its source `{}`: one failure loses both copies", c.id.value, model.component(source).id.value),
            )
            .label("same host as its source")
            .related(span, "replicates from here")
            .help("place the replica on another host (and rack)")
            .subject(c.id.value.clone())
            .subject(host.clone())
            .fix(
                "move the replica to its own host",
                format!("hosts:\n  {host}-replica: {{}}\ncomponents:\n  {}:\n    host: {host}-replica\n", c.id.value),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::fixture::check_rule;

    fn topo(dbs: &str, links: &str) -> String {
        format!(
            "version: 1\nname: t\nhosts:\n  h1: {{}}\n  h2: {{}}\ncomponents:\n  users: {{ kind: client }}\n  app: {{ kind: app_server }}\n{dbs}links:\n  - {{ from: users, to: app, protocol: https }}\n{links}"
        )
    }

    const PAIR: &str = "  db-primary: { kind: database, host: h1, engine: mysql, role: primary }\n  db-replica: { kind: database, host: h2, engine: mysql, role: replica, replicates_from: db-primary, replication: { mode: semi_sync, tls: true } }\n";

    #[test]
    fn db001_write_to_replica() {
        check_rule(
            "DB001",
            &[
                &topo(PAIR, "  - { from: app, to: db-replica, protocol: mysql }\n"),
                &topo(
                    PAIR,
                    "  - { from: app, to: db-primary, protocol: mysql, access: write }\n  - { from: app, to: db-replica, protocol: mysql, access: write }\n",
                ),
            ],
            &[&topo(
                PAIR,
                "  - { from: app, to: db-primary, protocol: mysql, access: write }\n  - { from: app, to: db-replica, protocol: mysql, access: read }\n",
            )],
        );
    }

    #[test]
    fn db002_invalid_replication_source() {
        let link = "  - { from: app, to: db-primary, protocol: mysql }\n";
        check_rule(
            "DB002",
            &[
                &topo(&PAIR.replace(", replicates_from: db-primary", ""), link),
                &topo(
                    &PAIR.replace(
                        "engine: mysql, role: replica",
                        "engine: postgres, role: replica",
                    ),
                    link,
                ),
                &topo(
                    &PAIR
                        .replace("replicates_from: db-primary", "replicates_from: cache-1")
                        .replace(
                            "  db-primary:",
                            "  cache-1: { kind: storage }\n  db-primary:",
                        ),
                    link,
                ),
            ],
            &[&topo(PAIR, link)],
        );
    }

    #[test]
    fn db003_replication_cycle() {
        let cycle = "  db-a: { kind: database, host: h1, role: replica, replicates_from: db-b }\n  db-b: { kind: database, host: h2, role: replica, replicates_from: db-a }\n";
        check_rule(
            "DB003",
            &[&topo(
                cycle,
                "  - { from: app, to: db-a, protocol: mysql, access: read }\n",
            )],
            &[&topo(
                PAIR,
                "  - { from: app, to: db-primary, protocol: mysql }\n",
            )],
        );
    }

    #[test]
    fn db004_unused_replica() {
        check_rule(
            "DB004",
            &[&topo(
                PAIR,
                "  - { from: app, to: db-primary, protocol: mysql }\n",
            )],
            &[&topo(
                PAIR,
                "  - { from: app, to: db-primary, protocol: mysql }\n  - { from: app, to: db-replica, protocol: mysql, access: read }\n",
            )],
        );
    }

    #[test]
    fn db004_subjects_are_the_primary_then_the_unused_replicas() {
        // A chain: db-replica-2 copies db-replica, which copies db-primary.
        let chain = format!(
            "{PAIR}  db-replica-2: {{ kind: database, host: h2, engine: mysql, role: replica, replicates_from: db-replica }}\n"
        );
        let report = crate::rules::fixture::lint(&topo(
            &chain,
            "  - { from: app, to: db-primary, protocol: mysql }\n",
        ));
        let db004: Vec<&Vec<crate::yaml::Text>> = report
            .findings
            .iter()
            .filter(|f| f.rule.code == "DB004")
            .map(|f| &f.subjects)
            .collect();
        assert_eq!(db004, [&vec!["db-primary", "db-replica", "db-replica-2"]]);
    }

    #[test]
    fn db005_stale_read_risk() {
        let links = "  - { from: app, to: db-primary, protocol: mysql, access: write }\n  - { from: app, to: db-replica, protocol: mysql, access: read }\n";
        check_rule(
            "DB005",
            &[&topo(&PAIR.replace("mode: semi_sync, ", ""), links)],
            &[&topo(PAIR, links)],
        );
    }

    #[test]
    fn db006_replica_shares_host() {
        let link = "  - { from: app, to: db-primary, protocol: mysql }\n  - { from: app, to: db-replica, protocol: mysql, access: read }\n";
        check_rule(
            "DB006",
            &[&topo(&PAIR.replace("host: h2", "host: h1"), link)],
            &[&topo(PAIR, link)],
        );
    }

    #[test]
    fn writes_to_a_replica_and_reads_routed_right() {
        // The two cases: writes to the read-only replica get DB001 on that link;
        // writes to the primary and reads from the replica get no DB error.
        let wrong = crate::rules::fixture::lint(&topo(
            PAIR,
            "  - { from: app, to: db-replica, protocol: mysql, access: read_write }\n",
        ));
        let db001: Vec<_> = wrong
            .findings
            .iter()
            .filter(|f| f.rule.code == "DB001")
            .collect();
        assert_eq!(db001.len(), 1);
        assert_eq!(db001[0].subjects[0], "app->db-replica");
        let right = crate::rules::fixture::lint(&topo(
            PAIR,
            "  - { from: app, to: db-primary, protocol: mysql, access: write }\n  - { from: app, to: db-replica, protocol: mysql, access: read }\n",
        ));
        assert!(!right.findings.iter().any(
            |f| f.rule.code.starts_with("DB") && f.severity == crate::finding::Severity::Error
        ));
    }
}
