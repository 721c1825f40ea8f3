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
    ("example-model.threagile.yaml", From::Threagile),
];

fn options() -> LintOptions {
    LintOptions {
        today: TEST_TODAY,
        ..LintOptions::default()
    }
}

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("examples/import/{name}")).expect("fixture")
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
        .map(|f| {
            (
                f.rule.code.to_string(),
                f.message.clone(),
                f.subjects.iter().map(|s| s.to_string()).collect(),
            )
        })
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
        let topology = lint::lint_source(
            SourceFile::new("imported.topology.yml", written),
            &options(),
        );
        assert!(
            topology.valid,
            "{name}: the import is not valid: {:?}",
            topology.findings
        );
        let imported = lint_as(name, &text, *from);
        assert!(
            imported
                .findings
                .iter()
                .any(|f| f.rule.code.starts_with("IMP")),
            "{name}: expected IMP findings too"
        );
        assert_eq!(
            codes(&topology.findings),
            codes(&imported.findings),
            "{name}"
        );
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
                assert!(
                    (l.span.end as usize) <= text.len(),
                    "{name}: related label out of the file"
                );
            }
        }
    }
}

#[test]
fn auto_detection_matches_the_explicit_format_whatever_the_file_name() {
    for (name, from) in FIXTURES {
        let text = read(name);
        let explicit = import_as("input.yaml", &text, *from);
        assert_eq!(
            import_as("input.yaml", &text, From::Auto),
            explicit,
            "{name}"
        );
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
            let body: String = text
                .lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| format!("{l}\n"))
                .collect();
            let mut docs: Vec<&str> = body
                .split("\n---\n")
                .map(|d| d.trim_matches('\n'))
                .collect();
            docs.reverse();
            docs.join("\n---\n") + "\n"
        }
        _ => {
            let section = if from == From::Compose {
                "services:\n"
            } else {
                "technical_assets:\n"
            };
            let (head, rest) = text.split_once(section).expect("section");
            // The section ends at the next top-level line.
            let end = rest
                .match_indices('\n')
                .map(|(i, _)| i + 1)
                .find(|&i| rest[i..].starts_with(|c: char| c.is_ascii_alphabetic()))
                .unwrap_or(rest.len());
            let (body, tail) = rest.split_at(end);
            let mut blocks: Vec<String> = Vec::new();
            for line in body.lines() {
                if line.starts_with("  ") && !line.starts_with("   ") || blocks.is_empty() {
                    blocks.push(String::new());
                }
                let last = blocks.last_mut().expect("a block");
                last.push_str(line);
                last.push('\n');
            }
            blocks.reverse();
            format!("{head}{section}{}{tail}", blocks.concat())
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

/// Runs infra-lint; lint runs (anything but `import`, which reads no date) as of the
/// tests' date.
fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_infra-lint"))
        .args(args)
        .args(if args.first() == Some(&"import") {
            &[][..]
        } else {
            &["--today", "2026-11-24"][..]
        })
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .env("NO_COLOR", "1")
        .spawn()
        .expect("run");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write");
    drop(input);
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn findings_of(yaml: &str) -> Vec<String> {
    lint_as("compose.yaml", yaml, From::Compose)
        .findings
        .iter()
        .map(|f| format!("{} {}", f.rule.code, f.message))
        .collect()
}

#[test]
fn broken_sources_are_input_errors_with_a_position_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("compose.yaml");
    std::fs::write(&bad, "services:\n  web: [unclosed\n").expect("write");
    let (code, out, _) = run(&["--from", "auto", bad.to_str().unwrap()], None);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("IL001") && out.contains("compose.yaml:3:1"),
        "{out}"
    );

    let (code, out, _) = run(
        &["--from", "k8s", "-"],
        Some("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"),
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("Service `web` has no `spec`") && out.contains("-:4:9"),
        "{out}"
    );

    let (code, out, _) = run(
        &["--from", "compose", "-"],
        Some("services:\n  web:\n    image: x\n    x-infra-lint: { knid: cache }\n"),
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("did you mean `kind`?"), "{out}");
}

