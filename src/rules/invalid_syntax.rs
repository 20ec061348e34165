//! ## What it does
//! Reports a part of a file that cannot be parsed as Python, and syntax that the project's
//! target Python version (`requires-python`) does not support.
//!
//! ## Why is this bad?
//! Code that does not parse cannot run. numgil recovers from the error and still analyses the
//! rest of the file and of the project, so findings elsewhere are not lost; but the broken part
//! itself is not analysed.
//!
//! ## Example
//! ```python
//! def task(chunk):
//!     return np.sum(chunk
//! ```
//!
//! Use instead:
//! ```python
//! def task(chunk):
//!     return np.sum(chunk)
//! ```

use super::{FixAvailability, RuleMeta, RuleScope};

pub static META: RuleMeta = RuleMeta {
    code: "NG001",
    name: "invalid-syntax",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::Engine,
    source: include_str!("invalid_syntax.rs"),
};
