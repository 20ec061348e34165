//! The default output: a miette frame per finding with the code, the source, a label, the help
//! line and the task the code runs in. The code line carries `[*]` when `--fix` would fix the
//! finding; file names are escaped for the terminal.
//!
//! A finding on a very long line (minified or generated code, a file of NUL bytes) gets a
//! plain frame instead: miette pads the underline with a width argument, which panics past
//! column 65,535 ("Formatting argument out of range"), and a frame of a megabyte-long line is
//! unreadable anyway.

use super::Style;
use crate::files::paths::escape;
use crate::findings::diagnostic::Diagnostic;
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
            None => write!(f, "{}: {}", crate::files::paths::escape(&self.d.display_path()), self.d.message),
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
        let wide = source.as_ref().and_then(|s| {
            let start = usize::from(d.range.start()).checked_sub(shift)?;
            widest_line(s.text, start, start + usize::from(d.range.len())).filter(|w| *w > MAX_FRAME_COLUMNS)
        });
        if let Some(width) = wide {
            let name = source.as_ref().map_or_else(|| d.display_path(), |s| s.name.clone());
            write_plain(out, d, &name, width, help.as_deref())?;
            continue;
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

/// Lines longer than this (in bytes) are not framed by miette.
const MAX_FRAME_COLUMNS: usize = 2_000;

/// The length in bytes of the longest line a frame of `start..end` would show: the lines of the
/// span and one line of context on each side (as miette shows). `None` if the span is not in
/// `text`.
fn widest_line(text: &str, start: usize, end: usize) -> Option<usize> {
    let end = end.max(start);
    if end > text.len() {
        return None;
    }
    let bytes = text.as_bytes();
    let line_start = |at: usize| bytes[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let line_end = |at: usize| bytes[at..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| at + i);
    let mut from = line_start(start);
    if from > 0 {
        from = line_start(from - 1);
    }
    let mut to = line_end(end);
    if to < bytes.len() {
        to = line_end(to + 1);
    }
    bytes[from..to].split(|b| *b == b'\n').map(<[u8]>::len).max()
}

/// The frame for a finding on a line too long to show: header, message, location, help.
fn write_plain(
    out: &mut dyn Write,
    d: &Diagnostic,
    name: &str,
    width: usize,
    help: Option<&str>,
) -> std::io::Result<()> {
    writeln!(out, "{} {}\n", d.code, d.name)?;
    writeln!(out, "  ⚠ {}", d.message)?;
    writeln!(out, "    at {name}:{}:{} (the line is {width} columns long; not shown)", d.start.row, d.start.column)?;
    if let Some(help) = help {
        let mut lines = help.lines();
        if let Some(first) = lines.next() {
            writeln!(out, "  help: {first}")?;
        }
        for l in lines {
            writeln!(out, "        {l}")?;
        }
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::widest_line;

    #[test]
    fn widest_line_covers_the_context_lines() {
        let text = format!("a\n{}\nb\nc\n", "x".repeat(50));
        assert_eq!(widest_line(&text, 0, 1), Some(50), "the next line is context");
        assert_eq!(widest_line(&text, text.len() - 2, text.len() - 1), Some(1));
        assert_eq!(widest_line(&text, 0, text.len() + 1), None);
    }
}
