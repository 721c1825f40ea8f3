//! Any bytes as a topology file: read, parse, validate, analyse, lint, and render in
//! every output format. Nothing may panic, hang or exhaust memory.
#![no_main]

use infra_lint::lint::{LintOptions, lint_source};
use infra_lint::output::{self, Format, HumanOptions, Run};
use infra_lint::source::SourceFile;
use libfuzzer_sys::fuzz_target;

const FORMATS: [Format; 8] = [
    Format::Human,
    Format::Concise,
    Format::Json,
    Format::Sarif,
    Format::Junit,
    Format::Github,
    Format::Gitlab,
    Format::Markdown,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut options = LintOptions {
        outline: true,
        ..LintOptions::default()
    };
    // Half the inputs take the paths of large files: scanning (in two parts where
    // the file can be cut), validation and the rules on a second thread.
    if data.len() % 2 == 0 {
        options.yaml.threaded_from_bytes = 0;
        options.yaml.split_from_bytes = 0;
    }
    let report = lint_source(SourceFile::new("fuzz.topology.yml", text.to_string()), &options);
    let files = [report];
    let run = Run { files: &files, rules: infra_lint::rules::RULES, human: HumanOptions::default(), root: None, fail_on: Some(infra_lint::finding::Severity::Warning) };
    for format in FORMATS {
        let mut out = Vec::new();
        output::write(format, &run, &mut out).expect("rendering to memory cannot fail");
    }
    let _ = output::diagram::mermaid(&files[0]);
    let _ = output::diagram::dot(&files[0]);
});
