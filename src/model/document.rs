//! The topology format v1 as written: what a file holds, with spans. These types are
//! the format's one definition: the parser reads them and `infra-lint schema` derives
//! the JSON Schema from them.

use std::fmt;
use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::yaml::{Counted, Recover, Spanned, Text};

/// A whole topology file.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schemars(title = "infra-lint topology, format version 1")]
pub struct Document {
    /// Format version; only 1 is known.
    #[schemars(extend("const" = 1))]
    pub version: Spanned<i64>,
    /// The topology's name.
    pub name: Spanned<Text>,
    /// What the topology is.
    #[serde(default)]
    pub description: Option<String>,
    /// Network trust zones. `internet` (public) exists even when not declared.
    #[serde(default)]
    pub zones: IdMap<Zone>,
    /// Machines: the failure domains components run on.
    #[serde(default)]
    pub hosts: IdMap<Host>,
    /// TLS certificates that listeners name.
    #[serde(default)]
    pub certificates: IdMap<Certificate>,
    /// Services: the nodes of the graph.
    pub components: IdMap<Component>,
    /// Request flows: the edges of the graph.
    #[serde(default)]
    pub links: Vec<Recover<Spanned<Link>>>,
    /// Accepted findings about no single element (a failure-domain value).
    #[serde(default)]
    pub suppress: Vec<Spanned<Suppression>>,
}

/// A mapping from ids to definitions, in file order. Duplicate ids are kept here and
/// reported by validation; an entry whose value failed to parse keeps its id, so
/// references to it are not reported as missing. Definitions are boxed: the list
/// grows by doubling, and moving small entries keeps a large file's peak memory down.
#[derive(Debug, PartialEq)]
pub struct IdMap<T>(pub Vec<(Spanned<Text>, Definition<T>)>);

/// One definition in an [`IdMap`]: boxed, spanned, and possibly failed to parse.
pub type Definition<T> = Recover<Spanned<Box<T>>>;

impl<T> Default for IdMap<T> {
    fn default() -> Self {
        IdMap(Vec::new())
    }
}

/// What a definition's id counts against while the file is read (see
/// [`crate::yaml::Limits::max_ids`]).
pub trait Section {
    /// Ids, or components and hosts (ids the availability analysis handles).
    const COUNTED: Counted;
}

impl Section for Zone {
    const COUNTED: Counted = Counted::Ids;
}

impl Section for Host {
    const COUNTED: Counted = Counted::Elements;
}

impl Section for Certificate {
    const COUNTED: Counted = Counted::Ids;
}

impl Section for Component {
    const COUNTED: Counted = Counted::Elements;
}

impl<'de, T: Deserialize<'de> + Section> Deserialize<'de> for IdMap<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdMapVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for IdMapVisitor<T> {
            type Value = IdMap<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping from ids to definitions")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(id) = map.next_key::<Spanned<Text>>()? {
                    entries.push((id, map.next_value::<Definition<T>>()?));
                }
                Ok(IdMap(entries))
            }
        }

        crate::yaml::deserialize_counted(deserializer, T::COUNTED, IdMapVisitor(PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for IdMap<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("IdMap_of_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let value = generator.subschema_for::<T>();
        schemars::json_schema!({
            "type": "object",
            "propertyNames": { "pattern": ID_PATTERN, "maxLength": 63 },
            "additionalProperties": value,
        })
    }
}

/// The shape of an id, for the JSON Schema (validation checks the same rule in code).
pub const ID_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$";

/// A network segment with a trust level.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// How far traffic from this zone is trusted.
    pub trust: Spanned<Trust>,
    /// The zone's address range, so firewall rules can name it by CIDR.
    #[serde(default)]
    pub cidr: Option<Spanned<Text>>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// Trust levels, lowest first.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// The internet.
    Public,
    /// A demilitarised zone.
    Dmz,
    /// An internal network.
    Private,
    /// The most protected segment.
    Restricted,
}

/// A machine: components on one host fail together.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// The host's network zone.
    #[serde(default)]
    pub zone: Option<Spanned<Text>>,
    /// Larger failure domains, one value per level (`rack: r1`).
    #[serde(default)]
    pub failure_domains: Option<Spanned<Pairs>>,
    /// A host firewall.
    #[serde(default)]
    pub firewall: Option<Spanned<Firewall>>,
    /// A monitoring agent on the host.
    #[serde(default)]
    pub monitoring: Option<Spanned<Monitoring>>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Findings accepted on purpose.
    #[serde(default)]
    pub suppress: Vec<Spanned<Suppression>>,
}

