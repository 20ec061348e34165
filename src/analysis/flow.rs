//! The whole-program value-flow pass (PyCG's assignment-graph design, extended with numgil's
//! value facts). Before any task is discovered or any rule runs, call sites are evaluated
//! flow-insensitively (for `numgil callgraph`, every one in the project; for task discovery,
//! those that can hand something to a launcher), and the argument values they pass (positional,
//! keyword, `*args` packing, defaults) are joined into the callees' parameter facts; launcher
//! sites pass their task arguments the same way. Because a parameter's value can be a
//! callable, a class, a pool or an array that another call site passed, the pass is iterated
//! until the facts stop changing (capped: see [`MAX_ROUNDS`]). The first round evaluates the
//! code that can launch a task and the code that calls launching functions by name; later
//! rounds only the functions whose facts changed. The same pass records the values put into
//! `queue.Queue` objects (what `get()` returns) and owns the class hierarchy that lets a
//! method called on `self` dispatch to every override.

use crate::analysis::infer::{Context, Evaluator, ParamFacts, ProgramFacts};
use crate::analysis::tasks::{Entry, entries_of, launcher_site};
use crate::analysis::triggers::Triggers;
use crate::analysis::value::Value;
use crate::project::index::{ClassId, FuncId, ProjectIndex};
use crate::project::scope::ScopeId;
use rayon::prelude::*;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Rounds of the parameter fixpoint. Each round evaluates the call sites of units whose
/// inputs changed; a chain of `k` hand-offs (a pool created in `main`, passed to `run`, passed
/// to `dispatch`, ...) needs `k` rounds.
pub const MAX_ROUNDS: usize = 6;

/// Counters for `NUMGIL_TIMINGS=1`: how much the pass did, and whether a cap was hit.
#[derive(Debug, Default)]
pub struct FlowStats {
    pub rounds: usize,
    pub call_sites: usize,
    pub capped: bool,
}

