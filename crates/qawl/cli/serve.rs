//! `qawl serve`.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

use super::args::ServeArgs;
use super::CliError;
use crate::server::{serve, shutdown_signal};
use crate::service::QawlService;

pub async fn run(args: ServeArgs) -> Result<(), CliError> {
    let metrics_addr = parse_metrics_addr(&args.metrics_addr)?;
    let limits = args.limits.limits();
    let loaded = super::pipeline::load(&args.pipeline).await?;
    let service = QawlService::new(
        loaded.pipeline,
        limits.clone(),
        loaded.models,
        usize::from(args.stream_concurrency),
    );

    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let metrics_listener = match metrics_addr {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} for /metrics"))?,
        ),
        None => None,
    };
    if let Some(listener) = &metrics_listener {
        tracing::info!(addr = ?listener.local_addr().ok(), "metrics at /metrics");
    }
    serve(
        listener,
        metrics_listener,
        service,
        limits.max_message_bytes,
        shutdown_signal(),
    )
    .await
    .context("server failed")?;
    Ok(())
}

fn parse_metrics_addr(value: &str) -> Result<Option<SocketAddr>, CliError> {
    if value.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|_| {
        CliError::Usage(format!(
            "--metrics-addr: expected HOST:PORT or \"off\", got {value:?}"
        ))
    })
}
