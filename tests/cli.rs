//! The command line end to end: exit codes, locations, formats, bad input of every kind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use infra_lint::lint::TEST_TODAY;

mod common;
use common::stdout;

/// Lints (the default command) as of the tests' fixed date.
fn infra_lint(args: &[&str]) -> Output {
    common::infra_lint_in(Path::new("."), args)
}

/// Runs exactly `args`: for subcommands, and for the README's samples, which show the
/// command a reader would type.
fn run(args: &[&str]) -> Output {
    common::run_in(Path::new("."), args)
}

fn json(args: &[&str]) -> (serde_json::Value, i32) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let o = infra_lint(&all);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("json output: {e}\n{}", stdout(&o)));
    (v, o.status.code().unwrap_or(-1))
}

/// (code, line, column) of every finding.
fn locations(v: &serde_json::Value) -> Vec<(String, u64, u64)> {
    let mut out: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
                f["start"]["column"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

/// An expectation written in an invalid example's header: `# expect: CODE at L:C`
/// (the line or the column may be left out when they are not predictable by hand).
#[derive(Debug)]
struct Expect {
    code: String,
    line: Option<u64>,
    column: Option<u64>,
}

fn expectations(path: &Path) -> Vec<Expect> {
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|e| {
            let (code, at) = e
                .split_once(" at ")
                .map_or((e, None), |(c, a)| (c, Some(a)));
            let (line, column) = match at {
                None => (None, None),
                Some(a) => match a.split_once(':') {
                    Some((l, c)) => (Some(l.parse().unwrap()), Some(c.parse().unwrap())),
                    None => (Some(a.parse().unwrap()), None),
                },
            };
            Expect {
                code: code.trim().to_string(),
                line,
                column,
            }
        })
        .collect()
}

fn invalid_examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("examples/invalid")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_invalid_example_reports_exactly_its_expected_errors() {
    let files = invalid_examples();
    assert!(
        files.len() >= 30,
        "examples/invalid holds {} files",
        files.len()
    );
    for path in files {
        let p = path.to_str().unwrap();
        let expected = expectations(&path);
        assert!(!expected.is_empty(), "{p} has no `# expect:` line");
        let (v, code) = json(&[p]);
        assert_eq!(code, 2, "{p}: exit code");
        assert_eq!(v["files"][0]["valid"], false, "{p}: valid");
        let got = locations(&v);
        assert_eq!(
            got.len(),
            expected.len(),
            "{p}: expected {expected:?}, got {got:?}"
        );
        for e in &expected {
            let found = got.iter().any(|(code, line, column)| {
                *code == e.code
                    && e.line.is_none_or(|l| l == *line)
                    && e.column.is_none_or(|c| c == *column)
            });
            assert!(found, "{p}: expected {e:?} among {got:?}");
        }
        for f in v["findings"].as_array().unwrap() {
            assert!(
                f["code"].as_str().unwrap().starts_with("IL"),
                "{p}: only input errors on an invalid file"
            );
        }
    }
}

#[test]
fn every_invalid_example_renders_a_readable_diagnostic() {
    for path in invalid_examples() {
        let p = path.to_str().unwrap();
        let o = infra_lint(&["--color", "never", p]);
        let text = stdout(&o);
        assert_eq!(o.status.code(), Some(2), "{p}");
        // Every diagnostic names its file and line:column, as a terminal user needs,
        // on the line after its header, as rustc does.
        let headers = text
            .lines()
            .filter(|l| l.starts_with("error[") || l.starts_with("warning["))
            .count();
        let arrows = text
            .lines()
            .filter(|l| {
                l.strip_prefix(&format!("  --> {p}:"))
                    .is_some_and(|at| at.split(':').all(|n| n.parse::<usize>().is_ok()))
            })
            .count();
        assert!(
            headers > 0 && arrows >= headers,
            "{p}: a diagnostic without its file:line:col in\n{text}"
        );
        let name = path.file_stem().unwrap().to_str().unwrap();
        snapshot(&format!("invalid__{name}"), &text);
    }
}

#[test]
fn examples_are_valid_and_lint_cleanly_or_with_findings() {
    let (v, code) = json(&["examples/"]);
    let files = v["files"].as_array().unwrap();
    assert_eq!(
        files.len(),
        5,
        "the five designs, not the invalid files: {files:?}"
    );
    assert!(files.iter().all(|f| f["valid"] == true));
    assert!(code == 0 || code == 1, "exit {code}");
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted, "files are linted in sorted order");
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orphan.topology.yml");
    std::fs::write(
        &file,
        // Its one finding is GR001 on db (an info): the rest is firewalled and monitored.
        "version: 1\nname: orphan\ncomponents:\n  users: { kind: client }\n  web: { kind: web_server, instances: 2, firewall: { allow: [{ port: 443, from: internet }] }, monitoring: { agent: a } }\n  db: { kind: cache, monitoring: { agent: a } }\nlinks:\n  - { from: users, to: web, protocol: https, port: 443 }\n",
    )
    .unwrap();
    let (v, code) = json(&["--fail-on", "info", file.to_str().unwrap()]);
    assert_eq!(code, 1, "an info finding fails under --fail-on info");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["tool"]["name"], "infra-lint");
    assert!(v["tool"]["version"].is_string());
    assert_eq!(v["files"][0]["path"], file.to_str().unwrap());
    assert_eq!(v["files"][0]["valid"], true);
    let f = &v["findings"][0];
    assert_eq!(f["code"], "GR001");
    assert_eq!(f["name"], "unreachable-component");
    assert_eq!(f["category"], "graph");
    assert_eq!(f["severity"], "info");
    assert!(f["message"].as_str().unwrap().contains("`db`"));
    assert_eq!(f["file"], file.to_str().unwrap());
    assert_eq!(f["start"]["line"], 6);
    assert_eq!(f["start"]["column"], 3);
    assert_eq!(f["end"]["line"], 6);
    assert_eq!(f["end"]["column"], 5);
    assert_eq!(f["subjects"], serde_json::json!(["db"]));
    assert!(f["help"].is_string());
    assert!(f["fix"]["description"].is_string());
    assert!(f["fix"]["yaml"].as_str().unwrap().contains("to: db"));
    assert_eq!(f["fingerprint"].as_str().unwrap().len(), 16);
    assert!(f["suppressed"].is_null());
    assert_eq!(
        v["summary"],
        serde_json::json!({ "error": 0, "warning": 0, "info": 1, "suppressed": 0 })
    );
}

