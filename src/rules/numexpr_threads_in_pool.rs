//! ## What it does
//! Flags `numexpr.evaluate` in code that runs in a thread task when nothing in the project pins
//! numexpr to one thread (`numexpr.set_num_threads(1)`, or `NUMEXPR_NUM_THREADS=1` set in
//! `os.environ` at import time).
//!
//! ## Why is this bad?
//! numexpr releases the GIL, but with more than one numexpr thread every `evaluate()` takes a
//! global mutex, so the thread pool's tasks run one after another. Pinned to one thread,
//! numexpr runs serially inside each task without the mutex, and the pool scales (the
//! reference run of the kernel, under Measured below, has the figures).
//!
//! ## Example
//! ```python
//! def task(a, c):
//!     return numexpr.evaluate("sqrt(a + c)")
//! ```
//!
//! Use instead:
//! ```python
//! numexpr.set_num_threads(1)   # once, at start-up: the pool provides the parallelism
//!
//! def task(a, c):
//!     return numexpr.evaluate("sqrt(a + c)")
//! ```

use super::helpers::callee_name;
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use ruff_python_ast::Expr;
use ruff_text_size::Ranged;

pub static META: RuleMeta = RuleMeta {
    code: "NG204",
    name: "numexpr-threads-in-pool",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("numexpr_threads_in_pool.rs"),
};

pub struct NumexprThreadsInPool;

pub fn message() -> String {
    "`numexpr.evaluate` with several numexpr threads takes a global mutex: the pool's tasks take turns".into()
}

pub fn fix_title() -> String {
    "call `numexpr.set_num_threads(1)` once at start-up and let the thread pool provide the parallelism".into()
}

impl Rule for NumexprThreadsInPool {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn triggers(&self) -> &'static [&'static str] {
        &["evaluate", "re_evaluate"]
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        let Expr::Call(call) = expr else { return };
        // The mutex only serialises tasks: outside thread tasks there is nothing to serialise.
        if checker.facts.numexpr_single_thread || checker.task.is_none() {
            return;
        }
        if matches!(callee_name(checker, call).as_deref(), Some("numexpr.evaluate" | "numexpr.re_evaluate")) {
            checker.report(&META, call.range(), message(), Some(fix_title()), None);
        }
    }
}
