//! The value lattice: what numgil knows about an expression (docs/design.md). Rules fire only on
//! facts they know; `Unknown` is the top of the lattice and never fires.

use crate::project::index::{ClassId, FuncId};
use std::sync::Arc;

/// Element type of an array, as far as it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dtype {
    Unknown,
    Object,
    Numeric,
    Bool,
    Str,
}

impl Dtype {
    fn join(self, other: Dtype) -> Dtype {
        if self == other { self } else { Dtype::Unknown }
    }
}

/// Facts about an ndarray.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArrayInfo {
    pub dtype: Dtype,
    pub ndim: Option<u8>,
    /// The element count, where the code states it (`np.zeros(1000)`, `rng.random((64, 64))`,
    /// and what elementwise arithmetic keeps of it): what a finding's size is judged on.
    pub size: Option<u64>,
    /// Every axis's length, where the code states them all (`np.random.randn(2, 1000)`), so
    /// that indexing and iterating keep the size: `data[0, :]` is 1,000 elements. When known,
    /// `ndim` and `size` agree with it.
    pub shape: Option<Shape>,
}

/// The lengths of an array's axes, at most [`Shape::MAX_AXES`] of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: [u64; Shape::MAX_AXES],
    len: u8,
}

impl Shape {
    pub const MAX_AXES: usize = 4;

    pub fn new(dims: &[u64]) -> Option<Shape> {
        if dims.len() > Self::MAX_AXES {
            return None;
        }
        let mut out = [0; Self::MAX_AXES];
        out[..dims.len()].copy_from_slice(dims);
        Some(Shape { dims: out, len: dims.len() as u8 })
    }

    pub fn dims(&self) -> &[u64] {
        &self.dims[..self.len as usize]
    }

    /// The shape of `a.T`: the axes in reverse order.
    pub fn reversed(&self) -> Option<Shape> {
        let mut dims = self.dims().to_vec();
        dims.reverse();
        Shape::new(&dims)
    }

    /// The shape of `a.mT`: the last two axes swapped (unknown below two axes).
    pub fn last_two_swapped(&self) -> Option<Shape> {
        let mut dims = self.dims().to_vec();
        let n = dims.len();
        if n < 2 {
            return None;
        }
        dims.swap(n - 1, n - 2);
        Shape::new(&dims)
    }

    pub fn size(&self) -> Option<u64> {
        self.dims().iter().try_fold(1u64, |acc, &d| acc.checked_mul(d))
    }
}

impl ArrayInfo {
    pub const UNKNOWN: ArrayInfo = ArrayInfo { dtype: Dtype::Unknown, ndim: None, size: None, shape: None };

    pub fn with_ndim(ndim: Option<u8>) -> Self {
        ArrayInfo { dtype: Dtype::Unknown, ndim, size: None, shape: None }
    }

    /// An array whose every axis length is known.
    pub fn shaped(dtype: Dtype, shape: Shape) -> Self {
        ArrayInfo { dtype, ndim: Some(shape.len), size: shape.size(), shape: Some(shape) }
    }

    fn join(self, other: ArrayInfo) -> ArrayInfo {
        ArrayInfo {
            dtype: self.dtype.join(other.dtype),
            ndim: if self.ndim == other.ndim { self.ndim } else { None },
            size: if self.size == other.size { self.size } else { None },
            shape: if self.shape == other.shape { self.shape } else { None },
        }
    }
}

/// The kind of pool a receiver is, and whether it runs tasks in threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolFamily {
    /// `concurrent.futures` executors: `submit`, `map`.
    Executor,
    /// `multiprocessing` pools: `map`, `imap`, `starmap`, `apply`, ...
    MpPool,
    /// `joblib.Parallel(...)`, called with `delayed(f)(...)` items.
    Joblib,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PoolKind {
    pub family: PoolFamily,
    pub threads: bool,
    /// The worker count when the constructor states it as a literal (`ThreadPoolExecutor(1)`,
    /// `Pool(processes=4)`).
    pub workers: Option<u32>,
}

