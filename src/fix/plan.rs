//! Turning a fix's YAML (what to add or change, written as a fragment of a topology)
//! into text edits of the actual file: keys go into the mapping that holds them, at its
//! indentation and in its style (block or flow); list items are appended; a value that
//! is already there is replaced; a section the file lacks is added at its end. Nothing
//! outside the edits changes: comments, key order and formatting stay.

use super::Edit;
use super::quote;
use super::tree::{self, Collection, Key, Node, Tree};
use crate::source::SourceFile;

/// Why a fix's YAML could not become edits of the file.
#[derive(Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The fix's own YAML is not a mapping (a bug in a rule).
    BadFix,
    /// The path to an edit goes through an anchor, an alias or a merge key, or a value
    /// of another shape than the fix's.
    Conflict(String),
}

/// The edits that merge `fix` (YAML text) into `file`, whose source map is `tree`.
pub fn plan(file: &SourceFile, tree: &Tree, fix: &str) -> Result<Vec<Edit>, PlanError> {
    let snippet = SourceFile::new("fix", fix.to_string());
    let add = tree::build_fragment(&snippet).map_err(|_| PlanError::BadFix)?;
    let Node::Map(add) = &add.root else {
        return Err(PlanError::BadFix);
    };
    let Node::Map(into) = &tree.root else {
        return Err(PlanError::Conflict("the file is not a mapping".into()));
    };
    let mut planner = Planner {
        text: &file.text,
        tree,
        edits: Vec::new(),
    };
    planner.merge_map(into, add, Path::Root)?;
    // Insertions at one place keep the fix's order.
    let mut edits = planner.edits;
    edits.sort_by_key(|e| (e.start, e.end));
    let mut merged: Vec<Edit> = Vec::with_capacity(edits.len());
    for e in edits {
        match merged.last_mut() {
            Some(last) if last.start == e.start && last.end == e.start && e.end == e.start => {
                last.content.push_str(&e.content);
            }
            _ => merged.push(e),
        }
    }
    Ok(merged)
}

/// The edit that deletes the item of the top-level `links` list written at `span`:
/// its whole line in a block list (when nothing else is on it), or the item and one
/// comma in a flow list.
pub fn remove_item(
    file: &SourceFile,
    tree: &Tree,
    span: crate::source::Span,
) -> Result<Edit, PlanError> {
    let conflict = |why: &str| PlanError::Conflict(why.to_string());
    let Some(Node::Seq(links)) = tree.root.get("links") else {
        return Err(conflict("no links list"));
    };
    let i = links
        .items
        .binary_search_by_key(&(span.start as usize), Node::start)
        .map_err(|_| conflict("the link is not an item of the links list"))?;
    let item = &links.items[i];
    let read = tree.expanded(item).map_err(|_| conflict("unreadable"))?;
    if matches!(read.as_ref().unwrap_or(item), Node::Opaque(_)) {
        return Err(conflict("the link is an alias or anchored"));
    }
    let text = &file.text;
    if links.flow {
        let (start, end) = match (links.items.get(i + 1), i.checked_sub(1)) {
            (Some(next), _) => (item.start(), next.start()),
            (None, Some(prev)) => (links.items[prev].end(), item.end()),
            (None, None) => (item.start(), item.end()),
        };
        return Ok(Edit {
            start,
            end,
            content: String::new(),
        });
    }
    let dash = text[..item.start()]
        .rfind('-')
        .ok_or_else(|| conflict("no dash"))?;
    let line_start = text[..dash].rfind('\n').map_or(0, |n| n + 1);
    let line_end = text[item.end()..]
        .find('\n')
        .map_or(text.len(), |n| item.end() + n + 1);
    let after = text[item.end()..line_end].trim();
    if !text[line_start..dash].trim().is_empty() || !(after.is_empty() || after.starts_with('#')) {
        return Err(conflict("the link shares its lines"));
    }
    Ok(Edit {
        start: line_start,
        end: line_end,
        content: String::new(),
    })
}

