//! The engine: one `check` from a loaded project to sorted findings — index, task graph, the
//! rule pass ([`lint`]), whole-project rules, suppressions, notebook cells — and `--fix`, the
//! task report and the call graph built on the same stages. It knows the stages below it and
//! nothing of the command line or the language server, which call it.

pub mod lint;
pub mod process_tasks;

use crate::analysis::callgraph::TaskGraph;
use crate::config::Settings;
use crate::findings::diagnostic::Diagnostic;
use crate::project::Project;
use crate::project::index::ProjectIndex;

/// Check a loaded project: syntax and I/O problems, then the rules over the code in scope,
/// with suppression comments applied. Sorted by path and position.
pub fn check_project(project: &Project, settings: &Settings) -> Vec<Diagnostic> {
    check_with_triggers(project, settings, &scan_triggers(project))
}

/// [`check_project`] with the trigger pre-scan already done (the language server keeps it per
/// file and rescans only the file that changed).
pub fn check_with_triggers(
    project: &Project,
    settings: &Settings,
    triggers: &[crate::analysis::triggers::Triggers],
) -> Vec<Diagnostic> {
    check_freeing(project, settings, triggers, true)
}

/// Whether the analysis of the last configuration of a `check` may be left unfreed: set by a
/// command-line run, which exits right after and would spend a tenth of its time freeing
/// every module's scopes one by one. Never set in the language server.
static LEAVE_LAST_ANALYSIS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Called by a process that exits after its check: the last analysis is not freed.
pub fn leave_last_analysis_unfreed() {
    LEAVE_LAST_ANALYSIS.store(true, std::sync::atomic::Ordering::Relaxed);
}

fn check_freeing(
    project: &Project,
    settings: &Settings,
    triggers: &[crate::analysis::triggers::Triggers],
    free: bool,
) -> Vec<Diagnostic> {
    let t = std::time::Instant::now();
    let index = indexed(project, settings);
    let t1 = t.elapsed();
    let graph = TaskGraph::build(&index, triggers);
    let t2 = t.elapsed();
    let mut diags = crate::engine::lint::lint(&index, &graph, triggers, settings);
    if settings.enabled(crate::rules::process_pool_array_transfer::META.code) {
        let work = crate::engine::process_tasks::task_work(&index, &graph);
        diags.extend(crate::rules::process_pool_array_transfer::check(&index, &graph, &work));
    }
    if settings.enabled(crate::rules::numba_jit_holds_gil::META.code) {
        let task_of = |f| crate::engine::lint::task_context(&index, &graph, f);
        diags.extend(crate::rules::numba_jit_holds_gil::check(&index, task_of));
    }
    let t3 = t.elapsed();
    if std::env::var_os("NUMGIL_TIMINGS").is_some() {
        eprintln!("index {t1:?} graph {t2:?} lint {t3:?}");
    }
    diags.extend(problems(project));
    diags.retain(|d| !settings.ignored_in(&d.path, d.code));
    let used = apply_suppressions(project, &mut diags);
    if settings.enabled(crate::rules::unused_suppression::META.code) {
        diags.extend(crate::rules::unused_suppression::check(project, &index, &graph, &used, settings));
    }
    to_cells(project, &mut diags);
    diags.sort_by(|a, b| (&a.path, a.cell, a.start, a.code).cmp(&(&b.path, b.cell, b.start, b.code)));
    diags.dedup();
    if std::env::var_os("NUMGIL_TIMINGS").is_some() {
        eprintln!("suppressions and sort {:?}", t.elapsed());
    }
    if !free {
        std::mem::forget(graph);
        std::mem::forget(index);
    }
    diags
}

/// The project index with the configuration's launchers and GIL-releasing functions.
fn indexed<'a>(project: &'a Project, settings: &Settings) -> ProjectIndex<'a> {
    ProjectIndex::build(&project.modules).configure(&settings.task_launchers, &settings.gil_releasing)
}

/// Check a project whose files are governed by different configurations: `groups[g]` is
/// configuration `g`'s settings, and `group_of` says which configuration governs a finding's
/// file, or `None` for a file that is analysed (for task context) but not reported. Each
/// configuration that governs a reported file analyses the whole project once.
pub fn check_grouped(
    project: &Project,
    groups: &[&Settings],
    group_of: impl Fn(&std::path::Path) -> Option<usize>,
) -> Vec<Diagnostic> {
    let triggers = scan_triggers(project);
    let mut wanted: Vec<usize> = project
        .modules
        .iter()
        .map(|m| m.source.path.as_path())
        .chain(project.problems.iter().map(|p| p.path.as_path()))
        .filter_map(&group_of)
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = Vec::new();
    let last = wanted.last().copied();
    for g in wanted {
        let Some(settings) = groups.get(g) else { continue };
        let free = Some(g) != last || !LEAVE_LAST_ANALYSIS.load(std::sync::atomic::Ordering::Relaxed);
        let diags = check_freeing(project, settings, &triggers, free);
        out.extend(diags.into_iter().filter(|d| group_of(&d.path) == Some(g)));
    }
    out.sort_by(|a, b| (&a.path, a.cell, a.start, a.code).cmp(&(&b.path, b.cell, b.start, b.code)));
    out.dedup();
    out
}

