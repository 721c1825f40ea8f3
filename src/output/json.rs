//! The JSON document of cli.md, schema_version 1.

use std::io::{self, Write};

use serde::Serialize;

use super::Summary;
use crate::finding::{Finding, Fix};
use crate::fix::Applicability;
use crate::lint::FileReport;
use crate::source::LineCol;
use crate::source::SourceFile;

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
    subjects: &'a [crate::yaml::Text],
    help: Option<&'a str>,
    fix: Option<FixEntry<'a>>,
    fingerprint: &'a str,
    suppressed: Option<Suppressed<'a>>,
}

fn entry<'a>(
    src: &'a SourceFile,
    f: &'a crate::finding::Finding,
    fingerprint: &'a str,
) -> FindingEntry<'a> {
    let (start, end) = src.line_cols(f.span.start as usize, f.span.end as usize);
    let mut labels = Vec::with_capacity(1 + f.related.len());
    labels.push(LabelEntry {
        start,
        end,
        text: &f.label,
    });
    labels.extend(f.related.iter().map(|l| {
        let (start, end) = src.line_cols(l.span.start as usize, l.span.end as usize);
        LabelEntry {
            start,
            end,
            text: &l.text,
        }
    }));
    FindingEntry {
        code: f.rule.code,
        name: f.rule.name,
        category: f.rule.category.as_str(),
        severity: f.severity.as_str(),
        message: &f.message,
        file: &src.path,
        start,
        end,
        labels,
        subjects: &f.subjects,
        help: f.help.as_deref(),
        fix: f.fix.as_ref().map(|fix| fix_entry(src, fix)),
        fingerprint,
        suppressed: f.suppressed.as_deref().map(|reason| Suppressed { reason }),
    }
}

/// A finding to write, with its file and fingerprint.
type Item<'a> = (&'a SourceFile, &'a Finding, String);

/// Findings from which their entries are rendered on two threads.
const TWO_THREADS_FROM: usize = 4096;

/// Entries rendered together, on one thread, in one buffer.
const CHUNK: usize = 512;

pub(super) fn write(files: &[FileReport], out: &mut impl Write) -> io::Result<()> {
    write_with(files, out, TWO_THREADS_FROM)
}

/// The document, as `serde_json::to_writer_pretty` writes it, with each finding's entry
/// built only as it is rendered (the document is never held whole beside the
/// findings), and rendered on two threads, in chunks, from `two_threads_from` findings.
fn write_with(
    files: &[FileReport],
    out: &mut impl Write,
    two_threads_from: usize,
) -> io::Result<()> {
    out.write_all(b"{\n")?;
    field(out, "schema_version", &1)?;
    out.write_all(b",\n")?;
    let tool = Tool {
        name: "infra-lint",
        version: env!("CARGO_PKG_VERSION"),
    };
    field(out, "tool", &tool)?;
    out.write_all(b",\n")?;
    let entries: Vec<FileEntry> = files
        .iter()
        .map(|f| FileEntry {
            path: &f.source.path,
            valid: f.valid,
        })
        .collect();
    field(out, "files", &entries)?;
    out.write_all(b",\n  \"findings\": ")?;
    let findings: Vec<Item> = files
        .iter()
        .flat_map(|file| {
            let fingerprints = crate::finding::fingerprints(&file.findings, &file.source);
            file.findings
                .iter()
                .zip(fingerprints)
                .map(|(f, fingerprint)| (&file.source, f, fingerprint))
        })
        .collect();
    if findings.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[\n")?;
        super::write_chunked(
            &findings,
            CHUNK,
            findings.len() >= two_threads_from,
            render_chunk,
            out,
        )?;
        out.write_all(b"\n  ]")?;
    }
    out.write_all(b",\n")?;
    field(out, "summary", &Summary::of(files))?;
    out.write_all(b"\n}\n")
}

/// `  "name": value`: a field of the document, its value pretty-printed at its depth.
fn field(out: &mut impl Write, name: &str, value: &impl Serialize) -> io::Result<()> {
    write!(out, "  \"{name}\": ")?;
    pretty(out, 1, value)
}

