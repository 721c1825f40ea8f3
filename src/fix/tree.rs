//! A source map of a YAML document: every mapping, sequence and scalar with its byte
//! span and style, read from saphyr-parser's events. Fixes are planned against it, so
//! an edit lands where the file keeps the thing it changes, in the file's own style.
//!
//! It is built only for files that have fixes to plan, after the reader has accepted
//! them (so the file is valid YAML within the input limits); it still bounds its own
//! depth, and refuses anchors and aliases on the way to an edit (see [`Node::Opaque`]).

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::yaml::{MarkKind, Marks};

use crate::source::{SourceFile, Span};

/// One node of the document.
#[derive(Debug)]
pub enum Node<'a> {
    /// A mapping.
    Map(Collection<(Key<'a>, Node<'a>)>),
    /// A sequence.
    Seq(Collection<Node<'a>>),
    /// A scalar: its value, whether it was written plain, and its span.
    Scalar {
        /// The value as the parser read it (borrowed from the file where it is its text).
        value: Cow<'a, str>,
        /// Written without quotes or block indicators.
        plain: bool,
        /// Where it is written (empty for an empty value).
        span: Span,
    },
    /// An alias, or a node that carries an anchor or a merge key: editing it would edit
    /// every place that shares it, so no fix goes through it.
    Opaque(Span),
    /// A collection not yet read into nodes (see [`Tree::expanded`]): the bodies of
    /// components, hosts and links, which a fix rarely touches, are read when it does.
    Lazy(Lazy),
}

/// Where a [`Node::Lazy`] is: the index of its first event among the marks, and its
/// extent.
#[derive(Debug)]
pub struct Lazy {
    first: usize,
    start: usize,
    end: usize,
}

/// A file's source map.
pub struct Tree<'a> {
    /// The document's root node.
    pub root: Node<'a>,
    source: &'a SourceFile,
    marks: Option<&'a Marks>,
}

impl<'a> Tree<'a> {
    /// The nodes of `node` when it is [`Node::Lazy`], read now (None for any other
    /// node, which is read already).
    pub fn expanded(&self, node: &Node<'a>) -> Result<Option<Node<'a>>, Unreadable> {
        let (Node::Lazy(lazy), Some(marks)) = (node, self.marks) else {
            return Ok(None);
        };
        let mut b = Builder {
            events: mark_events(self.source, marks, lazy.first),
            source: self.source,
            depth: 0,
            consumed: 0,
            lazy_at: None,
        };
        let (event, span) = b.next()?;
        b.node(event, span).map(Some)
    }
}

/// A mapping key: its text and span.
#[derive(Debug)]
pub struct Key<'a> {
    /// The key's text.
    pub text: Cow<'a, str>,
    /// Where it is written.
    pub span: Span,
}

/// A mapping or a sequence.
#[derive(Debug)]
pub struct Collection<T> {
    /// Entries or items, in file order.
    pub items: Vec<T>,
    /// Written `{...}` / `[...]`.
    pub flow: bool,
    /// From the first character of the collection: `{`/`[`, or its first key or `-`.
    pub start: usize,
    /// For a flow collection, the offset just after its `}`/`]`; for a block one, the
    /// end of its last written content (a scalar, or a flow collection's end).
    pub end: usize,
    /// Where each key (of a mapping) or signature (of a list's items, see
    /// [`Collection::position`]) first occurs, by its hash, built the first time a
    /// large collection is searched: fixes look things up in lists of 100,000
    /// components.
    index: std::sync::OnceLock<Box<Index>>,
}

/// Item indexes by the hash of their signature ([`Index::hash`]): the first item of
/// each hash. An item found there is checked against the signature wanted; on a
/// mismatch (two signatures with one hash, which the per-process seed keeps out of an
/// input's reach) the collection is searched item by item.
#[derive(Debug)]
struct Index {
    first: HashMap<u64, u32>,
    seed: foldhash::fast::RandomState,
}

impl Index {
    fn hash(&self, signature: &str) -> u64 {
        std::hash::BuildHasher::hash_one(&self.seed, signature)
    }
}

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Collections at most this long are searched item by item.
const SCAN: usize = 16;

impl<T> Collection<T> {
    fn new(items: Vec<T>, flow: bool, start: usize, end: usize) -> Self {
        Collection {
            items,
            flow,
            start,
            end,
            index: std::sync::OnceLock::new(),
        }
    }

