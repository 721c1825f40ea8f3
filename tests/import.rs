//! The importers on fixtures written in the shapes of well-known public examples:
//! snapshots of `infra-lint import` and of the findings, and the properties
//! `design/importers.md` asks for.

use infra_lint::finding::Finding;
use infra_lint::import::{From, ImportOptions};
use infra_lint::lint::{self, FileReport, LintOptions, TEST_TODAY};
use infra_lint::source::SourceFile;

/// (fixture, its format).
const FIXTURES: &[(&str, From)] = &[
    ("proxy-redis.compose.yaml", From::Compose),
    ("guestbook.k8s.yaml", From::K8s),
    ("microservices.k8s.yaml", From::K8s),
    ("microservices-netpol.k8s.yaml", From::K8s),
];

fn options() -> LintOptions {
    LintOptions {
        today: TEST_TODAY,
        ..LintOptions::default()
    }
}

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("tests/import/{name}")).expect("fixture")
}

fn import_options(from: From) -> ImportOptions {
    ImportOptions {
        from: Some(from),
        profiles: Vec::new(),
    }
}

fn lint_as(path: &str, text: &str, from: From) -> FileReport {
    lint::lint_import(
        SourceFile::new(path, text.to_string()),
        &import_options(from),
        &options(),
    )
}

fn import_as(path: &str, text: &str, from: From) -> String {
    lint::import_text(
        SourceFile::new(path, text.to_string()),
        &import_options(from),
        &options(),
    )
    .unwrap_or_else(|r| panic!("{path}: {:?}", r.findings))
}

/// One line per finding: code, line:column in the source, message.
fn listing(report: &FileReport) -> String {
    report
        .findings
        .iter()
        .map(|f| {
            let at = report.source.line_col(f.span.start as usize);
            format!("{} {}:{} {}", f.rule.code, at.line, at.column, f.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

fn codes(findings: &[Finding]) -> Vec<(String, String, Vec<String>)> {
    let mut out: Vec<_> = findings
        .iter()
        .filter(|f| !f.rule.code.starts_with("IMP"))
        .map(|f| (f.rule.code.to_string(), f.message.clone(), f.subjects.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn imports_and_findings_of_each_fixture_are_snapshotted() {
    for (name, from) in FIXTURES {
        let text = read(name);
        let stem = name.split('.').next().unwrap();
        snapshot(&format!("import__{stem}"), &import_as(name, &text, *from));
        let report = lint_as(name, &text, *from);
        assert!(report.valid, "{name}: {:?}", report.findings);
        snapshot(&format!("import__{stem}__findings"), &listing(&report));
    }
}

#[test]
fn each_import_validates_and_linting_it_gives_the_same_findings_minus_imp() {
    for (name, from) in FIXTURES {
        let text = read(name);
        let written = import_as(name, &text, *from);
        let topology = lint::lint_source(SourceFile::new("imported.topology.yml", written), &options());
        assert!(topology.valid, "{name}: the import is not valid: {:?}", topology.findings);
        let imported = lint_as(name, &text, *from);
        assert!(
            imported.findings.iter().any(|f| f.rule.code.starts_with("IMP")),
            "{name}: expected IMP findings too"
        );
        assert_eq!(codes(&topology.findings), codes(&imported.findings), "{name}");
    }
}

#[test]
fn every_finding_points_into_the_source_file() {
    for (name, from) in FIXTURES {
        let text = read(name);
        let report = lint_as(name, &text, *from);
        for f in &report.findings {
            assert!(
                (f.span.end as usize) <= text.len() && !f.span.is_empty(),
                "{name}: {} has no span in the source: {:?}",
                f.rule.code,
                f.span
            );
            for l in &f.related {
                assert!((l.span.end as usize) <= text.len(), "{name}: related label out of the file");
            }
        }
    }
}

#[test]
fn auto_detection_matches_the_explicit_format_whatever_the_file_name() {
    for (name, from) in FIXTURES {
        let text = read(name);
        let explicit = import_as("input.yaml", &text, *from);
        assert_eq!(import_as("input.yaml", &text, From::Auto), explicit, "{name}");
        assert_eq!(
            listing(&lint_as("input.yaml", &text, From::Auto)),
            listing(&lint_as("input.yaml", &text, *from)),
            "{name}"
        );
    }
}

/// The fixture's top-level blocks (Compose services, manifest documents) in reverse.
fn reversed(text: &str, from: From) -> String {
    match from {
        From::K8s => {
            let body: String = text.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
            let mut docs: Vec<&str> = body.split("\n---\n").map(|d| d.trim_matches('\n')).collect();
            docs.reverse();
            docs.join("\n---\n") + "\n"
        }
        _ => {
            let (head, services) = text.split_once("services:\n").expect("services");
            let mut blocks: Vec<String> = Vec::new();
            for line in services.lines() {
                if line.starts_with("  ") && !line.starts_with("   ") || blocks.is_empty() {
                    blocks.push(String::new());
                }
                let last = blocks.last_mut().expect("a block");
                last.push_str(line);
                last.push('\n');
            }
            blocks.reverse();
            format!("{head}services:\n{}", blocks.concat())
        }
    }
}

#[test]
fn input_order_does_not_change_the_import() {
    for (name, from) in FIXTURES {
        let text = read(name);
        let shuffled = reversed(&text, *from);
        assert_ne!(shuffled, text, "{name}: the reversal changed nothing");
        assert_eq!(
            import_as(name, &shuffled, *from),
            import_as(name, &text, *from),
            "{name}"
        );
    }
}

#[test]
fn network_policies_become_firewalls() {
    let without = lint_as("m.yaml", &read("microservices.k8s.yaml"), From::K8s);
    let with = lint_as("m.yaml", &read("microservices-netpol.k8s.yaml"), From::K8s);
    let fw001 = |r: &FileReport| r.findings.iter().filter(|f| f.rule.code == "FW001").count();
    assert_eq!(fw001(&without), 5);
    assert_eq!(fw001(&with), 0);
}
