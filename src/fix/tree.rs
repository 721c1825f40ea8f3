//! A source map of a YAML document: every mapping, sequence and scalar with its byte
//! span and style, read from saphyr-parser's events. Fixes are planned against it, so
//! an edit lands where the file keeps the thing it changes, in the file's own style.
//!
//! It is built only for files that have fixes to plan, after the reader has accepted
//! them (so the file is valid YAML within the input limits); it still bounds its own
//! depth, and refuses anchors and aliases on the way to an edit (see [`Node::Opaque`]).

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::source::{SourceFile, Span};

/// One node of the document.
#[derive(Debug)]
pub enum Node {
    /// A mapping.
    Map(Collection<(Key, Node)>),
    /// A sequence.
    Seq(Collection<Node>),
    /// A scalar: its value, whether it was written plain, and its span.
    Scalar {
        /// The value as the parser read it.
        value: String,
        /// Written without quotes or block indicators.
        plain: bool,
        /// Where it is written (empty for an empty value).
        span: Span,
    },
    /// An alias, or a node that carries an anchor or a merge key: editing it would edit
    /// every place that shares it, so no fix goes through it.
    Opaque(Span),
}

/// A mapping key: its text and span.
#[derive(Debug)]
pub struct Key {
    /// The key's text.
    pub text: String,
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
}

impl Node {
    /// The end of the node's written content.
    pub fn end(&self) -> usize {
        match self {
            Node::Map(m) => m.end,
            Node::Seq(s) => s.end,
            Node::Scalar { span, .. } | Node::Opaque(span) => span.end as usize,
        }
    }

    /// Where the node starts.
    pub fn start(&self) -> usize {
        match self {
            Node::Map(m) => m.start,
            Node::Seq(s) => s.start,
            Node::Scalar { span, .. } | Node::Opaque(span) => span.start as usize,
        }
    }

    /// The value of `key`, when this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(m) => m.items.iter().find(|(k, _)| k.text == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why a source map could not be built.
#[derive(Debug)]
pub struct Unreadable;

/// Deepest nesting the source map follows.
const MAX_DEPTH: usize = 128;

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    source: &'a SourceFile,
    depth: usize,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), Unreadable> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => Ok((
                event,
                Span::new(
                    self.source.byte_of_char(span.start.index()),
                    self.source.byte_of_char(span.end.index()),
                ),
            )),
            _ => Err(Unreadable),
        }
    }

    /// Reads the node that `event` starts.
    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node, Unreadable> {
        match event {
            Event::Scalar(value, style, anchor, _) => {
                if anchor != 0 {
                    return Ok(Node::Opaque(span));
                }
                Ok(Node::Scalar {
                    value: value.into_owned(),
                    plain: style == ScalarStyle::Plain,
                    span: self.scalar_span(span, style),
                })
            }
            Event::Alias(_) => Ok(Node::Opaque(span)),
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                let is_map = matches!(event, Event::MappingStart(..));
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Unreadable);
                }
                let start = span.start as usize;
                let flow = matches!(self.source.text.as_bytes().get(start), Some(b'{' | b'['));
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

    fn map(&mut self, start: usize, flow: bool) -> Result<Node, Unreadable> {
        let mut items: Vec<(Key, Node)> = Vec::new();
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
                    let node = Node::Map(Collection {
                        items,
                        flow,
                        start,
                        end,
                    });
                    return Ok(if opaque {
                        Node::Opaque(Span::new(start, end))
                    } else {
                        node
                    });
                }
                Event::Scalar(text, _, _, _) => (text.into_owned(), span),
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
            if key == "<<" {
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

    fn seq(&mut self, start: usize, flow: bool) -> Result<Node, Unreadable> {
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
                return Ok(Node::Seq(Collection {
                    items,
                    flow,
                    start,
                    end,
                }));
            }
            items.push(self.node(event, span)?);
        }
    }
}

/// The source map of a file's one document.
pub fn build(source: &SourceFile) -> Result<Node, Unreadable> {
    let mut b = Builder {
        parser: Parser::new_from_str(&source.text),
        source,
        depth: 0,
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
