//! The heads committed under `models/heads/`, with the encoder hash they must have been trained
//! on (the built-in model manifest's pin), and the dev predictions the training script made.

use std::path::Path;

use anyhow::Context;
use qawl_encoder::{HeadFiles, HeadInput, ModelManifest, ModelRole};
use serde::Deserialize;

/// (the pinned encoder sha256, the stance, claim and NER head folders) under `repo`.
pub fn committed_heads(repo: &Path) -> anyhow::Result<(String, Vec<HeadFiles>)> {
    let pin = ModelManifest::builtin()?
        .entry(ModelRole::Encoder)
        .context("no encoder in the built-in manifest")?
        .sha256
        .clone();
    let heads = ["stance", "claim", "ner"]
        .iter()
        .map(|task| HeadFiles::from_folder(&repo.join("models/heads").join(task)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((pin, heads))
}

/// One row of a head's `dev_predictions.jsonl`: the input ids and what PyTorch computed.
#[derive(Deserialize)]
#[allow(dead_code)] // each test binary reads the fields it compares
pub struct Reference {
    pub id: String,
    pub input_ids: Vec<u32>,
    pub logits: serde_json::Value,
    pub probabilities: serde_json::Value,
}

/// The committed dev predictions of `task` (`stance`, `claim`, `ner`).
#[allow(dead_code)] // not every test binary that shares this module reads them
pub fn references(task: &str) -> anyhow::Result<Vec<Reference>> {
    let path = super::real_model::repo()
        .join("models/heads")
        .join(task)
        .join("dev_predictions.jsonl");
    std::fs::read_to_string(&path)
        .with_context(|| path.display().to_string())?
        .lines()
        .map(|line| Ok(serde_json::from_str(line)?))
        .collect()
}

/// Nested JSON number arrays, flattened (NaN for anything else).
#[allow(dead_code)] // not every test binary that shares this module reads them
pub fn flat(value: &serde_json::Value) -> Vec<f32> {
    match value {
        serde_json::Value::Array(items) => items.iter().flat_map(flat).collect(),
        serde_json::Value::Number(n) => vec![n.as_f64().unwrap_or(f64::NAN) as f32],
        _ => vec![f32::NAN],
    }
}

/// Head `head`'s inputs for reference rows `rows`, in order.
#[allow(dead_code)] // not every test binary that shares this module runs heads on them
pub fn head_inputs(head: usize, rows: &[Reference]) -> Vec<HeadInput<'_>> {
    rows.iter()
        .map(|row| HeadInput {
            head,
            ids: &row.input_ids,
        })
        .collect()
}
