//! The `numgil` binary: parse the command line and run it. Exit codes: 0 clean, 1 findings,
//! 2 usage, configuration or I/O failure.

use clap::Parser;
use numgil::cli::{BenchArgs, CheckArgs, Cli, Command, ProjectArgs, RuleArgs, TasksFormat};
use numgil::config::{self, Settings};
use numgil::fix::FixMode;
use numgil::project::Project;
use numgil::render::{self, OutputFormat, Style};
use std::io::Write;
use std::process::ExitCode;

/// mimalloc: the run allocates a whole project's syntax trees at once from several threads;
/// with glibc malloc a large share of the wall time went to growing the heap (measured in the
/// engine issue's note).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

enum Failure {
    Message(String),
    Config(Box<config::ConfigError>),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Message(s)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Message(e.to_string())
    }
}

/// Stack of the thread that runs the command, and of each rayon worker: the depth gate
/// ([`numgil::depth`]) keeps the trees the analysis walks shallow, and these stacks leave a wide
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

/// Settings from `--config` or the nearest configuration file.
fn settings_for(args: &ProjectArgs) -> Result<Settings, Failure> {
    let found = match &args.config {
        Some(p) => Some(config::Found::read(p)?),
        None => {
            let start = args.paths.first().cloned().unwrap_or_else(|| ".".into());
            config::find(&start)
        }
    };
    let mut s = match found {
        Some(f) => f.settings().map_err(Failure::Config)?,
        None => Settings::default(),
    };
    s.exclude.extend(args.exclude.iter().cloned());
    Ok(s)
}

fn load(args: &ProjectArgs, settings: &Settings) -> Result<Project, Failure> {
    let excludes = numgil::discover::exclude_set(&settings.exclude)?;
    let found = numgil::discover::discover(&args.paths, &excludes);
    let mut project = Project::load(&found.files, settings.target_version);
    project.problems.extend(found.problems.into_iter().map(|p| numgil::project::IoProblem {
        path: p.path,
        message: p.message,
        location: None,
    }));
    Ok(project)
}

fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Tasks(args) => {
            let settings = settings_for(&args.project)?;
            let project = load(&args.project, &settings)?;
            let report = numgil::task_report(&project, &settings);
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            match args.output_format {
                TasksFormat::Text => report.render_text(&mut out)?,
                TasksFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &report).map_err(std::io::Error::other)?;
                    writeln!(out)?;
                }
            }
            out.flush()?;
            Ok(0)
        }
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
        Event::Fatal { .. } | Event::Done => {}
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
        results,
    };
    let failed: Vec<&str> = profile.results.iter().filter(|r| r.check != "ok").map(|r| r.rule.as_str()).collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &profile).map_err(std::io::Error::other)?;
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
    if let Some(plot) = &args.plot {
        numgil::render::bench::plot(plot, &profile)?;
        eprintln!("plot written to {}", plot.display());
    }
    if !args.check_only {
        match profile.save() {
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
    let mut settings = settings_for(&args.project)?;
    if let Some(scope) = args.scope {
        settings.scope = scope;
    }
    config::apply_cli_selection(&mut settings, &args.select, &args.ignore, &args.extend_select)?;
    let stdin_only = args.stdin_filename.is_some() && args.project.paths == [std::path::PathBuf::from(".")];
    let mut project =
        if stdin_only { Project::load(&[], settings.target_version) } else { load(&args.project, &settings)? };
    if let Some(name) = &args.stdin_filename {
        // Bounded like a file: stdin from `/dev/zero` is refused, not read forever.
        let mut text = String::new();
        let limit = numgil::project::MAX_FILE_BYTES;
        std::io::Read::read_to_string(&mut std::io::Read::take(std::io::stdin(), limit + 1), &mut text)
            .map_err(|e| format!("cannot read stdin as UTF-8 text: {e}"))?;
        if text.len() as u64 > limit {
            return Err(Failure::Message(format!("stdin is too large (over {} MiB)", limit / (1024 * 1024))));
        }
        project.set_source(name, text);
    }
    let style = Style::detect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let io_failure =
        |d: &[numgil::diagnostic::Diagnostic]| d.iter().any(|d| d.code == numgil::rules::io_error::META.code);

    if args.fix || args.diff {
        let mode = if args.unsafe_fixes { FixMode::Unsafe } else { FixMode::Safe };
        let outcome = numgil::fix_project(&mut project, &settings, mode);
        for path in &outcome.refused {
            eprintln!("numgil: warning: fixes for {} were not applied: the result did not parse", path.display());
        }
        if args.diff {
            for (file, original) in &outcome.changed {
                let m = &project.modules[*file as usize];
                write!(out, "{}", numgil::fix::unified_diff(&m.source.display_path(), original, m.file_text()))?;
            }
            out.flush()?;
            let n = outcome.changed.len();
            eprintln!("Would fix {} finding{} in {n} file{}.", outcome.fixed, plural(outcome.fixed), plural(n));
            return Ok(if io_failure(&outcome.remaining) { 2 } else { u8::from(n > 0) });
        }
        if let Some(name) = &args.stdin_filename {
            // Fixing stdin: the fixed source goes to stdout, nothing is written.
            if let Some(m) = project.modules.iter().find(|m| &m.source.path == name) {
                write!(out, "{}", m.file_text())?;
            }
            out.flush()?;
            let remaining = outcome.remaining.iter().filter(|d| &d.path == name).count();
            return Ok(if args.exit_zero { 0 } else { u8::from(remaining > 0) });
        }
        // A file that cannot be written is reported and the others are still written.
        let mut write_failed = false;
        for (file, _) in &outcome.changed {
            let m = &project.modules[*file as usize];
            if let Err(e) = numgil::fix::write_atomic(&m.source.path, m.file_text()) {
                eprintln!("numgil: error: cannot write {}: {e}", m.source.display_path());
                write_failed = true;
            }
        }
        let mut remaining = outcome.remaining;
        numgil::attach_evidence(&mut remaining, &numgil::kernels::profile::EvidenceBook::load());
        render::render(&mut out, args.output_format, &remaining, &project, style)?;
        if matches!(args.output_format, OutputFormat::Full | OutputFormat::Concise) {
            writeln!(out, "Fixed {} finding{} ({} remaining).", outcome.fixed, plural(outcome.fixed), remaining.len())?;
        }
        out.flush()?;
        let code = if write_failed || io_failure(&remaining) {
            2
        } else if args.exit_zero {
            0
        } else {
            u8::from(!remaining.is_empty())
        };
        std::mem::forget(project);
        return Ok(code);
    }

    let mut diags = numgil::check_project(&project, &settings);
    let book = numgil::kernels::profile::EvidenceBook::load();
    numgil::attach_evidence(&mut diags, &book);
    if let Some(min) = args.min_speedup {
        if book.host.is_none() {
            eprintln!(
                "numgil: warning: --min-speedup needs a host profile: run `numgil bench` first (no finding dropped)"
            );
        }
        diags.retain(|d| {
            d.evidence.as_ref().is_none_or(|e| e.source != numgil::kernels::profile::Source::Host || e.speedup >= min)
        });
    }
    if args.statistics {
        render::statistics(&mut out, &diags)?;
    } else {
        render::render(&mut out, args.output_format, &diags, &project, style)?;
        if matches!(args.output_format, OutputFormat::Full | OutputFormat::Concise) {
            writeln!(out, "{}", render::summary(&diags))?;
        }
    }
    out.flush()?;
    // The process is about to exit: freeing every syntax tree one by one is wasted work.
    std::mem::forget(project);
    Ok(if io_failure(&diags) {
        2
    } else if args.exit_zero {
        0
    } else {
        u8::from(!diags.is_empty())
    })
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
            let items: Vec<_> = metas.iter().map(|m| numgil::docs::json(m)).collect();
            if args.all {
                serde_json::to_writer_pretty(&mut out, &items).map_err(std::io::Error::other)?;
            } else {
                serde_json::to_writer_pretty(&mut out, &items[0]).map_err(std::io::Error::other)?;
            }
            writeln!(out)?;
        }
        TasksFormat::Text => {
            for (i, m) in metas.iter().enumerate() {
                if i > 0 {
                    writeln!(out, "\n---\n")?;
                }
                write!(out, "{}", numgil::docs::markdown(m))?;
            }
        }
    }
    out.flush()?;
    Ok(0)
}
