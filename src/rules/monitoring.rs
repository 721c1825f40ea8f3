//! Whether failures are seen: unmonitored machines, monitoring that dies with what it
//! watches, and monitoring nobody is alerted by.

use crate::analysis::{Analysed, Context};
use crate::availability::EventId;
use crate::finding::Finding;
use crate::model::{ComponentId, HostId, Kind, Ref};

declare_rule!(MON001, "unmonitored", Monitoring, Warning, unmonitored);
declare_rule!(
    MON002,
    "monitoring-shares-fate",
    Monitoring,
    Warning,
    availability: monitoring_shares_fate
);
declare_rule!(MON003, "no-alerting", Monitoring, Info, no_alerting);

/// Something watched: a host or a component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Watched {
    Host(HostId),
    Component(ComponentId),
}

/// Every watched element with the monitoring components that watch it: by `monitors`,
/// and through agents that `report_to` them (or to another member of their `service`
/// group). Indexed by host and component.
struct Watchers {
    hosts: Vec<Vec<ComponentId>>,
    components: Vec<Vec<ComponentId>>,
}

impl Watchers {
    fn of(&self, w: Watched) -> &[ComponentId] {
        match w {
            Watched::Host(h) => &self.hosts[h.index()],
            Watched::Component(c) => &self.components[c.index()],
        }
    }

    fn contains_key(&self, w: &Watched) -> bool {
        !self.of(*w).is_empty()
    }

    /// The watched elements in order (hosts, then components), with their watchers.
    fn all(self) -> impl Iterator<Item = (Watched, Vec<ComponentId>)> {
        let hosts = self
            .hosts
            .into_iter()
            .enumerate()
            .map(|(i, w)| (Watched::Host(HostId(i as u32)), w));
        let components = self
            .components
            .into_iter()
            .enumerate()
            .map(|(i, w)| (Watched::Component(ComponentId(i as u32)), w));
        hosts.chain(components).filter(|(_, w)| !w.is_empty())
    }
}

fn watchers(cx: &Context) -> Watchers {
    let model = cx.model;
    let mut map = Watchers {
        hosts: vec![Vec::new(); model.hosts.len()],
        components: vec![Vec::new(); model.components.len()],
    };
    let mut add = |w: Watched, m: ComponentId| match w {
        Watched::Host(h) => map.hosts[h.index()].push(m),
        Watched::Component(c) => map.components[c.index()].push(m),
    };
    for (i, c) in model.components.iter().enumerate() {
        let Some(mon) = &c.monitor else { continue };
        let m = ComponentId(i as u32);
        for (r, _) in &mon.monitors {
            let w = match *r {
                Ref::Host(h) => Watched::Host(h),
                Ref::Component(x) => Watched::Component(x),
                _ => continue,
            };
            add(w, m);
        }
    }
    // An agent that reports to a member of a `service` group reports to the whole
    // group: any collector of it still receives the agent when the others are down.
    let collectors = |to: ComponentId| {
        cx.group_of(to)
            .iter()
            .copied()
            .filter(|m| model.component(*m).kind.value == Kind::Monitoring)
    };
    for (i, h) in model.hosts.iter().enumerate() {
        if let Some(to) = h.monitoring.as_ref().and_then(|a| a.reports_to) {
            for m in collectors(to) {
                add(Watched::Host(HostId(i as u32)), m);
            }
        }
    }
    for (i, c) in model.components.iter().enumerate() {
        if let Some(to) = c.monitoring.as_ref().and_then(|a| a.reports_to) {
            for m in collectors(to) {
                add(Watched::Component(ComponentId(i as u32)), m);
            }
        }
    }
    for list in map.hosts.iter_mut().chain(map.components.iter_mut()) {
        if list.len() > 1 {
            list.sort_unstable();
            list.dedup();
        }
    }
    map
}