    /// The first item whose signature is `wanted`; `signature` must be the same
    /// function at every call on one collection (the index is built from it once).
    pub fn position(
        &self,
        wanted: &str,
        signature: impl Fn(&T) -> Option<String>,
    ) -> Option<usize> {
        if self.items.len() <= SCAN {
            return self
                .items
                .iter()
                .position(|item| signature(item).as_deref() == Some(wanted));
        }
        let index = self.index.get_or_init(|| {
            let mut index = Box::new(Index {
                first: HashMap::default(),
                seed: foldhash::fast::RandomState::default(),
            });
            index.first.reserve(self.items.len());
            for (i, item) in self.items.iter().enumerate() {
                if let Some(sig) = signature(item) {
                    let hash = index.hash(&sig);
                    index.first.entry(hash).or_insert(i as u32);
                }
            }
            index
        });
        let i = *index.first.get(&index.hash(wanted))? as usize;
        if signature(&self.items[i]).as_deref() == Some(wanted) {
            return Some(i);
        }
        self.items
            .iter()
            .position(|item| signature(item).as_deref() == Some(wanted))
    }
}

impl<'a> Collection<(Key<'a>, Node<'a>)> {
    /// The entry of `key`.
    pub fn entry(&self, key: &str) -> Option<&(Key<'a>, Node<'a>)> {
        // A short mapping (nearly every one a fix looks into) is searched in place,
        // without a copy of each key.
        if self.items.len() <= SCAN {
            return self.items.iter().find(|(k, _)| k.text == key);
        }
        self.position(key, |(k, _)| Some(k.text.to_string()))
            .map(|i| &self.items[i])
    }
}

impl<'a> Node<'a> {
    /// The end of the node's written content.
    pub fn end(&self) -> usize {
        match self {
            Node::Map(m) => m.end,
            Node::Seq(s) => s.end,
            Node::Scalar { span, .. } | Node::Opaque(span) => span.end as usize,
            Node::Lazy(lazy) => lazy.end,
        }
    }

    /// Where the node starts.
    pub fn start(&self) -> usize {
        match self {
            Node::Map(m) => m.start,
            Node::Seq(s) => s.start,
            Node::Scalar { span, .. } | Node::Opaque(span) => span.start as usize,
            Node::Lazy(lazy) => lazy.start,
        }
    }

    /// The value of `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Map(m) => m.entry(key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why a source map could not be built.
#[derive(Debug)]
pub struct Unreadable;

/// Deepest nesting the source map follows.
const MAX_DEPTH: usize = 128;

/// Events with their spans in bytes; None on a parse error.
type Parsed<'a> = Box<dyn Iterator<Item = Option<(Event<'a>, Span)>> + 'a>;

/// Where a source map's events come from.
enum Events<'a> {
    /// A parser, or a fix's fragment read as one.
    Parsed(Parsed<'a>),
    /// The reader's marks: skipping a node reads them without making events.
    Marked(Marked<'a>),
}

/// Events rebuilt from [`Marks`].
struct Marked<'a> {
    source: &'a SourceFile,
    cursor: crate::yaml::Cursor<'a>,
    /// The index of the next mark.
    next: usize,
    /// The values of the scalars from the next mark on whose value is not their text.
    values: &'a [(u32, Box<str>)],
}

impl<'a> Marked<'a> {
    /// The next mark as an event.
    fn event(&mut self) -> Option<(Event<'a>, Span)> {
        let i = self.next;
        let m = self.cursor.next()?;
        self.next += 1;
        let mut value = None;
        if let MarkKind::Scalar(_) = m.kind {
            // Values of marks skipped over are passed (searched for only when there
            // are any).
            if self
                .values
                .first()
                .is_some_and(|(at, _)| (*at as usize) < i)
            {
                let skipped = self.values.partition_point(|(at, _)| (*at as usize) < i);
                self.values = &self.values[skipped..];
            }
            if let Some(((at, v), rest)) = self.values.split_first()
                && *at as usize == i
            {
                self.values = rest;
                value = Some(Cow::Borrowed(&**v));
            }
        }
        let span = m.span;
        let event = m.event(&self.source.text, value)?;
        Some((event, span))
    }
}

