//! Threagile models: detected, not imported yet (see IMPORT-NOTES.md). A model is
//! refused with a clear input error rather than imported half-way.

use super::Imported;
use crate::finding::Finding;
use crate::source::{SourceFile, Span};

/// Refuses a Threagile model: its importer is not built yet.
pub fn import(source: &SourceFile, _limits: crate::yaml::Limits) -> Result<Imported, Vec<Finding>> {
    let at = source.text.find("threagile_version").unwrap_or(0);
    Err(vec![
        super::invalid(
            Span::new(
                at,
                at + "threagile_version".len().min(source.text.len() - at),
            ),
            "Threagile models are recognised but not imported yet",
            "a Threagile model",
        )
        .help("import Docker Compose files (--from compose) or Kubernetes manifests (--from k8s)"),
    ])
}
