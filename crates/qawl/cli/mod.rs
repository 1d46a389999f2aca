//! The `qawl` command line: one clap definition, validated into each command's config.

mod args;
mod batch;
mod bench;
mod eval;
mod extract;
mod info;
mod models;
mod pipeline;
mod serve;
mod text_report;

pub use args::{Cli, Command};

use std::process::ExitCode;

/// What a command failed with, and the exit code it earns.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The user's input is at fault (bad flag value, unreadable file, invalid article): exit 2.
    #[error("{0}")]
    Usage(String),
    /// Something failed at run time: exit 1.
    #[error(transparent)]
    Runtime(#[from] anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Runtime(_) => ExitCode::from(1),
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Runtime(e.into()))?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve::run(args)),
        Command::Extract(args) => runtime.block_on(extract::run(args)),
        Command::Info(args) => runtime.block_on(info::run(args)),
        Command::Batch(args) => runtime.block_on(batch::run(args)),
        Command::Models(args) => runtime.block_on(models::run(args)),
        Command::Bench(args) => runtime.block_on(bench::run(args)),
        Command::Eval(args) => runtime.block_on(eval::run(args)),
    }
}
