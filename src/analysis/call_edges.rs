//! The project's call graph as the value-flow pass computed it, for `numgil callgraph`: every
//! module and function of the project and what it may call, in the node naming of PyCG (ICSE
//! 2021), so the graph can be scored against PyCG's micro-benchmark and compared with other
//! tools. Calls in module-level and class-body code belong to the module; a comprehension's
//! calls belong to its enclosing function; a lambda is its own node (`mod.f.<lambda1>`).
//! Applying a decorator is a call from the scope of the `def`.

use crate::analysis::infer::{Context, Evaluator, ProgramFacts};
use crate::analysis::value::Value;
use crate::project::index::{ClassId, FuncId, ProjectIndex};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;
use std::collections::{BTreeMap, BTreeSet};

/// Caller node → callee nodes.
pub type CallGraph = BTreeMap<String, BTreeSet<String>>;

/// Build the graph with the whole-program facts.
pub fn call_graph(index: &ProjectIndex, facts: &ProgramFacts) -> CallGraph {
    let cx = Context::new(index, facts);
    let names = NodeNames::new(index);
    let mut graph = CallGraph::new();
    for file in 0..index.modules.len() as u32 {
        graph.entry(index.modules[file as usize].name.clone()).or_default();
        for local in 0..index.module_scopes(file).functions.len() as u32 {
            graph.entry(names.func(FuncId { file, local })).or_default();
        }
        let mut v = EdgeVisitor { cx: &cx, names: &names, file, scope: 0, caller: None, graph: &mut graph };
        v.visit_body(&index.modules[file as usize].ast.body);
    }
    graph
}

/// PyCG's names: `module.qualname` with lambdas numbered per enclosing scope.
struct NodeNames {
    /// Per file, per local function: its node name.
    funcs: Vec<Vec<String>>,
}

impl NodeNames {
    fn new(index: &ProjectIndex) -> Self {
        let mut funcs = Vec::new();
        for file in 0..index.modules.len() as u32 {
            let module = &index.modules[file as usize].name;
            let scopes = index.module_scopes(file);
            let mut lambda_counts: BTreeMap<String, usize> = BTreeMap::new();
            let mut names: Vec<String> = Vec::new();
            for f in &scopes.functions {
                let q = f.qualname.replace(".<locals>", "");
                let name = match q.strip_suffix("<lambda>") {
                    Some(parent) => {
                        let n = lambda_counts.entry(parent.to_string()).or_insert(0);
                        *n += 1;
                        format!("{parent}<lambda{n}>")
                    }
                    None => q,
                };
                names.push(if module.is_empty() { name } else { format!("{module}.{name}") });
            }
            funcs.push(names);
        }
        NodeNames { funcs }
    }

    fn func(&self, f: FuncId) -> String {
        self.funcs[f.file as usize][f.local as usize].clone()
    }
}

struct EdgeVisitor<'g, 'a, 'p, 'c> {
    cx: &'c Context<'a, 'p>,
    names: &'g NodeNames,
    file: u32,
    scope: crate::project::scope::ScopeId,
    caller: Option<FuncId>,
    graph: &'g mut CallGraph,
}

