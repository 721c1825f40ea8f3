//! The markdown report, for people who will not read a terminal: first the top risks
//! (every error and single point of failure, one sentence each), then summary tables by
//! severity, category and file, then per file a Mermaid diagram with a legend, and the
//! findings by severity (errors first) then category, each with its location and
//! problem in sight and its explanation, help and suggested fix folded in a
//! `<details>` block; last the suppressed findings with their reasons (an audit trail).
//!
//! Everything taken from the input (names, descriptions, ids, messages that quote ids,
//! paths, fix YAML, reasons) goes through [`inline`] or [`fenced`], so no input can
//! start a heading, close a table cell or a code block, make a link or inject HTML.
//! The only HTML in a report is its own `<details>` and `<summary>` tags.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Run, Summary, diagram, human, sarif};
use crate::finding::{Finding, Severity};
use crate::lint::FileReport;
use crate::rules::Category;

/// Input text made safe as inline markdown on one line, in a paragraph, list item,
/// heading or table cell (not at the very start of a line): line breaks and control
/// characters become spaces, an arrow written `->` (as findings name links) becomes `→`,
/// `&`, `<` and `>` become HTML entities, and every character markdown gives a meaning
/// inline (backslash, backtick, `*`, `_`, `[`, `]`, `|`, `#`, `~`, `$`) is
/// backslash-escaped.
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'>') => {
                chars.next();
                out.push('→');
            }
            '\r' => {
                // CRLF is one line break.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(' ');
            }
            '\u{2028}' | '\u{2029}' => out.push(' '),
            c if c.is_control() => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Prose from a rule (a message, help, label or fix description) as inline markdown:
/// like [`inline`], except that the ids a message quotes in backticks stay code spans
/// when every quoted part is plainly an id (letters, digits and `-_.:/>`), which
/// cannot hold anything markdown or HTML would read. Otherwise all of it is escaped.
pub fn prose(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let plain_id = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:/>".contains(c))
    };
    let quoted_ids = parts.len() % 2 == 1 && parts.iter().skip(1).step_by(2).all(|p| plain_id(p));
    if !quoted_ids {
        return inline(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 {
            out.push('`');
            out.push_str(part);
            out.push('`');
        } else {
            out.push_str(&inline(part));
        }
    }
    out
}

/// `content` as a fenced code block with info string `info`: the fence is longer than
/// any run of backticks in the content, so nothing inside can close it.
pub fn fenced(content: &str, info: &str) -> String {
    let content = content.replace("\r\n", "\n").replace('\r', "\n");
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat((longest + 1).max(3));
    let newline = if content.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{info}\n{content}{newline}{fence}\n")
}

/// Counts per severity (and suppressed), for one table row.
#[derive(Clone, Copy, Default)]
struct Counts {
    error: usize,
    warning: usize,
    info: usize,
    suppressed: usize,
}

impl Counts {
    fn add(&mut self, f: &Finding) {
        if f.suppressed.is_some() {
            self.suppressed += 1;
            return;
        }
        match f.severity {
            Severity::Error => self.error += 1,
            Severity::Warning => self.warning += 1,
            Severity::Info => self.info += 1,
        }
    }

    fn cells(&self) -> String {
        format!(
            "{} | {} | {} | {}",
            self.error, self.warning, self.info, self.suppressed
        )
    }
}

/// A file's path as the report shows it.
fn path(file: &FileReport) -> String {
    inline(&file.source.path)
}

fn title(files: &[FileReport]) -> String {
    match files {
        [] => "no files".to_string(),
        [one] => path(one),
        _ if files.len() <= 3 => files.iter().map(path).collect::<Vec<_>>().join(", "),
        _ => format!("{} files", files.len()),
    }
}

fn location(file: &FileReport, f: &Finding) -> String {
    if file.source.text.is_empty() {
        return path(file);
    }
    let at = file.source.line_col(f.span.start as usize);
    format!("{}:{}:{}", path(file), at.line, at.column)
}

/// How many top risks the report lists before it points to the findings below.
const TOP_RISKS: usize = 20;

/// Whether a finding is a top risk: an error, or a single point of failure.
fn is_top_risk(f: &Finding) -> bool {
    f.suppressed.is_none()
        && (f.severity == Severity::Error || diagram::Mark::of(f) == diagram::Mark::Spof)
}

