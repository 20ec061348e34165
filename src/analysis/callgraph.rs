//! The call graph: walks every code unit once to find launcher sites and calls between project
//! functions, computes which functions each thread task reaches (with the call chain kept), and
//! iterates parameter facts from launcher sites into task code until they are stable.

use crate::analysis::flow::{FlowStats, add_entry};
use crate::analysis::infer::{Context, Evaluator, Frame, ParamFacts, ProgramFacts};
use crate::analysis::tasks::{CallEdge, DiscoveryHooks, Entry, LauncherSite};
use crate::analysis::triggers::Triggers;
use crate::analysis::value::Value;
use crate::analysis::walk::{Hooks, Walker};
use crate::project::index::{ClassId, FuncId, ProjectIndex};
use crate::project::scope::Jit;
use rayon::prelude::*;
use ruff_text_size::{TextRange, TextSize};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;

/// How a function came to be task code: the launcher site and the chain of calls from the
/// entry function to it (entry first, the function itself last).
#[derive(Debug, Clone)]
pub struct Reach {
    pub site: usize,
    pub chain: Vec<FuncId>,
}

/// One step of a reach: the launcher site and the caller it was reached from (`None` for an
/// entry). Chains are rebuilt from these links on demand, so a 10,000-deep call chain costs
/// 10,000 links, not 50 million chain entries.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub site: usize,
    pub parent: Option<FuncId>,
}

/// Longest chain rebuilt for a report; the middle of a longer one is elided by the caller.
pub const MAX_CHAIN: usize = 64;

pub struct TaskGraph {
    pub sites: Vec<LauncherSite>,
    /// Functions that run in thread tasks.
    pub thread_reach: FxHashMap<FuncId, Link>,
    /// Functions that run in process tasks.
    pub process_reach: FxHashMap<FuncId, Link>,
    /// The whole-program facts, with parameter facts from task code in place of the
    /// project-wide join for the functions tasks reach.
    pub facts: ProgramFacts,
    pub flow_stats: FlowStats,
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
            w.walk_body(&index.modules[file as usize].ast.body);
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
                crate::project::scope::FuncBody::Stmts(body) => w.walk_body(body),
                crate::project::scope::FuncBody::Expr(e) => w.visit_expr(e),
            }
            w.hooks
        }
    }
}

