//! The bundled examples: their full findings, and what the course says of each design.

use std::process::Command;

use infra_lint::lint::TEST_TODAY;

fn run(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_infra-lint"))
        .env_remove("COLUMNS")
        .env_remove("INFRA_LINT_OUTPUT_FORMAT")
        .args(["--color", "never", "--today", &TEST_TODAY.to_string()])
        .args(args)
        .output()
        .expect("run infra-lint");
    String::from_utf8(o.stdout).expect("utf-8")
}

/// (code, first subject) of every finding of one example.
fn findings(path: &str) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(&run(&["--format", "json", path])).unwrap();
    let mut out: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["subjects"][0].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn set(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn the_examples_full_findings() {
    for example in [
        "01-one-server",
        "02-distributed",
        "03-secured-monitored",
        "04-scaled-up",
        "05-cloud-quorum",
    ] {
        let text = run(&[&format!("examples/{example}.topology.yml")]);
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("example__{example}"), text);
        });
    }
}

#[test]
fn the_seed_design_gets_each_problem_its_write_up_names_once() {
    // The write-up names: the single load balancer, the single writable primary, no
    // HTTPS, no firewall, nothing monitored. An expert adds: no health checks,
    // plaintext replication, no backup (the replica copies every mistake), and (as
    // info) reads that may not see their writes.
    assert_eq!(
        findings("examples/02-distributed.topology.yml"),
        set(&[
            ("SPOF001", "lb-1"),
            ("SPOF003", "db-primary"),
            ("DUR001", "db-primary"),
            ("TLS001", "users->lb-1"),
            ("TLS004", "lb-1"),
            ("FW001", "lb-host"),
            ("FW001", "server-1"),
            ("FW001", "server-2"),
            ("MON001", "lb-host"),
            ("MON001", "server-1"),
            ("MON001", "server-2"),
            ("LB002", "lb-1"),
            ("TLS006", "db-replica"),
            ("DB005", "app-2"),
        ])
    );
}

#[test]
fn securing_the_design_trades_plaintext_firewall_and_monitoring_findings_for_tls003() {
    let codes = |path: &str| {
        findings(path)
            .into_iter()
            .map(|(c, _)| c)
            .collect::<std::collections::BTreeSet<_>>()
    };
    let before = codes("examples/02-distributed.topology.yml");
    let after = codes("examples/03-secured-monitored.topology.yml");
    for gone in ["TLS001", "FW001", "MON001"] {
        assert!(before.contains(gone) && !after.contains(gone), "{gone}");
    }
    assert!(!before.contains("TLS003") && after.contains("TLS003"));
    // What the course says remains: the one load balancer and the one writable node.
    assert!(after.contains("SPOF001") && after.contains("SPOF003"));
}

#[test]
fn the_scaled_up_design_keeps_only_its_real_single_points() {
    let spofs: Vec<(String, String)> = findings("examples/04-scaled-up.topology.yml")
        .into_iter()
        .filter(|(c, _)| c.starts_with("SPOF"))
        .collect();
    // The LB pair under VRRP is redundant; the one web, app and database server are not.
    assert_eq!(
        spofs,
        set(&[
            ("SPOF001", "app-1"),
            ("SPOF001", "web-1"),
            ("SPOF003", "db-primary")
        ])
    );
}

#[test]
fn the_cloud_design_loses_only_the_zone_that_holds_a_majority_of_its_replica_set() {
    let all = findings("examples/05-cloud-quorum.topology.yml");
    let spofs: Vec<(String, String)> = all
        .iter()
        .filter(|(c, _)| c.starts_with("SPOF") || c == "LB001")
        .cloned()
        .collect();
    // Managed services, the Sentinel-guarded Redis pair and the replica set's members
    // each fail over; only az-a, with two of the three MongoDB voters, stops writes.
    assert_eq!(spofs, set(&[("SPOF002", "az:az-a")]));
    // What the provider runs is neither firewalled nor monitored by the user.
    for (code, subject) in &all {
        assert!(
            !(["FW001", "MON001"].contains(&code.as_str())
                && ["route53", "cloudfront", "assets", "alb"].contains(&subject.as_str())),
            "{code} on managed `{subject}`"
        );
    }
    // `what-if` agrees, and names the voters the zone takes.
    let o = what_if(&["--fail", "az:az-a", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "an entrypoint is lost");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["quorums_lost"],
        serde_json::json!([{ "of": "mongo-1", "needs": 2, "voters": 3, "taken": ["mongo-1", "mongo-2"] }])
    );
    let o = what_if(&["--fail", "az:az-b"]);
    assert_eq!(o.status.code(), Some(0), "az-b alone is survivable");
}

/// `infra-lint what-if` on the cloud example (system date on purpose: the availability
/// analysis reads no date, and what-if takes no `--today`).
fn what_if(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_infra-lint"))
        .env_remove("COLUMNS")
        .env_remove("INFRA_LINT_OUTPUT_FORMAT")
        .args(["what-if", "examples/05-cloud-quorum.topology.yml"])
        .args(args)
        .output()
        .unwrap()
}
