//! ## What it does
//! Flags BLAS-threaded calls (`@`, `np.dot`, `np.matmul` and `.dot` on 2-D arrays, and
//! `np.linalg` factorisations and solvers) in code that runs in a thread task, when the pool is
//! not wrapped in a `threadpoolctl.threadpool_limits(...)` block and BLAS threads are not
//! limited for the whole process.
//!
//! ## Why is this bad?
//! OpenBLAS and MKL start one thread per core for each call. Inside a thread pool of N workers
//! that is N × cores threads competing for the cores, with cache thrashing and spin-waiting.
//! numpy's performance guide recommends limiting BLAS to one thread inside thread pools. On the
//! 2-core reference machine the difference is within noise (≤10%); it grows with core count.
//!
//! ## Example
//! ```python
//! with ThreadPoolExecutor(8) as ex:
//!     results = list(ex.map(lambda m: np.linalg.inv(m), matrices))
//! ```
//!
//! Use instead:
//! ```python
//! from threadpoolctl import threadpool_limits
//!
//! with threadpool_limits(limits=1), ThreadPoolExecutor(8) as ex:
//!     results = list(ex.map(lambda m: np.linalg.inv(m), matrices))
//! ```

use super::helpers::numpy_function;
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::value::Value;
use ruff_python_ast::{Expr, Operator};
use ruff_text_size::Ranged;

pub static META: RuleMeta = RuleMeta {
    code: "NG302",
    name: "blas-oversubscription",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("blas_oversubscription.rs"),
};

pub struct BlasOversubscription;

pub fn message(what: &str) -> String {
    format!("{what} runs multi-threaded BLAS inside a thread pool: threads × BLAS threads oversubscribe the cores")
}

pub fn fix_title() -> String {
    "wrap the pool in `threadpoolctl.threadpool_limits(limits=1)` (or set OPENBLAS_NUM_THREADS=1)".into()
}

const LINALG: &[&str] = &[
    "inv",
    "solve",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "svd",
    "qr",
    "cholesky",
    "lstsq",
    "pinv",
    "matrix_power",
    "multi_dot",
    "tensorsolve",
    "tensorinv",
];

impl Rule for BlasOversubscription {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_expr<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) {
        let what = match expr {
            Expr::BinOp(b) if b.op == Operator::MatMult && both_2d(checker, &b.left, &b.right) => {
                "`@` on 2-D arrays".to_string()
            }
            Expr::Call(call) => {
                let args = &call.arguments.args;
                match (numpy_function(checker, call), &*call.func) {
                    (Some(f), _) if matches!(f.as_str(), "dot" | "matmul") => {
                        if args.len() != 2 || !both_2d(checker, &args[0], &args[1]) {
                            return;
                        }
                        format!("`np.{f}` on 2-D arrays")
                    }
                    (Some(f), _) if f.strip_prefix("linalg.").is_some_and(|n| LINALG.contains(&n)) => {
                        format!("`np.{f}`")
                    }
                    (None, Expr::Attribute(a)) if a.attr.as_str() == "dot" && args.len() == 1 => {
                        if !both_2d(checker, &a.value, &args[0]) {
                            return;
                        }
                        "`.dot` on 2-D arrays".to_string()
                    }
                    _ => return,
                }
            }
            _ => return,
        };
        // Oversubscription needs a pool: outside thread tasks there is nothing to oversubscribe.
        if checker.task.is_none() {
            return;
        }
        // Matrices this small run on one BLAS thread: nothing to oversubscribe.
        if small_for_blas_threads(checker, expr) {
            return;
        }
        if checker.facts.blas_limited_globally || checker.site.is_some_and(|s| checker.facts.site_blas_limited[s]) {
            return;
        }
        checker.report(&META, expr.range(), message(&what), Some(fix_title()), None);
    }
}

/// OpenBLAS runs a matrix product on one thread below m·n·k = 262,144 (`GEMM_MULTITHREAD_
/// THRESHOLD` × 65,536); since m·n·k ≤ |A|·|B|, two operands whose element counts multiply
/// below that never start BLAS threads. A factorisation or solver of a matrix of at most 32×32
/// runs LAPACK's unblocked code on one thread.
const GEMM_SINGLE_THREAD_BELOW: u64 = 262_144;
const LINALG_SINGLE_THREAD_UP_TO: u64 = 32 * 32;

fn small_for_blas_threads<'a>(checker: &mut Checker<'_, 'a, '_, '_>, expr: &'a Expr) -> bool {
    let product = match expr {
        Expr::Call(call) => matches!(numpy_function(checker, call).as_deref(), Some("dot" | "matmul")),
        _ => false,
    };
    let mut size = |e: &'a Expr| match checker.value(e) {
        Value::Array(i) => i.size,
        _ => None,
    };
    let pair = |a: Option<u64>, b: Option<u64>| matches!((a, b), (Some(a), Some(b)) if a.saturating_mul(b) < GEMM_SINGLE_THREAD_BELOW);
    match expr {
        Expr::BinOp(b) => {
            let (l, r) = (size(&b.left), size(&b.right));
            pair(l, r)
        }
        Expr::Call(call) => match (&*call.func, call.arguments.args.as_ref()) {
            (Expr::Attribute(a), [arg]) if a.attr.as_str() == "dot" => {
                let (l, r) = (size(&a.value), size(arg));
                pair(l, r)
            }
            (_, [a, b]) if product => {
                let (l, r) = (size(a), size(b));
                pair(l, r)
            }
            (_, [m, ..]) => size(m).is_some_and(|n| n <= LINALG_SINGLE_THREAD_UP_TO),
            _ => false,
        },
        _ => false,
    }
}

fn both_2d<'a>(checker: &mut Checker<'_, 'a, '_, '_>, a: &'a Expr, b: &'a Expr) -> bool {
    let two_d = |v: Value| matches!(v, Value::Array(i) if i.ndim.is_some_and(|n| n >= 2));
    two_d(checker.value(a)) && two_d(checker.value(b))
}
