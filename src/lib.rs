//! numgil: finds the Python functions that run as thread-pool tasks and flags numpy code in them
//! that keeps the GIL. The library entry points are shared by the CLI, the language server and
//! the tests.
//!
//! `src/` is laid out by pipeline stage; a stage imports only the stages above it in this list
//! (`tests/layout.rs` checks it):
//!
//! 1. [`files`]: finding, reading and writing the user's files (paths, sources, notebooks).
//! 2. [`project`]: parsing and binding each module, and the project-wide index over them.
//! 3. [`analysis`]: the value lattice, library models, whole-program value flow, tasks and the
//!    flow-sensitive walker. It knows no rule.
//! 4. [`kernels`]: the bundled benchmark kernels and the measured evidence they produce.
//! 5. [`findings`]: what a rule reports — diagnostics, fixes, suppression comments, rule metadata.
//! 6. [`rules`]: one file per rule and the plain registry over them.
//! 7. [`config`]: settings from `pyproject.toml`/`numgil.toml` and the command line.
//! 8. [`render`]: output formats, rule pages and the task report.
//! 9. [`engine`]: a whole check, `--fix`, `tasks` and `callgraph` over the stages above.
//! 10. [`server`] and [`cli`]: the language server and the command line.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod engine;
pub mod files;
pub mod findings;
pub mod kernels;
pub mod project;
pub mod render;
pub mod rules;
pub mod server;

pub use engine::{
    FixOutcome, attach_evidence, call_graph, check_grouped, check_project, check_with_triggers, fix_project,
    fix_project_with, leave_last_analysis_unfreed, problems, scan_triggers, task_report, task_report_for,
};
