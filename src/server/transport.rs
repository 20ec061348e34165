//! The stdio transport: LSP base-protocol framing (`Content-Length` headers) on a reader and a
//! writer thread.
//!
//! Unlike lsp-server's own transport, bad input never ends the session or blocks it. Every
//! framing error (a `Content-Length` that is missing, not a number, negative, too large, or does
//! not match the body; a header line or block over its size cap; a header that is not UTF-8)
//! is answered with one JSON-RPC error and logged to stderr, and then the reader
//! *resynchronises*: it skips bytes up to the next `Content-Length:` header and goes on from
//! there. Memory stays bounded whatever arrives: header lines and blocks have caps, a body is
//! only allocated as its bytes arrive, and skipped bytes are dropped chunk by chunk.
//!
//! The reader thread is also the server's edit queue: it parses messages as fast as they come
//! and hands them to the main loop over a channel, so the main loop can drain everything that
//! has arrived and analyse only the newest version of each document (see `server::run`).

use aho_corasick::AhoCorasick;
use lsp_server::Message;
use std::io::{Read, Write};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

/// Longest header line accepted (bytes, without its line ending).
pub const MAX_HEADER_LINE: usize = 8 * 1024;
/// Largest header block accepted (all header lines of one message together).
pub const MAX_HEADER_BLOCK: usize = 64 * 1024;
/// Largest body accepted.
pub const MAX_BODY: usize = 256 * 1024 * 1024;
/// How much is read from the input at a time.
const CHUNK: usize = 64 * 1024;
const HEADER: &str = "content-length:";

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
    let mut v = serde_json::to_value(msg).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("jsonrpc".into(), "2.0".into());
    }
    v.to_string()
}

