//! The `numgil` binary: parse the command line and run it. Exit codes: 0 clean, 1 findings,
//! 2 usage, configuration or I/O failure (a missing path, an unreadable file). The project
//! around the named paths is analysed as a whole; findings are reported for the named paths,
//! each file under the nearest configuration above it. A closed stdout ends the run quietly.

use clap::Parser;
use numgil::cli::{BenchArgs, CheckArgs, Cli, Command, ProjectArgs, RuleArgs, TasksArgs, TasksFormat};
use numgil::config::{self, Settings};
use numgil::findings::fix::FixMode;
use numgil::project::Project;
use numgil::render::{self, OutputFormat, Style};
use rustc_hash::{FxHashMap, FxHashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc: the run allocates a whole project's syntax trees at once from several threads;
/// with glibc malloc a large share of the wall time went to growing the heap (measured in the
/// engine issue's note).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

enum Failure {
    Message(String),
    Config(Box<config::ConfigError>),
    /// stdout was closed early (`numgil check | head -1`): stop quietly, like ruff.
    BrokenPipe,
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Message(s)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe { Failure::BrokenPipe } else { Failure::Message(e.to_string()) }
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::from(std::io::Error::from(e))
    }
}

impl From<config::ResolveError> for Failure {
    fn from(e: config::ResolveError) -> Self {
        match e {
            config::ResolveError::Config(c) => Failure::Config(c),
            config::ResolveError::Message(m) => Failure::Message(m),
        }
    }
}

/// Stack of the thread that runs the command, and of each rayon worker: the depth gate
/// ([`numgil::files::depth`]) keeps the trees the analysis walks shallow, and these stacks leave a wide
/// margin over what that walk needs.
const MAIN_STACK: usize = 256 * 1024 * 1024;
const WORKER_STACK: usize = 64 * 1024 * 1024;

fn main() -> ExitCode {
    let _ = rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK).build_global();
    match std::thread::Builder::new().name("numgil".into()).stack_size(MAIN_STACK).spawn(main_thread) {
        Ok(handle) => handle.join().unwrap_or_else(|_| ExitCode::from(101)),
        Err(_) => main_thread(),
    }
}

fn main_thread() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Failure::BrokenPipe) => ExitCode::SUCCESS,
        Err(Failure::Message(msg)) => {
            eprintln!("numgil: error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Config(e)) => {
            eprintln!("{:?}", miette::Report::new(*e));
            ExitCode::from(2)
        }
    }
}

/// A project loaded for a command: every Python file of the project roots around the named
/// paths (for task context), and which of them are reported, with their configuration.
struct Loaded {
    project: Project,
    resolver: config::Resolver,
    /// Reported files (by the path findings carry) and the configuration group governing each.
    reported: FxHashMap<PathBuf, usize>,
}

impl Loaded {
    fn group_of(&self, path: &Path) -> Option<usize> {
        self.reported.get(path).copied()
    }

    /// Settings for what is not per file (`numgil tasks`): those of the first reported file.
    fn first_settings(&self) -> Settings {
        let group = self.project.modules.iter().find_map(|m| self.group_of(&m.source.path));
        group.map_or_else(
            || self.resolver.all().next().cloned().unwrap_or_default(),
            |g| self.resolver.settings(g).clone(),
        )
    }
}

/// Whether `path` (display form and canonical form) is `named` or under it.
fn under(path: &Path, key: &Path, named: &[(PathBuf, PathBuf)]) -> bool {
    let abs = numgil::files::paths::absolute(path);
    named.iter().any(|(n_abs, n_key)| abs.starts_with(n_abs) || key.starts_with(n_key))
}

/// Whether an exclude glob of the file's configuration matches the file or a folder between
/// it and the named path (or project root) that contains it: a folder named on the command line
/// is checked even if it matches.
fn excluded(resolver: &config::Resolver, group: usize, file: &Path, stop: &Path) -> bool {
    let mut p = Some(file);
    while let Some(a) = p {
        if a.as_os_str().is_empty() || a == stop || (a != file && stop.starts_with(a)) {
            break;
        }
        if resolver.excluded(group, a) {
            return true;
        }
        p = a.parent();
    }
    false
}

