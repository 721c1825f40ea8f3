//! The machine and report formats, through the library: SARIF checked by the official
//! schema, JUnit by an XML parser, GitLab and GitHub by their documented shapes, the
//! markdown report and diagrams by what a reader sees, and every format against a
//! topology (and file name) built to break out of it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use infra_lint::finding::Finding;
use infra_lint::lint::{FileReport, LintOptions};
use infra_lint::output::{self, Format, HumanOptions, Run, diagram, github};

fn options() -> LintOptions {
    LintOptions {
        outline: true,
        today: infra_lint::lint::TEST_TODAY,
        ..Default::default()
    }
}

fn lint(paths: &[PathBuf]) -> Vec<FileReport> {
    infra_lint::check(paths, &options())
}

fn examples() -> Vec<FileReport> {
    lint(&[PathBuf::from("examples")])
}

fn render(format: Format, files: &[FileReport]) -> String {
    let run = Run {
        files,
        rules: infra_lint::rules::RULES,
        human: HumanOptions::default(),
        root: None,
        fail_on: Some(infra_lint::finding::Severity::Warning),
    };
    let mut buf = Vec::new();
    output::write(format, &run, &mut buf).expect("write");
    String::from_utf8(buf).expect("utf-8 output")
}

fn open(files: &[FileReport]) -> impl Iterator<Item = (&FileReport, &Finding)> {
    files
        .iter()
        .flat_map(|file| file.findings.iter().map(move |f| (file, f)))
        .filter(|(_, f)| f.suppressed.is_none())
}

/// The open findings in the order the markdown report lists them: per file, errors
/// first, then by category, then in file order.
fn report_order(files: &[FileReport]) -> Vec<(&FileReport, &Finding)> {
    files
        .iter()
        .flat_map(|file| {
            let mut findings: Vec<_> = open(std::slice::from_ref(file)).collect();
            findings.sort_by_key(|(_, f)| (std::cmp::Reverse(f.severity), f.rule.category));
            findings
        })
        .collect()
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, text);
    });
}

/// Writes `text` as `name` in a fresh temporary folder and lints that one file.
fn lint_text(name: &str, text: &str) -> (tempfile::TempDir, Vec<FileReport>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write topology");
    let files = lint(&[path]);
    (dir, files)
}

// --- SARIF ---------------------------------------------------------------------------

fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    // The schema declares draft 4; its references are all local, so nothing is fetched.
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(text: &str) -> serde_json::Value {
    let log: serde_json::Value = serde_json::from_str(text).expect("SARIF is JSON");
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
    log
}

#[test]
fn sarif_of_the_examples_is_valid_and_has_what_code_scanning_needs() {
    let files = examples();
    let log = assert_valid_sarif(&render(Format::Sarif, &files));
    assert_eq!(log["version"], "2.1.0");
    assert!(
        log["$schema"]
            .as_str()
            .unwrap()
            .ends_with("sarif-schema-2.1.0.json")
    );
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "infra-lint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );

    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), infra_lint::rules::RULES.len());
    for (descriptor, rule) in rules.iter().zip(infra_lint::rules::RULES) {
        assert_eq!(descriptor["id"], rule.code);
        assert_eq!(descriptor["name"], rule.name);
        assert_eq!(descriptor["shortDescription"]["text"], rule.summary());
        assert!(!descriptor["help"]["text"].as_str().unwrap().is_empty());
        assert!(!descriptor["help"]["markdown"].as_str().unwrap().is_empty());
        let help_uri = descriptor["helpUri"].as_str().unwrap();
        assert!(help_uri.ends_with(&format!("/rules/{}.md", rule.code)));
        let level = &descriptor["defaultConfiguration"]["level"];
        assert!(["error", "warning", "note"].contains(&level.as_str().unwrap()));
    }

    let results = runs[0]["results"].as_array().unwrap();
    let findings: Vec<(&FileReport, &Finding)> = files
        .iter()
        .flat_map(|file| file.findings.iter().map(move |f| (file, f)))
        .collect();
    assert_eq!(results.len(), findings.len());
    let mut fingerprints = BTreeSet::new();
    for (r, (file, f)) in results.iter().zip(&findings) {
        assert_eq!(r["ruleId"], f.rule.code);
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], f.rule.code,
            "ruleIndex points at its rule"
        );
        assert_eq!(r["level"], sarif_level(f));
        assert_eq!(r["message"]["text"], f.message.as_str());
        let physical = &r["locations"][0]["physicalLocation"];
        // Relative to the working folder, forward slashes: what code scanning resolves.
        assert_eq!(
            physical["artifactLocation"]["uri"],
            file.source.path.as_str()
        );
        let start = file.source.line_col(f.span.start as usize);
        assert_eq!(physical["region"]["startLine"], start.line as u64);
        assert_eq!(physical["region"]["startColumn"], start.column as u64);
        assert!(physical["region"]["endLine"].as_u64().unwrap() >= start.line as u64);
        let fingerprint = r["partialFingerprints"]["infraLint/v2"].as_str().unwrap();
        assert!(
            fingerprints.insert(fingerprint.to_string()),
            "fingerprints are distinct"
        );
        assert_eq!(
            r["relatedLocations"].as_array().map_or(0, Vec::len),
            f.related.len()
        );
        match &f.fix {
            Some(fix) if !fix.edits.is_empty() => {
                assert_eq!(r["fixes"][0]["description"]["text"], &*fix.description);
                let change = &r["fixes"][0]["artifactChanges"][0];
                let replacements = change["replacements"].as_array().unwrap();
                assert_eq!(replacements.len(), fix.edits.len());
                let text = &file.source.text;
                for (replacement, edit) in replacements.iter().zip(&fix.edits) {
                    assert_eq!(
                        replacement["insertedContent"]["text"],
                        edit.content.as_str()
                    );
                    // Offsets in code points (the run's columnKind), counted here.
                    let deleted = &replacement["deletedRegion"];
                    assert_eq!(
                        deleted["charOffset"],
                        text[..edit.start].chars().count() as u64
                    );
                    assert_eq!(
                        deleted["charLength"],
                        text[edit.start..edit.end].chars().count() as u64
                    );
                }
            }
            // A fix no edit can say is no SARIF fix.
            _ => assert!(r.get("fixes").is_none(), "{r}"),
        }
    }
}

fn sarif_level(f: &Finding) -> &'static str {
    match f.severity {
        infra_lint::finding::Severity::Error => "error",
        infra_lint::finding::Severity::Warning => "warning",
        infra_lint::finding::Severity::Info => "note",
    }
}

