//! The language server's view of the project: every Python file of the workspace folders,
//! parsed once at `initialize`, with open documents' unsaved text in place of the disk's. An
//! edit re-parses only that file (and rescans its triggers); the analysis then runs over the
//! whole project so task context crosses files.

use crate::analysis::triggers::Triggers;
use crate::config::{self, Settings};
use crate::files::source::SourceFile;
use crate::findings::diagnostic::Diagnostic;
use crate::kernels::profile::EvidenceBook;
use crate::project::{ModuleNamer, ParsedModule, Project};
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

pub struct Workspace {
    pub roots: Vec<PathBuf>,
    pub settings: Settings,
    pub project: Project,
    /// Why the workspace's configuration was rejected (rendered as the CLI prints it), while
    /// the defaults are in use instead.
    pub config_error: Option<String>,
    triggers: Vec<Triggers>,
    by_path: FxHashMap<PathBuf, usize>,
    evidence: EvidenceBook,
}

/// The configuration nearest the first workspace folder: defaults when there is none, and
/// defaults with the error when it is invalid (an editor session keeps working while the file is
/// being edited, and the server tells the user why their settings are not applied).
fn settings_for(roots: &[PathBuf]) -> (Settings, Option<String>) {
    let Some(found) = roots.first().and_then(|r| config::find(r)) else { return (Settings::default(), None) };
    match found.settings() {
        Ok(s) => (s, None),
        Err(e) => (Settings::default(), Some(render_config_error(&e))),
    }
}

/// A configuration error as the CLI shows it (miette's graphical report, without colour).
pub fn render_config_error(e: &config::ConfigError) -> String {
    let mut out = String::new();
    let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    if handler.render_report(&mut out, e).is_err() || out.trim().is_empty() {
        out = e.to_string();
    }
    out
}

fn normalize(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Workspace {
    pub fn load(roots: Vec<PathBuf>) -> Workspace {
        let roots: Vec<PathBuf> = roots.iter().map(|r| normalize(r)).collect();
        let (settings, config_error) = settings_for(&roots);
        let excludes = crate::files::discover::exclude_set(&settings.exclude).unwrap_or_default();
        let files =
            if roots.is_empty() { Vec::new() } else { crate::files::discover::discover(&roots, &excludes).files };
        let project = Project::load(&files, settings.target_version);
        let triggers = crate::engine::scan_triggers(&project);
        let by_path = project.modules.iter().enumerate().map(|(i, m)| (normalize(&m.source.path), i)).collect();
        Workspace { roots, settings, config_error, project, triggers, by_path, evidence: EvidenceBook::load() }
    }

    /// Re-read the configuration (after `pyproject.toml` / `numgil.toml` changed).
    pub fn reload_settings(&mut self) {
        (self.settings, self.config_error) = settings_for(&self.roots);
    }

    pub fn module(&self, path: &Path) -> Option<&ParsedModule> {
        self.by_path.get(&normalize(path)).map(|&i| &self.project.modules[i])
    }

    /// Replace a file's text (an open document's buffer) and re-parse just that file.
    pub fn set_text(&mut self, path: &Path, text: String) {
        let key = normalize(path);
        match self.by_path.get(&key) {
            Some(&i) => {
                let old = &self.project.modules[i];
                if old.source.text == text {
                    return;
                }
                let (name, target, path) = (old.name.clone(), old.target, old.source.path.clone());
                self.project.modules[i] = ParsedModule::parse(SourceFile::new(path, text), name, target);
                self.triggers[i] = Triggers::scan(&self.project.modules[i].source.text, crate::rules::trigger_words());
            }
            None => {
                let name = ModuleNamer::default().name(&key);
                let target = self.settings.target_version.unwrap_or(config::DEFAULT_TARGET);
                let m = ParsedModule::parse(SourceFile::new(key.clone(), text), name, target);
                self.triggers.push(Triggers::scan(&m.source.text, crate::rules::trigger_words()));
                self.project.modules.push(m);
                self.by_path.insert(key, self.project.modules.len() - 1);
            }
        }
    }

    /// Take a file's text from disk again (a closed document, or a change on disk). A file
    /// that no longer exists becomes empty.
    pub fn reload_from_disk(&mut self, path: &Path) {
        let text = crate::project::read_source(path).unwrap_or_default();
        self.set_text(path, text);
    }

    /// Analyse the whole project; findings by (normalized) path.
    pub fn analyze(&self) -> FxHashMap<PathBuf, Vec<Diagnostic>> {
        let mut diags = crate::engine::check_with_triggers(&self.project, &self.settings, &self.triggers);
        crate::engine::attach_evidence(&mut diags, &self.evidence);
        crate::engine::drop_low_impact(&mut diags, &self.evidence, |_| self.settings.include_small);
        let mut by_path: FxHashMap<PathBuf, Vec<Diagnostic>> = FxHashMap::default();
        for d in diags {
            by_path.entry(normalize(&d.path)).or_default().push(d);
        }
        by_path
    }
}
