//! The `numgil` binary: parse the command line and run it. Exit codes: 0 clean, 1 findings,
//! 2 usage, configuration or I/O failure.

use clap::Parser;
use numgil::cli::{CheckArgs, Cli, Command, ProjectArgs, RuleArgs, TasksFormat};
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

fn main() -> ExitCode {
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
    }
}

fn check(args: CheckArgs) -> Result<u8, Failure> {
    let mut settings = settings_for(&args.project)?;
    if let Some(scope) = args.scope {
        settings.scope = scope;
    }
    config::apply_cli_selection(&mut settings, &args.select, &args.ignore, &args.extend_select)?;
    let mut project = load(&args.project, &settings)?;
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
                write!(out, "{}", numgil::fix::unified_diff(&m.source.display_path(), original, &m.source.text))?;
            }
            out.flush()?;
            let n = outcome.changed.len();
            eprintln!("Would fix {} finding{} in {n} file{}.", outcome.fixed, plural(outcome.fixed), plural(n));
            return Ok(if io_failure(&outcome.remaining) { 2 } else { u8::from(n > 0) });
        }
        for (file, _) in &outcome.changed {
            let m = &project.modules[*file as usize];
            numgil::fix::write_atomic(&m.source.path, &m.source.text)
                .map_err(|e| format!("cannot write {}: {e}", m.source.display_path()))?;
        }
        render::render(&mut out, args.output_format, &outcome.remaining, &project, style)?;
        if matches!(args.output_format, OutputFormat::Full | OutputFormat::Concise) {
            writeln!(
                out,
                "Fixed {} finding{} ({} remaining).",
                outcome.fixed,
                plural(outcome.fixed),
                outcome.remaining.len()
            )?;
        }
        out.flush()?;
        let code = if io_failure(&outcome.remaining) { 2 } else { u8::from(!outcome.remaining.is_empty()) };
        std::mem::forget(project);
        return Ok(code);
    }

    let diags = numgil::check_project(&project, &settings);
    render::render(&mut out, args.output_format, &diags, &project, style)?;
    if matches!(args.output_format, OutputFormat::Full | OutputFormat::Concise) {
        writeln!(out, "{}", render::summary(&diags))?;
    }
    out.flush()?;
    // The process is about to exit: freeing every syntax tree one by one is wasted work.
    std::mem::forget(project);
    Ok(if io_failure(&diags) { 2 } else { u8::from(!diags.is_empty()) })
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
