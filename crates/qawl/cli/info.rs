//! `qawl info`: what this build offers, without starting a server.

use anyhow::Context;

use super::args::{InfoArgs, OutputFormat};
use super::CliError;
use crate::limits::Limits;
use crate::service::QawlService;

pub async fn run(args: InfoArgs) -> Result<(), CliError> {
    let loaded = super::pipeline::load(&args.pipeline).await?;
    let info = QawlService::new(loaded.pipeline, Limits::default(), loaded.models, 1).info();
    match args.format {
        OutputFormat::Json => {
            let json = serde_json::to_string_pretty(&info).context("cannot render JSON")?;
            println!("{json}");
        }
        OutputFormat::Text => print!("{}", super::text_report::info(&info)),
    }
    Ok(())
}
