//! pytest fills test parameters itself: `@pytest.mark.parametrize("pool", [Pool, ThreadPool])`
//! binds `pool` to each listed value, and a parameter named like a `@pytest.fixture` function
//! (in the test's module or a `conftest.py` above it) gets what the fixture returns or yields
//! (`yield ThreadPoolExecutor(max_workers=1)`). No call site in the project passes these
//! values, so without this the pools and arrays tests hand to their code are unknown.

use crate::analysis::infer::{Evaluator, join_all};
use crate::analysis::value::Value;
use crate::project::index::FuncId;
use crate::project::scope::{BindingKind, FuncNode};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr};

/// What pytest passes for parameter `index` of `func`, if it is a parametrized name or a
/// fixture's.
pub fn injected<'a>(ev: &mut Evaluator<'a, '_, '_>, func: FuncId, index: usize) -> Option<Value> {
    let info = ev.cx.index.func(func);
    let FuncNode::Def(def) = info.node else { return None };
    let name = info.params().get(index)?.name.as_str();
    if let Some(v) = parametrized(ev, func, def, name) {
        return Some(v);
    }
    // Fixtures are injected into tests and into other fixtures.
    let is_test = def.name.as_str().starts_with("test") || is_fixture(ev, func.file, info.parent_scope, def);
    if !is_test {
        return None;
    }
    fixture_value(ev, func, name)
}

/// The values `@pytest.mark.parametrize("a, b", [(1, x), ...])` lists for `name`.
fn parametrized<'a>(
    ev: &mut Evaluator<'a, '_, '_>,
    func: FuncId,
    def: &'a ast::StmtFunctionDef,
    name: &str,
) -> Option<Value> {
    let parent = ev.cx.index.func(func).parent_scope;
    let scopes = ev.cx.index.module_scopes(func.file);
    for d in &def.decorator_list {
        let Expr::Call(c) = &d.expression else { continue };
        if scopes.import_qualified_name(parent, &c.func).as_deref() != Some("pytest.mark.parametrize") {
            continue;
        }
        let names: Vec<String> = match c.arguments.args.first()? {
            Expr::StringLiteral(s) => s.value.to_str().split(',').map(|n| n.trim().to_string()).collect(),
            Expr::List(l) => l.elts.iter().filter_map(string_of).collect(),
            Expr::Tuple(t) => t.elts.iter().filter_map(string_of).collect(),
            _ => continue,
        };
        let Some(pos) = names.iter().position(|n| n == name) else { continue };
        let rows: &'a [Expr] = match c.arguments.args.get(1)? {
            Expr::List(l) => &l.elts,
            Expr::Tuple(t) => &t.elts,
            _ => return Some(Value::Unknown),
        };
        let mut outer = ev.child_at(func.file, parent);
        let values: Vec<Value> = rows
            .iter()
            .map(|row| match row {
                _ if names.len() == 1 => outer.eval(row),
                Expr::Tuple(t) => t.elts.get(pos).map_or(Value::Unknown, |e| outer.eval(e)),
                Expr::List(l) => l.elts.get(pos).map_or(Value::Unknown, |e| outer.eval(e)),
                _ => Value::Unknown,
            })
            .collect();
        return Some(join_all(values));
    }
    None
}

fn string_of(e: &Expr) -> Option<String> {
    match e {
        Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
        _ => None,
    }
}

/// Whether a def is decorated `@pytest.fixture` or `@pytest.fixture(...)`.
fn is_fixture(ev: &Evaluator, file: u32, scope: crate::project::scope::ScopeId, def: &ast::StmtFunctionDef) -> bool {
    let scopes = ev.cx.index.module_scopes(file);
    def.decorator_list.iter().any(|d| {
        let callee = match &d.expression {
            Expr::Call(c) => &*c.func,
            e => e,
        };
        scopes.import_qualified_name(scope, callee).as_deref() == Some("pytest.fixture")
    })
}

/// The value of the fixture `name` visible from `func`'s module: defined there, or in a
/// `conftest.py` of its folder or a folder above.
fn fixture_value<'a>(ev: &mut Evaluator<'a, '_, '_>, func: FuncId, name: &str) -> Option<Value> {
    let index = ev.cx.index;
    let here = index.modules[func.file as usize].source.path.parent()?.to_path_buf();
    let mut candidates = vec![func.file];
    for &m in index.conftest_modules() {
        let p = &index.modules[m as usize].source.path;
        if p.parent().is_some_and(|dir| here.starts_with(dir)) && m != func.file {
            candidates.push(m);
        }
    }
    // The nearest conftest first (the longest folder).
    candidates[1..].sort_by_key(|&m| std::cmp::Reverse(index.modules[m as usize].source.path.as_os_str().len()));
    for m in candidates {
        let scopes = index.module_scopes(m);
        let Some(ids) = scopes.scopes[0].bindings.get(name) else { continue };
        for &id in ids.iter() {
            let BindingKind::Function(local) = scopes.bindings[id as usize].kind else { continue };
            let f = FuncId { file: m, local };
            let info = index.func(f);
            let FuncNode::Def(def) = info.node else { continue };
            if !is_fixture(ev, m, info.parent_scope, def) {
                continue;
            }
            let mut yields = YieldFinder { values: Vec::new() };
            for s in &def.body {
                yields.visit_stmt(s);
            }
            let v = if yields.values.is_empty() {
                ev.return_value(f)
            } else {
                let mut body = ev.child_at(m, info.scope);
                join_all(yields.values.into_iter().map(|e| body.eval(e)))
            };
            return Some(v);
        }
    }
    None
}

/// The values a function body yields (not counting nested defs).
struct YieldFinder<'a> {
    values: Vec<&'a Expr>,
}

impl<'a> Visitor<'a> for YieldFinder<'a> {
    fn visit_stmt(&mut self, s: &'a ast::Stmt) {
        if matches!(s, ast::Stmt::FunctionDef(_) | ast::Stmt::ClassDef(_)) {
            return;
        }
        visitor::walk_stmt(self, s);
    }

    fn visit_expr(&mut self, e: &'a Expr) {
        match e {
            Expr::Yield(y) => {
                if let Some(v) = &y.value {
                    self.values.push(v);
                }
            }
            Expr::Lambda(_) => return,
            _ => {}
        }
        visitor::walk_expr(self, e);
    }
}