/// Run the pass over the whole project.
/// Run the pass. With `triggers`, the first round evaluates only the files that can launch a
/// task and their callers (enough for task discovery); without, every file (the call graph).
/// `apply_decorators`: see [`ProgramFacts::apply_decorators`].
pub fn program_facts(
    index: &ProjectIndex,
    triggers: Option<&[Triggers]>,
    apply_decorators: bool,
) -> (ProgramFacts, FlowStats) {
    let t0 = std::time::Instant::now();
    let mut facts =
        ProgramFacts { hierarchy: std::sync::Arc::new(Hierarchy::new(index)), apply_decorators, ..Default::default() };
    let timings = std::env::var_os("NUMGIL_TIMINGS").is_some();
    if timings {
        eprintln!("flow: class hierarchy {:?}", t0.elapsed());
    }
    let mut stats = FlowStats::default();
    let files: Vec<u32> = (0..index.modules.len() as u32).collect();
    // Which files to evaluate this round. First: the files that can launch a task, and the
    // files that call their launching functions by name (that is where callables, pools and
    // arrays are handed in). Then: the files of functions whose facts changed and the files
    // that name them.
    let mut units: Vec<FlowUnit> = match triggers {
        None => files.iter().map(|&f| FlowUnit::File(f)).collect(),
        Some(triggers) => first_round_units(index, triggers),
    };
    if timings {
        eprintln!("flow: first-round units {:?}", t0.elapsed());
    }
    let mut contributions: FxHashMap<(u32, ScopeId), Vec<Entry>> = FxHashMap::default();
    // Which contributions hold a call of each function.
    let mut by_callee: FxHashMap<FuncId, FxHashSet<(u32, ScopeId)>> = FxHashMap::default();
    let mut defaults: FxHashMap<FuncId, Vec<(usize, Value)>> = FxHashMap::default();
    for round in 0..MAX_ROUNDS {
        stats.rounds = round + 1;
        let sites = AtomicUsize::new(0);
        let t = std::time::Instant::now();
        let visited = units.len();
        let found: Vec<Visited> = units
            .par_iter()
            // One evaluator cache per worker for the whole round: the facts do not change
            // within a round, so values computed for one unit serve the next.
            .map_init(
                || Context::new(index, &facts),
                |cx, unit| {
                    cx.reset_if_large();
                    let cx = &*cx;
                    let v = visit_unit(cx, *unit);
                    sites.fetch_add(v.sites, Ordering::Relaxed);
                    Visited {
                        file: v.file,
                        entries: v.entries,
                        entered: v.entered,
                        forwarders: v.forwarders,
                        defaults: v.defaults,
                        queued: v.queued,
                    }
                },
            )
            .collect();
        if std::env::var_os("NUMGIL_TIMINGS").is_some() {
            eprintln!("flow round {} units {visited} {:?}", round + 1, t.elapsed());
        }
        stats.call_sites += sites.into_inner();
        // A call's contribution is what its latest evaluation passes: a scope walked again
        // (its own facts changed) replaces what it passed before, so an argument that was
        // unknown while its function had no facts yet (`super().__init__(data)` walked before
        // `data` got any) does not stay unknown for good.
        // Only the facts of functions whose contributions changed are recomputed.
        let mut touched: FxHashSet<FuncId> = FxHashSet::default();
        for v in &found {
            for s in &v.entered {
                if let Some(old) = contributions.remove(&(v.file, *s)) {
                    for e in old {
                        touched.insert(e.func);
                    }
                }
            }
        }
        let mut queued = facts.queue_items.clone();
        for v in found {
            facts.forwarders.extend(v.forwarders);
            for (s, e) in v.entries {
                touched.insert(e.func);
                by_callee.entry(e.func).or_default().insert((v.file, s));
                contributions.entry((v.file, s)).or_default().push(e);
            }
            for (f, i, d) in v.defaults {
                touched.insert(f);
                // A def is walked again with its scope: its defaults are the same values.
                let ds = defaults.entry(f).or_default();
                if !ds.contains(&(i, d.clone())) {
                    ds.push((i, d));
                }
            }
            for q in &v.queued {
                queued = queued.join(q);
            }
        }
        // Recomputed in place; the previous facts of the touched functions are kept to compare.
        let next = &mut facts.params;
        let mut before: FxHashMap<FuncId, Option<Vec<Value>>> = FxHashMap::default();
        for f in &touched {
            before.insert(*f, next.remove(f));
            if let Some(keys) = by_callee.get_mut(f) {
                keys.retain(|k| contributions.contains_key(k));
                for k in keys.iter() {
                    for e in contributions[k].iter().filter(|e| e.func == *f) {
                        add_entry(index, next, e);
                    }
                }
            }
            if let Some(ds) = defaults.get(f) {
                let info = index.func(*f);
                let slots = info.params().len() + usize::from(info.has_vararg());
                let slot = next.entry(*f).or_insert_with(|| vec![Value::Unbound; slots]);
                for (i, d) in ds {
                    if let Some(s) = slot.get_mut(*i) {
                        *s = s.join(d);
                    }
                }
            }
        }
        // Functions whose facts changed to something a launcher or a rule can use.
        let mut changed: Vec<FuncId> = touched
            .into_iter()
            .filter(|f| {
                let v = next.get(f);
                before.get(f).and_then(|b| b.as_ref()) != v && v.is_some_and(|v| v.iter().any(worth_following))
            })
            .collect();
        changed.sort();
        facts.queue_items = queued;
        if changed.is_empty() {
            return (facts, stats);
        }
        units = changed.into_iter().map(FlowUnit::Function).collect();
    }
    stats.capped = true;
    (facts, stats)
}

/// What one unit's visit found.
struct Visited {
    file: u32,
    entries: Vec<(ScopeId, Entry)>,
    entered: Vec<ScopeId>,
    forwarders: Vec<(FuncId, crate::analysis::infer::Forwarder)>,
    defaults: Vec<(FuncId, usize, Value)>,
    queued: Vec<Value>,
}

/// Launching names longer than this are not searched for in other files.
const MAX_FOLLOWED_NAME: usize = 256;

/// Stands for `.put(` / `.put_nowait(` among the first round's matches.
const QUEUE_PUT: usize = usize::MAX;

/// A name found in more files than this is too common to follow by text (`__init__`, `run`,
/// `get`): its callers are not evaluated for it.
const COMMON_NAME_FILES: usize = 48;

