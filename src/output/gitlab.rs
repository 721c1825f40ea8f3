//! A GitLab Code Quality report: a JSON array with one issue per unsuppressed finding,
//! which GitLab shows in merge requests.

use std::io::{self, Write};

use serde::Serialize;

use crate::finding::Severity;
use crate::lint::FileReport;

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// GitLab's scale is info, minor, major, critical, blocker; an error is a problem to
/// fix (major), a warning a likely one (minor).
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

pub(super) fn write(files: &[FileReport], out: &mut impl Write) -> io::Result<()> {
    let mut issues = Vec::new();
    for file in files {
        let src = &file.source;
        let fingerprints = crate::finding::fingerprints(&file.findings, src);
        for (f, fingerprint) in file
            .findings
            .iter()
            .zip(fingerprints)
            .filter(|(f, _)| f.suppressed.is_none())
        {
            issues.push(Issue {
                description: &f.message,
                check_name: f.rule.code,
                fingerprint,
                severity: severity(f.severity),
                location: Location {
                    path: &src.path,
                    lines: Lines {
                        begin: src.line_col(f.span.start as usize).line,
                    },
                },
            });
        }
    }
    serde_json::to_writer_pretty(&mut *out, &issues).map_err(io::Error::other)?;
    writeln!(out)
}