#[test]
fn sarif_of_invalid_and_unreadable_files_is_valid() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir("examples/invalid")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths.push(PathBuf::from("examples/no-such-file.topology.yml"));
    let files = lint(&paths);
    let log = assert_valid_sarif(&render(Format::Sarif, &files));
    let results = log["runs"][0]["results"].as_array().unwrap();
    let missing = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "examples/no-such-file.topology.yml"
        })
        .expect("the unreadable file has a result");
    assert_eq!(missing["ruleId"], "IL001");
    assert_eq!(
        missing["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
}

// --- JUnit, GitLab, GitHub -----------------------------------------------------------

#[test]
fn junit_fails_as_the_exit_code_does_and_names_cases_uniquely() {
    let files = examples();
    let xml = render(Format::Junit, &files);
    let doc = roxmltree::Document::parse(&xml).expect("JUnit is XML");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), files.len());
    // Jenkins' JUnit schema allows `skipped` on a testsuite, not on the root.
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("skipped"), None);
    assert!(suites.iter().all(|s| s.attribute("skipped").is_some()));
    for (suite, file) in suites.iter().zip(&files) {
        assert_eq!(suite.attribute("name"), Some(file.source.path.as_str()));
        let failures: Vec<_> = suite
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .collect();
        // At or above --fail-on (warning here) a failure; an info a passing case
        // that carries its text, so a run that exits 0 shows no failed test.
        let expected: Vec<&Finding> = open(std::slice::from_ref(file))
            .map(|(_, f)| f)
            .filter(|f| f.severity >= infra_lint::finding::Severity::Warning)
            .collect();
        assert_eq!(failures.len(), expected.len());
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let names: std::collections::BTreeSet<&str> =
            cases.iter().filter_map(|c| c.attribute("name")).collect();
        assert_eq!(
            names.len(),
            cases.len(),
            "testcase names are unique in a suite"
        );
        for info in open(std::slice::from_ref(file))
            .map(|(_, f)| f)
            .filter(|f| f.severity == infra_lint::finding::Severity::Info)
        {
            let case = cases
                .iter()
                .find(|c| {
                    c.descendants().any(|n| {
                        n.has_tag_name("system-out")
                            && n.text().is_some_and(|t| t.contains(info.message.as_str()))
                    })
                })
                .unwrap_or_else(|| panic!("a passing case for {}", info.message));
            assert!(!case.descendants().any(|n| n.has_tag_name("failure")));
        }
        for (failure, f) in failures.iter().zip(expected) {
            assert_eq!(failure.attribute("type"), Some(f.rule.code));
            assert_eq!(failure.attribute("message"), Some(f.message.as_str()));
            let text = failure.text().unwrap_or_default();
            let at = file.source.line_col(f.span.start as usize);
            assert!(text.contains(&format!("{}:{}:{}", file.source.path, at.line, at.column)));
            let case = failure.parent().unwrap();
            assert_eq!(case.attribute("classname"), Some(file.source.path.as_str()));
            assert!(case.attribute("name").unwrap().starts_with(f.rule.code));
        }
    }
}

/// A clean design: every link encrypted, every component redundant, watched and
/// behind a firewall.
const CLEAN: &str = "version: 1
name: clean
components:
  users: { kind: client }
  web: { kind: web_server, instances: 2, firewall: { allow: [{ port: 443, from: internet }] }, monitoring: { agent: a } }
  mon: { kind: monitoring, monitors: [web], alerts_to: [pager], monitoring: { agent: a } }
links:
  - { from: users, to: web, protocol: https, port: 443 }
";

#[test]
fn junit_passes_a_clean_file() {
    let (_dir, files) = lint_text("clean.topology.yml", CLEAN);
    assert!(files[0].findings.is_empty(), "{:?}", files[0].findings);
    let xml = render(Format::Junit, &files);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].attribute("name"), Some("valid topology"));
    assert!(!cases[0].children().any(|n| n.is_element()));
}

#[test]
fn gitlab_is_a_code_quality_array() {
    let files = examples();
    let v: serde_json::Value = serde_json::from_str(&render(Format::Gitlab, &files)).unwrap();
    let issues = v.as_array().expect("a JSON array");
    let expected: Vec<_> = open(&files).collect();
    assert_eq!(issues.len(), expected.len());
    for (issue, (file, f)) in issues.iter().zip(expected) {
        assert_eq!(issue["description"], f.message.as_str());
        assert_eq!(issue["check_name"], f.rule.code);
        assert_eq!(issue["fingerprint"], f.fingerprint(&file.source).as_str());
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap())
        );
        assert_eq!(issue["location"]["path"], file.source.path.as_str());
        let begin = issue["location"]["lines"]["begin"].as_u64().unwrap();
        assert_eq!(
            begin,
            file.source.line_col(f.span.start as usize).line as u64
        );
    }
    let severities: BTreeSet<&str> = issues
        .iter()
        .map(|i| i["severity"].as_str().unwrap())
        .collect();
    assert_eq!(
        severities,
        BTreeSet::from(["info", "minor", "major"]),
        "the examples hold infos, warnings and errors"
    );
}

#[test]
fn github_escaping_follows_the_workflow_command_rules() {
    assert_eq!(
        github::escape_data("100% done\r\nnext"),
        "100%25 done%0D%0Anext"
    );
    assert_eq!(github::escape_data("a::b,c"), "a::b,c");
    assert_eq!(github::escape_property("a::b,c%"), "a%3A%3Ab%2Cc%25");
    assert_eq!(github::escape_property("x\ny"), "x%0Ay");
    // A literal `%0A` in the input stays literal text, not a line break.
    assert_eq!(github::escape_data("%0A"), "%250A");
}

/// Reverses GitHub's escaping of a property value or message.
fn unescape_github(text: &str) -> String {
    text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// A workflow command line split into its command, properties and message, checking
/// that the properties hold nothing that ends them early.
fn parse_github(line: &str) -> (String, Vec<(String, String)>, String) {
    let rest = line.strip_prefix("::").expect("starts with ::");
    let (head, message) = rest.split_once("::").expect("properties end with ::");
    let (command, props) = head.split_once(' ').expect("a command and properties");
    let props = props
        .split(',')
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            assert!(
                !v.contains(':') && !v.contains('\n'),
                "unescaped value {v:?}"
            );
            (k.to_string(), unescape_github(v))
        })
        .collect();
    (command.to_string(), props, unescape_github(message))
}

