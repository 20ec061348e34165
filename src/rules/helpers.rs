//! Helpers several rules share: recognising numpy calls, finding the local name of the numpy
//! module for fixes, and small syntax predicates.

use super::Checker;
use crate::value::{ArrayInfo, Value};
use ruff_python_ast::{Expr, ExprCall, Number, Stmt};

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

pub fn is_int_literal(e: &Expr, value: i64) -> bool {
    matches!(e, Expr::NumberLiteral(n) if matches!(&n.value, Number::Int(i) if i.as_i64() == Some(value)))
}

/// Whether a value is an iterable whose elements are known arrays, or an array itself.
pub fn carries_arrays(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.ndim != Some(0),
        Value::List(e) | Value::Iter(e) => e.is_array(),
        Value::Tuple(items) => items.iter().any(carries_arrays),
        _ => false,
    }
}

/// Whether `name` occurs as a plain name anywhere in `e`.
pub fn mentions(e: &Expr, name: &str) -> bool {
    struct Finder<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'x> ruff_python_ast::visitor::Visitor<'x> for Finder<'_> {
        fn visit_expr(&mut self, e: &'x Expr) {
            if let Expr::Name(n) = e
                && n.id.as_str() == self.name
            {
                self.found = true;
            }
            if !self.found {
                ruff_python_ast::visitor::walk_expr(self, e);
            }
        }
    }
    let mut f = Finder { name, found: false };
    ruff_python_ast::visitor::Visitor::visit_expr(&mut f, e);
    f.found
}

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
