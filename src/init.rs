//! `infra-lint init`: a commented starter topology to edit into one's own design.

use std::io::Write;
use std::path::Path;

use crate::model::Date;

/// A small topology that explains every section of the format in comments and about
/// which infra-lint finds nothing: a VRRP load-balancer pair terminating HTTPS, two web
/// and two application servers in different racks, a MySQL primary with automatic
/// failover, a TLS replica and off-site backups, host firewalls that admit exactly its
/// links, and monitoring on its own host. Its last restore test is `RESTORE_TESTED`:
/// [`starter`] fills in the day.
const STARTER: &str = r##"# A starter topology for infra-lint: a small web shop that is redundant, encrypted,
# firewalled and monitored, and about which infra-lint finds nothing to report. Edit
# it into your own design and run `infra-lint` in this folder: it lints every
# topology.yml and *.topology.yml it finds. `infra-lint explain CODE` explains a
# finding; `infra-lint what-if FILE --fail ID` shows what stops when ID fails.
#
# For completion and checking as you type (VS Code's YAML extension, or any editor
# with yaml-language-server): run `infra-lint schema > topology.schema.json` and put
#   # yaml-language-server: $schema=topology.schema.json
# on this file's first line.
#
# Ids (the keys under zones, hosts, certificates and components) are 1 to 63
# letters, digits, `-`, `_` and `.`, starting with a letter or digit. One id names one
# thing in the whole file.

version: 1      # the format's version: only 1 exists
name: shop      # shown in reports
description: >-
  Users reach a VRRP pair of HAProxy load balancers over HTTPS. They balance two Nginx
  web servers, which call two application servers, which write to a MySQL primary and
  read from it and from its replica.

# Zones: network segments and how far traffic from them is trusted, lowest first:
# public < dmz < private < restricted. `internet` (public) always exists. A
# component's zone is its own `zone`, else its host's, else `private`; a client's is
# `internet`. A plaintext link from one zone into another is reported, so say where
# the traffic is encrypted. `cidr` lets firewall rules name a zone by address.
zones:
  dmz:  { trust: dmz, cidr: 10.0.1.0/24 }         # what the internet reaches
  app:  { trust: private, cidr: 10.0.2.0/24 }     # web and application servers
  data: { trust: restricted, cidr: 10.0.3.0/24 }  # databases
  ops:  { trust: private, cidr: 10.0.9.0/24 }     # monitoring

# Hosts: machines (physical, virtual, or container nodes). Everything on a host fails
# with it. `failure_domains` names the larger things that fail together, one key per
# level (rack, datacenter, region...): keep redundant hosts apart. Add
# `datacenter: dc1` to every host and infra-lint will tell you that one datacenter is
# one failure; spread the hosts over two before you do.
#
# `firewall`: what the host admits. A rule's `from` is any, a zone, a component, a
# host or a CIDR; its `port` a number, a range "8000-8100" or any. A link its target's
# firewall does not admit is an error, and so is a host that receives links without a
# firewall. `monitoring`: the agent on the host and the monitoring component it
# reports to.
hosts:
  lb-host-1:
    zone: dmz
    failure_domains: { rack: r1 }
    firewall:
      default_inbound: deny
      allow:
        - { port: 443, from: internet }
        - { port: 80, from: internet }    # only to redirect to https
    monitoring: { agent: zabbix-agent, reports_to: monitor }
  lb-host-2:
    zone: dmz
    failure_domains: { rack: r2 }
    firewall:
      default_inbound: deny
      allow:
        - { port: 443, from: internet }
        - { port: 80, from: internet }
    monitoring: { agent: zabbix-agent, reports_to: monitor }
  web-host-1:
    zone: app
    failure_domains: { rack: r1 }
    firewall:
      default_inbound: deny
      allow:
        - { port: 443, from: lb-1 }
        - { port: 443, from: lb-2 }
    monitoring: { agent: zabbix-agent, reports_to: monitor }
  web-host-2:
    zone: app
    failure_domains: { rack: r2 }
    firewall:
      default_inbound: deny
      allow:
        - { port: 443, from: lb-1 }
        - { port: 443, from: lb-2 }
    monitoring: { agent: zabbix-agent, reports_to: monitor }
  app-host-1:
    zone: app
    failure_domains: { rack: r1 }
    firewall:
      default_inbound: deny
      allow:
        - { port: 8000, from: web-1 }
        - { port: 8000, from: web-2 }     # app-1 stands in for app-2 (see `service`)
    monitoring: { agent: zabbix-agent, reports_to: monitor }
  app-host-2:
    zone: app
    failure_domains: { rack: r2 }
    firewall:
      default_inbound: deny
      allow:
        - { port: 8000, from: web-1 }
        - { port: 8000, from: web-2 }
    monitoring: { agent: zabbix-agent, reports_to: monitor }
  db-host-1:
    zone: data
    failure_domains: { rack: r1 }
    firewall:
      default_inbound: deny
      allow:
        - { port: 3306, from: app-1 }
        - { port: 3306, from: app-2 }
        - { port: 3306, from: db-replica }   # replication
    monitoring: { agent: zabbix-agent, reports_to: monitor }
  db-host-2:
    zone: data
    failure_domains: { rack: r2 }
    firewall:
      default_inbound: deny
      allow:
        - { port: 3306, from: app-1 }
        - { port: 3306, from: app-2 }
        - { port: 3306, from: db-primary }   # replication, once roles swap
    monitoring: { agent: zabbix-agent, reports_to: monitor }
  monitor-host:
    zone: ops
    failure_domains: { rack: r3 }
    firewall:
      default_inbound: deny
      allow:
        - { port: 10051, from: dmz }      # the agents' reports
        - { port: 10051, from: app }
        - { port: 10051, from: data }
    # Watched from outside (a hosted heartbeat check), not by itself: a monitor that
    # watches itself goes silent exactly when it fails.
    monitoring: { agent: healthchecks-io }