/// The first round's units: in each file that can launch a task or calls a launching function
/// by name, its module-level code and the functions that hold a launch word or such a call
/// (a function that does neither neither launches nor hands a callable, pool or array to a
/// launching function).
fn first_round_units(index: &ProjectIndex, triggers: &[Triggers]) -> Vec<FlowUnit> {
    // Launching functions that build a pool and return it (mne's `parallel_func`).
    let mut factory_like: Vec<&str> = Vec::new();
    let no_facts = ProgramFacts::default();
    let mut launching: Vec<&str> = triggers
        .par_iter()
        .enumerate()
        .flat_map_iter(|(file, t)| {
            let text = index.modules[file].source.text.as_str();
            let mut names = Vec::new();
            if !t.may_launch(TextRange::up_to(TextSize::of(text))) {
                return names;
            }
            let scopes = index.module_scopes(file as u32);
            let cx = Context::new(index, &no_facts);
            for (local, func) in scopes.functions.iter().enumerate() {
                let r = func.node.range();
                if t.may_launch(r)
                    && (t.may_launch_by_name(r) || pool_method_receiver(&cx, file as u32, local, t.method_launches(r)))
                    && let Some(n) = func.qualname.rsplit('.').next()
                {
                    names.push((n, may_return_pool(&cx, file as u32, local, r)));
                }
            }
            // Thread classes (`class W(Thread)`, `QRunnable`): constructing one hands it its data.
            // Only a launch word among the bases makes one: a class whose methods launch
            // (pandas' `SparseArray` has a `.map(`) is reached through those methods' names.
            for class in &scopes.classes {
                if class.node.arguments.as_ref().is_some_and(|a| t.may_launch(a.range)) {
                    names.push((class.node.name.as_str(), false));
                }
            }
            names
        })
        .collect::<Vec<(&str, bool)>>()
        .into_iter()
        .map(|(n, factory)| {
            if factory {
                factory_like.push(n);
            }
            n
        })
        .collect();
    launching.sort_unstable();
    launching.dedup();
    factory_like.sort_unstable();
    factory_like.dedup();
    let t0 = std::time::Instant::now();
    // Names longer than any real one are not followed. Error recovery can leave a def with
    // an empty name, which must not match.
    launching.retain(|n| !n.is_empty() && n.len() <= MAX_FOLLOWED_NAME);
    let by_name: FxHashMap<&str, usize> = launching.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    // Per file: the offsets of called launching names, with the name, and of `queue.put(value)`
    // calls (what a thread's `get()` will return), with [`QUEUE_PUT`].
    let mut calls = called_names(index, &by_name, true);
    // One level more for pool factories: a function that calls one launches through what it
    // returns, so its callers hand it the data (`resample(x)` -> `_resample_polyphase(x)` ->
    // `parallel_func(...)`).
    let factories: FxHashSet<usize> = factory_like.iter().filter_map(|n| by_name.get(n).copied()).collect();
    if !factories.is_empty() {
        let mut second: Vec<&str> = calls
            .par_iter()
            .enumerate()
            .flat_map_iter(|(file, c)| {
                let offsets: Vec<u32> = c.iter().filter(|(_, n)| factories.contains(n)).map(|(o, _)| *o).collect();
                let mut names = Vec::new();
                if offsets.is_empty() {
                    return names;
                }
                for func in &index.module_scopes(file as u32).functions {
                    if crate::analysis::triggers::any_in(&offsets, func.node.range())
                        && let Some(n) = func.qualname.rsplit('.').next()
                        && !n.is_empty()
                        && n.len() <= MAX_FOLLOWED_NAME
                        && !by_name.contains_key(n)
                    {
                        names.push(n);
                    }
                }
                names
            })
            .collect();
        second.sort_unstable();
        second.dedup();
        let base = launching.len();
        let by_second: FxHashMap<&str, usize> = second.iter().enumerate().map(|(i, n)| (*n, base + i)).collect();
        for (c, more) in calls.iter_mut().zip(called_names(index, &by_second, false)) {
            c.extend(more);
            c.sort_unstable();
        }
        launching.extend(second);
    }
    if std::env::var_os("NUMGIL_TIMINGS").is_some() {
        eprintln!("flow: {} launching names, searched in {:?}", launching.len(), t0.elapsed());
    }
    let mut files_per_name = vec![0usize; launching.len()];
    for c in &calls {
        let mut names: Vec<usize> = c.iter().map(|(_, n)| *n).filter(|&n| n != QUEUE_PUT).collect();
        names.sort_unstable();
        names.dedup();
        for n in names {
            files_per_name[n] += 1;
        }
    }
    triggers
        .par_iter()
        .enumerate()
        .flat_map_iter(|(file, t)| {
            let mut units = Vec::new();
            let offsets: Vec<u32> = calls[file]
                .iter()
                .filter(|(_, n)| *n == QUEUE_PUT || files_per_name[*n] <= COMMON_NAME_FILES)
                .map(|(o, _)| *o)
                .collect();
            let text = index.modules[file].source.text.as_str();
            if !t.may_launch(TextRange::up_to(TextSize::of(text))) && offsets.is_empty() {
                return units;
            }
            units.push(FlowUnit::ModuleLevel(file as u32));
            for (local, func) in index.module_scopes(file as u32).functions.iter().enumerate() {
                let r = func.node.range();
                if t.may_launch(r) || crate::analysis::triggers::any_in(&offsets, r) {
                    units.push(FlowUnit::Function(FuncId { file: file as u32, local: local as u32 }));
                }
            }
            units
        })
        .collect()
}

