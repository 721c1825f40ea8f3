//! Fixes as edits: a rule writes what to add or change as a fragment of a topology
//! ([`crate::finding::Fix::yaml`]); [`plan`] turns it into text edits of the actual
//! file ([`Edit`]), which JSON, SARIF, `--fix` and `--diff` carry and apply.

pub mod apply;
mod fragment;
pub mod plan;
pub mod quote;
pub mod tree;

use serde::Serialize;

use crate::finding::{Finding, Fix};
use crate::source::SourceFile;

pub use quote::scalar;

/// One text edit: replace the bytes `start..end` of the file with `content`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// First byte replaced.
    pub start: usize,
    /// One past the last byte replaced (`start` for an insertion).
    pub end: usize,
    /// The new text.
    pub content: String,
}

/// Whether a fix may be applied without asking, as ruff has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Only completes what the design already says (a health check, a redirect to
    /// https, `access: read`): `--fix` applies it.
    Safe,
    /// Changes the design (adds machines, moves a component, states a decision or a
    /// fact): only with `--unsafe-fixes`.
    Unsafe,
    /// No edit can say it (choosing a design): shown, never applied.
    None,
}

/// Applies non-overlapping `edits` (any order) to `text`. Overlapping edits are a bug
/// of the caller: the later one is skipped. Insertions at one point go deeper
/// indentation first: where a mapping ends, so may the one that holds it, and the
/// inner one's new lines must come before the outer one's.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let indent = |e: &Edit| {
        let first = e.content.trim_start_matches('\n');
        first.len() - first.trim_start_matches(' ').len()
    };
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end, std::cmp::Reverse(indent(e))));
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for e in sorted {
        if e.start < at || e.end > text.len() || e.start > e.end {
            continue;
        }
        out.push_str(&text[at..e.start]);
        out.push_str(&e.content);
        at = e.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Two fix fragments as one: `b` merged into `a` as a fix is merged into a file.
pub fn merge_yaml(a: &str, b: &str) -> String {
    let source = SourceFile::new("fix", a.to_string());
    match tree::build(&source).map(|tree| plan::plan(&source, &tree, b)) {
        Ok(Ok(edits)) => apply(a, &edits),
        _ => format!("{a}{b}"),
    }
}

/// Plans the edits of every finding's fix against the file, whose events the reader
/// kept as `marks` (without them, the file is parsed again). A fix that cannot become
/// edits (its path goes through an anchor or alias) keeps its YAML, with no edits and
/// applicability `none`.
pub fn attach_edits(
    source: &SourceFile,
    marks: Option<&crate::yaml::Marks>,
    findings: &mut [Finding],
) {
    if !findings.iter().any(|f| f.fix.is_some()) {
        return;
    }
    let map = SourceMap::new(source, marks);
    attach_edits_split(&map, findings, PLAN_ON_TWO_THREADS_FROM);
}

/// What fixes are planned against: the file's source map (None when the file cannot
/// be mapped, and its fixes get no edits), built apart from the planning so that a
/// caller may build it on another thread while it does other work.
pub struct SourceMap<'a> {
    source: &'a SourceFile,
    root: Option<tree::Tree<'a>>,
    /// Whether the file's lines end in CRLF (so the edits' lines do).
    crlf: bool,
}

impl<'a> SourceMap<'a> {
    /// The source map of `source`, read from the reader's `marks` (or parsed again
    /// without them).
    pub fn new(source: &'a SourceFile, marks: Option<&'a crate::yaml::Marks>) -> Self {
        let root = match marks {
            Some(marks) => tree::build_from_marks(source, marks),
            None => tree::build(source),
        }
        .ok();
        let crlf = source
            .text
            .find('\n')
            .is_some_and(|i| source.text[..i].ends_with('\r'));
        SourceMap { source, root, crlf }
    }

    /// Plans the edits of every finding's fix (see [`attach_edits`]).
    pub fn attach_edits(&self, findings: &mut [Finding]) {
        attach_edits_split(self, findings, PLAN_ON_TWO_THREADS_FROM);
    }
}

/// [`SourceMap::attach_edits`], planning on two threads from `two_threads_from` fixes.
fn attach_edits_split(map: &SourceMap, findings: &mut [Finding], two_threads_from: usize) {
    let plan_all = |findings: &mut [Finding]| {
        for f in findings {
            if let Some(fix) = &mut f.fix {
                attach(map.source, map.root.as_ref(), map.crlf, fix);
            }
        }
    };
    // Each fix is planned on its own against the shared source map: many of them (a
    // findings-heavy file has one per component or two) are shared by two threads, a
    // run of findings at a time (fixes differ in cost: halves would not be even).
    let fixes = findings.iter().filter(|f| f.fix.is_some()).count();
    crate::runs::for_each_run(findings, PLAN_RUN, fixes >= two_threads_from, plan_all);
}

/// Findings a thread plans at a time.
const PLAN_RUN: usize = 256;

/// Fixes from which planning is split between two threads.
const PLAN_ON_TWO_THREADS_FROM: usize = 2048;

/// Plans one fix's edits against the file's source map `root` (None: the file could
/// not be mapped, so the fix gets no edits).
fn attach(source: &SourceFile, root: Option<&tree::Tree>, crlf: bool, fix: &mut Fix) {
    if fix.applicability == Applicability::None {
        return;
    }
    let planned = root.map(|r| {
        let mut edits = if fix.yaml.is_empty() {
            Vec::new()
        } else {
            plan::plan(source, r, &fix.yaml)?
        };
        for span in &fix.remove {
            edits.push(plan::remove_item(source, r, *span)?);
        }
        edits.sort_by_key(|e| (e.start, e.end));
        // The only item of a flow list deleted and one appended after it: the
        // new one is the first, with no comma before it.
        for i in 1..edits.len() {
            let (deleted, added) = (&edits[i - 1], &edits[i]);
            if deleted.content.is_empty()
                && added.start == deleted.end
                && added.end == added.start
                && added.content.starts_with(", ")
                && source.text[..deleted.start].trim_end().ends_with('[')
            {
                edits[i].content.drain(..2);
            }
        }
        Ok::<_, plan::PlanError>(edits)
    });
    match planned {
        Some(Ok(mut edits)) if !edits.is_empty() => {
            if crlf {
                for e in &mut edits {
                    e.content = e.content.replace('\n', "\r\n");
                }
            }
            fix.edits = edits;
        }
        _ => {
            fix.edits.clear();
            fix.applicability = Applicability::None;
        }
    }
}

#[cfg(test)]
mod tests;
