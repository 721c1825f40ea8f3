//! `path:line:col: severity[CODE] message`, one line per finding.

use std::io::{self, Write};

use super::Summary;
use crate::finding::Finding;
use crate::lint::FileReport;

/// `path:line:col: severity[CODE] message` for one finding, with `message` as given
/// and the path's control characters escaped.
pub(super) fn location_line(file: &FileReport, f: &Finding, message: &str) -> String {
    let at = file.source.line_col(f.span.start as usize);
    format!(
        "{}:{}:{}: {}[{}] {message}",
        super::escape_control(&file.source.path, false),
        at.line,
        at.column,
        f.severity.as_str(),
        f.rule.code
    )
}

pub(super) fn write(
    files: &[FileReport],
    opts: &super::HumanOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    let quiet = opts.quiet;
    for file in files {
        for f in &file.findings {
            if f.suppressed.is_some() && !opts.show_suppressed {
                continue;
            }
            // One line per finding: a line break, or any control character, in a
            // message or a file name is escaped, so none can forge a line.
            let message = match &f.suppressed {
                Some(reason) => format!("{} (suppressed: {reason})", f.message),
                None => f.message.clone(),
            };
            let message = super::escape_control(&message, false);
            writeln!(out, "{}", location_line(file, f, &message))?;
        }
    }
    if !quiet {
        let s = Summary::of(files);
        writeln!(out, "{}", super::human::summary_line(&s, files.len()))?;
    }
    Ok(())
}
