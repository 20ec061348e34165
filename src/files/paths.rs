//! Paths as the command line sees them: one spelling per file (relative to the working
//! directory when under it, never with `./` or `..` components), the project root above a
//! path (nearest `pyproject.toml` or `.git`), and file names escaped for terminal output
//! (control and bidi characters shown as `\n`, `\u{202e}`).

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

/// The working directory, or `.` when it cannot be read.
pub fn cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// Resolve `.` and `..` lexically (symlinks are kept, as the user typed them).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The absolute, lexically normalised form of `path`.
pub fn absolute(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() { path.to_path_buf() } else { cwd().join(path) };
    lexical(&abs)
}

/// The spelling numgil reports a path by: relative to the working directory when it is under
/// it (`pkg/a.py`, `.` for the directory itself), absolute otherwise; never `./pkg/a.py`.
pub fn display(path: &Path) -> PathBuf {
    let abs = absolute(path);
    let here = cwd();
    let lexical_base = lexical(&here);
    let rel = abs.strip_prefix(&lexical_base).ok().map(Path::to_path_buf).or_else(|| {
        // A canonical path (a project root) under a working directory reached by a symlink.
        let canonical = std::fs::canonicalize(&here).ok()?;
        abs.strip_prefix(canonical).ok().map(Path::to_path_buf)
    });
    match rel {
        Some(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Some(rel) => rel,
        None => abs,
    }
}

/// The identity of a file or directory on disk: its canonical path (symlinks resolved), or its
/// absolute path when it cannot be resolved.
pub fn key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| absolute(path))
}

/// The project root of a path: the nearest directory at or above it holding a `pyproject.toml`
/// or a `.git`; without one, the working directory when the path is under it, else the path's
/// own directory.
pub fn project_root(path: &Path) -> PathBuf {
    let abs = key(path);
    let start = if abs.is_dir() { Some(abs.as_path()) } else { abs.parent() };
    let mut dir = start;
    while let Some(d) = dir {
        if d.join("pyproject.toml").is_file() || d.join(".git").exists() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    let here = key(&cwd());
    if abs.starts_with(&here) {
        return here;
    }
    start.map_or(abs.clone(), Path::to_path_buf)
}

/// Whether a character would change how a terminal shows the line: C0 and C1 controls, DEL,
/// and the bidi embedding, override and isolate controls.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// A file name for terminal output: `\n`, `\r`, `\t` and other control or bidi characters
/// written as escapes, so a crafted name cannot fake or reorder a report line. JSON and SARIF
/// keep the real string.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(escape("a.py"), "a.py");
        assert_eq!(escape("a\nb\t.py"), "a\\nb\\t.py");
        assert_eq!(escape("x\u{202e}yp.py"), "x\\u{202e}yp.py");
        assert_eq!(escape("\u{1b}[31m\u{85}"), "\\u{1b}[31m\\u{85}");
    }

    #[test]
    fn display_is_relative_without_dot() {
        assert_eq!(display(Path::new("./a/./b.py")), PathBuf::from("a/b.py"));
        assert_eq!(display(Path::new(".")), PathBuf::from("."));
        assert_eq!(display(Path::new("a/../b.py")), PathBuf::from("b.py"));
    }
}
