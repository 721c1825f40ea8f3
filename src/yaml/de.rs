//! A serde Deserializer that streams `saphyr-parser` events straight into the model
//! types: no document tree, spans on every value that asks for one, anchors, aliases and
//! merge keys under an expansion budget, a nesting limit, and recovery that records an
//! error, skips the offending node and goes on.

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::VecDeque;

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, StrInput, Tag};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::error::{Error, ErrorKind};
use super::scalar::{Resolved, resolve};
use super::spanned::{COUNTED_ELEMENTS, COUNTED_IDS, Counted, RECOVER, RECOVERED_KEY, SPANNED};
use crate::finding::shorten;
use crate::source::{SourceFile, Span};

/// Bounds on what one input may make the reader do.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of lists and mappings.
    pub max_depth: usize,
    /// Most events that aliases and merge keys may replay, in all.
    pub max_alias_events: usize,
    /// Files of at least this many bytes use a second thread: to scan the YAML while
    /// this one reads the events into the model (see [`EventSource`]), to build hosts
    /// during validation (`model::validate_with`), and to run rules beside the
    /// availability analysis (`lint::check`). Smaller files are not worth a thread.
    pub threaded_from_bytes: usize,
    /// Most ids (entries of the mappings read as [`Counted`]) a file may hold, counted
    /// as they are read: a file over it is refused (IL001) at the id that passes it,
    /// before the rest is parsed. The lint sets it from `--max-ids`.
    pub max_ids: usize,
    /// Most components and hosts together, likewise: the lint sets it from an explicit
    /// `--max-analysis-work`, since the availability analysis handles at least one set
    /// element per component and per host.
    pub max_elements: usize,
    /// Files of at least this many bytes (and threaded) are scanned by two threads
    /// when they can be cut (see [`super::split`]).
    pub split_from_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_alias_events: 1_000_000,
            threaded_from_bytes: 256 * 1024,
            max_ids: usize::MAX,
            max_elements: usize::MAX,
            split_from_bytes: 1 << 20,
        }
    }
}

impl Limits {
    /// The threads worth using on a file of `bytes`: two from `threaded_from_bytes`.
    pub fn threads_for(&self, bytes: usize) -> usize {
        if bytes >= self.threaded_from_bytes {
            2
        } else {
            1
        }
    }
}

type Ev<'de> = (Event<'de>, Span);

/// Where replayed events come from.
enum Frame<'de> {
    /// A range of the anchor log (an alias), and where the alias is written.
    Log { pos: usize, end: usize, alias: Span },
    /// Events captured for a merge key, replayed once.
    Owned(std::vec::IntoIter<Ev<'de>>),
}

/// An anchored node still being read.
struct OpenAnchor {
    id: usize,
    start: usize,
    level: usize,
}

/// One event from saphyr-parser, its span in bytes (a quarter of the parser's own span
/// type, which matters when millions of them cross to the reading thread).
pub(super) type RawEvent<'de> = Result<Ev<'de>, ScanError>;

/// The kinds of marks (see [`Marks`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// A scalar, in its style.
    Scalar(ScalarStyle),
    /// The start of a mapping.
    MapStart,
    /// The end of a mapping.
    MapEnd,
    /// The start of a sequence.
    SeqStart,
    /// The end of a sequence.
    SeqEnd,
    /// An alias.
    Alias,
}

impl MarkKind {
    /// The kind of a node's event (None for the stream's and documents' events).
    pub fn of(event: &Event<'_>) -> Option<MarkKind> {
        Some(match event {
            Event::Scalar(_, style, _, _) => MarkKind::Scalar(*style),
            Event::Alias(_) => MarkKind::Alias,
            Event::MappingStart(..) => MarkKind::MapStart,
            Event::SequenceStart(..) => MarkKind::SeqStart,
            Event::MappingEnd => MarkKind::MapEnd,
            Event::SequenceEnd => MarkKind::SeqEnd,
            _ => return None,
        })
    }

    fn code(self) -> u32 {
        match self {
            MarkKind::Scalar(ScalarStyle::Plain) => 0,
            MarkKind::Scalar(ScalarStyle::SingleQuoted) => 1,
            MarkKind::Scalar(ScalarStyle::DoubleQuoted) => 2,
            MarkKind::Scalar(ScalarStyle::Literal) => 3,
            MarkKind::Scalar(ScalarStyle::Folded) => 4,
            MarkKind::MapStart => 5,
            MarkKind::MapEnd => 6,
            MarkKind::SeqStart => 7,
            MarkKind::SeqEnd => 8,
            MarkKind::Alias => 9,
        }
    }

    fn of_code(code: u32) -> MarkKind {
        match code {
            0 => MarkKind::Scalar(ScalarStyle::Plain),
            1 => MarkKind::Scalar(ScalarStyle::SingleQuoted),
            2 => MarkKind::Scalar(ScalarStyle::DoubleQuoted),
            3 => MarkKind::Scalar(ScalarStyle::Literal),
            4 => MarkKind::Scalar(ScalarStyle::Folded),
            5 => MarkKind::MapStart,
            6 => MarkKind::MapEnd,
            7 => MarkKind::SeqStart,
            8 => MarkKind::SeqEnd,
            _ => MarkKind::Alias,
        }
    }
}

/// One kept event: what it is, whether it carries an anchor or a tag (no fix edits
/// such a node), and its span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// What the event is.
    pub kind: MarkKind,
    /// Whether it carries an anchor or a tag.
    pub anchored: bool,
    /// Where it is written, in bytes.
    pub span: Span,
}

/// A file's events as the reader met them, kept so that a source map of the file (for
/// planning fixes, [`crate::fix::tree`]) is rebuilt without parsing it again.
///
/// A large file has an event per 7 to 10 bytes, and these are kept from the parse to
/// the planning of fixes, through the peak of a run: each takes four bytes. Its kind
/// (bits 0-3), whether it is anchored (bit 4), its length (bits 5-15) and the distance
/// of its start from the previous event's start (bits 16-31) share one word; an event
/// whose length or distance does not fit there is kept whole in [`Marks::wide`], and
/// every [`CHECKPOINT`]th event's start is kept in [`Marks::checkpoints`], so that the
/// events can be read from any point. The few scalar values that are not the text of
/// their span (quoted, folded) are kept beside them, in [`Marks::values`].
#[derive(Debug, Default)]
pub struct Marks {
    /// The events, packed, in file order.
    packed: Vec<u32>,
    /// The start of every [`CHECKPOINT`]th event.
    checkpoints: Vec<u32>,
    /// The events whose length or distance does not fit in their word: their index,
    /// start and end, in order.
    wide: Vec<(u32, u32, u32)>,
    /// The start of the last event pushed.
    last_start: u32,
    /// The values of the scalars whose value is not their span's text, by the index of
    /// their mark, in order.
    pub values: Vec<(u32, Box<str>)>,
}

/// How often an event's start is kept whole.
const CHECKPOINT: usize = 64;
/// The length field that says the event is in [`Marks::wide`].
const WIDE: u32 = (1 << 11) - 1;

impl Marks {
    /// Room for `n` events, reserved, not touched.
    pub fn with_capacity(n: usize) -> Marks {
        Marks {
            packed: Vec::with_capacity(n),
            checkpoints: Vec::with_capacity(n / CHECKPOINT + 1),
            ..Marks::default()
        }
    }

    /// The text between the quotes of a quoted scalar's span.
    pub fn quoted_text(text: &str, span: Span) -> Option<&str> {
        text.get(span.start as usize + 1..(span.end as usize).checked_sub(1)?)
    }

