//! Loading a project: read and parse every discovered file exactly once, in parallel, and name
//! each module from its path (`__init__.py` packages, `src/` layouts). Files that cannot be read
//! become problems (NG002) and the run goes on. Two files that import as the same module
//! (`pkgA/pipeline/stats.py`, `pkgB/pipeline/stats.py`) keep that name for import resolution
//! but are reported under distinct names (`pkgA/pipeline.stats`, `pkgB/pipeline.stats`).
//!
//! Limits on what a file can cost: only regular files are read (a FIFO or a device named
//! `x.py` is an NG002, never opened for a blocking read), at most [`MAX_FILE_BYTES`] of it
//! through a bounded reader, at most [`MAX_SYNTAX_ERRORS`] NG001 per file (then one "… and N
//! more"), and statements nested deeper than [`crate::files::depth::MAX_DEPTH`] are left out of the
//! analysis (see [`crate::files::depth`]). A notebook's cells are parsed each on its own, so a syntax
//! error stays in its cell.

pub mod index;
pub mod scope;
pub mod target_version;

use crate::files::source::{Location, SourceFile};
use crate::project::target_version::TargetVersions;
use rayon::prelude::*;
use ruff_python_ast::token::TokenKind;
use ruff_python_ast::{ModModule, PySourceType};
use ruff_python_parser::{Mode, ParseOptions, Parsed};
use ruff_text_size::{Ranged, TextRange, TextSize};
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

/// One parsed file. The parser's token stream is not kept (it is larger than the tree): only
/// the comments that can carry a suppression survive.
pub struct ParsedModule {
    pub source: SourceFile,
    pub ast: ModModule,
    /// Parse errors and syntax the target version does not support (at most
    /// [`MAX_SYNTAX_ERRORS`]).
    pub syntax_errors: Vec<(TextRange, String)>,
    /// Other NG001 findings, with their whole message: statements skipped by the depth gate,
    /// and "… and N more syntax errors" past the cap.
    pub notes: Vec<(TextRange, String)>,
    /// Comments that mention `noqa` or `numgil`.
    pub suppression_comments: Vec<TextRange>,
    /// Dotted module name (`pkg.stats`), as imports name it.
    pub name: String,
    /// How reports name the module: `name`, or, when another file of the project has the same
    /// `name`, prefixed with the folder that holds its package (`pkgA/pipeline.stats`).
    pub display_name: String,
    pub is_package: bool,
    /// The Python version the file was parsed for.
    pub target: ruff_python_ast::PythonVersion,
    /// For a Jupyter notebook: its JSON and cell map (`source.text` is then the joined code).
    pub notebook: Option<crate::files::notebook::Notebook>,
}

impl ParsedModule {
    /// For a notebook, the cell an offset is in and the line within that cell; otherwise the row.
    pub fn notebook_location(&self, offset: TextSize, row: usize) -> (Option<usize>, usize) {
        let Some(cell) = self.notebook.as_ref().and_then(|nb| nb.cell_at(offset)) else { return (None, row) };
        let first = self.source.location(cell.start).row;
        (Some(cell.number), row + 1 - first)
    }

    /// Parse a file's contents: Python source, or a notebook's JSON (by extension).
    pub fn parse_file(
        path: PathBuf,
        raw: String,
        name: String,
        target: ruff_python_ast::PythonVersion,
    ) -> Result<Self, String> {
        if path.extension().is_some_and(|e| e == "ipynb") {
            let (nb, joined) = crate::files::notebook::Notebook::parse(&raw)?;
            return Ok(ParsedModule::parse_notebook(SourceFile::new(path, joined), nb, name, target));
        }
        Ok(ParsedModule::parse(SourceFile::new(path, raw), name, target))
    }

    /// The text of the file on disk: the notebook's JSON, or the Python source.
    pub fn file_text(&self) -> &str {
        self.notebook.as_ref().map_or(self.source.text.as_str(), |n| n.raw.as_str())
    }

    pub fn parse(source: SourceFile, name: String, target: ruff_python_ast::PythonVersion) -> Self {
        Self::parse_cells(source, None, name, target)
    }

    /// Parse a notebook's joined code cells, each cell on its own (a syntax error cannot run
    /// into the next cell), into one module.
    pub fn parse_notebook(
        source: SourceFile,
        notebook: crate::files::notebook::Notebook,
        name: String,
        target: ruff_python_ast::PythonVersion,
    ) -> Self {
        let mut m = Self::parse_cells(source, Some(&notebook), name, target);
        m.notebook = Some(notebook);
        m
    }

