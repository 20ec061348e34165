//! The binder: one pass over a module that records every scope and every binding form that can
//! shadow or rebind a name (imports, defs, classes, parameters, assignments, loop/with/except/
//! walrus/match targets, comprehension and lambda scopes, `global`/`nonlocal`). Name resolution
//! (`resolve_name`) follows Python's rules over these scopes; value inference builds on it.

use ruff_python_ast::{self as ast, Expr, Pattern, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::{FxHashMap, FxHashSet};

pub type ScopeId = u32;
pub type BindingId = u32;
/// Index of a function (def or lambda) within its module.
pub type LocalFunc = u32;
/// Index of a class within its module.
pub type LocalClass = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Class(LocalClass),
    Function(LocalFunc),
    Comprehension,
}

#[derive(Debug)]
pub struct Scope<'a> {
    pub kind: ScopeKind,
    pub parent: Option<ScopeId>,
    pub bindings: FxHashMap<&'a str, BindingIds>,
    pub globals: FxHashSet<&'a str>,
    pub nonlocals: FxHashSet<&'a str>,
    /// Modules star-imported into this scope (`from numpy import *`).
    pub star_imports: Vec<String>,
}

/// The bindings of one name in one scope, in source order. Most names are bound once: one id
/// is held inline, so a scope's table costs no allocation per name (about a tenth of the
/// memory a whole-project analysis holds is these tables).
#[derive(Debug, Clone)]
pub enum BindingIds {
    One([BindingId; 1]),
    Many(Vec<BindingId>),
}

impl BindingIds {
    fn push(&mut self, id: BindingId) {
        match self {
            BindingIds::One([first]) => *self = BindingIds::Many(vec![*first, id]),
            BindingIds::Many(ids) => ids.push(id),
        }
    }
}

impl std::ops::Deref for BindingIds {
    type Target = [BindingId];
    fn deref(&self) -> &[BindingId] {
        match self {
            BindingIds::One(id) => id,
            BindingIds::Many(ids) => ids,
        }
    }
}

/// One store into a container: `d[key] = value`, or a key of `d.update({...})`. `None` for a
/// key or a value numgil cannot see (`d.update(other)`, a
/// nested `d["a"]["b"] = v`, `d[k] += v`).
#[derive(Debug, Clone, Copy)]
pub struct ContainerStore<'a> {
    pub scope: ScopeId,
    pub key: Option<&'a Expr>,
    pub value: Option<&'a Expr>,
    /// Made by a statement of the scope's own body (not inside `if`, `for`, `try`, ...).
    pub unconditional: bool,
    /// Where the store is complete.
    pub end: TextSize,
}

/// A step of the path from an unpacked value to one target (`a, *b, c = v`), packed in a
/// `u32` for the binder's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnpackStep {
    /// The target at this position.
    At(usize),
    /// A target after a starred one: this many places from the end.
    FromEnd(usize),
    /// The starred target: what lies between `before` targets and `after` targets.
    Rest { before: usize, after: usize },
}

impl UnpackStep {
    const FROM_END: u32 = 1 << 31;
    const REST: u32 = 1 << 30;

    pub fn encode(self) -> u32 {
        match self {
            UnpackStep::At(i) => (i as u32) & 0x3fff_ffff,
            UnpackStep::FromEnd(j) => Self::FROM_END | ((j as u32) & 0x3fff_ffff),
            UnpackStep::Rest { before, after } => {
                Self::REST | (((before as u32) & 0x7fff) << 15) | ((after as u32) & 0x7fff)
            }
        }
    }

    pub fn decode(step: u32) -> UnpackStep {
        if step & Self::FROM_END != 0 {
            UnpackStep::FromEnd((step & 0x3fff_ffff) as usize)
        } else if step & Self::REST != 0 {
            UnpackStep::Rest { before: ((step >> 15) & 0x7fff) as usize, after: (step & 0x7fff) as usize }
        } else {
            UnpackStep::At(step as usize)
        }
    }

    /// The step for target `i` of `n` targets, the starred one (if any) at `star`.
    pub fn for_target(i: usize, n: usize, star: Option<usize>) -> UnpackStep {
        match star {
            Some(k) if i == k => UnpackStep::Rest { before: k, after: n - 1 - k },
            Some(k) if i > k => UnpackStep::FromEnd(n - 1 - i),
            _ => UnpackStep::At(i),
        }
    }
}

/// How a name got its value.
#[derive(Debug, Clone)]
pub enum BindingKind<'a> {
    /// `import numpy as np` (qualified name `numpy`); `import a.b` binds `a` to `a`.
    Import(String),
    /// `from numpy import sum as npsum` (qualified name `numpy.sum`), relative imports resolved.
    FromImport(String),
    Function(LocalFunc),
    Class(LocalClass),
    Parameter {
        func: LocalFunc,
        index: usize,
    },
    /// `x = value`, with a tuple-unpacking path.
    Assign {
        value: &'a Expr,
        path: Box<[u32]>,
    },
    AnnAssign {
        annotation: &'a Expr,
        value: Option<&'a Expr>,
    },
    AugAssign {
        target: &'a ast::ExprName,
        op: ast::Operator,
        value: &'a Expr,
    },
    /// `for x in iter` and comprehension targets: an element of `iter`.
    ForTarget {
        iter: &'a Expr,
        path: Box<[u32]>,
    },
    /// `with ctx as x`.
    WithTarget {
        ctx: &'a Expr,
        path: Box<[u32]>,
    },
    Walrus {
        value: &'a Expr,
    },
    /// Except-handler names, match captures, type parameters, deletions: nothing known.
    Opaque,
}