#[test]
fn import_writes_a_topology_and_never_over_its_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("compose.yaml");
    let text = read("proxy-redis.compose.yaml");
    std::fs::write(&src, &text).expect("write");
    let (code, _, err) = run(
        &["import", src.to_str().unwrap(), "-o", src.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("would be lost"), "{err}");
    assert_eq!(std::fs::read_to_string(&src).unwrap(), text);

    let out = dir.path().join("shop.topology.yml");
    let (code, _, err) = run(
        &["import", src.to_str().unwrap(), "-o", out.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let (code, stdout, _) = run(&["import", "--from", "compose", "-"], Some(&text));
    assert_eq!(code, 0);
    let written = std::fs::read_to_string(&out).unwrap();
    // Only the description names the source path.
    let strip = |t: &str| {
        t.lines()
            .filter(|l| !l.contains("Imported"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&written), strip(&stdout));
    let (code, lint_out, _) = run(&[out.to_str().unwrap(), "-q"], None);
    assert_eq!(code, 1, "{lint_out}");
    assert!(
        lint_out.contains("TLS001") && !lint_out.contains("IL0"),
        "{lint_out}"
    );
}

#[test]
fn compose_traps_are_handled() {
    // Two pieces of evidence, one link; a self-reference and a variable that only looks
    // like a host are no links; a completed dependency is no caller.
    let yaml = "services:
  app:
    build: .
    depends_on: [db, app]
    environment:
      DATABASE_URL: postgres://u:p@db:5432/app
      POSTGRES_HOST_AUTH_METHOD: trust
      SELF_URL: http://app:8000
  migrate:
    build: .
    depends_on:
      db: { condition: service_completed_successfully }
  db:
    image: postgres:16
  debug:
    image: busybox
    profiles: [debug]
    environment:
      DB_HOST: db
";
    let written = import_as("compose.yaml", yaml, From::Compose);
    assert!(
        written.contains("  - { from: app, to: db, protocol: postgres, port: 5432 }"),
        "{written}"
    );
    assert_eq!(written.matches("from: app, to: db").count(), 1, "{written}");
    assert!(
        !written.contains("to: app") && !written.contains("from: migrate"),
        "{written}"
    );
    assert!(
        !written.contains("debug"),
        "a profile-gated service is not imported: {written}"
    );
    let with_profile = lint::import_text(
        SourceFile::new("compose.yaml", yaml.to_string()),
        &ImportOptions {
            from: Some(From::Compose),
            profiles: vec!["debug".into()],
        },
        &options(),
    )
    .expect("import");
    assert!(
        with_profile.contains("from: debug, to: db"),
        "{with_profile}"
    );
}

#[test]
fn unsupported_and_unresolved_input_is_reported_not_skipped() {
    let found = findings_of(
        "include: [other.yaml]
services:
  web:
    image: example/web
    depends_on: [missing]
    environment:
      API_URL: http://${API_HOST}:8080
      CACHE_HOST: cache
",
    );
    let has = |code: &str, text: &str| {
        found
            .iter()
            .any(|f| f.starts_with(code) && f.contains(text))
    };
    assert!(has("IMP005", "`include:`"), "{found:?}");
    assert!(has("IMP005", "API_HOST"), "{found:?}");
    assert!(has("IMP002", "`missing`"), "{found:?}");
    assert!(has("IMP002", "`cache`"), "{found:?}");
}

#[test]
fn suppressions_in_x_infra_lint_apply_to_import_findings() {
    let yaml = "services:
  app:
    build: .
  redis:
    image: redis:7
    x-infra-lint:
      kind: cache
      suppress:
        - { rule: IMP003, reason: the app names it in code }
";
    let report = lint_as("compose.yaml", yaml, From::Compose);
    let imp003: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule.code == "IMP003")
        .collect();
    assert_eq!(imp003.len(), 1);
    assert_eq!(
        imp003[0].suppressed.as_deref(),
        Some("the app names it in code")
    );
    assert!(
        !report.findings.iter().any(|f| f.rule.code == "IMP001"),
        "a stated kind is no guess"
    );
}

mod generated {
    //! Generated Compose files and manifests: whatever they hold, the import is a valid
    //! topology (an IL finding on it would be the importer's bug), nothing panics, and
    //! every finding points into the source.

    use super::*;
    use proptest::prelude::*;

    const NAMES: &[&str] = &[
        "web",
        "api",
        "db",
        "redis",
        "nginx",
        "postgres",
        "cache",
        "web-lb",
        "internet-web",
        "default",
        "docker-host",
        "a b",
        "x!",
        "_x",
        "Web",
        "kafka",
        "prometheus",
        "minio",
    ];
    const IMAGES: &[&str] = &[
        "nginx:1.25",
        "redis:7",
        "postgres:16",
        "bitnami/redis-sentinel",
        "traefik",
        "example/app",
        "mysql",
        "cassandra:4",
        "prom/prometheus",
        "busybox",
        "haproxy:2.8",
    ];
    const VALUES: &[&str] = &[
        "db",
        "db:5432",
        "postgres://u:p@db:5432/x",
        "http://web:8080",
        "redis:6379",
        "web",
        "api.example.com",
        "${X}",
        "${X:-db}",
        "localhost",
        "nginx:80",
        "trust",
        "7",
        "a b",
    ];
    const PORTS: &[&str] = &[
        "80",
        "8080:80",
        "127.0.0.1:6379:6379",
        "0:0",
        "99999",
        "443:443/udp",
        "abc",
        "[::1]:80:80",
        "5432",
    ];

    fn pick<'a>(list: &'a [&'a str]) -> impl Strategy<Value = &'a str> {
        (0..list.len()).prop_map(move |i| list[i])
    }

    fn service() -> impl Strategy<Value = String> {
        (
            pick(NAMES),
            pick(IMAGES),
            prop::collection::vec(pick(PORTS), 0..3),
            prop::collection::vec((pick(NAMES), pick(VALUES)), 0..3),
            prop::collection::vec(pick(NAMES), 0..2),
            prop::option::of(-2i64..5_000_000_000),
            prop::option::of(prop::sample::select(vec![
                "cache",
                "database",
                "load_balancer",
                "client",
                "firewall",
            ])),
            prop::collection::vec(pick(NAMES), 0..2),
        )
            .prop_map(|(name, image, ports, env, deps, replicas, kind, nets)| {
                let mut s = format!("  {name:?}:\n    image: {image:?}\n");
                if !ports.is_empty() {
                    s += &format!("    ports: {ports:?}\n");
                }
                if !env.is_empty() {
                    s += "    environment:\n";
                    for (k, v) in env {
                        s += &format!(
                            "      {:?}: {v:?}\n",
                            format!("{}_HOST", k.replace([' ', '!'], ""))
                        );
                    }
                }
                if !deps.is_empty() {
                    s += &format!("    depends_on: {deps:?}\n");
                }
                if let Some(n) = replicas {
                    s += &format!("    deploy: {{ replicas: {n} }}\n");
                }
                if let Some(k) = kind {
                    s += &format!("    x-infra-lint: {{ kind: {k} }}\n");
                }
                if !nets.is_empty() {
                    s += &format!("    networks: {nets:?}\n");
                }
                s
            })
    }

    fn object() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["Deployment", "StatefulSet", "Service", "Ingress", "NetworkPolicy", "Pod", "DaemonSet"]),
            pick(NAMES),
            pick(IMAGES),
            pick(NAMES),
            prop::option::of(-1i64..5),
            prop::sample::select(vec!["ClusterIP", "LoadBalancer", "NodePort"]),
            pick(VALUES),
            prop::sample::select(vec!["leader", "follower", "none"]),
        )
            .prop_map(|(kind, name, image, app, replicas, ty, env, role)| {
                let meta = format!("apiVersion: v1\nkind: {kind}\nmetadata: {{ name: {name:?} }}\n");
                let labels = format!("{{ app: {app:?}, role: {role} }}");
                let replicas = replicas.map_or(String::new(), |n| format!("replicas: {n}, "));
                let pod = format!("{{ containers: [{{ image: {image:?}, ports: [{{ containerPort: 6379, name: redis }}], env: [{{ name: UP_ADDR, value: {env:?} }}], readinessProbe: {{ httpGet: {{ path: /r }} }} }}] }}");
                match kind {
                    "Service" => format!("{meta}spec: {{ type: {ty}, selector: {{ app: {app:?} }}, ports: [{{ port: 80, targetPort: redis }}] }}"),
                    "Ingress" => format!("{meta}spec: {{ tls: [{{ hosts: [a.example], secretName: {name:?} }}], rules: [{{ http: {{ paths: [{{ backend: {{ service: {{ name: {app:?} }} }} }}] }} }}] }}"),
                    "NetworkPolicy" => format!("{meta}spec: {{ podSelector: {{ matchLabels: {{ app: {app:?} }} }}, ingress: [{{ from: [{{ podSelector: {{}} }}, {{ ipBlock: {{ cidr: 10.0.0.0/8 }} }}], ports: [{{ port: redis }}] }}] }}"),
                    "Pod" => format!("apiVersion: v1\nkind: Pod\nmetadata: {{ name: {name:?}, labels: {labels} }}\nspec: {pod}"),
                    _ => format!("{meta}spec: {{ {replicas}template: {{ metadata: {{ labels: {labels} }}, spec: {pod} }} }}"),
                }
            })
    }

    fn check(text: &str, from: From) -> Result<(), TestCaseError> {
        let report = lint_as("gen.yaml", text, from);
        for f in &report.findings {
            prop_assert!(
                !f.message.starts_with("the import is not a valid topology"),
                "{}\n{}",
                f.message,
                text
            );
            prop_assert!((f.span.end as usize) <= text.len());
            // A fix with edits gives a file that still imports, without that finding.
            if let Some(fix) = f.fix.as_ref().filter(|x| !x.edits.is_empty()) {
                let fixed = infra_lint::fix::apply(text, &fix.edits);
                let after = lint_as("gen.yaml", &fixed, from);
                prop_assert!(after.valid, "{}\n{:?}", fixed, after.findings);
                prop_assert!(
                    !after
                        .findings
                        .iter()
                        .any(|g| g.rule == f.rule && g.subjects == f.subjects),
                    "{} stays after its fix:\n{}",
                    f.message,
                    fixed
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn generated_compose_files_import_to_valid_topologies(services in prop::collection::vec(service(), 0..8)) {
            check(&format!("services:\n{}", services.concat()), From::Compose)?;
        }

        #[test]
        fn generated_manifests_import_to_valid_topologies(objects in prop::collection::vec(object(), 1..10)) {
            check(&objects.join("\n---\n"), From::K8s)?;
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            for from in [From::Auto, From::Compose, From::K8s, From::Threagile] {
                let _ = lint_as("any.yaml", &text, from);
            }
        }
    }
}

#[test]
fn a_from_auto_walk_imports_sources_lints_topologies_and_notes_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        "examples/02-distributed.topology.yml",
        dir.path().join("shop.topology.yml"),
    )
    .expect("copy");
    std::fs::write(
        dir.path().join("compose.yaml"),
        read("proxy-redis.compose.yaml"),
    )
    .expect("write");
    std::fs::write(dir.path().join("mkdocs.yml"), "site_name: docs\n").expect("write");
    let root = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["--from", "auto", root, "--format", "concise", "-q"], None);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("compose.yaml:7:9: error[TLS001]"), "{out}");
    assert!(out.contains("shop.topology.yml:"), "{out}");
    assert!(!out.contains("IL0"), "{out}");
    assert!(
        err.contains("skipped") && err.contains("mkdocs.yml"),
        "{err}"
    );
    // The topology reads as it does without --from.
    let topology = format!("{root}/shop.topology.yml");
    let (_, plain, _) = run(&[&topology, "--format", "concise", "-q"], None);
    let (_, auto, _) = run(
        &["--from", "auto", &topology, "--format", "concise", "-q"],
        None,
    );
    assert_eq!(plain, auto);
}

