//! What calls into libraries return: numpy constructors, functions, ufuncs, reductions and
//! array methods, numpy random generators, a few builtins (`zip`, `list`, `range`, ...), and
//! pandas' array exits (`.to_numpy()`). This table is where array facts come from.

use crate::analysis::infer::Evaluator;
use crate::analysis::value::{ArrayInfo, Dtype, PoolFamily, PoolKind, Value};
use ruff_python_ast::{self as ast, Expr, Operator};
use std::sync::Arc;

/// Top-level packages whose semantics this module models: names under them always resolve to
/// the library, even when the tree being checked contains their sources.
pub fn is_modeled(root: &str) -> bool {
    matches!(
        root,
        "numpy"
            | "pandas"
            | "joblib"
            | "numba"
            | "numexpr"
            | "threadpoolctl"
            | "concurrent"
            | "threading"
            | "multiprocessing"
            | "asyncio"
            | "functools"
            | "builtins"
            | "typing"
    )
}

/// An instance of an external type named in an annotation.
pub fn instance_of_type(q: &str) -> Value {
    match q {
        "numpy.ndarray" | "numpy.typing.NDArray" | "numpy.typing.ArrayLike.ndarray" | "numpy.matrix" => {
            Value::unknown_array()
        }
        "concurrent.futures.ThreadPoolExecutor"
        | "concurrent.futures.thread.ThreadPoolExecutor"
        | "concurrent.futures.Executor"
        | "concurrent.futures._base.Executor" => {
            Value::Pool(PoolKind { family: PoolFamily::Executor, threads: true, workers: None })
        }
        "concurrent.futures.ProcessPoolExecutor" => {
            Value::Pool(PoolKind { family: PoolFamily::Executor, threads: false, workers: None })
        }
        "multiprocessing.pool.ThreadPool" => {
            Value::Pool(PoolKind { family: PoolFamily::MpPool, threads: true, workers: None })
        }
        "multiprocessing.pool.Pool" => {
            Value::Pool(PoolKind { family: PoolFamily::MpPool, threads: false, workers: None })
        }
        "builtins.list" | "typing.List" => Value::list_of(Value::Unknown),
        "builtins.int" | "builtins.float" | "builtins.bool" | "builtins.complex" => Value::PyScalar,
        "builtins.str" => Value::Str,
        "numpy.random.Generator" | "numpy.random.RandomState" => Value::ExternalInstance(Arc::from(q)),
        "pandas.DataFrame" | "pandas.Series" | "pandas.core.frame.DataFrame" | "pandas.core.series.Series" => {
            Value::ExternalInstance(Arc::from("pandas.DataFrame"))
        }
        "asyncio.AbstractEventLoop" | "asyncio.events.AbstractEventLoop" => {
            Value::ExternalInstance(Arc::from("asyncio.AbstractEventLoop"))
        }
        _ => Value::Unknown,
    }
}

pub fn array_attribute(info: ArrayInfo, attr: &str) -> Value {
    match attr {
        "T" => Value::Array(ArrayInfo { shape: info.shape.and_then(|s| s.reversed()), ..info }),
        "mT" => Value::Array(ArrayInfo { shape: info.shape.and_then(|s| s.last_two_swapped()), ..info }),
        "real" | "imag" | "base" => Value::Array(info),
        "flat" => Value::iter_of(Value::ArrayScalar),
        "shape" | "strides" => Value::Tuple(match info.ndim {
            Some(n) => std::iter::repeat_n(Value::PyScalar, n as usize).collect(),
            None => return Value::Unknown,
        }),
        "ndim" | "size" | "itemsize" | "nbytes" => Value::PyScalar,
        _ => Value::Unknown,
    }
}

fn scalar_join(l: &Value, r: &Value) -> Value {
    if matches!(l, Value::ArrayScalar) || matches!(r, Value::ArrayScalar) {
        Value::ArrayScalar
    } else {
        Value::PyScalar
    }
}

pub fn binop(l: &Value, op: Operator, r: &Value) -> Value {
    match (l, r) {
        (Value::Array(a), Value::Array(b)) => {
            if op == Operator::MatMult {
                return match (a.ndim, b.ndim) {
                    (Some(1), Some(1)) => Value::ArrayScalar,
                    (Some(x), Some(y)) if x >= 2 && y >= 1 => {
                        Value::array(Dtype::Unknown, Some(x.max(y).max(2) - u8::from(y == 1)))
                    }
                    (Some(1), Some(y)) if y >= 2 => Value::array(Dtype::Unknown, Some(y - 1)),
                    _ => Value::Unknown,
                };
            }
            let ndim = match (a.ndim, b.ndim) {
                (Some(x), Some(y)) => Some(x.max(y)),
                _ => None,
            };
            let dtype = if a.object() || b.object() {
                Dtype::Object
            } else if a.dtype == b.dtype {
                a.dtype
            } else {
                Dtype::Unknown
            };
            // Elementwise on arrays of one size keeps it (broadcasting is not followed).
            let size = if a.size == b.size { a.size } else { None };
            let dims = if a.shape == b.shape { a.shape } else { None };
            Value::shaped_array(dtype, ndim, size, dims.as_ref().map(|s| s.dims()))
        }
        (Value::Array(a), other) | (other, Value::Array(a)) => {
            if op == Operator::MatMult {
                return Value::Unknown;
            }
            if matches!(other, Value::Str | Value::Dict | Value::None) {
                return Value::Unknown;
            }
            // Object arrays stay object arrays whatever they are combined with.
            let dtype = if a.object() { Dtype::Object } else { Dtype::Unknown };
            let (size, dims) = if other.is_known_scalar() { (a.size, a.shape) } else { (None, None) };
            Value::shaped_array(dtype, a.ndim, size, dims.as_ref().map(|s| s.dims()))
        }
        (x, y) if x.is_known_scalar() && y.is_known_scalar() => scalar_join(x, y),
        (Value::List(a), Value::List(b)) if op == Operator::Add => Value::List(Arc::new(a.join(b))),
        (Value::Str, _) if op == Operator::Mod => Value::Str,
        (Value::Str, Value::Str) => Value::Str,
        _ => Value::Unknown,
    }
}

