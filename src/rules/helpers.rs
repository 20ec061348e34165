//! Helpers several rules share: recognising numpy calls, finding the local name of the numpy
//! module for fixes, and small syntax predicates.

use super::Checker;
use crate::analysis::value::{ArrayInfo, Value};
use ruff_python_ast::{Expr, ExprCall, Stmt};

/// The numpy function a call invokes, without the `numpy.` prefix (`sum`, `linalg.norm`).
pub fn numpy_function<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) -> Option<String> {
    let v = checker.value(&call.func);
    v.qualified().and_then(|q| q.strip_prefix("numpy.")).map(str::to_string)
}

/// The qualified name of what a call invokes, if it is outside the project.
pub fn callee_name<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) -> Option<String> {
    checker.value(&call.func).qualified().map(str::to_string)
}

/// Facts about an expression if it is a known array.
pub fn array<'a>(checker: &mut Checker<'_, 'a, '_, '_>, e: &'a Expr) -> Option<ArrayInfo> {
    checker.value(e).as_array()
}

/// The name under which the numpy module can be written at this point (`np` for
/// `import numpy as np`), if there is one and nothing shadows it here.
pub fn numpy_alias(checker: &Checker) -> Option<String> {
    let scopes = checker.ev.cx.index.module_scopes(checker.file);
    let scope = checker.ev.current_scope();
    for name in ["np", "numpy", "onp", "npy"] {
        if scopes.import_qualified_by_name(scope, name).as_deref() == Some("numpy") {
            return Some(name.to_string());
        }
    }
    // Any other alias bound at module level.
    scopes.scopes[0].bindings.keys().find_map(|name| {
        (scopes.import_qualified_by_name(scope, name).as_deref() == Some("numpy")).then(|| name.to_string())
    })
}

/// A call with no keywords and exactly `n` positional arguments (none starred).
pub fn plain_args(call: &ExprCall, n: usize) -> Option<&[Expr]> {
    let args = &call.arguments.args;
    (call.arguments.keywords.is_empty() && args.len() == n && !args.iter().any(|a| matches!(a, Expr::Starred(_))))
        .then_some(&args[..])
}

pub use crate::analysis::library::is_int_literal;

/// Whether a value is an iterable whose elements are known arrays, or an array itself.
pub fn carries_arrays(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.ndim != Some(0),
        Value::List(e) | Value::Iter(e) => e.is_array(),
        Value::Tuple(items) => items.iter().any(carries_arrays),
        _ => false,
    }
}

pub use crate::analysis::names::mentions;

/// Whether two expressions are the same syntax tree (ignoring parentheses, spacing and
/// positions): `x[i]` and `x[ i ]` are, `x[i]` and `x[j]` are not.
pub fn same_expr(a: &Expr, b: &Expr) -> bool {
    ruff_python_ast::comparable::ComparableExpr::from(a) == ruff_python_ast::comparable::ComparableExpr::from(b)
}

/// Whether evaluating `e` twice gives the same object with no side effect: a name, an attribute
/// of one, or a subscript of one whose index is made of constants and names (`x`, `self.x`,
/// `x[0]`, `x[i, ::-1]`). No calls, no operators, no comprehensions.
pub fn is_pure_operand(e: &Expr) -> bool {
    match e {
        Expr::Name(_) => true,
        Expr::Attribute(a) => is_pure_operand(&a.value),
        Expr::Subscript(s) => is_pure_operand(&s.value) && is_pure_index(&s.slice),
        _ => false,
    }
}

/// A subscript index of constants and names (`0`, `-1`, `i`, `::2`, `(i, j)`, `...`).
fn is_pure_index(e: &Expr) -> bool {
    match e {
        Expr::Name(_) | Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::BooleanLiteral(_) => true,
        Expr::NoneLiteral(_) | Expr::EllipsisLiteral(_) => true,
        Expr::UnaryOp(u) => matches!(&*u.operand, Expr::NumberLiteral(_)),
        Expr::Slice(s) => [&s.lower, &s.upper, &s.step].into_iter().flatten().all(|p| is_pure_index(p)),
        Expr::Tuple(t) => t.elts.iter().all(is_pure_index),
        _ => false,
    }
}

