//! The events of a fix's YAML, read without the parser when the fragment is written the
//! way rules write them.
//!
//! Every fix is a fragment of a topology that a rule wrote with `format!`: block
//! mappings indented by two, lists of `- ` items, flow mappings and lists, plain and
//! quoted scalars without escapes. A findings-heavy file has a fix per component or
//! two, and saphyr-parser spent more time on those fragments (about 5 µs each) than the
//! planner spent merging them. This reader gives the same events as saphyr-parser for
//! that narrow shape of YAML and gives up (None) on anything else: a comment, an
//! escape, a tab, a key that needs quotes, a plain scalar with a `:`, an indentation
//! it does not expect. Then the fragment is parsed as before. The tests check that
//! whenever it reads a fragment, the source map is the one the parser gives.

use std::borrow::Cow;

use saphyr_parser::{Event, ScalarStyle};

use crate::source::Span;

/// Deepest nesting read here (fixes nest four or five levels).
const MAX_DEPTH: usize = 32;

/// The events of `text`, from the stream's start to the root mapping's end, with their
/// byte spans; None when `text` is not written in the shape rules write.
pub fn events(text: &str) -> Option<Vec<(Event<'_>, Span)>> {
    // Characters the shape never needs, which would start comments, anchors, aliases,
    // tags, block scalars, directives, escapes or explicit keys.
    if !text.is_ascii()
        || text.bytes().any(|b| {
            matches!(
                b,
                b'#' | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'%'
                    | b'@'
                    | b'`'
                    | b'\\'
                    | b'?'
                    | b'\t'
                    | b'\r'
            )
        })
    {
        return None;
    }
    let mut lines = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n')?;
        let indent = body.len() - body.trim_start_matches(' ').len();
        // No blank lines and no trailing blanks: the parser folds or trims them.
        if indent == body.len() || body.ends_with(' ') {
            return None;
        }
        lines.push(Line {
            indent,
            start: at + indent,
            end: at + body.len(),
        });
        at += line.len();
    }
    let mut reader = Reader {
        text,
        lines,
        line: 0,
        depth: 0,
        events: vec![
            (Event::StreamStart, Span::default()),
            (Event::DocumentStart(false), Span::default()),
        ],
    };
    if reader.lines.first()?.indent != 0 {
        return None;
    }
    reader.block(0, false)?;
    (reader.line == reader.lines.len()).then_some(reader.events)
}

/// A line: its indentation, and where its text starts and ends (before the newline).
struct Line {
    indent: usize,
    start: usize,
    end: usize,
}

struct Reader<'a> {
    text: &'a str,
    lines: Vec<Line>,
    /// The next line to read.
    line: usize,
    depth: usize,
    events: Vec<(Event<'a>, Span)>,
}

/// Whether the parser would read `b` as part of a plain key or a plain scalar's first
/// character in every context.
fn plain_start(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'+')
}