#[test]
fn github_has_a_command_per_finding() {
    let files = examples();
    let text = render(Format::Github, &files);
    let expected: Vec<_> = open(&files).collect();
    // A command per finding, then the summary, so a failed step's log says why.
    assert_eq!(text.lines().count(), expected.len() + 1);
    assert!(
        text.lines().last().unwrap().starts_with(&format!(
            "infra-lint: {} errors",
            expected
                .iter()
                .filter(|(_, f)| f.severity == infra_lint::finding::Severity::Error)
                .count()
        )),
        "{text}"
    );
    for (line, (file, f)) in text.lines().zip(expected) {
        let (command, props, message) = parse_github(line);
        let want = match f.severity {
            infra_lint::finding::Severity::Error => "error",
            infra_lint::finding::Severity::Warning => "warning",
            infra_lint::finding::Severity::Info => "notice",
        };
        assert_eq!(command, want);
        let keys: Vec<&str> = props.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["file", "line", "col", "endLine", "endColumn", "title"]
        );
        assert_eq!(props[0].1, file.source.path);
        let at = file.source.line_col(f.span.start as usize);
        assert_eq!(props[1].1, at.line.to_string());
        assert_eq!(props[2].1, at.column.to_string());
        assert_eq!(props[5].1, format!("{} ({})", f.rule.code, f.rule.name));
        assert!(message.starts_with(&f.message));
    }
}

// --- Markdown and diagrams -----------------------------------------------------------

/// A markdown text split into what is outside fenced code blocks and the blocks
/// themselves (info string, content), read as CommonMark reads backtick fences.
struct Markdown {
    outside: Vec<String>,
    blocks: Vec<(String, String)>,
}

fn parse_markdown(text: &str) -> Markdown {
    let mut md = Markdown {
        outside: Vec::new(),
        blocks: Vec::new(),
    };
    let mut fence: Option<(usize, String, String)> = None;
    for line in text.lines() {
        let ticks = line.chars().take_while(|&c| c == '`').count();
        match &mut fence {
            Some((len, info, content)) => {
                if ticks >= *len && line.trim_end().chars().all(|c| c == '`') {
                    md.blocks.push((info.clone(), content.clone()));
                    fence = None;
                } else {
                    content.push_str(line);
                    content.push('\n');
                }
            }
            None if ticks >= 3 => {
                let info = line[ticks..].to_string();
                assert!(
                    !info.contains('`'),
                    "a backtick fence's info has no backtick"
                );
                fence = Some((ticks, info, String::new()));
            }
            None => md.outside.push(line.to_string()),
        }
    }
    assert!(fence.is_none(), "every fenced block is closed");
    md
}

/// The cells of a table row, splitting at pipes that are not backslash-escaped.
fn cells(row: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '|' => n += 1,
            _ => {}
        }
    }
    n
}

/// The characters of a markdown line that are not backslash-escaped.
fn unescaped(line: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in line.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c => out.push(c),
        }
    }
    out
}

/// The text of a line that is the report's own `<details><summary>TEXT</summary>`, or
/// "" for its `</details>`: the only HTML a report writes.
fn folding_tag(line: &str) -> Option<&str> {
    if line == "</details>" {
        return Some("");
    }
    line.strip_prefix("<details><summary>")?
        .strip_suffix("</summary>")
        .filter(|text| !text.contains('<'))
}

/// Checks what any report must hold whatever its input: tables keep their columns, no
/// HTML outside code blocks but the report's own folding tags (balanced), code spans
/// and links only where the report makes them.
fn assert_markdown_is_contained(md: &Markdown) {
    let mut table_cells = None;
    let mut open_details = 0;
    for line in &md.outside {
        if line.starts_with('|') {
            let n = cells(line);
            let expected = *table_cells.get_or_insert(n);
            assert_eq!(n, expected, "table row changed its columns: {line}");
        } else {
            table_cells = None;
        }
        match folding_tag(line) {
            Some("") => {
                open_details -= 1;
                assert!(open_details >= 0, "</details> without <details>");
                continue;
            }
            Some(_) => {
                assert_eq!(open_details, 0, "<details> inside <details>");
                open_details += 1;
                continue;
            }
            None => assert!(!line.contains('<'), "raw `<` outside code blocks: {line}"),
        }
        assert!(
            !line.contains("-&gt;"),
            "an escaped arrow shows as -&gt;: {line}"
        );
        let plain = unescaped(line);
        assert_eq!(
            plain.matches('`').count() % 2,
            0,
            "unbalanced code span: {line}"
        );
        // Every unescaped `[` is a link the report makes to a rule page.
        for (i, _) in plain.match_indices('[') {
            let rest = &plain[i..];
            assert!(
                rest.contains("](https://github.com/infra-lint/infra-lint/blob/main/rules/"),
                "a link not made by the report: {line}"
            );
        }
        if line.starts_with('#') {
            let level = line.chars().take_while(|&c| c == '#').count();
            assert!(level <= 4 && line[level..].starts_with(' '), "{line}");
        }
    }
    assert_eq!(open_details, 0, "every <details> is closed");
}

