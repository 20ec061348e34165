//! Task discovery: recognise the calls that run a callable in a thread or process pool
//! (docs/design.md: launchers), resolve the callable to project functions, and record the
//! argument facts each launcher passes in. Also records ordinary calls between project
//! functions, which the call graph needs.

use crate::analysis::infer::Evaluator;
use crate::analysis::library::kwarg;
use crate::analysis::value::{PoolFamily, Value};
use crate::analysis::walk::{Hooks, WalkState};
use crate::project::index::{ClassId, FuncId};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

/// A project function a launcher runs, with the arguments it is called with.
#[derive(Debug, Clone)]
pub struct Entry {
    pub func: FuncId,
    pub args: Vec<Value>,
    pub kwargs: Vec<(String, Value)>,
}

/// A place that launches tasks.
#[derive(Debug, Clone)]
pub struct LauncherSite {
    pub file: u32,
    pub range: TextRange,
    /// `ThreadPoolExecutor.submit`, `threading.Thread`, `joblib.Parallel`, ...
    pub launcher: String,
    pub threads: bool,
    pub entries: Vec<Entry>,
    /// The function the site is in (`None` at module level).
    pub from: Option<FuncId>,
    /// The values the launcher hands to its tasks (for `map`-style launchers, one task's
    /// elements), whether or not the callable is a project function.
    pub data: Vec<Value>,
    /// The callable is this parameter of `from`: the function forwards what its callers give
    /// it (see [`crate::analysis::infer::Forwarder`]).
    pub forwards: Option<usize>,
    /// The pool's worker count where its constructor states it (every pool the receiver may
    /// be agrees): a one-worker pool runs its tasks one at a time.
    pub workers: Option<u32>,
    /// The tasks are a few coarse chunks: the mapped iterable splits the data into pieces
    /// (`np.array_split(x, n_jobs)`) or lists a few arrays (`[lhs, rhs]`), so each element
    /// crosses to a worker once, in one of a handful of tasks.
    pub few_chunks: bool,
    /// The most elements one task receives, where the code states the size of every array
    /// handed to a task (`p.map(f, v)` with `v = np.random.rand(1000, 1000)`: rows of 1,000).
    pub task_elements: Option<u64>,
}

/// Positional and keyword argument values of a call.
pub type CallArgs = (Vec<Value>, Vec<(String, Value)>);

/// A call from one project function to another. `args` is `None` for a function passed as a
/// callback (it may run, with arguments we cannot see).
#[derive(Debug, Clone)]
pub struct CallEdge {
    pub from: FuncId,
    pub to: FuncId,
    pub args: Option<CallArgs>,
}

/// Qt thread classes whose `run` runs in another thread (`QThread.start()`,
/// `QThreadPool.start(runnable)`).
fn qt_thread_base(q: &str) -> Option<&'static str> {
    let root = q.split('.').next().unwrap_or("");
    if !matches!(root, "PyQt5" | "PyQt6" | "PySide2" | "PySide6" | "qtpy") {
        return None;
    }
    match q.rsplit('.').next() {
        Some("QThread") => Some("QThread.run"),
        Some("QRunnable") => Some("QRunnable.run"),
        _ => None,
    }
}

/// Decorators that make calling the function run it in a worker thread.
const WORKER_DECORATORS: &[&str] = &[
    "napari.qt.threading.thread_worker",
    "napari._qt.qthreading.thread_worker",
    "napari.qt.thread_worker",
    "superqt.utils.thread_worker",
    "superqt.utils._qthreading.thread_worker",
];

