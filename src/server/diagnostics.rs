//! Findings as diagnostics, and their fixes as code actions.

use std::collections::HashMap;
use std::str::FromStr;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeDescription, Diagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range, TextEdit,
    Uri, WorkspaceEdit,
};

use super::{FIX_ALL, Linted, View};
use crate::finding::{Finding, Severity};
use crate::fix::Applicability;
use crate::lint::FileReport;

/// The diagnostics of a report: every finding that is not suppressed.
pub fn of(view: &View, report: &FileReport) -> Vec<Diagnostic> {
    report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| diagnostic(view, f))
        .collect()
}

fn diagnostic(view: &View, f: &Finding) -> Diagnostic {
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = f
        .related
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location {
                uri: view.uri.clone(),
                range: view.range(label.span),
            },
            message: label.text.clone(),
        })
        .collect();
    Diagnostic {
        range: view.range(f.span),
        severity: Some(match f.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Info => DiagnosticSeverity::INFORMATION,
        }),
        code: Some(NumberOrString::String(f.rule.code.to_string())),
        code_description: Uri::from_str(&crate::output::help_uri(f.rule))
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some("infra-lint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

fn overlaps(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

fn wanted(params: &CodeActionParams, kind: &CodeActionKind) -> bool {
    params.context.only.as_ref().is_none_or(|only| {
        only.iter().any(|o| {
            kind.as_str() == o.as_str() || kind.as_str().starts_with(&format!("{}.", o.as_str()))
        })
    })
}

fn workspace_edit(uri: &Uri, edits: Vec<TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

/// The quick fixes of the findings in the asked range (each fix that has edits), and,
/// when there is a safe fix to apply, "fix all safe fixes" as one edit of the whole
/// document.
pub fn code_actions(
    view: &View,
    lint: Option<&Linted>,
    params: &CodeActionParams,
) -> Vec<CodeActionOrCommand> {
    let Some(lint) = lint else {
        return Vec::new();
    };
    let mut actions = Vec::new();
    let quickfix = CodeActionKind::QUICKFIX;
    if wanted(params, &quickfix) {
        for f in lint
            .report
            .findings
            .iter()
            .filter(|f| f.suppressed.is_none())
        {
            let Some(fix) = f.fix.as_ref().filter(|x| !x.edits.is_empty()) else {
                continue;
            };
            let d = diagnostic(view, f);
            if !overlaps(d.range, params.range) {
                continue;
            }
            let edits = fix
                .edits
                .iter()
                .map(|e| TextEdit {
                    range: view.range(crate::source::Span::new(e.start, e.end)),
                    new_text: e.content.clone(),
                })
                .collect();
            let unsafe_note = if fix.applicability == Applicability::Unsafe {
                " (unsafe: changes the design)"
            } else {
                ""
            };
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("{}: {}{unsafe_note}", f.rule.code, fix.description),
                kind: Some(quickfix.clone()),
                diagnostics: Some(vec![d]),
                edit: Some(workspace_edit(view.uri, edits)),
                is_preferred: Some(fix.applicability == Applicability::Safe),
                ..CodeAction::default()
            }));
        }
    }
    let fix_all = CodeActionKind::new(FIX_ALL);
    let has_safe = lint.report.findings.iter().any(|f| {
        f.suppressed.is_none()
            && f.fix
                .as_ref()
                .is_some_and(|x| x.applicability == Applicability::Safe && !x.edits.is_empty())
    });
    if has_safe && wanted(params, &fix_all) {
        let per_file = |f: &Finding| {
            let mut one = FileReport {
                source: crate::source::SourceFile::new(lint.display.clone(), String::new()),
                valid: true,
                findings: vec![f.clone()],
                outline: None,
            };
            crate::apply_per_file_ignores(&lint.config, &mut one);
            one.findings.is_empty()
        };
        let fixed =
            crate::fix::apply::fix_text(&lint.display, view.text, &lint.options, false, &per_file);
        if !fixed.applied.is_empty() && fixed.text != view.text {
            let whole = view.range(crate::source::Span::new(0, view.text.len()));
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: match fixed.applied.len() {
                    1 => "infra-lint: apply the safe fix".to_string(),
                    n => format!("infra-lint: apply the {n} safe fixes"),
                },
                kind: Some(fix_all),
                edit: Some(workspace_edit(
                    view.uri,
                    vec![TextEdit {
                        range: whole,
                        new_text: fixed.text,
                    }],
                )),
                ..CodeAction::default()
            }));
        }
    }
    actions
}
