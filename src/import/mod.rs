//! Importers: Docker Compose files, Kubernetes manifests and Threagile models read into
//! a topology in the format's terms ([`topology::Topology`]), with the span of the
//! source each element came from. The topology is written as format-v1 YAML and linted
//! like any other (`lint::lint_import`); findings are mapped back into the source file.
//!
//! The mapping is specified in `design/importers.md`; what it left open is decided in
//! each importer's module documentation.

pub mod compose;
pub mod heuristics;
pub mod ids;
pub mod kubernetes;
pub mod node;
pub mod threagile;
pub mod topology;

use std::collections::HashMap;

use crate::finding::Finding;
use crate::rules::Rule;
use crate::rules::input;
use crate::source::{SourceFile, Span};
use crate::yaml::Limits;

/// Which importer reads a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum From {
    /// By content: `threagile_version` is Threagile, a top-level `services` map is
    /// Compose, documents with `apiVersion` and `kind` are Kubernetes; the file name
    /// breaks ties.
    Auto,
    /// A Docker Compose file.
    Compose,
    /// Kubernetes manifests (a multi-document stream, `List` items).
    K8s,
    /// A Threagile model.
    Threagile,
}

/// A source format an importer reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// Docker Compose.
    Compose,
    /// Kubernetes manifests.
    Kubernetes,
    /// A Threagile model.
    Threagile,
}

impl SourceKind {
    /// The name users know it by.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Compose => "Docker Compose",
            SourceKind::Kubernetes => "Kubernetes",
            SourceKind::Threagile => "Threagile",
        }
    }
}

/// How an import reads its input.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Which importer.
    pub from: Option<From>,
    /// Compose profiles named (`--profile`): services behind other profiles are not
    /// imported.
    pub profiles: Vec<String>,
}

/// The top-level keys of a YAML text, in block style (a line starting with `key:`),
/// or of a flow/JSON document (`"key":` anywhere): enough to tell the formats apart
/// without parsing.
fn has_top_level_key(text: &str, key: &str) -> bool {
    text.lines().any(|line| {
        line.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
            || line
                .strip_prefix('"')
                .and_then(|l| l.strip_prefix(key))
                .is_some_and(|rest| rest.starts_with("\":") || rest.starts_with("\" :"))
    }) || (text.trim_start().starts_with('{') && text.contains(&format!("\"{key}\"")))
}

/// Whether a text is a topology file (top-level `version:` and `components:`): with
/// `--from auto`, linted as the topology it is.
pub fn is_topology(text: &str) -> bool {
    has_top_level_key(text, "components") && has_top_level_key(text, "version")
}

/// Whether `--from auto` can read a text: a format it detects, or a topology.
pub fn readable_by_auto(text: &str, path: &str) -> bool {
    detect(text, path).is_some() || is_topology(text)
}

/// Whether a file name is one Compose looks for.
fn compose_name(path: &str) -> bool {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.starts_with("compose.") || name.starts_with("docker-compose")
}

/// The format of a file by its content, then its name.
pub fn detect(text: &str, path: &str) -> Option<SourceKind> {
    if has_top_level_key(text, "threagile_version") {
        return Some(SourceKind::Threagile);
    }
    let compose = has_top_level_key(text, "services");
    let k8s = has_top_level_key(text, "apiVersion") && has_top_level_key(text, "kind");
    match (compose, k8s) {
        (true, false) => Some(SourceKind::Compose),
        (false, true) => Some(SourceKind::Kubernetes),
        (true, true) if compose_name(path) => Some(SourceKind::Compose),
        (true, true) => Some(SourceKind::Kubernetes),
        (false, false) if compose_name(path) => Some(SourceKind::Compose),
        (false, false) => None,
    }
}

/// What an import produced: the topology and the findings of the import itself
/// (IMP, pointing into the source).
#[derive(Debug)]
pub struct Imported {
    /// The format read.
    pub kind: SourceKind,
    /// The topology.
    pub topology: topology::Topology,
    /// IMP findings.
    pub findings: Vec<Finding>,
    /// By component id: how to run one more replica of it, in the source's terms (the
    /// fix of its single point of failure where the translation is direct).
    pub replicas: HashMap<String, ReplicaFix>,
}

/// One more replica of a component, written in the source's terms.
#[derive(Clone, Debug)]
pub struct ReplicaFix {
    /// What the fix does.
    pub description: String,
    /// The YAML merged into `scope` (`services: { web: { deploy: { replicas: 2 } } }`).
    pub yaml: String,
    /// The part of the source it is merged into: the whole file, or one manifest.
    pub scope: Span,
}

