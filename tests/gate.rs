//! infra-lint as a CI gate: configuration, rule selection, suppressions in the topology,
//! baselines and statistics, through the command line.

use std::path::Path;
use std::process::{Command, Output};

use infra_lint::lint::TEST_TODAY;

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infra-lint"))
        .env_remove("COLUMNS")
        .env_remove("INFRA_LINT_OUTPUT_FORMAT")
        .current_dir(dir)
        .args(["--color", "never", "--today", &TEST_TODAY.to_string()])
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run infra-lint")
}

fn json_in(dir: &Path, args: &[&str]) -> (serde_json::Value, i32) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let o = run_in(dir, &all);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (v, o.status.code().unwrap_or(-1))
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    let mut c: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["subjects"][0].as_str().unwrap_or("")
            )
        })
        .collect();
    c.sort();
    c
}

/// A small, otherwise clean design with one single point of failure: `web`.
const CLEAN_BUT_WEB: &str = "version: 1
name: shop
components:
  users: { kind: client }
  web:
    kind: web_server
    firewall: { allow: [{ port: 443, from: internet }] }
    monitoring: { agent: node_exporter }
SUPPRESS
links:
  - { from: users, to: web, protocol: https, port: 443 }
";

fn topology(dir: &Path, name: &str, suppress: &str) -> String {
    let text = CLEAN_BUT_WEB.replace("SUPPRESS\n", suppress);
    std::fs::write(dir.join(name), text).unwrap();
    name.to_string()
}

#[test]
fn a_suppression_with_a_reason_hides_the_finding_and_keeps_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = topology(
        d,
        "t.topology.yml",
        "    suppress:\n      - { rule: single-point-of-failure, reason: \"demo site\" }\n",
    );
    let (v, code) = json_in(d, &[&f]);
    assert_eq!(code, 0, "a suppressed finding does not fail the run: {v}");
    let spof = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "SPOF001")
        .expect("listed");
    assert_eq!(
        spof["suppressed"],
        serde_json::json!({ "reason": "demo site" })
    );
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["summary"]["warning"], 0);
}

#[test]
fn bad_suppressions_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = [
        (
            "    suppress:\n      - { rule: SPOF001 }\n",
            vec!["SPOF001 web", "SUP001 web"],
        ),
        (
            "    suppress:\n      - { rule: SPOF01, reason: r }\n",
            vec!["SPOF001 web", "SUP002 web"],
        ),
        (
            "    suppress:\n      - { rule: IL003, reason: r }\n",
            vec!["SPOF001 web", "SUP002 web"],
        ),
        (
            "    suppress:\n      - { rule: SPOF001, reason: r, until: 2026-01-31 }\n",
            vec!["SPOF001 web", "SUP003 web"],
        ),
        (
            "    suppress:\n      - { rule: SPOF001, reason: r, until: 2027-01-31 }\n",
            vec![],
        ),
        (
            "    suppress:\n      - { rule: SPOF001, reason: r }\n      - { rule: LB001, reason: r }\n",
            vec!["SUP004 web"],
        ),
    ];
    for (suppress, expected) in cases {
        let f = topology(d, "t.topology.yml", suppress);
        let (v, _) = json_in(d, &[&f]);
        assert_eq!(codes(&v), expected, "{suppress}");
    }
    // An unparseable `until` is an input error.
    let f = topology(
        d,
        "t.topology.yml",
        "    suppress:\n      - { rule: SPOF001, reason: r, until: soon }\n",
    );
    let (v, code) = json_in(d, &[&f]);
    assert_eq!(code, 2);
    assert_eq!(codes(&v), ["IL006 "]);
}

#[test]
fn findings_on_implied_links_and_domain_values_are_suppressed_where_the_rules_say() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = "version: 1
name: racks
hosts:
  h1: { failure_domains: { rack: r1 } }
  h2: { failure_domains: { rack: r1 } }
  h3: {}
