//! The default output: a miette frame per finding with the code, the source, a label, the help
//! line and the task the code runs in. The code line carries `[*]` when `--fix` would fix the
//! finding; file names are escaped for the terminal.

use super::Style;
use crate::diagnostic::Diagnostic;
use crate::paths::escape;
use crate::project::Project;
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan,
    SpanContents,
};
use std::fmt;
use std::io::Write;

/// Source text with a file name, borrowed (miette's `NamedSource` wants owned text).
struct Named<'a> {
    name: String,
    text: &'a str,
}

impl SourceCode for Named<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

struct Report<'a> {
    d: &'a Diagnostic,
    source: Option<Named<'a>>,
    help: Option<String>,
    /// Offset of the framed text within the module's source (a notebook cell's start).
    shift: usize,
    /// `[*] ` when `--fix` would fix it.
    mark: &'static str,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(_) => f.write_str(&self.d.message),
            None => write!(f, "{}: {}", crate::paths::escape(&self.d.display_path()), self.d.message),
        }
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("{} {}{}", self.d.code, self.mark, self.d.name)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Warning)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let start = usize::from(self.d.range.start()) - self.shift;
        let len = usize::from(self.d.range.len());
        let label = match &self.d.task {
            Some(_) => "in a thread task",
            None => "here",
        };
        Some(Box::new(std::iter::once(LabeledSpan::new(Some(label.to_string()), start, len))))
    }
}

pub fn render(out: &mut dyn Write, diags: &[Diagnostic], project: &Project, style: Style) -> std::io::Result<()> {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(style.width).with_links(false);
    let mut buf = String::new();
    for d in diags {
        // A notebook finding is framed in its cell, with the cell's own line numbers.
        let (source, shift) = match d.file.map(|f| &project.modules[f as usize]) {
            Some(m) => match m.notebook.as_ref().and_then(|nb| nb.cell_at(d.range.start())) {
                Some(cell) => (
                    Some(Named {
                        name: format!("{} [cell {}]", escape(&d.display_path()), cell.number),
                        text: &cell.code,
                    }),
                    usize::from(cell.start),
                ),
                None => (Some(Named { name: escape(&d.display_path()).into_owned(), text: &m.source.text }), 0),
            },
            None => (None, 0),
        };
        let mut help = d.help.clone();
        if let Some(e) = &d.evidence {
            help = Some(match help {
                Some(h) => format!("{h} ({})", e.text),
                None => e.text.clone(),
            });
        }
        if let Some(task) = &d.task {
            let line = escape(&task.describe()).into_owned();
            help = Some(match help {
                Some(h) => format!("{h}\n{line}"),
                None => line,
            });
        }
        let mark = super::fix_mark(d, style.unsafe_fixes);
        let report = Report { d, source, help, shift, mark };
        buf.clear();
        if handler.render_report(&mut buf, &report).is_err() {
            buf = format!(
                "{}:{}:{}: {} {mark}{}\n",
                escape(&d.display_path()),
                d.start.row,
                d.start.column,
                d.code,
                d.message
            );
        }
        out.write_all(buf.as_bytes())?;
        writeln!(out)?;
    }
    Ok(())
}
