//! ## What it does
//! Flags `np.vectorize` and `np.frompyfunc` (created in, or called from, code that runs in a
//! thread task), and `np.apply_along_axis` / `np.piecewise` / `xarray.apply_ufunc(...,
//! vectorize=True)` with Python callables there. A
//! callback that is itself a numpy function or ufunc, or a C builtin (`np.apply_along_axis(
//! np.bincount, 1, m)`, `math.fsum`), is not a Python callback and is not reported. A
//! callable numgil cannot resolve (a parameter filled by the library's user, as in
//! `dask.array.apply_along_axis`) is reported for `np.apply_along_axis` only: its per-slice loop
//! is Python code in numpy whatever the callback, and a callback nobody in the project names is
//! almost always the user's Python function.
//!
//! Outside thread tasks (`--scope everywhere`) a callback with no whole-array rewrite in the
//! code at hand is not reported: a parameter of the enclosing function (a library's
//! `apply_gufunc(func, ..., vectorize=True)` calls what its user passes, by contract), or a
//! function on Python objects (`np.vectorize(type)`, `np.vectorize(d.__getitem__)`,
//! `np.frompyfunc(lambda f: f.size, 1, 1)`, `np.vectorize(cftime.is_leap_year)`), nor an
//! `apply_ufunc(..., vectorize=True)` whose function fits or solves per slice (it calls
//! `curve_fit`, `least_squares`, `minimize` and the like: iterative by nature).
//!
//! ## Why is this bad?
//! These look like numpy operations but call a Python function once per element (`np.vectorize`,
//! `np.frompyfunc`), per 1-D slice (`np.apply_along_axis`) or per piece (`np.piecewise`),
//! holding the GIL for each call. The Measured section below is the per-element case,
//! `np.vectorize(lambda x: 2*x+1)` against the plain ufunc expression; `np.apply_along_axis`
//! costs one Python call per slice, so its cost depends on the slice length and is not quoted.
//! `np.vectorize` is a convenience, not a compiler.
//!
//! ## Example
//! ```python
//! scale = np.vectorize(lambda x: 2.0 * x + 1.0)
//!
//! def task(chunk):
//!     return scale(chunk)
//! ```
//!
//! Use instead:
//! ```python
//! def task(chunk):
//!     return 2.0 * chunk + 1.0
//! ```

use super::helpers::numpy_function;
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::value::Value;
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

pub static META: RuleMeta = RuleMeta {
    code: "NG104",
    name: "python-callback-ufunc",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("python_callback_ufunc.rs"),
};

pub struct PythonCallbackUfunc;

pub fn message(what: &str) -> String {
    format!("{what} calls a Python function for every element, holding the GIL")
}

/// The message for `np.apply_along_axis`, whose cost is one Python call per 1-D slice.
pub fn per_slice_message() -> String {
    format!("`np.apply_along_axis` {PER_SLICE}")
}

/// The words that mark a per-slice finding (its message quotes no per-element figure).
const PER_SLICE: &str = "calls a Python function for every 1-D slice, holding the GIL";

/// Whether a finding of this rule may quote the measured figure: the kernel measures the
/// per-element cost (`np.vectorize`), which a per-slice finding does not have.
pub fn quotes_evidence(message: &str) -> bool {
    !message.contains(PER_SLICE)
}

pub fn fix_title() -> String {
    "write the function as a ufunc expression on whole arrays (or compile it with numba `nogil=True`)".into()
}

impl Rule for PythonCallbackUfunc {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        let Expr::Call(call) = expr else { return };
        if let Some(f) = numpy_function(checker, call) {
            // Outside thread tasks (`--scope everywhere`), a callback with no whole-array
            // rewrite is not worth a finding: see [`no_rewrite_outside_tasks`].
            if checker.task.is_none()
                && matches!(f.as_str(), "vectorize" | "frompyfunc" | "apply_along_axis")
                && no_rewrite_outside_tasks(checker, call, &f)
            {
                return;
            }
            let message = match f.as_str() {
                "vectorize" => message("`np.vectorize`"),
                "frompyfunc" => message("`np.frompyfunc`"),
                "apply_along_axis" if apply_along_axis_callback(checker, call) => per_slice_message(),
                "piecewise" if piecewise_has_callable(checker, call) => message("`np.piecewise` with Python functions"),
                _ => return,
            };
            checker.report(&META, call.range(), message, Some(fix_title()), None).whole_array = true;
            return;
        }
        if vectorizing_apply_ufunc(checker, call) {
            // Outside tasks, a per-slice fit or solve (`curve_fit` on each pixel's series) has
            // no whole-array rewrite: the solver is iterative Python per slice by nature.
            if checker.task.is_none() && call.arguments.args.first().is_some_and(|e| solves_per_slice(checker, e)) {
                return;
            }
            let message =
                format!("`xarray.apply_ufunc(..., vectorize=True)` wraps it in `np.vectorize`, which {PER_SLICE}");
            checker.report(&META, call.range(), message, Some(fix_title()), None).whole_array = true;
            return;
        }
        // Calling a vectorized function; `np.vectorize(f)(x)` is reported once, at the creation.
        // Only in a task: there the call carries the task that runs it, and the creation (at
        // module level, say) may be outside what is checked; outside tasks the creation's
        // finding is the one to read, not one more per call.
        let created_here = matches!(&*call.func, Expr::Call(inner) if numpy_function(checker, inner).is_some());
        if !created_here && checker.task.is_some() && checker.value(&call.func) == Value::Vectorized {
            let name = checker.text(&*call.func).to_string();
            checker
                .report(
                    &META,
                    call.range(),
                    message(&format!("`{name}` (a vectorized function)")),
                    Some(fix_title()),
                    None,
                )
                .whole_array = true;
        }
    }
}

