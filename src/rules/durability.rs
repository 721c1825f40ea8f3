//! Durability: backups, and the data a failover loses. A replica is not a backup: it
//! replicates a `DROP TABLE` within milliseconds.

use crate::analysis::{Analysed, Context};
use crate::availability::{Event, EventId, Place};
use crate::finding::Finding;
use crate::model::{ComponentDef, ComponentId, Failover, Kind, Model, ReplicationMode, Role};
use crate::rules::availability::fixes::free_id;

declare_rule!(DUR001, "no-backup", Durability, Warning, availability: no_backup);

declare_rule!(
    DUR002,
    "backup-shares-fate",
    Durability,
    Warning,
    availability: backup_shares_fate
);

declare_rule!(
    DUR003,
    "untested-restore",
    Durability,
    Info,
    untested_restore
);

declare_rule!(
    DUR004,
    "async-failover-loses-writes",
    Durability,
    Info,
    availability: async_failover_loses_writes
);

/// How old a restore test may be, in days, before DUR003 calls the backup untested.
const RESTORE_TEST_DAYS: i64 = 90;

/// The real failures that stop both `a` and `b`, in event order.
fn shared_failures(cx: &Analysed, a: ComponentId, b: ComponentId) -> Vec<EventId> {
    let av = &cx.availability;
    let (ka, kb) = (&av.kill[a.index()], &av.kill[b.index()]);
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < ka.len() && j < kb.len() {
        match ka[i].cmp(&kb[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if av.events[ka[i].0 as usize].is_failure() {
                    out.push(ka[i]);
                }
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// How many storage components a DUR001 fix tries before it proposes a new bucket:
/// the fix costs the same on a file with thousands of them.
const STORAGE_TRIED: usize = 16;

/// The storage components a DUR001 fix may send backups to, in the order it tries
/// them: those others already back up to, then the rest, each list in file order.
fn backup_candidates(model: &Model, targets: &[bool]) -> Vec<ComponentId> {
    let storage = |want: bool| {
        model
            .components
            .iter()
            .enumerate()
            .filter(move |(i, s)| {
                s.kind.value == Kind::Storage && s.critical && targets[*i] == want
            })
            .map(|(i, _)| ComponentId(i as u32))
    };
    storage(true)
        .chain(storage(false))
        .take(STORAGE_TRIED)
        .collect()
}

/// The fix that gives `c` a backup: to a storage component no single failure stops
/// together with `c` (among `candidates`), or to a new managed bucket when there is
/// none.
fn backup_fix(cx: &Analysed, c: ComponentId, candidates: &[ComponentId]) -> (String, String) {
    let model = cx.model;
    let def = model.component(c);
    let existing = candidates
        .iter()
        .find(|s| **s != c && shared_failures(cx, c, **s).is_empty())
        .map(|s| (s, model.component(*s)));
    match existing {
        Some((_, s)) => (
            format!("back `{}` up to `{}` every day", def.id.value, s.id.value),
            format!(
                "components:\n  {}:\n    backup: {{ to: {}, interval_h: 24 }}\n",
                def.id.value, s.id.value
            ),
        ),
        None => {
            let bucket = free_id(model, "backups");
            (
                format!(
                    "back `{}` up every day to `{bucket}`, a managed bucket (add it)",
                    def.id.value
                ),
                format!(
                    "components:\n  {}:\n    backup: {{ to: {bucket}, interval_h: 24 }}\n  {bucket}:\n    kind: storage\n    managed: true\n",
                    def.id.value
                ),
            )
        }
    }
}

/// Which components are backup targets: they hold copies, not data of their own.
pub(crate) fn backup_targets(model: &Model) -> Vec<bool> {
    let mut targets = vec![false; model.components.len()];
    for c in &model.components {
        if let Some(b) = &c.backup {
            targets[b.to.index()] = true;
        }
    }
    targets
}

/// Whether `c` holds data of its own, whose loss DUR001 and `what-if` speak of: a
/// database that is not a replica, a storage component that is no one's backup
/// target, or any data store with a backup (whoever backs up a cache says its data
/// matters). `targets` is [`backup_targets`].
pub(crate) fn holds_data(cx: &Analysed, c: ComponentId, targets: &[bool]) -> bool {
    let def = cx.model.component(c);
    if def.backup.is_some() {
        return true;
    }
    match def.kind.value {
        Kind::Database => {
            def.data_store
                .as_ref()
                .is_some_and(|d| d.role != Role::Replica)
                && !matches!(cx.availability.clusters.place[c.index()], Place::Replica(_))
        }
        Kind::Storage => !targets[c.index()],
        _ => false,
    }
}

fn no_backup(cx: &Analysed, out: &mut Vec<Finding>) {
    let model = cx.model;
    let targets = backup_targets(model);
    let candidates = backup_candidates(model, &targets);
    for (i, def) in model.components.iter().enumerate() {
        let c = ComponentId(i as u32);
        // Managed storage is the provider's to keep.
        let provider_keeps = def.managed && def.kind.value == Kind::Storage;
        if def.backup.is_some() || provider_keeps || !holds_data(cx, c, &targets) {
            continue;
        }
        let kind = def.kind.value.as_str();
        let message = if def.managed {
            format!(
                "managed {kind} `{}` states no backup: say where the provider's backups go and how long they are kept",
                def.id.value
            )
        } else {
            format!(
                "{kind} `{}` has no backup: a mistaken delete, a bad migration or ransomware reaches every replica within seconds",
                def.id.value
            )
        };
        let (description, yaml) = backup_fix(cx, c, &candidates);
        out.push(
            Finding::new(&DUR001, def.id.span, message)
                .label("no `backup:`")
                .help("back it up to storage in another failure domain, and test a restore")
                .subject(def.id.value.clone())
                .fix(description, yaml),
        );
    }
}

fn backup_shares_fate(cx: &Analysed, out: &mut Vec<Finding>) {
    let model = cx.model;
    let av = &cx.availability;
    for (i, def) in model.components.iter().enumerate() {
        let Some(b) = &def.backup else { continue };
        let c = ComponentId(i as u32);
        let shared = shared_failures(cx, c, b.to);
        // The finest shared failure: a component, then a host, then a level value.
        let Some(&event) = shared.first() else {
            continue;
        };
        let target = model.component(b.to);
        let what = av.events[event.0 as usize].described(model);
        let mut f = Finding::new(
            &DUR002,
            b.to_span,
            format!(
                "`{}` and its backups in `{}` fail together when {what} fails: one event loses the data and its backups",
                def.id.value, target.id.value
            ),
        )
        .label(format!("backups go to `{}`", target.id.value))
        .related(target.id.span, "the backup target")
        .help("keep backups in another failure domain (another host, rack or region)")
        .subject(def.id.value.clone())
        .subject(target.id.value.clone());
        f = match av.events[event.0 as usize] {
            Event::Host(_) => {
                let host = free_id(model, &format!("{}-host", target.id.value));
                f.fix(
                    format!("move `{}` to a host of its own, `{host}`", target.id.value),
                    format!(
                        "hosts:\n  {host}: {{}}\ncomponents:\n  {}:\n    host: {host}\n",
                        target.id.value
                    ),
                )
            }
            _ => {
                let bucket = free_id(model, "offsite-backups");
                f.fix(
                    format!("back up to `{bucket}`, a managed bucket elsewhere (add it)"),
                    format!(
                        "components:\n  {}:\n    backup: {{ to: {bucket} }}\n  {bucket}:\n    kind: storage\n    managed: true\n",
                        def.id.value
                    ),
                )
            }
        };
        out.push(f);
    }
}

fn untested_restore(cx: &Context, out: &mut Vec<Finding>) {
    let model = cx.model;
    for def in &model.components {
        let Some(b) = &def.backup else { continue };
        let (message, span) = match &b.restore_tested {
            None => (
                format!(
                    "the backups of `{}` have never been restored: an untested backup is a hope",
                    def.id.value
                ),
                b.span,
            ),
            Some(d) => {
                let age = cx.today.days() - d.value.days();
                if age <= RESTORE_TEST_DAYS {
                    continue;
                }
                (
                    format!(
                        "the backups of `{}` were last restored {age} days before {}: more than {RESTORE_TEST_DAYS}",
                        def.id.value, cx.today
                    ),
                    d.span,
                )
            }
        };
        out.push(
            Finding::new(&DUR003, span, message)
                .label("no recent restore test")
                .help(
                    "restore a backup into a scratch instance, check the data, and record the day",
                )
                .subject(def.id.value.clone())
                // Only the user knows that a restore worked: no edit may state it.
                .prose_fix(format!(
                    "restore a backup, and when it works record the day under `{}`: `backup: {{ restore_tested: YYYY-MM-DD }}`",
                    def.id.value
                )),
        );
    }
}

fn async_failover_loses_writes(cx: &Analysed, out: &mut Vec<Finding>) {
    let model = cx.model;
    let av = &cx.availability;
    for (i, def) in model.components.iter().enumerate() {
        let c = ComponentId(i as u32);
        let Some(store) = &def.data_store else {
            continue;
        };
        if store.failover != Failover::Automatic || av.clusters.place[i] != Place::Head {
            continue;
        }
        let promotable: Vec<&ComponentDef> = av
            .clusters
            .replicas_of(c)
            .iter()
            .map(|r| model.component(*r))
            .filter(|r| r.critical && r.data_store.as_ref().is_some_and(|d| !d.opted_out))
            .collect();
        let lossy: Vec<&ComponentDef> = promotable
            .iter()
            .copied()
            .filter(|r| {
                r.data_store
                    .as_ref()
                    .is_some_and(|d| d.replication_mode != ReplicationMode::Sync)
            })
            .collect();
        if lossy.is_empty() {
            continue;
        }
        let names: Vec<String> = lossy.iter().map(|r| format!("`{}`", r.id.value)).collect();
        let mut f = Finding::new(
            &DUR004,
            def.id.span,
            format!(
                "`{}` fails over automatically onto {} asynchronous replica{} {}: writes it acknowledged but had not yet sent are lost on promotion",
                def.id.value,
                lossy.len(),
                if lossy.len() == 1 { "" } else { "s" },
                crate::finding::listed(&names)
            ),
        )
        .label("automatic failover")
        .subject(def.id.value.clone());
        for r in &lossy {
            f = f
                .subject(r.id.value.clone())
                .related(r.id.span, "an asynchronous replica it may promote");
        }
        // Synchronous replication with two or more replicas (ANY 1) loses nothing and
        // leaves no single replica in every write's path; with one, or an engine that
        // cannot wait (Redis), the loss is a decision to state.
        let redis = store
            .engine
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case("redis"));
        f = if lossy.len() >= 2 && !redis {
            let mut yaml = String::from("components:\n");
            for r in &lossy {
                yaml.push_str(&format!(
                    "  {}:\n    replication:\n      mode: sync\n",
                    r.id.value
                ));
            }
            f.help("replicate synchronously to at least two replicas (a commit waits for any one), or state the accepted loss in a suppression")
                .fix("replicate synchronously to every promotable replica", yaml)
        } else {
            f.help("state the accepted loss in a suppression (a single synchronous replica would stop every commit when it fails)")
                .fix(
                    "accept the loss, and say how much",
                    format!(
                        "components:\n  {}:\n    suppress:\n      - {{ rule: DUR004, reason: \"accepted: a failover loses the writes of the last seconds\" }}\n",
                        def.id.value
                    ),
                )
        };
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::fixture::{assert_fix_resolves, check_rule, lint};

    /// A design with one database, `db`, and the given extra YAML.
    fn shop(db: &str, extra: &str) -> String {
        format!(
            "version: 1
name: shop
hosts:
  h1: {{ failure_domains: {{ rack: r1 }} }}
  h2: {{ failure_domains: {{ rack: r2 }} }}
components:
  users: {{ kind: client }}
  app: {{ kind: app_server, instances: 2 }}
  db: {{ kind: database, host: h1{db} }}
{extra}links:
  - {{ from: users, to: app }}
  - {{ from: app, to: db }}
"
        )
    }

    fn codes(yaml: &str) -> Vec<String> {
        let report = lint(yaml);
        assert!(report.valid, "{:?}", report.findings);
        report
            .findings
            .iter()
            .filter(|f| f.rule.code.starts_with("DUR"))
            .map(|f| format!("{} {}", f.rule.code, f.subjects.join(" ")))
            .collect()
    }

    const VAULT_H2: &str = "  vault: { kind: storage, host: h2 }\n";
    const VAULT_H1: &str = "  vault: { kind: storage, host: h1 }\n";

    #[test]
    fn dur001_no_backup() {
        check_rule(
            "DUR001",
            &[
                &shop("", ""),
                // Managed too: say what the provider's backups are.
                &shop("", "").replace("host: h1 }", "managed: true }"),
                // A storage component nobody backs up to, and that has no backup.
                &shop(
                    ", backup: { to: vault, restore_tested: 2026-11-01 }",
                    "  vault: { kind: storage, host: h2 }\n  files: { kind: storage, host: h2 }\n",
                ),
            ],
            &[
                &shop(
                    ", backup: { to: vault, restore_tested: 2026-11-01 }",
                    VAULT_H2,
                ),
                // Caches, queues and replicas are exempt.
                &shop("", "").replace("kind: database", "kind: cache"),
            ],
        );
        // The fix: to existing storage in another failure domain, or to a new bucket.
        let fixed = assert_fix_resolves(&shop("", VAULT_H2), "DUR001", "db");
        assert!(fixed.contains("vault"), "{fixed}");
        let fixed = assert_fix_resolves(&shop("", VAULT_H1), "DUR001", "db");
        assert!(fixed.contains("backups"), "{fixed}");
        assert_fix_resolves(&shop("", ""), "DUR001", "db");
    }

    #[test]
    fn dur002_backup_shares_fate() {
        let same_host = shop(
            ", backup: { to: vault, restore_tested: 2026-11-01 }",
            VAULT_H1,
        );
        let same_rack = shop(
            ", backup: { to: vault, restore_tested: 2026-11-01 }",
            "  vault: { kind: storage, host: h3 }\n",
        )
        .replace(
            "components:",
            "  h3: { failure_domains: { rack: r1 } }\ncomponents:",
        );
        check_rule(
            "DUR002",
            &[&same_host, &same_rack],
            &[&shop(
                ", backup: { to: vault, restore_tested: 2026-11-01 }",
                VAULT_H2,
            )],
        );
        assert_eq!(codes(&same_host), ["DUR002 db vault"]);
        assert_fix_resolves(&same_host, "DUR002", "db");
        assert_fix_resolves(&same_rack, "DUR002", "db");
    }

    #[test]
    fn dur003_untested_restore() {
        // The fixtures lint as of 2026-11-24: 90 days back is 2026-08-26.
        check_rule(
            "DUR003",
            &[
                &shop(", backup: { to: vault }", VAULT_H2),
                &shop(
                    ", backup: { to: vault, restore_tested: 2026-08-25 }",
                    VAULT_H2,
                ),
            ],
            &[&shop(
                ", backup: { to: vault, restore_tested: 2026-08-26 }",
                VAULT_H2,
            )],
        );
        // Only the user can say a restore worked: the fix says what to do, no edit.
        let report = lint(&shop(", backup: { to: vault }", VAULT_H2));
        let f = report
            .findings
            .iter()
            .find(|f| f.rule.code == "DUR003")
            .unwrap();
        let fix = f.fix.as_ref().unwrap();
        assert_eq!(fix.applicability, crate::fix::Applicability::None);
        assert!(fix.edits.is_empty() && fix.description.contains("restore_tested"));
    }

    #[test]
    fn dur004_async_failover_loses_writes() {
        let replicas = |mode: &str, n: usize| {
            let mut extra = String::new();
            for i in 1..=n {
                extra.push_str(&format!(
                    "  db-r{i}: {{ kind: database, host: h2, role: replica, replicates_from: db{mode} }}\n"
                ));
            }
            shop(
                ", role: primary, failover: automatic, backup: { to: vault, restore_tested: 2026-11-01 }",
                &format!("{extra}  vault: {{ kind: storage }}\n"),
            )
        };
        check_rule(
            "DUR004",
            &[
                &replicas("", 1),
                &replicas(", replication: { mode: semi_sync }", 2),
            ],
            &[
                &replicas(", replication: { mode: sync }", 2),
                // No automatic failover: an operator decides what to lose.
                &replicas("", 1).replace("failover: automatic", "failover: manual"),
            ],
        );
        // Two replicas: both made synchronous; one: the loss stated.
        let fixed = assert_fix_resolves(&replicas("", 2), "DUR004", "db");
        assert!(fixed.contains("sync"), "{fixed}");
        let fixed = assert_fix_resolves(&replicas("", 1), "DUR004", "db");
        assert!(fixed.contains("suppress"), "{fixed}");
    }
}
