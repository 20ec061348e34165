//! What the tasks of a process pool do, as far as the code shows: NG301 says "use threads" only
//! where threads could run those tasks as well, and that takes walking the tasks with the
//! rules, which is the engine's to do (the rules know nothing of one another).
//!
//! A process pool is the right tool, and NG301 is noise, when its tasks
//! - hold the GIL themselves: a Python loop over elements, `np.vectorize`, arithmetic on
//!   object arrays, or chains of tiny numpy calls per pass (the per-element rules fire in them
//!   or in what they call), so threads would run them one at a time;
//! - write into the arrays they are given (`X *= signs`, `out[i] = ...` on a parameter): each
//!   process works on its own copy, while threads would share one array and race.
//!
//! The tasks are the site's entries, except that an entry which is a closure of a project
//! function `P` stands for the functions the launching function passed to `P`: mne's
//! `parallel, p_fun, _ = parallel_func(_1d_overlap_filter, n_jobs)` returns
//! `delayed(run_verbose)`, and `run_verbose` only calls the `func` it closes over.

use crate::analysis::callgraph::{TaskGraph, Unit, walk_unit};
use crate::analysis::infer::{Context, Evaluator};
use crate::analysis::project_facts::ProjectFacts;
use crate::analysis::tasks::{DiscoveryHooks, LauncherSite};
use crate::analysis::value::Value;
use crate::analysis::walk::{Hooks, WalkState};
use crate::project::index::{FuncId, ProjectIndex};
use crate::project::scope::FuncBody;
use crate::rules::Rule;
use crate::rules::process_pool_array_transfer::TaskWork;
use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{Expr, Stmt};
use rustc_hash::FxHashSet;

/// How far calls are followed from a task when looking for GIL-holding work.
const MAX_DEPTH: usize = 3;
/// At most this many functions are walked per site.
const MAX_FUNCTIONS: usize = 64;

/// The rules whose findings mean the work holds the GIL for most of its run.
fn gil_holding_rules() -> Vec<&'static dyn Rule> {
    use crate::rules::{chained_small_ops, object_dtype_array, python_callback_ufunc, python_loop_over_array};
    let codes = [
        python_loop_over_array::META.code,
        python_callback_ufunc::META.code,
        object_dtype_array::META.code,
        chained_small_ops::META.code,
    ];
    crate::rules::RULES.iter().copied().filter(|r| codes.contains(&r.meta().code)).collect()
}

/// The work of each site (by index into `graph.sites`); thread sites get the default.
pub fn task_work(index: &ProjectIndex, graph: &TaskGraph) -> Vec<TaskWork> {
    let rules = gil_holding_rules();
    let facts = ProjectFacts::compute(index, graph);
    let cx = Context::new(index, &graph.facts);
    graph
        .sites
        .iter()
        .map(|site| {
            if site.threads || !site.data.iter().any(crate::rules::helpers::carries_arrays) {
                return TaskWork::default();
            }
            let (tasks, library_tasks) = task_functions(index, &cx, site);
            let writes_inputs = tasks.iter().any(|&f| writes_parameter_in_place(index, f));
            let reached = reach(index, &cx, &tasks);
            // Per-slice callbacks (`np.apply_along_axis`) hand whole rows to numpy: not GIL-bound.
            let per_element = |f: FuncId| {
                crate::engine::lint::findings_in(&cx, graph, &facts, &rules, Unit::Function(f))
                    .iter()
                    .any(crate::rules::quotes_evidence)
            };
            let foreign = |f: FuncId| walk_unit(&cx, Unit::Function(f), ForeignCalls::default()).found;
            let holds_gil = reached.iter().any(|&f| per_element(f) || foreign(f));
            let heavy = !tasks.is_empty()
                && library_tasks.is_empty()
                && (reached.len() > tasks.len() || reached.iter().any(|&f| loops_or_multiplies_matrices(index, f)));
            let tasks = tasks.iter().map(|&f| index.func_display(f, Some(site.file))).chain(library_tasks).collect();
            TaskWork { tasks, holds_gil, writes_inputs, heavy }
        })
        .collect()
}

