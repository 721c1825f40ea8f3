//! The JSON Schema (`infra-lint schema`) checked by an independent validator: it accepts
//! every example and the starter, rejects the invalid inputs that are schema errors,
//! and accepts what infra-lint accepts in the corners where a generic YAML reader and
//! infra-lint's differ.
//!
//! Files in examples/invalid/ deliberately not checked against the schema:
//! - bad-indentation.yml, tab-indentation.yml: not YAML, so there is nothing to
//!   validate;
//! - invalid-utf8.yml: not text;
//! - alias-bomb.yml, deep-nesting.yml: input limits of a YAML reader, not shapes;
//! - missing-reference.yml, missing-target.yml: references need the whole file;
//! - duplicate-component-id.yml, duplicate-link.yml, duplicate-target-link.yml: a
//!   duplicate key does not survive reading YAML into a JSON value, and JSON Schema
//!   cannot compare list items by two of their fields;
//! - replicates-from-on-web-server.yml, firewall-block-on-firewall.yml: which fields a
//!   kind may have is infra-lint's check (IL006), kept out of the schema so editors
//!   offer every field;
//! - bad-cidr.yml: JSON Schema has no CIDR format.
//! - lb-targets-itself.yml, primary-replicates-from.yml, service-mixes-kinds.yml,
//!   service-on-replication-cluster.yml, quorum-misuse.yml: each error relates one
//!   field to another (a target to its load balancer, a label to the kinds and the
//!   replication of its other members, a quorum to the role and failover beside it, a
//!   count to a list's length): infra-lint's IL006, not a shape.
//! - suppress-unknown-subject.yml: a subject names a failure-domain value that the
//!   hosts must have: a reference, which needs the whole file;
//! - empty-failure-domain.yml: levels are the keys of a free-form map, and the schema
//!   keeps such maps open so that editors offer any level.

use std::path::Path;

use infra_lint::init::starter;
use infra_lint::schema::json_schema;
use serde_json::Value;

/// The invalid examples that the schema must reject, with the instance paths (JSON
/// pointers) its errors must point at.
const SCHEMA_ERRORS: &[(&str, &[&str])] = &[
    (
        "backup-misuse.yml",
        &[
            "/components/db-4/backup",
            "/components/db-5/backup",
            "/components/db-6/backup",
        ],
    ),
    ("bad-date.yml", &["/certificates/www-foobar/expires"]),
    ("comment-only.yml", &[""]),
    ("id-with-quote.yml", &["/components"]),
    ("id-with-space.yml", &["/components"]),
    ("instances-0.yml", &["/components/web-1/instances"]),
    ("missing-kind.yml", &["/components/app-1"]),
    ("port-70000.yml", &["/links/0/port"]),
    ("quoted-number-port.yml", &["/links/0/port"]),
    (
        "several-errors.yml",
        &["/components/web-1", "/components/db-1/role"],
    ),
    ("top-level-list.yml", &[""]),
    ("unknown-key-balancing.yml", &["/components/lb-1/balancing"]),
    ("unknown-key-component.yml", &["/components/web-1"]),
    (
        "unknown-key-firewall-rule.yml",
        &["/hosts/server-1/firewall"],
    ),
    ("unknown-key-host.yml", &["/hosts/server-1"]),
    ("unknown-key-link.yml", &["/links/0"]),
    ("unknown-key-top.yml", &[""]),
    ("unknown-key-zone.yml", &["/zones/dmz"]),
    ("unknown-kind.yml", &["/components/web-1/kind"]),
    ("version-2.yml", &["/version"]),
    ("wrong-type.yml", &["/components/web-1/instances"]),
];

fn schema() -> Value {
    serde_json::from_str(&json_schema()).expect("the schema is JSON")
}

/// A validator that checks formats (`date`) too, as check-jsonschema does by default.
fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("the schema compiles")
}

/// YAML as a generic reader sees it (YAML 1.2 core schema).
fn yaml(text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).expect("YAML")
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn schema_is_a_valid_draft7_schema_with_id_and_title() {
    let schema = schema();
    jsonschema::meta::validate(&schema).expect("valid against its meta-schema");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(
        schema["$id"],
        "https://github.com/infra-lint/infra-lint/schema/topology-v1.json"
    );
    assert!(schema["title"].as_str().is_some_and(|t| !t.is_empty()));
}

#[test]
fn schema_names_every_top_level_key() {
    let schema = schema();
    let mut keys: Vec<&str> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "certificates",
            "components",
            "description",
            "hosts",
            "links",
            "name",
            "suppress",
            "version",
            "zones"
        ]
    );
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(
        schema["required"],
        serde_json::json!(["version", "name", "components"])
    );
}

#[test]
fn examples_and_the_starter_are_accepted() {
    let validator = validator();
    let mut files: Vec<_> = std::fs::read_dir("examples")
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".topology.yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "examples missing: {files:?}");
    for path in files {
        let found = errors(&validator, &yaml(&read(&path)));
        assert!(found.is_empty(), "{}: {found:#?}", path.display());
    }
    let found = errors(&validator, &yaml(&starter(infra_lint::lint::TEST_TODAY)));
    assert!(found.is_empty(), "the starter: {found:#?}");
}

