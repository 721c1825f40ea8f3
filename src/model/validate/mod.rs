//! From the document as written to the validated model: ids registered and resolved,
//! values checked, defaults applied. Every problem is collected (IL003 to IL006), not
//! only the first; the model is returned only when there is none.

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
use crate::yaml::{Recover, Spanned};

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
    entries: Vec<(Spanned<String>, Recover<Spanned<T>>)>,
    slots: &'_ [Option<u32>],
) -> impl Iterator<Item = (Spanned<String>, Spanned<T>)> {
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

fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn kinds_text(kinds: &[Kind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    match names.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

impl Validator {
    fn error(&mut self, finding: Finding) {
        self.errors.push(finding);
    }

    /// Registers an id in the shared namespace; reports bad shapes and duplicates.
    fn register(&mut self, id: &Spanned<String>, r: Ref) -> bool {
        if !is_valid_id(&id.value) {
            self.error(
                Finding::new(&IL006, id.span, format!("invalid id `{}`", id.value.escape_debug()))
                    .label("not a valid id")
                    .help(
                        "an id is 1 to 63 letters, digits, `-`, `_` or `.`, starting with a letter or digit",
                    ),
            );
        }
        if let Some(first) = self.ids.get(id.value.as_str()).map(|e| e.span) {
            let mut f = Finding::new(&IL004, id.span, format!("duplicate id `{}`", id.value))
                .label("defined again here")
                .help("components, hosts, zones and certificates share one namespace: rename one of them");
            if first.is_empty() && id.value == INTERNET {
                f.message = "`internet` is the built-in public zone".into();
            } else {
                f = f.related(first, "first defined here");
            }
            self.error(f);
            return false;
        }
        self.ids_mut().insert(
            compact_str::CompactString::from(id.value.as_str()),
            IdEntry {
                to: Some(r),
                span: id.span,
            },
        );
        true
    }

    /// Builds the hosts and numbers their failure-domain values.
    fn hosts(
        &mut self,
        entries: impl Iterator<Item = (Spanned<String>, Spanned<Box<Host>>)>,
        default_zone: ZoneId,
    ) -> (Vec<HostDef>, Vec<FailureDomain>) {
        // Failure-domain values are numbered as first met (level -> value -> number),
        // each string copied once, then renumbered in (level, value) order.
        let mut domain_numbers: HashMap<String, HashMap<String, u32>> = HashMap::default();
        let mut found_domains: Vec<FailureDomain> = Vec::new();
        let mut hosts = Vec::with_capacity(entries.size_hint().0);
        for (id, def) in entries {
            let host_id = HostId(hosts.len() as u32);
            let def = def.value;
            let zone = match &def.zone {
                Some(z) => match self.resolve(z, ZONE, "zone") {
                    Some(Ref::Zone(z)) => z,
                    _ => default_zone,
                },
                None => default_zone,
            };
            let mut domains = Vec::new();
            if let Some(pairs) = &def.failure_domains {
                let pairs = &pairs.value.0;
                let repeated = self.repeated_levels(pairs);
                for (i, (level, value)) in pairs.iter().enumerate() {
                    if repeated.binary_search(&i).is_ok() {
                        continue;
                    }
                    let values = match domain_numbers.get_mut(level.value.as_str()) {
                        Some(values) => values,
                        None => domain_numbers.entry(level.value.clone()).or_default(),
                    };
                    let number = match values.get(value.value.as_str()) {
                        Some(&number) => number,
                        None => {
                            let number = found_domains.len() as u32;
                            values.insert(value.value.clone(), number);
                            found_domains.push(FailureDomain {
                                level: level.value.clone(),
                                value: value.value.clone(),
                                hosts: Vec::new(),
                                span: value.span,
                            });
                            number
                        }
                    };
                    found_domains[number as usize].hosts.push(host_id);
                    domains.push(DomainId(number));
                }
            }
            let firewall = def
                .firewall
                .as_ref()
                .map(|fw| self.firewall(&fw.value, fw.key));
            let monitoring = def.monitoring.as_ref().map(|m| self.agent(&m.value, m.key));
            hosts.push(HostDef {
                id,
                zone,
                zone_stated: def.zone.is_some(),
                domains,
                firewall,
                monitoring,
                components: Vec::new(),
                suppress: def.suppress,
            });
        }
        drop(domain_numbers);
        let mut by_name: Vec<u32> = (0..found_domains.len() as u32).collect();
        by_name.sort_unstable_by(|&a, &b| {
            let (a, b) = (&found_domains[a as usize], &found_domains[b as usize]);
            (&a.level, &a.value).cmp(&(&b.level, &b.value))
        });
        let mut renumber = vec![DomainId(0); found_domains.len()];
        for (new, &old) in by_name.iter().enumerate() {
            renumber[old as usize] = DomainId(new as u32);
        }
        let mut failure_domains: Vec<Option<FailureDomain>> =
            found_domains.into_iter().map(Some).collect();
        let failure_domains: Vec<FailureDomain> = by_name
            .iter()
            .filter_map(|&old| failure_domains[old as usize].take())
            .collect();
        for host in &mut hosts {
            for d in &mut host.domains {
                *d = renumber[d.index()];
            }
        }
        (hosts, failure_domains)
    }

    /// A validator for part of the work on another thread: the same ids, its own
    /// errors and `suggestions` suggestions.
    fn fork(&self, suggestions: usize) -> Validator {
        Validator {
            ids: Arc::clone(&self.ids),
            errors: Vec::new(),
            suggestions_left: suggestions,
            threads: 1,
        }
    }

    /// The positions of levels a host gives again (each reported), in O(n log n) so a
    /// host with very many levels cannot stall validation.
    fn repeated_levels(&mut self, pairs: &[(Spanned<String>, Spanned<String>)]) -> Vec<usize> {
        if pairs.len() < 2 {
            return Vec::new();
        }
        let mut by_level: Vec<usize> = (0..pairs.len()).collect();
        by_level.sort_by(|&a, &b| pairs[a].0.value.cmp(&pairs[b].0.value).then(a.cmp(&b)));
        // In each run of one level, the first is where it is first given.
        let mut repeated: Vec<(usize, Span)> = Vec::new();
        let mut run_first = by_level[0];
        for &i in &by_level[1..] {
            if pairs[i].0.value == pairs[run_first].0.value {
                repeated.push((i, pairs[run_first].0.span));
            } else {
                run_first = i;
            }
        }
        repeated.sort_unstable_by_key(|&(i, _)| i);
        for &(i, first) in &repeated {
            let level = &pairs[i].0;
            self.error(
                Finding::new(
                    &IL004,
                    level.span,
                    format!("level `{}` is given twice", level.value),
                )
                .label("again here")
                .related(first, "first given here"),
            );
        }
        repeated.into_iter().map(|(i, _)| i).collect()
    }

    /// Marks a registered id whose definition failed to parse.
    fn failed(&mut self, id: &str) {
        if let Some(entry) = self.ids_mut().get_mut(id) {
            entry.to = None;
        }
    }

    fn suggest(&mut self, word: &str, wanted: Wanted) -> Option<String> {
        if self.suggestions_left == 0 {
            return None;
        }
        self.suggestions_left -= 1;
        let candidates = self
            .ids
            .iter()
            .filter(|(_, e)| e.to.is_some_and(|r| wanted.accepts(r)))
            .map(|(k, _)| k.as_str());
        spelling::closest(word, candidates).map(str::to_owned)
    }

    /// The id table while it is being filled (before the link thread shares it).
    fn ids_mut(&mut self) -> &mut IdTable {
        Arc::make_mut(&mut self.ids)
    }

    /// Resolves a reference, reporting IL003 when it names nothing of the wanted kind.
    fn resolve(&mut self, id: &Spanned<String>, wanted: Wanted, context: &str) -> Option<Ref> {
        let entry = self.ids.get(id.value.as_str()).copied();
        self.judge(id, entry, wanted, context)
    }

    /// [`Validator::resolve`] with the lookup done: `entry` is what the table holds for
    /// `id`.
    fn judge(
        &mut self,
        id: &Spanned<String>,
        entry: Option<IdEntry>,
        wanted: Wanted,
        context: &str,
    ) -> Option<Ref> {
        let found = match entry {
            // Its definition failed to parse, which is reported already.
            Some(IdEntry { to: None, .. }) => return None,
            Some(IdEntry { to: Some(r), .. }) => Some(r),
            None => None,
        };
        match found {
            Some(r) if wanted.accepts(r) => Some(r),
            found => {
                let message = match found {
                    Some(r) => format!(
                        "{context} `{}` is a {}, not a {}",
                        id.value,
                        r.noun(),
                        wanted.noun
                    ),
                    None => format!("{context} `{}` does not exist", id.value),
                };
                let mut f = Finding::new(&IL003, id.span, message)
                    .label(format!("no {} named `{}`", wanted.noun, id.value));
                f.help = Some(match self.suggest(&id.value, wanted) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!(
                        "define a {} with this id, or correct the reference",
                        wanted.noun
                    ),
                });
                self.error(f);
                None
            }
        }
    }

    fn component_ref(&mut self, id: &Spanned<String>, context: &str) -> Option<ComponentId> {
        let entry = self.ids.get(id.value.as_str()).copied();
        self.component_found(id, entry, context)
    }

    fn component_found(
        &mut self,
        id: &Spanned<String>,
        entry: Option<IdEntry>,
        context: &str,
    ) -> Option<ComponentId> {
        match self.judge(id, entry, COMPONENT, context)? {
            Ref::Component(c) => Some(c),
            _ => None,
        }
    }

    fn port(&mut self, port: &Spanned<i64>, what: &str) -> Option<u16> {
        match u16::try_from(port.value) {
            Ok(p) if p != 0 => Some(p),
            _ => {
                self.error(
                    Finding::new(
                        &IL006,
                        port.span,
                        format!("{what} {} is out of range", port.value),
                    )
                    .label("not in 1..65535")
                    .help("a port is an integer from 1 to 65535"),
                );
                None
            }
        }
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
                id,
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
                            Finding::new(&IL006, e.span, format!("invalid date `{}`", e.value))
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
                    Finding::new(&IL006, v.span, format!("unknown TLS version `{}`", v.value))
                        .label("not a TLS version")
                        .help("write one of \"1.0\", \"1.1\", \"1.2\" or \"1.3\""),
                );
            }
            certificates.push(CertDef {
                id,
                domains: def.domains.into_iter().map(|d| d.value).collect(),
                expires,
                min_tls_version: def.min_tls_version,
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
                            format!("invalid date `{}`", until.value),
                        )
                        .label("not a date")
                        .help("write the date as YYYY-MM-DD, e.g. 2027-01-31"),
                    );
                }
            }
        }
        Model {
            name_span: doc.name.span,
            name: doc.name.value,
            description: doc.description,
            zones,
            hosts,
            certificates,
            components,
            links,
            failure_domains,
            suppress: doc.suppress,
            ids: std::mem::take(self.ids_mut()),
        }
    }

    fn check_reports_to(&mut self, agent: &AgentDef, components: &[ComponentDef]) {
        if let Some(target) = agent.reports_to {
            let c = &components[target.index()];
            if c.kind.value != Kind::Monitoring {
                self.error(
                    Finding::new(
                        &IL006,
                        agent.span,
                        format!(
                            "the agent reports to `{}`, a {}, not a monitoring component",
                            c.id.value,
                            c.kind.value.as_str()
                        ),
                    )
                    .label("`reports_to` must name a component of kind monitoring"),
                );
            }
        }
    }

    fn cidr(&mut self, text: &Spanned<String>) -> Option<Cidr> {
        let cidr = Cidr::parse(&text.value);
        if cidr.is_none() {
            self.error(
                Finding::new(&IL006, text.span, format!("invalid CIDR `{}`", text.value))
                    .label("not an address range")
                    .help("write an address and a prefix length, e.g. 10.0.1.0/24"),
            );
        }
        cidr
    }

    fn firewall(&mut self, fw: &Firewall, span: Span) -> FirewallDef {
        let allow = fw
            .allow
            .iter()
            .filter_map(|rule| self.allow_rule(&rule.value.port, &rule.value.from, rule.span))
            .collect();
        FirewallDef {
            default_allow: fw
                .default_inbound
                .as_ref()
                .is_some_and(|d| d.value == Inbound::Allow),
            allow,
            span,
        }
    }

    fn allow_rule(
        &mut self,
        port: &Spanned<PortValue>,
        from: &Spanned<String>,
        span: Span,
    ) -> Option<AllowDef> {
        let spec = match &port.value {
            PortValue::Number(n) => u16::try_from(*n)
                .ok()
                .filter(|p| *p != 0)
                .map(|p| PortSpec::Range(p, p)),
            PortValue::Text(t) => PortSpec::parse(t),
        };
        if spec.is_none() {
            let shown = match &port.value {
                PortValue::Number(n) => n.to_string(),
                PortValue::Text(t) => format!("\"{t}\""),
            };
            self.error(
                Finding::new(&IL006, port.span, format!("invalid port {shown}"))
                    .label("not a port")
                    .help("write a port from 1 to 65535, a range \"8000-8100\", or `any`"),
            );
        }
        let source = if from.value == "any" {
            Some(Source::Any)
        } else if from.value.contains('/') || from.value.parse::<std::net::IpAddr>().is_ok() {
            self.cidr(from).map(Source::Cidr)
        } else {
            match self.resolve(from, ANY_PLACE, "firewall source") {
                Some(Ref::Zone(z)) => Some(Source::Zone(z)),
                Some(Ref::Host(h)) => Some(Source::Host(h)),
                Some(Ref::Component(c)) => Some(Source::Component(c)),
                _ => None,
            }
        };
        Some(AllowDef {
            port: spec?,
            from: source?,
            span,
        })
    }

    fn agent(&mut self, m: &Monitoring, span: Span) -> AgentDef {
        let reports_to = m
            .reports_to
            .as_ref()
            .and_then(|r| self.component_ref(r, "monitoring target"));
        AgentDef {
            agent: m.agent.value.clone(),
            reports_to,
            span,
        }
    }

    /// Reports a kind-specific field written on a kind it does not apply to.
    fn kind_field<T>(
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
    fn component(
        &mut self,
        id: Spanned<String>,
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
        self.kind_field(c.engine.as_ref(), "engine", &kind, &id_text, DATA);
        self.kind_field(c.role.as_ref(), "role", &kind, &id_text, DATA);
        let has_source = self.kind_field(
            c.replicates_from.as_ref(),
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
            access: super::Access::ReadWrite,
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
                            .map_or(super::Access::ReadWrite, |a| a.value),
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
                engine: c.engine.as_ref().map(|e| e.value.clone()),
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
                    .map(|a| a.value.iter().map(|s| s.value.clone()).collect())
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
            id,
            kind,
            host,
            zone,
            instances,
            service: c.service,
            managed,
            quorum: quorum.map(Box::new),
            software: c.software.map(|s| s.value),
            version: c.version.map(|s| s.value),
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
struct Backend {
    protocol: Protocol,
    port: Option<u16>,
    tls: bool,
    access: super::Access,
}

#[cfg(test)]
mod tests {
    use super::is_valid_id;

    #[test]
    fn ids() {
        assert!(is_valid_id("web-1"));
        assert!(is_valid_id("db.primary_2"));
        assert!(!is_valid_id("web 1"));
        assert!(!is_valid_id("-web"));
        assert!(!is_valid_id("web\"1"));
        assert!(!is_valid_id(&"a".repeat(64)));
        assert!(!is_valid_id(""));
    }
}
