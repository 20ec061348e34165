//! ## What it does
//! Reports a file or directory that cannot be read: permission denied, a file that is not
//! valid UTF-8 (with the position of the first invalid byte), or a directory loop through
//! symbolic links.
//!
//! ## Why is this bad?
//! numgil cannot analyse what it cannot read, and a task launched from such a file is
//! invisible to it. The run continues with the other files and exits with status 2.
//!
//! ## Example
//! A module saved as Latin-1:
//! ```python
//! # café
//! ```
//!
//! Use instead: save source files as UTF-8 (the Python 3 default).

use super::{FixAvailability, RuleMeta, RuleScope};

pub static META: RuleMeta = RuleMeta {
    code: "NG002",
    name: "io-error",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::Engine,
    source: include_str!("io_error.rs"),
};
