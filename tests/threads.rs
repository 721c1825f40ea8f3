//! No thread outlives the call that started it: a library that leaves threads behind
//! leaks them in a long-running host (an editor, a server). Fuzzing under
//! LeakSanitizer found one such (a thread that freed the model in the background); this
//! is its regression test. Its own test binary, so no other test's threads are counted.

use infra_lint::generate::{Shape, topology};
use infra_lint::lint::{LintOptions, TEST_TODAY, lint_source};
use infra_lint::source::SourceFile;

fn threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
#[cfg(target_os = "linux")]
fn linting_a_large_file_leaves_no_thread_behind() {
    let text = topology(Shape {
        cells: 400,
        seed: 5,
        varied_style: false,
        ..Shape::default()
    });
    let options = LintOptions {
        today: TEST_TODAY,
        ..LintOptions::default()
    };
    assert!(
        text.len() >= options.yaml.threaded_from_bytes,
        "the file must take the threaded paths ({} bytes)",
        text.len()
    );
    let before = threads();
    assert!(before > 0, "no thread count in /proc/self/status");
    let report = lint_source(SourceFile::new("big.yml", text), &options);
    assert!(report.valid && !report.findings.is_empty());
    assert_eq!(threads(), before, "a thread outlived lint_source");
}