struct Builder<'a> {
    events: Events<'a>,
    source: &'a SourceFile,
    depth: usize,
    /// Events read so far.
    consumed: usize,
    /// The depth whose collections are left [`Node::Lazy`] (only with marks to read
    /// them from later).
    lazy_at: Option<usize>,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), Unreadable> {
        self.consumed += 1;
        match &mut self.events {
            Events::Parsed(events) => events.next().flatten(),
            Events::Marked(marked) => marked.event(),
        }
        .ok_or(Unreadable)
    }

    /// The next event's kind and span, without its value (nor, from marks, making it).
    fn next_kind(&mut self) -> Result<(MarkKind, Span), Unreadable> {
        self.consumed += 1;
        match &mut self.events {
            Events::Parsed(events) => {
                let (event, span) = events.next().flatten().ok_or(Unreadable)?;
                Ok((MarkKind::of(&event).ok_or(Unreadable)?, span))
            }
            Events::Marked(marked) => {
                let m = marked.cursor.next().ok_or(Unreadable)?;
                marked.next += 1;
                Ok((m.kind, m.span))
            }
        }
    }

    /// A block scalar that keeps its trailing line breaks (`|+`, `>+`) owns the blank
    /// lines after it, where an insertion would land: no fix is planned in such a file.
    fn check_block_scalar(&self, span: Span, style: ScalarStyle) -> Result<(), Unreadable> {
        if !matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
            return Ok(());
        }
        // The header (`|+`, `>2+`) is at the span's start or ends the last written line
        // before it.
        let text = &self.source.text;
        let token = |line: &str| {
            let line = line.split(" #").next().unwrap_or_default();
            line.split_whitespace()
                .find(|t| t.starts_with(['|', '>']))
                .is_some_and(|t| t.contains('+'))
        };
        let here = text[span.start as usize..]
            .lines()
            .next()
            .unwrap_or_default();
        let before = text[..span.start as usize]
            .trim_end()
            .rsplit('\n')
            .next()
            .unwrap_or_default();
        if token(here) || token(before) {
            return Err(Unreadable);
        }
        Ok(())
    }

    /// Reads past the node that an event of `kind` starts, checking it as
    /// [`Builder::node`] does but keeping nothing: returns where its written content
    /// ends.
    fn skip(&mut self, kind: MarkKind, span: Span) -> Result<usize, Unreadable> {
        match kind {
            MarkKind::Scalar(style) => {
                self.check_block_scalar(span, style)?;
                Ok(self.scalar_span(span, style).end as usize)
            }
            MarkKind::Alias => Ok(span.end as usize),
            MarkKind::MapStart | MarkKind::SeqStart => {
                let is_map = kind == MarkKind::MapStart;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Unreadable);
                }
                let start = span.start as usize;
                // Flow when written `{`/`[` there: a block list with no indent may start
                // at its first item's `{`.
                let open = if is_map { b'{' } else { b'[' };
                let flow = self.source.text.as_bytes().get(start) == Some(&open);
                // The end of the last value, and of the last entry (its key included).
                let (mut last_value, mut last_entry) = (None, None);
                loop {
                    let (kind, span) = self.next_kind()?;
                    if matches!(kind, MarkKind::MapEnd | MarkKind::SeqEnd) {
                        break;
                    }
                    if is_map {
                        // As [`Builder::map`] measures an entry: from its key as written.
                        let key_end = match kind {
                            MarkKind::Scalar(_) => span.end as usize,
                            other => self.skip(other, span)?,
                        };
                        let (value, vspan) = self.next_kind()?;
                        let value_end = self.skip(value, vspan)?;
                        last_value = Some(value_end);
                        last_entry = Some(value_end.max(key_end));
                    } else {
                        let end = self.skip(kind, span)?;
                        last_value = Some(end);
                        last_entry = Some(end);
                    }
                }
                self.depth -= 1;
                if flow {
                    let close = if is_map { b'}' } else { b']' };
                    self.closing(last_value.unwrap_or(start + 1), close)
                } else {
                    Ok(last_entry.unwrap_or(start))
                }
            }
            MarkKind::MapEnd | MarkKind::SeqEnd => Err(Unreadable),
        }
    }

    /// Reads the node that `event` starts.
    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node<'a>, Unreadable> {
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return Ok(Node::Opaque(span));
                }
                self.check_block_scalar(span, style)?;
                Ok(Node::Scalar {
                    value,
                    plain: style == ScalarStyle::Plain,
                    span: self.scalar_span(span, style),
                })
            }
            Event::Alias(_) => Ok(Node::Opaque(span)),
            Event::MappingStart(anchor, ref tag) | Event::SequenceStart(anchor, ref tag) => {
                let anchor = if tag.is_some() { anchor.max(1) } else { anchor };
                let is_map = matches!(event, Event::MappingStart(..));
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Unreadable);
                }
                let start = span.start as usize;
                // Checked and measured, not kept: read again if a fix needs it.
                if self.lazy_at == Some(self.depth) {
                    let first = self.consumed - 1;
                    self.depth -= 1;
                    let kind = if is_map {
                        MarkKind::MapStart
                    } else {
                        MarkKind::SeqStart
                    };
                    let end = self.skip(kind, span)?;
                    return Ok(Node::Lazy(Lazy { first, start, end }));
                }
                // Flow when written `{`/`[` there: a block list with no indent may start
                // at its first item's `{`.
                let open = if is_map { b'{' } else { b'[' };
                let flow = self.source.text.as_bytes().get(start) == Some(&open);
                let node = if is_map {
                    self.map(start, flow)?
                } else {
                    self.seq(start, flow)?
                };
                self.depth -= 1;
                Ok(if anchor != 0 {
                    Node::Opaque(Span::new(start, node.end()))
                } else {
                    node
                })
            }
            _ => Err(Unreadable),
        }
    }

    /// A scalar's written extent: the parser's span, less the line breaks a block
    /// scalar's span runs on over.
    fn scalar_span(&self, span: Span, style: ScalarStyle) -> Span {
        let start = span.start as usize;
        let bytes = self.source.text.as_bytes();
        match style {
            // To the closing quote (the parser's span may run on past it).
            ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted => {
                let quote = if style == ScalarStyle::DoubleQuoted {
                    b'"'
                } else {
                    b'\''
                };
                let mut i = start + 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' if quote == b'"' => i += 2,
                        b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
                        c if c == quote => return Span::new(start, i + 1),
                        _ => i += 1,
                    }
                }
                return span;
            }
            ScalarStyle::Plain => return span,
            _ => {}
        }
        let text = &self.source.text[span.start as usize..span.end as usize];
        let trimmed = text.trim_end();
        Span::new(span.start as usize, span.start as usize + trimmed.len())
    }

    /// Just past the `close` bracket that ends a flow collection, looking from `from`
    /// (the end of its last item) over spaces, commas and comments.
    fn closing(&self, from: usize, close: u8) -> Result<usize, Unreadable> {
        let bytes = self.source.text.as_bytes();
        let mut i = from;
        while i < bytes.len() {
            match bytes[i] {
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                c if c == close => return Ok(i + 1),
                b' ' | b'\t' | b'\r' | b'\n' | b',' => i += 1,
                _ => return Err(Unreadable),
            }
        }
        Err(Unreadable)
    }

    fn map(&mut self, start: usize, flow: bool) -> Result<Node<'a>, Unreadable> {
        let mut items: Vec<(Key<'a>, Node<'a>)> = Vec::new();
        let mut opaque = false;
        loop {
            let (event, span) = self.next()?;
            let (key, key_span) = match event {
                Event::MappingEnd => {
                    let _ = span;
                    let end = if flow {
                        let from = items.last().map_or(start + 1, |(_, v)| v.end());
                        self.closing(from, b'}')?
                    } else {
                        items
                            .last()
                            .map_or(start, |(k, v)| v.end().max(k.span.end as usize))
                    };
                    let node = Node::Map(Collection::new(items, flow, start, end));
                    return Ok(if opaque {
                        Node::Opaque(Span::new(start, end))
                    } else {
                        node
                    });
                }
                Event::Scalar(text, _, _, _) => (text, span),
                // A complex key: kept out of fixes.
                other => {
                    let node = self.node(other, span)?;
                    let (value, vspan) = self.next()?;
                    self.node(value, vspan)?;
                    opaque = true;
                    let _ = node;
                    continue;
                }
            };
            // A merge key, or an explicit key (`? key`), whose entries a fix could not
            // place.
            // What is written before the key on its line, back over blanks only: a
            // search for the line's start would cost the line's length for every key
            // of a file written on one line.
            let explicit = self.source.text[..key_span.start as usize]
                .chars()
                .rev()
                .find(|c| *c == '\n' || !c.is_whitespace())
                == Some('?');
            if key == "<<" || explicit {
                opaque = true;
            }
            let (value, vspan) = self.next()?;
            let value = self.node(value, vspan)?;
            items.push((
                Key {
                    text: key,
                    span: key_span,
                },
                value,
            ));
        }
    }

    fn seq(&mut self, start: usize, flow: bool) -> Result<Node<'a>, Unreadable> {
        let mut items = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if let Event::SequenceEnd = event {
                let end = if flow {
                    let from = items.last().map_or(start + 1, Node::end);
                    self.closing(from, b']')?
                } else {
                    items.last().map_or(start, Node::end)
                };
                return Ok(Node::Seq(Collection::new(items, flow, start, end)));
            }
            items.push(self.node(event, span)?);
        }
    }
}

