//! `path:row:col: CODE [*] message`, one line per finding (`[*]`: `--fix` would fix it); the
//! path is escaped for the terminal.

use super::Style;
use crate::files::paths::escape;
use crate::findings::diagnostic::Diagnostic;
use std::io::Write;

pub fn render(out: &mut dyn Write, diags: &[Diagnostic], style: Style) -> std::io::Result<()> {
    for d in diags {
        let path = d.display_path();
        let path = escape(&path);
        let mark = super::fix_mark(d, style.unsafe_fixes);
        match d.cell {
            Some(cell) => {
                writeln!(out, "{path}:cell {cell}:{}:{}: {} {mark}{}", d.start.row, d.start.column, d.code, d.message)?
            }
            None => writeln!(out, "{path}:{}:{}: {} {mark}{}", d.start.row, d.start.column, d.code, d.message)?,
        }
    }
    Ok(())
}