/// The project functions a site's tasks run (see the module docs for closures), and the
/// library functions passed to a closure in their place (`parallel_func(np.dot, n_jobs)`).
fn task_functions(index: &ProjectIndex, cx: &Context, site: &LauncherSite) -> (Vec<FuncId>, Vec<String>) {
    let mut out = Vec::new();
    let mut library = Vec::new();
    for e in &site.entries {
        let enclosing = index.function_of_scope(e.func.file, index.func(e.func).parent_scope);
        let passed_values: Vec<Value> = match (enclosing, site.from) {
            (Some(p), Some(from)) => calls_from(cx, from)
                .into_iter()
                .filter(|c| c.to == p)
                .filter_map(|c| c.args)
                .flat_map(|(args, kwargs)| args.into_iter().chain(kwargs.into_iter().map(|(_, v)| v)))
                .flat_map(|v| v.alternatives().to_vec())
                .collect(),
            _ => Vec::new(),
        };
        let passed: Vec<FuncId> = passed_values
            .iter()
            .filter_map(|a| match a {
                Value::Function(f) | Value::BoundMethod(f, _) => Some(*f),
                Value::Partial(p) => match p.func {
                    Value::Function(f) | Value::BoundMethod(f, _) => Some(f),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let passed_library: Vec<String> = passed_values
            .iter()
            .filter_map(|a| match a {
                Value::Partial(p) => p.func.qualified(),
                a => a.qualified(),
            })
            .filter(|q| GIL_JUDGED.contains(&q.split('.').next().unwrap_or("")))
            .map(str::to_string)
            .collect();
        if passed.is_empty() && passed_library.is_empty() {
            out.push(e.func);
        } else {
            out.extend(passed);
            library.extend(passed_library);
        }
    }
    out.sort();
    out.dedup();
    library.sort();
    library.dedup();
    (out, library)
}

fn calls_from(cx: &Context, f: FuncId) -> Vec<crate::analysis::tasks::CallEdge> {
    walk_unit(cx, Unit::Function(f), DiscoveryHooks::new(f.file, Some(f), true)).edges
}

/// The tasks and what they call, breadth-first to [`MAX_DEPTH`] calls.
fn reach(index: &ProjectIndex, cx: &Context, tasks: &[FuncId]) -> Vec<FuncId> {
    let mut seen: FxHashSet<FuncId> = tasks.iter().copied().collect();
    let mut order: Vec<FuncId> = tasks.to_vec();
    let mut frontier = tasks.to_vec();
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for &f in &frontier {
            if index.is_leaf(f) {
                continue;
            }
            for c in calls_from(cx, f) {
                if order.len() < MAX_FUNCTIONS && seen.insert(c.to) {
                    order.push(c.to);
                    next.push(c.to);
                }
            }
        }
        frontier = next;
    }
    order.retain(|&f| !index.is_leaf(f));
    order
}

/// Packages whose calls on arrays are judged: numpy and scipy (their GIL behaviour is what
/// numgil's rules know), OpenCV (its bindings release the GIL around every wrapped call),
/// numexpr (evaluates with the GIL released), and the builtins and standard helpers that only
/// move values around.
/// Parts of those packages that keep the GIL: `scipy.sparse.csgraph`'s graph searches
/// (`dijkstra`, `shortest_path`, the traversals) are Cython loops written without `nogil`.
const GIL_HELD: &[&str] = &["scipy.sparse.csgraph"];

fn holds_gil(qualified: &str) -> bool {
    GIL_HELD.iter().any(|h| qualified.strip_prefix(h).is_some_and(|r| r.is_empty() || r.starts_with('.')))
}

const GIL_JUDGED: &[&str] =
    &["numpy", "scipy", "cv2", "numexpr", "builtins", "math", "operator", "functools", "itertools"];

/// Finds a call that hands an array to code numgil cannot judge: a function or method of
/// another library than numpy and scipy, or a method it cannot resolve (scikit-learn's
/// `estimator.fit(X, y)`, a plotting call). Whether that code releases the GIL is unknown, so
/// threads are not claimed to run such tasks as well.
#[derive(Default)]
struct ForeignCalls<'a> {
    found: bool,
    /// Names bound from `getattr(...)` in the walked code.
    methods_by_name: Vec<&'a str>,
}

impl<'a> Hooks<'a> for ForeignCalls<'a> {
    fn on_stmt(&mut self, _ev: &mut Evaluator<'a, '_, '_>, stmt: &'a Stmt, _state: &WalkState<'a>) {
        if let Stmt::Assign(a) = stmt
            && let [Expr::Name(target)] = a.targets.as_slice()
            && let Expr::Call(c) = &*a.value
            && matches!(&*c.func, Expr::Name(f) if f.id.as_str() == "getattr")
        {
            self.methods_by_name.push(target.id.as_str());
        }
    }

    fn on_expr(&mut self, ev: &mut Evaluator<'a, '_, '_>, expr: &'a Expr, _state: &WalkState<'a>) {
        let Expr::Call(call) = expr else { return };
        if self.found {
            return;
        }
        // A method of an array (`x.sum()`) is numpy's.
        if let Expr::Attribute(a) = &*call.func
            && ev.eval(&a.value).is_array()
        {
            return;
        }
        let callee = ev.eval(&call.func);
        // A call known to keep the GIL counts whatever it is given (a sparse graph, a list).
        let known_to_hold = |v: &Value| match v {
            Value::Partial(p) => p.func.qualified().is_some_and(holds_gil),
            v => v.qualified().is_some_and(holds_gil),
        };
        if callee.alternatives().iter().any(known_to_hold) {
            self.found = true;
            return;
        }
        let hands_array = call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|k| &k.value))
            .any(|a| ev.eval(a).is_array());
        if !hands_array {
            return;
        }
        let judged = callee.alternatives().iter().all(|v| match v {
            Value::External(q) | Value::ExternalInstance(q) => GIL_JUDGED.contains(&q.split('.').next().unwrap_or("")),
            // An unresolved method of an object (`est.fit`, `stat_fun.from_signs`) is another
            // library's or a caller's object, and so is a callback parameter the task calls with
            // arrays (mne's `scoring(est, X[..., ii], y)`); an unresolved plain name otherwise (an
            // import numgil does not follow) is given the benefit of the doubt.
            Value::Unknown => match &*call.func {
                Expr::Attribute(_) => false,
                // `transform = getattr(est, method)`: a method by another name.
                Expr::Name(n) => {
                    !self.methods_by_name.contains(&n.id.as_str()) && !ev.is_parameter_of_walked_function(n.id.as_str())
                }
                _ => true,
            },
            _ => true,
        });
        self.found = !judged;
    }
}

