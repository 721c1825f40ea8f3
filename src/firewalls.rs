//! Which firewalls stand between two components, and what they admit: the one place
//! both the availability model (network firewalls are on the path) and the firewall
//! rules read.

use foldhash::HashMap;

use crate::model::{AllowDef, ComponentId, FirewallDef, HostId, Model, Ref, Source, Trust};

/// A firewall a link must pass.
#[derive(Clone, Copy, Debug)]
pub enum Barrier<'m> {
    /// The target's host firewall.
    Host(HostId, &'m FirewallDef),
    /// The `firewall:` of a target without a host.
    Own(ComponentId, &'m FirewallDef),
    /// A network firewall that protects the target.
    Network(ComponentId, &'m FirewallDef),
}

impl<'m> Barrier<'m> {
    /// The rules.
    pub fn rules(self) -> &'m FirewallDef {
        match self {
            Barrier::Host(_, f) | Barrier::Own(_, f) | Barrier::Network(_, f) => f,
        }
    }

    /// The id of what carries the firewall.
    pub fn owner(self, model: &Model) -> &str {
        match self {
            Barrier::Host(h, _) => &model.host(h).id.value,
            Barrier::Own(c, _) | Barrier::Network(c, _) => &model.component(c).id.value,
        }
    }

    /// The YAML that writes `fields` (lines as they sit among the firewall's rules,
    /// such as `default_inbound: deny`) where this firewall is written: under the
    /// `firewall:` of a host or a component, or among a network firewall's own fields.
    pub fn fix(self, model: &Model, fields: &str) -> String {
        let (section, under_firewall) = match self {
            Barrier::Host(..) => ("hosts", true),
            Barrier::Own(..) => ("components", true),
            Barrier::Network(..) => ("components", false),
        };
        let mut yaml = format!("{section}:\n  {}:\n", self.owner(model));
        let indent = if under_firewall {
            yaml.push_str("    firewall:\n");
            "      "
        } else {
            "    "
        };
        for line in fields.lines() {
            yaml.push_str(indent);
            yaml.push_str(line);
            yaml.push('\n');
        }
        yaml
    }

    /// "the host firewall of `h`", "network firewall `fw`"...
    pub fn describe(self, model: &Model) -> String {
        match self {
            Barrier::Host(h, _) => format!("the host firewall of `{}`", model.host(h).id.value),
            Barrier::Own(c, _) => format!("the firewall of `{}`", model.component(c).id.value),
            Barrier::Network(c, _) => format!("network firewall `{}`", model.component(c).id.value),
        }
    }
}

/// Network firewalls by what they protect.
#[derive(Debug, Default)]
pub struct Guards {
    by_component: HashMap<ComponentId, Vec<ComponentId>>,
    by_host: HashMap<HostId, Vec<ComponentId>>,
    by_zone: HashMap<u32, Vec<ComponentId>>,
}

impl Guards {
    /// Indexes every network firewall's `protects`.
    pub fn new(model: &Model) -> Guards {
        let mut guards = Guards::default();
        for (i, c) in model.components.iter().enumerate() {
            let Some(fw) = &c.network_firewall else {
                continue;
            };
            let f = ComponentId(i as u32);
            for (r, _) in &fw.protects {
                match *r {
                    Ref::Component(p) => guards.by_component.entry(p).or_default().push(f),
                    Ref::Host(h) => guards.by_host.entry(h).or_default().push(f),
                    Ref::Zone(z) => guards.by_zone.entry(z.0).or_default().push(f),
                    Ref::Certificate(_) => {}
                }
            }
        }
        guards
    }

    /// Whether there is no network firewall at all (most topologies): then nothing
    /// is guarded and no lookup is needed.
    pub fn is_empty(&self) -> bool {
        self.by_component.is_empty() && self.by_host.is_empty() && self.by_zone.is_empty()
    }

    /// The network firewalls that protect `c`, its host or its zone, sorted.
    pub fn guarding(&self, model: &Model, c: ComponentId) -> Vec<ComponentId> {
        let mut out: Vec<ComponentId> = Vec::new();
        if self.is_empty() {
            return out;
        }
        let def = model.component(c);
        out.extend(self.by_component.get(&c).into_iter().flatten());
        if let Some(h) = def.host {
            out.extend(self.by_host.get(&h).into_iter().flatten());
        }
        out.extend(self.by_zone.get(&def.zone.0).into_iter().flatten());
        out.retain(|f| *f != c);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The network firewalls a request from `from` to `to` crosses: those in front of
    /// `to` that `from` is not already behind.
    pub fn crossed(&self, model: &Model, from: ComponentId, to: ComponentId) -> Vec<ComponentId> {
        let mut guarding = self.guarding(model, to);
        if !guarding.is_empty() {
            let behind = self.guarding(model, from);
            guarding.retain(|f| !behind.contains(f));
        }
        guarding
    }

    /// Every firewall a request from `from` to `to` must pass.
    pub fn barriers<'m>(
        &self,
        model: &'m Model,
        from: ComponentId,
        to: ComponentId,
    ) -> impl Iterator<Item = Barrier<'m>> + use<'m> {
        let target = model.component(to);
        // The target's own: its host's firewall (unless `from` is on that host too), or
        // for a component without a host, its own firewall. No allocation for this one
        // (there is one per link checked).
        let own = match target.host {
            Some(h) if model.component(from).host != Some(h) => model
                .host(h)
                .firewall
                .as_ref()
                .map(|fw| Barrier::Host(h, fw)),
            Some(_) => None,
            None => target.firewall.as_deref().map(|fw| Barrier::Own(to, fw)),
        };
        let network: Vec<Barrier<'m>> = self
            .crossed(model, from, to)
            .into_iter()
            .filter_map(|f| {
                let nf = model.component(f).network_firewall.as_ref()?;
                Some(Barrier::Network(f, &nf.rules))
            })
            .collect();
        own.into_iter().chain(network)
    }
}

/// Whether a rule's source matches a request from `from`.
pub fn source_matches(model: &Model, source: &Source, from: ComponentId) -> bool {
    let c = model.component(from);
    match source {
        Source::Any => true,
        Source::Component(x) => *x == from,
        Source::Host(h) => c.host == Some(*h),
        Source::Zone(z) => c.zone == *z,
        Source::Cidr(cidr) => {
            cidr.is_everything() || model.zone(c.zone).cidr.is_some_and(|zc| cidr.contains(&zc))
        }
    }
}

/// The rule of `fw` that admits a request from `from` on `port`; None when none does
/// (a firewall with `default_inbound: allow` admits without a rule: see [`admits`]).
pub fn admitting_rule<'m>(
    model: &Model,
    fw: &'m FirewallDef,
    from: ComponentId,
    port: Option<u16>,
) -> Option<&'m AllowDef> {
    fw.allow
        .iter()
        .find(|r| r.port.admits(port) && source_matches(model, &r.from, from))
}

/// Whether `fw` lets a request from `from` on `port` in.
pub fn admits(model: &Model, fw: &FirewallDef, from: ComponentId, port: Option<u16>) -> bool {
    fw.default_allow || admitting_rule(model, fw, from, port).is_some()
}

/// Whether a rule's source includes the public internet: `any`, a public zone, or a
/// CIDR covering every address or any part of a public zone's range.
pub fn source_is_public(model: &Model, source: &Source) -> bool {
    match source {
        Source::Any => true,
        Source::Zone(z) => model.zone(*z).trust == Trust::Public,
        Source::Cidr(cidr) => {
            cidr.is_everything()
                || model.zones.iter().any(|z| {
                    z.trust == Trust::Public && z.cidr.is_some_and(|zc| cidr.overlaps(&zc))
                })
        }
        Source::Component(c) => model.zone(model.component(*c).zone).trust == Trust::Public,
        Source::Host(h) => model.zone(model.host(*h).zone).trust == Trust::Public,
    }
}
