//! `infra-lint server` driven over stdio as an editor drives it: the real binary, the
//! protocol's framing, edits applied to the text as a client applies them, and the
//! result checked by the library's own lint.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use infra_lint::lint::{FileReport, LintOptions, TEST_TODAY, lint_source};
use infra_lint::source::SourceFile;
use serde_json::{Value, json};

/// Long enough for a debug build on a loaded two-core machine; a hang fails here.
const WAIT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: mpsc::Receiver<Value>,
    /// Notifications and responses read while waiting for something else.
    stash: Vec<Value>,
    next_id: i64,
}

fn read_frame(r: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse().ok();
        }
    }
    let mut body = vec![0; length?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start(dir: &Path) -> Client {
        let today = TEST_TODAY.to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_infra-lint"))
            .args(["server", "--today", &today])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start infra-lint server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(v) = read_frame(&mut r) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Client {
            stdin: child.stdin.take(),
            child,
            incoming: rx,
            stash: Vec::new(),
            next_id: 0,
        }
    }

    fn send_raw(&mut self, body: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        write!(stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        stdin.write_all(body).unwrap();
        stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        self.send_raw(message.to_string().as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The first message (stashed or new) that `want` accepts.
    fn wait_for(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.stash.iter().position(&want) {
            return self.stash.remove(i);
        }
        loop {
            let v = self
                .incoming
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("no {what} from the server"));
            if want(&v) {
                return v;
            }
            self.stash.push(v);
        }
    }

    /// Sends a request and returns its whole response.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(method, |v| v["id"] == id && v.get("method").is_none())
    }

    /// Sends a request and returns its result, which must not be an error.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.call(method, params);
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let v = self.wait_for("diagnostics", |v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == uri
                && v["params"]["version"] == version
        });
        v["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn exit_code(mut self) -> Option<i32> {
        drop(self.stdin.take());
        for _ in 0..(WAIT.as_millis() / 20) {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the server did not exit");
    }
}

/// The byte offset of an LSP position (UTF-16 columns) in a text with LF lines.
fn offset(text: &str, pos: &Value) -> usize {
    let line = pos["line"].as_u64().unwrap() as usize;
    let character = pos["character"].as_u64().unwrap() as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The UTF-16 position of the `nth` occurrence of `needle`, plus `chars` characters.
fn position_of(text: &str, needle: &str, nth: usize, chars: usize) -> Value {
    let at = text.match_indices(needle).nth(nth).expect(needle).0;
    let line = text[..at].matches('\n').count();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut character: usize = text[line_start..at].encode_utf16().count();
    character += text[at..]
        .chars()
        .take(chars)
        .map(char::len_utf16)
        .sum::<usize>();
    json!({ "line": line, "character": character })
}

/// Applies a WorkspaceEdit's edits of `uri` to `text` as a client does.
fn apply(text: &str, edit: &Value, uri: &str) -> String {
    let mut edits: Vec<(usize, usize, String)> = edit["changes"][uri]
        .as_array()
        .expect("edits of the document")
        .iter()
        .map(|e| {
            (
                offset(text, &e["range"]["start"]),
                offset(text, &e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}

fn lint(text: &str) -> FileReport {
    let options = LintOptions {
        today: TEST_TODAY,
        ..LintOptions::default()
    };
    lint_source(
        SourceFile::new("t.topology.yml", text.to_string()),
        &options,
    )
}

fn codes(report: &FileReport) -> Vec<&'static str> {
    report.findings.iter().map(|f| f.rule.code).collect()
}

/// The distributed example with non-ASCII text before findings and before ids on their
/// lines (so a UTF-16 column taken for bytes lands elsewhere) and a suppression.
fn topology() -> String {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/02-distributed.topology.yml"),
    )
    .unwrap();
    let body = &example[example.find("version: 1").unwrap()..];
    body.replace(
        "description: One HAProxy",
        "description: \"Café ☕ 😀: one HAProxy\"\n# ",
    )
    .replace(
        "  - { from: web-1, to: app-1,",
        "  - { description: \"café ☕ 😀\", from: web-1, to: app-1,",
    )
    .replace(
        "  - { from: app-2, to: db-primary,",
        "  - { description: \"😀😀\", from: app-2, to: db-primary,",
    )
    .replace(
        "  lb-1:\n    kind: load_balancer\n",
        "  lb-1:\n    kind: load_balancer # 😀 é\n    suppress:\n      - { rule: TLS004, reason: the CDN redirects }\n",
    )
}

fn session() -> (tempfile::TempDir, Client, String, String) {
    let dir = tempfile::tempdir().unwrap();
    // Configuration discovery stops at a repository's root.
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let file = dir.path().join("site.topology.yml");
    let text = topology();
    std::fs::write(&file, &text).unwrap();
    let uri = format!("file://{}", file.display());
    let mut client = Client::start(dir.path());
    let init = client.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {
            "general": { "positionEncodings": ["utf-16"] } } }),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    client.notify("initialized", json!({}));
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": text } }),
    );
    (dir, client, uri, text)
}

fn diagnostic<'a>(diags: &'a [Value], code: &str) -> &'a Value {
    diags
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("no {code} among {diags:#?}"))
}

