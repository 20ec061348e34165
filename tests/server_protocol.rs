//! The language server against hostile and careless clients: every kind of bad frame is
//! answered once and the stream resynchronises, header lines cannot grow memory, a burst of
//! edits is analysed once for its newest text, ranged edits use UTF-16 columns, stale positions
//! are clamped, the lifecycle errors are the LSP's, an invalid configuration is shown to the
//! user, and a panic in one handler does not end the session.

mod lsp_client;

use lsp_client::{Client, uri};
use numgil::server::transport::{Frame, Framer};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

const SEED: &str = "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\n\n\ndef task(a, b):\n    return sum(a * b)\n\n\ndef main():\n    with ThreadPoolExecutor() as ex:\n        return ex.submit(task, np.ones(100_000), np.ones(100_000)).result()\n";

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

fn request_body(id: i64) -> String {
    json!({ "jsonrpc": "2.0", "id": id, "method": "numgil/ping", "params": {} }).to_string()
}

/// The bad frames of the issue, each followed by nothing (the caller appends valid frames).
fn bad_frames() -> Vec<(&'static str, Vec<u8>)> {
    let body = request_body(999_999);
    let with_len = |len: &str| format!("Content-Length: {len}\r\n\r\n{body}").into_bytes();
    vec![
        ("too short", with_len(&(body.len() - 10).to_string())),
        ("too long", with_len(&(body.len() + 40).to_string())),
        ("far too long (1 MB more than follows)", with_len(&(body.len() + 1_000_000).to_string())),
        ("negative", with_len("-5")),
        ("not a number", with_len("abc")),
        ("huge", with_len("1000000000000")),
        ("non-UTF-8 header", [b"X-Note: \xff\xfe\r\n".as_slice(), &with_len(&body.len().to_string())].concat()),
        ("non-UTF-8 in Content-Length", [b"Content-Length: 5\xff\r\n\r\n".as_slice(), body.as_bytes()].concat()),
        ("missing Content-Length", format!("Content-Type: x\r\n\r\n{body}").into_bytes()),
        ("header line without a colon", format!("garbage\r\n\r\n{body}").into_bytes()),
        ("body is not JSON", frame("{this is not json")),
        ("body is not UTF-8", [b"Content-Length: 4\r\n\r\n".as_slice(), b"\"\xff\xfe\""].concat()),
    ]
}

// ----- the framer alone ------------------------------------------------------------------------

/// What a framer makes of `input`: `Ok(body)` or `Err(code)` per frame, until the end.
fn frames(input: &[u8]) -> Vec<Result<String, i32>> {
    let mut f = Framer::new(input);
    let mut out = Vec::new();
    loop {
        match f.next_frame() {
            Frame::End => return out,
            Frame::Body(b) => out.push(Ok(String::from_utf8(b).unwrap())),
            Frame::Error(e) => out.push(Err(e.code)),
        }
        assert!(out.len() < 1000, "the framer does not advance");
    }
}

#[test]
fn framer_recovers_after_each_bad_frame() {
    let good: Vec<u8> = (1..=3).flat_map(|i| frame(&request_body(i))).collect();
    for (what, bad) in bad_frames() {
        let got = frames(&[bad.as_slice(), &good].concat());
        let expected: Vec<Result<String, i32>> =
            std::iter::once(Err(-32700)).chain((1..=3).map(|i| Ok(request_body(i)))).collect();
        assert_eq!(got, expected, "{what}");
    }
}

#[test]
fn framer_accepts_case_insensitive_headers_other_headers_and_bodies_that_mention_headers() {
    let tricky =
        json!({ "jsonrpc": "2.0", "method": "x", "params": { "text": "Content-Length: 12\r\n\r\n{}" } }).to_string();
    let input = [
        format!(
            "content-length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{tricky}",
            tricky.len()
        )
        .into_bytes(),
        b"\r\n".to_vec(),
        frame("{}"),
    ]
    .concat();
    assert_eq!(frames(&input), vec![Ok(tricky), Ok("{}".to_string())]);
}

