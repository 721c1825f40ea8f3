//! Differential test: our streaming reader and `serde-saphyr` read every example and
//! every generated topology into equal models (spans aside).

use infra_lint::generate::{Shape, topology};
use infra_lint::model::Document;
use infra_lint::source::SourceFile;
use infra_lint::yaml::{Limits, from_source};

fn both(name: &str, text: &str) {
    let source = SourceFile::new(name, text.to_string());
    let (ours, errors) = from_source::<Document>(&source, Limits::default());
    assert!(errors.is_empty(), "{name}: our reader reported {errors:?}");
    let ours = ours.expect("a document");
    let theirs: Document =
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{name}: serde-saphyr failed: {e}"));
    assert!(ours == theirs, "{name}: the two readers disagree");
}

#[test]
fn examples_read_the_same() {
    let mut n = 0;
    for entry in std::fs::read_dir("examples").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            both(
                &path.display().to_string(),
                &std::fs::read_to_string(&path).unwrap(),
            );
            n += 1;
        }
    }
    assert!(n >= 4, "expected the four examples, found {n}");
}

#[test]
fn generated_topologies_read_the_same() {
    for seed in 0..40 {
        let text = topology(Shape {
            cells: 1 + (seed as usize % 13),
            seed,
            varied_style: true,
            ..Shape::default()
        });
        both(&format!("generated seed {seed}"), &text);
    }
}

#[test]
fn docs_examples_read_the_same() {
    // The format reference's complete example is a contract with users too.
    let doc = std::fs::read_to_string("docs/format.md").unwrap();
    let mut blocks = 0;
    for block in doc.split("```yaml\n").skip(1) {
        let yaml = block.split("```").next().unwrap();
        if yaml.contains("version: 1") && yaml.contains("components:") && !yaml.contains("\t") {
            let source = SourceFile::new("docs", yaml.to_string());
            let (ours, errors) = from_source::<Document>(&source, Limits::default());
            if errors.is_empty() {
                let theirs: Document = serde_saphyr::from_str(yaml).unwrap();
                assert!(ours.unwrap() == theirs, "docs block disagrees:\n{yaml}");
                blocks += 1;
            }
        }
    }
    assert!(blocks >= 1);
}

/// Everything `lint` reports for one file, rendered as JSON.
fn lint_json(name: &str, text: &str, threaded_from_bytes: usize) -> String {
    lint_json_with(name, text, threaded_from_bytes, None)
}

/// [`lint_json`] on two threads, scanning in two parts wherever the file can be cut.
fn lint_json_split(name: &str, text: &str) -> String {
    let mut options = infra_lint::lint::LintOptions {
        today: infra_lint::lint::TEST_TODAY,
        ..Default::default()
    };
    options.yaml.threaded_from_bytes = 0;
    options.yaml.split_from_bytes = 0;
    render_json(infra_lint::lint::lint_source(
        SourceFile::new(name, text.to_string()),
        &options,
    ))
}

fn lint_json_with(
    name: &str,
    text: &str,
    threaded_from_bytes: usize,
    analysis_work: Option<usize>,
) -> String {
    let mut options = infra_lint::lint::LintOptions {
        today: infra_lint::lint::TEST_TODAY,
        analysis_work,
        ..Default::default()
    };
    options.yaml.threaded_from_bytes = threaded_from_bytes;
    render_json(infra_lint::lint::lint_source(
        SourceFile::new(name, text.to_string()),
        &options,
    ))
}

