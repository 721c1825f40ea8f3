//! What an importer builds: a topology in the format's terms, each element with the
//! span of the source it came from; written as format-v1 YAML with a map from the
//! written text back to the source, so that findings on the written topology point
//! into the source file.

use std::fmt::Write;

use crate::fix::scalar;
use crate::model::document::Kind;
use crate::source::Span;

/// An imported topology.
#[derive(Debug, Default)]
pub struct Topology {
    /// The topology's name.
    pub name: String,
    /// A line on what it was imported from.
    pub description: String,
    /// The span findings about the whole topology point at.
    pub origin: Span,
    /// Zones, any order (written sorted by id).
    pub zones: Vec<Zone>,
    /// Hosts.
    pub hosts: Vec<Host>,
    /// Certificates.
    pub certificates: Vec<Certificate>,
    /// Components.
    pub components: Vec<Component>,
    /// Links (at most one per pair; written sorted).
    pub links: Vec<Link>,
}

/// A zone.
#[derive(Debug)]
pub struct Zone {
    /// Its id.
    pub id: String,
    /// `public`, `dmz`, `private` or `restricted`.
    pub trust: &'static str,
    /// Where it came from.
    pub origin: Span,
    /// What it came from, for the comment.
    pub from: String,
}

/// A host.
#[derive(Debug)]
pub struct Host {
    /// Its id.
    pub id: String,
    /// Its zone.
    pub zone: Option<String>,
    /// Failure-domain levels and values.
    pub failure_domains: Vec<(String, String)>,
    /// Where it came from.
    pub origin: Span,
    /// What it came from, for the comment.
    pub from: String,
}

/// A certificate.
#[derive(Debug)]
pub struct Certificate {
    /// Its id.
    pub id: String,
    /// Its domains.
    pub domains: Vec<String>,
    /// Where it came from.
    pub origin: Span,
}

/// A listener.
#[derive(Clone, Debug)]
pub struct Listener {
    /// The port.
    pub port: u16,
    /// The protocol (`http`, `https`, `tcp`...).
    pub protocol: &'static str,
    /// The certificate's id.
    pub certificate: Option<String>,
    /// Where it came from.
    pub origin: Span,
}

/// A firewall allow rule.
#[derive(Clone, Debug)]
pub struct Allow {
    /// A port, a range or `any`.
    pub port: String,
    /// `any`, a zone, a component, a host or a CIDR.
    pub from: String,
    /// Where it came from.
    pub origin: Span,
}

/// A component's firewall (default deny).
#[derive(Clone, Debug, Default)]
pub struct Firewall {
    /// The allow rules.
    pub allow: Vec<Allow>,
    /// Where it came from.
    pub origin: Span,
}

/// A suppression entry.
#[derive(Clone, Debug)]
pub struct Suppression {
    /// The rule's code or name.
    pub rule: String,
    /// Why.
    pub reason: Option<String>,
    /// Where it came from.
    pub origin: Span,
}

/// A value with the span it was read from.
#[derive(Clone, Debug)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub origin: Span,
}

impl<T> At<T> {
    /// A value read at `origin`.
    pub fn new(value: T, origin: Span) -> At<T> {
        At { value, origin }
    }
}

/// A component.
#[derive(Debug)]
pub struct Component {
    /// Its id.
    pub id: String,
    /// Its kind.
    pub kind: Kind,
    /// Where it came from (findings about it point here).
    pub origin: Span,
    /// What it came from, for the comment (`service web`, `Deployment default/web`).
    pub from: String,
    /// Its host.
    pub host: Option<String>,
    /// Its zone.
    pub zone: Option<String>,
    /// The software (an image's name).
    pub software: Option<String>,
    /// The software's version (an image's tag).
    pub version: Option<String>,
    /// Identical instances.
    pub instances: Option<At<u64>>,
    /// Whether users need it.
    pub critical: Option<bool>,
    /// Run by a provider.
    pub managed: Option<bool>,
    /// A client that is (not) an origin of traffic.
    pub entrypoint: Option<bool>,
    /// The database engine.
    pub engine: Option<String>,
    /// `primary` or `replica`.
    pub role: Option<&'static str>,
    /// The primary of a replica.
    pub replicates_from: Option<String>,
    /// `automatic` failover on a primary.
    pub failover: Option<&'static str>,
    /// A load balancer's targets.
    pub targets: Vec<String>,
    /// The backend port of a load balancer's target links.
    pub backend_port: Option<u16>,
    /// A load balancer's health check, with its path when the source states one.
    pub health_check: Option<At<Option<String>>>,
    /// Listeners.
    pub listeners: Vec<Listener>,
    /// A firewall.
    pub firewall: Option<Firewall>,
    /// What a monitoring component scrapes.
    pub monitors: Vec<String>,
    /// What a network firewall (kind `firewall`) protects; its rules are `firewall`.
    pub protects: Vec<String>,
    /// Free text.
    pub description: Option<String>,
    /// Suppressions.
    pub suppress: Vec<Suppression>,
}