#[test]
fn framer_caps_header_lines_and_blocks() {
    // A 1 MiB header line: one error, then the next message.
    let input = [b"X-Junk: ".as_slice(), &vec![b'a'; 1 << 20], b"\r\n\r\n", &frame("{}")].concat();
    assert_eq!(frames(&input), vec![Err(-32700), Ok("{}".to_string())]);
    // 100 KiB of short header lines: over the block cap.
    let many: Vec<u8> = (0..20_000).flat_map(|i| format!("X-{i}: y\r\n").into_bytes()).collect();
    let input = [many.as_slice(), b"\r\n{}", &frame("[]")].concat();
    assert_eq!(frames(&input), vec![Err(-32700), Ok("[]".to_string())]);
}

#[test]
fn framer_ends_cleanly_on_truncated_input() {
    assert!(frames(b"Content-Length: 100\r\n\r\n{\"a\":").is_empty());
    assert!(frames(b"Content-Len").is_empty());
    assert_eq!(frames(b"Content-Length: abc\r\n\r\n"), vec![Err(-32700)]);
}

#[test]
fn text_offsets_count_utf16_units_and_clamp() {
    use lsp_types::Position;
    use numgil::server::convert::{text_offset, uri_to_path};
    let at = |line, character| text_offset("a😀b\r\nxy\rz\n", Position { line, character });
    assert_eq!(at(0, 0), 0);
    assert_eq!(at(0, 1), 1);
    assert_eq!(at(0, 2), 1, "inside the surrogate pair: the start of the character");
    assert_eq!(at(0, 3), 5);
    assert_eq!(at(0, 4), 6);
    assert_eq!(at(0, 99), 6, "clamped to the line, before its `\\r\\n`");
    assert_eq!(at(1, 1), 9);
    assert_eq!(at(2, 0), 11, "`\\r` alone ends a line too");
    assert_eq!(at(3, 0), 13);
    assert_eq!(at(3, 5), 13);
    assert_eq!(at(40, 2), 13, "a line past the end: the end of the text");
    let uri = |s: &str| s.parse::<lsp_types::Uri>().unwrap();
    assert_eq!(uri_to_path(&uri("file:///a%20b/c%C3%A9")), Some("/a b/cé".into()));
}

// ----- the server ------------------------------------------------------------------------------