fn render_json(report: infra_lint::lint::FileReport) -> String {
    let files = [report];
    let run = infra_lint::output::Run {
        files: &files,
        rules: infra_lint::rules::RULES,
        human: Default::default(),
        root: None,
        fail_on: Some(infra_lint::finding::Severity::Warning),
    };
    let mut out = Vec::new();
    infra_lint::output::write(infra_lint::output::Format::Json, &run, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn scanning_on_a_second_thread_changes_nothing() {
    // Large files are scanned on a second thread, or two when they can be cut; every
    // file, valid or broken (syntax errors, limits, aliases, non-ASCII), must give the
    // same findings every way.
    let mut files = Vec::new();
    for dir in ["examples", "examples/invalid"] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let is_yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
            // (The one file that is not UTF-8 never reaches the YAML reader.)
            if let (true, Ok(text)) = (is_yaml, std::fs::read_to_string(&path)) {
                files.push((path.display().to_string(), text));
            }
        }
    }
    files.push((
        "generated".into(),
        topology(Shape {
            cells: 40,
            seed: 7,
            varied_style: true,
            ..Shape::default()
        }),
    ));
    // A limit breached at the top of a long file: the reader stops at once, and the
    // scanner, blocked on a full channel far behind, must end rather than hang.
    let long = topology(Shape {
        cells: 300,
        seed: 3,
        varied_style: false,
        ..Shape::default()
    });
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    files.push((
        "deep then long".into(),
        long.replacen("\nname:", &format!("\nname: {deep}\nx:"), 1),
    ));
    files.push(("non-ascii".into(), "version: 1\nname: \"café\"\ncomponents:\n  wéb: { kind: web_server }\n  b: { kind: web_server, host: ü }\n".into()));
    assert!(files.len() > 30);
    let mut findings = 0;
    for (name, text) in &files {
        let direct = lint_json(name, text, usize::MAX);
        let threaded = lint_json(name, text, 0);
        assert_eq!(direct, threaded, "{name}: threaded scanning differs");
        let split = lint_json_split(name, text);
        assert_eq!(direct, split, "{name}: scanning in two parts differs");
        findings += direct.matches("\"code\"").count();
    }
    assert!(findings >= 100, "the files should have findings to compare");
}

#[test]
fn a_syntax_error_in_the_middle_of_a_large_file_is_reported_as_a_whole_parse_reports_it() {
    // A flow list left open in the run of entries scanned apart: the split is
    // abandoned and the file read whole. (The reader once got the end of the events
    // without an error there, and spun inside the mapping it was reading.)
    let text = topology(Shape {
        cells: 200,
        seed: 9,
        varied_style: false,
        ..Shape::default()
    });
    let section = text.find("\ncomponents:\n").unwrap();
    let end = text.find("\nlinks:").unwrap();
    let at = text[section + (end - section) * 3 / 4..]
        .find("\n  ")
        .unwrap()
        + 1;
    let at = section + (end - section) * 3 / 4 + at;
    let broken = format!("{}  broken: [1, 2\n{}", &text[..at], &text[at..]);
    let whole = lint_json("broken", &broken, usize::MAX);
    assert!(
        whole.contains("invalid YAML"),
        "{}",
        &whole[..whole.len().min(2000)]
    );
    assert_eq!(lint_json_split("broken", &broken), whole);
}

#[test]
fn an_analysis_past_its_work_limit_is_reported_alike_on_two_threads() {
    // On two threads the analysis runs beside the other rules; when it gives up, the
    // file must still get IL001 alone, as on one thread.
    let text = std::fs::read_to_string("examples/02-distributed.topology.yml").unwrap();
    // A bound of as many set elements as the file has components and hosts: the reader
    // lets it through (it refuses only a file with more), the analysis does not.
    let options = infra_lint::lint::LintOptions {
        today: infra_lint::lint::TEST_TODAY,
        ..Default::default()
    };
    let model = infra_lint::lint::load_model(&SourceFile::new("02", text.clone()), &options)
        .expect("a valid example");
    let elements = model.components.len() + model.hosts.len();
    let direct = lint_json_with("02", &text, usize::MAX, Some(elements));
    let threaded = lint_json_with("02", &text, 0, Some(elements));
    assert_eq!(direct, threaded);
    assert!(
        direct.contains("\"IL001\"")
            && direct.contains("the availability analysis of this topology would exceed"),
        "{direct}"
    );
    assert_eq!(
        direct.matches("\"code\"").count(),
        1,
        "IL001 alone: {direct}"
    );
}
