//! ## What it does
//! Flags `np.vectorize` and `np.frompyfunc` (created in, or called from, code that runs in a
//! thread task), and `np.apply_along_axis` / `np.piecewise` with Python callables there.
//!
//! ## Why is this bad?
//! These look like numpy operations but call a Python function once per element (or row),
//! holding the GIL for the whole call: `np.vectorize(lambda x: 2*x+1)` over 2e5 elements
//! scales 0.91× on 2 threads, and the plain ufunc expression is ≈660× faster at 2 threads
//! (DESIGN.md §7). `np.vectorize` is a convenience, not a compiler.
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
use crate::value::Value;
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
            let what = match f.as_str() {
                "vectorize" => "`np.vectorize`",
                "frompyfunc" => "`np.frompyfunc`",
                "apply_along_axis" => "`np.apply_along_axis`",
                "piecewise" if piecewise_has_callable(checker, call) => "`np.piecewise` with Python functions",
                _ => return,
            };
            checker.report(&META, call.range(), message(what), Some(fix_title()), None);
            return;
        }
        // Calling a vectorized function; `np.vectorize(f)(x)` is reported once, at the creation.
        let created_here = matches!(&*call.func, Expr::Call(inner) if numpy_function(checker, inner).is_some());
        if !created_here && checker.value(&call.func) == Value::Vectorized {
            let name = checker.text(&*call.func).to_string();
            checker.report(
                &META,
                call.range(),
                message(&format!("`{name}` (a vectorized function)")),
                Some(fix_title()),
                None,
            );
        }
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