    fn parse_cells(
        source: SourceFile,
        notebook: Option<&crate::files::notebook::Notebook>,
        name: String,
        target: ruff_python_ast::PythonVersion,
    ) -> Self {
        let source_type = match source.path.extension().and_then(|e| e.to_str()) {
            Some("pyi") => PySourceType::Stub,
            // Notebooks: IPython magics (`%timeit`, `!pip`) parse as escape commands.
            Some("ipynb") => PySourceType::Ipynb,
            _ => PySourceType::Python,
        };
        let options = ParseOptions::from(source_type).with_target_version(target);
        let mode = if source_type == PySourceType::Ipynb { Mode::Ipython } else { Mode::Module };
        // NUL bytes (which CPython refuses) are parsed as spaces: one finding instead of one per
        // byte, and the offsets stay the same.
        let nul = source.text.bytes().position(|b| b == 0);
        let spaced;
        let text: &str = match nul {
            Some(_) => {
                spaced = source.text.replace('\0', " ");
                &spaced
            }
            None => &source.text,
        };
        let refusal = crate::files::depth::lexical_limits(
            text,
            mode,
            crate::files::depth::MAX_LEXICAL_NESTING,
            crate::files::depth::MAX_UNKNOWN_CHARACTERS,
        );
        if let Some(refusal) = refusal {
            let empty = ruff_python_parser::parse_unchecked_source("", PySourceType::Python);
            let note = match refusal {
                crate::files::depth::Refusal::TooDeep => format!(
                    "too deeply nested to parse (more than {} nested brackets or operators); the file is not analysed",
                    crate::files::depth::MAX_LEXICAL_NESTING
                ),
                crate::files::depth::Refusal::NotPython => format!(
                    "not Python source (more than {} characters that are not Python); the file is not analysed",
                    crate::files::depth::MAX_UNKNOWN_CHARACTERS
                ),
            };
            let is_package = source.path.file_stem().is_some_and(|s| s == "__init__");
            return ParsedModule {
                source,
                ast: empty.into_syntax(),
                syntax_errors: Vec::new(),
                notes: vec![(TextRange::default(), note)],
                suppression_comments: Vec::new(),
                display_name: name.clone(),
                name,
                is_package,
                target,
                notebook: None,
            };
        }
        let parsed = match notebook.and_then(|nb| nb.cell_ranges(text)) {
            Some(ranges) => ruff_python_parser::parse_cells_unchecked(text, ranges, &options),
            None => ruff_python_parser::parse_unchecked(text, options).try_into_module().unwrap_or_else(|| {
                // A module-mode parse always yields a module; fall back to an empty one.
                ruff_python_parser::parse_unchecked_source("", PySourceType::Python)
            }),
        };
        let is_package = source.path.file_stem().is_some_and(|s| s == "__init__");
        let mut syntax_errors: Vec<(TextRange, String)> = parsed
            .errors()
            .iter()
            .map(|e| (e.location, e.error.to_string()))
            .chain(parsed.unsupported_syntax_errors().iter().map(|e| (e.range, e.to_string())))
            .take(MAX_SYNTAX_ERRORS + 1)
            .collect();
        let mut notes = Vec::new();
        if syntax_errors.len() > MAX_SYNTAX_ERRORS {
            let total = parsed.errors().len() + parsed.unsupported_syntax_errors().len();
            let more = total - MAX_SYNTAX_ERRORS;
            if let Some((at, _)) = syntax_errors.pop() {
                notes.push((
                    at,
                    format!(
                        "… and {more} more syntax error{} (only the first {MAX_SYNTAX_ERRORS} are reported)",
                        if more == 1 { "" } else { "s" }
                    ),
                ));
            }
        }
        if let Some(at) = nul {
            let count = source.text.bytes().filter(|b| *b == 0).count();
            let at = TextSize::try_from(at).unwrap_or_default();
            notes.push((
                TextRange::empty(at),
                format!("source code cannot contain null bytes ({count} found; read as spaces)"),
            ));
        }
        let suppression_comments = suppression_comments(&parsed, text);
        let mut ast = parsed.into_syntax();
        for s in crate::files::depth::gate(&mut ast.body, crate::files::depth::MAX_DEPTH) {
            notes.push((
                TextRange::empty(s.range.start()),
                format!(
                    "too deeply nested to analyse (depth {} > {}); this statement is skipped",
                    s.depth,
                    crate::files::depth::MAX_DEPTH
                ),
            ));
        }
        let display_name = name.clone();
        ParsedModule {
            source,
            ast,
            syntax_errors,
            notes,
            suppression_comments,
            name,
            display_name,
            is_package,
            target,
            notebook: None,
        }
    }
}

fn suppression_comments(parsed: &Parsed<ModModule>, text: &str) -> Vec<TextRange> {
    parsed
        .tokens()
        .iter()
        .filter(|t| t.kind() == TokenKind::Comment)
        .map(|t| t.range())
        .filter(|r| {
            let c = &text[*r];
            c.contains("noqa") || c.contains("NOQA") || c.contains("numgil") || c.to_ascii_lowercase().contains("noqa")
        })
        .collect()
}

