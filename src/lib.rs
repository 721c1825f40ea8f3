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
/// The system allocator gives freed memory back as it sees fit.
#[cfg(not(all(
    feature = "jemalloc",
    unix,
    not(target_os = "openbsd"),
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod alloc {
    pub fn release_freed_memory() {}
}
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
pub mod import;
pub mod init;
pub mod lint;
pub mod model;
pub mod output;
pub mod rules;
mod runs;
pub mod safe_write;
pub mod schema;
pub mod server;
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

/// [`inputs`] with every path shown relative to a project root, and standard input
/// (`-`) shown as `stdin_name` when given.
pub fn inputs_from_root(
    paths: &[PathBuf],
    config: &config::Config,
    root: discover::Root,
    stdin_name: Option<&std::path::Path>,
) -> Vec<discover::Input> {
    let mut walk = discover::Walk::new(&config.include, &config.exclude).with_root(root);
    if let Some(name) = stdin_name {
        walk = walk.with_stdin_name(name);
    }
    discover::discover_with(paths, &walk)
}

/// The paths of the files among `inputs`, to check that no output names one.
pub fn input_paths(inputs: &[discover::Input]) -> Vec<PathBuf> {
    inputs
        .iter()
        .filter_map(|input| match input {
            discover::Input::File(path, _) if path.as_os_str() == discover::STDIN => None,
            discover::Input::File(path, _) => Some(path.clone()),
            discover::Input::Error(..)
            | discover::Input::Skipped(_)
            | discover::Input::Empty(..) => None,
        })
        .collect()
}

/// Lints files found by [`inputs`] with a configuration's per-file ignores.
pub fn lint_inputs(
    inputs: Vec<discover::Input>,
    limits: &LintOptions,
    config: &config::Config,
) -> Vec<FileReport> {
    lint_each(inputs, limits, config, None)
}

/// Lints (or, with `import`, imports and lints) each input, then applies the per-file
/// ignores.
fn lint_each(
    inputs: Vec<discover::Input>,
    limits: &LintOptions,
    config: &config::Config,
    import: Option<&import::ImportOptions>,
) -> Vec<FileReport> {
    let per_file = PerFile::new(config);
    inputs
        .into_iter()
        .filter_map(|input| {
            let mut report = match input {
                discover::Input::File(path, display) => match import {
                    None => lint::lint_path(&path, &display, limits),
                    Some(import) => match lint::read_source(&path, &display, limits) {
                        Ok(source) => lint::lint_import(source, import, limits),
                        Err(report) => *report,
                    },
                },
                discover::Input::Error(path, why) | discover::Input::Empty(path, why) => {
                    FileReport::unreadable(path, why, None)
                }
                discover::Input::Skipped(_) => return None,
            };
            per_file.apply(&mut report);
            Some(report)
        })
        .collect()
}

/// The files a `--from` run imports: files as named (`-` is stdin), directories walked
/// for every YAML and JSON file, in sorted order; and notes on the files a walk found
/// that `--from auto` cannot read (neither a format it knows nor a topology), which
/// are skipped. A file named on the command line is always an input.
pub fn import_inputs(
    paths: &[PathBuf],
    config: &config::Config,
    from: import::From,
    root: discover::Root,
    stdin_name: Option<&std::path::Path>,
) -> (Vec<discover::Input>, Vec<String>) {
    let mut walk = discover::Walk::for_import(&config.include, &config.exclude).with_root(root);
    if let Some(name) = stdin_name {
        walk = walk.with_stdin_name(name);
    }
    let mut inputs = Vec::new();
    let mut notes = Vec::new();
    for path in paths {
        let named = !path.is_dir();
        for input in discover::discover_with(std::slice::from_ref(path), &walk) {
            if let discover::Input::File(file, shown) = &input
                && !named
                && from == import::From::Auto
                && !auto_reads(file, shown)
            {
                notes.push(format!(
                    "skipped `{shown}`: not a Compose file, Kubernetes manifests, a Threagile model or a topology; name it to import it anyway"
                ));
                continue;
            }
            inputs.push(input);
        }
    }
    (inputs, notes)
}

/// Whether `--from auto` can read a file a walk found (its first 64 MiB are looked at;
/// one that cannot be read counts, and linting it says why).
fn auto_reads(path: &std::path::Path, shown: &str) -> bool {
    use std::io::Read;
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(64 << 20).read_to_end(&mut bytes));
    read.is_err() || import::readable_by_auto(&String::from_utf8_lossy(&bytes), shown)
}

/// Imports and lints files found by [`import_inputs`] with a configuration's per-file
/// ignores.
pub fn lint_imports(
    inputs: Vec<discover::Input>,
    limits: &LintOptions,
    config: &config::Config,
    import: &import::ImportOptions,
) -> Vec<FileReport> {
    lint_each(inputs, limits, config, Some(import))
}