    /// The events from the `first`th on.
    pub fn from(&self, first: usize) -> Cursor<'_> {
        let first = first.min(self.packed.len());
        let checkpoint = first / CHECKPOINT;
        let at = checkpoint * CHECKPOINT;
        let mut cursor = Cursor {
            marks: self,
            at: Position {
                next: at,
                start: self.checkpoints.get(checkpoint).copied().unwrap_or(0),
                wide: self.wide.partition_point(|(j, _, _)| (*j as usize) < at),
            },
        };
        for _ in at..first {
            cursor.next();
        }
        cursor
    }

    /// The mark at `at`, and `at` moved to the next one.
    pub(super) fn mark_at(&self, at: &mut Position) -> Option<Mark> {
        let i = at.next;
        let word = *self.packed.get(i)?;
        at.next += 1;
        let len = (word >> 5) & WIDE;
        let (start, end) = if len == WIDE {
            let (_, start, end) = self.wide.get(at.wide).copied()?;
            at.wide += 1;
            (start, end)
        } else {
            let start = if i.is_multiple_of(CHECKPOINT) {
                self.checkpoints.get(i / CHECKPOINT).copied()?
            } else {
                at.start.wrapping_add(word >> 16)
            };
            (start, start.wrapping_add(len))
        };
        at.start = start;
        Some(Mark {
            kind: MarkKind::of_code(word & 0xf),
            anchored: word & 0x10 != 0,
            span: Span { start, end },
        })
    }

    /// The number of marks.
    pub fn len(&self) -> usize {
        self.packed.len()
    }

    /// Whether there is no mark.
    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    pub(super) fn push(&mut self, event: &Event<'_>, span: Span, text: &str) {
        let Some(kind) = MarkKind::of(event) else {
            return;
        };
        let anchored = anchored(event);
        if let Event::Scalar(value, style, _, _) = event {
            // A plain scalar borrowed from the file is the text of its span; a quoted
            // one without escapes or line breaks, the text between its quotes.
            let as_written = match style {
                ScalarStyle::Plain => matches!(value, Cow::Borrowed(_)),
                ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                    Marks::quoted_text(text, span) == Some(value.as_ref())
                }
                _ => false,
            };
            if !as_written {
                self.values
                    .push((self.packed.len() as u32, value.as_ref().into()));
            }
        }
        let i = self.packed.len();
        if i.is_multiple_of(CHECKPOINT) {
            self.checkpoints.push(span.start);
        }
        let len = span.end.saturating_sub(span.start);
        let distance = span.start.checked_sub(self.last_start);
        let head = (u32::from(anchored) << 4) | kind.code();
        let word = match distance {
            Some(d) if d <= u32::from(u16::MAX) && len < WIDE => (d << 16) | (len << 5) | head,
            _ => {
                self.wide
                    .push((i as u32, span.start, span.end.max(span.start)));
                (WIDE << 5) | head
            }
        };
        self.packed.push(word);
        self.last_start = span.start;
    }
}

/// Whether a node's event carries an anchor or a tag (which a [`Mark`] keeps only as
/// [`Mark::anchored`]).
pub(super) fn anchored(event: &Event<'_>) -> bool {
    match event {
        Event::Scalar(_, _, anchor, tag)
        | Event::MappingStart(anchor, tag)
        | Event::SequenceStart(anchor, tag) => *anchor != 0 || tag.is_some(),
        _ => false,
    }
}

/// Reads [`Marks`] in order, from a checkpoint on.
pub struct Cursor<'m> {
    marks: &'m Marks,
    at: Position,
}

/// Where a reading of [`Marks`] is.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Position {
    /// The index of the next event.
    next: usize,
    /// The start of the event before it (at a checkpoint: of the checkpoint's event).
    start: u32,
    /// The next entry of [`Marks::wide`] to meet.
    wide: usize,
}

impl Iterator for Cursor<'_> {
    type Item = Mark;

    fn next(&mut self) -> Option<Mark> {
        self.marks.mark_at(&mut self.at)
    }
}

impl Mark {
    /// The event the mark stands for, in the file's `text`: a scalar's `value` when it
    /// was kept apart (its span's text is not its value), else its span's text (between
    /// the quotes of a quoted one). None when the span is not in `text`.
    pub fn event<'a>(self, text: &'a str, value: Option<Cow<'a, str>>) -> Option<Event<'a>> {
        let anchor = usize::from(self.anchored);
        let span = self.span;
        Some(match self.kind {
            MarkKind::Scalar(style) => {
                let value = match value {
                    Some(value) => value,
                    None if matches!(
                        style,
                        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
                    ) =>
                    {
                        Cow::Borrowed(Marks::quoted_text(text, span)?)
                    }
                    None => Cow::Borrowed(text.get(span.start as usize..span.end as usize)?),
                };
                Event::Scalar(value, style, anchor, None)
            }
            MarkKind::MapStart => Event::MappingStart(anchor, None),
            MarkKind::SeqStart => Event::SequenceStart(anchor, None),
            MarkKind::MapEnd => Event::MappingEnd,
            MarkKind::SeqEnd => Event::SequenceEnd,
            MarkKind::Alias => Event::Alias(0),
        })
    }
}

/// Events come in batches from the scanning thread.
const BATCH: usize = 4096;

/// Where the parser's events come from: the parser itself, or a second thread that runs
/// it ahead of this one. Scanning is most of the time to read a large file; on a second
/// core it overlaps building the model. The events and their order are the same.
enum EventSource<'de> {
    Direct(Box<Parser<'de, StrInput<'de>>>),
    /// A large file scanned in two parts (see [`super::split`]).
    Split(Box<super::split::Split<'de>>),
    Threaded {
        batches: Receiver<Vec<RawEvent<'de>>>,
        batch: std::vec::IntoIter<RawEvent<'de>>,
    },
}

impl<'de> EventSource<'de> {
    fn next_event(&mut self, source: &'de SourceFile) -> Option<RawEvent<'de>> {
        match self {
            EventSource::Direct(parser) => parser.next_event().map(|e| compact(source, e)),
            EventSource::Split(split) => split.next_event(source),
            EventSource::Threaded { batches, batch } => loop {
                if let Some(event) = batch.next() {
                    return Some(event);
                }
                // The scanner has stopped (end of stream, an error, or a panic) once
                // the channel is closed and empty.
                *batch = batches.recv().ok()?.into_iter();
            },
        }
    }
}

/// An event from the parser with its span in bytes. A plain scalar written on one line
/// is the very text of the file: it is borrowed from there, so the model's strings are
/// copied once, at their exact size, where they are kept, and the parser's own copy is
/// freed at once by the thread that made it.
fn compact<'de>(
    source: &'de SourceFile,
    event: Result<(Event<'de>, saphyr_parser::Span), ScanError>,
) -> RawEvent<'de> {
    let (event, span) = event?;
    let span = Span::new(
        source.byte_of_char(span.start.index()),
        source.byte_of_char(span.end.index()),
    );
    Ok((borrow_plain(source, event, span), span))
}

/// A plain scalar's value borrowed from the file when it is the text of its `span`.
pub(super) fn borrow_plain<'de>(
    source: &'de SourceFile,
    event: Event<'de>,
    span: Span,
) -> Event<'de> {
    match event {
        Event::Scalar(Cow::Owned(value), ScalarStyle::Plain, anchor, tag) => {
            let text = match source.text.get(span.start as usize..span.end as usize) {
                Some(written) if written == value => Cow::Borrowed(written),
                _ => Cow::Owned(value),
            };
            Event::Scalar(text, ScalarStyle::Plain, anchor, tag)
        }
        other => other,
    }
}

/// The scanning thread: runs the parser to the end of the stream or its first error,
/// sending events in batches; stops early when the reader has gone.
fn scan<'de>(source: &'de SourceFile, out: SyncSender<Vec<RawEvent<'de>>>) {
    let mut parser = Parser::new_from_str(&source.text);
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(event) = parser.next_event() {
        let event = compact(source, event);
        let last = matches!(event, Err(_) | Ok((Event::StreamEnd, _)));
        batch.push(event);
        if last {
            break;
        }
        if batch.len() == BATCH
            && out
                .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                .is_err()
        {
            return;
        }
    }
    let _ = out.send(batch);
}

