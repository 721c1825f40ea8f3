//! `--fix`, `--unsafe-fixes` and `--diff`: apply the fixes of a file's findings in
//! rounds, re-linting between rounds, until nothing more applies (ruff's loop).

use super::{Applicability, Edit, apply};
use crate::lint::{LintOptions, lint_source};
use crate::source::SourceFile;

/// Most rounds of fixes on one file: each round applies every fix that does not touch
/// another's edits, so a file needs as many rounds as fixes touch one place.
pub const MAX_ROUNDS: usize = 10;

/// A fix that was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The rule.
    pub code: &'static str,
    /// The finding's first subject.
    pub subject: String,
    /// What the fix did.
    pub description: String,
}

/// A file after its fixes.
#[derive(Debug)]
pub struct Fixed {
    /// The new text (the old one when nothing applied).
    pub text: String,
    /// The fixes applied, in order.
    pub applied: Vec<Applied>,
    /// Rounds run (a round that applied nothing included).
    pub rounds: usize,
}

/// Whether two edits touch: overlap, or meet at one point (two insertions there would
/// depend on their order).
fn touch(a: &Edit, b: &Edit) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// Applies the fixes of `text`'s findings, safe ones (and unsafe ones when
/// `unsafe_fixes`), until none applies or [`MAX_ROUNDS`] have run. Every round's result
/// is linted; a round that would give an input error is not kept: its first fix is
/// retried alone, and a fix that breaks the file on its own is left out.
/// `skip` leaves out findings the configuration ignores for this file.
pub fn fix_text(
    path: &str,
    text: &str,
    limits: &LintOptions,
    unsafe_fixes: bool,
    skip: &dyn Fn(&crate::finding::Finding) -> bool,
) -> Fixed {
    let allowed = |a: Applicability| match a {
        Applicability::Safe => true,
        Applicability::Unsafe => unsafe_fixes,
        Applicability::None => false,
    };
    let mut text = text.to_string();
    let mut applied = Vec::new();
    let mut broken: Vec<(&'static str, String, String)> = Vec::new();
    let mut rounds = 0;
    while rounds < MAX_ROUNDS {
        rounds += 1;
        let report = lint_source(SourceFile::new(path, text.clone()), limits);
        if !report.valid {
            break;
        }
        let mut chosen: Vec<(Applied, &[Edit])> = Vec::new();
        let mut taken: Vec<&Edit> = Vec::new();
        for f in &report.findings {
            let Some(fix) = &f.fix else { continue };
            let key = (
                f.rule.code,
                f.subjects.first().cloned().unwrap_or_default(),
                fix.description.clone(),
            );
            if f.suppressed.is_some()
                || skip(f)
                || !allowed(fix.applicability)
                || fix.edits.is_empty()
                || broken.contains(&key)
                || fix.edits.iter().any(|e| taken.iter().any(|t| touch(e, t)))
            {
                continue;
            }
            taken.extend(&fix.edits);
            chosen.push((
                Applied {
                    code: key.0,
                    subject: key.1,
                    description: key.2,
                },
                &fix.edits,
            ));
        }
        if chosen.is_empty() {
            break;
        }
        let edits: Vec<Edit> = chosen.iter().flat_map(|(_, e)| e.iter().cloned()).collect();
        let next = apply(&text, &edits);
        if lint_source(SourceFile::new(path, next.clone()), limits).valid {
            text = next;
            applied.extend(chosen.into_iter().map(|(a, _)| a));
            continue;
        }
        // Some fix of the round breaks the file: try the first alone.
        let (first, first_edits) = &chosen[0];
        let alone = apply(&text, first_edits);
        if lint_source(SourceFile::new(path, alone.clone()), limits).valid {
            text = alone;
            applied.push(first.clone());
        } else {
            broken.push((first.code, first.subject.clone(), first.description.clone()));
        }
    }
    Fixed {
        text,
        applied,
        rounds,
    }
}

/// A unified diff from `old` to `new` for `path`, as `patch -p1` and `git apply` take
/// it (`a/PATH`, `b/PATH`); empty when they are equal.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let path = path.trim_start_matches("./");
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
