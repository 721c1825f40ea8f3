//! The ids of one file: where each is defined and every place that names it, with byte
//! spans, read from the parsed document (the reader's own [`Document`], not a second
//! parse). Navigation, rename, completion and hover all answer from it.

use crate::model::document::{AllowRule, Component, Document, Firewall, Monitoring};
use crate::source::{SourceFile, Span};
use crate::yaml::{Limits, Recover, Spanned, Text};

/// What an id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdKind {
    /// A zone.
    Zone,
    /// A host.
    Host,
    /// A certificate.
    Certificate,
    /// A component.
    Component,
}

impl IdKind {
    /// "zone", "host", "certificate" or "component".
    pub fn noun(self) -> &'static str {
        match self {
            IdKind::Zone => "zone",
            IdKind::Host => "host",
            IdKind::Certificate => "certificate",
            IdKind::Component => "component",
        }
    }
}

/// Where an id is defined.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The id.
    pub id: String,
    /// What it names.
    pub kind: IdKind,
    /// The id as written (the mapping key).
    pub span: Span,
    /// The key and its definition.
    pub extent: Span,
    /// A component's kind, as written.
    pub component_kind: Option<&'static str>,
    /// A component's host, as written.
    pub host: Option<String>,
    /// A component's or host's zone, as written.
    pub zone: Option<String>,
}

/// A place that names an id.
#[derive(Clone, Debug)]
pub struct Reference {
    /// The id named.
    pub id: String,
    /// Where it is written.
    pub span: Span,
    /// The key it is written under (`host`, `targets`, `from`...).
    pub key: &'static str,
    /// What kind of id belongs there.
    pub expects: &'static [IdKind],
}

/// A rule named in a `suppress` entry.
#[derive(Clone, Debug)]
pub struct RuleName {
    /// The code or name as written.
    pub text: String,
    /// Where.
    pub span: Span,
}

/// Every id of a file and every place that names one.
#[derive(Clone, Debug, Default)]
pub struct IdIndex {
    /// Definitions, in file order.
    pub definitions: Vec<Definition>,
    /// References, in file order.
    pub references: Vec<Reference>,
    /// Rules named by suppressions.
    pub rules: Vec<RuleName>,
    /// Links as written (`from`, `to`), declared and implied by load balancers' targets.
    pub links: Vec<(String, String)>,
}

/// What is at a position: an id's definition or a reference to one.
#[derive(Clone, Copy, Debug)]
pub enum Occurrence<'a> {
    /// A definition.
    Definition(&'a Definition),
    /// A reference.
    Reference(&'a Reference),
}

impl Occurrence<'_> {
    /// The id.
    pub fn id(&self) -> &str {
        match self {
            Occurrence::Definition(d) => &d.id,
            Occurrence::Reference(r) => &r.id,
        }
    }

    /// Where it is written.
    pub fn span(&self) -> Span {
        match self {
            Occurrence::Definition(d) => d.span,
            Occurrence::Reference(r) => r.span,
        }
    }
}

const COMPONENT: &[IdKind] = &[IdKind::Component];
const HOST: &[IdKind] = &[IdKind::Host];
const ZONE: &[IdKind] = &[IdKind::Zone];
const CERTIFICATE: &[IdKind] = &[IdKind::Certificate];
const MONITORED: &[IdKind] = &[IdKind::Component, IdKind::Host];
const PROTECTED: &[IdKind] = &[IdKind::Component, IdKind::Host, IdKind::Zone];

/// The kinds of id that belong under a reference key, by the key's name and whether
/// it sits in a firewall's `allow` rule (whose `from:` is a source, not a link's end).
pub fn expected_at(key: &str, in_allow: bool) -> Option<&'static [IdKind]> {
    Some(match key {
        "host" => HOST,
        "zone" => ZONE,
        "certificate" => CERTIFICATE,
        "from" if in_allow => PROTECTED,
        "targets" | "peers" | "voters" | "replicates_from" | "reports_to" | "to" | "from" => {
            COMPONENT
        }
        "monitors" => MONITORED,
        "protects" => PROTECTED,
        _ => return None,
    })
}

