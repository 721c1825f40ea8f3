//! The wire: JSON-RPC messages framed by `Content-Length` headers on stdin and stdout.
//!
//! lsp-server's own stdio transport stops at the first payload that is not JSON; this
//! one answers it with a parse error and reads on, so no client bug ends the session.

use std::io::{BufRead, Read, Write};

use lsp_server::Message;

/// The largest message read: a topology at the default file size limit, as JSON.
pub const MAX_MESSAGE: usize = 1024 * 1024 * 1024;

/// The longest header line read.
const MAX_HEADER_LINE: u64 = 8 * 1024;

/// What came in.
#[derive(Debug)]
pub enum Incoming {
    /// A message.
    Message(Message),
    /// A framed payload that is not a JSON-RPC message: why.
    Malformed(String),
}

/// Reads the next framed payload. None at the end of the input, or when the input can
/// no longer be framed (a header block without a length, or a length over the limit).
pub fn read(input: &mut impl BufRead) -> Option<Incoming> {
    let mut length: Option<usize> = None;
    let mut any_header = false;
    loop {
        let mut line = Vec::new();
        let n = input
            .by_ref()
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)
            .ok()?;
        if n == 0 {
            return None;
        }
        if !line.ends_with(b"\n") {
            // A header line longer than any real one: the stream is not LSP.
            return None;
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !any_header {
                continue;
            }
            break;
        }
        any_header = true;
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
        }
    }
    let length = length.filter(|&n| n <= MAX_MESSAGE)?;
    let mut body = Vec::new();
    input
        .by_ref()
        .take(length as u64)
        .read_to_end(&mut body)
        .ok()?;
    if body.len() < length {
        return None;
    }
    Some(match serde_json::from_slice::<Message>(&body) {
        Ok(message) => Incoming::Message(message),
        Err(e) => Incoming::Malformed(e.to_string()),
    })
}

/// Writes one message; false when the client is gone.
pub fn write(output: &mut impl Write, message: &Message) -> bool {
    message.write(output).is_ok()
}

/// Answers a payload that could not be read as a request (JSON-RPC's id null).
pub fn write_parse_error(output: &mut impl Write, why: &str) -> bool {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32700, "message": format!("not a JSON-RPC message: {why}") },
    })
    .to_string();
    write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())
        .and_then(|()| output.flush())
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn a_bad_payload_is_reported_and_the_next_one_read() {
        let mut input = frame(b"{not json");
        input.extend(frame(&[0xff, 0xfe]));
        input.extend(frame(
            br#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#,
        ));
        let mut r = std::io::Cursor::new(input);
        assert!(matches!(read(&mut r), Some(Incoming::Malformed(_))));
        assert!(matches!(read(&mut r), Some(Incoming::Malformed(_))));
        assert!(matches!(read(&mut r), Some(Incoming::Message(_))));
        assert!(read(&mut r).is_none());
    }

    #[test]
    fn unframeable_input_ends_the_stream() {
        for input in [
            &b"Content-Length: 99\r\n\r\n{}"[..],
            b"Content-Length: 99999999999999\r\n\r\n",
            b"X: y\r\n\r\n{}",
            b"",
        ] {
            let mut r = std::io::Cursor::new(input.to_vec());
            assert!(read(&mut r).is_none(), "{input:?}");
        }
        let long = vec![b'a'; 100_000];
        assert!(read(&mut std::io::Cursor::new(long)).is_none());
    }
}
