//! Completion and hover.
//!
//! Completion offers the ids that belong where the cursor is (hosts after `host:`,
//! components after `targets:`...) and rule codes after a suppression's `rule:`. What
//! belongs there is read from the lines before the cursor, which works while the text
//! being typed is not yet valid YAML; the ids come from the last text that parsed.
//!
//! Hover tells what an id is and what leans on it, a rule's summary from its page (the
//! rule registry), and a key's documentation from the JSON Schema (the format's doc
//! comments: the same text `infra-lint schema` gives editors).

use std::sync::OnceLock;

use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Hover, HoverContents, MarkupContent,
    MarkupKind, Position, TextEdit,
};
use serde_json::Value;

use super::index::{IdIndex, IdKind, expected_at};
use super::{Linted, View};
use crate::source::{SourceFile, Span};

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The indentation of a line, in spaces.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The key a value at the end of `before` (the line up to the cursor, without the word
/// being typed) belongs to: `key:`, `key: [a, `, `{ a: 1, key: `.
fn key_on_line(before: &str) -> Option<&str> {
    let rest = before.trim_end();
    let rest = if rest.ends_with(':') {
        rest
    } else if rest.ends_with(['[', ',']) {
        // Inside a flow list: the key before its opening bracket.
        let open = rest.rfind('[')?;
        if rest[open..].contains(']') {
            return None;
        }
        rest[..open].trim_end()
    } else {
        return None;
    };
    let rest = rest.strip_suffix(':')?;
    let start = rest
        .char_indices()
        .rev()
        .find(|&(_, c)| !is_id_char(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    Some(&rest[start..]).filter(|k| !k.is_empty())
}

/// The key of the block list or mapping that holds the line at `line_no` with
/// indentation `col`: the nearest line above, less indented (or as indented, for a list
/// written `key:\n- item`), that ends in `key:`.
fn enclosing_key<'t>(lines: &[&'t str], line_no: usize, col: usize) -> Option<&'t str> {
    for line in lines[..line_no].iter().rev() {
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let at = indent(line);
        if at > col || (at == col && content.starts_with('-')) {
            continue;
        }
        let content = content.trim_start_matches("- ");
        let key = content.strip_suffix(':')?;
        return Some(key.rsplit(' ').next().unwrap_or(key)).filter(|k| k.chars().all(is_id_char));
    }
    None
}

/// What belongs at a cursor.
#[derive(Debug, PartialEq)]
enum Slot<'t> {
    /// An id of these kinds, under `key`.
    Id(&'static [IdKind]),
    /// A rule code (a suppression's `rule:`).
    Rule,
    /// Nothing we complete.
    Other(Option<&'t str>),
}

/// What belongs at byte `offset` of `text`, and where the word being typed starts.
fn slot_at(text: &str, offset: usize) -> (Slot<'_>, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let word = before.len() - before.trim_end_matches(is_id_char).len();
    let word_start = offset - word;
    let before = &before[..before.len() - word];
    let lines: Vec<&str> = text[..line_start].lines().collect();
    let line_no = lines.len();
    let key = key_on_line(before).or_else(|| {
        // A block list item: `- ` and the word.
        let trimmed = before.trim_start();
        (trimmed.trim_end() == "-").then(|| enclosing_key(&lines, line_no, indent(before)))?
    });
    let slot = match key {
        Some("rule") => Slot::Rule,
        Some(k) => {
            // A `from:` in a firewall's allow rule names a source, not a link's end.
            let line = &text[line_start..];
            let line = &line[..line.find(['\n', '\r']).unwrap_or(line.len())];
            let in_allow = k == "from"
                && (line.contains("port:")
                    || enclosing_key(&lines, line_no, indent(before)) == Some("allow"));
            match expected_at(k, in_allow) {
                Some(kinds) => Slot::Id(kinds),
                None => Slot::Other(Some(k)),
            }
        }
        None => Slot::Other(None),
    };
    (slot, word_start)
}

/// What completes the word at a position.
pub fn completion(view: &View, index: Option<&IdIndex>, at: Position) -> Vec<CompletionItem> {
    let offset = view.offset(at);
    let (slot, word_start) = slot_at(view.text, offset);
    let range = view.range(Span::new(word_start, offset.max(word_start)));
    let item = |label: String, kind, detail: String, doc: Option<String>| CompletionItem {
        text_edit: Some(CompletionTextEdit::Edit(TextEdit {
            range,
            new_text: label.clone(),
        })),
        label,
        kind: Some(kind),
        detail: Some(detail),
        documentation: doc.map(|d| {
            lsp_types::Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: d,
            })
        }),
        ..CompletionItem::default()
    };
    match slot {
        Slot::Id(kinds) => index
            .map(|ix| ix.ids_of(kinds))
            .unwrap_or_default()
            .into_iter()
            .map(|d| {
                let detail = match d.component_kind {
                    Some(kind) => format!("component ({kind})"),
                    None => d.kind.noun().to_string(),
                };
                item(d.id.clone(), CompletionItemKind::REFERENCE, detail, None)
            })
            .collect(),
        Slot::Rule => crate::rules::RULES
            .iter()
            .map(|r| {
                item(
                    r.code.to_string(),
                    CompletionItemKind::VALUE,
                    r.name.to_string(),
                    Some(r.summary().to_string()),
                )
            })
            .collect(),
        Slot::Other(_) => Vec::new(),
    }
}