/// A file that could not be read as Python source.
#[derive(Debug, Clone)]
pub struct IoProblem {
    pub path: PathBuf,
    pub message: String,
    pub location: Option<Location>,
}

pub struct Project {
    pub modules: Vec<ParsedModule>,
    pub problems: Vec<IoProblem>,
}

impl Project {
    /// Read and parse `files` in parallel. Each file is read once.
    pub fn load(files: &[PathBuf], target: Option<ruff_python_ast::PythonVersion>) -> Project {
        Project::load_each(files, &vec![target; files.len()])
    }

    /// [`Project::load`] with each file's configured `target-version` (`None`: from the nearest
    /// `requires-python`), for per-file configuration.
    pub fn load_each(files: &[PathBuf], configured: &[Option<ruff_python_ast::PythonVersion>]) -> Project {
        let mut namer = ModuleNamer::default();
        let names = namer.names(files);
        let display = namer.display_names(files, &names);
        let mut targets = TargetVersions::default();
        let targets: Vec<_> = files
            .iter()
            .enumerate()
            .map(|(i, f)| configured.get(i).copied().flatten().unwrap_or_else(|| targets.for_file(f)))
            .collect();
        let results: Vec<Result<ParsedModule, IoProblem>> = files
            .par_iter()
            .zip(names.into_par_iter().zip(display.into_par_iter()))
            .zip(targets.into_par_iter())
            .map(|((path, (name, display_name)), target)| {
                let text = read_source(path)?;
                let mut m = ParsedModule::parse_file(path.clone(), text, name, target)
                    .map_err(|message| IoProblem { path: path.clone(), message, location: None })?;
                m.display_name = display_name;
                Ok(m)
            })
            .collect();
        let mut modules = Vec::with_capacity(results.len());
        let mut problems = Vec::new();
        for r in results {
            match r {
                Ok(m) => modules.push(m),
                Err(p) => problems.push(p),
            }
        }
        Project { modules, problems }
    }

    /// Build a project from in-memory sources (tests, stdin, the language server).
    pub fn from_sources(sources: Vec<(PathBuf, String)>) -> Project {
        let paths: Vec<PathBuf> = sources.iter().map(|(p, _)| p.clone()).collect();
        let mut namer = ModuleNamer::default();
        let names = namer.names(&paths);
        let display = namer.display_names(&paths, &names);
        let mut targets = TargetVersions::default();
        let modules = sources
            .into_iter()
            .zip(names.into_iter().zip(display))
            .filter_map(|((path, text), (name, display_name))| {
                let target = targets.for_file(&path);
                let mut m = ParsedModule::parse_file(path, text, name, target).ok()?;
                m.display_name = display_name;
                Some(m)
            })
            .collect();
        Project { modules, problems: Vec::new() }
    }
}

impl Project {
    /// Replace a file's text, or add the file: for stdin and editor buffers.
    pub fn set_source(&mut self, path: &Path, text: String) {
        let target = |p: &Path| TargetVersions::default().for_file(p);
        match self.modules.iter().position(|m| m.source.path == path) {
            Some(i) => {
                let m = &self.modules[i];
                let (name, display_name, target) = (m.name.clone(), m.display_name.clone(), m.target);
                match ParsedModule::parse_file(path.to_path_buf(), text, name, target) {
                    Ok(mut m) => {
                        m.display_name = display_name;
                        self.modules[i] = m;
                    }
                    Err(message) => self.problems.push(IoProblem { path: path.to_path_buf(), message, location: None }),
                }
            }
            None => {
                let name = ModuleNamer::default().name(path);
                let t = target(path);
                match ParsedModule::parse_file(path.to_path_buf(), text, name, t) {
                    Ok(m) => self.modules.push(m),
                    Err(message) => self.problems.push(IoProblem { path: path.to_path_buf(), message, location: None }),
                }
            }
        }
    }
}

/// The largest file read (32 MiB): a bigger one is an NG002 ("file too large").
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// At most this many NG001 per file from the parser; the rest are counted in one finding.
pub const MAX_SYNTAX_ERRORS: usize = 10;

const MIB: u64 = 1024 * 1024;

fn too_large(len: u64) -> String {
    format!("file too large ({} MiB > {} MiB)", len.div_ceil(MIB), MAX_FILE_BYTES / MIB)
}

