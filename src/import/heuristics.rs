//! The one table of what a name or an image says a component is, and what a port
//! number says a link speaks: shared by every importer, so that `redis` means the same
//! in Compose, Kubernetes and Threagile.

use crate::model::document::Kind;

/// What a name says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guess {
    /// The kind.
    pub kind: Kind,
    /// The engine, for data stores.
    pub engine: Option<&'static str>,
    /// The software's canonical name.
    pub software: &'static str,
}

/// Software by the name an image or a workload goes by: (names, kind, engine, canonical).
/// Load balancers are listed as `LoadBalancer`: a proxy with no outbound link is a
/// `web_server` ([`proxy_kind`]).
const TABLE: &[(&[&str], Kind, bool, &str)] = &[
    (&["mysql"], Kind::Database, true, "mysql"),
    (&["mariadb"], Kind::Database, true, "mariadb"),
    (
        &["postgres", "postgresql", "postgis"],
        Kind::Database,
        true,
        "postgres",
    ),
    (&["mongo", "mongodb"], Kind::Database, true, "mongo"),
    (&["cassandra"], Kind::Database, true, "cassandra"),
    (
        &["cockroach", "cockroachdb"],
        Kind::Database,
        true,
        "cockroachdb",
    ),
    (&["elasticsearch"], Kind::Database, true, "elasticsearch"),
    (&["opensearch"], Kind::Database, true, "opensearch"),
    (&["redis"], Kind::Cache, true, "redis"),
    (&["valkey"], Kind::Cache, true, "valkey"),
    (&["memcached"], Kind::Cache, true, "memcached"),
    (&["kafka", "cp-kafka"], Kind::Queue, true, "kafka"),
    (&["rabbitmq"], Kind::Queue, true, "rabbitmq"),
    (&["nats"], Kind::Queue, true, "nats"),
    (&["redpanda"], Kind::Queue, true, "redpanda"),
    (&["minio"], Kind::Storage, true, "minio"),
    (&["prometheus"], Kind::Monitoring, false, "prometheus"),
    (&["nginx"], Kind::LoadBalancer, false, "nginx"),
    (&["haproxy"], Kind::LoadBalancer, false, "haproxy"),
    (&["traefik"], Kind::LoadBalancer, false, "traefik"),
    (&["envoy"], Kind::LoadBalancer, false, "envoy"),
    (&["caddy"], Kind::LoadBalancer, false, "caddy"),
];

/// Words after a software's name that make the image something else: an exporter of
/// Redis metrics is not Redis.
const NOT_THE_SOFTWARE: &[&str] = &[
    "exporter",
    "operator",
    "admin",
    "commander",
    "ui",
    "insight",
    "client",
    "cli",
    "init",
    "backup",
    "sidecar",
    "controller",
    "ingress",
    "gateway",
    "adapter",
    "pushgateway",
];

/// Stores whose members are peers (multi-leader or consensus): replicas are instances
/// of one component, never a primary and replicas.
pub const CONSENSUS: &[&str] = &[
    "cassandra",
    "cockroachdb",
    "elasticsearch",
    "opensearch",
    "zookeeper",
    "etcd",
    "galera",
    "nats",
    "kafka",
    "redpanda",
];

/// The software an image names: the last path segment without tag or digest
/// (`docker.io/bitnami/redis:7.2@sha256:...` is `redis`).
pub fn image_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

/// The tag of an image, when it has one (`redis:7.2` is `7.2`).
pub fn image_tag(image: &str) -> Option<&str> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split_once(':')
        .map(|(_, t)| t)
        .filter(|t| !t.is_empty() && *t != "latest")
}

/// What a name (an image's, a service's) says it is, when the table knows it: the name
/// is one of the table's names, or starts with one followed by a separator or a digit,
/// and no later word makes it a tool around that software.
pub fn guess(name: &str) -> Option<Guess> {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().skip(1).any(|w| NOT_THE_SOFTWARE.contains(w)) {
        return None;
    }
    for (names, kind, engine, software) in TABLE {
        for n in *names {
            let matches = lower == *n
                || lower.strip_prefix(n).is_some_and(|rest| {
                    rest.starts_with(|c: char| matches!(c, '-' | '_' | '.') || c.is_ascii_digit())
                });
            if matches {
                return Some(Guess {
                    kind: *kind,
                    engine: engine.then_some(*software),
                    software,
                });
            }
        }
    }
    None
}

/// An element's kind: the one its hints state, else the guess (a proxy is a load
/// balancer only when it calls others: behind a Service or a published port, a proxy
/// that calls nothing is a web server), else `service`.
pub fn kind_of(stated: Option<Kind>, guessed: Option<Kind>, calls_others: bool) -> Kind {
    match (stated, guessed) {
        (Some(k), _) => k,
        (None, Some(Kind::LoadBalancer)) => proxy_kind(calls_others),
        (None, Some(g)) => g,
        (None, None) => Kind::Service,
    }
}

/// A load balancer's kind given whether it calls other services: a proxy that calls
/// nothing is a web server.
pub fn proxy_kind(calls_others: bool) -> Kind {
    if calls_others {
        Kind::LoadBalancer
    } else {
        Kind::WebServer
    }
}

