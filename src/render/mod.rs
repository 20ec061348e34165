//! Output formats: `full` (miette frames), `concise`, `json`, `json-lines`, `sarif`, `github`;
//! the summary (`Found 4 errors in 2 files.` with ruff's fixability lines) and `--statistics`.
//! Colour only on a terminal without `NO_COLOR`. Findings whose fix the current flags would
//! apply are marked `[*]`; file names are escaped for the terminal ([`crate::files::paths::escape`]).

pub mod bench;
pub mod concise;
pub mod docs;
pub mod full;
pub mod github;
pub mod json;
pub mod sarif;
pub mod tasks;

use crate::findings::diagnostic::Diagnostic;
use crate::findings::fix::Applicability;
use crate::project::Project;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Full,
    Concise,
    Json,
    JsonLines,
    Sarif,
    Github,
}

/// How to render for people.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
    /// `--unsafe-fixes` was given: unsafe fixes count as applicable (`[*]`).
    pub unsafe_fixes: bool,
}

impl Style {
    /// Colour only when stdout is a terminal and `NO_COLOR` is unset.
    pub fn detect() -> Self {
        use std::io::IsTerminal;
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100);
        Style { color, width, unsafe_fixes: false }
    }

    pub fn plain() -> Self {
        Style { color: false, width: 100, unsafe_fixes: false }
    }
}

pub fn render(
    out: &mut dyn Write,
    format: OutputFormat,
    diags: &[Diagnostic],
    project: &Project,
    style: Style,
) -> std::io::Result<()> {
    match format {
        OutputFormat::Full => full::render(out, diags, project, style),
        OutputFormat::Concise => concise::render(out, diags, style),
        OutputFormat::Json => json::render(out, diags, project),
        OutputFormat::JsonLines => json::render_lines(out, diags, project),
        OutputFormat::Sarif => sarif::render(out, diags),
        OutputFormat::Github => github::render(out, diags),
    }
}

/// Whether `--fix` with the current flags applies the finding's fix (ruff's `[*]`).
pub fn fixable(d: &Diagnostic, unsafe_fixes: bool) -> bool {
    d.fix.as_ref().is_some_and(|f| match f.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => unsafe_fixes,
        Applicability::DisplayOnly => false,
    })
}

/// Whether the finding has an unsafe fix that `--unsafe-fixes` would enable.
pub fn hidden_fix(d: &Diagnostic, unsafe_fixes: bool) -> bool {
    !unsafe_fixes && d.fix.as_ref().is_some_and(|f| f.applicability == Applicability::Unsafe)
}

/// `[*] ` for a fixable finding, nothing otherwise.
pub fn fix_mark(d: &Diagnostic, unsafe_fixes: bool) -> &'static str {
    if fixable(d, unsafe_fixes) { "[*] " } else { "" }
}

#[derive(Serialize)]
struct StatisticJson {
    code: &'static str,
    name: &'static str,
    count: usize,
    fixable: bool,
}

/// `--statistics`: one line per rule with its count, most frequent first (`[*]` where its
/// findings are fixable), or with `--output-format json` an array of
/// `{code, name, count, fixable}`.
pub fn statistics(
    out: &mut dyn Write,
    diags: &[Diagnostic],
    format: OutputFormat,
    unsafe_fixes: bool,
) -> std::io::Result<()> {
    let mut counts: Vec<StatisticJson> = Vec::new();
    for d in diags {
        let fix = fixable(d, unsafe_fixes);
        match counts.iter_mut().find(|c| c.code == d.code) {
            Some(c) => {
                c.count += 1;
                c.fixable |= fix;
            }
            None => counts.push(StatisticJson { code: d.code, name: d.name, count: 1, fixable: fix }),
        }
    }
    counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(b.code)));
    match format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &counts)?;
            writeln!(out)
        }
        OutputFormat::JsonLines => {
            for c in &counts {
                serde_json::to_writer(&mut *out, c)?;
                writeln!(out)?;
            }
            Ok(())
        }
        _ => {
            let width = counts.iter().map(|c| c.count.to_string().len()).max().unwrap_or(1);
            for c in counts {
                let mark = if c.fixable { "[*] " } else { "" };
                writeln!(out, "{:>width$}\t{}\t{mark}{}", c.count, c.code, c.name)?;
            }
            Ok(())
        }
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `Found 3 errors in 2 files.` / `All checks passed!`, then how many findings `--fix` would
/// fix and how many more `--unsafe-fixes` would (ruff's wording).
pub fn summary(diags: &[Diagnostic], unsafe_fixes: bool) -> String {
    if diags.is_empty() {
        return "All checks passed!".to_string();
    }
    let mut files: Vec<&std::path::Path> = diags.iter().map(|d| d.path.as_path()).collect();
    files.sort();
    files.dedup();
    let n = diags.len();
    let mut s = format!(
        "Found {n} {} in {} {}.",
        plural(n, "error", "errors"),
        files.len(),
        plural(files.len(), "file", "files")
    );
    let fixable = diags.iter().filter(|d| fixable(d, unsafe_fixes)).count();
    if fixable > 0 {
        s.push_str(&format!("\n[*] {fixable} fixable with the --fix option."));
    }
    if let Some(hint) = hidden_hint(diags, unsafe_fixes) {
        s.push('\n');
        s.push_str(&hint);
    }
    s
}

/// `3 hidden fixes can be enabled with the --unsafe-fixes option.`, when there are any.
pub fn hidden_hint(diags: &[Diagnostic], unsafe_fixes: bool) -> Option<String> {
    let hidden = diags.iter().filter(|d| hidden_fix(d, unsafe_fixes)).count();
    (hidden > 0).then(|| {
        format!("{hidden} hidden {} can be enabled with the --unsafe-fixes option.", plural(hidden, "fix", "fixes"))
    })
}