impl TaskGraph {
    /// Find launcher sites in the units that can contain one, then walk outward from their
    /// entries: each reached function is walked (with the parameter facts known so far) to find
    /// the project functions it calls. Facts are iterated until stable.
    pub fn build(index: &ProjectIndex, triggers: &[Triggers]) -> TaskGraph {
        let timings = std::env::var_os("NUMGIL_TIMINGS").is_some();
        let t0 = std::time::Instant::now();
        let (program, flow_stats) = crate::analysis::flow::program_facts(index, Some(triggers), false);
        if timings {
            eprintln!(
                "flow {:?} ({} rounds{}, {} call sites)",
                t0.elapsed(),
                flow_stats.rounds,
                if flow_stats.capped { ", capped" } else { "" },
                flow_stats.call_sites
            );
        }
        let files: Vec<u32> = (0..index.modules.len() as u32).collect();
        let indirect = crate::analysis::flow::indirect_launch_offsets(index, &program, triggers);
        let sites: Vec<LauncherSite> = files
            .par_iter()
            .flat_map_iter(|&file| {
                let cx = Context::new(index, &program);
                let mut sites = Vec::new();
                // `task-launchers` from the configuration are found by their last name.
                let text = index.modules[file as usize].source.text.as_str();
                let wanted = |r: TextRange| {
                    triggers[file as usize].may_launch(r)
                        || crate::analysis::triggers::any_in(&indirect[file as usize], r)
                        || index.user_launchers.iter().filter_map(|q| q.rsplit('.').next()).any(|w| text[r].contains(w))
                };
                for unit in candidate_units(index, file, wanted) {
                    let from = match unit {
                        Unit::Function(f) => Some(f),
                        _ => None,
                    };
                    sites.extend(walk_unit(&cx, unit, DiscoveryHooks::new(file, from, false)).sites);
                }
                sites
            })
            .collect();
        if timings {
            eprintln!("discovery {:?} ({} launcher sites)", t0.elapsed(), sites.len());
        }
        let mut graph = TaskGraph {
            sites,
            thread_reach: FxHashMap::default(),
            process_reach: FxHashMap::default(),
            facts: program.clone(),
            flow_stats,
            edges: Vec::new(),
        };
        let entries: Vec<FuncId> = graph.sites.iter().flat_map(|s| s.entries.iter().map(|e| e.func)).collect();
        if entries.is_empty() {
            return graph;
        }
        let site_facts = |graph: &TaskGraph| {
            let mut facts = ParamFacts::default();
            for site in &graph.sites {
                for e in &site.entries {
                    add_entry(index, &mut facts, e);
                }
            }
            facts
        };
        let mut task = site_facts(&graph);
        let mut edges = Vec::new();
        for round in 0..4 {
            let merged = merge_task_facts(&program, &task);
            edges = expand(index, &merged, &entries);
            if timings {
                eprintln!("expand round {} {:?} ({} edges)", round + 1, t0.elapsed(), edges.len());
            }
            let mut next = site_facts(&graph);
            for e in &edges {
                let entry = match &e.args {
                    Some((args, kwargs)) => Entry { func: e.to, args: args.clone(), kwargs: kwargs.clone() },
                    None => Entry { func: e.to, args: vec![Value::Unknown; 16], kwargs: Vec::new() },
                };
                add_entry(index, &mut next, &entry);
            }
            let stable = next == task;
            task = next;
            if stable {
                break;
            }
        }
        graph.facts = merge_task_facts(&program, &task);
        graph.thread_reach = graph.reach(index, true, &edges);
        graph.process_reach = graph.reach(index, false, &edges);
        graph.edges = edges;
        graph
    }

    /// What one launcher site reaches, with chains (entry first).
    pub fn reach_from_site(&self, index: &ProjectIndex, site: usize) -> Vec<Reach> {
        let links = self.reach_from(index, &[site], &self.edges);
        let mut r: Vec<Reach> = links.keys().map(|&f| Reach { site, chain: chain_of(&links, f) }).collect();
        r.sort_by(|a, b| (a.chain.len(), &a.chain).cmp(&(b.chain.len(), &b.chain)));
        r
    }

    /// The chain of calls from a thread task's entry to `f` (entry first; at most
    /// [`MAX_CHAIN`] functions: the entry and the last ones).
    pub fn thread_chain(&self, f: FuncId) -> Vec<FuncId> {
        chain_of(&self.thread_reach, f)
    }

    /// Breadth-first reachability from the entries of thread (or process) launchers, keeping
    /// the shortest chain. numba-compiled functions are leaves.
    fn reach(&self, index: &ProjectIndex, threads: bool, edges: &[CallEdge]) -> FxHashMap<FuncId, Link> {
        let seeds: Vec<usize> = (0..self.sites.len()).filter(|&i| self.sites[i].threads == threads).collect();
        self.reach_from(index, &seeds, edges)
    }

    fn reach_from(&self, index: &ProjectIndex, seeds: &[usize], edges: &[CallEdge]) -> FxHashMap<FuncId, Link> {
        let mut out_edges: FxHashMap<FuncId, Vec<FuncId>> = FxHashMap::default();
        for e in edges {
            out_edges.entry(e.from).or_default().push(e.to);
        }
        for v in out_edges.values_mut() {
            v.sort();
            v.dedup();
        }
        let mut reach: FxHashMap<FuncId, Link> = FxHashMap::default();
        let mut queue = VecDeque::new();
        for &i in seeds {
            for e in &self.sites[i].entries {
                if let std::collections::hash_map::Entry::Vacant(v) = reach.entry(e.func) {
                    v.insert(Link { site: i, parent: None });
                    queue.push_back(e.func);
                }
            }
        }
        while let Some(f) = queue.pop_front() {
            if index.is_leaf(f) {
                continue;
            }
            let Some(next) = out_edges.get(&f) else {
                continue;
            };
            let site = reach[&f].site;
            for &g in next {
                if reach.contains_key(&g) {
                    continue;
                }
                reach.insert(g, Link { site, parent: Some(f) });
                queue.push_back(g);
            }
        }
        reach
    }
}

