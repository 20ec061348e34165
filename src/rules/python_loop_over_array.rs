//! ## What it does
//! Flags a Python `for` loop over the elements of a 1-D numpy array (`for x in a`,
//! `enumerate(a)`, `zip(a, b)`, `a.flat`), and `for i in range(len(a))` loops that do scalar
//! arithmetic on `a[i]`, in code that runs in a thread task.
//!
//! ## Why is this bad?
//! Each iteration boxes an element into a numpy scalar and runs the body as Python bytecode,
//! holding the GIL the whole time, so the thread pool runs one task at a time. The same
//! computation as one array expression runs in C with the GIL released.
//!
//! The kernel (Measured below) times `s += a[i] * b[i]` against `np.dot(a, b)` inside
//! `ThreadPoolExecutor` workers: the loop does not scale with threads and the array
//! expression is orders of magnitude faster.
//!
//! Also flags nested `range` loops that index an image-like array with both loop variables
//! (`for y in range(h): for x in range(w): out[y, x] = img[y, x] * k`, or `img[y][x]`): a
//! per-pixel Python loop. A nested loop whose body calls a project function per cell (a grid
//! of heavy work) is not flagged, nor a nest whose outer loop sleeps on every pass
//! (`time.sleep(dt)` in an animation thread that copies one column of pixels per frame): the
//! clock paces it, and one column between two sleeps holds the GIL too briefly to matter. Nor a
//! nest whose cells do work on Python objects: collecting async results (`results[i][j] =
//! jobs[i][j].get()`), copying objects (`copy.deepcopy(branches[k, i])`), membership tests
//! on strings (`labels[0][:i] in labels[j]`).
//!
//! The same scalar work in a `while` counter loop (`while i < n: ... a[i] ... i += 1`) is
//! flagged, and so is a nested walk over an image's rows and then their pixels (`for row in
//! img: for px in row: if px[0] > 128: ...`, `img` a known array of two or more axes) whose
//! inner body does comparisons or arithmetic on the pixel and calls no numpy or project
//! function. A loop nested in a reported loop is part of that one finding.
//!
//! Loops over the rows of a 2-D array, over lists, over `a.shape` or over arrays of unknown
//! rank are not flagged, nor loops whose elements are labels or indices rather than numbers:
//! an element used only to index other containers (`bounds[ei + 1]` computes a position),
//! handed with what it selects to a project function (`resize(imgs[b])`), or passed to calls
//! other than `float`/`int`/`round`/`abs`/`math.*`, is per-item work.
//!
//! ## Example
//! ```python
//! def task(a, b):
//!     s = 0.0
//!     for i in range(len(a)):
//!         s += a[i] * b[i]
//!     return s
//! ```
//!
//! Use instead:
//! ```python
//! def task(a, b):
//!     return np.dot(a, b)
//! ```

use super::helpers::callee_name;
use super::{Checker, FixAvailability, Rule, RuleMeta, RuleScope};
use crate::analysis::names::{mentions, target_names};
use crate::analysis::value::Value;
use ruff_python_ast::{self as ast, Expr, Operator, Stmt};
use ruff_text_size::{Ranged, TextRange};

pub static META: RuleMeta = RuleMeta {
    code: "NG102",
    name: "python-loop-over-array",
    fix: FixAvailability::None,
    opt_in: false,
    scope: RuleScope::ThreadTasks,
    source: include_str!("python_loop_over_array.rs"),
};

pub struct PythonLoopOverArray;

pub fn message(indexed: bool) -> String {
    if indexed {
        "Python loop indexes a numpy array element by element, holding the GIL".into()
    } else {
        "Python loop over the elements of a numpy array holds the GIL for every element".into()
    }
}

/// The vectorised form, when the body is one recognisable accumulation.
pub fn fix_title(vectorised: Option<String>) -> String {
    match vectorised {
        Some(v) => format!("replace the loop with `{v}`, which runs in C with the GIL released"),
        None => "express the body as whole-array operations (ufuncs, `np.dot`, `np.sum`, `np.cumsum`)".into(),
    }
}