#[test]
fn schema_errors_among_the_invalid_examples_are_rejected() {
    let validator = validator();
    for (name, paths) in SCHEMA_ERRORS {
        let path = Path::new("examples/invalid").join(name);
        let at: Vec<String> = validator
            .iter_errors(&yaml(&read(&path)))
            .map(|e| e.instance_path().to_string())
            .collect();
        for expected in *paths {
            assert!(
                at.iter().any(|p| p == expected),
                "{name}: no schema error at `{expected}` (errors at {at:?})"
            );
        }
    }
}

#[test]
fn every_invalid_example_is_either_checked_or_excused() {
    // The excused ones are listed in this file's header, with why.
    let excused = [
        "alias-bomb.yml",
        "bad-cidr.yml",
        "bad-indentation.yml",
        "deep-nesting.yml",
        "duplicate-component-id.yml",
        "duplicate-link.yml",
        "duplicate-target-link.yml",
        "firewall-block-on-firewall.yml",
        "invalid-utf8.yml",
        "missing-reference.yml",
        "missing-target.yml",
        "repeated-failure-domain-level.yml",
        "replicates-from-on-web-server.yml",
        "tab-indentation.yml",
        "lb-targets-itself.yml",
        "primary-replicates-from.yml",
        "service-mixes-kinds.yml",
        "service-on-replication-cluster.yml",
        "quorum-misuse.yml",
        "suppress-unknown-subject.yml",
        "empty-failure-domain.yml",
    ];
    for entry in std::fs::read_dir("examples/invalid").expect("examples/invalid/") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            SCHEMA_ERRORS.iter().any(|(n, _)| *n == name) || excused.contains(&name.as_ref()),
            "examples/invalid/{name}: add it to SCHEMA_ERRORS or say why it is excused"
        );
    }
}

/// Spellings infra-lint accepts that a generic YAML reader types differently: the
/// schema must not reject a file infra-lint reads.
#[test]
fn what_infra_lint_accepts_the_schema_accepts() {
    let text = r#"
version: 1
name: 2027                         # a plain number where text is wanted
description: ~                     # null for an optional field
hosts:
  h1:
    failure_domains: { rack: 1, region: eu-west }
    firewall:
      allow:
        - { port: 443, from: any }
        - { port: "8000-8100", from: 10.0.0.0/8 }
        - { port: any, from: users }
    monitoring: { agent: node_exporter }
certificates:
  c1: { domains: [www.example.com], expires: 2099-01-01, min_tls_version: 1.2 }
components:
  users: { kind: client, suppress: [ { rule: TLS001, reason: demo, until: 2099-01-01 } ] }
  web-1:
    kind: web_server
    host: h1
    version: 8
    instances: 3
    zone: null
    listeners: [ { port: 443, protocol: https, certificate: c1 } ]
links:
  - { from: users, to: web-1, protocol: https, port: 443 }
"#;
    let report = infra_lint::lint::lint_source(
        infra_lint::source::SourceFile::new("accepts.topology.yml", text.to_string()),
        &infra_lint::lint::LintOptions {
            today: infra_lint::lint::TEST_TODAY,
            ..Default::default()
        },
    );
    assert!(
        report.valid,
        "infra-lint rejects it: {:?}",
        report
            .findings
            .iter()
            .map(|f| &f.message)
            .collect::<Vec<_>>()
    );
    let found = errors(&validator(), &yaml(text));
    assert!(found.is_empty(), "{found:#?}");
}

/// Range and enum checks the schema adds beyond the types, each on one value.
#[test]
fn out_of_range_values_are_rejected() {
    let validator = validator();
    let base = |component: &str, link: &str| {
        format!(
            "version: 1\nname: t\ncomponents:\n  users: {{ kind: client }}\n  lb-1:\n{component}\nlinks:\n  - {{ from: users, to: lb-1{link} }}\n"
        )
    };
    let lb = "    kind: load_balancer\n    balancing:\n      targets: [lb-1]\n";
    let cases = [
        base(&format!("{lb}      health_check: {{ interval_s: 0 }}"), ""),
        base(&format!("{lb}      health_check: {{ timeout_s: 0 }}"), ""),
        base(&format!("{lb}      health_check: {{ port: 0 }}"), ""),
        base(&format!("{lb}      backend: {{ port: 65536 }}"), ""),
        base(
            "    kind: web_server\n    listeners: [ { port: 0, protocol: http } ]",
            "",
        ),
        base("    kind: web_server", ", port: 0"),
        base("    kind: web_server\n    instances: -1", ""),
        base("    kind: web_server\n    critical: \"true\"", ""),
    ];
    let ok = base("    kind: web_server", ", port: 65535");
    assert!(validator.is_valid(&yaml(&ok)), "{ok}");
    for case in cases {
        assert!(!validator.is_valid(&yaml(&case)), "accepted:\n{case}");
    }
}