/// The protocol an engine speaks, in the format's protocol names.
pub fn engine_protocol(engine: &str) -> Option<&'static str> {
    Some(match engine {
        "mysql" | "mariadb" => "mysql",
        "postgres" | "cockroachdb" => "postgres",
        "redis" | "valkey" => "redis",
        "rabbitmq" => "amqp",
        "elasticsearch" | "opensearch" | "minio" => "http",
        _ => return None,
    })
}

/// The protocol a well-known port number says.
pub fn port_protocol(port: u16) -> Option<&'static str> {
    Some(match port {
        80 | 8080 | 8000 | 3000 | 9090 | 9200 => "http",
        443 | 8443 => "https",
        3306 => "mysql",
        5432 | 26257 => "postgres",
        6379 => "redis",
        5672 => "amqp",
        22 => "ssh",
        25 | 587 => "smtp",
        53 => "dns",
        _ => return None,
    })
}

/// The protocol a URL scheme names.
pub fn scheme_protocol(scheme: &str) -> Option<&'static str> {
    Some(match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => "http",
        "https" | "wss" => "https",
        "mysql" | "mariadb" => "mysql",
        "postgres" | "postgresql" => "postgres",
        "redis" => "redis",
        "rediss" => "tls",
        "amqp" => "amqp",
        "amqps" => "tls",
        "grpc" => "grpc",
        "grpcs" => "grpcs",
        "smtp" => "smtp",
        "ssh" => "ssh",
        "mongodb" | "nats" | "kafka" => "tcp",
        _ => return None,
    })
}

/// The protocol a Kubernetes `appProtocol` or port name prefix (`http-web`) names.
pub fn named_protocol(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let prefix = lower.split(['-', '/', '_']).next().unwrap_or("");
    let prefix = prefix.rsplit('.').next().unwrap_or(prefix);
    Some(match prefix {
        "http" | "http2" | "h2c" | "web" => "http",
        "https" => "https",
        "grpc" => "grpc",
        "grpcs" => "grpcs",
        "tls" => "tls",
        "tcp" => "tcp",
        "mysql" => "mysql",
        "postgres" | "postgresql" => "postgres",
        "redis" => "redis",
        "amqp" => "amqp",
        "dns" => "dns",
        "ssh" => "ssh",
        "smtp" => "smtp",
        _ => return None,
    })
}

/// Whether a value names a service as a host, and with what: `(scheme, host, port)`
/// from `svc`, `svc:port`, `scheme://[user@]host[:port][/path]`. Only the host part
/// is returned; the caller checks that it names a service.
pub fn host_of(value: &str) -> Option<(Option<&str>, &str, Option<u16>)> {
    let value = value.trim();
    if value.is_empty() || value.len() > 2048 {
        return None;
    }
    let (scheme, rest) = match value.split_once("://") {
        Some((s, r))
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+') =>
        {
            (Some(s), r)
        }
        Some(_) => return None,
        None => (None, value),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    // A list of hosts (`a:9092,b:9092`): the first one.
    let host_port = host_port.split(',').next().unwrap_or(host_port);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => match p.parse::<u16>() {
            Ok(p) if p > 0 => (h, Some(p)),
            _ => return None,
        },
        None => (host_port, None),
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return None;
    }
    Some((scheme, host, port))
}

/// Whether an environment variable's name marks its value as a host reference.
pub fn names_a_host(var: &str) -> bool {
    let upper = var.to_ascii_uppercase();
    upper == "DATABASE_URL"
        || [
            "_HOST",
            "_ADDR",
            "_URL",
            "_URI",
            "_HOSTNAME",
            "_ADDRESS",
            "_SERVER",
            "_SERVERS",
            "_HOSTS",
            "_ENDPOINT",
        ]
        .iter()
        .any(|s| upper.ends_with(s))
        || matches!(upper.as_str(), "HOST" | "URL" | "ADDR")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_name_their_software() {
        assert_eq!(image_name("docker.io/bitnami/redis:7.2@sha256:ab"), "redis");
        assert_eq!(image_name("postgres"), "postgres");
        assert_eq!(image_tag("redis:7.2-alpine"), Some("7.2-alpine"));
        assert_eq!(image_tag("localhost:5000/app"), None);
        assert_eq!(guess("redis").map(|g| g.kind), Some(Kind::Cache));
        assert_eq!(guess("redis-cart").map(|g| g.engine), Some(Some("redis")));
        assert_eq!(guess("postgresql").map(|g| g.software), Some("postgres"));
        assert_eq!(guess("postgres-exporter"), None);
        assert_eq!(guess("redisinsight"), None);
        assert_eq!(guess("webapp"), None);
        assert_eq!(guess("nginx").map(|g| g.kind), Some(Kind::LoadBalancer));
    }

    #[test]
    fn values_name_hosts() {
        assert_eq!(host_of("db"), Some((None, "db", None)));
        assert_eq!(
            host_of("redis-cart:6379"),
            Some((None, "redis-cart", Some(6379)))
        );
        assert_eq!(
            host_of("postgres://user:pw@db:5432/app"),
            Some((Some("postgres"), "db", Some(5432)))
        );
        assert_eq!(host_of("trust"), Some((None, "trust", None)));
        assert_eq!(host_of("a b"), None);
        assert_eq!(host_of("db:notaport"), None);
        assert!(names_a_host("REDIS_HOST"));
        assert!(names_a_host("DATABASE_URL"));
        assert!(!names_a_host("POSTGRES_HOST_AUTH_METHOD"));
    }
}
