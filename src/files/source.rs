//! Source text of one file with its line index, so every later stage maps byte offsets to
//! rows and columns the same way (1-based rows, 1-based character columns, like ruff).

use ruff_source_file::{LineIndex, OneIndexed};
use ruff_text_size::{TextRange, TextSize};
use std::path::PathBuf;

/// A file's text, read once, with its line index.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
    pub line_index: LineIndex,
}

/// A 1-based row and character column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub row: usize,
    pub column: usize,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: String) -> Self {
        let line_index = LineIndex::from_source_text(&text);
        Self { path, text, line_index }
    }

    /// Row and character column of a byte offset (both 1-based).
    pub fn location(&self, offset: TextSize) -> Location {
        let lc = self.line_index.line_column(offset, &self.text);
        Location { row: lc.line.get(), column: lc.column.get() }
    }

    /// The byte range of a 1-based row, without its line ending.
    pub fn line_range(&self, row: usize) -> TextRange {
        let line = OneIndexed::new(row).unwrap_or(OneIndexed::MIN);
        let full = self.line_index.line_range(line, &self.text);
        let text = &self.text[full];
        let trimmed = text.trim_end_matches(['\n', '\r']);
        TextRange::at(full.start(), TextSize::of(trimmed))
    }

    /// The path as shown to users (relative paths stay relative).
    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }
}