/// One line of a Mermaid flowchart as the diagram writes it: every node and subgraph a
/// generated id, every text a quoted label without quotes inside.
fn assert_mermaid_statement(line: &str) {
    let line = line.trim();
    let generated = |s: &str, prefix: char| {
        s.strip_prefix(prefix)
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    };
    let quoted_label = |s: &str| {
        // `"text"` with no quote, bracket, brace, pipe, backtick or angle bracket inside.
        s.len() >= 2
            && s.starts_with('"')
            && s.ends_with('"')
            && !s[1..s.len() - 1].contains(|c| "\"[]{}|<>`".contains(c))
    };
    const CLASSES: [&str; 5] = ["spof", "error", "nofirewall", "warning", "info"];
    if ["flowchart LR", "end", "---", "subgraph legend[\"legend\"]"].contains(&line)
        || line.starts_with("%% ")
    {
        return;
    }
    if let Some(title) = line.strip_prefix("title: ") {
        // A YAML double-quoted string with nothing YAML or HTML would read inside.
        assert!(
            quoted_label(title) && !title[1..title.len() - 1].contains(['\\', '#', '&']),
            "{line}"
        );
        return;
    }
    if let Some(rest) = line.strip_prefix("classDef ") {
        let (name, _) = rest.split_once(' ').unwrap();
        assert!(CLASSES.contains(&name), "{line}");
        return;
    }
    if let Some(rest) = line.strip_prefix("class ") {
        let (ids, name) = rest.split_once(' ').unwrap();
        assert!(CLASSES.contains(&name), "{line}");
        for id in ids.split(',') {
            assert!(
                generated(id, 'n') || generated(id, 'h') || generated(id, 'l'),
                "{line}"
            );
        }
        return;
    }
    if let Some(rest) = line.strip_prefix("linkStyle ") {
        let (indices, _) = rest.split_once(' ').unwrap();
        assert!(
            indices
                .split(',')
                .all(|i| i.chars().all(|c| c.is_ascii_digit())),
            "{line}"
        );
        return;
    }
    if let Some(rest) = line.strip_prefix("subgraph ") {
        let (id, label) = rest.split_once('[').unwrap();
        assert!(generated(id, 'h'), "{line}");
        assert!(quoted_label(label.strip_suffix(']').unwrap()), "{line}");
        return;
    }
    // An edge: `nA arrow|"label"| nB`.
    if let Some((from, rest)) = line.split_once(' ')
        && let Some((link, to)) = rest.rsplit_once(' ')
        && link.contains('|')
    {
        assert!(generated(from, 'n') && generated(to, 'n'), "{line}");
        let (arrow, label) = link.split_once('|').unwrap();
        assert!(["-->", "==>", "-.->"].contains(&arrow), "{line}");
        assert!(quoted_label(label.strip_suffix('|').unwrap()), "{line}");
        return;
    }
    // A node: `nA` and a quoted label in one of the shapes.
    let digits = line[1..].chars().take_while(|c| c.is_ascii_digit()).count();
    let (id, shape) = line.split_at(1 + digits);
    assert!(
        generated(id, 'n') || generated(id, 'l'),
        "not a statement the diagram writes: {line}"
    );
    let label = [("[", "]"), ("([", "])"), ("[(", ")]"), ("{{", "}}")]
        .iter()
        .find_map(|(open, close)| {
            shape
                .strip_prefix(open)
                .and_then(|s| s.strip_suffix(close))
                .filter(|s| s.starts_with('"'))
        })
        .unwrap_or_else(|| panic!("unknown node shape: {line}"));
    assert!(quoted_label(label), "{line}");
}

/// A DOT text with its quoted strings taken out (checking each is closed and on one
/// line), so what is left is only the syntax the diagram writes.
fn dot_without_strings(dot: &str) -> String {
    let mut out = String::new();
    let mut chars = dot.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        out.push_str("\"\"");
        loop {
            match chars.next().expect("a closed string") {
                '\\' => {
                    chars.next().expect("an escaped character");
                }
                '"' => break,
                '\n' | '\r' => panic!("a line break inside a DOT string"),
                _ => {}
            }
        }
    }
    out
}

fn example_02() -> Vec<FileReport> {
    lint(&[PathBuf::from("examples/02-distributed.topology.yml")])
}

#[test]
fn markdown_report_of_an_example() {
    let files = example_02();
    let text = render(Format::Markdown, &files);
    let md = parse_markdown(&text);
    assert_markdown_is_contained(&md);
    assert!(text.starts_with("# infra-lint report: examples/02-distributed.topology.yml\n"));
    // The summary: one row per severity, and the categories the findings fall in.
    let summary = infra_lint::output::Summary::of(&files);
    assert!(text.contains(&format!("| error | {} |", summary.error)));
    assert!(text.contains(&format!("| warning | {} |", summary.warning)));
    assert!(text.contains("| availability |") && text.contains("| tls |"));
    // A diagram, then each finding with where, why and how to fix it.
    let mermaid: Vec<_> = md.blocks.iter().filter(|(i, _)| i == "mermaid").collect();
    assert_eq!(mermaid.len(), 1);
    mermaid[0].1.lines().for_each(assert_mermaid_statement);
    let fixes: Vec<&str> = report_order(&files)
        .into_iter()
        .filter_map(|(_, f)| f.fix.as_ref().map(|x| x.yaml.as_str()))
        .filter(|yaml| !yaml.is_empty())
        .collect();
    let yaml: Vec<&str> = md
        .blocks
        .iter()
        .filter(|(i, _)| i == "yaml")
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(yaml, fixes, "each suggested fix, verbatim, in order");
    for (file, f) in open(&files) {
        let at = file.source.line_col(f.span.start as usize);
        assert!(text.contains(&format!(
            "**Location:** {}:{}:{}",
            file.source.path, at.line, at.column
        )));
        assert!(text.contains(&format!("rules/{}.md", f.rule.code)));
    }
    snapshot("format__markdown", &text);
}

/// The lines of the report's section that starts with `heading`, up to the next `## `.
fn section<'a>(text: &'a str, heading: &str) -> Vec<&'a str> {
    text.lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_report_opens_with_the_top_risks_one_sentence_each() {
    let files = example_02();
    let text = render(Format::Markdown, &files);
    assert!(text.find("## Top risks").unwrap() < text.find("## Summary").unwrap());
    // Every error, then every single point of failure, one numbered line each.
    let risks = section(&text, "## Top risks");
    assert_eq!(
        risks,
        [
            "1. **error** `TLS001` at examples/02-distributed.topology.yml:83:5: `users` reaches `lb-1` from the public zone `internet` over plaintext http.",
            "2. **single point of failure** `SPOF001` at examples/02-distributed.topology.yml:35:3: `lb-1` is a single point of failure: if it fails, `users` can no longer be served (users → lb-1).",
            "3. **single point of failure** `SPOF003` at examples/02-distributed.topology.yml:68:3: `db-primary` is the only place its writes can go: if it fails, `users` can no longer be served (users → lb-1 → web-1 → app-1 → db-primary).",
        ]
    );
    for risk in &risks {
        assert_eq!(risk.matches(". ").count(), 1, "one sentence: {risk}");
    }

    // A design with neither says so.
    let starter = infra_lint::init::starter(infra_lint::lint::TEST_TODAY);
    let (_dir, clean) = lint_text("topology.yml", &starter);
    assert!(clean[0].valid && open(&clean).next().is_none());
    let text = render(Format::Markdown, &clean);
    assert_eq!(
        section(&text, "## Top risks"),
        ["No errors and no single point of failure."]
    );
}

