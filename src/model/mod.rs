//! The validated model: every id resolved to an index, every default applied. Rules
//! read this (and the graph built from it), never the YAML.

mod date;
pub mod document;
mod net;
mod validate;

use foldhash::HashMap;

pub use date::Date;
pub use document::{Access, Document, Failover, Kind, Protocol, ReplicationMode, Role, Trust};
pub use net::{Cidr, PortSpec};
pub use validate::{ModelLimits, validate, validate_with};

use crate::source::Span;
use crate::yaml::Spanned;
use document::{Mode, Suppression};

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            /// The index as usize.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index_type!(
    /// A component's index in [`Model::components`].
    ComponentId
);
index_type!(
    /// A host's index in [`Model::hosts`].
    HostId
);
index_type!(
    /// A zone's index in [`Model::zones`].
    ZoneId
);
index_type!(
    /// A certificate's index in [`Model::certificates`].
    CertId
);
index_type!(
    /// A link's index in [`Model::links`].
    LinkId
);
index_type!(
    /// A failure-domain value's index in [`Model::failure_domains`].
    DomainId
);

/// What an id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ref {
    /// A zone.
    Zone(ZoneId),
    /// A host.
    Host(HostId),
    /// A component.
    Component(ComponentId),
    /// A certificate.
    Certificate(CertId),
}

impl Ref {
    /// "zone", "host", "component" or "certificate".
    pub fn noun(self) -> &'static str {
        match self {
            Ref::Zone(_) => "zone",
            Ref::Host(_) => "host",
            Ref::Component(_) => "component",
            Ref::Certificate(_) => "certificate",
        }
    }
}

/// A validated topology.
#[derive(Debug)]
pub struct Model {
    /// The topology's name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// Its description.
    pub description: Option<String>,
    /// Zones; `internet` always exists.
    pub zones: Vec<ZoneDef>,
    /// Hosts.
    pub hosts: Vec<HostDef>,
    /// Certificates.
    pub certificates: Vec<CertDef>,
    /// Components.
    pub components: Vec<ComponentDef>,
    /// Links: declared ones first, in file order, then each load balancer's target links.
    pub links: Vec<LinkDef>,
    /// Failure-domain values (`rack:r1`), sorted by level then value.
    pub failure_domains: Vec<FailureDomain>,
    /// The top-level suppressions.
    pub suppress: Vec<Spanned<Suppression>>,
    pub(crate) ids: IdTable,
    /// For each `base` of the ids written `base-N`, the smallest N from 2 that no id
    /// uses: built once, when a fix first asks for a fresh id.
    pub(crate) free_suffix: std::sync::OnceLock<HashMap<compact_str::CompactString, usize>>,
}

/// Every id, keyed inline (ids are short): one cache miss per lookup, no second copy.
pub(crate) type IdTable = HashMap<compact_str::CompactString, IdEntry>;

/// What an id names and where it is first defined.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdEntry {
    /// What it names; None when its definition failed to parse (references to it are
    /// then not reported: the definition's error is).
    pub to: Option<Ref>,
    /// Its first definition.
    pub span: Span,
}

impl Model {
    /// What an id names.
    pub fn lookup(&self, id: &str) -> Option<Ref> {
        self.ids.get(id).and_then(|e| e.to)
    }

    /// The smallest `n` from 2 such that no id is `base-n`, through an index of every
    /// id's numeric suffix built once: a fix asking for a fresh id costs the same
    /// however many `base-N` ids there are.
    pub fn free_suffix(&self, base: &str) -> usize {
        let free = self.free_suffix.get_or_init(|| {
            let mut used: HashMap<&str, Vec<usize>> = HashMap::default();
            for id in self.ids() {
                let Some((base, n)) = id.rsplit_once('-') else {
                    continue;
                };
                // Only the way a fix writes a number: no sign, no leading zero.
                if n.is_empty() || n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                if let Ok(n) = n.parse::<usize>() {
                    used.entry(base).or_default().push(n);
                }
            }
            used.into_iter()
                .map(|(base, mut ns)| {
                    ns.sort_unstable();
                    ns.dedup();
                    let mut next = 2;
                    for n in ns {
                        if n == next {
                            next += 1;
                        } else if n > next {
                            break;
                        }
                    }
                    (compact_str::CompactString::from(base), next)
                })
                .collect()
        });
        free.get(base).copied().unwrap_or(2)
    }

