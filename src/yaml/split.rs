//! A large file scanned by two threads. The YAML parser reads one character after
//! another, and on a large file it is the slowest step of a run. A topology spends
//! most of its text in one or two top-level mappings (`components:`, `hosts:`) whose
//! entries are lines at two spaces: a run of those entries, cut at line starts, is a
//! YAML document of its own (a mapping at two spaces), and the rest of the file, with
//! the run taken out, still parses to the same events before and after it.
//!
//! So one thread scans the run (the *middle*) while another scans the rest (the
//! *outer* text: before and after the run, joined); both send their events to the
//! reader as they go, in chunks of marks. The reader takes the
//! outer events up to where the run was cut out (the end of its mapping), then the
//! middle's, then the outer ones again: the events of one whole parse, in order. With
//! the reader, that is three threads' work on a machine of two, but the two scanners
//! do the parser's work in about half the time, and the reader was idle a third of it.
//!
//! Nothing is assumed that is not checked. The run holds no anchor, alias or tag (`&`,
//! `*`, `!` where a node begins: the middle's parser could not know the outer text's),
//! the section has an entry before the cut, the middle must be exactly one mapping of
//! plain nodes and parse without error, and the outer events past the cut must close
//! collections down to the section's mapping and then close it, there; no outer event
//! may cross the cut. Where the whole parse puts an event at the start of the next
//! token, which for the events before the cut is the middle's first key, the outer
//! parse puts it at the cut: those positions are moved to the key. When anything fails,
//! or either part has a syntax error, the split is abandoned: the events end, and the
//! file is read again from its start with a single scanning thread (what was read is
//! dropped), so an error is reported as a whole parse reports it.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender};

use saphyr_parser::{Event, Parser, ScanError};

use super::de::{MarkKind, Marks, Position, RawEvent, anchored, borrow_plain};
use crate::source::{SourceFile, Span};

/// What the outer scanner sends.
pub(super) enum Piece<'de> {
    /// Events of plain nodes (no anchor, alias or tag), as marks: four bytes each, so
    /// the scanner can run far ahead of the reader, through the text after the cut
    /// while the reader takes the middle's events.
    Marks(Marks),
    /// Any other event (the stream's, a document's, an anchored node's), its span in
    /// the file's bytes.
    Event(RawEvent<'de>),
    /// The middle's events go here, before the next outer event.
    Splice,
    /// The split does not hold, or the outer text has an error.
    Abandon,
}

/// Events per [`Piece::Marks`].
const CHUNK: usize = 4096;

/// Pieces the outer scanner may be ahead of the reader by: some two million events,
/// held in about 8 MB.
pub(super) const PIECES_AHEAD: usize = 512;

/// Where a file is cut: its bytes `start..end` are the middle. Both are line starts;
/// the middle is whole entries of a top-level block mapping, written at two spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cut {
    pub start: usize,
    pub end: usize,
}

/// The cut of `text` that gives the two scanners about the same work: in the top-level
/// section that holds the middle of the file, from the first entry at or after
/// `section end - half the file` (but not the section's first) to the section's end.
/// None when the file has no such section, the middle would be under `min_middle`
/// bytes, or it could hold what its parser cannot read alone.
pub(super) fn cut(text: &str, min_middle: usize) -> Option<Cut> {
    let bytes = text.as_bytes();
    let half = text.len() / 2;
    // The section holding the middle of the file: the last line at column 0 before it
    // must be `key:` and nothing else (but blanks or a comment).
    let header = last_top_level_line(bytes, half)?;
    let header_line = line_at(text, header);
    if !is_section_header(header_line) {
        return None;
    }
    // (A header on the file's last line has no body.)
    let body = header + header_line.len() + 1;
    if body >= text.len() {
        return None;
    }
    let end = next_top_level_line(bytes, half.max(body)).unwrap_or(text.len());
    // The section's mapping must start before the cut, at an entry of its own.
    let first = next_entry(bytes, body, end)?;
    let wanted = end.saturating_sub(half).max(first + 1);
    let start = next_entry(bytes, wanted, end)?;
    let middle = &bytes[start..end];
    if middle.len() < min_middle.max(1)
        || memchr::memchr3_iter(b'&', b'*', b'!', middle).any(|i| starts_node(middle, i))
    {
        return None;
    }
    Some(Cut { start, end })
}

/// Whether the byte at `i` may begin a node (an anchor, an alias or a tag there would
/// be one): it is first on its line but for blanks, or follows an indicator after which
/// a node begins. Anywhere else (inside a plain or quoted scalar) it is text.
fn starts_node(bytes: &[u8], i: usize) -> bool {
    let before = bytes[..i]
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t'))
        .copied();
    matches!(
        before,
        None | Some(b'\n' | b'\r' | b':' | b'-' | b'?' | b'[' | b'{' | b',')
    )
}

