//! ## What it does
//! Flags a `for` loop over the rows of a 2-D array whose body runs two or more numpy operations
//! on each row, and an innermost loop over indices (`range`, `np.ndindex`; a pixel loop)
//! whose every pass runs two or more numpy operations on tiny arrays (a pixel of an image,
//! an array built from a list literal), in code that runs in a thread task.
//!
//! ## Why is this bad?
//! Every numpy call re-takes the GIL to start and, for inputs of 500 elements or fewer, keeps it
//! for the whole call (numpy's `NPY_BEGIN_THREADS_THRESHOLDED`: a ufunc on 500 elements does
//! not scale with threads, one on 501 does). A loop of small per-row calls therefore spends most of
//! its time holding the GIL or queueing for it, and the pool serialises. The same work as a
//! few calls over the whole stacked array releases the GIL once per call (the reference run
//! of the kernel is below).
//!
//! Only the row loop is reported; a chain of small calls outside a loop costs little.
//! Loops over lists, 1-D arrays (NG102) or arrays of unknown rank are not flagged, nor a range
//! loop of at most 500 literal passes.
//!
//! ## Example
//! ```python
//! def task(m):
//!     out = []
//!     for row in m:
//!         out.append(np.sqrt(row) / np.linalg.norm(row))
//!     return out
//! ```
//!
//! Use instead:
//! ```python
//! def task(m):
//!     return np.sqrt(m) / np.linalg.norm(m, axis=1, keepdims=True)
//! ```

use super::helpers::mentions;
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::value::Value;
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

pub static META: RuleMeta = RuleMeta {
    code: "NG203",
    name: "chained-small-ops",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("chained_small_ops.rs"),
};

pub struct ChainedSmallOps;

pub fn message(n: usize) -> String {
    format!("{n} numpy operations per row in a Python loop: each call re-takes the GIL, so the pool serialises")
}

/// The message for a loop over indices (pixels, elements) whose passes work on tiny arrays.
pub fn per_pass_message(n: usize) -> String {
    format!(
        "{n} numpy operations on tiny arrays per pass of a Python loop over indices: each holds the GIL, so the pool serialises"
    )
}

pub fn per_pass_fix_title() -> String {
    "compute all passes at once on the whole array (broadcasting, boolean masks, `np.where`)".into()
}

pub fn fix_title() -> String {
    "batch the loop into operations over the whole 2-D array (`axis=1`, broadcasting)".into()
}

impl Rule for ChainedSmallOps {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_stmt<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, stmt: &'a Stmt) {
        let Stmt::For(f) = stmt else { return };
        if index_loop(checker, f) {
            let count = super::helpers::small_ops_per_pass(checker, &f.body);
            if count >= 2 {
                let header = TextRange::new(f.range.start(), f.iter.end());
                checker.report(&META, header, per_pass_message(count), Some(per_pass_fix_title()), None);
            }
            return;
        }
        let Expr::Name(target) = &*f.target else { return };
        if !matches!(checker.value(&f.iter), Value::Array(a) if a.ndim.is_some_and(|n| n >= 2)) {
            return;
        }
        let mut count = 0;
        for s in &f.body {
            count_ops(checker, s, target.id.as_str(), &mut count);
        }
        if count >= 2 {
            let header = TextRange::new(f.range.start(), f.iter.end());
            checker.report(&META, header, message(count), Some(fix_title()), None);
        }
    }
}

/// An innermost loop over indices (`range(...)` that is not a short literal range, or
/// `np.ndindex(...)`): no loop nested in its body.
fn index_loop<'a>(checker: &mut Checker<'_, 'a, '_, '_>, f: &'a ast::StmtFor) -> bool {
    let Expr::Call(c) = &*f.iter else { return false };
    let callee = checker.value(&c.func);
    let is_index = match callee.qualified() {
        Some("builtins.range") => {
            super::python_loop_over_array::literal_trip_count(&c.arguments.args).is_none_or(|n| n > SMALL_LOOP)
        }
        Some("numpy.ndindex") => true,
        _ => false,
    };
    is_index && !has_loop(&f.body)
}

/// Loops over a literal range this short are not reported.
const SMALL_LOOP: i64 = 500;

fn has_loop(body: &[Stmt]) -> bool {
    body.iter().any(|s| match s {
        Stmt::For(_) | Stmt::While(_) => true,
        Stmt::If(x) => has_loop(&x.body) || x.elif_else_clauses.iter().any(|c| has_loop(&c.body)),
        Stmt::With(w) => has_loop(&w.body),
        Stmt::Try(t) => has_loop(&t.body) || has_loop(&t.orelse) || has_loop(&t.finalbody),
        _ => false,
    })
}

/// Count numpy calls taking the row, method calls on the row, and arithmetic with the row.
fn count_ops<'a>(checker: &mut Checker<'_, 'a, '_, '_>, stmt: &'a Stmt, row: &str, count: &mut usize) {
    super::helpers::for_each_expr(checker, std::slice::from_ref(stmt), &mut |checker, e| match e {
        Expr::Call(call) => {
            let on_row = match &*call.func {
                Expr::Attribute(a) => matches!(&*a.value, Expr::Name(n) if n.id.as_str() == row),
                _ => false,
            };
            let numpy = !on_row
                && checker.value(&call.func).qualified().is_some_and(|q| q.starts_with("numpy."))
                && call.arguments.args.iter().any(|a| mentions(a, row));
            if on_row || numpy {
                *count += 1;
            }
        }
        Expr::BinOp(b) => {
            let is_row = |x: &Expr| matches!(x, Expr::Name(n) if n.id.as_str() == row);
            if is_row(&b.left) || is_row(&b.right) {
                *count += 1;
            }
        }
        _ => {}
    });
}
