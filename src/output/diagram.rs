//! The topology as a diagram (Mermaid or Graphviz DOT), with the components, hosts and
//! links that findings are about marked, and a legend saying what each mark means.
//!
//! A single point of failure stands out (purple, thick border) from an error (red), from
//! a host that merely lacks a firewall (dashed amber border) and from other warnings
//! (amber) and infos (blue). Replication streams, which no link states but TLS006 and
//! the DB rules are about, are drawn dashed from the source to the replica.
//!
//! Nothing taken from the input is written as diagram syntax: nodes get generated ids
//! (`n0`, `n1`, ...; hosts `h0`, ...; legend entries `l0`, ...) and every id, name or
//! label from the topology is a quoted, escaped label, so an id such as `end` or `click`
//! cannot change the graph.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::finding::{Finding, Severity};
use crate::lint::{FileReport, Outline, OutlineEdge, OutlineReplication};

/// How a component, host or link is marked: the strongest of what its findings say.
/// Declared strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mark {
    /// A single point of failure: a SPOF rule names it first.
    Spof,
    /// An error.
    Error,
    /// A host or host-less component without a firewall (FW001), and nothing worse.
    NoFirewall,
    /// Another warning.
    Warning,
    /// An info.
    Info,
}

/// Every mark, strongest first.
const MARKS: [Mark; 5] = [
    Mark::Spof,
    Mark::Error,
    Mark::NoFirewall,
    Mark::Warning,
    Mark::Info,
];

impl Mark {
    /// What a finding says about its first subject. The rule codes are the diagram's
    /// whole knowledge of rules: the SPOF rules are the single points of failure, and
    /// FW001 is the missing firewall.
    pub fn of(f: &Finding) -> Mark {
        match f.severity {
            _ if f.rule.code.starts_with("SPOF") => Mark::Spof,
            Severity::Error => Mark::Error,
            _ if f.rule.code == "FW001" => Mark::NoFirewall,
            Severity::Warning => Mark::Warning,
            Severity::Info => Mark::Info,
        }
    }

    /// The Mermaid class name.
    pub fn class(self) -> &'static str {
        match self {
            Mark::Spof => "spof",
            Mark::Error => "error",
            Mark::NoFirewall => "nofirewall",
            Mark::Warning => "warning",
            Mark::Info => "info",
        }
    }

    /// What the legend says the mark means.
    pub fn meaning(self) -> &'static str {
        match self {
            Mark::Spof => "single point of failure",
            Mark::Error => "error",
            Mark::NoFirewall => "no firewall",
            Mark::Warning => "warning",
            Mark::Info => "info",
        }
    }

    /// Fill, stroke, stroke width in pixels, and whether the border is dashed.
    fn style(self) -> (&'static str, &'static str, u8, bool) {
        match self {
            Mark::Spof => ("#f3d9fa", "#7b1fa2", 4, false),
            Mark::Error => ("#fde2e2", "#c62828", 2, false),
            Mark::NoFirewall => ("#ffffff", "#b26a00", 2, true),
            Mark::Warning => ("#fff4d6", "#b26a00", 2, false),
            Mark::Info => ("#e3f2fd", "#1565c0", 2, false),
        }
    }
}

/// The colour of replication streams that no finding is about.
const REPLICATION_COLOR: &str = "#00796b";

/// What the legend says about the lines.
const LINES: &str =
    "solid: link, thick: encrypted, dotted: load balancer target, dashed: replication";

/// What the findings of one file say about its outline: the strongest mark per
/// component id, host id and link (`from->to`), keyed by first subject, from the
/// unsuppressed findings.
struct Marks {
    marks: BTreeMap<String, Mark>,
    /// The replicas whose replication stream is in plaintext across hosts (TLS006).
    replication: BTreeMap<String, Mark>,
}

