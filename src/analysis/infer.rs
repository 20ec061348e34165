//! Value inference (docs/design.md): evaluates an expression to a [`Value`] from the flow-sensitive
//! environment of the code being walked, the binder's scopes for everything else (module
//! globals, closures, class attributes, imports across modules), and the parameter facts that
//! flow in from launcher sites and callers.

use crate::analysis::library;
use crate::analysis::value::{Dtype, Partial, PoolFamily, PoolKind, Value};
use crate::project::index::{ClassId, FuncId, ProjectIndex};
use crate::project::scope::{AttrDef, BindingId, BindingKind, FuncBody, Jit, Resolved, ScopeId};
use ruff_python_ast::{self as ast, Expr, Number, Operator};
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::sync::Arc;

/// Parameter facts per function: one slot per named parameter, then one for `*args`.
pub type ParamFacts = FxHashMap<FuncId, Vec<Value>>;

/// What the whole-program value-flow pass (`crate::analysis::flow`) knows, read by every evaluator.
#[derive(Debug, Default, Clone)]
pub struct ProgramFacts {
    pub params: ParamFacts,
    /// The project's class hierarchy, computed on demand.
    pub hierarchy: std::sync::Arc<crate::analysis::flow::Hierarchy>,
    /// The join of every value put into a `queue.Queue` in the project.
    pub queue_items: Value,
    /// Project functions that hand one of their parameters to a launcher as the callable
    /// (napari's `create_worker(func, *args)` forwarding to superqt's): every call of one is a
    /// launch of what it is given there.
    pub forwarders: FxHashMap<FuncId, Forwarder>,
    /// Whether a name bound by a decorated `def` holds what the decorators return (the
    /// wrapper, as Python runs it: the call graph), or the function itself (task analysis: a
    /// wrapper that calls its argument is transparent, so each task's own function gets its
    /// arguments, not the join of every function the decorator wraps).
    pub apply_decorators: bool,
}

/// A project function that launches the callable one of its parameters holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Forwarder {
    /// The parameter (in [`crate::project::scope::FunctionInfo::params`] order).
    pub param: usize,
    pub threads: bool,
    /// The launcher it hands the callable to.
    pub launcher: String,
}

/// Evaluator cache entries after which a reused context starts afresh (bounds memory).
pub const CACHE_LIMIT: usize = 200_000;

/// A method's receiver may be an instance of any subclass: at most this many are followed.
const MAX_SUBCLASSES: usize = 24;

const MAX_DEPTH: u32 = 6;

/// A dict stored into in more places than this (a registry) holds values numgil does not
/// follow one by one.
const MAX_CONTAINER_STORES: usize = 64;

/// Memo tables shared by the evaluators of one walk (one thread).
#[derive(Default)]
pub struct EvalCache {
    bindings: FxHashMap<(u32, BindingId), Value>,
    returns: FxHashMap<FuncId, Value>,
    in_progress: FxHashSet<FuncId>,
    class_attrs: FxHashMap<(ClassId, String), Value>,
    /// What a module's stores into a dict name add (`d["k"] = f`), per (file, name).
    container_stores: FxHashMap<(u32, String), Value>,
    /// A dict name read at an offset, with the stores made before it (`overwritten_keys`).
    dict_reads: FxHashMap<(u32, String, ruff_text_size::TextSize), Value>,
    /// Whether a loop or comprehension target (by node address) is used as an array.
    loop_targets: FxHashMap<usize, bool>,
}

impl EvalCache {
    /// Entries held (bindings, returns and attributes).
    pub fn len(&self) -> usize {
        self.bindings.len()
            + self.returns.len()
            + self.class_attrs.len()
            + self.container_stores.len()
            + self.dict_reads.len()
            + self.loop_targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What every evaluator of one analysis phase shares.
pub struct Context<'a, 'p> {
    pub index: &'p ProjectIndex<'a>,
    pub facts: &'p ProgramFacts,
    pub cache: RefCell<EvalCache>,
}

impl<'a, 'p> Context<'a, 'p> {
    pub fn new(index: &'p ProjectIndex<'a>, facts: &'p ProgramFacts) -> Self {
        Context { index, facts, cache: RefCell::new(EvalCache::default()) }
    }

    /// Start a fresh cache when this one has grown past a bound (a worker reuses its context
    /// across files).
    pub fn reset_if_large(&mut self) {
        if self.cache.borrow().len() > CACHE_LIMIT {
            self.cache = RefCell::new(EvalCache::default());
        }
    }

    /// The class and its project subclasses, transitively (capped).
    pub fn with_subclasses(&self, c: ClassId) -> Vec<ClassId> {
        let mut out = vec![c];
        let mut i = 0;
        while i < out.len() && out.len() < MAX_SUBCLASSES {
            for s in self.facts.hierarchy.direct_subclasses(self, out[i]) {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            i += 1;
        }
        out
    }
}

/// A flow-sensitive frame: the values of names bound in `scope` on the current path.
#[derive(Clone, Debug)]
pub struct Frame<'a> {
    pub scope: ScopeId,
    pub vars: FxHashMap<&'a str, Value>,
}

pub struct Evaluator<'a, 'p, 'c> {
    pub cx: &'c Context<'a, 'p>,
    pub file: u32,
    /// Innermost last. Empty for flow-insensitive evaluation.
    pub frames: Vec<Frame<'a>>,
    /// The scope expressions are evaluated in when there are no frames.
    pub scope: ScopeId,
    pub depth: u32,
    /// Inside `with parallel_config(backend="threading")` (joblib).
    pub joblib_threads: bool,
    /// Values of expressions evaluated since the environment last changed, by node address.
    /// Rules and nested hooks evaluate the same sub-expressions many times.
    memo: FxHashMap<usize, Value>,
}

impl<'a, 'p, 'c> Evaluator<'a, 'p, 'c> {
    pub fn new(cx: &'c Context<'a, 'p>, file: u32, scope: ScopeId) -> Self {
        Evaluator { cx, file, frames: Vec::new(), scope, depth: 0, joblib_threads: false, memo: FxHashMap::default() }
    }

    fn index(&self) -> &'p ProjectIndex<'a> {
        self.cx.index
    }

    /// Whether `name` is a parameter of the innermost function being walked.
    pub fn is_parameter_of_walked_function(&self, name: &str) -> bool {
        let Some(frame) = self.frames.last() else { return false };
        let Some(f) = self.index().function_of_scope(self.file, frame.scope) else { return false };
        self.index().func(f).params().iter().any(|p| p.name.as_str() == name)
    }

    fn scopes(&self) -> &'p crate::project::scope::ModuleScopes<'a> {
        self.cx.index.module_scopes(self.file)
    }

    pub fn current_scope(&self) -> ScopeId {
        self.frames.last().map_or(self.scope, |f| f.scope)
    }

    /// A flow-insensitive evaluator for another place in the project.
    fn child(&self, file: u32, scope: ScopeId) -> Evaluator<'a, 'p, 'c> {
        Evaluator {
            cx: self.cx,
            file,
            frames: Vec::new(),
            scope,
            depth: self.depth + 1,
            joblib_threads: false,
            memo: FxHashMap::default(),
        }
    }

    // ----- names -------------------------------------------------------------------------

    pub fn lookup(&mut self, name: &str) -> Value {
        self.lookup_at(name, None)
    }

    /// [`Self::lookup`] of a name read at offset `at`: a read in the body that binds the name
    /// sees the last binding made unconditionally before it (`a = dec1; a = dec2; @a`), and
    /// the bindings after it (a loop may bring them round), not the ones it overwrote.
    pub fn lookup_at(&mut self, name: &str, at: Option<ruff_text_size::TextSize>) -> Value {
        let v = self.lookup_unchecked(name, at);
        match &v {
            Value::DictOf(_) => {
                let joined = self.with_container_stores(self.file, name, v);
                match at {
                    Some(at) => self.overwritten_keys(name, joined, at),
                    None => joined,
                }
            }
            // `b = [None]; b[0] = f`: the stores are elements too.
            Value::List(e) if self.scopes().container_stores.contains_key(name) => {
                let e = e.clone();
                match self.with_container_stores(self.file, name, Value::dict_of(Vec::new())) {
                    Value::DictOf(added) => Value::list_of(e.join(&added.all).or_unknown()),
                    _ => v,
                }
            }
            _ => v,
        }
    }

