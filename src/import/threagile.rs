//! placeholder
use super::Imported;
use crate::finding::Finding;
use crate::source::SourceFile;
use crate::yaml::Limits;

/// Reads the file.
pub fn import(_source: &SourceFile, _limits: Limits) -> Result<Imported, Vec<Finding>> {
    Err(Vec::new())
}
