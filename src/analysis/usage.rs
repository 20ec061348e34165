//! Usage facts: what a function's body does with a parameter nobody annotated and no call site
//! in the project fills. Scientific code rarely annotates, and its callers are often outside
//! the project (a library's public function), so the body is the only witness: a parameter
//! whose `.shape` or `.dtype` is read, that is reshaped or `astype`d, or that is handed to a
//! numpy function needing an array (`np.unique(masks)`, `scipy.signal.resample_poly(x, ...)`)
//! is an array. Its rank stays unknown.
//!
//! Only uses before the parameter is first rebound count (`x = np.asarray(x)` makes later
//! `.shape` reads say nothing of what the caller passed), and a parameter the body tests with
//! `isinstance`, `hasattr`, `type` or a predicate named like one (`issparse(A)`,
//! `is_list_like(x)`) is taken at its word: it may be several things, and the array uses may
//! sit in the array branch only. Ufuncs (`np.exp(t)`) and converters
//! (`np.asarray(x)`) accept Python scalars and lists, so they are not witnesses.

use crate::project::scope::{BindingKind, FunctionInfo, ModuleScopes, ScopeId};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextSize};

/// Attributes only arrays (and array-likes: tensors, frames) have.
const ARRAY_ATTRIBUTES: &[&str] = &["T", "ndim", "dtype", "shape", "strides", "nbytes", "itemsize", "flat"];

/// Methods only arrays (and array-likes) have.
const ARRAY_METHODS: &[&str] = &[
    "reshape", "astype", "ravel", "flatten", "squeeze", "tobytes", "tolist", "nonzero", "argmax", "argmin", "argsort",
    "cumsum", "cumprod", "swapaxes", "byteswap", "tofile",
];

/// numpy functions whose first argument is an array to work on (not a scalar a ufunc would
/// take, nor a list a converter would take), by name after `numpy.`.
const NUMPY_ARRAY_FUNCTIONS: &[&str] = &[
    "unique",
    "sort",
    "argsort",
    "nonzero",
    "argwhere",
    "flatnonzero",
    "count_nonzero",
    "reshape",
    "ravel",
    "transpose",
    "squeeze",
    "expand_dims",
    "moveaxis",
    "swapaxes",
    "sum",
    "mean",
    "median",
    "std",
    "var",
    "amin",
    "amax",
    "nanmin",
    "nanmax",
    "nansum",
    "nanmean",
    "nanmedian",
    "nanstd",
    "cumsum",
    "cumprod",
    "diff",
    "gradient",
    "histogram",
    "histogram2d",
    "histogramdd",
    "bincount",
    "percentile",
    "quantile",
    "nanpercentile",
    "pad",
    "roll",
    "flip",
    "fliplr",
    "flipud",
    "rot90",
    "take",
    "take_along_axis",
    "searchsorted",
    "argmax",
    "argmin",
    "ptp",
    "trapz",
    "trapezoid",
    "cov",
    "corrcoef",
    "convolve",
    "correlate",
    "array_split",
    "split",
    "fft.fft",
    "fft.ifft",
    "fft.rfft",
    "fft.irfft",
    "fft.fft2",
    "fft.ifft2",
    "fft.fftn",
    "fft.ifftn",
    "fft.rfftn",
    "fft.irfftn",
    "linalg.norm",
    "linalg.svd",
    "linalg.eig",
    "linalg.eigh",
    "linalg.eigvals",
    "linalg.eigvalsh",
    "linalg.inv",
    "linalg.pinv",
    "linalg.det",
    "linalg.slogdet",
    "linalg.qr",
    "linalg.cholesky",
    "linalg.lstsq",
    "linalg.solve",
    "linalg.matrix_rank",
    "dot",
    "matmul",
    "vdot",
    "inner",
    "outer",
    "tensordot",
    "kron",
];

/// scipy subpackages whose functions all take an array first.
const SCIPY_ARRAY_MODULES: &[&str] =
    &["scipy.signal.", "scipy.ndimage.", "scipy.fft.", "scipy.fftpack.", "scipy.linalg."];

/// Whether a qualified callee needs an array as its first argument.
pub fn needs_array_first(q: &str) -> bool {
    if let Some(rest) = q.strip_prefix("numpy.") {
        return NUMPY_ARRAY_FUNCTIONS.contains(&rest);
    }
    SCIPY_ARRAY_MODULES.iter().any(|m| q.starts_with(m) && !q[m.len()..].contains('.'))
}

/// A call that tests what its argument is: `issparse(A)`, `pd.api.types.is_list_like(x)`,
/// `self._is_array(x)`. numpy's element tests (`np.isfinite`, `np.isnan`, `np.isin`) are
/// array operations, not type tests; its `isscalar`/`iscomplexobj`/`isrealobj` are.
fn is_type_predicate(qualified: Option<&str>, callee: &Expr) -> bool {
    let name = match callee {
        Expr::Name(n) => n.id.as_str(),
        Expr::Attribute(a) => a.attr.as_str(),
        _ => return false,
    };
    let name = name.trim_start_matches('_');
    if !name.starts_with("is") {
        return false;
    }
    match qualified.and_then(|q| q.strip_prefix("numpy.")) {
        Some(rest) => matches!(rest, "isscalar" | "iscomplexobj" | "isrealobj" | "isfortran"),
        None => true,
    }
}

