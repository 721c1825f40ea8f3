//! Encryption in transit: plaintext from the internet and across zones, TLS that ends
//! at the load balancer, listeners, certificates and replication.

use crate::analysis::Context;
use crate::finding::Finding;
use crate::model::{ComponentDef, ComponentId, LinkDef, LinkOrigin, Model, Protocol, Trust};

declare_rule!(
    TLS001,
    "plaintext-from-public",
    Tls,
    Error,
    plaintext_from_public
);
declare_rule!(
    TLS002,
    "plaintext-across-trust-zones",
    Tls,
    Warning,
    plaintext_across_zones
);
declare_rule!(
    TLS003,
    "tls-terminated-at-lb",
    Tls,
    Info,
    tls_terminated_at_lb
);
declare_rule!(
    TLS004,
    "http-without-redirect",
    Tls,
    Warning,
    http_without_redirect
);
declare_rule!(
    TLS005,
    "weak-or-expired-certificate",
    Tls,
    Warning,
    weak_or_expired_certificate
);
declare_rule!(
    TLS006,
    "plaintext-replication",
    Tls,
    Warning,
    plaintext_replication
);

fn trust(model: &Model, c: ComponentId) -> Trust {
    model.zone(model.component(c).zone).trust
}

/// Whether two components run on different machines (a host-less one is its own).
pub(crate) fn across_hosts(model: &Model, a: ComponentId, b: ComponentId) -> bool {
    match (model.component(a).host, model.component(b).host) {
        (Some(x), Some(y)) => x != y,
        _ => a != b,
    }
}

/// The encrypted protocol that replaces a plaintext one.
fn secure(protocol: Protocol) -> Protocol {
    match protocol {
        Protocol::Http => Protocol::Https,
        Protocol::Grpc => Protocol::Grpcs,
        Protocol::Tcp => Protocol::Tls,
        other => other,
    }
}

/// The fix for a plaintext link: its encrypted form (declared links), or the
/// load balancer's backend (target links).
fn link_fix(model: &Model, link: &LinkDef, today: crate::model::Date) -> (String, String) {
    let from = &model.component(link.from).id.value;
    let to = &model.component(link.to).id.value;
    match link.origin {
        LinkOrigin::Target { lb } => {
            let secure = secure(link.protocol);
            let port = if secure == Protocol::Https {
                443
            } else {
                link.port.unwrap_or(443)
            };
            (
                format!(
                    "encrypt `{}`'s links to its targets",
                    model.component(lb).id.value
                ),
                format!(
                    "components:\n  {from}:\n    balancing:\n      backend: {{ protocol: {}, port: {port}, tls: true }}\n",
                    secure.as_str()
                ),
            )
        }
        LinkOrigin::Declared => {
            let secure = secure(link.protocol);
            let port = match (secure, link.port) {
                (Protocol::Https, Some(80) | None) => ", port: 443".to_string(),
                (_, Some(p)) => format!(", port: {p}"),
                (_, None) => String::new(),
            };
            let protocol = if secure == link.protocol {
                String::new()
            } else {
                format!(", protocol: {}", secure.as_str())
            };
            let mut yaml =
                format!("links:\n  - {{ from: {from}, to: {to}{protocol}{port}, tls: true }}\n");
            let target = model.component(link.to);
            if secure == Protocol::Https
                && !target
                    .listeners
                    .iter()
                    .any(|l| l.protocol == Protocol::Https)
                && target.load_balancer.is_some()
            {
                let (cert, cert_yaml) = certificate_for_fix(model, today);
                yaml.push_str(&format!(
                    "components:\n  {to}:\n    listeners:\n      - {{ port: 443, protocol: https, certificate: {cert} }}\n      - {{ port: 80, protocol: http, redirect_to_https: true }}\n"
                ));
                yaml.push_str(&cert_yaml);
            }
            ("encrypt the link".to_string(), yaml)
        }
    }
}

/// The certificate a fix should name: the file's first, or a new one (with its YAML)
/// valid for a year from `today`.
fn certificate_for_fix(model: &Model, today: crate::model::Date) -> (String, String) {
    match model.certificates.first() {
        Some(cert) => (cert.id.value.clone(), String::new()),
        None => {
            let expires = crate::model::Date::from_days(today.days() + 365);
            (
                "www-cert".to_string(),
                format!(
                    "certificates:\n  www-cert: {{ domains: [www.example.com], expires: {expires}, min_tls_version: \"1.2\" }}\n"
                ),
            )
        }
    }
}

