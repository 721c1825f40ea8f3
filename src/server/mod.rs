//! `infra-lint server`: a Language Server Protocol server over stdio.
//!
//! One thread reads the client's messages; the main thread keeps the open documents,
//! lints them with the same lint and configuration as the command line, and answers.
//! A change is linted once the client has been quiet for [`DEBOUNCE`], and only its
//! latest text: a burst of keystrokes costs one lint. Requests about a document whose
//! lint is pending lint it first, so every answer is about the text the client has.

pub mod assist;
pub mod diagnostics;
pub mod index;
pub mod navigation;
pub mod position;
pub mod transport;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{Uri, notification as note, request as req};
use serde::de::DeserializeOwned;

use crate::config::{self, Config};
use crate::lint::{FileReport, LintOptions};
use crate::model::Date;
use crate::source::SourceFile;
use index::IdIndex;
use position::{Encoding, LineIndex};
use transport::Incoming;

/// How long the client must be quiet after a change before it is linted.
pub const DEBOUNCE: Duration = Duration::from_millis(40);

/// How the server lints.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The date certificate and suppression checks compare against.
    pub today: Date,
}

/// One open document.
struct Document {
    uri: Uri,
    /// The file it is, for the configuration and per-file ignores (None: not a file).
    path: Option<PathBuf>,
    version: i32,
    text: String,
    lines: LineIndex,
    /// When a change is due to be linted.
    due: Option<Instant>,
    /// The lint of the current text, once done.
    lint: Option<Linted>,
    /// The id index of the current text (None until asked, or when it does not parse).
    index: Option<Option<IdIndex>>,
    /// The id index of the last text that parsed, for completion while typing.
    last_index: Option<IdIndex>,
    /// The documented keys of the current text (None until asked).
    keys: Option<Option<assist::KeyDocs>>,
}

/// A document's lint.
pub struct Linted {
    /// The report, findings as the command line has them.
    pub report: FileReport,
    /// The options it was linted with.
    pub options: LintOptions,
    /// The configuration it was linted with.
    pub config: Config,
    /// The file's path as the configuration's per-file ignores see it.
    pub display: String,
}

/// What a document view hands to the features: its text and positions.
pub struct View<'a> {
    /// The document's address.
    pub uri: &'a Uri,
    /// Its text.
    pub text: &'a str,
    /// Its lines.
    pub lines: &'a LineIndex,
    /// The agreed position encoding.
    pub encoding: Encoding,
}

impl View<'_> {
    /// The range of a span.
    pub fn range(&self, span: crate::source::Span) -> lsp_types::Range {
        self.lines.range(self.text, span, self.encoding)
    }

    /// The byte offset of a position.
    pub fn offset(&self, position: lsp_types::Position) -> usize {
        self.lines.offset(self.text, position, self.encoding)
    }
}

/// Where the session is in the protocol's lifecycle.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Uninitialized,
    Running,
    ShutDown,
}

/// The server's state.
struct Server {
    options: ServerOptions,
    encoding: Encoding,
    state: State,
    documents: BTreeMap<String, Document>,
    /// Configuration errors shown already (each is shown once, not at every change).
    warned: std::collections::BTreeSet<String>,
}

/// What the main loop does next.
enum Flow {
    Continue,
    Exit(i32),
}

