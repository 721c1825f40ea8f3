//! One version everywhere a user copies it from: Cargo.toml (and so the binary's
//! `--version`, SARIF and JSON), Cargo.lock, the README's workflow and pre-commit
//! snippets, and the usage comment of action.yml. A release tags `v` + that version,
//! so a snippet naming another tag points at nothing.

/// Every tag named after `marker` in `text` (up to the end of the word).
fn tags_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .map(|(i, _)| {
            let rest = &text[i + marker.len()..];
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '`' || c == '"')
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

fn tag() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

#[test]
fn the_readme_and_the_action_name_the_version_in_cargo_toml() {
    let tag = tag();
    let readme = std::fs::read_to_string("README.md").unwrap();
    let action = std::fs::read_to_string("action.yml").unwrap();

    let uses = tags_after(&readme, "uses: infra-lint/infra-lint@");
    assert!(!uses.is_empty(), "the README shows the action");
    let revs = tags_after(&readme, "rev: ");
    assert!(!revs.is_empty(), "the README shows the pre-commit hook");
    let action_uses = tags_after(&action, "uses: infra-lint/infra-lint@");
    assert!(
        !action_uses.is_empty(),
        "action.yml's comment shows its use"
    );
    for (what, found) in [
        ("README `uses:`", uses),
        ("README pre-commit `rev:`", revs),
        ("action.yml `uses:`", action_uses),
    ] {
        for t in found {
            assert_eq!(t, tag, "{what} names {t}, Cargo.toml is {tag}");
        }
    }
}

#[test]
fn cargo_lock_holds_the_version_of_cargo_toml() {
    for lock in ["Cargo.lock", "fuzz/Cargo.lock"] {
        let text = std::fs::read_to_string(lock).unwrap();
        let entry = text
            .split("[[package]]")
            .find(|p| p.contains("\nname = \"infra-lint\"\n"))
            .unwrap_or_else(|| panic!("{lock} lists infra-lint"));
        assert!(
            entry.contains(&format!("\nversion = \"{}\"\n", env!("CARGO_PKG_VERSION"))),
            "{lock}: {entry}"
        );
    }
}