/// Find and read the project: the files under the project root of each named path (nearest
/// `pyproject.toml` or `.git`) and the named paths themselves, each once (by canonical path).
/// Read and parse the files to analyse. With `project_context`, the whole project around the
/// named paths (its root: the nearest `pyproject.toml` or `.git`) is analysed and only the
/// named paths are reported; without, exactly the named paths.
fn load(
    args: &ProjectArgs,
    overrides: config::Overrides,
    stdin: Option<&Path>,
    project_context: bool,
) -> Result<Loaded, Failure> {
    let named: Vec<PathBuf> = match (args.paths.is_empty(), stdin) {
        (true, Some(_)) => Vec::new(),
        (true, None) => vec![PathBuf::from(".")],
        (false, _) => args.paths.clone(),
    };
    for p in &named {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(format!("path not found: {}", p.display()).into());
        }
    }
    let mut resolver = config::Resolver::new(args.config.as_deref(), overrides)?;
    let shown: Vec<PathBuf> = named.iter().map(|p| numgil::files::paths::display(p)).collect();
    let stdin_shown = stdin.map(numgil::files::paths::display);
    let mut reported_at: Vec<(PathBuf, PathBuf)> =
        shown.iter().map(|p| (numgil::files::paths::absolute(p), numgil::files::paths::key(p))).collect();
    if let Some(s) = &stdin_shown {
        reported_at.push((numgil::files::paths::absolute(s), numgil::files::paths::key(s)));
    }
    let mut roots: Vec<PathBuf> = if project_context {
        shown.iter().chain(&stdin_shown).map(|p| numgil::files::paths::project_root(p)).collect()
    } else {
        Vec::new()
    };
    roots.sort();
    roots.dedup();
    let outer: Vec<PathBuf> =
        roots.iter().filter(|r| !roots.iter().any(|o| o != *r && r.starts_with(o))).cloned().collect();
    let mut walk: Vec<PathBuf> = outer.iter().map(|r| numgil::files::paths::display(r)).collect();
    for (p, (_, key)) in shown.iter().zip(&reported_at) {
        if !outer.contains(key) {
            walk.push(p.clone());
        }
    }
    let cli_excludes = numgil::files::discover::exclude_set(&args.exclude)?;
    let found = numgil::files::discover::discover(&walk, &cli_excludes);
    let mut seen: FxHashSet<PathBuf> = FxHashSet::default();
    let (mut files, mut targets) = (Vec::new(), Vec::new());
    let mut reported = FxHashMap::default();
    for f in &found.files {
        let key = numgil::files::paths::key(f);
        if !seen.insert(key.clone()) {
            continue;
        }
        let file = numgil::files::paths::display(f);
        let group = resolver.group_of(&file)?;
        let abs = numgil::files::paths::absolute(&file);
        let stop = reported_at
            .iter()
            .zip(shown.iter().chain(&stdin_shown))
            .filter(|((n_abs, _), _)| abs.starts_with(n_abs))
            .map(|(_, n)| if n == &file { n.parent().map(Path::to_path_buf).unwrap_or_default() } else { n.clone() })
            .max_by_key(|n| n.components().count())
            .or_else(|| outer.iter().find(|r| key.starts_with(r)).map(|r| numgil::files::paths::display(r)))
            .unwrap_or_default();
        if excluded(&resolver, group, &file, &stop) {
            continue;
        }
        if under(&file, &key, &reported_at) {
            reported.insert(file.clone(), group);
        }
        targets.push(resolver.settings(group).target_version);
        files.push(file);
    }
    let load_started = std::time::Instant::now();
    let mut project = Project::load_each(&files, &targets);
    if std::env::var_os("NUMGIL_TIMINGS").is_some() {
        eprintln!("load and parse {:?} ({} files)", load_started.elapsed(), files.len());
    }
    for p in found.problems {
        let path = numgil::files::paths::display(&p.path);
        if under(&path, &numgil::files::paths::key(&path), &reported_at) {
            let group = resolver.group_of(&path)?;
            reported.insert(path.clone(), group);
            project.problems.push(numgil::project::IoProblem { path, message: p.message, location: None });
        }
    }
    if let Some(s) = stdin_shown {
        let group = resolver.group_of(&s)?;
        reported.insert(s, group);
    }
    if reported.is_empty() {
        eprintln!("warning: No Python files found under the given path(s)");
    }
    Ok(Loaded { project, resolver, reported })
}