    /// A dict read at `at` after stores to literal keys made unconditionally in the same body
    /// (`d = {"a": f}; d["a"] = g; d["a"]()`): under such a key it holds the last of them,
    /// joined with the stores that may come after it (in branches, other functions, later).
    fn overwritten_keys(&mut self, name: &str, joined: Value, at: ruff_text_size::TextSize) -> Value {
        if !matches!(joined, Value::DictOf(_)) || self.depth > MAX_DEPTH {
            return joined;
        }
        let key = (self.file, name.to_string(), at);
        if let Some(v) = self.cx.cache.borrow().dict_reads.get(&key) {
            return v.clone();
        }
        // A store whose value reads the dict again (`d["b"] = d["a"]`) sees the join.
        self.cx.cache.borrow_mut().dict_reads.insert(key.clone(), joined.clone());
        let v = self.overwritten_keys_uncached(name, joined, at);
        self.cx.cache.borrow_mut().dict_reads.insert(key, v.clone());
        v
    }

    fn overwritten_keys_uncached(&mut self, name: &str, joined: Value, at: ruff_text_size::TextSize) -> Value {
        let Value::DictOf(info) = &joined else { return joined };
        let scope = self.current_scope();
        let Some(stores) = self.scopes().container_stores.get(name).cloned() else { return joined };
        let overwrites = |s: &crate::project::scope::ContainerStore, before: ruff_text_size::TextSize| {
            s.unconditional && s.scope == scope && s.end <= before && s.value.is_some()
        };
        let mut last: Vec<(String, usize)> = Vec::new();
        for (i, s) in stores.iter().enumerate() {
            if overwrites(s, at)
                && let Some(k) = s.key.and_then(literal_key)
            {
                match last.iter_mut().find(|(n, _)| *n == k) {
                    Some(slot) => slot.1 = i,
                    None => last.push((k, i)),
                }
            }
        }
        if last.is_empty() {
            return joined;
        }
        let mut info = (**info).clone();
        for (k, i) in last {
            let killer_end = stores[i].end;
            let mut v = Value::Unbound;
            for (j, s) in stores.iter().enumerate() {
                let same_key = s.key.and_then(literal_key).as_deref() == Some(k.as_str());
                if !same_key || (j != i && overwrites(s, killer_end)) {
                    continue;
                }
                if let Some(value) = s.value {
                    let stored = self.child(self.file, s.scope).eval(value);
                    v = v.join(&stored);
                }
            }
            if let Some(slot) = info.keyed.iter_mut().find(|(n, _)| *n == k) {
                slot.1 = v.or_unknown();
            }
        }
        Value::DictOf(Arc::new(info))
    }

    /// A dict literal joined with what the module stores into the name anywhere
    /// (`d["k"] = f`, `d.update({"k": g})`), flow-insensitively; a store numgil cannot see
    /// (`d[key] = v` with a computed key, `d.update(other)`) leaves a dict of unknown values.
    fn with_container_stores(&mut self, file: u32, name: &str, v: Value) -> Value {
        let Some(stores) = self.index().module_scopes(file).container_stores.get(name) else {
            return v;
        };
        let key = (file, name.to_string());
        if let Some(added) = self.cx.cache.borrow().container_stores.get(&key) {
            return if *added == Value::Dict { Value::Dict } else { v.join(added) };
        }
        let keys: Vec<Option<String>> = stores.iter().map(|s| s.key.and_then(literal_key)).collect();
        if self.depth > MAX_DEPTH
            || stores.len() > MAX_CONTAINER_STORES
            || stores.iter().zip(&keys).any(|(s, k)| k.is_none() || s.value.is_none())
        {
            self.cx.cache.borrow_mut().container_stores.insert(key, Value::Dict);
            return Value::Dict;
        }
        let stores = stores.clone();
        // A store that reads the dict itself (`d["b"] = d["a"]`) sees the literal only.
        self.cx.cache.borrow_mut().container_stores.insert(key.clone(), Value::dict_of(Vec::new()));
        let mut items = Vec::new();
        for (s, k) in stores.into_iter().zip(keys) {
            let Some(value) = s.value else { continue };
            let stored = self.child(file, s.scope).eval(value);
            items.push((k, stored));
        }
        let added = Value::dict_of(items);
        self.cx.cache.borrow_mut().container_stores.insert(key, added.clone());
        v.join(&added)
    }

    fn lookup_unchecked(&mut self, name: &str, at: Option<ruff_text_size::TextSize>) -> Value {
        let scope = self.current_scope();
        match self.scopes().resolve_name(scope, name) {
            Resolved::Bound(s, ids) => {
                if let Some(frame) = self.frames.iter().rev().find(|f| f.scope == s) {
                    return frame.vars.get(name).cloned().unwrap_or_default().or_unknown();
                }
                let mut ids: Vec<BindingId> = ids.to_vec();
                if s == scope {
                    // Read in the body that binds it (flow-insensitively): any binding not
                    // overwritten before the read.
                    if let Some(at) = at {
                        let scopes = self.scopes();
                        let killer = ids.iter().rposition(|&i| {
                            let b = &scopes.bindings[i as usize];
                            b.unconditional && !b.import_fallback && binding_end(b) <= at
                        });
                        if let Some(k) = killer {
                            ids.drain(..k);
                        }
                    }
                    self.all_bindings_value(self.file, &ids)
                } else {
                    self.bindings_value(self.file, &ids)
                }
            }
            Resolved::Builtin => Value::External(Arc::from(format!("builtins.{name}"))),
            Resolved::StarImported => {
                // `from pkg import *`: the name is one of the star-imported modules' globals.
                let bases = self.scopes().scopes[0].star_imports.clone();
                for base in bases {
                    let Some(m) = self.index().module_named(&base, self.file) else { continue };
                    if m == self.file || !self.index().module_scopes(m).scopes[0].bindings.contains_key(name) {
                        continue;
                    }
                    return self.module_attribute(m, name);
                }
                Value::Unknown
            }
            Resolved::Unresolved => Value::Unknown,
        }
    }

    /// The join of a name's bindings in some scope, import fallbacks dropped when others exist.
    /// The join of every binding of a name (import fallbacks dropped when others exist).
    fn all_bindings_value(&mut self, file: u32, ids: &[BindingId]) -> Value {
        self.join_bindings(file, ids, false)
    }

    /// The value of a name read from outside the body that binds it (a function reading a
    /// module global, another module's attribute, a method reading a class attribute).
    pub fn bindings_value(&mut self, file: u32, ids: &[BindingId]) -> Value {
        self.join_bindings(file, ids, true)
    }

    fn join_bindings(&mut self, file: u32, ids: &[BindingId], after_body: bool) -> Value {
        let scopes = &self.index().module_scopes(file);
        let has_primary = ids.iter().any(|&i| !scopes.bindings[i as usize].import_fallback);
        // A module or class name read from elsewhere is read after the body ran: a binding
        // that an unconditional later one overwrites (`from multiprocessing import Pool`, then
        // `class Pool:`) is not its value.
        let in_body_scope = ids.first().is_some_and(|&i| {
            let s = scopes.bindings[i as usize].scope;
            !matches!(
                scopes.scopes[s as usize].kind,
                crate::project::scope::ScopeKind::Function(_) | crate::project::scope::ScopeKind::Comprehension
            )
        });
        let last_unconditional = if in_body_scope && after_body {
            ids.iter().rposition(|&i| scopes.bindings[i as usize].unconditional).unwrap_or(0)
        } else {
            0
        };
        let ids = &ids[last_unconditional..];
        let mut acc = Value::Unbound;
        for &id in ids {
            if has_primary && scopes.bindings[id as usize].import_fallback {
                continue;
            }
            let v = self.binding_value(file, id);
            acc = acc.join(&v);
            if acc == Value::Unknown {
                break;
            }
        }
        acc.or_unknown()
    }

