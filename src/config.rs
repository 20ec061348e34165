//! Project configuration discovered from the files being checked: the nearest `pyproject.toml`
//! or `numgil.toml` up the tree. Today it supplies the Python target version (from
//! `requires-python`), which the parser uses to gate new syntax.

use ruff_python_ast::PythonVersion;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

/// Settings that apply to a whole run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub scope: Scope,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scope: Scope::Tasks,
        }
    }
}

/// Which code GIL and fusion rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Only code reachable from a thread task.
    Tasks,
    /// All code.
    Everywhere,
}

/// Finds the target Python version for each file, caching per directory.
#[derive(Default)]
pub struct TargetVersions {
    by_dir: FxHashMap<PathBuf, PythonVersion>,
}

pub const DEFAULT_TARGET: PythonVersion = PythonVersion::PY314;

impl TargetVersions {
    pub fn for_file(&mut self, file: &Path) -> PythonVersion {
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        self.for_dir(&dir)
    }

    fn for_dir(&mut self, dir: &Path) -> PythonVersion {
        if let Some(v) = self.by_dir.get(dir) {
            return *v;
        }
        let v = match read_requires_python(dir) {
            Some(v) => v,
            None => match dir.parent() {
                Some(parent) if parent != dir && !dir.as_os_str().is_empty() => {
                    self.for_dir(parent)
                }
                _ => DEFAULT_TARGET,
            },
        };
        self.by_dir.insert(dir.to_path_buf(), v);
        v
    }
}

fn read_requires_python(dir: &Path) -> Option<PythonVersion> {
    let text = std::fs::read_to_string(dir.join("pyproject.toml")).ok()?;
    let doc: toml::Table = text.parse().ok()?;
    let spec = doc.get("project")?.get("requires-python")?.as_str()?;
    parse_requires_python(spec)
}

/// The lowest version a `requires-python` specifier allows (`>=3.9` → 3.9, `~=3.10` → 3.10).
pub fn parse_requires_python(spec: &str) -> Option<PythonVersion> {
    spec.split(',')
        .filter_map(|clause| {
            let c = clause.trim();
            let rest = c
                .strip_prefix(">=")
                .or_else(|| c.strip_prefix("~="))
                .or_else(|| c.strip_prefix("=="))
                .or_else(|| c.strip_prefix('>'))?;
            let mut parts = rest.trim().split('.');
            let major: u8 = parts.next()?.trim().parse().ok()?;
            let minor: u8 = parts
                .next()
                .unwrap_or("0")
                .trim_end_matches('*')
                .parse()
                .unwrap_or(0);
            Some(PythonVersion { major, minor })
        })
        .min()
}