impl ArrayInfo {
    pub fn object(&self) -> bool {
        self.dtype == Dtype::Object
    }
}

/// Whether `e` is the integer literal `value`.
pub fn is_int_literal(e: &Expr, value: i64) -> bool {
    matches!(e, Expr::NumberLiteral(n) if matches!(&n.value, ast::Number::Int(i) if i.as_i64() == Some(value)))
}

/// The value of keyword argument `name` of a call.
pub fn kwarg<'e>(call: &'e ast::ExprCall, name: &str) -> Option<&'e Expr> {
    call.arguments.keywords.iter().find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name)).map(|k| &k.value)
}

/// Argument at position `pos`, or keyword `name`.
fn arg<'e>(call: &'e ast::ExprCall, pos: usize, name: &str) -> Option<&'e Expr> {
    kwarg(call, name).or_else(|| {
        let args = &call.arguments.args;
        if args.iter().take(pos + 1).any(|a| matches!(a, Expr::Starred(_))) {
            return None;
        }
        args.get(pos)
    })
}

/// Whether an `axis=`-like argument is given and not `None`.
fn has_axis(call: &ast::ExprCall, pos: usize) -> bool {
    arg(call, pos, "axis").is_some_and(|e| !matches!(e, Expr::NoneLiteral(_)))
}

/// dtype from a `dtype=` expression (`object`, `"O"`, `np.object_`, `float`, `"f8"`, ...).
pub fn dtype_of<'a>(ev: &mut Evaluator<'a, '_, '_>, e: &'a Expr) -> Dtype {
    match e {
        Expr::StringLiteral(s) => {
            let t = s.value.to_str();
            match t {
                "O" | "object" | "|O" | "O8" => Dtype::Object,
                "bool" | "?" | "b1" => Dtype::Bool,
                t if t.starts_with('U') || t.starts_with('S') || t.starts_with("<U") || t == "str" => Dtype::Str,
                t if t.starts_with(['f', 'i', 'u', 'c', 'd'])
                    || t.starts_with("<f")
                    || t.starts_with("float")
                    || t.starts_with("int")
                    || t.starts_with("uint")
                    || t.starts_with("complex") =>
                {
                    Dtype::Numeric
                }
                _ => Dtype::Unknown,
            }
        }
        _ => match ev.eval(e) {
            Value::External(q) => match &*q {
                "builtins.object" | "numpy.object_" => Dtype::Object,
                "builtins.bool" | "numpy.bool_" | "numpy.bool" => Dtype::Bool,
                "builtins.str" | "numpy.str_" => Dtype::Str,
                "builtins.float" | "builtins.int" | "builtins.complex" => Dtype::Numeric,
                q if q.starts_with("numpy.float")
                    || q.starts_with("numpy.int")
                    || q.starts_with("numpy.uint")
                    || q.starts_with("numpy.complex")
                    || q == "numpy.double" =>
                {
                    Dtype::Numeric
                }
                _ => Dtype::Unknown,
            },
            _ => Dtype::Unknown,
        },
    }
}

/// Nesting depth and element facts of array-like input (`[[1, 2], [3, 4]]` → 2).
fn ndim_of_input(v: &Value) -> Option<u8> {
    match v {
        Value::Array(a) => a.ndim,
        Value::PyScalar | Value::ArrayScalar => Some(0),
        Value::List(e) | Value::Iter(e) => ndim_of_input(e).map(|n| n + 1),
        Value::Tuple(items) => {
            let first = items.first().map_or(Some(0), ndim_of_input)?;
            items.iter().all(|i| ndim_of_input(i) == Some(first)).then_some(first + 1)
        }
        _ => None,
    }
}

