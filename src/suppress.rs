//! Suppressions written in the topology: each finding whose first subject carries a
//! matching `suppress` entry (with a reason, not expired) is marked suppressed; every
//! entry that is missing its reason, names no rule, has expired or matches nothing is
//! reported itself, so suppressions are an audit trail, not a silence.

use std::collections::HashMap;

use crate::config::RuleSet;
use crate::finding::Finding;
use crate::model::document::Suppression;
use crate::model::{Date, LinkOrigin, Model};
use crate::rules::suppression::{SUP001, SUP002, SUP003, SUP004};
use crate::rules::{self, Category};
use crate::yaml::Spanned;

/// One suppression entry and what it is written on.
struct Entry<'m> {
    entry: &'m Spanned<Suppression>,
    owner: String,
    used: bool,
}

/// Marks suppressed findings and appends the findings about the suppressions.
pub fn apply(model: &Model, findings: &mut Vec<Finding>, rules: &RuleSet, today: Date) {
    // Entries by the subject they sit on: an id, `from->to`, `level:value`, or "" for a
    // top-level entry without a subject (findings about the whole file).
    let mut entries: Vec<Entry> = Vec::new();
    let mut by_subject: HashMap<String, Vec<usize>> = HashMap::new();
    fn add<'m>(
        entries: &mut Vec<Entry<'m>>,
        by_subject: &mut HashMap<String, Vec<usize>>,
        subject: String,
        list: &'m [Spanned<Suppression>],
    ) {
        for e in list {
            by_subject
                .entry(subject.clone())
                .or_default()
                .push(entries.len());
            entries.push(Entry {
                entry: e,
                owner: subject.clone(),
                used: false,
            });
        }
    }
    // Only what carries suppressions is named: most of a large file carries none.
    for c in model.components.iter().filter(|c| !c.suppress.is_empty()) {
        add(
            &mut entries,
            &mut by_subject,
            c.id.value.clone(),
            &c.suppress,
        );
    }
    for h in model.hosts.iter().filter(|h| !h.suppress.is_empty()) {
        add(
            &mut entries,
            &mut by_subject,
            h.id.value.clone(),
            &h.suppress,
        );
    }
    for cert in model.certificates.iter().filter(|c| !c.suppress.is_empty()) {
        add(
            &mut entries,
            &mut by_subject,
            cert.id.value.clone(),
            &cert.suppress,
        );
    }
    for link in model.links.iter().filter(|l| !l.suppress.is_empty()) {
        add(
            &mut entries,
            &mut by_subject,
            link.name(model),
            &link.suppress,
        );
    }
    for e in &model.suppress {
        let subject = e
            .value
            .subject
            .as_ref()
            .map_or_else(String::new, |s| s.value.to_string());
        by_subject.entry(subject).or_default().push(entries.len());
        entries.push(Entry {
            entry: e,
            owner: "the topology".into(),
            used: false,
        });
    }
    if entries.is_empty() {
        return;
    }
    // Implied target links by name, to find their load balancer.
    let implied: HashMap<String, String> = model
        .links
        .iter()
        .filter_map(|l| match l.origin {
            LinkOrigin::Target { lb } => {
                Some((l.name(model), model.component(lb).id.value.clone()))
            }
            LinkOrigin::Declared => None,
        })
        .collect();

    for f in findings.iter_mut() {
        if f.rule.category == Category::Input {
            continue;
        }
        let subject = f
            .subjects
            .first()
            .map(|s| s.to_string())
            .unwrap_or_default();
        // A finding on a load balancer's implied target link is suppressed on the
        // load balancer.
        let subject = implied.get(&subject).cloned().unwrap_or(subject);
        let Some(indexes) = by_subject.get(&subject) else {
            continue;
        };
        for &i in indexes {
            let e = &mut entries[i];
            let s = &e.entry.value;
            if rules::find(&s.rule.value).is_none_or(|r| r.code != f.rule.code) {
                continue;
            }
            e.used = true;
            let Some(reason) = s.reason.as_ref().filter(|r| !r.value.trim().is_empty()) else {
                continue;
            };
            if s.until
                .as_ref()
                .and_then(|u| Date::parse(&u.value))
                .is_some_and(|until| until < today)
            {
                continue;
            }
            f.suppressed = Some(reason.value.to_string());
            break;
        }
    }

    for e in &entries {
        let s = &e.entry.value;
        let span = e.entry.span;
        let rule = rules::find(&s.rule.value);
        let Some(rule) = rule.filter(|r| r.category != Category::Input) else {
            let message = match rule {
                Some(r) => format!(
                    "input errors cannot be suppressed (`{}` on {})",
                    r.code, e.owner
                ),
                None => format!(
                    "suppression on {} names no rule: `{}`",
                    e.owner, s.rule.value
                ),
            };
            let candidates = rules::RULES.iter().flat_map(|r| [r.code, r.name]);
            let help = match crate::spelling::closest(&s.rule.value, candidates) {
                Some(best) if rule.is_none() => format!("did you mean `{best}`?"),
                _ => "remove it, or name a rule from `infra-lint rules`".to_string(),
            };
            findings.push(
                Finding::new(&SUP002, s.rule.span, message)
                    .label("not a suppressible rule")
                    .help(help)
                    .subject(e.owner.clone()),
            );
            continue;
        };
        if s.reason.as_ref().is_none_or(|r| r.value.trim().is_empty()) {
            findings.push(
                Finding::new(
                    &SUP001,
                    span,
                    format!(
                        "suppression of {} on {} gives no reason, so it is not applied",
                        rule.code, e.owner
                    ),
                )
                .label("a `reason` is required")
                .help("say why the finding is accepted: `reason: \"...\"`")
                .subject(e.owner.clone()),
            );
            continue;
        }
        if let Some(until) = &s.until
            && let Some(date) = Date::parse(&until.value)
            && date < today
        {
            findings.push(
                Finding::new(
                    &SUP003,
                    until.span,
                    format!(
                        "suppression of {} on {} expired on {date}",
                        rule.code, e.owner
                    ),
                )
                .label("past this date")
                .help("fix the finding, or renew the suppression with a new `until` and reason")
                .subject(e.owner.clone()),
            );
            continue;
        }
        if !e.used && rules.runs(rule) {
            findings.push(
                Finding::new(
                    &SUP004,
                    span,
                    format!(
                        "suppression of {} on {} matches no finding",
                        rule.code, e.owner
                    ),
                )
                .label("nothing to suppress here")
                .help("the problem is gone: remove the suppression")
                .subject(e.owner.clone()),
            );
        }
    }
}