impl Imported {
    /// The topology as format-v1 YAML, commented with where it came from, and the map
    /// from the written text to the source.
    pub fn write(&mut self, source_path: &str) -> (String, topology::SourceMap) {
        let header = format!(
            "Imported by infra-lint from {} ({}).\nEach component and link is commented with what it came from; take it over and refine it.",
            source_path,
            self.kind.as_str()
        );
        self.topology.write(&header)
    }
}

/// Gives each SPOF001 finding whose component the source can scale its fix in the
/// source's terms (`replicas`: by component id, from the import), as edits.
pub fn attach_replica_fixes(
    source: &SourceFile,
    replicas: &HashMap<String, ReplicaFix>,
    findings: &mut [Finding],
) {
    let wanted: Vec<(usize, &ReplicaFix)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.rule.code == crate::rules::availability::SPOF001.code)
        .filter_map(|(i, f)| Some((i, replicas.get(f.subjects.first()?.as_str())?)))
        .collect();
    let by_index: HashMap<usize, &ReplicaFix> = wanted.iter().copied().collect();
    for (i, edits) in plan_fixes(source, &wanted) {
        let Some(fix) = by_index.get(&i) else {
            continue;
        };
        findings[i].fix = Some(crate::finding::Fix {
            description: fix.description.clone().into(),
            applicability: crate::fix::Applicability::Unsafe,
            edits,
            yaml: fix.yaml.clone(),
            remove: Vec::new(),
        });
    }
}

/// The edits of each fix (by its caller's index) that merges into the source: each
/// part of the source (the file, a manifest) is mapped once for all the fixes into it,
/// so that a thousand fixes into one file cost one reading of it.
pub fn plan_fixes(
    source: &SourceFile,
    fixes: &[(usize, &ReplicaFix)],
) -> Vec<(usize, Vec<crate::fix::Edit>)> {
    let crlf = source
        .text
        .find('\n')
        .is_some_and(|i| source.text[..i].ends_with('\r'));
    let mut by_scope: std::collections::BTreeMap<(u32, u32), Vec<(usize, &ReplicaFix)>> =
        std::collections::BTreeMap::new();
    for &(i, fix) in fixes {
        by_scope
            .entry((fix.scope.start, fix.scope.end))
            .or_default()
            .push((i, fix));
    }
    let mut out = Vec::new();
    for ((start, end), group) in by_scope {
        let start = start as usize;
        // A manifest's span ends at its last value: take its line break too, so that
        // what is appended comes before the next `---`.
        let mut end = end as usize;
        if source
            .text
            .get(end..)
            .is_some_and(|rest| rest.starts_with('\n'))
        {
            end += 1;
        }
        let Some(text) = source.text.get(start..end) else {
            continue;
        };
        let part = SourceFile::new(source.path.clone(), text.to_string());
        let Ok(tree) = crate::fix::tree::build(&part) else {
            continue;
        };
        for (i, fix) in group {
            let Ok(mut edits) = crate::fix::plan::plan(&part, &tree, &fix.yaml) else {
                continue;
            };
            for e in &mut edits {
                e.start += start;
                e.end += start;
                if crlf {
                    e.content = e.content.replace('\n', "\r\n");
                }
            }
            if !edits.is_empty() {
                out.push((i, edits));
            }
        }
    }
    out
}

/// Reads a file with an importer: the import, or the input errors (IL, pointing into
/// the source) that stop it.
pub fn import(
    source: &SourceFile,
    options: &ImportOptions,
    limits: Limits,
) -> Result<Imported, Vec<Finding>> {
    let kind = match options.from.unwrap_or(From::Auto) {
        From::Compose => SourceKind::Compose,
        From::K8s => SourceKind::Kubernetes,
        From::Threagile => SourceKind::Threagile,
        From::Auto => match detect(&source.text, &source.path) {
            Some(kind) => kind,
            None => {
                return Err(vec![
                    Finding::new(
                        &input::IL002,
                        Span::new(0, 0),
                        "cannot tell what this file is: not a Compose file (no top-level `services:`), Kubernetes manifests (no `apiVersion:` and `kind:`) or a Threagile model (no `threagile_version:`)",
                    )
                    .label("here")
                    .help("name the format with --from compose, --from k8s or --from threagile"),
                ]);
            }
        },
    };
    let mut imported = match kind {
        SourceKind::Compose => compose::import(source, options, limits)?,
        SourceKind::Kubernetes => kubernetes::import(source, limits)?,
        SourceKind::Threagile => threagile::import(source, limits)?,
    };
    imported.findings.sort_by(|a, b| {
        (a.span.start, a.rule.code, &a.message).cmp(&(b.span.start, b.rule.code, &b.message))
    });
    Ok(imported)
}

/// Reader errors as IL findings in the source.
fn reader_errors(errors: Vec<crate::yaml::Error>) -> Vec<Finding> {
    errors.into_iter().map(crate::lint::input_finding).collect()
}

