//! `infra-lint what-if`: what stops when given components, hosts or failure-domain
//! values fail together.

use serde::Serialize;

use crate::analysis::Analysed;
use crate::availability::{EventId, simulate};
use crate::model::{ComponentId, Model, Ref};
use crate::rules::durability;
use crate::spelling;

/// The answer for one set of failures.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct WhatIf {
    /// What was failed, as given.
    pub failed: Vec<String>,
    /// Entrypoints that can no longer be served.
    pub entrypoints_lost: Vec<String>,
    /// Entrypoints still served.
    pub entrypoints_served: Vec<String>,
    /// Components that stop working: failed, or missing a dependency.
    pub stopped: Vec<String>,
    /// Components still up that no served entrypoint reaches any more.
    pub unreachable: Vec<String>,
    /// Quorums left with fewer working voters than they need.
    pub quorums_lost: Vec<QuorumLost>,
    /// Data stores left with no working copy: the store, every replica or member of
    /// its group, and its backup target all stop.
    pub data_lost: Vec<String>,
    /// Data stores whose backup target stops.
    pub backups_lost: Vec<BackupLost>,
}

/// A backup target the failures take.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct BackupLost {
    /// The data store backed up.
    pub of: String,
    /// Its backup target.
    pub to: String,
    /// Whether the data store stops as well (DUR002's case).
    pub with_the_store: bool,
}

/// A quorum the failures break, and the voters they take.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct QuorumLost {
    /// The component whose quorum it is.
    pub of: String,
    /// How many voters it needs.
    pub needs: u32,
    /// How many voters it has.
    pub voters: usize,
    /// The voters that stop working.
    pub taken: Vec<String>,
}

/// Resolves `what-if` ids: a component, a host, or `level:value`.
fn resolve(model: &Model, cx: &Analysed, id: &str) -> Result<(Vec<EventId>, Vec<usize>), String> {
    if let Some((level, value)) = id.split_once(':') {
        return match model
            .failure_domains
            .iter()
            .position(|d| d.level == level && d.value == value)
        {
            Some(d) => Ok((vec![cx.availability.domain_event[d]], Vec::new())),
            None => {
                let names: Vec<String> = model.failure_domains.iter().map(|d| d.name()).collect();
                Err(
                    match spelling::closest(id, names.iter().map(String::as_str)) {
                        Some(best) => {
                            format!("no failure-domain value `{id}`; did you mean `{best}`?")
                        }
                        None => format!("no failure-domain value `{id}` in this topology"),
                    },
                )
            }
        };
    }
    match model.lookup(id) {
        Some(Ref::Component(c)) => Ok((Vec::new(), vec![c.index()])),
        Some(Ref::Host(h)) => Ok((vec![cx.availability.host_event[h.index()]], Vec::new())),
        Some(other) => Err(format!(
            "`{id}` is a {}: only components, hosts and failure-domain values (`rack:r1`) fail",
            other.noun()
        )),
        None => Err(match spelling::closest(id, model.ids()) {
            Some(best) => format!("no component or host `{id}`; did you mean `{best}`?"),
            None => format!("no component or host `{id}` in this topology"),
        }),
    }
}

/// Fails every id in `ids` at once and reports what stops.
pub fn what_if(cx: &Analysed, ids: &[String]) -> Result<WhatIf, String> {
    let model = cx.model;
    let mut events = Vec::new();
    let mut down = Vec::new();
    for id in ids {
        let (e, d) = resolve(model, cx, id)?;
        events.extend(e);
        down.extend(d);
    }
    Ok(what_if_events(cx, ids, &events, &down))
}

