//! SARIF 2.1.0 output for code-scanning services: one run, the rules numgil reported with their
//! documentation, and one result per finding with its region and, for task code, the launcher
//! site as a related location.

use crate::findings::diagnostic::Diagnostic;
use serde_json::{Value, json};
use std::io::Write;

/// A path as a SARIF artifact URI: relative with `/`, or a `file://` URI when absolute.
fn artifact_uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    if out.starts_with('/') { format!("file://{out}") } else { out }
}

fn level(code: &str) -> &'static str {
    if code == "NG001" || code == "NG002" { "error" } else { "warning" }
}

pub fn render(out: &mut dyn Write, diags: &[Diagnostic]) -> std::io::Result<()> {
    let mut codes: Vec<&'static str> = diags.iter().map(|d| d.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|code| {
            let meta = crate::rules::meta_for(code);
            let doc = meta.map(|m| m.doc()).unwrap_or_default();
            let short =
                doc.lines().skip_while(|l| !l.starts_with("## What it does")).nth(1).unwrap_or("").trim().to_string();
            json!({
                "id": code,
                "name": meta.map_or("", |m| m.name),
                "helpUri": crate::render::docs::rule_url(code),
                "shortDescription": { "text": if short.is_empty() { code.to_string() } else { short } },
                "fullDescription": { "text": doc },
                "help": { "text": doc, "markdown": doc },
                "defaultConfiguration": { "level": level(code) },
            })
        })
        .collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text.push_str(&format!(". Help: {h}"));
            }
            if let Some(e) = &d.evidence {
                text.push_str(&format!(" ({})", e.text));
            }
            if let Some(t) = &d.task {
                text.push_str(&format!(". {}", t.describe()));
            }
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": codes.iter().position(|c| *c == d.code).unwrap_or(0),
                "level": level(d.code),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": artifact_uri(&d.display_path()) },
                        "region": {
                            "startLine": d.start.row,
                            "startColumn": d.start.column,
                            "endLine": d.end.row.max(d.start.row),
                            "endColumn": if d.end.row > d.start.row { d.end.column } else { d.end.column.max(d.start.column) },
                        },
                    },
                }],
            });
            if let Some(t) = &d.task {
                result["relatedLocations"] = json!([{
                    "id": 0,
                    "message": { "text": format!("launched here: {}", t.launcher) },
                    "physicalLocation": {
                        "artifactLocation": { "uri": artifact_uri(&t.site.filename) },
                        "region": { "startLine": t.site.row, "startColumn": t.site.column },
                    },
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "numgil",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_HOMEPAGE"),
                "rules": rules,
            } },
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}
