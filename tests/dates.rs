//! No test depends on the day it runs. Certificates expire and suppressions lapse, so a
//! test that lints as of the system date passes until some day, then fails for no
//! change of code (a TLS005 snapshot did). A run under a faked clock finds such a test
//! only on the day it breaks; this audit of the tests' source finds it on any day.
//!
//! What it checks, in `tests/*.rs` and in the test code of `src/` (from a file's first
//! `#[cfg(test)]` on, and all of the rule fixtures):
//! - no `Date::today()`;
//! - every `LintOptions { .. }` sets `today` (as of `infra_lint::lint::TEST_TODAY`),
//!   and no bare `LintOptions::default()` is passed;
//! - every run of the binary passes `--today`, unless the comment just before it says
//!   it uses the system date on purpose (and why).

use std::path::{Path, PathBuf};

/// The comment that lets a run of the binary go without `--today`.
const ON_PURPOSE: &str = "system date on purpose";

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each file's test code: (path, the file's text, where its test code starts).
fn test_code() -> Vec<(String, String, usize)> {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    rust_files(Path::new("tests"), &mut files);
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let name = path.to_str().unwrap().to_string();
        if name == "tests/dates.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let start = if name.starts_with("tests/") || name == "src/rules/fixture.rs" {
            0
        } else {
            match text.find("#[cfg(test)]") {
                Some(at) => at,
                None => continue,
            }
        };
        out.push((name, text, start));
    }
    out
}

/// The text of the braces that open at `open`.
fn braced(text: &str, open: usize) -> &str {
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..=open + i];
                }
            }
            _ => {}
        }
    }
    &text[open..]
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].matches('\n').count() + 1
}

#[test]
fn no_test_reads_the_system_date() {
    let mut problems = Vec::new();
    let files = test_code();
    assert!(files.len() >= 10, "found {} files of tests", files.len());
    for (name, text, start) in &files {
        let code = &text[*start..];
        let line = |at: usize| line_of(text, start + at);
        for (at, _) in code.match_indices("Date::today()") {
            problems.push(format!("{name}: `Date::today()` line {}", line(at)));
        }
        for (at, _) in code.match_indices("LintOptions {") {
            if code[..at].trim_end().ends_with("->") {
                continue; // a function's return type
            }
            let literal = braced(code, at + "LintOptions ".len());
            if !literal.contains("today:") {
                problems.push(format!(
                    "{name}: a `LintOptions` without `today` line {}",
                    line(at)
                ));
            }
        }
        for (at, _) in code.match_indices("LintOptions::default()") {
            if !code[..at].ends_with("..") {
                problems.push(format!(
                    "{name}: `LintOptions::default()` (the system date) line {}",
                    line(at)
                ));
            }
        }
        for (at, _) in code.match_indices("CARGO_BIN_EXE_infra-lint") {
            let run = &code[at..];
            let end = [".output()", ".status()", ".spawn()"]
                .iter()
                .filter_map(|m| run.find(m))
                .min()
                .unwrap_or(run.len());
            let before = &code[..at];
            let comment = &before[before.len().saturating_sub(400)..];
            if !run[..end].contains("--today") && !comment.contains(ON_PURPOSE) {
                problems.push(format!(
                    "{name}: a run of infra-lint without `--today` line {}",
                    line(at)
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "tests that depend on the day they run (lint as of infra_lint::lint::TEST_TODAY):\n{}",
        problems.join("\n")
    );
}
