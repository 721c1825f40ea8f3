//! The one-pass kill sets against the brute-force oracle of rules.md ([`super::oracle`],
//! written from the model, not from the clauses): for every failure event of many
//! random small topologies that use every field the model reads, fail it from scratch
//! and compare which components stop.

use proptest::prelude::*;

use super::oracle::{self, Failed};
use super::{Event, simulate};
use crate::analysis::{Analysed, Context};
use crate::graph::Graph;
use crate::model::{Document, Model, ModelLimits, validate};
use crate::source::SourceFile;
use crate::yaml::{Limits, from_source};

/// A random topology's choices, turned into YAML by [`Plan::yaml`].
#[derive(Debug, Clone)]
struct Plan {
    hosts: Vec<(Option<u8>, Option<u8>, Option<u8>)>,
    components: Vec<Comp>,
    links: Vec<(usize, usize, u8)>,
}

#[derive(Debug, Clone)]
struct Comp {
    kind: u8,
    host: Option<usize>,
    instances: u8,
    service: Option<u8>,
    critical: bool,
    managed: bool,
    targets: Vec<usize>,
    access: u8,
    peer: Option<usize>,
    failover: u8,
    role: u8,
    source: Option<usize>,
    sync: bool,
    protects: Vec<usize>,
    quorum: Option<(Vec<usize>, u8, bool)>,
    backup: Option<usize>,
}

const KINDS: [&str; 10] = [
    "client",
    "load_balancer",
    "web_server",
    "app_server",
    "service",
    "database",
    "cache",
    "firewall",
    "monitoring",
    "storage",
];

fn comp() -> impl Strategy<Value = Comp> {
    (
        (
            0u8..10,
            proptest::option::of(0usize..5),
            prop_oneof![4 => Just(1u8), 1 => Just(2u8)],
            proptest::option::of(0u8..2),
            prop_oneof![5 => Just(true), 1 => Just(false)],
            prop_oneof![5 => Just(false), 1 => Just(true)],
        ),
        (
            proptest::collection::vec(0usize..16, 0..4),
            0u8..4,
            proptest::option::of(0usize..16),
            0u8..3,
        ),
        (
            0u8..3,
            proptest::option::of(0usize..16),
            any::<bool>(),
            proptest::collection::vec(0usize..24, 0..3),
        ),
        proptest::option::weighted(
            0.25,
            (
                proptest::collection::vec(0usize..16, 1..5),
                0u8..4,
                any::<bool>(),
            ),
        ),
        proptest::option::weighted(0.4, 0usize..16),
    )
        .prop_map(
            |(
                (kind, host, instances, service, critical, managed),
                (targets, access, peer, failover),
                (role, source, sync, protects),
                quorum,
                backup,
            )| Comp {
                kind,
                host,
                instances,
                service,
                critical,
                managed,
                targets,
                access,
                peer,
                failover,
                role,
                source,
                sync,
                protects,
                quorum,
                backup,
            },
        )
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        proptest::collection::vec(
            (
                proptest::option::of(0u8..3),
                proptest::option::of(0u8..2),
                proptest::option::of(0u8..2),
            ),
            0..5,
        ),
        proptest::collection::vec(comp(), 2..15),
        proptest::collection::vec((0usize..16, 0usize..16, 0u8..3), 0..24),
    )
        .prop_map(|(hosts, components, links)| Plan {
            hosts,
            components,
            links,
        })
}

