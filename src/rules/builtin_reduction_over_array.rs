//! ## What it does
//! Flags the builtin `sum`, `min`, `max`, `any` and `all` called on a numpy array in code that
//! runs in a thread task.
//!
//! ## Why is this bad?
//! The builtins iterate the array in Python: every element becomes a numpy scalar object and
//! every addition or comparison is a Python-level operation, all while holding the GIL. In a
//! thread pool this serialises every task. numpy's own reductions run in C, release the GIL on
//! arrays of more than 500 elements, and let the pool scale.
//!
//! Measured inside `ThreadPoolExecutor` workers (DESIGN.md §7): builtin `sum(a * b)` over 1e6
//! float64 scales 1.01× on 2 threads; `np.sum(a * b)` is 134× faster and `np.dot(a, b)` ≈540×.
//!
//! ## Example
//! ```python
//! def task(a, b):
//!     return sum(a * b)
//!
//! with ThreadPoolExecutor() as ex:
//!     ex.submit(task, np.ones(10**6), np.ones(10**6))
//! ```
//!
//! Use instead:
//! ```python
//! def task(a, b):
//!     return np.dot(a, b)   # 1-D float arrays; otherwise np.sum(a * b, axis=0)
//! ```
//!
//! ## Fix safety
//! The replacement is not exactly equivalent. The builtin adds rows of a 2-D array (so the
//! equivalent is `np.sum(x, axis=0)`), returns the Python int `0` for an empty array where
//! `np.sum` returns `0.0`, accumulates small integer dtypes in the element type (overflowing)
//! where `np.sum` upcasts, and sums sequentially where numpy sums pairwise.

use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::fix::{Edit, Fix};
use crate::value::Value;
use ruff_python_ast::{Expr, ExprCall, Operator};
use ruff_text_size::Ranged;

pub static META: RuleMeta = RuleMeta {
    code: "NG101",
    name: "builtin-reduction-over-array",
    fix: FixAvailability::Sometimes,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("builtin_reduction_over_array.rs"),
};

pub struct BuiltinReductionOverArray;

/// What is wrong.
pub fn message(builtin: &str) -> String {
    format!("builtin `{builtin}` iterates a numpy array in Python, holding the GIL for every element")
}

/// What the fix does, naming the numpy equivalent for this argument.
pub fn fix_title(builtin: &str, arg: &str, ndim: Option<u8>, dot: Option<(&str, &str)>) -> String {
    let np_name = match builtin {
        "sum" => "sum",
        "min" => "min",
        "max" => "max",
        "any" => "any",
        _ => "all",
    };
    let plain =
        if ndim == Some(1) { format!("`np.{np_name}({arg})`") } else { format!("`np.{np_name}({arg}, axis=0)`") };
    match dot {
        Some((a, b)) => {
            format!("use `np.dot({a}, {b})` for 1-D float arrays, or {plain}; both release the GIL")
        }
        None => format!("use {plain}, which runs in C and releases the GIL"),
    }
}

impl Rule for BuiltinReductionOverArray {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn triggers(&self) -> &'static [&'static str] {
        &["sum", "min", "max", "any", "all"]
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        let Expr::Call(call) = expr else { return };
        if !matches!(&*call.func, Expr::Name(_) | Expr::Attribute(_)) {
            return;
        }
        let callee = checker.value(&call.func);
        let Some(builtin) = callee.qualified().and_then(|q| q.strip_prefix("builtins.")) else {
            return;
        };
        let builtin = match builtin {
            "sum" | "min" | "max" | "any" | "all" => builtin.to_string(),
            _ => return,
        };
        let Some(arg) = iterable_argument(&builtin, call) else {
            return;
        };
        let Value::Array(info) = checker.value(arg) else {
            return;
        };
        if info.ndim == Some(0) {
            // A 0-d array cannot be iterated: the builtin raises instead.
            return;
        }
        let dot = if builtin == "sum" { dot_operands(checker, arg) } else { None };
        let arg_text = checker.text(arg).to_string();
        let dot_text = dot.map(|(a, b)| (checker.text(a).to_string(), checker.text(b).to_string()));
        let help = fix_title(&builtin, &arg_text, info.ndim, dot_text.as_ref().map(|(a, b)| (a.as_str(), b.as_str())));
        // `sum(x)` → `np.sum(x, axis=0)`: the numpy reduction with the builtin's semantics over
        // rows. Only for the plain one-argument form, and only where numpy has a usable name.
        let plain = call.arguments.args.len() == 1 && call.arguments.keywords.is_empty();
        let fix = super::helpers::numpy_alias(checker).filter(|_| plain).map(|np| {
            let axis = if info.ndim == Some(1) { String::new() } else { ", axis=0".to_string() };
            Fix::unsafe_edits(vec![Edit::replace(call.range(), format!("{np}.{builtin}({arg_text}{axis})"))])
        });
        checker.report(&META, call.range(), message(&builtin), Some(help), fix);
    }
}

/// The argument the builtin iterates, if the call has the shape that iterates one argument:
/// `sum(x)` / `sum(x, start)`; `min(x)` / `max(x)` with only keyword extras; `any(x)` / `all(x)`.
fn iterable_argument<'e>(builtin: &str, call: &'e ExprCall) -> Option<&'e Expr> {
    let args = &call.arguments.args;
    if args.iter().any(|a| matches!(a, Expr::Starred(_))) {
        return None;
    }
    let ok = match builtin {
        "sum" => (1..=2).contains(&args.len()),
        _ => args.len() == 1,
    };
    if !ok {
        return None;
    }
    // `min`/`max` take `key=`/`default=`, `sum` takes `start=`; `any`/`all` take nothing else.
    if matches!(builtin, "any" | "all") && !call.arguments.keywords.is_empty() {
        return None;
    }
    args.first()
}

/// `a * b` with both operands known arrays: the sum of products `np.dot` computes.
fn dot_operands<'a>(checker: &mut Checker<'_, 'a, '_, '_>, arg: &'a Expr) -> Option<(&'a Expr, &'a Expr)> {
    let Expr::BinOp(b) = arg else { return None };
    if b.op != Operator::Mult {
        return None;
    }
    let l = checker.value(&b.left);
    let r = checker.value(&b.right);
    (l.is_array() && r.is_array()).then_some((&*b.left, &*b.right))
}
