//! Compiler-style diagnostics: miette's graphical report, with the source snippet and
//! labels, one per finding, then a summary line.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode, SpanContents,
};

use super::Summary;
use crate::finding::{Finding, Label, Severity};
use crate::fix::Applicability;
use crate::lint::FileReport;
use crate::source::SourceFile;

/// How human output looks.
#[derive(Clone, Copy, Debug, Default)]
pub struct HumanOptions {
    /// Whether to colour.
    pub color: bool,
    /// Whether to leave out the summary.
    pub quiet: bool,
    /// Whether to list suppressed findings too (human and concise).
    pub show_suppressed: bool,
    /// Where help text wraps: the terminal's width; None (output to a pipe or a
    /// file) does not wrap. Snippets, YAML and messages never wrap.
    pub width: Option<usize>,
}

/// The longest line, in bytes, shown in a snippet: miette cannot lay out labels far
/// into a longer line (it panics past 65,535 columns), and a reader gains nothing from
/// one. A finding on a longer line is shown without a snippet, at `path:line:column`.
const MAX_SNIPPET_LINE: usize = 4096;

/// A file as the snippets show it: its name and text with every control character
/// replaced (a lone CR ends a line, as it does for line numbers; any other control
/// character becomes `?`, or `·` for a two-byte C1 one), byte for byte the same
/// length so that spans stay put; and columns counted in characters, as everywhere.
struct Shown<'a> {
    source: &'a SourceFile,
    name: String,
    text: std::borrow::Cow<'a, str>,
}

impl<'a> Shown<'a> {
    fn new(source: &'a SourceFile) -> Shown<'a> {
        let bytes = source.text.as_bytes();
        let lone_cr = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
        let unsafe_at = |i: usize| {
            let b = bytes[i];
            (b < 0x20 && b != b'\t' && b != b'\n' && (b != b'\r' || lone_cr(i)))
                || b == 0x7f
                || (b == 0xc2 && bytes.get(i + 1).is_some_and(|n| (0x80..0xa0).contains(n)))
        };
        let text = if (0..bytes.len()).any(unsafe_at) {
            let mut out = String::with_capacity(bytes.len());
            for (i, c) in source.text.char_indices() {
                match c {
                    '\r' if lone_cr(i) => out.push('\n'),
                    '\t' | '\n' | '\r' => out.push(c),
                    c if (c as u32) < 0x80 && c.is_control() => out.push('?'),
                    c if c.is_control() => out.push('·'),
                    c => out.push(c),
                }
            }
            std::borrow::Cow::Owned(out)
        } else {
            std::borrow::Cow::Borrowed(source.text.as_str())
        };
        Shown {
            source,
            name: super::escape_control(&source.path, false).into_owned(),
            text,
        }
    }

    /// Whether the lines a snippet of `spans` shows (with one line of context) are all
    /// short enough to show.
    fn fits(&self, spans: impl Iterator<Item = crate::source::Span>) -> bool {
        let text = self.source.text.as_str();
        spans.into_iter().all(|span| {
            let first = self
                .source
                .line_col(span.start as usize)
                .line
                .saturating_sub(1);
            let last = self.source.line_col(span.end as usize).line + 1;
            // A line's length from the line index, less its line end: searching for
            // the end would cost a long line's length for every finding on it.
            (first.max(1)..=last).all(|line| {
                let start = self.source.line_start(line);
                let next = self.source.line_start(line + 1);
                let bytes = &text.as_bytes()[start..next];
                let ending = match bytes {
                    [.., b'\r', b'\n'] => 2,
                    [.., b'\n' | b'\r'] => 1,
                    _ => 0,
                };
                bytes.len() - ending <= MAX_SNIPPET_LINE
            })
        })
    }

    /// `path:line:column` of a byte offset, for a diagnostic shown without a snippet.
    fn location(&self, byte: u32) -> String {
        let at = self.source.line_col(byte as usize);
        format!("{}:{}:{}", self.name, at.line, at.column)
    }
}

impl SourceCode for Shown<'_> {
    fn read_span<'b>(
        &'b self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'b> + 'b>, miette::MietteError> {
        // miette finds the lines around a span by scanning from the start of the text:
        // a cost per label that grows with the file. It is given only the lines it will
        // show (the span's, its context and a spare line after), found through the line
        // index, and its answer is moved back to the whole file's offsets and lines.
        let text = self.text.as_ref();
        let start = span.offset().min(text.len());
        let end = (span.offset() + span.len()).min(text.len());
        let first = self.source.line_of(start);
        let last = self.source.line_of(end.saturating_sub(1).max(start));
        // One line more before than it shows: miette treats a span at the very start of
        // its text apart, so the window starts there only when the file does.
        let from_line = first
            .saturating_sub(context_lines_before)
            .saturating_sub(1)
            .max(1);
        let window_start = self.source.line_start(from_line);
        let window_end = self
            .source
            .line_start(last.saturating_add(context_lines_after).saturating_add(2));
        let window = &text.as_bytes()[window_start..window_end.max(window_start)];
        let shifted = miette::SourceSpan::new(
            (span.offset().saturating_sub(window_start)).into(),
            span.len(),
        );
        let inner = window.read_span(&shifted, context_lines_before, context_lines_after)?;
        let inner = miette::MietteSpanContents::new(
            inner.data(),
            miette::SourceSpan::new(
                (inner.span().offset() + window_start).into(),
                inner.span().len(),
            ),
            inner.line() + from_line - 1,
            inner.column(),
            inner.line_count() + from_line - 1,
        );
        // miette counts the column in bytes; the format counts characters.
        let column = self.source.line_col(inner.span().offset()).column - 1;
        // Unnamed: the `-->` line above the snippet already says where it is.
        Ok(Box::new(
            miette::MietteSpanContents::new(
                inner.data(),
                *inner.span(),
                inner.line(),
                column,
                inner.line_count(),
            )
            .with_language("yaml"),
        ))
    }
}