    /// Every id, for "did you mean".
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids
            .iter()
            .filter(|(_, e)| e.to.is_some())
            .map(|(k, _)| k.as_str())
    }

    /// A component.
    pub fn component(&self, id: ComponentId) -> &ComponentDef {
        &self.components[id.index()]
    }

    /// A host.
    pub fn host(&self, id: HostId) -> &HostDef {
        &self.hosts[id.index()]
    }

    /// A zone.
    pub fn zone(&self, id: ZoneId) -> &ZoneDef {
        &self.zones[id.index()]
    }

    /// A link.
    pub fn link(&self, id: LinkId) -> &LinkDef {
        &self.links[id.index()]
    }

    /// A firewall rule's source as written: `any`, an id or a CIDR.
    pub fn source_name(&self, source: &Source) -> String {
        match source {
            Source::Any => "any".to_string(),
            Source::Zone(z) => self.zone(*z).id.value.clone(),
            Source::Component(c) => self.component(*c).id.value.clone(),
            Source::Host(h) => self.host(*h).id.value.clone(),
            Source::Cidr(cidr) => cidr.to_string(),
        }
    }

    /// The id of a component's failure unit: its host's id, or its own.
    pub fn host_name(&self, id: ComponentId) -> &str {
        let c = self.component(id);
        match c.host {
            Some(h) => &self.host(h).id,
            None => &c.id,
        }
    }
}

/// A zone.
#[derive(Debug)]
pub struct ZoneDef {
    /// Its id and where it is defined (the built-in `internet` has an empty span).
    pub id: Spanned<String>,
    /// Its trust level.
    pub trust: Trust,
    /// Its address range.
    pub cidr: Option<Cidr>,
    /// Whether it was not declared in the file.
    pub builtin: bool,
}

/// A host.
#[derive(Debug)]
pub struct HostDef {
    /// Its id, spanned at its key.
    pub id: Spanned<String>,
    /// Its zone (default: the private default zone).
    pub zone: ZoneId,
    /// Whether the file states its zone (a client on a host without one is public).
    pub zone_stated: bool,
    /// Its failure-domain values, one per level.
    pub domains: Vec<DomainId>,
    /// Its host firewall.
    pub firewall: Option<FirewallDef>,
    /// Its monitoring agent.
    pub monitoring: Option<AgentDef>,
    /// The components placed on it, in file order.
    pub components: Vec<ComponentId>,
    /// Its suppressions.
    pub suppress: Vec<Spanned<Suppression>>,
}

/// One value of one failure-domain level, and the hosts that share it.
#[derive(Debug)]
pub struct FailureDomain {
    /// The level (`rack`).
    pub level: String,
    /// The value (`r1`).
    pub value: String,
    /// The hosts with this value.
    pub hosts: Vec<HostId>,
    /// Where it is first written.
    pub span: Span,
}

impl FailureDomain {
    /// `level:value`, as findings and `what-if` name it.
    pub fn name(&self) -> String {
        format!("{}:{}", self.level, self.value)
    }
}

/// A certificate.
#[derive(Debug)]
pub struct CertDef {
    /// Its id.
    pub id: Spanned<String>,
    /// The names it covers.
    pub domains: Vec<String>,
    /// Its expiry date (year, month, day).
    pub expires: Option<Spanned<Date>>,
    /// The lowest TLS version it accepts, as written ("1.2").
    pub min_tls_version: Option<Spanned<String>>,
    /// Its suppressions.
    pub suppress: Vec<Spanned<Suppression>>,
}

