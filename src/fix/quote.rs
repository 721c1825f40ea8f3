//! Writing strings from the input into fix YAML: plain when YAML reads the text back
//! as the same string, double-quoted with escapes otherwise.

use std::borrow::Cow;

use crate::yaml::scalar::{Resolved, resolve};

/// Whether `s` can be written as a plain scalar, in block and flow context alike, and
/// read back as the same string.
fn plain_ok(s: &str) -> bool {
    // Nearly every id (`web-1`, `db_primary2`): a letter, then letters, digits, `-` and
    // `_`, with a digit, `-` or `_` in it, is no boolean, null or number in YAML 1.1
    // or 1.2, and holds no indicator.
    let bytes = s.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        && bytes
            .iter()
            .any(|b| b.is_ascii_digit() || matches!(b, b'-' | b'_'))
    {
        return true;
    }
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || resolve(s) != Resolved::Str {
        return false;
    }
    // What YAML 1.1 readers take for a boolean or a number: quoted for them.
    let yaml11_bool = ["y", "n", "yes", "no", "on", "off"]
        .iter()
        .any(|b| s.eq_ignore_ascii_case(b));
    let yaml11_number = first.is_ascii_digit()
        && s.chars()
            .all(|c| c.is_ascii_digit() || "_:.eE+-".contains(c));
    if yaml11_bool || yaml11_number {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    !s.chars().any(|c| {
        matches!(
            c,
            ',' | '[' | ']' | '{' | '}' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
        ) || c.is_control()
    })
}

/// `s` as a YAML scalar that reads back as the string `s`.
pub fn scalar(s: &str) -> Cow<'_, str> {
    if plain_ok(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if c.is_control() || c == '\u{feff}' => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Cow::Owned(out)
}

/// The keys whose values are ids (or, for `from`, an id, a zone, `any` or a CIDR):
/// references a fix writes from the model.
const REFERENCE_KEYS: &[&str] = &[
    "from",
    "to",
    "host",
    "zone",
    "certificate",
    "targets",
    "peers",
    "replicates_from",
    "reports_to",
    "monitors",
    "protects",
    "voters",
];

/// The top-level sections whose keys are ids.
const ID_SECTIONS: &[&str] = &["components", "hosts", "zones", "certificates"];

/// A fix's YAML with every id in it (the keys of the id sections, the values of
/// reference keys) written as YAML reads it back as that string: a component named
/// `true`, `1.5` or `null` is quoted where a rule wrote its id as it is. Everything
/// else is left as the rule wrote it. YAML that does not parse is returned unchanged
/// (planning it fails, and the fix is then not applied).
pub fn ids(yaml: &str) -> String {
    use super::tree::{self, Node};
    let source = crate::source::SourceFile::new("fix", yaml.to_string());
    let Ok(tree::Tree {
        root: Node::Map(root),
        ..
    }) = tree::build(&source)
    else {
        return yaml.to_string();
    };
    let mut edits = Vec::new();
    let mut quote = |value: &str, span: crate::source::Span| {
        let written = scalar(value);
        if written != value {
            edits.push(super::Edit {
                start: span.start as usize,
                end: span.end as usize,
                content: written.into_owned(),
            });
        }
    };
    fn walk(node: &Node, quote: &mut dyn FnMut(&str, crate::source::Span)) {
        match node {
            Node::Map(m) => {
                for (k, v) in &m.items {
                    if REFERENCE_KEYS.contains(&&*k.text) {
                        match v {
                            Node::Scalar {
                                value,
                                plain: true,
                                span,
                            } if !span.is_empty() => quote(value, *span),
                            Node::Seq(items) => {
                                for item in &items.items {
                                    if let Node::Scalar {
                                        value,
                                        plain: true,
                                        span,
                                    } = item
                                    {
                                        quote(value, *span);
                                    }
                                }
                            }
                            _ => walk(v, quote),
                        }
                    } else {
                        walk(v, quote);
                    }
                }
            }
            Node::Seq(s) => s.items.iter().for_each(|i| walk(i, quote)),
            Node::Scalar { .. } | Node::Opaque(_) | Node::Lazy(_) => {}
        }
    }
    for (key, value) in &root.items {
        if let (true, Node::Map(section)) = (ID_SECTIONS.contains(&&*key.text), value) {
            for (id, _) in &section.items {
                if !yaml[id.span.start as usize..].starts_with(['"', '\'']) {
                    quote(&id.text, id.span);
                }
            }
        }
        walk(value, &mut quote);
    }
    super::apply(yaml, &edits)
}

#[cfg(test)]
mod tests {
    use super::scalar;
    use proptest::prelude::*;

    /// Reads `value` back from `key: <scalar>` in block and in flow style.
    fn read_back(written: &str) -> (String, String) {
        let block: serde_json::Value =
            serde_saphyr::from_str(&format!("key: {written}\n")).expect("block YAML");
        let flow: serde_json::Value =
            serde_saphyr::from_str(&format!("m: {{ key: {written}, other: 1 }}\n"))
                .expect("flow YAML");
        (
            block["key"].as_str().expect("a string").to_string(),
            flow["m"]["key"].as_str().expect("a string").to_string(),
        )
    }

    #[test]
    fn hostile_strings_round_trip() {
        for s in [
            "ha: proxy #x",
            "haproxy\n    instances: 99",
            "a, b",
            "{x}",
            "[1]",
            "*alias",
            "&anchor",
            "!tag",
            "- item",
            "? key",
            "true",
            "null",
            "1.2",
            "0x1F",
            "",
            " padded ",
            "quote \" and \\ backslash",
            "tab\there",
            "ünïcødé ☃",
            "line\u{2028}sep",
            "%directive",
            "@at",
            "`tick",
            "ends with colon:",
            "'single'",
            "#comment",
        ] {
            let written = scalar(s);
            assert_eq!(
                read_back(&written),
                (s.to_string(), s.to_string()),
                "{written}"
            );
        }
        // Ordinary values stay plain.
        for s in [
            "haproxy",
            "node_exporter",
            "web-1",
            "2.8a",
            "www.example.com",
        ] {
            assert_eq!(scalar(s), s);
        }
    }

    #[test]
    fn ids_in_a_fix_are_quoted_where_yaml_would_read_another_type() {
        let fix = "hosts:\n  \"1-2\": {}\ncomponents:\n  true:\n    peers: [true-2, true]\n    host: 1.5\n    tls: true\n    port: 80\nlinks:\n  - { from: null, to: web, protocol: http }\n";
        assert_eq!(
            super::ids(fix),
            "hosts:\n  \"1-2\": {}\ncomponents:\n  \"true\":\n    peers: [true-2, \"true\"]\n    host: \"1.5\"\n    tls: true\n    port: 80\nlinks:\n  - { from: \"null\", to: web, protocol: http }\n"
        );
    }

    proptest! {
        #![proptest_config(crate::rules::fixture::proptest_config(256))]

        #[test]
        fn any_string_round_trips(s in "\\PC*|[-:#,\\[\\]{}&*!|>'\"%@` \\n\\t?a-z0-9.]{0,12}") {
            let written = scalar(&s);
            let (block, flow) = read_back(&written);
            prop_assert_eq!(&block, &s, "block: {}", written);
            prop_assert_eq!(&flow, &s, "flow: {}", written);
        }
    }
}
