//! infra-lint: audits an infrastructure topology (YAML) before anyone builds it.
//!
//! Data flows one way: [`source`] text -> [`yaml`] reader into the [`model::document`]
//! types -> validated [`model::Model`] -> [`graph::Graph`] and [`analysis::Context`] ->
//! [`rules`] -> [`finding::Finding`]s -> an [`output`] format. [`lint`] drives one
//! file through it; [`discover`] finds the files.

#[cfg(all(
    feature = "jemalloc",
    unix,
    not(target_os = "openbsd"),
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod alloc;
pub mod analysis;
pub mod availability;
pub mod baseline;
pub mod config;
pub mod discover;
pub mod finding;
pub mod firewalls;
pub mod fix;
pub mod generate;
pub mod graph;
pub mod init;
pub mod lint;
pub mod model;
pub mod output;
pub mod rules;
pub mod safe_write;
pub mod schema;
pub mod source;
pub mod spelling;
pub mod statistics;
pub mod suppress;
pub mod whatif;
pub mod yaml;

use std::path::PathBuf;

use finding::Severity;
use lint::{FileReport, LintOptions};

/// Lints every topology under `paths`, in sorted order.
pub fn check(paths: &[PathBuf], limits: &LintOptions) -> Vec<FileReport> {
    check_with(paths, limits, &config::Config::default())
}

/// Lints every topology under `paths` with a configuration's file patterns and
/// per-file ignores.
pub fn check_with(
    paths: &[PathBuf],
    limits: &LintOptions,
    config: &config::Config,
) -> Vec<FileReport> {
    lint_inputs(inputs(paths, config), limits, config)
}

/// The files a run lints: `paths` expanded with a configuration's file patterns, in
/// sorted order.
pub fn inputs(paths: &[PathBuf], config: &config::Config) -> Vec<discover::Input> {
    let walk = discover::Walk::new(&config.include, &config.exclude);
    discover::discover_with(paths, &walk)
}

/// The paths of the files among `inputs`, to check that no output names one.
pub fn input_paths(inputs: &[discover::Input]) -> Vec<PathBuf> {
    inputs
        .iter()
        .filter_map(|input| match input {
            discover::Input::File(path, _) => Some(path.clone()),
            discover::Input::Error(..) => None,
        })
        .collect()
}

/// Lints files found by [`inputs`] with a configuration's per-file ignores.
pub fn lint_inputs(
    inputs: Vec<discover::Input>,
    limits: &LintOptions,
    config: &config::Config,
) -> Vec<FileReport> {
    let per_file: Vec<(globset::GlobMatcher, &[String])> = config
        .per_file_ignores
        .iter()
        .filter_map(|(glob, selectors)| {
            Some((
                globset::Glob::new(glob).ok()?.compile_matcher(),
                selectors.as_slice(),
            ))
        })
        .collect();
    inputs
        .into_iter()
        .map(|input| {
            let mut report = match input {
                discover::Input::File(path, display) => lint::lint_path(&path, &display, limits),
                discover::Input::Error(path, why) => FileReport::unreadable(path, why, None),
            };
            let ignored: Vec<&String> = per_file
                .iter()
                .filter(|(m, _)| m.is_match(&report.source.path))
                .flat_map(|(_, selectors)| selectors.iter())
                .collect();
            if !ignored.is_empty() {
                report.findings.retain(|f| {
                    f.rule.category == rules::Category::Input
                        || !ignored.iter().any(|s| config::selects(s, f.rule))
                });
            }
            report
        })
        .collect()
}

/// The exit code of a run: 2 when a file is not a valid topology, 1 when a finding is
/// at or above `fail_on` (None: never), else 0.
pub fn exit_code(files: &[FileReport], fail_on: Option<Severity>) -> i32 {
    if files.iter().any(|f| !f.valid) {
        return 2;
    }
    let failing = fail_on.is_some_and(|level| {
        files
            .iter()
            .flat_map(|f| &f.findings)
            .any(|f| f.suppressed.is_none() && f.severity >= level)
    });
    i32::from(failing)
}

/// `what-if`: lints `path` and, when it is a valid topology, fails `ids` together.
/// Errors: the file's report when it is not valid, or a message for an unknown id.
pub fn what_if(
    path: &std::path::Path,
    ids: &[String],
    limits: &LintOptions,
) -> Result<whatif::WhatIf, WhatIfError> {
    let display = path.to_string_lossy().into_owned();
    let source = lint::read_source(path, &display, limits).map_err(WhatIfError::Invalid)?;
    let model = match lint::load_model(&source, limits) {
        Ok(model) => model,
        Err(findings) => {
            return Err(WhatIfError::Invalid(Box::new(FileReport {
                source,
                valid: false,
                findings,
                outline: None,
            })));
        }
    };
    let graph = graph::Graph::build(&model);
    let cx = analysis::Context::new(&model, &graph, limits.today);
    let analysed = match lint::analyse(&cx, limits) {
        Ok(analysed) => analysed,
        Err(f) => {
            return Err(WhatIfError::Invalid(Box::new(FileReport {
                source,
                valid: false,
                findings: vec![*f],
                outline: None,
            })));
        }
    };
    whatif::what_if(&analysed, ids).map_err(WhatIfError::Message)
}

/// Why `what-if` could not answer.
#[derive(Debug)]
pub enum WhatIfError {
    /// The file is not a valid topology: its findings.
    Invalid(Box<FileReport>),
    /// An id names nothing that can fail.
    Message(String),
}