/// A component with defaults applied and references resolved.
#[derive(Debug)]
pub struct ComponentDef {
    /// Its id, spanned at its key.
    pub id: Spanned<String>,
    /// What it is (spanned at the value).
    pub kind: Spanned<Kind>,
    /// Its host.
    pub host: Option<HostId>,
    /// Its effective zone.
    pub zone: ZoneId,
    /// Whether traffic starts here.
    pub entrypoint: bool,
    /// Whether users need it.
    pub critical: bool,
    /// How many identical instances.
    pub instances: u32,
    /// Its redundancy group label.
    pub service: Option<Spanned<String>>,
    /// Whether a provider runs it (no failure event of its own, no host).
    pub managed: bool,
    /// Its quorum: a k-of-n gate over voters.
    pub quorum: Option<Box<QuorumDef>>,
    /// Where its backups go (database, cache, storage).
    pub backup: Option<Box<BackupDef>>,
    /// Software, as written.
    pub software: Option<String>,
    /// Software version, as written.
    pub version: Option<String>,
    /// Its own firewall (for a component without a host).
    pub firewall: Option<Box<FirewallDef>>,
    /// Its own agent (for a component without a host).
    pub monitoring: Option<Box<AgentDef>>,
    /// Load balancer details.
    pub load_balancer: Option<Box<LoadBalancerDef>>,
    /// Listeners.
    pub listeners: Vec<ListenerDef>,
    /// Data store details (databases and caches).
    pub data_store: Option<Box<DataStoreDef>>,
    /// Monitoring details.
    pub monitor: Option<Box<MonitorDef>>,
    /// Network firewall details.
    pub network_firewall: Option<Box<NetworkFirewallDef>>,
    /// Its suppressions.
    pub suppress: Vec<Spanned<Suppression>>,
    /// The span of the whole definition.
    pub span: Span,
}

impl ComponentDef {
    /// The quorum that governs its replication cluster's failover: a primary's.
    pub fn cluster_quorum(&self) -> Option<&QuorumDef> {
        self.quorum.as_deref().filter(|_| {
            self.data_store
                .as_ref()
                .is_some_and(|d| d.role == Role::Primary)
        })
    }

    /// The quorum it works under itself: any component's but a primary's.
    pub fn own_quorum(&self) -> Option<&QuorumDef> {
        self.quorum
            .as_deref()
            .filter(|_| self.cluster_quorum().is_none())
    }
}

/// A load balancer's pool and cluster.
#[derive(Debug)]
pub struct LoadBalancerDef {
    /// Its targets, in order, with where each is named.
    pub targets: Vec<(ComponentId, Span)>,
    /// The `targets:` list's span.
    pub targets_span: Span,
    /// The links it has to its targets, one per target.
    pub target_links: Vec<LinkId>,
    /// Active-active or active-passive.
    pub mode: Mode,
    /// Its peers.
    pub peers: Vec<(ComponentId, Span)>,
    /// How peers take over.
    pub failover: Failover,
    /// Whether it has health checks.
    pub health_check: bool,
    /// The span of `balancing:`'s key.
    pub balancing_span: Span,
}

/// A listener.
#[derive(Debug)]
pub struct ListenerDef {
    /// The port.
    pub port: u16,
    /// The protocol.
    pub protocol: Protocol,
    /// The certificate it serves.
    pub certificate: Option<CertId>,
    /// Whether it redirects plain HTTP to HTTPS.
    pub redirect_to_https: bool,
    /// Where it is written.
    pub span: Span,
}

/// A database's or cache's replication settings.
#[derive(Debug)]
pub struct DataStoreDef {
    /// Its role.
    pub role: Role,
    /// Its replication source.
    pub replicates_from: Option<(ComponentId, Span)>,
    /// How a replica is promoted (read from the primary).
    pub failover: Failover,
    /// Whether a replica says `failover: none`: it stays out of promotion.
    pub opted_out: bool,
    /// Replication mode.
    pub replication_mode: ReplicationMode,
    /// Whether replication is encrypted.
    pub replication_tls: bool,
    /// The engine, as written.
    pub engine: Option<String>,
}

/// A data store's backups.
#[derive(Debug)]
pub struct BackupDef {
    /// The storage component they go to.
    pub to: ComponentId,
    /// Where `to:` is written.
    pub to_span: Span,
    /// Hours between backups.
    pub interval_h: Option<u32>,
    /// The last day a restore was tried.
    pub restore_tested: Option<Spanned<Date>>,
    /// Where `backup:` is written (its key).
    pub span: Span,
}

/// A k-of-n gate: `needs` of `voters` must work.
#[derive(Debug)]
pub struct QuorumDef {
    /// The voters, sorted and distinct.
    pub voters: Vec<ComponentId>,
    /// How many must work: 1..=voters.len().
    pub needs: u32,
    /// On a primary: whether the quorum gates writes (consensus) rather than promotion.
    pub gates_writes: bool,
    /// Where `quorum:` is written (its key).
    pub span: Span,
}

