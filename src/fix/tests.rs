//! The planner against files written in every style the format allows.

use super::{apply, plan::plan, tree};
use crate::source::SourceFile;

/// `file` with `fix` merged in through real edits.
fn merged(file: &str, fix: &str) -> String {
    let source = SourceFile::new("t.yml", file.to_string());
    let root = tree::build(&source).expect("a source map");
    let edits = plan(&source, &root, fix).expect("edits");
    apply(file, &edits)
}

#[test]
fn a_key_goes_into_a_block_mapping_at_its_indentation_and_comments_stay() {
    let file = "version: 1\ncomponents:\n  lb-1:\n    kind: load_balancer   # the only one\n    balancing:\n      targets: [web-1]\n  # web next\n  web-1: { kind: web_server }\n";
    let fix = "components:\n  lb-1:\n    balancing:\n      health_check: { path: /health, interval_s: 5 }\n";
    assert_eq!(
        merged(file, fix),
        "version: 1\ncomponents:\n  lb-1:\n    kind: load_balancer   # the only one\n    balancing:\n      targets: [web-1]\n      health_check: { path: /health, interval_s: 5 }\n  # web next\n  web-1: { kind: web_server }\n"
    );
}

#[test]
fn an_empty_flow_mapping_in_a_block_one_becomes_a_block_mapping() {
    let file = "hosts:\n  h1:  {}   # 10.0.0.1\n  h2: {}\n";
    let fix = "hosts:\n  h1:\n    monitoring: { agent: node_exporter }\n    firewall:\n      allow:\n        - { port: 443, from: internet }\n";
    assert_eq!(
        merged(file, fix),
        "hosts:\n  h1:   # 10.0.0.1\n    monitoring: { agent: node_exporter }\n    firewall:\n      allow:\n        - { port: 443, from: internet }\n  h2: {}\n"
    );
}

#[test]
fn a_key_goes_into_a_flow_mapping_in_flow_style() {
    let file = "hosts:\n  h0: { zone: \"a, b\" }\n  h2: { zone: dmz }\n";
    let fix = "hosts:\n  h0:\n    monitoring: { agent: node_exporter }\n  h2:\n    firewall:\n      default_inbound: deny\n      allow:\n        - { port: 443, from: internet }\n";
    assert_eq!(
        merged(file, fix),
        "hosts:\n  h0: { zone: \"a, b\", monitoring: { agent: node_exporter } }\n  h2: { zone: dmz, firewall: { default_inbound: deny, allow: [{ port: 443, from: internet }] } }\n"
    );
    // Inside a flow mapping an empty one stays flow.
    assert_eq!(
        merged("m: { h1: {} }\n", "m:\n  h1:\n    zone: dmz\n"),
        "m: { h1: { zone: dmz } }\n"
    );
}

#[test]
fn new_entries_sections_and_list_items_are_added_where_the_file_keeps_them() {
    let file = "version: 1\ncomponents:\n  web-1:\n    kind: web_server\nlinks:\n  - { from: users, to: web-1 }\n# the end\n";
    let fix = "hosts:\n  h2: {}\ncomponents:\n  web-2:\n    kind: web_server\n    host: h2\nlinks:\n  - { from: users, to: web-2 }\n";
    assert_eq!(
        merged(file, fix),
        "version: 1\ncomponents:\n  web-1:\n    kind: web_server\n  web-2:\n    kind: web_server\n    host: h2\nlinks:\n  - { from: users, to: web-1 }\n  - { from: users, to: web-2 }\nhosts:\n  h2: {}\n# the end\n"
    );
}

#[test]
fn an_existing_value_is_replaced_and_a_listed_item_merged_not_repeated() {
    let file = "components:\n  lb:\n    failover: none\n    listeners:\n      - { port: 80, protocol: http }\n    peers: [lb-2]\n";
    let fix = "components:\n  lb:\n    failover: vrrp\n    listeners:\n      - { port: 80, protocol: http, redirect_to_https: true }\n      - { port: 443, protocol: https }\n    peers: [lb-2, lb-3]\n";
    assert_eq!(
        merged(file, fix),
        "components:\n  lb:\n    failover: vrrp\n    listeners:\n      - { port: 80, protocol: http, redirect_to_https: true }\n      - { port: 443, protocol: https }\n    peers: [lb-2, lb-3]\n"
    );
}

