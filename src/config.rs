//! Configuration: `[tool.numgil]` in `pyproject.toml`, or `numgil.toml`, whichever is nearest up
//! the tree (or `--config`). Unknown keys and bad values are errors that point into the TOML
//! with a miette span. Each file is governed by the nearest configuration above it, like ruff
//! ([`Resolver`]); `--config` governs every file. Also finds each file's Python target version
//! (`requires-python`).

use crate::rules::{self, RuleMeta};
use globset::{Glob, GlobMatcher};
use miette::{Diagnostic, NamedSource, SourceSpan};
use ruff_python_ast::PythonVersion;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

pub use crate::project::target_version::{DEFAULT_TARGET, parse_target_version};

/// Which code GIL and fusion rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Only code reachable from a thread task.
    Tasks,
    /// All code.
    Everywhere,
}

/// Settings for one run, from the configuration file and the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub scope: Scope,
    /// Enabled rule codes.
    pub rules: Vec<&'static str>,
    /// (glob, codes) pairs: codes ignored in matching files.
    pub per_file_ignores: Vec<(GlobMatcher, Vec<&'static str>)>,
    /// Directory of the configuration file (per-file-ignores globs are relative to it).
    pub root: PathBuf,
    pub exclude: Vec<String>,
    /// Qualified names of user functions that run their first argument in a thread.
    pub task_launchers: Vec<String>,
    /// Qualified names of functions that release the GIL (never flagged, never followed).
    pub gil_releasing: Vec<String>,
    pub target_version: Option<PythonVersion>,
    /// Report findings on data known to be too small for the fix to pay (by default hidden).
    pub include_small: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scope: Scope::Tasks,
            rules: default_rules(),
            per_file_ignores: Vec::new(),
            root: PathBuf::from("."),
            exclude: Vec::new(),
            task_launchers: Vec::new(),
            gil_releasing: Vec::new(),
            target_version: None,
            include_small: false,
        }
    }
}

impl Settings {
    pub fn enabled(&self, code: &str) -> bool {
        self.rules.contains(&code)
    }

    /// Whether `code` is ignored for this file by `per-file-ignores`.
    pub fn ignored_in(&self, path: &Path, code: &str) -> bool {
        if self.per_file_ignores.is_empty() {
            return false;
        }
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let absolute = std::fs::canonicalize(&absolute).unwrap_or(absolute);
        let rel = absolute.strip_prefix(&self.root).unwrap_or(path);
        let name = path.file_name().map(Path::new);
        self.per_file_ignores.iter().any(|(g, codes)| {
            codes.contains(&code) && (g.is_match(rel) || g.is_match(path) || name.is_some_and(|n| g.is_match(n)))
        })
    }
}

impl rules::Selection for Settings {
    fn enabled(&self, code: &str) -> bool {
        Settings::enabled(self, code)
    }

    fn ignored_in(&self, path: &Path, code: &str) -> bool {
        Settings::ignored_in(self, path, code)
    }

    fn tasks_only(&self) -> bool {
        self.scope == Scope::Tasks
    }

    fn exclude(&self) -> &[String] {
        &self.exclude
    }
}

/// Rules on by default: every rule but the opt-in ones.
pub fn default_rules() -> Vec<&'static str> {
    rules::all_metas().into_iter().filter(|m| !m.opt_in).map(|m| m.code).collect()
}

/// Codes a selector names: `NG101`, a prefix (`NG1`), `ALL`, or a rule name.
fn expand_selector(sel: &str) -> Vec<&'static RuleMeta> {
    let all = rules::all_metas();
    if sel.eq_ignore_ascii_case("ALL") {
        return all;
    }
    all.into_iter().filter(|m| m.code.starts_with(&sel.to_ascii_uppercase()) || m.name == sel).collect()
}

/// The `[tool.numgil]` table (or the whole `numgil.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    pub select: Option<Vec<Spanned<String>>>,
    pub ignore: Option<Vec<Spanned<String>>>,
    pub extend_select: Option<Vec<Spanned<String>>>,
    pub per_file_ignores: Option<BTreeMap<String, Vec<Spanned<String>>>>,
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Option<Vec<String>>,
    pub scope: Option<Scope>,
    pub task_launchers: Option<Vec<String>>,
    pub gil_releasing: Option<Vec<String>>,
    pub target_version: Option<Spanned<String>>,
    pub include_small: Option<bool>,
}

