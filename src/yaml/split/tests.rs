use proptest::prelude::*;

use super::cut;
use crate::generate::{Shape, topology};
use crate::source::SourceFile;
use crate::yaml::de::{Limits, event_log};

/// The events of `text` from the single scanning thread, and from the split scan with
/// how it went (`split`, `split+threaded` when the split was abandoned and the file
/// read again, or `threaded` when it could not be cut),
/// after checking they are the same.
fn events_alike(text: &str) -> String {
    let source = SourceFile::new("t.yml", text.to_string());
    let whole = Limits {
        threaded_from_bytes: 0,
        split_from_bytes: usize::MAX,
        ..Limits::default()
    };
    let split = Limits {
        split_from_bytes: 0,
        ..whole
    };
    let (expected, how) = event_log(&source, whole);
    assert_eq!(how, "threaded");
    let (got, how) = event_log(&source, split);
    assert_eq!(got, expected, "{how} scan of:\n{text}");
    how
}

fn estate(cells: usize, varied_style: bool, defect_every: usize) -> String {
    topology(Shape {
        cells,
        seed: 7,
        varied_style,
        defect_every,
    })
}

#[test]
fn a_generated_estate_is_scanned_in_two_parts_to_the_same_events() {
    for defect_every in [1, 10] {
        let text = estate(40, false, defect_every);
        let cut = cut(&text, 0).expect("the components section is cut");
        // The middle is whole entries of the section that holds the file's middle.
        assert!(text[..cut.start].ends_with('\n') && text[cut.start..].starts_with("  "));
        assert!(cut.start <= text.len() / 2 && cut.end > text.len() / 2);
        assert_eq!(events_alike(&text), "split");
    }
}

#[test]
fn block_style_entries_ending_in_nested_collections_and_block_scalars_are_cut() {
    // The events before the cut that the whole parse puts at the middle's first key
    // (the ends of the last entry's collections, a block scalar's end) are moved there.
    // The entries vary, and so does where the middle starts: after each kind of entry.
    let entries = [
        "    kind: web_server\n    ports: [80]\n    notes: |\n      text\n",
        "    tags:\n      - a\n      - { b: c }\n",
        "",
        "    host:\n      zone: dmz\n      rack:\n",
    ];
    let mut after = std::collections::BTreeSet::new();
    for n in 40..60 {
        let mut text = String::from("version: 1\ncomponents:\n");
        for i in 0..n {
            text += &format!("  c{i}:\n{}", entries[i % entries.len()]);
        }
        text += "links:\n  - { from: c0, to: c1 }\n";
        assert_eq!(events_alike(&text), "split");
        let cut = cut(&text, 0).expect("a cut");
        let last = text[..cut.start].rfind("  c").expect("an entry before");
        let i: usize = text[last + 3..].split(':').next().unwrap().parse().unwrap();
        after.insert(i % entries.len());
    }
    assert_eq!(
        after.len(),
        entries.len(),
        "the middle starts after every kind"
    );
}

#[test]
fn a_file_with_crlf_lines_or_other_scripts_is_cut_alike() {
    let text = estate(30, false, 1);
    assert_eq!(events_alike(&text.replace('\n', "\r\n")), "split");
    // Characters of several bytes before the cut and inside the middle: the parser
    // counts characters, the events are in bytes.
    let accented = format!(
        "\u{feff}# Topologie générée\n{}",
        text.replace("rack-", "räck-")
    );
    assert_eq!(events_alike(&accented), "split");
}

#[test]
fn anchors_aliases_and_merge_keys_keep_the_whole_parse() {
    // The varied style has anchors and merge keys among the components: a middle
    // holding one is not cut, and either way the events are the whole parse's.
    for cells in [3, 12, 40] {
        events_alike(&estate(cells, true, 3));
    }
    let alias = "x: &a 1\ncomponents:\n  a: 1\n  b: *a\n  c: [*a]\nlinks: []\n";
    assert_eq!(events_alike(alias), "threaded");
    // A star inside a scalar is text: the middle is still cut.
    let star = "x: 1\ncomponents:\n  a: \"*.example.com\"\n  b: 0 * * * *\n  c: 3\nlinks: []\n";
    assert_eq!(events_alike(star), "split");
}

