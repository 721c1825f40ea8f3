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
