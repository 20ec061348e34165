//! ## What it does
//! Flags numpy arrays turned into Python objects for Python-level work in code that runs in a
//! thread task: `list(a)`, `a.tolist()` whose result is iterated (a `for` loop, a
//! comprehension, `sum`/`sorted`/`map`/...), and comprehensions over a 1-D array's elements
//! (not one whose elements only pick items of a list: `[files[i] for i in keep]`).
//!
//! ## Why is this bad?
//! The conversion itself is cheap, but what follows is a Python loop over every element with
//! the GIL held, so the thread pool stops scaling. Iterating `a.tolist()` is faster than
//! indexing the array, yet it does not scale with threads either (the reference run of the
//! kernel, under Measured below, has the figures).
//! `a.tolist()` that is only returned or serialised is fine and not flagged.
//!
//! ## Example
//! ```python
//! def task(a):
//!     return sum(x * x for x in a)
//! ```
//!
//! Use instead:
//! ```python
//! def task(a):
//!     return float(np.dot(a, a))
//! ```

use super::helpers::callee_name;
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::value::Value;
use ruff_python_ast::{Expr, ExprCall, Stmt};
use ruff_text_size::Ranged;

pub static META: RuleMeta = RuleMeta {
    code: "NG103",
    name: "array-to-python-conversion",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("array_to_python_conversion.rs"),
};

pub struct ArrayToPythonConversion;

pub fn message(what: &str) -> String {
    format!("{what} moves numpy data into Python objects and processes them with the GIL held")
}

pub fn fix_title() -> String {
    "keep the data in numpy: use array operations (ufuncs, reductions, boolean masks) instead".into()
}

/// Builtins that iterate their argument(s) in Python.
const ITERATING: &[&str] = &["sum", "min", "max", "any", "all", "sorted", "map", "filter", "zip", "enumerate", "set"];

impl Rule for ArrayToPythonConversion {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn triggers(&self) -> &'static [&'static str] {
        &[]
    }

    fn check_stmt<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, stmt: &'a Stmt) {
        let Stmt::For(f) = stmt else { return };
        if let Some(call) = tolist_of_array(checker, &f.iter) {
            report(checker, call.range(), "`.tolist()` iterated by a `for` loop");
        }
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        let generators = match expr {
            Expr::ListComp(c) => &c.generators,
            Expr::SetComp(c) => &c.generators,
            Expr::DictComp(c) => &c.generators,
            Expr::Generator(c) => &c.generators,
            Expr::Call(call) => return check_call(checker, call),
            _ => return,
        };
        let Some(first) = generators.first() else { return };
        if let Some(call) = tolist_of_array(checker, &first.iter) {
            report(checker, call.range(), "`.tolist()` iterated by a comprehension");
        } else if matches!(checker.value(&first.iter), Value::Array(a) if a.ndim == Some(1))
            && !selects_from_a_container(checker, expr, &first.target)
        {
            report(checker, expr.range(), "a comprehension over array elements");
        }
    }
}

/// `[files[i] for i in keep]`: the elements are indices picking items of a list (or another
/// container that is no array); there is no numpy data to keep in numpy.
fn selects_from_a_container<'a>(checker: &mut Checker<'_, 'a, '_, '_>, comp: &'a Expr, target: &Expr) -> bool {
    let elt = match comp {
        Expr::ListComp(c) => &*c.elt,
        Expr::SetComp(c) => &*c.elt,
        Expr::Generator(c) => &*c.elt,
        _ => return false,
    };
    let (Expr::Subscript(s), Expr::Name(var)) = (elt, target) else { return false };
    matches!(&*s.slice, Expr::Name(n) if n.id == var.id) && !checker.value(&s.value).is_array()
}

fn report(checker: &mut Checker, range: ruff_text_size::TextRange, what: &str) {
    checker.report(&META, range, message(what), Some(fix_title()), None);
}

fn check_call<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) {
    let Some(name) = callee_name(checker, call) else { return };
    let Some(builtin) = name.strip_prefix("builtins.") else { return };
    if builtin == "list" {
        if let [arg] = &call.arguments.args[..]
            && matches!(checker.value(arg), Value::Array(a) if a.ndim != Some(0))
        {
            report(checker, call.range(), "`list(...)` of an array");
        }
        return;
    }
    if !ITERATING.contains(&builtin) {
        return;
    }
    for arg in call.arguments.args.iter() {
        if let Some(inner) = tolist_of_array(checker, arg) {
            report(checker, inner.range(), &format!("`.tolist()` passed to `{builtin}`"));
        }
    }
}

/// `a.tolist()` with `a` a known array.
fn tolist_of_array<'a>(checker: &mut Checker<'_, 'a, '_, '_>, e: &'a Expr) -> Option<&'a ExprCall> {
    let Expr::Call(call) = e else { return None };
    let Expr::Attribute(attr) = &*call.func else { return None };
    (attr.attr.as_str() == "tolist" && call.arguments.args.is_empty() && checker.value(&attr.value).is_array())
        .then_some(call)
}