    pub fn binding_value(&mut self, file: u32, id: BindingId) -> Value {
        if self.depth > MAX_DEPTH {
            return Value::Unknown;
        }
        if let Some(v) = self.cx.cache.borrow().bindings.get(&(file, id)) {
            return v.clone();
        }
        // Guard against cycles (`x = f(x)`, loop-carried names) while computing: a binding
        // read while it is being computed contributes nothing (bottom), so the join of its
        // other bindings decides, as in a fixpoint started from bottom.
        self.cx.cache.borrow_mut().bindings.insert((file, id), Value::Unbound);
        let b = self.index().module_scopes(file).bindings[id as usize].clone();
        let mut ev = self.child(file, b.scope);
        let v = match &b.kind {
            BindingKind::Import(q) | BindingKind::FromImport(q) => ev.resolve_qualified(q),
            BindingKind::Function(f) => ev.function_value(FuncId { file, local: *f }),
            BindingKind::Class(c) => Value::Class(ClassId { file, local: *c }),
            BindingKind::Parameter { func, index } => ev.param_value(FuncId { file, local: *func }, *index),
            BindingKind::Assign { value, path } => project_path(ev.eval(value), path),
            BindingKind::AnnAssign { annotation, value } => {
                let declared = ev.annotation_value(annotation);
                match value {
                    Some(v) if declared == Value::Unknown => ev.eval(v),
                    _ => declared,
                }
            }
            BindingKind::AugAssign { op, value, .. } => {
                let v = ev.eval(value);
                if v.is_array() && *op != Operator::MatMult { v } else { Value::Unknown }
            }
            BindingKind::ForTarget { iter, path } => {
                let it = ev.eval(iter);
                project_path(ev.element_of(&it), path)
            }
            BindingKind::WithTarget { ctx, path } => {
                let v = ev.eval(ctx);
                project_path(enter_value(v), path)
            }
            BindingKind::Walrus { value } => ev.eval(value),
            BindingKind::Opaque => Value::Unknown,
        };
        self.cx.cache.borrow_mut().bindings.insert((file, id), v.clone());
        v
    }

    /// The value a `def` binds: the function, or what its decorators make of it, innermost
    /// first (`@dec1 @dec2 def f` binds `dec1(dec2(f))`).
    pub fn function_value(&mut self, f: FuncId) -> Value {
        let info = self.index().func(f);
        let crate::project::scope::FuncNode::Def(def) = info.node else {
            return Value::Function(f);
        };
        let scopes = self.index().module_scopes(f.file);
        for d in &def.decorator_list {
            let callee = match &d.expression {
                Expr::Call(c) => &*c.func,
                e => e,
            };
            match scopes.import_qualified_name(info.parent_scope, callee).as_deref() {
                Some("numpy.vectorize") => return Value::Vectorized,
                Some("dask.delayed" | "dask.delayed.delayed") => {
                    return Value::DelayedFn(Arc::new(Value::Function(f)));
                }
                _ => {}
            }
        }
        let mut v = Value::Function(f);
        if !self.cx.facts.apply_decorators {
            return v;
        }
        for d in def.decorator_list.iter().rev() {
            let dec = self.child(f.file, info.parent_scope).eval(&d.expression);
            v = self.apply_decorator(&dec, v);
        }
        v
    }

    /// What applying a decorator value to `v` gives: for a project function, what it returns
    /// with its first parameter bound to `v` (`return f` hands `v` back, `return wrapper` the
    /// wrapper, whose call of `f` the flow pass sees); for a project class with `__call__`, an
    /// instance. Anything else, or a decorator whose result numgil cannot tell, keeps `v`: an
    /// unknown decorator leaves the function reachable under its name.
    pub fn apply_decorator(&mut self, dec: &Value, v: Value) -> Value {
        if !self.cx.facts.apply_decorators {
            return v;
        }
        let mut out = Value::Unbound;
        for alt in dec.alternatives() {
            let r = match alt {
                Value::Function(g) => self.decorated_return(*g, v.clone()),
                Value::Class(c) if self.find_method(*c, "__call__").is_some() => Value::Instance(*c),
                _ => Value::Unknown,
            };
            let r = match r {
                Value::Unknown | Value::Unbound | Value::None => v.clone(),
                r => r,
            };
            out = out.join(&r);
        }
        match out {
            Value::Unbound | Value::Unknown => v,
            out => out,
        }
    }

    /// What a project decorator returns when `decorated` is passed as its first argument.
    fn decorated_return(&mut self, dec: FuncId, decorated: Value) -> Value {
        if self.depth > MAX_DEPTH {
            return Value::Unknown;
        }
        let info = self.index().func(dec);
        let Some(first) = info.params().first().map(|p| p.name.as_str()) else {
            return Value::Unknown;
        };
        let mut ev = self.function_evaluator(dec);
        ev.depth = self.depth + 1;
        if let Some(frame) = ev.frames.last_mut() {
            frame.vars.insert(first, decorated);
        }
        match info.body() {
            FuncBody::Expr(e) => ev.eval(e),
            FuncBody::Stmts(_) => crate::analysis::walk::returns_of(ev, dec),
        }
    }

    /// Whether `name`, read here, is bound in the function being walked (or one of its
    /// comprehensions) rather than in an enclosing scope or the module.
    pub fn is_local(&self, name: &str) -> bool {
        let scope = self.current_scope();
        match self.scopes().resolve_name(scope, name) {
            Resolved::Bound(s, _) => self.frames.iter().any(|f| f.scope == s),
            _ => false,
        }
    }

    /// A parameter's value: an annotation wins; then facts from launcher sites and task
    /// callers; `self` of a method is an instance of its class; then what pytest injects
    /// (`crate::analysis::pytest_injection`); then what the body does with it (`crate::analysis::usage`): an array
    /// of unknown rank if it is used as one.
    pub fn param_value(&mut self, func: FuncId, index: usize) -> Value {
        let v = self.declared_or_flowing_param(func, index);
        if v != Value::Unknown {
            return v;
        }
        if self.depth <= MAX_DEPTH
            && let Some(v) = crate::analysis::pytest_injection::injected(self, func, index)
            && v != Value::Unknown
        {
            return v;
        }
        if self.used_as_array(func, index) { Value::unknown_array() } else { Value::Unknown }
    }