fn write_framed(out: &mut impl Write, body: &str) -> std::io::Result<()> {
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

/// One framing error: what to tell the client, and the JSON-RPC error code.
#[derive(Debug, PartialEq, Eq)]
pub struct FrameError {
    pub code: i32,
    pub message: String,
    /// The request id, when the body parsed as JSON with one.
    pub id: Option<serde_json::Value>,
}

impl FrameError {
    fn parse(message: impl Into<String>) -> FrameError {
        FrameError { code: -32700, message: message.into(), id: None }
    }

    /// The JSON-RPC error response for this error.
    pub fn response(&self) -> String {
        serde_json::json!({
            "jsonrpc": "2.0",
            "id": self.id.clone().unwrap_or(serde_json::Value::Null),
            "error": { "code": self.code, "message": self.message },
        })
        .to_string()
    }
}

/// What one call of [`Framer::next_frame`] produced.
#[derive(Debug)]
pub enum Frame {
    /// A body that parsed as JSON (not yet checked to be a JSON-RPC message).
    Body(Vec<u8>),
    /// Bad input; the framer has already arranged to resynchronise.
    Error(FrameError),
    /// End of input.
    End,
}

/// The base-protocol reader over any byte stream, with its own bounded buffer so that it can
/// look ahead for headers and put back bytes it read too far.
pub struct Framer<R> {
    input: R,
    /// `buf[start..]` is read but not yet consumed.
    buf: Vec<u8>,
    start: usize,
    eof: bool,
    /// Set after an error: skip to the next `Content-Length:` before reading a header.
    resync: bool,
    finder: Option<AhoCorasick>,
}

impl<R: Read> Framer<R> {
    pub fn new(input: R) -> Framer<R> {
        let finder = AhoCorasick::builder().ascii_case_insensitive(true).build([HEADER]).ok();
        Framer { input, buf: Vec::new(), start: 0, eof: false, resync: false, finder }
    }

    fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Read one more chunk from the input; `false` at end of input. Consumed bytes are dropped
    /// first, so the buffer never holds more than what is pending plus one chunk.
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        loop {
            match self.input.read(&mut self.buf[old..]) {
                Ok(0) => break,
                Ok(n) => {
                    self.buf.truncate(old + n);
                    return true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    eprintln!("numgil server: cannot read the input: {e}");
                    break;
                }
            }
        }
        self.buf.truncate(old);
        self.eof = true;
        false
    }

    /// Where the next `Content-Length:` header starts in `bytes`.
    fn find_header(&self, bytes: &[u8]) -> Option<usize> {
        match &self.finder {
            Some(f) => f.find(bytes).map(|m| m.start()),
            None => bytes.windows(HEADER.len()).position(|w| w.eq_ignore_ascii_case(HEADER.as_bytes())),
        }
    }

    /// Skip input up to the next `Content-Length:` header; `false` at end of input.
    fn skip_to_header(&mut self) -> bool {
        loop {
            if let Some(at) = self.find_header(self.pending()) {
                self.start += at;
                return true;
            }
            // Keep a tail that could be the beginning of a header split across chunks.
            let keep = self.pending().len().min(HEADER.len() - 1);
            self.start = self.buf.len() - keep;
            if !self.fill() {
                return false;
            }
        }
    }

    /// Give back bytes that were read as part of a body but belong to what follows.
    fn unread(&mut self, bytes: &[u8]) {
        let rest = self.buf.split_off(self.start);
        self.buf.clear();
        self.buf.extend_from_slice(bytes);
        self.buf.extend_from_slice(&rest);
        self.start = 0;
    }

    /// An error after which reading resumes at the next `Content-Length:` header.
    fn fail(&mut self, e: FrameError) -> Frame {
        self.resync = true;
        Frame::Error(e)
    }

    /// One header line (without its line ending) and how many bytes it took; `Ok(None)` at
    /// end of input. On error nothing is consumed.
    fn header_line(&mut self) -> Result<Option<(Vec<u8>, usize)>, FrameError> {
        let too_long = || FrameError::parse(format!("header line longer than {MAX_HEADER_LINE} bytes"));
        loop {
            if let Some(nl) = self.pending().iter().position(|&b| b == b'\n') {
                // `+ 1`: the line may end in `\r\n`.
                if nl > MAX_HEADER_LINE + 1 {
                    return Err(too_long());
                }
                let mut line = self.pending()[..nl].to_vec();
                self.start += nl + 1;
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some((line, nl + 1)));
            }
            if self.pending().len() > MAX_HEADER_LINE + 1 {
                return Err(too_long());
            }
            if !self.fill() {
                return Ok(None);
            }
        }
    }

    /// The next frame.
    pub fn next_frame(&mut self) -> Frame {
        if self.resync {
            self.resync = false;
            if !self.skip_to_header() {
                return Frame::End;
            }
        }
        // The header block. A bad line is remembered and the block read on: when its
        // `Content-Length` is good, the body is skipped by it, else the reader resynchronises.
        let mut length: Option<Result<u64, String>> = None;
        let mut bad: Option<FrameError> = None;
        let mut block = 0usize;
        let mut saw_header = false;
        loop {
            let (line, taken) = match self.header_line() {
                Ok(Some(line)) => line,
                Ok(None) => return Frame::End,
                Err(e) => {
                    // Resume inside the line that is too long: a header may start in it.
                    self.start = (self.start + 1).min(self.buf.len());
                    return self.fail(e);
                }
            };
            if line.is_empty() {
                if saw_header {
                    break;
                }
                continue;
            }
            saw_header = true;
            block += taken;
            if block > MAX_HEADER_BLOCK {
                return self.fail(FrameError::parse(format!("header block larger than {MAX_HEADER_BLOCK} bytes")));
            }
            let error = match std::str::from_utf8(&line) {
                Err(_) => Some(FrameError::parse("header is not UTF-8")),
                Ok(text) => match text.split_once(':') {
                    Some((name, value)) if is_token(name) => {
                        if name.eq_ignore_ascii_case("content-length") {
                            let value = value.trim();
                            length = Some(value.parse::<u64>().map_err(|_| clip(value)));
                        }
                        None
                    }
                    _ => Some(FrameError::parse(format!("malformed header line `{}`", clip(text)))),
                },
            };
            if let Some(e) = error {
                bad.get_or_insert(e);
            }
        }
        let length = match length {
            Some(Ok(n)) if n <= MAX_BODY as u64 => n as usize,
            Some(Ok(n)) => {
                return self.fail(bad.unwrap_or_else(|| {
                    FrameError::parse(format!(
                        "message too large: Content-Length {n} is over the {MAX_BODY}-byte limit"
                    ))
                }));
            }
            Some(Err(value)) => {
                return self
                    .fail(bad.unwrap_or_else(|| FrameError::parse(format!("invalid Content-Length `{value}`"))));
            }
            None => return self.fail(bad.unwrap_or_else(|| FrameError::parse("missing Content-Length header"))),
        };
        match (self.body(length), bad) {
            (Frame::Body(_), Some(e)) => Frame::Error(e),
            (frame, _) => frame,
        }
    }

    /// The first `Content-Length:` header in `body` at or after `from` (and after position 0)
    /// such that the bytes before it are one complete JSON value: the point where a message
    /// whose claimed length was too long really ended.
    fn split_point(&self, body: &[u8], from: usize) -> Option<usize> {
        let finder = self.finder.as_ref()?;
        finder
            .find_iter(&body[from..])
            .map(|m| m.start() + from)
            .find(|&at| at > 0 && serde_json::from_slice::<serde::de::IgnoredAny>(&body[..at]).is_ok())
    }

    /// Read a body of `length` bytes and check that it is one JSON value.
    fn body(&mut self, length: usize) -> Frame {
        let mut body: Vec<u8> = Vec::new();
        // How much of the body has been searched for a following header.
        let mut searched = 0usize;
        while body.len() < length {
            if self.pending().is_empty() && !self.fill() {
                return Frame::End;
            }
            let take = self.pending().len().min(length - body.len());
            body.extend_from_slice(&self.pending()[..take]);
            self.start += take;
            // A claimed length longer than the message: the next message's header shows up
            // inside the body. Do not wait for bytes the client may never send.
            if body.len() < length {
                let from = searched.saturating_sub(HEADER.len() - 1);
                searched = body.len();
                if let Some(at) = self.split_point(&body, from) {
                    self.unread(&body[at..]);
                    return Frame::Error(FrameError::parse(format!(
                        "Content-Length {length} is longer than the message ({at} bytes)"
                    )));
                }
            }
        }
        let parsed = match std::str::from_utf8(&body) {
            Err(_) => Err("message body is not UTF-8".to_string()),
            Ok(text) => serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| format!("parse error: {e}")),
        };
        match parsed {
            Ok(_) => Frame::Body(body),
            Err(message) => {
                // A body that swallowed the start of the next message: resume at its header.
                let at = self.split_point(&body, 0).or_else(|| {
                    let rest = body.get(1..)?;
                    self.find_header(rest).map(|i| i + 1)
                });
                match at {
                    Some(at) => {
                        self.unread(&body[at..]);
                        Frame::Error(FrameError::parse(message))
                    }
                    None => self.fail(FrameError::parse(message)),
                }
            }
        }
    }
}

