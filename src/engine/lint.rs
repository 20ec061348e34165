//! The rule phase: walks the code in scope (task-reachable functions, or everything with
//! `--scope everywhere`) with the rules as walker hooks, in parallel per file, and attaches the
//! task context to each finding.

use crate::analysis::callgraph::{TaskGraph, Unit, candidate_units, walk_unit};
use crate::analysis::infer::{Context, Evaluator};
use crate::analysis::project_facts::ProjectFacts;
use crate::analysis::triggers::Triggers;
use crate::analysis::walk::{Hooks, WalkState};
use crate::config::{Scope, Settings};
use crate::findings::diagnostic::{Diagnostic, Site, TaskContext};
use crate::project::index::{FuncId, ProjectIndex};
use crate::rules::{Checker, RULES, Rule, RuleScope};
use rayon::prelude::*;
use ruff_python_ast::{Expr, Stmt};

struct RuleHooks<'r> {
    rules: &'r [&'r dyn Rule],
    file: u32,
    task: Option<TaskContext>,
    site: Option<usize>,
    facts: &'r ProjectFacts,
    out: Vec<Diagnostic>,
}

impl RuleHooks<'_> {
    /// Run `check` for every rule with a checker positioned at the current node.
    fn each<'a>(
        &mut self,
        ev: &mut Evaluator<'a, '_, '_>,
        state: &WalkState<'a>,
        check: impl Fn(&dyn Rule, &mut Checker<'_, 'a, '_, '_>),
    ) {
        let source = &ev.cx.index.modules[self.file as usize].source;
        let mut memo = Vec::new();
        for r in self.rules {
            let mut c = Checker {
                ev,
                state,
                facts: self.facts,
                site: self.site,
                source,
                file: self.file,
                task: self.task.as_ref(),
                out: &mut self.out,
                memo: &mut memo,
            };
            check(*r, &mut c);
        }
    }
}

impl<'a> Hooks<'a> for RuleHooks<'_> {
    fn on_stmt(&mut self, ev: &mut Evaluator<'a, '_, '_>, stmt: &'a Stmt, state: &WalkState<'a>) {
        self.each(ev, state, |r, c| r.check_stmt(c, stmt));
    }

    fn on_expr(&mut self, ev: &mut Evaluator<'a, '_, '_>, expr: &'a Expr, state: &WalkState<'a>) {
        self.each(ev, state, |r, c| r.check_expr(c, expr));
    }
}

/// The task context of a function that runs in a thread task.
pub fn task_context(index: &ProjectIndex, graph: &TaskGraph, f: FuncId) -> Option<TaskContext> {
    let reach = graph.thread_reach.get(&f)?;
    let site = &graph.sites[reach.site];
    let (filename, loc) = index.site(site.file, site.range.start());
    let (cell, row) = index.modules[site.file as usize].notebook_location(site.range.start(), loc.row);
    Some(TaskContext {
        launcher: site.launcher.clone(),
        kind: "thread",
        site: Site { filename, row, column: loc.column, cell },
        chain: graph.thread_chain(f).iter().map(|&g| index.func_display(g, Some(site.file))).collect(),
    })
}

/// The findings of `rules` in one unit walked on its own, with its task context if it runs in
/// a thread task (no suppressions applied, nothing hidden).
pub fn findings_in(
    cx: &Context<'_, '_>,
    graph: &TaskGraph,
    facts: &ProjectFacts,
    rules: &[&dyn Rule],
    unit: Unit,
) -> Vec<Diagnostic> {
    let (file, task, site) = match unit {
        Unit::Function(f) => (f.file, task_context(cx.index, graph, f), graph.thread_reach.get(&f).map(|r| r.site)),
        Unit::Class(c) => (c.file, None, None),
        Unit::Module(file) => (file, None, None),
    };
    walk_unit(cx, unit, RuleHooks { rules, file, task, site, facts, out: Vec::new() }).out
}

/// Run the rules over the code in scope.
pub fn lint(index: &ProjectIndex, graph: &TaskGraph, triggers: &[Triggers], settings: &Settings) -> Vec<Diagnostic> {
    let rules: Vec<&dyn Rule> = RULES
        .iter()
        .copied()
        .filter(|r| settings.enabled(r.meta().code) && r.meta().scope == RuleScope::ThreadTasks)
        .collect();
    if rules.is_empty() {
        return Vec::new();
    }
    let scope = settings.scope;
    let facts = ProjectFacts::compute(index, graph);
    let mut by_file: Vec<Vec<Unit>> = vec![Vec::new(); index.modules.len()];
    match scope {
        Scope::Tasks => {
            for &f in graph.thread_reach.keys() {
                if !index.is_leaf(f) {
                    by_file[f.file as usize].push(Unit::Function(f));
                }
            }
        }
        Scope::Everywhere => {
            let always = rules.iter().any(|r| r.triggers().is_empty());
            for (file, units) in by_file.iter_mut().enumerate() {
                // Test code: only what runs in a task, as in the default scope.
                if index.is_test_module(file as u32) {
                    continue;
                }
                let t = &triggers[file];
                *units = candidate_units(index, file as u32, |r| always || t.may_trigger_rules(r));
            }
            for &f in graph.thread_reach.keys() {
                if !index.is_leaf(f) && index.is_test_module(f.file) {
                    by_file[f.file as usize].push(Unit::Function(f));
                }
            }
        }
    }
    by_file
        .par_iter()
        .enumerate()
        // One evaluator cache per worker: the facts are fixed now, so values computed while
        // walking one file (imported names, return values) serve the next.
        .map_init(
            || Context::new(index, &graph.facts),
            |cx, (file, units)| {
                cx.reset_if_large();
                let cx = &*cx;
                let mut out = Vec::new();
                for &unit in units {
                    let (task, site) = match unit {
                        Unit::Function(f) => {
                            (task_context(index, graph, f), graph.thread_reach.get(&f).map(|r| r.site))
                        }
                        _ => (None, None),
                    };
                    let hooks =
                        RuleHooks { rules: &rules, file: file as u32, task, site, facts: &facts, out: Vec::new() };
                    out.extend(walk_unit(cx, unit, hooks).out);
                }
                out
            },
        )
        .flatten_iter()
        .collect()
}
