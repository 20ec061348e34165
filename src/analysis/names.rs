//! Which plain names an expression reads or a target binds: the syntactic questions several
//! stages ask (does a task's argument depend on the loop that feeds the pool, does an index
//! use the loop variable), answered in one place.

use ruff_python_ast::Expr;
use ruff_python_ast::visitor::{Visitor, walk_expr};

/// Whether `name` occurs as a plain name anywhere in `e`.
pub fn mentions(e: &Expr, name: &str) -> bool {
    struct Finder<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'x> Visitor<'x> for Finder<'_> {
        fn visit_expr(&mut self, e: &'x Expr) {
            if let Expr::Name(n) = e
                && n.id.as_str() == self.name
            {
                self.found = true;
            }
            if !self.found {
                walk_expr(self, e);
            }
        }
    }
    let mut f = Finder { name, found: false };
    f.visit_expr(e);
    f.found
}

/// The names an assignment or loop target binds (`x`, `i, (a, b)`, `[p, q]`), in order.
pub fn target_names<'a>(target: &'a Expr, out: &mut Vec<&'a str>) {
    match target {
        Expr::Name(n) => out.push(n.id.as_str()),
        Expr::Tuple(t) => t.elts.iter().for_each(|e| target_names(e, out)),
        Expr::List(l) => l.elts.iter().for_each(|e| target_names(e, out)),
        Expr::Starred(s) => target_names(&s.value, out),
        _ => {}
    }
}
