//! `numgil tasks`: every launcher site once with its kind, the functions it runs and, as a
//! tree, the functions they reach (each once; a function met again on another path is shown as
//! `… (see above)`), with the full call chains only with `--verbose`. Callables at a launcher
//! that are not project functions are listed as `<unresolved: …>`. Text lines stay under
//! [`WIDTH`] columns; JSON keeps everything.

use crate::analysis::callgraph::TaskGraph;
use crate::files::paths::escape;
use crate::project::index::{FuncId, ProjectIndex};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::io::Write;

/// Text lines are cut (with `…`) at this many characters.
pub const WIDTH: usize = 100;

#[derive(Debug, Serialize)]
pub struct TaskReport {
    pub sites: Vec<SiteReport>,
}

#[derive(Debug, Serialize)]
pub struct SiteReport {
    pub filename: String,
    pub row: usize,
    pub column: usize,
    pub launcher: String,
    /// `thread` or `process`.
    pub kind: &'static str,
    /// Qualified names of the functions the launcher runs.
    pub entries: Vec<String>,
    /// Callables the launcher runs that are not project functions (`self.handler`, a library
    /// function), as written.
    pub unresolved: Vec<String>,
    /// The parameter of the enclosing function the callable is, when the function forwards
    /// what its callers give it: each of those calls is listed as a launcher of its own.
    pub forwards: Option<String>,
    /// Every function the entries reach, entries included, with the shortest chain.
    pub reaches: Vec<Reached>,
    /// The functions each reached function calls (qualified names), for the tree.
    #[serde(skip)]
    calls: FxHashMap<String, Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct Reached {
    pub function: String,
    pub chain: Vec<String>,
}

/// The callable a launcher call runs, as written: `target=` of a `Thread`, the second argument
/// of `run_in_executor`, the function in joblib's `delayed(f)`, else the first argument.
fn callable_text(call_text: &str) -> Option<String> {
    use ruff_python_ast::Expr;
    use ruff_text_size::Ranged;
    let parsed = ruff_python_parser::parse_expression(call_text).ok()?;
    let Expr::Call(call) = parsed.expr() else { return None };
    let text = |e: &Expr| call_text[e.range()].split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(k) = call.arguments.find_keyword("target") {
        return Some(text(&k.value));
    }
    let method = match call.func.as_ref() {
        Expr::Attribute(a) => a.attr.as_str(),
        _ => "",
    };
    let arg = call.arguments.args.get(usize::from(method == "run_in_executor"))?;
    // joblib: `Parallel(...)(delayed(f)(x) for x in xs)`.
    if let Expr::Generator(g) = arg
        && let Expr::Call(inner) = g.elt.as_ref()
        && let Expr::Call(delayed) = inner.func.as_ref()
        && let Some(f) = delayed.arguments.args.first()
    {
        return Some(text(f));
    }
    Some(text(arg))
}

impl TaskReport {
    /// The sites in, or reaching into, the files `reported` accepts.
    pub fn new(index: &ProjectIndex, graph: &TaskGraph, reported: impl Fn(u32) -> bool) -> Self {
        let qual = |f: FuncId| index.func_display(f, None);
        let mut sites: Vec<SiteReport> = Vec::new();
        for (i, s) in graph.sites.iter().enumerate() {
            let reach = graph.reach_from_site(index, i);
            if !reported(s.file) && !reach.iter().any(|r| r.chain.last().is_some_and(|f| reported(f.file))) {
                continue;
            }
            let (filename, loc) = index.site(s.file, ruff_text_size::Ranged::start(&s.range));
            let mut entries: Vec<String> = Vec::new();
            for e in &s.entries {
                let q = qual(e.func);
                if !entries.contains(&q) {
                    entries.push(q);
                }
            }
            let forwards = s
                .forwards
                .zip(s.from)
                .and_then(|(i, f)| index.func(f).params().get(i).map(|p| p.name.as_str().to_string()));
            let mut unresolved = Vec::new();
            if s.entries.is_empty() && forwards.is_none() {
                let text = index
                    .modules
                    .get(s.file as usize)
                    .and_then(|m| m.source.text.get(std::ops::Range::<usize>::from(s.range)));
                unresolved.push(text.and_then(callable_text).unwrap_or_else(|| "a value numgil cannot follow".into()));
            }
            let reached: FxHashSet<FuncId> = reach.iter().filter_map(|r| r.chain.last().copied()).collect();
            let mut calls: FxHashMap<String, Vec<String>> = FxHashMap::default();
            for e in &graph.edges {
                if reached.contains(&e.from) && reached.contains(&e.to) && !index.is_leaf(e.from) {
                    let callees = calls.entry(qual(e.from)).or_default();
                    let q = qual(e.to);
                    if !callees.contains(&q) {
                        callees.push(q);
                    }
                }
            }
            for v in calls.values_mut() {
                v.sort();
            }
            let reaches = reach
                .iter()
                .filter_map(|r| {
                    Some(Reached {
                        function: qual(*r.chain.last()?),
                        chain: r.chain.iter().map(|&f| qual(f)).collect(),
                    })
                })
                .collect();
            let site = SiteReport {
                filename,
                row: loc.row,
                column: loc.column,
                launcher: s.launcher.clone(),
                kind: if s.threads { "thread" } else { "process" },
                entries,
                unresolved,
                forwards,
                reaches,
                calls,
            };
            // One site per place and launcher (a site found twice merges its callables).
            match sites.iter_mut().find(|o| {
                (&o.filename, o.row, o.column, &o.launcher) == (&site.filename, site.row, site.column, &site.launcher)
            }) {
                Some(o) => o.merge(site),
                None => sites.push(site),
            }
        }
        sites.sort_by(|a, b| (&a.filename, a.row, a.column).cmp(&(&b.filename, b.row, b.column)));
        TaskReport { sites }
    }