    /// An evaluator for code in another scope (one level deeper).
    pub fn child_at(&self, file: u32, scope: ScopeId) -> Evaluator<'a, 'p, 'c> {
        self.child(file, scope)
    }

    /// Whether the body of `func` uses its parameter `index` as an array before rebinding it.
    fn used_as_array(&mut self, func: FuncId, index: usize) -> bool {
        let scopes = self.index().module_scopes(func.file);
        let Some(slot) = scopes.array_usage.get(func.local as usize) else { return false };
        let usage =
            slot.get_or_init(|| crate::analysis::usage::array_parameters(scopes, self.index().func(func)).into());
        usage.get(index).copied().unwrap_or(false)
    }

    fn declared_or_flowing_param(&mut self, func: FuncId, index: usize) -> Value {
        let info = self.index().func(func);
        let params = info.params();
        let flow = match self.cx.facts.params.get(&func).and_then(|v| v.get(index)) {
            Some(Value::Unbound) | None => Value::Unknown,
            Some(v) => v.clone(),
        };
        let Some(param) = params.get(index) else {
            // `*args`: a tuple of what the callers passed beyond the named parameters, or
            // what `*args: T` declares each of them to be.
            if flow == Value::Unknown
                && let Some(ann) =
                    info.node.parameters().and_then(|p| p.vararg.as_deref()).and_then(|v| v.annotation.as_deref())
            {
                let mut ev = self.child(func.file, info.parent_scope);
                let elem = ev.annotation_value(ann);
                if elem != Value::Unknown {
                    return Value::iter_of(elem);
                }
            }
            return flow;
        };
        if index == 0 && info.takes_self() {
            // The receiver may be an instance of any subclass: `self.method()` dispatches to
            // every override.
            let class = ClassId { file: func.file, local: info.class.unwrap_or_default() };
            return self.cx.facts.hierarchy.receiver(self.cx, class, info.is_classmethod);
        }
        if let Some(a) = &param.annotation {
            let mut ev = self.child(func.file, info.parent_scope);
            let declared = ev.annotation_value(a);
            return refine(declared, flow);
        }
        flow
    }

    /// Resolve a qualified name (`numpy.sum`, `pkg.stats.spread`): project modules and their
    /// module-level bindings (following re-exports), or something outside the project.
    pub fn resolve_qualified(&mut self, q: &str) -> Value {
        if self.depth > MAX_DEPTH {
            return Value::Unknown;
        }
        let parts: Vec<&str> = q.split('.').collect();
        if library::is_modeled(parts[0]) {
            // numgil knows these libraries' semantics: their sources, if present in the tree
            // being checked (a vendored numpy, the stdlib), must not replace that knowledge.
            return Value::External(Arc::from(q));
        }
        for k in (1..=parts.len()).rev() {
            let prefix = parts[..k].join(".");
            let Some(m) = self.index().module_named(&prefix, self.file) else {
                continue;
            };
            let mut v = Value::Module(m);
            for attr in &parts[k..] {
                v = self.attribute(v, attr);
            }
            return v;
        }
        Value::External(Arc::from(q))
    }

    // ----- annotations ---------------------------------------------------------------------

    /// The value an annotation declares (`np.ndarray`, `npt.NDArray[...]`, `ThreadPoolExecutor`,
    /// `Optional[X]`, `X | None`, a project class, or the same as a string).
    pub fn annotation_value(&mut self, ann: &'a Expr) -> Value {
        match ann {
            Expr::StringLiteral(s) => self.annotation_text(s.value.to_str()),
            Expr::BinOp(b) if b.op == Operator::BitOr => {
                let l = self.annotation_value(&b.left);
                let r = self.annotation_value(&b.right);
                match (&l, &r) {
                    (Value::None, x) | (x, Value::None) => x.clone(),
                    _ if l == r => l,
                    _ => Value::Unknown,
                }
            }
            Expr::NoneLiteral(_) => Value::None,
            Expr::Subscript(s) => {
                let base = self.eval(&s.value);
                match base.qualified() {
                    Some("typing.Optional") => self.annotation_value(&s.slice),
                    Some("typing.Union") => {
                        let Expr::Tuple(t) = &*s.slice else {
                            return Value::Unknown;
                        };
                        let mut acc = Value::Unbound;
                        for e in &t.elts {
                            acc = acc.join(&self.annotation_value(e));
                        }
                        acc.or_unknown()
                    }
                    Some("builtins.list" | "typing.List") => Value::list_of(self.annotation_value(&s.slice)),
                    // Iterables of a declared element type.
                    Some(
                        "typing.Sequence"
                        | "typing.Iterable"
                        | "typing.Iterator"
                        | "typing.Collection"
                        | "typing.MutableSequence"
                        | "typing.Set"
                        | "typing.FrozenSet"
                        | "builtins.set"
                        | "builtins.frozenset"
                        | "collections.abc.Sequence"
                        | "collections.abc.Iterable"
                        | "collections.abc.Iterator"
                        | "collections.abc.Collection"
                        | "collections.deque"
                        | "typing.Deque",
                    ) => Value::iter_of(self.annotation_value(&s.slice)),
                    // `tuple[X, ...]` (homogeneous) or `tuple[X, Y]`.
                    Some("builtins.tuple" | "typing.Tuple") => match &*s.slice {
                        Expr::Tuple(t) if t.elts.len() == 2 && matches!(t.elts[1], Expr::EllipsisLiteral(_)) => {
                            Value::iter_of(self.annotation_value(&t.elts[0]))
                        }
                        Expr::Tuple(t) => Value::Tuple(t.elts.iter().map(|e| self.annotation_value(e)).collect()),
                        e => Value::Tuple(vec![self.annotation_value(e)].into()),
                    },
                    Some(
                        "builtins.dict"
                        | "typing.Dict"
                        | "typing.Mapping"
                        | "typing.MutableMapping"
                        | "collections.abc.Mapping"
                        | "collections.abc.MutableMapping"
                        | "collections.OrderedDict"
                        | "typing.OrderedDict"
                        | "collections.defaultdict"
                        | "typing.DefaultDict",
                    ) => match &*s.slice {
                        Expr::Tuple(t) if t.elts.len() == 2 => {
                            Value::dict_of(vec![(None, self.annotation_value(&t.elts[1]))])
                        }
                        _ => Value::Dict,
                    },
                    _ => self.type_instance(&base),
                }
            }
            _ => {
                let t = self.eval(ann);
                self.type_instance(&t)
            }
        }
    }

    fn annotation_text(&mut self, text: &str) -> Value {
        let text = text.trim();
        if let Some((a, b)) = text.split_once('|') {
            let (a, b) = (a.trim(), b.trim());
            if b == "None" {
                return self.annotation_text(a);
            }
            if a == "None" {
                return self.annotation_text(b);
            }
            return Value::Unknown;
        }
        let head = text.split('[').next().unwrap_or(text).trim();
        let mut parts = head.split('.');
        let Some(first) = parts.next() else {
            return Value::Unknown;
        };
        if first.is_empty() || !first.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Value::Unknown;
        }
        let mut v = self.lookup(first);
        for p in parts {
            v = self.attribute(v, p);
        }
        if v.qualified() == Some("typing.Optional") {
            let inner = text.split_once('[').map(|(_, r)| r.trim_end_matches(']')).unwrap_or("");
            return self.annotation_text(inner);
        }
        self.type_instance(&v)
    }

    /// An instance of the type a value names.
    fn type_instance(&mut self, t: &Value) -> Value {
        match t {
            Value::Union(items) => Value::union_of(items.iter().map(|m| self.type_instance(m))),
            Value::Class(c) => Value::Instance(*c),
            Value::External(q) => library::instance_of_type(q),
            _ => Value::Unknown,
        }
    }

    // ----- attributes ----------------------------------------------------------------------

    pub fn attribute(&mut self, v: Value, attr: &str) -> Value {
        match v {
            // A member whose class defines nothing by that name adds nothing: `self.child()` in
            // a base class dispatches to the subclasses that set `self.child`.
            Value::Union(items) => join_all(items.iter().map(|m| {
                let v = self.attribute(m.clone(), attr);
                match m {
                    Value::Instance(c) | Value::Class(c) if v == Value::Unknown && self.lacks(*c, attr) => {
                        Value::Unbound
                    }
                    _ => v,
                }
            })),
            Value::External(q) => Value::External(Arc::from(format!("{q}.{attr}"))),
            Value::Module(m) => self.module_attribute(m, attr),
            Value::Array(info) => library::array_attribute(info, attr),
            Value::Instance(c) => self.instance_attribute(c, attr),
            Value::Class(c) => match self.find_method(c, attr) {
                Some(f) => Value::Function(f),
                None => self.class_level(c, attr),
            },
            Value::Unknown | Value::ExternalInstance(_) if attr == "values" => Value::unknown_array(),
            // An instance of a class of a library numgil does not model: its attributes are
            // named through the class (`ext.Cls().fun` is `ext.Cls.fun`).
            Value::ExternalInstance(q) if !library::is_modeled(q.split('.').next().unwrap_or("")) => {
                Value::External(Arc::from(format!("{q}.{attr}")))
            }
            _ => Value::Unknown,
        }
    }

    fn module_attribute(&mut self, m: u32, attr: &str) -> Value {
        let scopes = &self.index().module_scopes(m);
        if let Some(ids) = scopes.scopes[0].bindings.get(attr) {
            let ids = ids.clone();
            let v = self.child(m, 0).bindings_value(m, &ids);
            return if matches!(v, Value::DictOf(_)) { self.with_container_stores(m, attr, v) } else { v };
        }
        let sub = format!("{}.{attr}", self.index().modules[m as usize].name);
        match self.index().module_named(&sub, m) {
            Some(s) => Value::Module(s),
            None => Value::Unknown,
        }
    }

    fn instance_attribute(&mut self, c: ClassId, attr: &str) -> Value {
        if let Some(f) = self.find_method(c, attr) {
            let info = self.index().func(f);
            if info.is_static {
                return Value::Function(f);
            }
            return Value::BoundMethod(f, c);
        }
        let key = (c, attr.to_string());
        if let Some(v) = self.cx.cache.borrow().class_attrs.get(&key) {
            return v.clone();
        }
        self.cx.cache.borrow_mut().class_attrs.insert(key.clone(), Value::Unknown);
        let mut acc = Value::Unbound;
        for class in self.mro(c) {
            let defs = self.index().class(class).attrs.get(attr).cloned().unwrap_or_default();
            for d in defs {
                let v = match d {
                    AttrDef::Value { value, method } => {
                        let scope = self.index().func(FuncId { file: class.file, local: method }).scope;
                        self.child(class.file, scope).eval(value)
                    }
                    AttrDef::Annotation { annotation, scope } => {
                        self.child(class.file, scope).annotation_value(annotation)
                    }
                };
                acc = acc.join(&v);
            }
        }
        let mut v = acc.or_unknown();
        if v == Value::Unknown {
            v = self.class_level(c, attr);
        }
        self.cx.cache.borrow_mut().class_attrs.insert(key, v.clone());
        v
    }

    /// Whether nothing in the class's project ancestry defines `attr` (no method, no attribute
    /// set on `self`, no class-level name) and no base outside the project could.
    fn lacks(&mut self, c: ClassId, attr: &str) -> bool {
        if !self.external_bases(c).is_empty() {
            return false;
        }
        self.mro(c).into_iter().all(|k| {
            let info = self.index().class(k);
            let scope = &self.index().module_scopes(k.file).scopes[info.scope as usize];
            !info.methods.contains_key(attr) && !info.attrs.contains_key(attr) && !scope.bindings.contains_key(attr)
        })
    }

    /// The class whose method is being evaluated (the one a zero-argument `super()` names).
    fn enclosing_method_class(&self) -> Option<ClassId> {
        let f = self.index().function_of_scope(self.file, self.current_scope())?;
        let class = self.index().func(f).class?;
        Some(ClassId { file: self.file, local: class })
    }

    /// `super()` itself in a method of a project subclass of a pool class
    /// (`class Ctx(ThreadPoolExecutor)`, `super().submit(...)`): that pool.
    fn super_value(&mut self) -> Value {
        let Some(k) = self.enclosing_method_class() else { return Value::Unknown };
        self.external_bases(k).iter().find_map(|b| pool_constructor(b)).map_or(Value::Unknown, Value::Pool)
    }

    /// `super().name` in a method of class `K`: the first definition of `name` in `K`'s bases
    /// (in [`Self::mro`] order), bound to the same receiver. `None` when `expr` is not a
    /// zero-argument `super()` read in a method.
    fn super_attribute(&mut self, call: &'a ast::ExprCall, attr: &str) -> Option<Value> {
        let Expr::Name(n) = &*call.func else { return None };
        if n.id.as_str() != "super" || !call.arguments.is_empty() {
            return None;
        }
        if !matches!(self.scopes().resolve_name(self.current_scope(), "super"), Resolved::Builtin) {
            return None;
        }
        let k = self.enclosing_method_class()?;
        let ancestors: Vec<ClassId> = self.mro(k).into_iter().skip(1).collect();
        for base in ancestors {
            if let Some(&f) = self.index().class(base).methods.get(attr) {
                let f = FuncId { file: base.file, local: f };
                let info = self.index().func(f);
                return Some(if info.is_static { Value::Function(f) } else { Value::BoundMethod(f, k) });
            }
        }
        // Not defined in the project: the attribute of what `super()` is outside it.
        None
    }

    /// A name bound in the class body (class attributes).
    fn class_level(&mut self, c: ClassId, attr: &str) -> Value {
        let scope = self.index().class(c).scope;
        let ids = self.index().module_scopes(c.file).scopes[scope as usize].bindings.get(attr).cloned();
        match ids {
            Some(ids) => self.child(c.file, scope).bindings_value(c.file, &ids),
            None => Value::Unknown,
        }
    }

    /// The class and its project base classes, in a simple depth-first order.
    pub fn mro(&mut self, c: ClassId) -> Vec<ClassId> {
        self.ancestry(c).mro.to_vec()
    }

    /// Qualified names of external bases anywhere in the class's project ancestry.
    pub fn external_bases(&mut self, c: ClassId) -> Vec<Arc<str>> {
        self.ancestry(c).external.to_vec()
    }

    /// [`Self::mro`] and [`Self::external_bases`] of a class, evaluated once per class (bases
    /// are module-level expressions; every method lookup and dispatch asks for them).
    fn ancestry(&mut self, c: ClassId) -> Arc<crate::analysis::flow::Ancestry> {
        if let Some(a) = self.cx.facts.hierarchy.ancestry(c) {
            return a;
        }
        let mut mro = vec![c];
        let mut external = Vec::new();
        let mut i = 0;
        while i < mro.len() {
            let cur = mro[i];
            let info = self.index().class(cur);
            let bases = info.bases();
            let parent = info.parent_scope;
            for b in bases {
                match self.child(cur.file, parent).eval(b) {
                    Value::Class(bc) if mro.len() < 16 && !mro.contains(&bc) => mro.push(bc),
                    Value::External(q) => external.push(q),
                    _ => {}
                }
            }
            i += 1;
        }
        let a = Arc::new(crate::analysis::flow::Ancestry { mro: mro.into(), external: external.into() });
        self.cx.facts.hierarchy.store_ancestry(c, a.clone());
        a
    }

    /// The project methods iterating over `v` runs: `__iter__` of an instance's class, then
    /// `__next__` of what `__iter__` returns (itself, or another project instance).
    pub fn iteration_methods(&mut self, v: &Value) -> Vec<FuncId> {
        let mut out = Vec::new();
        for alt in v.alternatives() {
            let Value::Instance(c) = alt else { continue };
            let Some(iter) = self.find_method(*c, "__iter__") else { continue };
            out.push(iter);
            let it = self.return_value(iter);
            for i in it.alternatives() {
                if let Value::Instance(d) = i
                    && let Some(next) = self.find_method(*d, "__next__")
                    && !out.contains(&next)
                {
                    out.push(next);
                }
            }
        }
        out
    }

    /// What iterating over `v` yields: for a project instance, what its iterator's `__next__`
    /// returns; otherwise [`Value::element`].
    pub fn element_of(&mut self, v: &Value) -> Value {
        if !v.alternatives().iter().any(|a| matches!(a, Value::Instance(_))) {
            return v.element();
        }
        let nexts: Vec<FuncId> = self
            .iteration_methods(v)
            .into_iter()
            .filter(|f| self.index().func(*f).qualname.ends_with(".__next__"))
            .collect();
        if nexts.is_empty() {
            return v.element();
        }
        join_all(nexts.into_iter().map(|f| self.return_value(f)))
    }

    pub fn find_method(&mut self, c: ClassId, name: &str) -> Option<FuncId> {
        for class in self.mro(c) {
            if let Some(&f) = self.index().class(class).methods.get(name) {
                return Some(FuncId { file: class.file, local: f });
            }
        }
        None
    }

    // ----- expressions ---------------------------------------------------------------------

    pub fn eval(&mut self, expr: &'a Expr) -> Value {
        if self.depth > MAX_DEPTH {
            return Value::Unknown;
        }
        let key = expr as *const Expr as usize;
        if let Some(v) = self.memo.get(&key) {
            return v.clone();
        }
        let v = self.eval_uncached(expr);
        self.memo.insert(key, v.clone());
        v
    }

    /// Forget memoized values: the environment (frames, joblib context) changed.
    pub fn invalidate(&mut self) {
        if !self.memo.is_empty() {
            self.memo.clear();
        }
    }

    fn eval_uncached(&mut self, expr: &'a Expr) -> Value {
        match expr {
            Expr::Name(n) => self.lookup_at(n.id.as_str(), Some(n.range.start())),
            Expr::Attribute(a) => {
                if let Expr::Call(c) = &*a.value
                    && let Some(v) = self.super_attribute(c, a.attr.as_str())
                {
                    return v;
                }
                let v = self.eval(&a.value);
                self.attribute(v, a.attr.as_str())
            }
            Expr::Call(c) => self.eval_call(c),
            Expr::BinOp(b) => {
                let l = self.eval(&b.left);
                let r = self.eval(&b.right);
                library::binop(&l, b.op, &r)
            }
            Expr::UnaryOp(u) => {
                let v = self.eval(&u.operand);
                match u.op {
                    ast::UnaryOp::Not => Value::PyScalar,
                    _ if v.is_array() || v.is_known_scalar() => v,
                    _ => Value::Unknown,
                }
            }
            Expr::Compare(c) => {
                let mut any_array = None;
                let mut all_scalar = true;
                for (op, e) in std::iter::once((None, &*c.left))
                    .chain(c.ops.iter().zip(c.comparators.iter()).map(|(o, e)| (Some(*o), e)))
                {
                    if matches!(op, Some(ast::CmpOp::Is | ast::CmpOp::IsNot | ast::CmpOp::In | ast::CmpOp::NotIn)) {
                        return Value::PyScalar;
                    }
                    let v = self.eval(e);
                    all_scalar &= v.is_known_scalar();
                    if let Value::Array(info) = v {
                        any_array = Some(info.ndim);
                    }
                }
                match any_array {
                    Some(ndim) => Value::array(Dtype::Bool, ndim),
                    None if all_scalar => Value::PyScalar,
                    None => Value::Unknown,
                }
            }
            Expr::BoolOp(b) => {
                let mut acc = Value::Unbound;
                for v in &b.values {
                    acc = acc.join(&self.eval(v));
                }
                acc.or_unknown()
            }
            Expr::If(i) => {
                let a = self.eval(&i.body);
                let b = self.eval(&i.orelse);
                a.join(&b).or_unknown()
            }
            Expr::Subscript(s) => {
                let v = self.eval(&s.value);
                self.subscript(v, &s.slice)
            }
            Expr::List(l) => {
                let mut acc = Value::Unbound;
                for e in &l.elts {
                    if matches!(e, Expr::Starred(_)) {
                        return Value::list_of(Value::Unknown);
                    }
                    acc = acc.join(&self.eval(e));
                }
                Value::list_of(if acc == Value::Unbound { Value::Unknown } else { acc })
            }
            Expr::Tuple(t) => {
                if t.elts.iter().any(|e| matches!(e, Expr::Starred(_))) {
                    return Value::Unknown;
                }
                Value::Tuple(t.elts.iter().map(|e| self.eval(e)).collect())
            }
            Expr::ListComp(c) => Value::list_of(self.comprehension_element(c.range.start(), &c.generators, &c.elt)),
            Expr::Generator(c) => Value::iter_of(self.comprehension_element(c.range.start(), &c.generators, &c.elt)),
            Expr::SetComp(_) | Expr::Set(_) => Value::Unknown,
            Expr::Dict(d) => {
                let mut items = Vec::new();
                for item in &d.items {
                    let Some(k) = &item.key else {
                        // `{**other}`: its contents are unknown here.
                        return Value::Dict;
                    };
                    items.push((literal_key(k), self.eval(&item.value)));
                }
                Value::dict_of(items)
            }
            Expr::DictComp(c) => {
                let Some(&scope) = self.scopes().comprehension_scopes.get(&c.range.start()) else {
                    return Value::Dict;
                };
                self.push_comprehension(scope, &c.generators, &[&c.value]);
                let v = self.eval(&c.value);
                self.frames.pop();
                self.invalidate();
                Value::dict_of(vec![(None, v)])
            }
            Expr::NumberLiteral(_) | Expr::BooleanLiteral(_) => Value::PyScalar,
            Expr::StringLiteral(_) | Expr::FString(_) => Value::Str,
            Expr::NoneLiteral(_) => Value::None,
            Expr::Named(n) => self.eval(&n.value),
            Expr::Lambda(l) => match self.scopes().function_at.get(&l.range.start()) {
                Some(&f) => Value::Function(FuncId { file: self.file, local: f }),
                None => Value::Unknown,
            },
            _ => Value::Unknown,
        }
    }

    /// The element value of a comprehension, evaluated with its targets bound.
    pub fn comprehension_element(
        &mut self,
        start: ruff_text_size::TextSize,
        generators: &'a [ast::Comprehension],
        elt: &'a Expr,
    ) -> Value {
        let Some(&scope) = self.scopes().comprehension_scopes.get(&start) else {
            return Value::Unknown;
        };
        self.push_comprehension(scope, generators, &[elt]);
        let v = self.eval(elt);
        self.frames.pop();
        self.invalidate();
        v
    }

    /// Push a frame for a comprehension scope with its targets bound to iterable elements.
    /// `elts` are the element expressions, where a target's uses may show it is an array.
    pub fn push_comprehension(&mut self, scope: ScopeId, generators: &'a [ast::Comprehension], elts: &[&'a Expr]) {
        self.frames.push(Frame { scope, vars: FxHashMap::default() });
        self.invalidate();
        for g in generators {
            let it = self.eval(&g.iter);
            let elem = self.element_of(&it);
            let mut uses: Vec<&Expr> = elts.to_vec();
            uses.extend(g.ifs.iter());
            self.bind_loop_target(&g.target, elem, &uses, &[]);
        }
    }

    /// [`crate::analysis::usage::target_used_as_array`], once per target node.
    fn loop_target_used_as_array(&mut self, target: &Expr, name: &str, uses: &[&Expr], body: &[ast::Stmt]) -> bool {
        let key = target as *const Expr as usize;
        if let Some(&b) = self.cx.cache.borrow().loop_targets.get(&key) {
            return b;
        }
        let b = crate::analysis::usage::target_used_as_array(self.scopes(), self.current_scope(), name, uses, body);
        self.cx.cache.borrow_mut().loop_targets.insert(key, b);
        b
    }

    /// Bind a loop or comprehension target to the iterable's element; a plain name whose
    /// element nothing tells, used as an array in `uses` or `body`, is an array of unknown
    /// rank (`crate::analysis::usage`).
    pub fn bind_loop_target(&mut self, target: &'a Expr, elem: Value, uses: &[&Expr], body: &[ast::Stmt]) {
        if elem == Value::Unknown
            && let Expr::Name(n) = target
            && self.loop_target_used_as_array(target, n.id.as_str(), uses, body)
        {
            self.set_var(n.id.as_str(), Value::unknown_array());
            return;
        }
        self.assign(target, elem);
    }

    /// Bind an assignment target in the innermost frame (names only; tuples unpack).
    pub fn assign(&mut self, target: &'a Expr, value: Value) {
        match target {
            Expr::Name(n) => self.set_var(n.id.as_str(), value),
            Expr::Tuple(t) => self.assign_elts(&t.elts, value),
            Expr::List(l) => self.assign_elts(&l.elts, value),
            Expr::Starred(s) => self.assign(&s.value, Value::Unknown),
            _ => {}
        }
    }

    fn assign_elts(&mut self, elts: &'a [Expr], value: Value) {
        let star = elts.iter().position(|e| matches!(e, Expr::Starred(_)));
        for (i, e) in elts.iter().enumerate() {
            let step = crate::project::scope::UnpackStep::for_target(i, elts.len(), star);
            let v = value.project_step(step.encode());
            match e {
                Expr::Starred(s) => self.assign(&s.value, v),
                e => self.assign(e, v),
            }
        }
    }

    /// Set a name in the frame of the scope that binds it (walrus targets bind outward).
    pub fn set_var(&mut self, name: &'a str, value: Value) {
        let scope = self.current_scope();
        let target = match self.scopes().resolve_name(scope, name) {
            Resolved::Bound(s, _) => s,
            _ => scope,
        };
        self.invalidate();
        if let Some(frame) = self.frames.iter_mut().rev().find(|f| f.scope == target) {
            frame.vars.insert(name, value);
        }
    }

    fn subscript(&mut self, v: Value, slice: &'a Expr) -> Value {
        match v {
            Value::Array(info) => {
                let items: Vec<&Expr> = match slice {
                    Expr::Tuple(t) => t.elts.iter().collect(),
                    e => vec![e],
                };
                let mut dropped = 0u8; // dims removed by integer indices
                let mut added = 0u8;
                let mut uncertain = 0u8; // items that may or may not drop a dim
                let mut fancy = false;
                let mut slices = 0u8; // dims kept
                for item in &items {
                    match item {
                        Expr::Slice(_) => slices += 1,
                        Expr::NoneLiteral(_) => added += 1,
                        Expr::EllipsisLiteral(_) => fancy = true,
                        e => match self.eval(e) {
                            Value::PyScalar | Value::ArrayScalar => dropped += 1,
                            Value::Array(a) if a.dtype == Dtype::Bool => {
                                return Value::array(info.dtype, None);
                            }
                            Value::Array(_) | Value::List(_) => fancy = true,
                            Value::External(q) if &*q == "numpy.newaxis" => added += 1,
                            _ => uncertain += 1,
                        },
                    }
                }
                if fancy {
                    return Value::array(info.dtype, None);
                }
                let Some(ndim) = info.ndim else {
                    // Each slice (and each newaxis) keeps a dimension whatever the rank is.
                    return if dropped + uncertain == 0 || slices + added >= 1 {
                        Value::array(info.dtype, None)
                    } else {
                        Value::Unknown
                    };
                };
                let max_left = (ndim + added).saturating_sub(dropped);
                let min_left = max_left.saturating_sub(uncertain);
                if uncertain == 0 {
                    if max_left == 0 {
                        Value::ArrayScalar
                    } else {
                        let dims = info.shape.and_then(|shape| indexed_dims(shape.dims(), &items));
                        Value::shaped_array(info.dtype, Some(max_left), None, dims.as_deref())
                    }
                } else if min_left >= 1 {
                    Value::array(info.dtype, None)
                } else {
                    Value::Unknown
                }
            }
            Value::DictOf(d) => d.get(literal_key(slice).as_deref()),
            Value::List(e) => match self.eval(slice) {
                _ if matches!(slice, Expr::Slice(_)) => Value::List(e),
                Value::PyScalar => (*e).clone(),
                _ => Value::Unknown,
            },
            Value::Tuple(items) => match slice {
                Expr::NumberLiteral(ast::ExprNumberLiteral { value: Number::Int(i), .. }) => {
                    i.as_usize().and_then(|i| items.get(i).cloned()).unwrap_or_default()
                }
                _ => Value::Unknown,
            },
            Value::Str => Value::Str,
            _ => Value::Unknown,
        }
    }

    // ----- calls -----------------------------------------------------------------------------

    pub fn eval_call(&mut self, call: &'a ast::ExprCall) -> Value {
        if let Expr::Attribute(attr) = &*call.func {
            let recv = self.eval(&attr.value);
            return self.method_call(recv, attr.attr.as_str(), call);
        }
        let callee = self.eval(&call.func);
        self.call_value(&callee, call)
    }

    /// `recv.m(...)`: library models for arrays, lists and outside instances, else the
    /// attribute called. A union receiver calls the method of every member.
    fn method_call(&mut self, recv: Value, m: &str, call: &'a ast::ExprCall) -> Value {
        match &recv {
            Value::Union(items) => {
                let items = items.clone();
                return join_all(items.iter().map(|r| self.method_call(r.clone(), m, call)));
            }
            Value::Array(info) => return library::array_method(self, *info, m, call),
            Value::ExternalInstance(q) => {
                if let Some(v) = library::instance_method(self, q, m, call) {
                    return v;
                }
            }
            Value::List(e) => {
                return match m {
                    "copy" => recv.clone(),
                    "pop" => (**e).clone(),
                    _ => Value::Unknown,
                };
            }
            Value::DictOf(d) => {
                return match m {
                    "values" => Value::iter_of(d.all.clone().or_unknown()),
                    "items" => Value::iter_of(Value::Tuple(vec![Value::Unknown, d.all.clone().or_unknown()].into())),
                    "get" | "pop" | "setdefault" => {
                        let key = call.arguments.args.first().and_then(literal_key);
                        d.get(key.as_deref())
                    }
                    "copy" => recv.clone(),
                    _ => Value::Unknown,
                };
            }
            Value::Unknown if m == "to_numpy" => return Value::unknown_array(),
            _ => {}
        }
        let callee = self.attribute(recv, m);
        self.call_value(&callee, call)
    }

    pub fn call_value(&mut self, callee: &Value, call: &'a ast::ExprCall) -> Value {
        match callee {
            Value::Union(items) => {
                let items = items.clone();
                let results: Vec<Value> = items.iter().map(|c| self.call_value(c, call)).collect();
                // `p_fun(x)` where `p_fun` is `delayed(f)` on the parallel path and `f` on the
                // serial one: the delayed call is what a launcher receives, whatever `f`
                // returns.
                if results.iter().any(|r| matches!(r, Value::Delayed(_))) {
                    return Value::union_of(
                        results.into_iter().filter(|r| matches!(r, Value::Delayed(_) | Value::Array(_))),
                    );
                }
                join_all(results)
            }
            Value::External(q) => self.external_call(q, call),
            Value::Function(f) | Value::BoundMethod(f, _) => {
                let v = self.return_value(*f);
                if v.holds_pool(2) && !call.arguments.is_empty() {
                    return self.contextual_return(*f, call, matches!(callee, Value::BoundMethod(..)));
                }
                v
            }
            Value::Class(c) => Value::Instance(*c),
            Value::Partial(p) => {
                let inner = p.func.clone();
                match inner {
                    Value::Function(f) | Value::BoundMethod(f, _) => self.return_value(f),
                    _ => Value::Unknown,
                }
            }
            Value::DelayedFn(f) => {
                let (args, kwargs) = self.call_args(call);
                Value::Delayed(Arc::new(Partial { func: (**f).clone(), args, kwargs }))
            }
            _ => Value::Unknown,
        }
    }

    /// Positional and keyword argument values of a call (a starred argument ends positional
    /// knowledge: later positions are unknown).
    pub fn call_args(&mut self, call: &'a ast::ExprCall) -> (Vec<Value>, Vec<(String, Value)>) {
        (self.positional_values(&call.arguments.args), self.keyword_values(call))
    }

    /// Values of positional arguments: a starred known tuple (`f(*args)` of a wrapper's own
    /// `*args`) hands on its items; another starred value ends the list with one unknown.
    pub fn positional_values(&mut self, args: &'a [Expr]) -> Vec<Value> {
        let mut out = Vec::new();
        for a in args {
            if let Expr::Starred(s) = a {
                match self.eval(&s.value) {
                    Value::Tuple(items) => out.extend(items.iter().cloned()),
                    _ => {
                        out.push(Value::Unknown);
                        break;
                    }
                }
            } else {
                out.push(self.eval(a));
            }
        }
        out
    }

    /// Values of a call's named keyword arguments (`**kwargs` spreads are skipped).
    pub fn keyword_values(&mut self, call: &'a ast::ExprCall) -> Vec<(String, Value)> {
        call.arguments
            .keywords
            .iter()
            .filter_map(|k| k.arg.as_ref().map(|a| (a.to_string(), self.eval(&k.value))))
            .collect()
    }

    fn external_call(&mut self, q: &str, call: &'a ast::ExprCall) -> Value {
        match q {
            "functools.partial" => {
                let (mut args, kwargs) = self.call_args(call);
                if args.is_empty() {
                    return Value::Unknown;
                }
                let func = args.remove(0);
                Value::Partial(Arc::new(Partial { func, args, kwargs }))
            }
            "joblib.delayed" | "dask.delayed" | "dask.delayed.delayed" => match call.arguments.args.first() {
                Some(f) => Value::DelayedFn(Arc::new(self.eval(f))),
                None => Value::Unknown,
            },
            "joblib.Parallel" => Value::Pool(PoolKind {
                family: PoolFamily::Joblib,
                threads: self.joblib_uses_threads(call),
                workers: None,
            }),
            // A start-method context has the module's own API: `ctx.Process(target=f)`,
            // `ctx.Pool(4)`.
            "multiprocessing.get_context" | "multiprocessing.context.get_context" => {
                Value::External(Arc::from("multiprocessing"))
            }
            "builtins.super" if call.arguments.is_empty() => self.super_value(),
            _ => {
                if let Some(mut kind) = pool_constructor(q) {
                    kind.workers = stated_workers(call, kind.family);
                    return Value::Pool(kind);
                }
                library::external_call(self, q, call)
            }
        }
    }

    /// `Parallel(prefer="threads")`, `Parallel(backend="threading")`, or a plain `Parallel()`
    /// inside `with parallel_config(backend="threading")`.
    fn joblib_uses_threads(&mut self, call: &'a ast::ExprCall) -> bool {
        let mut explicit = None;
        for k in call.arguments.keywords.iter() {
            let Some(arg) = &k.arg else { continue };
            let Expr::StringLiteral(s) = &k.value else {
                continue;
            };
            match arg.as_str() {
                "backend" => explicit = Some(s.value.to_str() == "threading"),
                "prefer" if explicit.is_none() => explicit = Some(s.value.to_str() == "threads"),
                "require" if s.value.to_str() == "sharedmem" => explicit = Some(true),
                _ => {}
            }
        }
        explicit.unwrap_or(self.joblib_threads)
    }

    /// The join of a project function's return values (walked once, memoized).
    pub fn return_value(&mut self, f: FuncId) -> Value {
        if self.depth > MAX_DEPTH {
            return Value::Unknown;
        }
        if let Some(v) = self.cx.cache.borrow().returns.get(&f) {
            return v.clone();
        }
        if !self.cx.cache.borrow_mut().in_progress.insert(f) {
            // A recursive call: its other returns decide.
            return Value::Unbound;
        }
        let info = self.index().func(f);
        let v = if matches!(info.jit, Jit::Numba { .. }) {
            Value::Unknown
        } else {
            match info.body() {
                FuncBody::Expr(e) => {
                    let mut ev = self.function_evaluator(f);
                    ev.eval(e)
                }
                FuncBody::Stmts(_) => {
                    let ev = self.function_evaluator(f);
                    crate::analysis::walk::returns_of(ev, f)
                }
            }
        };
        let mut cache = self.cx.cache.borrow_mut();
        cache.in_progress.remove(&f);
        cache.returns.insert(f, v.clone());
        v
    }

    /// What a function that returns a pool returns at one call site: its parameters bound to
    /// this call's arguments (one level of call-site sensitivity), so that
    /// `parallel, p_fun, n = parallel_func(f, n_jobs)` hands back this `f` and not the join of
    /// the forty functions forty call sites pass. Only pool factories are evaluated this way:
    /// they are few, and what they return decides what a launcher runs.
    fn contextual_return(&mut self, f: FuncId, call: &'a ast::ExprCall, bound_self: bool) -> Value {
        let (args, kwargs) = self.call_args(call);
        let info = self.index().func(f);
        let params = info.params();
        let skip = usize::from(bound_self && info.takes_self());
        let mut ev = self.function_evaluator(f);
        // A factory called with joblib's own keywords (`prefer="threads"`,
        // `backend="threading"`) forwards them to the `Parallel` it builds.
        ev.joblib_threads = self.joblib_threads || self.joblib_uses_threads(call);
        if let Some(frame) = ev.frames.last_mut() {
            for (p, v) in params.iter().skip(skip).zip(args) {
                if v != Value::Unknown {
                    frame.vars.insert(p.name.as_str(), v);
                }
            }
            for (k, v) in kwargs {
                if v != Value::Unknown
                    && let Some(p) = params.iter().find(|p| p.name.as_str() == k)
                {
                    frame.vars.insert(p.name.as_str(), v);
                }
            }
        }
        crate::analysis::walk::returns_of(ev, f)
    }

    /// A flow-sensitive evaluator positioned at the start of a function's body, with its
    /// parameters bound.
    pub fn function_evaluator(&self, f: FuncId) -> Evaluator<'a, 'p, 'c> {
        let info = self.index().func(f);
        let mut ev = self.child(f.file, info.scope);
        let mut frame = Frame { scope: info.scope, vars: FxHashMap::default() };
        let params = info.params();
        for (i, p) in params.iter().enumerate() {
            let v = ev.param_value(f, i);
            frame.vars.insert(p.name.as_str(), v);
        }
        if let Some(vararg) = info.node.parameters().and_then(|p| p.vararg.as_deref()) {
            let v = ev.param_value(f, params.len());
            frame.vars.insert(vararg.name.as_str(), v);
        }
        ev.frames.push(frame);
        ev
    }
}

