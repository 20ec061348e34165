//! A finding, in one shape for every consumer (renderers, `--fix`, the language server): the
//! rule, where it is, what to do about it, and which thread task it runs in.

use crate::files::source::Location;
use crate::findings::fix::Fix;
use ruff_text_size::TextRange;
use serde::Serialize;
use std::path::PathBuf;

/// Where a finding's code runs: the launcher site and the call chain to the function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskContext {
    /// `ThreadPoolExecutor.submit`, `threading.Thread`, ...
    pub launcher: String,
    /// `thread` or `process`.
    pub kind: &'static str,
    pub site: Site,
    /// Function names from the task's entry to the function holding the finding.
    pub chain: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    pub filename: String,
    pub row: usize,
    pub column: usize,
    /// For notebooks: the cell, `row` being the line within it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<usize>,
}

impl TaskContext {
    /// `runs in a thread task: ThreadPoolExecutor.submit at seed.py:15 → task`
    pub fn describe(&self) -> String {
        let at = match self.site.cell {
            Some(cell) => format!("{}:cell {cell}:{}", self.site.filename, self.site.row),
            None => format!("{}:{}", self.site.filename, self.site.row),
        };
        let mut s = format!("runs in a {} task: {} at {at}", self.kind, self.launcher);
        for f in &self.chain {
            s.push_str(" → ");
            s.push_str(f);
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: &'static str,
    /// The rule's name (`builtin-reduction-over-array`).
    pub name: &'static str,
    pub message: String,
    /// What to do instead (the fix title when there is a fix).
    pub help: Option<String>,
    pub fix: Option<Fix>,
    pub path: PathBuf,
    /// Index of the module in the project, when the file was parsed.
    pub file: Option<u32>,
    pub range: TextRange,
    pub start: Location,
    pub end: Location,
    pub task: Option<TaskContext>,
    /// The measured speedup of the rule's fix, from this host's `numgil bench` profile or the
    /// reference run.
    pub evidence: Option<crate::kernels::profile::Evidence>,
    /// For notebooks: the 1-based cell; `start`/`end` rows are then lines within that cell.
    pub cell: Option<usize>,
    /// The element count the finding was judged on, where the code states it.
    pub size: Option<u64>,
    /// The pattern itself runs Python code for every element of a whole array, whatever its
    /// size (`np.vectorize`, computing on an object array, a loop nest over every axis of an
    /// image): outside thread tasks this stands in for a stated size as the sign that the
    /// finding is worth reading (the engine hides the rest outside tasks).
    pub whole_array: bool,
    /// The kernel (a rule code) that measures the rewrite this finding suggests; `None` when
    /// no bundled kernel measures it, and then no figure is quoted.
    pub kernel: Option<&'static str>,
}

impl Diagnostic {
    /// A finding of `meta`'s rule at `range` of a parsed file; task, evidence, fix and cell are
    /// filled in by whoever knows them.
    pub fn at(
        meta: &'static crate::findings::rule_meta::RuleMeta,
        source: &crate::files::source::SourceFile,
        file: u32,
        range: TextRange,
        message: String,
        help: Option<String>,
    ) -> Diagnostic {
        Diagnostic {
            code: meta.code,
            name: meta.name,
            message,
            help,
            fix: None,
            path: source.path.clone(),
            file: Some(file),
            range,
            start: source.location(range.start()),
            end: source.location(range.end()),
            task: None,
            evidence: None,
            cell: None,
            size: None,
            whole_array: false,
            kernel: Some(meta.code),
        }
    }

    pub fn display_path(&self) -> String {
        self.path.display().to_string()
    }

    /// Where the rule is documented: `rules/<CODE>.md` in the numgil repository, as an
    /// absolute URL (also printed by `numgil rule <CODE>`).
    pub fn url(&self) -> String {
        crate::findings::rule_meta::rule_url(self.code)
    }
}