/// The start of the last line before `at` that begins at column 0 with something
/// other than a comment.
fn last_top_level_line(bytes: &[u8], at: usize) -> Option<usize> {
    let mut end = at;
    loop {
        let newline = memchr::memrchr(b'\n', &bytes[..end]);
        let start = newline.map_or(0, |n| n + 1);
        if starts_top_level(bytes, start) {
            return Some(start);
        }
        end = newline?;
    }
}

/// The start of the first line from `at` on (`at` or after its line's end) that
/// begins at column 0 with something other than a comment.
fn next_top_level_line(bytes: &[u8], at: usize) -> Option<usize> {
    let mut from = at;
    if from > 0 && bytes.get(from - 1) != Some(&b'\n') {
        from += memchr::memchr(b'\n', bytes.get(from..)?)? + 1;
    }
    loop {
        if from >= bytes.len() {
            return None;
        }
        if starts_top_level(bytes, from) {
            return Some(from);
        }
        from += memchr::memchr(b'\n', &bytes[from..])? + 1;
    }
}

/// Whether the line at `start` begins at column 0 with something other than a
/// comment or a line break.
fn starts_top_level(bytes: &[u8], start: usize) -> bool {
    bytes
        .get(start)
        .is_some_and(|b| !matches!(b, b' ' | b'\t' | b'#' | b'\n' | b'\r'))
}

/// The line that starts at `start`, without its line break.
fn line_at(text: &str, start: usize) -> &str {
    let rest = &text[start..];
    let line = rest.split('\n').next().unwrap_or(rest);
    line.strip_suffix('\r').unwrap_or(line)
}

/// Whether a line is a plain key and a colon, then nothing but blanks or a comment:
/// a section whose value is the block written under it.
fn is_section_header(line: &str) -> bool {
    let Some((key, rest)) = line.split_once(':') else {
        return false;
    };
    let rest = rest.trim_start_matches(' ');
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && (rest.is_empty() || rest.starts_with('#'))
}

/// The start of the first line from `at` (a line start, or the next one) to `end` that
/// is an entry of a mapping at two spaces: two spaces, then a plain key's first
/// character.
fn next_entry(bytes: &[u8], at: usize, end: usize) -> Option<usize> {
    let mut from = at;
    if from > 0 && bytes.get(from - 1) != Some(&b'\n') {
        from += memchr::memchr(b'\n', bytes.get(from..end)?)? + 1;
    }
    while from + 3 < end {
        if bytes[from..].starts_with(b"  ") && bytes[from + 2].is_ascii_alphanumeric() {
            return Some(from);
        }
        from += memchr::memchr(b'\n', bytes.get(from..end)?)? + 1;
    }
    None
}

/// Character counts that turn the scanners' character indexes into the file's.
#[derive(Clone, Copy)]
struct Chars {
    /// Characters before the middle.
    before: usize,
    /// Characters in the middle.
    middle: usize,
}

impl Chars {
    fn of(source: &SourceFile, cut: Cut) -> Chars {
        let before = source.char_of_byte(cut.start);
        Chars {
            before,
            middle: source.char_of_byte(cut.end) - before,
        }
    }
}

