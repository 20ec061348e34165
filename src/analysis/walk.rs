//! The flow-sensitive walker: visits one code unit (a function body, a lambda, a module or class
//! body) in execution order, keeping the values of its local names up to date through
//! assignments, branches (joined), loops (a silent pre-pass so values that change in the loop
//! are joined), early exits, `with` blocks and comprehensions. At each statement and expression
//! it calls [`Hooks`], which is how task discovery and the rules see code with its facts.

use crate::analysis::infer::{Evaluator, Frame, enter_value};
use crate::analysis::value::Value;
use crate::project::index::{ClassId, FuncId};
use crate::project::scope::{BindingKind, Resolved};
use ruff_python_ast::{self as ast, Expr, Stmt};

/// What the walker knows about the code around the current node.
#[derive(Debug, Default, Clone)]
pub struct WalkState<'a> {
    /// Iterables of the enclosing `for` loops and comprehensions, innermost last.
    pub loops: Vec<LoopInfo>,
    /// The expressions enclosing the current one, outermost first.
    pub parents: Vec<&'a Expr>,
}

#[derive(Debug, Clone)]
pub struct LoopInfo {
    pub iter: Value,
    /// Where the loop (or comprehension generator) starts.
    pub start: ruff_text_size::TextSize,
}

/// Callbacks for each statement and expression, with an evaluator positioned at that point.
pub trait Hooks<'a> {
    fn on_stmt(&mut self, _ev: &mut Evaluator<'a, '_, '_>, _stmt: &'a Stmt, _state: &WalkState<'a>) {}
    fn on_expr(&mut self, _ev: &mut Evaluator<'a, '_, '_>, _expr: &'a Expr, _state: &WalkState<'a>) {}
}

/// Hooks that do nothing (return-value inference).
pub struct NoHooks;
impl Hooks<'_> for NoHooks {}

pub struct Walker<'a, 'p, 'c, H> {
    pub ev: Evaluator<'a, 'p, 'c>,
    pub hooks: H,
    silent: bool,
    dead: bool,
    pub returns: Value,
    state: WalkState<'a>,
}

/// The join of the values a function returns (an implicit fall-through returns `None`).
pub fn returns_of<'a>(ev: Evaluator<'a, '_, '_>, f: FuncId) -> Value {
    let info = ev.cx.index.func(f);
    let crate::project::scope::FuncBody::Stmts(body) = info.body() else {
        return Value::Unknown;
    };
    let mut w = Walker::new(ev, NoHooks);
    w.silent = true;
    w.walk_body(body);
    if !w.dead {
        w.returns = w.returns.join(&Value::None);
    }
    w.returns.or_unknown()
}