fn k8s(yaml: &str) -> String {
    import_as("manifests.yaml", yaml, From::K8s)
}

#[test]
fn consensus_stores_stay_one_component_and_other_stores_split() {
    let crdb = "apiVersion: apps/v1
kind: StatefulSet
metadata: { name: cockroachdb }
spec:
  replicas: 3
  template:
    metadata: { labels: { app: cockroachdb } }
    spec:
      containers:
        - image: cockroachdb/cockroach:v23.1.0
          command: [\"/cockroach/cockroach\", \"start\", \"--join=cockroachdb-0.cockroachdb,cockroachdb-1.cockroachdb\"]
---
apiVersion: v1
kind: Service
metadata: { name: cockroachdb }
spec: { clusterIP: None, selector: { app: cockroachdb }, ports: [{ port: 26257 }] }
";
    let written = k8s(crdb);
    assert!(
        written.contains("  cockroachdb:  # StatefulSet default/cockroachdb\n    kind: database"),
        "{written}"
    );
    assert!(written.contains("instances: 3"), "{written}");
    assert!(
        !written.contains("role:") && !written.contains("replica"),
        "{written}"
    );
    // `--join` names its own Service: no self-link.
    assert!(!written.contains("links:"), "{written}");

    let pg = crdb
        .replace("cockroachdb/cockroach:v23.1.0", "postgres:16")
        .replace("cockroachdb", "pg");
    let written = k8s(&pg);
    assert!(
        written.contains("  pg:  # StatefulSet default/pg\n    kind: database"),
        "{written}"
    );
    assert!(
        written.contains("role: primary") && written.contains("instances: 1"),
        "{written}"
    );
    assert!(written.contains("  pg-replica:"), "{written}");
    assert!(
        written.contains("replicates_from: pg") && written.contains("instances: 2"),
        "{written}"
    );
    let report = lint_as("manifests.yaml", &pg, From::K8s);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule.code == "IMP004" && f.message.contains("state no roles")),
        "{:?}",
        report.findings
    );
}

