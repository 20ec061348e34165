//! Command-line definitions (clap derive) → a `Command`; nothing else.

use crate::config::Scope;
use crate::render::OutputFormat;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "numgil",
    version,
    about = "Find numpy code that holds the GIL inside thread-pool tasks"
)]
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
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to check.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Which code to lint: only code reachable from thread tasks, or everything.
    #[arg(long, value_enum, default_value_t = Scope::Tasks)]
    pub scope: Scope,
    #[arg(long, value_enum, default_value_t = OutputFormat::Full)]
    pub output_format: OutputFormat,
    /// Exclude files and directories matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct TasksArgs {
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = TasksFormat::Text)]
    pub output_format: TasksFormat,
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TasksFormat {
    Text,
    Json,
}
