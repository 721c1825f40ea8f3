//! `infra-lint.toml`: rule selection, severities, per-file ignores and file patterns,
//! with every unknown key and rule code an error that names its line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::finding::Severity;
use crate::rules::{self, Category, RULES, Rule};
use crate::spelling;

/// The lowest severity that fails a run, or never.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Errors fail.
    Error,
    /// Warnings and errors fail.
    Warning,
    /// Every finding fails.
    Info,
    /// Nothing fails (exit 0 unless infra-lint cannot do its job).
    Never,
}

impl FailOn {
    /// The severity threshold, or None for never.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    select: Option<Vec<toml::Spanned<String>>>,
    #[serde(default)]
    ignore: Vec<toml::Spanned<String>>,
    #[serde(default)]
    fail_on: Option<FailOn>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<toml::Spanned<String>, toml::Spanned<Severity>>,
    #[serde(default)]
    per_file_ignores: BTreeMap<String, Vec<toml::Spanned<String>>>,
}

/// A configuration error, with where it is.
#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// `path:line:column: message`.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Which rules run, and at what severity.
#[derive(Clone, Debug)]
pub struct RuleSet {
    /// The rules that run, in registry order (input rules always do).
    pub enabled: Vec<&'static Rule>,
    /// Severity overrides by code.
    pub severity: BTreeMap<&'static str, Severity>,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet {
            enabled: RULES.to_vec(),
            severity: BTreeMap::new(),
        }
    }
}

impl RuleSet {
    /// Whether a rule runs.
    pub fn runs(&self, rule: &Rule) -> bool {
        self.enabled.iter().any(|r| r.code == rule.code)
    }

    /// A rule's effective severity.
    pub fn severity_of(&self, rule: &Rule) -> Severity {
        self.severity
            .get(rule.code)
            .copied()
            .unwrap_or(rule.severity)
    }
}

/// Whether `selector` (a code, a name, a code prefix such as `TLS`, or a category such
/// as `availability`) selects `rule`.
pub fn selects(selector: &str, rule: &Rule) -> bool {
    let s = selector.trim();
    s == "ALL"
        || rule.code.eq_ignore_ascii_case(s)
        || rule.name.eq_ignore_ascii_case(s)
        || rule.category.as_str().eq_ignore_ascii_case(s)
        || (s.len() >= 2
            && rule.code.len() > s.len()
            && rule.code[..s.len()].eq_ignore_ascii_case(s))
}

/// Checks a selector matches some rule; the error suggests the closest code or name.
pub fn check_selector(selector: &str) -> Result<(), String> {
    if RULES.iter().any(|r| selects(selector, r)) {
        return Ok(());
    }
    let prefixes = RULES
        .iter()
        .map(|r| r.code.trim_end_matches(|c: char| c.is_ascii_digit()));
    let candidates = RULES
        .iter()
        .flat_map(|r| [r.code, r.name])
        .chain(prefixes)
        .chain(ALL_CATEGORIES.iter().map(|c| c.as_str()));
    Err(match spelling::closest(selector, candidates) {
        Some(best) => format!("unknown rule or category `{selector}`; did you mean `{best}`?"),
        None => format!("unknown rule or category `{selector}` (`infra-lint rules` lists them)"),
    })
}

const ALL_CATEGORIES: [Category; 10] = [
    Category::Input,
    Category::Availability,
    Category::Tls,
    Category::Firewall,
    Category::Monitoring,
    Category::Database,
    Category::Durability,
    Category::Graph,
    Category::Suppression,
    Category::Import,
];

/// A loaded configuration (defaults when there is no file).
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Where it was read from.
    pub path: Option<PathBuf>,
    /// `select`, when given.
    pub select: Option<Vec<String>>,
    /// `ignore`.
    pub ignore: Vec<String>,
    /// `fail-on`.
    pub fail_on: Option<FailOn>,
    /// Extra file-name patterns for directory walks.
    pub include: Vec<String>,
    /// Paths to skip.
    pub exclude: Vec<String>,
    /// Severity overrides.
    pub severity: BTreeMap<String, Severity>,
    /// Per-file ignores: glob -> selectors.
    pub per_file_ignores: Vec<(String, Vec<String>)>,
}

/// The nearest `infra-lint.toml` at or above `start`, up to the repository's root (the
/// folder holding `.git`): a stray file above the repository never applies.
pub fn discover(start: &Path) -> Option<PathBuf> {
    for dir in start.ancestors() {
        let candidate = dir.join("infra-lint.toml");
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            return None;
        }
    }
    None
}