/// Drops from a report the findings a configuration's per-file ignores name for its
/// file (as reported: its `source.path`).
pub fn apply_per_file_ignores(config: &config::Config, report: &mut FileReport) {
    PerFile::new(config).apply(report);
}

/// A configuration's per-file ignores, compiled once.
struct PerFile<'a>(Vec<(globset::GlobMatcher, &'a [String])>);

impl<'a> PerFile<'a> {
    fn new(config: &'a config::Config) -> Self {
        PerFile(
            config
                .per_file_ignores
                .iter()
                .filter_map(|(glob, selectors)| {
                    Some((
                        globset::Glob::new(glob).ok()?.compile_matcher(),
                        selectors.as_slice(),
                    ))
                })
                .collect(),
        )
    }

    /// Whether the per-file ignores drop `f` from the file at `path`.
    fn ignores(&self, path: &str, f: &finding::Finding) -> bool {
        f.rule.category != rules::Category::Input
            && self
                .0
                .iter()
                .filter(|(m, _)| m.is_match(path))
                .flat_map(|(_, selectors)| selectors.iter())
                .any(|s| config::selects(s, f.rule))
    }

    fn apply(&self, report: &mut FileReport) {
        let path = report.source.path.clone();
        report.findings.retain(|f| !self.ignores(&path, f));
    }
}

/// What `--fix` or `--diff` did to one file.
#[derive(Debug)]
pub struct FileFix {
    /// The file, as reported.
    pub path: String,
    /// Its text before.
    pub old: String,
    /// Its text after the fixes.
    pub new: String,
    /// The fixes applied.
    pub applied: Vec<fix::apply::Applied>,
    /// Whether fixes were still applying when the round limit stopped them.
    pub stopped: bool,
}

/// Applies the fixes of every valid file among `files` (safe ones, and unsafe ones
/// with `unsafe_fixes`), honouring the configuration's per-file ignores. With `write`,
/// each changed file is replaced atomically and its report becomes the fixed file's;
/// without, nothing is written (`--diff`). `paths` holds, for each of `files`, the
/// path it was read from (None for one that could not be read): only those are fixed.
pub fn fix_files(
    files: &mut [FileReport],
    paths: &[Option<PathBuf>],
    limits: &LintOptions,
    config: &config::Config,
    unsafe_fixes: bool,
    write: bool,
) -> Result<Vec<FileFix>, String> {
    fix_files_with(files, paths, limits, config, unsafe_fixes, write, None)
}

/// [`fix_files`] for the files of a `--from` run (`import`): each is linted through
/// its importer, whose fixes are edits of the source (`deploy.replicas`,
/// `spec.replicas`).
pub fn fix_files_with(
    files: &mut [FileReport],
    paths: &[Option<PathBuf>],
    limits: &LintOptions,
    config: &config::Config,
    unsafe_fixes: bool,
    write: bool,
    import: Option<&import::ImportOptions>,
) -> Result<Vec<FileFix>, String> {
    let lint = |source: source::SourceFile| match import {
        Some(import) => lint::lint_import(source, import, limits),
        None => lint::lint_source(source, limits),
    };
    let per_file = PerFile::new(config);
    let mut done = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for (report, real) in files.iter_mut().zip(paths) {
        let path = report.source.path.clone();
        let Some(real) = real.as_deref().filter(|p| p.is_file()) else {
            continue;
        };
        // One file named twice (`t.yml ./t.yml`) is fixed once.
        if seen.iter().any(|s| safe_write::same_file(s, real)) {
            continue;
        }
        seen.push(real.to_path_buf());
        let has_fix = report
            .findings
            .iter()
            .any(|f| f.suppressed.is_none() && f.fix.as_ref().is_some_and(|x| !x.edits.is_empty()));
        if !report.valid || !has_fix {
            continue;
        }
        let fixed = fix::apply::fix_text_with(
            &path,
            &report.source.text,
            unsafe_fixes,
            &|f| per_file.ignores(&path, f),
            &lint,
        );
        if fixed.applied.is_empty() {
            continue;
        }
        let old = report.source.text.clone();
        if write {
            // The new file replaces the old by a rename, which the file's own
            // permissions do not stop: ask them first.
            std::fs::OpenOptions::new()
                .write(true)
                .open(real)
                .map_err(|e| format!("cannot write the fixes to `{path}`: {e}"))?;
            safe_write::write_atomic(real, fixed.text.as_bytes())
                .map_err(|e| format!("cannot write the fixes to `{path}`: {e}"))?;
            let mut after = lint(source::SourceFile::new(path.clone(), fixed.text.clone()));
            per_file.apply(&mut after);
            *report = after;
        }
        done.push(FileFix {
            path,
            old,
            new: fixed.text,
            applied: fixed.applied,
            stopped: fixed.stopped,
        });
    }
    Ok(done)
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