#[test]
fn an_editor_session_from_open_to_exit() {
    let (_dir, mut client, uri, text) = session();
    let doc = json!({ "uri": uri });

    // Diagnostics on open: the same findings as the command line, where it puts them.
    let diags = client.diagnostics(&uri, 1);
    let mut got: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    got.sort_unstable();
    let report = lint(&text);
    // The suppressed finding (TLS004 on lb-1) is not shown.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule.code == "TLS004" && f.suppressed.is_some())
    );
    let mut want: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| f.rule.code)
        .collect();
    want.sort_unstable();
    assert_eq!(got, want);
    let lb002 = diagnostic(&diags, "LB002");
    assert_eq!(lb002["source"], "infra-lint");
    assert_eq!(lb002["severity"], 2, "a warning");
    assert!(
        lb002["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/rules/LB002.md")
    );
    // The range is the finding's span, in UTF-16 columns past the emoji above it.
    let f = report
        .findings
        .iter()
        .find(|f| f.rule.code == "LB002")
        .unwrap();
    let start = offset(&text, &lb002["range"]["start"]);
    let end = offset(&text, &lb002["range"]["end"]);
    assert_eq!((start, end), (f.span.start as usize, f.span.end as usize));
    assert!(
        diags
            .iter()
            .any(|d| d["relatedInformation"][0]["location"]["uri"] == uri),
        "labels become related information"
    );

    // A quick fix, applied as the client applies it: the file stays a valid topology
    // and the finding is gone.
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": doc, "range": lb002["range"],
                "context": { "diagnostics": [lb002], "only": ["quickfix"] } }),
    );
    let action = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("LB002: "))
        .expect("a quick fix for LB002");
    assert_eq!(action["kind"], "quickfix");
    let fixed = apply(&text, &action["edit"], &uri);
    let after = lint(&fixed);
    assert!(after.valid, "{:?}", codes(&after));
    assert!(!codes(&after).iter().any(|c| c.starts_with("IL")));
    assert!(!codes(&after).contains(&"LB002"));
    assert!(fixed.contains("health_check"));

    // Fix all: one edit of the whole document, every safe fix applied.
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": doc,
                "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } },
                "context": { "diagnostics": [], "only": ["source.fixAll.infra-lint"] } }),
    );
    let all = &actions[0];
    assert_eq!(all["kind"], "source.fixAll.infra-lint");
    let all_fixed = apply(&text, &all["edit"], &uri);
    assert!(lint(&all_fixed).valid);
    // The same text as `infra-lint --fix` writes.
    let cli = tempfile::tempdir().unwrap();
    let file = cli.path().join("t.topology.yml");
    std::fs::write(&file, &text).unwrap();
    let today = TEST_TODAY.to_string();
    let status = Command::new(env!("CARGO_BIN_EXE_infra-lint"))
        .args(["--today", &today, "--fix", "--quiet", "--fail-on", "never"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(all_fixed, std::fs::read_to_string(&file).unwrap());
    assert_ne!(all_fixed, text);

    // Go to definition: from `host: server-1` to the host's key.
    let def = client.request(
        "textDocument/definition",
        json!({ "textDocument": doc, "position": position_of(&text, "host: server-1", 0, 8) }),
    );
    assert_eq!(def["uri"], uri);
    assert_eq!(
        def["range"]["start"],
        position_of(&text, "server-1: {}", 0, 0)
    );

    // References of db-primary: replicates_from and two links, plus its definition.
    let refs = client.request(
        "textDocument/references",
        json!({ "textDocument": doc, "position": position_of(&text, "to: db-primary", 0, 5),
                "context": { "includeDeclaration": true } }),
    );
    let refs = refs.as_array().unwrap();
    assert_eq!(refs.len(), 4, "{refs:#?}");
    for r in refs {
        let s = offset(&text, &r["range"]["start"]);
        let e = offset(&text, &r["range"]["end"]);
        assert_eq!(&text[s..e], "db-primary");
    }

    // Rename web-1: every place changes, nothing else, and the file stays valid.
    let prepared = client.request(
        "textDocument/prepareRename",
        json!({ "textDocument": doc, "position": position_of(&text, "[web-1", 0, 2) }),
    );
    assert_eq!(prepared["placeholder"], "web-1");
    let refused = client.call(
        "textDocument/prepareRename",
        json!({ "textDocument": doc, "position": position_of(&text, "load_balancer", 0, 2) }),
    );
    assert!(
        refused.get("error").is_some(),
        "a kind is not an id: {refused}"
    );
    let edit = client.request(
        "textDocument/rename",
        json!({ "textDocument": doc, "position": position_of(&text, "[web-1", 0, 2),
                "newName": "front-1" }),
    );
    let renamed = apply(&text, &edit, &uri);
    // Every `web-1` but the one in a comment, which names no id.
    let code = |t: &str| -> String {
        t.lines()
            .map(|l| l.split(" #").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(code(&renamed).matches("web-1").count(), 0);
    assert_eq!(
        renamed.matches("front-1").count(),
        code(&text).matches("web-1").count()
    );
    assert_eq!(renamed.matches("front-1").count(), 3, "key, target, link");
    assert!(
        renamed.contains("# lb-1 -> web-1"),
        "comments are left alone"
    );
    let after = lint(&renamed);
    assert!(after.valid, "{:?}", codes(&after));
    assert_eq!(after.findings.len(), lint(&text).findings.len());

    // Hover on an id: kind, host and what the lint says of it.
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": doc, "position": position_of(&text, "  lb-1:", 0, 3) }),
    );
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("load_balancer"), "{shown}");
    assert!(shown.contains("`lb-host`"), "{shown}");
    assert!(
        shown.contains("single point of failure: **yes**"),
        "{shown}"
    );
    assert!(shown.contains("SPOF001"), "{shown}");
    // On a rule code in a suppression: the rule's summary from its page.
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": doc, "position": position_of(&text, "TLS004", 0, 2) }),
    );
    let shown = hover["contents"]["value"].as_str().unwrap();
    let rule = infra_lint::rules::find("TLS004").unwrap();
    assert!(shown.contains(rule.summary()), "{shown}");
    // On a key: the format's documentation of it.
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": doc, "position": position_of(&text, "replicates_from", 0, 3) }),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("its primary"),
        "{hover}"
    );
    // Out of range: nothing, and no failure.
    let far = client.request(
        "textDocument/hover",
        json!({ "textDocument": doc, "position": { "line": 99999, "character": 99999 } }),
    );
    assert!(far.is_null());

    // Document symbols, grouped.
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": doc }),
    );
    let groups: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["hosts", "components"]);
    assert_eq!(symbols[1]["children"].as_array().unwrap().len(), 8);

    // A change: a new component with its host still to type. Diagnostics follow.
    let typing = text.replace(
        "\nlinks:",
        "  web-3:\n    kind: web_server\n    host: \n\nlinks:",
    );
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 },
                "contentChanges": [{ "text": typing }] }),
    );
    let diags = client.diagnostics(&uri, 2);
    let about_web3 = |diags: &[Value]| {
        diags
            .iter()
            .filter(|d| d["message"].as_str().unwrap().contains("web-3"))
            .count()
    };
    assert!(about_web3(&diags) > 0, "{diags:#?}");
    // Completion after `host:` offers hosts and only hosts.
    let items = client.request(
        "textDocument/completion",
        json!({ "textDocument": doc, "position": position_of(&typing, "    host: \n", 0, 10) }),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["lb-host", "server-1", "server-2"]);
    // After `targets: [`, components only.
    let items = client.request(
        "textDocument/completion",
        json!({ "textDocument": doc, "position": position_of(&typing, "targets: [", 0, 10) }),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"web-2") && labels.contains(&"db-primary"));
    assert!(!labels.contains(&"server-1"));
    // In a suppression's `rule:`, rule codes.
    let items = client.request(
        "textDocument/completion",
        json!({ "textDocument": doc, "position": position_of(&typing, "rule: TLS004", 0, 6) }),
    );
    assert!(
        items
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["label"] == "SPOF001")
    );

    // A typo: an input error where it is, with the closest id.
    let typo = typing.replace("    host: \n", "    host: server-9\n");
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 },
                "contentChanges": [{ "text": typo }] }),
    );
    let diags = client.diagnostics(&uri, 3);
    let il = diagnostic(&diags, "IL003");
    assert_eq!(il["severity"], 1, "an error");
    assert_eq!(il["range"]["start"], position_of(&typo, "server-9", 0, 0));
    assert!(il["message"].as_str().unwrap().contains("server-"), "{il}");

    // Fixed: the input error is gone, the findings are back.
    let done = typing.replace("    host: \n", "    host: server-2\n");
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 4 },
                "contentChanges": [{ "text": done }] }),
    );
    let diags = client.diagnostics(&uri, 4);
    assert!(
        !diags
            .iter()
            .any(|d| d["code"].as_str().unwrap().starts_with("IL"))
    );
    assert!(diags.iter().any(|d| d["code"] == "SPOF001"));

    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), Some(0));
}

