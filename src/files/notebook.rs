//! Jupyter notebooks: the code cells joined into one Python source (so a def in cell 2
//! submitted in cell 5 is one module), a map from that source back to cells, and writing fixed
//! cells back into the notebook's JSON by replacing only each changed cell's `"source"` value,
//! so the file stays byte-for-byte identical everywhere else.
//!
//! The joined source is parsed cell by cell ([`Notebook::cell_ranges`] for ruff's
//! `parse_cells_unchecked`): as in Jupyter, each cell must be valid on its own, so an unclosed
//! bracket or string is reported in its own cell and the cells after it are still parsed.

use ruff_text_size::{TextRange, TextSize};

#[derive(Debug, Clone)]
pub struct Cell {
    /// 1-based position of the cell in the notebook (markdown cells count too).
    pub number: usize,
    /// The cell's code as it appears in the joined source.
    pub code: String,
    /// Where the cell's code starts in the joined source.
    pub start: TextSize,
    /// Byte span of the `"source"` value in the notebook's JSON.
    source_span: (usize, usize),
    /// The source was a list of lines (nbformat's usual form) rather than one string.
    as_list: bool,
    /// Indentation of the list's items (for rewriting a changed cell in the same style).
    item_indent: String,
    /// A `%%` cell magic: not Python, blanked in the joined source and never edited.
    pub magic: bool,
}

impl Cell {
    fn range_in(&self, at: TextSize) -> Option<std::ops::Range<usize>> {
        let start = usize::from(at);
        Some(start..start.checked_add(self.code.len())?)
    }
}

#[derive(Debug, Clone)]
pub struct Notebook {
    pub raw: String,
    pub cells: Vec<Cell>,
}

impl Notebook {
    /// Parse a notebook's JSON. Returns the notebook and the joined source of its code cells.
    pub fn parse(raw: &str) -> Result<(Notebook, String), String> {
        let spans = cell_source_spans(raw)?;
        let mut joined = String::new();
        let mut cells = Vec::new();
        for (number, cell_type, span) in spans {
            if cell_type != "code" {
                continue;
            }
            let value: serde_json::Value =
                serde_json::from_str(&raw[span.0..span.1]).map_err(|e| format!("cell {number}: bad source: {e}"))?;
            let (text, as_list) = match &value {
                serde_json::Value::String(s) => (s.clone(), false),
                serde_json::Value::Array(items) => (items.iter().filter_map(|i| i.as_str()).collect::<String>(), true),
                _ => return Err(format!("cell {number}: `source` is neither a string nor a list")),
            };
            let item_indent = raw[span.0..span.1]
                .split_once('\n')
                .map(|(_, rest)| rest.chars().take_while(|c| *c == ' ' || *c == '\t').collect())
                .unwrap_or_default();
            let magic = text.trim_start().starts_with("%%");
            let mut code = if magic { text.lines().map(|_| "\n").collect::<String>() } else { text };
            if !code.ends_with('\n') {
                code.push('\n');
            }
            let start = TextSize::of(joined.as_str());
            joined.push_str(&code);
            cells.push(Cell { number, code, start, source_span: span, as_list, item_indent, magic });
        }
        Ok((Notebook { raw: raw.to_string(), cells }, joined))
    }

    /// The cell an offset of the joined source falls in.
    pub fn cell_at(&self, offset: TextSize) -> Option<&Cell> {
        let i = self.cells.partition_point(|c| c.start <= offset);
        self.cells.get(i.checked_sub(1)?)
    }

    /// Each cell's range in `joined` without its final `\n`, the separator ruff's
    /// `parse_cells_unchecked` expects between cells; `None` when `joined` is not this
    /// notebook's joined source (then the caller parses it as one module).
    pub fn cell_ranges(&self, joined: &str) -> Option<Vec<TextRange>> {
        let mut at = TextSize::new(0);
        let mut out = Vec::with_capacity(self.cells.len());
        for c in &self.cells {
            let len = TextSize::of(c.code.as_str());
            if c.start != at || !c.code.ends_with('\n') || joined.get(c.range_in(at)?)? != c.code {
                return None;
            }
            out.push(TextRange::at(at, len - TextSize::new(1)));
            at += len;
        }
        (usize::from(at) == joined.len()).then_some(out)
    }