impl Component {
    /// A component of `kind` with nothing else stated.
    pub fn new(id: String, kind: Kind, origin: Span, from: String) -> Component {
        Component {
            id,
            kind,
            origin,
            from,
            host: None,
            zone: None,
            software: None,
            version: None,
            instances: None,
            critical: None,
            managed: None,
            entrypoint: None,
            engine: None,
            role: None,
            replicates_from: None,
            failover: None,
            targets: Vec::new(),
            backend_port: None,
            health_check: None,
            listeners: Vec::new(),
            firewall: None,
            monitors: Vec::new(),
            protects: Vec::new(),
            description: None,
            suppress: Vec::new(),
        }
    }
}

/// A link.
#[derive(Clone, Debug)]
pub struct Link {
    /// The caller.
    pub from: String,
    /// The callee.
    pub to: String,
    /// The protocol.
    pub protocol: Option<&'static str>,
    /// The port.
    pub port: Option<u16>,
    /// Whether it is encrypted, when the source says.
    pub tls: Option<bool>,
    /// `read`, when the source says the link only reads.
    pub access: Option<&'static str>,
    /// Where the evidence is.
    pub origin: Span,
}

/// Where each part of the written topology came from: regions of the written text,
/// each with its source span and its enclosing region.
#[derive(Debug, Default)]
pub struct SourceMap {
    /// (start, end, source span, parent region), in order of start.
    regions: Vec<(u32, u32, Span, usize)>,
}

impl SourceMap {
    /// The source span for a span of the written text: that of the innermost region
    /// holding its start.
    pub fn source_of(&self, written: Span) -> Span {
        let at = written.start;
        let mut i = self.regions.partition_point(|r| r.0 <= at);
        if i == 0 {
            return self.regions.first().map_or(Span::default(), |r| r.2);
        }
        i -= 1;
        loop {
            let (start, end, source, parent) = self.regions[i];
            if start <= at && at < end.max(start + 1) || i == 0 {
                return source;
            }
            i = parent;
        }
    }
}

/// Writes the text and its source map together.
struct Writer {
    out: String,
    map: SourceMap,
    open: Vec<usize>,
}

impl Writer {
    fn begin(&mut self, origin: Span) {
        let parent = self.open.last().copied().unwrap_or(0);
        self.map
            .regions
            .push((self.out.len() as u32, self.out.len() as u32, origin, parent));
        self.open.push(self.map.regions.len() - 1);
    }

    fn end(&mut self) {
        if let Some(i) = self.open.pop() {
            self.map.regions[i].1 = self.out.len() as u32;
        }
    }

    /// One line of its own origin.
    fn line(&mut self, origin: Span, text: &str) {
        self.begin(origin);
        self.out.push_str(text);
        self.end();
        self.out.push('\n');
    }
}

fn list(items: &[String]) -> String {
    let items: Vec<_> = items.iter().map(|s| scalar(s).into_owned()).collect();
    format!("[{}]", items.join(", "))
}

/// A firewall port: a number bare, a range or `any` as the scalar it is.
fn port_text(port: &str) -> String {
    match port.parse::<u16>() {
        Ok(n) => n.to_string(),
        Err(_) => scalar(port).into_owned(),
    }
}

/// A string always written quoted (a version `7` must stay a string).
fn quoted(s: &str) -> String {
    let written = scalar(s);
    if written.starts_with('"') {
        written.into_owned()
    } else {
        format!("\"{written}\"")
    }
}

