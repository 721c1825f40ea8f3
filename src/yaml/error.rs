//! Errors of the YAML reader: syntax, limits and schema mismatches, each with a span.

use std::fmt;

use crate::source::Span;
use crate::spelling;

/// What went wrong, which decides the input rule (IL code) that reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Not valid YAML (IL001).
    Syntax,
    /// An input limit was exceeded (IL001).
    Limit,
    /// The YAML is valid but does not fit the format (IL002).
    Schema,
    /// A required key is missing (IL002); located at the key or item that lacks it.
    MissingField,
    /// A key appears twice in one mapping (IL004).
    Duplicate,
    /// Internal: an error already recorded and skipped over by [`super::Recover`].
    Recovered,
}

/// One input error.
#[derive(Clone, Debug)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The message, naming the offending key or value.
    pub message: String,
    /// Where, when known.
    pub span: Option<Span>,
    /// The text of the label on the span.
    pub label: Option<String>,
    /// A hint such as "did you mean `web_server`?".
    pub help: Option<String>,
}

impl Error {
    /// An error of the given kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            span: None,
            label: None,
            help: None,
        }
    }

    /// Sets the span.
    pub fn at(mut self, span: Span) -> Error {
        self.span = Some(span);
        self
    }

    /// Sets the label text.
    pub fn label(mut self, label: impl Into<String>) -> Error {
        self.label = Some(label.into());
        self
    }

    /// Sets the help text.
    pub fn help(mut self, help: impl Into<String>) -> Error {
        self.help = Some(help.into());
        self
    }

    /// Whether parsing cannot go on after this error.
    pub fn is_fatal(&self) -> bool {
        matches!(self.kind, ErrorKind::Syntax | ErrorKind::Limit)
    }

    pub(crate) fn recovered() -> Error {
        Error::new(ErrorKind::Recovered, "error recorded and skipped")
    }

    /// An unknown name (key or enum value) with a suggestion from the names expected.
    pub fn unknown(what: &str, name: &str, expected: &[&str]) -> Error {
        let mut err = Error::new(
            ErrorKind::Schema,
            format!("unknown {what} `{}`", shorten(name)),
        )
        .label(format!("unknown {what}"));
        err.help = Some(match spelling::closest(name, expected.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None if expected.is_empty() => format!("no {what} is allowed here"),
            None => format!("expected one of {}", list(expected)),
        });
        err
    }
}

/// `a`, `b` or `c`.
pub(crate) fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Serde's names for expected types, in the words of a YAML user.
fn friendly_expected(expected: &str) -> String {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128" | "usize"
        | "isize" => "an integer".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "a boolean (`true` or `false`)".into(),
        "a sequence" => "a list".into(),
        "a map" => "a mapping".into(),
        _ if expected.starts_with("struct ") => "a mapping".into(),
        _ if expected.starts_with("a sequence") => "a list".into(),
        _ => expected.into(),
    }
}

use crate::finding::{QUOTED_CHARS, shorten};

fn friendly_unexpected(unexpected: &serde::de::Unexpected<'_>) -> String {
    use serde::de::Unexpected;
    match unexpected {
        Unexpected::Str(s) => {
            let count = s.chars().count();
            if count <= QUOTED_CHARS {
                format!("the string \"{}\"", s.escape_debug())
            } else {
                let start: String = s.chars().take(QUOTED_CHARS).collect();
                format!(
                    "the string \"{}…\" ({count} characters)",
                    start.escape_debug()
                )
            }
        }
        Unexpected::Unsigned(n) => format!("the integer {n}"),
        Unexpected::Signed(n) => format!("the integer {n}"),
        Unexpected::Float(n) => format!("the number {n}"),
        Unexpected::Bool(b) => format!("the boolean {b}"),
        Unexpected::Unit | Unexpected::Option => "null".into(),
        Unexpected::Seq => "a list".into(),
        Unexpected::Map => "a mapping".into(),
        other => other.to_string(),
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(ErrorKind::Schema, msg.to_string())
    }

    fn invalid_type(unexp: serde::de::Unexpected<'_>, exp: &dyn serde::de::Expected) -> Self {
        let expected = friendly_expected(&exp.to_string());
        let mut err = Error::new(
            ErrorKind::Schema,
            format!(
                "wrong type: expected {expected}, found {}",
                friendly_unexpected(&unexp)
            ),
        )
        .label(format!("expected {expected}"));
        if let serde::de::Unexpected::Str(s) = unexp
            && expected == "an integer"
            && s.parse::<i64>().is_ok()
        {
            err.help = Some(format!(
                "write {s} without quotes: a quoted value is a string"
            ));
        }
        err
    }

    fn invalid_value(unexp: serde::de::Unexpected<'_>, exp: &dyn serde::de::Expected) -> Self {
        let expected = friendly_expected(&exp.to_string());
        Error::new(
            ErrorKind::Schema,
            format!(
                "invalid value: expected {expected}, found {}",
                friendly_unexpected(&unexp)
            ),
        )
        .label(format!("expected {expected}"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Error::unknown("value", variant, expected)
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Error::unknown("key", field, expected)
    }

    fn missing_field(field: &'static str) -> Self {
        Error::new(
            ErrorKind::MissingField,
            format!("missing required key `{field}`"),
        )
        .label(format!("`{field}` is missing here"))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Error::new(ErrorKind::Duplicate, format!("duplicate key `{field}`"))
            .label("the second occurrence")
    }
}
