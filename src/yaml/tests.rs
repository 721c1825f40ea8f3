//! The reader on its own: typing, spans, anchors, merge keys, recovery, limits.

use serde::Deserialize;

use super::{Error, ErrorKind, Limits, Recover, Spanned, from_source};
use crate::source::SourceFile;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Service {
    kind: Spanned<String>,
    #[serde(default)]
    port: Option<Spanned<u16>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    critical: Option<bool>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    services: std::collections::BTreeMap<String, Recover<Service>>,
}

fn read<'a, T: Deserialize<'a>>(source: &'a SourceFile) -> (Option<T>, Vec<Error>) {
    from_source::<T>(source, Limits::default())
}

fn src(text: &str) -> SourceFile {
    SourceFile::new("test.yml", text.to_string())
}

#[test]
fn core_schema_typing_is_yaml_1_2() {
    let s = src(
        "name: yes\nservices:\n  a: { kind: web, port: 80 }\n  b: { kind: web, port: \"80\" }\n",
    );
    let (file, errors) = read::<File>(&s);
    let file = file.unwrap();
    // `yes` is a string in YAML 1.2, not a boolean.
    assert_eq!(file.name, "yes");
    assert_eq!(
        file.services["a"],
        Recover::Ok(Service {
            kind: Spanned::new("web".into(), Default::default()),
            port: Some(Spanned::new(80, Default::default())),
            tags: vec![],
            critical: None
        })
    );
    // A quoted number is a string: a type error where an integer is expected.
    assert_eq!(file.services["b"], Recover::Failed);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::Schema);
    assert!(
        errors[0]
            .message
            .contains("expected an integer, found the string \"80\""),
        "{}",
        errors[0].message
    );
    assert!(
        errors[0]
            .help
            .as_deref()
            .unwrap()
            .contains("without quotes")
    );
    assert_eq!(
        s.line_col(errors[0].span.unwrap().start as usize).column,
        25
    );
}

#[test]
fn booleans_and_nulls_are_not_strings() {
    let s = src("name: true\nservices: {}\n");
    let (_, errors) = read::<File>(&s);
    assert!(
        errors[0]
            .message
            .contains("expected a string, found the boolean true"),
        "{errors:?}"
    );
}

#[test]
fn spans_point_at_values_and_their_keys() {
    let s = src("name: n\nservices:\n  web:\n    kind: \"web_server\"\n    port: 8080\n");
    let (file, errors) = read::<File>(&s);
    assert!(errors.is_empty());
    let file = file.unwrap();
    let Recover::Ok(web) = &file.services["web"] else {
        panic!()
    };
    let text = &s.text;
    // A quoted scalar's span covers its quotes.
    assert_eq!(
        &text[web.kind.span.start as usize..web.kind.span.end as usize],
        "\"web_server\""
    );
    assert_eq!(
        &text[web.kind.key.start as usize..web.kind.key.end as usize],
        "kind"
    );
    let port = web.port.as_ref().unwrap();
    assert_eq!(
        &text[port.span.start as usize..port.span.end as usize],
        "8080"
    );
}

#[test]
fn unknown_keys_are_all_reported_with_suggestions_and_skipped() {
    let s = src(
        "name: n\nservices:\n  a: { kind: web, prot: 1, tagz: [x, { y: 1 }] }\n  b: { kind: db, critcal: true }\n",
    );
    let (file, errors) = read::<File>(&s);
    let file = file.unwrap();
    // Unknown keys do not fail the service: the rest of it is read.
    assert!(matches!(file.services["b"], Recover::Ok(_)));
    let messages: Vec<_> = errors
        .iter()
        .map(|e| (e.message.as_str(), e.help.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        messages,
        [
            ("unknown key `prot`", "did you mean `port`?"),
            ("unknown key `tagz`", "did you mean `tags`?"),
            ("unknown key `critcal`", "did you mean `critical`?"),
        ]
    );
}

#[test]
fn one_broken_entry_does_not_hide_the_next() {
    let s = src("name: n\nservices:\n  a: { kind: [1, 2] }\n  b: { port: 1 }\n  c: { kind: ok }\n");
    let (file, errors) = read::<File>(&s);
    let file = file.unwrap();
    assert_eq!(file.services["a"], Recover::Failed);
    assert_eq!(file.services["b"], Recover::Failed);
    assert!(matches!(file.services["c"], Recover::Ok(_)));
    assert_eq!(errors.len(), 2);
    assert!(
        errors[0]
            .message
            .contains("expected a string, found a list")
    );
    // A missing key points at the entry's key, where the reader looks for it.
    assert_eq!(errors[1].kind, ErrorKind::MissingField);
    assert_eq!(s.line_col(errors[1].span.unwrap().start as usize).line, 4);
    assert_eq!(s.line_col(errors[1].span.unwrap().start as usize).column, 3);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let s = src(concat!(
        "name: n\n",
        "services:\n",
        "  base: &base { kind: web, port: 80, tags: &tags [a, b] }\n",
        "  over:\n",
        "    port: 81\n",
        "    <<: *base\n",
        "  list:\n",
        "    <<: [{ kind: first }, { kind: second, critical: true }]\n",
        "    tags: *tags\n",
    ));
    let (file, errors) = read::<File>(&s);
    assert!(errors.is_empty(), "{errors:?}");
    let file = file.unwrap();
    let Recover::Ok(over) = &file.services["over"] else {
        panic!()
    };
    // Explicit keys win over merged ones, wherever the `<<` is.
    assert_eq!(over.port.as_ref().unwrap().value, 81);
    assert_eq!(over.kind.value, "web");
    assert_eq!(over.tags, ["a", "b"]);
    let Recover::Ok(list) = &file.services["list"] else {
        panic!()
    };
    // In a merge list, earlier mappings win.
    assert_eq!(list.kind.value, "first");
    assert_eq!(list.critical, Some(true));
    assert_eq!(list.tags, ["a", "b"]);
}

#[test]
fn a_merged_key_unknown_to_the_struct_is_reported() {
    let s = src("name: n\nservices:\n  a: &a { kind: web, extra: 1 }\n  b: { <<: *a }\n");
    let (_, errors) = read::<File>(&s);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e.message == "unknown key `extra`"));
}