#[derive(Debug, Clone)]
pub struct Binding<'a> {
    pub name: &'a str,
    pub range: TextRange,
    pub kind: BindingKind<'a>,
    pub scope: ScopeId,
    /// Bound inside `except ImportError:`: a fallback that other bindings take precedence over.
    pub import_fallback: bool,
    /// Bound by a statement of the scope's own body, not inside `if`, `for`, `while`, `try` or
    /// `match`: every later read (after the body ran) sees this binding or a later one.
    pub unconditional: bool,
}

#[derive(Debug, Clone, Copy)]
pub enum FuncNode<'a> {
    Def(&'a ast::StmtFunctionDef),
    Lambda(&'a ast::ExprLambda),
}

impl<'a> FuncNode<'a> {
    pub fn parameters(&self) -> Option<&'a ast::Parameters> {
        match self {
            FuncNode::Def(f) => Some(&f.parameters),
            FuncNode::Lambda(l) => l.parameters.as_deref(),
        }
    }

    pub fn range(&self) -> TextRange {
        match self {
            FuncNode::Def(f) => f.range,
            FuncNode::Lambda(l) => l.range,
        }
    }

    /// Where a function is named in reports: its name for a def, the keyword for a lambda.
    pub fn name_range(&self) -> TextRange {
        match self {
            FuncNode::Def(f) => f.name.range(),
            FuncNode::Lambda(l) => TextRange::at(l.range.start(), TextSize::from(6)),
        }
    }
}

/// numba compilation, from decorators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jit {
    None,
    /// `@njit`, `@jit`, `@vectorize`, ...: compiled, never flagged; `nogil` when it releases
    /// the GIL.
    Numba {
        nogil: bool,
        /// Compiled to machine code that could drop the GIL (`@njit`, `@jit` in nopython
        /// mode, numba's default since 0.59), not object mode (`forceobj=True`,
        /// `nopython=False`) nor a ufunc, GPU or C-callback decorator.
        nopython_jit: bool,
        /// The decorator expression.
        decorator: TextRange,
    },
}

#[derive(Debug)]
pub struct FunctionInfo<'a> {
    pub node: FuncNode<'a>,
    pub scope: ScopeId,
    pub parent_scope: ScopeId,
    /// Dotted path inside the module: `Worker.run`, `outer.inner`, `task.<lambda>`.
    pub qualname: String,
    /// Set when this is a method defined directly in a class body.
    pub class: Option<LocalClass>,
    pub jit: Jit,
    pub is_static: bool,
    pub is_classmethod: bool,
}

impl<'a> FunctionInfo<'a> {
    /// Parameters in positional order (positional-only, then regular), then keyword-only.
    pub fn params(&self) -> Vec<&'a ast::Parameter> {
        let Some(p) = self.node.parameters() else {
            return Vec::new();
        };
        p.posonlyargs.iter().chain(p.args.iter()).chain(p.kwonlyargs.iter()).map(|p| &p.parameter).collect()
    }

    /// Whether the function takes `*args`.
    pub fn has_vararg(&self) -> bool {
        self.node.parameters().is_some_and(|p| p.vararg.is_some())
    }

    pub fn positional_count(&self) -> usize {
        self.node.parameters().map_or(0, |p| p.posonlyargs.len() + p.args.len())
    }

    pub fn body(&self) -> FuncBody<'a> {
        match self.node {
            FuncNode::Def(f) => FuncBody::Stmts(&f.body),
            FuncNode::Lambda(l) => FuncBody::Expr(&l.body),
        }
    }

    /// Whether calls through an instance pass the instance as the first argument.
    pub fn takes_self(&self) -> bool {
        self.class.is_some() && !self.is_static
    }
}

pub enum FuncBody<'a> {
    Stmts(&'a [Stmt]),
    Expr(&'a Expr),
}

/// An attribute assigned on `self` in a method (`self.buf = np.zeros(n)`), or annotated in the
/// class body.
#[derive(Debug, Clone, Copy)]
pub enum AttrDef<'a> {
    Value { value: &'a Expr, method: LocalFunc },
    Annotation { annotation: &'a Expr, scope: ScopeId },
}

#[derive(Debug)]
pub struct ClassInfo<'a> {
    pub node: &'a ast::StmtClassDef,
    pub scope: ScopeId,
    pub parent_scope: ScopeId,
    pub qualname: String,
    pub methods: FxHashMap<&'a str, LocalFunc>,
    pub attrs: FxHashMap<&'a str, Vec<AttrDef<'a>>>,
}

impl<'a> ClassInfo<'a> {
    pub fn bases(&self) -> &'a [Expr] {
        self.node.arguments.as_deref().map_or(&[], |a| &a.args)
    }
}