/// One finding's snippet, labels and help as a miette diagnostic over its file. The
/// first line (`warning[FW001]: message`) and the `-->` line are written apart, as rustc
/// writes them; miette draws what comes below.
struct Rendered<'a> {
    finding: &'a Finding,
    source: &'a Shown<'a>,
    /// Whether its snippet can be shown (no line in it is too long).
    snippet: bool,
    label: Option<String>,
    help: Option<String>,
    /// Labels close to the main one, drawn in its snippet.
    near: Vec<&'a Label>,
    /// Labels far from it, each written as a `note:` with a snippet of its own: one
    /// snippet spanning both would print every line between them.
    far: Vec<Note<'a>>,
}

/// A far label, written as a `note:`.
struct Note<'a> {
    label: &'a Label,
    source: &'a Shown<'a>,
    snippet: bool,
}

/// A diagnostic's Display is the line miette writes before the snippet; it is left
/// empty and that line dropped (see [`snippet_and_help`]).
macro_rules! headless {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                Ok(())
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(stringify!($t))
            }
        }
        impl std::error::Error for $t {}
    };
}
headless!(Note<'_>);
headless!(Rendered<'_>);

impl Diagnostic for Note<'_> {
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.snippet.then_some(self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.snippet {
            return None;
        }
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            None,
            self.label.span,
        ))))
    }
}

/// Labels within this many lines of the main one share its snippet.
const NEAR_LINES: usize = 3;

