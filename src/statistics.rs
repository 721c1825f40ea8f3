//! `--statistics`: how many findings each rule has, most first.

use std::collections::BTreeMap;

use crate::lint::FileReport;

/// The counts as JSON, most first: `[{ "code", "name", "severity", "count",
/// "suppressed" }]`, the same rows as [`table`].
pub fn json(files: &[FileReport]) -> String {
    let rows: Vec<serde_json::Value> = rows(files)
        .into_iter()
        .map(|((code, name, severity), (count, suppressed))| {
            serde_json::json!({
                "code": code,
                "name": name,
                "severity": severity,
                "count": count,
                "suppressed": suppressed,
            })
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into()) + "\n"
}

type Row<'a> = ((&'a str, &'a str, &'a str), (usize, usize));

/// Per rule and severity: unsuppressed and suppressed counts, most first.
fn rows(files: &[FileReport]) -> Vec<Row<'_>> {
    let mut counts: BTreeMap<(&str, &str, &str), (usize, usize)> = BTreeMap::new();
    for f in files.iter().flat_map(|r| &r.findings) {
        let entry = counts
            .entry((f.rule.code, f.rule.name, f.severity.as_str()))
            .or_default();
        if f.suppressed.is_some() {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    rows
}

/// The counts table, one rule per line: count, code, name, severity; then suppressed.
pub fn table(files: &[FileReport]) -> String {
    let mut out = String::new();
    for ((code, name, severity), (count, suppressed)) in rows(files) {
        let note = if suppressed > 0 {
            format!(" ({suppressed} suppressed)")
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{count:>6}  {code:<8} {name:<30} {severity}{note}\n"
        ));
    }
    if out.is_empty() {
        out.push_str("no findings\n");
    }
    out
}
