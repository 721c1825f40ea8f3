//! The language server's latency: `cargo bench --bench server [-- COMPONENTS]`.
//!
//! Starts `infra-lint server` as an editor does, opens a generated topology (default
//! 10,000 components, the generator of `src/generate.rs`) and measures, on the
//! client's side of the pipe, the time from sending a change to receiving the
//! diagnostics of that version: the debounce, the lint, the conversion to diagnostics
//! and the JSON both ways. Then a burst of keystrokes sent back to back, which the
//! debounce must turn into one lint. Last, the same text linted in this process by the
//! library, interleaved with nothing else: on a shared machine the difference between
//! the two is the server's own cost, where the absolute numbers move with the load.

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use infra_lint::generate::{COMPONENTS_PER_CELL, Shape, topology};
use infra_lint::lint::{LintOptions, TEST_TODAY, lint_source};
use infra_lint::source::SourceFile;
use serde_json::{Value, json};

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

fn send(stdin: &mut ChildStdin, message: Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
    stdin.flush().expect("flush");
}

/// Waits for the diagnostics of `version`; returns how many diagnostics and how many
/// publications arrived on the way.
fn diagnostics(rx: &mpsc::Receiver<Value>, version: i64) -> (usize, usize) {
    let mut published = 0;
    loop {
        let v = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("diagnostics");
        if v["method"] == "textDocument/publishDiagnostics" {
            published += 1;
            if v["params"]["version"] == version {
                let n = v["params"]["diagnostics"].as_array().map_or(0, Vec::len);
                return (n, published);
            }
        }
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let components: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let text = topology(Shape {
        cells: (components / COMPONENTS_PER_CELL).max(1),
        ..Shape::default()
    });
    let today = TEST_TODAY.to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_infra-lint"))
        .args(["server", "--today", &today])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut stdin = child.stdin.take().expect("stdin");
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
    send(
        &mut stdin,
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": { "processId": null, "capabilities": {} } }),
    );
    rx.recv_timeout(Duration::from_secs(60))
        .expect("initialize");
    send(
        &mut stdin,
        json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }),
    );
    let uri = "file:///bench/big.topology.yml";
    let start = Instant::now();
    send(
        &mut stdin,
        json!({ "jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": text } } }),
    );
    let (count, _) = diagnostics(&rx, 1);
    let open = start.elapsed().as_secs_f64();

    // One change at a time: a comment typed at the end of the file, a different one
    // each time, so every version is new text.
    let mut version = 1;
    let mut changes = Vec::new();
    for i in 0..15 {
        version += 1;
        let changed = format!("{text}# edit {i}\n");
        let start = Instant::now();
        send(
            &mut stdin,
            json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "text": changed }] } }),
        );
        diagnostics(&rx, version);
        changes.push(start.elapsed().as_secs_f64());
    }

    // A burst: 20 versions back to back, as fast typing sends them.
    let start = Instant::now();
    let first = version + 1;
    for i in 0..20 {
        version += 1;
        let changed = format!("{text}# burst {i}\n");
        send(
            &mut stdin,
            json!({ "jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "text": changed }] } }),
        );
    }
    let (_, published) = diagnostics(&rx, version);
    let burst = start.elapsed().as_secs_f64();

    send(
        &mut stdin,
        json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null }),
    );
    send(
        &mut stdin,
        json!({ "jsonrpc": "2.0", "method": "exit", "params": null }),
    );
    let status = child.wait().expect("wait");

    // The lint alone, in process, as the server runs it.
    let options = LintOptions {
        today: TEST_TODAY,
        ..LintOptions::default()
    };
    let mut lints = Vec::new();
    for i in 0..15 {
        let changed = format!("{text}# lint {i}\n");
        let start = Instant::now();
        let report = lint_source(SourceFile::new("big.topology.yml", changed), &options);
        lints.push(start.elapsed().as_secs_f64());
        assert_eq!(
            report
                .findings
                .iter()
                .filter(|f| f.suppressed.is_none())
                .count(),
            count
        );
    }

    let ms = |s: f64| s * 1000.0;
    println!(
        "{components} components, {:.1} MB, {count} diagnostics, debounce {} ms",
        text.len() as f64 / 1e6,
        infra_lint::server::DEBOUNCE.as_millis()
    );
    println!("open to diagnostics: {:.0} ms", ms(open));
    println!(
        "change to diagnostics ({} changes): median {:.0} ms, min {:.0} ms, max {:.0} ms",
        changes.len(),
        ms(median(changes.clone())),
        ms(changes.iter().copied().fold(f64::INFINITY, f64::min)),
        ms(changes.iter().copied().fold(0.0, f64::max)),
    );
    println!(
        "burst of {} changes (versions {first}..={version}) to the last one's diagnostics: {:.0} ms, {published} publications",
        version - first + 1,
        ms(burst)
    );
    println!(
        "the lint alone, in process ({} runs): median {:.0} ms, min {:.0} ms",
        lints.len(),
        ms(median(lints.clone())),
        ms(lints.iter().copied().fold(f64::INFINITY, f64::min)),
    );
    println!(
        "server's own cost (median change to diagnostics - median lint): {:.0} ms",
        ms(median(changes.clone()) - median(lints.clone()))
    );
    println!("server exit: {status}");
}
