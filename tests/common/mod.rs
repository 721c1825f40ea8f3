//! What the command-line tests share: running the binary as of the tests' fixed date.
#![allow(dead_code)] // each test file uses a part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use infra_lint::lint::TEST_TODAY;

/// Runs exactly `args` from `dir` (system date on purpose: for subcommands that take no
/// `--today`, and for the README's samples, which show the command a reader types).
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_infra-lint"))
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        // The width and the format a user's shell may set must not reach the tests.
        .env_remove("COLUMNS")
        .env_remove("INFRA_LINT_OUTPUT_FORMAT")
        .output()
        .expect("run infra-lint")
}

/// Lints (the default command) from `dir` as of the tests' fixed date, so that no
/// result depends on the day the tests run.
pub fn infra_lint_in(dir: &Path, args: &[&str]) -> Output {
    let today = TEST_TODAY.to_string();
    let mut all = vec!["--today", today.as_str()];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

/// The standard output, which must be UTF-8.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

/// The standard error, which must be UTF-8.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 output")
}

/// The bundled examples (`examples/*.topology.yml`), sorted.
pub fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".topology.yml"))
        .collect();
    out.sort();
    out
}