/// The top risks: every unsuppressed error, then every single point of failure, in
/// file and position order, one sentence each.
fn top_risks(run: &Run, out: &mut String) {
    out.push_str("## Top risks\n\n");
    let risks: Vec<(&FileReport, &Finding)> = [true, false]
        .into_iter()
        .flat_map(|errors| {
            run.files.iter().flat_map(move |file| {
                file.findings
                    .iter()
                    .filter(move |f| is_top_risk(f) && (f.severity == Severity::Error) == errors)
                    .map(move |f| (file, f))
            })
        })
        .collect();
    if risks.is_empty() {
        out.push_str("No errors and no single point of failure.\n\n");
        return;
    }
    for (i, (file, f)) in risks.iter().take(TOP_RISKS).enumerate() {
        let kind = if f.severity == Severity::Error {
            "error"
        } else {
            "single point of failure"
        };
        let message = prose(f.message.trim_end());
        let stop = if message.ends_with(['.', '!', '?']) {
            ""
        } else {
            "."
        };
        let _ = writeln!(
            out,
            "{}. **{kind}** `{}` at {}: {message}{stop}",
            i + 1,
            f.rule.code,
            location(file, f),
        );
    }
    if risks.len() > TOP_RISKS {
        let _ = writeln!(
            out,
            "\n{} more, listed with the findings below.",
            risks.len() - TOP_RISKS
        );
    }
    out.push('\n');
}

fn summary(run: &Run, out: &mut String) {
    let s = Summary::of(run.files);
    out.push_str("## Summary\n\n");
    out.push_str("| severity | findings |\n|---|---:|\n");
    let _ = writeln!(out, "| error | {} |", s.error);
    let _ = writeln!(out, "| warning | {} |", s.warning);
    let _ = writeln!(out, "| info | {} |", s.info);
    let _ = writeln!(out, "| suppressed | {} |\n", s.suppressed);

    let mut by_category: BTreeMap<Category, Counts> = BTreeMap::new();
    for f in run.files.iter().flat_map(|file| &file.findings) {
        by_category.entry(f.rule.category).or_default().add(f);
    }
    if !by_category.is_empty() {
        out.push_str("| category | error | warning | info | suppressed |\n");
        out.push_str("|---|---:|---:|---:|---:|\n");
        for (category, counts) in &by_category {
            let _ = writeln!(out, "| {} | {} |", category.as_str(), counts.cells());
        }
        out.push('\n');
    }

    out.push_str("| file | valid topology | error | warning | info | suppressed |\n");
    out.push_str("|---|---|---:|---:|---:|---:|\n");
    for file in run.files {
        let mut counts = Counts::default();
        file.findings.iter().for_each(|f| counts.add(f));
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            path(file),
            if file.valid { "yes" } else { "no" },
            counts.cells()
        );
    }
    out.push('\n');
}

/// One finding: its category, rule, location and problem in sight; its explanation,
/// related places, help and fix folded.
fn finding(file: &FileReport, f: &Finding, out: &mut String) {
    let rule = f.rule;
    let _ = writeln!(
        out,
        "#### {}: `{}` {}\n",
        rule.category.as_str(),
        rule.code,
        rule.name
    );
    let _ = writeln!(out, "- **Location:** {}", location(file, f));
    let _ = writeln!(out, "- **Problem:** {}\n", prose(&f.message));
    let summary = if f.fix.is_some() {
        "Explanation and fix"
    } else {
        "Explanation"
    };
    let _ = writeln!(out, "<details><summary>{summary}</summary>\n");
    let _ = writeln!(
        out,
        "- **Explanation:** {} ([{}]({}))",
        inline(rule.summary()),
        rule.code,
        sarif::help_uri(rule)
    );
    if !f.related.is_empty() && !file.source.text.is_empty() {
        out.push_str("- **See also:**\n");
        for label in &f.related {
            let at = file.source.line_col(label.span.start as usize);
            let _ = writeln!(
                out,
                "  - line {}, column {}: {}",
                at.line,
                at.column,
                prose(&label.text)
            );
        }
    }
    if let Some(help) = &f.help {
        let _ = writeln!(out, "- **Help:** {}", prose(help));
    }
    out.push('\n');
    if let Some(fix) = &f.fix {
        let _ = writeln!(
            out,
            "**Suggested fix:** {}{}\n",
            prose(&fix.description),
            super::applies(fix)
        );
        if !fix.yaml.is_empty() {
            out.push_str(&fenced(&fix.yaml, "yaml"));
            out.push('\n');
        }
    }
    out.push_str("</details>\n\n");
}