#[derive(Deserialize)]
struct Pyproject {
    tool: Option<Tools>,
}

#[derive(Deserialize)]
struct Tools {
    numgil: Option<ConfigFile>,
}

/// A configuration error, pointing into the file.
/// No diagnostic code: miette would print it as a header line above the message.
#[derive(Debug, Diagnostic)]
pub struct ConfigError {
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{label}")]
    pub span: SourceSpan,
    pub label: String,
    #[help]
    pub help: Option<String>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A configuration file found on disk.
#[derive(Debug)]
pub struct Found {
    pub path: PathBuf,
    pub text: String,
    /// `true` for `pyproject.toml` (the settings are under `[tool.numgil]`).
    pub pyproject: bool,
}

/// The nearest `numgil.toml`, or `pyproject.toml` with a `[tool.numgil]` table, from `start` up.
pub fn find(start: &Path) -> Option<Found> {
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    let mut dir = if start.is_file() { start.parent().map(Path::to_path_buf) } else { Some(start) };
    while let Some(d) = dir {
        if let Some(found) = in_dir(&d) {
            return Some(found);
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    None
}

/// The configuration file in this very directory, if any.
fn in_dir(d: &Path) -> Option<Found> {
    let numgil = d.join("numgil.toml");
    if let Ok(text) = std::fs::read_to_string(&numgil) {
        return Some(Found { path: numgil, text, pyproject: false });
    }
    let py = d.join("pyproject.toml");
    if let Ok(text) = std::fs::read_to_string(&py)
        && text.contains("[tool.numgil")
    {
        return Some(Found { path: py, text, pyproject: true });
    }
    None
}

/// What the command line sets on top of every configuration file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub extend_select: Vec<String>,
    pub scope: Option<Scope>,
    pub exclude: Vec<String>,
}

/// Why settings could not be made.
#[derive(Debug)]
pub enum ResolveError {
    Config(Box<ConfigError>),
    Message(String),
}

impl From<String> for ResolveError {
    fn from(s: String) -> Self {
        ResolveError::Message(s)
    }
}

/// Settings per file, like ruff: the nearest configuration at or above each file's directory
/// governs it, with the command-line overrides applied; `--config` governs every file. Each
/// configuration is read and validated once; lookups are cached per directory.
pub struct Resolver {
    overrides: Overrides,
    /// One entry per configuration in use (`None`: no file, the defaults).
    groups: Vec<(Option<PathBuf>, Settings, globset::GlobSet)>,
    by_dir: FxHashMap<PathBuf, usize>,
    forced: Option<usize>,
}

impl Resolver {
    /// A resolver; with `config`, that file governs everything (and is validated now).
    pub fn new(config: Option<&Path>, overrides: Overrides) -> Result<Resolver, ResolveError> {
        // Bad `--select`/`--exclude` values are usage errors even when no file is found.
        apply_cli_selection(&mut Settings::default(), &overrides.select, &overrides.ignore, &overrides.extend_select)?;
        crate::files::discover::exclude_set(&overrides.exclude)?;
        let mut r = Resolver { overrides, groups: Vec::new(), by_dir: FxHashMap::default(), forced: None };
        if let Some(path) = config {
            let found = Found::read(path)?;
            r.forced = Some(r.add(Some(found))?);
        }
        Ok(r)
    }

    fn add(&mut self, found: Option<Found>) -> Result<usize, ResolveError> {
        let path = found.as_ref().map(|f| f.path.clone());
        if let Some(i) = self.groups.iter().position(|g| g.0 == path) {
            return Ok(i);
        }
        let mut s = match &found {
            Some(f) => f.settings().map_err(ResolveError::Config)?,
            None => Settings::default(),
        };
        if let Some(scope) = self.overrides.scope {
            s.scope = scope;
        }
        apply_cli_selection(&mut s, &self.overrides.select, &self.overrides.ignore, &self.overrides.extend_select)?;
        s.exclude.extend(self.overrides.exclude.iter().cloned());
        let excludes = crate::files::discover::exclude_set(&s.exclude)?;
        self.groups.push((path, s, excludes));
        Ok(self.groups.len() - 1)
    }

    /// The group (an index into [`Resolver::settings`]) governing `path`.
    pub fn group_of(&mut self, path: &Path) -> Result<usize, ResolveError> {
        if let Some(i) = self.forced {
            return Ok(i);
        }
        let abs = crate::files::paths::key(path);
        let dir = if abs.is_dir() { abs } else { abs.parent().map(Path::to_path_buf).unwrap_or_default() };
        self.group_of_dir(&dir)
    }

    fn group_of_dir(&mut self, dir: &Path) -> Result<usize, ResolveError> {
        if let Some(&i) = self.by_dir.get(dir) {
            return Ok(i);
        }
        let i = match in_dir(dir) {
            Some(found) => self.add(Some(found))?,
            None => match dir.parent() {
                Some(parent) if parent != dir && !dir.as_os_str().is_empty() => self.group_of_dir(parent)?,
                _ => self.add(None)?,
            },
        };
        self.by_dir.insert(dir.to_path_buf(), i);
        Ok(i)
    }

    /// The settings of one group.
    pub fn settings(&self, group: usize) -> &Settings {
        &self.groups[group].1
    }

    /// Every group's settings, in the order they were found.
    pub fn all(&self) -> impl Iterator<Item = &Settings> {
        self.groups.iter().map(|g| &g.1)
    }

    /// How many configurations are in use.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Whether the group's `exclude` (and `--exclude`) matches `path`.
    pub fn excluded(&self, group: usize, path: &Path) -> bool {
        let set = &self.groups[group].2;
        !set.is_empty() && (set.is_match(path) || path.file_name().is_some_and(|n| set.is_match(Path::new(n))))
    }
}

impl Found {
    pub fn read(path: &Path) -> Result<Found, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Ok(Found { path, text, pyproject })
    }

    fn error(
        &self,
        message: String,
        span: std::ops::Range<usize>,
        label: &str,
        help: Option<String>,
    ) -> Box<ConfigError> {
        Box::new(ConfigError {
            message,
            src: NamedSource::new(crate::files::paths::display(&self.path).display().to_string(), self.text.clone()),
            span: (span.start, span.end.saturating_sub(span.start)).into(),
            label: label.to_string(),
            help,
        })
    }

    /// Parse and validate into settings.
    pub fn settings(&self) -> Result<Settings, Box<ConfigError>> {
        let file: ConfigFile = if self.pyproject {
            let p: Pyproject = toml::from_str(&self.text).map_err(|e| self.toml_error(e))?;
            p.tool.and_then(|t| t.numgil).unwrap_or_default()
        } else {
            toml::from_str(&self.text).map_err(|e| self.toml_error(e))?
        };
        let mut s =
            Settings { root: self.path.parent().map(Path::to_path_buf).unwrap_or_default(), ..Settings::default() };
        if let Some(sel) = &file.select {
            s.rules = self.codes(sel)?;
        }
        if let Some(ext) = &file.extend_select {
            for c in self.codes(ext)? {
                if !s.rules.contains(&c) {
                    s.rules.push(c);
                }
            }
        }
        if let Some(ign) = &file.ignore {
            let ignored = self.codes(ign)?;
            s.rules.retain(|c| !ignored.contains(c));
        }
        if let Some(pfi) = &file.per_file_ignores {
            for (glob, codes) in pfi {
                let matcher = Glob::new(glob).map(|g| g.compile_matcher()).map_err(|e| {
                    let at = self.text.find(glob.as_str()).unwrap_or(0);
                    self.error(format!("invalid glob in per-file-ignores: {e}"), at..at + glob.len(), "this glob", None)
                })?;
                s.per_file_ignores.push((matcher, self.codes(codes)?));
            }
        }
        if let Some(scope) = file.scope {
            s.scope = scope;
        }
        s.exclude = file.exclude.clone().unwrap_or_default();
        s.exclude.extend(file.extend_exclude.clone().unwrap_or_default());
        for g in &s.exclude {
            if Glob::new(g).is_err() {
                let at = self.text.find(g.as_str()).unwrap_or(0);
                return Err(self.error(format!("invalid exclude glob `{g}`"), at..at + g.len(), "this glob", None));
            }
        }
        s.task_launchers = file.task_launchers.clone().unwrap_or_default();
        s.gil_releasing = file.gil_releasing.clone().unwrap_or_default();
        s.include_small = file.include_small.unwrap_or(false);
        if let Some(tv) = &file.target_version {
            s.target_version = Some(parse_target_version(tv.get_ref()).ok_or_else(|| {
                self.error(
                    format!("unknown target-version `{}`", tv.get_ref()),
                    tv.span(),
                    "expected py37 … py314",
                    Some("write it like ruff does: target-version = \"py311\"".into()),
                )
            })?);
        }
        Ok(s)
    }

    fn codes(&self, list: &[Spanned<String>]) -> Result<Vec<&'static str>, Box<ConfigError>> {
        let mut out = Vec::new();
        for sel in list {
            let metas = expand_selector(sel.get_ref());
            if metas.is_empty() {
                return Err(self.error(
                    format!("unknown rule selector `{}`", sel.get_ref()),
                    sel.span(),
                    "not a numgil rule code or prefix",
                    Some("`numgil rule --all` lists the codes".into()),
                ));
            }
            for m in metas {
                if !out.contains(&m.code) {
                    out.push(m.code);
                }
            }
        }
        Ok(out)
    }

