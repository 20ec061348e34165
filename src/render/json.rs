//! JSON output shaped like ruff's (`code`, `message`, `filename`, `location`, `end_location`,
//! `fix`, `url`, `noqa_row`), plus the `task` the finding runs in.

use crate::diagnostic::{Diagnostic, TaskContext};
use crate::source::Location;
use serde::Serialize;
use std::io::Write;

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
    fix: Option<()>,
    url: String,
    noqa_row: usize,
    task: Option<&'d TaskContext>,
    evidence: Option<&'d crate::kernels::profile::Evidence>,
}

fn to_json(d: &Diagnostic) -> JsonDiagnostic<'_> {
    JsonDiagnostic {
        code: d.code,
        name: d.name,
        cell: d.cell,
        message: &d.message,
        help: d.help.as_deref(),
        filename: d.display_path(),
        location: d.start,
        end_location: d.end,
        fix: None,
        url: d.url(),
        noqa_row: d.start.row,
        task: d.task.as_ref(),
        evidence: d.evidence.as_ref(),
    }
}

pub fn render(out: &mut dyn Write, diags: &[Diagnostic]) -> std::io::Result<()> {
    let items: Vec<JsonDiagnostic> = diags.iter().map(to_json).collect();
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)
}

pub fn render_lines(out: &mut dyn Write, diags: &[Diagnostic]) -> std::io::Result<()> {
    for d in diags {
        serde_json::to_writer(&mut *out, &to_json(d))?;
        writeln!(out)?;
    }
    Ok(())
}