impl DiscoveryHooks {
    /// `class W(threading.Thread)`, `class W(QThread)`, `class R(QRunnable)`: `run` is a task.
    fn thread_class<'a>(&mut self, ev: &mut Evaluator<'a, '_, '_>, c: &'a ast::StmtClassDef) {
        let scopes = &ev.cx.index.module_scopes(ev.file);
        let Some(&local) = scopes.class_at.get(&c.range.start()) else {
            return;
        };
        let class = ClassId { file: ev.file, local };
        let bases = ev.external_bases(class);
        let launcher = bases.iter().find_map(|b| match &**b {
            "threading.Thread" => Some(("threading.Thread.run", true)),
            "multiprocessing.Process" | "multiprocessing.context.Process" => {
                Some(("multiprocessing.Process.run", false))
            }
            q => qt_thread_base(q).map(|l| (l, true)),
        });
        let Some((launcher, threads)) = launcher else {
            return;
        };
        let Some(run) = ev.find_method(class, "run") else {
            return;
        };
        let receivers = ev.cx.with_subclasses(class);
        self.sites.push(LauncherSite {
            file: self.file,
            range: c.name.range(),
            launcher: launcher.into(),
            threads,
            entries: vec![Entry {
                func: run,
                args: vec![Value::union_of(receivers.into_iter().map(Value::Instance))],
                kwargs: Vec::new(),
            }],
            from: self.unit,
            data: Vec::new(),
            forwards: None,
            workers: None,
            few_chunks: false,
            task_elements: None,
        });
    }

    /// `@thread_worker def compute(...)`: every call of `compute` runs it in a thread, with
    /// the arguments its callers pass (the whole-program parameter facts).
    fn worker_decorator<'a>(&mut self, ev: &mut Evaluator<'a, '_, '_>, def: &'a ast::StmtFunctionDef) {
        let hit = def.decorator_list.iter().find_map(|d| {
            let callee = match &d.expression {
                Expr::Call(c) => &*c.func,
                e => e,
            };
            let v = ev.eval(callee);
            let q = library_function(ev, &v).unwrap_or(v);
            WORKER_DECORATORS.iter().find(|w| q.qualified() == Some(**w)).copied()
        });
        let Some(launcher) = hit else { return };
        // napari's private module is named as users import it.
        let launcher = if launcher.starts_with("napari.") { "napari.qt.threading.thread_worker" } else { launcher };
        let scopes = ev.cx.index.module_scopes(ev.file);
        let Some(&local) = scopes.function_at.get(&def.range.start()) else {
            return;
        };
        let func = FuncId { file: ev.file, local };
        let info = ev.cx.index.func(func);
        let slots = ev.cx.facts.params.get(&func).cloned().unwrap_or_default();
        let positional = info.positional_count();
        let args: Vec<Value> = slots.iter().take(positional).map(|v| v.clone().or_unknown()).collect();
        self.sites.push(LauncherSite {
            file: self.file,
            range: def.name.range(),
            launcher: launcher.into(),
            threads: true,
            entries: vec![Entry { func, args: args.clone(), kwargs: Vec::new() }],
            from: self.unit,
            data: args,
            forwards: None,
            workers: None,
            few_chunks: false,
            task_elements: None,
        });
    }
}

/// Walker hooks that collect launcher sites and call edges.
pub struct DiscoveryHooks {
    pub file: u32,
    pub unit: Option<FuncId>,
    /// Also record calls to project functions (only needed for code already known to run in
    /// a task).
    pub collect_edges: bool,
    pub sites: Vec<LauncherSite>,
    pub edges: Vec<CallEdge>,
}

impl DiscoveryHooks {
    pub fn new(file: u32, unit: Option<FuncId>, collect_edges: bool) -> Self {
        DiscoveryHooks { file, unit, collect_edges, sites: Vec::new(), edges: Vec::new() }
    }
}

impl<'a> Hooks<'a> for DiscoveryHooks {
    fn on_stmt(&mut self, ev: &mut Evaluator<'a, '_, '_>, stmt: &'a Stmt, _state: &WalkState<'a>) {
        match stmt {
            Stmt::ClassDef(c) => self.thread_class(ev, c),
            Stmt::FunctionDef(def) => self.worker_decorator(ev, def),
            _ => {}
        }
    }

    fn on_expr(&mut self, ev: &mut Evaluator<'a, '_, '_>, expr: &'a Expr, _state: &WalkState<'a>) {
        let Expr::Call(call) = expr else { return };
        let callee = ev.eval(&call.func);
        if let Some(site) = launcher_site(ev, call, self.file, self.unit, &callee) {
            // The callable passed to a launcher is not a callback of the launching function.
            self.sites.push(site);
            return;
        }
        let Some(from) = self.unit.filter(|_| self.collect_edges) else {
            return;
        };
        let direct = match &callee {
            Value::Class(_)
            | Value::Function(_)
            | Value::BoundMethod(..)
            | Value::Partial(_)
            | Value::Instance(_)
            | Value::Union(_) => {
                let (args, kwargs) = ev.call_args(call);
                Some(entries_of(ev, &callee, args, kwargs))
            }
            _ => None,
        };
        for e in direct.into_iter().flatten() {
            self.edges.push(CallEdge { from, to: e.func, args: Some((e.args, e.kwargs)) });
        }
        // Project functions passed as arguments are assumed to be called.
        for a in call.arguments.args.iter().chain(call.arguments.keywords.iter().map(|k| &k.value)) {
            if !matches!(a, Expr::Name(_) | Expr::Attribute(_) | Expr::Lambda(_)) {
                continue;
            }
            let v = ev.eval(a);
            if matches!(v, Value::Function(_) | Value::BoundMethod(..) | Value::Partial(_)) {
                for e in entries_of(ev, &v, Vec::new(), Vec::new()) {
                    self.edges.push(CallEdge { from, to: e.func, args: None });
                }
            }
        }
    }
}