#[test]
fn fail_on_decides_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.topology.yml");
    std::fs::write(
        &file,
        // Its one finding is an info: MON003, monitoring that alerts nobody.
        "version: 1\nname: t\ncomponents:\n  users: { kind: client }\n  web: { kind: web_server, instances: 2, firewall: { allow: [{ port: 443, from: internet }] }, monitoring: { agent: a } }\n  mon: { kind: monitoring, monitors: [web], monitoring: { agent: a } }\nlinks:\n  - { from: users, to: web, protocol: https, port: 443 }\n",
    )
    .unwrap();
    let p = file.to_str().unwrap();
    assert_eq!(
        infra_lint(&[p]).status.code(),
        Some(0),
        "default --fail-on warning ignores info"
    );
    assert_eq!(infra_lint(&["--fail-on", "info", p]).status.code(), Some(1));
    assert_eq!(
        infra_lint(&["--fail-on", "never", p]).status.code(),
        Some(0)
    );
}

fn write(dir: &Path, name: &str, text: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// Runs a bad input, asserts exit 2 and the IL finding's code and position, and
/// snapshots the human rendering (with the temporary folder's path masked).
fn bad(
    name: &str,
    tmp: &Path,
    args: &[&str],
    code: &str,
    line: u64,
    column: u64,
) -> serde_json::Value {
    let (v, exit) = json(args);
    assert_eq!(exit, 2, "{args:?}: {v}");
    let got = locations(&v);
    assert!(
        got.contains(&(code.to_string(), line, column)),
        "{args:?}: expected {code} at {line}:{column}, got {got:?}"
    );
    let mut human = vec!["--color", "never"];
    human.extend_from_slice(args);
    let text = stdout(&infra_lint(&human)).replace(tmp.to_str().unwrap(), "[TMP]");
    snapshot(&format!("bad_input__{name}"), &text);
    v
}

#[test]
fn an_empty_file_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "empty.yml", b"");
    let v = bad("empty", dir.path(), &[&p], "IL002", 1, 1);
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("the file is empty")
    );
}