/// What `with X as v` binds: executors, pools and most context managers return themselves.
pub fn enter_value(v: Value) -> Value {
    match v {
        Value::Union(items) => Value::union_of(items.iter().cloned().map(enter_value)),
        Value::Pool(_) | Value::Instance(_) | Value::ExternalInstance(_) => v,
        _ => Value::Unknown,
    }
}

fn project_path(mut v: Value, path: &[u32]) -> Value {
    for &step in path {
        v = v.project_step(step);
    }
    v
}

/// Pool constructors by qualified name.
pub fn pool_constructor(q: &str) -> Option<PoolKind> {
    use PoolFamily::*;
    let (family, threads) = match q {
        "concurrent.futures.ThreadPoolExecutor" | "concurrent.futures.thread.ThreadPoolExecutor" => (Executor, true),
        "concurrent.futures.ProcessPoolExecutor" | "concurrent.futures.process.ProcessPoolExecutor" => {
            (Executor, false)
        }
        "multiprocessing.pool.ThreadPool" | "multiprocessing.dummy.Pool" => (MpPool, true),
        "multiprocessing.Pool" | "multiprocessing.pool.Pool" => (MpPool, false),
        _ if q.starts_with("multiprocessing.") && q.ends_with(".Pool") && !q.contains("dummy") => (MpPool, false),
        _ => return None,
    };
    Some(PoolKind { family, threads, workers: None })
}

