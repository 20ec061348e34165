//! The call graph: walks every code unit once to find launcher sites and calls between project
//! functions, computes which functions each thread task reaches (with the call chain kept), and
//! iterates parameter facts from launcher sites into task code until they are stable.

use crate::index::{ClassId, FuncId, ProjectIndex};
use crate::infer::{Context, Evaluator, Frame, ParamFacts};
use crate::scope::Jit;
use crate::tasks::{CallEdge, DiscoveryHooks, Entry, LauncherSite};
use crate::value::Value;
use crate::walk::{Hooks, Walker};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;

/// How a function came to be task code: the launcher site and the chain of calls from the
/// entry function to it (entry first, the function itself last).
#[derive(Debug, Clone)]
pub struct Reach {
    pub site: usize,
    pub chain: Vec<FuncId>,
}

pub struct TaskGraph {
    pub sites: Vec<LauncherSite>,
    /// Functions that run in thread tasks.
    pub thread_reach: FxHashMap<FuncId, Reach>,
    /// Functions that run in process tasks.
    pub process_reach: FxHashMap<FuncId, Reach>,
    pub params: ParamFacts,
    /// Calls between project functions (from discovery and from task code with its facts).
    pub edges: Vec<CallEdge>,
}

/// A piece of code walked as one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Module(u32),
    Class(ClassId),
    Function(FuncId),
}

/// Walk one unit with the given hooks; returns the hooks.
pub fn walk_unit<'a, H: Hooks<'a>>(cx: &Context<'a, '_>, unit: Unit, hooks: H) -> H {
    let index = cx.index;
    match unit {
        Unit::Module(file) => {
            let mut ev = Evaluator::new(cx, file, 0);
            ev.frames.push(Frame { scope: 0, vars: Default::default() });
            let mut w = Walker::new(ev, hooks);
            w.walk_body(&index.modules[file as usize].parsed.syntax().body);
            w.hooks
        }
        Unit::Class(c) => {
            let info = index.class(c);
            let mut ev = Evaluator::new(cx, c.file, info.scope);
            ev.frames.push(Frame { scope: info.scope, vars: Default::default() });
            let mut w = Walker::new(ev, hooks);
            w.walk_body(&info.node.body);
            w.hooks
        }
        Unit::Function(f) => {
            let ev = Evaluator::new(cx, f.file, 0).function_evaluator(f);
            let mut w = Walker::new(ev, hooks);
            match index.func(f).body() {
                crate::scope::FuncBody::Stmts(body) => w.walk_body(body),
                crate::scope::FuncBody::Expr(e) => w.visit_expr(e),
            }
            w.hooks
        }
    }
}

/// Every unit of a file: the module body, class bodies, and functions (numba-compiled ones
/// excluded: their code is not Python).
pub fn units_of(index: &ProjectIndex, file: u32) -> Vec<Unit> {
    let s = &index.scopes[file as usize];
    let mut units = vec![Unit::Module(file)];
    units.extend((0..s.classes.len() as u32).map(|local| Unit::Class(ClassId { file, local })));
    units.extend(
        (0..s.functions.len() as u32)
            .filter(|&local| s.functions[local as usize].jit == Jit::None)
            .map(|local| Unit::Function(FuncId { file, local })),
    );
    units
}