#[test]
fn a_long_list_of_top_risks_stops_at_twenty_and_says_how_many_more() {
    let mut yaml =
        String::from("version: 1\nname: many\ncomponents:\n  web: { kind: web_server }\n");
    let mut links = String::from("links:\n");
    for i in 0..23 {
        yaml.push_str(&format!("  user-{i:02}: {{ kind: client }}\n"));
        links.push_str(&format!(
            "  - {{ from: user-{i:02}, to: web, protocol: http, port: 80 }}\n"
        ));
    }
    let (_dir, files) = lint_text("many.topology.yml", &(yaml + &links));
    let risks = open(&files)
        .filter(|(_, f)| {
            f.severity == infra_lint::finding::Severity::Error || f.rule.code.starts_with("SPOF")
        })
        .count();
    assert!(risks > 20, "{risks}");
    let text = render(Format::Markdown, &files);
    let listed = section(&text, "## Top risks");
    assert_eq!(listed.len(), 21);
    assert!(
        listed[19].starts_with("20. **error** `TLS001`"),
        "{}",
        listed[19]
    );
    assert_eq!(
        listed[20],
        format!("{} more, listed with the findings below.", risks - 20)
    );
}

#[test]
fn findings_go_by_severity_then_category_with_the_fixes_folded() {
    let files = example_02();
    let text = render(Format::Markdown, &files);
    let body = text.split("### Diagram").nth(1).unwrap();
    // (severity heading, category) of each finding in the order the report shows them.
    let mut severity = "";
    let mut order = Vec::new();
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("### ") {
            severity = rest.split(' ').next().unwrap();
        } else if let Some(rest) = line.strip_prefix("#### ") {
            order.push((severity, rest.split(':').next().unwrap()));
        }
    }
    assert_eq!(order.len(), open(&files).count());
    let rank = |s: &str| ["Errors", "Warnings", "Info"].iter().position(|x| *x == s);
    let category = |c: &str| {
        [
            "input",
            "availability",
            "tls",
            "firewall",
            "monitoring",
            "database",
            "durability",
            "graph",
            "suppression",
        ]
        .iter()
        .position(|x| *x == c)
    };
    let keys: Vec<_> = order
        .iter()
        .map(|(s, c)| (rank(s).unwrap(), category(c).unwrap()))
        .collect();
    assert!(
        keys.is_sorted(),
        "errors first, then by category: {order:?}"
    );
    assert_eq!(order[0], ("Errors", "tls"));
    assert_eq!(order.last(), Some(&("Info", "database")));
    assert!(body.contains("### Errors (1)\n") && body.contains("### Warnings (12)\n"));

    // Each finding shows where and what, and folds why and how to fix it.
    let md = parse_markdown(&text);
    let mut inside = false;
    let mut folded_fixes = 0;
    for line in &md.outside {
        match line.as_str() {
            "<details><summary>Explanation and fix</summary>" => inside = true,
            "</details>" => inside = false,
            l if l.starts_with("- **Location:**") || l.starts_with("- **Problem:**") => {
                assert!(!inside, "{l}")
            }
            l if l.starts_with("- **Explanation:**") || l.starts_with("- **Help:**") => {
                assert!(inside, "{l}")
            }
            l if l.starts_with("**Suggested fix:**") => {
                assert!(inside, "{l}");
                folded_fixes += 1;
            }
            _ => {}
        }
    }
    assert_eq!(
        folded_fixes,
        open(&files).filter(|(_, f)| f.fix.is_some()).count()
    );
    // The fix's YAML sits in the fold: between the summary and the closing tag.
    let spof = text.split("#### availability: `SPOF001`").nth(1).unwrap();
    let fold = spof.split("</details>").next().unwrap();
    assert!(fold.contains("<details><summary>Explanation and fix</summary>"));
    assert!(fold.contains("```yaml\nhosts:\n  lb-host-2: {}\n"));
}

#[test]
fn the_report_shows_arrows_not_escaped_html() {
    let files = example_02();
    let text = render(Format::Markdown, &files);
    assert!(!text.contains("-&gt;"));
    assert!(text.contains("(users → lb-1 → web-1 → app-1 → db-primary)"));
}

#[test]
fn mermaid_marks_what_findings_are_about() {
    let files = example_02();
    let file = &files[0];
    let outline = file.outline.as_ref().unwrap();
    let text = diagram::mermaid(file);
    text.lines().for_each(assert_mermaid_statement);
    let node = |id: &str| {
        format!(
            "n{}",
            outline.nodes.iter().position(|n| n.id == id).unwrap()
        )
    };
    // lb-1 and db-primary are single points of failure (SPOF001, SPOF003); the hosts
    // lack a firewall (FW001) and a monitoring agent (MON001) and nothing worse;
    // db-replica's replication is plaintext (TLS006, warning); users -> lb-1 is
    // plaintext from the internet (error); web-1 has no finding of its own.
    let classes: Vec<&str> = text
        .lines()
        .filter(|l| l.trim().starts_with("class "))
        .collect();
    let class_of = |n: &str| {
        classes
            .iter()
            .find(|l| l.split(' ').nth(3).unwrap().split(',').any(|x| x == n))
            .map(|l| l.rsplit(' ').next().unwrap())
    };
    assert_eq!(class_of(&node("lb-1")), Some("spof"));
    assert_eq!(class_of(&node("db-primary")), Some("spof"));
    assert_eq!(class_of("h0"), Some("nofirewall"), "lb-host");
    assert_eq!(class_of(&node("db-replica")), Some("warning"));
    assert_eq!(class_of(&node("web-1")), None);
    // The classes look different: a single point of failure is not the amber of a
    // host without a firewall.
    let class_def = |name: &str| {
        text.lines()
            .find(|l| l.trim().starts_with(&format!("classDef {name} ")))
            .unwrap()
            .trim()
            .splitn(3, ' ')
            .nth(2)
            .unwrap()
            .to_string()
    };
    let defs: BTreeSet<String> = ["spof", "error", "nofirewall", "warning", "info"]
        .iter()
        .map(|c| class_def(c))
        .collect();
    assert_eq!(defs.len(), 5, "five distinct styles");
    assert!(class_def("nofirewall").contains("stroke-dasharray"));
    // The legend names each mark used, drawn with its class, and the kinds of line.
    let legend = text
        .split("subgraph legend[\"legend\"]\n")
        .nth(1)
        .and_then(|rest| rest.split("  end\n").next())
        .expect("a legend");
    for (meaning, class) in [
        ("single point of failure", "spof"),
        ("error", "error"),
        ("no firewall", "nofirewall"),
        ("warning", "warning"),
        ("info", "info"),
    ] {
        let entry = legend
            .lines()
            .find(|l| l.ends_with(&format!("[\"{meaning}\"]")))
            .unwrap_or_else(|| panic!("legend entry {meaning}"));
        let id = entry.trim().split('[').next().unwrap();
        assert_eq!(class_of(id), Some(class), "{entry}");
    }
    assert!(legend.contains("dashed: replication"));
    // Declared and target links, then the replication stream db-primary -> db-replica,
    // dashed and coloured as its TLS006 warning.
    let edges: Vec<&str> = text.lines().filter(|l| l.contains('|')).collect();
    assert_eq!(
        edges.len(),
        outline.edges.len() + outline.replications.len()
    );
    assert_eq!(outline.replications.len(), 1);
    let replication = format!(
        "  {} -.->|\"replication, async, plaintext\"| {}",
        node("db-primary"),
        node("db-replica")
    );
    assert_eq!(edges[outline.edges.len()], replication);
    let dashed = text
        .lines()
        .find(|l| l.trim().starts_with("linkStyle ") && l.contains("stroke-dasharray"))
        .expect("replication is dashed");
    assert_eq!(
        dashed.split(' ').nth(3).unwrap(),
        outline.edges.len().to_string()
    );
    assert!(dashed.contains("#b26a00"), "{dashed}");
    let users_lb = outline
        .edges
        .iter()
        .position(|e| outline.nodes[e.from].id == "users" && outline.nodes[e.to].id == "lb-1")
        .unwrap();
    let styled = text
        .lines()
        .find(|l| l.trim().starts_with("linkStyle ") && l.contains("#c62828"))
        .expect("error links are styled");
    assert!(
        styled
            .split(' ')
            .nth(3)
            .unwrap()
            .split(',')
            .any(|i| i == users_lb.to_string())
    );
    // Load balancer targets are implied links, drawn dotted (like replication, which
    // its link style dashes).
    let dotted = text.lines().filter(|l| l.contains("-.->")).count();
    assert_eq!(
        dotted,
        outline.edges.iter().filter(|e| e.implied).count() + outline.replications.len()
    );
    assert!(text.contains("\"http, plaintext\""));
    // The title names the topology and its file.
    assert!(text.starts_with(
        "---\ntitle: \"foobar-distributed (examples/02-distributed.topology.yml)\"\n---\nflowchart LR\n"
    ));
}

