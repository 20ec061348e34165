//! The `numgil` binary: parse the command line and run it. Exit codes: 0 clean, 1 findings,
//! 2 usage, configuration or I/O failure.

use clap::Parser;
use numgil::cli::{Cli, Command, TasksFormat};
use numgil::config::Settings;
use numgil::project::Project;
use numgil::render::{self, OutputFormat, Style};
use std::io::Write;
use std::process::ExitCode;

/// mimalloc: the run allocates a whole project's syntax trees at once from several threads;
/// with glibc malloc a third of the wall time went to growing the heap (measured in the
/// engine issue's note).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Err(msg) => {
            eprintln!("numgil: error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn load(paths: &[std::path::PathBuf], exclude: &[String]) -> Result<Project, String> {
    let excludes = numgil::discover::exclude_set(exclude)?;
    let found = numgil::discover::discover(paths, &excludes);
    let mut project = Project::load(&found.files);
    project.problems.extend(
        found
            .problems
            .into_iter()
            .map(|p| numgil::project::IoProblem {
                path: p.path,
                message: p.message,
                location: None,
            }),
    );
    Ok(project)
}

fn run(cli: Cli) -> Result<u8, String> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match cli.command {
        Command::Check(args) => {
            let t = std::time::Instant::now();
            let project = load(&args.paths, &args.exclude)?;
            if std::env::var_os("NUMGIL_TIMINGS").is_some() {
                eprintln!("load {:?}", t.elapsed());
            }
            let settings = Settings { scope: args.scope };
            let diags = numgil::check_project(&project, &settings);
            let style = Style::detect();
            render::render(&mut out, args.output_format, &diags, &project, style)
                .map_err(|e| e.to_string())?;
            if matches!(
                args.output_format,
                OutputFormat::Full | OutputFormat::Concise
            ) {
                writeln!(out, "{}", render::summary(&diags)).map_err(|e| e.to_string())?;
            }
            out.flush().map_err(|e| e.to_string())?;
            let io_failure = diags
                .iter()
                .any(|d| d.code == numgil::rules::io_error::META.code);
            // The process is about to exit: freeing every syntax tree one by one is wasted work.
            std::mem::forget(project);
            Ok(if io_failure {
                2
            } else if diags.is_empty() {
                0
            } else {
                1
            })
        }
        Command::Tasks(args) => {
            let project = load(&args.paths, &args.exclude)?;
            let report = numgil::task_report(&project);
            match args.output_format {
                TasksFormat::Text => report.render_text(&mut out),
                TasksFormat::Json => serde_json::to_writer_pretty(&mut out, &report)
                    .map_err(std::io::Error::other)
                    .and_then(|_| writeln!(out)),
            }
            .map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())?;
            Ok(0)
        }
    }
}
