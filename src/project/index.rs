//! The project index: every module's scopes (built in parallel), project-wide ids for functions
//! and classes, and module lookup by dotted name.

use crate::project::ParsedModule;
use crate::project::scope::{ClassInfo, FunctionInfo, ModuleScopes, ScopeId, ScopeKind};
use rustc_hash::FxHashMap;
use std::path::Path;
use std::sync::OnceLock;

/// A function (def or lambda) anywhere in the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncId {
    pub file: u32,
    pub local: u32,
}

/// A class anywhere in the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClassId {
    pub file: u32,
    pub local: u32,
}

pub struct ProjectIndex<'a> {
    pub modules: &'a [ParsedModule],
    /// Built on first use: modules that no analysed code touches are never bound.
    scopes: Vec<OnceLock<ModuleScopes<'a>>>,
    by_name: FxHashMap<&'a str, Vec<u32>>,
    /// `task-launchers` from the configuration: qualified names of user functions that run
    /// their first argument in a thread.
    pub user_launchers: Vec<String>,
    /// `gil-releasing` from the configuration: qualified names of functions to treat like
    /// numba `nogil` code.
    pub gil_releasing: Vec<String>,
    /// The `conftest.py` modules (pytest fixtures), found on first use.
    conftests: OnceLock<Vec<u32>>,
}

impl<'a> ProjectIndex<'a> {
    pub fn build(modules: &'a [ParsedModule]) -> Self {
        let scopes = modules.iter().map(|_| OnceLock::new()).collect();
        let mut by_name: FxHashMap<&'a str, Vec<u32>> = FxHashMap::default();
        for (i, m) in modules.iter().enumerate() {
            by_name.entry(m.name.as_str()).or_default().push(i as u32);
        }
        ProjectIndex {
            modules,
            scopes,
            by_name,
            user_launchers: Vec::new(),
            gil_releasing: Vec::new(),
            conftests: OnceLock::new(),
        }
    }

    /// Whether a module is test code, as pytest and projects lay it out: `test_*`,
    /// `conftest`, or a module inside a package (folder) named `tests`, `test` or `testing`,
    /// judged on its dotted name (so a checkout under `~/test/` is not test code).
    /// Performance advice on test set-up is noise: `--scope everywhere` checks only the task
    /// code of these (the default scope's rule).
    pub fn is_test_module(&self, file: u32) -> bool {
        let name = self.modules[file as usize].name.as_str();
        let mut parts = name.split('.').peekable();
        while let Some(part) = parts.next() {
            let last = parts.peek().is_none();
            if matches!(part, "tests" | "test" | "testing") && !last {
                return true;
            }
            if last && (part.starts_with("test_") || part == "conftest") {
                return true;
            }
        }
        false
    }

    /// The project's `conftest.py` modules.
    pub fn conftest_modules(&self) -> &[u32] {
        self.conftests.get_or_init(|| {
            (0..self.modules.len() as u32)
                .filter(|&m| self.modules[m as usize].source.path.file_name().is_some_and(|n| n == "conftest.py"))
                .collect()
        })
    }

    /// The configuration's `task-launchers` (qualified names of user functions that run their
    /// first argument in a thread) and `gil-releasing` (functions never flagged nor followed).
    pub fn configure(mut self, task_launchers: &[String], gil_releasing: &[String]) -> Self {
        self.user_launchers = task_launchers.to_vec();
        self.gil_releasing = gil_releasing.to_vec();
        self
    }

    /// Code that is not Python bytecode run under the GIL: numba-compiled functions and the
    /// configured `gil-releasing` ones. Never flagged; calls into them are not followed.
    pub fn is_leaf(&self, f: FuncId) -> bool {
        if self.func(f).jit != crate::project::scope::Jit::None {
            return true;
        }
        !self.gil_releasing.is_empty() && self.gil_releasing.contains(&self.func_qualified(f))
    }

    /// The binder's scopes for one module (bound on first use).
    pub fn module_scopes(&self, file: u32) -> &ModuleScopes<'a> {
        self.scopes[file as usize].get_or_init(|| {
            let m = &self.modules[file as usize];
            ModuleScopes::build(&m.ast.body, &m.name, m.is_package)
        })
    }

    /// The function whose body a scope of `file` is (`None` for module and class scopes).
    pub fn function_of_scope(&self, file: u32, scope: ScopeId) -> Option<FuncId> {
        match self.module_scopes(file).scopes.get(scope as usize).map(|s| &s.kind) {
            Some(ScopeKind::Function(local)) => Some(FuncId { file, local: *local }),
            _ => None,
        }
    }

    pub fn func(&self, id: FuncId) -> &FunctionInfo<'a> {
        &self.module_scopes(id.file).functions[id.local as usize]
    }

    pub fn class(&self, id: ClassId) -> &ClassInfo<'a> {
        &self.module_scopes(id.file).classes[id.local as usize]
    }

    /// The module with this dotted name; with several (scripts in different folders), the one
    /// nearest to the importing file.
    pub fn module_named(&self, name: &str, from_file: u32) -> Option<u32> {
        let candidates = self.by_name.get(name)?;
        if candidates.len() == 1 {
            return Some(candidates[0]);
        }
        let from = self.modules[from_file as usize].source.path.parent();
        candidates.iter().copied().max_by_key(|&c| {
            let p = self.modules[c as usize].source.path.parent();
            common_prefix_len(from, p)
        })
    }

    /// How a function is named in reports: `name` within the same module, `module.name` across
    /// (the module's report name, unique in the project: see `ParsedModule::display_name`).
    pub fn func_display(&self, id: FuncId, relative_to: Option<u32>) -> String {
        let f = self.func(id);
        let q = f.qualname.replace(".<locals>", "");
        if relative_to == Some(id.file) { q } else { format!("{}.{}", self.modules[id.file as usize].display_name, q) }
    }

    /// A function's importable qualified name (`pkg.stats.energy`), as configuration names it.
    pub fn func_qualified(&self, id: FuncId) -> String {
        let f = self.func(id);
        format!("{}.{}", self.modules[id.file as usize].name, f.qualname.replace(".<locals>", ""))
    }

    /// `path:row` of an offset, for task context lines.
    pub fn site(&self, file: u32, offset: ruff_text_size::TextSize) -> (String, crate::files::source::Location) {
        let m = &self.modules[file as usize];
        (m.source.display_path(), m.source.location(offset))
    }
}

fn common_prefix_len(a: Option<&Path>, b: Option<&Path>) -> usize {
    match (a, b) {
        (Some(a), Some(b)) => a.components().zip(b.components()).take_while(|(x, y)| x == y).count(),
        _ => 0,
    }
}