impl TaskGraph {
    pub fn build(index: &ProjectIndex) -> TaskGraph {
        // Phase 1: every unit, with parameter facts from annotations only.
        let empty = ParamFacts::default();
        let files: Vec<u32> = (0..index.modules.len() as u32).collect();
        let found: Vec<(Vec<LauncherSite>, Vec<CallEdge>)> = files
            .par_iter()
            .map(|&file| {
                let cx = Context::new(index, &empty);
                let mut sites = Vec::new();
                let mut edges = Vec::new();
                for unit in units_of(index, file) {
                    let from = match unit {
                        Unit::Function(f) => Some(f),
                        _ => None,
                    };
                    let h = walk_unit(&cx, unit, DiscoveryHooks::new(file, from));
                    sites.extend(h.sites);
                    edges.extend(h.edges);
                }
                (sites, edges)
            })
            .collect();
        let mut sites = Vec::new();
        let mut base_edges = Vec::new();
        for (s, e) in found {
            sites.extend(s);
            base_edges.extend(e);
        }

        let mut graph = TaskGraph {
            sites,
            thread_reach: FxHashMap::default(),
            process_reach: FxHashMap::default(),
            params: ParamFacts::default(),
            edges: Vec::new(),
        };
        graph.process_reach = graph.reach(index, false, &base_edges);
        graph.thread_reach = graph.reach(index, true, &base_edges);
        if graph.thread_reach.is_empty() && graph.process_reach.is_empty() {
            graph.edges = base_edges;
            return graph;
        }

        // Phase 2: parameter facts from launchers, then from task callers, to a fixpoint.
        let mut edges = base_edges;
        for _round in 0..4 {
            let mut reachable: Vec<FuncId> =
                graph.thread_reach.keys().chain(graph.process_reach.keys()).copied().collect();
            reachable.sort();
            reachable.dedup();
            let facts = graph.params.clone();
            let task_edges: Vec<CallEdge> = reachable
                .par_iter()
                .flat_map_iter(|&f| {
                    let cx = Context::new(index, &facts);
                    walk_unit(&cx, Unit::Function(f), DiscoveryHooks::new(f.file, Some(f))).edges
                })
                .collect();
            let reach_set: FxHashSet<FuncId> = reachable.iter().copied().collect();
            let mut new_params = ParamFacts::default();
            for site in &graph.sites {
                for e in &site.entries {
                    add_facts(index, &mut new_params, e);
                }
            }
            for e in &task_edges {
                if !reach_set.contains(&e.from) {
                    continue;
                }
                match &e.args {
                    Some((args, kwargs)) => add_facts(
                        index,
                        &mut new_params,
                        &Entry { func: e.to, args: args.clone(), kwargs: kwargs.clone() },
                    ),
                    None => add_facts(index, &mut new_params, &Entry { func: e.to, args: vec![Value::Unknown; 16], kwargs: Vec::new() }),
                }
            }
            edges.extend(task_edges);
            let thread = graph.reach(index, true, &edges);
            let process = graph.reach(index, false, &edges);
            let stable = new_params == graph.params
                && thread.len() == graph.thread_reach.len()
                && process.len() == graph.process_reach.len();
            graph.params = new_params;
            graph.thread_reach = thread;
            graph.process_reach = process;
            if stable {
                break;
            }
        }
        graph.edges = edges;
        graph
    }

    /// What one launcher site reaches, with chains (entry first).
    pub fn reach_from_site(&self, index: &ProjectIndex, site: usize) -> Vec<Reach> {
        let mut r: Vec<Reach> = self.reach_from(index, &[site], &self.edges).into_values().collect();
        r.sort_by(|a, b| (a.chain.len(), &a.chain).cmp(&(b.chain.len(), &b.chain)));
        r
    }

    /// Breadth-first reachability from the entries of thread (or process) launchers, keeping
    /// the shortest chain. numba-compiled functions are leaves.
    fn reach(&self, index: &ProjectIndex, threads: bool, edges: &[CallEdge]) -> FxHashMap<FuncId, Reach> {
        let seeds: Vec<usize> = (0..self.sites.len()).filter(|&i| self.sites[i].threads == threads).collect();
        self.reach_from(index, &seeds, edges)
    }

    fn reach_from(&self, index: &ProjectIndex, seeds: &[usize], edges: &[CallEdge]) -> FxHashMap<FuncId, Reach> {
        let mut out_edges: FxHashMap<FuncId, Vec<FuncId>> = FxHashMap::default();
        for e in edges {
            out_edges.entry(e.from).or_default().push(e.to);
        }
        for v in out_edges.values_mut() {
            v.sort();
            v.dedup();
        }
        let mut reach: FxHashMap<FuncId, Reach> = FxHashMap::default();
        let mut queue = VecDeque::new();
        for &i in seeds {
            for e in &self.sites[i].entries {
                if let std::collections::hash_map::Entry::Vacant(v) = reach.entry(e.func) {
                    v.insert(Reach { site: i, chain: vec![e.func] });
                    queue.push_back(e.func);
                }
            }
        }
        while let Some(f) = queue.pop_front() {
            if index.func(f).jit != Jit::None {
                continue;
            }
            let Some(next) = out_edges.get(&f) else { continue };
            let base = reach[&f].clone();
            for &g in next {
                if reach.contains_key(&g) {
                    continue;
                }
                let mut chain = base.chain.clone();
                chain.push(g);
                reach.insert(g, Reach { site: base.site, chain });
                queue.push_back(g);
            }
        }
        reach
    }
}

/// Join an entry's argument values into the callee's parameter facts.
fn add_facts(index: &ProjectIndex, params: &mut ParamFacts, e: &Entry) {
    let info = index.func(e.func);
    let names: Vec<&str> = info.params().iter().map(|p| p.name.as_str()).collect();
    let positional = info.positional_count();
    let slot = params.entry(e.func).or_insert_with(|| vec![Value::Unbound; names.len()]);
    let mut given = vec![Value::Unbound; names.len()];
    for (i, v) in e.args.iter().enumerate().take(positional) {
        given[i] = v.clone();
    }
    for (k, v) in &e.kwargs {
        if let Some(i) = names.iter().position(|n| n == k) {
            given[i] = v.clone();
        }
    }
    for (s, g) in slot.iter_mut().zip(given.iter()) {
        // A parameter not passed at this site keeps its default: unknown to us.
        let g = if *g == Value::Unbound { Value::Unknown } else { g.clone() };
        *s = s.join(&g);
    }
}
