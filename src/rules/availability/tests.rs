//! The availability rules on small designs.

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
    let replicated = "  db: { kind: database, role: primary, failover: automatic, instances: 2 }\n";
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