impl IdIndex {
    /// The index of a file's text, when the reader gets a document out of it (even one
    /// with errors: what it recovered is indexed).
    pub fn of_source(source: &SourceFile, limits: Limits) -> Option<IdIndex> {
        let (document, _) = crate::yaml::from_source::<Document>(source, limits);
        document.map(|d| IdIndex::of(&d))
    }

    /// The index of a parsed document.
    pub fn of(doc: &Document) -> IdIndex {
        let mut ix = IdIndex::default();
        for (id, def) in &doc.zones.0 {
            ix.define(id, def.ok().map(|d| d.span), IdKind::Zone);
        }
        for (id, def) in &doc.hosts.0 {
            ix.define(id, def.ok().map(|d| d.span), IdKind::Host);
            let Some(host) = def.ok() else { continue };
            ix.last().zone = host.zone.as_ref().map(|z| z.value.to_string());
            ix.refer(host.zone.as_ref(), "zone", ZONE);
            ix.suppressions(&host.suppress);
            if let Some(fw) = &host.firewall {
                ix.firewall(fw);
            }
            if let Some(m) = &host.monitoring {
                ix.monitoring(m);
            }
        }
        for (id, def) in &doc.certificates.0 {
            ix.define(id, def.ok().map(|d| d.span), IdKind::Certificate);
            if let Some(cert) = def.ok() {
                ix.suppressions(&cert.suppress);
            }
        }
        for (id, def) in &doc.components.0 {
            ix.define(id, def.ok().map(|d| d.span), IdKind::Component);
            if let Some(c) = def.ok() {
                ix.component(&id.value, c);
            }
        }
        for link in doc.links.iter().filter_map(Recover::ok) {
            ix.refer(Some(&link.from), "from", COMPONENT);
            ix.refer(Some(&link.to), "to", COMPONENT);
            ix.links
                .push((link.from.value.to_string(), link.to.value.to_string()));
            ix.suppressions(&link.suppress);
        }
        ix.suppressions(&doc.suppress);
        // A firewall's `from:` may be `any` or an address range: only ids are kept.
        let defined: std::collections::HashSet<&str> =
            ix.definitions.iter().map(|d| d.id.as_str()).collect();
        let keep: Vec<bool> = ix
            .references
            .iter()
            .map(|r| r.expects != PROTECTED || r.key != "from" || defined.contains(&*r.id))
            .collect();
        let mut keep = keep.into_iter();
        ix.references.retain(|_| keep.next().unwrap_or(true));
        ix.references.sort_by_key(|r| r.span);
        ix
    }

    fn define(&mut self, id: &Spanned<Text>, body: Option<Span>, kind: IdKind) {
        let end = body.map_or(id.span.end, |b| b.end.max(id.span.end));
        self.definitions.push(Definition {
            id: id.value.to_string(),
            kind,
            span: id.span,
            extent: Span {
                start: id.span.start,
                end,
            },
            component_kind: None,
            host: None,
            zone: None,
        });
    }

    fn last(&mut self) -> &mut Definition {
        let n = self.definitions.len() - 1;
        &mut self.definitions[n]
    }

    fn refer(
        &mut self,
        value: Option<&Spanned<Text>>,
        key: &'static str,
        expects: &'static [IdKind],
    ) {
        if let Some(v) = value {
            self.references.push(Reference {
                id: v.value.to_string(),
                span: v.span,
                key,
                expects,
            });
        }
    }

    fn refer_all(
        &mut self,
        values: Option<&Spanned<Vec<Spanned<Text>>>>,
        key: &'static str,
        expects: &'static [IdKind],
    ) {
        for v in values.into_iter().flat_map(|l| l.value.iter()) {
            self.refer(Some(v), key, expects);
        }
    }

    fn allow(&mut self, rules: &[Spanned<AllowRule>]) {
        for rule in rules {
            self.refer(Some(&rule.from), "from", PROTECTED);
        }
    }

    fn firewall(&mut self, fw: &Firewall) {
        self.allow(&fw.allow);
    }

    fn monitoring(&mut self, m: &Monitoring) {
        self.refer(m.reports_to.as_ref(), "reports_to", COMPONENT);
    }

