//! Fixes end to end (issue 12): `--fix` reaches a fixed point without ever writing an
//! invalid file, `--diff` is a patch that `patch -p1` applies to the same result, and a
//! SARIF viewer applying our `fixes` as SARIF defines them gets the bytes `--fix` writes.

mod common;

use std::path::Path;

use common::{examples, infra_lint_in, stderr, stdout};
use infra_lint::fix::apply::{MAX_ROUNDS, fix_text};
use infra_lint::lint::{LintOptions, TEST_TODAY};
use serde_json::Value;

/// A topology that writes user strings fixes must carry (software with `: `, ` #`,
/// quotes, braces), ids YAML would read as other types, flow and block styles mixed,
/// and comments that must survive.
const AWKWARD: &str = r#"# The shop, as drawn on the whiteboard.
version: 1
name: "awkward: shop # v2"
hosts:
  "1": {}          # the only machine
  edge-host:
    zone: dmz
zones:
  dmz: { trust: public }
components:
  users: { kind: client }
  "true":
    kind: load_balancer
    host: edge-host
    software: "ha: proxy #x {y} 'z' \"w\""
    balancing: { targets: [web, web-b] }
  web: { kind: web_server, host: "1", software: "nginx\n    instances: 99" }
  web-b: { kind: web_server, host: "1" }
  "1.5":
    kind: database
    host: "1"
    engine: "my: sql"
links:
  - { from: users, to: "true", protocol: http, port: 80 }
  - from: web
    to: "1.5"
    protocol: mysql
  - { from: web-b, to: "1.5", protocol: mysql }
"#;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("read")
}

/// Every file the fix tests run on: the examples and [`AWKWARD`], as (name, text).
fn inputs() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = examples()
        .iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p).expect("read"),
            )
        })
        .collect();
    out.push(("awkward.topology.yml".into(), AWKWARD.into()));
    out
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("json output: {e}\n{}{}", stdout(o), stderr(o)))
}

fn fixable(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .filter(|f| matches!(f["fix"]["applicability"].as_str(), Some("safe" | "unsafe")))
        .map(|f| format!("{} {}", f["code"], f["subjects"][0]))
        .collect()
}

#[test]
fn fix_reaches_a_fixed_point_on_every_input_and_never_writes_an_invalid_file() {
    for (name, before) in inputs() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &name, &before);
        let first = json(&infra_lint_in(dir.path(), &["--format", "json", &name]));
        assert!(!fixable(&first).is_empty(), "{name}: nothing to fix");

        let o = infra_lint_in(
            dir.path(),
            &["--fix", "--unsafe-fixes", "--format", "json", &name],
        );
        assert_ne!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        let after = read(dir.path(), &name);
        assert_ne!(after, before, "{name}: --fix changed nothing");
        let v = json(&o);
        let codes: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(
            !codes.iter().any(|c| c.starts_with("IL")),
            "{name}: the fixed file has input errors {codes:?}:\n{after}"
        );
        // The report is the fixed file's, and nothing fixable is left in it.
        assert_eq!(
            fixable(&v),
            Vec::<String>::new(),
            "{name}: not a fixed point:\n{after}"
        );
        // What the fixes did not touch stays: every comment, every original key line.
        for line in before.lines().filter(|l| l.trim_start().starts_with('#')) {
            assert!(after.contains(line), "{name}: lost the comment {line:?}");
        }
        assert!(after.starts_with(before.lines().next().unwrap()));

        // Run again: nothing to do, nothing written.
        let again = infra_lint_in(dir.path(), &["--fix", "--unsafe-fixes", "--quiet", &name]);
        assert_ne!(again.status.code(), Some(2));
        assert_eq!(
            read(dir.path(), &name),
            after,
            "{name}: a second --fix changed it"
        );
    }
}