/// The worker count a pool constructor call states as an integer literal: the first positional
/// argument, or `max_workers=` (executors) / `processes=` (multiprocessing pools).
fn stated_workers(call: &ast::ExprCall, family: PoolFamily) -> Option<u32> {
    let key = match family {
        PoolFamily::Executor => "max_workers",
        PoolFamily::MpPool => "processes",
        PoolFamily::Joblib => "n_jobs",
    };
    let arg = call.arguments.args.first().or_else(|| {
        call.arguments.keywords.iter().find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == key)).map(|k| &k.value)
    })?;
    match arg {
        Expr::NumberLiteral(n) => n.value.as_int()?.as_u64().and_then(|v| u32::try_from(v).ok()),
        _ => None,
    }
}

/// The join of several values (unknown when there are none).
pub fn join_all(values: impl IntoIterator<Item = Value>) -> Value {
    let mut acc = Value::Unbound;
    for v in values {
        acc = acc.join(&v);
        if acc == Value::Unknown {
            break;
        }
    }
    acc.or_unknown()
}

/// Where a binding's statement is complete: after the value of an assignment (`x = x + 1`
/// reads the earlier `x`), at the end of the bound name otherwise. Bindings whose end numgil
/// does not know (opaque ones, `for` targets, `with` targets) never overwrite for a read.
/// The axis lengths left by indexing an array of `dims` with `items` (integers, slices of
/// literal bounds, `None`), or `None` where a slice's bounds are not literals. Integer items
/// are known to be scalars here (the caller checked).
fn indexed_dims(dims: &[u64], items: &[&Expr]) -> Option<Vec<u64>> {
    let mut out = Vec::new();
    let mut axis = 0;
    for item in items {
        match item {
            Expr::NoneLiteral(_) => out.push(1),
            Expr::Slice(sl) => {
                let d = *dims.get(axis)?;
                out.push(slice_len(d, sl.lower.as_deref(), sl.upper.as_deref(), sl.step.as_deref())?);
                axis += 1;
            }
            Expr::Attribute(a) if a.attr.as_str() == "newaxis" => out.push(1),
            _ => axis += 1,
        }
    }
    out.extend_from_slice(dims.get(axis..)?);
    Some(out)
}

