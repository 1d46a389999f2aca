//! Loading the pipeline a command runs: fetch the model if needed, then load it off the async
//! runtime (dequantizing the encoder is seconds of CPU).

use anyhow::Context;

use super::args::PipelineArgs;
use super::CliError;
use crate::pipeline_factory::{model_pipeline, rules_only_pipeline, LoadedPipeline, ModelSetup};

pub async fn load(args: &PipelineArgs) -> Result<LoadedPipeline, CliError> {
    let store = super::models::open_store(args.dir.models_dir.clone())?;
    if args.rules_only {
        return Ok(rules_only_pipeline(&store)?);
    }
    if args.offline {
        tracing::info!("offline: loading the model files present");
    } else {
        // First start: obtain the pinned default model (a no-op once verified).
        super::models::fetch(store.clone()).await?;
    }
    let mut setup = ModelSetup::new(store);
    setup.heads_dir = args.heads_dir.clone();
    setup.runtime.precision = args
        .precision
        .parse()
        .map_err(|e| CliError::Usage(format!("--precision: {e}")))?;
    let started = std::time::Instant::now();
    let loaded = tokio::task::spawn_blocking(move || model_pipeline(&setup))
        .await
        .context("model loading task failed")??;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        cpu_tiles = qawl_encoder::cpu_kernel_name(),
        "models loaded"
    );
    Ok(loaded)
}