/// Streams events into serde visitors. See the module documentation.
pub struct YamlDeserializer<'de> {
    events: EventSource<'de>,
    source: &'de SourceFile,
    peeked: Option<Ev<'de>>,
    frames: Vec<Frame<'de>>,
    /// Raw events of anchored nodes; anchors are ranges of it.
    log: Vec<Ev<'de>>,
    open: Vec<OpenAnchor>,
    anchors: HashMap<usize, (usize, usize)>,
    depth: usize,
    consumed: u64,
    replayed: usize,
    /// End of the last event that covered text: the end of the value just read.
    last_end: u32,
    /// The key whose value is about to be read, for `Spanned::key`.
    pending_key: Option<Span>,
    /// The key last handed to a mapping's visitor: where a duplicate key is.
    last_key: Span,
    limits: Limits,
    /// Errors recorded while going on.
    pub errors: Vec<Error>,
    /// The file's events, when asked for (see [`from_source_marked`]).
    marks: Option<Marks>,
    /// Keys (by span, sorted) whose pairs are read as if absent: those an earlier
    /// reading stopped at, so that the errors after them in the same node are found.
    mask: Vec<Span>,
    /// Masked keys skipped, as (start of their mapping, key text).
    masked: Vec<(u32, String)>,
    /// The keys at which a recovered node failed: the next reading's mask.
    failed_at: Vec<Span>,
    /// What the next mapping's entries count as (set by [`deserialize_counted`]).
    counting: Option<Counted>,
    /// Ids, and components and hosts, read so far, against `limits`.
    ids: usize,
    elements: usize,
    /// Whether the events have ended (the stream's end or an error was met).
    ended: bool,
}

impl<'de> YamlDeserializer<'de> {
    /// A reader over one file's text.
    pub fn new(source: &'de SourceFile, limits: Limits) -> Self {
        Self::with_events(
            source,
            limits,
            EventSource::Direct(Box::new(Parser::new_from_str(&source.text))),
        )
    }

    fn with_events(source: &'de SourceFile, limits: Limits, events: EventSource<'de>) -> Self {
        YamlDeserializer {
            events,
            source,
            peeked: None,
            frames: Vec::new(),
            log: Vec::new(),
            open: Vec::new(),
            anchors: HashMap::new(),
            depth: 0,
            consumed: 0,
            replayed: 0,
            last_end: 0,
            pending_key: None,
            last_key: Span::default(),
            limits,
            errors: Vec::new(),
            marks: None,
            mask: Vec::new(),
            masked: Vec::new(),
            failed_at: Vec::new(),
            counting: None,
            ids: 0,
            elements: 0,
            ended: false,
        }
    }

    /// A missing-field error about a key this reading masked is no error of the file's:
    /// the key is there, and its own error was reported by an earlier reading.
    fn unmask_missing(&self, e: Error, map_start: u32) -> Error {
        if e.kind == ErrorKind::MissingField && !self.masked.is_empty() {
            let name = e.message.split('`').nth(1).unwrap_or_default();
            if self
                .masked
                .iter()
                .any(|(start, key)| *start == map_start && key == name)
            {
                return Error::recovered();
            }
        }
        e
    }