impl Plan {
    /// Valid YAML for the plan: choices that would be input errors are dropped.
    fn yaml(&self) -> String {
        let n = self.components.len();
        let kind = |i: usize| KINDS[self.components[i].kind as usize % KINDS.len()];
        let store = |i: usize| matches!(kind(i), "database" | "cache");
        let mut y = String::from(
            "version: 1\nname: random\nzones:\n  z0: { trust: dmz }\n  z1: { trust: private }\nhosts:\n",
        );
        if self.hosts.is_empty() {
            y = y.replace("hosts:\n", "hosts: {}\n");
        }
        for (i, (rack, dc, zone)) in self.hosts.iter().enumerate() {
            let mut fields = Vec::new();
            let mut domains = Vec::new();
            if let Some(r) = rack {
                domains.push(format!("rack: r{r}"));
            }
            if let Some(d) = dc {
                domains.push(format!("datacenter: dc{d}"));
            }
            if !domains.is_empty() {
                fields.push(format!("failure_domains: {{ {} }}", domains.join(", ")));
            }
            if let Some(z) = zone {
                fields.push(format!("zone: z{z}"));
            }
            y.push_str(&format!("  h{i}: {{ {} }}\n", fields.join(", ")));
        }
        // Replication first: who replicates from whom decides who may take a label.
        let role =
            |i: usize| ["primary", "replica", "standalone"][self.components[i].role as usize];
        let source = |i: usize| {
            self.components[i]
                .source
                .map(|s| s % n)
                .filter(|s| *s != i && store(i) && store(*s) && role(i) == "replica")
        };
        let mut replicated = vec![false; n];
        for i in 0..n {
            if let Some(s) = source(i) {
                replicated[i] = true;
                replicated[s] = true;
            }
        }
        y.push_str("components:\n");
        // Always at least one client.
        y.push_str("  entry: { kind: client }\n");
        let mut implied = std::collections::HashSet::new();
        for (i, c) in self.components.iter().enumerate() {
            let k = kind(i);
            let mut fields = vec![format!("kind: {k}")];
            let host = c.host.filter(|h| *h < self.hosts.len());
            if let Some(h) = host {
                fields.push(format!("host: h{h}"));
            } else if c.managed {
                fields.push("managed: true".into());
            }
            if c.instances > 1 && k != "client" {
                fields.push(format!("instances: {}", c.instances));
            }
            if let Some(s) = c.service
                && k != "client"
                && !replicated[i]
            {
                let class = match k {
                    "web_server" | "app_server" | "service" => "svc",
                    other => other,
                };
                fields.push(format!("service: {class}-{s}"));
            }
            if !c.critical {
                fields.push("critical: false".into());
            }
            let mut primary_automatic = false;
            match k {
                "load_balancer" => {
                    let mut targets: Vec<usize> = c
                        .targets
                        .iter()
                        .map(|t| t % n)
                        .filter(|t| *t != i && !matches!(kind(*t), "client" | "firewall"))
                        .collect();
                    targets.sort_unstable();
                    targets.dedup();
                    if targets.is_empty() {
                        targets.push(n);
                    }
                    for t in &targets {
                        implied.insert((i, *t));
                    }
                    let names: Vec<String> = targets.iter().map(|t| format!("c{t}")).collect();
                    let backend = match c.access {
                        1 => ", backend: { access: read }",
                        2 => ", backend: { access: write }",
                        3 => ", backend: { access: read_write }",
                        _ => "",
                    };
                    fields.push(format!(
                        "balancing: {{ targets: [{}]{backend} }}",
                        names.join(", ")
                    ));
                    if let Some(p) = c
                        .peer
                        .map(|p| p % n)
                        .filter(|p| *p != i && kind(*p) == "load_balancer")
                    {
                        fields.push(format!("peers: [c{p}]"));
                        fields.push(format!(
                            "failover: {}",
                            ["vrrp", "none", "dns"][c.failover as usize]
                        ));
                    }
                }
                "database" | "cache" => {
                    fields.push(format!("role: {}", role(i)));
                    if let Some(s) = source(i) {
                        fields.push(format!("replicates_from: c{s}"));
                        if c.sync {
                            fields.push("replication: { mode: sync }".into());
                        }
                    }
                    let failover = ["automatic", "none", "manual"][c.failover as usize];
                    fields.push(format!("failover: {failover}"));
                    primary_automatic = role(i) == "primary" && failover == "automatic";
                }
                "firewall" => {
                    let places = n + self.hosts.len() + 2;
                    let mut protects: Vec<String> = c
                        .protects
                        .iter()
                        .map(|p| p % places)
                        .map(|p| {
                            if p < n {
                                format!("c{p}")
                            } else if p < n + self.hosts.len() {
                                format!("h{}", p - n)
                            } else {
                                format!("z{}", p - n - self.hosts.len())
                            }
                        })
                        .filter(|p| *p != format!("c{i}"))
                        .collect();
                    protects.sort();
                    protects.dedup();
                    fields.push(format!("protects: [{}]", protects.join(", ")));
                    fields.push("allow: [{ port: any, from: any }]".into());
                }
                _ => {}
            }
            if let Some(t) = c.backup.map(|t| t % n)
                && t != i
                && kind(t) == "storage"
                && matches!(k, "database" | "cache" | "storage")
            {
                fields.push(format!("backup: {{ to: c{t} }}"));
            }
            if let Some((voters, needs, writes)) = &c.quorum {
                let primary = store(i) && role(i) == "primary";
                if !primary || primary_automatic {
                    let mut voters: Vec<usize> = voters.iter().map(|v| v % (n + 1)).collect();
                    voters.sort_unstable();
                    voters.dedup();
                    let needs = (*needs as usize % voters.len()) + 1;
                    let names: Vec<String> = voters.iter().map(|v| format!("c{v}")).collect();
                    let gates = if primary && *writes {
                        ", for: writes"
                    } else {
                        ""
                    };
                    fields.push(format!(
                        "quorum: {{ voters: [{}], needs: {needs}{gates} }}",
                        names.join(", ")
                    ));
                }
            }
            y.push_str(&format!("  c{i}: {{ {} }}\n", fields.join(", ")));
        }
        y.push_str(&format!("  c{n}: {{ kind: web_server }}\n"));
        y.push_str("links:\n  - { from: entry, to: c0 }\n");
        let mut seen = implied;
        seen.insert((usize::MAX, 0));
        for (from, to, access) in &self.links {
            let (from, to) = (from % n, to % n);
            if from == to
                || seen.contains(&(from, to))
                || matches!(kind(from), "firewall")
                || matches!(kind(to), "firewall" | "client")
            {
                continue;
            }
            seen.insert((from, to));
            let access = ["read", "write", "read_write"][*access as usize];
            y.push_str(&format!(
                "  - {{ from: c{from}, to: c{to}, access: {access} }}\n"
            ));
        }
        if matches!(kind(0), "firewall" | "client") {
            y = y.replace(
                "  - { from: entry, to: c0 }\n",
                &format!("  - {{ from: entry, to: c{n} }}\n"),
            );
        }
        y
    }
}

