//! Rule documentation, generated from each rule file's `//!` comment: the text `numgil rule`
//! prints and the committed `rules/<CODE>.md` files (a test fails when they are stale), and
//! the rules' absolute URLs.

pub use crate::findings::rule_meta::{REPOSITORY, rule_url};
use crate::rules::{FixAvailability, RuleMeta, RuleScope};
use serde::Serialize;

/// Sections every rule's documentation must have.
pub const REQUIRED_SECTIONS: &[&str] = &["## What it does", "## Why is this bad?", "## Example", "Use instead:"];

/// The marker line at the top of each committed `rules/<CODE>.md` (kept in the file, never
/// printed by `numgil rule` or hover).
const GENERATED: &str = "<!-- generated from src/rules/*.rs and rules/reference.json by `NUMGIL_UPDATE_DOCS=1 cargo test --test docs`; do not edit -->";

/// The committed `rules/<CODE>.md` file: [`markdown`] with the generated-file marker under the
/// title.
pub fn file_page(meta: &RuleMeta) -> String {
    let page = markdown(meta);
    match page.split_once("\n\n") {
        Some((title, rest)) => format!("{title}\n\n{GENERATED}\n\n{rest}"),
        None => format!("{GENERATED}\n\n{page}"),
    }
}

/// The markdown page of a rule, as `numgil rule` and the language server's hover show it.
pub fn markdown(meta: &RuleMeta) -> String {
    let fix = match meta.fix {
        FixAvailability::None => "no fix",
        FixAvailability::Sometimes => "fix sometimes available",
        FixAvailability::Always => "fix always available",
    };
    let scope = match meta.scope {
        RuleScope::ThreadTasks => "code that runs in thread tasks (all code with `--scope everywhere`)",
        RuleScope::Launchers => "launcher sites",
        RuleScope::Engine => "every file",
    };
    let opt_in = if meta.opt_in { "; opt-in" } else { "" };
    let mut page = format!("# {} {}\n\n*Checks {scope}; {fix}{opt_in}.*\n\n{}", meta.code, meta.name, meta.doc());
    if let Some(measured) = measured(meta.code) {
        page.push_str(&measured);
    }
    page
}

/// The `## Measured` section: the rule's kernels (its code, and `<CODE>-<pattern>` where the
/// rule covers rewrites that gain differently) in the committed reference run.
pub fn measured(code: &str) -> Option<String> {
    let pattern = format!("{code}-");
    let kernels: Vec<&str> = crate::kernels::KERNELS
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| *id == code || id.starts_with(&pattern))
        .collect();
    let reference = crate::kernels::profile::reference()?;
    let max_t = reference.threads.iter().copied().max().unwrap_or(1);
    let threads: Vec<String> = reference.threads.iter().map(u32::to_string).collect();
    let load = reference
        .load
        .as_ref()
        .and_then(|l| {
            l.foreign_mean.map(|f| {
                format!(
                    " Other processes kept {f:.2} cores busy on average during the run ({} of {} samples retaken).",
                    l.retaken, l.samples
                )
            })
        })
        .unwrap_or_default();
    let mut s = format!(
        "\n## Measured\n\nReference run of {}: {} ({}), `numgil bench --threads {}`.{load} Times are medians \
         inside `ThreadPoolExecutor` workers; speedup is the fix's throughput over the pattern's at the same \
         thread count; scaling is throughput at {max_t} threads over 1.\n",
        reference.date,
        reference.host_line(),
        reference.env.platform,
        threads.join(","),
    );
    let fmt_s = |x: f64| {
        if x >= 1e-3 { format!("{:.2} ms", x * 1e3) } else { format!("{:.1} µs", x * 1e6) }
    };
    let mut any = false;
    for id in kernels {
        let results: Vec<_> = reference.results.iter().filter(|r| r.rule == id && r.check == "ok").collect();
        if results.is_empty() {
            continue;
        }
        any = true;
        if let Some(m) = reference.merged_run(id) {
            let load = m
                .load
                .as_ref()
                .and_then(|l| l.foreign_mean.map(|f| format!("; other processes kept {f:.2} cores busy on average")))
                .unwrap_or_default();
            s.push_str(&format!(
                "\nKernel `{id}` was added after that run: its rows come from `numgil bench --rule {id} --threads {}` on the same host, {}{load}, merged into the reference.\n",
                threads.join(","),
                m.date,
            ));
        }
        s.push_str(&format!(
            "\nKernel [`rules/{id}.kernel.py`]({id}.kernel.py):\n\n| n | before | after | speedup @1 | speedup @{max_t} | scaling @{max_t} before → after |\n|---|---|---|---|---|---|\n"
        ));
        for r in &results {
            let single = r.single.as_ref();
            let sp = |t: u32| {
                r.speedup.get(&t.to_string()).map_or("-".into(), |x| crate::kernels::profile::format_speedup(*x))
            };
            let sc = |k: &str| {
                r.scaling.get(k).and_then(|m| m.get(&max_t.to_string())).map_or("-".into(), |x| format!("{x:.2}"))
            };
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} → {} |\n",
                r.size.unwrap_or(0),
                single.map_or("-".into(), |x| fmt_s(x.before_s)),
                single.map_or("-".into(), |x| fmt_s(x.after_s)),
                sp(1),
                sp(max_t),
                sc("before"),
                sc("after"),
            ));
        }
        match reference.headline(id) {
            Some((_, _, speedup)) if speedup < crate::kernels::profile::MIN_GAIN => s.push_str(
                "\nNo throughput gain on the reference host: this rewrite is not a speed claim, and `check` quotes no \
                 reference figure for it.\n",
            ),
            _ => {}
        }
    }
    if !any {
        return None;
    }
    s.push_str(&format!(
        "\nA finding quotes the figure at the largest measured size not above its data's, and a finding on data \
         whose size the code states is not reported when the figure at that size is under {}× (`--include-small`).\n\
         \nMeasure on your machine: `numgil bench --rule {code}`.\n",
        crate::kernels::profile::WORTH_REPORTING
    ));
    Some(s)
}

/// What a rule's documentation lacks.
pub fn missing_sections(meta: &RuleMeta) -> Vec<&'static str> {
    let doc = meta.doc();
    let mut missing: Vec<&'static str> = REQUIRED_SECTIONS.iter().copied().filter(|s| !doc.contains(s)).collect();
    if meta.fix != FixAvailability::None && !doc.contains("## Fix safety") {
        missing.push("## Fix safety");
    }
    missing
}

#[derive(Serialize)]
pub struct RuleJson {
    pub code: &'static str,
    pub name: &'static str,
    pub fix: FixAvailability,
    pub scope: RuleScope,
    pub opt_in: bool,
    pub explanation: String,
}

pub fn json(meta: &RuleMeta) -> RuleJson {
    RuleJson {
        code: meta.code,
        name: meta.name,
        fix: meta.fix,
        scope: meta.scope,
        opt_in: meta.opt_in,
        explanation: meta.doc(),
    }
}
