//! Conversions between numgil's positions and paths and the LSP's (UTF-16 positions,
//! `file://` URIs), and numgil diagnostics into LSP diagnostics that carry their fix in `data`.
//!
//! Every position that comes from the client is clamped to the document here (a stale
//! diagnostic or a racing hover may name a line past the end), so no later stage indexes out of
//! range; and ranged `didChange` edits are applied here with the LSP's UTF-16 columns.

use crate::files::source::SourceFile;
use crate::findings::diagnostic::Diagnostic;
use crate::findings::fix::Applicability;
use lsp_types::{self as lsp, Uri};
use ruff_source_file::{OneIndexed, PositionEncoding, SourceLocation};
use ruff_text_size::{TextRange, TextSize};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // `file:///path` or `file://localhost/path`
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => s.push(b as char),
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    Uri::from_str(&s).ok()
}

pub fn position(source: &SourceFile, offset: TextSize) -> lsp::Position {
    let loc = source.line_index.source_location(offset, &source.text, PositionEncoding::Utf16);
    lsp::Position { line: loc.line.to_zero_indexed() as u32, character: loc.character_offset.to_zero_indexed() as u32 }
}

pub fn range(source: &SourceFile, r: TextRange) -> lsp::Range {
    lsp::Range { start: position(source, r.start()), end: position(source, r.end()) }
}

/// A client position clamped to the document: the line to the last line, the column to that
/// line's length (in UTF-16 code units, without the line ending).
pub fn clamp(source: &SourceFile, p: lsp::Position) -> lsp::Position {
    let last = source.line_index.line_count().saturating_sub(1);
    let line = (p.line as usize).min(last);
    let text = &source.text[source.line_range(line + 1)];
    let width: usize = text.chars().map(char::len_utf16).sum();
    lsp::Position { line: line as u32, character: (p.character as usize).min(width) as u32 }
}

/// The byte offset of a client position (clamped to the document).
pub fn offset(source: &SourceFile, p: lsp::Position) -> TextSize {
    let p = clamp(source, p);
    let loc = SourceLocation {
        line: OneIndexed::from_zero_indexed(p.line as usize),
        character_offset: OneIndexed::from_zero_indexed(p.character as usize),
    };
    source.line_index.offset(loc, &source.text, PositionEncoding::Utf16).min(TextSize::of(source.text.as_str()))
}

/// The byte offset in `text` of an LSP position: lines end at `\n`, `\r\n` or `\r`, columns
/// count UTF-16 code units. A line past the end maps to the end of the text, a column past the
/// end of its line to the end of the line, and a column inside a surrogate pair to the start of
/// that character.
pub fn text_offset(text: &str, p: lsp::Position) -> usize {
    let bytes = text.as_bytes();
    let mut start = 0usize;
    for _ in 0..p.line {
        match bytes[start..].iter().position(|&b| b == b'\n' || b == b'\r') {
            None => return text.len(),
            Some(i) => {
                let at = start + i;
                start = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') { at + 2 } else { at + 1 };
            }
        }
    }
    let want = p.character as usize;
    let mut units = 0usize;
    for (i, c) in text[start..].char_indices() {
        let next = units + c.len_utf16();
        if c == '\n' || c == '\r' || units >= want || next > want {
            return start + i;
        }
        units = next;
    }
    text.len()
}

/// Apply one `didChange` content change: a ranged edit (positions clamped, a reversed range
/// taken in order), or the whole text when there is no range.
pub fn apply_change(text: &mut String, change: lsp::TextDocumentContentChangeEvent) {
    match change.range {
        None => *text = change.text,
        Some(r) => {
            let (a, b) = (text_offset(text, r.start), text_offset(text, r.end));
            text.replace_range(a.min(b)..a.max(b), &change.text);
        }
    }
}

/// The fix a published diagnostic carries in `data`, so a code action can apply it without
/// re-running the analysis.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FixData {
    pub code: String,
    pub title: String,
    pub safe: bool,
    pub edits: Vec<lsp::TextEdit>,
}

pub fn to_lsp(d: &Diagnostic, source: &SourceFile) -> lsp::Diagnostic {
    let severity = if d.code == "NG001" || d.code == "NG002" {
        lsp::DiagnosticSeverity::ERROR
    } else {
        lsp::DiagnosticSeverity::WARNING
    };
    let mut message = d.message.clone();
    if let Some(t) = &d.task {
        message.push('\n');
        message.push_str(&t.describe());
    }
    let related = d.task.as_ref().and_then(|t| {
        let uri = path_to_uri(&std::path::absolute(&t.site.filename).ok()?)?;
        let at = lsp::Position {
            line: t.site.row.saturating_sub(1) as u32,
            character: t.site.column.saturating_sub(1) as u32,
        };
        Some(vec![lsp::DiagnosticRelatedInformation {
            location: lsp::Location { uri, range: lsp::Range { start: at, end: at } },
            message: format!("launched here: {}", t.launcher),
        }])
    });
    let data = d.fix.as_ref().filter(|f| f.applicability != Applicability::DisplayOnly).map(|f| {
        let fd = FixData {
            code: d.code.to_string(),
            title: d.help.clone().unwrap_or_else(|| "apply the fix".into()),
            safe: f.applicability == Applicability::Safe,
            edits: f
                .edits
                .iter()
                .map(|e| lsp::TextEdit { range: range(source, e.range), new_text: e.content.clone() })
                .collect(),
        };
        serde_json::to_value(fd).unwrap_or_default()
    });
    lsp::Diagnostic {
        range: range(source, d.range),
        severity: Some(severity),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        code_description: None,
        source: Some("numgil".into()),
        message,
        related_information: related,
        tags: None,
        data,
    }
}