/// The project functions a callable value runs, with arguments prepended by binding
/// (`self` of a bound method, `functools.partial` arguments).
pub fn entries_of<'a>(
    ev: &mut Evaluator<'a, '_, '_>,
    v: &Value,
    args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Vec<Entry> {
    match v {
        Value::Union(items) => items.iter().flat_map(|m| entries_of(ev, m, args.clone(), kwargs.clone())).collect(),
        Value::Function(f) => vec![Entry { func: *f, args, kwargs }],
        Value::BoundMethod(f, c) => {
            let mut all = vec![Value::Instance(*c)];
            all.extend(args);
            vec![Entry { func: *f, args: all, kwargs }]
        }
        Value::Partial(p) => {
            let mut all = p.args.clone();
            all.extend(args);
            let mut kw = p.kwargs.clone();
            kw.extend(kwargs);
            entries_of(ev, &p.func, all, kw)
        }
        // Calling a class runs its `__init__` on a new instance.
        Value::Class(c) => match ev.find_method(*c, "__init__") {
            Some(init) => {
                let mut all = vec![Value::Instance(*c)];
                all.extend(args);
                vec![Entry { func: init, args: all, kwargs }]
            }
            None => Vec::new(),
        },
        Value::Instance(c) => match ev.find_method(*c, "__call__") {
            Some(f) => entries_of(ev, &Value::BoundMethod(f, *c), args, kwargs),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Positional values of an `args=(...)` tuple and keyword values of a `kwargs={...}` dict.
fn packed_args<'a>(
    ev: &mut Evaluator<'a, '_, '_>,
    args: Option<&'a Expr>,
    kwargs: Option<&'a Expr>,
) -> (Vec<Value>, Vec<(String, Value)>) {
    let pos = match args {
        Some(Expr::Tuple(t)) => t.elts.iter().map(|e| ev.eval(e)).collect(),
        Some(Expr::List(l)) => l.elts.iter().map(|e| ev.eval(e)).collect(),
        Some(e) => match ev.eval(e) {
            Value::Tuple(items) => items.to_vec(),
            _ => vec![Value::Unknown; 8],
        },
        None => Vec::new(),
    };
    let mut kws = Vec::new();
    if let Some(Expr::Dict(d)) = kwargs {
        for item in &d.items {
            if let Some(Expr::StringLiteral(k)) = &item.key {
                kws.push((k.value.to_str().to_string(), ev.eval(&item.value)));
            }
        }
    }
    (pos, kws)
}

/// Elements of the iterables passed to `map`-style launchers, one per iterable.
fn mapped_args<'a>(ev: &mut Evaluator<'a, '_, '_>, iterables: &'a [Expr]) -> Vec<Value> {
    iterables
        .iter()
        .map(|e| if matches!(e, Expr::Starred(_)) { Value::Unknown } else { ev.eval(e).element() })
        .collect()
}

/// The arrays a map-style launcher iterates to make its tasks' arguments: an iterable that is
/// an array (`pool.map(f, rows)`), or the first source of a comprehension
/// (`parallel(p_fun(x_) for x_ in x)`). Each task is handed a piece of it, a row or a numpy
/// scalar, even where the element's own value is unknown (an array of unknown rank).
fn iterated_arrays<'a>(ev: &mut Evaluator<'a, '_, '_>, iterables: &'a [Expr]) -> Vec<Value> {
    let mut out = Vec::new();
    for e in iterables {
        let source = match e {
            Expr::Generator(g) => g.generators.first().map(|g| &g.iter),
            Expr::ListComp(c) => c.generators.first().map(|g| &g.iter),
            Expr::Starred(_) => None,
            e => Some(e),
        };
        if let Some(source) = source {
            let v = ev.eval(source);
            if matches!(&v, Value::Array(a) if a.ndim != Some(0)) {
                out.push(v);
            }
        }
    }
    out
}