#[test]
fn an_empty_value_and_a_file_without_a_final_newline() {
    let file = "hosts:\ncomponents:\n  db: { kind: database }";
    let fix = "hosts:\n  h1: {}\ncomponents:\n  db:\n    host: h1\n";
    assert_eq!(
        merged(file, fix),
        "hosts:\n  h1: {}\ncomponents:\n  db: { kind: database, host: h1 }"
    );
}

#[test]
fn four_space_indentation_and_block_list_items_keep_their_columns() {
    let file = "components:\n    db:\n        kind: database\n        suppress:\n            - rule: DB004\n              reason: nobody reads it\n";
    let fix = "components:\n  db:\n    suppress:\n      - { rule: DUR004, reason: \"accepted: one commit\" }\n    backup: { to: vault }\n";
    assert_eq!(
        merged(file, fix),
        "components:\n    db:\n        kind: database\n        suppress:\n            - rule: DB004\n              reason: nobody reads it\n            - { rule: DUR004, reason: \"accepted: one commit\" }\n        backup: { to: vault }\n"
    );
}

#[test]
fn anchors_aliases_and_merge_keys_are_not_edited_through() {
    let file = "components:\n  lb-1: &lb\n    kind: load_balancer\n  lb-2:\n    <<: *lb\n";
    let source = SourceFile::new("t.yml", file.to_string());
    let root = tree::build(&source).unwrap();
    for fix in [
        "components:\n  lb-1:\n    failover: vrrp\n",
        "components:\n  lb-2:\n    failover: vrrp\n",
    ] {
        assert!(plan(&source, &root, fix).is_err(), "{fix}");
    }
    // Elsewhere in the same file, edits are fine.
    assert!(plan(&source, &root, "hosts:\n  h1: {}\n").is_ok());
}

#[test]
fn non_ascii_text_before_an_edit_keeps_byte_offsets_right() {
    let file = "description: \"café ☃\"\ncomponents:\n  web: { kind: web_server }   # ünï\n";
    let fix = "components:\n  web:\n    software: nginx\n";
    assert_eq!(
        merged(file, fix),
        "description: \"café ☃\"\ncomponents:\n  web: { kind: web_server, software: nginx }   # ünï\n"
    );
}

#[test]
fn large_mappings_and_lists_are_searched_through_their_index() {
    // Past the length searched item by item: the 30th component and the 30th link
    // (written with a quoted id) are found, not added again.
    let mut file = String::from("components:\n");
    for i in 0..40 {
        file.push_str(&format!("  c{i}: {{ kind: web_server }}\n"));
    }
    file.push_str("links:\n");
    for i in 0..40 {
        file.push_str(&format!(
            "  - {{ from: \"c{i}\", to: c{}, protocol: http }}\n",
            i + 1
        ));
    }
    let fix = "components:\n  c30:\n    instances: 2\nlinks:\n  - { from: c30, to: c31, protocol: http, port: 80 }\n  - { from: c31, to: c30, protocol: http }\n";
    let out = merged(&file, fix);
    assert!(
        out.contains("  c30: { kind: web_server, instances: 2 }\n"),
        "{out}"
    );
    assert!(
        out.contains("  - { from: \"c30\", to: c31, protocol: http, port: 80 }\n"),
        "{out}"
    );
    assert!(
        out.ends_with("  - { from: c31, to: c30, protocol: http }\n"),
        "{out}"
    );
    assert_eq!(out.matches("c30:").count(), 1);
}