fn comment(text: &str) -> String {
    // A comment ends at the line's end: keep it on one line.
    text.replace(['\n', '\r'], " ")
}

impl Topology {
    /// Sorts every list by id, so that the written text does not depend on the order
    /// of the input.
    pub fn sort(&mut self) {
        self.zones.sort_by(|a, b| a.id.cmp(&b.id));
        self.hosts.sort_by(|a, b| a.id.cmp(&b.id));
        self.certificates.sort_by(|a, b| a.id.cmp(&b.id));
        self.components.sort_by(|a, b| a.id.cmp(&b.id));
        self.links
            .sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        for c in &mut self.components {
            c.targets.sort();
            c.targets.dedup();
            c.monitors.sort();
            c.monitors.dedup();
            c.protects.sort();
            c.protects.dedup();
            c.listeners.sort_by_key(|l| l.port);
            c.listeners.dedup_by_key(|l| l.port);
            if let Some(fw) = &mut c.firewall {
                fw.allow
                    .sort_by(|a, b| (&a.from, &a.port).cmp(&(&b.from, &b.port)));
                fw.allow
                    .dedup_by(|a, b| a.from == b.from && a.port == b.port);
            }
        }
    }

    /// The topology as format-v1 YAML (sorted first), and where each part of the
    /// text came from in `source_name`.
    pub fn write(&mut self, header: &str) -> (String, SourceMap) {
        self.sort();
        let mut w = Writer {
            out: String::new(),
            map: SourceMap::default(),
            open: Vec::new(),
        };
        w.begin(self.origin);
        for line in header.lines() {
            let _ = writeln!(w.out, "# {}", comment(line));
        }
        w.out.push_str("version: 1\n");
        let _ = writeln!(w.out, "name: {}", scalar(&self.name));
        let _ = writeln!(w.out, "description: {}", scalar(&self.description));
        if !self.zones.is_empty() {
            w.out.push_str("zones:\n");
            for z in &self.zones {
                w.line(
                    z.origin,
                    &format!(
                        "  {}: {{ trust: {} }}  # {}",
                        scalar(&z.id),
                        z.trust,
                        comment(&z.from)
                    ),
                );
            }
        }
        if !self.hosts.is_empty() {
            w.out.push_str("hosts:\n");
            for h in &self.hosts {
                let mut fields = Vec::new();
                if let Some(zone) = &h.zone {
                    fields.push(format!("zone: {}", scalar(zone)));
                }
                if !h.failure_domains.is_empty() {
                    let pairs: Vec<_> = h
                        .failure_domains
                        .iter()
                        .map(|(k, v)| format!("{}: {}", scalar(k), scalar(v)))
                        .collect();
                    fields.push(format!("failure_domains: {{ {} }}", pairs.join(", ")));
                }
                let body = if fields.is_empty() {
                    "{}".to_string()
                } else {
                    format!("{{ {} }}", fields.join(", "))
                };
                w.line(
                    h.origin,
                    &format!("  {}: {body}  # {}", scalar(&h.id), comment(&h.from)),
                );
            }
        }
        if !self.certificates.is_empty() {
            w.out.push_str("certificates:\n");
            for c in &self.certificates {
                w.line(
                    c.origin,
                    &format!("  {}: {{ domains: {} }}", scalar(&c.id), list(&c.domains)),
                );
            }
        }
        w.out.push_str(if self.components.is_empty() {
            "components: {}\n"
        } else {
            "components:\n"
        });
        for c in &self.components {
            write_component(&mut w, c);
        }
        if !self.links.is_empty() {
            w.out.push_str("links:\n");
            for l in &self.links {
                let mut fields = vec![
                    format!("from: {}", scalar(&l.from)),
                    format!("to: {}", scalar(&l.to)),
                ];
                if let Some(p) = l.protocol {
                    fields.push(format!("protocol: {p}"));
                }
                if let Some(p) = l.port {
                    fields.push(format!("port: {p}"));
                }
                if let Some(t) = l.tls {
                    fields.push(format!("tls: {t}"));
                }
                if let Some(a) = l.access {
                    fields.push(format!("access: {a}"));
                }
                w.line(l.origin, &format!("  - {{ {} }}", fields.join(", ")));
            }
        }
        w.end();
        (w.out, w.map)
    }
}