#[test]
fn dot_draws_the_outline_with_quoted_ids() {
    let files = example_02();
    let file = &files[0];
    let outline = file.outline.as_ref().unwrap();
    let text = diagram::dot(file);
    let syntax = dot_without_strings(&text);
    assert_eq!(syntax.matches('{').count(), syntax.matches('}').count());
    let edges: Vec<&str> = text.lines().filter(|l| l.contains("\" -> \"")).collect();
    assert_eq!(
        edges.len(),
        outline.edges.len() + outline.replications.len(),
        "one edge statement per link and per replication stream"
    );
    assert_eq!(syntax.matches("->").count(), edges.len());
    let with = |attr: &str| edges.iter().filter(|l| l.contains(attr)).count();
    assert_eq!(
        with("style=dotted"),
        outline.edges.iter().filter(|e| e.implied).count()
    );
    assert_eq!(with("style=dashed"), 1);
    assert!(edges[outline.edges.len()].contains("label=\"replication, async, plaintext\""));
    assert!(text.contains("label=\"lb-1\\n(load_balancer)\""));
    assert!(!syntax.contains("lb-1"), "ids appear only inside quotes");
    // The same marks as Mermaid: the single point of failure thick and purple, the
    // host without a firewall dashed amber.
    let lb = text
        .lines()
        .find(|l| l.contains("label=\"lb-1\\n"))
        .unwrap();
    assert!(
        lb.contains("color=\"#7b1fa2\"") && lb.contains("penwidth=4"),
        "{lb}"
    );
    let lb_host = text.split("label=\"host lb-host\";\n").nth(1).unwrap();
    assert!(
        lb_host
            .lines()
            .next()
            .unwrap()
            .contains("color=\"#b26a00\"; penwidth=2; style=\"dashed\";")
    );
    // A legend cluster with an entry per mark used and the kinds of line.
    let legend = text
        .split("subgraph \"cluster_legend\" {")
        .nth(1)
        .expect("a legend");
    for meaning in [
        "single point of failure",
        "error",
        "no firewall",
        "warning",
        "info",
    ] {
        assert!(
            legend.contains(&format!("[label=\"{meaning}\", shape=box")),
            "{meaning}"
        );
    }
    assert!(legend.contains("dashed: replication"));
    assert!(text.contains("label=\"foobar-distributed (examples/02-distributed.topology.yml)\"];"));
}

#[test]
fn no_outline_gives_a_comment() {
    let files = lint(&[PathBuf::from("examples/invalid/missing-kind.yml")]);
    assert!(files[0].outline.is_none());
    assert!(diagram::mermaid(&files[0]).starts_with("%%"));
    assert!(diagram::dot(&files[0]).starts_with("//"));
    let text = render(Format::Markdown, &files);
    assert!(!text.contains("```mermaid"));
    assert!(text.contains("Not a valid topology"));
}

