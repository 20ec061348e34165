//! Command-line definitions (clap derive) → a `Command`; nothing else.

use crate::config::Scope;
use crate::render::OutputFormat;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "numgil", version, about = "Find numpy code that holds the GIL inside thread-pool tasks")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint Python files: by default only code that runs in thread tasks.
    Check(CheckArgs),
    /// List every task launcher found, the functions it runs and what they reach.
    Tasks(TasksArgs),
    /// Print the project's call graph (each module and function and what it may call).
    Callgraph(CallgraphArgs),
    /// Print a rule's documentation.
    Rule(RuleArgs),
    /// Run the bundled kernels on this machine and save a host profile that `check` quotes.
    Bench(BenchArgs),
    /// Language server (LSP over stdio) for editors.
    Server,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// The Python interpreter to run the kernels with (default: the active virtualenv's, else
    /// `python3`). It needs numpy.
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// Only the kernels of these rules (repeatable).
    #[arg(long, value_name = "CODE")]
    pub rule: Vec<String>,
    /// Thread counts to measure, e.g. `1,2,4`.
    #[arg(long, value_name = "N,N,...", value_delimiter = ',')]
    pub threads: Option<Vec<u32>>,
    /// One size per kernel and fewer repetitions (under a minute on 2 cores).
    #[arg(long)]
    pub quick: bool,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Draw before/after throughput against threads as an SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Only run each kernel's `check` (before and after agree); no timings, no profile.
    #[arg(long)]
    pub check_only: bool,
    /// Save the host profile even when the machine was busy while it measured (by default a
    /// profile measured under load is shown but not saved).
    #[arg(long)]
    pub allow_busy: bool,
    /// Run the kernels in this directory instead of the bundled ones (for writing kernels).
    #[arg(long, value_name = "DIR", hide = true)]
    pub kernel_dir: Option<PathBuf>,
}

/// Options shared by commands that read a project.
#[derive(Debug, clap::Args)]
pub struct ProjectArgs {
    /// Files or directories to check (default: `.`). The whole project around them (up to the
    /// nearest `pyproject.toml` or `.git`) is analysed; findings are reported in these only.
    pub paths: Vec<PathBuf>,
    /// Exclude files and directories matching this glob (repeatable; adds to the config's).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Use this configuration file instead of the nearest `pyproject.toml`/`numgil.toml`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Which code to lint: only code reachable from thread tasks, or everything.
    #[arg(long, value_enum)]
    pub scope: Option<Scope>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Full)]
    pub output_format: OutputFormat,
    /// Only these rules (codes or prefixes, comma-separated or repeated).
    #[arg(long, value_name = "CODES")]
    pub select: Vec<String>,
    /// Rules to add to the selection.
    #[arg(long, value_name = "CODES")]
    pub extend_select: Vec<String>,
    /// Rules to turn off.
    #[arg(long, value_name = "CODES")]
    pub ignore: Vec<String>,
    /// Apply safe fixes and write the files.
    #[arg(long)]
    pub fix: bool,
    /// Also apply unsafe fixes (with `--fix` or `--diff`).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Show the fixes as a unified diff instead of writing them.
    #[arg(long)]
    pub diff: bool,
    /// Print the number of findings per rule instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// Exit with status 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Read the source from stdin and report it as this path (for editor and CI wrappers).
    /// Without explicit paths only stdin is checked; with paths, stdin replaces that file.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Also report findings on data known to be too small for the fix to pay, and (with
    /// `--scope everywhere`) per-element findings outside thread tasks on data of unknown size:
    /// by default a finding whose array size the code states is hidden when the fix's kernel
    /// gains less than 1.2× at that size (config: `include-small = true`).
    #[arg(long)]
    pub include_small: bool,
    /// Drop findings whose fix was measured on this host (`numgil bench`) to gain less than X at
    /// the finding's data size (findings on data of unknown size are kept).
    #[arg(long, value_name = "X", value_parser = parse_speedup, allow_negative_numbers = true)]
    pub min_speedup: Option<f64>,
}

#[derive(Debug, clap::Args)]
pub struct TasksArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    #[arg(long, value_enum, default_value_t = TasksFormat::Text)]
    pub output_format: TasksFormat,
    /// Also print the call chain to every reached function.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, clap::Args)]
pub struct CallgraphArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    #[arg(long, value_enum, default_value_t = CallgraphFormat::Json)]
    pub output_format: CallgraphFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CallgraphFormat {
    /// `{"nodes": [...], "edges": [[caller, callee], ...]}`.
    Json,
    /// PyCG's format: `{caller: [callee, ...]}`.
    Pycg,
}

/// `--min-speedup`: a finite number, at least 0.
fn parse_speedup(s: &str) -> Result<f64, String> {
    let x: f64 = s.trim().parse().map_err(|_| format!("`{s}` is not a number"))?;
    if !x.is_finite() || x < 0.0 {
        return Err(format!("`{s}` is not a speedup: expected a finite number, 0 or more (e.g. 1.5)"));
    }
    Ok(x)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TasksFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// A rule code (`NG101`) or name (`builtin-reduction-over-array`).
    #[arg(required_unless_present = "all")]
    pub code: Option<String>,
    /// Every rule.
    #[arg(long, conflicts_with = "code")]
    pub all: bool,
    #[arg(long, value_enum, default_value_t = TasksFormat::Text)]
    pub output_format: TasksFormat,
}
