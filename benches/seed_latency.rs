//! `cargo bench --bench seed_latency`: what a user of `qawl serve` waits for on the seed article
//! with three targets — cold start (model and heads loaded, pipeline built), warm end-to-end
//! latency of `Extract` (median and spread over repeated runs), and peak resident memory — in
//! int8 (the service's default) and in f32.
//! Needs the fetched model (`qawl models fetch`; folder from QAWL_MODELS_DIR or models/cache).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use qawl::pipeline_factory::{model_pipeline, ModelSetup};
use qawl_core::{Language, Target};
use qawl_encoder::{
    peak_rss_bytes, reset_peak_rss, ModelStore, Precision, DEFAULT_MODELS_DIR, MODELS_DIR_ENV,
};

/// As in the `qawl` binary, so that cold start and memory are what `qawl serve` shows.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SEED: &str = include_str!("../fixtures/muscat-talks.ar.txt");
/// Three propositions a fact-checker tracks on the seed: one it contradicts, one it supports in
/// part, one unrelated.
const TARGETS: [(&str, &str); 3] = [
    ("halt", "Iran agrees to stop enriching uranium."),
    ("levels", "Iran is open to discussing enrichment levels."),
    ("weather", "The weather in Muscat was sunny."),
];
const RUNS: usize = 15;

fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` runs this file too; measure only under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        println!("seed latency benchmark: run with `cargo bench --bench seed_latency`");
        return Ok(());
    }
    let dir = std::env::var_os(MODELS_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_MODELS_DIR));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let targets: Vec<Target> = TARGETS
        .iter()
        .map(|(id, proposition)| Target {
            id: (*id).into(),
            proposition: (*proposition).into(),
        })
        .collect();
    for precision in [Precision::Int8, Precision::F32] {
        reset_peak_rss();
        let mut setup = ModelSetup::new(ModelStore::new(&dir)?);
        setup.runtime.precision = precision;
        let started = Instant::now();
        let loaded = model_pipeline(&setup)?;
        let cold = started.elapsed();
        let extract = || {
            runtime.block_on(
                loaded
                    .pipeline
                    .extract(SEED, Some(Language::Arabic), &targets),
            )
        };
        let first = Instant::now();
        let output = extract()?;
        let first = first.elapsed();
        let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
        let mut stages: Vec<(String, Vec<Duration>)> = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let output = extract()?;
            times.push(started.elapsed());
            for (stage, took) in output.timings.0 {
                let name = stage.to_string();
                match stages.iter_mut().find(|(known, _)| *known == name) {
                    Some((_, all)) => all.push(took),
                    None => stages.push((name, vec![took])),
                }
            }
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{precision}: seed article ({} bytes, {} claims) with {} targets",
            SEED.len(),
            output.analysis.claims.len(),
            targets.len()
        );
        println!(
            "  cold start (encoder + heads loaded, pipeline built): {:.0} ms",
            ms(cold)
        );
        println!("  first extract: {:.0} ms", ms(first));
        println!(
            "  warm extract over {RUNS} runs: median {:.0} ms, min {:.0} ms, max {:.0} ms",
            ms(times[RUNS / 2]),
            ms(times[0]),
            ms(times[RUNS - 1])
        );
        let medians: Vec<String> = stages
            .iter_mut()
            .map(|(name, all)| {
                all.sort();
                format!("{name} {:.0} ms", ms(all[all.len() / 2]))
            })
            .collect();
        println!("  median per stage: {}", medians.join(", "));
        match peak_rss_bytes() {
            Some(bytes) => println!("  peak RSS since the load: {} MiB", bytes / (1 << 20)),
            None => println!("  peak RSS: not reported by this OS"),
        }
    }
    Ok(())
}
