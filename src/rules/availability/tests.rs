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
        .map(|f| (f.rule.code.to_string(), f.subjects[0].to_string()))
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
        // One target, and none at all (`targets: []`: an empty pool is no silence).
        &[&lb_pool("web-1", ""), &lb_pool("", "")],
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

// The availability model v2 (rules.md), one design each.

/// Every finding's code and first subject, sorted: what the user sees.
fn codes(yaml: &str) -> Vec<(String, String)> {
    let report = lint(yaml);
    assert!(report.valid, "{:?}", report.findings);
    let mut out: Vec<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.rule.code.to_string(), f.subjects[0].to_string()))
        .collect();
    out.sort();
    out
}

fn message(yaml: &str, code: &str) -> String {
    let report = lint(yaml);
    report
        .findings
        .iter()
        .filter(|f| f.rule.code == code)
        .map(|f| f.message.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Redis with Sentinel: clients reach the primary through its endpoint, which
/// Sentinels move to the replica when they agree.
fn sentinel(sentinels: &str, voters: &str) -> String {
    format!(
        "version: 1
name: redis
hosts:
  a: {{}}
  b: {{}}
  c: {{}}
components:
  users: {{ kind: client }}
  app: {{ kind: app_server, instances: 2 }}
  redis-1:
    kind: cache
    host: a
    role: primary
    failover: automatic
    quorum: {{ voters: [{voters}] }}
  redis-2: {{ kind: cache, host: b, role: replica, replicates_from: redis-1 }}
{sentinels}links:
  - {{ from: users, to: app }}
  - {{ from: app, to: redis-1, access: read_write }}
"
    )
}

#[test]
fn a_primary_behind_three_sentinels_fails_over() {
    let yaml = sentinel(
        "  s1: { kind: service, host: a }\n  s2: { kind: service, host: b }\n  s3: { kind: service, host: c }\n",
        "s1, s2, s3",
    );
    assert_eq!(spofs(&yaml), expect(&[]));
}

#[test]
fn two_sentinels_lose_their_quorum_with_the_primary_host() {
    // Two Sentinels need both (a majority of two): the primary's host takes one, so
    // the replica is never promoted.
    let yaml = sentinel(
        "  s1: { kind: service, host: a }\n  s2: { kind: service, host: b }\n",
        "s1, s2",
    );
    assert_eq!(spofs(&yaml), expect(&[("SPOF001", "a")]));
    let text = message(&yaml, "SPOF001");
    assert!(
        text.contains("it takes `s1`, 1 of the 2 voters of the quorum of `redis-1` (needs 2)"),
        "{text}"
    );
}

#[test]
fn a_quorum_that_falls_with_the_primary_is_the_reason_given() {
    // The primary is one of the two voters (a MongoDB-style replica set of two).
    let yaml = sentinel("", "redis-1, redis-2");
    assert_eq!(spofs(&yaml), expect(&[("SPOF003", "redis-1")]));
    let report = lint(&yaml);
    let f = report
        .findings
        .iter()
        .find(|f| f.rule.code == "SPOF003")
        .unwrap();
    assert!(
        f.message.contains("its failover cannot happen: the quorum needs 2 of its 2 voters, and its failure takes `redis-1`"),
        "{}",
        f.message
    );
    let fix = &f.fix.as_ref().unwrap().yaml;
    assert!(!fix.contains("failover: automatic"), "{fix}");
    assert!(
        fix.contains("quorum: { voters: [redis-1, redis-2, redis-3], needs: 2 }"),
        "{fix}"
    );
}

#[test]
fn a_replica_set_split_two_and_one_across_datacenters() {
    let yaml = "version: 1
name: mongo
hosts:
  m1: { failure_domains: { datacenter: dc1 } }
  m2: { failure_domains: { datacenter: dc1 } }
  m3: { failure_domains: { datacenter: dc2 } }
components:
  users: { kind: client }
  app: { kind: app_server, instances: 2 }
  mongo-1:
    kind: database
    host: m1
    role: primary
    failover: automatic
    quorum: { voters: [mongo-1, mongo-2, mongo-3], for: writes }
  mongo-2: { kind: database, host: m2, role: replica, replicates_from: mongo-1 }
  mongo-3: { kind: database, host: m3, role: replica, replicates_from: mongo-1 }
links:
  - { from: users, to: app }
  - { from: app, to: mongo-1 }
";
    // Any one member may fail; losing dc1 takes two of three voters and every write.
    assert_eq!(spofs(yaml), expect(&[("SPOF002", "datacenter:dc1")]));
    let text = message(yaml, "SPOF002");
    assert!(
        text.starts_with("2 of the 3 voters of a quorum that needs 2, `mongo-1` and `mongo-2`, sit in `datacenter:dc1`"),
        "{text}"
    );
    // Spread 1+1+1, nothing is left to say.
    let spread = yaml.replace(
        "m2: { failure_domains: { datacenter: dc1 } }",
        "m2: { failure_domains: { datacenter: dc3 } }",
    );
    assert_eq!(spofs(&spread), expect(&[]));
}

/// PostgreSQL with synchronous standbys: every commit waits for one of them.
fn synchronous(standbys: &str) -> String {
    format!(
        "version: 1
name: pg
hosts:
  a: {{}}
  b: {{}}
  c: {{}}
components:
  users: {{ kind: client }}
  app: {{ kind: app_server, instances: 2 }}
  pg-1: {{ kind: database, host: a, role: primary, failover: automatic }}
{standbys}links:
  - {{ from: users, to: app }}
  - {{ from: app, to: pg-1, access: read_write }}
"
    )
}

#[test]
fn a_single_synchronous_standby_blocks_every_commit() {
    let yaml = synchronous(
        "  pg-2: { kind: database, host: b, role: replica, replicates_from: pg-1, replication: { mode: sync } }\n",
    );
    // The standby's failure stops every commit; the primary's failure promotes the
    // standby, which then has no standby of its own.
    assert_eq!(
        spofs(&yaml),
        expect(&[("SPOF001", "pg-2"), ("SPOF003", "pg-1")])
    );
    let text = message(&yaml, "SPOF003");
    assert!(
        text.contains(
            "its one synchronous replica `pg-2` would take over with no synchronous replica left"
        ),
        "{text}"
    );
    // Two synchronous standbys (ANY 1): no single failure blocks writes.
    let two = synchronous(
        "  pg-2: { kind: database, host: b, role: replica, replicates_from: pg-1, replication: { mode: sync } }\n  pg-3: { kind: database, host: c, role: replica, replicates_from: pg-1, replication: { mode: sync } }\n",
    );
    assert_eq!(spofs(&two), expect(&[]));
    // semi_sync falls back to async: no dependency.
    let semi = synchronous(
        "  pg-2: { kind: database, host: b, role: replica, replicates_from: pg-1, replication: { mode: semi_sync } }\n",
    );
    assert_eq!(spofs(&semi), expect(&[]));
}

#[test]
fn managed_services_have_no_failure_of_their_own() {
    let yaml = "version: 1
name: static-site
components:
  users: { kind: client }
  dns: { kind: dns, managed: true, software: route53 }
  cdn: { kind: cdn, managed: true, software: cloudfront }
  bucket: { kind: storage, managed: true, software: s3 }
links:
  - { from: users, to: dns, protocol: dns }
  - { from: users, to: cdn, protocol: https, port: 443 }
  - { from: cdn, to: bucket, protocol: https, port: 443 }
";
    let found = codes(yaml);
    // No SPOF, and no FW001/MON001 on what the provider runs.
    assert!(
        found
            .iter()
            .all(|(code, _)| !code.starts_with("SPOF") && code != "FW001" && code != "MON001"),
        "{found:?}"
    );
    // The same design run by hand has one SPOF per component.
    let by_hand = yaml.replace(", managed: true", "");
    assert_eq!(spofs(&by_hand).len(), 3);
}

#[test]
fn one_target_with_two_instances_is_a_pool() {
    let yaml = "version: 1
name: t
components:
  users: { kind: client }
  lb: { kind: load_balancer, managed: true, balancing: { targets: [web], health_check: { path: / } } }
  web: { kind: web_server, instances: 2 }
links:
  - { from: users, to: lb }
";
    let found = codes(yaml);
    assert!(
        !found
            .iter()
            .any(|(code, _)| code == "LB001" || code.starts_with("SPOF")),
        "{found:?}"
    );
    let single = yaml.replace(", instances: 2", "");
    let found = codes(&single);
    assert!(found.contains(&("LB001".into(), "lb".into())), "{found:?}");
}

#[test]
fn a_read_only_pool_of_replicas_takes_no_writes() {
    let yaml = "version: 1
name: t
components:
  users: { kind: client }
  app: { kind: app_server, instances: 2 }
  db: { kind: database, role: primary, failover: automatic }
  r1: { kind: database, role: replica, replicates_from: db }
  r2: { kind: database, role: replica, replicates_from: db }
  readers:
    kind: load_balancer
    managed: true
    balancing: { targets: [r1, r2], backend: { protocol: mysql, port: 3306, access: read }, health_check: { port: 3306 } }
links:
  - { from: users, to: app }
  - { from: app, to: readers, access: read }
  - { from: app, to: db, access: write }
";
    let found = codes(yaml);
    assert!(
        !found
            .iter()
            .any(|(code, _)| code == "DB001" || code.starts_with("SPOF")),
        "{found:?}"
    );
    // Without `access: read` the pool writes to replicas.
    let writes = yaml.replace(", access: read }", " }");
    let found = codes(&writes);
    assert!(found.iter().any(|(code, _)| code == "DB001"), "{found:?}");
}

#[test]
fn a_store_that_replicates_from_itself_does_not_panic() {
    for role in ["replica", "standalone"] {
        let yaml = format!(
            "version: 1\nname: t\ncomponents:\n  users: {{ kind: client }}\n  db: {{ kind: database, role: {role}, replicates_from: db }}\nlinks:\n  - {{ from: users, to: db }}\n"
        );
        let found = codes(&yaml);
        // Unclustered (DB003 reports the cycle): a plain dependency.
        assert!(
            found.contains(&("SPOF001".into(), "db".into())),
            "{found:?}"
        );
    }
    let primary = "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  db: { kind: database, role: primary, replicates_from: db }\nlinks:\n  - { from: users, to: db }\n";
    let report = lint(primary);
    assert!(!report.valid);
    assert!(report.findings.iter().any(|f| f.rule.code == "IL006"));
}

#[test]
fn firewalls_group_only_when_they_protect_the_same_things() {
    let yaml = "version: 1
name: t
components:
  users: { kind: client }
  web: { kind: web_server, instances: 2 }
  admin: { kind: app_server, instances: 2 }
  fw-1: { kind: firewall, service: edge, protects: [web], allow: [{ port: any, from: any }] }
  fw-2: { kind: firewall, service: edge, protects: [admin], allow: [{ port: any, from: any }] }
links:
  - { from: users, to: web }
";
    // fw-1 alone guards web: it is the single point of failure; fw-2 protects
    // nothing on any path and is none.
    assert_eq!(spofs(yaml), expect(&[("SPOF001", "fw-1")]));
    let same = yaml.replace("protects: [admin]", "protects: [web]");
    assert_eq!(spofs(&same), expect(&[]));
    // A firewall that fails open is not on the path.
    let open = yaml.replace(
        "fw-1: { kind: firewall,",
        "fw-1: { kind: firewall, critical: false,",
    );
    assert_eq!(spofs(&open), expect(&[]));
}

#[test]
fn a_client_on_a_host_goes_down_with_it() {
    let yaml = "version: 1
name: t
hosts:
  office: {}
components:
  batch: { kind: client, host: office }
  api: { kind: app_server, instances: 2 }
links:
  - { from: batch, to: api, protocol: http, port: 80 }
";
    assert_eq!(spofs(yaml), expect(&[("SPOF001", "office")]));
    // A client on a host with no zone is on the internet: plain HTTP from it is TLS001.
    let found = codes(yaml);
    assert!(
        found.contains(&("TLS001".into(), "batch->api".into())),
        "{found:?}"
    );
}

#[test]
fn a_store_only_read_from_is_spof001() {
    let yaml = "version: 1
name: t
components:
  users: { kind: client }
  app: { kind: app_server, instances: 2 }
  catalog: { kind: database }
links:
  - { from: users, to: app }
  - { from: app, to: catalog, access: read }
";
    assert_eq!(spofs(yaml), expect(&[("SPOF001", "catalog")]));
    let written = yaml.replace("access: read", "access: read_write");
    assert_eq!(spofs(&written), expect(&[("SPOF003", "catalog")]));
}

/// A primary with automatic failover whose one replica stays out of promotion.
const OPTED_OUT: &str = "version: 1
name: t
hosts:
  a: {}
  b: {}
components:
  users: { kind: client }
  app: { kind: app_server, instances: 2 }
  db: { kind: database, host: a, role: primary, failover: automatic }
  db-r: { kind: database, host: b, role: replica, replicates_from: db, failover: none }
links:
  - { from: users, to: app }
  - { from: app, to: db }
";

#[test]
fn automatic_failover_with_no_promotable_replica_says_so() {
    let yaml = OPTED_OUT;
    assert_eq!(spofs(yaml), expect(&[("SPOF003", "db")]));
    let report = lint(yaml);
    let f = report
        .findings
        .iter()
        .find(|f| f.rule.code == "SPOF003")
        .unwrap();
    assert!(
        f.message.contains("`failover: automatic` is set but no replica can be promoted: `db-r` is out of promotion"),
        "{}",
        f.message
    );
    let fix = &f.fix.as_ref().unwrap().yaml;
    assert_eq!(fix, "components:\n  db-r:\n    failover: automatic\n");
}

#[test]
fn a_generic_quorum_works_only_while_enough_voters_work() {
    let yaml = "version: 1
name: t
hosts:
  a: { failure_domains: { rack: r1 } }
  b: { failure_domains: { rack: r1 } }
  c: { failure_domains: { rack: r2 } }
components:
  users: { kind: client }
  api: { kind: app_server, instances: 2 }
  kafka: { kind: queue, instances: 3, quorum: { voters: [zk-1, zk-2, zk-3] } }
  zk-1: { kind: service, host: a }
  zk-2: { kind: service, host: b }
  zk-3: { kind: service, host: c }
links:
  - { from: users, to: api }
  - { from: api, to: kafka }
";
    // No one voter matters; rack r1 holds two of three.
    assert_eq!(spofs(yaml), expect(&[("SPOF002", "rack:r1")]));
}

#[test]
fn the_v2_fixes_apply_and_resolve_their_findings() {
    use crate::rules::fixture::assert_fix_resolves;
    // A quorum of two that falls with the primary: two more voters, on hosts of their
    // own, joining the replica set.
    assert_fix_resolves(&sentinel("", "redis-1, redis-2"), "SPOF003", "redis-1");
    // The one synchronous standby: a second one (for the primary), and another
    // replica (for the standby itself).
    let sync = synchronous(
        "  pg-2: { kind: database, host: b, role: replica, replicates_from: pg-1, replication: { mode: sync } }\n",
    );
    assert_fix_resolves(&sync, "SPOF003", "pg-1");
    assert_fix_resolves(&sync, "SPOF001", "pg-2");
    // A replica kept out of promotion.
    let opted_out = OPTED_OUT;
    assert_fix_resolves(opted_out, "SPOF003", "db");
    let non_critical = opted_out.replace(", failover: none }", ", critical: false }");
    assert_fix_resolves(&non_critical, "SPOF003", "db");
    // A quorum majority in one datacenter: move a host that holds a member.
    let mongo = "version: 1
name: mongo
hosts:
  m1: { failure_domains: { datacenter: dc1 } }
  m2: { failure_domains: { datacenter: dc1 } }
  m3: { failure_domains: { datacenter: dc2 } }
  ops: { failure_domains: { datacenter: dc1 } }
components:
  users: { kind: client }
  app: { kind: app_server, instances: 2 }
  mongo-1: { kind: database, host: m1, role: primary, failover: automatic, quorum: { voters: [mongo-1, mongo-2, mongo-3], for: writes } }
  mongo-2: { kind: database, host: m2, role: replica, replicates_from: mongo-1 }
  mongo-3: { kind: database, host: m3, role: replica, replicates_from: mongo-1 }
links:
  - { from: users, to: app }
  - { from: app, to: mongo-1 }
";
    assert_fix_resolves(mongo, "SPOF002", "datacenter:dc1");
    // A pool of replicas that takes writes: made read-only.
    let pool = "version: 1
name: t
components:
  users: { kind: client }
  app: { kind: app_server, instances: 2 }
  db: { kind: database, role: primary, failover: automatic }
  r1: { kind: database, role: replica, replicates_from: db }
  r2: { kind: database, role: replica, replicates_from: db }
  readers: { kind: load_balancer, managed: true, balancing: { targets: [r1, r2], backend: { protocol: mysql, port: 3306 } } }
links:
  - { from: users, to: app }
  - { from: app, to: readers, access: read }
  - { from: app, to: db, access: write }
";
    assert_fix_resolves(pool, "DB001", "readers->r1");
}
