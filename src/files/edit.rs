//! A text edit: a range of a file's text and what replaces it. Fixes are made of edits, and a
//! notebook maps them onto its cells.

use ruff_text_size::{Ranged, TextRange, TextSize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: TextRange,
    pub content: String,
}

impl Edit {
    pub fn replace(range: TextRange, content: impl Into<String>) -> Edit {
        Edit { range, content: content.into() }
    }

    pub fn insert(at: TextSize, content: impl Into<String>) -> Edit {
        Edit { range: TextRange::empty(at), content: content.into() }
    }

    pub fn delete(range: TextRange) -> Edit {
        Edit { range, content: String::new() }
    }
}

impl Ranged for Edit {
    fn range(&self) -> TextRange {
        self.range
    }
}
