//! The topology as a diagram (Mermaid or Graphviz DOT), with the components, hosts and
//! links that findings are about marked by their worst severity.
//!
//! Nothing taken from the input is written as diagram syntax: nodes get generated ids
//! (`n0`, `n1`, ...; hosts `h0`, ...) and every id, name or label from the topology is
//! a quoted, escaped label, so an id such as `end` or `click` cannot change the graph.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::finding::Severity;
use crate::lint::{FileReport, Outline, OutlineEdge};

/// What the findings of one file say about its outline: the worst unsuppressed
/// severity per component id, host id and link (`from->to`), keyed by first subject.
struct Marks {
    worst: BTreeMap<String, Severity>,
}

impl Marks {
    fn of(file: &FileReport) -> Marks {
        let mut worst: BTreeMap<String, Severity> = BTreeMap::new();
        for f in file.findings.iter().filter(|f| f.suppressed.is_none()) {
            if let Some(subject) = f.subjects.first() {
                let slot = worst.entry(subject.clone()).or_insert(f.severity);
                *slot = (*slot).max(f.severity);
            }
        }
        Marks { worst }
    }

    fn get(&self, subject: &str) -> Option<Severity> {
        self.worst.get(subject).copied()
    }

    fn edge(&self, outline: &Outline, edge: &OutlineEdge) -> Option<Severity> {
        let from = &outline.nodes[edge.from].id;
        let to = &outline.nodes[edge.to].id;
        self.get(&format!("{from}->{to}"))
    }
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

/// Text made safe inside a double-quoted Mermaid label: line breaks and control
/// characters become spaces and every character with a meaning to Mermaid, markdown or
/// HTML becomes an entity code (`#quot;`, `#60;`), which Mermaid shows as the character.
pub fn mermaid_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_control() => out.push(' '),
            '"' => out.push_str("#quot;"),
            c if c.is_alphanumeric() || " -_./:,+=@'()".contains(c) => out.push(c),
            c => {
                let _ = write!(out, "#{};", u32::from(c));
            }
        }
    }
    out
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

/// Every severity, worst first.
const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

/// The fill and stroke colours of a severity; in Mermaid, the class of the severity's
/// name.
fn colors(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Error => ("#fde2e2", "#c62828"),
        Severity::Warning => ("#fff4d6", "#b26a00"),
        Severity::Info => ("#e3f2fd", "#1565c0"),
    }
}