/// Call `f` on every expression of `stmts` (a loop body, say), outer ones first, leaving out
/// nested `def`s, classes and lambda bodies: code that does not run once per iteration.
pub fn for_each_expr<'x, 'a, 'p, 'cc>(
    checker: &mut Checker<'x, 'a, 'p, 'cc>,
    stmts: &'a [Stmt],
    f: &mut dyn FnMut(&mut Checker<'x, 'a, 'p, 'cc>, &'a Expr),
) {
    struct V<'c, 'f, 'x, 'a, 'p, 'cc> {
        checker: &'c mut Checker<'x, 'a, 'p, 'cc>,
        f: &'f mut dyn FnMut(&mut Checker<'x, 'a, 'p, 'cc>, &'a Expr),
    }
    impl<'a> ruff_python_ast::visitor::Visitor<'a> for V<'_, '_, '_, 'a, '_, '_> {
        fn visit_stmt(&mut self, s: &'a Stmt) {
            if !matches!(s, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                ruff_python_ast::visitor::walk_stmt(self, s);
            }
        }
        fn visit_expr(&mut self, e: &'a Expr) {
            (self.f)(self.checker, e);
            if !matches!(e, Expr::Lambda(_)) {
                ruff_python_ast::visitor::walk_expr(self, e);
            }
        }
    }
    let mut v = V { checker, f };
    for s in stmts {
        ruff_python_ast::visitor::Visitor::visit_stmt(&mut v, s);
    }
}

/// How many numpy operations one pass of a loop body does on small arrays: a pixel of a known
/// image indexed by scalars (`img[y, x]` of an (H, W, 3) image), an array built
/// from a list literal (`np.array([i, i, i, 255])`), and names the body binds to either or to
/// an operation on them. Counted: numpy calls, array methods, arithmetic and comparisons with
/// such an operand. Each holds the GIL for its whole (tiny) run, so a loop of them is NG203's
/// (and not a plain per-element loop's, NG102) to report.
pub fn small_ops_per_pass<'a>(checker: &mut Checker<'_, 'a, '_, '_>, body: &'a [Stmt]) -> usize {
    let mut small: Vec<&'a str> = Vec::new();
    let mut count = 0;
    // Names first, in order: `temp = np.array([...])`, `px = img[y, x]`, `d = px - temp`.
    let mut stmts: Vec<&'a Stmt> = body.iter().rev().collect();
    while let Some(s) = stmts.pop() {
        match s {
            Stmt::Assign(a) if a.targets.len() == 1 => {
                if let Expr::Name(n) = &a.targets[0]
                    && is_small(checker, &a.value, &small)
                {
                    small.push(n.id.as_str());
                }
            }
            Stmt::If(x) => {
                stmts.extend(x.body.iter().chain(x.elif_else_clauses.iter().flat_map(|c| c.body.iter())).rev())
            }
            Stmt::For(x) => stmts.extend(x.body.iter().rev()),
            Stmt::While(x) => stmts.extend(x.body.iter().rev()),
            Stmt::With(x) => stmts.extend(x.body.iter().rev()),
            _ => {}
        }
    }
    for_each_expr(checker, body, &mut |checker, e| {
        let counted = match e {
            Expr::Call(c) => {
                let numpy = checker.value(&c.func).qualified().is_some_and(|q| q.starts_with("numpy."))
                    && c.arguments.args.iter().any(|a| is_small(checker, a, &small));
                let method = matches!(&*c.func, Expr::Attribute(a) if is_small(checker, &a.value, &small));
                // Building one: `np.array([i, i, i, 255])`.
                numpy || method || is_small(checker, e, &small)
            }
            Expr::BinOp(b) => is_small(checker, &b.left, &small) || is_small(checker, &b.right, &small),
            Expr::Compare(c) => {
                is_small(checker, &c.left, &small) || c.comparators.iter().any(|x| is_small(checker, x, &small))
            }
            _ => false,
        };
        count += usize::from(counted);
    });
    count
}

/// A small array: see [`small_ops_per_pass`].
fn is_small<'a>(checker: &mut Checker<'_, 'a, '_, '_>, e: &'a Expr, small: &[&str]) -> bool {
    match e {
        Expr::Name(n) => small.contains(&n.id.as_str()),
        Expr::Subscript(s) => {
            let indices: Vec<&Expr> = match &*s.slice {
                Expr::Tuple(t) => t.elts.iter().collect(),
                one => vec![one],
            };
            let scalar = |i: &Expr| matches!(i, Expr::Name(_) | Expr::NumberLiteral(_) | Expr::BinOp(_));
            // A pixel: every axis but the last (channels) picked by a scalar, of an array of
            // three or more axes (a row of a 2-D array may be long: it is not counted).
            indices.len() >= 2
                && indices.iter().all(|i| scalar(i))
                && matches!(checker.value(&s.value), Value::Array(a) if a.ndim.is_some_and(|n| n as usize == indices.len() + 1))
        }
        Expr::Call(c) => {
            checker.value(&c.func).qualified().is_some_and(|q| matches!(q, "numpy.array" | "numpy.asarray"))
                && matches!(c.arguments.args.first(), Some(Expr::List(l)) if l.elts.len() <= 500)
        }
        Expr::BinOp(b) => is_small(checker, &b.left, small) || is_small(checker, &b.right, small),
        _ => false,
    }
}