/// The element count a shape argument states with integer literals (`1000`, `(64, 64)`,
/// `[3, 1_000]`); `None` for anything else.
/// The element count of a list or tuple literal of scalars, or of nested ones (`[[1, 2], [3,
/// 4]]`: 4), capped at a depth of 8; `None` when an element is anything else (a starred item, a
/// name that may be a list).
pub fn literal_elements(e: &Expr, depth: u32) -> Option<u64> {
    let items = match e {
        Expr::List(l) => &l.elts,
        Expr::Tuple(t) => &t.elts,
        Expr::NumberLiteral(_) | Expr::BooleanLiteral(_) if depth > 0 => return Some(1),
        Expr::UnaryOp(u) if depth > 0 && matches!(&*u.operand, Expr::NumberLiteral(_)) => return Some(1),
        _ => return None,
    };
    if depth >= 8 {
        return None;
    }
    items.iter().map(|i| literal_elements(i, depth + 1)).sum()
}

/// The axis lengths of a literal shape argument: `(2, 1000)`, `[64, 64]`, `1000`.
pub fn literal_dims(e: Option<&Expr>) -> Option<Vec<u64>> {
    let dim = |e: &Expr| match e {
        Expr::NumberLiteral(n) => n.value.as_int().and_then(|i| i.as_u64()),
        _ => None,
    };
    match e? {
        Expr::Tuple(t) => t.elts.iter().map(dim).collect(),
        Expr::List(l) => l.elts.iter().map(dim).collect(),
        other => dim(other).map(|d| vec![d]),
    }
}

pub fn literal_size(e: Option<&Expr>) -> Option<u64> {
    let dim = |e: &Expr| match e {
        Expr::NumberLiteral(n) => n.value.as_int().and_then(|i| i.as_u64()),
        _ => None,
    };
    match e? {
        Expr::Tuple(t) => t.elts.iter().try_fold(1u64, |acc, e| acc.checked_mul(dim(e)?)),
        Expr::List(l) => l.elts.iter().try_fold(1u64, |acc, e| acc.checked_mul(dim(e)?)),
        other => dim(other),
    }
}

/// ndim of a shape argument (`10`, `n`, `(3, 4)`). A plain name whose value is unknown is taken
/// as an int (`np.zeros(n)`) unless it is named like a shape (`shape`, `dims`, `size`s...).
fn ndim_of_shape<'a>(ev: &mut Evaluator<'a, '_, '_>, e: Option<&'a Expr>) -> Option<u8> {
    let e = e?;
    match e {
        Expr::Tuple(t) => Some(t.elts.len() as u8),
        Expr::List(l) => Some(l.elts.len() as u8),
        other => match ev.eval(other) {
            Value::PyScalar | Value::ArrayScalar => Some(1),
            Value::Tuple(items) => Some(items.len() as u8),
            Value::Unknown => {
                let name = match other {
                    Expr::Name(n) => n.id.as_str(),
                    Expr::Attribute(a) => a.attr.as_str(),
                    _ => return None,
                };
                let lower = name.to_ascii_lowercase();
                let shape_like = ["shape", "dim", "sizes", "extent"].iter().any(|w| lower.contains(w));
                (!shape_like).then_some(1)
            }
            _ => None,
        },
    }
}

fn dtype_arg<'a>(ev: &mut Evaluator<'a, '_, '_>, call: &'a ast::ExprCall, pos: usize) -> Dtype {
    match arg(call, pos, "dtype") {
        Some(e) => dtype_of(ev, e),
        None => Dtype::Unknown,
    }
}

const UFUNCS: &[&str] = &[
    "sqrt",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log1p",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "abs",
    "absolute",
    "fabs",
    "sign",
    "floor",
    "ceil",
    "trunc",
    "rint",
    "round",
    "around",
    "square",
    "cbrt",
    "power",
    "float_power",
    "add",
    "subtract",
    "multiply",
    "divide",
    "true_divide",
    "floor_divide",
    "mod",
    "remainder",
    "fmod",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "hypot",
    "arctan2",
    "negative",
    "positive",
    "reciprocal",
    "isnan",
    "isinf",
    "isfinite",
    "signbit",
    "logical_and",
    "logical_or",
    "logical_not",
    "logical_xor",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "equal",
    "not_equal",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "invert",
    "left_shift",
    "right_shift",
    "deg2rad",
    "rad2deg",
    "degrees",
    "radians",
    "conj",
    "conjugate",
    "real",
    "imag",
    "angle",
    "clip",
    "nan_to_num",
    "heaviside",
    "copysign",
    "nextafter",
    "spacing",
    "ldexp",
    "logaddexp",
    "logaddexp2",
    "sinc",
    "i0",
    "fix",
    "isclose",
    "where",
];

const REDUCTIONS: &[&str] = &[
    "sum",
    "prod",
    "product",
    "mean",
    "std",
    "var",
    "min",
    "max",
    "amin",
    "amax",
    "median",
    "average",
    "ptp",
    "any",
    "all",
    "argmin",
    "argmax",
    "count_nonzero",
    "nansum",
    "nanprod",
    "nanmean",
    "nanstd",
    "nanvar",
    "nanmin",
    "nanmax",
    "nanmedian",
    "nanargmin",
    "nanargmax",
    "percentile",
    "quantile",
    "nanpercentile",
    "nanquantile",
];