#[test]
fn alias_expansion_is_bounded() {
    let mut text = String::from("name: n\nservices: {}\nx: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
    let mut prev = 'a';
    for c in 'b'..='j' {
        text.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        prev = c;
    }
    let s = src(&text);
    let start = std::time::Instant::now();
    let (_, errors) = from_source::<File>(
        &s,
        Limits {
            max_alias_events: 10_000,
            ..Limits::default()
        },
    );
    assert!(
        errors
            .iter()
            .any(|e| e.kind == ErrorKind::Limit && e.message.contains("alias expansion limit")),
        "{errors:?}"
    );
    // Not a timing assertion of the product: a guard that the test itself cannot hang.
    assert!(start.elapsed().as_secs() < 30);
}

#[test]
fn an_alias_to_its_own_anchor_is_an_error() {
    let s = src("name: &n [*n]\nservices: {}\n");
    let (_, errors) = read::<File>(&s);
    assert!(errors.iter().any(|e| e.is_fatal()), "{errors:?}");
}

#[test]
fn tags_other_than_core_schema_ones_are_refused() {
    let s = src("name: !!str 80\nservices: {}\n");
    let (file, errors) = read::<File>(&s);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(file.unwrap().name, "80");
    let s = src("name: !custom x\nservices: {}\n");
    let (_, errors) = read::<File>(&s);
    assert!(errors[0].message.contains("unsupported tag"), "{errors:?}");
}

#[test]
fn non_ascii_text_keeps_exact_spans() {
    let s = src("name: \"café ☕\"\nservices:\n  é: { kind: wéb, port: 8080 }\n");
    let (file, errors) = read::<File>(&s);
    assert!(errors.is_empty());
    let file = file.unwrap();
    let Recover::Ok(svc) = &file.services["é"] else {
        panic!()
    };
    let text = &s.text;
    assert_eq!(
        &text[svc.kind.span.start as usize..svc.kind.span.end as usize],
        "wéb"
    );
    assert_eq!(s.line_col(svc.kind.span.start as usize).column, 14);
}

/// Every error of a node at once: a wrong value does not hide a wrong value beside it,
/// a key masked to find them is never reported missing, and a key really missing is.
#[test]
fn every_error_in_a_node_is_found_in_one_run() {
    let s = src(concat!(
        "name: t\n",
        "services:\n",
        "  a: { kind: [web], port: 99999, critical: yes, tags: x }\n",
        "  b: { port: nope }\n",
        "  c: { kind: web, port: 1 }\n",
    ));
    let (file, errors) = read::<File>(&s);
    let at: Vec<(usize, String)> = errors
        .iter()
        .map(|e| {
            let span = e.span.expect("a place");
            (s.line_col(span.start as usize).column, e.message.clone())
        })
        .collect();
    let messages: Vec<&str> = at.iter().map(|(_, m)| m.as_str()).collect();
    // Four wrong values in `a`, each at its own column; `b`'s wrong port, and its kind
    // that is really missing.
    assert_eq!(errors.len(), 6, "{at:#?}");
    for column in [14, 27, 44, 55] {
        assert!(
            errors.iter().any(|e| {
                let span = e.span.unwrap();
                s.line_col(span.start as usize) == crate::source::LineCol { line: 3, column }
            }),
            "no error at 3:{column} in {at:#?}"
        );
    }
    assert!(
        messages
            .iter()
            .any(|m| m.contains("missing required key `kind`"))
    );
    assert_eq!(
        messages.iter().filter(|m| m.contains("missing")).count(),
        1,
        "`a`'s kind is there, only wrong: {messages:#?}"
    );
    // The nodes with errors stay failed; the good one is read.
    let file = file.expect("the file is read");
    assert!(file.services["c"].ok().is_some());
    assert!(file.services["a"].ok().is_none());
}