    fn cell_range(c: &Cell) -> TextRange {
        TextRange::at(c.start, TextSize::of(c.code.as_str()))
    }

    /// Rebuild the notebook after edits to the joined source. Every edit must lie inside one
    /// non-magic cell; otherwise `None`.
    pub fn with_edits(&self, edits: &[crate::files::edit::Edit]) -> Option<(Notebook, String)> {
        let mut new_code: Vec<String> = self.cells.iter().map(|c| c.code.clone()).collect();
        let mut by_cell: Vec<Vec<&crate::files::edit::Edit>> = vec![Vec::new(); self.cells.len()];
        for e in edits {
            let i = self.cells.iter().position(|c| {
                let r = Self::cell_range(c);
                r.start() <= e.range.start() && e.range.end() <= r.end()
            })?;
            if self.cells[i].magic {
                return None;
            }
            by_cell[i].push(e);
        }
        for (i, mut cell_edits) in by_cell.into_iter().enumerate() {
            if cell_edits.is_empty() {
                continue;
            }
            cell_edits.sort_by_key(|e| std::cmp::Reverse(e.range.start()));
            let base = self.cells[i].start;
            for e in cell_edits {
                let s = usize::from(e.range.start() - base);
                let en = usize::from(e.range.end() - base);
                new_code[i].replace_range(s..en, &e.content);
            }
        }
        // Write changed cells into the JSON, from the last span backwards.
        let mut raw = self.raw.clone();
        for (i, c) in self.cells.iter().enumerate().rev() {
            if new_code[i] == c.code {
                continue;
            }
            let original: serde_json::Value = serde_json::from_str(&self.raw[c.source_span.0..c.source_span.1]).ok()?;
            let had_newline = match &original {
                serde_json::Value::String(s) => s.ends_with('\n'),
                serde_json::Value::Array(items) => {
                    items.last().and_then(|l| l.as_str()).is_some_and(|l| l.ends_with('\n'))
                }
                _ => false,
            };
            let mut text = new_code[i].clone();
            if !had_newline && text.ends_with('\n') {
                text.pop();
            }
            raw.replace_range(c.source_span.0..c.source_span.1, &encode_source(&text, c.as_list, &c.item_indent));
        }
        let (nb, joined) = Notebook::parse(&raw).ok()?;
        Some((nb, joined))
    }
}

/// A cell's source in nbformat's style: a list of lines (each keeping its `\n`), one per row.
fn encode_source(text: &str, as_list: bool, indent: &str) -> String {
    let enc = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    if !as_list {
        return enc(text);
    }
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    if lines.is_empty() {
        return "[]".into();
    }
    let closing: String = indent.chars().skip(1).collect();
    let items: Vec<String> = lines.iter().map(|l| format!("{indent}{}", enc(l))).collect();
    format!("[\n{}\n{closing}]", items.join(",\n"))
}

/// A cell as the scanner sees it: number, `cell_type`, byte span of its `"source"` value.
type CellSpan = (usize, String, (usize, usize));

