use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// The tokenizer's vocabulary trie is over a million small allocations; mimalloc builds it about
/// twice as fast as the system allocator, and that is most of the cold start.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = qawl::cli::Cli::parse();
    // Logs go to stderr so `qawl extract` output stays clean JSON on stdout.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("QAWL_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match qawl::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("qawl: error: {error:#}");
            error.exit_code()
        }
    }
}
