//! From the document as written to the validated model: ids registered and resolved,
//! values checked, defaults applied. Every problem is collected (IL003 to IL006), not
//! only the first; the model is returned only when there is none.
//!
//! This file drives it (zones, certificates, components, links, in that order); ids and
//! references are in `ids`, hosts and failure domains in `hosts`, a component's fields
//! in `component`, firewall rules and agents in `firewall`, and the checks over groups
//! of components (quorums, `service` groups, pools) in `redundancy`.

use std::sync::{Arc, Mutex};

use foldhash::HashMap;

use super::document::{
    Component, Document, Failover, Firewall, Host, Inbound, Kind, Link, Mode, Monitoring,
    PortValue, Protocol, ReplicationMode, Role, Trust,
};
use super::net::{Cidr, PortSpec};
use super::{
    AgentDef, AllowDef, CertDef, CertId, ComponentDef, ComponentId, DataStoreDef, DomainId,
    FailureDomain, FirewallDef, HostDef, HostId, IdEntry, IdTable, LinkDef, LinkId, LinkOrigin,
    ListenerDef, LoadBalancerDef, Model, MonitorDef, NetworkFirewallDef, Ref, Source, ZoneDef,
    ZoneId,
};
use crate::finding::Finding;
use crate::rules::input::{IL001, IL003, IL004, IL005, IL006};
use crate::source::Span;
use crate::spelling;
use crate::yaml::{Recover, Spanned, Text};

mod component;
mod firewall;
mod hosts;
mod ids;
mod redundancy;

/// Bounds on what validation accepts.
#[derive(Clone, Copy, Debug)]
pub struct ModelLimits {
    /// Most ids (zones, hosts, certificates and components together).
    pub max_ids: usize,
}

impl Default for ModelLimits {
    fn default() -> Self {
        ModelLimits { max_ids: 4_000_000 }
    }
}

/// The id every component falls back to when neither it nor its host names a zone.
const DEFAULT_ZONE: &str = "private";
/// The zone that always exists.
const INTERNET: &str = "internet";
/// Suggestions cost a scan of every id: past this many missing references, skip them.
const MAX_SUGGESTIONS: usize = 200;

/// What kinds of element a reference may name.
#[derive(Clone, Copy)]
struct Wanted {
    zone: bool,
    host: bool,
    component: bool,
    certificate: bool,
    noun: &'static str,
}

const ZONE: Wanted = Wanted {
    zone: true,
    host: false,
    component: false,
    certificate: false,
    noun: "zone",
};
const HOST: Wanted = Wanted {
    zone: false,
    host: true,
    component: false,
    certificate: false,
    noun: "host",
};
const COMPONENT: Wanted = Wanted {
    zone: false,
    host: false,
    component: true,
    certificate: false,
    noun: "component",
};
const CERTIFICATE: Wanted = Wanted {
    zone: false,
    host: false,
    component: false,
    certificate: true,
    noun: "certificate",
};
const HOST_OR_COMPONENT: Wanted = Wanted {
    zone: false,
    host: true,
    component: true,
    certificate: false,
    noun: "component or host",
};
const ANY_PLACE: Wanted = Wanted {
    zone: true,
    host: true,
    component: true,
    certificate: false,
    noun: "component, host or zone",
};

impl Wanted {
    fn accepts(self, r: Ref) -> bool {
        match r {
            Ref::Zone(_) => self.zone,
            Ref::Host(_) => self.host,
            Ref::Component(_) => self.component,
            Ref::Certificate(_) => self.certificate,
        }
    }
}

struct Validator {
    /// Shared (read-only), once complete, with the threads that build the hosts and
    /// look up the links' ends.
    ids: Arc<IdTable>,
    errors: Vec<Finding>,
    suggestions_left: usize,
    threads: usize,
}

/// Checks a document and builds the model, or returns every problem found.
pub fn validate(doc: Document, limits: ModelLimits) -> Result<Model, Vec<Finding>> {
    validate_with(doc, limits, 1)
}