/// Free keys with string values, in file order (`failure_domains`).
#[derive(Debug, Default, PartialEq)]
pub struct Pairs(pub Vec<(Spanned<Text>, Spanned<Text>)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;

        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of levels to values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some(key) = map.next_key()? {
                    pairs.push((key, map.next_value()?));
                }
                Ok(Pairs(pairs))
            }
        }

        deserializer.deserialize_map(PairsVisitor)
    }
}

impl JsonSchema for Pairs {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FailureDomains".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "One value per failure-domain level, e.g. { rack: r1, datacenter: dc1 }.",
            "additionalProperties": { "type": ["string", "integer"] },
        })
    }
}

/// A firewall's rules (on a host, or on a component without a host).
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Firewall {
    /// What happens to traffic no rule admits (default deny).
    #[serde(default)]
    pub default_inbound: Option<Spanned<Inbound>>,
    /// Admitted traffic.
    #[serde(default)]
    pub allow: Vec<Spanned<AllowRule>>,
}

/// The default verdict of a firewall.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Inbound {
    /// Drop what no rule admits.
    Deny,
    /// Admit everything.
    Allow,
}

/// One allow rule.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AllowRule {
    /// A port, a range `"8000-8100"`, or `any`.
    pub port: Spanned<PortValue>,
    /// `any`, a zone, a component, a host, or a CIDR.
    pub from: Spanned<Text>,
}

/// A port as written: an integer, or text (a range or `any`), checked by validation.
#[derive(Clone, Debug, PartialEq)]
pub enum PortValue {
    /// An integer, any size: validation reports one outside 1..65535.
    Number(i64),
    /// A range or `any`.
    Text(String),
}

impl<'de> Deserialize<'de> for PortValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PortVisitor;

        impl Visitor<'_> for PortVisitor {
            type Value = PortValue;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port: an integer, a range \"8000-8100\", or `any`")
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortValue, E> {
                Ok(PortValue::Number(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PortValue, E> {
                Ok(PortValue::Number(i64::try_from(v).unwrap_or(i64::MAX)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortValue, E> {
                Ok(PortValue::Text(v.to_owned()))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<PortValue, E> {
                Ok(PortValue::Text(v))
            }
        }

        deserializer.deserialize_any(PortVisitor)
    }
}

impl JsonSchema for PortValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Port".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A port (1..65535), an inclusive range \"8000-8100\", or `any`.",
            "oneOf": [
                { "type": "integer", "minimum": 1, "maximum": 65535 },
                { "type": "string", "pattern": "^(any|[0-9]{1,5}( *- *[0-9]{1,5})?)$" },
            ],
        })
    }
}

/// A monitoring agent.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// The agent (sumologic, datadog, node_exporter...).
    pub agent: Spanned<Text>,
    /// The monitoring component it reports to.
    #[serde(default)]
    pub reports_to: Option<Spanned<Text>>,
}

/// What a component is.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An origin of traffic, outside the system.
    Client,
    /// A name service.
    Dns,
    /// A content delivery network.
    Cdn,
    /// A load balancer.
    LoadBalancer,
    /// A web server.
    WebServer,
    /// An application server.
    AppServer,
    /// Any other service.
    Service,
    /// A database.
    Database,
    /// A cache.
    Cache,
    /// A message queue.
    Queue,
    /// Object or file storage.
    Storage,
    /// A network firewall.
    Firewall,
    /// A monitoring system.
    Monitoring,
}

impl Kind {
    /// The name as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Client => "client",
            Kind::Dns => "dns",
            Kind::Cdn => "cdn",
            Kind::LoadBalancer => "load_balancer",
            Kind::WebServer => "web_server",
            Kind::AppServer => "app_server",
            Kind::Service => "service",
            Kind::Database => "database",
            Kind::Cache => "cache",
            Kind::Queue => "queue",
            Kind::Storage => "storage",
            Kind::Firewall => "firewall",
            Kind::Monitoring => "monitoring",
        }
    }

    /// Whether it holds data (databases, caches, storage, queues).
    pub fn is_data_store(self) -> bool {
        matches!(
            self,
            Kind::Database | Kind::Cache | Kind::Storage | Kind::Queue
        )
    }
}