/// Whether a link is plaintext by design and exempt from TLS001 and TLS002: name
/// resolution (`dns`; DNSSEC, DoT and DoH are out of scope).
fn plaintext_by_design(link: &LinkDef) -> bool {
    link.protocol == Protocol::Dns
}

fn link_subject(model: &Model, link: &LinkDef) -> String {
    link.name(model)
}

fn plaintext_from_public(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for link in &model.links {
        if link.tls || plaintext_by_design(link) || trust(model, link.from) != Trust::Public {
            continue;
        }
        let from = model.component(link.from);
        let (description, yaml) = link_fix(model, link, cx.today);
        out.push(
            Finding::new(
                &TLS001,
                link.span,
                format!(
                    "`{}` reaches `{}` from the public zone `{}` over plaintext {}",
                    from.id.value,
                    model.component(link.to).id.value,
                    model.zone(from.zone).id.value,
                    link.protocol.as_str()
                ),
            )
            .label("plaintext from the internet")
            .help("anyone on the path can read and change this traffic: use TLS (https) from the public zone")
            .subject(link_subject(model, link))
            .fix(description, yaml),
        );
    }
}

fn plaintext_across_zones(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for link in &model.links {
        if link.tls || plaintext_by_design(link) || trust(model, link.from) == Trust::Public {
            continue; // encrypted, exempt, or TLS001's
        }
        // A plaintext target link of a load balancer that receives TLS is TLS003's: one
        // problem, one finding.
        if let LinkOrigin::Target { lb } = link.origin
            && receives_tls(cx, lb)
            && across_hosts(model, lb, link.to)
        {
            continue;
        }
        let (from, to) = (model.component(link.from), model.component(link.to));
        if from.zone == to.zone {
            continue;
        }
        let (zf, zt) = (model.zone(from.zone), model.zone(to.zone));
        let (description, yaml) = link_fix(model, link, cx.today);
        out.push(
            Finding::new(
                &TLS002,
                link.span,
                format!(
                    "plaintext {} from `{}` in zone `{}` ({}) to `{}` in zone `{}` ({})",
                    link.protocol.as_str(),
                    from.id.value,
                    zf.id.value,
                    trust_name(zf.trust),
                    to.id.value,
                    zt.id.value,
                    trust_name(zt.trust)
                ),
            )
            .label("crosses a zone boundary unencrypted")
            .help("traffic between trust zones should be encrypted: a zone boundary is where an attacker in one zone listens")
            .subject(link_subject(model, link))
            .fix(description, yaml),
        );
    }
}

fn trust_name(t: Trust) -> &'static str {
    match t {
        Trust::Public => "public",
        Trust::Dmz => "dmz",
        Trust::Private => "private",
        Trust::Restricted => "restricted",
    }
}

/// Whether a component accepts TLS: a TLS listener, or a TLS link in.
fn receives_tls(cx: &Context, c: ComponentId) -> bool {
    let def = cx.model.component(c);
    def.listeners.iter().any(|l| l.protocol.implies_tls())
        || cx
            .graph
            .graph
            .edges_directed(crate::graph::node(c), petgraph::Direction::Incoming)
            .any(|e| cx.model.link(*e.weight()).tls)
}

fn tls_terminated_at_lb(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for (i, c) in model.components.iter().enumerate() {
        let Some(lb) = &c.load_balancer else { continue };
        let id = ComponentId(i as u32);
        if !receives_tls(cx, id) {
            continue;
        }
        let plaintext: Vec<&LinkDef> = lb
            .target_links
            .iter()
            .map(|l| model.link(*l))
            .filter(|l| !l.tls && across_hosts(model, id, l.to))
            .collect();
        if plaintext.is_empty() {
            continue;
        }
        let names: Vec<String> = plaintext.iter().map(|l| l.name(model)).collect();
        let mut f = Finding::new(
            &TLS003,
            lb.balancing_span,
            format!(
                "TLS ends at load balancer `{}`: its links to {} are plaintext {} across hosts",
                c.id.value,
                crate::finding::listed(&names),
                plaintext[0].protocol.as_str()
            ),
        )
        .label("decrypts here and forwards in plaintext")
        .help("re-encrypt to the targets (TLS to the backends), or accept it for a trusted network and suppress with a reason")
        .subject(c.id.value.clone());
        for l in &plaintext {
            f = f.related(
                l.span,
                format!("plaintext to `{}`", model.component(l.to).id.value),
            );
        }
        let (description, yaml) = link_fix(model, plaintext[0], cx.today);
        out.push(f.fix(description, yaml));
    }
}

