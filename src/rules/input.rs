//! Input problems: the file is not a valid topology. The YAML reader and validation
//! report these; they are always errors and cannot be suppressed.

use super::{Category, Rule};
use crate::finding::Severity;

macro_rules! input_rule {
    ($id:ident, $name:literal) => {
        #[doc = concat!("`", stringify!($id), "` ", $name, ".")]
        pub static $id: Rule = Rule {
            code: stringify!($id),
            name: $name,
            category: Category::Input,
            severity: Severity::Error,
            doc: include_str!(concat!("../../rules/", stringify!($id), ".md")),
            check: None,
        };
    };
}

input_rule!(IL001, "invalid-yaml");
input_rule!(IL002, "schema-violation");
input_rule!(IL003, "unknown-reference");
input_rule!(IL004, "duplicate-definition");
input_rule!(IL005, "unsupported-version");
input_rule!(IL006, "invalid-value");