/// Report notebook findings by cell, with rows counted within the cell.
fn to_cells(project: &Project, diags: &mut [Diagnostic]) {
    for d in diags {
        let Some(m) = d.file.map(|f| &project.modules[f as usize]) else { continue };
        if m.notebook.is_none() {
            continue;
        }
        let (cell, row) = m.notebook_location(d.range.start(), d.start.row);
        let (_, end_row) = m.notebook_location(d.range.start(), d.end.row);
        d.cell = cell;
        d.start.row = row;
        d.end.row = end_row;
    }
}

/// The trigger pre-scan of every file, in parallel.
pub fn scan_triggers(project: &Project) -> Vec<crate::analysis::triggers::Triggers> {
    use rayon::prelude::*;
    let words = crate::rules::trigger_words();
    project.modules.par_iter().map(|m| crate::analysis::triggers::Triggers::scan(&m.source.text, words)).collect()
}

/// NG001 for every parse error and unsupported-syntax error, NG002 for every unreadable file.
pub fn problems(project: &Project) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, m) in project.modules.iter().enumerate() {
        for (range, message) in m.syntax_errors.iter().cloned() {
            out.push(Diagnostic::at(
                &crate::rules::invalid_syntax::META,
                &m.source,
                i as u32,
                range,
                format!("syntax error: {message}"),
                Some("the rest of the file is still analysed".into()),
            ));
        }
        for (range, message) in m.notes.iter().cloned() {
            out.push(Diagnostic::at(&crate::rules::invalid_syntax::META, &m.source, i as u32, range, message, None));
        }
    }
    for p in &project.problems {
        let at = p.location.unwrap_or(crate::files::source::Location { row: 1, column: 1 });
        out.push(Diagnostic {
            code: crate::rules::io_error::META.code,
            name: crate::rules::io_error::META.name,
            message: p.message.clone(),
            help: None,
            fix: None,
            path: p.path.clone(),
            file: None,
            range: Default::default(),
            start: at,
            end: at,
            task: None,
            evidence: None,
            cell: None,
            size: None,
            whole_array: false,
            kernel: None,
        });
    }
    out
}

/// Drop suppressed findings; returns which (file, row, code) suppressions were used.
fn apply_suppressions(
    project: &Project,
    diags: &mut Vec<Diagnostic>,
) -> rustc_hash::FxHashSet<(u32, usize, &'static str)> {
    let mut by_file: rustc_hash::FxHashMap<u32, rustc_hash::FxHashMap<usize, crate::findings::suppress::Suppression>> =
        Default::default();
    let mut used = rustc_hash::FxHashSet::default();
    diags.retain(|d| {
        let Some(file) = d.file else { return true };
        if d.code == crate::rules::invalid_syntax::META.code {
            return true;
        }
        let sup = by_file
            .entry(file)
            .or_insert_with(|| crate::findings::suppress::suppressions(&project.modules[file as usize]));
        let suppressed = sup.get(&d.start.row).is_some_and(|s| s.covers(d.code));
        if suppressed {
            used.insert((file, d.start.row, d.code));
        }
        !suppressed
    });
    used
}

/// Quote the measured (or reference) speedup of each finding's rule.
pub fn attach_evidence(diags: &mut [Diagnostic], book: &crate::kernels::profile::EvidenceBook) {
    for d in diags {
        d.evidence = d.kernel.and_then(|k| book.for_rule(k, d.size)).filter(|_| crate::rules::quotes_evidence(d));
    }
}

/// How many findings [`drop_low_impact`] hid, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Hidden {
    /// On data known to be too small for the fix to pay.
    pub small: usize,
    /// Outside thread tasks, on data of unknown size.
    pub unsized_outside_tasks: usize,
}

impl Hidden {
    pub fn total(&self) -> usize {
        self.small + self.unsized_outside_tasks
    }
}

/// Drop the findings not worth reading, unless `keep` says the finding's file asks for them
/// (`--include-small`):
/// - on data known to be too small for their fix to pay
///   ([`crate::kernels::profile::EvidenceBook::is_small`]);
/// - outside thread tasks (`--scope everywhere`), the per-element findings of the rules that
///   walk code, on data whose size the code does not state, unless the pattern covers a whole
///   array by itself ([`Diagnostic::whole_array`]). In a task such a finding is reported with
///   its size unknown; outside one there is no pool to serialise, so only the single-thread
///   cost is left, and on data of unknown size that is as often a 3-element vector as an image.
///   Launcher findings (NG301) and problems with the files are kept.
pub fn drop_low_impact(
    diags: &mut Vec<Diagnostic>,
    book: &crate::kernels::profile::EvidenceBook,
    keep: impl Fn(&Diagnostic) -> bool,
) -> Hidden {
    let mut hidden = Hidden::default();
    diags.retain(|d| {
        if keep(d) {
            return true;
        }
        if let (Some(k), Some(n)) = (d.kernel, d.size)
            && book.is_small(k, n)
        {
            hidden.small += 1;
            return false;
        }
        let walks_code =
            crate::rules::meta_for(d.code).is_some_and(|m| m.scope == crate::rules::RuleScope::ThreadTasks);
        if walks_code && d.task.is_none() && d.size.is_none() && !d.whole_array {
            hidden.unsized_outside_tasks += 1;
            return false;
        }
        true
    });
    hidden
}

