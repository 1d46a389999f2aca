//! `cargo bench -p qawl-encoder`: e5-small throughput at batch 1, 8 and 32, stock candle
//! `BertModel` and the fast forward side by side, with cold start, peak RSS and the share of the
//! dense matmuls. Needs the fetched model (`qawl models fetch`; folder from QAWL_MODELS_DIR or
//! models/cache).

use std::path::PathBuf;

use qawl_encoder::{compare_forwards, BenchSettings, ModelStore, MODELS_DIR_ENV};

fn main() -> anyhow::Result<()> {
    let dir = std::env::var_os(MODELS_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/cache"));
    // `cargo test --all-targets` runs this file too; measure only under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("encoder benchmark: run with `cargo bench -p qawl-encoder`");
        return Ok(());
    }
    let files = ModelStore::new(&dir)?.default_files()?;
    let comparison = compare_forwards(&files, &BenchSettings::default())?;
    println!("{comparison}");
    Ok(())
}
