//! The rules: one declaration per rule (code, name, category, default severity,
//! documentation page, check), and the registry that lists them all once.
//!
//! To add a rule: declare it in its category's module with [`Rule`], write its page in
//! `rules/<CODE>.md`, and list it in [`RULES`].

/// Declares a rule: `declare_rule!(CODE, "name", Category, Severity, check)`, with
/// `availability: check` for a check that reads the availability analysis (it gets an
/// [`Analysed`]) and `none` for a rule that a pipeline stage reports rather than a
/// check. Its page is `rules/CODE.md`, embedded so that the declaration and its
/// documentation travel together.
macro_rules! declare_rule {
    ($id:ident, $name:literal, $category:ident, $severity:ident, none) => {
        declare_rule!(@make $id, $name, $category, $severity, None);
    };
    ($id:ident, $name:literal, $category:ident, $severity:ident, availability: $check:ident) => {
        declare_rule!(@make $id, $name, $category, $severity,
            Some($crate::rules::Check::Availability($check)));
    };
    ($id:ident, $name:literal, $category:ident, $severity:ident, $check:ident) => {
        declare_rule!(@make $id, $name, $category, $severity,
            Some($crate::rules::Check::Plain($check)));
    };
    (@make $id:ident, $name:literal, $category:ident, $severity:ident, $check:expr) => {
        #[doc = concat!("`", stringify!($id), "` ", $name, ".")]
        pub static $id: $crate::rules::Rule = $crate::rules::Rule {
            code: stringify!($id),
            name: $name,
            category: $crate::rules::Category::$category,
            severity: $crate::finding::Severity::$severity,
            doc: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", stringify!($id), ".md")),
            check: $check,
        };
    };
}

pub mod availability;
pub mod database;
pub mod durability;
pub mod firewall;
pub mod graph;
pub mod import;
pub mod input;
pub mod monitoring;
pub mod suppression;
pub mod tls;

use serde::Serialize;

use crate::analysis::{Analysed, Context};
use crate::finding::{Finding, Severity};

/// What question a rule answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// The file is not a valid topology.
    Input,
    /// What stops users being served (SPOF, LB).
    Availability,
    /// Encryption in transit.
    Tls,
    /// Who may connect to what.
    Firewall,
    /// Whether failures are seen.
    Monitoring,
    /// Primary/replica routing.
    Database,
    /// Backups, and the data a failover loses.
    Durability,
    /// The graph's shape.
    Graph,
    /// Suppressions in the topology.
    Suppression,
    /// What an importer (Compose, Kubernetes, Threagile) guessed or could not follow.
    Import,
}

impl Category {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Input => "input",
            Category::Availability => "availability",
            Category::Tls => "tls",
            Category::Firewall => "firewall",
            Category::Monitoring => "monitoring",
            Category::Database => "database",
            Category::Durability => "durability",
            Category::Graph => "graph",
            Category::Suppression => "suppression",
            Category::Import => "import",
        }
    }
}

/// A check that reads the model, the graph, redundancy groups and firewalls.
pub type PlainCheck = fn(&Context, &mut Vec<Finding>);

/// A check that also reads the availability analysis (kill sets, outages).
pub type AvailabilityCheck = fn(&Analysed, &mut Vec<Finding>);

/// A rule's check: reads the analysed topology, pushes findings.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// See [`PlainCheck`].
    Plain(PlainCheck),
    /// See [`AvailabilityCheck`].
    Availability(AvailabilityCheck),
}

/// One rule, declared once; everything else (explain, rules, reports) derives from it.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, e.g. `SPOF001`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `single-point-of-failure`.
    pub name: &'static str,
    /// What question it answers.
    pub category: Category,
    /// Severity unless configured otherwise.
    pub severity: Severity,
    /// The documentation page (`rules/<CODE>.md`), whose first line is the summary.
    pub doc: &'static str,
    /// The check; input rules have none (the parser and validation report them).
    pub check: Option<Check>,
}