fn located(path: &Path, text: &str, offset: usize, message: impl std::fmt::Display) -> ConfigError {
    let offset = offset.min(text.len());
    let line = text[..offset].matches('\n').count() + 1;
    let column = text[..offset]
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.chars().count())
        + 1;
    ConfigError {
        message: format!("{}:{line}:{column}: {message}", path.display()),
    }
}

/// The largest configuration read, in bytes: a real one is a few hundred.
pub const MAX_CONFIG_SIZE: u64 = 1024 * 1024;

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let fail = |why: String| ConfigError {
        message: format!("{}: cannot read the configuration: {why}", path.display()),
    };
    let text = crate::source::read_text(path, MAX_CONFIG_SIZE, || {
        format!("it is over the size limit of {MAX_CONFIG_SIZE} bytes for a configuration")
    })
    .map_err(fail)?;
    parse(path, &text)
}

/// Parses and checks a configuration's text.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    // Every error at once: unknown keys, wrong values under each key, unknown rules and
    // bad patterns, each as (offset, message); only a TOML syntax error stops the
    // reading where it is.
    let mut errors: Vec<(usize, String)> = Vec::new();
    let toml_error = |e: &toml::de::Error| {
        let at = e.span().map_or(0, |s| s.start);
        (at, e.message().trim().replace('\n', " "))
    };
    let selector_error = |s: &toml::Spanned<String>| {
        check_selector(s.get_ref())
            .err()
            .map(|m| (s.span().start, m))
    };
    let document = toml::de::DeTable::parse(text).map_err(|e| {
        let (at, message) = toml_error(&e);
        located(path, text, at, message)
    })?;
    let whole = document.span();
    let table = document.into_inner();
    let known = [
        "select",
        "ignore",
        "fail-on",
        "include",
        "exclude",
        "severity",
        "per-file-ignores",
    ];
    let mut kept = toml::de::DeTable::new();
    for (key, value) in table {
        let name: &str = key.get_ref();
        if known.contains(&name) {
            kept.insert(key, value);
            continue;
        }
        let hint = spelling::closest(name, known)
            .map(|best| format!("; did you mean `{best}`?"))
            .unwrap_or_default();
        errors.push((
            key.span().start,
            format!(
                "unknown key `{name}`, expected one of {}{hint}",
                known.join(", ")
            ),
        ));
    }
    let mut table = kept;
    // A wrong value makes the whole reading fail: take its key out and read again,
    // once per key at most, so each key's error is found.
    let raw: RawConfig = loop {
        let de = toml::de::Deserializer::from(toml::Spanned::new(whole.clone(), table.clone()));
        match RawConfig::deserialize(de) {
            Ok(raw) => break raw,
            Err(e) => {
                let (at, message) = toml_error(&e);
                errors.push((at, message));
                let before = table.len();
                let mut kept = toml::de::DeTable::new();
                for (key, value) in table {
                    if !(key.span().contains(&at) || value.span().contains(&at)) {
                        kept.insert(key, value);
                    }
                }
                table = kept;
                if table.len() == before {
                    break RawConfig::default();
                }
            }
        }
    };
    errors.extend(
        raw.select
            .iter()
            .flatten()
            .chain(&raw.ignore)
            .filter_map(selector_error),
    );
    let mut severity = BTreeMap::new();
    for (code, level) in &raw.severity {
        match rules::find(code.get_ref()) {
            Some(rule) => {
                severity.insert(rule.code.to_string(), *level.get_ref());
            }
            None => errors.push((
                code.span().start,
                check_selector(code.get_ref())
                    .err()
                    .unwrap_or_else(|| format!("`{}` is not one rule", code.get_ref())),
            )),
        }
    }
    let mut per_file_ignores = Vec::new();
    for (glob, selectors) in &raw.per_file_ignores {
        if let Err(e) = globset::Glob::new(glob) {
            errors.push((
                0,
                format!("invalid pattern `{glob}` in per-file-ignores: {e}"),
            ));
        }
        errors.extend(selectors.iter().filter_map(selector_error));
        per_file_ignores.push((
            glob.clone(),
            selectors.iter().map(|s| s.get_ref().clone()).collect(),
        ));
    }
    for pattern in raw.include.iter().chain(&raw.exclude) {
        if let Err(e) = globset::Glob::new(pattern) {
            errors.push((0, format!("invalid pattern `{pattern}`: {e}")));
        }
    }
    if !errors.is_empty() {
        // In the file's order, one per line.
        errors.sort_by_key(|(at, _)| *at);
        errors.dedup();
        let lines: Vec<String> = errors
            .into_iter()
            .map(|(at, message)| located(path, text, at, message).message)
            .collect();
        return Err(ConfigError {
            message: lines.join("\n"),
        });
    }
    Ok(Config {
        path: Some(path.to_path_buf()),
        select: raw
            .select
            .map(|v| v.into_iter().map(|s| s.into_inner()).collect()),
        ignore: raw.ignore.into_iter().map(|s| s.into_inner()).collect(),
        fail_on: raw.fail_on,
        include: raw.include,
        exclude: raw.exclude,
        severity,
        per_file_ignores,
    })
}

