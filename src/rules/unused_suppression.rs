//! ## What it does
//! Reports a `# noqa: NG…` or `# numgil: ignore[NG…]` comment that suppressed nothing in this
//! run. Opt-in: enable it with `--extend-select NG003` (or `extend-select = ["NG003"]`).
//!
//! A code is reported only when its rule ran on that line with the whole project's task
//! context, so that a finding there would have been seen:
//!
//! - the rule is selected and not ignored for the file (`--select`, `--ignore`,
//!   `per-file-ignores`): a suppression for a rule that did not run is left alone;
//! - for the thread-task rules (NG101–NG107, NG201–NG204) with the default `--scope tasks`, the
//!   line is in a function that runs in a thread task (with `--scope everywhere`, anywhere);
//! - the task context is complete: when a Python file under the project root (the nearest
//!   `pyproject.toml`, `numgil.toml`, `setup.py`, `setup.cfg` or `.git` above the file) that
//!   was not checked mentions the module's name (`numgil check work.py` while `launcher.py`
//!   imports `work`), its launchers were not seen, and nothing in the file is reported.
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
//! a comment, and only codes reported by the rules above, so it is safe.

use super::{FixAvailability, RuleMeta, RuleScope, Selection};
use crate::analysis::callgraph::TaskGraph;
use crate::findings::diagnostic::Diagnostic;
use crate::findings::fix::{Edit, Fix};
use crate::findings::suppress::{Suppression, parse_comment};
use crate::project::Project;
use crate::project::index::{FuncId, ProjectIndex};
use ruff_text_size::{TextRange, TextSize};
use rustc_hash::{FxHashMap, FxHashSet};
use std::path::{Path, PathBuf};

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

