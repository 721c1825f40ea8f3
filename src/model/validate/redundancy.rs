//! The checks of what makes components stand in for each other, or keep each other's
//! data, which need every component built: quorums, `service` groups, replication
//! clusters, load balancer pools and backups. A design the availability model cannot read one way is an error (IL006), not
//! a guess.

use foldhash::HashMap;

use super::Validator;
use crate::finding::Finding;
use crate::model::document::{Backup, Failover, Kind, Quorum, QuorumFor};
use crate::model::{BackupDef, ComponentDef, ComponentId, QuorumDef};
use crate::rules::input::{IL004, IL006};
use crate::source::Span;
use crate::yaml::Spanned;

/// Kinds that can stand in for each other in one `service` group: the same kind, or
/// the three kinds that all serve requests (a web server, an app server and a service
/// under one label are one tier written three ways).
fn stand_in_class(kind: Kind) -> Kind {
    match kind {
        Kind::WebServer | Kind::AppServer | Kind::Service => Kind::Service,
        other => other,
    }
}

impl Validator {
    /// A `backup:` block: its target resolved (its kind is checked once every
    /// component is built), its interval and date checked.
    pub(super) fn backup(&mut self, b: &Backup, key: Span) -> Option<BackupDef> {
        let to = self.component_ref(&b.to, "backup target");
        if let Some(h) = &b.interval_h
            && h.value < 1
        {
            self.error(
                Finding::new(
                    &IL006,
                    h.span,
                    format!("interval_h: {} is not an interval", h.value),
                )
                .label("must be at least 1")
                .help("how many hours pass between two backups, e.g. `interval_h: 24`"),
            );
        }
        let restore_tested = b.restore_tested.as_ref().and_then(|d| {
            match crate::model::Date::parse(&d.value) {
                Some(date) => Some(Spanned {
                    value: date,
                    span: d.span,
                    key: d.key,
                }),
                None => {
                    self.error(
                        Finding::new(&IL006, d.span, format!("invalid date `{}`", d.value))
                            .label("not a date")
                            .help("write the day of the last restore test as YYYY-MM-DD, e.g. 2026-10-01"),
                    );
                    None
                }
            }
        });
        Some(BackupDef {
            to: to?,
            to_span: b.to.span,
            interval_h: b
                .interval_h
                .as_ref()
                .and_then(|h| u32::try_from(h.value).ok()),
            restore_tested,
            span: key,
        })
    }

    /// Every backup goes to a storage component other than its own.
    pub(super) fn backup_targets(&mut self, components: &[ComponentDef]) {
        for (i, c) in components.iter().enumerate() {
            let Some(b) = &c.backup else { continue };
            let target = &components[b.to.index()];
            if b.to.index() == i {
                self.error(
                    Finding::new(
                        &IL006,
                        b.to_span,
                        format!("`{}` backs up to itself", c.id.value),
                    )
                    .label("itself")
                    .help("a backup is a copy elsewhere: name a storage component"),
                );
            } else if target.kind.value != Kind::Storage {
                self.error(
                    Finding::new(
                        &crate::rules::input::IL003,
                        b.to_span,
                        format!(
                            "backup target `{}` is {} {}, not a storage component",
                            target.id.value,
                            if target
                                .kind
                                .value
                                .as_str()
                                .starts_with(['a', 'e', 'i', 'o', 'u'])
                            {
                                "an"
                            } else {
                                "a"
                            },
                            target.kind.value.as_str()
                        ),
                    )
                    .label("not storage")
                    .help(
                        "backups go to a component of kind storage (an S3 bucket, a backup server)",
                    ),
                );
            }
        }
    }

