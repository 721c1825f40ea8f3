//! `--statistics`: how many findings each rule has, most first.

use std::collections::BTreeMap;

use crate::lint::FileReport;

/// The counts table, one rule per line: count, code, name, severity; then suppressed.
pub fn table(files: &[FileReport]) -> String {
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
    let mut out = String::new();
    for ((code, name, severity), (count, suppressed)) in rows {
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