/// At most this many arrays listed literally as a map's iterable count as a few chunks.
const FEW_LISTED: usize = 4;

/// Whether a mapped iterable (or the generator feeding `joblib.Parallel`) splits the data into
/// a few coarse chunks: `np.array_split(x, n_jobs)` and the other `numpy` splits (also through
/// an alias, `nas = np.array_split`), `zip` or `enumerate` of such splits, or a literal list of
/// at most [`FEW_LISTED`] items.
fn splits_into_few_chunks<'a>(ev: &mut Evaluator<'a, '_, '_>, iterable: &'a Expr) -> bool {
    let source = match iterable {
        Expr::Generator(g) => g.generators.first().map(|g| &g.iter),
        Expr::ListComp(c) => c.generators.first().map(|g| &g.iter),
        e => Some(e),
    };
    let Some(source) = source else { return false };
    match source {
        Expr::List(l) => (1..=FEW_LISTED).contains(&l.elts.len()) && !l.elts.iter().any(Expr::is_starred_expr),
        Expr::Tuple(t) => (1..=FEW_LISTED).contains(&t.elts.len()) && !t.elts.iter().any(Expr::is_starred_expr),
        Expr::Call(c) => {
            let callee = ev.eval(&c.func);
            match callee.qualified() {
                Some("numpy.array_split" | "numpy.split" | "numpy.hsplit" | "numpy.vsplit" | "numpy.dsplit") => true,
                Some("builtins.zip" | "builtins.enumerate") => {
                    let args = &c.arguments.args;
                    !args.is_empty() && args.iter().any(|a| splits_into_few_chunks(ev, a))
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// Elements an array handed whole to every task must reach to count as large (800 kB of
/// float64): copying it into each of the workers is then a cost of its own.
const LARGE_BROADCAST: u64 = 100_000;

/// `parallel(p_fun(X, p) for p in np.array_split(perms, n_jobs))`: whether a task call in the
/// generator also gets an array that does not depend on the loop, known to hold at least
/// [`LARGE_BROADCAST`] elements: every task receives its own copy of it.
fn broadcasts_large_array<'a>(ev: &mut Evaluator<'a, '_, '_>, items: &'a Expr) -> bool {
    let (elt, generators) = match items {
        Expr::Generator(g) => (&*g.elt, &g.generators),
        Expr::ListComp(c) => (&*c.elt, &c.generators),
        _ => return false,
    };
    let Expr::Call(call) = elt else { return false };
    let mut targets = Vec::new();
    for g in generators {
        crate::analysis::names::target_names(&g.target, &mut targets);
    }
    call.arguments
        .args
        .iter()
        .chain(call.arguments.keywords.iter().map(|k| &k.value))
        .filter(|a| !targets.iter().any(|t| crate::analysis::names::mentions(a, t)))
        .any(|a| match ev.eval(a) {
            Value::Array(info) => info.size.is_some_and(|n| n >= LARGE_BROADCAST),
            _ => false,
        })
}

/// The parameter of `from` that `callable` reads, when it is a plain parameter name (not
/// `self`): the launcher forwards what `from`'s callers pass there.
fn forwarded_param(ev: &Evaluator, from: Option<FuncId>, callable: &Expr) -> Option<usize> {
    let from = from?;
    let Expr::Name(n) = callable else { return None };
    let scopes = ev.cx.index.module_scopes(from.file);
    let crate::project::scope::Resolved::Bound(_, ids) = scopes.resolve_name(ev.current_scope(), n.id.as_str()) else {
        return None;
    };
    let [id] = ids else { return None };
    match scopes.bindings[*id as usize].kind {
        crate::project::scope::BindingKind::Parameter { func, index } if func == from.local && from.file == ev.file => {
            let info = ev.cx.index.func(from);
            (!(index == 0 && info.takes_self())).then_some(index)
        }
        _ => None,
    }
}

/// The forwarding launcher a callee is (see [`crate::analysis::infer::Forwarder`]), and whether it is
/// called bound (its first parameter already supplied).
fn forwarder_of(ev: &Evaluator, callee: &Value) -> Option<(FuncId, bool, crate::analysis::infer::Forwarder)> {
    let forwarders = &ev.cx.facts.forwarders;
    if forwarders.is_empty() {
        return None;
    }
    let (f, bound) = match callee {
        Value::Function(f) => (*f, false),
        Value::BoundMethod(f, _) => (*f, true),
        _ => return None,
    };
    forwarders.get(&f).map(|fw| (f, bound, fw.clone()))
}

/// The configured `task-launchers` entry a callee is, if any.
fn user_launcher(ev: &Evaluator, callee: &Value) -> Option<String> {
    let launchers = &ev.cx.index.user_launchers;
    if launchers.is_empty() {
        return None;
    }
    let name = match callee {
        Value::External(q) => q.to_string(),
        Value::Function(f) => ev.cx.index.func_qualified(*f),
        _ => return None,
    };
    launchers.contains(&name).then_some(name)
}

/// A library launcher defined in the project being checked (napari's own `thread_worker` and
/// `create_worker` when napari is checked, tqdm's `thread_map` in tqdm): the project function,
/// as the external name the launcher tables know.
fn library_function(ev: &Evaluator, callee: &Value) -> Option<Value> {
    const NAMES: &[&str] = &["thread_worker", "create_worker", "thread_map", "process_map"];
    let Value::Function(f) = callee else { return None };
    let qualname = ev.cx.index.func(*f).qualname.as_str();
    if !NAMES.contains(&qualname.rsplit('.').next().unwrap_or(qualname)) {
        return None;
    }
    Some(Value::External(ev.cx.index.func_qualified(*f).into()))
}

/// The methods through which an executor or pool value launches its callable argument.
const POOL_METHODS: &[&str] =
    &["submit", "map", "imap", "imap_unordered", "map_async", "starmap", "starmap_async", "apply", "apply_async"];

/// Recognise a launcher call; `callee` is the value of `call.func`. The receiver of a method
/// call is evaluated only for the methods a pool or executor launches through.
pub fn launcher_site<'a>(
    ev: &mut Evaluator<'a, '_, '_>,
    call: &'a ast::ExprCall,
    file: u32,
    from: Option<FuncId>,
    callee: &Value,
) -> Option<LauncherSite> {
    let args = &call.arguments.args;
    let forwards = |ev: &Evaluator<'a, '_, '_>, callable: Option<&Expr>| forwarded_param(ev, from, callable?);
    let site = |launcher: String, threads: bool, entries: Vec<Entry>, data: Vec<Value>, forwards: Option<usize>| {
        LauncherSite {
            file,
            range: call.range(),
            launcher,
            threads,
            entries,
            from,
            data,
            forwards,
            workers: None,
            few_chunks: false,
            task_elements: None,
        }
    };
    if let Expr::Attribute(attr) = &*call.func
        && (POOL_METHODS.contains(&attr.attr.as_str()) || matches!(attr.attr.as_str(), "run_in_executor" | "compute"))
    {
        let m = attr.attr.as_str();
        if m == "run_in_executor" {
            let executor = args.first()?;
            let threads = match executor {
                Expr::NoneLiteral(_) => true,
                e => match ev.eval(e) {
                    Value::Pool(k) if k.family == PoolFamily::Executor => k.threads,
                    Value::None => true,
                    _ => return None,
                },
            };
            let callee = ev.eval(args.get(1)?);
            let rest: Vec<Value> = args[2..].iter().map(|e| ev.eval(e)).collect();
            let data = rest.clone();
            let entries = entries_of(ev, &callee, rest, Vec::new());
            let fw = forwards(ev, args.get(1));
            return Some(site("loop.run_in_executor".into(), threads, entries, data, fw));
        }
        let recv = ev.eval(&attr.value);
        if m == "compute" && matches!(recv, Value::Delayed(_)) {
            let threads = dask_scheduler(call).unwrap_or(true);
            let (entries, data) = delayed_entries_of(ev, &[recv]);
            return Some(site("dask.compute".into(), threads, entries, data, None));
        }
        // A receiver that may be several pools (an alias bound on two paths) launches on the
        // thread pool if it may be one; a process pool otherwise.
        let pools: Vec<crate::analysis::value::PoolKind> = recv
            .alternatives()
            .iter()
            .filter_map(|v| match v {
                Value::Pool(k) => Some(*k),
                // A project subclass of a pool class (`class Bounded(ThreadPoolExecutor)`).
                Value::Instance(c) => {
                    ev.external_bases(*c).iter().find_map(|b| crate::analysis::infer::pool_constructor(b))
                }
                _ => None,
            })
            .collect();
        let chosen = pools.iter().find(|k| k.threads).or(pools.first()).copied();
        if let Some(kind) = chosen {
            let prefix = match (kind.family, kind.threads) {
                (PoolFamily::Executor, true) => "ThreadPoolExecutor",
                (PoolFamily::Executor, false) => "ProcessPoolExecutor",
                (PoolFamily::MpPool, true) => "ThreadPool",
                (PoolFamily::MpPool, false) => "Pool",
                (PoolFamily::Joblib, _) => return None,
            };
            let func_expr = args.first().or_else(|| kwarg(call, "fn")).or_else(|| kwarg(call, "func"))?;
            let callee = ev.eval(func_expr);
            let (pos, kwargs) = match (kind.family, m) {
                (PoolFamily::Executor, "submit") => {
                    let pos = ev.positional_values(&args[1..]);
                    let kwargs = ev.keyword_values(call);
                    (pos, kwargs)
                }
                (PoolFamily::Executor, "map") => (mapped_args(ev, &args[1..]), Vec::new()),
                (PoolFamily::MpPool, "map" | "imap" | "imap_unordered" | "map_async") => {
                    let it = args.get(1).or_else(|| kwarg(call, "iterable"));
                    (it.map(|e| vec![ev.eval(e).element()]).unwrap_or_default(), Vec::new())
                }
                (PoolFamily::MpPool, "starmap" | "starmap_async") => {
                    let it = args.get(1).or_else(|| kwarg(call, "iterable"));
                    let elem = it.map(|e| ev.eval(e).element()).unwrap_or_default();
                    let pos = match elem {
                        Value::Tuple(items) => items.to_vec(),
                        _ => vec![Value::Unknown; 8],
                    };
                    (pos, Vec::new())
                }
                (PoolFamily::MpPool, "apply" | "apply_async") => {
                    let a = args.get(1).or_else(|| kwarg(call, "args"));
                    let k = args.get(2).or_else(|| kwarg(call, "kwds"));
                    packed_args(ev, a, k)
                }
                _ => return None,
            };
            let mut data = handed_data(&callee, &pos, &kwargs);
            let task_elements = largest_known_array(&data);
            let iterables = match (kind.family, m) {
                (PoolFamily::Executor, "map") => args.get(1..).unwrap_or_default(),
                (PoolFamily::MpPool, "map" | "imap" | "imap_unordered" | "map_async" | "starmap" | "starmap_async") => {
                    args.get(1..2).unwrap_or_default()
                }
                _ => &[],
            };
            data.extend(iterated_arrays(ev, iterables));
            let few_chunks = !iterables.is_empty() && iterables.iter().all(|e| splits_into_few_chunks(ev, e));
            let entries = entries_of(ev, &callee, pos, kwargs);
            let fw = forwards(ev, Some(func_expr));
            let mut found = site(format!("{prefix}.{m}"), kind.threads, entries, data, fw);
            found.workers = kind.workers.filter(|w| pools.iter().all(|k| k.workers == Some(*w)));
            found.few_chunks = few_chunks;
            found.task_elements = task_elements;
            return Some(found);
        }
    }
    if let Some(name) = user_launcher(ev, callee) {
        // `task-launchers`: `launcher(func, *iterables)`, each task gets one element of each.
        let f = ev.eval(args.first().or_else(|| kwarg(call, "func")).or_else(|| kwarg(call, "fn"))?);
        let pos = mapped_args(ev, args.get(1..).unwrap_or_default());
        let data = pos.clone();
        let entries = entries_of(ev, &f, pos, Vec::new());
        let fw = forwards(ev, args.first().or_else(|| kwarg(call, "func")).or_else(|| kwarg(call, "fn")));
        return Some(site(name, true, entries, data, fw));
    }
    if let Some((f, bound, fwd)) = forwarder_of(ev, callee) {
        // A call of a project function that launches its parameter: a launch of the
        // argument given for it, with the positional arguments after it as the task's.
        let info = ev.cx.index.func(f);
        let pname = info.params().get(fwd.param).map(|p| p.name.as_str());
        let at = fwd.param.checked_sub(usize::from(bound))?;
        let callable = args.get(at).filter(|e| !matches!(e, Expr::Starred(_))).or_else(|| kwarg(call, pname?))?;
        let f_value = ev.eval(callable);
        let rest: Vec<Value> =
            args.iter().skip(at + 1).take_while(|e| !matches!(e, Expr::Starred(_))).map(|e| ev.eval(e)).collect();
        let data = rest.clone();
        let entries = entries_of(ev, &f_value, rest, Vec::new());
        let fw = forwards(ev, Some(callable));
        return Some(site(fwd.launcher, fwd.threads, entries, data, fw));
    }
    let library = library_function(ev, callee);
    let callee = library.as_ref().unwrap_or(callee);
    match callee {
        Value::External(q) => match &**q {
            "asyncio.to_thread" | "asyncio.threads.to_thread" => {
                let f = ev.eval(args.first()?);
                let rest: Vec<Value> = args[1..].iter().map(|e| ev.eval(e)).collect();
                let kwargs: Vec<(String, Value)> = ev.keyword_values(call);
                let data = handed_data(&f, &rest, &kwargs);
                let entries = entries_of(ev, &f, rest, kwargs);
                let fw = forwards(ev, args.first());
                Some(site("asyncio.to_thread".into(), true, entries, data, fw))
            }
            "tqdm.contrib.concurrent.thread_map" | "tqdm.contrib.concurrent.process_map" => {
                let f = ev.eval(args.first().or_else(|| kwarg(call, "fn"))?);
                let pos = mapped_args(ev, args.get(1..).unwrap_or_default());
                let data = pos.clone();
                let entries = entries_of(ev, &f, pos, Vec::new());
                let threads = q.ends_with("thread_map");
                let fw = forwards(ev, args.first().or_else(|| kwarg(call, "fn")));
                Some(site(
                    q.rsplit('.').next().map(|m| format!("tqdm.contrib.concurrent.{m}")).unwrap_or_default(),
                    threads,
                    entries,
                    data,
                    fw,
                ))
            }
            // superqt's own module path too: napari's `create_worker` wraps
            // `superqt.utils._qthreading.create_worker`.
            "napari.qt.threading.create_worker"
            | "napari.qt.create_worker"
            | "napari._qt.qthreading.create_worker"
            | "superqt.utils.create_worker"
            | "superqt.utils._qthreading.create_worker" => {
                let f = ev.eval(args.first()?);
                let rest: Vec<Value> = args[1..].iter().map(|e| ev.eval(e)).collect();
                let kwargs: Vec<(String, Value)> =
                    ev.keyword_values(call).into_iter().filter(|(k, _)| !k.starts_with('_')).collect();
                let data = handed_data(&f, &rest, &kwargs);
                let entries = entries_of(ev, &f, rest, kwargs);
                let fw = forwards(ev, args.first());
                Some(site("napari.qt.threading.create_worker".into(), true, entries, data, fw))
            }
            "dask.compute" | "dask.base.compute" | "dask.threaded.get" | "dask.get" => {
                let threads = match dask_scheduler(call) {
                    Some(s) => s,
                    None if q.ends_with(".get") => &**q == "dask.threaded.get",
                    None => true,
                };
                let (entries, data) = delayed_entries(ev, args);
                let name = if q.ends_with(".get") { "dask.threaded.get" } else { "dask.compute" };
                Some(site(name.into(), threads, entries, data, None))
            }
            "threading.Thread" | "threading.Timer" | "multiprocessing.Process" => {
                let (target_pos, args_pos, kwargs_pos) = if &**q == "threading.Timer" { (1, 2, 3) } else { (1, 3, 4) };
                let target = kwarg(call, if &**q == "threading.Timer" { "function" } else { "target" })
                    .or_else(|| args.get(target_pos))?;
                let f = ev.eval(target);
                let (pos, kwargs) = packed_args(
                    ev,
                    kwarg(call, "args").or_else(|| args.get(args_pos)),
                    kwarg(call, "kwargs").or_else(|| args.get(kwargs_pos)),
                );
                let data = handed_data(&f, &pos, &kwargs);
                let entries = entries_of(ev, &f, pos, kwargs);
                let threads = &**q != "multiprocessing.Process";
                let fw = forwards(ev, Some(target));
                Some(site(q.to_string(), threads, entries, data, fw))
            }
            _ => None,
        },
        // A `joblib.Parallel` object, however it got here: `parallel, p_fun, n = factory(f)`
        // may be a `Parallel` on one path and `list` on another.
        callee => {
            let pools = callee.alternatives().iter().filter_map(|v| match v {
                Value::Pool(kind) if kind.family == PoolFamily::Joblib => Some(*kind),
                _ => None,
            });
            // Threads if any path runs threads (as for executors, above).
            let kind = pools.reduce(|a, b| if a.threads { a } else { b })?;
            let items = args.first()?;
            let delayed: Vec<Value> = match items {
                Expr::List(l) => l.elts.iter().map(|e| ev.eval(e)).collect(),
                Expr::Tuple(t) => t.elts.iter().map(|e| ev.eval(e)).collect(),
                e => vec![ev.eval(e).element()],
            };
            let mut entries = Vec::new();
            let mut data = iterated_arrays(ev, std::slice::from_ref(items));
            let mut handed = Vec::new();
            for d in delayed.iter().flat_map(Value::alternatives) {
                if let Value::Delayed(p) = d {
                    handed.extend(handed_data(&p.func, &p.args, &p.kwargs));
                    entries.extend(entries_of(ev, &p.func, p.args.clone(), p.kwargs.clone()));
                }
            }
            let task_elements = largest_known_array(&handed);
            data.extend(handed);
            let mut found = site("joblib.Parallel".into(), kind.threads, entries, data, None);
            found.task_elements = task_elements;
            found.few_chunks = splits_into_few_chunks(ev, items) && !broadcasts_large_array(ev, items);
            Some(found)
        }
    }
}

/// The largest array among the values one task receives, when every array among them has a
/// known size (and is not hidden in a container); `None` when none is an array.
fn largest_known_array(handed: &[Value]) -> Option<u64> {
    let mut largest = None;
    for v in handed {
        for a in v.alternatives() {
            match a {
                Value::Array(info) if info.ndim != Some(0) => largest = Some(largest.unwrap_or(0).max(info.size?)),
                Value::List(e) | Value::Iter(e) if e.is_array() => return None,
                Value::Tuple(items) if items.iter().any(|i| i.is_array()) => return None,
                _ => {}
            }
        }
    }
    largest
}

/// The values a launcher hands to a task: its arguments. A task that is itself a numpy or
/// scipy function needing an array first (`delayed(np.dot)(e, e.T)`,
/// `pool.map(scipy.signal.resample_poly, rows)`) is handed an array there, whatever numgil
/// knows of the argument (`crate::analysis::usage`).
fn handed_data(callee: &Value, pos: &[Value], kwargs: &[(String, Value)]) -> Vec<Value> {
    let array_first = callee
        .alternatives()
        .iter()
        .any(|c| matches!(c, Value::External(q) if crate::analysis::usage::needs_array_first(q)));
    pos.iter()
        .enumerate()
        .map(|(i, v)| if i == 0 && array_first && *v == Value::Unknown { Value::unknown_array() } else { v.clone() })
        .chain(kwargs.iter().map(|(_, v)| v.clone()))
        .collect()
}

/// `scheduler="threads"` (true), `"processes"` (false), or a synchronous scheduler (no
/// launch at all is reported as processes: not thread tasks); `None` when not given.
fn dask_scheduler(call: &ast::ExprCall) -> Option<bool> {
    let Expr::StringLiteral(s) = kwarg(call, "scheduler")? else {
        return None;
    };
    Some(matches!(s.value.to_str(), "threads" | "threading" | "threaded"))
}

/// The delayed calls among a launcher's arguments (starred lists, lists and tuples of them).
fn delayed_entries<'a>(ev: &mut Evaluator<'a, '_, '_>, args: &'a [Expr]) -> (Vec<Entry>, Vec<Value>) {
    let values: Vec<Value> = args
        .iter()
        .map(|a| match a {
            Expr::Starred(s) => ev.eval(&s.value).element(),
            e => ev.eval(e),
        })
        .collect();
    delayed_entries_of(ev, &values)
}

fn delayed_entries_of(ev: &mut Evaluator<'_, '_, '_>, values: &[Value]) -> (Vec<Entry>, Vec<Value>) {
    let mut entries = Vec::new();
    let mut data = Vec::new();
    let mut stack: Vec<Value> = values.to_vec();
    while let Some(v) = stack.pop() {
        match v {
            Value::Delayed(p) => {
                data.extend(handed_data(&p.func, &p.args, &[]));
                entries.extend(entries_of(ev, &p.func, p.args.clone(), p.kwargs.clone()));
            }
            Value::List(e) | Value::Iter(e) => stack.push((*e).clone()),
            Value::Tuple(items) => stack.extend(items.iter().cloned()),
            _ => {}
        }
    }
    (entries, data)
}