#[test]
fn bad_input_is_answered_and_the_session_goes_on() {
    let (_dir, mut client, uri, _text) = session();
    client.diagnostics(&uri, 1);
    // Not JSON, not UTF-8: a parse error, id null.
    client.send_raw(b"{\"jsonrpc\": \"2.0\", \"id\": 1,");
    let error = client.wait_for("a parse error", |v| v["error"]["code"] == -32700);
    assert!(error["id"].is_null());
    client.send_raw(&[0xff, 0xfe, 0x00]);
    client.wait_for("a parse error", |v| v["error"]["code"] == -32700);
    // Unknown method, bad params, unknown document.
    let r = client.call("textDocument/nonsense", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    let r = client.call("textDocument/hover", json!({ "nope": 1 }));
    assert_eq!(r["error"]["code"], -32602);
    let r = client.call(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///elsewhere.yml" },
                "position": { "line": 0, "character": 0 } }),
    );
    assert!(r.get("error").is_some());
    // A change that is not YAML: diagnostics still come, navigation answers nothing.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 },
                "contentChanges": [{ "text": "components: [\n\u{0}😀" }] }),
    );
    let diags = client.diagnostics(&uri, 2);
    assert!(diags.iter().any(|d| d["code"] == "IL001"), "{diags:#?}");
    let def = client.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 2 } }),
    );
    assert!(def.is_null());
    // The session still works.
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), Some(0));
}