/// The source map of a file's one document, parsing it.
pub fn build(source: &SourceFile) -> Result<Tree<'_>, Unreadable> {
    let mut parser = Parser::new_from_str(&source.text);
    let events: Parsed<'_> = Box::new(std::iter::from_fn(move || {
        Some(match parser.next_event()? {
            Ok((event, span)) => Some((
                event,
                Span::new(
                    source.byte_of_char(span.start.index()),
                    source.byte_of_char(span.end.index()),
                ),
            )),
            Err(_) => None,
        })
    }));
    let root = build_from(source, Events::Parsed(events), None)?;
    Ok(Tree {
        root,
        source,
        marks: None,
    })
}

/// The source map of a fix's YAML: read by [`super::fragment`] when it is written as
/// rules write fixes, else parsed as any file.
pub fn build_fragment(source: &SourceFile) -> Result<Tree<'_>, Unreadable> {
    let Some(events) = super::fragment::events(&source.text) else {
        return build(source);
    };
    let root = build_from(
        source,
        Events::Parsed(Box::new(events.into_iter().map(Some))),
        None,
    )?;
    Ok(Tree {
        root,
        source,
        marks: None,
    })
}

/// The depth (the root mapping is 1) whose collections a source map from marks leaves
/// lazy: a component's, host's or link's body.
const LAZY_DEPTH: usize = 3;

