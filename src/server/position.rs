//! Positions as the Language Server Protocol counts them: a line and a column in the
//! encoding the client and server agreed on (UTF-16 code units unless the client offers
//! UTF-8), to and from the byte offsets infra-lint's spans use.

use lsp_types::{Position, Range};

use crate::source::Span;

/// What a position's `character` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units (the protocol's default).
    Utf16,
}

impl Encoding {
    /// The encoding to use given the ones the client offers (`general.positionEncodings`):
    /// UTF-8 when offered (no conversion), else UTF-16, which every client supports.
    pub fn negotiate(offered: &[lsp_types::PositionEncodingKind]) -> Encoding {
        if offered.contains(&lsp_types::PositionEncodingKind::UTF8) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        }
    }

    /// The protocol's name for it.
    pub fn kind(self) -> lsp_types::PositionEncodingKind {
        match self {
            Encoding::Utf8 => lsp_types::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp_types::PositionEncodingKind::UTF16,
        }
    }
}

/// Where each line of a text starts; lines end at LF, CRLF or a lone CR, as the
/// protocol says.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// The index of `text`.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                starts.push(i + 1);
            }
        }
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The bytes of line `line` (from 0) without its line end.
    fn line<'t>(&self, text: &'t str, line: usize) -> (usize, &'t str) {
        let start = self.starts[line].min(text.len());
        let end = self.starts.get(line + 1).copied().unwrap_or(self.len);
        let end = end.min(text.len()).max(start);
        let content = text.get(start..end).unwrap_or_default();
        (start, content.trim_end_matches(['\n', '\r']))
    }

    /// The position of byte `offset` (clamped to the text, and to the start of the
    /// character it falls in).
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let (start, content) = self.line(text, line);
        // An offset inside a CRLF counts as the end of the line.
        let within = (offset - start).min(content.len());
        let before = content.get(..within).unwrap_or(content);
        let character = match encoding {
            Encoding::Utf8 => before.len(),
            Encoding::Utf16 => before.encode_utf16().count(),
        };
        Position {
            line: line as u32,
            character: character as u32,
        }
    }

    /// The byte offset of `position`: a line past the end is the end of the text, a
    /// column past the end of its line is the line's end, and a column inside a
    /// character (a UTF-8 sequence, a surrogate pair) is that character's start.
    pub fn offset(&self, text: &str, position: Position, encoding: Encoding) -> usize {
        let line = position.line as usize;
        if line >= self.starts.len() {
            return text.len();
        }
        let (start, content) = self.line(text, line);
        let wanted = position.character as usize;
        let mut units = 0;
        for (b, c) in content.char_indices() {
            let width = match encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
            if units + width > wanted {
                return start + b;
            }
            units += width;
        }
        start + content.len()
    }

    /// The range of a span.
    pub fn range(&self, text: &str, span: Span, encoding: Encoding) -> Range {
        Range {
            start: self.position(text, span.start as usize, encoding),
            end: self.position(text, span.end as usize, encoding),
        }
    }

    /// The byte span of a range (its ends ordered).
    pub fn span(&self, text: &str, range: Range, encoding: Encoding) -> Span {
        let a = self.offset(text, range.start, encoding);
        let b = self.offset(text, range.end, encoding);
        Span::new(a.min(b), a.max(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn utf16_counts_code_units_and_utf8_bytes() {
        // é is 2 bytes and 1 unit; 😀 is 4 bytes and 2 units (a surrogate pair).
        let text = "a: é😀x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x, Encoding::Utf16), pos(0, 6));
        assert_eq!(index.position(text, x, Encoding::Utf8), pos(0, 9));
        assert_eq!(index.offset(text, pos(0, 6), Encoding::Utf16), x);
        assert_eq!(index.offset(text, pos(0, 9), Encoding::Utf8), x);
    }

    #[test]
    fn a_position_inside_a_character_is_its_start() {
        let text = "😀b";
        let index = LineIndex::new(text);
        // Between the two halves of the surrogate pair.
        assert_eq!(index.offset(text, pos(0, 1), Encoding::Utf16), 0);
        // Inside the UTF-8 sequence.
        assert_eq!(index.offset(text, pos(0, 2), Encoding::Utf8), 0);
        // A byte offset inside the character.
        assert_eq!(index.position(text, 2, Encoding::Utf16), pos(0, 0));
    }

    #[test]
    fn lines_end_at_lf_crlf_and_lone_cr() {
        let text = "a\r\nbc\rd\ne";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 3, Encoding::Utf16), pos(1, 0));
        assert_eq!(index.position(text, 6, Encoding::Utf16), pos(2, 0));
        assert_eq!(index.position(text, 8, Encoding::Utf16), pos(3, 0));
        // The CR of a CRLF is the end of its line, not a column of it.
        assert_eq!(index.position(text, 1, Encoding::Utf16), pos(0, 1));
        assert_eq!(index.position(text, 2, Encoding::Utf16), pos(0, 1));
        assert_eq!(index.offset(text, pos(0, 99), Encoding::Utf16), 1);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, pos(7, 0), Encoding::Utf16), text.len());
        assert_eq!(index.offset(text, pos(1, 99), Encoding::Utf8), text.len());
        assert_eq!(index.position(text, 999, Encoding::Utf16), pos(1, 2));
        let empty = LineIndex::new("");
        assert_eq!(empty.position("", 5, Encoding::Utf16), pos(0, 0));
        assert_eq!(
            empty.offset("", pos(u32::MAX, u32::MAX), Encoding::Utf16),
            0
        );
    }

    #[test]
    fn the_client_offering_utf8_gets_it() {
        use lsp_types::PositionEncodingKind as K;
        assert_eq!(Encoding::negotiate(&[K::UTF16, K::UTF8]), Encoding::Utf8);
        assert_eq!(Encoding::negotiate(&[K::UTF32]), Encoding::Utf16);
        assert_eq!(Encoding::negotiate(&[]), Encoding::Utf16);
    }
}