impl Rule for PythonLoopOverArray {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn triggers(&self) -> &'static [&'static str] {
        &[]
    }

    fn check_stmt<'a>(&self, checker: &mut Checker<'_, 'a, '_, '_>, stmt: &'a Stmt) {
        // A loop inside a loop already reported is part of that finding.
        if checker.inside_reported_loop(&[META.code]) {
            return;
        }
        if let Stmt::While(w) = stmt {
            if counter_loop(checker, w) {
                let header = TextRange::new(w.range.start(), w.test.end());
                checker.report(&META, header, message(true), Some(fix_title(None)), None);
            }
            return;
        }
        let Stmt::For(f) = stmt else { return };
        let header = TextRange::new(f.range.start(), f.iter.end());
        // A loop nest over every axis of an image visits all of it, whatever its size.
        if nested_element_loop(checker, f) {
            checker.report(&META, header, message(false), Some(fix_title(None)), None).whole_array = true;
            return;
        }
        if let Some(arrays) = element_loop(checker, &f.iter) {
            if whole_array_work_per_element(checker, f) || !element_used_as_scalar(f) {
                return;
            }
            let v = element_accumulation(checker, f, &arrays);
            let size = arrays.iter().find_map(|e| match checker.value(e) {
                Value::Array(a) => a.size,
                _ => None,
            });
            checker.report(&META, header, message(false), Some(fix_title(v)), None).size = size;
            return;
        }
        if let Some(whole_array) = pixel_loop(checker, f) {
            checker.report(&META, header, message(true), Some(fix_title(None)), None).whole_array = whole_array;
            return;
        }
        let Some(index) = indexed_loop(checker, f) else { return };
        let v = indexed_accumulation(checker, f, index);
        checker.report(&META, header, message(true), Some(fix_title(v)), None);
    }
}

fn is_1d<'a>(checker: &mut Checker<'_, 'a, '_, '_>, e: &'a Expr) -> bool {
    matches!(checker.value(e), Value::Array(a) if a.ndim == Some(1))
}

/// The 1-D arrays whose elements the loop iterates (`a`, `enumerate(a)`, `zip(a, b)`, `a.flat`).
fn element_loop<'a>(checker: &mut Checker<'_, 'a, '_, '_>, iter: &'a Expr) -> Option<Vec<&'a Expr>> {
    match iter {
        Expr::Attribute(a) if a.attr.as_str() == "flat" && checker.value(&a.value).is_array() => Some(vec![&*a.value]),
        Expr::Call(call) => {
            let args: Vec<&'a Expr> = match callee_name(checker, call).as_deref() {
                Some("builtins.enumerate") => call.arguments.args.first().into_iter().collect(),
                Some("builtins.zip") => call.arguments.args.iter().collect(),
                _ => return is_1d(checker, iter).then(|| vec![iter]),
            };
            let arrays: Vec<&'a Expr> = args.into_iter().filter(|a| is_1d(checker, a)).collect();
            (!arrays.is_empty()).then_some(arrays)
        }
        e => is_1d(checker, e).then(|| vec![e]),
    }
}

/// Whether each iteration over the elements is whole-array work, not scalar work: the body
/// hands each element to a project function (napari's `block = self._load_chunk(data, ci)`
/// then `np.histogram(block)`), or compares or combines it with a whole array (cellpose's
/// `for n in np.unique(masks)[1:]: mn = masks == n`: `masks` is an array, known or because
/// the iterated values were computed from it). Such a loop runs once per label or chunk, and
/// each pass releases the GIL for a whole-array operation.
fn whole_array_work_per_element<'a>(checker: &mut Checker<'_, 'a, '_, '_>, f: &'a ast::StmtFor) -> bool {
    let mut vars: Vec<&str> = Vec::new();
    target_names(&f.target, &mut vars);
    // Names the iterated values come from: `masks` in `np.unique(masks)[1:]`.
    let mut sources: Vec<&str> = Vec::new();
    let mut iter = &*f.iter;
    while let Expr::Subscript(s) = iter {
        iter = &s.value;
    }
    if let Expr::Call(c) = iter {
        sources.extend(c.arguments.args.iter().filter_map(|a| a.as_name_expr()).map(|n| n.id.as_str()));
    }
    let uses_var = |e: &Expr| matches!(e, Expr::Name(n) if vars.contains(&n.id.as_str()));
    let mut heavy = false;
    super::helpers::for_each_expr(checker, &f.body, &mut |checker, e| {
        if heavy {
            return;
        }
        let pairs: Vec<(&'a Expr, &'a Expr)> = match e {
            Expr::Compare(c) if c.comparators.len() == 1 => vec![(&*c.left, &c.comparators[0])],
            Expr::BinOp(b) => vec![(&*b.left, &*b.right)],
            Expr::Call(c) => {
                // The element itself, or what it selects (`resize_image(imgs[b], ...)`: the
                // element is an index and the project function gets a whole image).
                let handed = |e: &Expr| {
                    uses_var(e) || matches!(e, Expr::Subscript(s) if vars.iter().any(|v| mentions_name(&s.slice, v)))
                };
                if calls_project_code(checker, c)
                    && c.arguments.args.iter().chain(c.arguments.keywords.iter().map(|k| &k.value)).any(handed)
                {
                    heavy = true;
                }
                Vec::new()
            }
            _ => Vec::new(),
        };
        for (a, b) in pairs {
            for (elem, other) in [(a, b), (b, a)] {
                if !uses_var(elem) {
                    continue;
                }
                let whole = match other {
                    Expr::Name(n) if sources.contains(&n.id.as_str()) => true,
                    o => matches!(checker.value(o), Value::Array(info) if info.ndim.is_none_or(|n| n >= 1)),
                };
                heavy |= whole;
            }
        }
    });
    heavy
}