impl QuorumDef {
    /// How many voters can fail before the quorum is lost.
    pub fn tolerates(&self) -> usize {
        self.voters.len() - self.needs as usize
    }
}

/// A monitoring component's targets.
#[derive(Debug)]
pub struct MonitorDef {
    /// What it scrapes: components and hosts.
    pub monitors: Vec<(Ref, Span)>,
    /// Where alerts go.
    pub alerts_to: Vec<String>,
}

/// A network firewall: what it protects and its rules.
#[derive(Debug)]
pub struct NetworkFirewallDef {
    /// What it stands in front of: components, hosts or zones.
    pub protects: Vec<(Ref, Span)>,
    /// Its rules.
    pub rules: FirewallDef,
}

/// A firewall's rules.
#[derive(Debug)]
pub struct FirewallDef {
    /// Whether traffic no rule admits is admitted.
    pub default_allow: bool,
    /// The allow rules.
    pub allow: Vec<AllowDef>,
    /// Where the firewall is written.
    pub span: Span,
}

/// An allow rule.
#[derive(Debug)]
pub struct AllowDef {
    /// The ports it admits.
    pub port: PortSpec,
    /// The sources it admits.
    pub from: Source,
    /// Where it is written.
    pub span: Span,
}

/// The source an allow rule admits.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// Anything.
    Any,
    /// Components in a zone.
    Zone(ZoneId),
    /// One component.
    Component(ComponentId),
    /// Components on a host.
    Host(HostId),
    /// An address range.
    Cidr(Cidr),
}

/// A monitoring agent.
#[derive(Debug)]
pub struct AgentDef {
    /// The agent's name.
    pub agent: String,
    /// The monitoring component it reports to.
    pub reports_to: Option<ComponentId>,
    /// Where it is written.
    pub span: Span,
}

/// Where a link comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkOrigin {
    /// Written in `links:`.
    Declared,
    /// Implied by a load balancer's `balancing.targets`.
    Target {
        /// The load balancer.
        lb: ComponentId,
    },
}

/// A link with defaults applied.
#[derive(Debug)]
pub struct LinkDef {
    /// The client side.
    pub from: ComponentId,
    /// The server side.
    pub to: ComponentId,
    /// The protocol (default tcp; LB targets: the backend's, default http).
    pub protocol: Protocol,
    /// The port, when known.
    pub port: Option<u16>,
    /// Whether it is encrypted.
    pub tls: bool,
    /// What it does to a data store.
    pub access: Access,
    /// Declared or implied.
    pub origin: LinkOrigin,
    /// Where it is written: the link's mapping, or the target in `targets:`.
    pub span: Span,
    /// Its suppressions (declared links only).
    pub suppress: Vec<Spanned<Suppression>>,
}

impl LinkDef {
    /// `from->to`, as findings name a link.
    pub fn name(&self, model: &Model) -> String {
        format!(
            "{}->{}",
            model.component(self.from).id.value,
            model.component(self.to).id.value
        )
    }
}

#[cfg(test)]
mod free_suffix_tests {
    use crate::lint::{LintOptions, TEST_TODAY, load_model};
    use crate::source::SourceFile;

    /// The smallest number no `base-N` id uses, counting only numbers written as a fix
    /// writes them, and any kind of id.
    #[test]
    fn the_free_suffix_is_the_smallest_unused_number() {
        let yaml = "version: 1\nname: t\nhosts:\n  app-3: {}\n  web-02: {}\ncomponents:\n  app-2: { kind: app_server, host: app-3 }\n  app-5: { kind: app_server, host: app-3 }\n  web-1: { kind: web_server, host: app-3 }\n";
        let source = SourceFile::new("t.yml", yaml.to_string());
        let options = LintOptions {
            today: TEST_TODAY,
            ..LintOptions::default()
        };
        let model = load_model(&source, &options).unwrap_or_else(|_| panic!("valid"));
        assert_eq!(model.free_suffix("app"), 4);
        assert_eq!(
            model.free_suffix("web"),
            2,
            "web-02 and web-1 take no number from 2"
        );
        assert_eq!(model.free_suffix("db"), 2);
    }
}
