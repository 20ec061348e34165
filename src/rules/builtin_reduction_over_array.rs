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
//! What the rewrite gains depends on the data's size: on a handful of elements the numpy call's
//! overhead eats it. Each rewrite has its own kernel (`sum(a * b)` → `np.dot`, `np.sum`;
//! `sum(a)`; `min`/`max`; `any`/`all`), measured from 10 elements up (Measured below). A
//! finding quotes the figure of the rewrite it applies or suggests at the size of its data,
//! and a finding on data whose size the code states is not reported when that figure is
//! under 1.2× (`--include-small` shows it).
//!
//! A reduction inside a loop already reported as a per-element loop (NG102) or a chain of tiny
//! calls per pass (NG203), such as `all(px >= ref)` on each pixel of an image, is part of that
//! finding: the loop is what to rewrite, and on one pixel the numpy call would be slower.
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
//! Unsafe. The fix is offered only for the one-argument form. `min`, `max`, `any` and `all` are
//! rewritten only for an array known to be 1-D: on a 2-D array the builtins compare whole rows
//! (an error unless there is one row), which no numpy reduction reproduces, so there is no fix.
//! `any`/`all` become `bool(np.any(x))`/`bool(np.all(x))`, keeping the Python `bool` result.
//! `sum` becomes `np.sum(x)` on a 1-D array and `np.sum(x, axis=0)` otherwise (the builtin adds
//! the rows of a 2-D array). What can still differ, found by executing both forms over many
//! dtypes, shapes and layouts (`tests/fix_semantics.rs`):
//!
//! - NaN not first: builtin `max`/`min` compare with `>`/`<`, so a NaN is kept only when it is
//!   the first element and ignored elsewhere (`max([1.0, nan, 3.0])` is `3.0`); `np.max` and
//!   `np.min` return NaN whenever there is one.
//! - signed zeros: with `0.0` and `-0.0` both present, the builtin returns whichever comes first
//!   among equals; `np.max`/`np.min` may return the other one.
//! - rounding: the builtin sums sequentially where `np.sum` sums pairwise, so float sums can
//!   differ in the last bits.
//! - empty arrays: builtin `sum` of an empty array is the Python int `0`; `np.sum` returns
//!   `0.0` of the array's dtype (an array of zeros for an empty 2-D array with `axis=0`).
//! - narrow integers: the builtin accumulates bool and integers narrower than the platform
//!   integer (int8 to int32, uint8 to uint32) in the element type, which overflows and keeps that
//!   dtype; `np.sum` accumulates in int64/uint64.
//! - 0-d input: when the rank is unknown and the array is 0-d, builtin `sum` raises `TypeError`
//!   (a 0-d array is not iterable) where `np.sum(x, axis=0)` returns the element.
//! - object arrays: `np.min`/`np.max` of an object array drop a NaN that comes first, which the
//!   builtins keep.

use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::value::Value;
use crate::findings::fix::{Edit, Fix};
use ruff_python_ast::{Expr, ExprCall, Operator};
use ruff_text_size::Ranged;

/// The builtins this rule reports.
const REDUCTIONS: &[&str] = &["sum", "min", "max", "any", "all"];

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
    let plain = match (np_name, ndim) {
        (_, Some(1)) => format!("`np.{np_name}({arg})`"),
        ("sum", _) => format!("`np.sum({arg}, axis=0)`"),
        // The builtin compares whole rows of a 2-D array; say what the numpy call does instead.
        _ => format!("`np.{np_name}({arg})` for a 1-D array (the builtin compares whole rows of a 2-D one)"),
    };
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
        REDUCTIONS
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        let Expr::Call(call) = expr else { return };
        match &*call.func {
            // A name may alias a builtin (`total = sum`), so it is evaluated; an attribute can
            // only be `builtins.sum` and the like, so any other attribute is not evaluated.
            Expr::Name(_) => {}
            Expr::Attribute(a) if REDUCTIONS.contains(&a.attr.as_str()) => {}
            _ => return,
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
        // `all(px >= ref)` on each pixel of a reported pixel loop: the loop is the finding.
        if checker
            .inside_reported_loop(&[super::python_loop_over_array::META.code, super::chained_small_ops::META.code])
        {
            return;
        }
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
        let plain = call.arguments.args.len() == 1 && call.arguments.keywords.is_empty();
        let fix = super::helpers::numpy_alias(checker)
            .filter(|_| plain)
            .and_then(|np| replacement(&np, &builtin, &arg_text, info.ndim))
            .map(|text| Fix::unsafe_edits(vec![Edit::replace(call.range(), text)]));
        let kernel = kernel_of(&builtin, info.ndim, dot.is_some(), fix.is_some());
        let d = checker.report(&META, call.range(), message(&builtin), Some(help), fix);
        d.size = info.size;
        d.kernel = kernel;
    }
}

/// The kernel that measures the rewrite a finding applies (its fix) or, without a fix, the one
/// its help leads with: `sum(a * b)` → `np.sum(a * b)` (fixed) or `np.dot(a, b)`; `sum(a)`,
/// `min`/`max`, `any`/`all` of a 1-D array → the numpy call. Rows of a 2-D array
/// (`np.sum(x, axis=0)`) and arrays of unknown rank have no kernel: no figure is quoted.
pub fn kernel_of(builtin: &str, ndim: Option<u8>, dot: bool, fixed: bool) -> Option<&'static str> {
    match (builtin, dot) {
        ("sum", true) if fixed && ndim == Some(1) => Some("NG101-sumprod"),
        ("sum", true) if !fixed && ndim != Some(2) => Some("NG101"),
        _ if ndim != Some(1) => None,
        ("sum", false) => Some("NG101-sum"),
        ("min" | "max", _) => Some("NG101-minmax"),
        ("any" | "all", _) => Some("NG101-anyall"),
        _ => None,
    }
}

/// The numpy call that replaces `builtin(arg)`, if one does. `sum` adds the rows of a 2-D array,
/// as `np.sum(x, axis=0)` does; `min`/`max`/`any`/`all` compare or test whole rows of a 2-D array,
/// which no numpy reduction does, so they are replaced only on a known 1-D array. `any`/`all`
/// return a Python `bool`, so the numpy result is converted back.
pub fn replacement(np: &str, builtin: &str, arg: &str, ndim: Option<u8>) -> Option<String> {
    match (builtin, ndim) {
        ("sum", Some(1)) => Some(format!("{np}.sum({arg})")),
        ("sum", _) => Some(format!("{np}.sum({arg}, axis=0)")),
        ("min" | "max", Some(1)) => Some(format!("{np}.{builtin}({arg})")),
        ("any" | "all", Some(1)) => Some(format!("bool({np}.{builtin}({arg}))")),
        _ => None,
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