/// Every cell's [`CellSpan`], found with a small JSON scanner so that spans refer to the
/// original bytes.
fn cell_source_spans(raw: &str) -> Result<Vec<CellSpan>, String> {
    let doc: serde_json::Value = serde_json::from_str(raw).map_err(|e| format!("not a valid notebook (JSON): {e}"))?;
    if !doc.get("cells").is_some_and(|c| c.is_array()) {
        return Err("not a notebook: no `cells` list".into());
    }
    let b = raw.as_bytes();
    let mut s = Scanner { b, i: 0 };
    s.ws();
    s.expect(b'{')?;
    loop {
        s.ws();
        if s.peek() == Some(b'}') {
            return Err("no `cells` list".into());
        }
        let key = s.string()?;
        s.ws();
        s.expect(b':')?;
        s.ws();
        if key != "cells" {
            s.value()?;
            s.ws();
            if s.peek() == Some(b',') {
                s.i += 1;
            }
            continue;
        }
        s.expect(b'[')?;
        let mut out = Vec::new();
        let mut number = 0;
        loop {
            s.ws();
            if s.peek() == Some(b']') {
                return Ok(out);
            }
            number += 1;
            s.expect(b'{')?;
            let mut cell_type = String::new();
            let mut span = None;
            loop {
                s.ws();
                if s.peek() == Some(b'}') {
                    s.i += 1;
                    break;
                }
                let k = s.string()?;
                s.ws();
                s.expect(b':')?;
                s.ws();
                let start = s.i;
                if k == "cell_type" {
                    cell_type = s.string()?;
                } else {
                    s.value()?;
                }
                if k == "source" {
                    span = Some((start, s.i));
                }
                s.ws();
                if s.peek() == Some(b',') {
                    s.i += 1;
                }
            }
            if let Some(span) = span {
                out.push((number, cell_type, span));
            }
            s.ws();
            if s.peek() == Some(b',') {
                s.i += 1;
            }
        }
    }
}

struct Scanner<'b> {
    b: &'b [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }
    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("unexpected JSON at byte {}", self.i))
        }
    }
    fn string(&mut self) -> Result<String, String> {
        let start = self.i;
        self.expect(b'"')?;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                b'\\' => self.i += 1,
                b'"' => {
                    return serde_json::from_slice(&self.b[start..self.i]).map_err(|e| e.to_string());
                }
                _ => {}
            }
        }
        Err("unterminated string".into())
    }
    fn value(&mut self) -> Result<(), String> {
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(open @ (b'{' | b'[')) => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.i += 1;
                loop {
                    self.ws();
                    match self.peek() {
                        Some(c) if c == close => {
                            self.i += 1;
                            return Ok(());
                        }
                        Some(b',' | b':') => self.i += 1,
                        Some(_) => self.value()?,
                        None => return Err("unterminated JSON value".into()),
                    }
                }
            }
            Some(_) => {
                while matches!(self.peek(), Some(c) if !matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t'))
                {
                    self.i += 1;
                }
                Ok(())
            }
            None => Err("unexpected end of JSON".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NB: &str = "{\n \"cells\": [\n  {\n   \"cell_type\": \"markdown\",\n   \"metadata\": {},\n   \"source\": [\n    \"# Title\"\n   ]\n  },\n  {\n   \"cell_type\": \"code\",\n   \"execution_count\": 1,\n   \"metadata\": {},\n   \"outputs\": [],\n   \"source\": [\n    \"import numpy as np\\n\",\n    \"x = sum(np.ones(3))\"\n   ]\n  },\n  {\n   \"cell_type\": \"code\",\n   \"metadata\": {},\n   \"source\": \"%%time\\nprint(1)\"\n  }\n ],\n \"metadata\": {},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}\n";

    #[test]
    fn joins_code_cells_and_maps_back() {
        let (nb, joined) = Notebook::parse(NB).unwrap();
        assert_eq!(joined, "import numpy as np\nx = sum(np.ones(3))\n\n\n");
        assert_eq!(nb.cells.len(), 2);
        assert_eq!(nb.cells[0].number, 2);
        assert!(nb.cells[1].magic);
        assert_eq!(nb.cell_at(TextSize::from(20)).unwrap().number, 2);
    }

    #[test]
    fn edits_touch_only_the_cell_source() {
        let (nb, joined) = Notebook::parse(NB).unwrap();
        let at = joined.find("sum(").unwrap() as u32;
        let edit = crate::files::edit::Edit::replace(TextRange::at(at.into(), 15.into()), "np.sum(np.ones(3))");
        let (new, _) = nb.with_edits(&[edit]).unwrap();
        let expected = NB.replace("\"x = sum(np.ones(3))\"", "\"x = np.sum(np.ones(3))\"");
        assert_eq!(new.raw, expected);
        let v: serde_json::Value = serde_json::from_str(&new.raw).unwrap();
        assert_eq!(v["nbformat"], 4);
    }
}
