//! Which files a run lints: named files as they are, directories walked for topology
//! file names, respecting .gitignore and skipping hidden and build folders.

use std::path::{Path, PathBuf};

/// A file to lint, or a path that could not be walked.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    /// A file, with the name to show for it.
    File(PathBuf, String),
    /// A path that could not be read, with why.
    Error(String, String),
    /// A file a directory walk found through the configuration's `include` patterns
    /// that is not a topology (a Kubernetes manifest beside them, say): skipped, with
    /// a note. Named on the command line, the same file is linted.
    Skipped(String),
    /// A directory that holds no topology, with what was looked for: named on the
    /// command line it is an error (a gate that lints nothing must not pass).
    Empty(String, String),
}

/// The path that names standard input.
pub const STDIN: &str = "-";

/// Takes the skipped files out of `inputs`: the notes to show, one per file.
pub fn take_skipped(inputs: &mut Vec<Input>) -> Vec<String> {
    let mut notes = Vec::new();
    inputs.retain(|input| match input {
        Input::Skipped(shown) => {
            notes.push(format!(
                "skipped `{shown}`: not a topology (no top-level `components:`); name it to lint it anyway"
            ));
            false
        }
        _ => true,
    });
    notes
}

/// Whether a file an `include` pattern found reads as a topology: a top-level
/// `components:` key, or a flow mapping for the whole document. A file that cannot be
/// read counts as one (linting it says why); only the first 64 MiB are looked at.
fn looks_like_topology(path: &Path) -> bool {
    use std::io::Read;
    let mut text = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(64 << 20).read_to_end(&mut text));
    if read.is_err() {
        return true;
    }
    let body = text.trim_ascii_start();
    body.starts_with(b"{")
        || body.starts_with(b"components:")
        || memchr::memmem::find(&text, b"\ncomponents:").is_some()
}

/// Whether a file name is one of the topology patterns.
pub fn is_topology_name(name: &str) -> bool {
    matches!(name, "topology.yml" | "topology.yaml")
        || name.ends_with(".topology.yml")
        || name.ends_with(".topology.yaml")
}

/// The name shown for a path: as given, with `.` components and repeated separators
/// dropped (`.//t.yml` is `t.yml`, never `/t.yml`), and Windows separators shown as
/// `/`. A `\\` is a separator only on Windows: elsewhere it is part of a file's name.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy();
    let s = if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    };
    let absolute = s.starts_with('/');
    let parts: Vec<&str> = s
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// A directory walk's extra patterns: `include` file-name globs that count as
/// topologies too, and `exclude` globs of paths to skip (a trailing `/` names a folder).
#[derive(Debug, Default)]
pub struct Walk {
    include: Option<globset::GlobSet>,
    exclude: Option<globset::GlobSet>,
    /// Where shown paths are relative to (see [`Root`]); None: as given.
    root: Option<Root>,
    /// The path standard input (`-`) stands for.
    stdin_name: Option<PathBuf>,
    /// Whether every YAML or JSON file is an input (`--from`: imports), not only
    /// topologies.
    any_yaml: bool,
}

/// The project root and the working directory: every path an output shows (and every
/// fingerprint) is relative to the root, whatever the working directory or the form
/// of the argument, so a baseline or a code-scanning alert written from one directory
/// matches from another.
#[derive(Clone, Debug)]
pub struct Root {
    /// The root, absolute.
    pub dir: PathBuf,
    /// The working directory, absolute.
    pub cwd: PathBuf,
}

impl Root {
    /// The project root: the directory of the configuration file in use, else the
    /// repository root (the nearest ancestor of the working directory with `.git`),
    /// else the working directory.
    pub fn find(config: Option<&Path>, cwd: &Path) -> Root {
        let cwd = normalise(cwd, Path::new("/"));
        let dir = match config {
            Some(file) => {
                let file = normalise(file, &cwd);
                file.parent().map_or_else(|| cwd.clone(), Path::to_path_buf)
            }
            None => cwd
                .ancestors()
                .find(|dir| dir.join(".git").exists())
                .unwrap_or(&cwd)
                .to_path_buf(),
        };
        Root { dir, cwd }
    }

    /// How a path is shown: relative to the root; a path outside the root as it was
    /// given. Separators as `/`.
    pub fn show(&self, path: &Path) -> String {
        match normalise(path, &self.cwd).strip_prefix(&self.dir) {
            Ok(inside) => display(inside),
            Err(_) => display(path),
        }
    }
}