/// Whether one of the pool-method calls at `offsets` (the method names' offsets) in a
/// function may be made on a pool, judged with no facts (as the first round asks): a receiver
/// known to be something else (`df.apply(...)` on a frame built in the function, `self.map(...)`
/// in a class that is no pool) is not, one that is unknown (a parameter) may be.
fn pool_method_receiver(cx: &Context, file: u32, local: usize, offsets: &[u32]) -> bool {
    if offsets.is_empty() {
        return false;
    }
    let f = FuncId { file, local: local as u32 };
    let info = cx.index.func(f);
    let mut finder = MethodCalls { offsets, found: Vec::new() };
    match info.body() {
        crate::project::scope::FuncBody::Stmts(body) => finder.visit_body(body),
        crate::project::scope::FuncBody::Expr(e) => finder.visit_expr(e),
    }
    if finder.found.len() < offsets.len() {
        // A call the walk did not reach (in a nested function's own text): keep it.
        return true;
    }
    let mut ev = Evaluator::new(cx, file, info.scope);
    let params: Vec<&str> = info.params().iter().map(|p| p.name.as_str()).collect();
    finder.found.iter().any(|recv| {
        // An unknown receiver may be a pool when callers or other methods supply it: a
        // parameter, an attribute, an item. A local name bound from an unknown call is not
        // (a pool factory's result is known to be a pool).
        let supplied = match recv {
            Expr::Name(n) => {
                params.contains(&n.id.as_str())
                    || !matches!(cx.index.module_scopes(file).resolve_name(info.scope, n.id.as_str()),
                        crate::project::scope::Resolved::Bound(s, _) if s == info.scope)
            }
            Expr::Attribute(_) | Expr::Subscript(_) => true,
            _ => false,
        };
        ev.eval(recv).alternatives().iter().any(|v| match v {
            Value::Instance(c) => {
                ev.external_bases(*c).iter().any(|b| crate::analysis::infer::pool_constructor(b).is_some())
            }
            Value::Pool(_) | Value::Delayed(_) => true,
            Value::Unknown | Value::Unbound => supplied,
            // `client.map` (dask), a pool module's function; not a frame's or an array's method.
            Value::External(q) | Value::ExternalInstance(q) => !["numpy", "pandas", "builtins"]
                .iter()
                .any(|m| q.strip_prefix(m).is_some_and(|r| r.is_empty() || r.starts_with('.'))),
            _ => false,
        })
    })
}

/// The receivers of the method calls whose method name starts at one of `offsets`.
struct MethodCalls<'a, 'o> {
    offsets: &'o [u32],
    found: Vec<&'a Expr>,
}

impl<'a> Visitor<'a> for MethodCalls<'a, '_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Attribute(a) = expr
            && self.offsets.binary_search(&u32::from(a.attr.range.start())).is_ok()
        {
            self.found.push(&a.value);
        }
        visitor::walk_expr(self, expr);
    }
}

/// Whether a function with a pool word in its text returns a pool (with no facts in `cx`, as
/// the first round asks: a factory builds its pool itself).
fn may_return_pool(cx: &Context, file: u32, local: usize, r: TextRange) -> bool {
    let text = cx.index.modules[file as usize].source.text.as_str();
    let f = FuncId { file, local: local as u32 };
    let lambda = matches!(cx.index.func(f).body(), crate::project::scope::FuncBody::Expr(_));
    if !POOL_WORDS.iter().any(|w| text[r].contains(w)) || !(lambda || text[r].contains("return")) {
        return false;
    }
    let mut ev = Evaluator::new(cx, file, cx.index.func(f).parent_scope);
    ev.return_value(f).holds_pool(2)
}

/// Per file, where one of `names` is called (offset, index), and, with `puts`, where a
/// `.put(` or `.put_nowait(` is (index [`QUEUE_PUT`]).
fn called_names(index: &ProjectIndex, names: &FxHashMap<&str, usize>, puts: bool) -> Vec<Vec<(u32, usize)>> {
    index
        .modules
        .par_iter()
        .map(|m| {
            let text = m.source.text.as_str();
            let mut out = Vec::new();
            crate::analysis::triggers::called_identifiers(text, |o, word| {
                if let Some(&n) = names.get(word) {
                    out.push((o, n));
                } else if puts
                    && matches!(word, "put" | "put_nowait")
                    && text.as_bytes().get((o as usize).wrapping_sub(1)) == Some(&b'.')
                {
                    out.push((o, QUEUE_PUT));
                }
            });
            out
        })
        .collect()
}

/// Words a function that builds and returns a pool must contain.
const POOL_WORDS: [&str; 3] = ["Parallel", "Executor", "Pool"];