    pub fn render_text(&self, out: &mut dyn Write, verbose: bool) -> std::io::Result<()> {
        if self.sites.is_empty() {
            return writeln!(out, "No task launchers found.");
        }
        for s in &self.sites {
            let head = format!("{}:{}:{}  {}  ({})", escape(&s.filename), s.row, s.column, s.launcher, s.kind);
            line(out, &head)?;
            let mut printed: FxHashSet<&str> = FxHashSet::default();
            for e in &s.entries {
                if printed.insert(e.as_str()) {
                    line(out, &format!("    runs  {e}"))?;
                    s.tree(out, e, "          ", &mut printed)?;
                } else {
                    line(out, &format!("    runs  {e} … (see above)"))?;
                }
            }
            for u in &s.unresolved {
                line(out, &format!("    runs  <unresolved: {u}>"))?;
            }
            if let Some(p) = &s.forwards {
                line(out, &format!("    forwards  its parameter `{p}`: each call that fills it is a launcher below"))?;
            }
            if verbose {
                for r in s.reaches.iter().filter(|r| r.chain.len() > 1) {
                    writeln!(out, "    chain  {}", r.chain.join(" → "))?;
                }
            }
        }
        let threads = self.sites.iter().filter(|s| s.kind == "thread").count();
        writeln!(
            out,
            "\n{} launcher site(s): {} thread, {} process.",
            self.sites.len(),
            threads,
            self.sites.len() - threads
        )
    }
}

impl SiteReport {
    fn merge(&mut self, other: SiteReport) {
        for e in other.entries {
            if !self.entries.contains(&e) {
                self.entries.push(e);
            }
        }
        for u in other.unresolved {
            if !self.unresolved.contains(&u) {
                self.unresolved.push(u);
            }
        }
        if self.forwards.is_none() {
            self.forwards = other.forwards;
        }
        for r in other.reaches {
            if !self.reaches.iter().any(|x| x.function == r.function) {
                self.reaches.push(r);
            }
        }
        for (f, callees) in other.calls {
            let mine = self.calls.entry(f).or_default();
            for c in callees {
                if !mine.contains(&c) {
                    mine.push(c);
                }
            }
            mine.sort();
        }
    }

    /// The functions `f` calls, depth first; each function's subtree once.
    fn tree<'s>(
        &'s self,
        out: &mut dyn Write,
        f: &str,
        indent: &str,
        printed: &mut FxHashSet<&'s str>,
    ) -> std::io::Result<()> {
        let Some(callees) = self.calls.get(f) else { return Ok(()) };
        for (i, g) in callees.iter().enumerate() {
            let last = i + 1 == callees.len();
            let branch = if last { "└── " } else { "├── " };
            if printed.insert(g.as_str()) {
                line(out, &format!("{indent}{branch}{g}"))?;
                let deeper = format!("{indent}{}", if last { "    " } else { "│   " });
                self.tree(out, g, &deeper, printed)?;
            } else {
                line(out, &format!("{indent}{branch}{g} … (see above)"))?;
            }
        }
        Ok(())
    }
}

/// Write one line, cut to [`WIDTH`] characters with `…`.
fn line(out: &mut dyn Write, s: &str) -> std::io::Result<()> {
    if s.chars().count() <= WIDTH {
        return writeln!(out, "{s}");
    }
    let cut: String = s.chars().take(WIDTH - 1).collect();
    writeln!(out, "{cut}…")
}