impl Marks {
    fn of(file: &FileReport) -> Marks {
        let mut marks: BTreeMap<String, Mark> = BTreeMap::new();
        let mut replication: BTreeMap<String, Mark> = BTreeMap::new();
        for f in file.findings.iter().filter(|f| f.suppressed.is_none()) {
            let Some(subject) = f.subjects.first() else {
                continue;
            };
            let mark = Mark::of(f);
            let slot = marks.entry(subject.to_string()).or_insert(mark);
            *slot = (*slot).min(mark);
            if f.rule.code == "TLS006" {
                let slot = replication.entry(subject.to_string()).or_insert(mark);
                *slot = (*slot).min(mark);
            }
        }
        Marks { marks, replication }
    }

    fn get(&self, subject: &str) -> Option<Mark> {
        self.marks.get(subject).copied()
    }

    fn edge(&self, outline: &Outline, edge: &OutlineEdge) -> Option<Mark> {
        let from = &outline.nodes[edge.from].id;
        let to = &outline.nodes[edge.to].id;
        self.get(&format!("{from}->{to}"))
    }

    fn replication(&self, outline: &Outline, r: &OutlineReplication) -> Option<Mark> {
        self.replication.get(&outline.nodes[r.to].id).copied()
    }
}

/// A diagram's title: the topology's name and its file (as every output shows it:
/// relative to the project root).
fn title(file: &FileReport, outline: &Outline) -> String {
    format!("{} ({})", outline.name.trim(), file.source.path)
}

/// Hosts in order of first appearance, each with the indices of its components, and
/// the components that sit on no host.
fn hosts(outline: &Outline) -> (Vec<(&str, Vec<usize>)>, Vec<usize>) {
    let mut hosts: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut free = Vec::new();
    for (i, node) in outline.nodes.iter().enumerate() {
        match node.host.as_deref() {
            Some(host) => match hosts.iter_mut().find(|(h, _)| *h == host) {
                Some((_, members)) => members.push(i),
                None => hosts.push((host, vec![i])),
            },
            None => free.push(i),
        }
    }
    (hosts, free)
}

/// What an edge's label says: the protocol, then whether it is encrypted.
fn edge_label(edge: &OutlineEdge) -> String {
    let encryption = if edge.tls { "tls" } else { "plaintext" };
    format!("{}, {encryption}", edge.protocol)
}

/// What a replication stream's label says: its mode, then whether it is encrypted.
fn replication_label(r: &OutlineReplication) -> String {
    let encryption = if r.tls { "tls" } else { "plaintext" };
    format!("replication, {}, {encryption}", r.mode)
}

/// The marks a diagram uses, strongest first, for its legend.
fn used(marks: &Marks, outline: &Outline, hosts: &[(&str, Vec<usize>)]) -> Vec<Mark> {
    let mut used: Vec<Mark> = outline
        .nodes
        .iter()
        .map(|n| n.id.as_str())
        .chain(hosts.iter().map(|(h, _)| *h))
        .filter_map(|id| marks.get(id))
        .chain(outline.edges.iter().filter_map(|e| marks.edge(outline, e)))
        .chain(
            outline
                .replications
                .iter()
                .filter_map(|r| marks.replication(outline, r)),
        )
        .collect();
    used.sort();
    used.dedup();
    used
}

/// Text made safe inside a double-quoted Mermaid label: line breaks and control
/// characters become spaces and every character with a meaning to Mermaid, markdown or
/// HTML becomes an entity code (`#quot;`, `#60;`), which Mermaid shows as the character.
/// An arrow written `->` (as findings name links) is shown as `→`.
pub fn mermaid_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'>') => {
                chars.next();
                out.push('→');
            }
            c if c.is_control() => out.push(' '),
            '"' => out.push_str("#quot;"),
            c if c.is_alphanumeric() || " -_./:,+=@'()→".contains(c) => out.push(c),
            c => {
                let _ = write!(out, "#{};", u32::from(c));
            }
        }
    }
    out
}