# Certificates that https listeners name. infra-lint warns 30 days before `expires`
# and when `min_tls_version` allows TLS below "1.2".
certificates:
  www-shop:
    domains: [www.shop.example]
    expires: 2099-12-31           # your certificate's real expiry date
    min_tls_version: "1.2"

# Components: the services, the nodes of the graph. `kind` is one of client, dns,
# cdn, load_balancer, web_server, app_server, service, database, cache, queue,
# storage, firewall, monitoring. Any kind may also say: host (without one, it is its
# own failure domain), zone, software, version (text), instances (identical copies
# behind one id, e.g. an auto-scaling group), critical (whether users need it;
# default true, false for monitoring), service (a label: components with the same
# label are interchangeable), description, and `suppress` for findings accepted on
# purpose, each with a reason and optionally a last day:
#   suppress:
#     - { rule: SPOF001, reason: "staging: one is enough", until: 2099-01-31 }
components:
  users:
    kind: client                  # where requests come from

  # Two load balancers sharing a virtual IP (VRRP, e.g. keepalived): if one fails,
  # the other takes over its address.
  lb-1:
    kind: load_balancer
    host: lb-host-1
    software: haproxy
    version: "2.8"
    balancing:
      algorithm: round_robin      # or weighted_round_robin, least_connections, ...
      mode: active_active         # both web servers serve at once
      targets: [web-1, web-2]     # each target gets a link from this load balancer
      backend: { protocol: https, port: 443 }    # re-encrypted on the way in
      health_check: { path: /health, interval_s: 5, timeout_s: 2 }
    peers: [lb-2]
    failover: vrrp
    listeners:
      - { port: 443, protocol: https, certificate: www-shop }
      - { port: 80, protocol: http, redirect_to_https: true }
  lb-2:
    kind: load_balancer
    host: lb-host-2
    software: haproxy
    version: "2.8"
    balancing:
      algorithm: round_robin
      mode: active_active
      targets: [web-1, web-2]
      backend: { protocol: https, port: 443 }
      health_check: { path: /health, interval_s: 5, timeout_s: 2 }
    peers: [lb-1]
    failover: vrrp
    listeners:
      - { port: 443, protocol: https, certificate: www-shop }
      - { port: 80, protocol: http, redirect_to_https: true }

  # Targets of one pool are alike: same kind, software, version, firewall and
  # monitoring, so either can take all the traffic.
  web-1: { kind: web_server, host: web-host-1, software: nginx, version: "1.26" }
  web-2: { kind: web_server, host: web-host-2, software: nginx, version: "1.26" }

  # One `service` label: either application server will do for either web server.
  app-1: { kind: app_server, host: app-host-1, software: gunicorn, service: app }
  app-2: { kind: app_server, host: app-host-2, software: gunicorn, service: app }

  # The primary takes every write. If it fails, the replica is promoted
  # automatically (e.g. by Orchestrator). Replication is semi-synchronous, so a
  # committed write is on both machines, and encrypted, so it cannot be read on the
  # way.
  db-primary:
    kind: database
    host: db-host-1
    software: mysql
    version: "8.4"
    engine: mysql
    role: primary
    failover: automatic
    # A replica is not a backup: it copies a mistaken DELETE within milliseconds.
    # Nightly backups go to storage that does not fail with this rack, and a backup
    # counts once a restore from it has worked: record the day you last tried (say
    # it again at least every 90 days).
    backup: { to: backups, interval_h: 24, restore_tested: RESTORE_TESTED }
    # Semi-synchronous replication can still lose the last commit on a failover;
    # that is accepted here, and the suppression says so.
    suppress:
      - { rule: DUR004, reason: "accepted: semi-sync loses at most the last commit" }
  db-replica:
    kind: database
    host: db-host-2
    software: mysql
    version: "8.4"
    engine: mysql
    role: replica
    replicates_from: db-primary
    replication: { mode: semi_sync, tls: true }

  # Object storage run by a cloud provider in another region (`managed`: its
  # availability is the provider's), versioned, so a backup cannot be overwritten.
  backups:
    kind: storage
    managed: true
    software: s3

  monitor:
    kind: monitoring
    host: monitor-host
    software: zabbix
    alerts_to: [oncall-pager, ops-email]   # where alerts go (free text)