/// A value that a launcher or a call can run: a function plus arguments bound to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    pub func: Value,
    pub args: Vec<Value>,
    pub kwargs: Vec<(String, Value)>,
}

/// What is known about a Python value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Nothing is known. Never fires a rule.
    #[default]
    Unknown,
    /// Not bound on this path (bottom of the lattice).
    Unbound,
    None,
    Array(ArrayInfo),
    /// A numpy scalar (`a.max()`, `np.sum(a)`, `a[0]` of a 1-D array).
    ArrayScalar,
    /// A Python int/float/bool/complex.
    PyScalar,
    Str,
    /// A Python list whose elements are all described by the inner value.
    List(Arc<Value>),
    Tuple(Arc<[Value]>),
    /// Any other iterable (generator, `range`, `zip`, ...): its elements.
    Iter(Arc<Value>),
    /// A dict whose contents are not known.
    Dict,
    /// A dict with known contents: the values under literal keys, and the join of all values.
    DictOf(Arc<DictInfo>),
    /// Something outside the project, by qualified name (`numpy.sum`, `builtins.sum`, `numpy`).
    External(Arc<str>),
    /// An instance of a class outside the project, by qualified name.
    ExternalInstance(Arc<str>),
    /// A module of the project (by file index).
    Module(u32),
    Function(FuncId),
    /// A method bound to its instance: the first parameter is already supplied.
    BoundMethod(FuncId, ClassId),
    Partial(Arc<Partial>),
    Class(ClassId),
    Instance(ClassId),
    Pool(PoolKind),
    /// `joblib.delayed(f)`.
    DelayedFn(Arc<Value>),
    /// The result of `np.vectorize(f)` / `np.frompyfunc(f, ...)` (or a def decorated with
    /// `@np.vectorize`): calling it runs a Python function per element.
    Vectorized,
    /// `joblib.delayed(f)(args...)`.
    Delayed(Arc<Partial>),
    /// One of several objects: a name bound to different functions, classes, instances or
    /// pools on different paths (`if`/`else`, `try`/`except ImportError`), or `self` in a
    /// method of a class with subclasses. Calls and attribute reads apply to every member.
    /// Never contains an array or another union.
    Union(Arc<[Value]>),
}

/// What a dict holds: values under literal keys (`"a"`, `1`, kept apart as PyCG does) and the
/// join of every value (for other keys, `.values()`, `.items()`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DictInfo {
    pub keyed: Vec<(String, Value)>,
    pub all: Value,
}

impl DictInfo {
    /// The value under a literal key, else the join of all values.
    pub fn get(&self, key: Option<&str>) -> Value {
        key.and_then(|k| self.keyed.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            .unwrap_or_else(|| self.all.clone())
            .or_unknown()
    }
}

/// A union with more members than this is treated as unknown.
pub const MAX_UNION: usize = 32;

impl Value {
    pub fn external(q: &str) -> Value {
        Value::External(Arc::from(q))
    }

    pub fn array(dtype: Dtype, ndim: Option<u8>) -> Value {
        Value::Array(ArrayInfo { dtype, ndim, size: None, shape: None })
    }

    /// An array whose element count is known.
    pub fn sized_array(dtype: Dtype, ndim: Option<u8>, size: Option<u64>) -> Value {
        Value::Array(ArrayInfo { dtype, ndim, size, shape: None })
    }

    /// An array of these axis lengths where they are all known (else of this rank and size).
    pub fn shaped_array(dtype: Dtype, ndim: Option<u8>, size: Option<u64>, dims: Option<&[u64]>) -> Value {
        match dims.and_then(Shape::new) {
            Some(shape) if ndim.is_none_or(|n| n == shape.len) => Value::Array(ArrayInfo::shaped(dtype, shape)),
            _ => Value::sized_array(dtype, ndim, size),
        }
    }

    pub fn unknown_array() -> Value {
        Value::Array(ArrayInfo::UNKNOWN)
    }

    pub fn list_of(v: Value) -> Value {
        Value::List(Arc::new(v))
    }

    pub fn iter_of(v: Value) -> Value {
        Value::Iter(Arc::new(v))
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }

    pub fn as_array(&self) -> Option<ArrayInfo> {
        match self {
            Value::Array(a) => Some(*a),
            _ => None,
        }
    }

    pub fn is_known_scalar(&self) -> bool {
        matches!(self, Value::ArrayScalar | Value::PyScalar)
    }

    /// The qualified name when the value is something outside the project.
    pub fn qualified(&self) -> Option<&str> {
        match self {
            Value::External(q) => Some(q),
            _ => None,
        }
    }

    /// Values that are objects a union can hold (callables, classes, instances, pools,
    /// modules, things outside the project).
    pub fn is_object(&self) -> bool {
        matches!(
            self,
            Value::Function(_)
                | Value::BoundMethod(..)
                | Value::Partial(_)
                | Value::Class(_)
                | Value::Instance(_)
                | Value::Pool(_)
                | Value::External(_)
                | Value::ExternalInstance(_)
                | Value::Module(_)
                | Value::DelayedFn(_)
                | Value::Delayed(_)
                | Value::Vectorized
                | Value::Union(_)
        )
    }

    /// Whether the value may be a pool, or a tuple or list holding one (`depth` levels down).
    pub fn holds_pool(&self, depth: u32) -> bool {
        self.alternatives().iter().any(|a| match a {
            Value::Pool(_) => true,
            Value::Tuple(items) if depth > 0 => items.iter().any(|i| i.holds_pool(depth - 1)),
            Value::List(item) | Value::Iter(item) if depth > 0 => item.holds_pool(depth - 1),
            _ => false,
        })
    }

    /// The possible objects: a union's members, or the value itself.
    pub fn alternatives(&self) -> &[Value] {
        match self {
            Value::Union(items) => items,
            v => std::slice::from_ref(v),
        }
    }

    /// A union of objects (flattened, deduplicated; one member is itself; too many is unknown).
    pub fn union_of(items: impl IntoIterator<Item = Value>) -> Value {
        let mut out: Vec<Value> = Vec::new();
        for v in items {
            for m in v.alternatives() {
                if !out.contains(m) {
                    out.push(m.clone());
                }
            }
        }
        match out.len() {
            0 => Value::Unknown,
            1 => out.pop().unwrap_or_default(),
            n if n > MAX_UNION => Value::Unknown,
            _ => Value::Union(out.into()),
        }
    }

    /// Least upper bound. `Unbound` is bottom, `Unknown` is top; `None` joins away, because a
    /// value that is sometimes `None` and is then used as an array must be an array there.
    pub fn join(&self, other: &Value) -> Value {
        use Value::*;
        match (self, other) {
            (Unbound, x) | (x, Unbound) => x.clone(),
            (None, None) => None,
            // An object that is sometimes `None` and then used is the object there. Not for
            // names like a dtype, where `None` is a meaningful alternative.
            (None, x) | (x, None) => match x {
                Array(_) | Instance(_) | ExternalInstance(_) | Pool(_) | List(_) | Function(_) | BoundMethod(..)
                | Partial(_) | Class(_) | Union(_) => x.clone(),
                _ => Unknown,
            },
            (Array(a), Array(b)) => Array(a.join(*b)),
            (List(a), List(b)) => List(Arc::new(a.join(b))),
            (Iter(a), Iter(b)) | (List(a), Iter(b)) | (Iter(a), List(b)) => Iter(Arc::new(a.join(b))),
            (Tuple(a), Tuple(b)) if a.len() == b.len() => {
                Tuple(a.iter().zip(b.iter()).map(|(x, y)| x.join(y)).collect())
            }
            // `*args` packed at call sites of different arity: positions all sites pass keep
            // their join; the others are unknown.
            (Tuple(a), Tuple(b)) => {
                let n = a.len().max(b.len());
                Tuple(
                    (0..n)
                        .map(|i| match (a.get(i), b.get(i)) {
                            (Some(x), Some(y)) => x.join(y),
                            _ => Unknown,
                        })
                        .collect(),
                )
            }
            (a, b) if a == b => a.clone(),
            (ArrayScalar, PyScalar) | (PyScalar, ArrayScalar) => PyScalar,
            (DictOf(a), DictOf(b)) => {
                let mut keyed = a.keyed.clone();
                for (k, v) in &b.keyed {
                    if let Some((_, w)) = keyed.iter_mut().find(|(n, _)| n == k) {
                        *w = w.join(v);
                    } else {
                        keyed.push((k.clone(), v.clone()));
                    }
                }
                DictOf(Arc::new(DictInfo { keyed, all: a.all.join(&b.all) }))
            }
            (a, b) if a.is_object() && b.is_object() => Value::union_of([a.clone(), b.clone()]),
            // `p_fun(x)` where `p_fun` is the function itself on the serial path and
            // `delayed(f)` on the parallel one: the launcher needs the delayed call.
            (Array(_), Delayed(_)) | (Delayed(_), Array(_)) => Value::union_of([self.clone(), other.clone()]),
            // A launcher is a call on what *may* be a pool: `self.pool` set to a
            // `multiprocessing.Pool` in one method and to an unknown object in another still
            // launches on that pool.
            (Unknown, Pool(_)) => other.clone(),
            (Pool(_), Unknown) => self.clone(),
            _ => Unknown,
        }
    }