    fn suppressions(&mut self, list: &[Spanned<crate::model::document::Suppression>]) {
        for s in list {
            self.rules.push(RuleName {
                text: s.rule.value.to_string(),
                span: s.rule.span,
            });
        }
    }

    fn component(&mut self, id: &str, c: &Component) {
        let def = self.last();
        def.component_kind = Some(c.kind.value.as_str());
        def.host = c.host.as_ref().map(|h| h.value.to_string());
        def.zone = c.zone.as_ref().map(|z| z.value.to_string());
        self.refer(c.host.as_ref(), "host", HOST);
        self.refer(c.zone.as_deref(), "zone", ZONE);
        if let Some(q) = &c.quorum {
            self.refer_all(Some(&q.voters), "voters", COMPONENT);
        }
        if let Some(fw) = &c.firewall {
            self.firewall(fw);
        }
        if let Some(m) = &c.monitoring {
            self.monitoring(m);
        }
        if let Some(b) = &c.balancing {
            self.refer_all(Some(&b.targets), "targets", COMPONENT);
            for t in &b.targets.value {
                self.links.push((id.to_string(), t.value.to_string()));
            }
        }
        self.refer_all(c.peers.as_deref(), "peers", COMPONENT);
        for l in c.listeners.iter().flat_map(|l| l.value.iter()) {
            self.refer(l.certificate.as_ref(), "certificate", CERTIFICATE);
        }
        self.refer(c.replicates_from.as_deref(), "replicates_from", COMPONENT);
        if let Some(b) = &c.backup {
            self.refer(Some(&b.to), "to", COMPONENT);
        }
        self.refer_all(c.monitors.as_deref(), "monitors", MONITORED);
        self.refer_all(c.protects.as_deref(), "protects", PROTECTED);
        if let Some(allow) = &c.allow {
            self.allow(allow);
        }
        self.suppressions(&c.suppress);
    }

    /// The first definition of `id`.
    pub fn definition(&self, id: &str) -> Option<&Definition> {
        self.definitions.iter().find(|d| d.id == id)
    }