/// The heading of a severity's findings.
fn severity_heading(severity: Severity, count: usize) -> String {
    let name = match severity {
        Severity::Error => "Errors",
        Severity::Warning => "Warnings",
        Severity::Info => "Info",
    };
    format!("### {name} ({count})\n\n")
}

fn file_section(file: &FileReport, out: &mut String) {
    let _ = writeln!(out, "## {}\n", path(file));
    if let Some(outline) = &file.outline {
        let _ = write!(out, "Topology **{}**", inline(outline.name.trim()));
        match &outline.description {
            Some(d) => {
                let _ = writeln!(out, ": {}\n", inline(d.trim()));
            }
            None => out.push_str(".\n\n"),
        }
        out.push_str("### Diagram\n\n");
        out.push_str(
            "Declared links are solid (thick when encrypted), load balancer targets dotted \
             and replication dashed from the source to the replica, each labelled. Single \
             points of failure are purple with a thick border, errors red, hosts and \
             components without a firewall have a dashed amber border, other warnings are \
             amber and infos blue; the legend lists the marks the diagram uses.\n\n",
        );
        out.push_str(&fenced(&diagram::mermaid(file), "mermaid"));
        out.push('\n');
    } else if !file.valid {
        out.push_str("Not a valid topology: no diagram.\n\n");
    }

    let (suppressed, mut open): (Vec<&Finding>, Vec<&Finding>) =
        file.findings.iter().partition(|f| f.suppressed.is_some());
    // Errors first, then by category; a stable sort keeps the file order within.
    open.sort_by_key(|f| (Reverse(f.severity), f.rule.category));
    if open.is_empty() {
        out.push_str("No findings.\n\n");
    }
    let mut current = None;
    for f in &open {
        if current != Some(f.severity) {
            current = Some(f.severity);
            let count = open.iter().filter(|g| g.severity == f.severity).count();
            out.push_str(&severity_heading(f.severity, count));
        }
        finding(file, f, out);
    }
    if !suppressed.is_empty() {
        out.push_str("### Suppressed\n\n");
        for f in suppressed {
            let _ = writeln!(
                out,
                "- {} `{}` {} at {}: {} **Reason:** {}",
                f.severity.as_str(),
                f.rule.code,
                f.rule.name,
                location(file, f),
                prose(&f.message),
                inline(f.suppressed.as_deref().unwrap_or_default())
            );
        }
        out.push('\n');
    }
}

/// The whole report of a run as markdown text.
pub fn report(run: &Run) -> String {
    let mut out = format!("# infra-lint report: {}\n\n", title(run.files));
    let s = Summary::of(run.files);
    let _ = writeln!(out, "{}\n", human::summary_line(&s, run.files.len()));
    top_risks(run, &mut out);
    summary(run, &mut out);
    for file in run.files {
        file_section(file, &mut out);
    }
    // One trailing newline, whatever the last section ended with.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

pub(super) fn write(run: &Run, out: &mut impl Write) -> io::Result<()> {
    out.write_all(report(run).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::{fenced, inline, prose};

    #[test]
    fn inline_text_cannot_break_out() {
        assert_eq!(inline("a|b"), "a\\|b");
        assert_eq!(
            inline("<script>&</script>"),
            "&lt;script&gt;&amp;&lt;/script&gt;"
        );
        assert_eq!(inline("# x\r\n`y`"), "\\# x \\`y\\`");
        assert_eq!(inline("[a](b) *c* _d_"), "\\[a\\](b) \\*c\\* \\_d\\_");
        assert_eq!(inline("\\|"), "\\\\\\|");
    }

    #[test]
    fn quoted_ids_stay_code_and_anything_else_is_escaped() {
        assert_eq!(prose("`lb-1` fails (a -> b)"), "`lb-1` fails (a → b)");
        assert_eq!(prose("`a->b` x > y"), "`a->b` x &gt; y");
        assert_eq!(prose("`a<b>` x"), "\\`a&lt;b&gt;\\` x");
        assert_eq!(prose("`a` and `"), "\\`a\\` and \\`");
        assert_eq!(prose("`a|b`"), "\\`a\\|b\\`");
    }

    #[test]
    fn fences_outgrow_the_backticks_inside() {
        assert_eq!(fenced("a: 1", "yaml"), "```yaml\na: 1\n```\n");
        assert_eq!(fenced("````\n", "yaml"), "`````yaml\n````\n`````\n");
    }
}