# Links: request flows; `from` opens connections to `to`. The protocol says whether
# a link is encrypted (https, tls and grpcs are; say `tls: true` for others that
# are). `access` says what a link does to a data store: read, write or read_write.
# A load balancer's links to its targets come from its `balancing`: do not repeat
# them here.
links:
  - { from: users, to: lb-1, protocol: https, port: 443 }    # the VIP, shared with lb-2
  - { from: web-1, to: app-1, protocol: http, port: 8000 }
  - { from: web-2, to: app-2, protocol: http, port: 8000 }
  - { from: app-1, to: db-primary, protocol: mysql, port: 3306, tls: true, access: read_write }
  - { from: app-2, to: db-primary, protocol: mysql, port: 3306, tls: true, access: read_write }
  - { from: app-1, to: db-replica, protocol: mysql, port: 3306, tls: true, access: read }
  - { from: app-2, to: db-replica, protocol: mysql, port: 3306, tls: true, access: read }
"##;

/// The starter topology, its backups last restored on `today` (so that it lints
/// clean for the next 90 days).
pub fn starter(today: Date) -> String {
    STARTER.replace("RESTORE_TESTED", &today.to_string())
}

/// Writes [`starter`] to `path`. An existing file is never replaced: the error is then
/// of kind [`std::io::ErrorKind::AlreadyExists`].
pub fn write_starter(path: &Path, today: Date) -> std::io::Result<()> {
    // create_new checks and creates in one step, so a file that appears meanwhile is
    // not overwritten either (nor the target of a symbolic link).
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(starter(today).as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::LintOptions;
    use crate::rules::fixture;

    #[test]
    fn starter_is_a_topology_without_findings() {
        let report = fixture::lint(&starter(crate::lint::TEST_TODAY));
        assert!(report.valid, "not a valid topology: {:?}", report.findings);
        let found: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .map(|f| format!("{:?} {}: {}", f.severity, f.rule.code, f.message))
            .collect();
        // Not even infos: the starter is what a finished design looks like.
        assert!(
            found.is_empty(),
            "the starter has findings:\n{}",
            found.join("\n")
        );
        // The one loss it accepts is stated, with a reason.
        let accepted: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.suppressed.is_some())
            .map(|f| f.rule.code)
            .collect();
        assert_eq!(accepted, ["DUR004"]);
    }

    #[test]
    fn the_starters_restore_test_is_the_day_it_was_written() {
        // Written on one day and linted 90 days later, it is still clean; a day more
        // and its restore test is due.
        let written = Date::parse("2027-03-01").unwrap();
        let text = starter(written);
        assert!(text.contains("restore_tested: 2027-03-01"));
        let at = |days: i64| {
            crate::lint::lint_source(
                crate::source::SourceFile::new("topology.yml", text.clone()),
                &LintOptions {
                    today: Date::from_days(written.days() + days),
                    ..LintOptions::default()
                },
            )
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .map(|f| f.rule.code)
            .collect::<Vec<_>>()
        };
        assert!(at(90).is_empty(), "{:?}", at(90));
        assert_eq!(at(91), ["DUR003"]);
    }

    #[test]
    fn write_starter_creates_the_file_and_never_overwrites() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("topology.yml");
        let today = crate::lint::TEST_TODAY;
        write_starter(&path, today).expect("first write");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            starter(today)
        );

        std::fs::write(&path, "mine").expect("edit");
        let err = write_starter(&path, today).expect_err("second write must fail");
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "mine");
    }
}