#[test]
fn a_path_that_does_not_exist_is_an_input_error() {
    let v = bad(
        "missing_path",
        Path::new("/nonexistent-tmp"),
        &["no/such/topology.yml"],
        "IL001",
        1,
        1,
    );
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no such file or directory")
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // Not even YAML: refused by its size alone, so no syntax error can show.
    let p = write(dir.path(), "big.topology.yml", &[b'['; 4096]);
    let v = bad(
        "over_size_limit",
        dir.path(),
        &["--max-file-size", "1000", &p],
        "IL001",
        1,
        1,
    );
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("4096 bytes") && msg.contains("1000"), "{msg}");
    assert!(
        v["findings"][0]["help"]
            .as_str()
            .unwrap()
            .contains("--max-file-size")
    );
    // The same file under the default limit is read, and is a syntax error.
    let (v, _) = json(&[&p]);
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("YAML")
            || v["findings"][0]["code"] == "IL001"
    );
}

/// A topology of 5,000 web servers in `dir`, one per line from line 4 (`  web-K: ...`
/// on line K + 4), then a line of broken YAML that only a full parse would reach.
fn many_components_then_broken(dir: &Path) -> String {
    let mut text = String::from("version: 1\nname: many\ncomponents:\n");
    for i in 0..5000 {
        text.push_str(&format!("  web-{i}: {{ kind: web_server }}\n"));
    }
    text.push_str("links: [ {\n");
    write(dir, "many.topology.yml", text.as_bytes())
}

#[test]
fn an_explicit_analysis_work_bound_refuses_at_the_component_that_passes_it() {
    // The analysis handles at least one set element per component and per host, so a
    // bound of 100 is passed by the 101st component: the reader refuses there, and
    // never reaches the broken line at the end (a full parse would report it as a
    // syntax error).
    let dir = tempfile::tempdir().unwrap();
    let p = many_components_then_broken(dir.path());
    let v = bad(
        "over_analysis_work",
        dir.path(),
        &["--max-analysis-work", "100", &p],
        "IL001",
        104,
        3,
    );
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v}");
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("more than 100 components and hosts"), "{msg}");
    assert!(
        v["findings"][0]["help"]
            .as_str()
            .unwrap()
            .contains("--max-analysis-work")
    );
    // A bound the components do not pass is left to the analysis; here the file is
    // read to its end and its syntax error found.
    let (v, exit) = json(&["--max-analysis-work", "100000", &p]);
    assert_eq!(exit, 2);
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("invalid YAML"),
        "{v}"
    );
}

#[test]
fn the_id_limit_refuses_at_the_id_that_passes_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = many_components_then_broken(dir.path());
    let (v, exit) = json(&["--max-ids", "1000", &p]);
    assert_eq!(exit, 2);
    assert_eq!(locations(&v), [("IL001".to_string(), 1004, 3)], "{v}");
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("more than 1000 ids"), "{msg}");
    // The analysis bound counts hosts and components, the id limit every id: 10
    // zones, then 5 hosts and a component.
    let mut text = String::from("version: 1\nname: ids\nzones:\n");
    for i in 0..10 {
        text.push_str(&format!("  z-{i}: {{ trust: private }}\n"));
    }
    text.push_str("hosts:\n");
    for i in 0..5 {
        text.push_str(&format!("  h-{i}: {{ zone: z-0 }}\n"));
    }
    text.push_str("components:\n  web: { kind: web_server, host: h-0 }\n");
    let p = write(dir.path(), "ids.topology.yml", text.as_bytes());
    let (v, _) = json(&["--max-ids", "12", &p]);
    assert_eq!(locations(&v), [("IL001".to_string(), 17, 3)], "{v}");
    let (v, _) = json(&["--max-analysis-work", "5", &p]);
    assert_eq!(locations(&v), [("IL001".to_string(), 21, 3)], "{v}");
    let (v, exit) = json(&["--max-analysis-work", "1000", &p]);
    assert!(
        locations(&v).iter().all(|(code, ..)| code != "IL001"),
        "{exit}: {v}"
    );
}