#[test]
fn every_bad_frame_gets_one_error_and_the_next_50_requests_are_answered() {
    let dir = workspace(&[]);
    let mut c = Client::start(dir.path());
    for (what, bad) in bad_frames() {
        let first = c.next_id + 1;
        let valid: Vec<u8> = (first..first + 50).flat_map(|i| frame(&request_body(i))).collect();
        c.next_id += 50;
        c.bytes(&[bad.as_slice(), &valid].concat());
        let mut answered = 0;
        for id in first..first + 50 {
            match c.response(id, Duration::from_secs(20)) {
                Some(r) => {
                    assert_eq!(r["error"]["code"], -32601, "{what}: {r}");
                    answered += 1;
                }
                None => panic!("{what}: {answered} of the next 50 requests answered\n{}", c.stderr_text()),
            }
        }
        // The framing error came before those answers, exactly once.
        let errors: Vec<Value> = c.backlog.drain(..).filter(|m| m.get("error").is_some()).collect();
        assert_eq!(errors.len(), 1, "{what}: {errors:?}");
        assert_eq!(errors[0]["id"], Value::Null, "{what}");
        assert_eq!(errors[0]["error"]["code"], -32700, "{what}: {errors:?}");
    }
    // A body that is JSON but not a JSON-RPC message: InvalidRequest, with its id.
    c.raw(r#"{"jsonrpc": "2.0", "id": 77}"#);
    c.raw(r#"{"jsonrpc": "2.0", "id": 78, "method": 5}"#);
    let r = c.wait_for(Duration::from_secs(20), |m| m["id"] == 78).expect("an answer");
    assert_eq!(r["error"]["code"], -32600, "{r}");
    let log = c.stderr_containing("header is not UTF-8", Duration::from_secs(10));
    assert!(log.contains("invalid Content-Length `abc`") && log.contains("header is not UTF-8"), "logged: {log}");
    assert_eq!(c.shutdown(), Some(0));
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// 400 MiB of one header line with no newline: the server rejects the line after 8 KiB,
/// drops what follows chunk by chunk (resident memory stays under 100 MiB, measured from
/// /proc), and then answers a valid request.
#[test]
fn an_endless_header_line_does_not_grow_memory_and_the_server_recovers() {
    const TOTAL: usize = 400 << 20;
    const CHUNK: usize = 1 << 20;
    let dir = workspace(&[]);
    let mut c = Client::start(dir.path());
    let pid = c.pid();
    let mut stdin = c.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let chunk = vec![b'a'; CHUNK];
        let started = Instant::now();
        stdin.write_all(b"X-Junk: ").unwrap();
        let mut sent = 0;
        while sent < TOTAL {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
            sent += CHUNK;
        }
        let _ = stdin.flush();
        (stdin, sent, started.elapsed())
    });
    let mut peak = 0;
    let mut rejected = false;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !writer.is_finished() {
        assert!(Instant::now() < deadline, "streaming 400 MiB took over two minutes");
        if let Some(kib) = rss_kib(pid) {
            peak = peak.max(kib);
        }
        if let Ok(m) = c.rx.try_recv() {
            rejected |= m["error"]["code"] == -32700;
            c.backlog.push(m);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let (stdin, sent, took) = writer.join().unwrap();
    peak = peak.max(rss_kib(pid).unwrap_or(0));
    eprintln!("streamed {} MiB of header in {took:?}; server peak RSS {} KiB", sent >> 20, peak);
    assert_eq!(sent, TOTAL, "the server kept reading");
    assert!(peak < 100 * 1024, "peak RSS {peak} KiB");
    c.stdin = Some(stdin);
    let r = c.request("numgil/ping", json!({}));
    assert_eq!(r["error"]["code"], -32601, "answered after the junk: {r}");
    rejected |= c.backlog.iter().any(|m| m["error"]["code"] == -32700 && m["id"].is_null());
    assert!(rejected, "the header line was rejected with a parse error");
    let log = c.stderr_containing("header line longer than 8192 bytes", Duration::from_secs(10));
    assert!(log.contains("header line longer than 8192 bytes"), "{log}");
    assert_eq!(c.shutdown(), Some(0));
}

/// 10,000 rapid full-text `didChange`s: every change is applied, but the analysis runs on
/// batches, so the publish for the last version comes soon after the last send, with the last
/// version's findings.
#[test]
fn ten_thousand_rapid_edits_end_with_one_publish_of_the_newest_text() {
    const EDITS: i64 = 10_000;
    let dir = workspace(&[("seed.py", SEED)]);
    let path = dir.path().join("seed.py");
    let u = uri(&path);
    let mut c = Client::start(dir.path());
    c.open(&path, SEED);
    assert_eq!(c.published(&u).len(), 1);
    // Version v has (v % 100) comment lines on top, so the finding's line names the version.
    let text = |v: i64| format!("{}{SEED}", "# pad\n".repeat((v % 100) as usize));
    let mut burst = Vec::new();
    for v in 2..=EDITS + 1 {
        let body = json!({
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": { "textDocument": { "uri": u, "version": v }, "contentChanges": [{ "text": text(v) }] },
        })
        .to_string();
        burst.extend(frame(&body));
    }
    let started = Instant::now();
    c.bytes(&burst);
    let sent = Instant::now();
    let last = EDITS + 1;
    let publish = |m: &Value| m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == last;
    let Some(m) = c.wait_for(Duration::from_secs(30), publish) else {
        panic!("no publish for version {last}\n{}", c.stderr_text())
    };
    let latency = sent.elapsed();
    let publishes = c.backlog.iter().filter(|m| m["method"] == "textDocument/publishDiagnostics").count() + 1;
    eprintln!(
        "sent {EDITS} edits in {:?}; last publish {:?} after the last send; {publishes} publishes",
        sent - started,
        latency
    );
    let d = m["params"]["diagnostics"].as_array().unwrap();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["range"]["start"]["line"], 5 + last % 100, "the finding is where the last text has it");
    assert!(latency < Duration::from_secs(2), "last publish {latency:?} after the last send");
    assert!(publishes < EDITS as usize, "analysed once per batch, not once per edit: {publishes}");
    assert_eq!(c.shutdown(), Some(0));
}

fn change_params(u: &str, version: i64, changes: Value) -> Value {
    json!({ "textDocument": { "uri": u, "version": version }, "contentChanges": changes })
}

fn range(l1: u32, c1: usize, l2: u32, c2: usize) -> Value {
    json!({ "start": { "line": l1, "character": c1 }, "end": { "line": l2, "character": c2 } })
}

fn utf16(s: &str) -> usize {
    s.encode_utf16().count()
}

#[test]
fn ranged_edits_use_utf16_columns_and_full_replacements_replace() {
    let dir = workspace(&[("seed.py", SEED)]);
    let path = dir.path().join("seed.py");
    let u = uri(&path);
    let mut c = Client::start(dir.path());
    let caps = c.backlog.remove(0)["result"]["capabilities"].clone();
    assert_eq!(caps["textDocumentSync"], 2, "incremental sync advertised");
    c.open(&path, SEED);
    assert_eq!(c.published(&u)[0]["range"]["start"], json!({ "line": 5, "character": 11 }));

    // Line 5 is `    return sum(a * b)`: insert a statement with two astral characters.
    let prefix = "x = \"😀é😀\"; ";
    c.notify("textDocument/didChange", change_params(&u, 2, json!([{ "range": range(5, 4, 5, 4), "text": prefix }])));
    let d = c.published(&u);
    let col = 4 + utf16(prefix) + "return ".len();
    assert_eq!(d[0]["range"]["start"], json!({ "line": 5, "character": col }), "{d:?}");
    // Replace `sum` by `max`, addressed in UTF-16 units after the astral characters.
    c.notify(
        "textDocument/didChange",
        change_params(&u, 3, json!([{ "range": range(5, col, 5, col + 3), "text": "max" }])),
    );
    let d = c.published(&u);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0]["message"].as_str().unwrap().contains("`max`"), "{d:?}");

    // A full replacement, then ranged edits on the new text, in one notification.
    c.notify(
        "textDocument/didChange",
        change_params(
            &u,
            4,
            json!([
                { "text": SEED.replace("sum(a * b)", "np.dot(a, b)") },
                { "range": range(5, 11, 5, 23), "text": "min(a)" },
                { "range": range(0, 0, 0, 0), "text": "# top\n" },
            ]),
        ),
    );
    let d = c.published(&u);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["range"]["start"], json!({ "line": 6, "character": 11 }), "{d:?}");
    assert!(d[0]["message"].as_str().unwrap().contains("`min`"), "{d:?}");

    // Ranges past the end are clamped: append at the end; a reversed range is taken in order.
    c.notify(
        "textDocument/didChange",
        change_params(
            &u,
            5,
            json!([
                { "range": range(9999, 5, 9999, 9), "text": "\n\ndef other(a):\n    return any(a)\n" },
                { "range": range(6, 17, 6, 11), "text": "np.min(a)" },
            ]),
        ),
    );
    let d = c.published(&u);
    assert!(d.is_empty(), "`min(a)` replaced and the appended function is not a task: {d:?}");
    // And a full replacement without a range.
    c.change(&path, 6, SEED);
    assert_eq!(c.published(&u).len(), 1);
    assert_eq!(c.shutdown(), Some(0));
}

