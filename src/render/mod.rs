//! Output formats: `full` (miette frames), `concise`, `json`, `json-lines`. Colour only on a
//! terminal without `NO_COLOR`.

pub mod bench;
pub mod concise;
pub mod full;
pub mod github;
pub mod json;
pub mod sarif;
pub mod tasks;

use crate::diagnostic::Diagnostic;
use crate::project::Project;
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
}

impl Style {
    /// Colour only when stdout is a terminal and `NO_COLOR` is unset.
    pub fn detect() -> Self {
        use std::io::IsTerminal;
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(100);
        Style { color, width }
    }

    pub fn plain() -> Self {
        Style { color: false, width: 100 }
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
        OutputFormat::Concise => concise::render(out, diags),
        OutputFormat::Json => json::render(out, diags),
        OutputFormat::JsonLines => json::render_lines(out, diags),
        OutputFormat::Sarif => sarif::render(out, diags),
        OutputFormat::Github => github::render(out, diags),
    }
}

/// `--statistics`: one line per rule with its count, most frequent first.
pub fn statistics(out: &mut dyn Write, diags: &[Diagnostic]) -> std::io::Result<()> {
    let mut counts: Vec<(&'static str, &'static str, usize)> = Vec::new();
    for d in diags {
        match counts.iter_mut().find(|c| c.0 == d.code) {
            Some(c) => c.2 += 1,
            None => counts.push((d.code, d.name, 1)),
        }
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    let width = counts.iter().map(|c| c.2.to_string().len()).max().unwrap_or(1);
    for (code, name, n) in counts {
        writeln!(out, "{n:>width$}\t{code}\t{name}")?;
    }
    Ok(())
}

/// `Found 3 findings in 2 files.` / `All checks passed!`
pub fn summary(diags: &[Diagnostic]) -> String {
    if diags.is_empty() {
        return "All checks passed!".to_string();
    }
    let mut files: Vec<&std::path::Path> = diags.iter().map(|d| d.path.as_path()).collect();
    files.sort();
    files.dedup();
    let n = diags.len();
    format!(
        "Found {n} finding{} in {} file{}.",
        if n == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    )
}
