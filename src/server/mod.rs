//! `numgil server`: the language server. One main loop over stdio, incremental document sync,
//! push diagnostics (with the document version) and pull diagnostics, quick fixes carried in
//! `Diagnostic.data`, `# noqa` suppression, `source.fixAll.numgil`, and hover with the rule's
//! documentation and measured figure. One function per LSP method below.
//!
//! Edits are coalesced: the transport's reader thread parses messages into a queue as fast as
//! they arrive; the main loop applies every queued change to its document store in order, but
//! analyses and publishes only when the queue is empty (or a request needs fresh results), so a
//! burst of edits costs one analysis of the newest text, not one per keystroke.
//!
//! Nothing a client sends ends the session: framing errors are answered and skipped by the
//! transport, positions are clamped to the document, and a panic while handling one message is
//! caught, logged and answered with InternalError (`-32603`).

pub mod convert;
pub mod transport;
pub mod workspace;

use crate::findings::diagnostic::Diagnostic;
use convert::{FixData, to_lsp, uri_to_path};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{self as lsp, Uri};
use rustc_hash::FxHashMap;
use serde_json::Value as Json;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::mpsc::{Sender, TryRecvError};
use workspace::Workspace;

const FIX_ALL_KIND: &str = "source.fixAll.numgil";

/// With this environment variable set, the request `numgil/testPanic` panics (how the tests
/// check that a panic is contained); without it that method does not exist.
const TEST_HOOKS_ENV: &str = "NUMGIL_TEST_HOOKS";

/// An open document: the client's text, applied change by change, and whether the workspace
/// has seen this text yet.
struct OpenDoc {
    version: i32,
    path: PathBuf,
    text: String,
    synced: bool,
}

struct Server {
    out: Sender<String>,
    ws: Workspace,
    open: FxHashMap<Uri, OpenDoc>,
    /// The findings of the last analysis, by path.
    findings: FxHashMap<PathBuf, Vec<Diagnostic>>,
    /// What was last published per document (version and diagnostics), to publish only changes.
    published: FxHashMap<Uri, (Option<i32>, Vec<lsp::Diagnostic>)>,
    /// Something changed since the last analysis.
    stale: bool,
    refresh_support: bool,
    next_id: i32,
    shutting_down: bool,
}

/// What handling one message asks the main loop to do next.
enum Next {
    Continue,
    Exit(i32),
}

/// Run the server on stdin/stdout until `exit` (or the end of input). Returns the process exit
/// code: 0 after `shutdown` then `exit`, 1 otherwise.
pub fn run() -> i32 {
    let transport = transport::stdio();
    let out = transport.outgoing.clone();
    let mut server: Option<Server> = None;
    let mut code = 1;
    'session: while let Ok(first) = transport.incoming.recv() {
        let mut item = first;
        loop {
            if let transport::Incoming::Message(msg) = item {
                match handle(&out, &mut server, msg) {
                    Next::Continue => {}
                    Next::Exit(c) => {
                        code = c;
                        break 'session;
                    }
                }
            }
            match transport.incoming.try_recv() {
                Ok(next) => item = next,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => break,
            }
        }
        // The queue is empty: analyse the newest text once and publish.
        if let Some(s) = &mut server {
            let _ = guarded("analysis", || s.flush());
        }
    }
    if code == 1 {
        eprintln!("numgil server: exiting without a `shutdown` request (exit code 1)");
    }
    drop(server);
    drop(out);
    drop(transport.outgoing);
    for t in transport.threads {
        // The reader may still block on stdin; only wait for the writer to flush.
        if t.is_finished() {
            let _ = t.join();
        }
    }
    code
}

/// Run `f`, catching a panic: it is logged to stderr (the panic hook has printed where) and
/// reported as `Err`.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        eprintln!("numgil server: internal error while handling {what}: {why}");
        why
    })
}