/// [`validate`], with the hosts built and the links' ends looked up on other threads
/// while this one builds certificates and components, when `threads` is 2 or more.
/// Same result.
pub fn validate_with(
    doc: Document,
    limits: ModelLimits,
    threads: usize,
) -> Result<Model, Vec<Finding>> {
    let mut v = Validator {
        ids: Arc::default(),
        errors: Vec::new(),
        suggestions_left: MAX_SUGGESTIONS,
        threads,
    };
    if doc.version.value != 1 {
        v.errors.push(
            Finding::new(
                &IL005,
                doc.version.span,
                format!("unsupported format version {}", doc.version.value),
            )
            .label("infra-lint reads version 1")
            .help("write `version: 1`; this infra-lint knows no other version"),
        );
    }
    let total =
        doc.zones.0.len() + doc.hosts.0.len() + doc.certificates.0.len() + doc.components.0.len();
    if total > limits.max_ids {
        v.errors.push(
            Finding::new(
                &IL001,
                doc.components
                    .0
                    .first()
                    .map_or(Span::default(), |(id, _)| id.span),
                format!(
                    "{total} ids exceed the limit of {} (the id limit)",
                    limits.max_ids
                ),
            )
            .label("too many ids")
            .help("raise the limit with --max-ids if this file is legitimate"),
        );
        return Err(v.errors);
    }
    let model = v.build(doc);
    if v.errors.is_empty() {
        Ok(model)
    } else {
        v.errors.sort_by_key(|f| (f.span.start, f.rule.code));
        Err(v.errors)
    }
}

/// Definitions whose ids were registered, at their slots. They are in order already
/// unless merge keys brought entries from elsewhere in the file; then they are sorted
/// (a copy), else taken as they come.
fn in_slot_order<T>(
    entries: Vec<(Spanned<Text>, Recover<Spanned<T>>)>,
    slots: &'_ [Option<u32>],
) -> impl Iterator<Item = (Spanned<Text>, Spanned<T>)> {
    let placed = entries
        .into_iter()
        .zip(slots)
        .filter_map(|((id, def), slot)| Some(((*slot)?, id, def.into_ok()?)));
    let in_order = slots.iter().flatten().is_sorted();
    let (ordered, sorted) = if in_order {
        (Some(placed), None)
    } else {
        let mut all: Vec<_> = placed.collect();
        all.sort_by_key(|(slot, _, _)| *slot);
        (None, Some(all.into_iter()))
    };
    ordered
        .into_iter()
        .flatten()
        .chain(sorted.into_iter().flatten())
        .map(|(_, id, def)| (id, def))
}

/// Work for a second thread when `threaded`, done at [`Offload::finish`] here when
/// not, or when no thread can be had.
struct Offload<T: Send + 'static, R: Send + 'static> {
    thread: Option<std::thread::JoinHandle<Option<R>>>,
    job: Arc<Mutex<Option<T>>>,
    work: fn(T) -> R,
}

impl<T: Send + 'static, R: Send + 'static> Offload<T, R> {
    fn start(threaded: bool, input: T, work: fn(T) -> R) -> Self {
        let job = Arc::new(Mutex::new(Some(input)));
        let thread = if threaded {
            let mine = Arc::clone(&job);
            std::thread::Builder::new()
                .name("validate".into())
                .spawn(move || take(&mine).map(work))
                .ok()
        } else {
            None
        };
        Offload { thread, job, work }
    }

    fn finish(self) -> R {
        if let Some(thread) = self.thread
            && let Some(done) = thread
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
        {
            return done;
        }
        // Not started, or (never: it takes the job first) started without the job.
        (self.work)(take(&self.job).expect("the job is taken once"))
    }
}

fn take<T>(job: &Mutex<Option<T>>) -> Option<T> {
    job.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
}

/// What the id table holds for both ends of every declared link, in order (nothing for
/// a link that failed to parse).
fn look_up_ends(ids: &IdTable, links: &[Recover<Spanned<Link>>]) -> Vec<[Option<IdEntry>; 2]> {
    links
        .iter()
        .map(|link| match link.ok() {
            Some(link) => [
                ids.get(link.value.from.value.as_str()).copied(),
                ids.get(link.value.to.value.as_str()).copied(),
            ],
            None => [None, None],
        })
        .collect()
}

impl Validator {
    fn error(&mut self, finding: Finding) {
        self.errors.push(finding);
    }