impl Rule {
    /// The one-line summary: the page's first line.
    pub fn summary(&self) -> &'static str {
        self.doc.lines().next().unwrap_or("").trim()
    }

    /// The page without its summary line.
    pub fn body(&self) -> &'static str {
        self.doc
            .split_once('\n')
            .map_or("", |(_, body)| body.trim_start_matches('\n'))
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

/// Every rule, in code order within each category.
pub static RULES: &[&Rule] = &[
    &input::IL001,
    &input::IL002,
    &input::IL003,
    &input::IL004,
    &input::IL005,
    &input::IL006,
    &availability::SPOF001,
    &availability::SPOF002,
    &availability::SPOF003,
    &availability::LB001,
    &availability::LB002,
    &availability::LB003,
    &availability::LB004,
    &tls::TLS001,
    &tls::TLS002,
    &tls::TLS003,
    &tls::TLS004,
    &tls::TLS005,
    &tls::TLS006,
    &firewall::FW001,
    &firewall::FW002,
    &firewall::FW003,
    &firewall::FW004,
    &firewall::FW005,
    &monitoring::MON001,
    &monitoring::MON002,
    &monitoring::MON003,
    &database::DB001,
    &database::DB002,
    &database::DB003,
    &database::DB004,
    &database::DB005,
    &database::DB006,
    &durability::DUR001,
    &durability::DUR002,
    &durability::DUR003,
    &durability::DUR004,
    &graph::GR001,
    &graph::GR002,
    &suppression::SUP001,
    &suppression::SUP002,
    &suppression::SUP003,
    &suppression::SUP004,
    &import::IMP001,
    &import::IMP002,
    &import::IMP003,
    &import::IMP004,
    &import::IMP005,
];

/// The rule with this code or name (case-insensitive).
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name)
    })
}

/// The text of `infra-lint explain`: a header from the declaration, then the page.
pub fn explain(rule: &Rule) -> String {
    format!(
        "{} {} ({}, default severity {})\n\n{}\n\n{}",
        rule.code,
        rule.name,
        rule.category.as_str(),
        rule.severity.as_str(),
        rule.summary(),
        rule.body().trim_end()
    )
}

/// The text table of `infra-lint rules`.
pub fn catalog() -> String {
    let mut out = String::new();
    let name_width = RULES.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in RULES {
        out.push_str(&format!(
            "{:<8} {:<name_width$} {:<12} {:<8} {}\n",
            r.code,
            r.name,
            r.category.as_str(),
            r.severity.as_str(),
            r.summary()
        ));
    }
    out
}

/// One rule as `infra-lint rules --format json` lists it.
#[derive(Serialize)]
pub struct RuleEntry {
    /// Code.
    pub code: &'static str,
    /// Name.
    pub name: &'static str,
    /// Category.
    pub category: Category,
    /// Default severity.
    pub severity: Severity,
    /// One-line summary.
    pub summary: &'static str,
}

