//! `qawl bench`: encoder throughput at several batch sizes, cold start and peak memory.

use std::time::Duration;

use anyhow::Context;
use qawl_encoder::{run_benchmark, BenchSettings, RuntimeOptions};

use super::args::BenchArgs;
use super::CliError;

pub async fn run(args: BenchArgs) -> Result<(), CliError> {
    let store = super::models::open_store(args.dir.models_dir.clone())?;
    super::models::fetch(store.clone()).await?;
    let files = store
        .default_files()
        .context("the default model is not usable")?;
    let runtime = RuntimeOptions {
        device: args
            .device
            .parse()
            .map_err(|e| CliError::Usage(format!("--device: {e}")))?,
        precision: args
            .dtype
            .parse()
            .map_err(|e| CliError::Usage(format!("--dtype: {e}")))?,
    };
    let settings = BenchSettings {
        runtime,
        batch_sizes: args.batch_sizes.clone(),
        min_time: Duration::from_secs_f64(args.seconds),
    };
    let report = tokio::task::spawn_blocking(move || run_benchmark(&files, &settings))
        .await
        .context("benchmark task failed")?
        .context("benchmark failed")?;
    print!("{report}");
    Ok(())
}