#[test]
fn fix_converges_in_a_few_rounds() {
    // N: the rounds `--fix --unsafe-fixes` needs on any bundled input, with the round
    // that finds nothing more to do. Fixes that add the same key wait a round, and a fix's
    // new hosts and components get their own findings (a firewall, monitoring) the next.
    const N: usize = 6;
    let options = LintOptions {
        today: TEST_TODAY,
        ..LintOptions::default()
    };
    for (name, text) in inputs() {
        let fixed = fix_text(&name, &text, &options, true, &|_| false);
        assert!(!fixed.applied.is_empty(), "{name}");
        eprintln!(
            "{name}: {} fixes in {} rounds",
            fixed.applied.len(),
            fixed.rounds
        );
        // Converged: within N, and not stopped by the round limit.
        assert!(
            fixed.rounds <= N && N < MAX_ROUNDS,
            "{name}: {} rounds",
            fixed.rounds
        );
        let again = fix_text(&name, &fixed.text, &options, true, &|_| false);
        assert!(again.applied.is_empty(), "{name}: {:?}", again.applied);
    }
}

#[test]
fn safe_fixes_alone_apply_only_safe_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let name = "02-distributed.topology.yml";
    let before = std::fs::read_to_string(Path::new("examples").join(name)).unwrap();
    write(dir.path(), name, &before);
    let first = json(&infra_lint_in(dir.path(), &["--format", "json", name]));
    let safe: Vec<&Value> = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fix"]["applicability"] == "safe")
        .collect();
    assert!(!safe.is_empty(), "the example has safe fixes");
    let o = infra_lint_in(
        dir.path(),
        &["--fix", "--show-fixes", "--format", "json", name],
    );
    let shown = stderr(&o);
    for f in &safe {
        let code = f["code"].as_str().unwrap();
        assert!(shown.contains(code), "{code} not listed:\n{shown}");
    }
    // No unsafe fix was applied: every unsafe finding of before is still there.
    let after = json(&o);
    let key = |f: &Value| format!("{} {}", f["code"], f["subjects"][0]);
    let left: Vec<String> = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    for f in first["findings"].as_array().unwrap() {
        if f["fix"]["applicability"] == "unsafe" {
            assert!(
                left.contains(&key(f)),
                "{} was fixed without --unsafe-fixes",
                key(f)
            );
        }
    }
}