/// Everything the binder learned about one module.
#[derive(Debug)]
pub struct ModuleScopes<'a> {
    /// Per function: which of its parameters the body uses as arrays (filled by the analysis stage),
    /// computed on first use and shared by every evaluator.
    pub array_usage: Vec<std::sync::OnceLock<Box<[bool]>>>,
    pub scopes: Vec<Scope<'a>>,
    pub bindings: Vec<Binding<'a>>,
    pub functions: Vec<FunctionInfo<'a>>,
    pub classes: Vec<ClassInfo<'a>>,
    /// Start offset of a comprehension node → its scope.
    pub comprehension_scopes: FxHashMap<TextSize, ScopeId>,
    /// Start offset of a def or lambda node → its function.
    pub function_at: FxHashMap<TextSize, LocalFunc>,
    /// Start offset of a class node → its class.
    pub class_at: FxHashMap<TextSize, LocalClass>,
    /// Names stored into by subscript (`d["k"] = v`) or `.update(...)` anywhere in the module,
    /// with what was stored: their dict literal is not all they hold.
    pub container_stores: FxHashMap<&'a str, Vec<ContainerStore<'a>>>,
}

pub const MODULE_SCOPE: ScopeId = 0;

/// The result of looking a name up from a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved<'s> {
    /// Bound in this scope, by these bindings.
    Bound(ScopeId, &'s [BindingId]),
    /// Not bound anywhere; a Python builtin.
    Builtin,
    /// Not bound, but a star import may provide it.
    StarImported,
    Unresolved,
}

impl<'a> ModuleScopes<'a> {
    pub fn build(body: &'a [Stmt], module: &str, is_package: bool) -> Self {
        let mut b = Binder {
            out: ModuleScopes {
                scopes: vec![Scope {
                    kind: ScopeKind::Module,
                    parent: None,
                    bindings: FxHashMap::default(),
                    globals: FxHashSet::default(),
                    nonlocals: FxHashSet::default(),
                    star_imports: Vec::new(),
                }],
                bindings: Vec::new(),
                functions: Vec::new(),
                classes: Vec::new(),
                comprehension_scopes: FxHashMap::default(),
                function_at: FxHashMap::default(),
                class_at: FxHashMap::default(),
                container_stores: FxHashMap::default(),
                array_usage: Vec::new(),
            },
            scope: MODULE_SCOPE,
            module: module.to_string(),
            is_package,
            fallback_depth: 0,
            branch_depth: 0,
            qualprefix: Vec::new(),
        };
        b.body(body);
        let mut out = b.out;
        out.array_usage = (0..out.functions.len()).map(|_| std::sync::OnceLock::new()).collect();
        for i in 0..out.functions.len() {
            if let FuncNode::Def(f) = out.functions[i].node {
                let jit = out.numba_jit(out.functions[i].parent_scope, &f.decorator_list);
                out.functions[i].jit = jit;
            }
        }
        out
    }

    /// The qualified name a plain name refers to through imports alone.
    pub fn import_qualified_by_name(&self, scope: ScopeId, name: &str) -> Option<String> {
        match self.resolve_name(scope, name) {
            Resolved::Bound(_, ids) => {
                let mut found: Option<&str> = None;
                for &id in ids {
                    let b = &self.bindings[id as usize];
                    let q = match &b.kind {
                        BindingKind::Import(q) | BindingKind::FromImport(q) => q.as_str(),
                        _ if b.import_fallback => continue,
                        _ => return None,
                    };
                    if found.is_some_and(|f| f != q) {
                        return None;
                    }
                    found = Some(q);
                }
                found.map(str::to_string)
            }
            Resolved::Builtin => Some(format!("builtins.{name}")),
            _ => None,
        }
    }

