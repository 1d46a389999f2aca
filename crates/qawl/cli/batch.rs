//! `qawl batch`: score an archive (JSONL file, folder of JSONL files, or stdin) in-process,
//! resumable after a crash.

use qawl_batch::{BatchConfig, BatchError, BatchJob, InputSource, Target};

use super::args::BatchArgs;
use super::CliError;
use crate::batch_analyzer::InProcessAnalyzer;
use crate::pipeline_factory::default_pipeline;
use crate::service::QawlService;

pub async fn run(args: BatchArgs) -> Result<(), CliError> {
    let limits = args.limits.limits();
    let mut config = BatchConfig::new(InputSource::from_path(&args.input), &args.output);
    config.errors = args.errors.clone();
    config.concurrency = usize::from(args.concurrency);
    config.resume = args.resume;
    config.force = args.force;
    config.max_text_bytes = limits.max_article_bytes;
    config.default_targets = args
        .targets
        .iter()
        .map(|(id, proposition)| Target {
            id: id.clone(),
            proposition: proposition.clone(),
        })
        .collect();

    let loaded = default_pipeline();
    let service = QawlService::new(loaded.pipeline, limits, loaded.models, 1);
    let summary = BatchJob::new(config)
        .run(InProcessAnalyzer::new(service))
        .await
        .map_err(|error| match error {
            // The user's call is at fault: say how to fix it and exit 2.
            BatchError::OutputExists { .. }
            | BatchError::MissingCheckpoint { .. }
            | BatchError::InputChanged { .. }
            | BatchError::InvalidConfig(_) => CliError::Usage(error.to_string()),
            other => CliError::Runtime(anyhow::Error::new(other)),
        })?;
    eprintln!("{summary}");
    Ok(())
}