/// A service: a node of the graph. Kind-specific fields are checked against `kind` by
/// validation (IL006), so one flat type reads every kind.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// What it is.
    pub kind: Spanned<Kind>,
    /// The host it runs on; without one it is its own failure domain.
    #[serde(default)]
    pub host: Option<Spanned<Text>>,
    /// Its zone, overriding the host's.
    #[serde(default)]
    pub zone: Option<Box<Spanned<Text>>>,
    /// Free text: haproxy, nginx, mysql...
    #[serde(default)]
    pub software: Option<Spanned<Text>>,
    /// The software's version, a string.
    #[serde(default)]
    pub version: Option<Spanned<Text>>,
    /// Identical instances behind this id (default 1).
    #[serde(default)]
    #[schemars(range(min = 1, max = 4_294_967_295_i64))]
    pub instances: Option<Spanned<i64>>,
    /// Whether users need it (default true; kind monitoring: false).
    #[serde(default)]
    pub critical: Option<Spanned<bool>>,
    /// A redundancy group: components with the same label are interchangeable.
    #[serde(default)]
    pub service: Option<Spanned<Text>>,
    /// Run by a provider whose redundancy is its own (S3, Route 53, an ALB, RDS's
    /// endpoint): no failure event of its own, no host (default false).
    #[serde(default)]
    pub managed: Option<Spanned<bool>>,
    /// Works only while `needs` of `voters` work; on a primary with automatic failover,
    /// who must agree on a promotion (or on writes).
    #[serde(default)]
    pub quorum: Option<Box<Spanned<Quorum>>>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// A firewall for a component without a host.
    #[serde(default)]
    pub firewall: Option<Box<Spanned<Firewall>>>,
    /// A monitoring agent for a component without a host.
    #[serde(default)]
    pub monitoring: Option<Box<Spanned<Monitoring>>>,
    /// Findings accepted on purpose.
    #[serde(default)]
    pub suppress: Vec<Spanned<Suppression>>,

    /// `client` only: an origin of traffic (default true for clients).
    #[serde(default)]
    pub entrypoint: Option<Spanned<bool>>,

    /// `load_balancer` only: how it balances, and over what.
    #[serde(default)]
    pub balancing: Option<Box<Spanned<Balancing>>>,
    /// `load_balancer` only: the other LBs of its cluster.
    #[serde(default)]
    pub peers: Option<Box<Spanned<Vec<Spanned<Text>>>>>,
    /// `load_balancer`: vrrp, dns, anycast or none; `database`/`cache` primary: none,
    /// manual or automatic.
    #[serde(default)]
    pub failover: Option<Spanned<Failover>>,
    /// `load_balancer`, `web_server`, `app_server`, `service`: where it accepts connections.
    #[serde(default)]
    pub listeners: Option<Box<Spanned<Vec<Spanned<Listener>>>>>,

    /// `database`/`cache` only: mysql, postgres, redis...
    #[serde(default)]
    pub engine: Option<Box<Spanned<Text>>>,
    /// `database`/`cache` only: primary, replica or standalone (default).
    #[serde(default)]
    pub role: Option<Spanned<Role>>,
    /// `database`/`cache` replica: its primary.
    #[serde(default)]
    pub replicates_from: Option<Box<Spanned<Text>>>,
    /// `database`/`cache` only: how replication runs.
    #[serde(default)]
    pub replication: Option<Box<Spanned<Replication>>>,
    /// `database`, `cache`, `storage`: where backups go.
    #[serde(default)]
    pub backup: Option<Box<Spanned<Backup>>>,

    /// `monitoring` only: what it scrapes.
    #[serde(default)]
    pub monitors: Option<Box<Spanned<Vec<Spanned<Text>>>>>,
    /// `monitoring` only: where alerts go.
    #[serde(default)]
    pub alerts_to: Option<Box<Spanned<Vec<Spanned<Text>>>>>,

    /// `firewall` only: the components, hosts or zones it stands in front of.
    #[serde(default)]
    pub protects: Option<Box<Spanned<Vec<Spanned<Text>>>>>,
    /// `firewall` only: admitted traffic.
    #[serde(default)]
    pub allow: Option<Box<Spanned<Vec<Spanned<AllowRule>>>>>,
    /// `firewall` only: what happens to traffic no rule admits.
    #[serde(default)]
    pub default_inbound: Option<Spanned<Inbound>>,
}