/// Whether the loop's body uses an element as a number: an operand of arithmetic or a
/// comparison outside an index (`bounds[ei + 1]` computes a position, not with the value), or
/// an argument of `float`/`int`/`round`/`abs`/`complex` or a `math` function. A loop whose
/// elements only index other containers or are handed on (labels, buffer numbers: mne's
/// `for ei in np.where(use)[0]: ... bounds[ei] ...` reading one file block per pass) does its
/// work per item, not per element.
fn element_used_as_scalar(f: &ast::StmtFor) -> bool {
    let mut vars = Vec::new();
    match (&*f.target, &*f.iter) {
        // `for i, x in enumerate(a)`: `i` counts, `x` is the element.
        (Expr::Tuple(t), Expr::Call(c))
            if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "enumerate") && t.elts.len() == 2 =>
        {
            target_names(&t.elts[1], &mut vars)
        }
        (target, _) => target_names(target, &mut vars),
    }
    operand_in(&f.body, Operands::Values, &mut |e| matches!(e, Expr::Name(n) if vars.contains(&n.id.as_str())))
}

/// Whether a call may run project code: a project function, bound method, class or partial.
fn calls_project_code<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ast::ExprCall) -> bool {
    checker
        .value(&call.func)
        .alternatives()
        .iter()
        .any(|v| matches!(v, Value::Function(_) | Value::BoundMethod(..) | Value::Class(_) | Value::Partial(_)))
}

/// A call per cell that is work on Python objects, with no array rewrite: waiting for another
/// task's result (`futures[i][j].result()`, `async_result.get()`, `.wait()`) or copying an
/// object (`copy.deepcopy(branches[k, i])`).
fn per_item_object_work<'a>(checker: &mut Checker<'_, 'a, '_, '_>, call: &'a ast::ExprCall) -> bool {
    if let Expr::Attribute(a) = &*call.func {
        let no_args = call.arguments.args.is_empty();
        if matches!(a.attr.as_str(), "result" | "wait") || (a.attr.as_str() == "get" && no_args) {
            return true;
        }
    }
    matches!(callee_name(checker, call).as_deref(), Some("copy.deepcopy" | "copy.copy"))
}

/// `for y in range(...): for x in range(...): ... img[y, x] ...` (or `img[y][x]`, `img[x + dx, y]`):
/// nested `range` loops that index a numpy array with both loop variables, one element (or
/// one pixel) per iteration, and call no project function per element (a grid of heavy
/// per-cell work is not a per-element loop). `Some(true)` when the nest covers the whole array
/// (every pixel), `Some(false)` for a triangle (`for k ...: for j in range(k)`), whose extent
/// the array's size decides.
fn pixel_loop<'a>(checker: &mut Checker<'_, 'a, '_, '_>, f: &'a ast::StmtFor) -> Option<bool> {
    let Expr::Name(_) = &*f.target else { return None };
    if !is_range(checker, &f.iter) || paced(checker, &f.body) {
        return None;
    }
    for s in &f.body {
        let Stmt::For(inner) = s else { continue };
        let Expr::Name(var) = &*inner.target else { continue };
        if !is_range(checker, &inner.iter) {
            continue;
        }
        // A 3×3 kernel: too small to matter.
        let count = |e: &Expr| match e {
            Expr::Call(c) => literal_trip_count(&c.arguments.args),
            _ => None,
        };
        if let (Some(a), Some(b)) = (count(&f.iter), count(&inner.iter))
            && a.saturating_mul(b) <= SMALL_LOOP
        {
            continue;
        }
        // `for k in range(n): for j in range(k)`: a triangle of a matrix (a factorisation's
        // update, a covariance's lower half), not a pass over a whole image: still a Python
        // loop per element, but what it covers is the matrix's size, which the code must say.
        let triangle = matches!((&*f.target, &*inner.iter), (Expr::Name(outer), Expr::Call(c))
            if c.arguments.args.iter().any(|a| mentions(a, outer.id.as_str())));
        // The pixel loop is the innermost pair: `for i: for h: for w: img[w, h]` is `h`, `w`.
        if pixel_loop(checker, inner).is_some() {
            continue;
        }
        let mut subscripts = Vec::new();
        let mut calls_project = false;
        collect_body(checker, &inner.body, &mut subscripts, &mut calls_project);
        // Tiny numpy operations on each pixel are NG203's to report.
        if calls_project || super::helpers::small_ops_per_pass(checker, &inner.body) >= 2 {
            continue;
        }
        let ranks = least_ranks(&subscripts);
        if subscripts.into_iter().any(|e| indexes_element_with(checker, e, var.id.as_str(), &ranks)) {
            return Some(!triangle);
        }
    }
    None
}