    /// The next event from the parser, logged when it belongs to an anchored node.
    fn pull_parser(&mut self) -> Result<Ev<'de>, Error> {
        let (event, span) = match self.events.next_event(self.source) {
            // The events end after the stream's end or an error, or when a scanning
            // thread has stopped (a panic, re-raised when it is joined): the reader
            // gets one error there, as the parser's, not an end inside the nodes it
            // was reading.
            None if !self.ended => {
                self.ended = true;
                let end = self.source.text.len();
                return Err(
                    Error::new(ErrorKind::Syntax, "invalid YAML: the events ended early")
                        .at(Span::new(end, end)),
                );
            }
            None => {
                let end = self.source.text.len();
                return Ok((Event::StreamEnd, Span::new(end, end)));
            }
            Some(Err(e)) => {
                self.ended = true;
                let at = self.source.byte_of_char(e.marker().index());
                let end = (at + 1).min(self.source.text.len()).max(at);
                if e.info() == "recursion limit exceeded" {
                    return Err(Error::new(
                        ErrorKind::Limit,
                        "nesting deeper than the YAML parser allows (255 levels of flow collections)",
                    )
                    .at(Span::new(at, end))
                    .label("too deep"));
                }
                return Err(
                    Error::new(ErrorKind::Syntax, format!("invalid YAML: {}", e.info()))
                        .at(Span::new(at, end))
                        .label("here"),
                );
            }
            Some(Ok(ev)) => {
                self.ended |= matches!(ev.0, Event::StreamEnd);
                ev
            }
        };
        if let Some(marks) = &mut self.marks {
            marks.push(&event, span, &self.source.text);
        }
        let anchor = match &event {
            Event::Scalar(_, _, a, _) | Event::SequenceStart(a, _) | Event::MappingStart(a, _) => {
                *a
            }
            _ => 0,
        };
        if anchor != 0 {
            self.open.push(OpenAnchor {
                id: anchor,
                start: self.log.len(),
                level: 0,
            });
        }
        if !self.open.is_empty() {
            let delta: isize = match event {
                Event::SequenceStart(..) | Event::MappingStart(..) => 1,
                Event::SequenceEnd | Event::MappingEnd => -1,
                _ => 0,
            };
            self.log.push((event.clone(), span));
            for open in &mut self.open {
                open.level = open.level.saturating_add_signed(delta);
            }
            while let Some(top) = self.open.last() {
                if top.level != 0 {
                    break;
                }
                self.anchors.insert(top.id, (top.start, self.log.len()));
                self.open.pop();
            }
        }
        Ok((event, span))
    }

    fn count_replay(&mut self, span: Span) -> Result<(), Error> {
        self.replayed += 1;
        if self.replayed > self.limits.max_alias_events {
            // Point at the alias written in the file, not deep inside what it expands to.
            let span = match self.frames.first() {
                Some(Frame::Log { alias, .. }) => *alias,
                _ => span,
            };
            return Err(Error::new(
                ErrorKind::Limit,
                format!(
                    "aliases and merge keys expand to more than {} YAML events (the alias expansion limit)",
                    self.limits.max_alias_events
                ),
            )
            .at(span)
            .label("expanding this alias reaches the limit")
            .help("raise the limit with --max-alias-events if this file is legitimate"));
        }
        Ok(())
    }

    /// The next event with aliases expanded.
    fn pull(&mut self) -> Result<Ev<'de>, Error> {
        loop {
            let ev = match self.frames.last_mut() {
                Some(Frame::Log { pos, end, .. }) => {
                    if *pos == *end {
                        self.frames.pop();
                        continue;
                    }
                    let ev = self.log[*pos].clone();
                    *pos += 1;
                    self.count_replay(ev.1)?;
                    ev
                }
                Some(Frame::Owned(events)) => match events.next() {
                    None => {
                        self.frames.pop();
                        continue;
                    }
                    Some(ev) => {
                        self.count_replay(ev.1)?;
                        ev
                    }
                },
                None => self.pull_parser()?,
            };
            if let Event::Alias(id) = ev.0 {
                let Some(&(start, end)) = self.anchors.get(&id) else {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        "invalid YAML: an alias inside the node its anchor names",
                    )
                    .at(ev.1)
                    .label("this alias refers to a node that is not complete"));
                };
                if self.frames.len() >= self.limits.max_depth {
                    return Err(limit_depth(ev.1, self.limits.max_depth));
                }
                self.frames.push(Frame::Log {
                    pos: start,
                    end,
                    alias: ev.1,
                });
                continue;
            }
            return Ok(ev);
        }
    }

    /// Consumes the next event, tracking depth and the end of content.
    fn next(&mut self) -> Result<Ev<'de>, Error> {
        let ev = match self.peeked.take() {
            Some(ev) => ev,
            None => self.pull()?,
        };
        match ev.0 {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                self.depth += 1;
                if self.depth > self.limits.max_depth {
                    return Err(limit_depth(ev.1, self.limits.max_depth));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        self.consumed += 1;
        if !ev.1.is_empty() {
            self.last_end = ev.1.end;
        }
        Ok(ev)
    }

    fn peek(&mut self) -> Result<&Ev<'de>, Error> {
        if self.peeked.is_none() {
            let ev = self.pull()?;
            self.peeked = Some(ev);
        }
        Ok(self.peeked.as_ref().expect("peeked was just filled"))
    }

    fn peek_span(&mut self) -> Result<Span, Error> {
        Ok(self.peek()?.1)
    }

    /// Skips the rest of a node whose first event `first` was just consumed.
    fn skip_rest_of(&mut self, first: &Event<'de>) -> Result<(), Error> {
        if matches!(first, Event::SequenceStart(..) | Event::MappingStart(..)) {
            let target = self.depth - 1;
            while self.depth > target {
                self.next()?;
            }
        }
        Ok(())
    }

    /// Skips one whole node.
    fn skip_node(&mut self) -> Result<(), Error> {
        let (first, _) = self.next()?;
        self.skip_rest_of(&first)
    }

    /// Reads one whole node into a buffer, for merge keys.
    fn capture_node(&mut self) -> Result<Vec<Ev<'de>>, Error> {
        let first = self.next()?;
        let nested = matches!(first.0, Event::SequenceStart(..) | Event::MappingStart(..));
        let mut out = vec![first];
        if nested {
            let target = self.depth - 1;
            while self.depth > target {
                let ev = self.next()?;
                self.count_replay(ev.1)?;
                out.push(ev);
            }
        }
        Ok(out)
    }

    /// After a recoverable error inside a node that started when `consumed` was `c0` and
    /// `depth` was `d0`: skip what is left of it.
    fn skip_after_error(&mut self, c0: u64, d0: usize) -> Result<(), Error> {
        if self.consumed == c0 {
            return self.skip_node();
        }
        while self.depth > d0 {
            self.next()?;
        }
        Ok(())
    }

    /// Reads every remaining event, for the errors they hold.
    fn drain(&mut self) -> Result<(), Error> {
        loop {
            if let (Event::StreamEnd, _) = self.next()? {
                return Ok(());
            }
        }
    }

    fn record(&mut self, err: Error) {
        self.errors.push(err);
    }

    /// Counts one entry of a mapping read as `counted`, whose key is at `key`: the
    /// limit error when it passes a bound.
    fn count(&mut self, counted: Counted, key: Span) -> Result<(), Error> {
        self.ids += 1;
        if self.ids > self.limits.max_ids {
            return Err(Error::new(
                ErrorKind::Limit,
                format!("more than {} ids (the id limit)", self.limits.max_ids),
            )
            .at(key)
            .label("this id passes the limit")
            .help("raise the limit with --max-ids if this file is legitimate"));
        }
        if counted == Counted::Elements {
            self.elements += 1;
            if self.elements > self.limits.max_elements {
                return Err(Error::new(
                    ErrorKind::Limit,
                    format!(
                        "more than {max} components and hosts: the availability analysis would exceed its work limit of {max} set elements (it handles at least one per component and per host)",
                        max = self.limits.max_elements
                    ),
                )
                .at(key)
                .label("this one passes the limit")
                .help("raise the limit with --max-analysis-work if this topology is legitimate"));
            }
        }
        Ok(())
    }

    /// Runs `f` on the next node and gives an error without a location the node's span.
    fn located<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        let start = self.peek_span()?;
        f(self).map_err(|mut e| {
            if e.span.is_none() && e.kind != ErrorKind::MissingField {
                e.span = Some(start);
            }
            e
        })
    }

    /// A duplicate key's error, placed at the key that repeats (the visitor refuses it
    /// right after it is read), not at the mapping.
    fn at_duplicate(&self, mut e: Error) -> Error {
        if e.kind == ErrorKind::Duplicate && e.span.is_none() {
            e.span = Some(self.last_key);
        }
        e
    }

    /// A type error for the node whose first event was just consumed; its rest is left
    /// for the caller's recovery to skip.
    fn type_error(&self, first: &Event<'de>, exp: &dyn de::Expected) -> Error {
        let text;
        let unexpected = match first {
            Event::SequenceStart(..) => de::Unexpected::Seq,
            Event::MappingStart(..) => de::Unexpected::Map,
            Event::Scalar(value, style, _, _) => {
                text = value.clone();
                if *style == ScalarStyle::Plain {
                    match resolve(&text) {
                        Resolved::Null => de::Unexpected::Unit,
                        Resolved::Bool(b) => de::Unexpected::Bool(b),
                        Resolved::Unsigned(n) => de::Unexpected::Unsigned(n),
                        Resolved::Signed(n) => de::Unexpected::Signed(n),
                        Resolved::Float(f) => de::Unexpected::Float(f),
                        Resolved::Str => de::Unexpected::Str(&text),
                    }
                } else {
                    de::Unexpected::Str(&text)
                }
            }
            _ => de::Unexpected::Other("the end of a collection"),
        };
        de::Error::invalid_type(unexpected, exp)
    }
}

fn limit_depth(span: Span, max: usize) -> Error {
    Error::new(
        ErrorKind::Limit,
        format!("nesting deeper than {max} levels (the nesting limit)"),
    )
    .at(span)
    .label("too deep")
    .help("raise the limit with --max-depth if this file is legitimate")
}

/// How a scalar's text is to be read.
#[derive(Clone, Copy, PartialEq)]
enum Want {
    /// By its core-schema type.
    Any,
    /// As a string: numbers keep their text, null and booleans stay type errors.
    Str,
}

fn visit_text<'de, V: Visitor<'de>>(text: Cow<'de, str>, visitor: V) -> Result<V::Value, Error> {
    match text {
        Cow::Borrowed(s) => visitor.visit_borrowed_str(s),
        Cow::Owned(s) => visitor.visit_string(s),
    }
}

/// What a scalar's tag asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tagged {
    /// No tag, or a core-schema one that agrees with how plain text resolves.
    Plain,
    /// `!!str`: the text, whatever it looks like.
    Str,
    /// `!!float`: a number with a fraction, as `1.0` is.
    Float,
}

/// The core-schema tags infra-lint reads; any other tag (`!!binary`, `!!timestamp`,
/// `!!set`, a local `!tag`) is an error rather than text read as if untagged.
fn check_tag(tag: &Option<Cow<'_, Tag>>) -> Result<Tagged, Error> {
    let unsupported = |tag: &Tag| {
        let handle = if tag.is_yaml_core_schema() {
            "!!"
        } else {
            tag.handle.as_str()
        };
        Error::new(
            ErrorKind::Schema,
            format!("unsupported tag `{handle}{}`", shorten(&tag.suffix)),
        )
        .label("infra-lint reads plain YAML: remove the tag")
    };
    match tag {
        None => Ok(Tagged::Plain),
        Some(tag) if tag.is_yaml_core_schema() => match tag.suffix.as_str() {
            "str" => Ok(Tagged::Str),
            "float" => Ok(Tagged::Float),
            "int" | "bool" | "null" | "map" | "seq" => Ok(Tagged::Plain),
            _ => Err(unsupported(tag)),
        },
        Some(tag) => Err(unsupported(tag)),
    }
}