/// One message, with the session's lifecycle rules: requests before `initialize` get
/// ServerNotInitialized, a second `initialize` and any request after `shutdown` get
/// InvalidRequest, and `exit` ends the loop (0 after `shutdown`, 1 without).
fn handle(out: &Sender<String>, server: &mut Option<Server>, msg: Message) -> Next {
    let error = |id: RequestId, code: ErrorCode, text: &str| {
        send(out, Message::Response(Response::new_err(id, code as i32, text.into())));
    };
    match msg {
        Message::Response(_) => {}
        Message::Notification(n) if n.method == "exit" => {
            return Next::Exit(i32::from(!server.as_ref().is_some_and(|s| s.shutting_down)));
        }
        Message::Notification(n) => {
            if let Some(s) = server.as_mut().filter(|s| !s.shutting_down) {
                let method = format!("notification `{}`", n.method);
                let _ = guarded(&method, || s.notification(n));
            }
        }
        Message::Request(req) => match server {
            Some(s) if s.shutting_down => error(req.id, ErrorCode::InvalidRequest, "the server is shutting down"),
            Some(_) if req.method == "initialize" => {
                error(req.id, ErrorCode::InvalidRequest, "the server is already initialized")
            }
            Some(s) => {
                let id = req.id.clone();
                let method = format!("request `{}`", req.method);
                if guarded(&method, || s.request(req)).is_err() {
                    error(
                        id,
                        ErrorCode::InternalError,
                        &format!("internal error while handling {method}; see the server's log"),
                    );
                }
            }
            None if req.method == "initialize" => {
                let id = req.id.clone();
                match guarded("request `initialize`", || Server::initialize(out.clone(), &req)) {
                    Ok((s, result)) => {
                        send(out, Message::Response(Response::new_ok(id, result)));
                        s.show_config_error();
                        *server = Some(s);
                    }
                    Err(_) => {
                        error(id, ErrorCode::InternalError, "internal error while initializing; see the server's log")
                    }
                }
            }
            None => error(req.id, ErrorCode::ServerNotInitialized, "initialize first"),
        },
    }
    Next::Continue
}

fn send(out: &Sender<String>, msg: Message) {
    let _ = out.send(transport::encode(&msg));
}

fn params<T: serde::de::DeserializeOwned>(v: Json) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| format!("invalid params: {e}"))
}