impl<'a> Reader<'a> {
    fn push(&mut self, event: Event<'a>, start: usize, end: usize) {
        self.events.push((event, Span::new(start, end)));
    }

    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A block mapping whose keys are at column `indent` (or, when `list`, a block list
    /// whose dashes are), from the current line.
    fn block(&mut self, indent: usize, list: bool) -> Option<()> {
        self.deeper()?;
        let first = self.lines.get(self.line)?.start;
        let (open, close) = if list {
            (Event::SequenceStart(0, None), Event::SequenceEnd)
        } else {
            (Event::MappingStart(0, None), Event::MappingEnd)
        };
        self.push(open, first, first);
        while let Some(line) = self.lines.get(self.line) {
            if line.indent != indent {
                break;
            }
            let (start, end) = (line.start, line.end);
            self.line += 1;
            if list {
                self.list_item(start, end)?;
            } else {
                self.entry(indent, start, end)?;
            }
        }
        let end = self.lines[..self.line].last()?.end;
        self.push(close, end, end);
        self.depth -= 1;
        Some(())
    }

    /// The entry of a block mapping written from `start` to `end` (its line), its key
    /// at column `indent`: `key: value`, or `key:` and the value on the lines below.
    fn entry(&mut self, indent: usize, start: usize, end: usize) -> Option<()> {
        let colon = self.key(start, end)?;
        if colon + 1 == end {
            // The value is on the lines below, indented deeper.
            let next = self.lines.get(self.line)?;
            if next.indent <= indent {
                return None;
            }
            let list = self.text[next.start..].starts_with("- ");
            return self.block(next.indent, list);
        }
        // Nothing after the value.
        let value = self.after_colon(colon)?;
        (self.node(value, end, false)? == end).then_some(())
    }

    /// The item of a block list written from `start` (its dash) to `end`: a node on the
    /// dash's line.
    fn list_item(&mut self, start: usize, end: usize) -> Option<()> {
        let value = start + 2;
        if !self.text[start..].starts_with("- ") || self.text.as_bytes()[value] == b' ' {
            return None;
        }
        (self.node(value, end, false)? == end).then_some(())
    }

    /// The plain key written at `at`, up to its colon (before `limit`): its event, and
    /// the colon's offset.
    fn key(&mut self, at: usize, limit: usize) -> Option<usize> {
        if !plain_start(*self.text.as_bytes().get(at)?) {
            return None;
        }
        let colon = at + self.text[at..limit].find(':')?;
        let key = &self.text[at..colon];
        if !key.bytes().all(|b| plain_start(b) || b == b'-') {
            return None;
        }
        self.push(
            Event::Scalar(Cow::Borrowed(key), ScalarStyle::Plain, 0, None),
            at,
            colon,
        );
        Some(colon)
    }

    /// Where the value after the key whose colon is at `colon` starts: after exactly
    /// one blank.
    fn after_colon(&self, colon: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        (bytes.get(colon + 1) == Some(&b' ') && bytes.get(colon + 2) != Some(&b' '))
            .then_some(colon + 2)
    }

    /// The node written at `at` (before `limit`, the end of its line), in flow context
    /// inside brackets: its events, and the offset just after it.
    fn node(&mut self, at: usize, limit: usize, in_flow: bool) -> Option<usize> {
        let bytes = self.text.as_bytes();
        match *bytes.get(at)? {
            open @ (b'{' | b'[') => self.flow_collection(at, limit, open == b'{'),
            quote @ (b'"' | b'\'') => {
                let close = at + 1 + self.text[at + 1..limit].find(quote as char)?;
                // `''` inside single quotes is an escaped quote.
                if bytes.get(close + 1) == Some(&quote) {
                    return None;
                }
                let style = if quote == b'"' {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                let value = &self.text[at + 1..close];
                self.push(
                    Event::Scalar(Cow::Borrowed(value), style, 0, None),
                    at,
                    close + 1,
                );
                Some(close + 1)
            }
            b if plain_start(b)
                || (b == b'-' && bytes.get(at + 1).is_some_and(u8::is_ascii_alphanumeric)) =>
            {
                // A plain scalar: to the end of the line, or in brackets to the next
                // `,`, `]` or `}`; anything that could change how it is read gives up.
                let mut end = at;
                let mut i = at;
                while i < limit {
                    match bytes[i] {
                        b',' | b']' | b'}' if in_flow => break,
                        b':' | b',' | b'[' | b']' | b'{' | b'}' | b'"' | b'\'' => return None,
                        b' ' => {}
                        _ => end = i + 1,
                    }
                    i += 1;
                }
                // Two blanks in a row are not written by rules.
                if self.text[at..end].contains("  ") {
                    return None;
                }
                let value = &self.text[at..end];
                self.push(
                    Event::Scalar(Cow::Borrowed(value), ScalarStyle::Plain, 0, None),
                    at,
                    end,
                );
                Some(end)
            }
            _ => None,
        }
    }

    /// A flow mapping (`{ key: value, ... }`) or list (`[a, b]`) opening at `at`, on
    /// one line: the offset just after its closing bracket.
    fn flow_collection(&mut self, at: usize, limit: usize, map: bool) -> Option<usize> {
        self.deeper()?;
        let bytes = self.text.as_bytes();
        let close = if map { b'}' } else { b']' };
        self.push(
            if map {
                Event::MappingStart(0, None)
            } else {
                Event::SequenceStart(0, None)
            },
            at,
            at + 1,
        );
        let skip_blanks = |mut i: usize| {
            while bytes.get(i) == Some(&b' ') {
                i += 1;
            }
            i
        };
        let mut i = skip_blanks(at + 1);
        if bytes.get(i) != Some(&close) {
            loop {
                if map {
                    // `key: value`, the key plain.
                    let colon = self.key(i, limit)?;
                    i = self.after_colon(colon)?;
                }
                i = skip_blanks(self.node(i, limit, true)?);
                match bytes.get(i) {
                    Some(b',') => i = skip_blanks(i + 1),
                    Some(&b) if b == close => break,
                    _ => return None,
                }
            }
        }
        if i >= limit {
            return None;
        }
        self.push(
            if map {
                Event::MappingEnd
            } else {
                Event::SequenceEnd
            },
            i,
            i + 1,
        );
        self.depth -= 1;
        Some(i + 1)
    }
}