fn tasks(args: TasksArgs) -> Result<u8, Failure> {
    let overrides = config::Overrides { exclude: args.project.exclude.clone(), ..Default::default() };
    let loaded = load(&args.project, overrides, None, true)?;
    let settings = loaded.first_settings();
    let project = &loaded.project;
    let report = numgil::task_report_for(project, &settings, |file| {
        project.modules.get(file as usize).is_some_and(|m| loaded.reported.contains_key(&m.source.path))
    });
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.output_format {
        TasksFormat::Text => report.render_text(&mut out, args.verbose)?,
        TasksFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    std::mem::forget(loaded);
    Ok(0)
}

fn callgraph(args: numgil::cli::CallgraphArgs) -> Result<u8, Failure> {
    let overrides = config::Overrides { exclude: args.project.exclude.clone(), ..Default::default() };
    let loaded = load(&args.project, overrides, None, false)?;
    let settings = loaded.first_settings();
    let graph = numgil::call_graph(&loaded.project, &settings);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.output_format {
        numgil::cli::CallgraphFormat::Pycg => serde_json::to_writer_pretty(&mut out, &graph)?,
        numgil::cli::CallgraphFormat::Json => {
            let edges: Vec<(&String, &String)> =
                graph.iter().flat_map(|(a, bs)| bs.iter().map(move |b| (a, b))).collect();
            let nodes: Vec<&String> = graph.keys().collect();
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "nodes": nodes, "edges": edges }))?;
        }
    }
    writeln!(out)?;
    out.flush()?;
    std::mem::forget(loaded);
    Ok(0)
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Tasks(args) => tasks(args),
        Command::Callgraph(args) => callgraph(args),
        Command::Rule(args) => rule(args),
        Command::Bench(args) => bench(args),
        Command::Server => Ok(u8::try_from(numgil::server::run()).unwrap_or(1)),
    }
}

fn bench(args: BenchArgs) -> Result<u8, Failure> {
    use numgil::kernels::profile::HostProfile;
    use numgil::kernels::runner::{self, Event, RunOptions};
    let python = runner::choose_python(args.python.as_deref());
    let opts = RunOptions {
        python,
        rules: args.rule.iter().map(|r| r.to_ascii_uppercase()).collect(),
        threads: args.threads.clone(),
        quick: args.quick,
        check_only: args.check_only,
        kernel_dir: args.kernel_dir.clone(),
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} kernels  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let mut env = None;
    let mut load = None;
    let mut results = Vec::new();
    let mut skipped = Vec::new();
    runner::run(&opts, |event| match event {
        Event::Env(e) => env = Some(e.clone()),
        Event::Start { rule, total, index } => {
            bar.set_length(*total as u64);
            bar.set_position(*index as u64);
            bar.set_message(rule.clone());
        }
        Event::Result(r) => results.push(r.clone()),
        Event::Skipped { rule, reason } => skipped.push(format!("{rule}: {reason}")),
        Event::Done(l) => load = Some(l.clone()),
        Event::Fatal { .. } => {}
    })
    .inspect_err(|_| bar.finish_and_clear())?;
    bar.finish_and_clear();
    let mut threads: Vec<u32> = results.iter().flat_map(|r| r.speedup.keys().filter_map(|t| t.parse().ok())).collect();
    threads.sort_unstable();
    threads.dedup();
    let profile = HostProfile {
        env: env.unwrap_or_default(),
        date: now_utc(),
        mode: if args.check_only {
            "check".into()
        } else if args.quick {
            "quick".into()
        } else {
            "full".into()
        },
        threads,
        load,
        results,
        merged: Vec::new(),
    };
    let failed: Vec<&str> = profile
        .results
        .iter()
        .filter(|r| r.check != "ok" && r.check != "implausible")
        .map(|r| r.rule.as_str())
        .collect();
    let implausible: Vec<String> = profile
        .results
        .iter()
        .filter(|r| r.check == "implausible")
        .map(|r| {
            format!(
                "{} n={}: {}",
                r.rule,
                r.size.map_or("-".into(), |n| n.to_string()),
                r.error.as_deref().unwrap_or("")
            )
        })
        .collect();
    let busy = profile.load.as_ref().and_then(|l| l.busy(&profile.env));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &profile)?;
        writeln!(out)?;
    } else if args.check_only {
        for r in &profile.results {
            writeln!(
                out,
                "{} n={}: {}{}",
                r.rule,
                r.size.map_or("-".into(), |n| n.to_string()),
                r.check,
                r.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
            )?;
        }
    } else {
        numgil::render::bench::table(&mut out, &profile)?;
    }
    for s in &skipped {
        eprintln!("skipped {s}");
    }
    if !failed.is_empty() {
        eprintln!("kernel checks failed (these figures are never quoted): {}", failed.join(", "));
    }
    for i in &implausible {
        eprintln!("implausible timings, never quoted (rerun on an idle machine): {i}");
    }
    if let Some(why) = &busy {
        eprintln!("numgil: warning: the machine was busy: {why}; the figures are unreliable");
    }
    if let Some(plot) = &args.plot {
        numgil::render::bench::plot(plot, &profile)?;
        eprintln!("plot written to {}", plot.display());
    }
    if !args.check_only && busy.is_some() && !args.allow_busy {
        eprintln!(
            "host profile not saved: measured under load (close other work and rerun, or pass --allow-busy to save it anyway)"
        );
    } else if !args.check_only {
        // A run of some kernels only adds to the profile this host already has.
        let merged = match HostProfile::load_for_this_host() {
            Some(earlier) if !args.rule.is_empty() => profile.clone().merged_into(earlier),
            _ => None,
        };
        match merged.as_ref().unwrap_or(&profile).save() {
            Ok(path) => eprintln!("host profile saved to {}", path.display()),
            Err(e) => eprintln!("numgil: warning: {e}"),
        }
    }
    out.flush()?;
    Ok(u8::from(!failed.is_empty()))
}