/// Writes `value` as `serde_json::to_writer_pretty` does, but `depth` levels in: the
/// lines after its first are indented as they are in the whole document.
fn pretty(out: &mut impl Write, depth: usize, value: &impl Serialize) -> io::Result<()> {
    let formatter = Pretty {
        depth,
        has_value: false,
    };
    let mut serializer = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut serializer).map_err(io::Error::other)
}

/// serde_json's `PrettyFormatter` (two spaces a level) starting at a given depth.
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    fn line<W: ?Sized + Write>(&self, out: &mut W, first: bool) -> io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        out.write_all(if first { b"\n" } else { b",\n" })?;
        let mut pad = 2 * self.depth;
        while pad > 0 {
            let n = pad.min(SPACES.len());
            out.write_all(&SPACES[..n])?;
            pad -= n;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            // The line break before the bracket, without the comma of `line`.
            self.line(out, true)?;
        }
        out.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.line(out, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        self.line(out, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// The entries of `chunk`, whose first finding is the `first` of the document, each
/// as an item of the findings list (after a comma, but for the very first).
fn render_chunk(first: usize, chunk: &[Item], out: &mut Vec<u8>) -> io::Result<()> {
    for (i, (src, f, fingerprint)) in chunk.iter().enumerate() {
        if first + i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(b"    ");
        pretty(out, 2, &entry(src, f, fingerprint))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write_with;
    use crate::generate::{Shape, topology};
    use crate::lint::{FileReport, LintOptions, TEST_TODAY, lint_source};
    use crate::source::SourceFile;

    fn lint(name: &str, text: String) -> FileReport {
        let options = LintOptions {
            today: TEST_TODAY,
            ..LintOptions::default()
        };
        lint_source(SourceFile::new(name, text), &options)
    }

    /// The document as one `serde_json::to_writer_pretty` call writes it.
    fn reference(files: &[FileReport]) -> String {
        #[derive(serde::Serialize)]
        struct Document<'a> {
            schema_version: u32,
            tool: super::Tool,
            files: Vec<super::FileEntry<'a>>,
            findings: Vec<super::FindingEntry<'a>>,
            summary: super::Summary,
        }
        let fingerprints: Vec<Vec<String>> = files
            .iter()
            .map(|f| crate::finding::fingerprints(&f.findings, &f.source))
            .collect();
        let doc = Document {
            schema_version: 1,
            tool: super::Tool {
                name: "infra-lint",
                version: env!("CARGO_PKG_VERSION"),
            },
            files: files
                .iter()
                .map(|f| super::FileEntry {
                    path: &f.source.path,
                    valid: f.valid,
                })
                .collect(),
            findings: files
                .iter()
                .zip(&fingerprints)
                .flat_map(|(file, fps)| {
                    file.findings
                        .iter()
                        .zip(fps)
                        .map(|(f, fp)| super::entry(&file.source, f, fp))
                })
                .collect(),
            summary: super::Summary::of(files),
        };
        let mut out = serde_json::to_string_pretty(&doc).unwrap();
        out.push('\n');
        out
    }

    #[test]
    fn two_threads_write_the_document_serde_json_writes() {
        // Every cell defective: thousands of findings, over many chunks, in two files.
        let estate = |cells| {
            topology(Shape {
                cells,
                defect_every: 1,
                ..Shape::default()
            })
        };
        let files = [lint("a.yml", estate(260)), lint("b.yml", estate(40))];
        let count: usize = files.iter().map(|f| f.findings.len()).sum();
        assert!(count > 4 * super::CHUNK, "{count} findings");
        let mut one = Vec::new();
        write_with(&files, &mut one, usize::MAX).unwrap();
        let mut two = Vec::new();
        write_with(&files, &mut two, 0).unwrap();
        assert!(one == two, "two threads wrote another document");
        assert_eq!(String::from_utf8(one).unwrap(), reference(&files));
        // No findings: an empty list.
        let mut out = Vec::new();
        write_with(&[], &mut out, 0).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), reference(&[]));
    }
}
