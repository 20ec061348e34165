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
    /// Print a rule's documentation.
    Rule(RuleArgs),
}

/// Options shared by commands that read a project.
#[derive(Debug, clap::Args)]
pub struct ProjectArgs {
    /// Files or directories to check.
    #[arg(default_value = ".")]
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
}

#[derive(Debug, clap::Args)]
pub struct TasksArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    #[arg(long, value_enum, default_value_t = TasksFormat::Text)]
    pub output_format: TasksFormat,
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