fn unmonitored(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    let watched = watchers(cx);
    let collector = model
        .components
        .iter()
        .find(|c| c.kind.value == Kind::Monitoring)
        .map(|c| c.id.value.clone());
    let agent = |section: &str, id: &str| {
        let reports = collector
            .as_ref()
            .map(|m| format!(", reports_to: {m}"))
            .unwrap_or_default();
        format!("{section}:\n  {id}:\n    monitoring: {{ agent: node_exporter{reports} }}\n")
    };
    for (i, h) in model.hosts.iter().enumerate() {
        if h.monitoring.is_some() || watched.contains_key(&Watched::Host(HostId(i as u32))) {
            continue;
        }
        let runs: Vec<&str> = h
            .components
            .iter()
            .map(|c| model.component(*c).id.value.as_str())
            .collect();
        let what = if runs.is_empty() {
            String::new()
        } else {
            format!(
                " (it runs {})",
                crate::finding::listed_of(runs.iter().map(|r| format!("`{r}`")), runs.len())
            )
        };
        out.push(
            Finding::new(&MON001, h.id.span, format!("host `{}` is not monitored{what}", h.id.value))
                .label("no agent, and nothing scrapes it")
                .help("install an agent that reports to your monitoring, or list the host in a monitoring component's `monitors`")
                .subject(h.id.value.clone())
                .fix("install a monitoring agent", agent("hosts", &h.id.value)),
        );
    }
    for (i, c) in model.components.iter().enumerate() {
        // A managed service is watched by its provider.
        if c.host.is_some() || c.kind.value == Kind::Client || c.managed {
            continue;
        }
        if c.monitoring.is_some()
            || watched.contains_key(&Watched::Component(ComponentId(i as u32)))
        {
            continue;
        }
        out.push(
            Finding::new(
                &MON001,
                c.id.span,
                format!(
                    "{} `{}` is not monitored",
                    c.kind.value.as_str(),
                    c.id.value
                ),
            )
            .label("no agent, and nothing scrapes it")
            .help("give it a monitoring agent, or list it in a monitoring component's `monitors`")
            .subject(c.id.value.clone())
            .fix("add a monitoring agent", agent("components", &c.id.value)),
        );
    }
}

fn monitoring_shares_fate(cx: &Analysed, out: &mut Vec<Finding>) {
    let model = cx.model;
    let av = &cx.availability;
    for (watched, monitors) in watchers(cx).all() {
        // The real failure events that stop what is watched.
        let stops_watched: Vec<EventId> = match watched {
            Watched::Host(h) => {
                let mut events = vec![av.host_event[h.index()]];
                events.extend(
                    model
                        .host(h)
                        .domains
                        .iter()
                        .map(|d| av.domain_event[d.index()]),
                );
                events
            }
            // A monitor watching itself shares its own fate: its outage is unreported.
            Watched::Component(c) => av.kill[c.index()]
                .iter()
                .copied()
                .filter(|e| av.events[e.0 as usize].is_failure())
                .collect(),
        };
        let shared = stops_watched
            .iter()
            .copied()
            .find(|e| monitors.iter().all(|m| av.stops(*e, *m)));
        let Some(event) = shared else { continue };
        let (id, span) = match watched {
            Watched::Host(h) => (model.host(h).id.value.clone(), model.host(h).id.span),
            Watched::Component(c) => (
                model.component(c).id.value.clone(),
                model.component(c).id.span,
            ),
        };
        let monitor_names: Vec<String> = monitors
            .iter()
            .map(|m| format!("`{}`", model.component(*m).id.value))
            .collect();
        let where_ = av.events[event.0 as usize].described(model);
        let mut f = Finding::new(
            &MON002,
            span,
            format!(
                "`{id}` and the monitoring that watches it ({}) fail together when {where_} fails: the outage would go unreported",
                crate::finding::listed(&monitor_names)
            ),
        )
        .label("watched here")
        .help("run monitoring on a machine (and rack) apart from what it watches, or add an external watcher")
        .subject(id.clone());
        for m in &monitors {
            f = f
                .subject(model.component(*m).id.value.clone())
                .related(model.component(*m).id.span, "its monitoring");
        }
        out.push(f);
    }
}