#[test]
fn deep_block_nesting_stops_at_the_nesting_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("version: 1\nname: deep\ndescription:\n");
    for depth in 0..1000 {
        text.push_str(&" ".repeat(2 * depth + 2));
        text.push_str("a:\n");
    }
    let p = write(dir.path(), "deep.yml", text.as_bytes());
    // The top-level mapping is depth 1 and the mapping that starts on line L (at its
    // first key, indented 2 * (L - 4) + 2 spaces) is at depth L - 2, so the first one
    // past the default limit of 64 starts on line 67, column 129.
    let v = bad("deep_block_nesting", dir.path(), &[&p], "IL001", 67, 129);
    let limit = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "IL001")
        .expect("IL001");
    assert!(
        limit["message"].as_str().unwrap().contains("nesting limit"),
        "{limit}"
    );
    let (v, _) = json(&["--max-depth", "2000", &p]);
    assert!(
        locations(&v).iter().all(|(code, ..)| code != "IL001"),
        "raised limit: {v}"
    );
}

#[test]
fn a_second_document_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "two.yml",
        b"version: 1\nname: a\ncomponents: {}\n---\nversion: 1\n",
    );
    bad("second_document", dir.path(), &[&p], "IL001", 4, 1);
}

#[test]
fn a_symlink_loop_in_a_directory_is_reported_and_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("infra");
    std::fs::create_dir(&sub).unwrap();
    std::os::unix::fs::symlink(&sub, sub.join("again")).unwrap();
    write(
        &sub,
        "ok.topology.yml",
        b"version: 1\nname: ok\ncomponents:\n  users: { kind: client }\n",
    );
    let v = bad(
        "symlink_loop",
        dir.path(),
        &[dir.path().to_str().unwrap()],
        "IL001",
        1,
        1,
    );
    let files = v["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f["valid"] == true && f["path"].as_str().unwrap().ends_with("ok.topology.yml")), "{v}");
    let loop_finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "IL001")
        .expect("IL001");
    assert!(
        loop_finding["message"].as_str().unwrap().contains("loop"),
        "{loop_finding}"
    );
}

