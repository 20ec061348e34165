//! A JSON-RPC client for `numgil server` over stdio, shared by the language-server tests: it
//! frames requests, reads every message the server sends on a thread (so a read can time out
//! instead of blocking), captures the server's stderr, and has a watchdog that kills a server
//! which hangs, so that a hang fails the test instead of blocking the suite forever.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long any one server may live in a test before the watchdog kills it.
const WATCHDOG: Duration = Duration::from_secs(180);

pub struct Client {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub rx: Receiver<Value>,
    pub next_id: i64,
    pub backlog: Vec<Value>,
    pub stderr: Arc<Mutex<String>>,
    done: Arc<AtomicBool>,
}

pub fn uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// Read framed messages from the server's stdout and hand them over, until the stream ends.
fn read_frames(stdout: impl Read, tx: std::sync::mpsc::Sender<Value>) {
    let mut r = BufReader::new(stdout);
    loop {
        let mut len = None;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length:") {
                len = v.trim().parse::<usize>().ok();
            }
        }
        let Some(len) = len else { panic!("the server sent a frame without Content-Length") };
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let v: Value = serde_json::from_slice(&body).expect("the server sends JSON");
        if tx.send(v).is_err() {
            return;
        }
    }
}

impl Client {
    /// Start the server without initializing it.
    pub fn spawn(root: &Path, envs: &[(&str, &str)]) -> Client {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_numgil"));
        cmd.arg("server")
            .current_dir(root)
            .env("NUMGIL_CACHE_DIR", root.join(".no-cache"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start numgil server");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let (tx, rx) = channel();
        std::thread::spawn(move || read_frames(stdout, tx));
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let done = Arc::new(AtomicBool::new(false));
        let (flag, pid) = (done.clone(), child.id());
        std::thread::spawn(move || {
            let deadline = Instant::now() + WATCHDOG;
            while Instant::now() < deadline {
                if flag.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if !flag.load(Ordering::SeqCst) {
                eprintln!("watchdog: numgil server {pid} still running after {WATCHDOG:?}; killing it");
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
        });
        Client { child, stdin, rx, next_id: 0, backlog: Vec::new(), stderr, done }
    }

    /// Start and initialize the server on `root`.
    pub fn start(root: &Path) -> Client {
        Client::start_with(root, &[])
    }

    pub fn start_with(root: &Path, envs: &[(&str, &str)]) -> Client {
        let mut c = Client::spawn(root, envs);
        let caps = c.request(
            "initialize",
            json!({ "processId": null, "rootUri": uri(root), "capabilities": { "workspace": { "diagnostic": { "refreshSupport": true } } } }),
        );
        assert!(caps["result"]["capabilities"].is_object(), "{caps}");
        c.notify("initialized", json!({}));
        c.backlog.push(caps);
        c
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).expect("write to the server");
        stdin.flush().expect("flush to the server");
    }

    pub fn raw(&mut self, body: &str) {
        self.bytes(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.raw(&json!({ "jsonrpc": "2.0", "method": method, "params": params }).to_string());
    }

    /// Send a request without waiting; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.raw(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string());
        id
    }

    pub fn next(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.rx.recv_timeout(left).ok()
    }

    /// The response to request `id` (messages before it go to the backlog).
    pub fn response(&mut self, id: i64, timeout: Duration) -> Option<Value> {
        if let Some(i) = self.backlog.iter().position(|m| m["id"] == json!(id) && m.get("method").is_none()) {
            return Some(self.backlog.remove(i));
        }
        let deadline = Instant::now() + timeout;
        while let Some(msg) = self.next(deadline) {
            if msg["id"] == json!(id) && msg.get("method").is_none() {
                return Some(msg);
            }
            self.backlog.push(msg);
        }
        None
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        match self.response(id, Duration::from_secs(30)) {
            Some(r) => r,
            None => panic!("no response to {method}; server stderr:\n{}", self.stderr_text()),
        }
    }

    /// The next message (from the backlog first) that `pred` accepts.
    pub fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return Some(self.backlog.remove(i));
        }
        let deadline = Instant::now() + timeout;
        while let Some(msg) = self.next(deadline) {
            if pred(&msg) {
                return Some(msg);
            }
            self.backlog.push(msg);
        }
        None
    }

    /// The next diagnostics published for `u` (looking at already received messages first).
    pub fn published(&mut self, u: &str) -> Vec<Value> {
        let pred = |m: &Value| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == u;
        match self.wait_for(Duration::from_secs(30), pred) {
            Some(m) => m["params"]["diagnostics"].as_array().cloned().unwrap_or_default(),
            None => panic!("nothing published for {u}; server stderr:\n{}", self.stderr_text()),
        }
    }

    pub fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri(path), "languageId": "python", "version": 1, "text": text } }),
        );
    }

    pub fn change(&mut self, path: &Path, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri(path), "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The server's stderr once it contains `needle` (its reader thread may lag behind the
    /// responses on a loaded machine), or as it is after `timeout`.
    pub fn stderr_containing(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let text = self.stderr_text();
            if text.contains(needle) || Instant::now() >= deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Wait for the server to exit by itself; its exit code, or `None` (then it is killed).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.done.store(true, Ordering::SeqCst);
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.done.store(true, Ordering::SeqCst);
        None
    }

    pub fn shutdown(mut self) -> Option<i32> {
        let r = self.request("shutdown", Value::Null);
        assert!(r.get("error").is_none() && r["result"].is_null(), "{r}");
        self.notify("exit", Value::Null);
        self.wait_exit(Duration::from_secs(10))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.done.store(true, Ordering::SeqCst);
    }
}