components:
  users: { kind: client }
  lb:
    kind: load_balancer
    host: h3
    listeners: [{ port: 443, protocol: https, certificate: c }]
    balancing: { targets: [web-1, web-2], health_check: { path: / } }
    suppress:
      - { rule: TLS003, reason: \"the backend network is trusted\" }
      - { rule: SPOF001, reason: \"one LB in staging\" }
  web-1: { kind: web_server, host: h1 }
  web-2: { kind: web_server, host: h2 }
certificates:
  c: { domains: [a.example], expires: 2030-01-01 }
links:
  - { from: users, to: lb, protocol: https, port: 443 }
suppress:
  - { subject: \"rack:r1\", rule: SPOF002, reason: \"one rack until March\" }
";
    std::fs::write(d.join("racks.topology.yml"), text).unwrap();
    let (v, _) = json_in(d, &["--select", "SPOF,TLS", "racks.topology.yml"]);
    assert_eq!(codes(&v), Vec::<String>::new(), "{v}");
    assert_eq!(v["summary"]["suppressed"], 3);
}

#[test]
fn the_config_is_discovered_upward_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sub = d.join("infra/site");
    std::fs::create_dir_all(&sub).unwrap();
    topology(&sub, "t.topology.yml", "");
    std::fs::write(
        d.join("infra-lint.toml"),
        "ignore = [\"SPOF\"]\nfail-on = \"error\"\n",
    )
    .unwrap();
    let (v, code) = json_in(&sub, &["t.topology.yml"]);
    assert_eq!(
        codes(&v),
        Vec::<String>::new(),
        "SPOF ignored by the config found upward"
    );
    assert_eq!(code, 0);
    // The command line overrides it: its --select replaces the config's selection.
    let (v, code) = json_in(
        &sub,
        &[
            "--select",
            "SPOF001",
            "--fail-on",
            "warning",
            "t.topology.yml",
        ],
    );
    assert_eq!(
        codes(&v),
        Vec::<String>::new(),
        "config ignores still apply"
    );
    assert_eq!(code, 0);
    // --severity raises a rule; --fail-on from the config (error) then fails.
    std::fs::write(
        d.join("infra-lint.toml"),
        "fail-on = \"error\"\n[severity]\nSPOF001 = \"error\"\n",
    )
    .unwrap();
    let (v, code) = json_in(&sub, &["t.topology.yml"]);
    assert_eq!(v["summary"]["error"], 1);
    assert_eq!(code, 1);
    // An unknown key or rule is an error with its line, exit 2.
    std::fs::write(
        d.join("infra-lint.toml"),
        "fail-on = \"error\"\n\n[severity]\nSPOF010 = \"error\"\n",
    )
    .unwrap();
    let o = run_in(&sub, &["t.topology.yml"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("infra-lint.toml:4:1: ") && err.contains("did you mean `SPOF001`?"),
        "{err}"
    );
    std::fs::write(d.join("infra-lint.toml"), "selct = [\"TLS\"]\n").unwrap();
    let o = run_in(&sub, &["t.topology.yml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `select`?"));
    // --config names another file.
    std::fs::write(d.join("other.toml"), "select = [\"graph\"]\n").unwrap();
    let (v, _) = json_in(
        &sub,
        &[
            "--config",
            d.join("other.toml").to_str().unwrap(),
            "t.topology.yml",
        ],
    );
    assert_eq!(codes(&v), Vec::<String>::new());
}

#[test]
fn per_file_ignores_and_file_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("staging")).unwrap();
    std::fs::create_dir_all(d.join("legacy")).unwrap();
    std::fs::create_dir_all(d.join("infra")).unwrap();
    topology(&d.join("staging"), "a.topology.yml", "");
    topology(&d.join("legacy"), "b.topology.yml", "");
    topology(&d.join("infra"), "prod.yml", "");
    std::fs::write(
        d.join("infra-lint.toml"),
        "include = [\"infra/*.yml\"]\nexclude = [\"legacy/\"]\n[per-file-ignores]\n\"staging/*.topology.yml\" = [\"SPOF001\"]\n",
    )
    .unwrap();
    let (v, _) = json_in(d, &["."]);
    let files: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["infra/prod.yml", "staging/a.topology.yml"],
        "include adds, exclude skips"
    );
    let per_file: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(per_file, [("infra/prod.yml", "SPOF001")]);
}