/// Read at most [`MAX_FILE_BYTES`] of a regular file. A FIFO, socket or device is refused
/// before it is read (it is opened non-blocking, so even a FIFO that appears between the check
/// and the open cannot block), and the reader is bounded, so a size that lies cannot make it
/// read forever.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read file: {e}"))?;
    if !meta.is_file() {
        return Err(crate::files::discover::not_regular(&meta.file_type()));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| format!("cannot read file: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read file: {e}"))?;
    if !meta.is_file() {
        return Err(crate::files::discover::not_regular(&meta.file_type()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(MAX_FILE_BYTES as usize));
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read file: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
const O_NONBLOCK: i32 = 0x0004;

/// Read a file as UTF-8 text, or say why not (with the position of the first bad byte).
pub fn read_source(path: &Path) -> Result<String, IoProblem> {
    let bytes =
        read_bounded(path).map_err(|message| IoProblem { path: path.to_path_buf(), message, location: None })?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let prefix = String::from_utf8_lossy(&bytes[..valid]);
        let row = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        IoProblem {
            path: path.to_path_buf(),
            message: format!(
                "file is not valid UTF-8 (invalid byte 0x{:02x} at byte offset {valid})",
                bytes.get(valid).copied().unwrap_or(0)
            ),
            location: Some(Location { row, column }),
        }
    })
}

/// Derives dotted module names from paths: a directory with `__init__.py` is a package, and
/// the first directory up the tree without one is the import root (this covers `src/` layouts).
#[derive(Default)]
pub struct ModuleNamer {
    is_package_dir: FxHashMap<PathBuf, bool>,
}

impl ModuleNamer {
    pub fn names(&mut self, files: &[PathBuf]) -> Vec<String> {
        files.iter().map(|f| self.name(f)).collect()
    }

    pub fn name(&mut self, file: &Path) -> String {
        self.name_and_root(file).0
    }

    /// Report names for `files` (whose import names are `names`): a name shared by several
    /// files is prefixed with the end of each file's import root (the folder holding its
    /// top package), as few folders as make them distinct: `pkgA/pipeline.stats`.
    pub fn display_names(&mut self, files: &[PathBuf], names: &[String]) -> Vec<String> {
        let mut by_name: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, n) in names.iter().enumerate() {
            by_name.entry(n.as_str()).or_default().push(i);
        }
        let mut out = names.to_vec();
        for (name, group) in by_name {
            if group.len() < 2 {
                continue;
            }
            let roots: Vec<Vec<String>> = group
                .iter()
                .map(|&i| {
                    let root = self.name_and_root(&files[i]).1;
                    crate::files::paths::absolute(&root)
                        .components()
                        .filter_map(|c| match c {
                            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                            _ => None,
                        })
                        .collect()
                })
                .collect();
            let longest = roots.iter().map(Vec::len).max().unwrap_or(0);
            let suffix = |r: &Vec<String>, k: usize| r[r.len().saturating_sub(k)..].join("/");
            let k = (1..=longest)
                .find(|&k| {
                    let mut seen: Vec<String> = roots.iter().map(|r| suffix(r, k)).collect();
                    seen.sort();
                    seen.windows(2).all(|w| w[0] != w[1])
                })
                .unwrap_or(longest);
            for (&i, r) in group.iter().zip(&roots) {
                let prefix = suffix(r, k);
                if !prefix.is_empty() {
                    out[i] = format!("{prefix}/{name}");
                }
            }
        }
        out
    }

    /// The module name and the import root it is relative to.
    fn name_and_root(&mut self, file: &Path) -> (String, PathBuf) {
        // Absolute, so that a file named from inside its package still gets its package name.
        let file = &crate::files::paths::absolute(file);
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("module");
        let mut parts: Vec<String> = Vec::new();
        if stem != "__init__" {
            parts.push(stem.to_string());
        }
        let mut dir = file.parent().map(Path::to_path_buf);
        let mut root = dir.clone().unwrap_or_default();
        while let Some(d) = dir {
            root = d.clone();
            if d.as_os_str().is_empty() || !self.is_package(&d) {
                break;
            }
            match d.file_name().and_then(|n| n.to_str()) {
                Some(n) => parts.push(n.to_string()),
                None => break,
            }
            dir = d.parent().map(Path::to_path_buf);
            root = dir.clone().unwrap_or_default();
        }
        parts.reverse();
        if parts.is_empty() {
            // A top-level `__init__.py` outside any package: name it after its directory.
            let name = file.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("__init__");
            let root = file.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default();
            return (name.to_string(), root);
        }
        (parts.join("."), root)
    }

    fn is_package(&mut self, dir: &Path) -> bool {
        if let Some(&b) = self.is_package_dir.get(dir) {
            return b;
        }
        let b = dir.join("__init__.py").is_file() || dir.join("__init__.pyi").is_file();
        self.is_package_dir.insert(dir.to_path_buf(), b);
        b
    }
}
