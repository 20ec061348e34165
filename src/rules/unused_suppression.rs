//! ## What it does
//! Reports a `# noqa: NG…` or `# numgil: ignore[NG…]` comment that suppressed nothing in this
//! run. Opt-in: enable it with `--extend-select NG003` (or `extend-select = ["NG003"]`).
//!
//! ## Why is this bad?
//! A stale suppression hides the next real finding on that line. Comments that name only other
//! tools' codes (`# noqa: E501`) and bare `# noqa` are left alone: they may serve another tool.
//!
//! ## Example
//! ```python
//! def task(chunk):
//!     return np.sum(chunk)  # noqa: NG101
//! ```
//!
//! Use instead:
//! ```python
//! def task(chunk):
//!     return np.sum(chunk)
//! ```
//!
//! ## Fix safety
//! The fix removes the unused codes, or the whole comment when nothing is left; it only edits
//! a comment, so it is safe.

use super::{FixAvailability, RuleMeta, RuleScope};
use crate::config::Settings;
use crate::diagnostic::Diagnostic;
use crate::fix::{Edit, Fix};
use crate::project::Project;
use crate::suppress::{Suppression, parse_comment};
use ruff_text_size::{TextRange, TextSize};
use rustc_hash::FxHashSet;

pub static META: RuleMeta = RuleMeta {
    code: "NG003",
    name: "unused-suppression",
    fix: FixAvailability::Always,
    opt_in: true,
    scope: RuleScope::Engine,
    source: include_str!("unused_suppression.rs"),
};

pub fn message(codes: &[String]) -> String {
    format!("unused suppression for {}", codes.join(", "))
}

pub fn fix_title(all: bool) -> String {
    if all { "remove the suppression comment".into() } else { "remove the unused codes".into() }
}

/// Suppressions of NG codes that no finding used. `used` holds (file, row, code).
pub fn check(project: &Project, used: &FxHashSet<(u32, usize, &'static str)>, settings: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (file, m) in project.modules.iter().enumerate() {
        if settings.ignored_in(&m.source.path, META.code) {
            continue;
        }
        for &range in &m.suppression_comments {
            let text = &m.source.text[range];
            let Some(Suppression::Codes(codes)) = parse_comment(text) else { continue };
            let row = m.source.location(range.start()).row;
            let ours: Vec<&String> = codes.iter().filter(|c| c.to_ascii_uppercase().starts_with("NG")).collect();
            let unused: Vec<String> = ours
                .iter()
                .filter(|c| {
                    !used.iter().any(|(f, r, code)| *f == file as u32 && *r == row && code.eq_ignore_ascii_case(c))
                })
                .map(|c| c.to_string())
                .collect();
            if unused.is_empty() {
                continue;
            }
            let all_unused = unused.len() == codes.len();
            let fix = if all_unused {
                Fix::safe(vec![Edit::delete(directive_span(&m.source.text, range))])
            } else {
                let mut rewritten = text.to_string();
                for c in &unused {
                    rewritten = remove_code(&rewritten, c);
                }
                Fix::safe(vec![Edit::replace(range, rewritten)])
            };
            let mut d =
                Diagnostic::at(&META, &m.source, file as u32, range, message(&unused), Some(fix_title(all_unused)));
            d.fix = Some(fix);
            out.push(d);
        }
    }
    out
}

/// The span to delete to remove a suppression directive from a comment: just the directive
/// (`# noqa: NG101  `) when other comment text follows it, else the directive and the spaces
/// before it.
fn directive_span(text: &str, comment: TextRange) -> TextRange {
    let c = &text[comment];
    let lower = c.to_ascii_lowercase();
    let at = lower.find("noqa").or_else(|| lower.find("numgil")).unwrap_or(0);
    let start = c[..at].rfind('#').unwrap_or(0);
    let rest = &c[at..];
    match rest.find('#') {
        // Something follows: delete up to it.
        Some(next) => {
            let s = comment.start() + TextSize::from(start as u32);
            TextRange::new(s, comment.start() + TextSize::from((at + next) as u32))
        }
        None => {
            let end = comment.start() + TextSize::from(c.trim_end().len() as u32);
            let s = comment.start() + TextSize::from(start as u32);
            // Eat the spaces before the directive when it ends the line.
            let line_before = &text[..usize::from(s)];
            let trimmed = line_before.trim_end_matches([' ', '\t']);
            let s = if start == 0 { TextSize::of(trimmed) } else { s };
            TextRange::new(s, end)
        }
    }
}

/// Remove one code from a code list in a comment (`NG101, NG102` → `NG102`).
fn remove_code(comment: &str, code: &str) -> String {
    for pat in [format!("{code}, "), format!(", {code}"), format!("{code},"), format!(",{code}"), code.to_string()] {
        if let Some(i) = comment.find(&pat) {
            let mut s = comment.to_string();
            s.replace_range(i..i + pat.len(), "");
            return s;
        }
    }
    comment.to_string()
}