/// Routines (by their last name) whose cost grows faster than their input: matrix products,
/// factorisations and solvers, pairwise distances, tree searches, 2-D convolutions.
const SUPERLINEAR: &[&str] = &[
    "dot",
    "matmul",
    "einsum",
    "tensordot",
    "solve",
    "inv",
    "pinv",
    "svd",
    "eig",
    "eigh",
    "eigvalsh",
    "cholesky",
    "qr",
    "lstsq",
    "cdist",
    "pdist",
    "cKDTree",
    "KDTree",
    "fftconvolve",
    "convolve2d",
    "correlate2d",
];

/// Whether `f`'s body (not its nested functions) loops (`for`, `while`) or calls a
/// [`SUPERLINEAR`] routine or `@`: work that is more than one pass over its input, next to
/// which copying that input once is a small share.
fn loops_or_multiplies_matrices(index: &ProjectIndex, f: FuncId) -> bool {
    let FuncBody::Stmts(body) = index.func(f).body() else { return false };
    let mut v = HeavyWork { found: false };
    for s in body {
        v.visit_stmt(s);
    }
    v.found
}

struct HeavyWork {
    found: bool,
}

impl<'a> Visitor<'a> for HeavyWork {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            Stmt::For(_) | Stmt::While(_) => self.found = true,
            _ => {}
        }
        if !self.found {
            walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(_) => return,
            Expr::BinOp(b) if b.op == ruff_python_ast::Operator::MatMult => self.found = true,
            Expr::Call(c) => {
                let name = match &*c.func {
                    Expr::Attribute(a) => Some(a.attr.as_str()),
                    Expr::Name(n) => Some(n.id.as_str()),
                    _ => None,
                };
                if name.is_some_and(|n| SUPERLINEAR.contains(&n)) {
                    self.found = true;
                }
            }
            _ => {}
        }
        if !self.found {
            walk_expr(self, expr);
        }
    }
}

/// Whether `f`'s body writes into one of its parameters in place: `p *= k`, `p[...] = v`,
/// `p[...] += v` (not in nested functions).
/// `p *= k` counts only for a parameter the body uses as an array (on a number it rebinds).
fn writes_parameter_in_place(index: &ProjectIndex, f: FuncId) -> bool {
    let info = index.func(f);
    let FuncBody::Stmts(body) = info.body() else { return false };
    let params: Vec<&str> = info.params().iter().map(|p| p.name.as_str()).collect();
    let as_array = crate::analysis::usage::array_parameters(index.module_scopes(f.file), info);
    let arrays: Vec<&str> = params
        .iter()
        .zip(as_array.iter().chain(std::iter::repeat(&false)))
        .filter(|(_, a)| **a)
        .map(|(p, _)| *p)
        .collect();
    let mut v = InPlaceWrites { params: &params, arrays: &arrays, found: false };
    for s in body {
        v.visit_stmt(s);
    }
    v.found
}

struct InPlaceWrites<'p> {
    params: &'p [&'p str],
    arrays: &'p [&'p str],
    found: bool,
}

impl InPlaceWrites<'_> {
    fn is_array_param(&self, e: &Expr) -> bool {
        matches!(e, Expr::Name(n) if self.arrays.contains(&n.id.as_str()))
    }

    fn writes(&self, target: &Expr) -> bool {
        match target {
            Expr::Subscript(s) => matches!(&*s.value, Expr::Name(n) if self.params.contains(&n.id.as_str())),
            Expr::Tuple(t) => t.elts.iter().any(|e| self.writes(e)),
            _ => false,
        }
    }
}

impl<'a> Visitor<'a> for InPlaceWrites<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => return,
            Stmt::AugAssign(a) if self.is_array_param(&a.target) || self.writes(&a.target) => self.found = true,
            Stmt::Assign(a) if a.targets.iter().any(|t| self.writes(t)) => self.found = true,
            _ => {}
        }
        if !self.found {
            walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if matches!(expr, Expr::Lambda(_)) {
            return;
        }
        walk_expr(self, expr);
    }
}
