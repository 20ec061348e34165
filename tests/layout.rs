//! The stage layout of `src/` (see the crate doc in `src/lib.rs`): every `crate::` path in a
//! stage's files names the same stage or one listed before it, so no import runs back up the
//! pipeline and no cycle joins two stages. Doc links count too: a comment that points up the
//! pipeline is a dependency a reader follows.

use std::path::{Path, PathBuf};

/// The stages in pipeline order: a file may name its own stage or an earlier one.
const STAGES: &[&str] =
    &["files", "project", "analysis", "kernels", "findings", "rules", "config", "render", "engine", "server", "cli"];

fn stage_rank(name: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == name)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The stage a file belongs to: its folder under `src/`, or its name for a one-file stage.
fn stage_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// Every stage named by a `crate::<stage>` path in `text`.
fn named_stages(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            out.push((line_no + 1, name));
            rest = after;
        }
    }
    out
}

#[test]
fn stages_import_only_earlier_stages() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut unplaced = Vec::new();
    for file in &files {
        let Some(stage) = stage_of(&src, file) else { continue };
        if stage == "lib" || stage == "main" {
            continue; // the crate root declares the stages; the binary is outside the crate
        }
        let Some(rank) = stage_rank(&stage) else {
            unplaced.push(file.display().to_string());
            continue;
        };
        let text = std::fs::read_to_string(file).expect("source is readable");
        for (line, name) in named_stages(&text) {
            match stage_rank(&name) {
                Some(target) if target <= rank => {}
                Some(_) => {
                    violations.push(format!("{}:{line}: stage `{stage}` names later stage `{name}`", file.display()))
                }
                None => violations.push(format!("{}:{line}: `crate::{name}` is not a stage", file.display())),
            }
        }
    }
    assert!(unplaced.is_empty(), "files outside every stage: {unplaced:#?}");
    assert!(violations.is_empty(), "imports against the pipeline:\n{}", violations.join("\n"));
}

#[test]
fn named_stages_sees_every_crate_path() {
    let text = "use crate::files::source::Location;\n/// see [`crate::engine::lint`] and crate::rules::ALL\n";
    let names: Vec<String> = named_stages(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["files", "engine", "rules"]);
    assert!(stage_rank("analysis") < stage_rank("rules"));
}
