//! Project-wide settings that change what a rule should say: whether numexpr is pinned to one
//! thread, and whether BLAS threads are limited for the whole process or around a launcher.
//! Found with a text pre-check and a syntactic scan of each candidate module.

use crate::analysis::callgraph::TaskGraph;
use crate::project::index::ProjectIndex;
use crate::project::scope::MODULE_SCOPE;
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

#[derive(Debug, Default)]
pub struct ProjectFacts {
    /// `numexpr.set_num_threads(1)` is called, or `NUMEXPR_NUM_THREADS=1` set, somewhere.
    pub numexpr_single_thread: bool,
    /// BLAS threads limited for the whole process: `threadpool_limits(...)` called at module
    /// level, or a BLAS thread variable set in `os.environ` at module level.
    pub blas_limited_globally: bool,
    /// Per launcher site: inside a `with threadpool_limits(...)` block, or its pool has one
    /// worker (nothing runs beside the task's BLAS threads to oversubscribe the cores).
    pub site_blas_limited: Vec<bool>,
}

const BLAS_VARS: &[&str] = &["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"];

impl ProjectFacts {
    pub fn compute(index: &ProjectIndex, graph: &TaskGraph) -> ProjectFacts {
        let mut facts = ProjectFacts {
            site_blas_limited: graph.sites.iter().map(|s| s.workers == Some(1)).collect(),
            ..Default::default()
        };
        for (file, m) in index.modules.iter().enumerate() {
            let text = &m.source.text;
            let file = file as u32;
            if text.contains("set_num_threads") || text.contains("NUMEXPR_NUM_THREADS") {
                facts.numexpr_single_thread |= scan(index, &m.ast.body, &mut |index, e| numexpr_pinned(index, file, e));
            }
            if text.contains("threadpool_limits") || BLAS_VARS.iter().any(|v| text.contains(v)) {
                // Module level only: a limit set inside a function applies when it runs.
                for s in &m.ast.body {
                    facts.blas_limited_globally |= match s {
                        Stmt::Expr(e) => is_limit_call(index, file, &e.value),
                        Stmt::Assign(a) => {
                            a.targets.iter().any(|t| environ_key(t).is_some_and(|k| BLAS_VARS.contains(&k)))
                        }
                        _ => false,
                    };
                }
                let ranges = limit_blocks(index, file, &m.ast.body);
                for (i, site) in graph.sites.iter().enumerate() {
                    if site.file == file && ranges.iter().any(|r| r.contains_range(site.range)) {
                        facts.site_blas_limited[i] = true;
                    }
                }
            }
        }
        facts
    }
}

fn qualified(index: &ProjectIndex, file: u32, e: &Expr) -> Option<String> {
    index.module_scopes(file).import_qualified_name(MODULE_SCOPE, e)
}

fn is_limit_call(index: &ProjectIndex, file: u32, e: &Expr) -> bool {
    let Expr::Call(c) = e else { return false };
    matches!(qualified(index, file, &c.func).as_deref(), Some("threadpoolctl.threadpool_limits"))
}

/// `os.environ["X"]` → `X`.
fn environ_key(t: &Expr) -> Option<&str> {
    let Expr::Subscript(s) = t else { return None };
    let Expr::Attribute(a) = &*s.value else { return None };
    if a.attr.as_str() != "environ" {
        return None;
    }
    match &*s.slice {
        Expr::StringLiteral(l) => Some(l.value.to_str()),
        _ => None,
    }
}

/// `numexpr.set_num_threads(1)` or `os.environ["NUMEXPR_NUM_THREADS"] = "1"`.
fn numexpr_pinned(index: &ProjectIndex, file: u32, s: &Stmt) -> bool {
    match s {
        Stmt::Expr(e) => {
            let Expr::Call(c) = &*e.value else { return false };
            matches!(qualified(index, file, &c.func).as_deref(), Some("numexpr.set_num_threads"))
                && c.arguments.args.first().is_some_and(|a| crate::analysis::library::is_int_literal(a, 1))
        }
        Stmt::Assign(a) => {
            a.targets.iter().any(|t| environ_key(t) == Some("NUMEXPR_NUM_THREADS"))
                && matches!(&*a.value, Expr::StringLiteral(v) if v.value.to_str().trim() == "1")
        }
        _ => false,
    }
}

/// Whether `pred` holds for any statement, at any depth.
fn scan(index: &ProjectIndex, body: &[Stmt], pred: &mut dyn FnMut(&ProjectIndex, &Stmt) -> bool) -> bool {
    body.iter().any(|s| pred(index, s) || nested_bodies(s).into_iter().any(|b| scan(index, b, pred)))
}

fn nested_bodies(s: &Stmt) -> Vec<&[Stmt]> {
    match s {
        Stmt::FunctionDef(f) => vec![&f.body],
        Stmt::ClassDef(c) => vec![&c.body],
        Stmt::If(i) => std::iter::once(&i.body[..]).chain(i.elif_else_clauses.iter().map(|c| &c.body[..])).collect(),
        Stmt::For(f) => vec![&f.body, &f.orelse],
        Stmt::While(w) => vec![&w.body, &w.orelse],
        Stmt::With(w) => vec![&w.body],
        Stmt::Try(t) => {
            let mut v: Vec<&[Stmt]> = vec![&t.body, &t.orelse, &t.finalbody];
            v.extend(t.handlers.iter().map(|h| {
                let ruff_python_ast::ExceptHandler::ExceptHandler(h) = h;
                &h.body[..]
            }));
            v
        }
        Stmt::Match(m) => m.cases.iter().map(|c| &c.body[..]).collect(),
        _ => Vec::new(),
    }
}

/// Ranges of `with threadpool_limits(...)` blocks.
fn limit_blocks(index: &ProjectIndex, file: u32, body: &[Stmt]) -> Vec<TextRange> {
    let mut out = Vec::new();
    for s in body {
        if let Stmt::With(w) = s
            && w.items.iter().any(|i| is_limit_call(index, file, &i.context_expr))
        {
            out.push(w.range());
        }
        for b in nested_bodies(s) {
            out.extend(limit_blocks(index, file, b));
        }
    }
    out
}