/// The outer scanner: parses the file without its middle, sending its events as
/// [`Piece`]s (chunks of marks, and the events marks cannot hold), and
/// [`Piece::Splice`] where the middle was. Stops when the reader has gone.
pub(super) fn scan_outer<'de>(source: &'de SourceFile, cut: Cut, out: SyncSender<Piece<'de>>) {
    let chars = Chars::of(source, cut);
    let mut outer = String::with_capacity(source.text.len() - (cut.end - cut.start));
    outer.push_str(&source.text[..cut.start]);
    outer.push_str(&source.text[cut.end..]);
    let mut parser = Parser::new_from_str(&outer);
    let mut chunk = Marks::with_capacity(CHUNK);
    let mut spliced = false;
    let mut depth = 0usize;
    // What was sent before is dropped when the split is abandoned.
    let abandon = || {
        let _ = out.send(Piece::Abandon);
    };
    let send_chunk = |chunk: &mut Marks| {
        chunk.is_empty()
            || out
                .send(Piece::Marks(std::mem::replace(
                    chunk,
                    Marks::with_capacity(CHUNK),
                )))
                .is_ok()
    };
    // The middle's first key: two spaces into it.
    let key = chars.before + 2;
    let to_file = |start: usize, end: usize, spliced: bool| {
        let (start, end) = if spliced {
            (start + chars.middle, end + chars.middle)
        } else {
            let at_key = |i: usize| if i == chars.before { key } else { i };
            (at_key(start), at_key(end))
        };
        Span::new(source.byte_of_char(start), source.byte_of_char(end))
    };
    while let Some(event) = parser.next_event() {
        let Ok((event, span)) = event else {
            return abandon();
        };
        let (start, end) = (span.start.index(), span.end.index());
        if !spliced && (start > chars.before || end > chars.before) {
            return abandon();
        }
        if !spliced && start == chars.before {
            // Past the cut: the ends of collections inside the section's last entry
            // before it, or the empty value of its last key, then the end of the
            // section's mapping, where the middle goes. Anything else, and the split
            // does not hold.
            let before_middle = match &event {
                Event::MappingEnd | Event::SequenceEnd => depth > 2,
                Event::Scalar(value, saphyr_parser::ScalarStyle::Plain, 0, None) => {
                    value.is_empty() && depth >= 2
                }
                _ => false,
            };
            if !before_middle {
                if !matches!(event, Event::MappingEnd) || depth != 2 {
                    return abandon();
                }
                spliced = true;
                if !send_chunk(&mut chunk) || out.send(Piece::Splice).is_err() {
                    return;
                }
            }
        }
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        let span = to_file(start, end, spliced);
        let event = borrow_plain(source, owned(event), span);
        // A mark holds all of a node's event but an alias, an anchor or a tag.
        let plain =
            MarkKind::of(&event).is_some_and(|kind| kind != MarkKind::Alias) && !anchored(&event);
        if plain {
            chunk.push(&event, span, &source.text);
            if chunk.len() == CHUNK && !send_chunk(&mut chunk) {
                return;
            }
            continue;
        }
        let last = matches!(event, Event::StreamEnd);
        if !send_chunk(&mut chunk) || out.send(Piece::Event(Ok((event, span)))).is_err() {
            return;
        }
        if last {
            break;
        }
    }
    // A stream that ends before the cut cannot be the whole parse's.
    if !spliced {
        abandon();
    }
}

/// An event of the outer text's parser, holding nothing of that text (the parser
/// copies every value it reads): the same event over the file.
fn owned<'a>(event: Event<'_>) -> Event<'a> {
    let text = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
    let tag = |t: Option<Cow<'_, saphyr_parser::Tag>>| t.map(|t| Cow::Owned(t.into_owned()));
    match event {
        Event::Nothing => Event::Nothing,
        Event::StreamStart => Event::StreamStart,
        Event::StreamEnd => Event::StreamEnd,
        Event::DocumentStart(explicit) => Event::DocumentStart(explicit),
        Event::DocumentEnd => Event::DocumentEnd,
        Event::Alias(id) => Event::Alias(id),
        Event::Scalar(value, style, anchor, t) => Event::Scalar(text(value), style, anchor, tag(t)),
        Event::SequenceStart(anchor, t) => Event::SequenceStart(anchor, tag(t)),
        Event::SequenceEnd => Event::SequenceEnd,
        Event::MappingStart(anchor, t) => Event::MappingStart(anchor, tag(t)),
        Event::MappingEnd => Event::MappingEnd,
    }
}

/// What the middle scanner sends: its events inside its one mapping, as marks, as it
/// goes, then [`Middle::Done`] once the middle has closed as it must. When it does not
/// (it is not exactly one block mapping of plain nodes, or has an error), or when the
/// reader gives up on it through `cancel`, the scanner stops without `Done`.
pub(super) enum Middle {
    Marks(Marks),
    Done,
}

/// The middle scanner (see [`Middle`]).
pub(super) fn scan_middle(source: &SourceFile, cut: Cut, cancel: &AtomicBool, out: Sender<Middle>) {
    let _ = scan_middle_into(source, cut, cancel, &out);
}