impl<'a, 'p, 'c, H: Hooks<'a>> Walker<'a, 'p, 'c, H> {
    pub fn new(ev: Evaluator<'a, 'p, 'c>, hooks: H) -> Self {
        Walker { ev, hooks, silent: false, dead: false, returns: Value::Unbound, state: WalkState::default() }
    }

    pub fn walk_body(&mut self, body: &'a [Stmt]) {
        for s in body {
            if self.dead {
                return;
            }
            self.walk_stmt(s);
        }
    }

    fn snapshot(&self) -> Vec<Frame<'a>> {
        self.ev.frames.clone()
    }

    /// Join the current frames with another state of the same frames.
    fn join_frames(a: &[Frame<'a>], b: &[Frame<'a>]) -> Vec<Frame<'a>> {
        a.iter()
            .zip(b.iter())
            .map(|(fa, fb)| {
                let mut vars = fa.vars.clone();
                for (k, vb) in &fb.vars {
                    let joined = match vars.get(k) {
                        Some(va) => va.join(vb),
                        None => vb.clone(),
                    };
                    vars.insert(k, joined);
                }
                Frame { scope: fa.scope, vars }
            })
            .collect()
    }

    /// Run `f` from `start` and return the end state, or `None` if every path exited.
    fn branch(&mut self, start: &[Frame<'a>], f: impl FnOnce(&mut Self)) -> Option<Vec<Frame<'a>>> {
        self.ev.frames = start.to_vec();
        self.ev.invalidate();
        self.dead = false;
        f(self);
        let out = if self.dead { None } else { Some(self.snapshot()) };
        self.dead = false;
        out
    }

    fn merge(&mut self, states: Vec<Option<Vec<Frame<'a>>>>, fallback: Vec<Frame<'a>>) {
        let mut live = states.into_iter().flatten();
        match live.next() {
            Some(first) => {
                self.ev.frames = live.fold(first, |acc, s| Self::join_frames(&acc, &s));
                self.ev.invalidate();
                self.dead = false;
            }
            None => {
                self.ev.frames = fallback;
                self.ev.invalidate();
                self.dead = true;
            }
        }
    }

    fn walk_stmt(&mut self, stmt: &'a Stmt) {
        if !self.silent {
            self.hooks.on_stmt(&mut self.ev, stmt, &self.state);
        }
        match stmt {
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.visit_expr(&d.expression);
                }
                self.visit_parameters(Some(&f.parameters));
                let scopes = &self.ev.cx.index.module_scopes(self.ev.file);
                if let Some(&local) = scopes.function_at.get(&f.range.start()) {
                    let v = self.ev.function_value(FuncId { file: self.ev.file, local });
                    self.ev.set_var(f.name.as_str(), v);
                }
            }
            Stmt::ClassDef(c) => {
                for d in &c.decorator_list {
                    self.visit_expr(&d.expression);
                }
                if let Some(args) = &c.arguments {
                    for a in args.args.iter() {
                        self.visit_expr(a);
                    }
                }
                let scopes = &self.ev.cx.index.module_scopes(self.ev.file);
                if let Some(&local) = scopes.class_at.get(&c.range.start()) {
                    self.ev.set_var(c.name.as_str(), Value::Class(ClassId { file: self.ev.file, local }));
                }
            }
            Stmt::Assign(a) => {
                self.visit_expr(&a.value);
                let v = self.ev.eval(&a.value);
                for t in &a.targets {
                    self.visit_target(t);
                    self.ev.assign(t, v.clone());
                }
            }
            Stmt::AugAssign(a) => {
                self.visit_expr(&a.value);
                self.visit_expr(&a.target);
                if let Expr::Name(n) = &*a.target {
                    let cur = self.ev.lookup(n.id.as_str());
                    let v = self.ev.eval(&a.value);
                    let new = crate::analysis::library::binop(&cur, a.op, &v);
                    self.ev.set_var(n.id.as_str(), new);
                }
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.visit_expr(v);
                }
                let declared = self.ev.annotation_value(&a.annotation);
                let v = match &a.value {
                    Some(v) if declared == Value::Unknown => self.ev.eval(v),
                    Some(_) => declared,
                    None => return,
                };
                self.visit_target(&a.target);
                self.ev.assign(&a.target, v);
            }
            Stmt::For(f) => {
                self.visit_expr(&f.iter);
                let iter = self.ev.eval(&f.iter);
                let elem = self.ev.element_of(&iter);
                self.state.loops.push(LoopInfo { iter, start: f.range.start() });
                self.walk_loop(|w| w.ev.bind_loop_target(&f.target, elem.clone(), &[], &f.body), &f.body);
                self.state.loops.pop();
                self.walk_body(&f.orelse);
            }
            Stmt::While(w) => {
                self.visit_expr(&w.test);
                self.walk_loop(|_| {}, &w.body);
                self.walk_body(&w.orelse);
            }
            Stmt::If(i) => {
                self.visit_expr(&i.test);
                let start = self.snapshot();
                let mut states = vec![self.branch(&start, |w| w.walk_body(&i.body))];
                let mut has_else = false;
                for clause in &i.elif_else_clauses {
                    if let Some(t) = &clause.test {
                        self.ev.frames = start.clone();
                        self.ev.invalidate();
                        self.visit_expr(t);
                    } else {
                        has_else = true;
                    }
                    states.push(self.branch(&start, |w| w.walk_body(&clause.body)));
                }
                if !has_else {
                    states.push(Some(start.clone()));
                }
                self.merge(states, start);
            }
            Stmt::With(w) => {
                let saved_joblib = self.ev.joblib_threads;
                for item in &w.items {
                    self.visit_expr(&item.context_expr);
                    if joblib_threading_context(&mut self.ev, &item.context_expr) {
                        self.ev.joblib_threads = true;
                        self.ev.invalidate();
                    }
                    let v = self.ev.eval(&item.context_expr);
                    if let Some(t) = &item.optional_vars {
                        self.ev.assign(t, enter_value(v));
                    }
                }
                self.walk_body(&w.body);
                self.ev.joblib_threads = saved_joblib;
                self.ev.invalidate();
            }
            Stmt::Try(t) => {
                let start = self.snapshot();
                let after_body = self.branch(&start, |w| w.walk_body(&t.body));
                let handler_start = match &after_body {
                    Some(s) => Self::join_frames(&start, s),
                    None => start.clone(),
                };
                let mut states = vec![after_body.clone().and_then(|s| self.branch(&s, |w| w.walk_body(&t.orelse)))];
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    states.push(self.branch(&handler_start, |w| {
                        if let Some(ty) = &h.type_ {
                            w.visit_expr(ty);
                        }
                        w.walk_body(&h.body)
                    }));
                }
                self.merge(states, handler_start);
                let dead = self.dead;
                self.dead = false;
                self.walk_body(&t.finalbody);
                self.dead |= dead;
            }
            Stmt::Match(m) => {
                self.visit_expr(&m.subject);
                let start = self.snapshot();
                let mut states = Vec::new();
                for case in &m.cases {
                    states.push(self.branch(&start, |w| {
                        if let Some(g) = &case.guard {
                            w.visit_expr(g);
                        }
                        w.walk_body(&case.body)
                    }));
                }
                states.push(Some(start.clone()));
                self.merge(states, start);
            }
            Stmt::Return(r) => {
                let v = match &r.value {
                    Some(v) => {
                        self.visit_expr(v);
                        self.ev.eval(v)
                    }
                    None => Value::None,
                };
                self.returns = self.returns.join(&v);
                self.dead = true;
            }
            Stmt::Raise(r) => {
                for e in [&r.exc, &r.cause].into_iter().flatten() {
                    self.visit_expr(e);
                }
                self.dead = true;
            }
            Stmt::Break(_) | Stmt::Continue(_) => self.dead = true,
            Stmt::Import(i) => {
                for alias in &i.names {
                    let name = match &alias.asname {
                        Some(a) => a.as_str(),
                        None => alias.name.as_str().split('.').next().unwrap_or_default(),
                    };
                    self.bind_import(name, alias.range);
                }
            }
            Stmt::ImportFrom(i) => {
                for alias in &i.names {
                    let name = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                    self.bind_import(name, alias.range);
                }
            }
            Stmt::Expr(e) => self.visit_expr(&e.value),
            Stmt::Delete(d) => {
                for t in &d.targets {
                    match t {
                        Expr::Name(n) => self.ev.set_var(n.id.as_str(), Value::Unbound),
                        other => self.visit_expr(other),
                    }
                }
            }
            Stmt::Assert(a) => {
                self.visit_expr(&a.test);
                if let Some(m) = &a.msg {
                    self.visit_expr(m);
                }
            }
            Stmt::TypeAlias(_) | Stmt::Global(_) | Stmt::Nonlocal(_) | Stmt::Pass(_) | Stmt::IpyEscapeCommand(_) => {}
        }
    }

    /// Walk a loop body twice: silently first, so names the body reassigns are joined with
    /// their values before the loop, then for real.
    fn walk_loop(&mut self, bind: impl Fn(&mut Self), body: &'a [Stmt]) {
        let pre = self.snapshot();
        if !self.silent {
            self.silent = true;
            bind(self);
            self.walk_body(body);
            self.silent = false;
            self.dead = false;
            let after = self.snapshot();
            self.ev.frames = Self::join_frames(&pre, &after);
            self.ev.invalidate();
        }
        let start = self.snapshot();
        bind(self);
        self.walk_body(body);
        self.dead = false;
        let after = self.snapshot();
        self.ev.frames = Self::join_frames(&start, &after);
        self.ev.invalidate();
    }

    fn bind_import(&mut self, name: &'a str, range: ruff_text_size::TextRange) {
        let scope = self.ev.current_scope();
        let file = self.ev.file;
        let scopes = &self.ev.cx.index.module_scopes(file);
        let Resolved::Bound(_, ids) = scopes.resolve_name(scope, name) else {
            return;
        };
        let Some(&id) = ids.iter().find(|&&id| {
            let b = &scopes.bindings[id as usize];
            b.range == range && matches!(b.kind, BindingKind::Import(_) | BindingKind::FromImport(_))
        }) else {
            return;
        };
        let v = self.ev.binding_value(file, id);
        self.ev.set_var(name, v);
    }

    fn visit_parameters(&mut self, params: Option<&'a ast::Parameters>) {
        let Some(p) = params else { return };
        for pw in p.posonlyargs.iter().chain(p.args.iter()).chain(p.kwonlyargs.iter()) {
            if let Some(d) = &pw.default {
                self.visit_expr(d);
            }
        }
    }

    /// Sub-expressions of an assignment target that are evaluated (`a[i] = ...`, `o.x = ...`).
    fn visit_target(&mut self, t: &'a Expr) {
        match t {
            Expr::Name(_) => {}
            Expr::Tuple(tu) => tu.elts.iter().for_each(|e| self.visit_target(e)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.visit_target(e)),
            Expr::Starred(s) => self.visit_target(&s.value),
            other => self.visit_expr(other),
        }
    }

    pub fn visit_expr(&mut self, expr: &'a Expr) {
        if !self.silent {
            self.hooks.on_expr(&mut self.ev, expr, &self.state);
        }
        self.state.parents.push(expr);
        self.visit_children(expr);
        self.state.parents.pop();
    }

    fn visit_children(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Lambda(l) => self.visit_parameters(l.parameters.as_deref()),
            Expr::ListComp(c) => self.comprehension(c.range.start(), &c.generators, &[&c.elt]),
            Expr::SetComp(c) => self.comprehension(c.range.start(), &c.generators, &[&c.elt]),
            Expr::Generator(c) => self.comprehension(c.range.start(), &c.generators, &[&c.elt]),
            Expr::DictComp(c) => {
                let mut elts: Vec<&'a Expr> = vec![&c.value];
                if let Some(k) = &c.key {
                    elts.push(k);
                }
                self.comprehension(c.range.start(), &c.generators, &elts)
            }
            Expr::Named(n) => {
                self.visit_expr(&n.value);
                let v = self.ev.eval(&n.value);
                if let Expr::Name(name) = &*n.target {
                    self.ev.set_var(name.id.as_str(), v);
                }
            }
            _ => ruff_python_ast::visitor::walk_expr(&mut ExprVisit(self), expr),
        }
    }

    fn comprehension(
        &mut self,
        start: ruff_text_size::TextSize,
        generators: &'a [ast::Comprehension],
        elts: &[&'a Expr],
    ) {
        let scopes = &self.ev.cx.index.module_scopes(self.ev.file);
        let Some(&scope) = scopes.comprehension_scopes.get(&start) else {
            return;
        };
        if let Some(g) = generators.first() {
            self.visit_expr(&g.iter);
        }
        self.ev.frames.push(Frame { scope, vars: Default::default() });
        self.ev.invalidate();
        let loops_before = self.state.loops.len();
        for (i, g) in generators.iter().enumerate() {
            if i > 0 {
                self.visit_expr(&g.iter);
            }
            let iter = self.ev.eval(&g.iter);
            let elem = self.ev.element_of(&iter);
            let mut uses: Vec<&Expr> = elts.to_vec();
            uses.extend(g.ifs.iter());
            self.ev.bind_loop_target(&g.target, elem, &uses, &[]);
            self.state.loops.push(LoopInfo { iter, start: g.range.start() });
            for cond in &g.ifs {
                self.visit_expr(cond);
            }
        }
        for e in elts {
            self.visit_expr(e);
        }
        self.state.loops.truncate(loops_before);
        self.ev.frames.pop();
        self.ev.invalidate();
    }
}