/// Whether a loop body sleeps on every pass (`time.sleep(dt)`, Qt's `self.msleep(ms)`): an
/// animation or poller, whose outer loop is paced by the clock, so between two sleeps only the
/// inner loops' work (one row or column of pixels) holds the GIL.
fn paced<'a>(checker: &mut Checker<'_, 'a, '_, '_>, body: &'a [Stmt]) -> bool {
    body.iter().any(|s| {
        let Stmt::Expr(e) = s else { return false };
        let Expr::Call(c) = &*e.value else { return false };
        matches!(&*c.func, Expr::Attribute(a) if matches!(a.attr.as_str(), "msleep" | "usleep"))
            || callee_name(checker, c).as_deref() == Some("time.sleep")
    })
}

fn is_range<'a>(checker: &mut Checker<'_, 'a, '_, '_>, e: &'a Expr) -> bool {
    matches!(e, Expr::Call(c) if callee_name(checker, c).as_deref() == Some("builtins.range"))
}

/// The subscript expressions in a loop body (not in nested defs), and whether it calls a
/// project function.
fn collect_body<'a>(
    checker: &mut Checker<'_, 'a, '_, '_>,
    body: &'a [Stmt],
    out: &mut Vec<&'a Expr>,
    calls: &mut bool,
) {
    // `branches[i][j]._to_array()`: an element whose attributes are used is an object (a
    // Python object in an object array, or a list's item), not a number.
    let mut objects = Vec::new();
    super::helpers::for_each_expr(checker, body, &mut |checker, e| match e {
        Expr::Subscript(_) => out.push(e),
        Expr::Attribute(a) if matches!(&*a.value, Expr::Subscript(_)) => objects.push(a.value.range()),
        Expr::Call(c) if calls_project_code(checker, c) || per_item_object_work(checker, c) => *calls = true,
        // `label[:i] in labels[j]`: membership tests on strings or containers, not numbers.
        Expr::Compare(c) if c.ops.iter().any(|o| matches!(o, ast::CmpOp::In | ast::CmpOp::NotIn)) => *calls = true,
        _ => {}
    });
    out.retain(|e| !objects.contains(&e.range()));
}

