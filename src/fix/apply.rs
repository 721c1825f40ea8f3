//! `--fix`, `--unsafe-fixes` and `--diff`: apply the fixes of a file's findings in
//! rounds, re-linting between rounds, until nothing more applies (ruff's loop).

use super::{Applicability, Edit, apply};
use crate::lint::{LintOptions, lint_source};
use crate::source::SourceFile;

/// Most rounds of fixes on one file: each round applies every fix that does not touch
/// another's edits, so a file needs as many rounds as fixes touch one place.
pub const MAX_ROUNDS: usize = 32;

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
    /// Whether the rounds stopped at [`MAX_ROUNDS`] with fixes still applying.
    pub stopped: bool,
}

/// Whether two edits touch: overlap, or meet at one point (an insertion at either end
/// of a replacement would depend on the order). Two insertions at one point do not
/// touch ([`super::apply`] orders them, deeper indentation first) unless they start
/// with the same key at the same indentation: both would add it.
fn touch(a: &Edit, b: &Edit) -> bool {
    let first_key = |e: &Edit| {
        let line = e.content.trim_start_matches('\n');
        let line = line.split('\n').next().unwrap_or_default();
        line.split_once(':')
            .map_or(line, |(key, _)| key)
            .to_string()
    };
    let insertions_at_one_point = a.start == a.end && b.start == b.end && a.start == b.start;
    if insertions_at_one_point {
        return first_key(a) == first_key(b);
    }
    a.start <= b.end && b.start <= a.end
}

/// The edits a round has taken, by start: disjoint, so an edit touches one of them
/// only if it touches the last that starts at or before its end, or one that starts
/// exactly at its end.
#[derive(Default)]
struct Taken(std::collections::BTreeMap<usize, Vec<Edit>>);

impl Taken {
    fn touches(&self, e: &Edit) -> bool {
        self.0
            .range(..=e.end)
            .next_back()
            .into_iter()
            .chain(self.0.range(..e.start).next_back())
            .flat_map(|(_, edits)| edits)
            .any(|t| touch(e, t))
    }

    fn insert(&mut self, e: &Edit) {
        self.0.entry(e.start).or_default().push(e.clone());
    }
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
    fix_text_with(path, text, unsafe_fixes, skip, &|source| {
        lint_source(source, limits)
    })
}

/// [`fix_text`] with the linter each round runs: an import's (`lint::lint_import`)
/// for a Compose file or manifests, whose fixes are edits of the source.
pub fn fix_text_with(
    path: &str,
    text: &str,
    unsafe_fixes: bool,
    skip: &dyn Fn(&crate::finding::Finding) -> bool,
    lint: &dyn Fn(SourceFile) -> crate::lint::FileReport,
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
    let mut stopped = true;
    while rounds < MAX_ROUNDS {
        rounds += 1;
        let report = lint(SourceFile::new(path, text.clone()));
        if !report.valid {
            stopped = false;
            break;
        }
        let mut chosen: Vec<(Applied, &[Edit])> = Vec::new();
        let mut taken = Taken::default();
        for f in &report.findings {
            let Some(fix) = &f.fix else { continue };
            let key = (
                f.rule.code,
                f.subjects
                    .first()
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                fix.description.to_string(),
            );
            if f.suppressed.is_some()
                || skip(f)
                || !allowed(fix.applicability)
                || fix.edits.is_empty()
                || broken.contains(&key)
                || fix.edits.iter().any(|e| taken.touches(e))
            {
                continue;
            }
            fix.edits.iter().for_each(|e| taken.insert(e));
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
            stopped = false;
            break;
        }
        let edits: Vec<Edit> = chosen.iter().flat_map(|(_, e)| e.iter().cloned()).collect();
        let next = apply(&text, &edits);
        if lint(SourceFile::new(path, next.clone())).valid {
            text = next;
            applied.extend(chosen.into_iter().map(|(a, _)| a));
            continue;
        }
        // Some fixes of the round break the file together or alone: keep the largest
        // halves that do not (a few lints for a few bad fixes), leave the rest to the
        // next round, and never retry a fix that breaks the file on its own.
        let ok = |indices: &[usize]| {
            let edits: Vec<Edit> = indices
                .iter()
                .flat_map(|&i| chosen[i].1.iter().cloned())
                .collect();
            lint(SourceFile::new(path, apply(&text, &edits))).valid
        };
        let mut kept: Vec<usize> = Vec::new();
        let mut pending: Vec<Vec<usize>> = vec![(0..chosen.len()).collect()];
        while let Some(part) = pending.pop() {
            let mut with: Vec<usize> = kept.clone();
            with.extend(&part);
            if ok(&with) {
                kept = with;
            } else if part.len() > 1 {
                let (left, right) = part.split_at(part.len() / 2);
                pending.push(right.to_vec());
                pending.push(left.to_vec());
            } else if !ok(&part) {
                let a = &chosen[part[0]].0;
                broken.push((a.code, a.subject.clone(), a.description.clone()));
            }
        }
        kept.sort_unstable();
        let edits: Vec<Edit> = kept
            .iter()
            .flat_map(|&i| chosen[i].1.iter().cloned())
            .collect();
        text = apply(&text, &edits);
        applied.extend(kept.iter().map(|&i| chosen[i].0.clone()));
    }
    Fixed {
        text,
        applied,
        rounds,
        stopped,
    }
}

/// A unified diff from `old` to `new` for `path`, as `patch -p1` and `git apply` take
/// it (`a/PATH`, `b/PATH`); empty when they are equal. A name with a space ends with a
/// tab, and one with a quote, a backslash or a control character is quoted C-style, as
/// git writes them, so that no file name can end a header line or forge another.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let path = path.trim_start_matches("./");
    let name = |side: &str| {
        let name = format!("{side}/{path}");
        if name
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\')
        {
            let mut quoted = String::from("\"");
            for c in name.chars() {
                match c {
                    '"' => quoted.push_str("\\\""),
                    '\\' => quoted.push_str("\\\\"),
                    '\n' => quoted.push_str("\\n"),
                    '\t' => quoted.push_str("\\t"),
                    '\r' => quoted.push_str("\\r"),
                    c if c.is_control() => {
                        let mut buf = [0; 4];
                        for b in c.encode_utf8(&mut buf).bytes() {
                            quoted.push_str(&format!("\\{b:03o}"));
                        }
                    }
                    c => quoted.push(c),
                }
            }
            quoted.push('"');
            quoted
        } else if name.contains(' ') {
            format!("{name}\t")
        } else {
            name
        }
    };
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&name("a"), &name("b"))
        .to_string()
}
