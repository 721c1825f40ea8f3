//! Source text of one input file and the mapping between offsets, characters and lines.

use std::sync::OnceLock;

/// A byte range in a source file, half-open. `u32` keeps spans small; the file size
/// limit keeps every offset below 4 GiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        miette::SourceSpan::new((span.start as usize).into(), span.len())
    }
}

/// A 1-based line and column (the column counts characters, as editors do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct LineCol {
    /// Line number, from 1.
    pub line: usize,
    /// Column number in characters, from 1.
    pub column: usize,
}

/// The text of one file with lazily built indexes for offset conversions.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it (or as the directory walk found it).
    pub path: String,
    /// The whole text.
    pub text: String,
    ascii: bool,
    line_starts: OnceLock<Vec<u32>>,
    char_stride: OnceLock<Vec<u32>>,
}

/// Characters between two entries of the char-to-byte table of a non-ASCII file.
const STRIDE: usize = 256;

impl SourceFile {
    /// Wraps a file's text.
    pub fn new(path: impl Into<String>, text: String) -> SourceFile {
        let ascii = text.is_ascii();
        SourceFile {
            path: path.into(),
            text,
            ascii,
            line_starts: OnceLock::new(),
            char_stride: OnceLock::new(),
        }
    }

    /// The byte offset of every `STRIDE`th character, built once (non-ASCII files only).
    fn stride_table(&self) -> &[u32] {
        self.char_stride.get_or_init(|| {
            self.text
                .char_indices()
                .step_by(STRIDE)
                .map(|(b, _)| b as u32)
                .collect()
        })
    }

    /// Converts a character index (what the YAML parser reports) to a byte offset.
    pub fn byte_of_char(&self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        let table = self.stride_table();
        let slot = char_index / STRIDE;
        let Some(&base) = table.get(slot) else {
            return self.text.len();
        };
        let rest = char_index - slot * STRIDE;
        self.text[base as usize..]
            .char_indices()
            .nth(rest)
            .map_or(self.text.len(), |(b, _)| base as usize + b)
    }

    /// Converts a byte offset to a character index (what SARIF's `charOffset` counts).
    pub fn char_of_byte(&self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if self.ascii {
            return byte;
        }
        let table = self.stride_table();
        let slot = table
            .partition_point(|&b| b as usize <= byte)
            .saturating_sub(1);
        let base = table.get(slot).map_or(0, |&b| b as usize);
        slot * STRIDE + self.text[base..byte].chars().count()
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            // memchr scans a 400 MB file in a few tens of milliseconds.
            let bytes = self.text.as_bytes();
            let mut starts = vec![0u32];
            for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
                if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                    starts.push(i as u32 + 1);
                }
            }
            starts
        })
    }

    /// The byte offset where a line (from 1) starts; the end of the text past the last.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts()
            .get(line.saturating_sub(1))
            .map_or(self.text.len(), |&s| s as usize)
    }

    /// The line (from 1) that holds a byte offset.
    pub fn line_of(&self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        self.line_starts().partition_point(|&s| s as usize <= byte)
    }

    /// The lines and columns of a span's two ends: its end found from its start when
    /// both are on one line (as nearly every span is), with one search of the lines.
    pub fn line_cols(&self, start: usize, end: usize) -> (LineCol, LineCol) {
        let from = self.line_col(start);
        let (start, end) = (start.min(self.text.len()), end.min(self.text.len()));
        let next_line = self
            .line_starts()
            .get(from.line)
            .map_or(usize::MAX, |&s| s as usize);
        if self.ascii && start <= end && end < next_line {
            let to = LineCol {
                line: from.line,
                column: from.column + (end - start),
            };
            return (from, to);
        }
        (from, self.line_col(end))
    }

    /// The line and column of a byte offset.
    pub fn line_col(&self, byte: usize) -> LineCol {
        let byte = byte.min(self.text.len());
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s as usize <= byte) - 1;
        let mut start = starts[line] as usize;
        // A byte order mark is not a character anyone sees: it takes no column.
        if line == 0 && self.text.starts_with('\u{feff}') && byte >= 3 {
            start = 3;
        }
        // Characters from the line's start up to the one holding `byte`, through the
        // stride table: a long line (a file written on one line) costs no more.
        let mut end = byte.max(start);
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        let column = 1 + if self.ascii {
            end - start
        } else {
            self.char_of_byte(end) - self.char_of_byte(start)
        };
        LineCol {
            line: line + 1,
            column,
        }
    }
}

