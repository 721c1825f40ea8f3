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