/// Modules whose functions work on Python objects (dates in calendars, text, paths): a
/// vectorized call of one has no ufunc to become.
const OBJECT_MODULES: &[&str] = &[
    "cftime",
    "datetime",
    "calendar",
    "dateutil",
    "re",
    "os",
    "pathlib",
    "json",
    "decimal",
    "fractions",
    "uuid",
    "string",
];

/// Builtins and methods that look up, convert or inspect objects rather than compute on numbers.
const OBJECT_BUILTINS: &[&str] = &["type", "str", "repr", "len", "hash", "id", "isinstance", "getattr", "ord", "chr"];
const OBJECT_METHODS: &[&str] = &[
    "__getitem__",
    "get",
    "__contains__",
    "format",
    "decode",
    "encode",
    "lower",
    "upper",
    "strip",
    "startswith",
    "endswith",
    "split",
    "replace",
    "isoformat",
    "strftime",
];

/// Outside thread tasks, `np.vectorize(f)`, `np.frompyfunc(f, ...)` and
/// `np.apply_along_axis(f, ...)` are not worth a finding when the function has no whole-array
/// rewrite in the code at hand:
/// - `f` is a parameter of the enclosing function (dask's `apply_gufunc(func, ...,
///   vectorize=True)`, `_inner_apply_along_axis(arr, func1d, ...)`): the library's API calls
///   the function its user passes, by contract, and only that user can change it;
/// - `f` works on Python objects: a builtin such as `type`, a mapping lookup
///   (`d.__getitem__`), a string or date method or a lambda that is one (`lambda x:
///   x.decode(enc)`, `lambda x: x.size`), or a function of a module of objects (`cftime`,
///   `re`, `datetime`).
///
/// In a thread task they are still reported: there the pool serialises on them.
fn no_rewrite_outside_tasks<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall, f: &str) -> bool {
    let key = if f == "apply_along_axis" { "func1d" } else { "pyfunc" };
    let callable = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == key))
        .map(|k| &k.value)
        .or_else(|| call.arguments.args.first());
    let Some(callable) = callable else { return false };
    match callable {
        Expr::Name(n) if checker.ev.is_parameter_of_walked_function(n.id.as_str()) => true,
        Expr::Attribute(a) if OBJECT_METHODS.contains(&a.attr.as_str()) => true,
        Expr::Lambda(l) => match &*l.body {
            Expr::Attribute(_) => true,
            Expr::Call(c) => matches!(&*c.func, Expr::Attribute(a) if OBJECT_METHODS.contains(&a.attr.as_str())),
            _ => false,
        },
        e @ (Expr::Name(_) | Expr::Attribute(_)) => {
            // `cftime = attempt_import("cftime")`: the module by its usual name, however bound.
            let named_root = match e {
                Expr::Attribute(a) => matches!(&*a.value, Expr::Name(m) if OBJECT_MODULES.contains(&m.id.as_str())),
                _ => false,
            };
            named_root
                || checker.value(e).qualified().is_some_and(|q| {
                    let root = q.split('.').next().unwrap_or("");
                    OBJECT_MODULES.contains(&root)
                        || q.strip_prefix("builtins.").is_some_and(|b| OBJECT_BUILTINS.contains(&b))
                })
        }
        _ => false,
    }
}

/// Iterative fitting and root-finding routines (`scipy.optimize`'s, by their last name).
const SOLVERS: &[&str] = &[
    "curve_fit",
    "least_squares",
    "leastsq",
    "minimize",
    "minimize_scalar",
    "root",
    "root_scalar",
    "fsolve",
    "brentq",
    "newton",
];

