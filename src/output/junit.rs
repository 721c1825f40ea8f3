//! JUnit XML via quick-junit, for CI systems that show test results: one testsuite per
//! file and one testcase per finding, failing as the exit code does (at or above
//! `--fail-on`), passing with its text in `system-out` below it, skipped with its
//! reason when suppressed; a passing "valid topology" testcase for a file with no
//! failure. Names are unique in their suite.

use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::finding::{Finding, Severity};
use crate::lint::FileReport;

/// The name of a finding's testcase: its code and what it is about (the main subject,
/// or the line when it names none), so the same finding keeps its name across runs.
fn case_name(file: &FileReport, f: &Finding) -> String {
    match f.subjects.first() {
        Some(subject) => format!("{} {subject}", f.rule.code),
        None => format!(
            "{} line {}",
            f.rule.code,
            file.source.line_col(f.span.start as usize).line
        ),
    }
}

/// The failure's text: where, then the help and the suggested fix.
fn details(file: &FileReport, f: &Finding) -> String {
    let mut text = super::concise::location_line(file, f, &f.message);
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    if let Some(fix) = &f.fix {
        text.push_str("\nsuggested fix: ");
        text.push_str(&fix.description);
        text.push_str(super::applies(fix));
        if !fix.yaml.is_empty() {
            text.push('\n');
            text.push_str(&fix.yaml);
        }
    }
    text
}

/// Text XML can hold: a code point XML 1.0 does not allow (a control character other
/// than tab, LF and CR, U+FFFE, U+FFFF) is shown escaped (`\u{fffe}`), so the report
/// stays well-formed whatever the input holds.
fn xml_text(text: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{d7ff}').contains(&c)
            || ('\u{e000}'..='\u{fffd}').contains(&c)
            || c >= '\u{10000}'
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if allowed(c) {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// Text for an XML attribute: a parser turns a line break or tab in an attribute into
/// a space, so it is done here, where a reader of the code sees it.
fn attribute(text: &str) -> String {
    xml_text(&text.replace("\r\n", " ").replace(['\r', '\n', '\t'], " "))
}

/// `fail_on`: the lowest severity that fails the run (None: nothing does).
pub(super) fn write(
    files: &[FileReport],
    fail_on: Option<Severity>,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut report = Report::new("infra-lint");
    for file in files {
        let path = attribute(&file.source.path);
        let mut suite = TestSuite::new(path.as_str());
        let mut failed = false;
        let mut names: std::collections::HashMap<String, usize> = Default::default();
        for f in &file.findings {
            let fails = f.suppressed.is_none() && fail_on.is_some_and(|t| f.severity >= t);
            let status = match &f.suppressed {
                Some(reason) => {
                    let mut status = TestCaseStatus::skipped();
                    status
                        .set_message(attribute(&format!("suppressed: {reason}")))
                        .set_type(f.rule.code);
                    status
                }
                None if fails => {
                    failed = true;
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status
                        .set_message(attribute(&f.message))
                        .set_type(f.rule.code)
                        .set_description(xml_text(&details(file, f)));
                    status
                }
                None => TestCaseStatus::success(),
            };
            // The same finding name twice in a file (one rule, one subject, two
            // places) is told apart by its place in the file.
            let mut name = case_name(file, f);
            let seen = names.entry(name.clone()).or_insert(0);
            *seen += 1;
            if *seen > 1 {
                name = format!("{name} ({})", seen);
            }
            let mut case = TestCase::new(attribute(&name), status);
            case.set_classname(path.as_str());
            if !fails {
                case.set_system_out(xml_text(&details(file, f)));
            }
            suite.add_test_case(case);
        }
        if !failed {
            let mut case = TestCase::new("valid topology", TestCaseStatus::success());
            case.set_classname(path.as_str());
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    let xml = report.to_string().map_err(io::Error::other)?;
    out.write_all(without_root_skipped(&xml).as_bytes())
}

/// The report without the `skipped` count quick-junit puts on the root `<testsuites>`:
/// the JUnit schema Jenkins validates against allows it on each `<testsuite>` only.
fn without_root_skipped(xml: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = xml.find("<testsuites") else {
        return xml.into();
    };
    let end = xml[start..].find('>').map_or(xml.len(), |e| start + e);
    let tag = &xml[start..end];
    let Some(at) = tag.find(" skipped=\"") else {
        return xml.into();
    };
    let value_end = tag[at + 10..]
        .find('"')
        .map_or(tag.len(), |e| at + 10 + e + 1);
    let mut out = String::with_capacity(xml.len());
    out.push_str(&xml[..start + at]);
    out.push_str(&xml[start + value_end..]);
    out.into()
}