const SHAPE_PRESERVING: &[&str] = &[
    "copy",
    "asarray",
    "asanyarray",
    "ascontiguousarray",
    "asfortranarray",
    "array",
    "require",
    "sort",
    "flip",
    "fliplr",
    "flipud",
    "roll",
    "negative",
    "cumsum",
    "cumprod",
    "nancumsum",
    "nancumprod",
    "diff",
    "gradient",
    "ediff1d",
    "sort_complex",
    "argsort",
    "transpose",
    "rot90",
    "asmatrix",
    "unwrap",
    "nan_to_num",
    "atleast_1d",
];

/// Calls to external functions by qualified name.
pub fn external_call<'a>(ev: &mut Evaluator<'a, '_, '_>, q: &str, call: &'a ast::ExprCall) -> Value {
    if let Some(name) = q.strip_prefix("numpy.") {
        return numpy_call(ev, name, call);
    }
    let first = call.arguments.args.first();
    match q {
        "builtins.list" | "builtins.sorted" => match first {
            Some(e) => Value::list_of(ev.eval(e).element()),
            None => Value::list_of(Value::Unknown),
        },
        "builtins.tuple" | "builtins.iter" | "builtins.reversed" => match first {
            Some(e) => Value::iter_of(ev.eval(e).element()),
            None => Value::Unknown,
        },
        "builtins.range" => Value::iter_of(Value::PyScalar),
        "builtins.zip" => {
            let elems: Vec<Value> = call.arguments.args.iter().map(|a| ev.eval(a).element()).collect();
            Value::iter_of(Value::Tuple(elems.into()))
        }
        "builtins.enumerate" => match first {
            Some(e) => {
                let el = ev.eval(e).element();
                Value::iter_of(Value::Tuple(vec![Value::PyScalar, el].into()))
            }
            None => Value::Unknown,
        },
        "builtins.len"
        | "builtins.int"
        | "builtins.float"
        | "builtins.bool"
        | "builtins.complex"
        | "builtins.round"
        | "builtins.isinstance"
        | "builtins.hash"
        | "builtins.ord" => Value::PyScalar,
        "builtins.str" | "builtins.repr" | "builtins.format" => Value::Str,
        "builtins.abs" => match first.map(|e| ev.eval(e)) {
            Some(v @ (Value::Array(_) | Value::ArrayScalar | Value::PyScalar)) => v,
            _ => Value::Unknown,
        },
        "builtins.dict" => Value::Dict,
        "builtins.sum" | "builtins.min" | "builtins.max" => match first.map(|e| ev.eval(e)) {
            Some(Value::Array(a)) => match a.ndim {
                Some(1) => Value::ArrayScalar,
                Some(n) if n >= 2 => Value::array(a.dtype, Some(n - 1)),
                _ => Value::Unknown,
            },
            Some(v) if v.element().is_known_scalar() => v.element(),
            _ => Value::Unknown,
        },
        "asyncio.get_event_loop" | "asyncio.get_running_loop" | "asyncio.new_event_loop" => {
            Value::ExternalInstance(Arc::from("asyncio.AbstractEventLoop"))
        }
        "multiprocessing.get_context" => Value::ExternalInstance(Arc::from("multiprocessing.context")),
        _ if crate::analysis::flow::is_queue_class(q) => Value::ExternalInstance(Arc::from(q)),
        "threading.Thread" => Value::ExternalInstance(Arc::from("threading.Thread")),
        "pandas.DataFrame" | "pandas.Series" | "pandas.read_csv" | "pandas.read_parquet" => {
            Value::ExternalInstance(Arc::from("pandas.DataFrame"))
        }
        // A class (or function) of a library numgil does not model: what it returns is named
        // after it, so methods called on it can be named (`ext.Cls().fun()` → `ext.Cls.fun`).
        _ if !is_modeled(q.split('.').next().unwrap_or(""))
            && q.rsplit('.').next().is_some_and(|n| n.starts_with(|c: char| c.is_ascii_uppercase())) =>
        {
            Value::ExternalInstance(Arc::from(q))
        }
        _ => Value::Unknown,
    }
}