#[test]
fn utf8_positions_when_the_client_offers_them_and_exit_without_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::start(dir.path());
    let init = client.request(
        "initialize",
        json!({ "processId": null, "capabilities": {
            "general": { "positionEncodings": ["utf-8", "utf-16"] } } }),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let uri = "untitled:Untitled-1";
    let text = "# é😀\nversion: 1\nname: t\ncomponents:\n  a: { kind: service, host: nowhere }\n";
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 7, "text": text } }),
    );
    let diags = client.diagnostics(uri, 7);
    let il = diagnostic(&diags, "IL003");
    // UTF-8 columns are bytes.
    let at = text.find("nowhere").unwrap();
    let line_start = text[..at].rfind('\n').unwrap() + 1;
    assert_eq!(il["range"]["start"]["character"], at - line_start);
    // Exit without shutdown: exit code 1, as the protocol says.
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), Some(1));
}

#[test]
fn the_configuration_found_upward_from_the_file_applies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join("infra-lint.toml"),
        "ignore = [\"DB005\"]\n\n[severity]\nLB002 = \"error\"\n\n[per-file-ignores]\n\"infra/*.topology.yml\" = [\"TLS001\"]\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("infra")).unwrap();
    let file = dir.path().join("infra/site.topology.yml");
    let text = topology();
    std::fs::write(&file, &text).unwrap();
    let uri = format!("file://{}", file.display());
    // Started elsewhere: the file's folder, not the server's, finds the configuration.
    let mut client = Client::start(std::env::temp_dir().as_path());
    client.request(
        "initialize",
        json!({ "processId": null, "capabilities": {} }),
    );
    client.notify("initialized", json!({}));
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": text } }),
    );
    let diags = client.diagnostics(&uri, 1);
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"SPOF001"), "{codes:?}");
    assert!(!codes.contains(&"DB005"), "ignored: {codes:?}");
    assert!(!codes.contains(&"TLS001"), "ignored for infra/*: {codes:?}");
    assert_eq!(
        diagnostic(&diags, "LB002")["severity"],
        1,
        "raised to error"
    );
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), Some(0));
}