/// Text made safe as a double-quoted YAML string in a Mermaid front matter title,
/// where Mermaid decodes no entity codes: letters, digits and plain punctuation are
/// kept, `->` is shown as `→`, anything else becomes `_`.
fn mermaid_title(text: &str) -> String {
    let text = text.replace("->", "→");
    let safe: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_./:,+=@()→".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("\"{safe}\"")
}

/// Mermaid's node shape brackets for a component kind.
fn mermaid_shape(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "client" => ("([", "])"),
        "database" => ("[(", ")]"),
        "load_balancer" => ("{{", "}}"),
        _ => ("[", "]"),
    }
}

/// A Mermaid link style for a stroke colour, width and dashing.
fn mermaid_link_style(stroke: &str, width: u8, dashed: bool) -> String {
    let dash = if dashed { ",stroke-dasharray:8 4" } else { "" };
    format!("stroke:{stroke},stroke-width:{width}px{dash}")
}

/// The topology of `file` as a Mermaid flowchart (without a markdown fence), titled
/// with the topology's name and file: components grouped by host, declared links solid
/// (thick when encrypted), load balancers' target links dotted, replication streams
/// dashed from source to replica, each labelled; marked components and hosts get the
/// class of their mark ([`Mark`]), marked links its colour; a legend lists the marks
/// used and the kinds of line. A file with no outline (not a valid topology, or
/// outlines not kept) gives a Mermaid comment.
pub fn mermaid(file: &FileReport) -> String {
    let Some(outline) = &file.outline else {
        return "%% no diagram: the file is not a valid topology\n".to_string();
    };
    let marks = Marks::of(file);
    let mut out = format!(
        "---\ntitle: {}\n---\nflowchart LR\n",
        mermaid_title(&title(file, outline))
    );
    for mark in MARKS {
        let (fill, stroke, width, dashed) = mark.style();
        let dash = if dashed { ",stroke-dasharray:5 3" } else { "" };
        let _ = writeln!(
            out,
            "  classDef {} fill:{fill},stroke:{stroke},stroke-width:{width}px{dash}",
            mark.class()
        );
    }
    let mut classes: BTreeMap<Mark, Vec<String>> = BTreeMap::new();
    let node =
        |out: &mut String, classes: &mut BTreeMap<Mark, Vec<String>>, indent: &str, i: usize| {
            let n = &outline.nodes[i];
            let (open, close) = mermaid_shape(n.kind);
            let label = mermaid_label(&format!("{} ({})", n.id, n.kind));
            let _ = writeln!(out, "{indent}n{i}{open}\"{label}\"{close}");
            if let Some(m) = marks.get(&n.id) {
                classes.entry(m).or_default().push(format!("n{i}"));
            }
        };
    let (hosts, free) = hosts(outline);
    for (h, (host, members)) in hosts.iter().enumerate() {
        let label = mermaid_label(&format!("host {host}"));
        let _ = writeln!(out, "  subgraph h{h}[\"{label}\"]");
        for &i in members {
            node(&mut out, &mut classes, "    ", i);
        }
        out.push_str("  end\n");
        if let Some(m) = marks.get(host) {
            classes.entry(m).or_default().push(format!("h{h}"));
        }
    }
    for i in free {
        node(&mut out, &mut classes, "  ", i);
    }
    // Link styles in order of first use, each with the indices of the links it applies
    // to, counted in the order the links are written (Mermaid numbers them so).
    let mut link_styles: Vec<(String, Vec<String>)> = Vec::new();
    let mut style_link =
        |style: String, index: usize| match link_styles.iter_mut().find(|(s, _)| *s == style) {
            Some((_, links)) => links.push(index.to_string()),
            None => link_styles.push((style, vec![index.to_string()])),
        };
    for (e, edge) in outline.edges.iter().enumerate() {
        let arrow = match (edge.implied, edge.tls) {
            (true, _) => "-.->",
            (false, true) => "==>",
            (false, false) => "-->",
        };
        let label = mermaid_label(&edge_label(edge));
        let _ = writeln!(out, "  n{} {arrow}|\"{label}\"| n{}", edge.from, edge.to);
        if let Some(m) = marks.edge(outline, edge) {
            let (_, stroke, _, _) = m.style();
            style_link(mermaid_link_style(stroke, 3, false), e);
        }
    }
    for (r, replication) in outline.replications.iter().enumerate() {
        let label = mermaid_label(&replication_label(replication));
        let _ = writeln!(
            out,
            "  n{} -.->|\"{label}\"| n{}",
            replication.from, replication.to
        );
        let (stroke, width) = match marks.replication(outline, replication) {
            Some(m) => (m.style().1, 3),
            None => (REPLICATION_COLOR, 2),
        };
        style_link(
            mermaid_link_style(stroke, width, true),
            outline.edges.len() + r,
        );
    }
    // The legend: one sample of each mark used, then the kinds of line.
    out.push_str("  subgraph legend[\"legend\"]\n");
    let used = used(&marks, outline, &hosts);
    for (l, mark) in used.iter().enumerate() {
        let _ = writeln!(out, "    l{l}[\"{}\"]", mermaid_label(mark.meaning()));
        classes.entry(*mark).or_default().push(format!("l{l}"));
    }
    let _ = writeln!(out, "    l{}[\"{}\"]", used.len(), mermaid_label(LINES));
    out.push_str("  end\n");
    for (mark, ids) in &classes {
        let _ = writeln!(out, "  class {} {}", ids.join(","), mark.class());
    }
    for (style, links) in link_styles {
        let _ = writeln!(out, "  linkStyle {} {style}", links.join(","));
    }
    out
}