/// The validated model of a YAML text, or the test's failure.
fn model_of(yaml: &str) -> Result<Model, TestCaseError> {
    let source = SourceFile::new("random.yml", yaml.to_string());
    let (doc, errors) = from_source::<Document>(&source, Limits::default());
    prop_assert!(errors.is_empty(), "{errors:?}\n{yaml}");
    validate(doc.expect("a document"), ModelLimits::default()).map_err(|errors| {
        TestCaseError::fail(format!(
            "{:?}\n{yaml}",
            errors.iter().map(|f| &f.message).collect::<Vec<_>>()
        ))
    })
}

const TODAY: &str = "2026-11-24";

fn check_against_oracle(yaml: &str) -> Result<(), TestCaseError> {
    let model = model_of(yaml)?;
    let graph = Graph::build(&model);
    let cx = Context::new(&model, &graph, crate::model::Date::parse(TODAY).unwrap());
    let analysed = Analysed::new(&cx, usize::MAX).expect("no work limit");
    let av = &analysed.availability;
    for e in 0..av.events.len() {
        let event = super::EventId(e as u32);
        let mut failed = Failed::default();
        match av.events[e] {
            Event::Component(c) => failed.components.push(c),
            Event::Host(h) => failed.hosts.push(h),
            Event::Domain(d) => failed.domains.push(d),
            Event::Group(g) => failed.components = av.groups[g as usize].members.clone(),
        }
        let expected = oracle::working(&cx, &failed);
        // `what-if` simulates the clauses: it must agree too.
        let simulated = simulate(&av.own, &av.demands, &[event], &[]);
        for (c, works) in expected.iter().enumerate() {
            let stopped = av.kill[c].binary_search(&event).is_ok();
            prop_assert_eq!(
                stopped,
                !works,
                "event {} and component {}:\n{}",
                av.events[e].name(&model),
                model.components[c].id.value,
                yaml
            );
            prop_assert_eq!(
                simulated[c],
                *works,
                "what-if on {}:\n{}",
                av.events[e].name(&model),
                yaml
            );
        }
    }
    Ok(())
}