#[test]
fn several_files_each_finding_names_its_file() {
    let o = infra_lint(&[
        "--format",
        "concise",
        "examples/invalid/missing-reference.yml",
        "examples/invalid/version-2.yml",
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("examples/invalid/missing-reference.yml:13:9: error[IL003]"),
        "{text}"
    );
    assert!(
        text.contains("examples/invalid/version-2.yml:4:10: error[IL005]"),
        "{text}"
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_directory_walk_respects_gitignore_and_the_file_name_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let topo = b"version: 1\nname: x\ncomponents:\n  users: { kind: client }\n";
    write(d, "a.topology.yml", topo);
    write(d, "topology.yaml", topo);
    write(d, "notes.yml", b"not: a topology\n");
    std::fs::create_dir(d.join("ignored")).unwrap();
    write(&d.join("ignored"), "b.topology.yml", b"{{{");
    std::fs::create_dir(d.join(".hidden")).unwrap();
    write(&d.join(".hidden"), "c.topology.yml", b"{{{");
    write(d, ".gitignore", b"ignored/\n");
    let (v, code) = json(&[d.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let names: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names[0].ends_with("a.topology.yml") && names[1].ends_with("topology.yaml"),
        "{names:?}"
    );
}

#[test]
fn a_walk_skips_files_an_include_pattern_finds_that_are_not_topologies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "infra-lint.toml", b"include = [\"infra/*.yml\"]\n");
    std::fs::create_dir(d.join("infra")).unwrap();
    let infra = d.join("infra");
    write(
        &infra,
        "site.yml",
        b"version: 1\nname: x\ncomponents:\n  users: { kind: client }\n",
    );
    write(
        &infra,
        "deploy.yml",
        b"apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\n",
    );
    let o = common::infra_lint_in(d, &["--format", "json", "infra"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["infra/site.yml"]);
    let note = common::stderr(&o);
    assert!(
        note.contains("skipped `infra/deploy.yml`: not a topology"),
        "{note}"
    );
    // Named, it is linted: not a topology is an input error.
    let o = common::infra_lint_in(d, &["infra", "infra/deploy.yml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!common::stderr(&o).contains("skipped"));
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let p = "examples/invalid/version-2.yml";
    let colored = stdout(&infra_lint(&["--color", "always", p]));
    assert!(colored.contains("\u{1b}["), "--color always colours");
    let plain = stdout(&infra_lint(&["--color", "never", p]));
    assert!(!plain.contains("\u{1b}["));
    let auto = Command::new(env!("CARGO_BIN_EXE_infra-lint"))
        .env_remove("COLUMNS")
        .env_remove("INFRA_LINT_OUTPUT_FORMAT")
        .args(["--today", &TEST_TODAY.to_string(), p])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        !stdout(&auto).contains("\u{1b}["),
        "NO_COLOR and a pipe: no colour"
    );
}

#[test]
fn output_goes_to_a_file_with_o() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let o = infra_lint(&[
        "--format",
        "json",
        "-o",
        out.to_str().unwrap(),
        "examples/invalid/version-2.yml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(v["findings"][0]["code"], "IL005");
}

#[test]
fn quiet_leaves_out_the_summary() {
    let p = "examples/invalid/version-2.yml";
    assert!(stdout(&infra_lint(&["--color", "never", p])).contains("infra-lint: 1 error"));
    assert!(!stdout(&infra_lint(&["--color", "never", "-q", p])).contains("infra-lint: 1 error"));
}

#[test]
fn rules_and_explain() {
    let o = run(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(
        text.contains("GR001") && text.contains("unreachable-component") && text.contains("IL003")
    );
    let o = run(&["rules", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let gr2 = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "GR002")
        .unwrap();
    assert_eq!(gr2["name"], "no-entrypoint");
    assert_eq!(gr2["category"], "graph");
    assert_eq!(gr2["severity"], "warning");
    // By code or by name, the same page.
    let by_code = stdout(&run(&["explain", "GR002"]));
    let by_name = stdout(&run(&["explain", "no-entrypoint"]));
    assert_eq!(by_code, by_name);
    assert!(by_code.starts_with("GR002 no-entrypoint (graph, default severity warning)"));
    assert!(by_code.contains("## Example"));
    let o = run(&["explain", "GR02"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `GR002`?"));
}

#[test]
fn the_readme_sample_outputs_are_real() {
    // Every ```text block of the README that starts with `$ infra-lint ARGS` shows what
    // that command prints today.
    let readme = std::fs::read_to_string("README.md").unwrap();
    let mut checked = 0;
    for block in readme.split("```text\n").skip(1) {
        let Some(rest) = block.strip_prefix("$ infra-lint ") else {
            continue;
        };
        let (command, rest) = rest.split_once('\n').unwrap();
        let (shown, _) = rest.split_once("```").unwrap();
        // The subcommands other than check and report print no colour, and take no
        // `--color`.
        let words: Vec<&str> = command.split_whitespace().collect();
        let plain = [
            "what-if", "explain", "rules", "schema", "graph", "init", "import",
        ];
        let mut args = Vec::new();
        if !plain.contains(&words[0]) {
            args.extend(["--color", "never"]);
        }
        args.extend(&words);
        let output = run(&args);
        assert!(
            !output.stdout.is_empty(),
            "README sample `infra-lint {command}` does not run: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let actual = stdout(&output);
        if actual != shown && std::env::var_os("UPDATE_README").is_some() {
            let readme = std::fs::read_to_string("README.md").unwrap();
            let header = format!("$ infra-lint {command}\n");
            let updated =
                readme.replacen(&format!("{header}{shown}"), &format!("{header}{actual}"), 1);
            std::fs::write("README.md", updated).unwrap();
        } else {
            assert_eq!(
                actual, shown,
                "README sample of `infra-lint {command}` (regenerate: UPDATE_README=1 cargo test readme)"
            );
        }
        checked += 1;
    }
    assert!(checked >= 2, "README samples checked: {checked}");
}

/// The system date (UTC), computed apart from infra-lint's own clock.
fn system_date() -> infra_lint::model::Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    infra_lint::model::Date::from_days((secs / 86_400) as i64)
}

#[test]
fn without_today_certificates_are_checked_against_the_system_date() {
    // The one lint here that uses the system date on purpose: what it checks is the
    // default of `--today`, so it asserts relative to the real date.
    let dir = tempfile::tempdir().unwrap();
    let topology = |expires: infra_lint::model::Date| {
        format!(
            "version: 1\nname: t\ncertificates:\n  c: {{ domains: [a.example], expires: {expires} }}\ncomponents:\n  users: {{ kind: client }}\n  web: {{ kind: web_server, listeners: [{{ port: 443, protocol: https, certificate: c }}] }}\nlinks:\n  - {{ from: users, to: web, protocol: https, port: 443 }}\n"
        )
    };
    let before = system_date();
    let soon = infra_lint::model::Date::from_days(before.days() + 10);
    let later = infra_lint::model::Date::from_days(before.days() + 60);
    let p = write(dir.path(), "soon.topology.yml", topology(soon).as_bytes());
    let o = run(&["--format", "json", "--select", "TLS005", &p]);
    let after = system_date();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    // Midnight may pass while it runs: then either day is right.
    let expected: Vec<String> = [before, after]
        .iter()
        .map(|d| format!("expires on {soon}, in {} days", soon.days() - d.days()))
        .collect();
    assert!(
        messages.len() == 1 && expected.iter().any(|e| messages[0].contains(e.as_str())),
        "expected one of {expected:?}, got {messages:?}"
    );
    let p = write(dir.path(), "later.topology.yml", topology(later).as_bytes());
    let o = run(&["--format", "json", "--select", "TLS005", &p]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"], serde_json::json!([]), "{v}");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn what_if_names_what_stops() {
    let o = run(&[
        "what-if",
        "examples/02-distributed.topology.yml",
        "--fail",
        "lb-1",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "an entrypoint is lost");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["entrypoints_lost"], serde_json::json!(["users"]));
    assert_eq!(v["stopped"], serde_json::json!(["lb-1"]));
    assert!(
        v["unreachable"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "db-primary")
    );

    // Losing one server of the pair is survivable: exit 0, and its components stop.
    let o = run(&[
        "what-if",
        "examples/02-distributed.topology.yml",
        "--fail",
        "server-2",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["entrypoints_lost"], serde_json::json!([]));
    assert_eq!(
        v["stopped"],
        serde_json::json!(["web-2", "app-2", "db-replica"])
    );

    // Several at once, comma-separated: both servers means nothing is left.
    let o = run(&[
        "what-if",
        "examples/02-distributed.topology.yml",
        "--fail",
        "server-1,server-2",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("entrypoints no longer served: users"));
}

#[test]
fn what_if_names_the_data_and_backups_lost() {
    let answer = |file: &str, fail: &str| {
        let o = run(&["what-if", file, "--fail", fail, "--format", "json"]);
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    // One server, no backup: its database's only copy goes with it.
    let v = answer("examples/01-one-server.topology.yml", "server-1");
    assert_eq!(v["data_lost"], serde_json::json!(["db-1"]));
    // Design 3 dumps to a disk in the primary's server: losing it takes the backups
    // with the primary, though the replica still holds the data.
    let design3 = "examples/03-secured-monitored.topology.yml";
    let v = answer(design3, "server-1");
    assert_eq!(v["data_lost"], serde_json::json!([]));
    assert_eq!(
        v["backups_lost"],
        serde_json::json!([{ "of": "db-primary", "to": "backup-disk", "with_the_store": true }])
    );
    // Both servers: no copy is left anywhere.
    let v = answer(design3, "server-1,server-2");
    assert_eq!(v["data_lost"], serde_json::json!(["db-primary"]));
    // The other server: nothing of the data is lost.
    let v = answer(design3, "server-2");
    assert_eq!(v["data_lost"], serde_json::json!([]));
    assert_eq!(v["backups_lost"], serde_json::json!([]));
    let o = run(&["what-if", design3, "--fail", "server-1,server-2"]);
    assert!(
        stdout(&o).contains("data stores left with no working copy (1): db-primary"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn what_if_fails_a_failure_domain_value() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "racks.topology.yml",
        b"version: 1\nname: r\nhosts:\n  h1: { failure_domains: { rack: r1 } }\n  h2: { failure_domains: { rack: r2 } }\ncomponents:\n  users: { kind: client }\n  web-1: { kind: web_server, host: h1, service: web }\n  web-2: { kind: web_server, host: h2, service: web }\nlinks:\n  - { from: users, to: web-1 }\n",
    );
    let o = run(&["what-if", &p, "--fail", "rack:r1", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "web-2 still serves");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["stopped"], serde_json::json!(["web-1"]));
    let o = run(&["what-if", &p, "--fail", "rack:r1,rack:r2"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["what-if", &p, "--fail", "rack:r3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `rack:r1`?"));
}

#[test]
fn what_if_refuses_unknown_ids_and_invalid_files() {
    let o = run(&[
        "what-if",
        "examples/02-distributed.topology.yml",
        "--fail",
        "srever-2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `server-2`?"));
    let o = run(&[
        "what-if",
        "examples/invalid/version-2.yml",
        "--fail",
        "web-1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("IL005"));
}

#[test]
fn init_writes_a_clean_starter_and_what_if_sees_the_peer_take_over() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("topology.yml");
    let p = p.to_str().unwrap();
    let today = TEST_TODAY.to_string();
    assert_eq!(run(&["init", "--today", &today, p]).status.code(), Some(0));
    assert_eq!(
        run(&["init", "--today", &today, p]).status.code(),
        Some(2),
        "never overwrites"
    );
    assert!(
        std::fs::read_to_string(p)
            .unwrap()
            .contains(&format!("restore_tested: {today}")),
        "the starter's restore test is the day it was written"
    );
    let (v, code) = json(&["--fail-on", "info", p]);
    assert_eq!(code, 0, "the starter lints clean: {v}");
    // Losing one load balancer of the VRRP pair: users are still served and nothing
    // behind the pair is cut off.
    let o = run(&["what-if", p, "--fail", "lb-1", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["stopped"], serde_json::json!(["lb-1"]));
    assert_eq!(v["unreachable"], serde_json::json!([]));
}

#[test]
fn report_and_graph_titles_show_the_file_relative_to_the_project_root() {
    // A repository with its topology in infra/, linted from infra/ by absolute path:
    // every title names infra/shop.topology.yml, as check's findings do.
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    std::fs::create_dir_all(project.join("infra")).unwrap();
    let file = project.join("infra/shop.topology.yml");
    std::fs::copy("examples/02-distributed.topology.yml", &file).unwrap();
    let file = file.to_str().unwrap();
    let infra = project.join("infra");
    let today = TEST_TODAY.to_string();
    let title = "(infra/shop.topology.yml)";
    let o = common::run_in(&infra, &["report", "--today", &today, file]);
    let report = stdout(&o);
    assert!(report.starts_with("# infra-lint report: infra/shop.topology.yml\n"));
    assert!(report.contains("\n## infra/shop.topology.yml\n"));
    assert!(report.contains(title));
    let mermaid = stdout(&common::run_in(&infra, &["graph", file]));
    assert!(mermaid.starts_with(&format!("---\ntitle: \"foobar-distributed {title}\"\n")));
    let dot = stdout(&common::run_in(&infra, &["graph", "--format", "dot", file]));
    assert!(dot.contains(&format!("label=\"foobar-distributed {title}\"];")));
    for text in [&report, &mermaid, &dot] {
        assert!(!text.contains(file), "an absolute path in a title");
    }
}

#[test]
fn schema_graph_and_report_commands() {
    let o = run(&["schema"]);
    assert_eq!(o.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(schema["properties"]["components"].is_object());
    let o = run(&["graph", "examples/02-distributed.topology.yml"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("---\ntitle: \"foobar-distributed (examples/02-distributed.topology.yml)\"\n---\nflowchart LR\n"));
    let o = run(&[
        "graph",
        "--format",
        "dot",
        "examples/02-distributed.topology.yml",
    ]);
    assert!(stdout(&o).starts_with("digraph"));
    assert_eq!(
        run(&["graph", "examples/invalid/version-2.yml"])
            .status
            .code(),
        Some(2)
    );
    let o = run(&[
        "report",
        "--today",
        &TEST_TODAY.to_string(),
        "examples/02-distributed.topology.yml",
    ]);
    assert_eq!(o.status.code(), Some(1), "the report fails like check does");
    let text = stdout(&o);
    assert!(
        text.starts_with("# infra-lint report") && text.contains("```mermaid"),
        "{text}"
    );
}