fn numpy_call<'a>(ev: &mut Evaluator<'a, '_, '_>, name: &str, call: &'a ast::ExprCall) -> Value {
    let first = call.arguments.args.first();
    let first_val = |ev: &mut Evaluator<'a, '_, '_>| first.map(|e| ev.eval(e)).unwrap_or_default();
    match name {
        "zeros" | "ones" | "empty" => {
            let shape = arg(call, 0, "shape");
            let ndim = ndim_of_shape(ev, shape);
            Value::shaped_array(dtype_arg(ev, call, 1), ndim, literal_size(shape), literal_dims(shape).as_deref())
        }
        "full" => {
            let shape = arg(call, 0, "shape");
            let ndim = ndim_of_shape(ev, shape);
            Value::shaped_array(dtype_arg(ev, call, 2), ndim, literal_size(shape), literal_dims(shape).as_deref())
        }
        "zeros_like" | "ones_like" | "empty_like" | "full_like" => {
            let ndim = match first_val(ev) {
                Value::Array(a) => a.ndim,
                v => ndim_of_input(&v),
            };
            let pos = if name == "full_like" { 2 } else { 1 };
            Value::array(dtype_arg(ev, call, pos), ndim)
        }
        "arange"
        | "linspace"
        | "logspace"
        | "geomspace"
        | "fromiter"
        | "frombuffer"
        | "fromstring"
        | "fromfile"
        | "bincount"
        | "convolve"
        | "correlate"
        | "flatnonzero"
        | "trim_zeros"
        | "union1d"
        | "intersect1d"
        | "setdiff1d"
        | "setxor1d"
        | "ravel"
        | "hanning"
        | "hamming"
        | "blackman"
        | "bartlett"
        | "kaiser"
        | "polyfit"
        | "polyval"
        | "histogram_bin_edges"
        | "append" => {
            if name == "append" && has_axis(call, 2) {
                return Value::unknown_array();
            }
            let dtype = match name {
                "arange" => dtype_arg(ev, call, 3),
                "fromiter" => dtype_arg(ev, call, 1),
                _ => kwarg(call, "dtype").map_or(Dtype::Unknown, |e| dtype_of(ev, e)),
            };
            if name == "polyval" {
                return match call.arguments.args.get(1).map(|e| ev.eval(e)) {
                    Some(v @ Value::Array(_)) => v,
                    _ => Value::Unknown,
                };
            }
            let size = match name {
                "arange" if call.arguments.args.len() == 1 && call.arguments.keywords.is_empty() => {
                    literal_size(call.arguments.args.first())
                }
                "linspace" | "logspace" | "geomspace" => literal_size(arg(call, 2, "num")),
                _ => None,
            };
            Value::sized_array(dtype, Some(1), size)
        }
        "eye" | "identity" | "tri" | "outer" | "vander" | "cov" | "corrcoef" | "column_stack" => {
            Value::array(kwarg(call, "dtype").map_or(Dtype::Unknown, |e| dtype_of(ev, e)), Some(2))
        }
        "array" | "asarray" | "asanyarray" | "ascontiguousarray" | "asfortranarray" | "copy" | "require"
        | "atleast_1d" => {
            let v = first_val(ev);
            let mut dtype = dtype_arg(ev, call, 1);
            let ndim = ndim_of_input(&v);
            if let (Dtype::Unknown, Value::Array(a)) = (dtype, &v) {
                dtype = a.dtype;
            }
            if name == "atleast_1d" {
                return Value::array(dtype, ndim.map(|n| n.max(1)));
            }
            if ndim == Some(0) && !matches!(v, Value::Array(_)) {
                return Value::array(dtype, Some(0));
            }
            // `np.array([1.0, 2.0, 3.0])`: a literal states its element count; an array
            // argument keeps its own.
            let size = match (&v, call.arguments.args.first()) {
                (Value::Array(a), _) => a.size,
                (_, Some(e)) => literal_elements(e, 0),
                _ => None,
            };
            Value::sized_array(dtype, ndim, size)
        }
        "atleast_2d" => Value::array(Dtype::Unknown, None),
        "concatenate" | "hstack" | "vstack" | "stack" | "dstack" | "block" | "tile" | "repeat" | "pad"
        | "broadcast_to" | "expand_dims" | "squeeze" | "take" | "select" | "piecewise" | "kron" | "cross"
        | "interp" | "searchsorted" | "digitize" | "unique" | "compress" | "extract" | "delete" | "insert"
        | "resize" | "moveaxis" | "swapaxes" | "einsum_path" | "choose" | "fromfunction" | "loadtxt" | "genfromtxt"
        | "tril" | "triu" | "diag" | "diagonal" | "trapz" | "trapezoid" | "partition" | "argpartition" => {
            if name == "unique"
                && call.arguments.keywords.iter().any(|k| {
                    k.arg.as_ref().is_some_and(|a| a.as_str().starts_with("return_"))
                        && !matches!(k.value, Expr::BooleanLiteral(ast::ExprBooleanLiteral { value: false, .. }))
                })
            {
                return Value::Unknown;
            }
            if matches!(name, "trapz" | "trapezoid" | "interp") {
                return match first_val(ev) {
                    v @ Value::Array(_) if name == "interp" => v,
                    _ => Value::Unknown,
                };
            }
            let ndim = match name {
                "vstack" | "tril" | "triu" => Some(2),
                "unique" | "extract" | "flatnonzero" => Some(1),
                "searchsorted" | "digitize" | "partition" | "argpartition" | "take" | "repeat" | "compress" => {
                    let v = if name == "searchsorted" {
                        call.arguments.args.get(1).map(|e| ev.eval(e)).unwrap_or_default()
                    } else {
                        first_val(ev)
                    };
                    match v {
                        Value::Array(a) if matches!(name, "partition" | "argpartition") => a.ndim,
                        Value::Array(a) if matches!(name, "searchsorted" | "digitize") => a.ndim,
                        Value::Array(_) => None,
                        _ if matches!(name, "searchsorted" | "digitize") => return Value::Unknown,
                        _ => None,
                    }
                }
                _ => None,
            };
            Value::array(kwarg(call, "dtype").map_or(Dtype::Unknown, |e| dtype_of(ev, e)), ndim)
        }
        "split" | "array_split" | "hsplit" | "vsplit" | "dsplit" | "meshgrid" | "nonzero" => {
            let ndim = match first_val(ev) {
                Value::Array(a) if name != "meshgrid" && name != "nonzero" => a.ndim,
                _ if name == "nonzero" => Some(1),
                _ => None,
            };
            Value::list_of(Value::array(Dtype::Unknown, ndim))
        }
        "reshape" => {
            let ndim = ndim_of_shape(ev, arg(call, 1, "shape").or_else(|| arg(call, 1, "newshape")));
            let dtype = match first_val(ev) {
                Value::Array(a) => a.dtype,
                _ => Dtype::Unknown,
            };
            Value::array(dtype, ndim)
        }
        "dot" | "inner" | "matmul" | "vdot" => {
            let (Some(a), Some(b)) = (call.arguments.args.first(), call.arguments.args.get(1)) else {
                return Value::Unknown;
            };
            let (a, b) = (ev.eval(a), ev.eval(b));
            if name == "vdot" {
                return Value::ArrayScalar;
            }
            match (a.as_array().and_then(|x| x.ndim), b.as_array().and_then(|x| x.ndim)) {
                (Some(1), Some(1)) => Value::ArrayScalar,
                (Some(x), Some(y)) if x >= 2 && y >= 2 => Value::array(Dtype::Unknown, Some(2)),
                (Some(x), Some(y)) if x + y == 3 => Value::array(Dtype::Unknown, Some(1)),
                _ => Value::Unknown,
            }
        }
        "linalg.norm" => {
            if has_axis(call, 2) {
                Value::unknown_array()
            } else {
                Value::ArrayScalar
            }
        }
        "linalg.det" | "linalg.matrix_rank" | "linalg.cond" | "trace" => match first_val(ev) {
            Value::Array(a) if a.ndim == Some(2) => Value::ArrayScalar,
            _ => Value::Unknown,
        },
        "linalg.inv"
        | "linalg.pinv"
        | "linalg.cholesky"
        | "linalg.matrix_power"
        | "linalg.expm"
        | "linalg.solve"
        | "linalg.eigvals"
        | "linalg.eigvalsh" => match first_val(ev) {
            Value::Array(a) if name == "linalg.solve" => match call.arguments.args.get(1).map(|e| ev.eval(e)) {
                Some(Value::Array(b)) => Value::array(Dtype::Unknown, b.ndim.filter(|_| a.ndim == Some(2))),
                _ => Value::unknown_array(),
            },
            Value::Array(a) if matches!(name, "linalg.eigvals" | "linalg.eigvalsh") => {
                Value::array(Dtype::Unknown, a.ndim.map(|n| n - 1))
            }
            Value::Array(a) => Value::array(Dtype::Unknown, a.ndim),
            _ => Value::unknown_array(),
        },
        "vectorize" | "frompyfunc" => Value::Vectorized,
        "random.default_rng" | "random.Generator" => Value::ExternalInstance(Arc::from("numpy.random.Generator")),
        "random.RandomState" => Value::ExternalInstance(Arc::from("numpy.random.RandomState")),
        "random.SeedSequence" => Value::ExternalInstance(Arc::from("numpy.random.SeedSequence")),
        "random.seed" => Value::None,
        n if n.starts_with("random.") => random_call(ev, &n["random.".len()..], call),
        "float64" | "float32" | "float16" | "int64" | "int32" | "int16" | "int8" | "uint8" | "uint16" | "uint32"
        | "uint64" | "complex128" | "complex64" | "bool_" | "double" | "intp" => Value::ArrayScalar,
        n if SHAPE_PRESERVING.contains(&n) => {
            let v = first_val(ev);
            match v {
                Value::Array(a) => {
                    let ndim = if matches!(n, "cumsum" | "cumprod" | "nancumsum" | "nancumprod") && !has_axis(call, 1) {
                        Some(1)
                    } else {
                        a.ndim
                    };
                    Value::array(a.dtype, ndim)
                }
                Value::List(_) | Value::Tuple(_) => Value::array(Dtype::Unknown, ndim_of_input(&v)),
                _ => Value::Unknown,
            }
        }
        n if REDUCTIONS.contains(&n) => {
            let v = first_val(ev);
            let axis_pos = if matches!(n, "percentile" | "quantile" | "nanpercentile" | "nanquantile") { 2 } else { 1 };
            if has_axis(call, axis_pos) {
                return match v {
                    Value::Array(a) => {
                        Value::array(Dtype::Unknown, a.ndim.map(|d| d.saturating_sub(1)).filter(|&d| d >= 1).or(None))
                    }
                    _ => Value::Unknown,
                };
            }
            if matches!(n, "percentile" | "quantile" | "nanpercentile" | "nanquantile") {
                return Value::Unknown;
            }
            if kwarg(call, "keepdims").is_some() || kwarg(call, "out").is_some() {
                return Value::Unknown;
            }
            match v {
                Value::Array(_)
                | Value::List(_)
                | Value::Tuple(_)
                | Value::Iter(_)
                | Value::ArrayScalar
                | Value::PyScalar => Value::ArrayScalar,
                _ => Value::Unknown,
            }
        }
        n if UFUNCS.contains(&n) => {
            if kwarg(call, "out").is_some() {
                return Value::Unknown;
            }
            if n == "where" && call.arguments.args.len() == 1 {
                return Value::Tuple(vec![Value::array(Dtype::Unknown, Some(1))].into());
            }
            let mut ndim: Option<Option<u8>> = None;
            let mut dtype = Dtype::Unknown;
            let mut all_scalar = true;
            for a in call.arguments.args.iter() {
                match ev.eval(a) {
                    Value::Array(info) => {
                        ndim = Some(match ndim {
                            None => info.ndim,
                            Some(prev) => prev.zip(info.ndim).map(|(x, y)| x.max(y)),
                        });
                        if info.object() {
                            dtype = Dtype::Object;
                        }
                    }
                    v if v.is_known_scalar() => {}
                    Value::List(_) => {
                        ndim = Some(None);
                    }
                    _ => all_scalar = false,
                }
            }
            match ndim {
                Some(n) => {
                    let dtype = if n.is_some() && UFUNC_BOOL.contains(&name) { Dtype::Bool } else { dtype };
                    Value::array(dtype, n)
                }
                None if all_scalar && !call.arguments.args.is_empty() => Value::ArrayScalar,
                None => Value::Unknown,
            }
        }
        // Array sources the stubs cannot say (`load` is `-> Any` there).
        "load" => Value::unknown_array(),
        "ndarray" => Value::array(dtype_arg(ev, call, 1), ndim_of_shape(ev, arg(call, 0, "shape"))),
        "memmap" => Value::array(dtype_arg(ev, call, 1), ndim_of_shape(ev, arg(call, 4, "shape"))),
        _ => stub_value(&format!("numpy.{name}"), call),
    }
}