/// Every rule as `infra-lint rules --format json` lists them.
pub fn catalog_entries() -> Vec<RuleEntry> {
    RULES
        .iter()
        .map(|r| RuleEntry {
            code: r.code,
            name: r.name,
            category: r.category,
            severity: r.severity,
            summary: r.summary(),
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod fixture;

#[cfg(test)]
mod tests {
    use super::{RULES, fixture};

    const SECTIONS: [&str; 5] = [
        "## What it finds",
        "## Why it matters",
        "## Example",
        "## Fixed",
        "## Suppressing",
    ];

    /// The YAML block under a heading.
    fn yaml_under<'a>(page: &'a str, heading: &str) -> &'a str {
        let after = page
            .split_once(heading)
            .map(|(_, a)| a)
            .unwrap_or_else(|| panic!("no {heading}"));
        let block = after
            .split_once("```yaml\n")
            .map(|(_, b)| b)
            .unwrap_or_else(|| panic!("no yaml under {heading}"));
        block
            .split_once("```")
            .map(|(b, _)| b)
            .expect("closed block")
    }

    #[test]
    fn every_rule_has_a_complete_page_and_every_page_a_rule() {
        let mut codes = std::collections::HashSet::new();
        for rule in RULES {
            assert!(codes.insert(rule.code), "{} registered twice", rule.code);
            assert!(
                !rule.summary().is_empty() && !rule.summary().starts_with('#'),
                "{}: summary",
                rule.code
            );
            let mut last = 0;
            for section in SECTIONS {
                let at = rule
                    .doc
                    .find(section)
                    .unwrap_or_else(|| panic!("{}: no `{section}`", rule.code));
                assert!(at > last, "{}: `{section}` out of order", rule.code);
                last = at;
            }
        }
        for entry in std::fs::read_dir("rules").expect("rules/") {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let code = name
                .strip_suffix(".md")
                .unwrap_or_else(|| panic!("rules/{name} is not a page"));
            assert!(
                codes.contains(code),
                "rules/{name} documents no registered rule"
            );
        }
    }

    #[test]
    fn every_fix_of_every_page_example_and_example_applies() {
        let mut applied = 0;
        for rule in RULES {
            let yaml = yaml_under(rule.doc, "## Example");
            if fixture::lint(yaml).valid {
                applied +=
                    fixture::assert_every_fix_applies(yaml, &format!("rules/{}.md", rule.code));
            }
        }
        let mut examples: Vec<_> = std::fs::read_dir("examples")
            .expect("examples/")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.to_string_lossy().ends_with(".topology.yml"))
            .collect();
        examples.sort();
        assert!(examples.len() >= 5);
        for path in examples {
            let yaml = std::fs::read_to_string(&path).expect("read");
            applied += fixture::assert_every_fix_applies(&yaml, &path.display().to_string());
        }
        eprintln!("{applied} fixes applied one at a time");
        assert!(applied > 100, "only {applied} fixes applied");
    }

    #[test]
    fn every_page_example_triggers_its_rule_and_its_fix_does_not() {
        for rule in RULES {
            // The import rules' examples are Compose files.
            let lint = if rule.category == super::Category::Import {
                fixture::lint_compose
            } else {
                fixture::lint
            };
            let example = lint(yaml_under(rule.doc, "## Example"));
            assert!(
                fixture::has(&example, rule.code),
                "{}: the example does not trigger it",
                rule.code
            );
            let fixed = lint(yaml_under(rule.doc, "## Fixed"));
            assert!(
                !fixed.findings.iter().any(|f| f.rule == *rule),
                "{}: the fixed example still triggers it",
                rule.code
            );
            assert!(
                fixed.valid,
                "{}: the fixed example is not a valid topology: {:?}",
                rule.code, fixed.findings
            );
        }
    }
}

/// The README's rule table, generated from the declarations so it cannot drift.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| code | name | category | severity | what it finds |\n|---|---|---|---|---|\n",
    );
    for r in RULES {
        out.push_str(&format!(
            "| [{code}](rules/{code}.md) | `{}` | {} | {} | {} |\n",
            r.name,
            r.category.as_str(),
            r.severity.as_str(),
            r.summary().replace('|', "\\|"),
            code = r.code,
        ));
    }
    out
}

#[cfg(test)]
mod readme {
    #[test]
    fn the_readme_rule_table_is_generated_from_the_rules() {
        let readme = std::fs::read_to_string("README.md").expect("README.md");
        let (before, rest) = readme
            .split_once("<!-- rules:start -->\n")
            .expect("start marker");
        let (table, after) = rest.split_once("<!-- rules:end -->").expect("end marker");
        let expected = super::markdown_table();
        if table != expected {
            if std::env::var_os("UPDATE_README").is_some() {
                let updated =
                    format!("{before}<!-- rules:start -->\n{expected}<!-- rules:end -->{after}");
                std::fs::write("README.md", updated).expect("write README.md");
                return;
            }
            panic!(
                "README.md's rule table is stale; run `UPDATE_README=1 cargo test readme`\n{expected}"
            );
        }
    }
}