/// The least rank each named array must have, from the subscripts the body writes on it:
/// `y[j, i, :, ::-1, :]` shows `y` has five axes, so `y[j, i]` there is a tile, not a pixel.
fn least_ranks<'a>(subscripts: &[&'a Expr]) -> Vec<(&'a str, usize)> {
    let mut out: Vec<(&'a str, usize)> = Vec::new();
    for e in subscripts {
        let Expr::Subscript(s) = e else { continue };
        let Expr::Name(base) = &*s.value else { continue };
        let n = match &*s.slice {
            Expr::Tuple(t) => t.elts.iter().filter(|e| !matches!(e, Expr::EllipsisLiteral(_))).count(),
            _ => 1,
        };
        match out.iter_mut().find(|(name, _)| *name == base.id.as_str()) {
            Some((_, r)) => *r = (*r).max(n),
            None => out.push((base.id.as_str(), n)),
        }
    }
    out
}

/// `a[y, x]`, `a[y][x]`, `a[x + 1, y]`, `a[w, i]` with `a` a numpy array of two or more axes:
/// one element (or one pixel: at most one axis, the channels, left), every index a scalar
/// (names, integers, arithmetic on them), the inner loop's variable among them (the other may
/// be the outer loop's, or any scalar: a loop that never uses its outer variable still visits
/// one element per pass). The array's rank is its known one, or the least one `ranks` shows.
fn indexes_element_with<'a>(
    checker: &mut Checker<'_, 'a, '_, '_>,
    e: &'a Expr,
    inner: &str,
    ranks: &[(&str, usize)],
) -> bool {
    let Expr::Subscript(s) = e else { return false };
    let (base, indices): (&'a Expr, Vec<&'a Expr>) = match (&*s.value, &*s.slice) {
        (Expr::Subscript(first), last) => (&first.value, vec![&first.slice, last]),
        (base, Expr::Tuple(t)) => (base, t.elts.iter().collect()),
        _ => return false,
    };
    if indices.len() < 2 || !indices.iter().all(|i| scalar_index(i)) || !indices.iter().any(|i| mentions_name(i, inner))
    {
        return false;
    }
    let picked = indices.len();
    let shown = match base {
        Expr::Name(n) => ranks.iter().find(|(name, _)| *name == n.id.as_str()).map_or(0, |&(_, r)| r),
        _ => 0,
    };
    let Value::Array(a) = checker.value(base) else { return false };
    let rank = a.ndim.map_or(shown.max(picked), usize::from).max(shown);
    rank >= picked && rank <= picked + 1
}

/// An index that picks one position: a name, an integer, or arithmetic on them.
fn scalar_index(e: &Expr) -> bool {
    match e {
        Expr::Name(_) | Expr::NumberLiteral(_) => true,
        Expr::BinOp(b) => scalar_index(&b.left) && scalar_index(&b.right),
        Expr::UnaryOp(u) => scalar_index(&u.operand),
        _ => false,
    }
}

/// Whether an index expression is the name, or simple arithmetic on it (`x + dx`, `2 * x`).
fn mentions_name(e: &Expr, name: &str) -> bool {
    match e {
        Expr::Name(n) => n.id.as_str() == name,
        Expr::BinOp(b) => mentions_name(&b.left, name) || mentions_name(&b.right, name),
        Expr::UnaryOp(u) => mentions_name(&u.operand, name),
        _ => false,
    }
}

/// `for i in range(...)` (any bounds) whose body does scalar work on elements of a known
/// 1-D array: arithmetic on `a[i]` (or `a[i - 1]`, `a[i + 1]`), or a store `a[i] = <scalar
/// expression>` with no numpy call in it (a call per iteration on a row is block work). A loop
/// over a literal range of at most [`SMALL_LOOP`] iterations is too small to matter.
fn indexed_loop<'a>(checker: &mut Checker<'_, 'a, '_, '_>, f: &'a ast::StmtFor) -> Option<&'a str> {
    let Expr::Name(i) = &*f.target else { return None };
    let Expr::Call(call) = &*f.iter else { return None };
    let args = &call.arguments.args;
    if callee_name(checker, call).as_deref() != Some("builtins.range")
        || args.is_empty()
        || args.len() > 3
        || !call.arguments.keywords.is_empty()
    {
        return None;
    }
    if literal_trip_count(args).is_some_and(|n| n <= SMALL_LOOP) {
        return None;
    }
    let found =
        arithmetic_on_index(checker, &f.body, i.id.as_str()) || stores_elements(checker, &f.body, i.id.as_str());
    found.then_some(i.id.as_str())
}

/// `while i < n: ... a[i] ... i += 1`: a counter loop doing scalar work on elements of a known
/// 1-D array, as [`indexed_loop`] for `for i in range(n)`. The counter is a name compared with
/// `<`, `<=` or `!=` and stepped by `+= 1` (or `= i + 1`) at the top level of the body; a
/// literal bound of at most [`SMALL_LOOP`] is too small to matter.
fn counter_loop<'a>(checker: &mut Checker<'_, 'a, '_, '_>, w: &'a ast::StmtWhile) -> bool {
    let Expr::Compare(cmp) = &*w.test else { return false };
    let (Expr::Name(i), [op], [bound]) = (&*cmp.left, &*cmp.ops, &*cmp.comparators) else { return false };
    if !matches!(op, ast::CmpOp::Lt | ast::CmpOp::LtE | ast::CmpOp::NotEq) {
        return false;
    }
    if let Expr::NumberLiteral(n) = bound
        && n.value.as_int().and_then(|v| v.as_i64()).is_some_and(|v| v <= SMALL_LOOP)
    {
        return false;
    }
    let name = i.id.as_str();
    let steps = w.body.iter().any(|s| match s {
        Stmt::AugAssign(a) => {
            a.op == ast::Operator::Add
                && matches!(&*a.target, Expr::Name(t) if t.id.as_str() == name)
                && is_one(&a.value)
        }
        Stmt::Assign(a) => {
            matches!(a.targets.as_slice(), [Expr::Name(t)] if t.id.as_str() == name)
                && matches!(&*a.value, Expr::BinOp(b) if b.op == ast::Operator::Add
                    && matches!(&*b.left, Expr::Name(l) if l.id.as_str() == name) && is_one(&b.right))
        }
        _ => false,
    });
    if !steps {
        return false;
    }
    arithmetic_on_index(checker, &w.body, name) || stores_elements(checker, &w.body, name)
}

