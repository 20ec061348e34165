//! ## What it does
//! Flags `np.sum(a * b)` and `(a * b).sum()` (no axis) over two known arrays in code that runs
//! in a thread task. The builtin `sum(a * b)` is NG101's.
//!
//! ## Why is this bad?
//! `a * b` allocates a full temporary array and then reduces it: two passes over memory, and
//! the product and the reduction each take and release the GIL. `np.dot` computes the sum of
//! products in one BLAS call with the GIL released: ≈3.9× the throughput at 2 threads for 1e6
//! float64 (DESIGN.md §7).
//!
//! ## Example
//! ```python
//! def task(a, b):
//!     return np.sum(a * b)
//! ```
//!
//! Use instead:
//! ```python
//! def task(a, b):
//!     return np.dot(a, b)     # a, b 1-D; np.vdot(a, b) for any shape
//! ```
//!
//! ## Fix safety
//! Unsafe. The summation order differs (results may change in the last bits). `np.dot` is
//! right only for two 1-D arrays (on 2-D it is a matrix product), so the fix uses it only when
//! both are known to be 1-D and otherwise writes `np.vdot(a, b)`, which flattens both but
//! conjugates its first argument, so it differs for complex input. Neither upcasts small
//! integer dtypes the way `np.sum` does.

use super::helpers::{numpy_alias, numpy_function, plain_args};
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::fix::{Edit, Fix};
use crate::value::{Dtype, Value};
use ruff_python_ast::{Expr, ExprBinOp, Operator};
use ruff_text_size::Ranged;

pub static META: RuleMeta = RuleMeta {
    code: "NG201",
    name: "unfused-dot-product",
    fix: FixAvailability::Sometimes,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("unfused_dot_product.rs"),
};

pub struct UnfusedDotProduct;

pub fn message() -> String {
    "sum of an elementwise product builds a temporary array; one fused call does it in a single pass".into()
}

pub fn fix_title(replacement: &str) -> String {
    format!("replace with `{replacement}`")
}

impl Rule for UnfusedDotProduct {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        let Expr::Call(call) = expr else { return };
        let product: &'a Expr = match &*call.func {
            Expr::Attribute(attr) if attr.attr.as_str() == "sum" && plain_args(call, 0).is_some() => &attr.value,
            _ => match (numpy_function(checker, call).as_deref(), plain_args(call, 1)) {
                (Some("sum"), Some([arg])) => arg,
                _ => return,
            },
        };
        let Expr::BinOp(b) = product else { return };
        if b.op != Operator::Mult {
            return;
        }
        // `sqrt(sum(x * x))` is a norm: NG202 reports it.
        if checker.text(&*b.left) == checker.text(&*b.right) && inside_sqrt(checker) {
            return;
        }
        let Some(replacement) = fused(checker, b) else { return };
        let np = numpy_alias(checker);
        let text = format!("{}.{}", np.as_deref().unwrap_or("np"), replacement);
        let fix = np.map(|_| Fix::unsafe_edits(vec![Edit::replace(call.range(), text.clone())]));
        checker.report(&META, call.range(), message(), Some(fix_title(&text)), fix);
    }
}

/// `dot(a, b)` when both operands are 1-D, else `vdot(a, b)`; `None` unless both are known,
/// non-object arrays.
fn fused<'a>(checker: &mut Checker<'_, 'a, '_, '_>, b: &'a ExprBinOp) -> Option<String> {
    let (Value::Array(l), Value::Array(r)) = (checker.value(&b.left), checker.value(&b.right)) else { return None };
    if l.dtype == Dtype::Object || r.dtype == Dtype::Object {
        return None;
    }
    let one_d = l.ndim == Some(1) && r.ndim == Some(1);
    let f = if one_d { "dot" } else { "vdot" };
    Some(format!("{f}({}, {})", checker.text(&*b.left), checker.text(&*b.right)))
}

fn inside_sqrt(checker: &mut Checker) -> bool {
    let Some(Expr::Call(parent)) = checker.state.parents.last().copied() else { return false };
    matches!(checker.value(&parent.func).qualified(), Some("numpy.sqrt" | "math.sqrt"))
}