/// The source map of a file from the events the reader kept ([`crate::yaml::Marks`]):
/// the file is not parsed a second time, and the bodies of its entries are read only
/// when a fix needs them.
pub fn build_from_marks<'a>(
    source: &'a SourceFile,
    marks: &'a Marks,
) -> Result<Tree<'a>, Unreadable> {
    let root = build_from(source, mark_events(source, marks, 0), Some(LAZY_DEPTH))?;
    Ok(Tree {
        root,
        source,
        marks: Some(marks),
    })
}

/// The events of `marks` from the `first`th.
fn mark_events<'a>(source: &'a SourceFile, marks: &'a Marks, first: usize) -> Events<'a> {
    let values = marks.values.partition_point(|(i, _)| (*i as usize) < first);
    Events::Marked(Marked {
        source,
        cursor: marks.from(first),
        next: first,
        values: &marks.values[values..],
    })
}

fn build_from<'a>(
    source: &'a SourceFile,
    events: Events<'a>,
    lazy_at: Option<usize>,
) -> Result<Node<'a>, Unreadable> {
    // Lines that end in a lone CR (old Mac files): edits are planned by LF lines.
    let bytes = source.text.as_bytes();
    if memchr::memchr_iter(b'\r', bytes).any(|i| bytes.get(i + 1) != Some(&b'\n')) {
        return Err(Unreadable);
    }
    let mut b = Builder {
        events,
        source,
        depth: 0,
        consumed: 0,
        lazy_at,
    };
    loop {
        let (event, span) = b.next()?;
        match event {
            Event::StreamStart | Event::DocumentStart(_) => continue,
            Event::StreamEnd => return Err(Unreadable),
            other => return b.node(other, span),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mapping of `n` keys `k0`, `k1`, ... as a source map reads it.
    fn keys(n: usize) -> String {
        (0..n).map(|i| format!("k{i}: {i}\n")).collect()
    }

    #[test]
    fn large_collections_find_every_key_through_their_index_even_when_hashes_collide() {
        let source = SourceFile::new("t.yml", keys(100));
        let mut tree = build(&source).expect("a source map");
        let Node::Map(map) = &mut tree.root else {
            panic!("a mapping")
        };
        assert!(map.items.len() > SCAN);
        let found = |map: &Collection<(Key, Node)>, wanted: &str| {
            map.entry(wanted).map(|(k, _)| k.text.to_string())
        };
        for i in [0, 17, 99] {
            assert_eq!(found(map, &format!("k{i}")), Some(format!("k{i}")));
        }
        assert_eq!(found(map, "k100"), None);
        // Every key's hash now leads to the first item, as if all collided: each is
        // still found, by the search item by item.
        let seed = map
            .index
            .get()
            .expect("built by the searches above")
            .seed
            .clone();
        let mut collided = Index {
            first: HashMap::default(),
            seed,
        };
        for i in 0..100 {
            let hash = collided.hash(&format!("k{i}"));
            collided.first.insert(hash, 0);
        }
        map.index = std::sync::OnceLock::from(Box::new(collided));
        for i in [0, 17, 99] {
            assert_eq!(found(map, &format!("k{i}")), Some(format!("k{i}")));
        }
        assert_eq!(found(map, "k100"), None);
    }
}