struct ExprVisit<'w, 'a, 'p, 'c, H>(&'w mut Walker<'a, 'p, 'c, H>);

impl<'a, H: Hooks<'a>> ruff_python_ast::visitor::Visitor<'a> for ExprVisit<'_, 'a, '_, '_, H> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        self.0.visit_expr(expr);
    }
}

/// `with parallel_config(backend="threading")`, `with parallel_backend("threading")` (joblib).
fn joblib_threading_context<'a>(ev: &mut Evaluator<'a, '_, '_>, ctx: &'a Expr) -> bool {
    let Expr::Call(call) = ctx else { return false };
    let callee = ev.eval(&call.func);
    let Some(q) = callee.qualified() else {
        return false;
    };
    if !matches!(
        q,
        "joblib.parallel_config"
            | "joblib.parallel_backend"
            | "joblib.parallel.parallel_config"
            | "joblib.parallel.parallel_backend"
    ) {
        return false;
    }
    let backend = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "backend"))
        .map(|k| &k.value)
        .or_else(|| call.arguments.args.first());
    let prefer = call
        .arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "prefer"))
        .map(|k| &k.value);
    let is = |e: Option<&Expr>, s: &str| matches!(e, Some(Expr::StringLiteral(l)) if l.value.to_str() == s);
    is(backend, "threading") || is(prefer, "threads")
}
