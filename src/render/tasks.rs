//! `numgil tasks`: every launcher site with its kind, the entry functions it runs and the
//! functions they reach (with the call chain), as text or JSON.

use crate::callgraph::TaskGraph;
use crate::index::ProjectIndex;
use serde::Serialize;
use std::io::Write;

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
    /// Every function the entries reach, entries included.
    pub reaches: Vec<Reached>,
}

#[derive(Debug, Serialize)]
pub struct Reached {
    pub function: String,
    pub chain: Vec<String>,
}

impl TaskReport {
    pub fn new(index: &ProjectIndex, graph: &TaskGraph) -> Self {
        let qual = |f| index.func_display(f, None);
        let mut sites: Vec<SiteReport> = graph
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (filename, loc) = index.site(s.file, ruff_text_size::Ranged::start(&s.range));
                let mut entries: Vec<String> = s.entries.iter().map(|e| qual(e.func)).collect();
                entries.dedup();
                let reaches = graph
                    .reach_from_site(index, i)
                    .into_iter()
                    .map(|r| Reached {
                        function: qual(*r.chain.last().unwrap_or(&r.chain[0])),
                        chain: r.chain.iter().map(|&f| qual(f)).collect(),
                    })
                    .collect();
                SiteReport {
                    filename,
                    row: loc.row,
                    column: loc.column,
                    launcher: s.launcher.clone(),
                    kind: if s.threads { "thread" } else { "process" },
                    entries,
                    reaches,
                }
            })
            .collect();
        sites.sort_by(|a, b| (&a.filename, a.row, a.column).cmp(&(&b.filename, b.row, b.column)));
        TaskReport { sites }
    }

    pub fn render_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.sites.is_empty() {
            return writeln!(out, "No task launchers found.");
        }
        for s in &self.sites {
            writeln!(out, "{}:{}:{}  {}  ({})", s.filename, s.row, s.column, s.launcher, s.kind)?;
            if s.entries.is_empty() {
                writeln!(out, "    runs: (no project function: a library callable or an unresolved value)")?;
                continue;
            }
            for e in &s.entries {
                writeln!(out, "    runs     {e}")?;
            }
            for r in s.reaches.iter().filter(|r| r.chain.len() > 1) {
                writeln!(out, "    reaches  {}  via {}", r.function, r.chain.join(" → "))?;
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
