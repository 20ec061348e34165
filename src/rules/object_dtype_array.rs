//! ## What it does
//! Flags creating `dtype=object` arrays (`dtype=object`, `"O"`, `np.object_`,
//! `.astype(object)`) and computing on known object arrays (arithmetic, comparisons,
//! reductions, and scans such as `np.argwhere` or `np.nonzero` that test every element) in
//! code that runs in a thread task. With `--scope everywhere`, outside tasks, only computing on
//! object arrays and converting numeric arrays to objects are reported: an object array built
//! as a container of ragged parts (`np.empty(n, dtype=object)` filled with blocks) runs no
//! per-element work.
//!
//! ## Why is this bad?
//! An object array holds pointers to Python objects: every element operation is a Python-level
//! call that needs the GIL, so numpy never releases it: arithmetic on an object array of
//! floats does not scale with threads, and the same on float64 is far faster (the reference
//! run of the kernel, under Measured below, has the figures).
//!
//! ## Example
//! ```python
//! def task(values):
//!     a = np.array(values, dtype=object)
//!     return a * 2 + a
//! ```
//!
//! Use instead:
//! ```python
//! def task(values):
//!     a = np.asarray(values, dtype=np.float64)
//!     return a * 2 + a
//! ```

use super::helpers::numpy_function;
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::library::{dtype_of, kwarg};
use crate::analysis::value::{Dtype, Value};
use ruff_python_ast::{Expr, ExprCall, Stmt};
use ruff_text_size::{Ranged, TextRange};

pub static META: RuleMeta = RuleMeta {
    code: "NG105",
    name: "object-dtype-array",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("object_dtype_array.rs"),
};

pub struct ObjectDtypeArray;

pub fn message(creating: bool) -> String {
    if creating {
        "creates a `dtype=object` array: every operation on it holds the GIL".into()
    } else {
        "computes on a `dtype=object` array, element by element with the GIL held".into()
    }
}

pub fn fix_title() -> String {
    "use a numeric or fixed-width dtype (`np.float64`, `np.int64`, `\"U16\"`) so numpy can release the GIL".into()
}

const CONSTRUCTORS: &[(&str, usize)] = &[
    ("array", 1),
    ("asarray", 1),
    ("asanyarray", 1),
    ("empty", 1),
    ("zeros", 1),
    ("ones", 1),
    ("full", 2),
    ("fromiter", 1),
    ("empty_like", 1),
    ("zeros_like", 1),
    ("ones_like", 1),
    ("full_like", 2),
    ("frompyfunc", 99),
];

/// Reductions and element scans: on an object array each visits every element in Python
/// (`argwhere` and `nonzero` ask every element for its truth value).
const REDUCTIONS: &[&str] = &[
    "sum",
    "prod",
    "mean",
    "std",
    "var",
    "min",
    "max",
    "cumsum",
    "cumprod",
    "dot",
    "argwhere",
    "nonzero",
    "flatnonzero",
    "count_nonzero",
    "any",
    "all",
    "argmax",
    "argmin",
    "sort",
    "argsort",
    "unique",
];

impl Rule for ObjectDtypeArray {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_stmt<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, stmt: &'a Stmt) {
        let Stmt::AugAssign(a) = stmt else { return };
        if is_object(checker, &a.target) {
            report(checker, stmt.range(), false, true);
        }
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        match expr {
            Expr::BinOp(b) if is_object(checker, &b.left) || is_object(checker, &b.right) => {
                report(checker, expr.range(), false, true);
            }
            Expr::Compare(c)
                if c.comparators.len() == 1
                    && (is_object(checker, &c.left) || is_object(checker, &c.comparators[0])) =>
            {
                report(checker, expr.range(), false, true);
            }
            Expr::Call(call) => {
                if creates_object_array(checker, call) {
                    let converts = converts_data(checker, call);
                    report(checker, call.range(), true, converts);
                } else if reduces_object_array(checker, call) {
                    report(checker, call.range(), false, true);
                }
            }
            _ => {}
        }
    }
}

/// One finding per expression tree: nothing inside an expression already reported.
/// `whole_array`: the finding runs Python code on every element of existing data (computing
/// on an object array, converting an array or a parameter's data to one), not filling an
/// empty container of ragged parts.
fn report(checker: &mut Checker, range: TextRange, creating: bool, whole_array: bool) {
    let nested = checker
        .out
        .iter()
        .any(|d| d.code == META.code && d.file == Some(checker.file) && d.range.contains_range(range));
    if !nested {
        checker.report(&META, range, message(creating), Some(fix_title()), None).whole_array = whole_array;
    }
}

/// Whether an object-array creation converts numeric data (`x.astype(object)`,
/// `np.asarray(a, dtype=object)` of a known array that is not one already) rather than
/// building a container: `np.empty(shape, dtype=object)` and friends, or `np.array` of a list
/// or of a value numgil cannot see (ragged blocks, labels, keys, dates: data that is Python
/// objects before it is an array).
fn converts_data<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) -> bool {
    if let Expr::Attribute(attr) = &*call.func
        && attr.attr.as_str() == "astype"
    {
        return true;
    }
    if !matches!(numpy_function(checker, call).as_deref(), Some("array" | "asarray" | "asanyarray")) {
        return false;
    }
    let Some(data) = call.arguments.args.first() else { return false };
    matches!(checker.value(data), Value::Array(a) if a.dtype != Dtype::Object)
}

fn is_object<'a>(checker: &mut Checker<'_, 'a, '_, '_>, e: &'a Expr) -> bool {
    matches!(checker.value(e), Value::Array(a) if a.dtype == Dtype::Object)
}

fn creates_object_array<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) -> bool {
    let dtype_expr = if let Expr::Attribute(attr) = &*call.func {
        if attr.attr.as_str() != "astype" || !checker.value(&attr.value).is_array() {
            return numpy_constructor_dtype(checker, call).is_some_and(|e| dtype_of(checker.ev, e) == Dtype::Object);
        }
        call.arguments.args.first().or_else(|| kwarg(call, "dtype"))
    } else {
        numpy_constructor_dtype(checker, call)
    };
    dtype_expr.is_some_and(|e| dtype_of(checker.ev, e) == Dtype::Object)
}

/// The `dtype` argument of a numpy constructor call.
fn numpy_constructor_dtype<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) -> Option<&'a Expr> {
    let f = numpy_function(checker, call)?;
    let &(_, pos) = CONSTRUCTORS.iter().find(|(n, _)| *n == f)?;
    kwarg(call, "dtype").or_else(|| call.arguments.args.get(pos))
}

fn reduces_object_array<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) -> bool {
    if let Expr::Attribute(attr) = &*call.func
        && REDUCTIONS.contains(&attr.attr.as_str())
        && is_object(checker, &attr.value)
    {
        return true;
    }
    match numpy_function(checker, call) {
        Some(f) if REDUCTIONS.contains(&f.as_str()) => {
            call.arguments.args.first().is_some_and(|a| is_object(checker, a))
        }
        _ => false,
    }
}