/// Runs the server on stdin and stdout until the client says `exit` (exit code 0 after
/// `shutdown`, 1 without) or closes the input (1).
pub fn run(options: ServerOptions) -> i32 {
    let (tx, rx) = mpsc::channel::<Incoming>();
    let reader = std::thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut input = stdin.lock();
            while let Some(incoming) = transport::read(&mut input) {
                let exit = matches!(&incoming, Incoming::Message(Message::Notification(n)) if n.method == note::Exit::METHOD);
                if tx.send(incoming).is_err() || exit {
                    break;
                }
            }
        });
    if reader.is_err() {
        eprintln!("infra-lint server: cannot start the reader thread");
        return 1;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut server = Server {
        options,
        encoding: Encoding::Utf16,
        state: State::Uninitialized,
        documents: BTreeMap::new(),
        warned: std::collections::BTreeSet::new(),
    };
    loop {
        let next = match server.next_due() {
            Some(due) => rx.recv_timeout(due.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        let mut sent = Vec::new();
        let flow = match next {
            Ok(Incoming::Message(message)) => server.handle(message, &mut sent),
            Ok(Incoming::Malformed(why)) => {
                if !transport::write_parse_error(&mut out, &why) {
                    return 1;
                }
                Flow::Continue
            }
            Err(RecvTimeoutError::Timeout) => {
                server.lint_due(&mut sent);
                Flow::Continue
            }
            Err(RecvTimeoutError::Disconnected) => Flow::Exit(1),
        };
        // A client that never pauses must not hold back another document's lint.
        if matches!(flow, Flow::Continue)
            && server.next_due().is_some_and(|due| due <= Instant::now())
        {
            server.lint_due(&mut sent);
        }
        for message in &sent {
            if !transport::write(&mut out, message) {
                return 1;
            }
        }
        let _ = out.flush();
        if let Flow::Exit(code) = flow {
            return code;
        }
    }
}

fn respond_ok(id: RequestId, value: impl serde::Serialize) -> Message {
    match serde_json::to_value(value) {
        Ok(v) => Message::Response(Response {
            id,
            response_result: Ok(v),
        }),
        Err(e) => respond_err(id, ErrorCode::InternalError, e.to_string()),
    }
}

fn respond_err(id: RequestId, code: ErrorCode, message: impl Into<String>) -> Message {
    Message::Response(Response::new_err(id, code as i32, message.into()))
}

fn notify(method: &str, params: impl serde::Serialize) -> Option<Message> {
    let params = serde_json::to_value(params).ok()?;
    Some(Message::Notification(Notification {
        method: method.into(),
        params,
    }))
}

/// A request's answer, or the error to send.
pub type Answer = Result<serde_json::Value, (ErrorCode, String)>;

fn params<P: DeserializeOwned>(value: serde_json::Value) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(value).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn json(value: impl serde::Serialize) -> Answer {
    serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

/// The file a `file:` URI names.
pub fn uri_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///p` and `file://localhost/p`; another host is not a local file.
    let path = if rest.starts_with('/') {
        rest
    } else {
        rest.strip_prefix("localhost")?
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            decoded.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(decoded)))
    }
    #[cfg(not(unix))]
    {
        // `file:///C:/x`: the drive letter follows the slash.
        let text = String::from_utf8(decoded).ok()?;
        let text = match text.as_bytes() {
            [b'/', _, b':', ..] => text[1..].to_string(),
            _ => text,
        };
        Some(PathBuf::from(text))
    }
}

/// The configuration for a file: the nearest `infra-lint.toml` upward from it, as the
/// command line finds it (None: the defaults); an error when it cannot be read.
fn config_for(path: Option<&Path>) -> Result<Config, String> {
    let Some(dir) = path.and_then(Path::parent) else {
        return Ok(Config::default());
    };
    match config::discover(dir) {
        Some(found) => config::load(&found).map_err(|e| e.message),
        None => Ok(Config::default()),
    }
}

/// Lints a text as the command line lints the file: the same configuration, rule
/// selection, severities and per-file ignores.
pub fn lint_text(path: Option<&Path>, text: &str, today: Date) -> (Linted, Option<String>) {
    let (config, warning) = match config_for(path) {
        Ok(config) => (config, None),
        Err(message) => (Config::default(), Some(message)),
    };
    let options = LintOptions {
        today,
        rules: config::rule_set(config.select.as_deref(), &config.ignore, &config.severity),
        ..LintOptions::default()
    };
    // Per-file ignores match the path from the configuration's folder (the project's
    // root), as the command line run from there sees it.
    let display = match (path, config.path.as_deref().and_then(Path::parent)) {
        (Some(p), Some(root)) => p.strip_prefix(root).unwrap_or(p).to_string_lossy().into(),
        (Some(p), None) => p.to_string_lossy().into_owned(),
        (None, _) => "untitled".to_string(),
    };
    let mut report =
        crate::lint::lint_source(SourceFile::new(display.clone(), text.to_string()), &options);
    crate::apply_per_file_ignores(&config, &mut report);
    (
        Linted {
            report,
            options,
            config,
            display,
        },
        warning,
    )
}