/// Builds the rule set from selections (config and command line already merged).
/// Input rules always run: a file that is not a topology cannot be judged.
pub fn rule_set(
    select: Option<&[String]>,
    ignore: &[String],
    severity: &BTreeMap<String, Severity>,
) -> RuleSet {
    let enabled = RULES
        .iter()
        .copied()
        .filter(|r| {
            r.category == Category::Input
                || (select.is_none_or(|sel| sel.iter().any(|s| selects(s, r)))
                    && !ignore.iter().any(|s| selects(s, r)))
        })
        .collect();
    let severity = severity
        .iter()
        .filter_map(|(code, level)| rules::find(code).map(|r| (r.code, *level)))
        .collect();
    RuleSet { enabled, severity }
}

#[cfg(test)]
mod tests {
    use super::{parse, rule_set, selects};
    use crate::rules::find;
    use std::path::Path;

    #[test]
    fn selectors_by_code_name_prefix_and_category() {
        let spof = find("SPOF001").unwrap();
        assert!(selects("SPOF001", spof));
        assert!(selects("single-point-of-failure", spof));
        assert!(selects("SPOF", spof));
        assert!(selects("availability", spof));
        assert!(!selects("SPOF002", spof));
        assert!(!selects("S", spof));
        assert!(selects("SPOF00", spof));
    }

    #[test]
    fn the_documented_config_loads() {
        let text = "select = [\"SPOF\", \"TLS\", \"FW\", \"MON\", \"DB\", \"LB\"]\nignore = [\"DB004\"]\nfail-on = \"warning\"\ninclude = [\"infra/*.yml\"]\nexclude = [\"legacy/\"]\n\n[severity]\nTLS003 = \"warning\"\n\n[per-file-ignores]\n\"staging/*.topology.yml\" = [\"SPOF001\"]\n";
        let config = parse(Path::new("infra-lint.toml"), text).unwrap();
        let set = rule_set(config.select.as_deref(), &config.ignore, &config.severity);
        assert!(set.runs(find("TLS003").unwrap()));
        assert!(!set.runs(find("DB004").unwrap()));
        assert!(!set.runs(find("GR001").unwrap()), "graph is not selected");
        assert!(set.runs(find("IL002").unwrap()), "input rules always run");
        assert_eq!(
            set.severity_of(find("TLS003").unwrap()),
            crate::finding::Severity::Warning
        );
    }

    #[test]
    fn discovery_stops_at_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("infra")).unwrap();
        std::fs::write(dir.path().join("infra-lint.toml"), "ignore = [\"TLS\"]\n").unwrap();
        assert_eq!(super::discover(&repo.join("infra")), None);
        std::fs::write(repo.join("infra-lint.toml"), "").unwrap();
        assert_eq!(
            super::discover(&repo.join("infra")),
            Some(repo.join("infra-lint.toml"))
        );
    }

    #[test]
    fn unknown_keys_and_codes_name_their_line() {
        let err = parse(
            Path::new("c.toml"),
            "select = [\"SPOF\"]\nignor = [\"DB004\"]\n",
        )
        .unwrap_err();
        assert!(err.message.starts_with("c.toml:2:1: "), "{}", err.message);
        assert!(
            err.message.contains("did you mean `ignore`?"),
            "{}",
            err.message
        );
        let err = parse(
            Path::new("c.toml"),
            "select = [\"SPOF\"]\n\n[severity]\nSPOF009 = \"info\"\n",
        )
        .unwrap_err();
        assert!(err.message.starts_with("c.toml:4:1: "), "{}", err.message);
        assert!(
            err.message.contains("did you mean `SPOF001`?"),
            "{}",
            err.message
        );
        let err = parse(Path::new("c.toml"), "ignore = [\"DB004\", \"TSL001\"]\n").unwrap_err();
        assert!(err.message.starts_with("c.toml:1:20: "), "{}", err.message);
        let err = parse(Path::new("c.toml"), "fail-on = \"sometimes\"\n").unwrap_err();
        assert!(err.message.starts_with("c.toml:1:11: "), "{}", err.message);
    }
}
