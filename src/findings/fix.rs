//! Fixes: the edits a rule proposes ([`Edit`], from `files::edit`), how safe they are, and
//! applying them. Fixes are applied until nothing changes; a file is written (by
//! `files::write`) only if it still parses.

use ruff_text_size::TextRange;
use serde::Serialize;

pub use crate::files::edit::Edit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Only shown: applying it needs a decision the tool cannot make.
    DisplayOnly,
    /// Changes behaviour in edge cases (applied with `--unsafe-fixes`).
    Unsafe,
    /// Keeps behaviour (applied with `--fix`).
    Safe,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// Non-overlapping edits, applied together or not at all.
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
}

impl Fix {
    pub fn safe(edits: Vec<Edit>) -> Fix {
        Fix { edits, applicability: Applicability::Safe }
    }

    pub fn unsafe_edits(edits: Vec<Edit>) -> Fix {
        Fix { edits, applicability: Applicability::Unsafe }
    }

    pub fn display_only(edits: Vec<Edit>) -> Fix {
        Fix { edits, applicability: Applicability::DisplayOnly }
    }

    fn span(&self) -> Option<TextRange> {
        let start = self.edits.iter().map(|e| e.range.start()).min()?;
        let end = self.edits.iter().map(|e| e.range.end()).max()?;
        Some(TextRange::new(start, end))
    }
}

/// Which fixes to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixMode {
    Safe,
    Unsafe,
}

impl FixMode {
    pub fn allows(self, a: Applicability) -> bool {
        match self {
            FixMode::Safe => a == Applicability::Safe,
            FixMode::Unsafe => a >= Applicability::Unsafe,
        }
    }
}

/// Apply the applicable fixes to `text`, skipping any whose span overlaps one already taken
/// (the next round picks it up). Returns the new text and the number of fixes applied.
pub fn apply<'f>(text: &str, fixes: impl IntoIterator<Item = &'f Fix>, mode: FixMode) -> (String, usize) {
    let (text, n, _) = apply_edits(text, fixes, mode);
    (text, n)
}

/// [`apply`], also returning the edits that were applied (in `text`'s coordinates).
pub fn apply_edits<'f>(
    text: &str,
    fixes: impl IntoIterator<Item = &'f Fix>,
    mode: FixMode,
) -> (String, usize, Vec<Edit>) {
    let mut chosen: Vec<&Fix> = Vec::new();
    let mut taken: Vec<TextRange> = Vec::new();
    let mut candidates: Vec<&Fix> = fixes.into_iter().filter(|f| mode.allows(f.applicability)).collect();
    candidates.sort_by_key(|f| f.span().map(|s| (s.start(), s.end())));
    for f in candidates {
        let Some(span) = f.span() else { continue };
        if taken.iter().any(|t| t.intersect(span).is_some_and(|i| !i.is_empty() || *t == span)) {
            continue;
        }
        if u32::from(span.end()) as usize > text.len() {
            continue;
        }
        taken.push(span);
        chosen.push(f);
    }
    let mut edits: Vec<&Edit> = chosen.iter().flat_map(|f| f.edits.iter()).collect();
    edits.sort_by_key(|e| (e.range.start(), e.range.end()));
    let mut out = String::with_capacity(text.len());
    let mut last = 0usize;
    for e in edits {
        let (s, en) = (usize::from(e.range.start()), usize::from(e.range.end()));
        if s < last || !text.is_char_boundary(s) || !text.is_char_boundary(en) {
            continue;
        }
        out.push_str(&text[last..s]);
        out.push_str(&e.content);
        last = en;
    }
    out.push_str(&text[last..]);
    let applied = chosen.iter().flat_map(|f| f.edits.iter().cloned()).collect();
    (out, chosen.len(), applied)
}

/// A unified diff of one file's change, for `--diff`.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after).unified_diff().context_radius(3).header(path, path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: u32, b: u32) -> TextRange {
        TextRange::new(a.into(), b.into())
    }

    #[test]
    fn applies_non_overlapping_and_respects_mode() {
        let text = "abc def ghi";
        let safe = Fix::safe(vec![Edit::replace(r(0, 3), "ABC")]);
        let unsafe_ = Fix::unsafe_edits(vec![Edit::replace(r(4, 7), "DEF")]);
        let overlapping = Fix::safe(vec![Edit::replace(r(1, 5), "X")]);
        let shown = Fix::display_only(vec![Edit::replace(r(8, 11), "GHI")]);
        let all = [safe.clone(), unsafe_.clone(), overlapping, shown];
        assert_eq!(apply(text, &all, FixMode::Safe), ("ABC def ghi".to_string(), 1));
        assert_eq!(apply(text, &all, FixMode::Unsafe), ("ABC DEF ghi".to_string(), 2));
    }
}