fn is_one(e: &Expr) -> bool {
    matches!(e, Expr::NumberLiteral(n) if n.value.as_int().and_then(|v| v.as_i64()) == Some(1))
}

/// `for row in img: for px in row: ...` over an array of two or more axes (an image's rows,
/// then its pixels): one pass per element or pixel, with scalar work on it (`px > t`,
/// `px[0] > 128`, arithmetic) and no numpy or project call in the inner body. The outer
/// iterable is a known array of rank ≥ 2; a list of rows, or an array of unknown rank, is not
/// taken for an image.
fn nested_element_loop<'a>(checker: &mut Checker<'_, 'a, '_, '_>, f: &'a ast::StmtFor) -> bool {
    let Expr::Name(row) = &*f.target else { return false };
    if !matches!(checker.value(&f.iter), Value::Array(a) if a.ndim.is_some_and(|n| n >= 2)) {
        return false;
    }
    f.body.iter().any(|s| {
        let Stmt::For(inner) = s else { return false };
        let (Expr::Name(px), Expr::Name(it)) = (&*inner.target, &*inner.iter) else { return false };
        if it.id != row.id {
            return false;
        }
        let mut calls = false;
        super::helpers::for_each_expr(checker, &inner.body, &mut |checker, e| {
            if let Expr::Call(c) = e
                && (calls_project_code(checker, c)
                    || checker.value(&c.func).qualified().is_some_and(|q| q.starts_with("numpy.")))
            {
                calls = true;
            }
        });
        !calls && scalar_use(&inner.body, px.id.as_str())
    })
}

/// Whether `body` compares or does arithmetic on `name` or on `name[k]` (an integer index).
fn scalar_use(body: &[Stmt], name: &str) -> bool {
    arithmetic_operand(body, &mut |e| match e {
        Expr::Name(n) => n.id.as_str() == name,
        Expr::Subscript(s) => {
            matches!(&*s.value, Expr::Name(n) if n.id.as_str() == name) && matches!(&*s.slice, Expr::NumberLiteral(_))
        }
        _ => false,
    })
}

/// Whether `body` does arithmetic or a comparison on an element of a known 1-D array indexed
/// with `i` (`a[i]`, `a[i - 1]`).
fn arithmetic_on_index<'a>(checker: &mut Checker<'_, 'a, '_, '_>, body: &'a [Stmt], i: &str) -> bool {
    arithmetic_operand(body, &mut |e| match e {
        Expr::Subscript(s) => mentions_name(&s.slice, i) && is_1d(checker, &s.value),
        _ => false,
    })
}

/// Whether `hit` accepts a name or subscript that is an operand of arithmetic or a comparison
/// in `body` (an augmented assignment's value counts; nested functions, classes and lambdas do
/// not). A subscript in arithmetic is not looked into further.
fn arithmetic_operand<'a>(body: &'a [Stmt], hit: &mut dyn FnMut(&'a Expr) -> bool) -> bool {
    operand_in(body, Operands::Syntax, hit)
}

/// What counts as an operand for [`operand_in`].
#[derive(Clone, Copy, PartialEq)]
enum Operands {
    /// Any name or subscript inside arithmetic or a comparison (`a[i] * b[i]`, `i < n`).
    Syntax,
    /// Values used as numbers: also boolean operators, f-strings and the arguments of
    /// `float`/`int`/`round`/`abs`/`complex`/`math.*`; not what an index computes
    /// (`bounds[ei + 1]`) nor what is handed to other calls (`len(outline) > 0`).
    Values,
}