#[test]
fn a_load_balancer_service_named_like_its_workload_gets_the_lb_suffix() {
    let written = k8s(&read("guestbook.k8s.yaml"));
    assert!(
        written.contains("  frontend:  # Deployment default/frontend"),
        "{written}"
    );
    assert!(
        written.contains("  frontend-lb:  # LoadBalancer Service default/frontend"),
        "{written}"
    );
    assert!(written.contains("targets: [frontend]"), "{written}");
    let micro = k8s(&read("microservices.k8s.yaml"));
    assert!(
        micro.contains("  frontend-external:  # LoadBalancer Service"),
        "{micro}"
    );
}

#[test]
fn kubernetes_references_resolve_through_services_to_target_ports() {
    let yaml = "apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: shop }
spec:
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
        - image: example/api
          env:
            - { name: DB_URL, value: \"postgres://db.shop.svc.cluster.local:5432/shop\" }
            - { name: CACHE_HOST, value: \"cache\" }
            - { name: POSTGRES_HOST_AUTH_METHOD, value: \"trust\" }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: db-server, namespace: shop }
spec:
  template:
    metadata: { labels: { app: db } }
    spec:
      containers:
        - image: postgres:16
          ports: [{ name: pg, containerPort: 15432 }]
---
apiVersion: v1
kind: Service
metadata: { name: db, namespace: shop }
spec: { selector: { app: db }, ports: [{ port: 5432, targetPort: pg }] }
";
    let written = k8s(yaml);
    assert!(
        written.contains("  - { from: api, to: db-server, protocol: postgres, port: 15432 }"),
        "{written}"
    );
    assert!(written.contains("zone: shop"), "{written}");
    let report = lint_as("manifests.yaml", yaml, From::K8s);
    let unresolved: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule.code == "IMP002")
        .collect();
    assert_eq!(unresolved.len(), 1, "{unresolved:?}");
    assert!(unresolved[0].message.contains("`cache`"));
}

#[test]
fn service_monitors_and_scrape_annotations_make_prometheus_monitor_workloads() {
    let yaml = r#"apiVersion: apps/v1
kind: Deployment
metadata: { name: prometheus, namespace: monitoring }
spec:
  template:
    metadata: { labels: { app: prometheus } }
    spec: { containers: [{ image: prom/prometheus:v2.53.0 }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: shop }
spec:
  template:
    metadata: { labels: { app: api } }
    spec: { containers: [{ image: example/api }] }
---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: shop, labels: { team: shop } }
spec: { selector: { app: api }, ports: [{ name: metrics, port: 9100 }] }
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: shop, namespace: monitoring }
spec:
  selector: { matchLabels: { team: shop } }
  namespaceSelector: { matchNames: [shop] }
  endpoints: [{ port: metrics }]
"#;
    let written = k8s(yaml);
    assert!(written.contains("    monitors: [api]"), "{written}");
    let report = lint_as("manifests.yaml", yaml, From::K8s);
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.rule.code == "MON001"
                && f.subjects.first().map(|s| s.as_str()) == Some("api")),
        "{:?}",
        report.findings
    );
    let unscraped = yaml.replace(
        "team: shop } }\n  namespaceSelector",
        "team: other } }\n  namespaceSelector",
    );
    assert!(!k8s(&unscraped).contains("monitors:"));
}