/// For each parameter of `func` (in [`FunctionInfo::params`] order), whether the body uses it
/// as an array before rebinding it.
pub fn array_parameters<'a>(scopes: &ModuleScopes<'a>, func: &FunctionInfo<'a>) -> Vec<bool> {
    let params = func.params();
    let mut out = vec![false; params.len()];
    let Some(body) = (match func.node {
        crate::project::scope::FuncNode::Def(d) => Some(&d.body),
        crate::project::scope::FuncNode::Lambda(_) => None,
    }) else {
        return out;
    };
    let scope = &scopes.scopes[func.scope as usize];
    let watched: Vec<(&str, TextSize)> = params
        .iter()
        .map(|p| {
            let name = p.name.as_str();
            // Uses count up to the first binding that is not the parameter itself.
            let until = scope
                .bindings
                .get(name)
                .and_then(|ids| {
                    ids.iter()
                        .map(|&i| &scopes.bindings[i as usize])
                        .find(|b| !matches!(b.kind, BindingKind::Parameter { .. }))
                        .map(|b| b.range.start())
                })
                .unwrap_or(TextSize::from(u32::MAX));
            (name, until)
        })
        .collect();
    if watched.is_empty() {
        return out;
    }
    let mut tested = vec![false; params.len()];
    let mut finder = UseFinder { scopes, scope: func.scope, watched: &watched, found: &mut out, tested: &mut tested };
    for stmt in body {
        finder.visit_stmt(stmt);
    }
    for (found, tested) in out.iter_mut().zip(tested) {
        *found &= !tested;
    }
    out
}

/// Whether a loop or comprehension target `name`, whose element value nothing else tells, is
/// used as an array in `exprs` (a comprehension's element and conditions) or `body` (a `for`
/// loop's statements): `p_fun(e, e.T) for e in epochs`.
pub fn target_used_as_array<'a>(
    scopes: &ModuleScopes<'a>,
    scope: ScopeId,
    name: &str,
    exprs: &[&Expr],
    body: &[ast::Stmt],
) -> bool {
    let watched = [(name, TextSize::from(u32::MAX))];
    let mut found = vec![false];
    let mut tested = vec![false];
    let mut finder = UseFinder { scopes, scope, watched: &watched, found: &mut found, tested: &mut tested };
    for e in exprs {
        finder.visit_expr(e);
    }
    for stmt in body {
        finder.visit_stmt(stmt);
    }
    found[0] && !tested[0]
}

struct UseFinder<'s, 'a, 'w> {
    scopes: &'s ModuleScopes<'a>,
    scope: ScopeId,
    watched: &'w [(&'w str, TextSize)],
    found: &'w mut Vec<bool>,
    /// Parameters whose type the body tests (`isinstance(p, ...)`).
    tested: &'w mut Vec<bool>,
}

impl UseFinder<'_, '_, '_> {
    /// Mark `e` if it is a watched parameter read before its first rebinding.
    fn mark(&mut self, e: &Expr) {
        if let Some(i) = self.watched_index(e) {
            self.found[i] = true;
        }
    }

    fn watched_index(&self, e: &Expr) -> Option<usize> {
        let Expr::Name(n) = e else { return None };
        self.watched.iter().position(|(name, until)| *name == n.id.as_str() && n.start() < *until)
    }
}

impl<'x> Visitor<'x> for UseFinder<'_, '_, '_> {
    fn visit_expr(&mut self, e: &'x Expr) {
        match e {
            Expr::Attribute(a) if ARRAY_ATTRIBUTES.contains(&a.attr.as_str()) => self.mark(&a.value),
            Expr::Call(call) => {
                if let Expr::Attribute(a) = &*call.func
                    && ARRAY_METHODS.contains(&a.attr.as_str())
                {
                    self.mark(&a.value);
                }
                // Resolving the callee costs a lookup per call: only for a watched first argument.
                if let Some(first) = call.arguments.args.first().filter(|f| self.watched_index(f).is_some()) {
                    match self.scopes.import_qualified_name(self.scope, &call.func).as_deref() {
                        Some("builtins.isinstance" | "builtins.hasattr" | "builtins.type") => {
                            if let Some(i) = self.watched_index(first) {
                                self.tested[i] = true;
                            }
                        }
                        Some(q) if needs_array_first(q) => self.mark(first),
                        q if is_type_predicate(q, &call.func) => {
                            if let Some(i) = self.watched_index(first) {
                                self.tested[i] = true;
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, e);
    }

    fn visit_stmt(&mut self, s: &'x ast::Stmt) {
        // A nested def or class has its own parameters and names.
        if matches!(s, ast::Stmt::FunctionDef(_) | ast::Stmt::ClassDef(_)) {
            return;
        }
        visitor::walk_stmt(self, s);
    }
}

#[cfg(test)]
mod tests {
    use super::needs_array_first;

    #[test]
    fn ufuncs_and_converters_are_not_witnesses() {
        assert!(needs_array_first("numpy.unique"));
        assert!(needs_array_first("numpy.linalg.norm"));
        assert!(needs_array_first("scipy.signal.resample_poly"));
        assert!(!needs_array_first("numpy.exp"));
        assert!(!needs_array_first("numpy.asarray"));
        assert!(!needs_array_first("scipy.signal.windows.hann"));
    }
}