impl<'a> EdgeVisitor<'_, 'a, '_, '_> {
    fn caller_name(&self) -> String {
        match self.caller {
            Some(f) => self.names.func(f),
            None => self.cx.index.modules[self.file as usize].name.clone(),
        }
    }

    fn add_callees(&mut self, callee: &Value) {
        let mut ev = Evaluator::new(self.cx, self.file, self.scope);
        let mut out = Vec::new();
        for c in callee.alternatives() {
            self.callee_nodes(&mut ev, c, &mut out, 0);
        }
        let caller = self.caller_name();
        self.graph.entry(caller).or_default().extend(out);
    }

    fn callee_nodes(&self, ev: &mut Evaluator<'a, '_, '_>, c: &Value, out: &mut Vec<String>, depth: u8) {
        match c {
            Value::Function(f) | Value::BoundMethod(f, _) => out.push(self.names.func(*f)),
            Value::Partial(p) if depth < 4 => {
                for m in p.func.alternatives() {
                    self.callee_nodes(ev, m, out, depth + 1);
                }
            }
            Value::Class(cl) => self.init_of(ev, *cl, out),
            Value::Instance(cl) => {
                if let Some(f) = ev.find_method(*cl, "__call__") {
                    out.push(self.names.func(f));
                }
            }
            Value::External(q) => match q.strip_prefix("builtins.") {
                Some(name) => out.push(format!("<builtin>.{name}")),
                None => out.push(q.to_string()),
            },
            Value::Vectorized | Value::DelayedFn(_) => {}
            _ => {}
        }
    }

    /// Constructing a class runs the `__init__` its MRO finds, if any.
    fn init_of(&self, ev: &mut Evaluator<'a, '_, '_>, c: ClassId, out: &mut Vec<String>) {
        if let Some(f) = ev.find_method(c, "__init__") {
            out.push(self.names.func(f));
        }
    }

    fn call(&mut self, call: &'a ast::ExprCall) {
        let mut ev = Evaluator::new(self.cx, self.file, self.scope);
        let callee = ev.eval(&call.func);
        self.add_callees(&callee);
        // Higher-order builtins call their function argument on the caller's behalf.
        if let Some("builtins.map" | "builtins.filter") = callee.qualified() {
            for a in call.arguments.args.iter() {
                let f = ev.eval(a);
                if f.alternatives().iter().any(|v| matches!(v, Value::Function(_) | Value::BoundMethod(..))) {
                    self.add_callees(&f);
                }
            }
        }
    }

    fn iteration(&mut self, iter: &'a Expr) {
        let mut ev = Evaluator::new(self.cx, self.file, self.scope);
        let v = ev.eval(iter);
        let methods = ev.iteration_methods(&v);
        let caller = self.caller_name();
        let nodes: Vec<String> = methods.into_iter().map(|f| self.names.func(f)).collect();
        self.graph.entry(caller).or_default().extend(nodes);
    }

    fn in_function(&mut self, start: ruff_text_size::TextSize, body: impl FnOnce(&mut Self)) {
        let scopes = self.cx.index.module_scopes(self.file);
        let Some(&local) = scopes.function_at.get(&start) else { return };
        let f = FuncId { file: self.file, local };
        let scope = scopes.functions[local as usize].scope;
        let (saved_scope, saved_caller) = (self.scope, self.caller);
        self.scope = scope;
        self.caller = Some(f);
        body(self);
        self.scope = saved_scope;
        self.caller = saved_caller;
    }
}

impl<'a> Visitor<'a> for EdgeVisitor<'_, 'a, '_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(def) => {
                for d in &def.decorator_list {
                    self.visit_expr(&d.expression);
                    if !matches!(d.expression, Expr::Call(_)) {
                        let mut ev = Evaluator::new(self.cx, self.file, self.scope);
                        let v = ev.eval(&d.expression);
                        self.add_callees(&v);
                    } else if let Expr::Call(c) = &d.expression {
                        // `@factory(...)`: the decorator it returns is applied too.
                        let mut ev = Evaluator::new(self.cx, self.file, self.scope);
                        let v = ev.eval_call(c);
                        self.add_callees(&v);
                    }
                }
                for p in def.parameters.iter_non_variadic_params() {
                    if let Some(d) = &p.default {
                        self.visit_expr(d);
                    }
                }
                self.in_function(def.range.start(), |v| v.visit_body(&def.body));
            }
            // `raise Error` (a class, not called) constructs it.
            Stmt::Raise(r) => {
                if let Some(exc) = r.exc.as_deref()
                    && !matches!(exc, Expr::Call(_))
                {
                    let mut ev = Evaluator::new(self.cx, self.file, self.scope);
                    let v = ev.eval(exc);
                    let classes: Vec<Value> =
                        v.alternatives().iter().filter(|c| matches!(c, Value::Class(_))).cloned().collect();
                    for c in classes {
                        self.add_callees(&c);
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            Stmt::ClassDef(class) => {
                for d in &class.decorator_list {
                    self.visit_expr(&d.expression);
                }
                if let Some(args) = &class.arguments {
                    self.visit_arguments(args);
                }
                let scopes = self.cx.index.module_scopes(self.file);
                if let Some(&c) = scopes.class_at.get(&class.range.start()) {
                    let saved = self.scope;
                    self.scope = scopes.classes[c as usize].scope;
                    self.visit_body(&class.body);
                    self.scope = saved;
                }
            }
            // Iterating over a project instance calls its `__iter__` and `__next__`.
            Stmt::For(f) => {
                self.iteration(&f.iter);
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_comprehension(&mut self, c: &'a ast::Comprehension) {
        self.iteration(&c.iter);
        visitor::walk_comprehension(self, c);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                self.call(call);
                visitor::walk_expr(self, expr);
            }
            Expr::Lambda(l) => self.in_function(l.range.start(), |v| v.visit_expr(&l.body)),
            Expr::ListComp(ast::ExprListComp { range, .. })
            | Expr::SetComp(ast::ExprSetComp { range, .. })
            | Expr::DictComp(ast::ExprDictComp { range, .. })
            | Expr::Generator(ast::ExprGenerator { range, .. }) => {
                let scopes = self.cx.index.module_scopes(self.file);
                match scopes.comprehension_scopes.get(&range.start()) {
                    Some(&s) => {
                        let saved = self.scope;
                        self.scope = s;
                        visitor::walk_expr(self, expr);
                        self.scope = saved;
                    }
                    None => visitor::walk_expr(self, expr),
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}