fn markdown(value: String, range: lsp_types::Range) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: Some(range),
    }
}

/// What the thing at a position is: an id, a rule named by a suppression, or a key.
pub fn hover(
    view: &View,
    index: Option<&IdIndex>,
    keys: Option<&KeyDocs>,
    lint: Option<&Linted>,
    at: Position,
) -> Option<Hover> {
    let offset = view.offset(at);
    if let Some(ix) = index {
        if let Some(rule) = ix.rule_at(offset) {
            let r = crate::rules::find(&rule.text)?;
            let text = format!(
                "**{}** `{}` ({}, {} by default)\n\n{}\n\n[{}]({})",
                r.code,
                r.name,
                r.category.as_str(),
                r.severity.as_str(),
                r.summary(),
                format_args!("rules/{}.md", r.code),
                crate::output::help_uri(r),
            );
            return Some(markdown(text, view.range(rule.span)));
        }
        if let Some(found) = ix.at(offset) {
            return Some(markdown(
                describe(ix, lint, found.id()),
                view.range(found.span()),
            ));
        }
    }
    key_hover(view, keys, offset)
}

/// What an id is and what leans on it.
fn describe(ix: &IdIndex, lint: Option<&Linted>, id: &str) -> String {
    let Some(def) = ix.definition(id) else {
        return format!("`{id}`: no zone, host, certificate or component has this id");
    };
    let mut lines = vec![match def.component_kind {
        Some(kind) => format!("**{id}**: component, kind `{kind}`"),
        None => format!("**{id}**: {}", def.kind.noun()),
    }];
    let list = |ids: Vec<&str>| {
        ids.iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match def.kind {
        IdKind::Component => {
            let host_zone = def
                .host
                .as_deref()
                .and_then(|h| ix.definition(h))
                .and_then(|h| h.zone.clone());
            lines.push(format!(
                "- host: {}",
                def.host
                    .as_deref()
                    .map_or("none (its own failure domain)".to_string(), |h| format!(
                        "`{h}`"
                    ))
            ));
            lines.push(match (&def.zone, host_zone) {
                (Some(z), _) => format!("- zone: `{z}`"),
                (None, Some(z)) => format!("- zone: `{z}` (its host's)"),
                (None, None) => "- zone: `private` (the default)".to_string(),
            });
            let mut from: Vec<&str> = ix
                .links
                .iter()
                .filter(|(_, to)| to == id)
                .map(|(f, _)| f.as_str())
                .collect();
            from.sort_unstable();
            from.dedup();
            let mut to: Vec<&str> = ix
                .links
                .iter()
                .filter(|(f, _)| f == id)
                .map(|(_, t)| t.as_str())
                .collect();
            to.sort_unstable();
            to.dedup();
            if !from.is_empty() {
                lines.push(format!("- linked from: {}", list(from)));
            }
            if !to.is_empty() {
                lines.push(format!("- links to: {}", list(to)));
            }
        }
        IdKind::Host => {
            lines.push(format!(
                "- zone: {}",
                def.zone
                    .as_deref()
                    .map_or("`private` (the default)".to_string(), |z| format!("`{z}`"))
            ));
            let on: Vec<&str> = ix
                .definitions
                .iter()
                .filter(|d| d.host.as_deref() == Some(id))
                .map(|d| d.id.as_str())
                .collect();
            if !on.is_empty() {
                lines.push(format!("- runs: {}", list(on)));
            }
        }
        IdKind::Zone | IdKind::Certificate => {}
    }
    let mut named_by: Vec<&str> = ix.references_to(id).map(|r| r.key).collect();
    named_by.sort_unstable();
    named_by.dedup();
    lines.push(format!(
        "- named {} times ({})",
        ix.references_to(id).count(),
        if named_by.is_empty() {
            "nowhere".to_string()
        } else {
            named_by.join(", ")
        }
    ));
    if matches!(def.kind, IdKind::Component | IdKind::Host) {
        lines.push(spof(lint, id));
    }
    lines.join("\n")
}

/// Whether the lint found `id` a single point of failure.
fn spof(lint: Option<&Linted>, id: &str) -> String {
    let Some(lint) = lint.filter(|l| l.report.valid) else {
        return "- single point of failure: not known until the file is a valid topology"
            .to_string();
    };
    let found: Vec<String> = lint
        .report
        .findings
        .iter()
        .filter(|f| f.rule.code.starts_with("SPOF") && f.subjects.iter().any(|s| s == id))
        .map(|f| {
            let suppressed = if f.suppressed.is_some() {
                " (suppressed)"
            } else {
                ""
            };
            format!("  - {}{suppressed}: {}", f.rule.code, f.message)
        })
        .collect();
    if found.is_empty() {
        "- single point of failure: no".to_string()
    } else {
        format!("- single point of failure: **yes**\n{}", found.join("\n"))
    }
}

/// A step down the document: a mapping key, or a list item.
#[derive(Debug, PartialEq)]
enum Step<'k> {
    Key(&'k str),
    Item,
}

/// Every key of a document that the format documents, with its documentation: built
/// once per text (one walk of the document's source map beside the schema), then each
/// hover is a lookup.
#[derive(Debug, Default)]
pub struct KeyDocs(Vec<(Span, String, &'static str)>);

impl KeyDocs {
    /// The documented keys of a text, when it is YAML.
    pub fn of(text: &str) -> Option<KeyDocs> {
        let source = SourceFile::new("", text.to_string());
        let tree = crate::fix::tree::build(&source).ok()?;
        let mut docs = Vec::new();
        walk(&tree.root, schema(), &mut docs);
        docs.sort_by_key(|(span, ..)| *span);
        Some(KeyDocs(docs))
    }

    /// The key written at byte `offset`, and its documentation.
    fn at(&self, offset: usize) -> Option<&(Span, String, &'static str)> {
        let i = self.0.partition_point(|(s, ..)| s.start as usize <= offset);
        let found = &self.0[i.checked_sub(1)?];
        (offset <= found.0.end as usize).then_some(found)
    }
}

fn walk(
    node: &crate::fix::tree::Node,
    at: &'static Value,
    out: &mut Vec<(Span, String, &'static str)>,
) {
    use crate::fix::tree::Node;
    let root = schema();
    match node {
        Node::Map(m) => {
            for (key, value) in &m.items {
                let Some(child) = step(root, at, &Step::Key(&key.text)) else {
                    continue;
                };
                if let Some(doc) = description(root, child) {
                    out.push((key.span, key.text.to_string(), doc));
                }
                walk(value, child, out);
            }
        }
        Node::Seq(s) => {
            if let Some(child) = step(root, at, &Step::Item) {
                for item in &s.items {
                    walk(item, child, out);
                }
            }
        }
        Node::Scalar { .. } | Node::Opaque(_) | Node::Lazy(_) => {}
    }
}

/// The JSON Schema, parsed once.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(&crate::schema::json_schema()).unwrap_or_default())
}

fn resolve<'a>(root: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let target = v
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/definitions/"))
            .and_then(|name| root.get("definitions")?.get(name));
        match target {
            Some(t) => v = t,
            None => break,
        }
    }
    v
}

fn alternatives<'a>(root: &'a Value, v: &'a Value) -> Vec<&'a Value> {
    let v = resolve(root, v);
    let mut out = vec![v];
    for k in ["anyOf", "oneOf", "allOf"] {
        if let Some(list) = v.get(k).and_then(Value::as_array) {
            out.extend(list.iter().map(|x| resolve(root, x)));
        }
    }
    out
}

fn step<'a>(root: &'a Value, v: &'a Value, s: &Step) -> Option<&'a Value> {
    alternatives(root, v).into_iter().find_map(|alt| match s {
        Step::Key(k) => alt
            .get("properties")
            .and_then(|p| p.get(*k))
            .or_else(|| alt.get("additionalProperties").filter(|a| a.is_object())),
        Step::Item => alt.get("items"),
    })
}

fn description(root: &'static Value, v: &'static Value) -> Option<&'static str> {
    v.get("description")
        .or_else(|| {
            alternatives(root, v)
                .into_iter()
                .find_map(|a| a.get("description"))
        })
        .and_then(Value::as_str)
}