    /// What iterating over the value yields.
    pub fn element(&self) -> Value {
        match self {
            Value::List(e) | Value::Iter(e) => (**e).clone(),
            Value::Tuple(items) => items.iter().fold(Value::Unbound, |acc, v| acc.join(v)).or_unknown(),
            Value::Array(info) => match (info.ndim, info.shape) {
                (Some(1), _) => Value::ArrayScalar,
                // A row of a known shape keeps the rest of it.
                (Some(n), Some(shape)) if n > 1 => {
                    Value::shaped_array(info.dtype, Some(n - 1), None, Some(&shape.dims()[1..]))
                }
                (Some(n), _) if n > 1 => Value::array(info.dtype, Some(n - 1)),
                _ => Value::Unknown,
            },
            Value::Str => Value::Str,
            _ => Value::Unknown,
        }
    }

    /// A dict of values, one per literal key.
    pub fn dict_of(items: Vec<(Option<String>, Value)>) -> Value {
        let mut info = DictInfo { keyed: Vec::new(), all: Value::Unbound };
        for (k, v) in items {
            info.all = info.all.join(&v);
            if let Some(k) = k {
                match info.keyed.iter_mut().find(|(n, _)| *n == k) {
                    Some((_, w)) => *w = v,
                    None => info.keyed.push((k, v)),
                }
            }
        }
        Value::DictOf(Arc::new(info))
    }

    /// `Unbound` read as a value is unknown.
    pub fn or_unknown(self) -> Value {
        if self == Value::Unbound { Value::Unknown } else { self }
    }

    /// Project a tuple-unpacking path (`a, (b, c) = ...`) onto the value.
    pub fn project(&self, index: usize) -> Value {
        match self {
            Value::Tuple(items) => items.get(index).cloned().unwrap_or_default(),
            Value::List(e) => (**e).clone(),
            other => other.element(),
        }
    }

    /// One step of an unpacking path ([`crate::project::scope::UnpackStep`]): a position, a position counted from
    /// the end (targets after a starred one), or the starred target itself (a list of what is
    /// left between the targets before and after it).
    pub fn project_step(&self, step: u32) -> Value {
        match crate::project::scope::UnpackStep::decode(step) {
            crate::project::scope::UnpackStep::At(i) => self.project(i),
            crate::project::scope::UnpackStep::FromEnd(j) => match self {
                Value::Tuple(items) if j < items.len() => items[items.len() - 1 - j].clone(),
                Value::Tuple(_) => Value::Unknown,
                other => other.project(0),
            },
            crate::project::scope::UnpackStep::Rest { before, after } => match self {
                Value::Tuple(items) if before + after <= items.len() => Value::list_of(
                    items[before..items.len() - after].iter().fold(Value::Unbound, |acc, v| acc.join(v)).or_unknown(),
                ),
                Value::Tuple(_) => Value::Unknown,
                Value::List(_) => self.clone(),
                other => Value::list_of(other.element()),
            },
        }
    }
}
