//! GitHub Actions workflow commands, one line per unsuppressed finding:
//! `::error file=...,line=...,col=...,endLine=...,endColumn=...,title=CODE (name)::message`,
//! which GitHub shows as annotations on the file and the pull request.

use std::io::{self, Write};

use crate::finding::Severity;
use crate::lint::FileReport;

/// Escapes a command's message as GitHub's runner expects: `%`, CR and LF are
/// percent-encoded, so the command stays on one line; any other control character
/// (ESC, NUL) is shown escaped (`\x1b`), so none reaches the log's terminal.
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => {
                out.push_str(&super::escape_control(c.encode_utf8(&mut [0; 4]), false))
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command's property value: as [`escape_data`], and also `:` and `,`,
/// which would otherwise end the value or the property list.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Ends with the summary line (unless `quiet`): a failed step's log then says why.
pub(super) fn write(files: &[FileReport], quiet: bool, out: &mut impl Write) -> io::Result<()> {
    for file in files {
        let src = &file.source;
        for f in file.findings.iter().filter(|f| f.suppressed.is_none()) {
            let mut props = format!("file={}", escape_property(&src.path));
            // A file with no text (unreadable) is annotated as a whole.
            if !src.text.is_empty() {
                let start = src.line_col(f.span.start as usize);
                let end = src.line_col(f.span.end as usize);
                props.push_str(&format!(
                    ",line={},col={},endLine={},endColumn={}",
                    start.line, start.column, end.line, end.column
                ));
            }
            let title = format!("{} ({})", f.rule.code, f.rule.name);
            props.push_str(&format!(",title={}", escape_property(&title)));
            let mut message = f.message.clone();
            if let Some(help) = &f.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            writeln!(
                out,
                "::{} {props}::{}",
                command(f.severity),
                escape_data(&message)
            )?;
        }
    }
    if !quiet {
        writeln!(
            out,
            "{}",
            super::human::summary_line(&super::Summary::of(files), files.len())
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{escape_data, escape_property};

    #[test]
    fn data_and_properties_escape_as_the_runner_expects() {
        assert_eq!(escape_data("50% a\r\nb::c,d"), "50%25 a%0D%0Ab::c,d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_data("a\x1b[2Jb\0"), "a\\x1b[2Jb\\0");
    }
}
