//! Hostile input and the user's files (issue 13): no panic, no unbounded read, nothing
//! of the user's overwritten or half-written, and no output a file or string can forge.
//! The inputs are in tests/hostile/.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use infra_lint::lint::TEST_TODAY;

const DIR: &str = "tests/hostile";

fn input(name: &str) -> String {
    format!("{DIR}/{name}")
}

mod common;
use common::{infra_lint_in, stdout};

/// Lints as of the tests' fixed date.
fn infra_lint(args: &[&str]) -> Output {
    infra_lint_in(Path::new("."), args)
}

/// Runs a subcommand that takes no `--today` (what-if, graph, report's own).
fn subcommand(args: &[&str]) -> Output {
    // The system date on purpose: these inputs hold no certificate and no suppression.
    common::run_in(Path::new("."), args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn findings(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let o = infra_lint(&all);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("json output: {e}\n{}", stdout(&o)));
    v["findings"].as_array().unwrap().clone()
}

fn copy(name: &str, to: &Path) -> String {
    let path = to.join(name);
    std::fs::copy(input(name), &path).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_finding_on_a_line_of_70000_characters_is_shown_at_its_place_without_panicking() {
    let o = infra_lint(&["--color", "never", &input("long-line.yml")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    // No snippet of the line, but the place is still named.
    assert!(
        text.contains(
            "warning[FW001]: host `server-1` receives connections from `users` but has no firewall\n  --> tests/hostile/long-line.yml:2:70032\n"
        ),
        "{}",
        &text[..text.len().min(2000)]
    );
    assert!(
        text.len() < 20_000,
        "the line was echoed: {} bytes",
        text.len()
    );
}

#[test]
fn a_device_is_read_only_up_to_the_size_limit() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let o = infra_lint(&["--max-file-size", "1000", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("over the file size limit of 1000 bytes"),
        "{}",
        stdout(&o)
    );
    let o = subcommand(&[
        "what-if",
        "--max-file-size",
        "1000",
        "/dev/zero",
        "--fail",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("over the file size limit"), "{o:?}");
    let topology = input("one-server.topology.yml");
    let o = infra_lint(&["--config", "/dev/zero", &topology]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("over the size limit"), "{}", stderr(&o));
    let o = infra_lint(&[
        "--max-file-size",
        "100000",
        "--baseline",
        "/dev/zero",
        &topology,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("over the file size limit"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_pipe_is_still_read() {
    if !Path::new("/dev/stdin").exists() {
        return;
    }
    let text = std::fs::read(input("one-server.topology.yml")).unwrap();
    let lint = |limit: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_infra-lint"))
            .env_remove("COLUMNS")
            .env_remove("INFRA_LINT_OUTPUT_FORMAT")
            .args(["--today", &TEST_TODAY.to_string(), "--format", "concise"])
            .args(["--max-file-size", limit, "/dev/stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let text = text.clone();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            // The reader may stop early (over the limit): a broken pipe is expected.
            let _ = stdin.write_all(&text);
        });
        let o = child.wait_with_output().unwrap();
        writer.join().unwrap();
        o
    };
    let o = lint("100000");
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("/dev/stdin:25:3: warning[FW001]"),
        "{}",
        stdout(&o)
    );
    // Its size is not known in advance, yet the limit holds.
    let o = lint("100");
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("over the file size limit of 100 bytes"));
}

#[test]
fn no_output_replaces_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let t = copy("one-server.topology.yml", dir.path());
    let original = std::fs::read(&t).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&t, dir.path().join("link.yml")).unwrap();
    let d = dir.path();
    let runs: Vec<Vec<&str>> = vec![
        vec!["one-server.topology.yml", "-o", "one-server.topology.yml"],
        vec!["one-server.topology.yml", "-o", "./one-server.topology.yml"],
        vec![".", "-o", "one-server.topology.yml"],
        #[cfg(unix)]
        vec!["one-server.topology.yml", "-o", "link.yml"],
        vec![
            "one-server.topology.yml",
            "--write-baseline",
            "one-server.topology.yml",
        ],
        vec![
            "report",
            "one-server.topology.yml",
            "-o",
            "one-server.topology.yml",
        ],
    ];
    for args in runs {
        let o = infra_lint_in(d, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("it is the input"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert_eq!(std::fs::read(&t).unwrap(), original, "{args:?} changed it");
    }
    let o = subcommand(&["graph", &t, "-o", &t]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read(&t).unwrap(), original, "graph -o changed it");
}

#[test]
fn a_baseline_is_written_only_from_a_run_that_linted_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = copy("one-server.topology.yml", dir.path());
    let bad = copy("duplicate-key.yml", dir.path());
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    let o = infra_lint(&[&good, "--write-baseline", baseline]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = std::fs::read(baseline).unwrap();
    let o = infra_lint(&[&good, &bad, "--write-baseline", baseline]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not writing the baseline"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(baseline).unwrap(),
        before,
        "the baseline was replaced"
    );
    // The run says why: the file it could not lint.
    assert!(
        stdout(&o).contains("duplicate key `name`"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn concurrent_writers_of_one_output_leave_a_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    // Outputs of different lengths: written in place, a short one over a long one
    // leaves the long one's tail.
    let long = copy("expired-and-weak.topology.yml", dir.path());
    let short = copy("duplicate-key.yml", dir.path());
    let out = dir.path().join("out.json");
    let today = TEST_TODAY.to_string();
    for round in 0..40 {
        let children: Vec<_> = [&long, &short, &long, &short]
            .iter()
            .map(|input| {
                Command::new(env!("CARGO_BIN_EXE_infra-lint"))
                    .env_remove("COLUMNS")
                    .env_remove("INFRA_LINT_OUTPUT_FORMAT")
                    .args(["--today", &today, "--format", "json", input, "-o"])
                    .arg(&out)
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            child.wait().unwrap();
        }
        let text = std::fs::read(&out).unwrap();
        let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&text);
        assert!(parsed.is_ok(), "round {round}: not one JSON document");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 3, "temporary files left: {left:?}");
}

#[test]
fn junit_stays_well_formed_with_u_fffe_and_u_ffff() {
    let o = infra_lint(&["--format", "junit", &input("fffe-key.yml")]);
    let text = stdout(&o);
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure");
    let message = failure.attribute("message").unwrap();
    assert!(
        message.contains("\\u{fffe}") && message.contains("\\u{ffff}"),
        "{message}"
    );
}

#[test]
fn distinct_findings_have_distinct_fingerprints_that_survive_moving_lines() {
    let prints = |path: &str| -> Vec<(String, String)> {
        findings(&[path])
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["fingerprint"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let path = input("expired-and-weak.topology.yml");
    let found = prints(&path);
    let tls005: Vec<_> = found.iter().filter(|(c, _)| c == "TLS005").collect();
    assert_eq!(tls005.len(), 2, "{found:?}");
    assert_ne!(
        tls005[0].1, tls005[1].1,
        "expired and weak share a fingerprint"
    );
    // A baseline of the weak one alone does not hide the expired one.
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("b.json");
    std::fs::write(
        &baseline,
        format!(
            "{{\"schema_version\": 1, \"fingerprints\": [\"{}\"]}}",
            tls005[1].1
        ),
    )
    .unwrap();
    let left = findings(&[&path, "--baseline", baseline.to_str().unwrap()]);
    assert_eq!(
        left.iter().filter(|f| f["code"] == "TLS005").count(),
        1,
        "the baseline hid both"
    );
    // Lines moved (a comment added on top, re-indented flow): the same fingerprints.
    let text = std::fs::read_to_string(&path).unwrap();
    let moved = dir.path().join("expired-and-weak.topology.yml");
    std::fs::write(&moved, format!("# moved\n\n\n{text}")).unwrap();
    let again = prints(moved.to_str().unwrap());
    let mut a: Vec<_> = found.iter().map(|(_, f)| f.clone()).collect();
    let mut b: Vec<_> = again.iter().map(|(_, f)| f.clone()).collect();
    // The file's name is part of a fingerprint: compare within each run.
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    assert_eq!(a.len(), found.len(), "two findings share a fingerprint");
    assert_eq!(b.len(), again.len());
}

#[test]
fn paths_are_normalised_without_inventing_a_root() {
    let dir = tempfile::tempdir().unwrap();
    copy("one-server.topology.yml", dir.path());
    let o = infra_lint_in(
        dir.path(),
        &["--format", "concise", ".//one-server.topology.yml"],
    );
    let text = stdout(&o);
    assert!(text.starts_with("one-server.topology.yml:25:3: "), "{text}");
    let o = infra_lint_in(
        dir.path(),
        &["--format", "sarif", ".//one-server.topology.yml"],
    );
    let text = stdout(&o);
    assert!(!text.contains("file:///one-server"), "{text}");
    assert!(text.contains("\"uri\": \"one-server.topology.yml\""));
    #[cfg(unix)]
    {
        std::fs::copy(input("duplicate-key.yml"), dir.path().join("l\\back.yml")).unwrap();
        let o = infra_lint_in(dir.path(), &["--format", "concise", "l\\back.yml"]);
        let text = stdout(&o);
        assert!(text.starts_with("l\\back.yml:4:1: "), "{text}");
    }
}

#[test]
fn columns_count_characters_in_every_format() {
    // A byte order mark takes no column.
    let f = findings(&[&input("bom.yml")]);
    assert_eq!(f[0]["start"]["line"], 1);
    assert_eq!(f[0]["start"]["column"], 10);
    // The human header counts characters on a non-ASCII line, as concise does.
    let path = input("non-ascii.yml");
    let concise = stdout(&infra_lint(&["--format", "concise", &path]));
    assert!(
        concise.contains("non-ascii.yml:3:36: error[IL002]"),
        "{concise}"
    );
    let human = stdout(&infra_lint(&["--color", "never", &path]));
    assert!(
        human.contains("  --> tests/hostile/non-ascii.yml:3:36\n"),
        "{human}"
    );
}

#[test]
fn a_duplicate_key_is_reported_at_its_second_occurrence() {
    let f = findings(&[&input("duplicate-key.yml")]);
    assert_eq!(f[0]["code"], "IL004");
    assert_eq!(
        (
            f[0]["start"]["line"].as_u64(),
            f[0]["start"]["column"].as_u64()
        ),
        (Some(4), Some(1))
    );
}

#[test]
fn control_characters_in_file_names_and_strings_cannot_forge_output() {
    // The input string: a terminal escape and a line break that would forge a line.
    let path = input("escape-key.yml");
    for format in ["human", "concise", "github"] {
        let text = stdout(&infra_lint(&[
            "--color", "never", "--format", format, &path,
        ]));
        assert!(!text.contains('\x1b'), "{format}: raw ESC");
        assert!(
            !text.lines().any(|l| l.starts_with("forged.yml")),
            "{format}: a forged line\n{text}"
        );
        assert!(text.contains("\\x1b[2J"), "{format}: {text}");
    }
    #[cfg(unix)]
    {
        // The file name: a concise line of its own after a line break.
        let dir = tempfile::tempdir().unwrap();
        let name = "a.yml:1:1: error[IL001] fine\nforged.yml";
        std::fs::copy(input("duplicate-key.yml"), dir.path().join(name)).unwrap();
        for format in ["human", "concise", "github"] {
            let o = infra_lint_in(dir.path(), &["--color", "never", "--format", format, name]);
            let text = stdout(&o);
            assert!(
                !text.lines().any(|l| l.starts_with("forged.yml")),
                "{format}: a forged line\n{text}"
            );
            // GitHub's runner decodes its own percent escapes.
            let escaped = if format == "github" {
                "fine%0Aforged.yml"
            } else {
                "fine\\nforged.yml"
            };
            assert!(text.contains(escaped), "{format}: {text}");
        }
    }
}

#[test]
fn cr_only_line_endings_show_right_line_numbers_and_no_raw_cr() {
    let text = stdout(&infra_lint(&["--color", "never", &input("cr-only.yml")]));
    assert!(!text.contains('\r'), "raw CR in {text:?}");
    assert!(
        text.contains("  --> tests/hostile/cr-only.yml:5:26\n"),
        "{text}"
    );
    assert!(
        text.contains(" 5 │   a: { kind: web_server, bad: 1 }"),
        "{text}"
    );
    assert!(text.contains(" 4 │ components:"), "{text}");
}

#[test]
fn a_long_input_string_is_quoted_shortened_with_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let key = "k".repeat(100_000);
    let path = dir.path().join("long-key.yml");
    std::fs::write(
        &path,
        format!(
            "version: 1\nname: a\ncomponents:\n  a: {{ kind: web_server, instances: \"{key}\" }}\n"
        ),
    )
    .unwrap();
    let f = findings(&[path.to_str().unwrap()]);
    assert!(!f.is_empty());
    for finding in &f {
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.len() < 500,
            "{} bytes: {}…",
            message.len(),
            &message[..200]
        );
    }
    assert!(
        f.iter().any(|x| x["message"]
            .as_str()
            .unwrap()
            .contains("(100000 characters)")),
        "{f:?}"
    );
}

#[test]
fn tags_that_change_a_value_are_not_read_as_plain_text() {
    let f = findings(&[&input("float-version.yml")]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["code"], "IL002");
    assert_eq!(f[0]["start"]["line"], 2);
    let f = findings(&[&input("binary-tag.yml")]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("unsupported tag `!!binary`"),
        "{f:?}"
    );
}

#[test]
fn config_discovery_stops_at_the_repository_root_and_says_which_file_it_used() {
    let dir = tempfile::tempdir().unwrap();
    // A stray config above the repository selects nothing but graph rules.
    std::fs::write(dir.path().join("infra-lint.toml"), "select = [\"GR\"]\n").unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    copy("one-server.topology.yml", &repo);
    let o = infra_lint_in(
        &repo,
        &["--format", "concise", "-v", "one-server.topology.yml"],
    );
    assert!(
        stdout(&o).contains("warning[FW001]"),
        "the stray config applied"
    );
    assert!(
        stderr(&o).contains("configuration file: none"),
        "{}",
        stderr(&o)
    );
    std::fs::write(repo.join("infra-lint.toml"), "ignore = [\"FW\"]\n").unwrap();
    let o = infra_lint_in(&repo, &["--show-settings"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(text.contains("config file: `"), "{text}");
    assert!(text.contains("repo/infra-lint.toml`"), "{text}");
    assert!(text.contains("ignore: [FW]"), "{text}");
}