/// The failures as analysis events (`events`) and components down in every instance
/// (`down`); `ids` is how the user named them.
pub fn what_if_events(cx: &Analysed, ids: &[String], events: &[EventId], down: &[usize]) -> WhatIf {
    let model = cx.model;
    let av = &cx.availability;
    let working = simulate(&av.own, &av.demands, events, down);
    let served: Vec<bool> = model
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| c.entrypoint && working[i])
        .collect();
    let reached = cx.reachable_from(&served, Some(&working));
    let reached_before = cx.reachable();
    let name = |i: usize| model.components[i].id.value.clone();
    let mut answer = WhatIf {
        failed: ids.to_vec(),
        entrypoints_lost: Vec::new(),
        entrypoints_served: Vec::new(),
        stopped: Vec::new(),
        unreachable: Vec::new(),
        quorums_lost: Vec::new(),
        data_lost: Vec::new(),
        backups_lost: Vec::new(),
    };
    for &q in &av.quorums {
        let quorum = model
            .component(q)
            .quorum
            .as_ref()
            .expect("listed for its quorum");
        let taken: Vec<String> = quorum
            .voters
            .iter()
            .filter(|v| !working[v.index()])
            .map(|v| name(v.index()))
            .collect();
        if quorum.voters.len() - taken.len() < quorum.needs as usize {
            answer.quorums_lost.push(QuorumLost {
                of: name(q.index()),
                needs: quorum.needs,
                voters: quorum.voters.len(),
                taken,
            });
        }
    }
    for (i, c) in model.components.iter().enumerate() {
        if c.entrypoint {
            if working[i] {
                answer.entrypoints_served.push(name(i));
            } else {
                answer.entrypoints_lost.push(name(i));
            }
        }
        if !working[i] && !c.entrypoint {
            answer.stopped.push(name(i));
        } else if working[i] && !reached[i] && reached_before[i] {
            answer.unreachable.push(name(i));
        }
    }
    // Data: a store's copies are itself, its replicas (or the other members of its
    // group) and its backup target.
    let targets = durability::backup_targets(model);
    for (i, c) in model.components.iter().enumerate() {
        let id = ComponentId(i as u32);
        let backup_up = c.backup.as_ref().map(|b| working[b.to.index()]);
        if let (Some(b), Some(false)) = (&c.backup, backup_up) {
            answer.backups_lost.push(BackupLost {
                of: name(i),
                to: name(b.to.index()),
                with_the_store: !working[i],
            });
        }
        if working[i] || backup_up == Some(true) || !durability::holds_data(cx, id, &targets) {
            continue;
        }
        let copies_up = av
            .clusters
            .replicas_of(id)
            .iter()
            .chain(cx.group_of(id))
            .any(|r| working[r.index()]);
        if !copies_up {
            answer.data_lost.push(name(i));
        }
    }
    answer
}

impl WhatIf {
    /// The human rendering.
    pub fn text(&self) -> String {
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let mut quorums = String::new();
        for q in &self.quorums_lost {
            quorums.push_str(&format!(
                "  quorum of {} lost (needs {} of {} voters): takes {}\n",
                q.of,
                q.needs,
                q.voters,
                q.taken.join(", ")
            ));
        }
        let mut data = String::new();
        if !self.data_lost.is_empty() {
            data.push_str(&format!(
                "  data stores left with no working copy ({}): {}\n",
                self.data_lost.len(),
                self.data_lost.join(", ")
            ));
        }
        for b in &self.backups_lost {
            data.push_str(&format!(
                "  backups of {} lost: {} stops{}\n",
                b.of,
                b.to,
                if b.with_the_store {
                    format!(", and {} with it", b.of)
                } else {
                    String::new()
                }
            ));
        }
        format!(
            "what-if: {} fail{}\n  entrypoints no longer served: {}\n  entrypoints still served: {}\n  components that stop working ({}): {}\n  components still up but no longer reached ({}): {}\n{quorums}{data}",
            self.failed.join(", "),
            if self.failed.len() == 1 { "s" } else { "" },
            list(&self.entrypoints_lost),
            list(&self.entrypoints_served),
            self.stopped.len(),
            list(&self.stopped),
            self.unreachable.len(),
            list(&self.unreachable),
        )
    }
}