/// Where the planner is in the fix (`.hosts.h1.listeners[0]`), written out only for an
/// error's message.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Item(&'p Path<'p>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Item(parent, n) => write!(f, "{parent}[{n}]"),
        }
    }
}

struct Planner<'a, 't> {
    text: &'a str,
    tree: &'t Tree<'a>,
    edits: Vec<Edit>,
}

impl<'a> Planner<'a, '_> {
    /// `node` read, when it is lazy.
    fn read(&self, node: &Node<'a>) -> Result<Option<Node<'a>>, PlanError> {
        self.tree
            .expanded(node)
            .map_err(|_| PlanError::Conflict("a part of the file could not be read".into()))
    }

    fn insert(&mut self, at: usize, content: String) {
        self.edits.push(Edit {
            start: at,
            end: at,
            content,
        });
    }

    /// The column (in characters) of the byte offset `at`.
    fn column(&self, at: usize) -> usize {
        let line_start = self.text[..at].rfind('\n').map_or(0, |i| i + 1);
        self.text[line_start..at].chars().count()
    }

    /// Where a new line after the content ending at `end` goes, and whether a line
    /// break must come first (the file does not end with one). Comment lines after it
    /// indented deeper than the new line's `indent` belong to what ends there: the new
    /// line goes after them.
    fn line_after(&self, end: usize, indent: usize) -> (usize, bool) {
        let Some(i) = self.text[end..].find('\n') else {
            return (self.text.len(), true);
        };
        let mut at = end + i + 1;
        loop {
            let rest = &self.text[at..];
            let line = rest.split('\n').next().unwrap_or_default();
            let body = line.trim_start_matches(' ');
            let deeper = line.len() - body.len() > indent;
            match rest.find('\n') {
                Some(n) if deeper && body.starts_with('#') => at += n + 1,
                _ => return (at, false),
            }
        }
    }

    fn merge_map(
        &mut self,
        into: &Collection<(Key<'a>, Node<'a>)>,
        add: &Collection<(Key, Node)>,
        path: Path,
    ) -> Result<(), PlanError> {
        let mut new_entries: Vec<&(Key, Node)> = Vec::new();
        for entry in &add.items {
            let (key, value) = entry;
            let here = Path::Key(&path, &key.text);
            match into.entry(&key.text) {
                None => new_entries.push(entry),
                Some((fk, fv)) => self.merge_value(fk, fv, value, !into.flow, here)?,
            }
        }
        if new_entries.is_empty() {
            return Ok(());
        }
        if into.flow {
            let (at, lead) = match into.items.last() {
                Some((_, v)) => (v.end(), ", "),
                None => (into.end - 1, " "),
            };
            let body: Vec<String> = new_entries
                .iter()
                .map(|(k, v)| format!("{}: {}", quote::scalar(&k.text), flow(v)))
                .collect();
            let trail = if into.items.is_empty() { " " } else { "" };
            self.insert(at, format!("{lead}{}{trail}", body.join(", ")));
        } else {
            let indent = into
                .items
                .first()
                .map_or(0, |(k, _)| self.column(k.span.start as usize));
            let (at, newline_first) = self.line_after(into.end, indent);
            self.insert(at, block_entries(new_entries, indent, newline_first));
        }
        Ok(())
    }

    fn merge_value(
        &mut self,
        key: &Key,
        into: &Node<'a>,
        add: &Node,
        in_block: bool,
        path: Path,
    ) -> Result<(), PlanError> {
        if let Some(read) = self.read(into)? {
            return self.merge_value(key, &read, add, in_block, path);
        }
        match (into, add) {
            // `h1: {}` in a block mapping becomes a block mapping: `h1:` and the new
            // keys on the lines below (a comment after `{}` stays on the key's line).
            (Node::Map(m), Node::Map(a))
                if in_block && m.flow && m.items.is_empty() && !a.items.is_empty() =>
            {
                self.edits.push(Edit {
                    start: key.span.end as usize,
                    end: m.end,
                    content: ":".into(),
                });
                let indent = self.column(key.span.start as usize) + 2;
                let (at, newline_first) = self.line_after(m.end, indent);
                self.insert(at, block_entries(&a.items, indent, newline_first));
                Ok(())
            }
            (Node::Opaque(_), _) => Err(PlanError::Conflict(format!(
                "{path} goes through an anchor, an alias or a merge key"
            ))),
            (Node::Map(into), Node::Map(add)) => self.merge_map(into, add, path),
            (Node::Seq(into), Node::Seq(add)) => self.append(&key.text, into, add, path),
            // An empty value (`hosts:` and nothing): the new value follows the key.
            (
                Node::Scalar {
                    value,
                    plain: true,
                    span,
                },
                _,
            ) if value.is_empty() && span.is_empty() => {
                let indent = self.column(key.span.start as usize);
                self.insert(key.span.end as usize + 1, block_value(add, indent));
                Ok(())
            }
            // The value the fix wants is there already (perhaps quoted otherwise).
            (Node::Scalar { value: have, .. }, Node::Scalar { value: want, .. })
                if have == want =>
            {
                Ok(())
            }
            (Node::Scalar { span, .. }, Node::Scalar { .. }) => {
                self.edits.push(Edit {
                    start: span.start as usize,
                    end: span.end as usize,
                    content: flow(add),
                });
                Ok(())
            }
            _ => Err(PlanError::Conflict(format!(
                "{path} has another shape in the file than in the fix"
            ))),
        }
    }

    /// Merges the items of `add` into the list `into` (the value of `key`): an item
    /// the list already holds (the same scalar, or a mapping with the same identity,
    /// see [`identity`]) is merged into it; the others are appended.
    fn append(
        &mut self,
        key: &str,
        into: &Collection<Node<'a>>,
        add: &Collection<Node>,
        path: Path,
    ) -> Result<(), PlanError> {
        // Items are found by their signature: a mapping of a list with an identity by
        // its identity, an alias or anchored item as such, anything else as written.
        let id = identity(key);
        let tree = self.tree;
        let signature = |item: &Node<'a>| -> Option<String> {
            let read = tree.expanded(item).ok()?;
            match (read.as_ref().unwrap_or(item), id) {
                (Node::Map(m), Some(id)) => identity_of(m, id),
                (Node::Opaque(_), _) => Some(OPAQUE.into()),
                (other, _) => Some(format!("={}", flow(other))),
            }
        };
        let mut new: Vec<String> = Vec::new();
        for (n, item) in add.items.iter().enumerate() {
            if let (Node::Map(a), Some(id)) = (item, id) {
                let found = identity_of(a, id).and_then(|sig| into.position(&sig, signature));
                match found {
                    Some(i) => {
                        let read = self.read(&into.items[i])?;
                        let Node::Map(existing) = read.as_ref().unwrap_or(&into.items[i]) else {
                            unreachable!("an identity is a mapping's")
                        };
                        self.merge_map(existing, a, Path::Item(&path, n))?;
                        continue;
                    }
                    // Inside an alias, an item cannot be told apart.
                    None if into.position(OPAQUE, signature).is_some() => {
                        return Err(PlanError::Conflict(format!(
                            "{path} holds an alias or anchored item"
                        )));
                    }
                    None => {}
                }
            }
            let text = flow(item);
            if into.position(&format!("={text}"), signature).is_none() && !new.contains(&text) {
                new.push(text);
            }
        }
        if new.is_empty() {
            return Ok(());
        }
        if into.flow {
            let (at, lead) = match into.items.last() {
                Some(v) => (v.end(), ", "),
                None => (into.end - 1, ""),
            };
            self.insert(at, format!("{lead}{}", new.join(", ")));
        } else {
            // The column of the existing items' dash.
            let first = into.items.first().map_or(into.start, Node::start);
            let dash = self.text[..first].rfind('-').unwrap_or(first);
            let indent = self.column(dash);
            let (at, newline_first) = self.line_after(into.end, indent);
            let mut content = String::new();
            if newline_first {
                content.push('\n');
            }
            for item in new {
                content.push_str(&format!("{}- {item}\n", " ".repeat(indent)));
            }
            self.insert(at, content);
        }
        Ok(())
    }
}