/// `path` made absolute against `base` with `.` and `..` resolved by their names
/// (symbolic links are not followed: the name a user gives is the name shown).
fn normalise(path: &Path, base: &Path) -> PathBuf {
    use std::path::Component;
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

impl Walk {
    /// Compiles the patterns (invalid ones were refused when the config was read).
    pub fn new(include: &[String], exclude: &[String]) -> Walk {
        let set = |patterns: &[String], folders: bool| {
            if patterns.is_empty() {
                return None;
            }
            let mut builder = globset::GlobSetBuilder::new();
            for p in patterns {
                let p = p.trim_end_matches('/');
                for glob in [
                    p.to_string(),
                    format!("{p}/**"),
                    format!("**/{p}"),
                    format!("**/{p}/**"),
                ] {
                    if let Ok(g) = globset::Glob::new(&glob) {
                        builder.add(g);
                    }
                    if !folders {
                        break;
                    }
                }
            }
            builder.build().ok()
        };
        Walk {
            include: set(include, false),
            exclude: set(exclude, true),
            root: None,
            stdin_name: None,
            any_yaml: false,
        }
    }

    /// Shows paths relative to `root`.
    pub fn with_root(mut self, root: Root) -> Walk {
        self.root = Some(root);
        self
    }

    /// Shows standard input (`-`) as this path (`--stdin-filename`): per-file ignores
    /// and fingerprints then treat it as that file.
    pub fn with_stdin_name(mut self, path: &Path) -> Walk {
        self.stdin_name = Some(path.to_path_buf());
        self
    }

    /// How a path is shown.
    pub fn show(&self, path: &Path) -> String {
        match &self.root {
            Some(root) => root.show(path),
            None => display(path),
        }
    }

    /// The walk of `--from`: every `.yml`, `.yaml` and `.json` file is an input.
    pub fn for_import(include: &[String], exclude: &[String]) -> Walk {
        Walk {
            any_yaml: true,
            ..Walk::new(include, exclude)
        }
    }

    fn included(&self, path: &Path) -> bool {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        is_topology_name(&name)
            || (self.any_yaml
                && (name.ends_with(".yml") || name.ends_with(".yaml") || name.ends_with(".json")))
            || self.include.as_ref().is_some_and(|s| {
                s.is_match(path) || s.is_match(display(path)) || s.is_match(self.show(path))
            })
    }

    fn excluded(&self, path: &Path) -> bool {
        self.exclude.as_ref().is_some_and(|s| {
            s.is_match(path) || s.is_match(display(path)) || s.is_match(self.show(path))
        })
    }
}

/// Expands the command line's paths into sorted inputs.
pub fn discover(paths: &[PathBuf]) -> Vec<Input> {
    discover_with(paths, &Walk::default())
}

/// Expands the command line's paths into sorted inputs, with extra patterns.
pub fn discover_with(paths: &[PathBuf], walk: &Walk) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        if path.as_os_str() == STDIN {
            let shown = walk
                .stdin_name
                .as_deref()
                .map_or_else(|| STDIN.into(), |name| walk.show(name));
            inputs.push(Input::File(path.clone(), shown));
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                let why = if e.kind() == std::io::ErrorKind::NotFound {
                    "no such file or directory".to_string()
                } else {
                    e.to_string()
                };
                inputs.push(Input::Error(
                    walk.show(path),
                    format!("cannot read `{}`: {why}", display(path)),
                ));
                continue;
            }
        };
        if !meta.is_dir() {
            inputs.push(Input::File(path.clone(), walk.show(path)));
            continue;
        }
        let walker = ignore::WalkBuilder::new(path)
            .follow_links(true)
            .hidden(true)
            .require_git(false)
            .filter_entry(|e| {
                let name = e.file_name().to_string_lossy();
                !(e.file_type().is_some_and(|t| t.is_dir())
                    && matches!(name.as_ref(), "target" | "node_modules"))
            })
            .build();
        let mut found = Vec::new();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file())
                        && walk.included(e.path())
                        && !walk.excluded(e.path())
                    {
                        let named = e
                            .path()
                            .file_name()
                            .is_some_and(|n| is_topology_name(&n.to_string_lossy()));
                        if named || walk.any_yaml || looks_like_topology(e.path()) {
                            found.push(Input::File(e.path().to_path_buf(), walk.show(e.path())));
                        } else {
                            found.push(Input::Skipped(walk.show(e.path())));
                        }
                    }
                }
                Err(err) => {
                    let (where_, why) = walk_error(&err);
                    found.push(Input::Error(where_, why));
                }
            }
        }
        if !found
            .iter()
            .any(|i| matches!(i, Input::File(..) | Input::Error(..)))
        {
            let mut looked_for =
                "topology.yml, topology.yaml, *.topology.yml or *.topology.yaml".to_string();
            if walk.include.is_some() {
                looked_for.push_str(" (or the configuration's `include` patterns)");
            }
            found.push(Input::Empty(
                walk.show(path),
                format!(
                    "no topology in `{}`: found no file named {looked_for}; name a file to lint it whatever its name, or add its pattern to `include` in infra-lint.toml",
                    display(path)
                ),
            ));
        }
        inputs.extend(found);
    }
    inputs.sort_by(|a, b| key(a).cmp(key(b)).then(rank(a).cmp(&rank(b))));
    inputs.dedup_by(|a, b| key(a) == key(b));
    inputs
}

fn key(input: &Input) -> &str {
    match input {
        Input::File(_, d) | Input::Error(d, _) | Input::Skipped(d) | Input::Empty(d, _) => d,
    }
}

/// Which of two inputs for one file is kept: a file named on the command line over the
/// same file skipped by a walk.
fn rank(input: &Input) -> u8 {
    match input {
        Input::File(..) => 0,
        Input::Error(..) => 1,
        Input::Skipped(_) => 2,
        Input::Empty(..) => 3,
    }
}

fn walk_error(err: &ignore::Error) -> (String, String) {
    match err {
        ignore::Error::WithPath { path, err } => {
            let (_, why) = walk_error(err);
            (display(path), why)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(err)
        }
        ignore::Error::Loop { ancestor, child } => (
            display(child),
            format!(
                "symbolic link loop: `{}` leads back to `{}`",
                display(child),
                display(ancestor)
            ),
        ),
        other => (String::new(), other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::display;
    use std::path::Path;

    #[test]
    fn names_are_normalised_without_inventing_a_root() {
        assert_eq!(display(Path::new(".//t.yml")), "t.yml");
        assert_eq!(display(Path::new("./a/./b//t.yml")), "a/b/t.yml");
        assert_eq!(display(Path::new("/tmp//t.yml")), "/tmp/t.yml");
        assert_eq!(display(Path::new(".")), ".");
        #[cfg(unix)]
        assert_eq!(display(Path::new("l\\back.yml")), "l\\back.yml");
    }
}
