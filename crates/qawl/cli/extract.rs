//! `qawl extract FILE|-`: analyse one article in-process and print it.

use std::io::Read;

use anyhow::Context;

use super::args::{ExtractArgs, OutputFormat};
use super::CliError;
use crate::error::ServiceError;
use crate::proto::v1 as pb;
use crate::service::QawlService;

pub async fn run(args: ExtractArgs) -> Result<(), CliError> {
    let text = read_article(&args)?;
    let limits = args.limits.limits();
    let loaded = super::pipeline::load(&args.pipeline).await?;
    let service = QawlService::new(loaded.pipeline, limits, loaded.models, 1);
    let request = pb::ExtractRequest {
        request_id: args.input.display().to_string(),
        text: text.clone(),
        language: args.language.clone().unwrap_or_default(),
        targets: args
            .targets
            .iter()
            .map(|(id, proposition)| pb::Target {
                id: id.clone(),
                proposition: proposition.clone(),
            })
            .collect(),
        options: None,
    };
    let response = service
        .extract_one(request)
        .await
        .map_err(|error| match error {
            ServiceError::InvalidArgument { .. } => {
                CliError::Usage(format!("invalid article: {error}"))
            }
            ServiceError::Pipeline(error) => CliError::Runtime(anyhow::Error::new(error)),
        })?;
    match args.format {
        OutputFormat::Json => {
            let json = serde_json::to_string_pretty(&response).context("cannot render JSON")?;
            println!("{json}");
        }
        OutputFormat::Text => print!("{}", super::text_report::extract(&text, &response)),
    }
    Ok(())
}

fn read_article(args: &ExtractArgs) -> Result<String, CliError> {
    let mut bytes = Vec::new();
    let source = args.input.display();
    let read = if args.input.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(&args.input).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| CliError::Usage(format!("cannot read {source}: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        CliError::Usage(format!(
            "{source} is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}
