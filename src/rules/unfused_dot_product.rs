//! ## What it does
//! Flags `np.sum(a * b)` and `(a * b).sum()` (no axis) over two known arrays in code that runs
//! in a thread task. The builtin `sum(a * b)` is NG101's.
//!
//! ## Why is this bad?
//! `a * b` allocates a full temporary array and then reduces it: two passes over memory, and
//! the product and the reduction each take and release the GIL. `np.dot` computes the sum of
//! products in one BLAS call with the GIL released (the reference run, under Measured below,
//! has the figures by size).
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
//! Unsafe, and not offered for a bool operand (`np.sum` counts the `True` products where
//! `np.dot` returns `True`) or an object array. `np.dot` is right only for two 1-D arrays (on
//! 2-D it is a matrix product), so the fix uses it only when both are known to be 1-D and
//! otherwise writes `np.vdot(a, b)`, which flattens both. numgil does not know shapes or element
//! widths, so what can still differ, found by executing both forms over many dtypes, shapes and
//! layouts (`tests/fix_semantics.rs`), is:
//!
//! - rounding: BLAS sums in a different order from `np.sum`'s pairwise sum, so float results can
//!   differ in the last bits.
//! - broadcasting: `a * b` broadcasts and `np.dot`/`np.vdot` do not. With shapes (3, 1) and
//!   (1, 3) the product is 3×3 and its sum differs from `np.vdot`'s sum over the 3 flattened
//!   pairs (36 → 14, silently); with (2, 3) and (3,), or a 0-d and a 1-D operand, the fix raises
//!   `ValueError` where the original returned a value.
//! - narrow integers: `np.sum` accumulates integers narrower than the platform integer (int8 to
//!   int32, uint8 to uint32) in int64/uint64, while `np.dot`/`np.vdot` accumulate in the element
//!   type and overflow (200,000 becomes 64 for uint8 images); the result dtype differs too.
//! - bool input: when numgil cannot see that an operand is bool, the fix runs: `np.sum` of bool
//!   products is a count (2), `np.dot` of bools is `True`.
//! - complex input: `np.vdot` conjugates its first argument, so for complex operands it is
//!   not the sum of products.
//! - timedelta64 input: `a * b` of two timedelta64 arrays raises `TypeError` (`UFuncTypeError`);
//!   `np.dot`/`np.vdot` return a timedelta64 value.

use super::helpers::{is_pure_operand, numpy_alias, numpy_function, plain_args, same_expr};
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::value::{Dtype, Value};
use crate::findings::fix::{Edit, Fix};
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
        // `sqrt(sum(x * x))` is a norm: NG202 reports it (with NG202's test for `x * x`).
        if is_pure_operand(&b.left) && same_expr(&b.left, &b.right) && inside_sqrt(checker) {
            return;
        }
        let Some(replacement) = fused(checker, b) else { return };
        let np = numpy_alias(checker);
        let text = format!("{}.{}", np.as_deref().unwrap_or("np"), replacement.call);
        // No fix for bool: the sum of bool products is a count, `np.dot` of bools is `True`.
        let fix = np
            .as_ref()
            .filter(|_| !replacement.has_bool)
            .map(|_| Fix::unsafe_edits(vec![Edit::replace(call.range(), text.clone())]));
        let help = if replacement.has_bool {
            let (l, r) = (checker.text(&*b.left), checker.text(&*b.right));
            format!(
                "for bool arrays count with `{}.count_nonzero({l} & {r})` (`np.dot` of bools is a bool, not a count)",
                np.as_deref().unwrap_or("np")
            )
        } else {
            fix_title(&text)
        };
        let size = [&*b.left, &*b.right].into_iter().find_map(|e| match checker.value(e) {
            Value::Array(a) => a.size,
            _ => None,
        });
        checker.report(&META, call.range(), message(), Some(help), fix).size = size;
    }
}

/// The fused call for a product of two known arrays.
struct Fused {
    /// `dot(a, b)` when both operands are 1-D, else `vdot(a, b)`.
    call: String,
    /// Whether an operand is known to be a bool array (no fix then).
    has_bool: bool,
}

/// The fused call; `None` unless both operands are known, non-object arrays.
fn fused<'a>(checker: &mut Checker<'_, 'a, '_, '_>, b: &'a ExprBinOp) -> Option<Fused> {
    let (Value::Array(l), Value::Array(r)) = (checker.value(&b.left), checker.value(&b.right)) else { return None };
    if l.dtype == Dtype::Object || r.dtype == Dtype::Object {
        return None;
    }
    let one_d = l.ndim == Some(1) && r.ndim == Some(1);
    let f = if one_d { "dot" } else { "vdot" };
    Some(Fused {
        call: format!("{f}({}, {})", checker.text(&*b.left), checker.text(&*b.right)),
        has_bool: l.dtype == Dtype::Bool || r.dtype == Dtype::Bool,
    })
}

fn inside_sqrt(checker: &mut Checker) -> bool {
    let Some(Expr::Call(parent)) = checker.state.parents.last().copied() else { return false };
    matches!(checker.value(&parent.func).qualified(), Some("numpy.sqrt" | "math.sqrt"))
}