/// How many positions `[lower:upper:step]` picks from an axis of length `len` (Python's rules
/// for negative and out-of-range bounds); `None` unless every given bound is an int literal.
fn slice_len(len: u64, lower: Option<&Expr>, upper: Option<&Expr>, step: Option<&Expr>) -> Option<u64> {
    fn int(e: &Expr) -> Option<i64> {
        match e {
            Expr::NumberLiteral(n) => n.value.as_int()?.as_i64(),
            Expr::UnaryOp(u) if u.op == ast::UnaryOp::USub => int(&u.operand).map(|v| -v),
            _ => None,
        }
    }
    let n = i64::try_from(len).ok()?;
    let step = match step {
        Some(e) => int(e)?,
        None => 1,
    };
    if step == 0 {
        return None;
    }
    let clamp = |v: i64, lo: i64, hi: i64| v.clamp(lo, hi);
    let resolve = |v: i64, lo: i64, hi: i64| clamp(if v < 0 { v + n } else { v }, lo, hi);
    let (start, stop) = if step > 0 {
        (
            lower.map(int).map_or(Some(0), |v| v.map(|v| resolve(v, 0, n)))?,
            upper.map(int).map_or(Some(n), |v| v.map(|v| resolve(v, 0, n)))?,
        )
    } else {
        (
            lower.map(int).map_or(Some(n - 1), |v| v.map(|v| resolve(v, -1, n - 1)))?,
            upper.map(int).map_or(Some(-1), |v| v.map(|v| resolve(v, -1, n - 1)))?,
        )
    };
    let count = if step > 0 {
        if stop > start { (stop - start + step - 1) / step } else { 0 }
    } else if start > stop {
        (start - stop + (-step) - 1) / (-step)
    } else {
        0
    };
    u64::try_from(count).ok()
}