    fn toml_error(&self, e: toml::de::Error) -> Box<ConfigError> {
        let span = e.span().unwrap_or(0..0);
        let msg = e.message().trim().to_string();
        let help = msg.contains("unknown field").then(|| {
            "known keys: select, ignore, extend-select, per-file-ignores, exclude, extend-exclude, scope, task-launchers, gil-releasing, target-version, include-small".to_string()
        });
        self.error(format!("invalid configuration: {msg}"), span, "here", help)
    }
}

/// Apply command-line selections on top of configured settings.
pub fn apply_cli_selection(
    s: &mut Settings,
    select: &[String],
    ignore: &[String],
    extend: &[String],
) -> Result<(), String> {
    let expand = |list: &[String]| -> Result<Vec<&'static str>, String> {
        let mut out = Vec::new();
        for sel in list.iter().flat_map(|s| s.split(',')).map(str::trim).filter(|s| !s.is_empty()) {
            let metas = expand_selector(sel);
            if metas.is_empty() {
                return Err(format!("unknown rule selector `{sel}` (see `numgil rule --all`)"));
            }
            out.extend(metas.into_iter().map(|m| m.code));
        }
        Ok(out)
    };
    if !select.is_empty() {
        s.rules = expand(select)?;
    }
    for c in expand(extend)? {
        if !s.rules.contains(&c) {
            s.rules.push(c);
        }
    }
    let ignored = expand(ignore)?;
    s.rules.retain(|c| !ignored.contains(c));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, pyproject: bool) -> Found {
        Found {
            path: PathBuf::from(if pyproject { "pyproject.toml" } else { "numgil.toml" }),
            text: text.into(),
            pyproject,
        }
    }

    #[test]
    fn selection_and_errors() {
        let s = found("[tool.numgil]\nselect = [\"NG1\"]\nignore = [\"NG105\"]\n", true).settings().unwrap();
        assert!(s.enabled("NG101") && !s.enabled("NG105") && !s.enabled("NG201"));
        let e = found("select = [\"NG999\"]\n", false).settings().unwrap_err();
        assert!(e.message.contains("unknown rule selector `NG999`"));
        assert_eq!(e.span.offset(), 10);
        let e = found("[tool.numgil]\nslect = [\"NG1\"]\n", true).settings().unwrap_err();
        assert!(e.message.contains("unknown field `slect`"), "{}", e.message);
        let e = found("target-version = \"3.11\"\n", false).settings().unwrap_err();
        assert!(e.message.contains("unknown target-version"));
        let s = found("target-version = \"py39\"\nscope = \"everywhere\"\n", false).settings().unwrap();
        assert_eq!(s.target_version, Some(PythonVersion::PY39));
        assert_eq!(s.scope, Scope::Everywhere);
        assert!(!default_rules().contains(&"NG003"), "NG003 is opt-in");
    }
}