/// A load balancer's pool.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Balancing {
    /// How requests are spread.
    #[serde(default)]
    pub algorithm: Option<Spanned<Algorithm>>,
    /// Whether all targets serve at once.
    #[serde(default)]
    pub mode: Option<Spanned<Mode>>,
    /// The targets; each gets a link from the load balancer.
    pub targets: Spanned<Vec<Spanned<Text>>>,
    /// The links to targets (default http on port 80).
    #[serde(default)]
    pub backend: Option<Spanned<Backend>>,
    /// Health checks; absent means none.
    #[serde(default)]
    pub health_check: Option<Spanned<HealthCheck>>,
}

/// Balancing algorithms.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// In turn.
    RoundRobin,
    /// In turn, by weight.
    WeightedRoundRobin,
    /// To the least busy.
    LeastConnections,
    /// By the client's address.
    SourceHash,
    /// At random.
    Random,
}

/// Whether all targets serve at once.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// All targets serve.
    ActiveActive,
    /// One serves, the others stand by.
    ActivePassive,
}

/// The links from a load balancer to its targets.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    /// Default http.
    #[serde(default)]
    pub protocol: Option<Spanned<Protocol>>,
    /// Default 80.
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<Spanned<i64>>,
    /// Default: from the protocol.
    #[serde(default)]
    pub tls: Option<Spanned<bool>>,
    /// For a pool of data stores: read, write or read_write (default).
    #[serde(default)]
    pub access: Option<Spanned<Access>>,
}

/// A load balancer's health checks.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    /// The path probed (HTTP checks).
    #[serde(default)]
    pub path: Option<Spanned<Text>>,
    /// The port probed, when not the backend's.
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<Spanned<i64>>,
    /// Seconds between probes.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub interval_s: Option<Spanned<i64>>,
    /// Seconds before a probe fails.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub timeout_s: Option<Spanned<i64>>,
}

/// How a redundant peer or replica takes over.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Failover {
    /// No takeover.
    None,
    /// Load balancers: a shared virtual IP (keepalived).
    Vrrp,
    /// Load balancers: DNS points elsewhere.
    Dns,
    /// Load balancers: anycast routing.
    Anycast,
    /// Databases: an operator promotes a replica.
    Manual,
    /// Databases: a replica is promoted automatically.
    Automatic,
}

impl Failover {
    /// The name as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Failover::None => "none",
            Failover::Vrrp => "vrrp",
            Failover::Dns => "dns",
            Failover::Anycast => "anycast",
            Failover::Manual => "manual",
            Failover::Automatic => "automatic",
        }
    }
}

/// A port a component accepts connections on.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// The port.
    #[schemars(range(min = 1, max = 65535))]
    pub port: Spanned<i64>,
    /// The protocol spoken.
    pub protocol: Spanned<Protocol>,
    /// The certificate served (https, tls, grpcs).
    #[serde(default)]
    pub certificate: Option<Spanned<Text>>,
    /// Whether plain HTTP requests are redirected to HTTPS.
    #[serde(default)]
    pub redirect_to_https: Option<Spanned<bool>>,
}

/// Protocols of links and listeners.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// HTTP.
    Http,
    /// HTTP over TLS.
    Https,
    /// Raw TCP.
    Tcp,
    /// TCP over TLS.
    Tls,
    /// gRPC.
    Grpc,
    /// gRPC over TLS.
    Grpcs,
    /// MySQL.
    Mysql,
    /// PostgreSQL.
    Postgres,
    /// Redis.
    Redis,
    /// AMQP.
    Amqp,
    /// SMTP.
    Smtp,
    /// DNS.
    Dns,
    /// SSH.
    Ssh,
    /// Anything else.
    Other,
}

impl Protocol {
    /// The name as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Https => "https",
            Protocol::Tcp => "tcp",
            Protocol::Tls => "tls",
            Protocol::Grpc => "grpc",
            Protocol::Grpcs => "grpcs",
            Protocol::Mysql => "mysql",
            Protocol::Postgres => "postgres",
            Protocol::Redis => "redis",
            Protocol::Amqp => "amqp",
            Protocol::Smtp => "smtp",
            Protocol::Dns => "dns",
            Protocol::Ssh => "ssh",
            Protocol::Other => "other",
        }
    }

    /// Whether the protocol is encrypted by definition.
    pub fn implies_tls(self) -> bool {
        matches!(self, Protocol::Https | Protocol::Tls | Protocol::Grpcs)
    }
}

/// A data store's role in replication.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Accepts writes; replicas copy it.
    Primary,
    /// A read-only copy.
    Replica,
    /// No replication.
    Standalone,
}