/// Whether `callback` is a project function whose body calls one of the [`SOLVERS`].
fn solves_per_slice<'a>(checker: &mut Checker<'_, 'a, '_, '_>, callback: &'a Expr) -> bool {
    let Value::Function(f) = checker.value(callback) else { return false };
    let crate::project::scope::FuncBody::Stmts(body) = checker.ev.cx.index.func(f).body() else { return false };
    struct Finder {
        found: bool,
    }
    impl<'x> ruff_python_ast::visitor::Visitor<'x> for Finder {
        fn visit_expr(&mut self, e: &'x Expr) {
            if let Expr::Call(c) = e {
                let name = match &*c.func {
                    Expr::Name(n) => Some(n.id.as_str()),
                    Expr::Attribute(a) => Some(a.attr.as_str()),
                    _ => None,
                };
                self.found |= name.is_some_and(|n| SOLVERS.contains(&n));
            }
            if !self.found {
                ruff_python_ast::visitor::walk_expr(self, e);
            }
        }
    }
    let mut finder = Finder { found: false };
    for stmt in body {
        ruff_python_ast::visitor::Visitor::visit_stmt(&mut finder, stmt);
    }
    finder.found
}

/// `xarray.apply_ufunc(func, ..., vectorize=True)` with a Python `func`: xarray wraps it in
/// `np.vectorize` and calls it once per slice along the core dimensions (in a dask task, too).
/// Recognised from user code (`xarray.apply_ufunc`) and inside xarray itself (its own
/// `apply_ufunc` function).
fn vectorizing_apply_ufunc<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) -> bool {
    let vectorize = call.arguments.keywords.iter().any(|k| {
        k.arg.as_ref().is_some_and(|a| a.as_str() == "vectorize")
            && matches!(&k.value, Expr::BooleanLiteral(b) if b.value)
    });
    if !vectorize {
        return false;
    }
    let is_apply_ufunc = match checker.value(&call.func) {
        Value::External(q) => q.starts_with("xarray.") && q.ends_with(".apply_ufunc"),
        Value::Function(f) => {
            let index = checker.ev.cx.index;
            index.func(f).qualname == "apply_ufunc" && index.modules[f.file as usize].name.starts_with("xarray")
        }
        _ => false,
    };
    is_apply_ufunc && call.arguments.args.first().is_some_and(|e| is_python_callable(checker, e))
}

/// Whether `np.apply_along_axis(func1d, ...)` is given a Python function: a lambda, a project
/// function or a bound method, or a callable nothing is known of (a parameter no call site in
/// the project fills). A numpy function or ufunc (`np.bincount`, `np.sort`) or a C builtin is
/// not reported.
fn apply_along_axis_callback<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) -> bool {
    let func1d = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "func1d"))
        .map(|k| &k.value)
        .or_else(|| call.arguments.args.first());
    match func1d {
        Some(e @ (Expr::Name(_) | Expr::Attribute(_))) if matches!(checker.value(e), Value::Unknown) => true,
        Some(e) => is_python_callable(checker, e),
        None => false,
    }
}

/// A lambda, or a name or attribute bound to a project function or bound method (or a
/// `functools.partial` of one).
fn is_python_callable<'a>(checker: &mut Checker<'_, 'a, '_, '_>, e: &'a Expr) -> bool {
    match e {
        Expr::Lambda(_) => true,
        Expr::Name(_) | Expr::Attribute(_) => match checker.value(e) {
            Value::Function(_) | Value::BoundMethod(..) => true,
            // `functools.partial(f, ...)` of a project function.
            Value::Partial(p) => matches!(p.func, Value::Function(_) | Value::BoundMethod(..)),
            _ => false,
        },
        _ => false,
    }
}

fn piecewise_has_callable<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) -> bool {
    let funclist = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "funclist"))
        .map(|k| &k.value)
        .or_else(|| call.arguments.args.get(2));
    let items: Vec<&'a Expr> = match funclist {
        Some(Expr::List(l)) => l.elts.iter().collect(),
        Some(Expr::Tuple(t)) => t.elts.iter().collect(),
        _ => return false,
    };
    items.into_iter().any(|e| match e {
        Expr::Lambda(_) => true,
        // Project functions and the `math` module's functions run as Python calls per piece;
        // numpy ufuncs passed in are fine.
        Expr::Name(_) | Expr::Attribute(_) => match checker.value(e) {
            Value::Function(_) | Value::BoundMethod(..) => true,
            v => v.qualified().is_some_and(|q| q.starts_with("math.")),
        },
        _ => false,
    })
}
