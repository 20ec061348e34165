//! numgil: finds the Python functions that run as thread-pool tasks and flags numpy code in them
//! that keeps the GIL. The library entry points are shared by the CLI, the language server and
//! the tests.

pub mod callgraph;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod index;
pub mod infer;
pub mod library;
pub mod lint;
pub mod project;
pub mod render;
pub mod rules;
pub mod scope;
pub mod source;
pub mod suppress;
pub mod tasks;
pub mod triggers;
pub mod value;
pub mod walk;

use crate::callgraph::TaskGraph;
use crate::config::Settings;
use crate::diagnostic::Diagnostic;
use crate::index::ProjectIndex;
use crate::project::Project;

/// Check a loaded project: syntax and I/O problems, then the rules over the code in scope,
/// with suppression comments applied. Sorted by path and position.
pub fn check_project(project: &Project, settings: &Settings) -> Vec<Diagnostic> {
    let t = std::time::Instant::now();
    let index = ProjectIndex::build(&project.modules);
    let triggers = scan_triggers(project);
    let t1 = t.elapsed();
    let graph = TaskGraph::build(&index, &triggers);
    let t2 = t.elapsed();
    let mut diags = lint::lint(&index, &graph, &triggers, settings.scope, &[]);
    let t3 = t.elapsed();
    if std::env::var_os("NUMGIL_TIMINGS").is_some() {
        eprintln!("index {t1:?} graph {t2:?} lint {t3:?}");
    }
    diags.extend(problems(project));
    apply_suppressions(project, &mut diags);
    diags.sort_by(|a, b| (&a.path, a.start, a.code).cmp(&(&b.path, b.start, b.code)));
    diags.dedup();
    diags
}

/// The trigger pre-scan of every file, in parallel.
pub fn scan_triggers(project: &Project) -> Vec<triggers::Triggers> {
    use rayon::prelude::*;
    let words = rules::trigger_words();
    project
        .modules
        .par_iter()
        .map(|m| triggers::Triggers::scan(&m.source.text, words))
        .collect()
}

/// NG001 for every parse error and unsupported-syntax error, NG002 for every unreadable file.
pub fn problems(project: &Project) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, m) in project.modules.iter().enumerate() {
        for (range, message) in m.syntax_errors.iter().cloned() {
            out.push(Diagnostic {
                code: rules::invalid_syntax::META.code,
                name: rules::invalid_syntax::META.name,
                message: format!("syntax error: {message}"),
                help: Some("the rest of the file is still analysed".into()),
                path: m.source.path.clone(),
                file: Some(i as u32),
                range,
                start: m.source.location(range.start()),
                end: m.source.location(range.end()),
                task: None,
            });
        }
    }
    for p in &project.problems {
        let at = p.location.unwrap_or(source::Location { row: 1, column: 1 });
        out.push(Diagnostic {
            code: rules::io_error::META.code,
            name: rules::io_error::META.name,
            message: p.message.clone(),
            help: None,
            path: p.path.clone(),
            file: None,
            range: Default::default(),
            start: at,
            end: at,
            task: None,
        });
    }
    out
}

fn apply_suppressions(project: &Project, diags: &mut Vec<Diagnostic>) {
    let mut by_file: rustc_hash::FxHashMap<
        u32,
        rustc_hash::FxHashMap<usize, suppress::Suppression>,
    > = Default::default();
    diags.retain(|d| {
        let Some(file) = d.file else { return true };
        if d.code == rules::invalid_syntax::META.code {
            return true;
        }
        let sup = by_file
            .entry(file)
            .or_insert_with(|| suppress::suppressions(&project.modules[file as usize]));
        !sup.get(&d.start.row).is_some_and(|s| s.covers(d.code))
    });
}

/// Everything `numgil tasks` shows.
pub fn task_report(project: &Project) -> render::tasks::TaskReport {
    let index = ProjectIndex::build(&project.modules);
    let graph = TaskGraph::build(&index, &scan_triggers(project));
    render::tasks::TaskReport::new(&index, &graph)
}
