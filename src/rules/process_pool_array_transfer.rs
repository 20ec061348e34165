//! ## What it does
//! Flags process-pool launches (`ProcessPoolExecutor.submit`/`map`, `multiprocessing.Pool`
//! methods, `multiprocessing.Process`, joblib's default process backend) that send numpy
//! arrays, or iterables of arrays, to the tasks. Reported at the launcher call, whatever the
//! scope.
//!
//! Not reported where processes are the right tool, judged by walking the tasks (and what they
//! call, three calls deep) with the per-element rules: a task that holds the GIL itself (a
//! Python loop over elements, `np.vectorize`, object arrays, chains of tiny numpy calls, a
//! `scipy.sparse.csgraph` search), that hands its arrays to another library's functions or
//! objects (`estimator.fit(X, y)`: numgil cannot tell whether they release the GIL), or that
//! writes into an array it is given (`X *= signs`: threads would share it and race). Nor where
//! the data goes out in a few coarse chunks to project functions (`parallel(p_fun(x) for x in
//! np.array_split(data, n_jobs))`, `pool.map(f, [lhs, rhs])`) whose work is more than one
//! pass over the chunk (the task loops, calls further project functions, or multiplies
//! matrices): each element crosses once, in one of a handful of tasks, and the copy is a small
//! share next to that work. A task that reads its chunk once (`chunk.mean()`, a library routine
//! such as `np.linalg.norm` mapped directly) spends as long on the copy as on the work, and it
//! is reported. A task
//! wrapped in a closure, such as mne's `parallel_func(func, n_jobs)` returning
//! `delayed(run_verbose)`, is judged by the function the launching code passed in.
//!
//! Tasks known to receive at most 10,000 elements each (`p.map(f, v)` over the rows of a
//! `(1000, 1000)` array) are reported with other advice: a task that small does microseconds
//! of numpy work, less than any pool (processes or threads) spends dispatching it, so the fix
//! is to call the function on the whole array, or to hand the pool a few large chunks. That
//! finding quotes no figure: the kernel measures processes against threads, not batching.
//!
//! ## Why is this bad?
//! Every array sent to a process is pickled, copied through a pipe and unpickled on the other
//! side, and results come back the same way. For numpy work that releases the GIL, threads run
//! in parallel without any copy, so a pool whose tasks receive large arrays and do numpy work
//! on them runs more tasks per second with a `ThreadPoolExecutor` than with processes.
//! Processes pay off only for GIL-bound Python work.
//!
//! ## Example
//! ```python
//! with ProcessPoolExecutor() as ex:
//!     totals = list(ex.map(np.linalg.norm, np.array_split(data, 8)))
//! ```
//!
//! Use instead:
//! ```python
//! with ThreadPoolExecutor() as ex:
//!     totals = list(ex.map(np.linalg.norm, np.array_split(data, 8)))
//! ```

use super::helpers::carries_arrays;
use super::{FixAvailability, RuleMeta, RuleScope};
use crate::analysis::callgraph::TaskGraph;
use crate::findings::diagnostic::Diagnostic;
use crate::project::index::ProjectIndex;

pub static META: RuleMeta = RuleMeta {
    code: "NG301",
    name: "process-pool-array-transfer",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::Launchers,
    source: include_str!("process_pool_array_transfer.rs"),
};

/// `tasks`: how the tasks the site runs are named in reports (closures resolved), at most a few.
pub fn message(launcher: &str, tasks: &[String]) -> String {
    const SHOWN: usize = 3;
    let names = tasks.iter().take(SHOWN).map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ");
    let more = if tasks.len() > SHOWN { format!(" and {} more", tasks.len() - SHOWN) } else { String::new() };
    match tasks.len() {
        0 => format!("`{launcher}` pickles numpy arrays to send them to worker processes"),
        1 => format!(
            "`{launcher}` pickles numpy arrays to send them to worker processes, for a task ({names}) whose numpy work threads could run without copies"
        ),
        _ => format!(
            "`{launcher}` pickles numpy arrays to send them to worker processes, for tasks ({names}{more}) whose numpy work threads could run without copies"
        ),
    }
}

/// Elements per task at or below which a task's numpy work takes microseconds: less than any
/// pool's dispatch of it, processes or threads.
pub const SMALL_TASK: u64 = 10_000;

/// The words that mark a small-tasks finding: its advice is to batch, which the kernel (processes
/// against threads) does not measure, so it quotes no figure.
const SMALL_TASKS: &str = "the task's numpy work is smaller than what dispatching it costs";

/// The message for tasks known to receive at most [`SMALL_TASK`] elements each.
pub fn small_tasks_message(launcher: &str, elements: u64) -> String {
    format!(
        "`{launcher}` pickles numpy arrays of at most {} to each worker process: {SMALL_TASKS}",
        crate::kernels::profile::element_count(elements)
    )
}

/// Whether a finding of this rule may quote the measured figure (not a small-tasks one).
pub fn quotes_evidence(message: &str) -> bool {
    !message.contains(SMALL_TASKS)
}

pub fn small_tasks_fix_title() -> String {
    "apply the function to the whole array in one call, or hand the pool a few large chunks (`np.array_split(data, n_workers)`)".into()
}

pub fn fix_title() -> String {
    "use a `ThreadPoolExecutor` for numpy work that releases the GIL, or share memory (`multiprocessing.shared_memory`)"
        .into()
}

/// What one process site's tasks do, as the engine finds by walking them with the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskWork {
    /// The functions the site's tasks run, as reports name them (a closure's entry is the
    /// function the launching code passed in).
    pub tasks: Vec<String>,
    /// A per-element rule fires in a task or in a function it calls: processes are right.
    pub holds_gil: bool,
    /// A task writes into an array it is given: threads would share it and race.
    pub writes_inputs: bool,
    /// The tasks are project functions that do more than one pass over their input: they
    /// loop, call further project functions, or multiply matrices (a library routine mapped
    /// directly, such as `np.linalg.norm`, is not).
    pub heavy: bool,
}

/// Process launcher sites that hand arrays to their tasks, except those whose tasks hold the
/// GIL or write into their inputs (`work`, by site index).
pub fn check(index: &ProjectIndex, graph: &TaskGraph, work: &[TaskWork]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, site) in graph.sites.iter().enumerate().filter(|(_, s)| !s.threads) {
        if !site.data.iter().any(carries_arrays) {
            continue;
        }
        if work.get(i).is_some_and(|w| w.holds_gil || w.writes_inputs) {
            continue;
        }
        // A few coarse chunks of the project's own work: each element is copied once, a small
        // share next to what the task does with its chunk.
        if site.few_chunks && work.get(i).is_some_and(|w| w.heavy) {
            continue;
        }
        let source = &index.modules[site.file as usize].source;
        let tasks = work.get(i).map(|w| w.tasks.as_slice()).unwrap_or_default();
        let (message, help) = match site.task_elements {
            Some(n) if n <= SMALL_TASK && !site.few_chunks => {
                (small_tasks_message(&site.launcher, n), small_tasks_fix_title())
            }
            _ => (message(&site.launcher, tasks), fix_title()),
        };
        let mut d = Diagnostic::at(&META, source, site.file, site.range, message, Some(help));
        d.size = site.task_elements;
        out.push(d);
    }
    out
}
