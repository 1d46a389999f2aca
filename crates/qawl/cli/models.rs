//! `qawl models fetch|list`: the default model in the models folder, and its pins.

use std::path::PathBuf;

use anyhow::Context;
use qawl_encoder::{FetchOutcome, FileState, ModelStore};

use super::args::{ModelsArgs, ModelsCommand};
use super::CliError;

pub async fn run(args: ModelsArgs) -> Result<(), CliError> {
    let store = open_store(args.dir.models_dir.clone())?;
    match args.command {
        ModelsCommand::Fetch => {
            let outcome = fetch(store.clone()).await?;
            match outcome {
                FetchOutcome::AlreadyPresent => {
                    println!(
                        "models already present and verified in {}",
                        store.dir().display()
                    )
                }
                FetchOutcome::Fetched => {
                    println!("models fetched and verified in {}", store.dir().display())
                }
            }
            print_list(&store)
        }
        ModelsCommand::List => print_list(&store),
    }
}

pub fn open_store(dir: PathBuf) -> Result<ModelStore, CliError> {
    ModelStore::new(dir)
        .context("cannot read the built-in model manifest")
        .map_err(CliError::Runtime)
}

/// Fetches on a blocking thread: pip and hashing are slow, synchronous work.
pub async fn fetch(store: ModelStore) -> Result<FetchOutcome, CliError> {
    let outcome = tokio::task::spawn_blocking(move || store.fetch())
        .await
        .context("model fetch task failed")?
        .context("cannot fetch the default model")?;
    Ok(outcome)
}

fn print_list(store: &ModelStore) -> Result<(), CliError> {
    let status = store.status().context("cannot check the models folder")?;
    for file in status {
        let state = match &file.state {
            FileState::Verified => "verified".to_string(),
            FileState::Missing => "missing (run `qawl models fetch`)".to_string(),
            FileState::WrongHash { actual } => format!("WRONG HASH {actual}"),
        };
        println!(
            "{:<10} {} @ {}  sha256 {}  {}  {}",
            file.entry.role,
            file.entry.upstream,
            file.entry.revision,
            file.entry.sha256,
            file.path.display(),
            state
        );
    }
    Ok(())
}
