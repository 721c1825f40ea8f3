//! `path:line:col: severity[CODE] message`, one line per finding.

use std::io::{self, Write};

use super::Summary;
use crate::lint::FileReport;

pub(super) fn write(files: &[FileReport], quiet: bool, out: &mut dyn Write) -> io::Result<()> {
    for file in files {
        for f in &file.findings {
            if f.suppressed.is_some() {
                continue;
            }
            let at = file.source.line_col(f.span.start as usize);
            // One line per finding: a message never spans lines here.
            let message = f.message.replace(['\n', '\r'], " ");
            writeln!(
                out,
                "{}:{}:{}: {}[{}] {}",
                file.source.path,
                at.line,
                at.column,
                f.severity.as_str(),
                f.rule.code,
                message
            )?;
        }
    }
    if !quiet {
        let s = Summary::of(files);
        writeln!(out, "{}", super::human::summary_line(&s, files.len()))?;
    }
    Ok(())
}
