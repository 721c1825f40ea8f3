//! Compiler-style diagnostics: miette's graphical report, with the source snippet and
//! labels, one per finding, then a summary line.

use std::fmt;
use std::io::{self, Write};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use super::Summary;
use crate::finding::{Finding, Label, Severity};
use crate::lint::FileReport;
use crate::source::SourceFile;

/// How human output looks.
#[derive(Clone, Copy, Debug)]
pub struct HumanOptions {
    /// Whether to colour.
    pub color: bool,
    /// Whether to leave out the summary.
    pub quiet: bool,
    /// Wrap width.
    pub width: usize,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions {
            color: false,
            quiet: false,
            width: 100,
        }
    }
}

/// One finding seen as a miette diagnostic over its file.
struct Rendered<'a> {
    finding: &'a Finding,
    source: &'a SourceFile,
    help: Option<String>,
    /// Labels close to the main one, drawn in its snippet.
    near: Vec<&'a Label>,
    /// Labels far from it, each drawn as a snippet of its own: one snippet spanning
    /// both would print every line between them.
    far: Vec<Note<'a>>,
}

/// A far label, rendered as a related diagnostic.
struct Note<'a> {
    label: &'a Label,
    source: &'a SourceFile,
}

impl fmt::Display for Note<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label.text)
    }
}

impl fmt::Debug for Note<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label.text)
    }
}

impl std::error::Error for Note<'_> {}

impl Diagnostic for Note<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            None,
            self.label.span,
        ))))
    }
}

/// Labels within this many lines of the main one share its snippet.
const NEAR_LINES: usize = 3;

impl<'a> Rendered<'a> {
    fn new(finding: &'a Finding, source: &'a SourceFile) -> Rendered<'a> {
        let line = source.line_col(finding.span.start as usize).line;
        let (near, far): (Vec<&Label>, Vec<&Label>) = finding.related.iter().partition(|l| {
            source.line_col(l.span.start as usize).line.abs_diff(line) <= NEAR_LINES
        });
        Rendered {
            finding,
            source,
            help: help_text(finding),
            near,
            far: far
                .into_iter()
                .map(|label| Note { label, source })
                .collect(),
        }
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl Diagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!(
            "{}({})",
            self.finding.rule.code, self.finding.rule.name
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        (!self.source.text.is_empty()).then_some(self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.source.text.is_empty() {
            return None;
        }
        let f = self.finding;
        let primary = LabeledSpan::new_primary_with_span(
            Some(f.label.clone()).filter(|l| !l.is_empty()),
            f.span,
        );
        let related = self
            .near
            .iter()
            .map(|l| LabeledSpan::new_with_span(Some(l.text.clone()), l.span));
        Some(Box::new(std::iter::once(primary).chain(related)))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.far.is_empty() || self.source.text.is_empty() {
            return None;
        }
        Some(Box::new(self.far.iter().map(|n| n as &dyn Diagnostic)))
    }
}

/// The help line followed by the suggested fix, indented as YAML.
fn help_text(f: &Finding) -> Option<String> {
    let mut text = f.help.clone().unwrap_or_default();
    if let Some(fix) = &f.fix {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&format!("suggested fix: {}", fix.description));
        for line in fix.yaml.lines() {
            text.push_str("\n    ");
            text.push_str(line);
        }
    }
    if let Some(reason) = &f.suppressed {
        text.push_str(&format!("\nsuppressed: {reason}"));
    }
    (!text.is_empty()).then_some(text)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The closing line: counts by severity and the number of files.
pub(super) fn summary_line(s: &Summary, files: usize) -> String {
    let files = plural(files, "file");
    if s.error + s.warning + s.info == 0 {
        let mut line = format!("infra-lint: no findings in {files}");
        if s.suppressed > 0 {
            line.push_str(&format!(" ({} suppressed)", s.suppressed));
        }
        return line;
    }
    let mut line = format!(
        "infra-lint: {}, {}, {} in {files}",
        plural(s.error, "error"),
        plural(s.warning, "warning"),
        plural(s.info, "info")
    );
    if s.suppressed > 0 {
        line.push_str(&format!(" ({} suppressed)", s.suppressed));
    }
    line
}

pub(super) fn write(
    files: &[FileReport],
    opts: &HumanOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false)
        .with_context_lines(1);
    for file in files {
        for finding in &file.findings {
            if finding.suppressed.is_some() {
                continue;
            }
            let diagnostic = Rendered::new(finding, &file.source);
            let mut text = String::new();
            handler
                .render_report(&mut text, &diagnostic)
                .map_err(|_| io::Error::other("rendering a diagnostic failed"))?;
            if file.source.text.is_empty() {
                // No snippet to show where: name the file in the message line.
                writeln!(out, "{}: {}", file.source.path, text.trim_end())?;
            } else {
                writeln!(out, "{}", text.trim_end())?;
            }
            writeln!(out)?;
        }
    }
    if !opts.quiet {
        writeln!(out, "{}", summary_line(&Summary::of(files), files.len()))?;
    }
    Ok(())
}
