//! SARIF 2.1.0, built from serde-sarif's types, as GitHub code scanning accepts it:
//! every rule that ran with its documentation, and one result per finding with its
//! region, related locations, a stable fingerprint, the suggested fix and, for a
//! suppressed finding, the in-source suppression and its reason.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix, Invocation, Location, Message,
    MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel,
    Run as SarifRun, Sarif, Suppression, Tool, ToolComponent,
};

use super::Run;
use crate::finding::{Finding, Severity};
use crate::lint::FileReport;
use crate::rules::Rule;
use crate::source::{SourceFile, Span};

/// Where infra-lint lives; rule pages are under it.
const INFORMATION_URI: &str = "https://github.com/infra-lint/infra-lint";

/// The published location of the SARIF 2.1.0 schema (errata 01).
const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The key of our entry in `partialFingerprints`; the version changes if the
/// fingerprint's recipe does.
const FINGERPRINT_KEY: &str = "infraLint/v2";

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn level_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a URI reference: relative paths stay relative (to the working folder,
/// where code scanning resolves them), absolute ones become `file://` URIs; every byte
/// outside the unreserved set is percent-encoded so that any file name is a valid URI.
pub(super) fn artifact_uri(path: &str) -> String {
    let slashed = if std::path::MAIN_SEPARATOR == '\\' {
        path.replace('\\', "/")
    } else {
        path.to_string()
    };
    let relative = slashed.trim_start_matches("./");
    let mut out = String::with_capacity(relative.len());
    let absolute = std::path::Path::new(path).is_absolute();
    if absolute {
        out.push_str("file://");
        if !relative.starts_with('/') {
            // A Windows drive path: file:///C:/...
            out.push('/');
        }
    }
    for (i, b) in relative.bytes().enumerate() {
        let drive_colon = absolute && b == b':' && i == 1;
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || drive_colon {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The region of a span; a file with no text (it could not be read) gets line 1.
fn region(source: &SourceFile, span: Span) -> Region {
    if source.text.is_empty() {
        return Region::builder().start_line(1).build();
    }
    let start = source.line_col(span.start as usize);
    let end = source.line_col(span.end as usize);
    Region::builder()
        .start_line(start.line as i64)
        .start_column(start.column as i64)
        .end_line(end.line as i64)
        .end_column(end.column as i64)
        .build()
}

/// The base every relative URI is resolved against: the project root.
const ROOT_BASE: &str = "PROJECTROOT";

/// Where a file is: a URI relative to the project root (`uriBaseId`), or a `file://`
/// URI when its path is absolute.
fn location_of(source: &SourceFile) -> ArtifactLocation {
    let uri = artifact_uri(&source.path);
    if uri.starts_with("file://") {
        ArtifactLocation::builder().uri(uri).build()
    } else {
        ArtifactLocation::builder()
            .uri(uri)
            .uri_base_id(ROOT_BASE)
            .build()
    }
}

fn physical(source: &SourceFile, span: Span) -> PhysicalLocation {
    PhysicalLocation::builder()
        .artifact_location(location_of(source))
        .region(region(source, span))
        .build()
}

/// The most results GitHub code scanning accepts in one run.
pub const MAX_RESULTS: usize = 25_000;

/// A directory as a `file://` URI ending in `/`, as `originalUriBaseIds` needs.
fn directory_uri(dir: &std::path::Path) -> String {
    let mut uri = artifact_uri(&dir.to_string_lossy());
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s).build()
}

/// A rule's documentation page on the web.
pub fn help_uri(rule: &Rule) -> String {
    format!("{INFORMATION_URI}/blob/main/rules/{}.md", rule.code)
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    ReportingDescriptor::builder()
        .id(rule.code)
        .name(rule.name)
        .short_description(text(rule.summary()))
        .full_description(text(rule.summary()))
        .help(
            MultiformatMessageString::builder()
                .text(rule.body())
                .markdown(rule.body())
                .build(),
        )
        .help_uri(help_uri(rule))
        .default_configuration(
            ReportingConfiguration::builder()
                .level(serde_json::Value::from(level_name(rule.severity)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(vec![rule.category.as_str().to_string()])
                .build(),
        )
        .build()
}

/// The suggested fix as a SARIF fix: its edits as replacements, each a deleted region
/// (character offset and length, and line and column) and the content inserted there.
/// A fix without edits (applicability `none`) is no SARIF fix.
fn fix(source: &SourceFile, finding: &Finding) -> Option<Fix> {
    let suggested = finding.fix.as_ref()?;
    if suggested.edits.is_empty() {
        return None;
    }
    let replacements: Vec<serde_sarif::sarif::Replacement> = suggested
        .edits
        .iter()
        .map(|e| {
            let start = source.char_of_byte(e.start);
            let end = source.char_of_byte(e.end);
            let mut deleted = region(source, Span::new(e.start, e.end));
            deleted.char_offset = Some(start as i64);
            deleted.char_length = Some((end - start) as i64);
            serde_sarif::sarif::Replacement::builder()
                .deleted_region(deleted)
                .inserted_content(ArtifactContent::builder().text(e.content.as_str()).build())
                .build()
        })
        .collect();
    let change = ArtifactChange::builder()
        .artifact_location(location_of(source))
        .replacements(replacements)
        .build();
    Some(
        Fix::builder()
            .description(Message::from(&*suggested.description))
            .artifact_changes(vec![change])
            .build(),
    )
}

fn result(
    file: &FileReport,
    finding: &Finding,
    fingerprint: String,
    rule_index: usize,
) -> SarifResult {
    let source = &file.source;
    let mut location = Location::builder()
        .physical_location(physical(source, finding.span))
        .build();
    if !finding.label.is_empty() {
        location.message = Some(Message::from(finding.label.as_str()));
    }
    let related: Vec<Location> = finding
        .related
        .iter()
        .enumerate()
        .map(|(i, label)| {
            Location::builder()
                .id(i as i64)
                .physical_location(physical(source, label.span))
                .message(Message::from(label.text.as_str()))
                .build()
        })
        .collect();
    // An empty list says "known not suppressed"; absence would mean "unknown".
    let suppressions: Vec<Suppression> = finding
        .suppressed
        .iter()
        .map(|reason| {
            Suppression::builder()
                .kind(serde_json::Value::from("inSource"))
                .justification(reason.as_str())
                .build()
        })
        .collect();
    let mut r = SarifResult::builder()
        .rule_id(finding.rule.code)
        .rule_index(rule_index as i64)
        .level(level(finding.severity))
        .message(Message::from(finding.message.as_str()))
        .locations(vec![location])
        .partial_fingerprints(BTreeMap::from([(FINGERPRINT_KEY.to_string(), fingerprint)]))
        .suppressions(suppressions)
        .build();
    if !related.is_empty() {
        r.related_locations = Some(related);
    }
    r.fixes = fix(source, finding).map(|f| vec![f]);
    r
}

/// The rules of the run, followed by any rule a finding names that is not among them
/// (an input error is reported whatever the selection), so every ruleIndex resolves.
fn rules_of(run: &Run) -> Vec<&'static Rule> {
    let mut rules: Vec<&'static Rule> = run.rules.to_vec();
    for f in run.files.iter().flat_map(|file| &file.findings) {
        if !rules.iter().any(|r| r.code == f.rule.code) {
            rules.push(f.rule);
        }
    }
    rules
}

/// The SARIF log of a run.
fn log(run: &Run) -> Sarif {
    let rules = rules_of(run);
    // The findings kept: all, or when there are more than code scanning takes, the
    // most severe first (errors, then warnings, then infos; unsuppressed before
    // suppressed), each level in file order.
    let mut chosen: Vec<(&FileReport, &Finding, String)> = Vec::new();
    for file in run.files {
        let fingerprints = crate::finding::fingerprints(&file.findings, &file.source);
        for (finding, fingerprint) in file.findings.iter().zip(fingerprints) {
            chosen.push((file, finding, fingerprint));
        }
    }
    let total = chosen.len();
    if total > MAX_RESULTS {
        chosen.sort_by_key(|(_, f, _)| (f.suppressed.is_some(), std::cmp::Reverse(f.severity)));
        chosen.truncate(MAX_RESULTS);
    }
    let mut results = Vec::with_capacity(chosen.len());
    for (file, finding, fingerprint) in chosen {
        let index = rules
            .iter()
            .position(|r| r.code == finding.rule.code)
            .unwrap_or_default();
        results.push(result(file, finding, fingerprint, index));
    }
    let mut invocation = Invocation::builder().execution_successful(true).build();
    if total > MAX_RESULTS {
        let left_out = total - MAX_RESULTS;
        invocation.tool_execution_notifications = Some(vec![
            Notification::builder()
                .level(serde_json::Value::from("warning"))
                .message(Message::from(format!(
                    "{left_out} of {total} results were left out: GitHub code scanning accepts at most {MAX_RESULTS} in a run; the most severe are kept. Use --format json for all of them."
                ).as_str()))
                .build(),
        ]);
    }
    let driver = ToolComponent::builder()
        .name("infra-lint")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules.iter().map(|r| descriptor(r)).collect::<Vec<_>>())
        .build();
    let mut sarif_run = SarifRun::builder()
        .tool(Tool::builder().driver(driver).build())
        // Columns count characters, as editors do.
        .column_kind(serde_json::Value::from("unicodeCodePoints"))
        .invocations(vec![invocation])
        .results(results)
        .build();
    let relative = run
        .files
        .iter()
        .any(|f| !artifact_uri(&f.source.path).starts_with("file://"));
    if relative {
        let mut base = ArtifactLocation::builder()
            .description(Message::from("the project root: the directory of infra-lint.toml, else the repository's root, else the working directory"))
            .build();
        if let Some(root) = &run.root {
            base.uri = Some(directory_uri(root));
        }
        sarif_run.original_uri_base_ids = Some(BTreeMap::from([(ROOT_BASE.to_string(), base)]));
    }
    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(serde_json::Value::from("2.1.0"))
        .runs(vec![sarif_run])
        .build()
}

pub(super) fn write(run: &Run, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(run)).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::artifact_uri;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            artifact_uri("examples/a.topology.yml"),
            "examples/a.topology.yml"
        );
        assert_eq!(artifact_uri("./a b.yml"), "a%20b.yml");
        assert_eq!(artifact_uri("x:y#z?.yml"), "x%3Ay%23z%3F.yml");
        assert_eq!(artifact_uri("/tmp/é.yml"), "file:///tmp/%C3%A9.yml");
    }
}
