//! `qawl batch`: score an archive (JSONL or Parquet file, a folder of them, or JSONL on stdin)
//! in-process or on qawl servers, resumable after a crash; JSONL, flat JSONL or Parquet output.

use std::sync::Arc;

use qawl_batch::{
    load_targets, Analyzer, BatchConfig, BatchError, BatchJob, InputSource, OutputFormat, Summary,
    Target,
};
use tonic::transport::Endpoint;

use super::args::BatchArgs;
use super::CliError;
use crate::batch_analyzer::InProcessAnalyzer;
use crate::batch_client::{StreamAnalyzer, StreamOptions};
use crate::batch_rows::ResponseRows;
use crate::service::QawlService;

pub async fn run(args: BatchArgs) -> Result<(), CliError> {
    let limits = args.limits.limits();
    let mut config = BatchConfig::new(InputSource::from_path(&args.input), &args.output);
    config.format = OutputFormat::for_path(&args.output, args.flatten);
    if config.format.is_flat() {
        config.flattener = Some(Arc::new(ResponseRows));
    }
    config.errors = args.errors.clone();
    config.concurrency = usize::from(args.concurrency);
    config.resume = args.resume;
    config.force = args.force;
    config.max_text_bytes = limits.max_article_bytes;
    config.default_targets = default_targets(&args)?;

    if args.servers.is_empty() {
        let loaded = super::pipeline::load(&args.pipeline).await?;
        let service = QawlService::new(loaded.pipeline, limits, loaded.models, 1);
        let summary = run_job(config, InProcessAnalyzer::new(service)).await?;
        eprintln!("{summary}");
        return Ok(());
    }
    let endpoints = args
        .servers
        .iter()
        .map(|url| {
            Endpoint::from_shared(url.clone())
                .map_err(|err| CliError::Usage(format!("--server {url:?}: {err}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let options = StreamOptions {
        max_message_bytes: limits.max_message_bytes,
        ..StreamOptions::default()
    };
    let analyzer = Arc::new(StreamAnalyzer::new(endpoints, options));
    let outcome = run_job(config, analyzer.clone()).await;
    // Worth knowing even when the job stopped: which servers did the work.
    for (url, served) in analyzer.served() {
        eprintln!("{url}: {served} articles");
    }
    eprintln!("{}", outcome?);
    Ok(())
}

/// `--target` flags, then the `--targets` file; an id given twice is a usage error.
fn default_targets(args: &BatchArgs) -> Result<Vec<Target>, CliError> {
    let mut targets: Vec<Target> = args
        .targets
        .iter()
        .map(|(id, proposition)| Target {
            id: id.clone(),
            proposition: proposition.clone(),
        })
        .collect();
    if let Some(path) = &args.targets_file {
        let from_file = load_targets(path).map_err(|err| CliError::Usage(err.to_string()))?;
        for target in from_file {
            if targets.iter().any(|t| t.id == target.id) {
                return Err(CliError::Usage(format!(
                    "target id {:?} is given by --target and in {}",
                    target.id,
                    path.display()
                )));
            }
            targets.push(target);
        }
    }
    Ok(targets)
}

async fn run_job<A: Analyzer>(config: BatchConfig, analyzer: A) -> Result<Summary, CliError> {
    BatchJob::new(config)
        .run(analyzer)
        .await
        .map_err(|error| match error {
            // The user's call is at fault: say how to fix it and exit 2.
            BatchError::OutputExists { .. }
            | BatchError::MissingCheckpoint { .. }
            | BatchError::InputChanged { .. }
            | BatchError::FormatChanged { .. }
            | BatchError::BadInputFile { .. }
            | BatchError::TargetsFile { .. }
            | BatchError::InvalidConfig(_) => CliError::Usage(error.to_string()),
            other => CliError::Runtime(anyhow::Error::new(other)),
        })
}