/// Text made safe inside a double-quoted DOT string: backslashes and quotes escaped
/// (so no `\N`-style escape of Graphviz applies), line breaks and control characters
/// become spaces.
pub fn dot_string(text: &str) -> String {
    format!("\"{}\"", dot_escape(text))
}

/// The inside of [`dot_string`], for labels built from several parts.
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Graphviz's node shape for a component kind.
fn dot_shape(kind: &str) -> &'static str {
    match kind {
        "client" => "oval",
        "database" => "cylinder",
        "load_balancer" => "hexagon",
        _ => "box",
    }
}

/// The DOT attributes that draw a node with a mark.
fn dot_node_mark(mark: Mark) -> String {
    let (fill, stroke, width, dashed) = mark.style();
    let dash = if dashed { ",dashed" } else { "" };
    format!(
        ", style=\"rounded,filled{dash}\", fillcolor=\"{fill}\", color=\"{stroke}\", penwidth={width}"
    )
}

/// The topology of `file` as a Graphviz digraph, titled with the topology's name and
/// file: components grouped in host clusters, declared links solid, load balancers'
/// target links dotted, replication streams dashed from source to replica, encrypted
/// links bold, each labelled; marked components, hosts and links drawn as in Mermaid
/// ([`Mark`]), and a `legend` cluster listing the marks used and the kinds of line.
/// Every id is quoted and escaped. A file with no outline gives a DOT comment.
pub fn dot(file: &FileReport) -> String {
    let Some(outline) = &file.outline else {
        return "// no diagram: the file is not a valid topology\n".to_string();
    };
    let marks = Marks::of(file);
    let mut out = String::from("digraph \"topology\" {\n");
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, labelloc=t, label={}];",
        dot_string(&title(file, outline))
    );
    out.push_str("  node [fontname=\"Helvetica\", style=\"rounded\"];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    let node = |out: &mut String, indent: &str, i: usize| {
        let n = &outline.nodes[i];
        // Two lines: DOT's own `\n` escape between the escaped id and the kind.
        let mut attrs = format!(
            "label=\"{}\\n({})\", shape={}",
            dot_escape(&n.id),
            dot_escape(n.kind),
            dot_shape(n.kind)
        );
        if let Some(m) = marks.get(&n.id) {
            attrs.push_str(&dot_node_mark(m));
        }
        let _ = writeln!(out, "{indent}\"n{i}\" [{attrs}];");
    };
    let (hosts, free) = hosts(outline);
    for (h, (host, members)) in hosts.iter().enumerate() {
        let _ = writeln!(out, "  subgraph \"cluster_h{h}\" {{");
        let _ = writeln!(out, "    label={};", dot_string(&format!("host {host}")));
        if let Some(m) = marks.get(host) {
            let (_, stroke, width, dashed) = m.style();
            let style = if dashed { "dashed" } else { "solid" };
            let _ = writeln!(
                out,
                "    color=\"{stroke}\"; penwidth={width}; style=\"{style}\";"
            );
        }
        for &i in members {
            node(&mut out, "    ", i);
        }
        out.push_str("  }\n");
    }
    for i in free {
        node(&mut out, "  ", i);
    }
    for edge in &outline.edges {
        let mut attrs = format!("label={}", dot_string(&edge_label(edge)));
        if edge.implied {
            attrs.push_str(", style=dotted");
        } else if edge.tls {
            attrs.push_str(", style=bold");
        }
        if let Some(m) = marks.edge(outline, edge) {
            let (_, stroke, _, _) = m.style();
            let _ = write!(
                attrs,
                ", color=\"{stroke}\", fontcolor=\"{stroke}\", penwidth=2"
            );
        }
        let _ = writeln!(out, "  \"n{}\" -> \"n{}\" [{attrs}];", edge.from, edge.to);
    }
    for r in &outline.replications {
        let (stroke, width) = match marks.replication(outline, r) {
            Some(m) => (m.style().1, 2),
            None => (REPLICATION_COLOR, 1),
        };
        let _ = writeln!(
            out,
            "  \"n{}\" -> \"n{}\" [label={}, style=dashed, color=\"{stroke}\", fontcolor=\"{stroke}\", penwidth={width}];",
            r.from,
            r.to,
            dot_string(&replication_label(r))
        );
    }
    out.push_str("  subgraph \"cluster_legend\" {\n    label=\"legend\";\n");
    let used = used(&marks, outline, &hosts);
    for (l, mark) in used.iter().enumerate() {
        let _ = writeln!(
            out,
            "    \"l{l}\" [label={}, shape=box{}];",
            dot_string(mark.meaning()),
            dot_node_mark(*mark)
        );
    }
    let _ = writeln!(
        out,
        "    \"l{}\" [label={}, shape=note];",
        used.len(),
        dot_string(LINES)
    );
    out.push_str("  }\n}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::{dot_string, mermaid_label, mermaid_title};

    #[test]
    fn mermaid_labels_keep_words_and_encode_syntax() {
        assert_eq!(mermaid_label("end"), "end");
        assert_eq!(mermaid_label("a\"b"), "a#quot;b");
        assert_eq!(mermaid_label("<x>"), "#60;x#62;");
        assert_eq!(mermaid_label("a\nb"), "a b");
        assert_eq!(mermaid_label("#quot;"), "#35;quot#59;");
        assert_eq!(mermaid_label("`|[]"), "#96;#124;#91;#93;");
        assert_eq!(mermaid_label("users -> lb-1"), "users → lb-1");
        assert_eq!(mermaid_label("a > b"), "a #62; b");
    }

    #[test]
    fn mermaid_titles_keep_plain_text_only() {
        assert_eq!(
            mermaid_title("shop (infra/a.yml)"),
            "\"shop (infra/a.yml)\""
        );
        assert_eq!(mermaid_title("a\"b\\c\n#d -> e"), "\"a_b_c__d → e\"");
    }

    #[test]
    fn dot_strings_escape_quotes_and_backslashes() {
        assert_eq!(dot_string("a\"b\\N\nc"), "\"a\\\"b\\\\N c\"");
    }
}
