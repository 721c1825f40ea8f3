//! Findings: what a rule reports, with its locations, help and suggested fix.

use std::borrow::Cow;

use serde::Serialize;

use crate::rules::Rule;
use crate::source::Span;
use crate::yaml::Text;

/// How serious a finding is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Likely a problem.
    Warning,
    /// A problem.
    Error,
}

impl Severity {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The most characters of an input string a message quotes.
pub const QUOTED_CHARS: usize = 60;

/// An input string as a message quotes it: whole when short, else its start and its
/// length, so a 100 KB key does not make a 100 KB message.
pub fn shorten(text: &str) -> String {
    let count = text.chars().count();
    if count <= QUOTED_CHARS {
        return text.to_string();
    }
    let start: String = text.chars().take(QUOTED_CHARS).collect();
    format!("{start}… ({count} characters)")
}

/// The most items a message lists; the full list is in the finding's subjects and
/// labels.
pub const LISTED: usize = 5;

/// Items as a message lists them: `a, b and c`, or with more than [`LISTED`] the first
/// of them and how many more (`a, b, c, d, e, … and 49,995 more`), so a host running
/// 50,000 components does not make a 50,000-name message.
pub fn listed<T: std::fmt::Display>(items: &[T]) -> String {
    listed_of(items.iter(), items.len())
}

/// [`listed`] over the first items of a list of `total`: only those shown are read.
pub fn listed_of<T: std::fmt::Display>(items: impl Iterator<Item = T>, total: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let shown = total.min(LISTED);
    for (i, item) in items.take(shown).enumerate() {
        let sep = match i {
            0 => "",
            _ if i + 1 == total => " and ",
            _ => ", ",
        };
        let _ = write!(out, "{sep}{item}");
    }
    if total > shown {
        let _ = write!(out, ", … and {} more", thousands(total - shown));
    }
    out
}

/// A count with thousands separated: `49,998`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A labelled span of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What the reader should see there.
    pub text: String,
}

/// A suggested change: the YAML to add or change, and the edits of the file that make
/// it (planned once the file's findings are known, see [`crate::fix::attach_edits`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// What the change does.
    pub description: Cow<'static, str>,
    /// Whether `--fix` applies it, or only `--unsafe-fixes`, or nothing.
    pub applicability: crate::fix::Applicability,
    /// The edits of the file.
    pub edits: Vec<crate::fix::Edit>,
    /// The YAML to add or change, as a fragment of a topology.
    pub yaml: String,
    /// List items the fix deletes (where each is written): a link replaced by another.
    #[serde(skip)]
    pub remove: Vec<Span>,
}

/// A finding's text at its exact size: `format!` leaves room to grow (up to twice the
/// text), and a findings-heavy file keeps hundreds of thousands of these texts at once.
fn exact(text: impl Into<String>) -> String {
    let mut text = text.into();
    text.shrink_to_fit();
    text
}

/// [`exact`] for a text that is often written once in a rule (`&'static str`): such a
/// text is not copied.
fn shared(text: impl Into<Cow<'static, str>>) -> Cow<'static, str> {
    match text.into() {
        Cow::Owned(owned) => Cow::Owned(exact(owned)),
        borrowed => borrowed,
    }
}

/// One thing a rule found in one file.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The rule that found it.
    pub rule: &'static Rule,
    /// Its severity (the rule's default unless configured otherwise).
    pub severity: Severity,
    /// What is wrong, naming the elements involved.
    pub message: String,
    /// The main location.
    pub span: Span,
    /// The label on the main location.
    pub label: String,
    /// Further locations that explain it.
    pub related: Vec<Label>,
    /// How to fix it, in a sentence (most rules' are written once, not per finding).
    pub help: Option<Cow<'static, str>>,
    /// The suggested change.
    pub fix: Option<Fix>,
    /// The ids the finding is about, the main one first.
    pub subjects: Vec<Text>,
    /// The reason it is suppressed, when it is.
    pub suppressed: Option<String>,
}

