//! File discovery: a gitignore-aware parallel walk (the `ignore` crate) that yields the Python
//! files to check, plus the walk errors (directory loops, unreadable directories) as problems
//! to report. Files named explicitly on the command line are always checked.
//!
//! Only regular files are yielded: a FIFO, socket or device named like a Python file (walked,
//! reached through a symlink, or named on the command line) becomes a problem ("not a regular
//! file") instead of a read that blocks or never ends.

use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Directories skipped by default, as ruff does.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pypackages__",
    "_build",
    "buck-out",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
];

/// A path that could not be walked.
#[derive(Debug, Clone)]
pub struct WalkProblem {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub problems: Vec<WalkProblem>,
}

/// Build a matcher for exclude globs. A glob without a `/` matches any path component
/// (`build` excludes every `build` directory), one with a `/` matches the path.
pub fn exclude_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let pattern = if g.contains('/') { format!("**/{}", g.trim_start_matches("./")) } else { g.clone() };
        b.add(Glob::new(&pattern).map_err(|e| format!("invalid exclude pattern `{g}`: {e}"))?);
        if g.contains('/') {
            b.add(Glob::new(&format!("{}/**", pattern.trim_end_matches('/'))).map_err(|e| e.to_string())?);
        }
    }
    b.build().map_err(|e| e.to_string())
}

fn is_python(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("py" | "pyi" | "ipynb"))
}

fn excluded(path: &Path, excludes: &GlobSet) -> bool {
    if excludes.is_empty() {
        return false;
    }
    if excludes.is_match(path) {
        return true;
    }
    path.file_name().is_some_and(|n| excludes.is_match(Path::new(n)))
}

/// Walk `paths` and return the Python files in a stable (sorted) order.
pub fn discover(paths: &[PathBuf], excludes: &GlobSet) -> Discovered {
    let defaults = exclude_set(&DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap_or_default();
    let out = Mutex::new(Discovered::default());
    let mut walk_roots = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(meta) if meta.is_dir() => walk_roots.push(p.clone()),
            // Named explicitly: checked whatever its extension, unless excluded.
            Ok(meta) if meta.is_file() => {
                if !excluded(p, excludes) {
                    push(&out, |d| d.files.push(p.clone()));
                }
            }
            Ok(meta) => {
                if !excluded(p, excludes) {
                    let message = not_regular(&meta.file_type());
                    push(&out, |d| d.problems.push(WalkProblem { path: p.clone(), message }));
                }
            }
            Err(e) => {
                let message = if e.kind() == std::io::ErrorKind::NotFound {
                    "no such file or directory".to_string()
                } else {
                    format!("cannot read: {e}")
                };
                push(&out, |d| d.problems.push(WalkProblem { path: p.clone(), message }));
            }
        }
    }
    if let Some((first, rest)) = walk_roots.split_first() {
        let mut builder = ignore::WalkBuilder::new(first);
        for r in rest {
            builder.add(r);
        }
        builder.follow_links(true).require_git(false);
        let defaults = &defaults;
        builder.build_parallel().run(|| {
            let out = &out;
            Box::new(move |entry| {
                match entry {
                    Ok(e) => {
                        let path = e.path();
                        let file_type = e.file_type();
                        let is_dir = file_type.is_some_and(|t| t.is_dir());
                        if e.depth() > 0 && (excluded(path, excludes) || (is_dir && excluded(path, defaults))) {
                            return if is_dir { ignore::WalkState::Skip } else { ignore::WalkState::Continue };
                        }
                        if !is_dir && is_python(path) {
                            // The entry's type is the link target's (links are followed); check
                            // it again through `metadata` where the walk did not say.
                            let regular = match file_type {
                                Some(t) if t.is_file() => Ok(()),
                                Some(t) if !t.is_symlink() => Err(not_regular(&t)),
                                _ => match std::fs::metadata(path) {
                                    Ok(m) if m.is_file() => Ok(()),
                                    Ok(m) => Err(not_regular(&m.file_type())),
                                    Err(e) => Err(format!("cannot read: {e}")),
                                },
                            };
                            match regular {
                                Ok(()) => push(out, |d| d.files.push(path.to_path_buf())),
                                Err(message) => {
                                    push(out, |d| d.problems.push(WalkProblem { path: path.to_path_buf(), message }))
                                }
                            }
                        }
                    }
                    Err(err) => push(out, |d| d.problems.push(walk_problem(&err))),
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut d = out.into_inner().unwrap_or_else(|e| e.into_inner());
    d.files.sort();
    d.files.dedup();
    d.problems.sort_by(|a, b| a.path.cmp(&b.path));
    d
}

/// Why a path that is not a regular file is not read: "not a regular file (a FIFO)".
pub fn not_regular(t: &std::fs::FileType) -> String {
    let kind = if t.is_dir() { "a directory" } else { special_kind(t) };
    format!("not a regular file ({kind}); skipped")
}

#[cfg(unix)]
fn special_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

fn push(out: &Mutex<Discovered>, f: impl FnOnce(&mut Discovered)) {
    let mut guard = out.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard);
}

fn walk_problem(err: &ignore::Error) -> WalkProblem {
    fn path_of(err: &ignore::Error) -> Option<PathBuf> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path.clone()),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => path_of(err),
            ignore::Error::Loop { child, .. } => Some(child.clone()),
            ignore::Error::Partial(errs) => errs.first().and_then(path_of),
            _ => None,
        }
    }
    fn message(err: &ignore::Error) -> String {
        match err {
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => message(err),
            ignore::Error::Loop { ancestor, .. } => {
                format!("directory loop: links back to {}", ancestor.display())
            }
            other => other.to_string(),
        }
    }
    WalkProblem { path: path_of(err).unwrap_or_default(), message: message(err) }
}