fn scan_middle_into(
    source: &SourceFile,
    cut: Cut,
    cancel: &AtomicBool,
    out: &Sender<Middle>,
) -> Option<()> {
    let chars = Chars::of(source, cut);
    let middle = &source.text[cut.start..cut.end];
    let mut parser = Parser::new_from_str(middle);
    let to_file = |index: usize| source.byte_of_char(chars.before + index);
    // The stream, its document and its mapping open the middle; the same close it.
    for expected in 0..3 {
        let (event, _) = parser.next_event()?.ok()?;
        let ok = matches!(
            (expected, event),
            (0, Event::StreamStart)
                | (1, Event::DocumentStart(false))
                | (2, Event::MappingStart(0, None))
        );
        if !ok {
            return None;
        }
    }
    let mut chunk = Marks::with_capacity(CHUNK);
    let mut depth = 1usize;
    let mut any = false;
    loop {
        let (event, span) = parser.next_event()?.ok()?;
        match &event {
            Event::MappingStart(0, None) | Event::SequenceStart(0, None) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Event::Scalar(_, _, 0, None) => {}
            _ => return None,
        }
        let span = Span::new(to_file(span.start.index()), to_file(span.end.index()));
        if span.end as usize > cut.end {
            return None;
        }
        chunk.push(&borrow_plain(source, event, span), span, &source.text);
        any = true;
        if chunk.len() == CHUNK {
            if cancel.load(Ordering::Relaxed) {
                return None;
            }
            let full = std::mem::replace(&mut chunk, Marks::with_capacity(CHUNK));
            out.send(Middle::Marks(full)).ok()?;
        }
    }
    let ends = [parser.next_event(), parser.next_event()];
    let closed = matches!(
        ends,
        [
            Some(Ok((Event::DocumentEnd, _))),
            Some(Ok((Event::StreamEnd, _)))
        ]
    ) && parser.next_event().is_none();
    if !closed || !any {
        return None;
    }
    if !chunk.is_empty() {
        out.send(Middle::Marks(chunk)).ok()?;
    }
    out.send(Middle::Done).ok()
}

/// The reader's side: the outer events, and the middle's at the splice. When the
/// split is abandoned, the events end early and [`Split::abandoned`] says so.
pub(super) struct Split<'de> {
    pieces: Receiver<Piece<'de>>,
    middle: Receiver<Middle>,
    /// Whether the events come from the middle now.
    in_middle: bool,
    replay: Option<Replay>,
    abandoned: Arc<AtomicBool>,
    /// Tells the middle scanner that its events are no longer wanted.
    cancel: Arc<AtomicBool>,
}

/// The middle's marks, read once, in order.
struct Replay {
    marks: Marks,
    at: Position,
    /// The index of the next mark.
    index: usize,
    /// The next of the marks' values.
    value: usize,
}

impl<'de> Split<'de> {
    pub(super) fn new(
        pieces: Receiver<Piece<'de>>,
        middle: Receiver<Middle>,
        abandoned: Arc<AtomicBool>,
        cancel: Arc<AtomicBool>,
    ) -> Self {
        Split {
            pieces,
            middle,
            in_middle: false,
            replay: None,
            abandoned,
            cancel,
        }
    }

    pub(super) fn next_event(&mut self, source: &'de SourceFile) -> Option<RawEvent<'de>> {
        if self.abandoned.load(Ordering::Relaxed) {
            return None;
        }
        loop {
            if let Some(replay) = &mut self.replay {
                match replay.next(source) {
                    Some(event) => return Some(Ok(event)),
                    None => self.replay = None,
                }
            }
            if self.in_middle {
                match self.middle.recv() {
                    Ok(Middle::Marks(marks)) => self.replay = Some(Replay::of(marks)),
                    Ok(Middle::Done) => self.in_middle = false,
                    // The middle did not close as it must, or has no thread.
                    Err(_) => return self.abandon(),
                }
                continue;
            }
            match self.pieces.recv() {
                Ok(Piece::Marks(marks)) => self.replay = Some(Replay::of(marks)),
                Ok(Piece::Event(event)) => return Some(event),
                Ok(Piece::Splice) => self.in_middle = true,
                Ok(Piece::Abandon) => return self.abandon(),
                // The scanner has stopped (a panic) once the channel is closed and
                // empty.
                Err(_) => return None,
            }
        }
    }

    /// Gives up on the split: the reader gets a syntax error, as when a scanner meets
    /// one, and then the end of the events (see [`Split::abandoned`]). An end without
    /// the error would leave it inside the nodes it was reading.
    fn abandon(&mut self) -> Option<RawEvent<'de>> {
        self.cancel.store(true, Ordering::Relaxed);
        if self.abandoned.swap(true, Ordering::Relaxed) {
            return None;
        }
        Some(Err(ScanError::new_str(
            saphyr_parser::Marker::new(0, 1, 0),
            "the file is read again whole",
        )))
    }
}

impl Drop for Split<'_> {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Replay {
    fn of(marks: Marks) -> Replay {
        Replay {
            marks,
            at: Position::default(),
            index: 0,
            value: 0,
        }
    }

    fn next<'de>(&mut self, source: &'de SourceFile) -> Option<(Event<'de>, Span)> {
        let mark = self.marks.mark_at(&mut self.at)?;
        let i = self.index;
        self.index += 1;
        let value = match self.marks.values.get_mut(self.value) {
            Some((at, value)) if *at as usize == i => {
                self.value += 1;
                Some(Cow::Owned(String::from(std::mem::take(value))))
            }
            _ => None,
        };
        Some((mark.event(&source.text, value)?, mark.span))
    }
}

#[cfg(test)]
mod tests;