/// Why a bounded read failed.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The file holds more than the limit: its size when it is known in advance (a
    /// regular file), None when it is not (a pipe or a device, read up to the limit).
    TooBig(Option<u64>),
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Reads a whole file of at most `limit` bytes. A regular file over the limit is
/// refused by its size before it is read; anything else (a pipe, `/dev/stdin`, a
/// device such as `/dev/zero`) is read up to `limit + 1` bytes and refused there, so
/// no input makes a read last or grow without bound.
pub fn read_bounded(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let mut bytes = Vec::new();
    if meta.is_file() {
        if meta.len() > limit {
            return Err(ReadError::TooBig(Some(meta.len())));
        }
        bytes
            .try_reserve_exact(usize::try_from(meta.len()).unwrap_or(0))
            .map_err(std::io::Error::other)?;
    }
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooBig(None));
    }
    Ok(bytes)
}

/// Standard input (the path `-`), read as [`read_bounded`] reads a pipe: up to
/// `limit + 1` bytes, refused there.
pub fn read_stdin_bounded(limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooBig(None));
    }
    Ok(bytes)
}

/// A small file of ours (a configuration, a baseline) as text: at most `limit` bytes
/// (see [`read_bounded`]) of UTF-8. The error says why in words; `too_big` is what to
/// say when it is over the limit.
pub fn read_text(
    path: &std::path::Path,
    limit: u64,
    too_big: impl FnOnce() -> String,
) -> Result<String, String> {
    let bytes = read_bounded(path, limit).map_err(|e| match e {
        ReadError::Io(e) => e.to_string(),
        ReadError::TooBig(_) => too_big(),
    })?;
    String::from_utf8(bytes).map_err(|_| "it is not valid UTF-8".into())
}

impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(
            miette::MietteSpanContents::new_named(
                self.path.clone(),
                inner.data(),
                *inner.span(),
                inner.line(),
                inner.column(),
                inner.line_count(),
            )
            .with_language("yaml"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::SourceFile;

    fn at(text: &str, byte: usize) -> (usize, usize) {
        let lc = SourceFile::new("t", text.to_string()).line_col(byte);
        (lc.line, lc.column)
    }

    #[test]
    fn both_ends_of_a_span_are_where_each_is_alone() {
        for text in [
            "a: 1\nbc: [x, y]\r\nd\re\n\nlast",
            "\u{feff}k: é\nü: 2\n",
            "one line, no end",
            "",
        ] {
            let src = SourceFile::new("t", text.to_string());
            for start in 0..=text.len() + 1 {
                for end in 0..=text.len() + 1 {
                    assert_eq!(
                        src.line_cols(start, end),
                        (src.line_col(start), src.line_col(end)),
                        "{start}..{end} of {text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn lines_end_at_lf_crlf_and_a_lone_cr() {
        let text = "a\nbc\r\nd\re\n";
        assert_eq!(at(text, 0), (1, 1));
        assert_eq!(at(text, 3), (2, 2)); // c
        assert_eq!(at(text, 4), (2, 3)); // the CR of CRLF stays on line 2
        assert_eq!(at(text, 6), (3, 1)); // d
        assert_eq!(at(text, 8), (4, 1)); // e, after a lone CR
        assert_eq!(at(text, 10), (5, 1)); // the end, after the last LF
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(at("é: x", 4), (1, 4));
    }

    #[test]
    fn a_byte_order_mark_takes_no_column() {
        assert_eq!(at("\u{feff}a: x", 3), (1, 1));
        assert_eq!(at("\u{feff}a: x", 6), (1, 4));
        assert_eq!(at("\u{feff}a\nb", 5), (2, 1));
    }

    proptest::proptest! {
        #![proptest_config(crate::rules::fixture::proptest_config(512))]

        /// The column through the stride table is the count a reader makes: one plus
        /// the characters before the one holding the byte, on any line of any text.
        #[test]
        fn columns_through_the_stride_table_count_characters(
            text in "\u{feff}?([a-c\r\né€😀\t]{0,40}){0,40}",
            at_byte in 0usize..2000,
        ) {
            let file = SourceFile::new("t", text.clone());
            let byte = at_byte.min(text.len());
            let lc = file.line_col(byte);
            let start = file.line_start(lc.line);
            let start = if lc.line == 1 && text.starts_with('\u{feff}') && byte >= 3 { 3 } else { start };
            let naive = 1 + text[start..].char_indices().take_while(|(b, _)| start + b < byte).count();
            proptest::prop_assert_eq!(lc.column, naive);
        }
    }
}
