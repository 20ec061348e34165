//! ## What it does
//! Flags numba-compiled functions (`@njit`, `@jit` in nopython mode) that run in a thread task
//! and are compiled without `nogil=True`. Reported at the decorator, with the task that reaches
//! the function; only in thread tasks, also with `--scope everywhere` (a compiled function
//! that no thread runs has no other thread to hold up). Object-mode
//! functions (`forceobj=True`), numba ufuncs (`@vectorize`, `@guvectorize`), GPU kernels and C
//! callbacks are not.
//!
//! ## Why is this bad?
//! numba turns the function into machine code, but unless it is compiled with `nogil=True` that
//! code runs with the GIL held from entry to return: the loop that was made fast still lets one
//! thread run at a time, and a thread pool calling it runs its tasks one after another. With
//! `nogil=True` the compiled function releases the GIL on entry (nopython code touches no Python
//! object), so the tasks run on every core. No figure is quoted: numgil's benchmark environment
//! does not install numba, and the gain is the pool's thread count for a task that is all
//! compiled work.
//!
//! ## Example
//! ```python
//! @njit
//! def label_overlap(x, y, overlap):
//!     for i in range(x.size):
//!         overlap[x[i], y[i]] += 1
//!     return overlap
//!
//! with ThreadPoolExecutor() as ex:
//!     results = list(ex.map(match_pair, pairs))  # each task calls label_overlap
//! ```
//!
//! Use instead:
//! ```python
//! @njit(nogil=True)
//! def label_overlap(x, y, overlap):
//!     for i in range(x.size):
//!         overlap[x[i], y[i]] += 1
//!     return overlap
//! ```
//!
//! ## Fix safety
//! There is no automatic fix. Releasing the GIL lets calls run at the same time: a compiled
//! function that writes into an array shared between tasks was serialised by the GIL and races
//! once it is released, so whether `nogil=True` keeps the results is a question about the
//! callers that numgil cannot answer.

use super::{FixAvailability, RuleMeta, RuleScope};
use crate::findings::diagnostic::{Diagnostic, TaskContext};
use crate::project::index::{FuncId, ProjectIndex};
use crate::project::scope::Jit;

pub static META: RuleMeta = RuleMeta {
    code: "NG108",
    name: "numba-jit-holds-gil",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("numba_jit_holds_gil.rs"),
};

pub fn message(function: &str) -> String {
    format!("numba compiles `{function}` without `nogil=True`: it holds the GIL for its whole run")
}

pub fn fix_title() -> String {
    "compile it with `nogil=True` (`@njit(nogil=True)`) once its callers do not write to the same arrays at once".into()
}

/// Numba-compiled functions without `nogil=True` that thread tasks reach (`task_of` gives the
/// task a function runs in).
pub fn check(index: &ProjectIndex, task_of: impl Fn(FuncId) -> Option<TaskContext>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (file, module) in index.modules.iter().enumerate() {
        let scopes = index.module_scopes(file as u32);
        for (local, info) in scopes.functions.iter().enumerate() {
            let Jit::Numba { nogil: false, nopython_jit: true, decorator } = info.jit else {
                continue;
            };
            let f = FuncId { file: file as u32, local: local as u32 };
            let Some(task) = task_of(f) else { continue };
            let name = info.qualname.rsplit('.').next().unwrap_or(&info.qualname);
            let mut d = Diagnostic::at(&META, &module.source, file as u32, decorator, message(name), Some(fix_title()));
            d.task = Some(task);
            out.push(d);
        }
    }
    out
}