fn visit_scalar<'de, V: Visitor<'de>>(
    text: Cow<'de, str>,
    style: ScalarStyle,
    tag: &Option<Cow<'de, Tag>>,
    want: Want,
    visitor: V,
) -> Result<V::Value, Error> {
    let tagged = check_tag(tag)?;
    if style != ScalarStyle::Plain || tagged == Tagged::Str {
        return visit_text(text, visitor);
    }
    match resolve(&text) {
        // `!!float 1` is the number 1.0, not the integer 1.
        Resolved::Unsigned(n) if want == Want::Any && tagged == Tagged::Float => {
            visitor.visit_f64(n as f64)
        }
        Resolved::Signed(n) if want == Want::Any && tagged == Tagged::Float => {
            visitor.visit_f64(n as f64)
        }
        Resolved::Null => visitor.visit_unit(),
        Resolved::Bool(b) => visitor.visit_bool(b),
        Resolved::Unsigned(n) if want == Want::Any => visitor.visit_u64(n),
        Resolved::Signed(n) if want == Want::Any => visitor.visit_i64(n),
        Resolved::Float(f) if want == Want::Any => visitor.visit_f64(f),
        _ => visit_text(text, visitor),
    }
}

impl<'de> YamlDeserializer<'de> {
    fn deserialize_scalar<V: Visitor<'de>>(
        &mut self,
        want: Want,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.located(|de| {
            let (event, event_span) = de.next()?;
            match event {
                Event::Scalar(text, style, _, tag) => {
                    visit_scalar(text, style, &tag, want, visitor)
                }
                Event::SequenceStart(..) => visitor.visit_seq(SeqAccess { de }),
                Event::MappingStart(..) => {
                    visitor.visit_map(MapAccess::new(de, None, event_span.start))
                }
                other => Err(de.type_error(&other, &visitor)),
            }
        })
    }
}