impl<'a> Rendered<'a> {
    fn new(finding: &'a Finding, source: &'a Shown<'a>) -> Rendered<'a> {
        let file = source.source;
        let line = file.line_col(finding.span.start as usize).line;
        let (near, far): (Vec<&Label>, Vec<&Label>) = finding
            .related
            .iter()
            .partition(|l| file.line_col(l.span.start as usize).line.abs_diff(line) <= NEAR_LINES);
        let readable = !file.text.is_empty();
        let snippet = readable
            && source.fits(std::iter::once(finding.span).chain(near.iter().map(|l| l.span)));
        Rendered {
            finding,
            source,
            snippet,
            label: Some(super::escape_control(&finding.label, false).into_owned())
                .filter(|l| !l.is_empty()),
            help: help_text(finding).map(|h| super::escape_control(&h, true).into_owned()),
            near,
            far: far
                .into_iter()
                .filter(|_| readable)
                .map(|label| Note {
                    label,
                    source,
                    snippet: source.fits(std::iter::once(label.span)),
                })
                .collect(),
        }
    }
}

impl Diagnostic for Rendered<'_> {
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.snippet.then_some(self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if !self.snippet {
            return None;
        }
        let primary = LabeledSpan::new_primary_with_span(self.label.clone(), self.finding.span);
        let related = self.near.iter().map(|l| {
            LabeledSpan::new_with_span(
                Some(super::escape_control(&l.text, false).into_owned()),
                l.span,
            )
        });
        Some(Box::new(std::iter::once(primary).chain(related)))
    }
}

/// ANSI styles of the lines written apart from miette, as rustc colours them.
struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{style}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// `warning[FW001]: message`: the severity as a word (greppable, and readable
    /// without colour), the code, the message.
    fn header(&self, severity: Severity, code: &str, suppressed: bool, message: &str) -> String {
        let (word, style) = match severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
            Severity::Info => ("info", "1;36"),
        };
        let suppressed = if suppressed { " (suppressed)" } else { "" };
        format!(
            "{}{}",
            self.paint(style, &format!("{word}[{code}]{suppressed}")),
            self.paint("1", &format!(": {message}"))
        )
    }

    /// `note: text`.
    fn note(&self, text: &str) -> String {
        format!("{}: {text}", self.paint("1;32", "note"))
    }

    /// `  --> path:line:column`.
    fn arrow(&self, location: &str) -> String {
        format!("{}{location}", self.paint("1;34", "  --> "))
    }
}

/// What miette draws of a diagnostic below its first line: the snippet with its labels,
/// and the help.
fn snippet_and_help(
    handler: &GraphicalReportHandler,
    diagnostic: &dyn Diagnostic,
) -> io::Result<String> {
    let mut text = String::new();
    handler
        .render_report(&mut text, diagnostic)
        .map_err(|_| io::Error::other("rendering a diagnostic failed"))?;
    // The first line is miette's message line, empty here: the header replaces it.
    let rest = text.split_once('\n').map_or("", |(_, rest)| rest);
    Ok(rest.trim_end().to_string())
}

/// One finding as the terminal shows it: header, location, snippet, help, notes, fix.
fn render(
    handler: &GraphicalReportHandler,
    paint: &Paint,
    shown: &Shown<'_>,
    finding: &Finding,
) -> io::Result<String> {
    let diagnostic = Rendered::new(finding, shown);
    let message = super::escape_control(&finding.message, false);
    let mut out = paint.header(
        finding.severity,
        finding.rule.code,
        finding.suppressed.is_some(),
        &message,
    );
    out.push('\n');
    let location = if shown.source.text.is_empty() {
        shown.name.clone()
    } else {
        shown.location(finding.span.start)
    };
    out.push_str(&paint.arrow(&location));
    let body = snippet_and_help(handler, &diagnostic)?;
    if !body.is_empty() {
        out.push('\n');
        out.push_str(&body);
    }
    for note in &diagnostic.far {
        let text = super::escape_control(&note.label.text, false);
        out.push('\n');
        out.push_str(&paint.note(&text));
        out.push('\n');
        out.push_str(&paint.arrow(&shown.location(note.label.span.start)));
        let body = snippet_and_help(handler, note)?;
        if !body.is_empty() {
            out.push('\n');
            out.push_str(&body);
        }
    }
    out.push_str(&fix_text(finding));
    Ok(out)
}

