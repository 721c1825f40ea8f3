//! The JSON document of cli.md, schema_version 1.

use std::io::{self, Write};

use serde::Serialize;

use super::Summary;
use crate::finding::Fix;
use crate::fix::Applicability;
use crate::lint::FileReport;
use crate::source::LineCol;
use crate::source::SourceFile;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    files: Vec<FileEntry<'a>>,
    findings: Findings<'a>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct FileEntry<'a> {
    path: &'a str,
    valid: bool,
}

#[derive(Serialize)]
struct Suppressed<'a> {
    reason: &'a str,
}

#[derive(Serialize)]
struct LabelEntry<'a> {
    start: LineCol,
    end: LineCol,
    text: &'a str,
}

/// A place in the file: line and column (characters, from 1) and byte offset.
#[derive(Serialize)]
struct Position {
    line: usize,
    column: usize,
    offset: usize,
}

#[derive(Serialize)]
struct EditEntry<'a> {
    start: Position,
    end: Position,
    content: &'a str,
}

#[derive(Serialize)]
struct FixEntry<'a> {
    description: &'a str,
    applicability: Applicability,
    edits: Vec<EditEntry<'a>>,
    yaml: &'a str,
}

fn position(src: &SourceFile, offset: usize) -> Position {
    let at = src.line_col(offset);
    Position {
        line: at.line,
        column: at.column,
        offset,
    }
}

fn fix_entry<'a>(src: &SourceFile, fix: &'a Fix) -> FixEntry<'a> {
    FixEntry {
        description: &fix.description,
        applicability: fix.applicability,
        edits: fix
            .edits
            .iter()
            .map(|e| EditEntry {
                start: position(src, e.start),
                end: position(src, e.end),
                content: &e.content,
            })
            .collect(),
        yaml: &fix.yaml,
    }
}

#[derive(Serialize)]
struct FindingEntry<'a> {
    code: &'static str,
    name: &'static str,
    category: &'static str,
    severity: &'static str,
    message: &'a str,
    file: &'a str,
    start: LineCol,
    end: LineCol,
    labels: Vec<LabelEntry<'a>>,
    subjects: &'a [String],
    help: Option<&'a str>,
    fix: Option<FixEntry<'a>>,
    fingerprint: String,
    suppressed: Option<Suppressed<'a>>,
}

/// Every finding of every file, each entry built only as it is written: the document
/// is never held whole beside the findings.
struct Findings<'a>(&'a [FileReport]);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let count = self.0.iter().map(|f| f.findings.len()).sum();
        let mut seq = serializer.serialize_seq(Some(count))?;
        for file in self.0 {
            let fingerprints = crate::finding::fingerprints(&file.findings, &file.source);
            for (f, fingerprint) in file.findings.iter().zip(fingerprints) {
                seq.serialize_element(&entry(&file.source, f, fingerprint))?;
            }
        }
        seq.end()
    }
}

fn entry<'a>(
    src: &'a SourceFile,
    f: &'a crate::finding::Finding,
    fingerprint: String,
) -> FindingEntry<'a> {
    let mut labels = vec![LabelEntry {
        start: src.line_col(f.span.start as usize),
        end: src.line_col(f.span.end as usize),
        text: &f.label,
    }];
    labels.extend(f.related.iter().map(|l| LabelEntry {
        start: src.line_col(l.span.start as usize),
        end: src.line_col(l.span.end as usize),
        text: &l.text,
    }));
    FindingEntry {
        code: f.rule.code,
        name: f.rule.name,
        category: f.rule.category.as_str(),
        severity: f.severity.as_str(),
        message: &f.message,
        file: &src.path,
        start: src.line_col(f.span.start as usize),
        end: src.line_col(f.span.end as usize),
        labels,
        subjects: &f.subjects,
        help: f.help.as_deref(),
        fix: f.fix.as_ref().map(|fix| fix_entry(src, fix)),
        fingerprint,
        suppressed: f.suppressed.as_deref().map(|reason| Suppressed { reason }),
    }
}

pub(super) fn write(files: &[FileReport], out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema_version: 1,
        tool: Tool {
            name: "infra-lint",
            version: env!("CARGO_PKG_VERSION"),
        },
        files: files
            .iter()
            .map(|f| FileEntry {
                path: &f.source.path,
                valid: f.valid,
            })
            .collect(),
        findings: Findings(files),
        summary: Summary::of(files),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}
