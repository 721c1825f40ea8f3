//! Findings of an import itself (Compose, Kubernetes, Threagile): what the importer
//! guessed, assumed, could not resolve or could not read. The importers report them,
//! pointing into the source file; they are suppressible like any other rule.

declare_rule!(IMP001, "guessed-kind", Import, Info, none);
declare_rule!(IMP002, "unresolved-reference", Import, Warning, none);
declare_rule!(IMP003, "datastore-without-clients", Import, Warning, none);
declare_rule!(IMP004, "assumed-default", Import, Info, none);
declare_rule!(IMP005, "unsupported-input", Import, Warning, none);
