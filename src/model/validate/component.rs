//! One component: its kind-specific fields checked against its kind, defaults
//! applied, references resolved.

use super::*;
use crate::yaml::Text;

fn kinds_text(kinds: &[Kind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

impl Validator {
    /// Reports a kind-specific field written on a kind it does not apply to.
    pub(super) fn kind_field<T>(
        &mut self,
        field: Option<&Spanned<T>>,
        name: &str,
        kind: &Spanned<Kind>,
        id: &str,
        allowed: &[Kind],
    ) -> bool {
        let Some(f) = field else { return false };
        if allowed.contains(&kind.value) {
            return true;
        }
        self.error(
            Finding::new(
                &IL006,
                f.key,
                format!("`{name}` does not apply to {} `{id}`", kind.value.as_str()),
            )
            .label(format!("only for {}", kinds_text(allowed)))
            .related(kind.span, "the component's kind")
            .help(format!("remove `{name}`, or change `kind`")),
        );
        false
    }

    #[allow(clippy::too_many_lines)]
    pub(super) fn component(
        &mut self,
        id: Spanned<Text>,
        c: Component,
        span: Span,
        default_zone: ZoneId,
    ) -> (ComponentDef, Backend, bool) {
        let kind = c.kind.clone();
        let k = kind.value;
        let host = c
            .host
            .as_ref()
            .and_then(|h| match self.resolve(h, HOST, "host") {
                Some(Ref::Host(h)) => Some(h),
                _ => None,
            });
        let zone = match &c.zone {
            Some(z) => match self.resolve(z, ZONE, "zone") {
                Some(Ref::Zone(z)) => Some(z),
                _ => None,
            },
            None => None,
        };
        // Without a zone of its own, a component on a host is in the host's zone, set
        // once the hosts are built (on the other thread, maybe).
        let inherits_zone = zone.is_none() && host.is_some();
        let zone = zone.unwrap_or(if k == Kind::Client {
            ZoneId(0)
        } else {
            default_zone
        });
        let instances = match &c.instances {
            Some(n) if n.value < 1 || n.value > i64::from(u32::MAX) => {
                self.error(
                    Finding::new(
                        &IL006,
                        n.span,
                        format!("instances: {} is not a count of instances", n.value),
                    )
                    .label("must be at least 1")
                    .help("a component has at least one instance; remove it if it does not exist"),
                );
                1
            }
            Some(n) => n.value as u32,
            None => 1,
        };

        const LB: &[Kind] = &[Kind::LoadBalancer];
        const DATA: &[Kind] = &[Kind::Database, Kind::Cache];
        const FAILOVER: &[Kind] = &[Kind::LoadBalancer, Kind::Database, Kind::Cache];
        const LISTENS: &[Kind] = &[
            Kind::LoadBalancer,
            Kind::WebServer,
            Kind::AppServer,
            Kind::Service,
        ];
        const MON: &[Kind] = &[Kind::Monitoring];
        const FW: &[Kind] = &[Kind::Firewall];
        let id_text = id.value.clone();
        let has_balancing =
            self.kind_field(c.balancing.as_deref(), "balancing", &kind, &id_text, LB);
        let has_peers = self.kind_field(c.peers.as_deref(), "peers", &kind, &id_text, LB);
        let has_failover =
            self.kind_field(c.failover.as_ref(), "failover", &kind, &id_text, FAILOVER);
        let has_listeners = self.kind_field(
            c.listeners.as_deref(),
            "listeners",
            &kind,
            &id_text,
            LISTENS,
        );
        self.kind_field(c.engine.as_deref(), "engine", &kind, &id_text, DATA);
        self.kind_field(c.role.as_ref(), "role", &kind, &id_text, DATA);
        let has_source = self.kind_field(
            c.replicates_from.as_deref(),
            "replicates_from",
            &kind,
            &id_text,
            DATA,
        );
        self.kind_field(
            c.replication.as_deref(),
            "replication",
            &kind,
            &id_text,
            DATA,
        );
        const BACKED_UP: &[Kind] = &[Kind::Database, Kind::Cache, Kind::Storage];
        let has_backup = self.kind_field(c.backup.as_deref(), "backup", &kind, &id_text, BACKED_UP);
        let has_monitors = self.kind_field(c.monitors.as_deref(), "monitors", &kind, &id_text, MON);
        self.kind_field(c.alerts_to.as_deref(), "alerts_to", &kind, &id_text, MON);
        let has_protects = self.kind_field(c.protects.as_deref(), "protects", &kind, &id_text, FW);
        self.kind_field(c.allow.as_deref(), "allow", &kind, &id_text, FW);
        self.kind_field(
            c.default_inbound.as_ref(),
            "default_inbound",
            &kind,
            &id_text,
            FW,
        );
        if k == Kind::Firewall
            && let Some(fw) = &c.firewall
        {
            self.error(
                Finding::new(&IL006, fw.key, format!("a `firewall:` block on network firewall `{id_text}`"))
                    .label("not for kind firewall")
                    .related(kind.span, "the component's kind")
                    .help("a network firewall's rules are its own fields: write `allow:` and `default_inbound:` directly"),
            );
        }

        let failover = match &c.failover {
            Some(f) if has_failover => {
                let fits = match k {
                    Kind::LoadBalancer => matches!(
                        f.value,
                        Failover::None | Failover::Vrrp | Failover::Dns | Failover::Anycast
                    ),
                    _ => matches!(
                        f.value,
                        Failover::None | Failover::Manual | Failover::Automatic
                    ),
                };
                if !fits {
                    let choices = if k == Kind::LoadBalancer {
                        "vrrp, dns, anycast or none"
                    } else {
                        "none, manual or automatic"
                    };
                    self.error(
                        Finding::new(
                            &IL006,
                            f.span,
                            format!(
                                "failover `{}` does not apply to a {}",
                                f.value.as_str(),
                                k.as_str()
                            ),
                        )
                        .label(format!("use {choices}"))
                        .help(format!("a {}'s failover is {choices}", k.as_str())),
                    );
                }
                f.value
            }
            _ => Failover::None,
        };

        let mut listeners = Vec::new();
        if has_listeners && let Some(ls) = &c.listeners {
            for l in &ls.value {
                let port = self.port(&l.value.port, "listener port");
                let certificate = l.value.certificate.as_ref().and_then(|cert| {
                    match self.resolve(cert, CERTIFICATE, "certificate") {
                        Some(Ref::Certificate(c)) => Some(c),
                        _ => None,
                    }
                });
                if let Some(port) = port {
                    listeners.push(ListenerDef {
                        port,
                        protocol: l.value.protocol.value,
                        certificate,
                        redirect_to_https: l
                            .value
                            .redirect_to_https
                            .as_ref()
                            .is_some_and(|r| r.value),
                        span: l.span,
                    });
                }
            }
        }

        let mut backend = Backend {
            protocol: Protocol::Http,
            port: Some(80),
            tls: false,
            access: crate::model::Access::ReadWrite,
        };
        let load_balancer = if k == Kind::LoadBalancer {
            let mut targets = Vec::new();
            let mut targets_span = id.span;
            let mut mode = Mode::ActiveActive;
            let mut health_check = false;
            let mut balancing_span = id.span;
            if let Some(b) = c.balancing.as_ref().filter(|_| has_balancing) {
                balancing_span = b.key;
                targets_span = b.value.targets.span;
                mode = b
                    .value
                    .mode
                    .as_ref()
                    .map_or(Mode::ActiveActive, |m| m.value);
                health_check = b.value.health_check.is_some();
                if let Some(hc) = &b.value.health_check {
                    if let Some(p) = &hc.value.port {
                        self.port(p, "health check port");
                    }
                    for t in [&hc.value.interval_s, &hc.value.timeout_s]
                        .into_iter()
                        .flatten()
                    {
                        if t.value < 1 {
                            self.error(
                                Finding::new(
                                    &IL006,
                                    t.span,
                                    format!("{} seconds is not a duration", t.value),
                                )
                                .label("must be at least 1"),
                            );
                        }
                    }
                }
                for t in &b.value.targets.value {
                    if let Some(target) = self.component_ref(t, "load balancer target") {
                        targets.push((target, t.span));
                    }
                }
                if let Some(be) = &b.value.backend {
                    let protocol = be
                        .value
                        .protocol
                        .as_ref()
                        .map_or(Protocol::Http, |p| p.value);
                    let port = match &be.value.port {
                        Some(p) => self.port(p, "backend port"),
                        None => Some(80),
                    };
                    let tls = be
                        .value
                        .tls
                        .as_ref()
                        .map_or(protocol.implies_tls(), |t| t.value);
                    backend = Backend {
                        protocol,
                        port,
                        tls,
                        access: be
                            .value
                            .access
                            .as_ref()
                            .map_or(crate::model::Access::ReadWrite, |a| a.value),
                    };
                }
            } else {
                self.error(
                    Finding::new(
                        &crate::rules::input::IL002,
                        id.span,
                        format!("load balancer `{id_text}` has no `balancing:`"),
                    )
                    .label("missing required key `balancing`")
                    .help("add `balancing: { targets: [...] }` naming what it balances over"),
                );
            }
            let mut peers = Vec::new();
            if let Some(ps) = c.peers.as_ref().filter(|_| has_peers) {
                for p in &ps.value {
                    if let Some(peer) = self.component_ref(p, "peer") {
                        peers.push((peer, p.span));
                    }
                }
            }
            Some(LoadBalancerDef {
                targets,
                targets_span,
                target_links: Vec::new(),
                mode,
                peers,
                failover,
                health_check,
                balancing_span,
            })
        } else {
            None
        };

        let data_store = if DATA.contains(&k) {
            let replicates_from = match (&c.replicates_from, has_source) {
                (Some(r), true) => self
                    .component_ref(r, "replication source")
                    .map(|s| (s, r.span)),
                _ => None,
            };
            if let (Some(role), Some(source)) = (&c.role, &c.replicates_from)
                && role.value == Role::Primary
            {
                self.error(
                    Finding::new(
                        &IL006,
                        source.span,
                        format!("primary `{id_text}` replicates from `{}`", source.value),
                    )
                    .label("a primary has no replication source")
                    .related(role.span, "declared a primary here")
                    .help("a store that copies another is `role: replica`; remove `replicates_from` if it takes writes of its own"),
                );
            }
            Some(DataStoreDef {
                role: c.role.as_ref().map_or(Role::Standalone, |r| r.value),
                replicates_from,
                failover,
                opted_out: c
                    .failover
                    .as_ref()
                    .is_some_and(|f| f.value == Failover::None),
                replication_mode: c
                    .replication
                    .as_ref()
                    .and_then(|r| r.value.mode.as_ref())
                    .map_or(ReplicationMode::Async, |m| m.value),
                replication_tls: c
                    .replication
                    .as_ref()
                    .and_then(|r| r.value.tls.as_ref())
                    .is_some_and(|t| t.value),
                engine: c.engine.as_ref().map(|e| e.value.to_string()),
            })
        } else {
            None
        };

        let monitor = if k == Kind::Monitoring {
            let mut monitors = Vec::new();
            if let Some(ms) = c.monitors.as_ref().filter(|_| has_monitors) {
                for m in &ms.value {
                    if let Some(r) = self.resolve(m, HOST_OR_COMPONENT, "monitored element") {
                        monitors.push((r, m.span));
                    }
                }
            }
            Some(MonitorDef {
                monitors,
                alerts_to: c
                    .alerts_to
                    .as_ref()
                    .map(|a| a.value.iter().map(|s| s.value.to_string()).collect())
                    .unwrap_or_default(),
            })
        } else {
            None
        };

        let network_firewall = if k == Kind::Firewall {
            let mut protects = Vec::new();
            if let Some(ps) = c.protects.as_ref().filter(|_| has_protects) {
                for p in &ps.value {
                    if let Some(r) = self.resolve(p, ANY_PLACE, "protected element") {
                        protects.push((r, p.span));
                    }
                }
            }
            let allow = c
                .allow
                .as_ref()
                .map(|rules| {
                    rules
                        .value
                        .iter()
                        .filter_map(|r| self.allow_rule(&r.value.port, &r.value.from, r.span))
                        .collect()
                })
                .unwrap_or_default();
            Some(NetworkFirewallDef {
                protects,
                rules: FirewallDef {
                    default_allow: c
                        .default_inbound
                        .as_ref()
                        .is_some_and(|d| d.value == Inbound::Allow),
                    allow,
                    span: id.span,
                },
            })
        } else {
            None
        };

        let firewall = match (&c.firewall, k) {
            (Some(fw), kind) if kind != Kind::Firewall => Some(self.firewall(&fw.value, fw.key)),
            _ => None,
        };
        let managed = c.managed.as_ref().is_some_and(|m| m.value);
        if let (Some(m), Some(h)) = (c.managed.as_ref().filter(|m| m.value), &c.host) {
            self.error(
                Finding::new(&IL006, h.span, format!("managed component `{id_text}` has a host"))
                    .label("a managed service runs on the provider's machines")
                    .related(m.span, "managed here")
                    .help("remove `host:` (the provider places it), or `managed: true` if you run it on this host"),
            );
        }
        let quorum = c.quorum.as_ref().and_then(|q| {
            let primary = c.role.as_ref().is_some_and(|r| r.value == Role::Primary);
            self.quorum(&q.value, q.key, &id_text, primary, failover)
        });
        let monitoring = c.monitoring.as_ref().map(|m| self.agent(&m.value, m.key));

        let def = ComponentDef {
            entrypoint: c.entrypoint.as_ref().map_or(k == Kind::Client, |e| e.value),
            critical: c
                .critical
                .as_ref()
                .map_or(k != Kind::Monitoring, |e| e.value),
            id: id.into_string(),
            kind,
            host,
            zone,
            instances,
            service: c.service.map(Spanned::into_string),
            managed,
            quorum: quorum.map(Box::new),
            backup: c
                .backup
                .as_ref()
                .filter(|_| has_backup)
                .and_then(|b| self.backup(&b.value, b.key))
                .map(Box::new),
            software: c.software.map(|s| s.value.into_string()),
            version: c.version.map(|s| s.value.into_string()),
            firewall: firewall.map(Box::new),
            monitoring: monitoring.map(Box::new),
            load_balancer: load_balancer.map(Box::new),
            listeners,
            data_store: data_store.map(Box::new),
            monitor: monitor.map(Box::new),
            network_firewall: network_firewall.map(Box::new),
            suppress: c.suppress,
            span,
        };
        (def, backend, inherits_zone)
    }
}

/// The links a load balancer opens to its targets.
pub(super) struct Backend {
    pub(super) protocol: Protocol,
    pub(super) port: Option<u16>,
    pub(super) tls: bool,
    pub(super) access: crate::model::Access,
}