/// The keys that say which item of a list a mapping is: a link is its two ends, a
/// listener its port, a firewall rule its port and source, a suppression its rule.
fn identity(list: &str) -> Option<&'static [&'static str]> {
    match list {
        "links" => Some(&["from", "to"]),
        "listeners" => Some(&["port"]),
        "allow" => Some(&["port", "from"]),
        "suppress" => Some(&["rule"]),
        _ => None,
    }
}

/// The signature of an alias or anchored list item.
const OPAQUE: &str = "\0opaque";

/// A mapping's identity in a list (see [`identity`]): its identity keys' values, when
/// it has them all.
fn identity_of(m: &Collection<(Key, Node)>, id: &[&str]) -> Option<String> {
    let mut sig = String::from("#");
    for key in id {
        match m.items.iter().find(|(k, _)| k.text == *key)? {
            // `web` and `"web"` are one id.
            (_, Node::Scalar { value, .. }) => sig.push_str(value),
            (_, v) => sig.push_str(&flow(v)),
        }
        sig.push('\0');
    }
    Some(sig)
}

/// A node of the fix in flow style, on one line.
fn flow(node: &Node) -> String {
    match node {
        // Plain as the fix writes it (a number stays a number); a quoted string is
        // quoted as YAML needs.
        Node::Scalar {
            value, plain: true, ..
        } => value.to_string(),
        Node::Scalar { value, .. } => quote::scalar(value).into_owned(),
        Node::Map(m) if m.items.is_empty() => "{}".into(),
        Node::Map(m) => {
            let body: Vec<String> = m
                .items
                .iter()
                .map(|(k, v)| format!("{}: {}", quote::scalar(&k.text), flow(v)))
                .collect();
            format!("{{ {} }}", body.join(", "))
        }
        Node::Seq(s) => {
            let body: Vec<String> = s.items.iter().map(flow).collect();
            format!("[{}]", body.join(", "))
        }
        Node::Opaque(_) | Node::Lazy(_) => "null".into(),
    }
}