fn binding_end(b: &crate::project::scope::Binding) -> ruff_text_size::TextSize {
    use ruff_text_size::Ranged as _;
    match &b.kind {
        BindingKind::Assign { value, .. } => value.end(),
        BindingKind::AnnAssign { value: Some(v), .. } => v.end(),
        BindingKind::Import(_) | BindingKind::FromImport(_) | BindingKind::Function(_) | BindingKind::Class(_) => {
            b.range.end()
        }
        _ => ruff_text_size::TextSize::from(u32::MAX),
    }
}

/// Combine a declared (annotation) value with what flows in: the more precise fact wins, so an
/// unranked `np.ndarray` annotation never erases the rank a caller proved.
pub fn refine(declared: Value, flow: Value) -> Value {
    match (&declared, &flow) {
        (Value::Unknown, _) => flow,
        (_, Value::Unknown) => declared,
        (Value::Array(d), Value::Array(f)) => Value::Array(crate::analysis::value::ArrayInfo {
            dtype: if d.dtype == Dtype::Unknown { f.dtype } else { d.dtype },
            ndim: d.ndim.or(f.ndim),
            size: d.size.or(f.size),
            shape: d.shape.or(f.shape).filter(|s| d.ndim.or(f.ndim).is_none_or(|n| usize::from(n) == s.dims().len())),
        }),
        (Value::List(d), Value::List(f)) => Value::list_of(refine((**d).clone(), (**f).clone())),
        (Value::List(d), Value::Iter(f)) | (Value::Iter(d), Value::Iter(f) | Value::List(f)) => {
            Value::iter_of(refine((**d).clone(), (**f).clone()))
        }
        _ => declared,
    }
}

/// A dict key written as a literal (`"a"` and `1` are different keys), as text.
pub fn literal_key(e: &Expr) -> Option<String> {
    match e {
        Expr::StringLiteral(s) => Some(format!("{:?}", s.value.to_str())),
        Expr::NumberLiteral(ast::ExprNumberLiteral { value: Number::Int(i), .. }) => Some(i.to_string()),
        _ => None,
    }
}