/// Per file, sorted offsets of launches that no launch word marks: calls of a project function
/// that returns a pool (mne's `parallel, p_fun, n_jobs = parallel_func(f, n_jobs)`, then
/// `parallel(p_fun(x) for x in xs)`), and the definitions of functions handed a pool as a
/// parameter. Task discovery walks the functions that hold them as well as those a launch
/// word marks.
pub fn indirect_launch_offsets(index: &ProjectIndex, facts: &ProgramFacts, triggers: &[Triggers]) -> Vec<Vec<u32>> {
    let mut factories: Vec<&str> = triggers
        .par_iter()
        .enumerate()
        .flat_map_iter(|(file, t)| {
            let text = index.modules[file].source.text.as_str();
            let mut names = Vec::new();
            if !t.may_launch(TextRange::up_to(TextSize::of(text))) || !POOL_WORDS.iter().any(|w| text.contains(w)) {
                return names;
            }
            let cx = Context::new(index, facts);
            for (local, func) in index.module_scopes(file as u32).functions.iter().enumerate() {
                let r = func.node.range();
                if t.may_launch(r)
                    && may_return_pool(&cx, file as u32, local, r)
                    && let Some(n) = func.qualname.rsplit('.').next()
                {
                    names.push(n);
                }
            }
            names
        })
        .collect();
    factories.sort_unstable();
    factories.dedup();
    factories.retain(|n| !n.is_empty() && n.len() <= MAX_FOLLOWED_NAME);
    let by_name: FxHashSet<&str> = factories.into_iter().collect();
    // Functions handed a pool.
    let mut pool_params: Vec<Vec<u32>> = vec![Vec::new(); index.modules.len()];
    for (f, params) in &facts.params {
        if params.iter().any(|v| v.holds_pool(2)) {
            pool_params[f.file as usize].push(u32::from(index.func(*f).node.range().start()));
        }
    }
    index
        .modules
        .par_iter()
        .zip(pool_params)
        .map(|(m, mut offsets)| {
            if !by_name.is_empty() {
                crate::analysis::triggers::called_identifiers(m.source.text.as_str(), |o, word| {
                    if by_name.contains(word) {
                        offsets.push(o);
                    }
                });
            }
            offsets.sort_unstable();
            offsets
        })
        .collect()
}

/// Values worth another round: callables, classes, instances, pools, arrays and containers
/// of them. Python scalars, strings, `None` and unknowns change nothing downstream.
fn worth_following(v: &Value) -> bool {
    match v {
        Value::List(e) | Value::Iter(e) => worth_following(e),
        Value::Tuple(items) => items.iter().any(worth_following),
        Value::Unknown
        | Value::Unbound
        | Value::None
        | Value::PyScalar
        | Value::ArrayScalar
        | Value::Str
        | Value::Dict => false,
        _ => true,
    }
}

/// The project's class hierarchy. A syntactic index, built once without binding any module,
/// says which classes have a base spelled like a given name; a class's direct subclasses are
/// then found on demand by evaluating only those candidates' bases (and remembered).
#[derive(Debug, Default)]
pub struct Hierarchy {
    /// Base name (`Base` for `class C(pkg.Base)`) → the classes (file, start) spelled with it.
    by_base_name: FxHashMap<String, Vec<(u32, TextSize)>>,
    direct: std::sync::RwLock<FxHashMap<ClassId, Vec<ClassId>>>,
    /// What `self` (or `cls`, with `true`) is in a method of a class: the union over the class
    /// and its subclasses. Every evaluation of a method asks for it, so it is built once.
    receivers: std::sync::RwLock<FxHashMap<(ClassId, bool), Value>>,
    /// Each class's project ancestry and external bases, evaluated once.
    ancestries: std::sync::RwLock<FxHashMap<ClassId, std::sync::Arc<Ancestry>>>,
}

/// A class's project ancestry ([`crate::analysis::infer::Evaluator::mro`]) and the qualified
/// names of the bases outside the project anywhere in it.
#[derive(Debug)]
pub struct Ancestry {
    pub mro: Box<[ClassId]>,
    pub external: Box<[std::sync::Arc<str>]>,
}

impl Hierarchy {
    pub fn new(index: &ProjectIndex) -> Self {
        let scans: Vec<Vec<(String, TextSize)>> = index
            .modules
            .par_iter()
            .map(|m| {
                let scan = ClassScan::of(&m.ast.body);
                scan.bases.into_iter().map(|(n, start)| (n.to_string(), start)).collect()
            })
            .collect();
        let mut by_base_name: FxHashMap<String, Vec<(u32, TextSize)>> = FxHashMap::default();
        for (file, bases) in scans.into_iter().enumerate() {
            for (name, start) in bases {
                by_base_name.entry(name).or_default().push((file as u32, start));
            }
        }
        Hierarchy {
            by_base_name,
            direct: Default::default(),
            receivers: Default::default(),
            ancestries: Default::default(),
        }
    }