/// Whether a component receives a link from a public zone.
fn is_public(cx: &Context, c: ComponentId) -> bool {
    cx.graph
        .graph
        .edges_directed(crate::graph::node(c), petgraph::Direction::Incoming)
        .any(|e| trust(cx.model, cx.model.link(*e.weight()).from) == Trust::Public)
}

fn http_without_redirect(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for (i, c) in model.components.iter().enumerate() {
        if c.listeners.is_empty() || !is_public(cx, ComponentId(i as u32)) {
            continue;
        }
        let has_https = c.listeners.iter().any(|l| l.protocol == Protocol::Https);
        if has_https {
            for l in c
                .listeners
                .iter()
                .filter(|l| l.protocol == Protocol::Http && !l.redirect_to_https)
            {
                out.push(
                    Finding::new(
                        &TLS004,
                        l.span,
                        format!("public http listener on port {} of `{}` does not redirect to https", l.port, c.id.value),
                    )
                    .label("serves plaintext beside an https listener")
                    .help("redirect plain HTTP to HTTPS so a mistyped http:// link does not stay unencrypted")
                    .subject(c.id.value.clone())
                    .safe_fix(
                        "redirect the http listener to https",
                        format!("components:\n  {}:\n    listeners:\n      - {{ port: {}, protocol: http, redirect_to_https: true }}\n", c.id.value, l.port),
                    ),
                );
            }
        } else if c.load_balancer.is_some()
            && c.listeners.iter().all(|l| l.protocol == Protocol::Http)
        {
            let (cert, cert_yaml) = certificate_for_fix(model, cx.today);
            out.push(
                Finding::new(
                    &TLS004,
                    c.listeners[0].span,
                    format!("public load balancer `{}` listens only on plain http", c.id.value),
                )
                .label("no https listener")
                .help("add an https listener with a certificate, and redirect http to it")
                .subject(c.id.value.clone())
                .fix(
                    "serve https with a certificate and redirect http",
                    format!(
                        "components:\n  {}:\n    listeners:\n      - {{ port: 443, protocol: https, certificate: {cert} }}\n      - {{ port: 80, protocol: http, redirect_to_https: true }}\n{cert_yaml}",
                        c.id.value
                    ),
                ),
            );
        }
    }
}

fn weak_or_expired_certificate(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    let today = cx.today;
    for cert in &model.certificates {
        if let Some(expires) = &cert.expires {
            let left = expires.value.days() - today.days();
            let problem = if left < 0 {
                Some(format!(
                    "certificate `{}` expired on {} ({} days before {today})",
                    cert.id.value, expires.value, -left
                ))
            } else if left <= 30 {
                Some(format!(
                    "certificate `{}` expires on {}, in {left} days",
                    cert.id.value, expires.value
                ))
            } else {
                None
            };
            if let Some(message) = problem {
                let renewed = crate::model::Date::from_days(today.days() + 365);
                out.push(
                    Finding::new(&TLS005, expires.span, message)
                        .label("renew before this date")
                        .help("renew the certificate (and automate renewal) before clients start refusing it")
                        .subject(cert.id.value.clone())
                        .fix(
                            "renew it",
                            format!("certificates:\n  {}:\n    expires: {renewed}\n", cert.id.value),
                        ),
                );
            }
        }
        if let Some(v) = &cert.min_tls_version
            && matches!(v.value.as_str(), "1.0" | "1.1")
        {
            out.push(
                Finding::new(
                    &TLS005,
                    v.span,
                    format!(
                        "certificate `{}` accepts TLS {}, which is broken and deprecated",
                        cert.id.value, v.value
                    ),
                )
                .label("below 1.2")
                .help("accept TLS 1.2 or later only")
                .subject(cert.id.value.clone())
                .fix(
                    "accept TLS 1.2 and later",
                    format!(
                        "certificates:\n  {}:\n    min_tls_version: \"1.2\"\n",
                        cert.id.value
                    ),
                ),
            );
        }
    }
    for c in &model.components {
        for l in c
            .listeners
            .iter()
            .filter(|l| l.protocol.implies_tls() && l.certificate.is_none())
        {
            out.push(no_certificate(model, c, l, today));
        }
    }
}