/// The operand walk behind [`arithmetic_operand`] and [`element_used_as_scalar`].
fn operand_in<'a>(body: &'a [Stmt], mode: Operands, hit: &mut dyn FnMut(&'a Expr) -> bool) -> bool {
    struct V<'h, 'a> {
        hit: &'h mut dyn FnMut(&'a Expr) -> bool,
        mode: Operands,
        in_arith: u32,
        found: bool,
    }
    impl<'a> ruff_python_ast::visitor::Visitor<'a> for V<'_, 'a> {
        fn visit_stmt(&mut self, s: &'a Stmt) {
            match s {
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                Stmt::AugAssign(a) => {
                    self.in_arith += 1;
                    self.visit_expr(&a.value);
                    self.in_arith -= 1;
                }
                _ => ruff_python_ast::visitor::walk_stmt(self, s),
            }
        }
        fn visit_expr(&mut self, e: &'a Expr) {
            if self.found {
                return;
            }
            let values = self.mode == Operands::Values;
            match e {
                Expr::BinOp(_) | Expr::Compare(_) | Expr::UnaryOp(_) => {
                    self.in_arith += 1;
                    ruff_python_ast::visitor::walk_expr(self, e);
                    self.in_arith -= 1;
                }
                Expr::BoolOp(_) | Expr::FString(_) if values => {
                    self.in_arith += 1;
                    ruff_python_ast::visitor::walk_expr(self, e);
                    self.in_arith -= 1;
                }
                // An index is a position: arithmetic in it is not arithmetic on the value.
                Expr::Subscript(sub) if values => {
                    self.visit_expr(&sub.value);
                    if self.found {
                        return;
                    }
                    // A name used only as an index is not a use of its value.
                    let saved = std::mem::replace(&mut self.in_arith, 0);
                    self.visit_expr(&sub.slice);
                    self.found = false;
                    self.in_arith = saved;
                }
                Expr::Call(c) if values => {
                    let numeric = match &*c.func {
                        Expr::Name(n) => matches!(n.id.as_str(), "float" | "int" | "round" | "abs" | "complex"),
                        Expr::Attribute(a) => matches!(&*a.value, Expr::Name(m) if m.id.as_str() == "math"),
                        _ => false,
                    };
                    let saved = self.in_arith;
                    self.in_arith = if numeric { saved + 1 } else { 0 };
                    ruff_python_ast::visitor::walk_expr(self, e);
                    self.in_arith = saved;
                }
                Expr::Name(_) | Expr::Subscript(_) if self.in_arith > 0 => {
                    if (self.hit)(e) {
                        self.found = true;
                    }
                }
                Expr::Lambda(_) => {}
                _ => ruff_python_ast::visitor::walk_expr(self, e),
            }
        }
    }
    let mut v = V { hit, mode, in_arith: 0, found: false };
    for s in body {
        ruff_python_ast::visitor::Visitor::visit_stmt(&mut v, s);
    }
    v.found
}

/// Loops over a literal range this short are not reported (the ≤ 500-element size class).
const SMALL_LOOP: i64 = 500;

/// The number of iterations of `range(...)` when every bound is an integer literal.
pub fn literal_trip_count(args: &[Expr]) -> Option<i64> {
    let lit = |e: &Expr| -> Option<i64> {
        match e {
            Expr::NumberLiteral(n) => n.value.as_int().and_then(|v| v.as_i64()),
            Expr::UnaryOp(u) if u.op == ast::UnaryOp::USub => match &*u.operand {
                Expr::NumberLiteral(n) => n.value.as_int().and_then(|v| v.as_i64()).map(|v| -v),
                _ => None,
            },
            _ => None,
        }
    };
    let (start, stop, step) = match args {
        [stop] => (0, lit(stop)?, 1),
        [start, stop] => (lit(start)?, lit(stop)?, 1),
        [start, stop, step] => (lit(start)?, lit(stop)?, lit(step)?),
        _ => return None,
    };
    // Python's `len(range(start, stop, step))`.
    let (span, step) = match step {
        0 => return Some(0),
        s if s > 0 => (stop.saturating_sub(start), s),
        s => (start.saturating_sub(stop), s.saturating_neg()),
    };
    Some(if span <= 0 { 0 } else { span.saturating_sub(1) / step + 1 })
}