    /// A component's `quorum:` block: voters resolved, `needs` in 1..=n, `for` only on
    /// a primary with automatic failover.
    pub(super) fn quorum(
        &mut self,
        q: &Quorum,
        key: Span,
        id: &str,
        primary: bool,
        failover: Failover,
    ) -> Option<QuorumDef> {
        let mut voters: Vec<(ComponentId, Span)> = Vec::new();
        for v in &q.voters.value {
            if let Some(c) = self.component_ref(v, "quorum voter") {
                if let Some((_, first)) = voters.iter().find(|(x, _)| *x == c) {
                    self.error(
                        Finding::new(
                            &IL004,
                            v.span,
                            format!("voter `{}` is listed twice", v.value),
                        )
                        .label("listed again here")
                        .related(*first, "first listed here"),
                    );
                    continue;
                }
                voters.push((c, v.span));
            }
        }
        let mut ok = true;
        if q.voters.value.is_empty() {
            ok = false;
            self.error(
                Finding::new(
                    &IL006,
                    q.voters.span,
                    format!("the quorum of `{id}` has no voters"),
                )
                .label("no voters")
                .help("name the components that must agree, e.g. `voters: [s1, s2, s3]`"),
            );
        }
        let n = q.voters.value.len() as i64;
        let needs = match &q.needs {
            Some(k) if k.value < 1 || k.value > n.max(1) => {
                ok = false;
                self.error(
                    Finding::new(
                        &IL006,
                        k.span,
                        format!(
                            "a quorum of {n} voter{} cannot need {}",
                            if n == 1 { "" } else { "s" },
                            k.value
                        ),
                    )
                    .label(format!("must be 1 to {n}"))
                    .help("`needs` is how many voters must work; leave it out for a majority"),
                );
                1
            }
            Some(k) => k.value as u32,
            None => (voters.len() / 2 + 1) as u32,
        };
        if primary && failover != Failover::Automatic {
            ok = false;
            self.error(
                Finding::new(
                    &IL006,
                    key,
                    format!("primary `{id}` has a quorum but no automatic failover"),
                )
                .label("a quorum decides automatic promotions")
                .help("add `failover: automatic`, or remove the quorum"),
            );
        }
        if let Some(gates) = &q.gates
            && !primary
        {
            ok = false;
            self.error(
                Finding::new(
                    &IL006,
                    gates.span,
                    format!("`for:` on the quorum of `{id}`, which is not a primary"),
                )
                .label("only a primary's quorum gates promotion or writes")
                .help("remove `for:`: on any other component a quorum means it works only while `needs` voters work"),
            );
        }
        if !ok || voters.len() != q.voters.value.len() {
            return None;
        }
        let mut voters: Vec<ComponentId> = voters.into_iter().map(|(c, _)| c).collect();
        voters.sort_unstable();
        Some(QuorumDef {
            voters,
            needs,
            gates_writes: primary
                && q.gates
                    .as_ref()
                    .is_some_and(|g| g.value == QuorumFor::Writes),
            span: key,
        })
    }

    /// The checks over groups of components: a load balancer among its own targets, a
    /// `service` group of kinds that cannot stand in for each other, a `service` label
    /// on a member of a replication cluster.
    pub(super) fn redundancy(&mut self, components: &[ComponentDef]) {
        for (i, c) in components.iter().enumerate() {
            let Some(lb) = &c.load_balancer else { continue };
            for &(t, span) in &lb.targets {
                if t.index() == i {
                    self.error(
                        Finding::new(
                            &IL006,
                            span,
                            format!("load balancer `{}` lists itself as a target", c.id.value),
                        )
                        .label("itself")
                        .help("a load balancer balances over other components: remove it from `targets`"),
                    );
                }
            }
        }
        let mut first_of: HashMap<&str, usize> = HashMap::default();
        for (i, c) in components.iter().enumerate() {
            let Some(label) = &c.service else { continue };
            let first = *first_of.entry(label.value.as_str()).or_insert(i);
            let other = &components[first];
            if stand_in_class(c.kind.value) != stand_in_class(other.kind.value) {
                self.error(
                    Finding::new(
                        &IL006,
                        label.span,
                        format!(
                            "`{}` is a {} in `service: {}`, whose `{}` is a {}",
                            c.id.value,
                            c.kind.value.as_str(),
                            label.value,
                            other.id.value,
                            other.kind.value.as_str()
                        ),
                    )
                    .label("cannot stand in for the group's other members")
                    .related(other.service.as_ref().map_or(other.id.span, |s| s.span), "the group's first member")
                    .help("a `service` group holds components of one kind (web servers, app servers and services may mix): give this one its own label"),
                );
            }
        }
        // Members of a replication cluster: replicas of a data store, and data stores
        // that others replicate from.
        let mut source = vec![false; components.len()];
        for c in components {
            if let Some((s, _)) = c.data_store.as_ref().and_then(|d| d.replicates_from)
                && components[s.index()].data_store.is_some()
                && s.index() < source.len()
            {
                source[s.index()] = true;
            }
        }
        for (i, c) in components.iter().enumerate() {
            let (Some(label), Some(store)) = (&c.service, &c.data_store) else {
                continue;
            };
            let replica_of = store
                .replicates_from
                .filter(|(s, _)| components[s.index()].data_store.is_some());
            if replica_of.is_none() && !source[i] {
                continue;
            }
            self.error(
                Finding::new(
                    &IL006,
                    label.span,
                    format!(
                        "`{}` is in a replication cluster and has `service: {}`",
                        c.id.value, label.value
                    ),
                )
                .label("a replication cluster is already its redundancy group")
                .help("remove `service:`; the primary, its replicas and `failover` say how they stand in for each other"),
            );
        }
    }
}
