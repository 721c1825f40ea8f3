//! Output formats. Each knows findings and files, never YAML or rules' internals.

mod concise;
pub mod diagram;
pub mod github;
mod gitlab;
mod human;
mod json;
mod junit;
pub mod markdown;
mod sarif;

pub use sarif::help_uri;

use std::io::{self, Write};

use crate::finding::Severity;
use crate::lint::FileReport;
use crate::rules::Rule;

pub use human::HumanOptions;

#[cfg(test)]
mod tests {
    use super::escape_control;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            escape_control("a\nb\r\x1b[31m\0\u{9b}é", false),
            "a\\nb\\r\\x1b[31m\\0\\u{9b}é"
        );
        assert_eq!(escape_control("a\nb\t", true), "a\nb\\t");
        assert_eq!(escape_control("plain", false), "plain");
    }
}

/// An output format of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Compiler-style diagnostics with source snippets.
    Human,
    /// One line per finding: `path:line:col: severity[CODE] message`.
    Concise,
    /// One JSON document (schema_version 1).
    Json,
    /// SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.
    Sarif,
    /// JUnit XML: one testsuite per file, one failing testcase per finding.
    Junit,
    /// GitHub Actions workflow commands (`::error file=...::message`), one per finding.
    Github,
    /// A GitLab Code Quality report (a JSON array).
    Gitlab,
    /// A markdown report for people: summary tables, diagrams, findings and fixes.
    Markdown,
}

/// Counts by severity; suppressed findings count only as suppressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Errors.
    pub error: usize,
    /// Warnings.
    pub warning: usize,
    /// Infos.
    pub info: usize,
    /// Suppressed findings of any severity.
    pub suppressed: usize,
}

impl Summary {
    /// Counts the findings of every file.
    pub fn of(files: &[FileReport]) -> Summary {
        let mut s = Summary::default();
        for f in files.iter().flat_map(|r| &r.findings) {
            if f.suppressed.is_some() {
                s.suppressed += 1;
                continue;
            }
            match f.severity {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
        }
        s
    }
}

/// One run's results, as every output format sees them.
pub struct Run<'a> {
    /// Each file linted, in order, with its findings.
    pub files: &'a [FileReport],
    /// The rules that ran (after selection), in registry order.
    pub rules: &'a [&'static Rule],
    /// How human output looks (also: quiet for the other text formats).
    pub human: HumanOptions,
    /// The project root the files' paths are relative to, absolute (SARIF names it
    /// as the base of its relative URIs); None: paths are as the files were named.
    pub root: Option<std::path::PathBuf>,
    /// The lowest severity that fails the run (`--fail-on`; None: never), for formats
    /// that say pass or fail per finding (JUnit).
    pub fail_on: Option<Severity>,
}

/// The run's counts in words, as the summary line says them:
/// `2 errors, 3 warnings, 0 infos in 4 files`.
pub fn summary_text(files: &[FileReport]) -> String {
    human::summary_counts(&Summary::of(files), files.len())
}

/// Text from the input (a file name, a string in the YAML) made safe to print: a
/// control character (a line break, CR, ESC, NUL, DEL, C1) is shown as an escape
/// (`\n`, `\x1b`, `\u{9b}`) instead of reaching the terminal or starting a new line of
/// output, as ripgrep and git show file names. `keep_newlines` leaves LF as it is, for
/// text whose lines the output keeps (help with a suggested fix).
pub fn escape_control(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && !(keep_newlines && c == '\n');
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !unsafe_char(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Writes a run's findings in `format`.
pub fn write(format: Format, run: &Run, out: &mut dyn Write) -> io::Result<()> {
    let files = run.files;
    // The formats write many small pieces: through a buffer of their own each is a
    // copy, not a call through `dyn Write`.
    let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
    let out = &mut buffered;
    match format {
        Format::Human => human::write(files, &run.human, out),
        Format::Concise => concise::write(files, &run.human, out),
        Format::Json => json::write(files, out),
        Format::Sarif => sarif::write(run, out),
        Format::Junit => junit::write(files, run.fail_on, out),
        Format::Github => github::write(files, run.human.quiet, out),
        Format::Gitlab => gitlab::write(files, out),
        Format::Markdown => markdown::write(run, out),
    }?;
    buffered.flush()
}

/// Whether `--fix` applies a fix, as the text formats say it after its description.
/// Writes `items` rendered a chunk at a time by `render` (given the index of the
/// chunk's first item), in order. On two threads when `two_threads`: the other one
/// renders every other chunk into buffers this one writes in turn (one waiting, one
/// being rendered: memory stays bounded); the output is the same either way.
fn write_chunked<T: Sync>(
    items: &[T],
    chunk: usize,
    two_threads: bool,
    render: impl Fn(usize, &[T], &mut Vec<u8>) -> io::Result<()> + Sync,
    out: &mut impl Write,
) -> io::Result<()> {
    let chunks: Vec<(usize, &[T])> = items
        .chunks(chunk.max(1))
        .enumerate()
        .map(|(i, c)| (i * chunk, c))
        .collect();
    let mut buffer = Vec::new();
    if !two_threads {
        for &(first, chunk) in &chunks {
            buffer.clear();
            render(first, chunk, &mut buffer)?;
            out.write_all(&buffer)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let (send, rendered) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(1);
        let (odd, render) = (&chunks, &render);
        scope.spawn(move || {
            for &(first, chunk) in odd.iter().skip(1).step_by(2) {
                let mut buffer = Vec::new();
                let done = render(first, chunk, &mut buffer).map(|()| buffer);
                if send.send(done).is_err() {
                    return;
                }
            }
        });
        for (i, &(first, chunk)) in chunks.iter().enumerate() {
            if i % 2 == 1 {
                let done = rendered
                    .recv()
                    .map_err(|_| io::Error::other("the rendering thread stopped"))??;
                out.write_all(&done)?;
            } else {
                buffer.clear();
                render(first, chunk, &mut buffer)?;
                out.write_all(&buffer)?;
            }
        }
        Ok(())
    })
}

pub(super) fn applies(fix: &crate::finding::Fix) -> &'static str {
    match fix.applicability {
        crate::fix::Applicability::Safe => " (`--fix` applies it)",
        crate::fix::Applicability::Unsafe => " (`--fix --unsafe-fixes` applies it)",
        crate::fix::Applicability::None => "",
    }
}