/// 1,000 one-line insertions at the top in a burst: all applied in order, analysed coalesced.
#[test]
fn a_burst_of_ranged_edits_is_applied_in_order() {
    let dir = workspace(&[("seed.py", SEED)]);
    let path = dir.path().join("seed.py");
    let u = uri(&path);
    let mut c = Client::start(dir.path());
    c.open(&path, SEED);
    c.published(&u);
    let mut burst = Vec::new();
    for v in 2..=1001 {
        let body = json!({
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": change_params(&u, v, json!([{ "range": range(0, 0, 0, 0), "text": format!("# {v}\n") }])),
        });
        burst.extend(frame(&body.to_string()));
    }
    c.bytes(&burst);
    let m = c
        .wait_for(Duration::from_secs(30), |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == 1001
        })
        .expect("publish of the last version");
    assert_eq!(m["params"]["diagnostics"][0]["range"]["start"]["line"], 1005);
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn stale_and_out_of_range_positions_are_clamped() {
    let dir = workspace(&[("seed.py", SEED)]);
    let path = dir.path().join("seed.py");
    let u = uri(&path);
    let mut c = Client::start(dir.path());
    c.open(&path, SEED);
    let mut d = c.published(&u);
    // The file shrinks; the client still holds the old diagnostic, moved past the end.
    let short = "import numpy as np\n";
    c.change(&path, 2, short);
    assert!(c.published(&u).is_empty());
    d[0]["range"] = range(500, 3, 500, 40);
    let r = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": range(500, 0, 600, 0), "context": { "diagnostics": d } }),
    );
    let actions = r["result"].as_array().unwrap_or_else(|| panic!("a result, not an error: {r}"));
    let noqa = actions.iter().find(|a| a["title"].as_str().unwrap().contains("# noqa: NG101")).expect("noqa action");
    let edit = &noqa["edit"]["changes"][&u][0];
    assert_eq!(edit["range"]["start"]["line"], 1, "clamped to the last line: {edit}");
    for (line, character) in [(500u64, 0u64), (0, 100_000), (u64::from(u32::MAX), u64::from(u32::MAX))] {
        let h = c.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": u }, "position": { "line": line, "character": character } }),
        );
        assert!(h.get("error").is_none() && h["result"].is_null(), "{h}");
    }
    let r = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": range(u32::MAX, u32::MAX as usize, u32::MAX, 0), "context": { "diagnostics": [], "only": ["source.fixAll.numgil"] } }),
    );
    assert!(r["result"].is_array(), "{r}");
    let pulled = c.request("textDocument/diagnostic", json!({ "textDocument": { "uri": u } }));
    assert_eq!(pulled["result"]["items"], json!([]), "{pulled}");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn lifecycle_errors_follow_the_lsp() {
    let dir = workspace(&[("seed.py", SEED)]);
    let mut c = Client::spawn(dir.path(), &[]);
    let r = c.request("textDocument/hover", json!({}));
    assert_eq!(r["error"]["code"], -32002, "before initialize: {r}");
    let r = c.request("shutdown", Value::Null);
    assert_eq!(r["error"]["code"], -32002, "shutdown before initialize: {r}");
    let init = json!({ "processId": null, "rootUri": uri(dir.path()), "capabilities": {} });
    let r = c.request("initialize", init.clone());
    assert!(r["result"]["capabilities"].is_object(), "{r}");
    let r = c.request("initialize", init);
    assert_eq!(r["error"]["code"], -32600, "second initialize: {r}");
    let r = c.request("numgil/ping", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    let r = c.request("shutdown", Value::Null);
    assert!(r.get("error").is_none() && r["result"].is_null(), "{r}");
    for method in ["textDocument/hover", "shutdown", "initialize"] {
        let r = c.request(method, json!({}));
        assert_eq!(r["error"]["code"], -32600, "{method} after shutdown: {r}");
    }
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(Duration::from_secs(10)), Some(0), "exit after shutdown");

    // `exit` without `shutdown`: 1, after initialize or before it.
    let mut c = Client::start(dir.path());
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(Duration::from_secs(10)), Some(1));
    let mut c = Client::spawn(dir.path(), &[]);
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(Duration::from_secs(10)), Some(1));
    // The end of input without `exit`: 1, with a message.
    let mut c = Client::start(dir.path());
    c.stdin = None;
    assert_eq!(c.wait_exit(Duration::from_secs(10)), Some(1));
    let log = c.stderr_containing("without a `shutdown`", Duration::from_secs(10));
    assert!(log.contains("without a `shutdown`"), "{log}");
}

