//! Baselines: the fingerprints of accepted findings, so a run reports only new ones.
//! A fingerprint is the rule, the file, the ids involved and the text pointed at, never
//! a line number.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::lint::FileReport;

/// The baseline file.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The format version, 1.
    pub schema_version: u32,
    /// Sorted fingerprints.
    pub fingerprints: BTreeSet<String>,
}

impl Baseline {
    /// The fingerprints of every unsuppressed finding of a run.
    pub fn of(files: &[FileReport]) -> Baseline {
        let fingerprints = files
            .iter()
            .flat_map(|f| {
                f.findings
                    .iter()
                    .zip(crate::finding::fingerprints(&f.findings, &f.source))
                    .filter(|(x, _)| x.suppressed.is_none())
                    .map(|(_, fingerprint)| fingerprint)
            })
            .collect();
        Baseline {
            schema_version: 1,
            fingerprints,
        }
    }

    /// Writes it as JSON, atomically (see [`crate::safe_write`]).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        crate::safe_write::write_atomic(path, (text + "\n").as_bytes())
    }

    /// Reads a baseline file of at most `limit` bytes.
    pub fn load(path: &Path, limit: u64) -> Result<Baseline, String> {
        let fail = |why: String| format!("{}: cannot read the baseline: {why}", path.display());
        let text = crate::source::read_text(path, limit, || {
            format!("it is over the file size limit of {limit} bytes (--max-file-size)")
        })
        .map_err(fail)?;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: not a baseline: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if baseline.schema_version != 1 {
            return Err(format!(
                "{}: baseline schema_version {} is not 1",
                path.display(),
                baseline.schema_version
            ));
        }
        Ok(baseline)
    }

    /// Drops the findings the baseline already holds.
    pub fn filter(&self, files: &mut [FileReport]) {
        for file in files {
            let mut fingerprints =
                crate::finding::fingerprints(&file.findings, &file.source).into_iter();
            file.findings.retain(|f| {
                let fingerprint = fingerprints.next().unwrap_or_default();
                f.rule.category == crate::rules::Category::Input
                    || !self.fingerprints.contains(&fingerprint)
            });
        }
    }
}