    /// The qualified name an expression refers to through imports alone (`np.random.seed` →
    /// `numpy.random.seed`), when every binding on the way is one unambiguous import.
    pub fn import_qualified_name(&self, scope: ScopeId, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(n) => self.import_qualified_by_name(scope, n.id.as_str()),
            Expr::Attribute(a) => {
                let base = self.import_qualified_name(scope, &a.value)?;
                Some(format!("{base}.{}", a.attr.as_str()))
            }
            _ => None,
        }
    }

    /// numba compilation from a def's decorators, resolved through imports.
    fn numba_jit(&self, scope: ScopeId, decorators: &[ast::Decorator]) -> Jit {
        for d in decorators {
            let (callee, call) = match &d.expression {
                Expr::Call(c) => (&*c.func, Some(c)),
                e => (e, None),
            };
            let Some(q) = self.import_qualified_name(scope, callee) else {
                continue;
            };
            if !q.starts_with("numba.") {
                continue;
            }
            let flag = |name: &str| -> Option<bool> {
                call?.arguments.keywords.iter().find_map(|k| {
                    if k.arg.as_ref().is_none_or(|a| a.as_str() != name) {
                        return None;
                    }
                    match &k.value {
                        Expr::BooleanLiteral(b) => Some(b.value),
                        // A computed flag (`nogil=NOGIL`): numgil cannot tell.
                        _ => Some(name == "nogil"),
                    }
                })
            };
            let nogil = flag("nogil") == Some(true);
            let nopython_jit = match q.as_str() {
                "numba.njit" | "numba.decorators.njit" => true,
                "numba.jit" | "numba.decorators.jit" => {
                    flag("forceobj") != Some(true) && flag("nopython") != Some(false)
                }
                _ => false,
            };
            return Jit::Numba { nogil, nopython_jit, decorator: d.expression.range() };
        }
        Jit::None
    }

    /// Python's name lookup from `scope`: class scopes are skipped for nested code, `global` and
    /// `nonlocal` redirect, and a name bound nowhere is a builtin if it is one.
    pub fn resolve_name(&self, mut scope: ScopeId, name: &str) -> Resolved<'_> {
        let mut first = true;
        loop {
            let s = &self.scopes[scope as usize];
            let skip_class = matches!(s.kind, ScopeKind::Class(_)) && !first;
            if !skip_class {
                // `global NAME` at module level declares the module's own name: already here.
                if s.globals.contains(name) && scope != MODULE_SCOPE {
                    scope = MODULE_SCOPE;
                    first = false;
                    continue;
                }
                if !s.nonlocals.contains(name)
                    && let Some(ids) = s.bindings.get(name)
                {
                    return Resolved::Bound(scope, ids);
                }
            }
            match s.parent {
                Some(p) => {
                    scope = p;
                    first = false;
                }
                None => {
                    if !s.star_imports.is_empty() {
                        return Resolved::StarImported;
                    }
                    return if is_builtin(name) { Resolved::Builtin } else { Resolved::Unresolved };
                }
            }
        }
    }

    /// The innermost function (def or lambda) that owns `scope`, skipping comprehensions.
    pub fn owning_function(&self, mut scope: ScopeId) -> Option<LocalFunc> {
        loop {
            let s = &self.scopes[scope as usize];
            match s.kind {
                ScopeKind::Function(f) => return Some(f),
                ScopeKind::Comprehension => scope = s.parent?,
                _ => return None,
            }
        }
    }
}

/// Python's builtin names that numgil reasons about (and any other builtin, so that lookups of
/// e.g. `len` are not "unresolved").
pub fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        "sum"
            | "min"
            | "max"
            | "any"
            | "all"
            | "len"
            | "range"
            | "list"
            | "tuple"
            | "dict"
            | "set"
            | "frozenset"
            | "float"
            | "int"
            | "bool"
            | "complex"
            | "str"
            | "bytes"
            | "zip"
            | "enumerate"
            | "map"
            | "filter"
            | "sorted"
            | "reversed"
            | "iter"
            | "next"
            | "abs"
            | "round"
            | "print"
            | "isinstance"
            | "type"
            | "object"
            | "super"
            | "getattr"
            | "setattr"
            | "hasattr"
            | "open"
            | "repr"
            | "id"
            | "hash"
            | "divmod"
            | "pow"
            | "callable"
            | "vars"
            | "dir"
            | "globals"
            | "locals"
            | "issubclass"
            | "format"
            | "chr"
            | "ord"
            | "hex"
            | "oct"
            | "bin"
            | "slice"
            | "property"
            | "staticmethod"
            | "classmethod"
            | "memoryview"
            | "bytearray"
            | "input"
            | "exec"
            | "eval"
            | "compile"
            | "__import__"
            | "NotImplemented"
            | "Ellipsis"
            | "Exception"
            | "BaseException"
            | "ValueError"
            | "TypeError"
            | "KeyError"
            | "IndexError"
            | "RuntimeError"
            | "ImportError"
            | "ModuleNotFoundError"
            | "AttributeError"
            | "StopIteration"
            | "NotImplementedError"
            | "OSError"
            | "__name__"
            | "__file__"
    )
}

struct Binder<'a> {
    out: ModuleScopes<'a>,
    scope: ScopeId,
    module: String,
    is_package: bool,
    fallback_depth: u32,
    /// Nesting of `if`/`for`/`while`/`try`/`match` bodies in the current scope.
    branch_depth: u32,
    qualprefix: Vec<String>,
}

impl<'a> Binder<'a> {
    fn push_scope(&mut self, kind: ScopeKind) -> ScopeId {
        let id = self.out.scopes.len() as ScopeId;
        self.out.scopes.push(Scope {
            kind,
            parent: Some(self.scope),
            bindings: FxHashMap::default(),
            globals: FxHashSet::default(),
            nonlocals: FxHashSet::default(),
            star_imports: Vec::new(),
        });
        id
    }

    fn bind(&mut self, name: &'a str, range: TextRange, kind: BindingKind<'a>) {
        let id = self.out.bindings.len() as BindingId;
        self.out.bindings.push(Binding {
            name,
            range,
            kind,
            scope: self.scope,
            import_fallback: self.fallback_depth > 0,
            unconditional: self.branch_depth == 0,
        });
        self.out.scopes[self.scope as usize]
            .bindings
            .entry(name)
            .and_modify(|ids| ids.push(id))
            .or_insert(BindingIds::One([id]));
    }