/// Suppressions of NG codes that no finding used, among the codes whose rules ran on that line
/// with the whole project's task context (see the rule's documentation). `used` holds
/// (file, row, code).
pub fn check(
    project: &Project,
    index: &ProjectIndex,
    graph: &TaskGraph,
    used: &FxHashSet<(u32, usize, &'static str)>,
    settings: &dyn Selection,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut outside = OutsideFiles::default();
    for (file, m) in project.modules.iter().enumerate() {
        if settings.ignored_in(&m.source.path, META.code) || m.suppression_comments.is_empty() {
            continue;
        }
        let coverage = Coverage::new(index, graph, settings, file as u32);
        let mut complete: Option<bool> = None;
        for &range in &m.suppression_comments {
            let text = &m.source.text[range];
            let Some(Suppression::Codes(codes)) = parse_comment(text) else { continue };
            let row = m.source.location(range.start()).row;
            let line_start = first_code_offset(&m.source.text, m.source.line_range(row));
            let unused: Vec<String> = codes
                .iter()
                .filter(|c| c.to_ascii_uppercase().starts_with("NG"))
                .filter(|c| {
                    !used.iter().any(|(f, r, code)| *f == file as u32 && *r == row && code.eq_ignore_ascii_case(c))
                })
                .filter(|c| coverage.ran(c, &m.source.path, line_start))
                .map(|c| c.to_string())
                .collect();
            if unused.is_empty() {
                continue;
            }
            // Only now (some code would be reported) look for launchers outside the checked files.
            if !*complete.get_or_insert_with(|| outside.context_complete(project, file, settings)) {
                break;
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

/// The offset of the first non-blank character of a line (where code on it starts).
fn first_code_offset(text: &str, line: TextRange) -> TextSize {
    let l = &text[line];
    let blank = l.len() - l.trim_start().len();
    line.start() + TextSize::from(blank as u32)
}

/// Where the rules ran in one file in this check.
struct Coverage<'x, 'a> {
    index: &'x ProjectIndex<'a>,
    graph: &'x TaskGraph,
    settings: &'x dyn Selection,
    file: u32,
}

impl<'x, 'a> Coverage<'x, 'a> {
    fn new(index: &'x ProjectIndex<'a>, graph: &'x TaskGraph, settings: &'x dyn Selection, file: u32) -> Self {
        Coverage { index, graph, settings, file }
    }

    /// Whether the rule of `code` ran on the code at `offset` of this file: it is a known code,
    /// selected and not ignored for the file, and (for thread-task rules in the default scope)
    /// the offset is in a function that runs in a thread task.
    fn ran(&self, code: &str, path: &Path, offset: TextSize) -> bool {
        let Some(meta) = super::all_metas().into_iter().find(|m| m.code.eq_ignore_ascii_case(code)) else {
            return false;
        };
        if meta.code == META.code || !self.settings.enabled(meta.code) || self.settings.ignored_in(path, meta.code) {
            return false;
        }
        match meta.scope {
            RuleScope::ThreadTasks if self.settings.tasks_only() => self.in_task(offset),
            _ => true,
        }
    }

    /// Whether the innermost function or class around `offset` is a function the rules walk as
    /// thread-task code (the units `lint` walks in the default scope).
    fn in_task(&self, offset: TextSize) -> bool {
        let scopes = self.index.module_scopes(self.file);
        let mut innermost: Option<(TextRange, Option<FuncId>)> = None;
        let mut consider = |range: TextRange, func: Option<FuncId>| {
            if range.contains(offset) && innermost.is_none_or(|(r, _)| r.len() > range.len()) {
                innermost = Some((range, func));
            }
        };
        for (local, f) in scopes.functions.iter().enumerate() {
            consider(f.node.range(), Some(FuncId { file: self.file, local: local as u32 }));
        }
        for c in &scopes.classes {
            consider(c.node.range, None);
        }
        match innermost {
            Some((_, Some(f))) => self.graph.thread_reach.contains_key(&f) && !self.index.is_leaf(f),
            _ => false,
        }
    }
}

/// The most files read under one project root when looking for launchers outside the checked
/// files; past it the context counts as incomplete.
const MAX_OUTSIDE_FILES: usize = 20_000;
/// Files larger than this are not read (and count as mentioning the module).
const MAX_OUTSIDE_BYTES: u64 = 4 << 20;

/// Python files under a project root that the check did not load, read once per root.
#[derive(Default)]
struct OutsideFiles {
    /// Per root: the texts of the files outside the project, or `None` when there were too many
    /// to read.
    by_root: FxHashMap<PathBuf, Option<Vec<String>>>,
}

impl OutsideFiles {
    /// Whether the task context of `file` is complete: no Python file under its project root
    /// that the check did not load mentions the module's name (and so could import it and launch
    /// its functions). In-memory files (no such path on disk) are complete.
    fn context_complete(&mut self, project: &Project, file: usize, settings: &dyn Selection) -> bool {
        let m = &project.modules[file];
        let Ok(path) = std::fs::canonicalize(&m.source.path) else { return true };
        let root = project_root(&path);
        let texts = self.by_root.entry(root.clone()).or_insert_with(|| outside_texts(project, &root, settings));
        let Some(texts) = texts else { return false };
        let word = m.name.rsplit('.').next().unwrap_or(&m.name);
        !texts.iter().any(|t| mentions_word(t, word))
    }
}

/// The nearest directory above `path` that marks a project root, else the file's directory.
fn project_root(path: &Path) -> PathBuf {
    const MARKERS: &[&str] = &["pyproject.toml", "numgil.toml", "setup.py", "setup.cfg", ".git"];
    let dir = path.parent().unwrap_or(Path::new("/"));
    dir.ancestors().find(|d| MARKERS.iter().any(|m| d.join(m).exists())).unwrap_or(dir).to_path_buf()
}

/// The texts of the Python files under `root` that the project did not load; `None` when there
/// are too many to read or one is too large (then the context cannot be shown complete).
fn outside_texts(project: &Project, root: &Path, settings: &dyn Selection) -> Option<Vec<String>> {
    let loaded: FxHashSet<PathBuf> = project
        .modules
        .iter()
        .map(|m| &m.source.path)
        .chain(project.problems.iter().map(|p| &p.path))
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let excludes = crate::files::discover::exclude_set(settings.exclude()).unwrap_or_default();
    let found = crate::files::discover::discover(&[root.to_path_buf()], &excludes);
    let outside: Vec<PathBuf> =
        found.files.into_iter().filter(|f| std::fs::canonicalize(f).map_or(true, |c| !loaded.contains(&c))).collect();
    if outside.len() > MAX_OUTSIDE_FILES {
        return None;
    }
    let mut texts = Vec::with_capacity(outside.len());
    for f in outside {
        // Only regular files of a bounded size: never block on a FIFO or read a device.
        let meta = std::fs::metadata(&f).ok()?;
        if !meta.is_file() || meta.len() > MAX_OUTSIDE_BYTES {
            return None;
        }
        texts.push(String::from_utf8_lossy(&std::fs::read(&f).ok()?).into_owned());
    }
    Some(texts)
}

/// Whether `word` occurs in `text` as a whole identifier.
fn mentions_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return true;
    }
    let is_ident = |c: char| c == '_' || c.is_alphanumeric();
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
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