/// `2026-11-25 01:30:00 UTC`, from the system clock (civil-from-days, no time zone database).
fn now_utc() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn check(args: CheckArgs) -> Result<u8, Failure> {
    let overrides = config::Overrides {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        extend_select: args.extend_select.clone(),
        scope: args.scope,
        exclude: args.project.exclude.clone(),
    };
    let stdin_name = args.stdin_filename.as_deref();
    let Loaded { mut project, resolver, reported } = load(&args.project, overrides, stdin_name, true)?;
    let stdin_path = stdin_name.map(numgil::files::paths::display);
    if let Some(name) = &stdin_path {
        let mut text = String::new();
        let limit = numgil::project::MAX_FILE_BYTES;
        std::io::Read::read_to_string(&mut std::io::Read::take(std::io::stdin(), limit + 1), &mut text)
            .map_err(|e| format!("cannot read stdin as UTF-8 text: {e}"))?;
        if text.len() as u64 > limit {
            return Err(Failure::Message(format!("stdin is too large (over {} MiB)", limit / (1024 * 1024))));
        }
        project.set_source(name, text);
    }
    let groups: Vec<&Settings> = resolver.all().collect();
    let group_of = |p: &Path| reported.get(p).copied();
    let checker = |p: &Project| numgil::check_grouped(p, &groups, group_of);
    // `--fix` fixes what `check` shows: findings hidden as not worth reading stay as they are.
    let include_small = |d: &numgil::findings::diagnostic::Diagnostic| {
        args.include_small || group_of(&d.path).and_then(|g| groups.get(g)).is_some_and(|s| s.include_small)
    };
    let fix_checker = |p: &Project| {
        let book = numgil::kernels::profile::EvidenceBook::load();
        let mut diags = checker(p);
        numgil::attach_evidence(&mut diags, &book);
        numgil::engine::drop_low_impact(&mut diags, &book, include_small);
        diags
    };
    let mut style = Style::detect();
    style.unsafe_fixes = args.unsafe_fixes;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let io_failure =
        |d: &[numgil::findings::diagnostic::Diagnostic]| d.iter().any(|d| d.code == numgil::rules::io_error::META.code);
    // `--exit-zero`: 0 whatever was found (numgil's own failures are errors, exit 2, earlier).
    let exit = |diags: &[numgil::findings::diagnostic::Diagnostic], found: bool| -> u8 {
        if args.exit_zero {
            0
        } else if io_failure(diags) {
            2
        } else {
            u8::from(found)
        }
    };

    if args.fix || args.diff {
        let mode = if args.unsafe_fixes { FixMode::Unsafe } else { FixMode::Safe };
        let outcome = numgil::fix_project_with(&mut project, mode, fix_checker);
        for path in &outcome.refused {
            eprintln!(
                "numgil: warning: fixes for {} were not applied: the result did not parse",
                numgil::files::paths::escape(&path.display().to_string())
            );
        }
        if args.diff {
            for (file, original) in &outcome.changed {
                let m = &project.modules[*file as usize];
                write!(
                    out,
                    "{}",
                    numgil::findings::fix::unified_diff(&m.source.display_path(), original, m.file_text())
                )?;
            }
            out.flush()?;
            let n = outcome.changed.len();
            eprintln!("Would fix {} finding{} in {n} file{}.", outcome.fixed, plural(outcome.fixed), plural(n));
            return Ok(exit(&outcome.remaining, n > 0));
        }
        if let Some(name) = &stdin_path {
            // Fixing stdin: the fixed source goes to stdout, nothing is written.
            if let Some(m) = project.modules.iter().find(|m| &m.source.path == name) {
                write!(out, "{}", m.file_text())?;
            }
            out.flush()?;
            let remaining: Vec<_> = outcome.remaining.iter().filter(|d| &d.path == name).cloned().collect();
            return Ok(exit(&remaining, !remaining.is_empty()));
        }
        // A file that cannot be written is reported and the others are still written.
        let mut write_failed = false;
        for (file, _) in &outcome.changed {
            let m = &project.modules[*file as usize];
            if let Err(e) = numgil::files::write::write_atomic(&m.source.path, m.file_text()) {
                eprintln!("numgil: error: cannot write {}: {e}", m.source.display_path());
                write_failed = true;
            }
        }
        let mut remaining = outcome.remaining;
        numgil::attach_evidence(&mut remaining, &numgil::kernels::profile::EvidenceBook::load());
        render::render(&mut out, args.output_format, &remaining, &project, style)?;
        if matches!(args.output_format, OutputFormat::Full | OutputFormat::Concise) {
            writeln!(out, "Fixed {} finding{} ({} remaining).", outcome.fixed, plural(outcome.fixed), remaining.len())?;
            if let Some(hint) = render::hidden_hint(&remaining, args.unsafe_fixes) {
                writeln!(out, "{hint}")?;
            }
        }
        out.flush()?;
        let code = if write_failed { 2 } else { exit(&remaining, !remaining.is_empty()) };
        std::mem::forget(project);
        return Ok(code);
    }

    let checked = std::time::Instant::now();
    // One check, then exit: its analysis is not worth freeing (`--fix` checks several times).
    numgil::leave_last_analysis_unfreed();
    let mut diags = checker(&project);
    if std::env::var_os("NUMGIL_TIMINGS").is_some() {
        eprintln!("check {:?}", checked.elapsed());
    }
    let book = numgil::kernels::profile::EvidenceBook::load();
    numgil::attach_evidence(&mut diags, &book);
    let hidden = numgil::engine::drop_low_impact(&mut diags, &book, include_small);
    if hidden.total() > 0 && matches!(args.output_format, OutputFormat::Full | OutputFormat::Concise) {
        let mut why = Vec::new();
        if hidden.small > 0 {
            why.push(format!(
                "{} on data too small for the fix to pay (under {}× at its size)",
                hidden.small,
                numgil::kernels::profile::WORTH_REPORTING
            ));
        }
        if hidden.unsized_outside_tasks > 0 {
            why.push(format!("{} outside thread tasks on data of unknown size", hidden.unsized_outside_tasks));
        }
        let n = hidden.total();
        eprintln!(
            "numgil: {n} finding{} not shown: {}; `--include-small` shows {}",
            plural(n),
            why.join(", "),
            if n == 1 { "it" } else { "them" }
        );
    }
    if let Some(min) = args.min_speedup {
        if book.host.is_none() {
            eprintln!(
                "numgil: warning: --min-speedup needs a host profile: run `numgil bench` first (no finding dropped)"
            );
        }
        // A finding on data of unknown size has no one figure to compare: it stays.
        diags.retain(|d| {
            d.size.is_none()
                || d.evidence
                    .as_ref()
                    .is_none_or(|e| e.source != numgil::kernels::profile::Source::Host || e.speedup >= min)
        });
    }
    if args.statistics {
        render::statistics(&mut out, &diags, args.output_format, args.unsafe_fixes)?;
    } else {
        render::render(&mut out, args.output_format, &diags, &project, style)?;
        if matches!(args.output_format, OutputFormat::Full | OutputFormat::Concise) {
            writeln!(out, "{}", render::summary(&diags, args.unsafe_fixes))?;
        }
    }
    out.flush()?;
    // The process is about to exit: freeing every syntax tree one by one is wasted work.
    std::mem::forget(project);
    Ok(exit(&diags, !diags.is_empty()))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn rule(args: RuleArgs) -> Result<u8, Failure> {
    let metas = if args.all {
        numgil::rules::all_metas()
    } else {
        let code = args.code.unwrap_or_default();
        vec![numgil::rules::meta_for(&code).ok_or_else(|| format!("unknown rule `{code}` (see `numgil rule --all`)"))?]
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.output_format {
        TasksFormat::Json => {
            let items: Vec<_> = metas.iter().map(|m| numgil::render::docs::json(m)).collect();
            if args.all {
                serde_json::to_writer_pretty(&mut out, &items)?;
            } else {
                serde_json::to_writer_pretty(&mut out, &items[0])?;
            }
            writeln!(out)?;
        }
        TasksFormat::Text => {
            for (i, m) in metas.iter().enumerate() {
                if i > 0 {
                    writeln!(out, "\n---\n")?;
                }
                write!(out, "{}", numgil::render::docs::markdown(m))?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}