fn no_alerting(cx: &Context, out: &mut Vec<Finding>) {
    for c in &cx.model.components {
        let Some(mon) = &c.monitor else { continue };
        if !mon.alerts_to.is_empty() {
            continue;
        }
        out.push(
            Finding::new(
                &MON003,
                c.id.span,
                format!("monitoring `{}` alerts nobody", c.id.value),
            )
            .label("no `alerts_to`")
            .help("route alerts to a pager or a channel someone reads")
            .subject(c.id.value.clone())
            .fix(
                "send alerts somewhere",
                format!(
                    "components:\n  {}:\n    alerts_to: [pagerduty]\n",
                    c.id.value
                ),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::fixture::check_rule;

    fn topo(hosts: &str, components: &str) -> String {
        format!(
            "version: 1\nname: t\nhosts:\n{hosts}components:\n  users: {{ kind: client }}\n  web: {{ kind: web_server, host: h1 }}\n{components}links:\n  - {{ from: users, to: web, protocol: https }}\n"
        )
    }

    const MON: &str =
        "  mon: { kind: monitoring, host: h2, alerts_to: [pager], monitoring: { agent: x } }\n";

    #[test]
    fn mon001_unmonitored() {
        check_rule(
            "MON001",
            &[
                &topo("  h1: {}\n  h2: {}\n", MON),
                &topo(
                    "  h1: {}\n  h2: {}\n",
                    "  mon: { kind: monitoring, host: h2, monitors: [web, h2], alerts_to: [pager] }\n",
                ),
            ],
            &[
                &topo(
                    "  h1: { monitoring: { agent: node_exporter, reports_to: mon } }\n  h2: { monitoring: { agent: x } }\n",
                    MON,
                ),
                &topo(
                    "  h1: {}\n  h2: {}\n",
                    "  mon: { kind: monitoring, host: h2, monitors: [h1, h2], alerts_to: [pager] }\n",
                ),
            ],
        );
    }

    #[test]
    fn mon002_monitoring_shares_fate() {
        check_rule(
            "MON002",
            &[
                // The monitor runs on the host it watches.
                &topo(
                    "  h1: { monitoring: { agent: a, reports_to: mon } }\n",
                    "  mon: { kind: monitoring, host: h1, alerts_to: [pager] }\n",
                ),
                // A collector whose own agent reports to itself.
                &topo(
                    "  h1: { monitoring: { agent: a, reports_to: mon } }\n",
                    "  mon: { kind: monitoring, alerts_to: [pager], monitoring: { agent: a, reports_to: mon } }\n",
                ),
                // On another host, but in the same rack.
                &topo(
                    "  h1: { failure_domains: { rack: r1 }, monitoring: { agent: a, reports_to: mon } }\n  h2: { failure_domains: { rack: r1 }, monitoring: { agent: a, reports_to: mon } }\n",
                    "  mon: { kind: monitoring, host: h2, alerts_to: [pager] }\n",
                ),
                // Reporting to a service group whose members all sit in the same rack.
                &topo(
                    "  h1: { failure_domains: { rack: r1 }, monitoring: { agent: a, reports_to: mon-1 } }\n  h2: { failure_domains: { rack: r1 } }\n  h3: { failure_domains: { rack: r1 } }\n",
                    "  mon-1: { kind: monitoring, host: h2, service: mon, alerts_to: [pager] }\n  mon-2: { kind: monitoring, host: h3, service: mon, alerts_to: [pager] }\n",
                ),
            ],
            &[
                &topo(
                    "  h1: { failure_domains: { rack: r1 }, monitoring: { agent: a, reports_to: mon } }\n  h2: { failure_domains: { rack: r2 } }\n",
                    "  mon: { kind: monitoring, host: h2, alerts_to: [pager] }\n",
                ),
                // Two watchers that no one failure stops together.
                &topo(
                    "  h1: { monitoring: { agent: a, reports_to: mon } }\n  h2: {}\n",
                    "  mon: { kind: monitoring, host: h1, alerts_to: [pager] }\n  mon-2: { kind: monitoring, host: h2, monitors: [h1], alerts_to: [pager] }\n",
                ),
            ],
        );
    }

    #[test]
    fn mon002_an_agent_reporting_to_a_service_group_is_watched_by_every_member() {
        // Agents report to `mon-1`, one of two collectors of the `mon` service on
        // separate hosts: losing either host leaves the other collector watching.
        let hosts = "  h1: { monitoring: { agent: a, reports_to: mon-1 } }\n  h2: { monitoring: { agent: a, reports_to: mon-1 } }\n  h3: { monitoring: { agent: a, reports_to: mon-1 } }\n";
        let group = "  mon-1: { kind: monitoring, host: h2, service: mon, alerts_to: [pager] }\n  mon-2: { kind: monitoring, host: h3, service: mon, alerts_to: [pager] }\n";
        check_rule("MON002", &[], &[&topo(hosts, group)]);
    }

    #[test]
    fn mon003_no_alerting() {
        check_rule(
            "MON003",
            &[&topo(
                "  h1: {}\n  h2: {}\n",
                "  mon: { kind: monitoring, host: h2, monitors: [h1] }\n",
            )],
            &[&topo("  h1: {}\n  h2: {}\n", MON)],
        );
    }
}