fn no_certificate(
    model: &Model,
    c: &ComponentDef,
    l: &crate::model::ListenerDef,
    today: crate::model::Date,
) -> Finding {
    let (cert, extra) = certificate_for_fix(model, today);
    Finding::new(
        &TLS005,
        l.span,
        format!("{} listener on port {} of `{}` names no certificate", l.protocol.as_str(), l.port, c.id.value),
    )
    .label("which certificate does it serve?")
    .help("name the certificate the listener serves, so its expiry and TLS version are checked")
    .subject(c.id.value.clone())
    .fix(
        "name its certificate",
        format!(
            "components:\n  {}:\n    listeners:\n      - {{ port: {}, protocol: {}, certificate: {cert} }}\n{extra}",
            c.id.value,
            l.port,
            l.protocol.as_str()
        ),
    )
}

fn plaintext_replication(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for (i, c) in model.components.iter().enumerate() {
        let Some(store) = &c.data_store else { continue };
        let Some((source, span)) = store.replicates_from else {
            continue;
        };
        let id = ComponentId(i as u32);
        if store.replication_tls || !across_hosts(model, id, source) {
            continue;
        }
        let mode = match store.replication_mode {
            crate::model::document::ReplicationMode::Async => "async",
            crate::model::document::ReplicationMode::SemiSync => "semi_sync",
            crate::model::document::ReplicationMode::Sync => "sync",
        };
        let mut f = Finding::new(
            &TLS006,
            span,
            format!(
                "`{}` replicates from `{}` across hosts without TLS: every write travels in plaintext",
                c.id.value,
                model.component(source).id.value
            ),
        )
        .label("replication stream in plaintext")
        .help("encrypt replication between hosts (`replication: { tls: true }`)")
        .subject(c.id.value.clone());
        if let Some(h) = c.host {
            f = f.subject(model.host(h).id.value.clone());
        }
        out.push(f.fix(
            "encrypt the replication stream",
            format!(
                "components:\n  {}:\n    replication: {{ mode: {mode}, tls: true }}\n",
                c.id.value
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::fixture::check_rule;

    fn topo(components: &str, links: &str) -> String {
        format!(
            "version: 1\nname: t\nzones:\n  dmz: {{ trust: dmz }}\n  vault: {{ trust: restricted }}\ncertificates:\n  www: {{ domains: [www.example.com], expires: 2027-06-01 }}\nhosts:\n  h1: {{}}\n  h2: {{}}\ncomponents:\n  users: {{ kind: client }}\n{components}links:\n{links}"
        )
    }

    #[test]
    fn tls001_plaintext_from_public() {
        let web = "  web: { kind: web_server, listeners: [{ port: 443, protocol: https, certificate: www }] }\n";
        check_rule(
            "TLS001",
            &[
                &topo(
                    web,
                    "  - { from: users, to: web, protocol: http, port: 80 }\n",
                ),
                &topo(web, "  - { from: users, to: web }\n"),
            ],
            &[
                &topo(
                    web,
                    "  - { from: users, to: web, protocol: https, port: 443 }\n",
                ),
                &topo(
                    web,
                    "  - { from: users, to: web, protocol: tcp, tls: true }\n",
                ),
            ],
        );
    }

    #[test]
    fn tls002_plaintext_across_zones() {
        let comps = "  web: { kind: web_server, zone: dmz }\n  app: { kind: app_server }\n  keys: { kind: database, zone: vault }\n";
        check_rule(
            "TLS002",
            &[&topo(
                comps,
                "  - { from: users, to: web, protocol: https }\n  - { from: web, to: app, protocol: http }\n  - { from: app, to: keys, protocol: postgres, tls: true }\n",
            )],
            &[
                &topo(
                    comps,
                    "  - { from: users, to: web, protocol: https }\n  - { from: web, to: app, protocol: https }\n  - { from: app, to: keys, protocol: postgres, tls: true }\n",
                ),
                // TLS001's link is not reported again.
                &topo(
                    "  web: { kind: web_server, zone: dmz }\n",
                    "  - { from: users, to: web, protocol: http }\n",
                ),
            ],
        );
    }

    /// Name resolution from the internet (`users -> ns`) and across zones (`web`, in the
    /// DMZ, to a resolver in a restricted zone), both plaintext by design.
    fn dns_lookups() -> String {
        topo(
            "  ns: { kind: dns }\n  web: { kind: web_server, zone: dmz }\n  resolver: { kind: dns, zone: vault }\n",
            "  - { from: users, to: ns, protocol: dns, port: 53 }\n  - { from: users, to: web, protocol: https, port: 443 }\n  - { from: web, to: resolver, protocol: dns, port: 53 }\n",
        )
    }

    #[test]
    fn tls001_exempts_dns() {
        check_rule("TLS001", &[], &[&dns_lookups()]);
    }

    #[test]
    fn tls002_exempts_dns() {
        check_rule("TLS002", &[], &[&dns_lookups()]);
    }

    #[test]
    fn tls003_tls_terminated_at_lb() {
        let lb = |backend: &str, web_host: &str| {
            format!(
                "  lb: {{ kind: load_balancer, host: h1, listeners: [{{ port: 443, protocol: https, certificate: www }}], balancing: {{ targets: [web]{backend}, health_check: {{ path: / }} }} }}\n  web: {{ kind: web_server, host: {web_host} }}\n"
            )
        };
        let link = "  - { from: users, to: lb, protocol: https, port: 443 }\n";
        check_rule(
            "TLS003",
            &[&topo(&lb("", "h2"), link)],
            &[
                &topo(&lb(", backend: { protocol: https, port: 443 }", "h2"), link),
                &topo(&lb("", "h1"), link),
            ],
        );
    }

    #[test]
    fn tls004_http_without_redirect() {
        let lb = |listeners: &str| {
            format!(
                "  lb: {{ kind: load_balancer, listeners: [{listeners}], balancing: {{ targets: [web] }} }}\n  web: {{ kind: web_server }}\n"
            )
        };
        let link = "  - { from: users, to: lb, protocol: https, port: 443 }\n";
        check_rule(
            "TLS004",
            &[
                &topo(
                    &lb(
                        "{ port: 443, protocol: https, certificate: www }, { port: 80, protocol: http }",
                    ),
                    link,
                ),
                &topo(&lb("{ port: 80, protocol: http }"), link),
            ],
            &[&topo(
                &lb(
                    "{ port: 443, protocol: https, certificate: www }, { port: 80, protocol: http, redirect_to_https: true }",
                ),
                link,
            )],
        );
    }

    #[test]
    fn tls005_weak_or_expired_certificate() {
        let web = "  web: { kind: web_server, listeners: [{ port: 443, protocol: https, certificate: www }] }\n";
        let link = "  - { from: users, to: web, protocol: https, port: 443 }\n";
        let t = topo(web, link);
        check_rule(
            "TLS005",
            &[
                &t.replace("expires: 2027-06-01", "expires: 2026-01-01"),
                &t.replace("expires: 2027-06-01", "expires: 2026-12-10"),
                &t.replace(
                    "expires: 2027-06-01",
                    "expires: 2027-06-01, min_tls_version: \"1.0\"",
                ),
                &t.replace("certificate: www }", "}"),
            ],
            &[
                &t,
                &t.replace(
                    "expires: 2027-06-01",
                    "expires: 2027-06-01, min_tls_version: \"1.3\"",
                ),
            ],
        );
    }

    #[test]
    fn tls006_plaintext_replication() {
        let dbs = |tls: &str, replica_host: &str| {
            format!(
                "  app: {{ kind: app_server }}\n  db-1: {{ kind: database, host: h1, role: primary }}\n  db-2: {{ kind: database, host: {replica_host}, role: replica, replicates_from: db-1{tls} }}\n"
            )
        };
        let links = "  - { from: users, to: app, protocol: https }\n  - { from: app, to: db-1, protocol: postgres }\n";
        check_rule(
            "TLS006",
            &[
                &topo(&dbs("", "h2"), links),
                &topo(&dbs(", replication: { mode: sync }", "h2"), links),
            ],
            &[
                &topo(&dbs(", replication: { tls: true }", "h2"), links),
                &topo(&dbs("", "h1"), links),
            ],
        );
    }
}