/// An input error of the source (what the source's own tool would reject).
fn invalid(span: Span, message: impl Into<String>, label: &str) -> Finding {
    Finding::new(&input::IL002, span, message).label(label)
}

/// The most instances the format counts.
const MAX_INSTANCES: i64 = 4_294_967_295;

/// A count of instances the format can state, else IMP005 at `span`.
fn instances(
    n: i64,
    span: Span,
    subject: &str,
    findings: &mut Vec<Finding>,
) -> Option<topology::At<u64>> {
    if (1..=MAX_INSTANCES).contains(&n) {
        return Some(topology::At::new(n as u64, span));
    }
    findings.push(imp(
        &crate::rules::import::IMP005,
        span,
        subject,
        format!("{n} replicas is not a count of instances (1 to {MAX_INSTANCES}): not imported"),
    ));
    None
}

/// An IMP finding about `subject`.
fn imp(rule: &'static Rule, span: Span, subject: &str, message: impl Into<String>) -> Finding {
    let f = Finding::new(rule, span, message);
    if subject.is_empty() {
        f
    } else {
        f.subject(subject)
    }
}

/// The links of an import, one per (from, to) pair: later evidence for a pair only
/// fills in what the first left unsaid.
#[derive(Debug, Default)]
struct Links {
    by_pair: HashMap<(String, String), usize>,
    links: Vec<topology::Link>,
}

impl Links {
    /// The ids that call another element: a proxy among them balances load.
    fn callers(&self) -> std::collections::HashSet<&str> {
        self.links.iter().map(|l| l.from.as_str()).collect()
    }

    /// Fills in the protocol no evidence stated, on links to an element the source
    /// defines (`engine_of` answers Some, with its engine if any): the engine's
    /// protocol, else the port's well-known one, which is a guess (IMP001).
    fn infer_protocols(
        &mut self,
        engine_of: impl Fn(&str) -> Option<Option<&'static str>>,
        findings: &mut Vec<Finding>,
    ) {
        for l in self.links.iter_mut().filter(|l| l.protocol.is_none()) {
            let Some(engine) = engine_of(&l.to) else {
                continue;
            };
            l.protocol = engine.and_then(heuristics::engine_protocol);
            if l.protocol.is_none()
                && let Some(p) = l.port.and_then(heuristics::port_protocol)
            {
                l.protocol = Some(p);
                findings.push(imp(
                    &crate::rules::import::IMP001,
                    l.origin,
                    &l.from,
                    format!(
                        "the link {} -> {} is taken to speak {p} from its port number",
                        l.from, l.to
                    ),
                ));
            }
        }
    }

    /// Adds evidence of a link; a self-reference is not one.
    fn add(&mut self, link: topology::Link) {
        if link.from == link.to {
            return;
        }
        match self.by_pair.get(&(link.from.clone(), link.to.clone())) {
            Some(&i) => {
                let have = &mut self.links[i];
                if have.port.is_none() {
                    have.port = link.port;
                }
                if have.protocol.is_none() {
                    have.protocol = link.protocol;
                }
                if have.tls.is_none() {
                    have.tls = link.tls;
                }
            }
            None => {
                self.by_pair
                    .insert((link.from.clone(), link.to.clone()), self.links.len());
                self.links.push(link);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{SourceKind, detect, is_topology};

    #[test]
    fn formats_are_told_apart_by_content_then_name() {
        let k8s =
            "# rendered by helm\nkind: Deployment\napiVersion: apps/v1\nmetadata: { name: x }\n";
        assert_eq!(detect(k8s, "input.yaml"), Some(SourceKind::Kubernetes));
        let compose = "# the shop\nversion: \"3.8\"\nservices:\n  web: { image: nginx }\n";
        assert_eq!(detect(compose, "input.yaml"), Some(SourceKind::Compose));
        let json = r#"{"apiVersion": "v1", "kind": "List", "items": []}"#;
        assert_eq!(detect(json, "input.json"), Some(SourceKind::Kubernetes));
        let model = "threagile_version: 1.0.0\ntitle: x\n";
        assert_eq!(detect(model, "input.yaml"), Some(SourceKind::Threagile));
        // A key only nested, never top-level, says nothing.
        assert_eq!(detect("x:\n  services: {}\n", "input.yaml"), None);
        // Both shapes at once: the name decides.
        let both = "services: {}\napiVersion: v1\nkind: ConfigMap\n";
        assert_eq!(
            detect(both, "docker-compose.yml"),
            Some(SourceKind::Compose)
        );
        assert_eq!(detect(both, "input.yaml"), Some(SourceKind::Kubernetes));
        assert!(is_topology("version: 1\nname: x\ncomponents: {}\n"));
        assert!(!is_topology(compose));
    }
}
