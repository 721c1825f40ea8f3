//! Navigation by id: definition, references, rename and the document's outline, from
//! the file's [`IdIndex`].

use std::collections::HashMap;

use lsp_types::{
    DocumentSymbol, Location, Position, PrepareRenameResponse, SymbolKind, TextEdit, WorkspaceEdit,
};

use super::View;
use super::index::{IdIndex, IdKind, Occurrence};
use crate::source::Span;

/// The span of the id itself inside what is written: a quoted id without its quotes.
fn inner(text: &str, span: Span) -> Span {
    let written = text
        .get(span.start as usize..span.end as usize)
        .unwrap_or_default();
    let quoted = written.len() >= 2
        && (written.starts_with('"') && written.ends_with('"')
            || written.starts_with('\'') && written.ends_with('\''));
    if quoted {
        Span {
            start: span.start + 1,
            end: span.end - 1,
        }
    } else {
        span
    }
}

/// The id at a position that names something defined in the file.
fn defined_at<'a>(
    view: &View,
    index: Option<&'a IdIndex>,
    at: Position,
) -> Option<(&'a IdIndex, Occurrence<'a>)> {
    let index = index?;
    let found = index.at(view.offset(at))?;
    index.definition(found.id())?;
    Some((index, found))
}

/// Where the id at a position is defined.
pub fn definition(view: &View, index: Option<&IdIndex>, at: Position) -> Option<Location> {
    let (index, found) = defined_at(view, index, at)?;
    let def = index.definition(found.id())?;
    Some(Location {
        uri: view.uri.clone(),
        range: view.range(inner(view.text, def.span)),
    })
}

/// Every place that names the id at a position (and its definition when asked).
pub fn references(
    view: &View,
    index: Option<&IdIndex>,
    at: Position,
    declaration: bool,
) -> Vec<Location> {
    let Some((index, found)) = defined_at(view, index, at) else {
        return Vec::new();
    };
    let id = found.id();
    let mut spans: Vec<Span> = Vec::new();
    if declaration {
        spans.extend(
            index
                .definitions
                .iter()
                .filter(|d| d.id == id)
                .map(|d| d.span),
        );
    }
    spans.extend(index.references_to(id).map(|r| r.span));
    spans.sort();
    spans
        .into_iter()
        .map(|s| Location {
            uri: view.uri.clone(),
            range: view.range(inner(view.text, s)),
        })
        .collect()
}

/// The id a rename would change, or why the position is not one.
pub fn prepare_rename(
    view: &View,
    index: Option<&IdIndex>,
    at: Position,
) -> Result<PrepareRenameResponse, String> {
    let not_an_id = || {
        "only an id can be renamed here: a zone, host, certificate or component, where it is \
         defined or named"
            .to_string()
    };
    let Some(index) = index else {
        return Err("the file does not parse: fix its syntax first".into());
    };
    let (_, found) = defined_at(view, Some(index), at).ok_or_else(not_an_id)?;
    let span = inner(view.text, found.span());
    Ok(PrepareRenameResponse::RangeWithPlaceholder {
        range: view.range(span),
        placeholder: found.id().to_string(),
    })
}

/// Whether `id` is a valid id (the format's rule, as validation checks it).
fn valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The edits that rename the id at a position, its definition and every reference.
pub fn rename(
    view: &View,
    index: Option<&IdIndex>,
    at: Position,
    new_name: &str,
) -> Result<WorkspaceEdit, String> {
    prepare_rename(view, index, at)?;
    let (index, found) = defined_at(view, index, at).ok_or("not an id")?;
    let old = found.id();
    if !valid_id(new_name) {
        return Err(format!(
            "`{}` is not an id: 1 to 63 letters, digits, `-`, `_` and `.`, starting with a letter or digit",
            crate::finding::shorten(new_name)
        ));
    }
    if new_name != old && index.definition(new_name).is_some() {
        return Err(format!(
            "`{new_name}` names something already: zones, hosts, certificates and components share one namespace"
        ));
    }
    // An id YAML would read as another type (`true`, `1.5`) is quoted; one written in
    // quotes keeps its quotes.
    let plain = crate::fix::scalar(new_name).into_owned();
    let mut spans: Vec<Span> = index
        .definitions
        .iter()
        .filter(|d| d.id == old)
        .map(|d| d.span)
        .chain(index.references_to(old).map(|r| r.span))
        .collect();
    spans.sort();
    spans.dedup();
    let edits = spans
        .into_iter()
        .map(|span| {
            let within = inner(view.text, span);
            if within == span {
                TextEdit {
                    range: view.range(span),
                    new_text: plain.clone(),
                }
            } else {
                TextEdit {
                    range: view.range(within),
                    new_text: new_name.to_string(),
                }
            }
        })
        .collect();
    Ok(WorkspaceEdit {
        changes: Some(HashMap::from([(view.uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    })
}

/// The outline: zones, hosts, certificates and components, each under its section.
pub fn symbols(view: &View, index: Option<&IdIndex>) -> Vec<DocumentSymbol> {
    let Some(index) = index else {
        return Vec::new();
    };
    let sections = [
        (IdKind::Zone, "zones", SymbolKind::NAMESPACE),
        (IdKind::Host, "hosts", SymbolKind::OBJECT),
        (IdKind::Certificate, "certificates", SymbolKind::KEY),
        (IdKind::Component, "components", SymbolKind::CLASS),
    ];
    let mut out = Vec::new();
    for (kind, name, symbol) in sections {
        let children: Vec<DocumentSymbol> = index
            .definitions
            .iter()
            .filter(|d| d.kind == kind)
            .map(|d| {
                #[allow(deprecated)] // `deprecated` is a required field of the type
                DocumentSymbol {
                    name: d.id.clone(),
                    detail: d.component_kind.map(str::to_string),
                    kind: symbol,
                    tags: None,
                    deprecated: None,
                    range: view.range(d.extent),
                    selection_range: view.range(d.span),
                    children: None,
                }
            })
            .collect();
        let (Some(first), Some(last)) = (children.first(), children.last()) else {
            continue;
        };
        let range = lsp_types::Range {
            start: first.range.start,
            end: last.range.end,
        };
        #[allow(deprecated)]
        out.push(DocumentSymbol {
            name: name.to_string(),
            detail: Some(format!("{}", children.len())),
            kind: SymbolKind::MODULE,
            tags: None,
            deprecated: None,
            range,
            selection_range: first.selection_range,
            children: Some(children),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_format() {
        assert!(valid_id("web-1"));
        assert!(valid_id("a.b_c"));
        assert!(!valid_id(""));
        assert!(!valid_id("-a"));
        assert!(!valid_id("a b"));
        assert!(!valid_id(&"a".repeat(64)));
        assert!(!valid_id("é"));
    }

    #[test]
    fn quotes_are_not_part_of_the_id() {
        let text = "a: 'x-1'\nb: \"y\"\nc: z";
        let s = |a: usize, b: usize| Span::new(a, b);
        assert_eq!(inner(text, s(3, 8)), s(4, 7));
        assert_eq!(inner(text, s(12, 15)), s(13, 14));
        assert_eq!(inner(text, s(19, 20)), s(19, 20));
        assert_eq!(inner(text, s(100, 200)), s(100, 200));
    }
}
