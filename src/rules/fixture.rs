//! Test fixtures for rules: lint a YAML snippet, list its codes, render it as a user
//! would see it.

use crate::lint::{FileReport, LintOptions, TEST_TODAY, lint_source};
use crate::output::{self, Format, HumanOptions};
use crate::source::SourceFile;

/// Lints a snippet as `fixture.yml`, as of [`TEST_TODAY`].
pub fn lint(yaml: &str) -> FileReport {
    lint_source(
        SourceFile::new("fixture.yml", yaml.to_string()),
        &LintOptions {
            today: TEST_TODAY,
            ..LintOptions::default()
        },
    )
}

/// Whether the report holds a finding of `code`.
pub fn has(report: &FileReport, code: &str) -> bool {
    report.findings.iter().any(|f| f.rule.code == code)
}

/// The human rendering of only the findings of `code`.
pub fn render(report: FileReport, code: &str) -> String {
    let FileReport {
        source,
        valid,
        findings,
        outline,
    } = report;
    let findings = findings
        .into_iter()
        .filter(|f| f.rule.code == code)
        .collect();
    let only = [FileReport {
        source,
        valid,
        findings,
        outline,
    }];
    let mut out = Vec::new();
    output::write(
        Format::Human,
        &output::Run {
            files: &only,
            rules: crate::rules::RULES,
            human: HumanOptions {
                quiet: true,
                ..HumanOptions::default()
            },
        },
        &mut out,
    )
    .expect("render");
    String::from_utf8(out).expect("utf-8")
}

/// Asserts `code` fires on every `fail` snippet (snapshotting each rendering) and on
/// no `pass` snippet.
pub fn check_rule(code: &str, fail: &[&str], pass: &[&str]) {
    for (i, yaml) in pass.iter().enumerate() {
        let report = lint(yaml);
        assert!(
            report.valid,
            "{code} pass #{i} is not a valid topology: {:?}",
            report.findings
        );
        assert!(!has(&report, code), "{code} fired on pass #{i}:\n{yaml}");
    }
    for (i, yaml) in fail.iter().enumerate() {
        let report = lint(yaml);
        assert!(
            report.valid,
            "{code} fail #{i} is not a valid topology: {:?}",
            report.findings
        );
        assert!(
            has(&report, code),
            "{code} did not fire on fail #{i}:\n{yaml}"
        );
        let text = render(report, code);
        insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("rule__{code}__{i}"), text);
        });
    }
}