#[test]
fn a_baseline_hides_known_findings_even_after_the_yaml_moves() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(
        "examples/02-distributed.topology.yml",
        d.join("site.topology.yml"),
    )
    .unwrap();
    let o = run_in(
        d,
        &["--write-baseline", "baseline.json", "site.topology.yml"],
    );
    assert_eq!(o.status.code(), Some(0), "writing a baseline exits 0");
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("baseline.json")).unwrap()).unwrap();
    assert_eq!(baseline["schema_version"], 1);
    assert!(baseline["fingerprints"].as_array().unwrap().len() >= 10);
    let (v, code) = json_in(d, &["--baseline", "baseline.json", "site.topology.yml"]);
    assert_eq!(codes(&v), Vec::<String>::new());
    assert_eq!(code, 0);

    // Reorder: the hosts after the components, the links reversed, a key moved.
    let text = std::fs::read_to_string(d.join("site.topology.yml")).unwrap();
    let (head, rest) = text.split_once("hosts:\n").unwrap();
    let (hosts, rest) = rest.split_once("\ncomponents:\n").unwrap();
    let (components, links) = rest.split_once("\nlinks:\n").unwrap();
    let mut link_lines: Vec<&str> = links
        .lines()
        .filter(|l| l.trim_start().starts_with("- {"))
        .collect();
    link_lines.reverse();
    let moved = format!(
        "{head}components:\n{components}\nhosts:\n{hosts}\nlinks:\n{}\n",
        link_lines.join("\n")
    );
    assert_ne!(moved, text);
    std::fs::write(d.join("site.topology.yml"), &moved).unwrap();
    let (v, code) = json_in(d, &["--baseline", "baseline.json", "site.topology.yml"]);
    assert!(v["files"][0]["valid"] == true, "{v}");
    assert_eq!(
        codes(&v),
        Vec::<String>::new(),
        "every fingerprint survives reordering"
    );
    assert_eq!(code, 0);
    // A new problem is still reported.
    let worse = format!("{moved}  - {{ from: users, to: web-1, protocol: http, port: 80 }}\n");
    std::fs::write(d.join("site.topology.yml"), worse).unwrap();
    let (v, _) = json_in(d, &["--baseline", "baseline.json", "site.topology.yml"]);
    assert!(
        codes(&v)
            .iter()
            .any(|c| c.starts_with("TLS001 users->web-1")),
        "{:?}",
        codes(&v)
    );
}

#[test]
fn statistics_count_findings_per_rule() {
    let o = run_in(
        Path::new("."),
        &["--statistics", "examples/02-distributed.topology.yml"],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    let first = text.lines().next().unwrap();
    assert!(
        first.trim_start().starts_with("3  FW001") || first.trim_start().starts_with("3  MON001"),
        "{text}"
    );
    assert!(text.contains("1  SPOF001"), "{text}");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_large_tree_is_linted_file_by_file_and_a_broken_file_stops_nothing() {
    // 2,000 files here (10,000 measured by hand, see BENCHMARKS.md): each reported on
    // its own, in sorted order, one broken file among them.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..2000 {
        let sub = d.join(format!("team-{:02}", i % 40));
        std::fs::create_dir_all(&sub).unwrap();
        let text = if i == 777 {
            "version: 1\nname: [broken\n".to_string()
        } else {
            CLEAN_BUT_WEB.replace("SUPPRESS\n", "")
        };
        std::fs::write(sub.join(format!("svc-{i:04}.topology.yml")), text).unwrap();
    }
    let (v, code) = json_in(d, &["--select", "SPOF", "."]);
    assert_eq!(code, 2, "one invalid file makes the run exit 2");
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2000);
    assert_eq!(files.iter().filter(|f| f["valid"] == false).count(), 1);
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    let spof = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "SPOF001")
        .count();
    assert_eq!(spof, 1999, "every valid file still reports its finding");
}
