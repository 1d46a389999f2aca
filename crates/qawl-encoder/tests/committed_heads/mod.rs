//! The heads committed under `models/heads/`, with the encoder hash they must have been trained
//! on (the built-in model manifest's pin).

use std::path::Path;

use anyhow::Context;
use qawl_encoder::{HeadFiles, ModelManifest, ModelRole};

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