fn write_component(w: &mut Writer, c: &Component) {
    w.begin(c.origin);
    let _ = writeln!(w.out, "  {}:  # {}", scalar(&c.id), comment(&c.from));
    let _ = writeln!(w.out, "    kind: {}", c.kind.as_str());
    let field = |w: &mut Writer, key: &str, value: Option<String>| {
        if let Some(v) = value {
            let _ = writeln!(w.out, "    {key}: {v}");
        }
    };
    field(w, "host", c.host.as_deref().map(|s| scalar(s).into_owned()));
    field(w, "zone", c.zone.as_deref().map(|s| scalar(s).into_owned()));
    field(
        w,
        "software",
        c.software.as_deref().map(|s| scalar(s).into_owned()),
    );
    field(w, "version", c.version.as_deref().map(quoted));
    if let Some(n) = &c.instances {
        w.line(n.origin, &format!("    instances: {}", n.value));
    }
    field(w, "critical", c.critical.map(|b| b.to_string()));
    field(w, "managed", c.managed.map(|b| b.to_string()));
    field(w, "entrypoint", c.entrypoint.map(|b| b.to_string()));
    field(
        w,
        "engine",
        c.engine.as_deref().map(|s| scalar(s).into_owned()),
    );
    field(w, "role", c.role.map(str::to_string));
    field(
        w,
        "replicates_from",
        c.replicates_from.as_deref().map(|s| scalar(s).into_owned()),
    );
    field(w, "failover", c.failover.map(str::to_string));
    if c.kind == Kind::LoadBalancer {
        w.out.push_str("    balancing:\n");
        let _ = writeln!(w.out, "      targets: {}", list(&c.targets));
        if let Some(port) = c.backend_port {
            let _ = writeln!(w.out, "      backend: {{ port: {port} }}");
        }
        if let Some(hc) = &c.health_check {
            let text = match &hc.value {
                Some(path) => format!("      health_check: {{ path: {} }}", scalar(path)),
                None => "      health_check: {}".to_string(),
            };
            w.line(hc.origin, &text);
        }
    }
    if !c.listeners.is_empty() {
        w.out.push_str("    listeners:\n");
        for l in &c.listeners {
            let mut text = format!("      - {{ port: {}, protocol: {}", l.port, l.protocol);
            if let Some(cert) = &l.certificate {
                let _ = write!(text, ", certificate: {}", scalar(cert));
            }
            text.push_str(" }");
            w.line(l.origin, &text);
        }
    }
    if !c.protects.is_empty() {
        let _ = writeln!(w.out, "    protects: {}", list(&c.protects));
    }
    if let Some(fw) = &c.firewall {
        // A network firewall's rules are its own fields; anything else has a block.
        let indent = if c.kind == Kind::Firewall {
            "    "
        } else {
            w.out.push_str("    firewall:\n");
            "      "
        };
        w.begin(fw.origin);
        let _ = writeln!(w.out, "{indent}default_inbound: deny");
        if !fw.allow.is_empty() {
            let _ = writeln!(w.out, "{indent}allow:");
            for a in &fw.allow {
                w.line(
                    a.origin,
                    &format!(
                        "{indent}  - {{ port: {}, from: {} }}",
                        port_text(&a.port),
                        scalar(&a.from)
                    ),
                );
            }
        }
        w.end();
    }
    if !c.monitors.is_empty() {
        let _ = writeln!(w.out, "    monitors: {}", list(&c.monitors));
    }
    if let Some(d) = &c.description {
        let _ = writeln!(w.out, "    description: {}", scalar(d));
    }
    if !c.suppress.is_empty() {
        w.out.push_str("    suppress:\n");
        for s in &c.suppress {
            let mut text = format!("      - {{ rule: {}", scalar(&s.rule));
            if let Some(r) = &s.reason {
                let _ = write!(text, ", reason: {}", scalar(r));
            }
            text.push_str(" }");
            w.line(s.origin, &text);
        }
    }
    w.end();
}
