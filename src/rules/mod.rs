//! The rule registry: one plain list of rules, each in its own file with the same shape (doc
//! comment, metadata, `message()`, `fix_title()`, check function), plus the shared [`Checker`]
//! a rule reports through.

pub mod array_to_python_conversion;
pub mod blas_oversubscription;
pub mod builtin_reduction_over_array;
pub mod chained_small_ops;
pub mod gil_holding_numpy_call;
pub mod helpers;
pub mod invalid_syntax;
pub mod io_error;
pub mod legacy_global_random;
pub mod numba_jit_holds_gil;
pub mod numexpr_threads_in_pool;
pub mod object_dtype_array;
pub mod process_pool_array_transfer;
pub mod python_callback_ufunc;
pub mod python_loop_over_array;
pub mod unfused_dot_product;
pub mod unfused_norm;
pub mod unused_suppression;

use crate::analysis::infer::Evaluator;
use crate::analysis::project_facts::ProjectFacts;
use crate::analysis::value::Value;
use crate::analysis::walk::WalkState;
use crate::files::source::SourceFile;
use crate::findings::diagnostic::{Diagnostic, TaskContext};
use crate::findings::fix::Fix;
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

pub use crate::findings::rule_meta::{FixAvailability, RuleMeta, RuleScope};

/// What a rule may ask of the run's configuration: which rules are on for which files, and
/// the scope. The configuration implements it; rules never see the configuration itself, so
/// the configuration can read the rule catalogue without a cycle.
pub trait Selection {
    /// Whether the rule `code` is selected.
    fn enabled(&self, code: &str) -> bool;
    /// Whether `code` is ignored for `path` by `per-file-ignores`.
    fn ignored_in(&self, path: &std::path::Path, code: &str) -> bool;
    /// Whether thread-task rules look only at code that runs in a thread task (the default).
    fn tasks_only(&self) -> bool;
    /// The configured exclude patterns.
    fn exclude(&self) -> &[String];
}

pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;
    /// Identifiers at least one of which a unit must contain for the rule to fire there (a
    /// pre-filter); empty means every unit is checked.
    fn triggers(&self) -> &'static [&'static str] {
        &[]
    }
    fn check_expr<'a>(&self, _checker: &mut Checker<'_, 'a, '_, '_>, _expr: &'a Expr) {}
    fn check_stmt<'a>(&self, _checker: &mut Checker<'_, 'a, '_, '_>, _stmt: &'a Stmt) {}
}

/// Rules that check code.
pub static RULES: &[&dyn Rule] = &[
    &builtin_reduction_over_array::BuiltinReductionOverArray,
    &python_loop_over_array::PythonLoopOverArray,
    &array_to_python_conversion::ArrayToPythonConversion,
    &python_callback_ufunc::PythonCallbackUfunc,
    &object_dtype_array::ObjectDtypeArray,
    &legacy_global_random::LegacyGlobalRandom,
    &gil_holding_numpy_call::GilHoldingNumpyCall,
    &unfused_dot_product::UnfusedDotProduct,
    &unfused_norm::UnfusedNorm,
    &chained_small_ops::ChainedSmallOps,
    &numexpr_threads_in_pool::NumexprThreadsInPool,
    &blas_oversubscription::BlasOversubscription,
];

/// The union of every rule's trigger words (for the one pre-scan of each file).
pub fn trigger_words() -> &'static [&'static str] {
    static WORDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let mut w: Vec<&'static str> = RULES.iter().flat_map(|r| r.triggers().iter().copied()).collect();
        w.sort_unstable();
        w.dedup();
        w
    })
}

/// Every code numgil can report, checked rules and engine diagnostics alike.
pub fn all_metas() -> Vec<&'static RuleMeta> {
    let mut v: Vec<&'static RuleMeta> = vec![
        &invalid_syntax::META,
        &io_error::META,
        &unused_suppression::META,
        &process_pool_array_transfer::META,
        &numba_jit_holds_gil::META,
    ];
    v.extend(RULES.iter().map(|r| r.meta()));
    v.sort_by_key(|m| m.code);
    v
}

pub fn meta_for(code: &str) -> Option<&'static RuleMeta> {
    all_metas().into_iter().find(|m| m.code.eq_ignore_ascii_case(code) || m.name == code)
}

/// Whether replaced source text contains a comment (lexed, so `#` in strings does not count).
pub fn replaces_comment(text: &str) -> bool {
    if !text.contains('#') {
        return false;
    }
    match ruff_python_parser::parse_expression(text) {
        Ok(parsed) => parsed.tokens().iter().any(|t| t.kind() == ruff_python_ast::token::TokenKind::Comment),
        // Not a standalone expression: be conservative.
        Err(_) => true,
    }
}

/// What a rule sees at a node: facts, source text, where to report.
pub struct Checker<'x, 'a, 'p, 'c> {
    pub ev: &'x mut Evaluator<'a, 'p, 'c>,
    pub state: &'x WalkState<'a>,
    pub facts: &'x ProjectFacts,
    /// The launcher site whose task reaches this code, if it runs in a thread task.
    pub site: Option<usize>,
    pub source: &'a SourceFile,
    pub file: u32,
    pub task: Option<&'x TaskContext>,
    pub out: &'x mut Vec<Diagnostic>,
    /// Values already computed at this node, by expression address: every rule asks for the
    /// callee of the same call, and the frame does not change while the rules run on a node.
    pub memo: &'x mut Vec<(*const Expr, Value)>,
}

impl<'a> Checker<'_, 'a, '_, '_> {
    pub fn value(&mut self, e: &'a Expr) -> Value {
        let key: *const Expr = e;
        if let Some((_, v)) = self.memo.iter().find(|(k, _)| *k == key) {
            return v.clone();
        }
        let v = self.ev.eval(e);
        self.memo.push((key, v.clone()));
        v
    }

    /// The source text of a node.
    pub fn text(&self, node: &impl Ranged) -> &str {
        &self.source.text[node.range()]
    }

    /// Whether a loop enclosing this node was already reported by one of `codes` (a per-element
    /// loop, a chain of tiny calls per pass): what runs inside it is part of that one finding.
    pub fn inside_reported_loop(&self, codes: &[&str]) -> bool {
        let loops = &self.state.loops;
        self.out.iter().any(|d| codes.contains(&d.code) && loops.iter().any(|l| l.start == d.range.start()))
    }

    pub fn report(
        &mut self,
        meta: &'static RuleMeta,
        range: TextRange,
        message: String,
        help: Option<String>,
        fix: Option<Fix>,
    ) -> &mut Diagnostic {
        // A fix never deletes a comment: drop it when an edit replaces text holding one.
        let fix = fix.filter(|f| f.edits.iter().all(|e| !replaces_comment(&self.source.text[e.range])));
        let mut d = Diagnostic::at(meta, self.source, self.file, range, message, help);
        d.fix = fix;
        d.task = self.task.cloned();
        self.out.push(d);
        let last = self.out.len() - 1;
        &mut self.out[last]
    }
}

/// Whether a finding may quote its rule's measured figure: not when the figure measures a
/// different cost from the one the finding reports (NG104's per-slice `np.apply_along_axis`).
pub fn quotes_evidence(d: &Diagnostic) -> bool {
    (d.code != python_callback_ufunc::META.code || python_callback_ufunc::quotes_evidence(&d.message))
        && (d.code != process_pool_array_transfer::META.code
            || process_pool_array_transfer::quotes_evidence(&d.message))
}