/// DUR002 (read from the kill sets) names a data store exactly when some single
/// failure, given to `what-if`, takes the store and its backups together.
fn check_dur002_against_what_if(yaml: &str) -> Result<(), TestCaseError> {
    let model = model_of(yaml)?;
    let graph = Graph::build(&model);
    let cx = Context::new(&model, &graph, crate::model::Date::parse(TODAY).unwrap());
    let analysed = Analysed::new(&cx, usize::MAX).expect("no work limit");
    let av = &analysed.availability;
    let mut by_what_if: Vec<String> = Vec::new();
    for e in 0..av.events.len() {
        if !av.events[e].is_failure() {
            continue;
        }
        let answer =
            crate::whatif::what_if_events(&analysed, &[], &[super::EventId(e as u32)], &[]);
        by_what_if.extend(
            answer
                .backups_lost
                .into_iter()
                .filter(|b| b.with_the_store)
                .map(|b| b.of),
        );
    }
    by_what_if.sort();
    by_what_if.dedup();
    let report = crate::rules::fixture::lint(yaml);
    let mut by_rule: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule.code == "DUR002")
        .map(|f| f.subjects[0].to_string())
        .collect();
    by_rule.sort();
    prop_assert_eq!(
        by_rule,
        by_what_if,
        "DUR002 and what-if disagree on:\n{}",
        yaml
    );
    Ok(())
}

proptest! {
    // `PROPTEST_CASES=10000 cargo test --release kill_sets` for a long run.
    #![proptest_config(crate::rules::fixture::proptest_config(1500))]

    #[test]
    fn kill_sets_match_the_brute_force_oracle(plan in plan()) {
        let yaml = plan.yaml();
        check_against_oracle(&yaml)?;
        check_dur002_against_what_if(&yaml)?;
    }
}

/// Found by the property test: an LB whose pool holds a replica in a replication
/// cycle (no cluster) and another LB, reading only. The replica serves as a plain
/// target, as it does through any other link; the pool has no writes to lose.
#[test]
fn an_unclustered_replica_in_a_pool_is_a_plain_target() {
    let yaml = "version: 1
name: cycle
components:
  entry: { kind: client }
  c1: { kind: load_balancer, balancing: { targets: [c9] } }
  c3: { kind: database, role: replica, replicates_from: c8, failover: automatic }
  c7: { kind: load_balancer, balancing: { targets: [c1, c8], backend: { access: read } } }
  c8: { kind: database, role: replica, replicates_from: c3, failover: automatic }
  c9: { kind: web_server }
links:
  - { from: entry, to: c7 }
";
    check_against_oracle(yaml).unwrap();
    assert!(!kill_names(yaml, "c7").contains(&"c1".to_string()));
}

/// Each component's kill set, by event name.
fn kill_names(yaml: &str, id: &str) -> Vec<String> {
    let model = model_of(yaml).unwrap();
    let graph = Graph::build(&model);
    let cx = Context::new(&model, &graph, crate::model::Date::parse(TODAY).unwrap());
    let cx = Analysed::new(&cx, usize::MAX).unwrap();
    let Some(crate::model::Ref::Component(c)) = model.lookup(id) else {
        panic!("no component {id}")
    };
    cx.availability.kill[c.index()]
        .iter()
        .map(|e| cx.availability.events[e.0 as usize].name(&model))
        .filter(|n| n != "a redundancy group")
        .collect()
}

#[test]
fn a_cycle_does_not_stop_itself() {
    // a and b call each other; only a's host stops a, and b with it.
    let yaml = "version: 1\nname: c\nhosts:\n  h: {}\ncomponents:\n  users: { kind: client }\n  a: { kind: service, host: h }\n  b: { kind: service }\nlinks:\n  - { from: users, to: a }\n  - { from: a, to: b }\n  - { from: b, to: a }\n";
    check_against_oracle(yaml).unwrap();
    assert_eq!(kill_names(yaml, "a"), ["a", "b", "h"]);
    assert_eq!(kill_names(yaml, "b"), ["a", "b", "h"]);
}
