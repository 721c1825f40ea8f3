//! Graph hygiene: what the shape of the graph says before any availability question.

use crate::analysis::Context;
use crate::finding::Finding;
use crate::model::Kind;

declare_rule!(
    GR001,
    "unreachable-component",
    Graph,
    Info,
    unreachable_component
);

fn unreachable_component(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    if !model.components.iter().any(|c| c.entrypoint) {
        return; // GR002 says it once; every component would be "unreachable".
    }
    let reached = cx.reachable();
    // The first reachable component of each kind, to name a plausible caller in the fix.
    let mut first_of_kind: std::collections::HashMap<Kind, &str> = std::collections::HashMap::new();
    for (i, c) in model.components.iter().enumerate() {
        if reached[i] {
            first_of_kind
                .entry(c.kind.value)
                .or_insert(c.id.value.as_str());
        }
    }
    for (i, c) in model.components.iter().enumerate() {
        if reached[i] || !c.critical || c.kind.value == Kind::Client {
            continue;
        }
        let callers: &[Kind] = match c.kind.value {
            k if k.is_data_store() => &[Kind::AppServer, Kind::Service, Kind::WebServer],
            Kind::AppServer | Kind::Service => &[
                Kind::WebServer,
                Kind::LoadBalancer,
                Kind::AppServer,
                Kind::Service,
            ],
            Kind::WebServer => &[Kind::LoadBalancer, Kind::Cdn],
            // The front of the system is called by the users (its targets behind it
            // calling it would make a loop).
            Kind::LoadBalancer | Kind::Cdn | Kind::Dns => &[Kind::Client],
            _ => &[Kind::LoadBalancer, Kind::WebServer, Kind::AppServer],
        };
        let caller = callers
            .iter()
            .find_map(|k| first_of_kind.get(k).copied())
            .or_else(|| first_of_kind.get(&Kind::Client).copied())
            .unwrap_or("users");
        let f = Finding::new(
            &GR001,
            c.id.span,
            format!("{} `{}` is not reached from any entrypoint", c.kind.value.as_str(), c.id.value),
        )
        .label("nothing links here from an entrypoint")
        .help(
            "link it from the component that calls it; if it starts work itself (a scheduled job), mark it \
             `entrypoint: true`; if users do not need it, `critical: false`",
        )
        .subject(c.id.value.clone())
        .fix(
            format!("link it from the component that uses it (for example `{caller}`)"),
            format!("links:\n  - {{ from: {caller}, to: {} }}\n", c.id.value),
        );
        out.push(f);
    }
}

declare_rule!(GR002, "no-entrypoint", Graph, Warning, no_entrypoint);

fn no_entrypoint(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    if model.components.iter().any(|c| c.entrypoint) {
        return;
    }
    let first = model.components.first();
    let mut f = Finding::new(
        &GR002,
        model.name_span,
        format!(
            "topology `{}` has no entrypoint: no component is a client or has `entrypoint: true`",
            model.name
        ),
    )
    .label("no traffic starts anywhere in this topology")
    .help("add a component of kind `client` (your users) linked to what they connect to");
    let target = first.map_or("lb-1", |c| c.id.value.as_str());
    let users = crate::rules::availability::fixes::free_id(model, "users");
    f = f.fix(
        "add the users as a client and link them to the entry of the system",
        format!(
            "components:\n  {users}:\n    kind: client\nlinks:\n  - {{ from: {users}, to: {target}, protocol: https, port: 443 }}\n"
        ),
    );
    out.push(f);
}

#[cfg(test)]
mod tests {
    use crate::rules::fixture::check_rule;

    #[test]
    fn gr001_unreachable_component() {
        check_rule(
            "GR001",
            &[
                // Nothing links to the database.
                "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  web: { kind: web_server }\n  db: { kind: database }\nlinks:\n  - { from: users, to: web }\n",
                // A link into the app exists, but from a component no entrypoint reaches.
                "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  web: { kind: web_server }\n  batch: { kind: service }\n  app: { kind: app_server }\nlinks:\n  - { from: users, to: web }\n  - { from: batch, to: app }\n",
                // A load balancer the users skip: linked from the users by the fix, not
                // from its own target.
                "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  lb: { kind: load_balancer, balancing: { targets: [web] } }\n  web: { kind: web_server }\nlinks:\n  - { from: users, to: web }\n",
            ],
            &[
                // Reached through a load balancer's targets and a service group.
                "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  lb: { kind: load_balancer, balancing: { targets: [web-1] } }\n  web-1: { kind: web_server }\n  app-1: { kind: app_server, service: app }\n  app-2: { kind: app_server, service: app }\nlinks:\n  - { from: users, to: lb }\n  - { from: web-1, to: app-1 }\n",
                // A standby replica is reached through its primary.
                "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  db: { kind: database, role: primary }\n  standby: { kind: database, role: replica, replicates_from: db }\nlinks:\n  - { from: users, to: db }\n",
                // Unreached but not critical (monitoring defaults to critical: false).
                "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  web: { kind: web_server }\n  mon: { kind: monitoring, monitors: [web] }\n  spare: { kind: service, critical: false }\nlinks:\n  - { from: users, to: web }\n",
                // A network firewall is reached when what it protects is.
                "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  web: { kind: web_server }\n  fw: { kind: firewall, protects: [web], allow: [{ port: 443, from: internet }] }\nlinks:\n  - { from: users, to: web, port: 443 }\n",
            ],
        );
    }

    #[test]
    fn gr002_no_entrypoint() {
        check_rule(
            "GR002",
            &[
                "version: 1\nname: headless\ncomponents:\n  web: { kind: web_server }\n  db: { kind: database }\nlinks:\n  - { from: web, to: db }\n",
            ],
            &[
                "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n",
                "version: 1\nname: t\ncomponents:\n  cron: { kind: service, entrypoint: true }\n",
            ],
        );
    }
}
