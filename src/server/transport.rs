//! The stdio transport: LSP base-protocol framing (`Content-Length` headers) on a reader and a
//! writer thread. Unlike lsp-server's own transport, a malformed message does not end the
//! session: it gets a JSON-RPC parse-error response and reading goes on.

use lsp_server::Message;
use std::io::{BufRead, Write};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

/// What the reader hands to the main loop.
pub enum Incoming {
    Message(Message),
    /// Input that was not a valid JSON-RPC message (already answered with an error).
    Malformed(String),
}

pub struct Transport {
    pub incoming: Receiver<Incoming>,
    pub outgoing: Sender<String>,
    pub threads: Vec<JoinHandle<()>>,
}

/// Serialize a message for the writer.
pub fn encode(msg: &Message) -> String {
    let mut buf = Vec::new();
    // `Message::write` frames the message; take the JSON body back out of it.
    let _ = msg.clone().write(&mut buf);
    let text = String::from_utf8_lossy(&buf).to_string();
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or(text)
}

fn write_framed(out: &mut impl Write, body: &str) -> std::io::Result<()> {
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

/// Read one framed body; `None` at end of input.
fn read_body(input: &mut impl BufRead) -> std::io::Result<Option<Result<String, String>>> {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
        }
    }
    let Some(length) = length else { return Ok(Some(Err("missing or invalid Content-Length header".into()))) };
    if length > 256 * 1024 * 1024 {
        return Ok(Some(Err(format!("message too large: {length} bytes"))));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Some(String::from_utf8(body).map_err(|_| "message body is not UTF-8".to_string())))
}

pub fn stdio() -> Transport {
    let (in_tx, in_rx) = channel::<Incoming>();
    let (out_tx, out_rx) = channel::<String>();
    let writer = std::thread::spawn(move || {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for body in out_rx {
            if write_framed(&mut out, &body).is_err() {
                break;
            }
        }
    });
    let errors = out_tx.clone();
    let reader = std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            let item = match read_body(&mut input) {
                Ok(Some(Ok(body))) => match serde_json::from_str::<Message>(&body) {
                    Ok(msg) => Incoming::Message(msg),
                    Err(e) => Incoming::Malformed(format!("parse error: {e}")),
                },
                Ok(Some(Err(e))) => Incoming::Malformed(e),
                Ok(None) | Err(_) => break,
            };
            if let Incoming::Malformed(why) = &item {
                let response = serde_json::json!({
                    "jsonrpc": "2.0",
                    "id": null,
                    "error": { "code": -32700, "message": why },
                });
                let _ = errors.send(response.to_string());
            }
            if in_tx.send(item).is_err() {
                break;
            }
        }
    });
    Transport { incoming: in_rx, outgoing: out_tx, threads: vec![reader, writer] }
}