impl Server {
    fn next_due(&self) -> Option<Instant> {
        self.documents.values().filter_map(|d| d.due).min()
    }

    /// Lints every document whose change is due.
    fn lint_due(&mut self, sent: &mut Vec<Message>) {
        let now = Instant::now();
        let due: Vec<String> = self
            .documents
            .iter()
            .filter(|(_, d)| d.due.is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.lint(&key, sent);
        }
    }

    /// Lints a document now and publishes its diagnostics.
    fn lint(&mut self, key: &str, sent: &mut Vec<Message>) {
        let today = self.options.today;
        let encoding = self.encoding;
        let Some(doc) = self.documents.get_mut(key) else {
            return;
        };
        doc.due = None;
        // A bug of the lint on some text must not end the session: the file gets one
        // diagnostic saying so, and the session goes on.
        let (linted, warning) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lint_text(doc.path.as_deref(), &doc.text, today)
        }))
        .unwrap_or_else(|_| {
            let display = doc.uri.as_str().to_string();
            let report = FileReport::unreadable(
                display.clone(),
                "infra-lint failed on this text: this is a bug, please report it",
                None,
            );
            let options = LintOptions {
                today,
                ..LintOptions::default()
            };
            let linted = Linted {
                report,
                options,
                config: Config::default(),
                display,
            };
            (linted, None)
        });
        if let Some(message) = warning.filter(|m| self.warned.insert(m.clone())) {
            sent.extend(notify(
                note::ShowMessage::METHOD,
                lsp_types::ShowMessageParams {
                    typ: lsp_types::MessageType::WARNING,
                    message: format!("infra-lint: {message}; linting with the defaults"),
                },
            ));
        }
        let view = View {
            uri: &doc.uri,
            text: &doc.text,
            lines: &doc.lines,
            encoding,
        };
        let diagnostics = diagnostics::of(&view, &linted.report);
        sent.extend(notify(
            note::PublishDiagnostics::METHOD,
            lsp_types::PublishDiagnosticsParams {
                uri: doc.uri.clone(),
                diagnostics,
                version: Some(doc.version),
            },
        ));
        doc.lint = Some(linted);
    }

    /// The document a request names, linted if a lint is pending.
    fn document(
        &mut self,
        uri: &Uri,
        sent: &mut Vec<Message>,
    ) -> Result<&mut Document, (ErrorCode, String)> {
        let key = uri.as_str().to_string();
        if self
            .documents
            .get(&key)
            .is_some_and(|d| d.due.is_some() || d.lint.is_none())
        {
            self.lint(&key, sent);
        }
        self.documents.get_mut(&key).ok_or_else(|| {
            (
                ErrorCode::InvalidParams,
                format!("`{}` is not open", uri.as_str()),
            )
        })
    }

    fn handle(&mut self, message: Message, sent: &mut Vec<Message>) -> Flow {
        match message {
            Message::Request(r) => self.request(r, sent),
            Message::Notification(n) => self.notification(n, sent),
            Message::Response(_) => Flow::Continue,
        }
    }

    fn request(&mut self, r: Request, sent: &mut Vec<Message>) -> Flow {
        let id = r.id.clone();
        match (self.state, r.method.as_str()) {
            (State::Uninitialized, req::Initialize::METHOD) => {
                let answer = self.initialize(r.params);
                sent.push(match answer {
                    Ok(v) => respond_ok(id, v),
                    Err((code, m)) => respond_err(id, code, m),
                });
            }
            (State::Uninitialized, _) => sent.push(respond_err(
                id,
                ErrorCode::ServerNotInitialized,
                "the server is not initialized",
            )),
            (State::Running, req::Shutdown::METHOD) => {
                self.state = State::ShutDown;
                sent.push(respond_ok(id, ()));
            }
            (State::ShutDown, _) => sent.push(respond_err(
                id,
                ErrorCode::InvalidRequest,
                "the server is shut down",
            )),
            (State::Running, req::Initialize::METHOD) => sent.push(respond_err(
                id,
                ErrorCode::InvalidRequest,
                "the server is initialized already",
            )),
            (State::Running, _) => {
                // A bug in one answer must not end the session: it becomes an error.
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut extra = Vec::new();
                    let answer = self.answer(&r.method, r.params, &mut extra);
                    (answer, extra)
                }));
                match outcome {
                    Ok((answer, extra)) => {
                        sent.extend(extra);
                        sent.push(match answer {
                            Ok(v) => respond_ok(id, v),
                            Err((code, m)) => respond_err(id, code, m),
                        });
                    }
                    Err(_) => sent.push(respond_err(
                        id,
                        ErrorCode::InternalError,
                        "infra-lint failed on this request",
                    )),
                }
            }
        }
        Flow::Continue
    }

    fn initialize(&mut self, value: serde_json::Value) -> Answer {
        let p: lsp_types::InitializeParams = params(value)?;
        let offered = p
            .capabilities
            .general
            .and_then(|g| g.position_encodings)
            .unwrap_or_default();
        self.encoding = Encoding::negotiate(&offered);
        self.state = State::Running;
        json(lsp_types::InitializeResult {
            capabilities: capabilities(self.encoding),
            server_info: Some(lsp_types::ServerInfo {
                name: "infra-lint".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    fn answer(
        &mut self,
        method: &str,
        value: serde_json::Value,
        sent: &mut Vec<Message>,
    ) -> Answer {
        let encoding = self.encoding;
        match method {
            req::CodeActionRequest::METHOD => {
                let p: lsp_types::CodeActionParams = params(value)?;
                let doc = self.document(&p.text_document.uri, sent)?;
                let (view, lint) = doc.parts(encoding);
                json(diagnostics::code_actions(&view, lint, &p))
            }
            req::GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = params(value)?;
                let at = p.text_document_position_params;
                let doc = self.document(&at.text_document.uri, sent)?;
                doc.ensure_index();
                let (view, _) = doc.parts(encoding);
                json(navigation::definition(&view, doc.index(), at.position))
            }
            req::References::METHOD => {
                let p: lsp_types::ReferenceParams = params(value)?;
                let at = p.text_document_position;
                let doc = self.document(&at.text_document.uri, sent)?;
                doc.ensure_index();
                let (view, _) = doc.parts(encoding);
                json(navigation::references(
                    &view,
                    doc.index(),
                    at.position,
                    p.context.include_declaration,
                ))
            }
            req::PrepareRenameRequest::METHOD => {
                let p: lsp_types::TextDocumentPositionParams = params(value)?;
                let doc = self.document(&p.text_document.uri, sent)?;
                doc.ensure_index();
                let (view, _) = doc.parts(encoding);
                navigation::prepare_rename(&view, doc.index(), p.position)
                    .map_err(|m| (ErrorCode::RequestFailed, m))
                    .and_then(json)
            }
            req::Rename::METHOD => {
                let p: lsp_types::RenameParams = params(value)?;
                let at = p.text_document_position;
                let doc = self.document(&at.text_document.uri, sent)?;
                doc.ensure_index();
                let (view, _) = doc.parts(encoding);
                navigation::rename(&view, doc.index(), at.position, &p.new_name)
                    .map_err(|m| (ErrorCode::RequestFailed, m))
                    .and_then(json)
            }
            req::DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = params(value)?;
                let doc = self.document(&p.text_document.uri, sent)?;
                doc.ensure_index();
                let (view, _) = doc.parts(encoding);
                json(navigation::symbols(&view, doc.index()))
            }
            req::Completion::METHOD => {
                let p: lsp_types::CompletionParams = params(value)?;
                let at = p.text_document_position;
                let doc = self.document(&at.text_document.uri, sent)?;
                doc.ensure_index();
                let index = doc.index().or(doc.last_index.as_ref());
                let view = View {
                    uri: &doc.uri,
                    text: &doc.text,
                    lines: &doc.lines,
                    encoding,
                };
                json(assist::completion(&view, index, at.position))
            }
            req::HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = params(value)?;
                let at = p.text_document_position_params;
                let doc = self.document(&at.text_document.uri, sent)?;
                doc.ensure_index();
                if doc.keys.is_none() {
                    doc.keys = Some(assist::KeyDocs::of(&doc.text));
                }
                let (view, lint) = doc.parts(encoding);
                let keys = doc.keys.as_ref().and_then(Option::as_ref);
                json(assist::hover(&view, doc.index(), keys, lint, at.position))
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("infra-lint does not answer `{method}`"),
            )),
        }
    }

    fn notification(&mut self, n: Notification, sent: &mut Vec<Message>) -> Flow {
        if n.method == note::Exit::METHOD {
            return Flow::Exit(if self.state == State::ShutDown { 0 } else { 1 });
        }
        if self.state != State::Running {
            return Flow::Continue;
        }
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                else {
                    return Flow::Continue;
                };
                let key = p.text_document.uri.as_str().to_string();
                let doc = Document {
                    path: uri_path(p.text_document.uri.as_str()),
                    uri: p.text_document.uri,
                    version: p.text_document.version,
                    lines: LineIndex::new(&p.text_document.text),
                    text: p.text_document.text,
                    due: None,
                    lint: None,
                    index: None,
                    last_index: None,
                    keys: None,
                };
                self.documents.insert(key.clone(), doc);
                self.lint(&key, sent);
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                else {
                    return Flow::Continue;
                };
                let encoding = self.encoding;
                let Some(doc) = self.documents.get_mut(p.text_document.uri.as_str()) else {
                    return Flow::Continue;
                };
                for change in p.content_changes {
                    match change.range {
                        Some(range) => {
                            let span = doc.lines.span(&doc.text, range, encoding);
                            doc.text.replace_range(
                                span.start as usize..span.end as usize,
                                &change.text,
                            );
                        }
                        None => doc.text = change.text,
                    }
                    doc.lines = LineIndex::new(&doc.text);
                }
                doc.version = p.text_document.version;
                doc.lint = None;
                doc.keys = None;
                if let Some(Some(index)) = doc.index.take() {
                    doc.last_index = Some(index);
                }
                doc.due = Some(Instant::now() + DEBOUNCE);
            }
            note::DidCloseTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                else {
                    return Flow::Continue;
                };
                if self
                    .documents
                    .remove(p.text_document.uri.as_str())
                    .is_some()
                {
                    sent.extend(notify(
                        note::PublishDiagnostics::METHOD,
                        lsp_types::PublishDiagnosticsParams {
                            uri: p.text_document.uri,
                            diagnostics: Vec::new(),
                            version: None,
                        },
                    ));
                }
            }
            note::DidSaveTextDocument::METHOD => {
                // The configuration may have changed beside the file: lint again.
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                    && let Some(doc) = self.documents.get_mut(p.text_document.uri.as_str())
                {
                    doc.due = Some(Instant::now());
                }
            }
            _ => {}
        }
        Flow::Continue
    }
}