/// Entries of the fix as block-style lines with their keys at column `indent`, after a
/// line break when the file does not end with one.
fn block_entries<'e, 'n: 'e>(
    entries: impl IntoIterator<Item = &'e (Key<'n>, Node<'n>)>,
    indent: usize,
    newline_first: bool,
) -> String {
    let mut content = String::new();
    if newline_first {
        content.push('\n');
    }
    for (k, v) in entries {
        content.push_str(&" ".repeat(indent));
        content.push_str(&quote::scalar(&k.text));
        content.push(':');
        content.push_str(&block_value(v, indent));
        content.push('\n');
    }
    content
}

/// The text after `key:` for a value of the fix, its key at column `indent`: block
/// style for a mapping or list the fix writes in block style, flow style otherwise.
fn block_value(node: &Node, indent: usize) -> String {
    match node {
        Node::Map(m) if !m.flow && !m.items.is_empty() => {
            let mut out = String::new();
            for (k, v) in &m.items {
                out.push('\n');
                out.push_str(&" ".repeat(indent + 2));
                out.push_str(&quote::scalar(&k.text));
                out.push(':');
                out.push_str(&block_value(v, indent + 2));
            }
            out
        }
        Node::Seq(s) if !s.flow && !s.items.is_empty() => {
            let mut out = String::new();
            for item in &s.items {
                out.push('\n');
                out.push_str(&" ".repeat(indent + 2));
                out.push_str("- ");
                out.push_str(&flow(item));
            }
            out
        }
        other => format!(" {}", flow(other)),
    }
}
