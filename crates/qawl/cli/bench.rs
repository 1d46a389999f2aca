//! `qawl bench`: encoder throughput at several batch sizes, cold start and peak memory.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use qawl_encoder::{
    bench_pairs, compare_forwards, matmul_rates, run_benchmark, BenchSettings, RuntimeOptions,
    TextTokenizer, MAX_MODEL_TOKENS,
};

use super::args::BenchArgs;
use super::CliError;

/// Tokens per sequence in `--matmul` (the and `bench/engines.py`'s input length).
const MATMUL_TOKENS: usize = 64;

pub async fn run(args: BenchArgs) -> Result<(), CliError> {
    if args.matmul {
        let rows: Vec<usize> = args.batch_sizes.iter().map(|b| b * MATMUL_TOKENS).collect();
        let min_time = Duration::from_secs_f64(args.seconds / 4.0);
        let report = tokio::task::spawn_blocking(move || matmul_rates(&rows, min_time))
            .await
            .context("benchmark task failed")?;
        println!("{report}");
        return Ok(());
    }
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
    if let Some(path) = &args.write_inputs {
        write_inputs(path, &files.tokenizer, &settings.batch_sizes)?;
    }
    let compare = args.compare;
    let report = tokio::task::spawn_blocking(move || {
        if compare {
            compare_forwards(&files, &settings).map(|c| c.to_string())
        } else {
            run_benchmark(&files, &settings).map(|r| r.to_string())
        }
    })
    .await
    .context("benchmark task failed")?
    .context("benchmark failed")?;
    println!("{report}");
    Ok(())
}

/// `{"pairs": [[ids…]…], "batch_sizes": […]}`: the exact inputs, for other engines to run.
fn write_inputs(path: &Path, tokenizer: &Path, batch_sizes: &[usize]) -> Result<(), CliError> {
    let tokenizer =
        TextTokenizer::from_file(tokenizer, MAX_MODEL_TOKENS).context("loading the tokenizer")?;
    let pairs: Vec<Vec<u32>> = bench_pairs(&tokenizer)
        .context("tokenizing the benchmark pairs")?
        .into_iter()
        .map(|pair| pair.ids)
        .collect();
    let json = serde_json::json!({"pairs": pairs, "batch_sizes": batch_sizes});
    std::fs::write(path, json.to_string())
        .map_err(|e| CliError::Usage(format!("--write-inputs {}: {e}", path.display())))
}
