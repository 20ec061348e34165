//! Rule documentation, generated from each rule file's `//!` comment: the text `numgil rule`
//! prints and the committed `rules/<CODE>.md` files (a test fails when they are stale).

use crate::rules::{FixAvailability, RuleMeta, RuleScope};
use serde::Serialize;

/// Sections every rule's documentation must have.
pub const REQUIRED_SECTIONS: &[&str] = &["## What it does", "## Why is this bad?", "## Example", "Use instead:"];

/// The markdown page of a rule.
pub fn markdown(meta: &RuleMeta) -> String {
    let fix = match meta.fix {
        FixAvailability::None => "no fix",
        FixAvailability::Sometimes => "fix sometimes available",
        FixAvailability::Always => "fix always available",
    };
    let scope = match meta.scope {
        RuleScope::ThreadTasks => "code that runs in thread tasks (all code with `--scope everywhere`)",
        RuleScope::Launchers => "launcher sites",
        RuleScope::Engine => "every file",
    };
    let opt_in = if meta.opt_in { "; opt-in" } else { "" };
    format!(
        "# {} {}\n\n<!-- generated from src/rules/*.rs by `NUMGIL_UPDATE_DOCS=1 cargo test --test docs`; do not edit -->\n\n*Checks {scope}; {fix}{opt_in}.*\n\n{}",
        meta.code,
        meta.name,
        meta.doc()
    )
}

/// What a rule's documentation lacks.
pub fn missing_sections(meta: &RuleMeta) -> Vec<&'static str> {
    let doc = meta.doc();
    let mut missing: Vec<&'static str> = REQUIRED_SECTIONS.iter().copied().filter(|s| !doc.contains(s)).collect();
    if meta.fix != FixAvailability::None && !doc.contains("## Fix safety") {
        missing.push("## Fix safety");
    }
    missing
}

#[derive(Serialize)]
pub struct RuleJson {
    pub code: &'static str,
    pub name: &'static str,
    pub fix: FixAvailability,
    pub scope: RuleScope,
    pub opt_in: bool,
    pub explanation: String,
}

pub fn json(meta: &RuleMeta) -> RuleJson {
    RuleJson {
        code: meta.code,
        name: meta.name,
        fix: meta.fix,
        scope: meta.scope,
        opt_in: meta.opt_in,
        explanation: meta.doc(),
    }
}
