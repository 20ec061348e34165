//! ## What it does
//! Flags, in code that runs in a thread task, calls to numpy's legacy module-level random
//! functions (`np.random.rand`, `np.random.normal`, `np.random.seed`, ...), and method calls on
//! one `Generator`/`RandomState` shared by all tasks (a module global, a closure variable, or
//! an instance attribute). Only in thread tasks, also with `--scope everywhere`: the cost is
//! contention between tasks, which code outside a task does not have.
//!
//! ## Why is this bad?
//! The module-level functions all draw from one hidden `RandomState` guarded by one lock, and
//! a shared `Generator` has the same lock: the tasks take turns, and neither scales with
//! threads. One generator per thread scales, and PCG64 is also faster per call than the
//! legacy Mersenne Twister (the reference run of the kernel, under Measured below, has the
//! figures).
//!
//! ## Example
//! ```python
//! def task(n):
//!     return np.random.normal(0.0, 1.0, n).mean()
//!
//! with ThreadPoolExecutor() as ex:
//!     means = list(ex.map(task, [10**6] * 8))
//! ```
//!
//! Use instead:
//! ```python
//! def task(rng, n):
//!     return rng.normal(0.0, 1.0, n).mean()
//!
//! rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(1234).spawn(8)]
//! with ThreadPoolExecutor() as ex:
//!     means = list(ex.map(task, rngs, [10**6] * 8))
//! ```
//!
//! ## Fix safety
//! There is no automatic fix: per-task generators draw a different random stream from the
//! legacy global state (and reproducibility then depends on seeding each task), so the change
//! is never behaviour-preserving. The help line describes it.

use super::helpers::callee_name;
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::value::Value;
use ruff_python_ast::{Expr, ExprCall};
use ruff_text_size::Ranged;

pub static META: RuleMeta = RuleMeta {
    code: "NG106",
    name: "legacy-global-random",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("legacy_global_random.rs"),
};

pub struct LegacyGlobalRandom;

pub fn message(what: &str) -> String {
    format!("{what}: every task in the pool waits on the same generator lock")
}

pub fn fix_title() -> String {
    "give each task its own generator: `np.random.default_rng(s)` for `s` in `np.random.SeedSequence(seed).spawn(n)`"
        .into()
}

/// `numpy.random` names that are not the legacy global-state functions.
const NOT_LEGACY: &[&str] = &[
    "default_rng",
    "Generator",
    "SeedSequence",
    "RandomState",
    "BitGenerator",
    "PCG64",
    "PCG64DXSM",
    "MT19937",
    "Philox",
    "SFC64",
    "bit_generator",
];

impl Rule for LegacyGlobalRandom {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        let Expr::Call(call) = expr else { return };
        // The lock only costs when tasks contend for it: code outside a thread task (test
        // set-up, scripts) has nothing to contend with, in every scope.
        if checker.task.is_none() {
            return;
        }
        if let Some(name) = callee_name(checker, call)
            && let Some(f) = name.strip_prefix("numpy.random.")
            && !f.contains('.')
            && !NOT_LEGACY.contains(&f)
        {
            checker.report(
                &META,
                call.range(),
                message(&format!("`np.random.{f}` uses numpy's global RandomState")),
                Some(fix_title()),
                None,
            );
            return;
        }
        if shared_generator_call(checker, call) {
            let recv = checker.text(&*call.func).to_string();
            checker.report(
                &META,
                call.range(),
                message(&format!("`{recv}` uses one generator shared by all tasks")),
                Some(fix_title()),
                None,
            );
        }
    }
}

/// A method call on a `Generator`/`RandomState` that was not created in this function.
fn shared_generator_call<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ExprCall) -> bool {
    let Expr::Attribute(attr) = &*call.func else { return false };
    if attr.attr.as_str() == "spawn" || attr.attr.as_str().starts_with('_') {
        return false;
    }
    let recv = &*attr.value;
    let is_generator = matches!(
        checker.value(recv),
        Value::ExternalInstance(q) if matches!(&*q, "numpy.random.Generator" | "numpy.random.RandomState")
    );
    if !is_generator {
        return false;
    }
    match recv {
        // A global or a variable of an enclosing function.
        Expr::Name(n) => !checker.ev.is_local(n.id.as_str()),
        // An attribute of an instance (`self.rng`), shared by the tasks given that instance.
        Expr::Attribute(a) => matches!(checker.value(&a.value), Value::Instance(_) | Value::Module(_)),
        _ => false,
    }
}
