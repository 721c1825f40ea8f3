//! The one-pass kill sets against a brute-force oracle: for every failure event of many
//! random small topologies, simulate the failure from scratch and compare which
//! components stop.

use proptest::prelude::*;

use super::simulate;
use crate::analysis::{Analysed, Context};
use crate::graph::Graph;
use crate::model::{Document, ModelLimits, validate};
use crate::source::SourceFile;
use crate::yaml::{Limits, from_source};

/// A random topology's choices, turned into YAML by [`Plan::yaml`].
#[derive(Debug, Clone)]
struct Plan {
    hosts: Vec<(Option<u8>, Option<u8>)>,
    components: Vec<Comp>,
    links: Vec<(usize, usize, u8, bool)>,
}

#[derive(Debug, Clone)]
struct Comp {
    kind: u8,
    host: Option<usize>,
    instances: u8,
    service: Option<u8>,
    critical: bool,
    targets: Vec<usize>,
    peer: Option<usize>,
    failover: u8,
    role: u8,
    source: Option<usize>,
    protects: Vec<usize>,
}

const KINDS: [&str; 8] = [
    "client",
    "load_balancer",
    "web_server",
    "app_server",
    "service",
    "database",
    "firewall",
    "monitoring",
];

fn comp() -> impl Strategy<Value = Comp> {
    (
        (
            0u8..8,
            proptest::option::of(0usize..5),
            prop_oneof![4 => Just(1u8), 1 => Just(2u8)],
        ),
        (
            proptest::option::of(0u8..2),
            prop_oneof![5 => Just(true), 1 => Just(false)],
        ),
        (
            proptest::collection::vec(0usize..16, 0..4),
            proptest::option::of(0usize..16),
            0u8..3,
        ),
        (
            0u8..3,
            proptest::option::of(0usize..16),
            proptest::collection::vec(0usize..16, 0..3),
        ),
    )
        .prop_map(
            |(
                (kind, host, instances),
                (service, critical),
                (targets, peer, failover),
                (role, source, protects),
            )| Comp {
                kind,
                host,
                instances,
                service,
                critical,
                targets,
                peer,
                failover,
                role,
                source,
                protects,
            },
        )
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        proptest::collection::vec(
            (proptest::option::of(0u8..3), proptest::option::of(0u8..2)),
            0..5,
        ),
        proptest::collection::vec(comp(), 2..15),
        proptest::collection::vec((0usize..16, 0usize..16, 0u8..3, any::<bool>()), 0..24),
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
        let mut y = String::from("version: 1\nname: random\nhosts:\n");
        if self.hosts.is_empty() {
            y = String::from("version: 1\nname: random\nhosts: {}\n");
        }
        for (i, (rack, dc)) in self.hosts.iter().enumerate() {
            let mut domains = Vec::new();
            if let Some(r) = rack {
                domains.push(format!("rack: r{r}"));
            }
            if let Some(d) = dc {
                domains.push(format!("datacenter: dc{d}"));
            }
            y.push_str(&format!(
                "  h{i}: {{ failure_domains: {{ {} }} }}\n",
                domains.join(", ")
            ));
        }
        y.push_str("components:\n");
        // Always at least one client.
        y.push_str("  entry: { kind: client }\n");
        let mut implied = std::collections::HashSet::new();
        for (i, c) in self.components.iter().enumerate() {
            let k = kind(i);
            let mut fields = vec![format!("kind: {k}")];
            if let Some(h) = c.host.filter(|h| *h < self.hosts.len()) {
                fields.push(format!("host: h{h}"));
            }
            if c.instances > 1 && k != "client" {
                fields.push(format!("instances: {}", c.instances));
            }
            if let Some(s) = c.service
                && k != "client"
            {
                fields.push(format!("service: {k}-{s}"));
            }
            if !c.critical {
                fields.push("critical: false".into());
            }
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
                        targets.push((i + 1) % n);
                        if matches!(kind(targets[0]), "client" | "firewall") || targets[0] == i {
                            // No usable target: make it point at a fresh web server below.
                            targets = vec![n];
                        }
                    }
                    for t in &targets {
                        implied.insert((i, *t));
                    }
                    let names: Vec<String> = targets.iter().map(|t| format!("c{t}")).collect();
                    fields.push(format!("balancing: {{ targets: [{}] }}", names.join(", ")));
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
                "database" => {
                    fields.push(format!(
                        "role: {}",
                        ["primary", "replica", "standalone"][c.role as usize]
                    ));
                    if let Some(s) = c
                        .source
                        .map(|s| s % n)
                        .filter(|s| *s != i && kind(*s) == "database")
                    {
                        fields.push(format!("replicates_from: c{s}"));
                    }
                    fields.push(format!(
                        "failover: {}",
                        ["automatic", "none", "manual"][c.failover as usize]
                    ));
                }
                "firewall" => {
                    let mut protects: Vec<String> = c
                        .protects
                        .iter()
                        .map(|p| p % (n + self.hosts.len()))
                        .map(|p| {
                            if p < n {
                                format!("c{p}")
                            } else {
                                format!("h{}", p - n)
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
            y.push_str(&format!("  c{i}: {{ {} }}\n", fields.join(", ")));
        }
        y.push_str(&format!("  c{n}: {{ kind: web_server }}\n"));
        y.push_str("links:\n  - { from: entry, to: c0 }\n");
        let mut seen = implied;
        seen.insert((usize::MAX, 0));
        for (from, to, access, _) in &self.links {
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

fn check_against_oracle(yaml: &str) -> Result<(), TestCaseError> {
    let source = SourceFile::new("random.yml", yaml.to_string());
    let (doc, errors) = from_source::<Document>(&source, Limits::default());
    prop_assert!(errors.is_empty(), "{errors:?}\n{yaml}");
    let model = match validate(doc.expect("a document"), ModelLimits::default()) {
        Ok(m) => m,
        Err(errors) => {
            return Err(TestCaseError::fail(format!(
                "{:?}\n{yaml}",
                errors.iter().map(|f| &f.message).collect::<Vec<_>>()
            )));
        }
    };
    let graph = Graph::build(&model);
    let cx = Context::new(&model, &graph, crate::model::Date::today());
    let cx = Analysed::new(&cx, usize::MAX).expect("no work limit");
    let av = &cx.availability;
    for e in 0..av.events.len() {
        let event = super::EventId(e as u32);
        let working = simulate(&av.own, &av.demands, &[event], &[]);
        for (c, works) in working.iter().enumerate() {
            let stopped = av.kill[c].binary_search(&event).is_ok();
            prop_assert_eq!(
                stopped,
                !works,
                "event {} and component {}:\n{}",
                av.events[e].name(&model),
                model.components[c].id.value,
                yaml
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn kill_sets_match_the_brute_force_oracle(plan in plan()) {
        check_against_oracle(&plan.yaml())?;
    }
}

#[test]
fn a_cycle_does_not_stop_itself() {
    // a and b call each other; only a's host stops a, and b with it.
    let yaml = "version: 1\nname: c\nhosts:\n  h: {}\ncomponents:\n  users: { kind: client }\n  a: { kind: service, host: h }\n  b: { kind: service }\nlinks:\n  - { from: users, to: a }\n  - { from: a, to: b }\n  - { from: b, to: a }\n";
    check_against_oracle(yaml).unwrap();
    let source = SourceFile::new("c.yml", yaml.to_string());
    let (doc, _) = from_source::<Document>(&source, Limits::default());
    let model = validate(doc.unwrap(), ModelLimits::default()).unwrap();
    let graph = Graph::build(&model);
    let cx = Context::new(&model, &graph, crate::model::Date::today());
    let cx = Analysed::new(&cx, usize::MAX).unwrap();
    let names = |c: usize| -> Vec<String> {
        cx.availability.kill[c]
            .iter()
            .map(|e| cx.availability.events[e.0 as usize].name(&model))
            .collect()
    };
    assert_eq!(names(1), ["a", "b", "h"]);
    assert_eq!(names(2), ["a", "b", "h"]);
}
