//! JSON-RPC round trips with `numgil server` over stdio: capabilities, push and pull
//! diagnostics, cross-file invalidation, code actions whose edits remove the finding, hover,
//! configuration reload, malformed input and the shutdown sequence.

mod lsp_client;

use lsp_client::{Client, uri};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SEED: &str = "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\n\n\ndef task(a, b):\n    return sum(a * b)\n\n\ndef main():\n    with ThreadPoolExecutor() as ex:\n        return ex.submit(task, np.ones(100000), np.ones(100000)).result()\n";

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// Apply LSP text edits to ASCII text (lines and UTF-16 columns coincide).
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let off = |p: &Value| starts[p["line"].as_u64().unwrap() as usize] + p["character"].as_u64().unwrap() as usize;
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| (off(&e["range"]["start"]), off(&e["range"]["end"]), e["newText"].as_str().unwrap().to_string()))
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, t) in edits {
        out.replace_range(s..e, &t);
    }
    out
}

#[test]
fn initialize_declares_capabilities() {
    let dir = workspace(&[]);
    let mut c = Client::start(dir.path());
    let caps = c.backlog.remove(0)["result"]["capabilities"].clone();
    assert_eq!(caps["textDocumentSync"], 2, "incremental sync");
    assert_eq!(caps["diagnosticProvider"]["interFileDependencies"], true);
    assert_eq!(caps["hoverProvider"], true);
    let kinds = caps["codeActionProvider"]["codeActionKinds"].as_array().unwrap();
    assert!(kinds.contains(&json!("quickfix")) && kinds.contains(&json!("source.fixAll.numgil")));
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn open_publishes_and_typing_the_fix_clears() {
    let dir = workspace(&[("seed.py", SEED)]);
    let path = dir.path().join("seed.py");
    let u = uri(&path);
    let mut c = Client::start(dir.path());
    c.open(&path, SEED);
    let d = c.published(&u);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "NG101");
    assert_eq!(d[0]["source"], "numgil");
    assert_eq!(d[0]["range"]["start"], json!({ "line": 5, "character": 11 }));
    assert!(d[0]["message"].as_str().unwrap().contains("runs in a thread task: ThreadPoolExecutor.submit"));
    // pull diagnostics agree
    let pulled = c.request("textDocument/diagnostic", json!({ "textDocument": { "uri": u } }));
    assert_eq!(pulled["result"]["items"].as_array().unwrap().len(), 1, "{pulled}");
    c.change(&path, 2, &SEED.replace("sum(a * b)", "np.dot(a, b)"));
    assert!(c.published(&u).is_empty(), "cleared after the fix is typed");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn editing_the_launcher_file_invalidates_the_task_file() {
    let stats = "def spread(chunk):\n    return max(chunk) - min(chunk)\n";
    let driver = "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\n\nfrom stats import spread\n\n\ndef run(x):\n    with ThreadPoolExecutor() as ex:\n        return list(ex.map(spread, np.array_split(np.ones(1000), 4)))\n";
    let dir = workspace(&[("stats.py", stats), ("driver.py", driver)]);
    let (sp, dp) = (dir.path().join("stats.py"), dir.path().join("driver.py"));
    let mut c = Client::start(dir.path());
    c.open(&sp, stats);
    let d = c.published(&uri(&sp));
    assert_eq!(d.len(), 2, "the workspace index knows driver.py submits spread: {d:?}");
    c.open(&dp, driver);
    c.change(
        &dp,
        2,
        &driver.replace(
            "        return list(ex.map(spread, np.array_split(np.ones(1000), 4)))\n",
            "        return None\n",
        ),
    );
    assert!(c.published(&uri(&sp)).is_empty(), "deleting the map line clears stats.py");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn code_actions_remove_the_finding() {
    let text = SEED.replace("return sum(a * b)", "return a @ b");
    let dir = workspace(&[("job.py", &text)]);
    let path = dir.path().join("job.py");
    let u = uri(&path);
    let mut c = Client::start(dir.path());
    c.open(&path, &text);
    let d = c.published(&u);
    assert_eq!(d[0]["code"], "NG107", "{d:?}");
    let ctx = json!({ "textDocument": { "uri": u }, "range": d[0]["range"], "context": { "diagnostics": d } });
    let actions = c.request("textDocument/codeAction", ctx.clone())["result"].as_array().unwrap().clone();
    let fix = actions.iter().find(|a| a["title"].as_str().unwrap().contains("np.dot")).expect("quick fix");
    let fixed = apply_edits(&text, fix["edit"]["changes"][&u].as_array().unwrap());
    assert!(fixed.contains("return np.dot(a, b)"), "{fixed}");
    c.change(&path, 2, &fixed);
    assert!(c.published(&u).is_empty());

    // The suppression action.
    c.change(&path, 3, &text);
    let d = c.published(&u);
    let ctx = json!({ "textDocument": { "uri": u }, "range": d[0]["range"], "context": { "diagnostics": d } });
    let actions = c.request("textDocument/codeAction", ctx)["result"].as_array().unwrap().clone();
    let noqa = actions.iter().find(|a| a["title"].as_str().unwrap().contains("# noqa: NG107")).unwrap();
    let suppressed = apply_edits(&text, noqa["edit"]["changes"][&u].as_array().unwrap());
    assert!(suppressed.contains("return a @ b  # noqa: NG107"), "{suppressed}");
    c.change(&path, 4, &suppressed);
    assert!(c.published(&u).is_empty());

    // source.fixAll.numgil applies safe fixes only.
    c.change(&path, 5, &text);
    let d = c.published(&u);
    let all = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": d[0]["range"], "context": { "diagnostics": [], "only": ["source.fixAll.numgil"] } }),
    )["result"]
        .as_array()
        .unwrap()
        .clone();
    // NG107's fix is unsafe (negative strides round differently), so fixAll leaves `a @ b`.
    for action in &all {
        let edits = action["edit"]["changes"][&u].as_array().cloned().unwrap_or_default();
        assert!(!apply_edits(&text, &edits).contains("np.dot(a, b)"), "{action}");
    }
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn hover_shows_the_rule_docs() {
    let dir = workspace(&[("seed.py", SEED)]);
    let path = dir.path().join("seed.py");
    let u = uri(&path);
    let mut c = Client::start(dir.path());
    c.open(&path, SEED);
    c.published(&u);
    let h = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": { "line": 5, "character": 13 } }),
    );
    let text = h["result"]["contents"]["value"].as_str().unwrap();
    assert!(text.contains("NG101 builtin-reduction-over-array") && text.contains("## What it does"), "{text}");
    assert!(text.contains("reference: "), "quotes the measured figure: {text}");
    let nothing = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": u }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(nothing["result"], Value::Null);
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn config_reload_and_close() {
    let dir = workspace(&[("seed.py", SEED)]);
    let path = dir.path().join("seed.py");
    let u = uri(&path);
    let mut c = Client::start(dir.path());
    c.open(&path, SEED);
    assert_eq!(c.published(&u).len(), 1);
    std::fs::write(dir.path().join("numgil.toml"), "ignore = [\"NG101\"]\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&dir.path().join("numgil.toml")), "type": 1 }] }),
    );
    assert!(c.published(&u).is_empty(), "ignored after the config reload");
    std::fs::remove_file(dir.path().join("numgil.toml")).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&dir.path().join("numgil.toml")), "type": 3 }] }),
    );
    assert_eq!(c.published(&u).len(), 1);
    c.notify("textDocument/didClose", json!({ "textDocument": { "uri": u } }));
    assert!(c.published(&u).is_empty(), "didClose clears");
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn malformed_input_and_unknown_requests_get_errors() {
    let dir = workspace(&[]);
    let mut c = Client::start(dir.path());
    c.raw("{this is not json");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut parse_error = None;
    while let Some(m) = c.next(deadline) {
        if m["error"]["code"] == -32700 {
            parse_error = Some(m);
            break;
        }
    }
    assert!(parse_error.is_some(), "a parse error response");
    let r = c.request("textDocument/frobnicate", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    let r = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///nowhere.py" }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(r["error"]["code"], -32602, "not open: {r}");
    let r = c.request("textDocument/hover", json!({ "bogus": true }));
    assert!(r["error"].is_object());
    assert_eq!(c.shutdown(), Some(0), "still alive and exits cleanly");
}