/// Applies `patch` in `dir` with `patch -p1`, or `git apply` where patch(1) is not
/// installed; whether it applied.
fn apply_patch(dir: &Path, patch: &str) -> bool {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let spawn = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::piped())
            .spawn()
    };
    let mut child = match spawn("patch", &["-p1", "--quiet", "--batch"]) {
        Ok(child) => child,
        Err(_) => spawn("git", &["apply", "-"]).expect("git is installed"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(patch.as_bytes())
        .unwrap();
    child.wait().unwrap().success()
}

#[test]
fn diff_is_a_patch_that_gives_what_fix_writes() {
    for (name, before) in inputs() {
        let dir = tempfile::tempdir().unwrap();
        let (diffed, fixed) = (dir.path().join("diffed"), dir.path().join("fixed"));
        for d in [&diffed, &fixed] {
            std::fs::create_dir(d).unwrap();
            write(d, &name, &before);
        }
        let o = infra_lint_in(&diffed, &["--diff", "--unsafe-fixes", &name]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        assert_eq!(
            read(&diffed, &name),
            before,
            "{name}: --diff wrote the file"
        );
        let patch = stdout(&o);
        assert!(patch.starts_with(&format!("--- a/{name}\n+++ b/{name}\n")));

        infra_lint_in(&fixed, &["--fix", "--unsafe-fixes", "--quiet", &name]);
        assert!(
            apply_patch(&diffed, &patch),
            "{name}: the patch does not apply"
        );
        assert_eq!(read(&diffed, &name), read(&fixed, &name), "{name}");
    }
}

/// Applies a SARIF `fix` to `text` as SARIF 2.1.0 defines it (§3.55-3.57), knowing
/// nothing of infra-lint: each replacement deletes `charLength` characters (code points,
/// the run's `columnKind`) at `charOffset` and inserts `insertedContent.text`; offsets
/// refer to the original text, so replacements are applied from the last to the first.
fn apply_sarif_fix(text: &str, fix: &Value) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut replacements: Vec<(usize, usize, String)> = fix["artifactChanges"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["replacements"].as_array().unwrap())
        .map(|r| {
            let region = &r["deletedRegion"];
            (
                region["charOffset"].as_u64().unwrap() as usize,
                region["charLength"].as_u64().unwrap() as usize,
                r["insertedContent"]["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    replacements.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    let mut out = chars;
    for (offset, length, inserted) in replacements {
        out.splice(offset..offset + length, inserted.chars());
    }
    out.into_iter().collect()
}

#[test]
fn sarif_fixes_applied_as_sarif_defines_give_what_fix_writes() {
    let mut compared = 0;
    for (name, before) in inputs() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &name, &before);
        let o = infra_lint_in(dir.path(), &["--format", "sarif", &name]);
        let log: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(log["runs"][0]["columnKind"], "unicodeCodePoints");
        let results = log["runs"][0]["results"].as_array().unwrap();
        // Rules with one fixable finding in the file: `--select` makes `--fix` apply
        // that finding's fix alone (when no new finding of the rule follows from it).
        for r in results.iter().filter(|r| r.get("fixes").is_some()) {
            let code = r["ruleId"].as_str().unwrap();
            let fixable = results
                .iter()
                .filter(|x| x["ruleId"] == code && x.get("fixes").is_some())
                .count();
            if fixable != 1 {
                continue;
            }
            let by_sarif = apply_sarif_fix(&before, &r["fixes"][0]);
            let fixed = dir.path().join(code);
            std::fs::create_dir(&fixed).unwrap();
            write(&fixed, &name, &before);
            let o = infra_lint_in(
                &fixed,
                &[
                    "--fix",
                    "--unsafe-fixes",
                    "--show-fixes",
                    "--quiet",
                    "--select",
                    code,
                    &name,
                ],
            );
            let listed = stderr(&o).lines().filter(|l| l.contains(code)).count();
            if listed != 1 {
                continue;
            }
            assert_eq!(by_sarif, read(&fixed, &name), "{name}: {code}");
            compared += 1;
        }
    }
    eprintln!("{compared} SARIF fixes compared with --fix");
    assert!(compared >= 15, "only {compared} fixes compared");
}

const SMALL: &str = "version: 1\nname: t\nhosts:\n  h1: {}\ncomponents:\n  users:\n    kind: client\n  web:\n    kind: web_server\n    host: h1\nlinks:\n  - { from: users, to: web, protocol: http, port: 80 }\n";

#[test]
fn a_file_named_twice_is_fixed_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.topology.yml", SMALL);
    let o = infra_lint_in(
        dir.path(),
        &[
            "--diff",
            "--unsafe-fixes",
            "t.topology.yml",
            "./t.topology.yml",
        ],
    );
    let patch = stdout(&o);
    assert_eq!(patch.matches("--- a/").count(), 1, "{patch}");
    assert!(stderr(&o).contains("would change 1 file"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn fix_does_not_replace_a_file_it_may_not_write() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.topology.yml", SMALL);
    let path = dir.path().join("t.topology.yml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    // Root may write anything: the check is then moot.
    if std::fs::OpenOptions::new().write(true).open(&path).is_ok() {
        return;
    }
    let o = infra_lint_in(dir.path(), &["--fix", "--unsafe-fixes", "t.topology.yml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write the fixes"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(dir.path(), "t.topology.yml"), SMALL);
}

#[test]
fn a_diff_of_a_file_with_a_space_in_its_name_applies() {
    let dir = tempfile::tempdir().unwrap();
    let name = "my shop.topology.yml";
    write(dir.path(), name, SMALL);
    let o = infra_lint_in(dir.path(), &["--diff", "--unsafe-fixes", name]);
    let patch = stdout(&o);
    assert!(patch.starts_with(&format!("--- a/{name}\t\n")), "{patch}");
    let fixed = dir.path().join("fixed");
    std::fs::create_dir(&fixed).unwrap();
    write(&fixed, name, SMALL);
    infra_lint_in(&fixed, &["--fix", "--unsafe-fixes", "--quiet", name]);
    assert!(apply_patch(dir.path(), &patch));
    assert_eq!(read(dir.path(), name), read(&fixed, name));
}

#[test]
fn fixes_name_ids_that_fit_and_do_not_clash() {
    // 63-character ids (the longest allowed): a fix's `-2` copies are cut to fit.
    let host = "h".repeat(63);
    let web = "w".repeat(63);
    let text = SMALL
        .replace("h1", &host)
        .replace("  web:", &format!("  {web}:"))
        .replace("to: web", &format!("to: {web}"));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "t.topology.yml", &text);
    let o = infra_lint_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--format",
            "json",
            "t.topology.yml",
        ],
    );
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    let after = read(dir.path(), "t.topology.yml");
    assert!(after.contains(&format!("{}-2", &web[..61])), "{after}");
    // A zone named `users`: the client the fix adds is called something else.
    let text = "version: 1\nname: t\nzones:\n  users: { trust: private }\ncomponents:\n  app: { kind: app_server }\n";
    write(dir.path(), "z.topology.yml", text);
    let o = infra_lint_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--select",
            "GR002",
            "z.topology.yml",
        ],
    );
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(read(dir.path(), "z.topology.yml").contains("users-2:"));
}

#[test]
fn a_second_instance_gets_a_service_label_of_its_own_quoted_as_yaml_needs() {
    // `app-2` must not join the existing group `app` (it would change the design and
    // make app-1's firewall speak for it), and `null-1`'s group is not `null`.
    let text = "version: 1\nname: s\ncomponents:\n  users: { kind: client }\n  shop: { kind: web_server, service: null }\n  shop-b: { kind: web_server, service: null }\n  app-1: { kind: app_server, service: app }\n  app-9: { kind: app_server, service: app }\n  app-2: { kind: app_server }\nlinks:\n  - { from: users, to: shop, protocol: https, port: 443 }\n  - { from: users, to: shop-b, protocol: https, port: 443 }\n  - { from: shop, to: app-1, protocol: https, port: 8443 }\n  - { from: shop, to: app-9, protocol: https, port: 8443 }\n  - { from: shop-b, to: app-2, protocol: https, port: 8443 }\n";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.topology.yml", text);
    let o = infra_lint_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--select",
            "SPOF001",
            "--format",
            "json",
            "s.topology.yml",
        ],
    );
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    let after = read(dir.path(), "s.topology.yml");
    assert!(
        after.contains("app-2: { kind: app_server, service: app-group }"),
        "{after}"
    );
    assert_eq!(
        after.matches("service: app\n").count() + after.matches("service: app }").count(),
        2,
        "{after}"
    );
    let left: Vec<String> = json(&o)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["code"], f["subjects"][0]))
        .collect();
    assert!(left.is_empty(), "{left:?}\n{after}");

    let text = "version: 1\nname: q\ncomponents:\n  users: { kind: client }\n  null-1: { kind: web_server }\nlinks:\n  - { from: users, to: null-1, protocol: https, port: 443 }\n";
    write(dir.path(), "q.topology.yml", text);
    infra_lint_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--select",
            "SPOF001",
            "q.topology.yml",
        ],
    );
    let after = read(dir.path(), "q.topology.yml");
    assert!(after.contains("service: \"null\""), "{after}");
    let again = infra_lint_in(
        dir.path(),
        &[
            "--diff",
            "--unsafe-fixes",
            "--select",
            "SPOF001",
            "q.topology.yml",
        ],
    );
    assert_eq!(stdout(&again), "", "a second run adds more copies");
}

#[test]
fn a_list_without_indent_whose_first_item_is_a_flow_mapping_takes_fixes() {
    let text = "version: 1\nname: s\ncomponents:\n  users:\n    kind: client\n  web-1:\n    kind: web_server\nlinks:\n- {from: users, to: web-1, protocol: http, port: 80}\n";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.topology.yml", text);
    let o = infra_lint_in(
        dir.path(),
        &[
            "--diff",
            "--unsafe-fixes",
            "--select",
            "TLS001",
            "m.topology.yml",
        ],
    );
    assert!(
        stdout(&o).contains("+- {from: users, to: web-1, protocol: https, port: 443, tls: true}"),
        "{}",
        stdout(&o)
    );
}
