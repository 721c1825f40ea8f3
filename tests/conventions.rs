//! The conventions users bring from rustc, clippy and ruff: the diagnostic's first
//! lines, the terminal's width, the flags, standard input, paths relative to the
//! project root, unique fingerprints, and what each CI format says pass or fail.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use infra_lint::lint::TEST_TODAY;

mod common;
use common::{infra_lint_in, stderr, stdout};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example(name: &str) -> String {
    repo()
        .join("examples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs from `dir` with extra environment and, when given, standard input.
fn run_with(dir: &Path, args: &[&str], env: &[(&str, &str)], input: Option<&str>) -> Output {
    let today = TEST_TODAY.to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_infra-lint"));
    command
        .current_dir(dir)
        .arg("--today")
        .arg(&today)
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS")
        .env_remove("INFRA_LINT_OUTPUT_FORMAT")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("run infra-lint");
    let mut stdin = child.stdin.take().unwrap();
    if let Some(text) = input {
        // A child that ended before reading its input closed the pipe: what it wrote
        // and its exit code, checked by the caller, say why.
        let _ = stdin.write_all(text.as_bytes());
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

const ONE_SERVER: &str = "01-one-server.topology.yml";

// --- The terminal ----------------------------------------------------------------

#[test]
fn a_diagnostic_opens_as_rustc_does_with_severity_code_message_and_location() {
    let o = infra_lint_in(
        repo(),
        &["--color", "never", "examples/01-one-server.topology.yml"],
    );
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "warning[FW001]: host `server-1` receives connections from `users` but has no firewall"
    );
    assert_eq!(lines[1], "  --> examples/01-one-server.topology.yml:26:3");
    // A related place far from the finding is a `note:` with its own location.
    let note = text
        .lines()
        .position(|l| l == "note: `users` depends on `web-1` through this link")
        .expect("a note line");
    assert_eq!(
        lines[note + 1],
        "  --> examples/01-one-server.topology.yml:52:5"
    );
    assert!(!text.contains("Advice"), "{text}");
    // Greppable without colour: every finding's header names its severity in words.
    let headers = text
        .lines()
        .filter(|l| l.starts_with("warning[") || l.starts_with("error[") || l.starts_with("info["))
        .count();
    let json = infra_lint_in(repo(), &["--format", "json", &example(ONE_SERVER)]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(headers, v["findings"].as_array().unwrap().len());
}

#[test]
fn help_wraps_at_the_terminal_width_and_yaml_never_wraps() {
    let path = example(ONE_SERVER);
    // A pipe: no wrapping at all, as compilers write to a file.
    let piped = stdout(&run_with(repo(), &["--color", "never", &path], &[], None));
    assert!(
        piped
            .lines()
            .any(|l| l.starts_with("  help: install an agent") && l.ends_with("`monitors`")),
        "{piped}"
    );
    // COLUMNS narrows it: help wraps there, the fix's YAML and the snippet do not.
    let narrow = stdout(&run_with(
        repo(),
        &["--color", "never", &path],
        &[("COLUMNS", "50")],
        None,
    ));
    for line in narrow.lines() {
        if line.starts_with("  help:") {
            assert!(line.chars().count() <= 50, "{line:?}");
        }
    }
    assert!(
        narrow.contains("                - { port: 80, from: internet }"),
        "{narrow}"
    );
    assert!(narrow.contains("  - { from: users, to: web-1, protocol: http, port: 80 }"));
}

#[test]
fn writing_to_a_file_says_so_on_stderr_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.sarif");
    let out = out.to_str().unwrap();
    let o = run_with(
        repo(),
        &["--format", "sarif", "-o", out, &example(ONE_SERVER)],
        &[],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert_eq!(
        stderr(&o),
        format!(
            "infra-lint: wrote the sarif report to `{out}` (1 error, 6 warnings, 0 infos in 1 file)\n"
        )
    );
    let q = run_with(
        repo(),
        &["--format", "sarif", "-q", "-o", out, &example(ONE_SERVER)],
        &[],
        None,
    );
    assert!(q.stderr.is_empty(), "{}", stderr(&q));
}

// --- Flags ---------------------------------------------------------------------------

#[test]
fn output_format_is_an_alias_and_an_environment_variable() {
    let path = example(ONE_SERVER);
    let by_flag = run_with(repo(), &["--format", "concise", &path], &[], None);
    let by_alias = run_with(repo(), &["--output-format", "concise", &path], &[], None);
    let by_env = run_with(
        repo(),
        &[&path],
        &[("INFRA_LINT_OUTPUT_FORMAT", "concise")],
        None,
    );
    assert!(
        stdout(&by_flag).starts_with("examples/01-one-server.topology.yml:26:3: warning[FW001]")
    );
    assert_eq!(by_flag.stdout, by_alias.stdout);
    assert_eq!(by_flag.stdout, by_env.stdout);
    // The flag wins over the environment.
    let both = run_with(
        repo(),
        &["--format", "json", &path],
        &[("INFRA_LINT_OUTPUT_FORMAT", "concise")],
        None,
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&both.stdout).is_ok());
}

#[test]
fn exit_zero_passes_findings_but_not_a_broken_input() {
    let o = run_with(repo(), &["--exit-zero", &example(ONE_SERVER)], &[], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("warning[FW001]"));
    let bad = run_with(
        repo(),
        &["--exit-zero", "-"],
        &[],
        Some("version: 1\nname: t\ncomponents: {a: {kind: webserver}}\n"),
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn extend_select_adds_to_the_selection_and_all_selects_every_rule() {
    let path = example(ONE_SERVER);
    let codes = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        all.push(&path);
        let o = run_with(repo(), &all, &[], None);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut codes: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect();
        codes.sort();
        codes.dedup();
        codes
    };
    assert_eq!(codes(&["--select", "FW001"]), ["FW001"]);
    assert_eq!(
        codes(&["--select", "FW001", "--extend-select", "MON"]),
        ["FW001", "MON001"]
    );
    assert_eq!(codes(&["--select", "ALL"]), codes(&[]));
    assert!(codes(&[]).len() > 2);
    let typo = run_with(repo(), &["--extend-select", "MONN", &path], &[], None);
    assert_eq!(typo.status.code(), Some(2));
    assert!(stderr(&typo).contains("did you mean"), "{}", stderr(&typo));
}

#[test]
fn silent_prints_nothing_and_keeps_the_exit_code() {
    let o = run_with(repo(), &["-s", &example(ONE_SERVER)], &[], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty() && o.stderr.is_empty());
}

#[test]
fn standard_input_is_linted_under_its_stdin_filename() {
    let text = std::fs::read_to_string(example(ONE_SERVER)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("infra-lint.toml"),
        "[per-file-ignores]\n\"infra/*.topology.yml\" = [\"MON001\"]\n",
    )
    .unwrap();
    let o = run_with(
        dir.path(),
        &[
            "--format",
            "concise",
            "-",
            "--stdin-filename",
            "infra/prod.topology.yml",
        ],
        &[],
        Some(&text),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("infra/prod.topology.yml:26:3: warning[FW001]"),
        "{out}"
    );
    // The per-file ignore for that path applies to standard input.
    assert!(!out.contains("MON001"), "{out}");
    // Without a name it is `-`.
    let plain = run_with(dir.path(), &["--format", "concise", "-"], &[], Some(&text));
    assert!(stdout(&plain).starts_with("-:26:3: warning[FW001]"));
    // Fixes cannot be written back to standard input.
    let fix = run_with(dir.path(), &["--fix", "-"], &[], Some(&text));
    assert_eq!(fix.status.code(), Some(2));
}

#[test]
fn show_suppressed_lists_suppressed_findings_with_their_reason() {
    let text = "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  web:\n    kind: web_server\n    host: h\n    monitoring: { agent: node_exporter }\n    suppress:\n      - { rule: SPOF001, reason: staging runs one web server }\nhosts:\n  h:\n    monitoring: { agent: node_exporter }\n    firewall: { default_inbound: deny, allow: [{ port: 443, from: internet }] }\nlinks:\n  - { from: users, to: web, protocol: https, port: 443 }\n";
    let hidden = run_with(repo(), &["--format", "concise", "-"], &[], Some(text));
    assert!(!stdout(&hidden).contains("SPOF001"), "{}", stdout(&hidden));
    let shown = run_with(
        repo(),
        &["--format", "concise", "--show-suppressed", "-"],
        &[],
        Some(text),
    );
    assert!(
        stdout(&shown).contains("warning[SPOF001] `web` is a single point of failure"),
        "{}",
        stdout(&shown)
    );
    assert!(stdout(&shown).contains("(suppressed: staging runs one web server)"));
    let human = run_with(repo(), &["--show-suppressed", "-"], &[], Some(text));
    assert!(stdout(&human).contains("warning[SPOF001] (suppressed): `web`"));
    assert!(stdout(&human).contains("suppressed: staging runs one web server"));
    // Suppressed findings never fail the run.
    assert_eq!(shown.status.code(), hidden.status.code());
}

#[test]
fn report_and_statistics_honour_or_refuse_the_format() {
    let path = example(ONE_SERVER);
    let report = common::run_in(repo(), &["report", "--format", "json", &path]);
    assert_eq!(report.status.code(), Some(2));
    assert!(stderr(&report).contains("`report` writes markdown"));
    let stats = run_with(
        repo(),
        &["--statistics", "--format", "json", &path],
        &[],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&stats.stdout).expect("statistics as JSON");
    let total: u64 = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 7);
    assert_eq!(v[0]["code"], "SPOF001");
    let sarif = run_with(
        repo(),
        &["--statistics", "--format", "sarif", &path],
        &[],
        None,
    );
    assert_eq!(sarif.status.code(), Some(2));
}

#[test]
fn a_named_directory_without_a_topology_is_an_error_not_a_green_gate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    std::fs::write(dir.path().join("infra/prod.yml"), "version: 1\n").unwrap();
    let o = run_with(dir.path(), &["infra"], &[], None);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(
        out.contains("error[IL001]: no topology in `infra`: found no file named topology.yml"),
        "{out}"
    );
    // The file itself, named, is linted whatever its name.
    let named = run_with(dir.path(), &["infra/prod.yml"], &[], None);
    assert!(stdout(&named).contains("infra/prod.yml"));
    // Nothing named, nothing found: a warning, not an error.
    let empty = tempfile::tempdir().unwrap();
    let o = run_with(empty.path(), &[], &[], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("warning: no topology in `.`"));
}

// --- Paths and fingerprints ----------------------------------------------------------

/// A project: `infra-lint.toml` at its root, a topology under `infra/`, a `docs/`
/// folder to run from.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("infra-lint.toml"),
        "fail-on = \"warning\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("infra")).unwrap();
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    std::fs::copy(
        example(ONE_SERVER),
        dir.path().join("infra/prod.topology.yml"),
    )
    .unwrap();
    dir
}

#[test]
fn paths_are_relative_to_the_project_root_from_anywhere() {
    let dir = project();
    let root = dir.path();
    let absolute = root.join("infra/prod.topology.yml");
    let runs = [
        (root.to_path_buf(), "infra/prod.topology.yml".to_string()),
        (root.join("infra"), "prod.topology.yml".to_string()),
        (root.join("docs"), "../infra".to_string()),
        (
            std::env::temp_dir(),
            absolute.to_string_lossy().into_owned(),
        ),
    ];
    let mut outputs = Vec::new();
    for (cwd, arg) in &runs {
        let config = root.join("infra-lint.toml");
        let o = run_with(
            cwd,
            &[
                "--config",
                config.to_str().unwrap(),
                "--format",
                "gitlab",
                arg,
            ],
            &[],
            None,
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for issue in v.as_array().unwrap() {
            assert_eq!(issue["location"]["path"], "infra/prod.topology.yml");
        }
        outputs.push(o.stdout);
    }
    assert!(
        outputs.windows(2).all(|w| w[0] == w[1]),
        "same bytes from every directory"
    );
}

#[test]
fn a_baseline_written_in_one_directory_matches_from_another() {
    let dir = project();
    let root = dir.path();
    let write = run_with(
        root,
        &["--write-baseline", "baseline.json", "infra"],
        &[],
        None,
    );
    assert_eq!(write.status.code(), Some(0), "{}", stderr(&write));
    let from_sub = run_with(
        &root.join("infra"),
        &["--baseline", "../baseline.json", "prod.topology.yml"],
        &[],
        None,
    );
    assert_eq!(from_sub.status.code(), Some(0), "{}", stdout(&from_sub));
    assert!(stdout(&from_sub).contains("no findings in 1 file"));
}

#[test]
fn sarif_uris_are_relative_to_a_named_project_root() {
    let dir = project();
    let root = dir.path();
    let o = run_with(
        &root.join("docs"),
        &["--format", "sarif", "../infra"],
        &[],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let run = &v["runs"][0];
    let location = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uri"], "infra/prod.topology.yml");
    assert_eq!(location["uriBaseId"], "PROJECTROOT");
    let base = run["originalUriBaseIds"]["PROJECTROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    let canonical = root.canonicalize().unwrap();
    let named = root.to_string_lossy();
    assert!(
        base.trim_end_matches('/')
            .ends_with(named.trim_end_matches('/'))
            || base
                .trim_end_matches('/')
                .ends_with(canonical.to_string_lossy().trim_end_matches('/')),
        "{base} is not {named}"
    );
}

#[test]
fn fingerprints_are_unique_even_for_identical_findings() {
    // Two identical definitions of one id on one line: two IL004 at one place.
    let text = "version: 1\nname: t\ncomponents: {a: {kind: client}, a: {kind: client}, a: {kind: client}}\n";
    let o = run_with(repo(), &["--format", "gitlab", "-"], &[], Some(text));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let issues = v.as_array().unwrap();
    let fingerprints: std::collections::BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert!(issues.len() >= 2, "{issues:?}");
    assert_eq!(fingerprints.len(), issues.len(), "{issues:?}");
    // And across every example, in SARIF too.
    let mut args = vec!["--format", "sarif"];
    let examples: Vec<String> = common::examples()
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    args.extend(examples.iter().map(String::as_str));
    let o = run_with(repo(), &args, &[], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let keys: std::collections::BTreeSet<(String, String)> = results
        .iter()
        .map(|r| {
            (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].to_string(),
                r["partialFingerprints"]["infraLint/v2"].to_string(),
            )
        })
        .collect();
    assert_eq!(keys.len(), results.len());
}

// --- Every error at once -------------------------------------------------------------

#[test]
fn every_input_error_of_a_component_is_reported_in_one_run() {
    let text = "version: 1\nname: t\ncomponents:\n  web:\n    kind: webserver\n    critical: yes\n  users: { kind: client }\nlinks:\n  - { from: users, to: web, protocol: htp }\n";
    let o = run_with(repo(), &["--format", "concise", "-q", "-"], &[], Some(text));
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stdout(&o),
        concat!(
            "-:5:11: error[IL002] unknown value `webserver`\n",
            "-:6:15: error[IL002] wrong type: expected a boolean (`true` or `false`), found the string \"yes\"\n",
            "-:9:39: error[IL002] unknown value `htp`\n",
        )
    );
}

#[test]
fn every_config_error_is_reported_in_one_run_each_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("infra-lint.toml"),
        "selct = [\"SPOF\"]\nfail-on = \"sometimes\"\nignore = [\"SPOF0O1\"]\n[severity]\nTLS999 = \"warning\"\n",
    )
    .unwrap();
    std::fs::copy(example(ONE_SERVER), dir.path().join("t.topology.yml")).unwrap();
    let o = run_with(dir.path(), &[], &[], None);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    let config = dir.path().join("infra-lint.toml");
    let at = |place: &str| format!("infra-lint: {}:{place}: ", config.display());
    assert_eq!(lines.len(), 4, "{err}");
    assert!(lines[0].starts_with(&at("1:1")) && lines[0].contains("did you mean `select`?"));
    assert!(lines[1].starts_with(&at("2:11")) && lines[1].contains("`sometimes`"));
    assert!(lines[2].starts_with(&at("3:11")) && lines[2].contains("`SPOF001`"));
    assert!(lines[3].starts_with(&at("5:1")) && lines[3].contains("TLS999"));
}

#[test]
fn graph_to_a_file_says_so_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d.dot");
    let o = common::run_in(
        repo(),
        &[
            "graph",
            "--format",
            "dot",
            "-o",
            out.to_str().unwrap(),
            "examples/01-one-server.topology.yml",
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    assert_eq!(
        stderr(&o),
        format!(
            "infra-lint: wrote the Graphviz diagram of `examples/01-one-server.topology.yml` to `{}`\n",
            out.display()
        )
    );
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("digraph")
    );
}