/// A header name: letters, digits, `-` and `_`.
fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// At most 80 characters of `s`, for error messages.
fn clip(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A body that parsed as JSON, as a JSON-RPC message, or the InvalidRequest error to answer
/// (with the message's id when it has one): a request or notification needs a string `method`,
/// a response a `result` or an `error`.
pub fn decode(body: &[u8]) -> Result<Message, FrameError> {
    let invalid = |message: String, id: Option<serde_json::Value>| FrameError { code: -32600, message, id };
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| FrameError::parse(format!("parse error: {e}")))?;
    let id = v.get("id").filter(|id| id.is_number() || id.is_string()).cloned();
    let shaped = match v.get("method") {
        Some(method) => method.is_string(),
        None => v.get("result").is_some() || v.get("error").is_some(),
    };
    if !v.is_object() || !shaped {
        return Err(invalid("invalid JSON-RPC message: not a request, notification or response".into(), id));
    }
    serde_json::from_value::<Message>(v).map_err(|e| invalid(format!("invalid JSON-RPC message: {e}"), id))
}

/// Start the reader and writer threads on stdin and stdout.
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
        let mut framer = Framer::new(std::io::stdin().lock());
        loop {
            let item = match framer.next_frame() {
                Frame::End => break,
                Frame::Body(body) => decode(&body),
                Frame::Error(e) => Err(e),
            };
            let item = match item {
                Ok(msg) => Incoming::Message(msg),
                Err(e) => {
                    eprintln!("numgil server: {} (answered with error {})", e.message, e.code);
                    let _ = errors.send(e.response());
                    Incoming::Malformed(e.message)
                }
            };
            if in_tx.send(item).is_err() {
                break;
            }
        }
    });
    Transport { incoming: in_rx, outgoing: out_tx, threads: vec![reader, writer] }
}