fn key_hover(view: &View, keys: Option<&KeyDocs>, offset: usize) -> Option<Hover> {
    let (span, key, doc) = keys?.at(offset)?;
    Some(markdown(format!("**`{key}`**: {doc}"), view.range(*span)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(text_with_cursor: &str) -> Slot<'_> {
        let at = text_with_cursor.find('|').unwrap();
        let text = &text_with_cursor[..at];
        // The text after the cursor does not change what belongs there.
        slot_at(text, at).0
    }

    #[test]
    fn what_belongs_at_the_cursor() {
        assert_eq!(slot("  web:\n    host: ser|"), Slot::Id(&[IdKind::Host]));
        assert_eq!(
            slot("    targets: [web-1, w|"),
            Slot::Id(&[IdKind::Component])
        );
        assert_eq!(slot("    targets: [|"), Slot::Id(&[IdKind::Component]));
        assert_eq!(
            slot("    targets:\n      - web-1\n      - |"),
            Slot::Id(&[IdKind::Component])
        );
        assert_eq!(
            slot("  - { from: users, to: |"),
            Slot::Id(&[IdKind::Component])
        );
        assert_eq!(
            slot("    allow:\n      - { port: 443, from: |"),
            Slot::Id(&[IdKind::Component, IdKind::Host, IdKind::Zone])
        );
        assert_eq!(slot("    suppress:\n      - rule: SP|"), Slot::Rule);
        assert_eq!(slot("    kind: |"), Slot::Other(Some("kind")));
        // A key after a character of more than one byte.
        assert_eq!(slot("  é:|"), Slot::Other(None));
        assert_eq!(slot("  éhost: |"), Slot::Id(&[IdKind::Host]));
        assert_eq!(slot("    targets: [a, b]|"), Slot::Other(None));
        assert_eq!(slot("|"), Slot::Other(None));
    }

    #[test]
    fn keys_are_documented_from_the_schema() {
        let text = "components:\n  web:\n    kind: web_server\n    host: h\n    listeners:\n      - { port: 443, protocol: https, certificate: c }\nlinks:\n  - { from: web, to: web }\n";
        let keys = KeyDocs::of(text).unwrap();
        let doc = |needle: &str| keys.at(text.find(needle).unwrap() + 1).map(|k| k.2);
        assert_eq!(
            doc("host:"),
            Some("The host it runs on; without one it is its own failure domain.")
        );
        assert_eq!(
            doc("certificate:"),
            Some("The certificate served (https, tls, grpcs).")
        );
        assert_eq!(doc("from:"), Some("The client side."));
        assert_eq!(
            doc("components:"),
            Some("Services: the nodes of the graph.")
        );
        // A value is not a key.
        assert_eq!(doc("web_server"), None);
        assert!(KeyDocs::of("a: [").is_none());
        assert!(keys.at(usize::MAX).is_none());
    }
}