impl Document {
    fn ensure_index(&mut self) {
        if self.index.is_none() {
            let limits = self
                .lint
                .as_ref()
                .map(|l| l.options.yaml)
                .unwrap_or_default();
            let source = SourceFile::new("", self.text.clone());
            let index = IdIndex::of_source(&source, limits);
            if let Some(ix) = &index {
                self.last_index = Some(ix.clone());
            }
            self.index = Some(index);
        }
    }

    fn index(&self) -> Option<&IdIndex> {
        self.index.as_ref().and_then(Option::as_ref)
    }

    fn parts(&self, encoding: Encoding) -> (View<'_>, Option<&Linted>) {
        (
            View {
                uri: &self.uri,
                text: &self.text,
                lines: &self.lines,
                encoding,
            },
            self.lint.as_ref(),
        )
    }
}

/// The code action kind of "fix all safe fixes".
pub const FIX_ALL: &str = "source.fixAll.infra-lint";

fn capabilities(encoding: Encoding) -> lsp_types::ServerCapabilities {
    use lsp_types::*;
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::new(FIX_ALL)]),
            ..CodeActionOptions::default()
        })),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into(), " ".into(), "[".into(), ",".into()]),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::TEST_TODAY;

    /// Every feature at positions all over every example, invalid example and hostile
    /// file (and past their ends), in both encodings: an answer or nothing, never a
    /// panic.
    #[test]
    fn no_feature_panics_anywhere_in_any_file() {
        let mut files = Vec::new();
        for dir in ["examples", "examples/invalid", "tests/hostile"] {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "yml") {
                    files.push(path);
                }
            }
        }
        files.sort();
        assert!(files.len() > 20, "{files:?}");
        let uri: Uri = "file:///t.topology.yml".parse().unwrap();
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            // The server gets text from the client: a non-UTF-8 file arrives decoded.
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let (linted, _) = lint_text(None, &text, TEST_TODAY);
            let lines = LineIndex::new(&text);
            let index = IdIndex::of_source(&SourceFile::new("", text.clone()), Default::default());
            let keys = assist::KeyDocs::of(&text);
            let line_count = text.lines().count() as u32 + 2;
            for encoding in [Encoding::Utf8, Encoding::Utf16] {
                let view = View {
                    uri: &uri,
                    text: &text,
                    lines: &lines,
                    encoding,
                };
                let _ = diagnostics::of(&view, &linted.report);
                let _ = navigation::symbols(&view, index.as_ref());
                for line in 0..line_count {
                    for character in [0, 1, 2, 3, 5, 8, 13, 21, 34, 80, u32::MAX] {
                        let at = lsp_types::Position { line, character };
                        let _ = assist::completion(&view, index.as_ref(), at);
                        let _ =
                            assist::hover(&view, index.as_ref(), keys.as_ref(), Some(&linted), at);
                        let _ = navigation::definition(&view, index.as_ref(), at);
                        let _ = navigation::references(&view, index.as_ref(), at, true);
                        let _ = navigation::rename(&view, index.as_ref(), at, "new-id");
                    }
                }
                let params = lsp_types::CodeActionParams {
                    text_document: lsp_types::TextDocumentIdentifier { uri: uri.clone() },
                    range: lsp_types::Range::default(),
                    context: lsp_types::CodeActionContext::default(),
                    work_done_progress_params: Default::default(),
                    partial_result_params: Default::default(),
                };
                let _ = diagnostics::code_actions(&view, Some(&linted), &params);
            }
        }
    }

    #[test]
    fn file_uris_become_paths() {
        assert_eq!(
            uri_path("file:///home/a%20b/t.yml"),
            Some(PathBuf::from("/home/a b/t.yml"))
        );
        assert_eq!(
            uri_path("file://localhost/t.yml"),
            Some(PathBuf::from("/t.yml"))
        );
        assert_eq!(uri_path("file://elsewhere/t.yml"), None);
        assert_eq!(uri_path("untitled:Untitled-1"), None);
        // A broken escape is kept as written.
        assert_eq!(uri_path("file:///a%zz"), Some(PathBuf::from("/a%zz")));
    }
}