impl<'de> de::Deserializer<'de> for &mut YamlDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_scalar(Want::Any, visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(|de| {
            let (event, _) = de.next()?;
            match event {
                Event::Scalar(text, style, _, tag) => {
                    visit_scalar(text, style, &tag, Want::Str, visitor)
                }
                other => Err(de.type_error(&other, &visitor)),
            }
        })
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let is_null = matches!(
            self.peek()?,
            (Event::Scalar(text, ScalarStyle::Plain, _, None), _) if resolve(text) == Resolved::Null
        );
        if is_null {
            self.next()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_scalar(Want::Any, visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == SPANNED {
            let key = self.pending_key.take();
            let start = self.peek_span()?;
            return visitor.visit_seq(SpannedAccess {
                de: self,
                element: 0,
                start,
                key: key.unwrap_or(start),
            });
        }
        if name == COUNTED_IDS || name == COUNTED_ELEMENTS {
            self.counting = Some(if name == COUNTED_IDS {
                Counted::Ids
            } else {
                Counted::Elements
            });
            return visitor.visit_newtype_struct(self);
        }
        if name == RECOVER {
            let start = self.peek_span()?;
            let key = self.pending_key;
            return visitor.visit_map(RecoverAccess {
                c0: self.consumed,
                d0: self.depth,
                de: self,
                state: RecoverState::Fresh,
                start,
                key,
            });
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.located(|de| {
            let (event, _) = de.next()?;
            match event {
                Event::SequenceStart(..) => visitor.visit_seq(SeqAccess { de }),
                other => Err(de.type_error(&other, &visitor)),
            }
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let counted = self.counting.take();
        self.located(|de| {
            let (event, event_span) = de.next()?;
            match event {
                Event::MappingStart(..) => visitor
                    .visit_map(MapAccess {
                        counted,
                        ..MapAccess::new(de, None, event_span.start)
                    })
                    .map_err(|e| de.at_duplicate(e))
                    .map_err(|e| de.unmask_missing(e, event_span.start)),
                other => Err(de.type_error(&other, &visitor)),
            }
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.located(|de| {
            let (event, event_span) = de.next()?;
            match event {
                Event::MappingStart(..) => visitor
                    .visit_map(MapAccess::new(de, Some(fields), event_span.start))
                    .map_err(|e| de.at_duplicate(e))
                    .map_err(|e| de.unmask_missing(e, event_span.start)),
                other => Err(de.type_error(&other, &visitor)),
            }
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.located(|de| {
            let (event, _) = de.next()?;
            match event {
                Event::Scalar(text, _, _, tag) => {
                    check_tag(&tag)?;
                    visitor.visit_enum(UnitVariant { text })
                }
                other => Err(de.type_error(&other, &visitor)),
            }
        })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.skip_node()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf
    }
}

/// A list being read.
struct SeqAccess<'a, 'de> {
    de: &'a mut YamlDeserializer<'de>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let (end, span) = match self.de.peek()? {
            (Event::SequenceEnd, span) => (true, *span),
            (_, span) => (false, *span),
        };
        if end {
            self.de.next()?;
            return Ok(None);
        }
        self.de.pending_key = None;
        seed.deserialize(&mut *self.de).map(Some).map_err(|mut e| {
            if e.span.is_none() {
                e.span = Some(span);
            }
            e
        })
    }
}

/// A merge key's entry, replayed after the mapping's own keys.
struct Merged<'de> {
    key: Ev<'de>,
    hash: u64,
    value: Vec<Ev<'de>>,
}

fn key_hash(key: &str) -> u64 {
    // FNV-1a: keys are short and this runs once per key.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Keys already given in one mapping, so merged keys never override them. Mappings in
/// this format have few keys: they live inline, and spill only past that.
struct SeenKeys {
    inline: [u64; 24],
    len: usize,
    spill: Vec<u64>,
}

impl SeenKeys {
    fn new() -> Self {
        SeenKeys {
            inline: [0; 24],
            len: 0,
            spill: Vec::new(),
        }
    }

    fn insert(&mut self, h: u64) {
        if self.len < self.inline.len() {
            self.inline[self.len] = h;
            self.len += 1;
        } else {
            self.spill.push(h);
        }
    }

    fn contains(&self, h: u64) -> bool {
        self.inline[..self.len].contains(&h) || self.spill.contains(&h)
    }
}

/// A mapping being read: a struct (with its expected keys) or a map.
struct MapAccess<'a, 'de> {
    de: &'a mut YamlDeserializer<'de>,
    fields: Option<&'static [&'static str]>,
    seen: SeenKeys,
    merged: VecDeque<Merged<'de>>,
    own_keys_done: bool,
    key_span: Span,
    /// Where the mapping starts (its first event's offset).
    start: u32,
    /// What its entries count as, if anything.
    counted: Option<Counted>,
}

enum KeyStep {
    End,
    Merge,
    Unknown(Error),
    Key(u64),
    Masked(String),
    Complex(Span),
}

impl<'a, 'de> MapAccess<'a, 'de> {
    fn new(
        de: &'a mut YamlDeserializer<'de>,
        fields: Option<&'static [&'static str]>,
        start: u32,
    ) -> Self {
        MapAccess {
            de,
            fields,
            seen: SeenKeys::new(),
            merged: VecDeque::new(),
            own_keys_done: false,
            key_span: Span::default(),
            start,
            counted: None,
        }
    }

    /// Reads the value of a `<<` key: a mapping or a list of mappings.
    fn read_merge(&mut self) -> Result<Vec<Merged<'de>>, Error> {
        let (first, span) = self.de.next()?;
        let mut out = Vec::new();
        match first {
            Event::MappingStart(..) => out.extend(self.read_merge_mapping()?),
            Event::SequenceStart(..) => loop {
                let (item, span) = self.de.next()?;
                match item {
                    Event::SequenceEnd => break,
                    Event::MappingStart(..) => out.extend(self.read_merge_mapping()?),
                    other => {
                        self.de.skip_rest_of(&other)?;
                        self.de.record(merge_error(span));
                    }
                }
            },
            other => {
                self.de.skip_rest_of(&other)?;
                self.de.record(merge_error(span));
            }
        }
        Ok(out)
    }

    /// Reads a merged mapping's entries (its `MappingStart` consumed): its own keys first,
    /// then what it merges itself, so that its own keys win.
    fn read_merge_mapping(&mut self) -> Result<Vec<Merged<'de>>, Error> {
        let mut own = Vec::new();
        let mut inherited = Vec::new();
        loop {
            let key = self.de.next()?;
            match &key.0 {
                Event::MappingEnd => break,
                Event::Scalar(text, style, _, _) => {
                    if *style == ScalarStyle::Plain && text == "<<" {
                        inherited.extend(self.read_merge()?);
                        continue;
                    }
                    let hash = key_hash(text);
                    let value = self.de.capture_node()?;
                    own.push(Merged { key, hash, value });
                }
                other => {
                    let other = other.clone();
                    self.de.skip_rest_of(&other)?;
                    self.de.skip_node()?;
                    self.de.record(complex_key_error(key.1));
                }
            }
        }
        own.extend(inherited);
        Ok(own)
    }
}

/// The error for a key a struct does not have, or None when it has it (or is a map).
fn unknown_key(fields: Option<&'static [&'static str]>, key: &str, span: Span) -> Option<Error> {
    let fields = fields?;
    if fields.contains(&key) {
        return None;
    }
    Some(Error::unknown("key", key, fields).at(span))
}

/// Whether `key` is among the sorted `mask`.
fn is_masked(mask: &[Span], key: Span) -> bool {
    !mask.is_empty()
        && mask
            .binary_search_by(|m| (m.start, m.end).cmp(&(key.start, key.end)))
            .is_ok()
}

fn merge_error(span: Span) -> Error {
    Error::new(
        ErrorKind::Schema,
        "a merge key `<<` takes a mapping or a list of mappings",
    )
    .at(span)
    .label("not a mapping")
}

fn complex_key_error(span: Span) -> Error {
    Error::new(
        ErrorKind::Schema,
        "a key must be a plain value, not a list or mapping",
    )
    .at(span)
    .label("complex key")
}

impl<'de> de::MapAccess<'de> for MapAccess<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        while !self.own_keys_done {
            // Moved out while the peeked event borrows the reader; put back below.
            let mask = std::mem::take(&mut self.de.mask);
            let peeked = self.de.peek();
            let peeked = match peeked {
                Ok(peeked) => peeked,
                Err(e) => {
                    self.de.mask = mask;
                    return Err(e);
                }
            };
            let step = match peeked {
                (Event::MappingEnd, _) => KeyStep::End,
                (Event::Scalar(text, style, _, _), span) => {
                    if *style == ScalarStyle::Plain && text == "<<" {
                        KeyStep::Merge
                    } else if let Some(err) = unknown_key(self.fields, text, *span) {
                        KeyStep::Unknown(err)
                    } else if is_masked(&mask, *span) {
                        KeyStep::Masked(text.to_string())
                    } else {
                        self.key_span = *span;
                        KeyStep::Key(key_hash(text))
                    }
                }
                (_, span) => KeyStep::Complex(*span),
            };
            self.de.mask = mask;
            match step {
                KeyStep::End => {
                    self.de.next()?;
                    self.own_keys_done = true;
                }
                KeyStep::Merge => {
                    self.de.next()?;
                    let entries = self.read_merge()?;
                    self.merged.extend(entries);
                }
                KeyStep::Unknown(err) => {
                    self.de.record(err);
                    self.de.next()?;
                    self.de.skip_node()?;
                }
                KeyStep::Masked(text) => {
                    self.de.masked.push((self.start, text));
                    self.de.next()?;
                    self.de.skip_node()?;
                }
                KeyStep::Key(hash) => {
                    if let Some(counted) = self.counted {
                        self.de.count(counted, self.key_span)?;
                    }
                    self.seen.insert(hash);
                    self.de.pending_key = None;
                    self.de.last_key = self.key_span;
                    return seed.deserialize(&mut *self.de).map(Some);
                }
                KeyStep::Complex(span) => {
                    self.de.skip_node()?;
                    self.de.skip_node()?;
                    self.de.record(complex_key_error(span));
                }
            }
        }
        while let Some(entry) = self.merged.pop_front() {
            if self.seen.contains(entry.hash) {
                continue;
            }
            self.seen.insert(entry.hash);
            if let Event::Scalar(text, ..) = &entry.key.0
                && let Some(err) = unknown_key(self.fields, text, entry.key.1)
            {
                self.de.record(err);
                continue;
            }
            self.key_span = entry.key.1;
            if let Some(counted) = self.counted {
                self.de.count(counted, self.key_span)?;
            }
            if let Some(peeked) = self.de.peeked.take() {
                self.de.frames.push(Frame::Owned(vec![peeked].into_iter()));
            }
            self.de.frames.push(Frame::Owned(entry.value.into_iter()));
            self.de
                .frames
                .push(Frame::Owned(vec![entry.key].into_iter()));
            self.de.pending_key = None;
            self.de.last_key = self.key_span;
            return seed.deserialize(&mut *self.de).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.de.pending_key = Some(self.key_span);
        let key_span = self.key_span;
        seed.deserialize(&mut *self.de).map_err(|mut e| {
            if e.span.is_none() {
                e.span = Some(key_span);
            }
            e
        })
    }
}

/// Hands `Spanned<T>` its value, then its span and its key's span, each packed in a
/// u64 (start << 32 | end): a sequence, so no key is named or matched per value.
struct SpannedAccess<'a, 'de> {
    de: &'a mut YamlDeserializer<'de>,
    element: usize,
    start: Span,
    key: Span,
}

fn pack(span: Span) -> u64 {
    (u64::from(span.start) << 32) | u64::from(span.end)
}

impl<'de> de::SeqAccess<'de> for SpannedAccess<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let element = self.element;
        self.element += 1;
        let packed = match element {
            0 => {
                let value = seed.deserialize(&mut *self.de)?;
                self.start.end = self.de.last_end.max(self.start.end);
                return Ok(Some(value));
            }
            1 => pack(self.start),
            2 => pack(self.key),
            _ => return Ok(None),
        };
        seed.deserialize(packed.into_deserializer()).map(Some)
    }
}

#[derive(PartialEq)]
enum RecoverState {
    Fresh,
    Read,
    Failed,
}

/// Hands `Recover<T>` its value, or, when the value fails, records the error, skips the
/// node and answers with the marker key.
struct RecoverAccess<'a, 'de> {
    de: &'a mut YamlDeserializer<'de>,
    state: RecoverState,
    c0: u64,
    d0: usize,
    start: Span,
    key: Option<Span>,
}

impl<'de> de::MapAccess<'de> for RecoverAccess<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let key = match self.state {
            RecoverState::Fresh => "value",
            RecoverState::Failed => RECOVERED_KEY,
            RecoverState::Read => return Ok(None),
        };
        seed.deserialize(de::value::BorrowedStrDeserializer::<Error>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.state = RecoverState::Read;
        match seed.deserialize(&mut *self.de) {
            Ok(value) => Ok(value),
            Err(e) if e.is_fatal() => Err(e),
            Err(mut e) => {
                // The key the node failed under, for a later reading to pass over (a
                // missing key has no key of its own to pass over).
                let key = self.de.last_key;
                if !matches!(e.kind, ErrorKind::Recovered | ErrorKind::MissingField)
                    && key.start >= self.start.start
                    && key != Span::default()
                {
                    self.de.failed_at.push(key);
                }
                if e.kind != ErrorKind::Recovered {
                    if e.span.is_none() {
                        e.span = Some(match (e.kind, self.key) {
                            (ErrorKind::MissingField, Some(key)) => key,
                            _ => self.start,
                        });
                    }
                    self.de.record(e);
                }
                self.de.skip_after_error(self.c0, self.d0)?;
                self.state = RecoverState::Failed;
                Err(Error::recovered())
            }
        }
    }
}