impl Finding {
    /// A finding of `rule` at `span`, with the rule's default severity.
    pub fn new(rule: &'static Rule, span: Span, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.severity,
            message: exact(message),
            span,
            label: String::new(),
            related: Vec::new(),
            help: None,
            fix: None,
            subjects: Vec::new(),
            suppressed: None,
        }
    }

    /// Sets the main label.
    pub fn label(mut self, text: impl Into<String>) -> Finding {
        self.label = exact(text);
        self
    }

    /// Adds a related location.
    pub fn related(mut self, span: Span, text: impl Into<String>) -> Finding {
        // One more at a time, as subjects.
        self.related.reserve_exact(1);
        self.related.push(Label {
            span,
            text: exact(text),
        });
        self
    }

    /// Sets the help line.
    pub fn help(mut self, text: impl Into<Cow<'static, str>>) -> Finding {
        self.help = Some(shared(text));
        self
    }

    /// Sets the suggested fix.
    /// Adds a fix that changes the design: it adds machines, moves a component, or
    /// states a decision or a fact (applied only with `--unsafe-fixes`).
    pub fn fix(
        mut self,
        description: impl Into<Cow<'static, str>>,
        yaml: impl Into<String>,
    ) -> Finding {
        self.fix = Some(Fix {
            description: shared(description),
            applicability: crate::fix::Applicability::Unsafe,
            edits: Vec::new(),
            yaml: exact(yaml),
            remove: Vec::new(),
        });
        self
    }

    /// Adds a fix no edit can say (a choice of design, or another finding's fix to
    /// apply first): shown, never applied.
    pub fn prose_fix(mut self, description: impl Into<Cow<'static, str>>) -> Finding {
        self.fix = Some(Fix {
            description: shared(description),
            applicability: crate::fix::Applicability::None,
            edits: Vec::new(),
            yaml: String::new(),
            remove: Vec::new(),
        });
        self
    }

    /// Adds a fix that only completes what the design already says (a health check, a
    /// redirect to https, `access: read`): `--fix` applies it.
    pub fn safe_fix(
        self,
        description: impl Into<Cow<'static, str>>,
        yaml: impl Into<String>,
    ) -> Finding {
        let mut f = self.fix(description, yaml);
        if let Some(fix) = &mut f.fix {
            fix.applicability = crate::fix::Applicability::Safe;
        }
        f
    }

    /// Makes the fix also delete the list item written at `span` (a link).
    pub fn removing(mut self, span: Span) -> Finding {
        if let Some(fix) = &mut self.fix {
            fix.remove.push(span);
        }
        self
    }

    /// Adds a subject id.
    pub fn subject(mut self, id: impl AsRef<str>) -> Finding {
        // One more at a time: most findings have one to three, and a list grown by
        // doubling would keep room for four.
        self.subjects.reserve_exact(1);
        self.subjects.push(Text::from(id.as_ref()));
        self
    }
}

impl Finding {
    /// A stable identity for baselines and code scanning: the rule, the file, the ids
    /// involved and the text the finding points at (with its whitespace runs made one
    /// space), never a line number, so moving YAML around keeps it while two findings
    /// a reader can tell apart (an expired and a weak certificate, two listeners, a
    /// default allow and an any-from-any rule) never share one. Findings without
    /// subjects (input errors) use their message instead.
    pub fn fingerprint(&self, source: &crate::source::SourceFile) -> String {
        format!("{:016x}", self.fingerprint_hash(source))
    }

    /// [`Finding::fingerprint`] as a number: FNV-1a over the rule's code, the file's
    /// path, then the subjects and the text's words joined by spaces (or the message),
    /// each ended by a zero byte.
    fn fingerprint_hash(&self, source: &crate::source::SourceFile) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for &b in bytes {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        let mut field = |s: &str| {
            feed(s.as_bytes());
            feed(&[0]);
        };
        field(self.rule.code);
        field(&source.path);
        if self.subjects.is_empty() {
            field(&self.message);
        }
        for s in &self.subjects {
            field(s);
        }
        if !self.subjects.is_empty() {
            let text = source
                .text
                .get(self.span.start as usize..self.span.end as usize)
                .unwrap_or_default();
            for (i, word) in text.split_whitespace().enumerate() {
                if i > 0 {
                    feed(b" ");
                }
                feed(word.as_bytes());
            }
            feed(&[0]);
        }
        h
    }
}