/// `a[i] = <expr>` or `a[i] += <expr>` on a known 1-D array, with no whole-array work in the
/// loop body (a per-element store of a Python scalar).
fn stores_elements<'a>(checker: &mut Checker<'_, 'a, '_, '_>, body: &'a [Stmt], i: &str) -> bool {
    let mut store = false;
    let mut numpy_call = false;
    let mut stmts: Vec<&'a Stmt> = body.iter().collect();
    while let Some(s) = stmts.pop() {
        let target = match s {
            Stmt::Assign(a) if a.targets.len() == 1 => Some(&a.targets[0]),
            Stmt::AugAssign(a) => Some(&*a.target),
            Stmt::If(x) => {
                stmts.extend(x.body.iter().chain(x.elif_else_clauses.iter().flat_map(|c| c.body.iter())));
                None
            }
            Stmt::Try(t) => {
                stmts.extend(t.body.iter().chain(t.orelse.iter()).chain(t.finalbody.iter()));
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    stmts.extend(h.body.iter());
                }
                None
            }
            Stmt::For(x) => {
                stmts.extend(x.body.iter());
                None
            }
            Stmt::While(x) => {
                stmts.extend(x.body.iter());
                None
            }
            _ => None,
        };
        if let Some(Expr::Subscript(t)) = target
            && mentions_name(&t.slice, i)
            && is_1d(checker, &t.value)
        {
            store = true;
        }
    }
    // Whole-array work in the pass: a numpy function, a method of an array, a project
    // function (as for pixel loops, a grid of heavy calls is not per-element work), or arithmetic
    // or a comparison with an array (`p[k] = (y == k).mean()` is one pass per class).
    let whole = |checker: &mut Checker<'_, 'a, '_, '_>, e: &'a Expr| matches!(checker.value(e), Value::Array(a) if a.ndim.is_none_or(|n| n >= 1));
    super::helpers::for_each_expr(checker, body, &mut |checker, e| match e {
        Expr::Call(c) => {
            let method_of_array = matches!(&*c.func, Expr::Attribute(a) if whole(checker, &a.value));
            if method_of_array
                || calls_project_code(checker, c)
                || callee_name(checker, c).is_some_and(|q| q.starts_with("numpy."))
            {
                numpy_call = true;
            }
        }
        Expr::BinOp(b) if whole(checker, &b.left) || whole(checker, &b.right) => numpy_call = true,
        Expr::Compare(c) if whole(checker, &c.left) || c.comparators.iter().any(|x| whole(checker, x)) => {
            numpy_call = true
        }
        _ => {}
    });
    store && !numpy_call
}

/// The single-statement body `acc += <expr>` or `acc = acc + <expr>`: the accumulator and expr.
fn accumulation(body: &[Stmt]) -> Option<(&Expr, &Expr)> {
    let [Stmt::AugAssign(a)] = body else { return None };
    (a.op == Operator::Add && matches!(&*a.target, Expr::Name(_))).then_some((&*a.target, &*a.value))
}

fn indexed_accumulation<'a>(checker: &mut Checker<'_, 'a, '_, '_>, f: &'a ast::StmtFor, i: &str) -> Option<String> {
    let (acc, value) = accumulation(&f.body)?;
    fn indexed<'e>(e: &'e Expr, i: &str) -> Option<&'e Expr> {
        match e {
            Expr::Subscript(s) if matches!(&*s.slice, Expr::Name(n) if n.id.as_str() == i) => Some(&*s.value),
            _ => None,
        }
    }
    let acc = checker.text(acc).to_string();
    match value {
        Expr::BinOp(b) if b.op == Operator::Mult => {
            let (x, y) = (indexed(&b.left, i)?, indexed(&b.right, i)?);
            Some(format!("{acc} += np.dot({}, {})", checker.text(x), checker.text(y)))
        }
        e => indexed(e, i).map(|x| format!("{acc} += np.sum({})", checker.text(x))),
    }
}

fn element_accumulation<'a>(
    checker: &mut Checker<'_, 'a, '_, '_>,
    f: &'a ast::StmtFor,
    arrays: &[&'a Expr],
) -> Option<String> {
    let [array] = arrays else { return None };
    let Expr::Name(x) = &*f.target else { return None };
    let (acc, value) = accumulation(&f.body)?;
    let is_x = |e: &Expr| matches!(e, Expr::Name(n) if n.id == x.id);
    let acc = checker.text(acc).to_string();
    let a = checker.text(*array).to_string();
    match value {
        e if is_x(e) => Some(format!("{acc} += np.sum({a})")),
        Expr::BinOp(b) if b.op == Operator::Mult && is_x(&b.left) && is_x(&b.right) => {
            Some(format!("{acc} += np.dot({a}, {a})"))
        }
        _ => None,
    }
}
