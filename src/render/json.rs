//! JSON output shaped like ruff's (`code`, `message`, `filename`, `location`, `end_location`,
//! `fix` with its `applicability`, message and edits, an absolute `url`, `noqa_row`), plus the
//! `task` the finding runs in. File names are the real strings (never escaped, never `./`).

use crate::files::source::Location;
use crate::findings::diagnostic::{Diagnostic, TaskContext};
use crate::findings::fix::Applicability;
use crate::project::Project;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct JsonFix<'d> {
    applicability: Applicability,
    message: Option<&'d str>,
    edits: Vec<JsonEdit<'d>>,
}

#[derive(Serialize)]
struct JsonEdit<'d> {
    content: &'d str,
    location: Location,
    end_location: Location,
}

/// The finding's fix with its edits located like the finding (rows within the cell for a
/// notebook).
fn fix_json<'d>(d: &'d Diagnostic, project: &Project) -> Option<JsonFix<'d>> {
    let fix = d.fix.as_ref()?;
    let module = d.file.and_then(|f| project.modules.get(f as usize));
    let locate = |offset: ruff_text_size::TextSize| -> Location {
        let Some(m) = module else { return d.start };
        if usize::from(offset) > m.source.text.len() {
            return d.end;
        }
        let loc = m.source.location(offset);
        let (_, row) = m.notebook_location(offset, loc.row);
        Location { row, column: loc.column }
    };
    Some(JsonFix {
        applicability: fix.applicability,
        message: d.help.as_deref(),
        edits: fix
            .edits
            .iter()
            .map(|e| JsonEdit {
                content: &e.content,
                location: locate(e.range.start()),
                end_location: locate(e.range.end()),
            })
            .collect(),
    })
}

#[derive(Serialize)]
struct JsonDiagnostic<'d> {
    code: &'static str,
    name: &'static str,
    /// The notebook cell (rows are then within the cell), like ruff's `cell`.
    cell: Option<usize>,
    message: &'d str,
    help: Option<&'d str>,
    filename: String,
    location: Location,
    end_location: Location,
    fix: Option<JsonFix<'d>>,
    url: String,
    noqa_row: usize,
    task: Option<&'d TaskContext>,
    evidence: Option<&'d crate::kernels::profile::Evidence>,
    /// The element count the finding was judged on, where the code states it (`null`: unknown).
    elements: Option<u64>,
}

fn to_json<'d>(d: &'d Diagnostic, project: &Project) -> JsonDiagnostic<'d> {
    JsonDiagnostic {
        code: d.code,
        name: d.name,
        cell: d.cell,
        message: &d.message,
        help: d.help.as_deref(),
        filename: d.display_path(),
        location: d.start,
        end_location: d.end,
        fix: fix_json(d, project),
        url: d.url(),
        noqa_row: d.start.row,
        task: d.task.as_ref(),
        evidence: d.evidence.as_ref(),
        elements: d.size,
    }
}

pub fn render(out: &mut dyn Write, diags: &[Diagnostic], project: &Project) -> std::io::Result<()> {
    let items: Vec<JsonDiagnostic> = diags.iter().map(|d| to_json(d, project)).collect();
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)
}

pub fn render_lines(out: &mut dyn Write, diags: &[Diagnostic], project: &Project) -> std::io::Result<()> {
    for d in diags {
        serde_json::to_writer(&mut *out, &to_json(d, project))?;
        writeln!(out)?;
    }
    Ok(())
}
