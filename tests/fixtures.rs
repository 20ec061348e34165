//! Fixture tests: every `fixtures/<CODE>/<name>.py` file, and every `fixtures/<CODE>/<name>/`
//! folder (checked as one project), must produce exactly the findings its `# expect: CODE`
//! comments name, on those lines. `# expect: NG101(ThreadPoolExecutor.submit)` also checks the
//! launcher the finding cites. A `# fixture: --scope everywhere` line switches the scope, and
//! `# fixture: --include-small` shows what is hidden as not worth reading.

use numgil::config::{Scope, Settings};
use numgil::project::Project;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    file: String,
    row: usize,
    code: String,
    launcher: Option<String>,
}

fn python_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "py" || x == "pyi") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Parse `# expect: NG101, NG105(joblib.Parallel)` comments and `# fixture:` directives
/// (`--scope everywhere`, `--select NG003` which adds a rule to the defaults).
fn expectations(files: &[PathBuf], settings: &mut Settings) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for (i, line) in text.lines().enumerate() {
            if line.contains("# fixture: --include-small") {
                settings.include_small = true;
            }
            if line.contains("# fixture: --scope everywhere") {
                settings.scope = Scope::Everywhere;
            }
            if let Some(rest) = line.split("# fixture: --select ").nth(1) {
                let codes: Vec<String> = rest.split(',').map(|c| c.trim().to_string()).collect();
                numgil::config::apply_cli_selection(settings, &[], &[], &codes).expect("valid selector");
            }
            let Some(idx) = line.find("# expect:") else {
                continue;
            };
            let spec = &line[idx + "# expect:".len()..];
            let spec = spec.split('#').next().unwrap_or("");
            for item in split_top_level(spec) {
                let item = item.trim();
                if item.is_empty() {
                    continue;
                }
                let (code, launcher) = match item.split_once('(') {
                    Some((c, rest)) => (c.trim().to_string(), Some(rest.trim_end_matches(')').trim().to_string())),
                    None => (item.to_string(), None),
                };
                out.push(Finding { file: f.display().to_string(), row: i + 1, code, launcher });
            }
        }
    }
    out
}

fn split_top_level(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

fn check_fixture(root: &Path) -> Result<usize, String> {
    let files = if root.is_dir() { python_files(root) } else { vec![root.to_path_buf()] };
    // A folder fixture may carry its own numgil.toml / [tool.numgil].
    let mut settings = match root.is_dir().then(|| numgil::config::find(root)).flatten() {
        Some(found) if found.path.starts_with(std::fs::canonicalize(root).unwrap_or_default()) => {
            found.settings().map_err(|e| format!("bad fixture config: {}", e.message))?
        }
        _ => Settings::default(),
    };
    let expected = expectations(&files, &mut settings);
    let project = Project::load(&files, settings.target_version);
    let mut diags = numgil::check_project(&project, &settings);
    // As `check` reports them with no host profile: findings on data too small for the fix to
    // pay at the reference run's figures, and unsized ones outside tasks, are dropped.
    let book = numgil::kernels::profile::EvidenceBook { host: None, reference: numgil::kernels::profile::reference() };
    numgil::engine::drop_low_impact(&mut diags, &book, |_| settings.include_small);
    let actual: Vec<Finding> = diags
        .iter()
        .map(|d| Finding {
            file: d.display_path(),
            row: d.start.row,
            code: d.code.to_string(),
            launcher: d.task.as_ref().map(|t| t.launcher.clone()),
        })
        .collect();
    let mut problems = Vec::new();
    let mut matched = BTreeSet::new();
    for e in &expected {
        let hit = actual.iter().enumerate().find(|(i, a)| {
            !matched.contains(i)
                && a.file == e.file
                && a.row == e.row
                && a.code == e.code
                && (e.launcher.is_none() || a.launcher == e.launcher)
        });
        match hit {
            Some((i, _)) => {
                matched.insert(i);
            }
            None => {
                let got = actual
                    .iter()
                    .find(|a| a.file == e.file && a.row == e.row && a.code == e.code)
                    .and_then(|a| a.launcher.clone());
                problems.push(match (&e.launcher, got) {
                    (Some(want), Some(got)) => {
                        format!("  {}:{}: {} cites launcher `{got}`, expected `{want}`", e.file, e.row, e.code)
                    }
                    _ => format!("  {}:{}: missing {}", e.file, e.row, e.code),
                });
            }
        }
    }
    for (i, a) in actual.iter().enumerate() {
        if !matched.contains(&i) && !expected.iter().any(|e| e.file == a.file && e.row == a.row && e.code == a.code) {
            let msg = diags[i].message.clone();
            problems.push(format!("  {}:{}: unexpected {} ({msg})", a.file, a.row, a.code));
        }
    }
    if problems.is_empty() { Ok(expected.len()) } else { Err(problems.join("\n")) }
}

#[test]
fn fixtures() {
    let mut roots = Vec::new();
    let Ok(codes) = std::fs::read_dir("fixtures") else { panic!("fixtures/ missing") };
    for code_dir in codes.flatten() {
        let name = code_dir.file_name().to_string_lossy().to_string();
        if !name.starts_with("NG") {
            continue;
        }
        for e in std::fs::read_dir(code_dir.path()).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() || p.extension().is_some_and(|x| x == "py") {
                roots.push(p);
            }
        }
    }
    roots.sort();
    assert!(!roots.is_empty(), "no fixtures found");
    let mut failures = Vec::new();
    let mut total = 0;
    for r in &roots {
        match check_fixture(r) {
            Ok(n) => total += n,
            Err(e) => failures.push(format!("{}:\n{e}", r.display())),
        }
    }
    assert!(failures.is_empty(), "{} of {} fixtures failed:\n{}", failures.len(), roots.len(), failures.join("\n"));
    assert!(total > 0, "fixtures expect no findings at all");
}
