//! The baseline of bench/batch_throughput.sh: an archive scored by one-by-one unary `Extract`
//! calls (send one article, wait for its answer, send the next). Not part of the product.
//!
//! Usage: `batch_unary URL ARCHIVE.jsonl`; prints a summary line like `qawl batch` does.

use std::time::Instant;

use anyhow::Context;
use qawl::proto::v1::qawl_client::QawlClient;
use qawl::proto::v1::ExtractRequest;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(path)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: batch_unary URL ARCHIVE.jsonl");
    };
    let archive = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let mut client = QawlClient::connect(url.clone())
        .await
        .with_context(|| format!("connecting to {url}"))?
        .max_decoding_message_size(64 << 20);
    let started = Instant::now();
    let (mut articles, mut errors) = (0u64, 0u64);
    for line in archive.lines().filter(|line| !line.trim().is_empty()) {
        let record: serde_json::Value = serde_json::from_str(line).context("archive line")?;
        let request = ExtractRequest {
            request_id: record["id"].as_str().unwrap_or_default().to_owned(),
            text: record["text"].as_str().unwrap_or_default().to_owned(),
            language: record["lang"].as_str().unwrap_or_default().to_owned(),
            ..Default::default()
        };
        match client.extract(request).await {
            Ok(_) => articles += 1,
            Err(_) => errors += 1,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{articles} articles, {errors} errors in {seconds:.1}s ({:.1} articles/s)",
        articles as f64 / seconds.max(f64::EPSILON)
    );
    Ok(())
}
