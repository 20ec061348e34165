//! Rule documentation is generated from each rule file's `//!` comment into `rules/<CODE>.md`.
//! This test fails when a page is stale or a rule's documentation lacks a required section.
//! Regenerate with `NUMGIL_UPDATE_DOCS=1 cargo test --test docs`.

use assert_cmd::Command;

#[test]
fn rule_docs_are_complete_and_fresh() {
    let update = std::env::var_os("NUMGIL_UPDATE_DOCS").is_some();
    let mut problems = Vec::new();
    for meta in numgil::rules::all_metas() {
        let missing = numgil::render::docs::missing_sections(meta);
        if !missing.is_empty() {
            problems.push(format!("{}: documentation lacks {}", meta.code, missing.join(", ")));
        }
        let path = format!("rules/{}.md", meta.code);
        let want = numgil::render::docs::file_page(meta);
        if update {
            std::fs::write(&path, &want).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            problems.push(format!("{path} is stale: run NUMGIL_UPDATE_DOCS=1 cargo test --test docs"));
        }
    }
    // No page for a rule that no longer exists.
    for entry in std::fs::read_dir("rules").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(code) = name.strip_suffix(".md")
            && numgil::rules::meta_for(code).is_none()
        {
            problems.push(format!("rules/{name} documents no rule"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn rule_command_prints_the_docs() {
    let out = Command::cargo_bin("numgil").unwrap().args(["rule", "NG101"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, numgil::render::docs::markdown(numgil::rules::meta_for("NG101").unwrap()));
    assert!(!text.contains("<!-- generated"), "the marker stays in the file, out of the output: {text}");
    let by_name = Command::cargo_bin("numgil").unwrap().args(["rule", "unfused-norm"]).output().unwrap();
    assert!(String::from_utf8_lossy(&by_name.stdout).starts_with("# NG202 unfused-norm"));
    let bad = Command::cargo_bin("numgil").unwrap().args(["rule", "NG999"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn rule_all_json_lists_every_code() {
    let out =
        Command::cargo_bin("numgil").unwrap().args(["rule", "--all", "--output-format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v.as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    for c in [
        "NG001", "NG002", "NG003", "NG101", "NG102", "NG103", "NG104", "NG105", "NG106", "NG107", "NG201", "NG202",
        "NG203", "NG204", "NG301", "NG302",
    ] {
        assert!(codes.contains(&c), "missing {c}");
    }
    assert!(v[0]["explanation"].as_str().unwrap().contains("## What it does"));
}

/// A speed figure in a rule's prose or a kernel's docstring goes stale with every reference
/// run: the figures live in the generated `## Measured` section only. A number followed by
/// `×`/`x` and then a word (`188× faster`, `0.93× on 2 threads`, `540x faster`) is a figure;
/// shapes (`3×3`) and thresholds in parentheses are not.
#[test]
fn prose_quotes_no_speed_figures() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let figure = |text: &str| -> Option<String> {
        let b = text.as_bytes();
        for (i, c) in text.char_indices() {
            if !(c == '×' || c == 'x') || i == 0 || !b[i - 1].is_ascii_digit() {
                continue;
            }
            let rest = &text[i + c.len_utf8()..];
            let next_word: String = rest.trim_start_matches(' ').chars().take_while(|c| c.is_alphabetic()).collect();
            if rest.starts_with(' ')
                && ["faster", "slower", "on", "at", "from", "the", "overall", "more"].contains(&next_word.as_str())
            {
                let start =
                    text[..i].rfind(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')).map_or(0, |s| s + 1);
                return Some(text[start..(i + c.len_utf8() + 1 + next_word.len()).min(text.len())].to_string());
            }
        }
        None
    };
    let mut found = Vec::new();
    for dir in ["src/rules", "rules"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let path = e.path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let prose: String = if name.ends_with(".rs") {
                text.lines().filter(|l| l.starts_with("//!")).collect::<Vec<_>>().join("\n")
            } else if name.ends_with(".kernel.py") {
                text.split("\"\"\"").nth(1).unwrap_or_default().to_string()
            } else {
                continue;
            };
            if let Some(f) = figure(&prose) {
                found.push(format!("{dir}/{name}: `{f}`"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "speed figures in prose (say it in words; the Measured section has the numbers):\n{}",
        found.join("\n")
    );
}