    /// The receiver of a method of `class`: an instance (or, for a classmethod, the class) of
    /// `class` or of any of its project subclasses, so that `self.method()` dispatches to
    /// every override.
    pub fn receiver(&self, cx: &Context, class: ClassId, classmethod: bool) -> Value {
        if let Ok(map) = self.receivers.read()
            && let Some(v) = map.get(&(class, classmethod))
        {
            return v.clone();
        }
        let classes = cx.with_subclasses(class);
        let v = if classmethod {
            Value::union_of(classes.into_iter().map(Value::Class))
        } else {
            Value::union_of(classes.into_iter().map(Value::Instance))
        };
        if let Ok(mut map) = self.receivers.write() {
            map.insert((class, classmethod), v.clone());
        }
        v
    }

    pub fn ancestry(&self, c: ClassId) -> Option<std::sync::Arc<Ancestry>> {
        self.ancestries.read().ok()?.get(&c).cloned()
    }

    pub fn store_ancestry(&self, c: ClassId, a: std::sync::Arc<Ancestry>) {
        if let Ok(mut map) = self.ancestries.write() {
            map.insert(c, a);
        }
    }

    /// The project classes that name `c` among their bases.
    pub fn direct_subclasses(&self, cx: &Context, c: ClassId) -> Vec<ClassId> {
        if let Ok(map) = self.direct.read()
            && let Some(v) = map.get(&c)
        {
            return v.clone();
        }
        // Re-entrant requests while this one is computed see none.
        if let Ok(mut map) = self.direct.write() {
            map.insert(c, Vec::new());
        }
        let name = cx.index.class(c).node.name.as_str();
        let mut out = Vec::new();
        for &(file, start) in self.by_base_name.get(name).map(Vec::as_slice).unwrap_or_default() {
            let scopes = cx.index.module_scopes(file);
            let Some(&local) = scopes.class_at.get(&start) else { continue };
            let sub = ClassId { file, local };
            if sub == c || out.contains(&sub) {
                continue;
            }
            let info = &scopes.classes[local as usize];
            let mut ev = Evaluator::new(cx, file, info.parent_scope);
            if info.bases().iter().any(|b| ev.eval(b).alternatives().contains(&Value::Class(c))) {
                out.push(sub);
            }
        }
        out.sort();
        if let Ok(mut map) = self.direct.write() {
            map.insert(c, out.clone());
        }
        out
    }
}

/// The last name of a base-class expression (`Base`, `pkg.mod.Base`, `Generic[T]` → `Generic`).
fn base_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Name(n) => Some(n.id.as_str()),
        Expr::Attribute(a) => Some(a.attr.as_str()),
        Expr::Subscript(s) => base_name(&s.value),
        _ => None,
    }
}

/// The names a module's classes' bases are spelled with, and where each class starts.
#[derive(Default)]
struct ClassScan<'a> {
    bases: Vec<(&'a str, TextSize)>,
}

impl<'a> ClassScan<'a> {
    fn of(body: &'a [Stmt]) -> Self {
        let mut scan = ClassScan::default();
        scan.visit_body(body);
        scan
    }
}

impl<'a> Visitor<'a> for ClassScan<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let Stmt::ClassDef(c) = stmt
            && let Some(args) = &c.arguments
        {
            let start = c.range.start();
            self.bases.extend(args.args.iter().filter_map(base_name).map(|n| (n, start)));
        }
        visitor::walk_stmt(self, stmt);
    }

    // Classes are statements: expressions need not be visited.
    fn visit_expr(&mut self, _expr: &'a Expr) {}
}

/// Join a call's argument values into the callee's parameter slots: named parameters in
/// order, then one slot for `*args` (a tuple of the extra positional values).
pub fn add_entry(index: &ProjectIndex, params: &mut ParamFacts, e: &Entry) {
    let info = index.func(e.func);
    let names: Vec<&str> = info.params().iter().map(|p| p.name.as_str()).collect();
    let positional = info.positional_count();
    let slots = names.len() + usize::from(info.has_vararg());
    let slot = params.entry(e.func).or_insert_with(|| vec![Value::Unbound; slots]);
    let mut given = vec![Value::Unbound; slots];
    for (i, v) in e.args.iter().enumerate().take(positional) {
        given[i] = v.clone();
    }
    if info.has_vararg() {
        let extra: Vec<Value> = e.args.iter().skip(positional).cloned().collect();
        given[names.len()] = Value::Tuple(extra.into());
    }
    for (k, v) in &e.kwargs {
        if let Some(i) = names.iter().position(|n| n == k) {
            given[i] = v.clone();
        }
    }
    for (s, g) in slot.iter_mut().zip(given) {
        // A parameter not passed at this site holds its default (joined in by the pass).
        if g != Value::Unbound {
            *s = s.join(&g);
        }
    }
}