/// The topology of `file` as a Mermaid flowchart (without a markdown fence): components
/// grouped by host, declared links solid (thick when encrypted), load balancers' target
/// links dotted, each labelled with its protocol and whether it is encrypted; failing
/// components and hosts get the class of their worst severity, failing links its
/// colour. A file with no outline (not a valid topology, or outlines not kept) gives a
/// Mermaid comment.
pub fn mermaid(file: &FileReport) -> String {
    let Some(outline) = &file.outline else {
        return "%% no diagram: the file is not a valid topology\n".to_string();
    };
    let marks = Marks::of(file);
    let mut out = String::from("flowchart LR\n");
    out.push_str(
        "  %% solid: declared link (thick: encrypted); dotted: load balancer target; boxes: hosts\n",
    );
    for severity in SEVERITIES {
        let (fill, stroke) = colors(severity);
        let _ = writeln!(
            out,
            "  classDef {} fill:{fill},stroke:{stroke},stroke-width:2px",
            severity.as_str()
        );
    }
    let mut classes: BTreeMap<Severity, Vec<String>> = BTreeMap::new();
    let node = |out: &mut String,
                classes: &mut BTreeMap<Severity, Vec<String>>,
                indent: &str,
                i: usize| {
        let n = &outline.nodes[i];
        let (open, close) = mermaid_shape(n.kind);
        let label = mermaid_label(&format!("{} ({})", n.id, n.kind));
        let _ = writeln!(out, "{indent}n{i}{open}\"{label}\"{close}");
        if let Some(s) = marks.get(&n.id) {
            classes.entry(s).or_default().push(format!("n{i}"));
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
        if let Some(s) = marks.get(host) {
            classes.entry(s).or_default().push(format!("h{h}"));
        }
    }
    for i in free {
        node(&mut out, &mut classes, "  ", i);
    }
    let mut failing_links: BTreeMap<Severity, Vec<String>> = BTreeMap::new();
    for (e, edge) in outline.edges.iter().enumerate() {
        let arrow = match (edge.implied, edge.tls) {
            (true, _) => "-.->",
            (false, true) => "==>",
            (false, false) => "-->",
        };
        let label = mermaid_label(&edge_label(edge));
        let _ = writeln!(out, "  n{} {arrow}|\"{label}\"| n{}", edge.from, edge.to);
        if let Some(s) = marks.edge(outline, edge) {
            failing_links.entry(s).or_default().push(e.to_string());
        }
    }
    for (severity, ids) in &classes {
        let _ = writeln!(out, "  class {} {}", ids.join(","), severity.as_str());
    }
    for (severity, links) in &failing_links {
        let (_, stroke) = colors(*severity);
        let _ = writeln!(
            out,
            "  linkStyle {} stroke:{stroke},stroke-width:3px",
            links.join(",")
        );
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

/// The topology of `file` as a Graphviz digraph: components grouped in host clusters,
/// declared links solid, load balancers' target links dashed, encrypted links bold,
/// each labelled with its protocol; failing components, hosts and links filled or
/// coloured by their worst severity. Every id is quoted and escaped. A file with no
/// outline gives a DOT comment.
pub fn dot(file: &FileReport) -> String {
    let Some(outline) = &file.outline else {
        return "// no diagram: the file is not a valid topology\n".to_string();
    };
    let marks = Marks::of(file);
    let mut out = String::from("digraph \"topology\" {\n");
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, labelloc=t, label={}];",
        dot_string(&outline.name)
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
        if let Some(s) = marks.get(&n.id) {
            let (fill, stroke) = colors(s);
            let _ = write!(
                attrs,
                ", style=\"rounded,filled\", fillcolor=\"{fill}\", color=\"{stroke}\", penwidth=2"
            );
        }
        let _ = writeln!(out, "{indent}\"n{i}\" [{attrs}];");
    };
    let (hosts, free) = hosts(outline);
    for (h, (host, members)) in hosts.iter().enumerate() {
        let _ = writeln!(out, "  subgraph \"cluster_h{h}\" {{");
        let _ = writeln!(out, "    label={};", dot_string(&format!("host {host}")));
        if let Some(s) = marks.get(host) {
            let (_, stroke) = colors(s);
            let _ = writeln!(out, "    color=\"{stroke}\"; penwidth=2;");
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
            attrs.push_str(", style=dashed");
        } else if edge.tls {
            attrs.push_str(", style=bold");
        }
        if let Some(s) = marks.edge(outline, edge) {
            let (_, stroke) = colors(s);
            let _ = write!(
                attrs,
                ", color=\"{stroke}\", fontcolor=\"{stroke}\", penwidth=2"
            );
        }
        let _ = writeln!(out, "  \"n{}\" -> \"n{}\" [{attrs}];", edge.from, edge.to);
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::{dot_string, mermaid_label};

    #[test]
    fn mermaid_labels_keep_words_and_encode_syntax() {
        assert_eq!(mermaid_label("end"), "end");
        assert_eq!(mermaid_label("a\"b"), "a#quot;b");
        assert_eq!(mermaid_label("<x>"), "#60;x#62;");
        assert_eq!(mermaid_label("a\nb"), "a b");
        assert_eq!(mermaid_label("#quot;"), "#35;quot#59;");
        assert_eq!(mermaid_label("`|[]"), "#96;#124;#91;#93;");
    }

    #[test]
    fn dot_strings_escape_quotes_and_backslashes() {
        assert_eq!(dot_string("a\"b\\N\nc"), "\"a\\\"b\\\\N c\"");
    }
}