fn show_message(c: &mut Client) -> Option<Value> {
    c.wait_for(Duration::from_secs(20), |m| m["method"] == "window/showMessage")
}

/// The CLI's stderr for `numgil check` in `dir`.
fn cli_error(dir: &Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_numgil"))
        .arg("check")
        .current_dir(dir)
        .env("NUMGIL_CACHE_DIR", dir.join(".no-cache"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "the CLI rejects it");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn an_invalid_configuration_is_shown_and_the_defaults_are_used() {
    let dir = workspace(&[("seed.py", SEED), ("numgil.toml", "select = [\"NG999\"]\n")]);
    let path = dir.path().join("seed.py");
    let u = uri(&path);
    let cli = cli_error(dir.path());
    let mut c = Client::start(dir.path());
    let m = show_message(&mut c).expect("window/showMessage");
    assert_eq!(m["params"]["type"], 1, "an error: {m}");
    let text = m["params"]["message"].as_str().unwrap();
    let what = "unknown rule selector `NG999`";
    assert!(cli.contains(what) && text.contains(what), "CLI: {cli}\nserver: {text}");
    assert!(text.starts_with(cli.trim_end()), "the CLI's report, word for word:\nCLI: {cli}\nserver: {text}");
    assert!(text.contains("numgil.toml") && text.contains("default settings"), "{text}");
    c.open(&path, SEED);
    assert_eq!(c.published(&u).len(), 1, "running with the defaults");

    // Fixed: no message. Broken again (a pyproject this time): the message again.
    std::fs::remove_file(dir.path().join("numgil.toml")).unwrap();
    std::fs::write(dir.path().join("pyproject.toml"), "[tool.numgil]\nselekt = [\"NG101\"]\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&dir.path().join("numgil.toml")), "type": 3 }, { "uri": uri(&dir.path().join("pyproject.toml")), "type": 1 }] }),
    );
    let m = show_message(&mut c).expect("window/showMessage after the reload");
    let text = m["params"]["message"].as_str().unwrap();
    let cli = cli_error(dir.path());
    assert!(text.contains("unknown field `selekt`") && cli.contains("unknown field `selekt`"), "{text}\n{cli}");
    assert!(text.contains("pyproject.toml"), "{text}");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn a_panic_while_handling_a_request_is_answered_and_the_server_goes_on() {
    let dir = workspace(&[("seed.py", SEED)]);
    let path = dir.path().join("seed.py");
    let u = uri(&path);
    // Without the test hook the method does not exist.
    let mut c = Client::start(dir.path());
    assert_eq!(c.request("numgil/testPanic", json!({}))["error"]["code"], -32601);
    assert_eq!(c.shutdown(), Some(0));

    let mut c = Client::start_with(dir.path(), &[("NUMGIL_TEST_HOOKS", "1")]);
    c.open(&path, SEED);
    assert_eq!(c.published(&u).len(), 1);
    let r = c.request("numgil/testPanic", json!({}));
    assert_eq!(r["error"]["code"], -32603, "{r}");
    let needle = "internal error while handling request `numgil/testPanic`";
    let log = c.stderr_containing(needle, Duration::from_secs(10));
    assert!(log.contains(needle), "{log}");
    // Still serving.
    let pulled = c.request("textDocument/diagnostic", json!({ "textDocument": { "uri": u } }));
    assert_eq!(pulled["result"]["items"].as_array().map(Vec::len), Some(1), "{pulled}");
    c.change(&path, 2, &SEED.replace("sum(a * b)", "np.dot(a, b)"));
    assert!(c.published(&u).is_empty());
    assert_eq!(c.shutdown(), Some(0));
}