#[test]
fn sarif_of_an_example() {
    let files = example_02();
    // As a run selecting only the rules that find something here (--select), so the
    // snapshot shows the log's structure rather than every rule's page.
    let rules: Vec<&'static infra_lint::rules::Rule> = infra_lint::rules::RULES
        .iter()
        .copied()
        .filter(|r| files[0].findings.iter().any(|f| f.rule == *r))
        .collect();
    let run = Run {
        files: &files,
        rules: &rules,
        human: HumanOptions::default(),
        root: None,
        fail_on: Some(infra_lint::finding::Severity::Warning),
    };
    let mut buf = Vec::new();
    output::write(Format::Sarif, &run, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    assert_valid_sarif(&text);
    // The rule pages are reviewed where they are written (rules/): here only which.
    let mut log: serde_json::Value = serde_json::from_str(&text).unwrap();
    for rule in log["runs"][0]["tool"]["driver"]["rules"]
        .as_array_mut()
        .unwrap()
    {
        let page = format!("[rules/{}.md]", rule["id"].as_str().unwrap());
        rule["help"]["text"] = page.clone().into();
        rule["help"]["markdown"] = page.into();
    }
    log["runs"][0]["tool"]["driver"]["version"] = "[version]".into();
    log["runs"][0]["tool"]["driver"]["semanticVersion"] = "[version]".into();
    snapshot(
        "format__sarif",
        &serde_json::to_string_pretty(&log).unwrap(),
    );
}

// --- Suppressed findings -------------------------------------------------------------

const SUPPRESSED: &str = "version: 1
name: staging
components:
  users: { kind: client }
  web:
    kind: web_server
    firewall: { allow: [{ port: 443, from: internet }] }
    monitoring: { agent: a }
    suppress:
      - { rule: SPOF001, reason: \"staging runs one web server\" }
  mon: { kind: monitoring, monitors: [web], alerts_to: [pager], monitoring: { agent: a } }
links:
  - { from: users, to: web, protocol: https, port: 443 }
";

#[test]
fn suppressed_findings_are_shown_where_the_format_allows_and_never_fail() {
    let (_dir, files) = lint_text("staging.topology.yml", SUPPRESSED);
    let file = &files[0];
    assert_eq!(file.findings.len(), 1, "{:?}", file.findings);
    assert_eq!(
        file.findings[0].suppressed.as_deref(),
        Some("staging runs one web server")
    );

    let log = assert_valid_sarif(&render(Format::Sarif, &files));
    let suppression = &log["runs"][0]["results"][0]["suppressions"][0];
    assert_eq!(suppression["kind"], "inSource");
    assert_eq!(suppression["justification"], "staging runs one web server");

    let md = render(Format::Markdown, &files);
    let (_, suppressed) = md
        .split_once("### Suppressed")
        .expect("a Suppressed section");
    assert!(suppressed.contains("SPOF001") && suppressed.contains("staging runs one web server"));
    assert!(md.contains("No findings."));

    assert_eq!(
        render(Format::Github, &files),
        "infra-lint: no findings in 1 file (1 suppressed)\n"
    );
    // GitLab's Code Quality format has no field for a suppression: left out there.
    assert_eq!(render(Format::Gitlab, &files).trim(), "[]");
    let xml = render(Format::Junit, &files);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert!(!doc.descendants().any(|n| n.has_tag_name("failure")));
    let skipped = doc
        .descendants()
        .find(|n| n.has_tag_name("skipped"))
        .expect("the suppressed finding is a skipped testcase");
    assert_eq!(
        skipped.attribute("message"),
        Some("suppressed: staging runs one web server")
    );
    assert!(
        skipped
            .parent()
            .and_then(|c| c.attribute("name"))
            .is_some_and(|n| n.starts_with("SPOF001"))
    );
    assert!(
        doc.descendants()
            .any(|n| n.attribute("name") == Some("valid topology"))
    );
}

// --- Hostile input -------------------------------------------------------------------

/// A topology whose free text (name, description, software, a suppression's reason),
/// ids (Mermaid keywords) and file name try to break out of every format.
const HOSTILE: &str = r#"version: 1
name: "evil `name` | <script>alert(1)</script>\nsecond line %0A :: ] [x](http://e.example) end graph TD click style \"q\" # h"
description: "line1\r\nline2 | <b>bold</b> ``` ~~~ $x$ *a* _b_ ::error file=x::boom &amp; end"
hosts:
  end: {}
components:
  click:
    kind: client
  style:
    kind: load_balancer
    host: end
    software: "hap```roxy <script>x</script> | \"q\" %0A :: ] end"
    balancing: { targets: [graph, subgraph] }
  graph:
    kind: web_server
    software: "nginx ```` `x` <img src=x onerror=alert(1)>"
    suppress:
      - { rule: FW001, reason: "`reason` | <script>bad()</script>\n```\n# heading %0A ::x" }
  subgraph: { kind: web_server }
links:
  - { from: click, to: style, protocol: http, port: 80 }
"#;

const HOSTILE_FILE: &str = "evil `na|me` <script> %0A ::,] end\n[x]*_#.topology.yml";

fn hostile() -> (tempfile::TempDir, Vec<FileReport>) {
    let (dir, files) = lint_text(HOSTILE_FILE, HOSTILE);
    let file = &files[0];
    assert!(file.valid, "{:?}", file.findings);
    assert!(file.findings.iter().any(|f| f.suppressed.is_some()));
    assert!(
        file.findings
            .iter()
            .any(|f| f.fix.as_ref().is_some_and(|x| x.yaml.contains("<script>")))
    );
    assert!(
        file.findings
            .iter()
            .any(|f| f.help.as_ref().is_some_and(|h| h.contains("<img")))
    );
    (dir, files)
}

#[test]
fn hostile_text_cannot_break_the_markdown_report() {
    let (_dir, files) = hostile();
    let text = render(Format::Markdown, &files);
    let md = parse_markdown(&text);
    assert_markdown_is_contained(&md);
    // The title, the top risks, the summary and one section per file are the only
    // top headings.
    assert_eq!(md.outside.iter().filter(|l| l.starts_with("# ")).count(), 1);
    assert_eq!(
        md.outside.iter().filter(|l| l.starts_with("## ")).count(),
        3
    );
    // Each fix is one yaml block holding its YAML verbatim, and the one diagram.
    let fixes: Vec<&str> = report_order(&files)
        .into_iter()
        .filter_map(|(_, f)| f.fix.as_ref().map(|x| x.yaml.as_str()))
        .filter(|yaml| !yaml.is_empty())
        .collect();
    let yaml: Vec<&str> = md
        .blocks
        .iter()
        .filter(|(i, _)| i == "yaml")
        .map(|(_, c)| c.as_str())
        .collect();
    assert_eq!(yaml, fixes);
    let mermaid: Vec<_> = md.blocks.iter().filter(|(i, _)| i == "mermaid").collect();
    assert_eq!(mermaid.len(), 1);
    assert_eq!(md.blocks.len(), fixes.len() + 1, "no other block opened");
    mermaid[0].1.lines().for_each(assert_mermaid_statement);
    // The suppression's reason is listed, on one line, its text escaped.
    let reason = md
        .outside
        .iter()
        .find(|l| l.contains("**Reason:**"))
        .expect("the suppressed finding is listed");
    assert!(reason.ends_with(
        "\\`reason\\` \\| &lt;script&gt;bad()&lt;/script&gt; \\`\\`\\` \\# heading %0A ::x"
    ));
    // The name and description, escaped, in the section's first line.
    assert!(text.contains(
        "Topology **evil \\`name\\` \\| &lt;script&gt;alert(1)&lt;/script&gt; second line"
    ));
}

#[test]
fn hostile_ids_cannot_break_the_diagrams() {
    let (_dir, files) = hostile();
    let file = &files[0];
    let mermaid = diagram::mermaid(file);
    mermaid.lines().for_each(assert_mermaid_statement);
    let subgraphs = mermaid
        .lines()
        .filter(|l| l.trim().starts_with("subgraph "))
        .count();
    let ends = mermaid.lines().filter(|l| l.trim() == "end").count();
    assert_eq!(subgraphs, ends, "only the diagram's own subgraphs end");
    assert!(mermaid.contains("\"end (load_balancer)\"") || mermaid.contains("\"host end\""));

    let dot = diagram::dot(file);
    let syntax = dot_without_strings(&dot);
    for word in ["script", "onerror", "evil", "click", "style ", "end"] {
        assert!(
            !syntax.contains(word),
            "`{word}` outside a DOT string:\n{syntax}"
        );
    }
    assert_eq!(syntax.matches('{').count(), syntax.matches('}').count());
    assert!(dot.contains("label=\"evil `name` | <script>alert(1)</script> second line"));
}

#[test]
fn hostile_text_cannot_break_sarif_junit_github_or_gitlab() {
    let (_dir, files) = hostile();
    let file = &files[0];
    let path = &file.source.path;

    let log = assert_valid_sarif(&render(Format::Sarif, &files));
    let results = log["runs"][0]["results"].as_array().unwrap();
    let uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with("file:///"));
    assert!(!uri.contains(|c: char| " `|<>\n[]#".contains(c)), "{uri}");
    let with_fix = results
        .iter()
        .find(|r| r["ruleId"] == "SPOF001")
        .expect("the single load balancer");
    // The user's string goes into the fix quoted as YAML needs.
    let inserted: String = with_fix["fixes"][0]["artifactChanges"][0]["replacements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["insertedContent"]["text"].as_str().unwrap())
        .collect();
    assert!(
        inserted.contains(r#""hap```roxy <script>x</script> | \"q\" %0A :: ] end""#),
        "{inserted}"
    );

    let xml = render(Format::Junit, &files);
    let doc = roxmltree::Document::parse(&xml).expect("JUnit still parses");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    // A line break in an attribute becomes a space (as XML would read it); the rest
    // is intact.
    assert_eq!(
        suite.attribute("name"),
        Some(path.replace('\n', " ").as_str())
    );
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), open(&files).count());
    let spof = failures
        .iter()
        .find(|n| n.attribute("type") == Some("SPOF001"))
        .unwrap();
    let fix = &file
        .findings
        .iter()
        .find(|f| f.rule.code == "SPOF001")
        .unwrap()
        .fix
        .as_ref()
        .unwrap()
        .yaml;
    assert!(
        spof.text().unwrap().contains(fix.as_str()),
        "fix YAML intact"
    );

    let text = render(Format::Github, &files);
    let expected: Vec<_> = open(&files).collect();
    assert_eq!(
        text.lines().count(),
        expected.len() + 1,
        "one line per finding, then the summary"
    );
    for (line, (_, f)) in text.lines().zip(expected) {
        let (_, props, message) = parse_github(line);
        assert_eq!(props[0], ("file".to_string(), path.clone()));
        assert!(message.starts_with(&f.message));
        if let Some(help) = &f.help {
            assert!(message.ends_with(&**help), "help intact");
        }
    }

    let v: serde_json::Value = serde_json::from_str(&render(Format::Gitlab, &files)).unwrap();
    for issue in v.as_array().unwrap() {
        assert_eq!(issue["location"]["path"], path.as_str());
    }
}

#[test]
fn every_format_is_listed_for_the_command_line() {
    use clap::ValueEnum;
    let names: Vec<String> = Format::value_variants()
        .iter()
        .map(|f| f.to_possible_value().unwrap().get_name().to_string())
        .collect();
    for want in ["sarif", "junit", "github", "gitlab", "markdown"] {
        assert!(names.iter().any(|n| n == want), "{want} missing: {names:?}");
    }
}

// --- SARIF's size limit --------------------------------------------------------------

/// GitHub code scanning rejects a run of more than 25,000 results: the log keeps the
/// 25,000 most severe and says in a notification how many it left out.
#[test]
fn sarif_keeps_the_25000_most_severe_results_and_says_what_it_left_out() {
    use infra_lint::finding::Severity;
    use infra_lint::source::{SourceFile, Span};
    let text: String = (0..27_000).map(|i| format!("# line {i}\n")).collect();
    let source = SourceFile::new("big.topology.yml", text);
    let warning = infra_lint::rules::find("SPOF001").unwrap();
    let findings: Vec<Finding> = (0..27_000u32)
        .map(|i| {
            let start = source.line_start(i as usize + 1);
            let mut f = Finding::new(warning, Span::new(start, start + 1), format!("finding {i}"))
                .subject(format!("c{i}"));
            // Every tenth an error, every ninth an info.
            if i % 10 == 0 {
                f.severity = Severity::Error;
            } else if i % 9 == 0 {
                f.severity = Severity::Info;
            }
            f
        })
        .collect();
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let files = vec![FileReport {
        source,
        valid: true,
        findings,
        outline: None,
    }];
    let log = assert_valid_sarif(&render(Format::Sarif, &files));
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 25_000);
    let level = |l: &str| results.iter().filter(|r| r["level"] == l).count();
    assert_eq!(level("error"), errors, "every error kept");
    assert_eq!(level("warning"), warnings, "then every warning");
    assert_eq!(
        level("note"),
        25_000 - errors - warnings,
        "infos are left out first"
    );
    assert!(level("note") < 27_000 - errors - warnings);
    let note = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "warning");
    assert!(
        note["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("2000 of 27000 results were left out"),
        "{note}"
    );
    assert_eq!(
        log["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

/// The formats that show no fix are rendered from a run that plans none: their bytes
/// must be exactly those of a run that does, and the findings the same but for their
/// fixes.
#[test]
fn formats_without_fixes_are_the_same_from_a_run_that_plans_none() {
    let with = examples();
    let without = infra_lint::check(
        &[PathBuf::from("examples")],
        &LintOptions {
            fixes: false,
            today: infra_lint::lint::TEST_TODAY,
            ..options()
        },
    );
    assert!(open(&with).any(|(_, f)| f.fix.is_some()));
    assert!(open(&without).all(|(_, f)| f.fix.is_none()));
    let key = |f: &Finding| {
        (
            f.rule.code,
            f.span,
            f.message.clone(),
            f.severity,
            f.subjects.clone(),
        )
    };
    let a: Vec<_> = open(&with).map(|(_, f)| key(f)).collect();
    let b: Vec<_> = open(&without).map(|(_, f)| key(f)).collect();
    assert_eq!(a, b);
    for format in [Format::Concise, Format::Github, Format::Gitlab] {
        assert_eq!(
            render(format, &with),
            render(format, &without),
            "{format:?}"
        );
    }
}