/// What one round of the pass evaluates.
#[derive(Debug, Clone, Copy)]
enum FlowUnit {
    /// A whole module, nested functions included.
    File(u32),
    /// A module's own code and class bodies, not the functions in it.
    ModuleLevel(u32),
    Function(FuncId),
}

fn visit_unit<'a, 'p, 'c>(cx: &'c Context<'a, 'p>, unit: FlowUnit) -> CallVisitor<'a, 'p, 'c> {
    match unit {
        FlowUnit::File(file) => {
            let mut v = CallVisitor::new(cx, file);
            v.entered.push(0);
            v.visit_body(&cx.index.modules[file as usize].ast.body);
            v
        }
        FlowUnit::ModuleLevel(file) => {
            let mut v = CallVisitor::new(cx, file);
            v.entered.push(0);
            v.shallow = true;
            v.visit_body(&cx.index.modules[file as usize].ast.body);
            v
        }
        FlowUnit::Function(f) => {
            let mut v = CallVisitor::new(cx, f.file);
            let info = cx.index.func(f);
            v.scope = info.scope;
            v.entered.push(info.scope);
            match info.body() {
                crate::project::scope::FuncBody::Stmts(body) => v.visit_body(body),
                crate::project::scope::FuncBody::Expr(e) => v.visit_expr(e),
            }
            v
        }
    }
}

/// Visits every call in one module, evaluating it flow-insensitively in the scope it is in.
struct CallVisitor<'a, 'p, 'c> {
    cx: &'c Context<'a, 'p>,
    file: u32,
    scope: crate::project::scope::ScopeId,
    /// The calls seen, each with the scope it is in (its contribution is replaced when that
    /// scope is visited again).
    entries: Vec<(crate::project::scope::ScopeId, Entry)>,
    /// Every scope this visit walked.
    entered: Vec<crate::project::scope::ScopeId>,
    /// Functions found launching one of their parameters.
    forwarders: Vec<(FuncId, crate::analysis::infer::Forwarder)>,
    /// `(function, parameter slot, default value)`.
    defaults: Vec<(FuncId, usize, Value)>,
    queued: Vec<Value>,
    sites: usize,
    /// Do not descend into function bodies.
    shallow: bool,
}

impl<'a, 'p, 'c> CallVisitor<'a, 'p, 'c> {
    fn new(cx: &'c Context<'a, 'p>, file: u32) -> Self {
        CallVisitor {
            cx,
            file,
            scope: 0,
            entries: Vec::new(),
            entered: Vec::new(),
            forwarders: Vec::new(),
            defaults: Vec::new(),
            queued: Vec::new(),
            sites: 0,
            shallow: false,
        }
    }

    fn ev(&self) -> Evaluator<'a, 'p, 'c> {
        Evaluator::new(self.cx, self.file, self.scope)
    }

    fn in_scope(&mut self, scope: Option<crate::project::scope::ScopeId>, f: impl FnOnce(&mut Self)) {
        let Some(scope) = scope else { return };
        self.entered.push(scope);
        let saved = std::mem::replace(&mut self.scope, scope);
        f(self);
        self.scope = saved;
    }

    /// The defaults of a function's parameters are values the parameters may hold.
    fn defaults(&mut self, def_start: ruff_text_size::TextSize, params: Option<&'a ast::Parameters>) {
        let Some(p) = params else { return };
        let scopes = self.cx.index.module_scopes(self.file);
        let Some(&local) = scopes.function_at.get(&def_start) else { return };
        let func = FuncId { file: self.file, local };
        let names: Vec<(usize, &'a Expr)> = p
            .posonlyargs
            .iter()
            .chain(p.args.iter())
            .chain(p.kwonlyargs.iter())
            .enumerate()
            .filter_map(|(i, pw)| pw.default.as_deref().map(|d| (i, d)))
            .collect();
        if names.is_empty() {
            return;
        }
        let mut ev = self.ev();
        for (i, d) in names {
            self.defaults.push((func, i, ev.eval(d)));
        }
    }

    /// Applying a project decorator is a call: `@dec def f` passes `f` to `dec`'s first
    /// parameter (for `@dec(args)`, to the first parameter of what `dec(args)` returns).
    fn decorate(&mut self, def: &'a ast::StmtFunctionDef) {
        let scopes = self.cx.index.module_scopes(self.file);
        let Some(&local) = scopes.function_at.get(&def.range.start()) else { return };
        // Each decorator is given what the ones below it made (`@dec1 @dec2 def f`: `dec2`
        // gets `f`, `dec1` gets what `dec2` returned).
        let mut decorated = Value::Function(FuncId { file: self.file, local });
        let mut ev = self.ev();
        for d in def.decorator_list.iter().rev() {
            let dec = ev.eval(&d.expression);
            for alt in dec.alternatives() {
                if matches!(alt, Value::Function(_) | Value::BoundMethod(..) | Value::Partial(_)) {
                    self.sites += 1;
                    let found = entries_of(&mut ev, alt, vec![decorated.clone()], Vec::new());
                    self.entries.extend(found.into_iter().map(|e| (self.scope, e)));
                }
            }
            decorated = ev.apply_decorator(&dec, decorated);
        }
    }

    fn call(&mut self, call: &'a ast::ExprCall) {
        self.sites += 1;
        let mut ev = self.ev();
        let from = self.cx.index.function_of_scope(self.file, self.scope);
        let callee = ev.eval(&call.func);
        if let Some(site) = launcher_site(&mut ev, call, self.file, from, &callee) {
            if let (Some(f), Some(param)) = (from, site.forwards) {
                let fw =
                    crate::analysis::infer::Forwarder { param, threads: site.threads, launcher: site.launcher.clone() };
                self.forwarders.push((f, fw));
            }
            self.entries.extend(site.entries.into_iter().map(|e| (self.scope, e)));
        }
        if let Expr::Attribute(attr) = &*call.func
            && matches!(attr.attr.as_str(), "put" | "put_nowait")
        {
            let recv = ev.eval(&attr.value);
            if recv.alternatives().iter().any(is_queue)
                && let Some(item) = call.arguments.args.first()
            {
                self.queued.push(ev.eval(item));
            }
        }
        if !callee.alternatives().iter().any(|c| {
            matches!(
                c,
                Value::Function(_) | Value::BoundMethod(..) | Value::Partial(_) | Value::Class(_) | Value::Instance(_)
            )
        }) {
            return;
        }
        let (args, kwargs) = ev.call_args(call);
        let found = entries_of(&mut ev, &callee, args, kwargs);
        self.entries.extend(found.into_iter().map(|e| (self.scope, e)));
    }
}

