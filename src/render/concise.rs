//! `path:row:col: CODE message`, one line per finding.

use crate::diagnostic::Diagnostic;
use std::io::Write;

pub fn render(out: &mut dyn Write, diags: &[Diagnostic]) -> std::io::Result<()> {
    for d in diags {
        match d.cell {
            Some(cell) => writeln!(
                out,
                "{}:cell {cell}:{}:{}: {} {}",
                d.display_path(),
                d.start.row,
                d.start.column,
                d.code,
                d.message
            )?,
            None => writeln!(out, "{}:{}:{}: {} {}", d.display_path(), d.start.row, d.start.column, d.code, d.message)?,
        }
    }
    Ok(())
}