impl Server {
    fn initialize(out: std::sync::mpsc::Sender<String>, req: &Request) -> (Server, Json) {
        let p: lsp::InitializeParams = serde_json::from_value(req.params.clone()).unwrap_or_default();
        let mut roots: Vec<PathBuf> =
            p.workspace_folders.iter().flatten().filter_map(|f| uri_to_path(&f.uri)).collect();
        #[allow(deprecated)]
        if roots.is_empty()
            && let Some(root) = p.root_uri.as_ref().and_then(uri_to_path)
        {
            roots.push(root);
        }
        let refresh_support = p
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.diagnostic.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false);
        let ws = Workspace::load(roots);
        let caps = lsp::ServerCapabilities {
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(lsp::TextDocumentSyncKind::INCREMENTAL)),
            diagnostic_provider: Some(lsp::DiagnosticServerCapabilities::Options(lsp::DiagnosticOptions {
                identifier: Some("numgil".into()),
                inter_file_dependencies: true,
                workspace_diagnostics: false,
                work_done_progress_options: Default::default(),
            })),
            code_action_provider: Some(lsp::CodeActionProviderCapability::Options(lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX, lsp::CodeActionKind::new(FIX_ALL_KIND)]),
                resolve_provider: Some(false),
                work_done_progress_options: Default::default(),
            })),
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            ..Default::default()
        };
        let result = serde_json::json!({
            "capabilities": caps,
            "serverInfo": { "name": "numgil", "version": env!("CARGO_PKG_VERSION") },
        });
        let mut s = Server {
            out,
            ws,
            open: FxHashMap::default(),
            findings: FxHashMap::default(),
            published: FxHashMap::default(),
            stale: false,
            refresh_support,
            next_id: 0,
            shutting_down: false,
        };
        s.findings = s.ws.analyze();
        (s, result)
    }

    /// Tell the user, once per (re)load, that their configuration is invalid and the defaults
    /// are in use.
    fn show_config_error(&self) {
        if let Some(e) = &self.ws.config_error {
            let message = format!("{}\nnumgil uses the default settings until this is fixed.", e.trim_end());
            eprintln!("numgil server: {message}");
            self.notify("window/showMessage", lsp::ShowMessageParams { typ: lsp::MessageType::ERROR, message });
        }
    }

    fn respond(&self, id: RequestId, result: Result<Json, (ErrorCode, String)>) {
        let r = match result {
            Ok(v) => Response::new_ok(id, v),
            Err((code, msg)) => Response::new_err(id, code as i32, msg),
        };
        send(&self.out, Message::Response(r));
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        let n = Notification::new(method.to_string(), params);
        send(&self.out, Message::Notification(n));
    }

    fn request(&mut self, req: Request) {
        let id = req.id.clone();
        if req.method == "shutdown" {
            self.shutting_down = true;
            return self.respond(id, Ok(Json::Null));
        }
        // Answers reflect every change received so far.
        self.flush();
        let result = match req.method.as_str() {
            "textDocument/diagnostic" => self.document_diagnostic(req.params),
            "textDocument/codeAction" => self.code_action(req.params),
            "textDocument/hover" => self.hover(req.params),
            "numgil/testPanic" if std::env::var_os(TEST_HOOKS_ENV).is_some() => {
                panic!("numgil/testPanic: a panic on purpose ({TEST_HOOKS_ENV} is set)")
            }
            other => Err((ErrorCode::MethodNotFound, format!("unknown method `{other}`"))),
        };
        self.respond(id, result);
    }

    fn notification(&mut self, n: Notification) {
        let result = match n.method.as_str() {
            "textDocument/didOpen" => self.did_open(n.params),
            "textDocument/didChange" => self.did_change(n.params),
            "textDocument/didClose" => self.did_close(n.params),
            "workspace/didChangeWatchedFiles" => self.did_change_watched_files(n.params),
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.notify("window/logMessage", lsp::LogMessageParams { typ: lsp::MessageType::ERROR, message: e });
        }
    }

    // ----- notifications -------------------------------------------------------------------

    fn did_open(&mut self, p: Json) -> Result<(), String> {
        let p: lsp::DidOpenTextDocumentParams = params(p)?;
        let path = uri_to_path(&p.text_document.uri).ok_or("not a file:// URI")?;
        let doc = OpenDoc { version: p.text_document.version, path, text: p.text_document.text, synced: false };
        self.open.insert(p.text_document.uri, doc);
        self.stale = true;
        Ok(())
    }

    /// Apply the changes to the document store in order (ranged or whole); the analysis
    /// happens later, once for all the changes queued.
    fn did_change(&mut self, p: Json) -> Result<(), String> {
        let p: lsp::DidChangeTextDocumentParams = params(p)?;
        let doc = self.open.get_mut(&p.text_document.uri).ok_or("didChange for a document that is not open")?;
        doc.version = p.text_document.version;
        for change in p.content_changes {
            convert::apply_change(&mut doc.text, change);
        }
        doc.synced = false;
        self.stale = true;
        Ok(())
    }

    fn did_close(&mut self, p: Json) -> Result<(), String> {
        let p: lsp::DidCloseTextDocumentParams = params(p)?;
        let doc = self.open.remove(&p.text_document.uri).ok_or("didClose for a document that is not open")?;
        self.ws.reload_from_disk(&doc.path);
        self.published.remove(&p.text_document.uri);
        self.notify(
            "textDocument/publishDiagnostics",
            lsp::PublishDiagnosticsParams { uri: p.text_document.uri, diagnostics: Vec::new(), version: None },
        );
        self.stale = true;
        Ok(())
    }

    fn did_change_watched_files(&mut self, p: Json) -> Result<(), String> {
        let p: lsp::DidChangeWatchedFilesParams = params(p)?;
        let mut settings_changed = false;
        for change in p.changes {
            let Some(path) = uri_to_path(&change.uri) else { continue };
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name == "pyproject.toml" || name == "numgil.toml" {
                settings_changed = true;
            } else if path.extension().is_some_and(|e| e == "py" || e == "pyi") && !self.open.contains_key(&change.uri)
            {
                self.ws.reload_from_disk(&path);
            }
        }
        if settings_changed {
            self.ws.reload_settings();
            self.show_config_error();
        }
        self.stale = true;
        Ok(())
    }

    /// Bring the workspace up to date with the document store (the newest text of each changed
    /// document, parsed once) and, when anything changed, analyse and publish.
    fn flush(&mut self) {
        for doc in self.open.values_mut().filter(|d| !d.synced) {
            self.ws.set_text(&doc.path, doc.text.clone());
            doc.synced = true;
        }
        if std::mem::take(&mut self.stale) {
            self.reanalyze();
        }
    }

    /// Analyse the project and publish every open document whose findings or version changed.
    fn reanalyze(&mut self) {
        self.findings = self.ws.analyze();
        let mut changed = false;
        let uris: Vec<Uri> = self.open.keys().cloned().collect();
        for uri in uris {
            let diags = self.lsp_diagnostics(&uri);
            let version = self.open.get(&uri).map(|d| d.version);
            if let Some((v, old)) = self.published.get(&uri)
                && *v == version
                && *old == diags
            {
                continue;
            }
            changed |= self.published.get(&uri).is_none_or(|(_, old)| *old != diags);
            self.published.insert(uri.clone(), (version, diags.clone()));
            self.notify(
                "textDocument/publishDiagnostics",
                lsp::PublishDiagnosticsParams { uri, diagnostics: diags, version },
            );
        }
        if changed && self.refresh_support {
            self.next_id += 1;
            let req = Request::new(
                RequestId::from(format!("numgil-refresh-{}", self.next_id)),
                "workspace/diagnostic/refresh".into(),
                Json::Null,
            );
            send(&self.out, Message::Request(req));
        }
    }

    fn lsp_diagnostics(&self, uri: &Uri) -> Vec<lsp::Diagnostic> {
        let Some(doc) = self.open.get(uri) else { return Vec::new() };
        let Some(module) = self.ws.module(&doc.path) else { return Vec::new() };
        let key = std::fs::canonicalize(&doc.path).unwrap_or_else(|_| doc.path.clone());
        self.findings.get(&key).map_or_else(Vec::new, |ds| ds.iter().map(|d| to_lsp(d, &module.source)).collect())
    }

    fn open_doc(&self, uri: &Uri) -> Result<&OpenDoc, (ErrorCode, String)> {
        self.open.get(uri).ok_or((ErrorCode::InvalidParams, format!("document `{}` is not open", uri.as_str())))
    }

    // ----- requests ----------------------------------------------------------------------------

    fn document_diagnostic(&self, p: Json) -> Result<Json, (ErrorCode, String)> {
        let p: lsp::DocumentDiagnosticParams = params(p).map_err(|e| (ErrorCode::InvalidParams, e))?;
        self.open_doc(&p.text_document.uri)?;
        let items = self.lsp_diagnostics(&p.text_document.uri);
        let report = lsp::DocumentDiagnosticReport::Full(lsp::RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport { result_id: None, items },
        });
        Ok(serde_json::to_value(report).unwrap_or_default())
    }

    // `WorkspaceEdit.changes` is a `HashMap<Uri, _>` by lsp-types' definition; `Uri` caches its
    // parse internally, which clippy reads as a mutable key.
    #[allow(clippy::mutable_key_type)]
    fn code_action(&self, p: Json) -> Result<Json, (ErrorCode, String)> {
        let p: lsp::CodeActionParams = params(p).map_err(|e| (ErrorCode::InvalidParams, e))?;
        let uri = p.text_document.uri.clone();
        let doc = self.open_doc(&uri)?;
        let module = self.ws.module(&doc.path).ok_or((ErrorCode::InternalError, "document not indexed".into()))?;
        let wants =
            |kind: &str| p.context.only.as_ref().is_none_or(|only| only.iter().any(|k| kind.starts_with(k.as_str())));
        let mut actions: Vec<lsp::CodeActionOrCommand> = Vec::new();
        let edit = |edits: Vec<lsp::TextEdit>| {
            let mut changes = std::collections::HashMap::new();
            changes.insert(uri.clone(), edits);
            lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }
        };
        for d in p.context.diagnostics.iter().filter(|d| d.source.as_deref() == Some("numgil")) {
            let Some(lsp::NumberOrString::String(code)) = &d.code else { continue };
            if wants("quickfix")
                && let Some(fix) = d.data.clone().and_then(|v| serde_json::from_value::<FixData>(v).ok())
            {
                actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: format!("{code}: {}{}", fix.title, if fix.safe { "" } else { " (unsafe)" }),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![d.clone()]),
                    edit: Some(edit(fix.edits)),
                    is_preferred: Some(fix.safe),
                    ..Default::default()
                }));
            }
            if wants("quickfix") && code != "NG001" && code != "NG002" {
                actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: format!("Suppress with `# noqa: {code}`"),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![d.clone()]),
                    edit: Some(edit(vec![noqa_edit(&module.source, d.range.start.line, code)])),
                    ..Default::default()
                }));
            }
        }
        if wants(FIX_ALL_KIND)
            && p.context.only.as_ref().is_some_and(|o| o.iter().any(|k| FIX_ALL_KIND.starts_with(k.as_str())))
        {
            let key = std::fs::canonicalize(&doc.path).unwrap_or_else(|_| doc.path.clone());
            let fixes: Vec<&crate::findings::fix::Fix> =
                self.findings.get(&key).into_iter().flatten().filter_map(|d| d.fix.as_ref()).collect();
            let (fixed, n) =
                crate::findings::fix::apply(&module.source.text, fixes, crate::findings::fix::FixMode::Safe);
            if n > 0 {
                let whole = convert::range(
                    &module.source,
                    ruff_text_size::TextRange::up_to(ruff_text_size::TextSize::of(module.source.text.as_str())),
                );
                actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: format!("numgil: apply {n} safe fix{}", if n == 1 { "" } else { "es" }),
                    kind: Some(lsp::CodeActionKind::new(FIX_ALL_KIND)),
                    edit: Some(edit(vec![lsp::TextEdit { range: whole, new_text: fixed }])),
                    ..Default::default()
                }));
            }
        }
        Ok(serde_json::to_value(actions).unwrap_or_default())
    }

    fn hover(&self, p: Json) -> Result<Json, (ErrorCode, String)> {
        let p: lsp::HoverParams = params(p).map_err(|e| (ErrorCode::InvalidParams, e))?;
        let uri = &p.text_document_position_params.text_document.uri;
        let doc = self.open_doc(uri)?;
        let module = self.ws.module(&doc.path).ok_or((ErrorCode::InternalError, "document not indexed".into()))?;
        let at = convert::offset(&module.source, p.text_document_position_params.position);
        let key = std::fs::canonicalize(&doc.path).unwrap_or_else(|_| doc.path.clone());
        let Some(d) = self.findings.get(&key).into_iter().flatten().find(|d| d.range.contains_inclusive(at)) else {
            return Ok(Json::Null);
        };
        let mut text = format!("**{} {}**: {}\n\n", d.code, d.name, d.message);
        if let Some(h) = &d.help {
            text.push_str(&format!("{h}\n\n"));
        }
        if let Some(e) = &d.evidence {
            text.push_str(&format!("*{}*\n\n", e.text));
        }
        if let Some(t) = &d.task {
            text.push_str(&format!("{}\n\n", t.describe()));
        }
        if let Some(meta) = crate::rules::meta_for(d.code) {
            text.push_str("---\n\n");
            text.push_str(&crate::render::docs::markdown(meta));
        }
        let hover = lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: text }),
            range: Some(convert::range(&module.source, d.range)),
        };
        Ok(serde_json::to_value(hover).unwrap_or_default())
    }
}

/// Add `# noqa: CODE` at the end of a line, or add the code to an existing `# noqa:` list. The
/// line comes from the client (a diagnostic it holds may be stale), so it is clamped to the
/// document.
fn noqa_edit(source: &crate::files::source::SourceFile, line: u32, code: &str) -> lsp::TextEdit {
    let line = convert::clamp(source, lsp::Position { line, character: 0 }).line;
    let range = source.line_range(line as usize + 1);
    let text = &source.text[range];
    let end = convert::position(source, range.end());
    if let Some(i) = text.find("# noqa:") {
        let at = range.start() + ruff_text_size::TextSize::from((i + "# noqa:".len()) as u32);
        let pos = convert::position(source, at);
        return lsp::TextEdit { range: lsp::Range { start: pos, end: pos }, new_text: format!(" {code},") };
    }
    lsp::TextEdit { range: lsp::Range { start: end, end }, new_text: format!("  # noqa: {code}") }
}