#[test]
fn single_points_of_failure_are_fixed_in_the_source_terms() {
    // (fixture, what the fix writes, the components it makes redundant)
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "proxy-redis.compose.yaml",
            "    deploy:\n      replicas: 2\n",
            &["nginx"],
        ),
        (
            "microservices.k8s.yaml",
            "  replicas: 2\n---\n",
            &[
                "frontend",
                "productcatalogservice",
                "cartservice",
                "checkoutservice",
            ],
        ),
        (
            "example-model.threagile.yaml",
            "    redundant: true\n",
            &["load-balancer", "marketing-cms", "contract-fileserver"],
        ),
    ];
    for (name, written, subjects) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        let before = read(name);
        std::fs::write(&path, &before).expect("write");
        let spof = |report: &FileReport, id: &str| {
            report.findings.iter().any(|f| {
                f.rule.code == "SPOF001" && f.subjects.first().map(|s| s.as_str()) == Some(id)
            })
        };
        let report = lint_as(name, &before, From::Auto);
        for id in *subjects {
            assert!(spof(&report, id), "{name}: no SPOF001 on {id}");
            let fix = report
                .findings
                .iter()
                .find(|f| {
                    f.rule.code == "SPOF001" && f.subjects.first().map(|s| s.as_str()) == Some(id)
                })
                .and_then(|f| f.fix.as_ref())
                .expect("a fix");
            assert!(!fix.edits.is_empty(), "{name}: {id}: no edits");
        }
        let p = path.to_str().unwrap();
        let (code, out, err) = run(
            &["--from", "auto", p, "--fix", "--unsafe-fixes", "-q"],
            None,
        );
        assert_ne!(code, 2, "{out}{err}");
        assert!(
            err.contains(&format!("applied {} fix", subjects.len())),
            "{name}: {err}"
        );
        let after = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            after.matches(written).count(),
            before.matches(written).count() + subjects.len(),
            "{name}:\n{after}"
        );
        let fixed = lint_as(name, &after, From::Auto);
        assert!(fixed.valid, "{name}: {:?}", fixed.findings);
        for id in *subjects {
            assert!(!spof(&fixed, id), "{name}: SPOF001 on {id} after its fix");
        }
    }
}

#[test]
fn baselines_and_selection_work_on_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("compose.yaml");
    std::fs::write(&src, read("proxy-redis.compose.yaml")).expect("write");
    let baseline = dir.path().join("baseline.json");
    let (s, b) = (src.to_str().unwrap(), baseline.to_str().unwrap());
    let (code, _, err) = run(&["--from", "compose", s, "--write-baseline", b], None);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = run(&["--from", "compose", s, "--baseline", b, "-q"], None);
    assert_eq!((code, out.as_str()), (0, ""));
    let (code, out, _) = run(
        &[
            "--from", "compose", s, "--select", "import", "--format", "concise", "-q",
        ],
        None,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.lines().all(|l| l.contains("[IMP")), "{out}");
    let (_, out, _) = run(
        &[
            "--from", "compose", s, "--ignore", "IMP", "--format", "concise", "-q",
        ],
        None,
    );
    assert!(!out.contains("[IMP") && out.contains("[TLS001]"), "{out}");
}
