//! GitHub Actions workflow commands: `::warning file=…,line=…,col=…,title=NG101::message`, which
//! GitHub shows as annotations on the pull request.

use crate::findings::diagnostic::Diagnostic;
use std::io::Write;

/// Escape a workflow-command message (`%`, CR, LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A file name inside an annotation: control and bidi characters escaped first (`\n`,
/// `\u{202e}`), so the annotation shows what the name really is.
fn escape_name(s: &str) -> String {
    escape_property(&crate::files::paths::escape(s))
}

/// Escape a workflow-command property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(out: &mut dyn Write, diags: &[Diagnostic]) -> std::io::Result<()> {
    for d in diags {
        let kind = if d.code == "NG001" || d.code == "NG002" { "error" } else { "warning" };
        let mut message = d.message.clone();
        if let Some(t) = &d.task {
            message.push('\n');
            message.push_str(&crate::files::paths::escape(&t.describe()));
        }
        writeln!(
            out,
            "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_name(&d.display_path()),
            d.start.row,
            d.start.column,
            d.end.row,
            d.end.column,
            escape_property(&format!("{} {}", d.code, d.name)),
            escape_data(&message)
        )?;
    }
    Ok(())
}
