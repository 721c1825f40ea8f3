//! Hosts and their failure-domain values.

use super::*;
use crate::yaml::Text;

impl Validator {
    /// Builds the hosts and numbers their failure-domain values.
    pub(super) fn hosts(
        &mut self,
        entries: impl Iterator<Item = (Spanned<Text>, Spanned<Box<Host>>)>,
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
                    // An empty level or value names nothing that could fail.
                    let empty = [(level, "level"), (value, "value")]
                        .into_iter()
                        .find(|(s, _)| s.value.trim().is_empty());
                    if let Some((at, what)) = empty {
                        self.error(
                            Finding::new(
                                &crate::rules::input::IL006,
                                at.span,
                                format!("an empty failure-domain {what}"),
                            )
                            .label(format!("empty {what}"))
                            .help("name the level (`rack`, `datacenter`) and its value (`rack: dc1-r1`)"),
                        );
                        continue;
                    }
                    let values = match domain_numbers.get_mut(level.value.as_str()) {
                        Some(values) => values,
                        None => domain_numbers.entry(level.value.to_string()).or_default(),
                    };
                    let number = match values.get(value.value.as_str()) {
                        Some(&number) => number,
                        None => {
                            let number = found_domains.len() as u32;
                            values.insert(value.value.to_string(), number);
                            found_domains.push(FailureDomain {
                                level: level.value.to_string(),
                                value: value.value.to_string(),
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
                id: id.into_string(),
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

    /// The positions of levels a host gives again (each reported), in O(n log n) so a
    /// host with very many levels cannot stall validation.
    pub(super) fn repeated_levels(
        &mut self,
        pairs: &[(Spanned<Text>, Spanned<Text>)],
    ) -> Vec<usize> {
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
}