#[test]
fn cuts_that_do_not_hold_fall_back_to_the_whole_parse() {
    let (split, abandoned, whole) = ("split", "split+threaded", "threaded");
    let cases = [
        // A quoted scalar whose lines run on at column 0: no section holds the middle.
        (
            "hosts:\n  a: \"one\ntwo\n  b: x\"\n  c: d\n  e: f\nlinks: []\n",
            whole,
        ),
        // A syntax error in the middle, and one after it.
        (
            "x: 1\ncomponents:\n  a: [1, 2\n  b: x\n  c: y\nlinks:\n  - x\n",
            abandoned,
        ),
        (
            "x: 1\ncomponents:\n  a: 1\n  b: 2\n  c: 3\nlinks: [\n",
            abandoned,
        ),
        // A flow mapping over lines, one of them at two spaces.
        (
            "x: 1\ncomponents:\n  a: { k: v,\n  b: w }\n  c: 3\nlinks: []\n",
            abandoned,
        ),
        // A section at four spaces, or a list: no entry at two spaces to cut at.
        ("x: 1\ncomponents:\n    a: 1\n    b: 2\nlinks: []\n", whole),
        ("x: 1\nlinks:\n  - a\n  - b\n  - c\ny: 2\n", whole),
        // The section ends the file, or the document.
        ("x: 1\ncomponents:\n  a: 1\n  b: 2\n  c: 3\n", split),
        (
            "x: 1\ncomponents:\n  a: 1\n  b: 2\n  c: 3\n---\ny: 2\n",
            split,
        ),
        ("x: 1\ncomponents:\n  a: 1\n  b: 2\n  c: 3\n...\n", split),
        // Comments at column 0 inside the section, and a block scalar.
        (
            "x: 1\ncomponents:\n  a: |\n    text\n# note\n  b: 2\n# end\n  c: 3\nlinks: []\n",
            split,
        ),
        // A tab and an explicit key.
        (
            "x: 1\ncomponents:\n  a:\t1\n  b: 2\n  ? c\n  : 3\nlinks: []\n",
            abandoned,
        ),
        // The section's header with a value on its line.
        ("x: 1\ncomponents: {}\n  a: 1\n  b: 2\nlinks: []\n", whole),
        // A header on the last line, with or without its line break, or alone
        // (found by fuzzing: the section's body was past the end of the file).
        ("J:", whole),
        ("x: 1\ncomponents:", whole),
        ("x: 1\ncomponents:\n", whole),
        ("x: 1\ncomponents:\r\n", whole),
    ];
    for (text, expected) in cases {
        assert_eq!(events_alike(text), expected, "{text}");
    }
}

/// Lines of a top-level section's entries as they may be written: mostly fair, now
/// and then foul.
fn entry() -> impl Strategy<Value = String> {
    let key = "[a-z][a-z0-9-]{0,6}";
    let fair = prop_oneof![
        Just("plain"),
        Just("plain words: no"),
        Just("\"quoted\""),
        Just("'single'"),
        Just("\"runs\n    on\""),
        Just("|\n    block\n    text"),
        Just("|+\n    kept\n\n"),
        Just(">-\n    folded\n    lines"),
        Just("{ a: b, c: [d, e] }"),
        Just("{ a: b,\n    c: d }"),
        Just("\n    x: y\n    z: [1, 2]"),
        Just("\n    x:\n      y: z\n    w:"),
        Just("\n    - a\n    - b:\n        c: d"),
        Just("\n  - a\n  - b"),
        Just("\"*.example.com\""),
        Just("0 * * * *"),
        Just("é ü 漢"),
        Just(""),
        Just("# a comment"),
    ];
    let foul = prop_oneof![
        Just("\"runs\non\""),
        Just("&anchor x"),
        Just("*anchor"),
        Just("!tag x"),
        Just("[unclosed"),
        Just("}"),
        Just("x\t# tab"),
        Just("\n   x: 1\n    y: 2"),
    ];
    let value = prop_oneof![12 => fair, 1 => foul];
    let line = prop_oneof![
        12 => (key, value).prop_map(|(k, v)| format!("  {k}: {v}\n")),
        1 => Just("# comment\n".to_string()),
        1 => Just("  # comment\n".to_string()),
        1 => Just("\n".to_string()),
        1 => Just("   \n".to_string()),
    ];
    prop::collection::vec(line, 0..16).prop_map(|lines| lines.concat())
}

fn document() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        12 => "[a-z]{1,8}".prop_map(|k| format!("{k}:\n")),
        1 => Just("x: 1\n".to_string()),
        1 => Just("---\n".to_string()),
        1 => Just("y: [\n".to_string()),
        1 => Just("  - item\n".to_string()),
    ];
    let sections = prop::collection::vec((header, entry()), 1..6);
    (sections, any::<bool>()).prop_map(|(sections, crlf)| {
        let text: String = sections.into_iter().map(|(h, e)| h + &e).collect();
        if crlf {
            text.replace('\n', "\r\n")
        } else {
            text
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn any_document_scans_to_the_same_events_split_or_whole(text in document()) {
        events_alike(&text);
    }
}