/// A node with its lazy parts read, as text.
fn render(tree: &tree::Tree, node: &tree::Node) -> String {
    use tree::Node;
    if let Some(read) = tree.expanded(node).expect("readable") {
        // Measured without being kept, as read in full.
        assert_eq!((node.start(), node.end()), (read.start(), read.end()));
        return render(tree, &read);
    }
    match node {
        Node::Map(m) => {
            let items: Vec<String> = m
                .items
                .iter()
                .map(|(k, v)| format!("{:?}@{:?}: {}", k.text, k.span, render(tree, v)))
                .collect();
            format!("{{{} {}..{} {}}}", m.flow, m.start, m.end, items.join(", "))
        }
        Node::Seq(s) => {
            let items: Vec<String> = s.items.iter().map(|v| render(tree, v)).collect();
            format!("[{} {}..{} {}]", s.flow, s.start, s.end, items.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// The bundled example topologies' texts, in the order of their names.
fn example_topologies() -> Vec<String> {
    let mut paths: Vec<_> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".topology.yml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn the_source_map_from_the_readers_events_is_the_one_a_parse_gives() {
    let mut texts = example_topologies();
    texts.push(
        "version: 1\nname: \"quoted: name\"\ndescription: >\n  folded\n  text\n\nbase: &b { kind: web_server }\ncomponents:\n  'w 1': *b\n  w2:\n    <<: *b\n    software: 'it''s'\n  w3: { kind: web_server, software: plain\n    over two lines }\nlinks: []\n"
            .into(),
    );
    texts.push(
        "components:\n  a:\n    firewall: { allow: [{ port: 1, from: any }, ] }   # c\n    listeners:\n      - port: 443\n        \"quoted\": 'x'\n      -\n  b:\n    x: [ [1, 2], {k: v} ]\n    y:\n  c: {}\nlinks:\n  - from: a\n    to: b\n  - { from: b, to: c,\n      protocol: http }\n"
            .into(),
    );
    for text in texts {
        let source = SourceFile::new("t.yml", text);
        let (_, errors, marks) = crate::yaml::from_source_marked::<serde::de::IgnoredAny>(
            &source,
            crate::yaml::Limits::default(),
        );
        assert!(errors.is_empty(), "{errors:?}");
        let parsed = tree::build(&source).expect("parsed");
        let kept = tree::build_from_marks(&source, &marks).expect("kept");
        assert!(
            format!("{:?}", kept.root).contains("Lazy"),
            "bodies are left to read later"
        );
        let (parsed, kept) = (render(&parsed, &parsed.root), render(&kept, &kept.root));
        assert_eq!(parsed, kept, "{}", source.text);
    }
}

/// Whether planning `fix` into `file` is refused (no source map, or a conflict).
fn refused(file: &str, fix: &str) -> bool {
    let source = SourceFile::new("t.yml", file.to_string());
    match tree::build(&source) {
        Err(_) => true,
        Ok(root) => plan(&source, &root, fix).is_err(),
    }
}

#[test]
fn a_new_sibling_goes_after_the_comments_of_the_entry_before_it() {
    let file =
        "components:\n  web:\n    kind: web_server\n    # TODO: pin the version\nlinks: []\n";
    let fix = "components:\n  web-2:\n    kind: web_server\n";
    assert_eq!(
        merged(file, fix),
        "components:\n  web:\n    kind: web_server\n    # TODO: pin the version\n  web-2:\n    kind: web_server\nlinks: []\n"
    );
}

#[test]
fn explicit_keys_tags_kept_line_breaks_and_lone_carriage_returns_are_not_edited() {
    let fix = "hosts:\n  h2: {}\n";
    assert!(refused("hosts:\n  ? h1\n  : { zone: private }\n", fix));
    assert!(refused("hosts: !!map\n  h1: {}\n", fix));
    assert!(refused(
        "name: |+\n  keep\n\nhosts:\n  h1: {}\n",
        "hosts:\n  h1:\n    zone: dmz\n"
    ));
    assert!(refused("hosts:\r  h1: {}\r", fix));
    // What is not in the way is still edited.
    assert!(!refused("name: |\n  strip\nhosts:\n  h1: {}\n", fix));
}

#[test]
fn a_crlf_file_gets_crlf_lines() {
    let file = "version: 1\r\nname: t\r\nhosts:\r\n  h1: {}\r\ncomponents:\r\n  users: { kind: client }\r\n  web: { kind: web_server, host: h1 }\r\nlinks:\r\n  - { from: users, to: web, protocol: https, port: 443 }\r\n";
    let report = crate::rules::fixture::lint(file);
    let edits: Vec<&super::Edit> = report
        .findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .flat_map(|f| &f.edits)
        .filter(|e| e.content.contains('\n'))
        .collect();
    assert!(!edits.is_empty());
    for e in edits {
        assert_eq!(
            e.content.matches('\n').count(),
            e.content.matches("\r\n").count(),
            "{:?}",
            e.content
        );
    }
}

/// The source map of `fix` read by [`super::fragment`], when it reads it, after checking
/// that it is the one saphyr-parser's events give. Returns whether it was read.
fn read_as_the_parser_reads(fix: &str) -> bool {
    if super::fragment::events(fix).is_none() {
        return false;
    }
    let source = SourceFile::new("fix", fix.to_string());
    let quick = tree::build_fragment(&source).map(|t| format!("{:?}", t.root));
    let parsed = tree::build(&source).map(|t| format!("{:?}", t.root));
    assert_eq!(quick.ok(), parsed.ok(), "the fragment {fix:?}");
    true
}

/// The YAML of every fix the rules write on the bundled examples and on a generated
/// estate where every cell has the defects.
fn fixes_rules_write() -> Vec<String> {
    let options = crate::lint::LintOptions {
        today: crate::lint::TEST_TODAY,
        ..Default::default()
    };
    // (The invalid and import examples are no valid topologies: they have no fixes.)
    let mut texts = example_topologies();
    texts.push(crate::generate::topology(crate::generate::Shape {
        cells: 20,
        defect_every: 1,
        varied_style: true,
        ..Default::default()
    }));
    let mut fixes: Vec<String> = texts
        .into_iter()
        .flat_map(|text| {
            crate::lint::lint_source(SourceFile::new("t.yml", text), &options).findings
        })
        .filter_map(|f| f.fix.map(|fix| fix.yaml))
        .filter(|yaml| !yaml.is_empty())
        .collect();
    fixes.sort();
    fixes.dedup();
    fixes
}

#[test]
fn the_fixes_rules_write_are_read_without_the_parser_into_the_same_source_map() {
    let fixes = fixes_rules_write();
    assert!(fixes.len() > 30, "only {} fixes", fixes.len());
    let unread: Vec<&String> = fixes
        .iter()
        .filter(|fix| !read_as_the_parser_reads(fix))
        .collect();
    // Those that need the parser are the exceptions (an id YAML would read as another
    // type, quoted with escapes); the common shapes are all read here.
    assert!(
        unread.len() * 10 <= fixes.len(),
        "{} of {} fixes needed the parser, such as {:?}",
        unread.len(),
        fixes.len(),
        unread.first()
    );
}

#[test]
fn fragments_in_other_shapes_are_left_to_the_parser_or_read_alike() {
    // Read here, as the parser reads them.
    for fix in [
        "hosts:\n  h1: {}\n",
        "hosts:\n  h1: { }\n",
        "hosts:\n  h1: { zone: backend, failure_domains: { rack: r-2 } }\n",
        "components:\n  db:\n    role: primary\n    replication: { mode: semi_sync, tls: true }\n",
        "components:\n  fw:\n    allow:\n      - { port: 443, from: internet }\n      - { port: 80, from: \"web 1\" }\n",
        "certificates:\n  c: { domains: [a.example.com, b.example.com], expires: 2027-01-01, min_tls_version: \"1.2\" }\n",
        "links:\n  - { from: a, to: b, protocol: https, port: 443, tls: true }\n",
        "components:\n  x:\n    description: one two three\n    version: '8.0'\n    peers: []\n",
        "a:\n  b:\n    c:\n      d: -1\n",
    ] {
        assert!(read_as_the_parser_reads(fix), "not read: {fix:?}");
    }
    // Left to the parser (or, if read, read alike).
    for fix in [
        "",
        "a: b",
        "a: b # note\n",
        "a: \"x\\\"y\"\n",
        "a: 'it''s'\n",
        "\"quoted key\": 1\n",
        "a:\n- b\n",
        "a:\n  - b: c\n",
        "a:  b\n",
        "a: b \n",
        "a: b:c\n",
        "a: b, c\n",
        "a: { b: c , d: e }\n",
        "a: [b, ]\n",
        "a: &x b\n",
        "a: *x\n",
        "a: |\n  b\n",
        "a:\n\n  b: c\n",
        "a: b\n  c\n",
        "  a: b\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: { b: [c, { d: e }] }\n",
        "a: ~\n",
        "a: -\n",
        "a: - b\n",
        "a: { b: }\n",
        "a: [b c, d]\n",
        "é: b\n",
    ] {
        read_as_the_parser_reads(fix);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
    /// Fragments assembled from the pieces rules write and from pieces they never write:
    /// whatever is read without the parser gives the parser's source map.
    #[test]
    fn a_fragment_read_without_the_parser_is_read_as_the_parser_reads_it(
        lines in proptest::collection::vec(
            (0usize..4, 0usize..12, 0usize..24),
            1..8,
        )
    ) {
        const KEYS: [&str; 12] = [
            "a", "hosts", "b-c", "x.y", "1", "true", "-a", "a b", "k_2", "\"q\"", "z/w", "+p",
        ];
        const VALUES: [&str; 24] = [
            "", "x", "\"q x\"", "'s'", "'it''s'", "a b", "a  b", "a:b", "{}", "{ }", "[]",
            "[a, b]", "{ a: b, c: [d, e] }", "- x", "1.2", "-1", " x", "x ", "{ a: \"b, c\" }",
            "[{ a: b }, { c: d }]", "{a: b}", "[a,b]", "null", "~",
        ];
        // Mostly well indented: a key without a value opens a level, a line after a
        // value stays at its level or goes back to any outer one.
        let mut fix = String::new();
        let (mut depth, mut open) = (0usize, false);
        for (back, key, value) in lines {
            depth = if open { depth + 1 } else { depth.saturating_sub(back % 3) };
            fix.push_str(&"  ".repeat(depth));
            if value == 13 {
                fix.push_str(VALUES[value]);
                open = false;
            } else {
                fix.push_str(KEYS[key]);
                fix.push(':');
                if !VALUES[value].is_empty() {
                    fix.push(' ');
                    fix.push_str(VALUES[value]);
                }
                open = VALUES[value].is_empty();
            }
            fix.push('\n');
        }
        read_as_the_parser_reads(&fix);
    }
}

/// Fixes planned on two threads (as a findings-heavy file's are) get the edits they get
/// on one, in the same findings: each is planned on its own against the shared map.
#[test]
fn fixes_planned_on_two_threads_get_the_edits_of_one() {
    let text = crate::generate::topology(crate::generate::Shape {
        cells: 30,
        defect_every: 1,
        varied_style: true,
        ..Default::default()
    });
    let options = crate::lint::LintOptions {
        today: crate::lint::TEST_TODAY,
        ..Default::default()
    };
    let source = SourceFile::new("t.yml", text);
    let report = crate::lint::lint_source(SourceFile::new("t.yml", source.text.clone()), &options);
    let planned = |two_threads_from: usize| {
        let mut findings = report.findings.clone();
        for fix in findings.iter_mut().filter_map(|f| f.fix.as_mut()) {
            fix.edits.clear();
        }
        let (_, _, marks) = crate::yaml::from_source_marked::<crate::model::document::Document>(
            &source,
            options.reader(),
        );
        let map = super::SourceMap::new(&source, Some(&marks));
        super::attach_edits_split(&map, &mut findings, two_threads_from);
        findings.into_iter().map(|f| f.fix).collect::<Vec<_>>()
    };
    let one = planned(usize::MAX);
    let two = planned(0);
    let with_edits = one.iter().flatten().filter(|f| !f.edits.is_empty()).count();
    assert!(with_edits > 100, "only {with_edits} fixes with edits");
    assert_eq!(one, two);
    let linted: Vec<_> = report.findings.iter().map(|f| f.fix.clone()).collect();
    assert_eq!(one, linted, "the edits a lint attaches");
}