/// Where a data store's backups go, how often, and when a restore was last tried.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// The storage component the backups go to.
    pub to: Spanned<Text>,
    /// Hours between backups.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub interval_h: Option<Spanned<i64>>,
    /// The last day a restore from these backups was tried, YYYY-MM-DD.
    #[serde(default)]
    #[schemars(extend("format" = "date"))]
    pub restore_tested: Option<Spanned<Text>>,
}

/// A k-of-n gate: who must work (or agree) for something to work.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Quorum {
    /// The voters: component ids (Sentinels, arbiters, the members themselves).
    pub voters: Spanned<Vec<Spanned<Text>>>,
    /// How many must work; default a majority, floor(n/2) + 1.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub needs: Option<Spanned<i64>>,
    /// On a primary only: what the quorum gates (default promotion).
    #[serde(default, rename = "for")]
    pub gates: Option<Spanned<QuorumFor>>,
}

/// What a primary's quorum gates.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QuorumFor {
    /// A replica takes over only while the quorum holds (Redis Sentinel).
    Promotion,
    /// The cluster accepts writes only while it holds (MongoDB, etcd, Raft).
    Writes,
}

/// How a replica follows its primary.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Replication {
    /// Default async.
    #[serde(default)]
    pub mode: Option<Spanned<ReplicationMode>>,
    /// Default false.
    #[serde(default)]
    pub tls: Option<Spanned<bool>>,
}

/// Replication modes.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReplicationMode {
    /// The primary does not wait.
    Async,
    /// The primary waits for one replica to receive.
    SemiSync,
    /// The primary waits for replicas to apply.
    Sync,
}

impl ReplicationMode {
    /// The name as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplicationMode::Async => "async",
            ReplicationMode::SemiSync => "semi_sync",
            ReplicationMode::Sync => "sync",
        }
    }
}

/// A TLS certificate.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Certificate {
    /// The names it covers.
    #[serde(default)]
    pub domains: Vec<Spanned<Text>>,
    /// Expiry date, YYYY-MM-DD.
    #[serde(default)]
    #[schemars(extend("format" = "date"))]
    pub expires: Option<Spanned<Text>>,
    /// The lowest TLS version accepted: "1.0", "1.1", "1.2" or "1.3".
    #[serde(default)]
    // Unquoted, 1.2 is a number to other YAML readers and text to infra-lint.
    #[schemars(extend(
        "type" = ["string", "number", "null"],
        "enum" = ["1.0", "1.1", "1.2", "1.3", 1.1, 1.2, 1.3, null],
    ))]
    pub min_tls_version: Option<Spanned<Text>>,
    /// Who issued it.
    #[serde(default)]
    pub issuer: Option<Spanned<Text>>,
    /// Findings accepted on purpose.
    #[serde(default)]
    pub suppress: Vec<Spanned<Suppression>>,
}

/// A directed request flow: `from` opens connections to `to`.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The client side.
    pub from: Spanned<Text>,
    /// The server side.
    pub to: Spanned<Text>,
    /// Default tcp.
    #[serde(default)]
    pub protocol: Option<Spanned<Protocol>>,
    /// The port connected to.
    #[serde(default)]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<Spanned<i64>>,
    /// Default: true for https, tls and grpcs.
    #[serde(default)]
    pub tls: Option<Spanned<bool>>,
    /// To a data store: read, write or read_write (default).
    #[serde(default)]
    pub access: Option<Spanned<Access>>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Findings accepted on purpose.
    #[serde(default)]
    pub suppress: Vec<Spanned<Suppression>>,
}

/// What a link does to a data store.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Reads only.
    Read,
    /// Writes only.
    Write,
    /// Both.
    ReadWrite,
}

impl Access {
    /// The name as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::ReadWrite => "read_write",
        }
    }

    /// Whether the link reads.
    pub fn reads(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }

    /// Whether the link writes.
    pub fn writes(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }
}

/// A finding accepted on purpose.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// The rule's code or name.
    pub rule: Spanned<Text>,
    /// Why (required: a suppression without one is reported).
    #[serde(default)]
    pub reason: Option<Spanned<Text>>,
    /// The last day it holds, YYYY-MM-DD.
    #[serde(default)]
    #[schemars(extend("format" = "date"))]
    pub until: Option<Spanned<Text>>,
    /// Top-level only: the subject (a failure-domain value such as `rack:r1`).
    #[serde(default)]
    pub subject: Option<Spanned<Text>>,
}
