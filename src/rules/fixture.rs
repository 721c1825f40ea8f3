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

/// Lints a Compose snippet through the importer as `compose.yaml`, as of
/// [`TEST_TODAY`].
pub fn lint_compose(yaml: &str) -> FileReport {
    crate::lint::lint_import(
        SourceFile::new("compose.yaml", yaml.to_string()),
        &crate::import::ImportOptions::default(),
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
            root: None,
            fail_on: Some(crate::finding::Severity::Warning),
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
        assert_every_fix_applies(yaml, &format!("{code} fail #{i}"));
        let text = render(report, code);
        insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("rule__{code}__{i}"), text);
        });
    }
}

/// Applies the fix of every `code` finding on `subject` and asserts the result is a
/// valid topology in which that finding is gone. Returns the fixed file.
pub fn assert_fix_resolves(yaml: &str, code: &str, subject: &str) -> String {
    let report = lint(yaml);
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule.code == code && f.subjects.first().is_some_and(|s| s == subject))
        .unwrap_or_else(|| panic!("no {code} on {subject}: {:?}", report.findings));
    let fix = finding.fix.as_ref().expect("a fix");
    assert!(
        !fix.edits.is_empty(),
        "the fix of {code} on {subject} has no edits:\n{}",
        fix.yaml
    );
    let fixed = crate::fix::apply(yaml, &fix.edits);
    let after = lint(&fixed);
    assert!(
        after.valid,
        "the fix of {code} on {subject} gives an invalid topology: {:?}\n{}",
        after
            .findings
            .iter()
            .map(|f| &f.message)
            .collect::<Vec<_>>(),
        fixed
    );
    assert!(
        !after.findings.iter().any(|f| f.rule.code == code
            && f.suppressed.is_none()
            && f.subjects.first().is_some_and(|s| s == subject)),
        "the fix of {code} on {subject} leaves it:\n{}",
        fix.yaml
    );
    fixed
}

/// A property test's configuration: `cases` (or `PROPTEST_CASES`), and a fixed seed so
/// that CI tries the same inputs on every run and a red build is never luck. Another
/// seed explores further: `PROPTEST_RNG_SEED=$RANDOM PROPTEST_CASES=20000 cargo test`.
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let mut config = proptest::test_runner::Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        ..proptest::test_runner::Config::default()
    };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = proptest::test_runner::RngSeed::Fixed(0x1f5a_2026);
    }
    config
}

/// Applies each fix of each finding of `yaml`, one at a time, through its edits, and
/// asserts the result is a valid topology with no input error in which that finding
/// (its rule and first subject) occurs once less. A fix with applicability `none` has
/// no edits and is skipped. Returns how many fixes were applied.
pub fn assert_every_fix_applies(yaml: &str, origin: &str) -> usize {
    let report = lint(yaml);
    assert!(report.valid, "{origin}: not a valid topology");
    let count = |r: &crate::lint::FileReport, code: &str, subject: Option<&crate::yaml::Text>| {
        r.findings
            .iter()
            .filter(|f| {
                f.suppressed.is_none() && f.rule.code == code && f.subjects.first() == subject
            })
            .count()
    };
    let mut applied = 0;
    for f in &report.findings {
        let Some(fix) = &f.fix else { continue };
        if f.suppressed.is_some() {
            continue;
        }
        if fix.applicability == crate::fix::Applicability::None {
            // A fix written as YAML that could not become edits is a bug, unless the
            // file shares nodes (anchors, aliases) that no fix may edit.
            let shares = yaml.contains('&') || yaml.contains('*');
            assert!(
                fix.yaml.is_empty() || shares,
                "{origin}: the fix of {} on {:?} could not be planned:\n{}",
                f.rule.code,
                f.subjects.first(),
                fix.yaml
            );
            continue;
        }
        assert!(
            !fix.edits.is_empty(),
            "{origin}: the fix of {} on {:?} has no edits:\n{}",
            f.rule.code,
            f.subjects.first(),
            fix.yaml
        );
        let fixed = crate::fix::apply(yaml, &fix.edits);
        let after = lint(&fixed);
        let input_errors: Vec<&String> = after
            .findings
            .iter()
            .filter(|x| x.rule.category == crate::rules::Category::Input)
            .map(|x| &x.message)
            .collect();
        assert!(
            after.valid && input_errors.is_empty(),
            "{origin}: the fix of {} on {:?} gives input errors {input_errors:?}:\n{fixed}",
            f.rule.code,
            f.subjects.first()
        );
        let subject = f.subjects.first();
        assert!(
            count(&after, f.rule.code, subject) < count(&report, f.rule.code, subject),
            "{origin}: the fix of {} on {:?} leaves it:\n{fixed}",
            f.rule.code,
            subject
        );
        applied += 1;
    }
    applied
}
