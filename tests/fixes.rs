//! Fix tests: for every fixture with fixable findings, apply fixes (unsafe ones included) in
//! memory until stable, then check that the result parses, that a second run changes nothing,
//! that each fixed rule fires less than before, that every fix has a title, and snapshot the
//! diff.

use numgil::config::{Scope, Settings};
use numgil::findings::fix::FixMode;
use numgil::project::Project;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn python_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "py") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn fixture_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for code_dir in std::fs::read_dir("fixtures").unwrap().flatten() {
        if !code_dir.file_name().to_string_lossy().starts_with("NG") {
            continue;
        }
        for e in std::fs::read_dir(code_dir.path()).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() || p.extension().is_some_and(|x| x == "py") {
                roots.push(p);
            }
        }
    }
    roots.sort();
    roots
}

fn settings_for(files: &[PathBuf]) -> Settings {
    let mut s = Settings::default();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        if text.contains("# fixture: --scope everywhere") {
            s.scope = Scope::Everywhere;
        }
        if text.contains("# fixture: --include-small") {
            s.include_small = true;
        }
        if text.contains("# fixture: --select NG003") {
            numgil::config::apply_cli_selection(&mut s, &[], &[], &["NG003".into()]).unwrap();
        }
    }
    s
}

fn count_by_code(diags: &[numgil::findings::diagnostic::Diagnostic]) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for d in diags {
        *m.entry(d.code).or_default() += 1;
    }
    m
}

#[test]
fn fixes_converge_parse_and_remove_findings() {
    let mut fixed_any = 0;
    let mut failures = Vec::new();
    // As `check` judges them with no host profile; `--fix` fixes only what `check` shows.
    let book = numgil::kernels::profile::EvidenceBook { host: None, reference: numgil::kernels::profile::reference() };
    for root in fixture_roots() {
        let files = if root.is_dir() { python_files(&root) } else { vec![root.clone()] };
        let settings = settings_for(&files);
        let mut project = Project::load(&files, None);
        let mut before = numgil::check_project(&project, &settings);
        numgil::attach_evidence(&mut before, &book);
        numgil::engine::drop_low_impact(&mut before, &book, |_| settings.include_small);
        for d in before.iter().filter(|d| d.fix.is_some()) {
            if d.help.as_deref().is_none_or(str::is_empty) {
                failures.push(format!("{}:{}: {} has a fix but no fix title", d.display_path(), d.start.row, d.code));
            }
        }
        let outcome = numgil::fix_project(&mut project, &settings, FixMode::Unsafe, &book);
        if outcome.changed.is_empty() {
            continue;
        }
        fixed_any += 1;
        if !outcome.refused.is_empty() {
            failures.push(format!(
                "{}: fixes refused because the result did not parse: {:?}",
                root.display(),
                outcome.refused
            ));
        }
        for (file, _) in &outcome.changed {
            let m = &project.modules[*file as usize];
            let reparsed = ruff_python_parser::parse_module(&m.source.text);
            if let Err(e) = reparsed {
                failures.push(format!("{}: fixed file does not parse: {e}", m.source.display_path()));
            }
        }
        // Converged: a second round applies nothing.
        let again = numgil::fix_project(&mut project, &settings, FixMode::Unsafe, &book);
        if again.fixed != 0 {
            failures.push(format!("{}: a second --fix run applied {} more fixes", root.display(), again.fixed));
        }
        // Each rule whose fixes were applied fires less.
        let (b, a) = (count_by_code(&before), count_by_code(&outcome.remaining));
        for d in before.iter().filter(|d| d.fix.as_ref().is_some_and(|f| FixMode::Unsafe.allows(f.applicability))) {
            if a.get(d.code).copied().unwrap_or(0) >= b[d.code] {
                failures.push(format!("{}: {} still fires as often after its fixes", root.display(), d.code));
            }
        }
        let mut diff = String::new();
        for (file, original) in &outcome.changed {
            let m = &project.modules[*file as usize];
            diff.push_str(&numgil::findings::fix::unified_diff(&m.source.display_path(), original, &m.source.text));
        }
        let name = root.strip_prefix("fixtures").unwrap_or(&root).display().to_string().replace(['/', '.'], "_");
        insta::assert_snapshot!(format!("fix{name}"), diff);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(fixed_any >= 5, "expected fixable fixtures, found {fixed_any}");
}