/// Walk every function reachable from `entries` (breadth-first, in parallel per level) and
/// return the calls between project functions found there.
fn expand(index: &ProjectIndex, facts: &ProgramFacts, entries: &[FuncId]) -> Vec<CallEdge> {
    let mut seen: FxHashSet<FuncId> = entries.iter().copied().collect();
    let mut frontier: Vec<FuncId> = seen.iter().copied().collect();
    frontier.sort();
    let mut edges = Vec::new();
    while !frontier.is_empty() {
        let found: Vec<CallEdge> = frontier
            .par_iter()
            .filter(|f| !index.is_leaf(**f))
            .map_init(
                || Context::new(index, facts),
                |cx, &f| walk_unit(cx, Unit::Function(f), DiscoveryHooks::new(f.file, Some(f), true)).edges,
            )
            .flatten_iter()
            .collect();
        let mut next: Vec<FuncId> = found.iter().map(|e| e.to).filter(|t| seen.insert(*t)).collect();
        next.sort();
        next.dedup();
        edges.extend(found);
        frontier = next;
    }
    edges
}

/// The units of a file for which `wanted(range)` holds (the module body is cheap to walk:
/// it is kept whenever any unit of the file is).
pub fn candidate_units(index: &ProjectIndex, file: u32, wanted: impl Fn(TextRange) -> bool) -> Vec<Unit> {
    let module = &index.modules[file as usize];
    if !wanted(TextRange::up_to(TextSize::of(module.source.text.as_str()))) {
        return Vec::new();
    }
    let s = index.module_scopes(file);
    let mut units = vec![Unit::Module(file)];
    for (local, c) in s.classes.iter().enumerate() {
        if wanted(c.node.range) {
            units.push(Unit::Class(ClassId { file, local: local as u32 }));
        }
    }
    for (local, f) in s.functions.iter().enumerate() {
        if f.jit == Jit::None && wanted(f.node.range()) {
            units.push(Unit::Function(FuncId { file, local: local as u32 }));
        }
    }
    units
}

/// Follow the links back to the entry: the chain entry first, `f` last. A chain longer than
/// [`MAX_CHAIN`] keeps its entry and its last functions.
fn chain_of(links: &FxHashMap<FuncId, Link>, f: FuncId) -> Vec<FuncId> {
    let mut rev = vec![f];
    let mut cur = f;
    let mut entry = None;
    while let Some(Link { parent: Some(p), .. }) = links.get(&cur) {
        if rev.len() < MAX_CHAIN {
            rev.push(*p);
        } else {
            entry = Some(*p);
        }
        cur = *p;
    }
    if let Some(e) = entry {
        rev.pop();
        rev.push(e);
    }
    rev.reverse();
    rev
}

/// The program facts with task-code parameter facts in place where task code supplies them
/// (a slot the task code leaves unbound keeps the project-wide join: a default, say).
fn merge_task_facts(program: &ProgramFacts, task: &ParamFacts) -> ProgramFacts {
    let mut merged = program.clone();
    for (f, slots) in task {
        let base = merged.params.entry(*f).or_insert_with(|| vec![Value::Unbound; slots.len()]);
        if base.len() < slots.len() {
            base.resize(slots.len(), Value::Unbound);
        }
        for (b, t) in base.iter_mut().zip(slots) {
            if *t != Value::Unbound {
                *b = t.clone();
            }
        }
    }
    merged
}