/// What the numpy stubs say a call returns, for names without a hand-written model.
fn stub_value(q: &str, call: &ast::ExprCall) -> Value {
    let Some(r) = crate::analysis::numpy_returns::lookup(q) else {
        return Value::Unknown;
    };
    let axis = kwarg(call, "axis").is_some();
    match r.returns {
        "array" => Value::unknown_array(),
        "scalar" => Value::ArrayScalar,
        "array_or_scalar" if r.reduces && !axis && r.kind != "ufunc" => Value::ArrayScalar,
        "array_or_scalar" if r.reduces && axis => Value::unknown_array(),
        "tuple_of_arrays" if r.all == "tuple_of_arrays" => Value::iter_of(Value::unknown_array()),
        "python_scalar" if r.all == "python_scalar" => Value::PyScalar,
        "none" if r.all == "none" => Value::None,
        "generator" => Value::ExternalInstance(Arc::from("numpy.random.Generator")),
        "random_state" => Value::ExternalInstance(Arc::from("numpy.random.RandomState")),
        _ => Value::Unknown,
    }
}

const UFUNC_BOOL: &[&str] = &[
    "isnan",
    "isinf",
    "isfinite",
    "signbit",
    "logical_and",
    "logical_or",
    "logical_not",
    "logical_xor",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "equal",
    "not_equal",
    "isclose",
];