/// The fingerprints of a file's findings, in their order, each unique in the file: a
/// finding whose [`Finding::fingerprint`] an earlier one already has (two IL004 on one
/// line, two identical links) takes `-2`, `-3`, ... after it, so GitLab and code
/// scanning keep every one, and a baseline counts them.
pub fn fingerprints(findings: &[Finding], source: &crate::source::SourceFile) -> Vec<String> {
    // The hashes, on two threads when there are many (a finding's text may be long).
    let mut hashes: Vec<(&Finding, u64)> = findings.iter().map(|f| (f, 0)).collect();
    crate::runs::for_each_run(
        &mut hashes,
        FINGERPRINT_RUN,
        findings.len() >= FINGERPRINTS_ON_TWO_THREADS_FROM,
        |run| {
            for (f, hash) in run {
                *hash = f.fingerprint_hash(source);
            }
        },
    );
    let mut seen: std::collections::HashMap<u64, usize, foldhash::fast::FixedState> =
        std::collections::HashMap::default();
    seen.reserve(hashes.len());
    hashes
        .into_iter()
        .map(|(_, h)| {
            let n = seen.entry(h).or_insert(0);
            *n += 1;
            if *n == 1 {
                format!("{h:016x}")
            } else {
                format!("{h:016x}-{n}")
            }
        })
        .collect()
}

/// Findings from which their fingerprints are hashed on two threads.
const FINGERPRINTS_ON_TWO_THREADS_FROM: usize = 4096;

/// Findings a thread hashes at a time.
const FINGERPRINT_RUN: usize = 512;

#[cfg(test)]
mod tests {
    use super::{listed, thousands};

    #[test]
    fn fingerprints_of_many_findings_are_each_findings_own_and_unique() {
        use crate::generate::{Shape, topology};
        use crate::lint::{LintOptions, TEST_TODAY, lint_source};
        // Every cell defective: more findings than are hashed on one thread.
        let text = topology(Shape {
            cells: 1000,
            defect_every: 1,
            ..Shape::default()
        });
        let options = LintOptions {
            today: TEST_TODAY,
            ..LintOptions::default()
        };
        let report = lint_source(crate::source::SourceFile::new("t.yml", text), &options);
        let findings = &report.findings;
        assert!(
            findings.len() > super::FINGERPRINTS_ON_TWO_THREADS_FROM,
            "{} findings",
            findings.len()
        );
        let fingerprints = super::fingerprints(findings, &report.source);
        assert_eq!(fingerprints.len(), findings.len());
        let mut seen = std::collections::HashSet::new();
        for (f, fp) in findings.iter().zip(&fingerprints) {
            let own = f.fingerprint(&report.source);
            assert!(
                *fp == own || fp.strip_prefix(&own).is_some_and(|n| n.starts_with('-')),
                "{fp} is not {own}"
            );
            assert!(seen.insert(fp), "{fp} twice");
        }
        // The second half of the findings is hashed as the first is.
        let last = findings.len() - 1;
        assert!(fingerprints[last].starts_with(&findings[last].fingerprint(&report.source)));
    }

    #[test]
    fn lists_in_messages_are_cut_after_five() {
        assert_eq!(listed::<&str>(&[]), "");
        assert_eq!(listed(&["a"]), "a");
        assert_eq!(listed(&["a", "b"]), "a and b");
        assert_eq!(listed(&["a", "b", "c", "d", "e"]), "a, b, c, d and e");
        let many: Vec<String> = (1..=50_000).map(|i| format!("web-{i}")).collect();
        assert_eq!(
            listed(&many),
            "web-1, web-2, web-3, web-4, web-5, … and 49,995 more"
        );
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