    fn body(&mut self, body: &'a [Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    /// Resolve `from .x import y` style module paths against this module's package.
    fn absolute_module(&self, level: u32, module: Option<&str>) -> String {
        if level == 0 {
            return module.unwrap_or_default().to_string();
        }
        let mut parts: Vec<&str> = self.module.split('.').collect();
        if !self.is_package {
            parts.pop();
        }
        for _ in 1..level {
            parts.pop();
        }
        let mut base = parts.join(".");
        if let Some(m) = module {
            if !base.is_empty() {
                base.push('.');
            }
            base.push_str(m);
        }
        base
    }

    fn current_class(&self) -> Option<LocalClass> {
        match self.out.scopes[self.scope as usize].kind {
            ScopeKind::Class(c) => Some(c),
            _ => None,
        }
    }

    fn qualname(&self, name: &str) -> String {
        let mut q = self.qualprefix.join(".");
        if !q.is_empty() {
            q.push('.');
        }
        q.push_str(name);
        q
    }

    fn function(&mut self, node: FuncNode<'a>, name: &'a str) -> LocalFunc {
        let id = self.out.functions.len() as LocalFunc;
        let class = self.current_class();
        let (is_static, is_classmethod) = match node {
            FuncNode::Def(f) => method_kind(&f.decorator_list),
            FuncNode::Lambda(_) => (false, false),
        };
        let parent_scope = self.scope;
        let scope = self.push_scope(ScopeKind::Function(id));
        self.out.functions.push(FunctionInfo {
            node,
            scope,
            parent_scope,
            qualname: self.qualname(name),
            class: if matches!(node, FuncNode::Def(_)) { class } else { None },
            jit: Jit::None,
            is_static,
            is_classmethod,
        });
        self.out.function_at.insert(node.range().start(), id);
        id
    }

    fn parameters(&mut self, func: LocalFunc, params: Option<&'a ast::Parameters>) {
        let Some(p) = params else { return };
        let positional = p.posonlyargs.iter().chain(p.args.iter()).chain(p.kwonlyargs.iter());
        for (index, pw) in positional.enumerate() {
            let prm = &pw.parameter;
            self.bind(prm.name.as_str(), prm.name.range(), BindingKind::Parameter { func, index });
        }
        // `*args` is the slot after the named parameters (a tuple of the extra positionals).
        if let Some(prm) = &p.vararg {
            let index = p.posonlyargs.len() + p.args.len() + p.kwonlyargs.len();
            self.bind(prm.name.as_str(), prm.name.range(), BindingKind::Parameter { func, index });
        }
        if let Some(prm) = &p.kwarg {
            self.bind(prm.name.as_str(), prm.name.range(), BindingKind::Opaque);
        }
    }

    fn defaults_and_annotations(&mut self, params: Option<&'a ast::Parameters>) {
        let Some(p) = params else { return };
        for pw in p.posonlyargs.iter().chain(p.args.iter()).chain(p.kwonlyargs.iter()) {
            if let Some(d) = &pw.default {
                self.expr(d);
            }
            if let Some(a) = &pw.parameter.annotation {
                self.expr(a);
            }
        }
    }

    fn try_body(&mut self, t: &'a ast::StmtTry) {
        self.body(&t.body);
        for h in &t.handlers {
            let ast::ExceptHandler::ExceptHandler(h) = h;
            if let Some(ty) = &h.type_ {
                self.expr(ty);
            }
            if let Some(n) = &h.name {
                self.bind(n.as_str(), n.range(), BindingKind::Opaque);
            }
            let fallback = h.type_.as_deref().is_some_and(is_import_error);
            self.fallback_depth += u32::from(fallback);
            self.body(&h.body);
            self.fallback_depth -= u32::from(fallback);
        }
        self.body(&t.orelse);
        self.body(&t.finalbody);
    }

    fn stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.expr(&d.expression);
                }
                self.defaults_and_annotations(Some(&f.parameters));
                if let Some(r) = &f.returns {
                    self.expr(r);
                }
                let outer = self.scope;
                let id = self.function(FuncNode::Def(f), f.name.as_str());
                self.scope = self.out.functions[id as usize].scope;
                self.parameters(id, Some(&f.parameters));
                self.qualprefix.push(f.name.to_string());
                let saved_fallback = std::mem::take(&mut self.fallback_depth);
                let saved_branch = std::mem::take(&mut self.branch_depth);
                self.body(&f.body);
                self.fallback_depth = saved_fallback;
                self.branch_depth = saved_branch;
                self.qualprefix.pop();
                self.scope = outer;
                self.bind(f.name.as_str(), f.name.range(), BindingKind::Function(id));
            }
            Stmt::ClassDef(c) => {
                for d in &c.decorator_list {
                    self.expr(&d.expression);
                }
                if let Some(args) = &c.arguments {
                    for a in args.args.iter() {
                        self.expr(a);
                    }
                    for k in args.keywords.iter() {
                        self.expr(&k.value);
                    }
                }
                let id = self.out.classes.len() as LocalClass;
                self.out.class_at.insert(c.range.start(), id);
                let outer = self.scope;
                let scope = self.push_scope(ScopeKind::Class(id));
                self.out.classes.push(ClassInfo {
                    node: c,
                    scope,
                    parent_scope: outer,
                    qualname: self.qualname(c.name.as_str()),
                    methods: FxHashMap::default(),
                    attrs: FxHashMap::default(),
                });
                self.scope = scope;
                self.qualprefix.push(c.name.to_string());
                self.body(&c.body);
                self.qualprefix.pop();
                self.scope = outer;
                // Methods and class-level annotations.
                let class = &mut self.out.classes[id as usize];
                for s in &c.body {
                    match s {
                        Stmt::FunctionDef(f) => {
                            if let Some(&fid) = self.out.function_at.get(&f.range.start()) {
                                class.methods.insert(f.name.as_str(), fid);
                            }
                        }
                        Stmt::AnnAssign(a) => {
                            if let Expr::Name(n) = &*a.target {
                                class
                                    .attrs
                                    .entry(n.id.as_str())
                                    .or_default()
                                    .push(AttrDef::Annotation { annotation: &a.annotation, scope });
                            }
                        }
                        _ => {}
                    }
                }
                self.bind(c.name.as_str(), c.name.range(), BindingKind::Class(id));
            }
            Stmt::Assign(a) => {
                self.expr(&a.value);
                for t in &a.targets {
                    self.note_container_store(t, Some(&a.value));
                    self.self_attr(t, Some(&a.value), None);
                    self.target(t, &mut Vec::new(), &|path| BindingKind::Assign { value: &a.value, path });
                }
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.expr(v);
                }
                self.expr(&a.annotation);
                self.self_attr(&a.target, a.value.as_deref(), Some(&a.annotation));
                if let Expr::Name(n) = &*a.target {
                    self.bind(
                        n.id.as_str(),
                        n.range,
                        BindingKind::AnnAssign { annotation: &a.annotation, value: a.value.as_deref() },
                    );
                } else {
                    self.expr(&a.target);
                }
            }
            Stmt::AugAssign(a) => {
                self.expr(&a.value);
                if let Expr::Name(n) = &*a.target {
                    self.bind(n.id.as_str(), n.range, BindingKind::AugAssign { target: n, op: a.op, value: &a.value });
                } else {
                    self.expr(&a.target);
                }
            }
            Stmt::For(f) => {
                self.expr(&f.iter);
                self.branch_depth += 1;
                self.target(&f.target, &mut Vec::new(), &|path| BindingKind::ForTarget { iter: &f.iter, path });
                self.body(&f.body);
                self.body(&f.orelse);
                self.branch_depth -= 1;
            }
            Stmt::With(w) => {
                for item in &w.items {
                    self.expr(&item.context_expr);
                    if let Some(v) = &item.optional_vars {
                        self.target(v, &mut Vec::new(), &|path| BindingKind::WithTarget {
                            ctx: &item.context_expr,
                            path,
                        });
                    }
                }
                self.body(&w.body);
            }
            Stmt::Try(t) => {
                self.branch_depth += 1;
                self.try_body(t);
                self.branch_depth -= 1;
            }
            Stmt::Import(i) => {
                for alias in &i.names {
                    let full = alias.name.as_str();
                    match &alias.asname {
                        Some(asname) => self.bind(asname.as_str(), alias.range, BindingKind::Import(full.to_string())),
                        None => {
                            let head = full.split('.').next().unwrap_or(full);
                            self.bind(head, alias.range, BindingKind::Import(head.to_string()));
                        }
                    }
                }
            }
            Stmt::ImportFrom(i) => {
                let base = self.absolute_module(i.level, i.module.as_ref().map(|m| m.as_str()));
                for alias in &i.names {
                    if alias.name.as_str() == "*" {
                        self.out.scopes[self.scope as usize].star_imports.push(base.clone());
                        continue;
                    }
                    let name = alias.asname.as_ref().unwrap_or(&alias.name);
                    let q = if base.is_empty() {
                        alias.name.to_string()
                    } else {
                        format!("{base}.{}", alias.name.as_str())
                    };
                    self.bind(name.as_str(), alias.range, BindingKind::FromImport(q));
                }
            }
            Stmt::Global(g) => {
                for n in &g.names {
                    self.out.scopes[self.scope as usize].globals.insert(n.as_str());
                }
            }
            Stmt::Nonlocal(n) => {
                for n in &n.names {
                    self.out.scopes[self.scope as usize].nonlocals.insert(n.as_str());
                }
            }
            Stmt::Match(m) => {
                self.expr(&m.subject);
                self.branch_depth += 1;
                for case in &m.cases {
                    self.pattern(&case.pattern);
                    if let Some(g) = &case.guard {
                        self.expr(g);
                    }
                    self.body(&case.body);
                }
                self.branch_depth -= 1;
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    self.expr(t);
                }
            }
            Stmt::TypeAlias(t) => {
                if let Expr::Name(n) = &*t.name {
                    self.bind(n.id.as_str(), n.range, BindingKind::Opaque);
                }
                self.expr(&t.value);
            }
            Stmt::If(i) => {
                self.expr(&i.test);
                self.branch_depth += 1;
                self.body(&i.body);
                for c in &i.elif_else_clauses {
                    if let Some(t) = &c.test {
                        self.expr(t);
                    }
                    self.body(&c.body);
                }
                self.branch_depth -= 1;
            }
            Stmt::While(w) => {
                self.expr(&w.test);
                self.branch_depth += 1;
                self.body(&w.body);
                self.body(&w.orelse);
                self.branch_depth -= 1;
            }
            Stmt::Return(r) => {
                if let Some(v) = &r.value {
                    self.expr(v);
                }
            }
            Stmt::Expr(e) => self.expr(&e.value),
            Stmt::Raise(r) => {
                for e in [&r.exc, &r.cause].into_iter().flatten() {
                    self.expr(e);
                }
            }
            Stmt::Assert(a) => {
                self.expr(&a.test);
                if let Some(m) = &a.msg {
                    self.expr(m);
                }
            }
            Stmt::Pass(_) | Stmt::Break(_) | Stmt::Continue(_) | Stmt::IpyEscapeCommand(_) => {}
        }
    }

    /// `self.attr = value` inside a method records a class attribute.
    fn self_attr(&mut self, target: &'a Expr, value: Option<&'a Expr>, annotation: Option<&'a Expr>) {
        let Expr::Attribute(attr) = target else {
            return;
        };
        let Expr::Name(recv) = &*attr.value else {
            return;
        };
        let ScopeKind::Function(fid) = self.out.scopes[self.scope as usize].kind else {
            return;
        };
        let func = &self.out.functions[fid as usize];
        let Some(class) = func.class else { return };
        if !func.takes_self() || func.is_classmethod {
            return;
        }
        let Some(first) = func.params().first().map(|p| p.name.as_str()) else {
            return;
        };
        if recv.id.as_str() != first {
            return;
        }
        let def = match (value, annotation) {
            (_, Some(annotation)) => AttrDef::Annotation { annotation, scope: self.scope },
            (Some(value), None) => AttrDef::Value { value, method: fid },
            (None, None) => return,
        };
        self.out.classes[class as usize].attrs.entry(attr.attr.as_str()).or_default().push(def);
    }

    fn target(&mut self, target: &'a Expr, path: &mut Vec<u32>, kind: &dyn Fn(Box<[u32]>) -> BindingKind<'a>) {
        match target {
            Expr::Name(n) => self.bind(n.id.as_str(), n.range, kind(path.as_slice().into())),
            Expr::Tuple(t) => self.unpack(&t.elts, path, kind),
            Expr::List(l) => self.unpack(&l.elts, path, kind),
            // The starred target's step was pushed by `unpack`.
            Expr::Starred(s) => self.target(&s.value, path, kind),
            other => self.expr(other),
        }
    }

    fn unpack(&mut self, elts: &'a [Expr], path: &mut Vec<u32>, kind: &dyn Fn(Box<[u32]>) -> BindingKind<'a>) {
        let star = elts.iter().position(|e| matches!(e, Expr::Starred(_)));
        for (i, e) in elts.iter().enumerate() {
            path.push(UnpackStep::for_target(i, elts.len(), star).encode());
            self.target(e, path, kind);
            path.pop();
        }
    }

    fn pattern(&mut self, p: &'a Pattern) {
        match p {
            Pattern::MatchAs(m) => {
                if let Some(n) = &m.name {
                    self.bind(n.as_str(), n.range(), BindingKind::Opaque);
                }
                if let Some(inner) = &m.pattern {
                    self.pattern(inner);
                }
            }
            Pattern::MatchStar(m) => {
                if let Some(n) = &m.name {
                    self.bind(n.as_str(), n.range(), BindingKind::Opaque);
                }
            }
            Pattern::MatchMapping(m) => {
                for k in m.keys.iter() {
                    self.expr(k);
                }
                for p in m.patterns.iter() {
                    self.pattern(p);
                }
                if let Some(n) = &m.rest {
                    self.bind(n.as_str(), n.range(), BindingKind::Opaque);
                }
            }
            Pattern::MatchSequence(s) => {
                for p in s.patterns.iter() {
                    self.pattern(p);
                }
            }
            Pattern::MatchClass(c) => {
                self.expr(&c.cls);
                for p in c.arguments.patterns.iter() {
                    self.pattern(p);
                }
                for k in c.arguments.keywords.iter() {
                    self.pattern(&k.pattern);
                }
            }
            Pattern::MatchOr(o) => {
                for p in o.patterns.iter() {
                    self.pattern(p);
                }
            }
            Pattern::MatchValue(v) => self.expr(&v.value),
            Pattern::MatchSingleton(_) => {}
        }
    }

    fn comprehension(&mut self, node_start: TextSize, generators: &'a [ast::Comprehension], elts: &[&'a Expr]) {
        let outer = self.scope;
        let scope = self.push_scope(ScopeKind::Comprehension);
        self.out.comprehension_scopes.insert(node_start, scope);
        for (i, g) in generators.iter().enumerate() {
            // The first iterable is evaluated in the enclosing scope.
            if i == 0 {
                self.scope = outer;
                self.expr(&g.iter);
                self.scope = scope;
            } else {
                self.expr(&g.iter);
            }
            self.target(&g.target, &mut Vec::new(), &|path| BindingKind::ForTarget { iter: &g.iter, path });
            for cond in &g.ifs {
                self.expr(cond);
            }
        }
        for e in elts {
            self.expr(e);
        }
        self.scope = outer;
    }

    fn expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(l) => {
                self.defaults_and_annotations(l.parameters.as_deref());
                let outer = self.scope;
                let id = self.function(FuncNode::Lambda(l), "<lambda>");
                self.scope = self.out.functions[id as usize].scope;
                self.parameters(id, l.parameters.as_deref());
                self.expr(&l.body);
                self.scope = outer;
            }
            Expr::ListComp(c) => self.comprehension(c.range.start(), &c.generators, &[&c.elt]),
            Expr::SetComp(c) => self.comprehension(c.range.start(), &c.generators, &[&c.elt]),
            Expr::Generator(c) => self.comprehension(c.range.start(), &c.generators, &[&c.elt]),
            Expr::DictComp(c) => {
                let mut elts: Vec<&Expr> = vec![&c.value];
                if let Some(k) = &c.key {
                    elts.push(k);
                }
                self.comprehension(c.range.start(), &c.generators, &elts)
            }
            Expr::Named(n) => {
                self.expr(&n.value);
                if let Expr::Name(name) = &*n.target {
                    // A walrus in a comprehension binds in the enclosing function scope.
                    let saved = self.scope;
                    while self.out.scopes[self.scope as usize].kind == ScopeKind::Comprehension {
                        self.scope = self.out.scopes[self.scope as usize].parent.unwrap_or(MODULE_SCOPE);
                    }
                    self.bind(name.id.as_str(), name.range, BindingKind::Walrus { value: &n.value });
                    self.scope = saved;
                }
            }
            Expr::Call(c) => {
                if let Expr::Attribute(a) = &*c.func
                    && matches!(a.attr.as_str(), "update" | "setdefault" | "__setitem__")
                    && let Expr::Name(n) = &*a.value
                {
                    let scope = self.scope;
                    let (unconditional, end) = (self.branch_depth == 0, c.range().end());
                    let store = |key, value| ContainerStore { scope, key, value, unconditional, end };
                    let args = &c.arguments.args;
                    let mut stores: Vec<ContainerStore<'a>> = Vec::new();
                    match (a.attr.as_str(), args.first(), args.get(1)) {
                        ("update", Some(Expr::Dict(d)), None) if c.arguments.keywords.is_empty() => {
                            for item in &d.items {
                                // `**other` inside the literal: not seen.
                                let value = item.key.as_ref().map(|_| &item.value);
                                stores.push(store(item.key.as_ref(), value));
                            }
                        }
                        ("setdefault" | "__setitem__", Some(k), Some(v)) => {
                            stores.push(store(Some(k), Some(v)));
                        }
                        _ => stores.push(store(None, None)),
                    }
                    self.out.container_stores.entry(n.id.as_str()).or_default().extend(stores);
                }
                ruff_python_ast::visitor::walk_expr(&mut ExprWalker(self), expr)
            }
            _ => ruff_python_ast::visitor::walk_expr(&mut ExprWalker(self), expr),
        }
    }

    /// `d["k"] = v`, `d["a"]["b"] = v`: the name `d` holds more than its literal; a direct
    /// store records its key and value.
    fn note_container_store(&mut self, target: &'a Expr, value: Option<&'a Expr>) {
        let mut e = target;
        let mut depth = 0;
        let mut key = None;
        while let Expr::Subscript(s) = e {
            key = Some(&*s.slice);
            e = &s.value;
            depth += 1;
        }
        if let Expr::Name(n) = e
            && depth > 0
        {
            let (unconditional, end) = (self.branch_depth == 0, value.map_or(target.end(), |v| v.end()));
            let store = if depth == 1 {
                ContainerStore { scope: self.scope, key, value, unconditional, end }
            } else {
                ContainerStore { scope: self.scope, key: None, value: None, unconditional, end }
            };
            self.out.container_stores.entry(n.id.as_str()).or_default().push(store);
        }
    }
}

/// Adapter so that `walk_expr` recurses through `Binder::expr` (which handles scopes).
struct ExprWalker<'b, 'a>(&'b mut Binder<'a>);

impl<'a> ruff_python_ast::visitor::Visitor<'a> for ExprWalker<'_, 'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        self.0.expr(expr);
    }
}

fn is_import_error(ty: &Expr) -> bool {
    match ty {
        Expr::Name(n) => matches!(n.id.as_str(), "ImportError" | "ModuleNotFoundError"),
        Expr::Tuple(t) => t.elts.iter().any(is_import_error),
        _ => false,
    }
}

/// `staticmethod`/`classmethod`, read syntactically from each decorator's last name.
fn method_kind(decorators: &[ast::Decorator]) -> (bool, bool) {
    let mut is_static = false;
    let mut is_classmethod = false;
    for d in decorators {
        let name = match &d.expression {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => continue,
        };
        is_static |= name == "staticmethod";
        is_classmethod |= name == "classmethod";
    }
    (is_static, is_classmethod)
}