/// What `--fix` did.
pub struct FixOutcome {
    /// Files changed, with their original text.
    pub changed: Vec<(u32, String)>,
    pub fixed: usize,
    /// Findings left after fixing.
    pub remaining: Vec<Diagnostic>,
    /// Files whose fixes were dropped because the result did not parse.
    pub refused: Vec<std::path::PathBuf>,
}

/// Apply fixes in memory until nothing changes (at most 10 rounds). A file with syntax errors
/// is never fixed, and a fixed file that does not parse is left as it was.
/// Only the findings `check` shows are fixed: those hidden as not worth reading
/// ([`drop_low_impact`], judged with `book`) are left as they are.
pub fn fix_project(
    project: &mut Project,
    settings: &Settings,
    mode: crate::findings::fix::FixMode,
    book: &crate::kernels::profile::EvidenceBook,
) -> FixOutcome {
    fix_project_with(project, mode, |p| {
        let mut diags = check_project(p, settings);
        attach_evidence(&mut diags, book);
        drop_low_impact(&mut diags, book, |_| settings.include_small);
        diags
    })
}

/// [`fix_project`] with the findings from `check` (e.g. [`check_grouped`]: only the fixes of
/// the files it reports are applied).
pub fn fix_project_with(
    project: &mut Project,
    mode: crate::findings::fix::FixMode,
    check: impl Fn(&Project) -> Vec<Diagnostic>,
) -> FixOutcome {
    let mut originals: std::collections::BTreeMap<u32, String> = Default::default();
    let mut fixed = 0;
    let mut refused = Vec::new();
    for _round in 0..10 {
        let diags = check(project);
        let mut by_file: std::collections::BTreeMap<u32, Vec<&crate::findings::fix::Fix>> = Default::default();
        for d in &diags {
            if let (Some(file), Some(f)) = (d.file, &d.fix) {
                by_file.entry(file).or_default().push(f);
            }
        }
        let mut changed = false;
        for (file, fixes) in by_file {
            let m = &project.modules[file as usize];
            if !m.syntax_errors.is_empty() {
                continue;
            }
            let (text, n, applied) = crate::findings::fix::apply_edits(&m.source.text, fixes, mode);
            if n == 0 || text == m.source.text {
                continue;
            }
            let reparsed = match &m.notebook {
                // Notebooks: apply the edits cell by cell and write them into the JSON.
                Some(nb) => match nb.with_edits(&applied) {
                    Some((new_nb, joined)) => crate::project::ParsedModule::parse_notebook(
                        crate::files::source::SourceFile::new(m.source.path.clone(), joined),
                        new_nb,
                        m.name.clone(),
                        m.target,
                    ),
                    None => {
                        refused.push(m.source.path.clone());
                        continue;
                    }
                },
                None => crate::project::ParsedModule::parse(
                    crate::files::source::SourceFile::new(m.source.path.clone(), text),
                    m.name.clone(),
                    m.target,
                ),
            };
            if !reparsed.syntax_errors.is_empty() {
                refused.push(m.source.path.clone());
                continue;
            }
            originals.entry(file).or_insert_with(|| m.file_text().to_string());
            let mut reparsed = reparsed;
            reparsed.display_name = m.display_name.clone();
            project.modules[file as usize] = reparsed;
            fixed += n;
            changed = true;
        }
        if !changed {
            break;
        }
    }
    let remaining = check(project);
    refused.sort();
    refused.dedup();
    FixOutcome { changed: originals.into_iter().collect(), fixed, remaining, refused }
}

/// Everything `numgil tasks` shows.
pub fn task_report(project: &Project, settings: &Settings) -> crate::render::tasks::TaskReport {
    task_report_for(project, settings, |_| true)
}

/// The project's call graph (every module and function and what it may call), from the
/// whole-program value flow. Decorated names hold what their decorators return, so a call of
/// one is a call of the wrapper, as Python runs it (task analysis instead sees through
/// wrappers: [`crate::analysis::infer::ProgramFacts::apply_decorators`]).
pub fn call_graph(project: &Project, settings: &Settings) -> crate::analysis::call_edges::CallGraph {
    let index = indexed(project, settings);
    let (facts, _) = crate::analysis::flow::program_facts(&index, None, true);
    crate::analysis::call_edges::call_graph(&index, &facts)
}

/// [`task_report`] limited to the launcher sites in, or reaching into, the files `reported`
/// accepts (by module index): the whole project is analysed either way.
pub fn task_report_for(
    project: &Project,
    settings: &Settings,
    reported: impl Fn(u32) -> bool,
) -> crate::render::tasks::TaskReport {
    let index = indexed(project, settings);
    let graph = TaskGraph::build(&index, &scan_triggers(project));
    crate::render::tasks::TaskReport::new(&index, &graph, reported)
}