/// A unit enum variant named by a scalar.
struct UnitVariant<'de> {
    text: Cow<'de, str>,
}

impl<'de> de::EnumAccess<'de> for UnitVariant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let value = match &self.text {
            Cow::Borrowed(s) => {
                seed.deserialize(de::value::BorrowedStrDeserializer::<Error>::new(s))?
            }
            Cow::Owned(s) => seed.deserialize(de::value::StrDeserializer::<Error>::new(s))?,
        };
        Ok((value, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Error> {
        Err(de::Error::custom("expected a plain value"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("expected a plain value"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(de::Error::custom("expected a plain value"))
    }
}

/// Reads one YAML document of `source` into `T`. Returns the value when the document
/// could be read (possibly with recovered errors inside) and every error met.
pub fn from_source<'de, T: de::Deserialize<'de>>(
    source: &'de SourceFile,
    limits: Limits,
) -> (Option<T>, Vec<Error>) {
    let (value, errors, _) = read_source(source, limits, false);
    (value, errors)
}

/// [`from_source`], and the file's events as [`Mark`]s, for a source map.
pub fn from_source_marked<'de, T: de::Deserialize<'de>>(
    source: &'de SourceFile,
    limits: Limits,
) -> (Option<T>, Vec<Error>, Marks) {
    read_source(source, limits, true)
}

/// Reads every YAML document of `source` (a Kubernetes manifest stream, `---`
/// separated) into `T`, in order, under the same limits as [`from_source`]. Reading
/// stops at the first error that is not recovered from; the documents read so far are
/// kept and every error met is returned.
pub fn from_source_stream<'de, T: de::Deserialize<'de>>(
    source: &'de SourceFile,
    limits: Limits,
) -> (Vec<T>, Vec<Error>) {
    let mut de = YamlDeserializer::new(source, limits);
    let mut documents = Vec::new();
    let result = read_stream(&mut de, &mut documents);
    let mut errors = std::mem::take(&mut de.errors);
    if let Err(e) = result {
        let fatal = e.is_fatal();
        if e.kind != ErrorKind::Recovered {
            errors.push(e);
        }
        if !fatal && let Err(e) = de.drain() {
            errors.push(e);
        }
    }
    (documents, errors)
}

fn read_stream<'de, T: de::Deserialize<'de>>(
    de: &mut YamlDeserializer<'de>,
    documents: &mut Vec<T>,
) -> Result<(), Error> {
    loop {
        match de.peek()? {
            (
                Event::StreamStart | Event::Nothing | Event::DocumentStart(_) | Event::DocumentEnd,
                _,
            ) => {
                de.next()?;
            }
            (Event::StreamEnd, _) => return Ok(()),
            _ => {
                let value = T::deserialize(&mut *de).map_err(|mut e| {
                    if e.span.is_none() {
                        e.span = Some(Span::new(0, 0));
                    }
                    e
                })?;
                documents.push(value);
            }
        }
    }
}

fn read_source<'de, T: de::Deserialize<'de>>(
    source: &'de SourceFile,
    limits: Limits,
    marked: bool,
) -> (Option<T>, Vec<Error>, Marks) {
    let (value, mut errors, marks, failed_at) = read_once(source, limits, marked);
    if !failed_at.is_empty() {
        reread::<T>(source, limits, &mut errors, failed_at);
    }
    (value, errors, marks)
}

fn read_once<'de, T: de::Deserialize<'de>>(
    source: &'de SourceFile,
    limits: Limits,
    marked: bool,
) -> (Option<T>, Vec<Error>, Marks, Vec<Span>) {
    let reader = |events: Option<EventSource<'de>>| {
        let mut de = match events {
            Some(events) => YamlDeserializer::with_events(source, limits, events),
            None => YamlDeserializer::new(source, limits),
        };
        if marked {
            // One event per 7 to 10 bytes in generated estates (dense flow mappings
            // are nearer 7): room for one per 4 is reserved, not touched, up front, so
            // that millions of marks are not copied as their list grows, with the old
            // and the new list both in memory at the peak of the parse.
            de.marks = Some(Marks::with_capacity(source.text.len() / 4));
        }
        de
    };
    with_events(source, limits, |events| read(reader(events)))
}

/// Runs `read` on the events of `source`: from threads that scan it when it is large
/// enough (`Some`: in two parts when it can be cut, else whole), else None (the reader
/// parses it itself). The reader must drop the events before it returns, so that a
/// scanner blocked on a full channel wakes up and ends, and the scope can join it.
fn with_events<'de, R>(
    source: &'de SourceFile,
    limits: Limits,
    mut read: impl FnMut(Option<EventSource<'de>>) -> R,
) -> R {
    if limits.threads_for(source.text.len()) < 2 {
        return read(None);
    }
    if source.text.len() >= limits.split_from_bytes
        && let Some(cut) = super::split::cut(&source.text, limits.split_from_bytes / 16)
    {
        let abandoned = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let read_split = std::thread::scope(|scope| {
            let (tx, rx) = sync_channel(super::split::PIECES_AHEAD);
            let (middle_tx, middle_rx) = std::sync::mpsc::channel();
            let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let outer = std::thread::Builder::new()
                .name("yaml-scan".into())
                .spawn_scoped(scope, move || super::split::scan_outer(source, cut, tx));
            outer.ok()?;
            let middle_cancel = std::sync::Arc::clone(&cancel);
            // Without a thread for the middle, its channel closes: the split is
            // abandoned at the splice.
            let _ = std::thread::Builder::new()
                .name("yaml-scan-middle".into())
                .spawn_scoped(scope, move || {
                    super::split::scan_middle(source, cut, &middle_cancel, middle_tx);
                });
            let events =
                super::split::Split::new(rx, middle_rx, std::sync::Arc::clone(&abandoned), cancel);
            Some(read(Some(EventSource::Split(Box::new(events)))))
        });
        // What was read from an abandoned split is dropped, and the file read whole.
        if let Some(done) = read_split
            && !abandoned.load(std::sync::atomic::Ordering::Relaxed)
        {
            return done;
        }
    }
    std::thread::scope(|scope| {
        // A few batches ahead bound the memory the scanner may run ahead with.
        let (tx, rx) = sync_channel(16);
        let scanner = std::thread::Builder::new()
            .name("yaml-scan".into())
            .spawn_scoped(scope, move || scan(source, tx));
        // No thread to be had: scan here.
        let Ok(_) = scanner else {
            return read(None);
        };
        read(Some(EventSource::Threaded {
            batches: rx,
            batch: Vec::new().into_iter(),
        }))
    })
}

/// Every event the reader gets from `source` under `limits`, as text (an error as
/// its message and place): what a test compares between ways of scanning.
#[cfg(test)]
pub(super) fn event_log(source: &SourceFile, limits: Limits) -> (Vec<String>, String) {
    let mut hows = Vec::new();
    let log = with_events(source, limits, |events| {
        let mut events = events
            .unwrap_or_else(|| EventSource::Direct(Box::new(Parser::new_from_str(&source.text))));
        let mut log = Vec::new();
        while let Some(event) = events.next_event(source) {
            let end = matches!(event, Err(_) | Ok((Event::StreamEnd, _)));
            log.push(match event {
                Ok((event, span)) => format!("{event:?} {}..{}", span.start, span.end),
                Err(e) => format!("error {} at {}", e.info(), e.marker().index()),
            });
            if end {
                break;
            }
        }
        hows.push(match &events {
            EventSource::Direct(_) => "direct",
            EventSource::Threaded { .. } => "threaded",
            EventSource::Split(_) => "split",
        });
        log
    });
    (log, hows.join("+"))
}

/// Most further readings of a file with errors, each passing over the keys the one
/// before stopped at, to find the errors after them in the same node (`kind: webserver`
/// must not hide `critical: yes` beside it). Each reading is a whole parse, so files over
/// [`REREAD_BYTES`] get none.
const MAX_REREADS: usize = 16;
/// The largest file read again for its further errors.
const REREAD_BYTES: usize = 16 << 20;

/// Reads a file with errors again while each reading finds nodes that failed at keys
/// not yet passed over, adding the errors not yet found.
fn reread<'de, T: de::Deserialize<'de>>(
    source: &'de SourceFile,
    limits: Limits,
    errors: &mut Vec<Error>,
    mut failed_at: Vec<Span>,
) {
    if source.text.len() > REREAD_BYTES || errors.iter().any(Error::is_fatal) {
        return;
    }
    let key = |e: &Error| (e.span.map(|s| (s.start, s.end)), e.message.clone());
    let mut found: std::collections::HashSet<_> = errors.iter().map(key).collect();
    let mut mask: Vec<Span> = Vec::new();
    for _ in 0..MAX_REREADS {
        let before = mask.len();
        mask.append(&mut failed_at);
        mask.sort_by_key(|s| (s.start, s.end));
        mask.dedup();
        if mask.len() == before {
            return;
        }
        let mut de = YamlDeserializer::new(source, limits);
        de.mask = mask.clone();
        let (_, more, _, failed) = read::<T>(de);
        for e in more {
            if e.is_fatal() {
                return;
            }
            if found.insert(key(&e)) {
                errors.push(e);
            }
        }
        failed_at = failed;
    }
}

fn read<'de, T: de::Deserialize<'de>>(
    mut de: YamlDeserializer<'de>,
) -> (Option<T>, Vec<Error>, Marks, Vec<Span>) {
    let value = read_document(&mut de);
    let mut errors = std::mem::take(&mut de.errors);
    let value = match value {
        Ok(v) => v,
        Err(e) => {
            let fatal = e.is_fatal();
            if e.kind != ErrorKind::Recovered {
                errors.push(e);
            }
            // Read the rest of the file anyway: a syntax error or a limit further down
            // must still be reported.
            if !fatal && let Err(e) = de.drain() {
                errors.push(e);
            }
            None
        }
    };
    let failed_at = std::mem::take(&mut de.failed_at);
    (
        value,
        errors,
        de.marks.take().unwrap_or_default(),
        failed_at,
    )
}

fn read_document<'de, T: de::Deserialize<'de>>(
    de: &mut YamlDeserializer<'de>,
) -> Result<Option<T>, Error> {
    loop {
        match de.peek()? {
            (Event::StreamStart | Event::Nothing, _) => {
                de.next()?;
            }
            (Event::StreamEnd, _) => {
                return Err(Error::new(
                    ErrorKind::Schema,
                    "the file is empty: a topology is a mapping with `version:` and `components:`",
                )
                .at(Span::new(0, 0))
                .label("no YAML document here"));
            }
            (Event::DocumentStart(_), _) => {
                de.next()?;
                break;
            }
            _ => break,
        }
    }
    let value = T::deserialize(&mut *de).map_err(|mut e| {
        if e.span.is_none() {
            e.span = Some(Span::new(0, 0));
        }
        e
    })?;
    loop {
        let (event, span) = de.next()?;
        match event {
            Event::DocumentEnd => {}
            Event::StreamEnd => return Ok(Some(value)),
            Event::DocumentStart(_) => {
                de.record(
                    Error::new(
                        ErrorKind::Syntax,
                        "more than one YAML document: a topology file holds exactly one",
                    )
                    .at(span)
                    .label("a second document starts here")
                    .help("split the documents into separate files"),
                );
                return Ok(Some(value));
            }
            // Unreachable for well-formed streams; skipped defensively.
            other => de.skip_rest_of(&other)?,
        }
    }
}

#[cfg(test)]
mod mark_tests {
    use std::borrow::Cow;

    use saphyr_parser::{Event, ScalarStyle};

    use super::{MarkKind, Marks};
    use crate::source::Span;

    /// Past checkpoints, across events too far apart or too long for their word, and
    /// from any event on, the marks give back every span as it was pushed.
    #[test]
    fn marks_read_from_any_event_give_the_spans_pushed() {
        let mut marks = Marks::default();
        let mut expected = Vec::new();
        let mut start = 0u32;
        for i in 0..300u32 {
            // Mostly near, sometimes far (past 65,535 bytes), sometimes at the same
            // place; lengths on both sides of the widest that fits (2,046).
            start += match i % 7 {
                0 => 70_000,
                1 => 0,
                _ => i * 3,
            };
            let len = match i % 5 {
                0 => 2_046,
                1 => 2_047,
                2 => 0,
                _ => i,
            };
            let span = Span::new(start as usize, (start + len) as usize);
            let event = if i % 2 == 0 {
                Event::Scalar(Cow::Borrowed("x"), ScalarStyle::Plain, 0, None)
            } else {
                Event::MappingStart(usize::from(i % 3 == 0), None)
            };
            marks.push(&event, span, "");
            expected.push(span);
        }
        for first in 0..=expected.len() {
            let spans: Vec<Span> = marks.from(first).map(|m| m.span).collect();
            assert_eq!(spans, expected[first..], "from {first}");
        }
        let anchored: Vec<bool> = marks.from(0).map(|m| m.anchored).collect();
        let pushed: Vec<bool> = (0..300).map(|i| i % 2 == 1 && i % 3 == 0).collect();
        assert_eq!(anchored, pushed);
    }

    #[test]
    fn marks_keep_every_kind_and_span_in_four_bytes() {
        let mut marks = Marks::default();
        let events = [
            (Event::MappingStart(1, None), Span::new(0, 0)),
            (
                Event::Scalar(Cow::Borrowed("a"), ScalarStyle::Plain, 0, None),
                Span::new(3, 4),
            ),
            // A scalar longer than a length fits in a mark: its end is kept aside.
            (
                Event::Scalar(Cow::Borrowed("b"), ScalarStyle::Folded, 0, None),
                Span::new(10, 300_000_010),
            ),
            (
                Event::Scalar(Cow::Borrowed("c"), ScalarStyle::DoubleQuoted, 2, None),
                Span::new(300_000_011, 300_000_014),
            ),
            (
                Event::SequenceStart(0, None),
                Span::new(300_000_020, 300_000_021),
            ),
            (Event::Alias(1), Span::new(300_000_022, 300_000_024)),
            (Event::SequenceEnd, Span::new(300_000_025, 300_000_025)),
            (Event::MappingEnd, Span::new(300_000_026, 300_000_026)),
        ];
        for (event, span) in &events {
            marks.push(event, *span, "");
        }
        let kinds: Vec<(MarkKind, bool)> = marks.from(0).map(|m| (m.kind, m.anchored)).collect();
        assert_eq!(
            kinds,
            [
                (MarkKind::MapStart, true),
                (MarkKind::Scalar(ScalarStyle::Plain), false),
                (MarkKind::Scalar(ScalarStyle::Folded), false),
                (MarkKind::Scalar(ScalarStyle::DoubleQuoted), true),
                (MarkKind::SeqStart, false),
                (MarkKind::Alias, false),
                (MarkKind::SeqEnd, false),
                (MarkKind::MapEnd, false),
            ]
        );
        let spans: Vec<Span> = marks.from(0).map(|m| m.span).collect();
        let expected: Vec<Span> = events.iter().map(|(_, span)| *span).collect();
        assert_eq!(spans, expected);
    }
}