    /// Every reference to `id`, in file order.
    pub fn references_to<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Reference> + 'a {
        self.references.iter().filter(move |r| r.id == id)
    }

    /// The definition or reference written at byte `offset` (its end included, where a
    /// cursor stands after typing it).
    pub fn at(&self, offset: usize) -> Option<Occurrence<'_>> {
        let covers = |s: Span| (s.start as usize) <= offset && offset <= s.end as usize;
        // References are sorted by span: the last one starting at or before `offset`.
        let i = self
            .references
            .partition_point(|r| r.span.start as usize <= offset);
        if let Some(r) = i.checked_sub(1).map(|i| &self.references[i])
            && covers(r.span)
        {
            return Some(Occurrence::Reference(r));
        }
        self.definitions
            .iter()
            .find(|d| covers(d.span))
            .map(Occurrence::Definition)
    }

    /// The rule named by a suppression at byte `offset`.
    pub fn rule_at(&self, offset: usize) -> Option<&RuleName> {
        self.rules
            .iter()
            .find(|r| (r.span.start as usize) <= offset && offset <= r.span.end as usize)
    }

    /// The ids of the given kinds, sorted, each once.
    pub fn ids_of<'a>(&'a self, kinds: &'a [IdKind]) -> Vec<&'a Definition> {
        let mut out: Vec<&Definition> = self
            .definitions
            .iter()
            .filter(|d| kinds.contains(&d.kind))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out.dedup_by(|a, b| a.id == b.id);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
version: 1
name: t
zones:
  dmz: { trust: dmz }
hosts:
  server-1: { zone: dmz }
certificates:
  \"web-cert\": { expires: 2027-01-01 }
components:
  lb:
    kind: load_balancer
    host: server-1
    balancing:
      targets: [web-1, 'web-2']
    listeners:
      - { port: 443, protocol: https, certificate: web-cert }
  web-1: { kind: web_server, host: server-1 }
  web-2: { kind: web_server }
  fw:
    kind: firewall
    protects: [web-1, dmz]
    allow:
      - { port: 443, from: any }
      - { port: 443, from: 10.0.0.0/8 }
      - { port: 443, from: server-1 }
  mon:
    kind: monitoring
    monitors: [server-1]
links:
  - { from: lb, to: web-1 }
suppress:
  - { rule: SPOF001, subject: 'rack:r1', reason: x }
";

    fn index() -> (SourceFile, IdIndex) {
        let source = SourceFile::new("t.yml", TEXT.to_string());
        let ix = IdIndex::of_source(&source, Limits::default()).expect("a document");
        (source, ix)
    }

    fn text_of(source: &SourceFile, span: Span) -> &str {
        &source.text[span.start as usize..span.end as usize]
    }

    #[test]
    fn every_reference_key_is_indexed_with_its_span() {
        let (source, ix) = index();
        let refs: Vec<(&str, &str)> = ix
            .references
            .iter()
            .map(|r| (r.key, text_of(&source, r.span)))
            .collect();
        assert_eq!(
            refs,
            [
                ("zone", "dmz"),
                ("host", "server-1"),
                ("targets", "web-1"),
                ("targets", "'web-2'"),
                ("certificate", "web-cert"),
                ("host", "server-1"),
                ("protects", "web-1"),
                ("protects", "dmz"),
                ("from", "server-1"),
                ("monitors", "server-1"),
                ("from", "lb"),
                ("to", "web-1"),
            ]
        );
        // A quoted reference names the id, not its quotes.
        assert_eq!(ix.references[3].id, "web-2");
    }

    #[test]
    fn definitions_keep_kind_host_and_zone() {
        let (source, ix) = index();
        let cert = ix.definition("web-cert").unwrap();
        assert_eq!(cert.kind, IdKind::Certificate);
        assert_eq!(text_of(&source, cert.span), "\"web-cert\"");
        let web = ix.definition("web-1").unwrap();
        assert_eq!(web.component_kind, Some("web_server"));
        assert_eq!(web.host.as_deref(), Some("server-1"));
        assert_eq!(
            text_of(&source, web.extent),
            "web-1: { kind: web_server, host: server-1 }"
        );
        assert_eq!(
            ix.definition("server-1").unwrap().zone.as_deref(),
            Some("dmz")
        );
        assert_eq!(
            ix.links,
            [
                ("lb".to_string(), "web-1".to_string()),
                ("lb".into(), "web-2".into()),
                ("lb".into(), "web-1".into())
            ]
        );
        assert_eq!(ix.rules[0].text, "SPOF001");
    }

    #[test]
    fn the_occurrence_at_an_offset() {
        let (_, ix) = index();
        let at = TEXT.find("[web-1").unwrap() + 1;
        let found = ix.at(at).unwrap();
        assert!(matches!(found, Occurrence::Reference(r) if r.id == "web-1" && r.key == "targets"));
        // Just after the id still counts.
        assert_eq!(ix.at(at + "web-1".len()).unwrap().id(), "web-1");
        let def = TEXT.find("  web-2: {").unwrap() + 3;
        assert!(matches!(ix.at(def), Some(Occurrence::Definition(d)) if d.id == "web-2"));
        assert!(ix.at(TEXT.find("load_balancer").unwrap()).is_none());
        assert!(ix.at(usize::MAX).is_none());
        assert_eq!(ix.references_to("server-1").count(), 4);
    }

    #[test]
    fn ids_of_a_kind_are_sorted() {
        let (_, ix) = index();
        let hosts: Vec<&str> = ix
            .ids_of(&[IdKind::Host])
            .iter()
            .map(|d| d.id.as_str())
            .collect();
        assert_eq!(hosts, ["server-1"]);
        let comps: Vec<&str> = ix
            .ids_of(&[IdKind::Component])
            .iter()
            .map(|d| d.id.as_str())
            .collect();
        assert_eq!(comps, ["fw", "lb", "mon", "web-1", "web-2"]);
    }

    #[test]
    fn text_that_is_no_yaml_has_no_index() {
        let source = SourceFile::new("t.yml", "a: [\n".to_string());
        assert!(IdIndex::of_source(&source, Limits::default()).is_none());
    }
}