/// Position of the `size` argument of numpy random distributions (legacy functions and
/// `Generator` methods share names and positions).
fn random_size_position(m: &str) -> Option<usize> {
    Some(match m {
        "random"
        | "random_sample"
        | "ranf"
        | "sample"
        | "standard_normal"
        | "standard_exponential"
        | "standard_cauchy" => 0,
        "exponential" | "poisson" | "standard_t" | "chisquare" | "geometric" | "rayleigh" | "zipf"
        | "standard_gamma" | "power" | "pareto" | "weibull" | "logseries" | "choice" | "bytes" => 1,
        "normal"
        | "uniform"
        | "lognormal"
        | "laplace"
        | "logistic"
        | "gumbel"
        | "integers"
        | "randint"
        | "binomial"
        | "beta"
        | "gamma"
        | "negative_binomial"
        | "vonmises"
        | "f"
        | "wald"
        | "noncentral_chisquare"
        | "multivariate_normal"
        | "dirichlet"
        | "multinomial" => 2,
        "triangular" | "hypergeometric" | "noncentral_f" => 3,
        _ => return None,
    })
}

fn random_call<'a>(ev: &mut Evaluator<'a, '_, '_>, m: &str, call: &'a ast::ExprCall) -> Value {
    match m {
        "rand" | "randn" => {
            let n = call.arguments.args.len();
            if n == 0 {
                Value::PyScalar
            } else {
                let dims: Option<Vec<u64>> = call.arguments.args.iter().map(|e| literal_size(Some(e))).collect();
                let size = dims.as_ref().and_then(|d| d.iter().try_fold(1u64, |acc, &x| acc.checked_mul(x)));
                Value::shaped_array(Dtype::Numeric, Some(n as u8), size, dims.as_deref())
            }
        }
        "permutation" => Value::array(Dtype::Unknown, None),
        "shuffle" => Value::None,
        _ => match random_size_position(m) {
            Some(pos) => match arg(call, pos, "size") {
                Some(Expr::NoneLiteral(_)) | None => {
                    if m == "choice" {
                        Value::Unknown
                    } else {
                        Value::ArrayScalar
                    }
                }
                Some(e) => {
                    let ndim = ndim_of_shape(ev, Some(e));
                    Value::shaped_array(Dtype::Numeric, ndim, literal_size(Some(e)), literal_dims(Some(e)).as_deref())
                }
            },
            None => Value::Unknown,
        },
    }
}