    fn build(&mut self, doc: Document) -> Model {
        // The built-in zone is registered first, at no position, so a declaration of it
        // is its definition and any other use of the id a duplicate.
        let mut zones = vec![ZoneDef {
            id: Spanned::new(INTERNET.to_string(), Span::default()),
            trust: Trust::Public,
            cidr: None,
            builtin: true,
        }];
        self.ids_mut().insert(
            INTERNET.into(),
            IdEntry {
                to: Some(Ref::Zone(ZoneId(0))),
                span: Span::default(),
            },
        );

        // Register every id in file order, so "the second occurrence" is the later one.
        let mut order: Vec<(u32, u8, usize)> = Vec::new();
        for (i, (id, _)) in doc.zones.0.iter().enumerate() {
            order.push((id.span.start, 0, i));
        }
        for (i, (id, _)) in doc.hosts.0.iter().enumerate() {
            order.push((id.span.start, 1, i));
        }
        for (i, (id, _)) in doc.certificates.0.iter().enumerate() {
            order.push((id.span.start, 2, i));
        }
        for (i, (id, _)) in doc.components.0.iter().enumerate() {
            order.push((id.span.start, 3, i));
        }
        // Each section is in file order already: a stable sort merges the runs in
        // linear time (an unstable one would sort from scratch).
        order.sort();
        self.ids_mut().reserve(order.len());

        // Indexes of definitions that will be built, per section.
        let mut zone_slots = vec![None; doc.zones.0.len()];
        let mut host_slots = vec![None; doc.hosts.0.len()];
        let mut cert_slots = vec![None; doc.certificates.0.len()];
        let mut comp_slots = vec![None; doc.components.0.len()];
        let (mut n_zones, mut n_hosts, mut n_certs, mut n_comps) = (1u32, 0u32, 0u32, 0u32);
        for (_, section, i) in order {
            match section {
                0 => {
                    let (id, def) = &doc.zones.0[i];
                    if id.value == INTERNET {
                        if let Recover::Ok(def) = def
                            && def.trust.value != Trust::Public
                        {
                            self.error(
                                Finding::new(
                                    &IL006,
                                    def.trust.span,
                                    "the `internet` zone is public",
                                )
                                .label("must be `public`")
                                .help("declare your own zone for other trust levels"),
                            );
                        }
                        zone_slots[i] = Some(0);
                        if let Some(entry) = self.ids_mut().get_mut(INTERNET) {
                            entry.span = id.span;
                        }
                        continue;
                    }
                    if self.register(id, Ref::Zone(ZoneId(n_zones))) {
                        if def.ok().is_some() {
                            zone_slots[i] = Some(n_zones);
                            n_zones += 1;
                        } else {
                            self.failed(&id.value);
                        }
                    }
                }
                1 => {
                    let (id, def) = &doc.hosts.0[i];
                    if self.register(id, Ref::Host(HostId(n_hosts))) {
                        if def.ok().is_some() {
                            host_slots[i] = Some(n_hosts);
                            n_hosts += 1;
                        } else {
                            self.failed(&id.value);
                        }
                    }
                }
                2 => {
                    let (id, def) = &doc.certificates.0[i];
                    if self.register(id, Ref::Certificate(CertId(n_certs))) {
                        if def.ok().is_some() {
                            cert_slots[i] = Some(n_certs);
                            n_certs += 1;
                        } else {
                            self.failed(&id.value);
                        }
                    }
                }
                _ => {
                    let (id, def) = &doc.components.0[i];
                    if self.register(id, Ref::Component(ComponentId(n_comps))) {
                        if def.ok().is_some() {
                            comp_slots[i] = Some(n_comps);
                            n_comps += 1;
                        } else {
                            self.failed(&id.value);
                        }
                    }
                }
            }
        }
        // Slot numbers were handed out in file order; definitions must sit at them.

        // Zones.
        let mut internet_decl = None;
        for ((id, def), slot) in doc.zones.0.iter().zip(&zone_slots) {
            if *slot == Some(0)
                && let Some(def) = def.ok()
            {
                internet_decl = Some((id.span, def.cidr.clone()));
            }
        }
        if let Some((span, cidr)) = internet_decl {
            zones[0].id.span = span;
            zones[0].id.key = span;
            zones[0].cidr = cidr.and_then(|c| self.cidr(&c));
        }
        let zone_entries: Vec<_> = doc
            .zones
            .0
            .into_iter()
            .zip(zone_slots.iter())
            .map(|(e, s)| (e, if *s == Some(0) { None } else { *s }))
            .collect();
        let (zone_entries, zone_slots): (Vec<_>, Vec<_>) = zone_entries.into_iter().unzip();
        for (id, def) in in_slot_order(zone_entries, &zone_slots) {
            let cidr = def.value.cidr.as_ref().and_then(|c| self.cidr(c));
            zones.push(ZoneDef {
                id: id.into_string(),
                trust: def.value.trust.value,
                cidr,
                builtin: false,
            });
        }
        let default_zone = match self.ids.get(DEFAULT_ZONE).and_then(|e| e.to) {
            Some(Ref::Zone(z)) => z,
            _ => {
                let z = ZoneId(zones.len() as u32);
                zones.push(ZoneDef {
                    id: Spanned::new(DEFAULT_ZONE.to_string(), Span::default()),
                    trust: Trust::Private,
                    cidr: None,
                    builtin: true,
                });
                self.ids_mut()
                    .entry(DEFAULT_ZONE.into())
                    .or_insert(IdEntry {
                        to: Some(Ref::Zone(z)),
                        span: Span::default(),
                    });
                z
            }
        };

        // The ids are all known: another thread can look up the links' ends (the most
        // lookups, into the largest table) while hosts and components are built.
        let ends_job = Offload::start(
            self.threads > 1,
            (Arc::clone(&self.ids), doc.links),
            |(ids, links)| {
                let ends = look_up_ends(&ids, &links);
                (links, ends)
            },
        );

        // Hosts and their failure domains: on another thread, when threaded,
        // with their own share of the suggestions, while this one builds certificates
        // and components.
        let hosts_job = Offload::start(
            self.threads > 1,
            (
                self.fork(MAX_SUGGESTIONS / 2),
                doc.hosts.0,
                host_slots,
                default_zone,
            ),
            |(mut v, entries, slots, default_zone)| {
                let (hosts, domains) = v.hosts(in_slot_order(entries, &slots), default_zone);
                (v.errors, hosts, domains)
            },
        );
        self.suggestions_left = self.suggestions_left.saturating_sub(MAX_SUGGESTIONS / 2);

        // Certificates.
        let mut certificates = Vec::new();
        for (id, def) in in_slot_order(doc.certificates.0, &cert_slots) {
            let def = def.value;
            let expires = def
                .expires
                .as_ref()
                .and_then(|e| match super::Date::parse(&e.value) {
                    Some(d) => Some(Spanned {
                        value: d,
                        span: e.span,
                        key: e.key,
                    }),
                    None => {
                        self.error(
                            Finding::new(
                                &IL006,
                                e.span,
                                format!("invalid date `{}`", crate::finding::shorten(&e.value)),
                            )
                            .label("not a date")
                            .help("write the date as YYYY-MM-DD, e.g. 2027-03-01"),
                        );
                        None
                    }
                });
            if let Some(v) = &def.min_tls_version
                && !matches!(v.value.as_str(), "1.0" | "1.1" | "1.2" | "1.3")
            {
                self.error(
                    Finding::new(
                        &IL006,
                        v.span,
                        format!(
                            "unknown TLS version `{}`",
                            crate::finding::shorten(&v.value)
                        ),
                    )
                    .label("not a TLS version")
                    .help("write one of \"1.0\", \"1.1\", \"1.2\" or \"1.3\""),
                );
            }
            certificates.push(CertDef {
                id: id.into_string(),
                domains: def
                    .domains
                    .into_iter()
                    .map(|d| d.value.into_string())
                    .collect(),
                expires,
                min_tls_version: def.min_tls_version.map(Spanned::into_string),
                suppress: def.suppress,
            });
        }

        // Components.
        let mut components = Vec::with_capacity(doc.components.0.len());
        let mut backends = Vec::with_capacity(doc.components.0.len());
        let mut inherit_zone = Vec::new();
        for (id, def) in in_slot_order(doc.components.0, &comp_slots) {
            let span = def.span;
            let (component, backend, inherits) = self.component(id, *def.value, span, default_zone);
            if inherits {
                inherit_zone.push(components.len());
            }
            components.push(component);
            backends.push(backend);
        }
        let (host_errors, mut hosts, failure_domains) = hosts_job.finish();
        self.errors.extend(host_errors);
        for i in inherit_zone {
            if let Some(h) = components[i].host {
                // A client on a host that states no zone stays on the internet.
                let client = components[i].kind.value == Kind::Client;
                if !client || hosts[h.index()].zone_stated {
                    components[i].zone = hosts[h.index()].zone;
                }
            }
        }
        for (i, c) in components.iter().enumerate() {
            if let Some(h) = c.host {
                hosts[h.index()].components.push(ComponentId(i as u32));
            }
        }
        // Kind-dependent checks that need every component built.
        for i in 0..components.len() {
            let cid = ComponentId(i as u32);
            if let Some(lb) = &components[i].load_balancer {
                let peers: Vec<(ComponentId, Span)> = lb.peers.clone();
                for (peer, span) in peers {
                    let c = &components[peer.index()];
                    if c.kind.value != Kind::LoadBalancer {
                        let msg = format!(
                            "peer `{}` is a {}, not a load_balancer",
                            c.id.value,
                            c.kind.value.as_str()
                        );
                        self.error(Finding::new(&IL006, span, msg).label("not a load balancer"));
                    } else if peer == cid {
                        self.error(
                            Finding::new(&IL006, span, "a load balancer cannot be its own peer")
                                .label("itself"),
                        );
                    }
                }
            }
            if let Some(agent) = &components[i].monitoring {
                self.check_reports_to(agent, &components);
            }
        }
        for host in &hosts {
            if let Some(agent) = &host.monitoring {
                self.check_reports_to(agent, &components);
            }
        }
        self.redundancy(&components);
        self.backup_targets(&components);

        // Links: load balancer targets first (they are implied), then the declared ones,
        // so a declared link that repeats a target is the duplicate.
        let (declared_links, ends) = ends_job.finish();
        let mut seen: HashMap<(ComponentId, ComponentId), Span> =
            HashMap::with_capacity_and_hasher(declared_links.len(), Default::default());
        let mut target_links = Vec::new();
        for (i, backend) in backends.iter().enumerate() {
            let Some(lb) = &components[i].load_balancer else {
                continue;
            };
            let from = ComponentId(i as u32);
            for &(to, span) in &lb.targets {
                if to == from {
                    continue; // Reported with the other pool checks.
                }
                if let Some(first) = seen.insert((from, to), span) {
                    self.error(
                        Finding::new(
                            &IL004,
                            span,
                            format!(
                                "target `{}` is listed twice",
                                components[to.index()].id.value
                            ),
                        )
                        .label("listed again here")
                        .related(first, "first listed here"),
                    );
                    continue;
                }
                target_links.push(LinkDef {
                    from,
                    to,
                    protocol: backend.protocol,
                    port: backend.port,
                    tls: backend.tls,
                    access: backend.access,
                    origin: LinkOrigin::Target { lb: from },
                    span,
                    suppress: Vec::new(),
                });
            }
        }
        let mut links = Vec::with_capacity(declared_links.len() + target_links.len());
        for (link, [from, to]) in declared_links.into_iter().zip(ends) {
            let Some(link) = link.into_ok() else { continue };
            let span = link.span;
            let link = link.value;
            let from = self.component_found(&link.from, from, "link source");
            let to = self.component_found(&link.to, to, "link target");
            let port = link.port.as_ref().and_then(|p| self.port(p, "port"));
            let (Some(from), Some(to)) = (from, to) else {
                continue;
            };
            for (end, spanned) in [(from, &link.from), (to, &link.to)] {
                if components[end.index()].kind.value == Kind::Firewall {
                    self.error(
                        Finding::new(&IL006, spanned.span, format!("`{}` is a network firewall: links never go to or from one", spanned.value))
                            .label("a firewall")
                            .help("link the components themselves; the firewall's `protects` puts it on their path"),
                    );
                }
            }
            if from == to {
                self.error(
                    Finding::new(&IL006, link.to.span, "a link from a component to itself")
                        .label("the same component"),
                );
                continue;
            }
            if let Some(first) = seen.insert((from, to), span) {
                let mut f = Finding::new(
                    &IL004,
                    span,
                    format!(
                        "the link {}->{} is stated twice",
                        link.from.value, link.to.value
                    ),
                )
                .label("stated again here");
                let implied = target_links.iter().any(|l: &LinkDef| l.span == first);
                f = if implied {
                    f.related(first, "already implied by this load balancer target")
                        .help(
                            "a load balancer's `balancing.targets` adds its links: remove this one",
                        )
                } else {
                    f.related(first, "first stated here")
                        .help("remove one of them")
                };
                self.error(f);
                continue;
            }
            let protocol = link.protocol.map_or(Protocol::Tcp, |p| p.value);
            links.push(LinkDef {
                from,
                to,
                protocol,
                port,
                tls: link.tls.map_or(protocol.implies_tls(), |t| t.value),
                access: link.access.map_or(super::Access::ReadWrite, |a| a.value),
                origin: LinkOrigin::Declared,
                span,
                suppress: link.suppress,
            });
        }
        let first_target = links.len();
        links.extend(target_links);
        for (i, link) in links.iter().enumerate().skip(first_target) {
            if let LinkOrigin::Target { lb } = link.origin
                && let Some(def) = components[lb.index()].load_balancer.as_mut()
            {
                def.target_links.push(LinkId(i as u32));
            }
        }

        for list in components
            .iter()
            .map(|c| &c.suppress)
            .chain(hosts.iter().map(|h| &h.suppress))
            .chain(certificates.iter().map(|c| &c.suppress))
            .chain(links.iter().map(|l| &l.suppress))
            .chain(std::iter::once(&doc.suppress))
        {
            for entry in list {
                if let Some(until) = &entry.value.until
                    && super::Date::parse(&until.value).is_none()
                {
                    self.error(
                        Finding::new(
                            &IL006,
                            until.span,
                            format!("invalid date `{}`", crate::finding::shorten(&until.value)),
                        )
                        .label("not a date")
                        .help("write the date as YYYY-MM-DD, e.g. 2027-01-31"),
                    );
                }
            }
        }
        // A top-level suppression's subject `level:value` names a failure-domain value
        // that exists (a typo would make it match nothing, silently but for SUP004).
        for sup in &doc.suppress {
            let Some(subject) = &sup.value.subject else {
                continue;
            };
            if subject.value.trim().is_empty() {
                self.error(
                    Finding::new(&IL006, subject.span, "an empty suppression subject")
                        .label("names nothing")
                        .help("name a failure-domain value as `level:value` (`rack:dc1-r1`), or leave `subject` out"),
                );
                continue;
            }
            let Some((level, value)) = subject.value.split_once(':') else {
                continue;
            };
            // Sorted by level, then value: the level's values are one run.
            let lo = failure_domains.partition_point(|d| d.level.as_str() < level);
            let hi = failure_domains.partition_point(|d| d.level.as_str() <= level);
            let at_level = &failure_domains[lo..hi];
            if at_level.is_empty() {
                let levels: Vec<&str> = failure_domains.iter().map(|d| d.level.as_str()).collect();
                let mut f = Finding::new(
                    &IL003,
                    subject.span,
                    format!("no host has a failure domain at level `{level}`"),
                )
                .label("no such level");
                if let Some(near) = crate::spelling::closest(level, levels) {
                    f.help = Some(format!("did you mean `{near}:{value}`?").into());
                }
                self.error(f);
            } else if at_level
                .binary_search_by(|d| d.value.as_str().cmp(value))
                .is_err()
            {
                let mut f = Finding::new(
                    &IL003,
                    subject.span,
                    format!("no host is in `{level}: {value}`"),
                )
                .label("no such value");
                if let Some(near) =
                    crate::spelling::closest(value, at_level.iter().map(|d| d.value.as_str()))
                {
                    f.help = Some(format!("did you mean `{level}:{near}`?").into());
                }
                self.error(f);
            }
        }
        Model {
            name_span: doc.name.span,
            name: doc.name.value.into_string(),
            description: doc.description,
            zones,
            hosts,
            certificates,
            components,
            links,
            failure_domains,
            suppress: doc.suppress,
            ids: std::mem::take(self.ids_mut()),
            free_suffix: std::sync::OnceLock::new(),
        }
    }
}
