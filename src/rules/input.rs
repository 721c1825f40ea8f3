//! Input problems: the file is not a valid topology. The YAML reader and validation
//! report these; they are always errors and cannot be suppressed.

declare_rule!(IL001, "invalid-yaml", Input, Error, none);
declare_rule!(IL002, "schema-violation", Input, Error, none);
declare_rule!(IL003, "unknown-reference", Input, Error, none);
declare_rule!(IL004, "duplicate-definition", Input, Error, none);
declare_rule!(IL005, "unsupported-version", Input, Error, none);
declare_rule!(IL006, "invalid-value", Input, Error, none);
