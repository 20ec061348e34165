//! ## What it does
//! Flags a hand-written Euclidean norm, `np.sqrt(np.sum(x**2))`, `np.sqrt((x*x).sum())` (or
//! `math.sqrt` of the same), over a known array in code that runs in a thread task.
//!
//! ## Why is this bad?
//! The square allocates a temporary as large as `x`, then a reduction reads it again; each step
//! takes and releases the GIL. `np.linalg.norm(x)` ravels `x` and computes `sqrt(dot(x, x))` in
//! one BLAS call with the GIL released: 3.8–5.5× the throughput at 2 threads (DESIGN.md §7).
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
//! Unsafe. The result can differ in the last bits (BLAS summation order). For integer input
//! `np.linalg.norm` converts to float first, which avoids the overflow the manual form can hit
//! (so results differ where the original was wrong). For complex input the manual form is not
//! a norm at all.

use super::helpers::{is_int_literal, numpy_alias, numpy_function, plain_args};
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::fix::{Edit, Fix};
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
        let Some(x) = squared_operand(checker, squared) else { return };
        if !checker.value(x).is_array() {
            return;
        }
        let np = numpy_alias(checker);
        let replacement = format!("{}.linalg.norm({})", np.as_deref().unwrap_or("np"), checker.text(x));
        let fix = np.map(|_| Fix::unsafe_edits(vec![Edit::replace(call.range(), replacement.clone())]));
        checker.report(&META, call.range(), message(), Some(fix_title(&replacement)), fix);
    }
}

/// `x ** 2` or `x * x` → `x`.
fn squared_operand<'a>(checker: &Checker<'_, 'a, '_, '_>, e: &'a Expr) -> Option<&'a Expr> {
    let Expr::BinOp(b) = e else { return None };
    match b.op {
        Operator::Pow if is_int_literal(&b.right, 2) => Some(&b.left),
        Operator::Mult if checker.text(&*b.left) == checker.text(&*b.right) => Some(&b.left),
        _ => None,
    }
}