/// A `queue` module (or multiprocessing) queue instance.
pub fn is_queue(v: &Value) -> bool {
    match v {
        Value::ExternalInstance(q) => is_queue_class(q),
        _ => false,
    }
}

/// Queue classes whose `get()` returns what `put()` was given.
pub fn is_queue_class(q: &str) -> bool {
    matches!(
        q,
        "queue.Queue"
            | "queue.SimpleQueue"
            | "queue.LifoQueue"
            | "queue.PriorityQueue"
            | "multiprocessing.Queue"
            | "multiprocessing.JoinableQueue"
            | "multiprocessing.SimpleQueue"
            | "asyncio.Queue"
    )
}

impl<'a> Visitor<'a> for CallVisitor<'a, '_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let scopes = self.cx.index.module_scopes(self.file);
        match stmt {
            Stmt::FunctionDef(def) => {
                for d in &def.decorator_list {
                    self.visit_decorator(d);
                }
                self.decorate(def);
                self.defaults(def.range.start(), Some(&def.parameters));
                if self.shallow {
                    return;
                }
                let scope = scopes.function_at.get(&def.range.start()).map(|&f| scopes.functions[f as usize].scope);
                self.in_scope(scope, |v| v.visit_body(&def.body));
            }
            Stmt::ClassDef(class) => {
                for d in &class.decorator_list {
                    self.visit_decorator(d);
                }
                if let Some(args) = &class.arguments {
                    self.visit_arguments(args);
                }
                let scope = scopes.class_at.get(&class.range.start()).map(|&c| scopes.classes[c as usize].scope);
                self.in_scope(scope, |v| v.visit_body(&class.body));
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        let scopes = self.cx.index.module_scopes(self.file);
        match expr {
            Expr::Call(call) => {
                self.call(call);
                visitor::walk_expr(self, expr);
            }
            Expr::Lambda(l) => {
                self.defaults(l.range.start(), l.parameters.as_deref());
                let scope = scopes.function_at.get(&l.range.start()).map(|&f| scopes.functions[f as usize].scope);
                self.in_scope(scope, |v| v.visit_expr(&l.body));
            }
            Expr::ListComp(ast::ExprListComp { range, .. })
            | Expr::SetComp(ast::ExprSetComp { range, .. })
            | Expr::DictComp(ast::ExprDictComp { range, .. })
            | Expr::Generator(ast::ExprGenerator { range, .. }) => {
                let scope = scopes.comprehension_scopes.get(&range.start()).copied();
                if scope.is_some() {
                    self.in_scope(scope, |v| visitor::walk_expr(v, expr));
                } else {
                    visitor::walk_expr(self, expr);
                }
            }
            _ => visitor::walk_expr(self, expr),
        }
    }
}
