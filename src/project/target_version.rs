//! Which Python version each file is parsed for: the configuration's `target-version` if set,
//! else the nearest `pyproject.toml`'s `requires-python` above the file, else the newest
//! version the parser knows.

use ruff_python_ast::PythonVersion;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

/// `py311` → 3.11.
pub fn parse_target_version(s: &str) -> Option<PythonVersion> {
    let digits = s.strip_prefix("py")?;
    let (major, minor) = digits.split_at(1);
    let major: u8 = major.parse().ok()?;
    let minor: u8 = minor.parse().ok()?;
    (major == 3 && (7..=15).contains(&minor)).then_some(PythonVersion { major, minor })
}

/// Finds the target Python version for each file, caching per directory.
#[derive(Default)]
pub struct TargetVersions {
    by_dir: FxHashMap<PathBuf, PythonVersion>,
    /// From the configuration's `target-version`, which wins.
    pub fixed: Option<PythonVersion>,
}

pub const DEFAULT_TARGET: PythonVersion = PythonVersion::PY314;

impl TargetVersions {
    pub fn for_file(&mut self, file: &Path) -> PythonVersion {
        if let Some(v) = self.fixed {
            return v;
        }
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
                Some(parent) if parent != dir && !dir.as_os_str().is_empty() => self.for_dir(parent),
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
            let minor: u8 = parts.next().unwrap_or("0").trim_end_matches('*').parse().unwrap_or(0);
            Some(PythonVersion { major, minor })
        })
        .min()
}