/// Methods of external instances (`Generator`, event loops, multiprocessing contexts).
pub fn instance_method<'a>(ev: &mut Evaluator<'a, '_, '_>, q: &str, m: &str, call: &'a ast::ExprCall) -> Option<Value> {
    match q {
        "numpy.random.Generator" | "numpy.random.RandomState" => Some(match m {
            "spawn" => Value::list_of(Value::ExternalInstance(Arc::from("numpy.random.Generator"))),
            _ => random_call(ev, m, call),
        }),
        "numpy.random.SeedSequence" if m == "spawn" => {
            Some(Value::list_of(Value::ExternalInstance(Arc::from("numpy.random.SeedSequence"))))
        }
        _ if matches!(m, "get" | "get_nowait") && crate::analysis::flow::is_queue_class(q) => {
            Some(ev.cx.facts.queue_items.clone().or_unknown())
        }
        "multiprocessing.context" if m == "Pool" => {
            Some(Value::Pool(PoolKind { family: PoolFamily::MpPool, threads: false, workers: None }))
        }
        "pandas.DataFrame" => Some(match m {
            "to_numpy" => Value::unknown_array(),
            _ => Value::Unknown,
        }),
        _ => None,
    }
}

/// Methods called on an ndarray.
pub fn array_method<'a>(ev: &mut Evaluator<'a, '_, '_>, info: ArrayInfo, m: &str, call: &'a ast::ExprCall) -> Value {
    let same = Value::Array(info);
    match m {
        "copy" | "view" | "clip" | "round" | "conj" | "conjugate" | "__array__" | "byteswap" | "newbyteorder"
        | "argsort" | "transpose" | "swapaxes" => same,
        "astype" => {
            let dtype = arg(call, 0, "dtype").map_or(Dtype::Unknown, |e| dtype_of(ev, e));
            Value::array(dtype, info.ndim)
        }
        "reshape" => {
            let args = &call.arguments.args;
            let ndim = if args.len() == 1 {
                ndim_of_shape(ev, args.first())
            } else if args.is_empty() {
                None
            } else {
                Some(args.len() as u8)
            };
            Value::array(info.dtype, ndim)
        }
        "ravel" | "flatten" => Value::array(info.dtype, Some(1)),
        "squeeze" | "repeat" | "take" | "compress" | "diagonal" => Value::array(info.dtype, None),
        "cumsum" | "cumprod" => Value::array(info.dtype, if has_axis(call, 0) { info.ndim } else { Some(1) }),
        "sum" | "prod" | "mean" | "std" | "var" | "min" | "max" | "ptp" | "any" | "all" | "argmin" | "argmax" => {
            if has_axis(call, 0) {
                Value::array(Dtype::Unknown, info.ndim.map(|d| d.saturating_sub(1)).filter(|&d| d >= 1))
            } else if kwarg(call, "keepdims").is_some() || kwarg(call, "out").is_some() {
                Value::Unknown
            } else {
                Value::ArrayScalar
            }
        }
        "item" => Value::PyScalar,
        "tolist" => match info.ndim {
            Some(0) => Value::PyScalar,
            Some(1) => Value::list_of(Value::PyScalar),
            _ => Value::list_of(Value::Unknown),
        },
        "dot" => match call.arguments.args.first().map(|e| ev.eval(e)) {
            Some(Value::Array(b)) => match (info.ndim, b.ndim) {
                (Some(1), Some(1)) => Value::ArrayScalar,
                (Some(x), Some(y)) if x >= 2 && y >= 2 => Value::array(Dtype::Unknown, Some(2)),
                (Some(x), Some(y)) if x + y == 3 => Value::array(Dtype::Unknown, Some(1)),
                _ => Value::Unknown,
            },
            _ => Value::Unknown,
        },
        "nonzero" => Value::Tuple(match info.ndim {
            Some(n) => std::iter::repeat_n(Value::array(Dtype::Unknown, Some(1)), n as usize).collect(),
            None => return Value::Unknown,
        }),
        "fill" | "sort" | "resize" | "setflags" | "put" | "itemset" => Value::None,
        "tobytes" | "tostring" => Value::Unknown,
        _ => stub_value(&format!("numpy.ndarray.{m}"), call),
    }
}