/// The help line (and why a finding is suppressed). The fix comes after the
/// diagnostic, unwrapped: see [`fix_text`].
fn help_text(f: &Finding) -> Option<String> {
    let mut text = f.help.as_deref().unwrap_or_default().to_string();
    if let Some(reason) = &f.suppressed {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("suppressed: {reason}"));
    }
    (!text.is_empty()).then_some(text)
}

/// The suggested fix after the diagnostic: what it does, whether `--fix` applies it,
/// and its YAML, indented under the help's text and never wrapped (wrapped YAML is not
/// YAML).
fn fix_text(f: &Finding) -> String {
    let Some(fix) = &f.fix else {
        return String::new();
    };
    let mut out = format!("\n  fix: {}{}", fix.description, super::applies(fix));
    for line in fix.yaml.lines() {
        out.push_str("\n        ");
        out.push_str(line);
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The closing line: `infra-lint: ` and the [`summary_counts`].
pub(super) fn summary_line(s: &Summary, files: usize) -> String {
    format!("infra-lint: {}", summary_counts(s, files))
}

/// Counts by severity and the number of files, in words:
/// `2 errors, 3 warnings, 0 infos in 4 files (1 suppressed)`.
pub(super) fn summary_counts(s: &Summary, files: usize) -> String {
    let files = plural(files, "file");
    let mut line = if s.error + s.warning + s.info == 0 {
        format!("no findings in {files}")
    } else {
        format!(
            "{}, {}, {} in {files}",
            plural(s.error, "error"),
            plural(s.warning, "warning"),
            plural(s.info, "info")
        )
    };
    if s.suppressed > 0 {
        line.push_str(&format!(" ({} suppressed)", s.suppressed));
    }
    line
}

/// Findings from which they are rendered on two threads.
const TWO_THREADS_FROM: usize = 1024;

/// Findings rendered together, on one thread, in one buffer.
const CHUNK: usize = 128;

pub(super) fn write(
    files: &[FileReport],
    opts: &HumanOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    write_with(files, opts, out, TWO_THREADS_FROM)
}

/// [`write`], rendering on two threads from `two_threads_from` findings shown.
fn write_with(
    files: &[FileReport],
    opts: &HumanOptions,
    out: &mut impl Write,
    two_threads_from: usize,
) -> io::Result<()> {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width.unwrap_or(usize::MAX / 4))
        .with_wrap_lines(opts.width.is_some())
        .with_links(false)
        .with_context_lines(1)
        .without_primary_span_start();
    let paint = Paint { color: opts.color };
    let shows = |f: &Finding| opts.show_suppressed || f.suppressed.is_none();
    // Only a file with a finding to show is made ready to show (a scan of its text).
    let shown: Vec<Option<Shown>> = files
        .iter()
        .map(|file| {
            let any = file.findings.iter().any(shows);
            any.then(|| Shown::new(&file.source))
        })
        .collect();
    let items: Vec<(&Shown, &Finding)> = files
        .iter()
        .zip(&shown)
        .filter_map(|(file, shown)| Some((&file.findings, shown.as_ref()?)))
        .flat_map(|(findings, shown)| findings.iter().map(move |f| (shown, f)))
        .filter(|(_, f)| shows(f))
        .collect();
    // Each finding is rendered on its own: many are shared between two threads.
    super::write_chunked(
        &items,
        CHUNK,
        items.len() >= two_threads_from,
        |_, chunk, out| {
            for (shown, finding) in chunk {
                writeln!(out, "{}", render(&handler, &paint, shown, finding)?)?;
                writeln!(out)?;
            }
            Ok(())
        },
        out,
    )?;
    if !opts.quiet {
        writeln!(out, "{}", summary_line(&Summary::of(files), files.len()))?;
        let fixable = |a: Applicability| {
            files
                .iter()
                .flat_map(|f| &f.findings)
                .filter(|f| f.suppressed.is_none())
                .filter(|f| f.fix.as_ref().is_some_and(|x| x.applicability == a))
                .count()
        };
        let (safe, unsafe_) = (fixable(Applicability::Safe), fixable(Applicability::Unsafe));
        if safe + unsafe_ > 0 {
            writeln!(
                out,
                "{safe} fixable with `--fix` ({unsafe_} more with `--fix --unsafe-fixes`)"
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use miette::SourceCode;

    #[test]
    fn two_threads_write_what_one_writes() {
        use crate::generate::{Shape, topology};
        use crate::lint::{LintOptions, TEST_TODAY, lint_source};
        let lint = |name: &str, cells| {
            let text = topology(Shape {
                cells,
                defect_every: 1,
                ..Shape::default()
            });
            let options = LintOptions {
                today: TEST_TODAY,
                ..LintOptions::default()
            };
            lint_source(SourceFile::new(name, text), &options)
        };
        let mut files = [lint("a.yml", 80), lint("b.yml", 3)];
        // A suppressed finding, shown or not as asked.
        files[1].findings[0].suppressed = Some("accepted".into());
        let count: usize = files.iter().map(|f| f.findings.len()).sum();
        assert!(count > 4 * super::CHUNK, "{count} findings");
        for show_suppressed in [false, true] {
            let opts = super::HumanOptions {
                color: true,
                show_suppressed,
                width: Some(100),
                ..Default::default()
            };
            let written = |two_threads_from| {
                let mut out = Vec::new();
                super::write_with(&files, &opts, &mut out, two_threads_from).unwrap();
                String::from_utf8(out).unwrap()
            };
            let one = written(usize::MAX);
            assert_eq!(one, written(0));
            assert_eq!(one.contains("suppressed: accepted"), show_suppressed);
            assert!(one.contains("b.yml"));
        }
    }

    use super::Shown;
    use crate::source::SourceFile;

    /// The windowed snippet source answers as miette's own scan of the whole text
    /// does, for spans anywhere in files with every kind of line end, a byte order
    /// mark, long lines and characters of several bytes.
    #[test]
    fn windowed_snippets_equal_a_scan_of_the_whole_file() {
        let mut texts: Vec<String> = std::fs::read_dir("examples")
            .expect("examples")
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect();
        texts.sort();
        texts.push("\u{feff}a: é\r\nb:\r\n  - x\rc: 😀😀\n\n\nd: [1, 2]\n".to_string());
        texts.push("{a: 1, b: [x, y, z], c: {d: é}}".to_string());
        texts.push("a\n\n\n\nb".to_string());
        for text in &texts {
            let file = SourceFile::new("t.yml", text.clone());
            let shown = Shown::new(&file);
            let whole = shown.text.as_ref();
            let starts: Vec<usize> = (0..=text.len())
                .filter(|&b| text.is_char_boundary(b))
                .step_by(if text.len() > 2000 { 37 } else { 1 })
                .collect();
            for &start in &starts {
                for len in [0usize, 1, 5, 40] {
                    let len = len.min(text.len() - start);
                    let span = miette::SourceSpan::new(start.into(), len);
                    for context in [0, 1, 2] {
                        let ours = shown.read_span(&span, context, context);
                        let theirs = whole.read_span(&span, context, context);
                        match (ours, theirs) {
                            (Ok(o), Ok(t)) => {
                                assert_eq!(o.data(), t.data(), "{start}+{len} ctx {context}");
                                assert_eq!(o.span(), t.span(), "{start}+{len} ctx {context}");
                                assert_eq!(o.line(), t.line(), "{start}+{len} ctx {context}");
                                assert_eq!(
                                    o.line_count(),
                                    t.line_count(),
                                    "{start}+{len} ctx {context}"
                                );
                            }
                            (Err(_), Err(_)) => {}
                            (o, t) => panic!(
                                "{start}+{len} ctx {context}: {:?} against {:?}",
                                o.is_ok(),
                                t.is_ok()
                            ),
                        }
                    }
                }
            }
        }
    }
}
