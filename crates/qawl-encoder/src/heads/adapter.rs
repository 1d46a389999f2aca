//! One trained head, loaded: its manifest, its LoRA deltas merged into the base weights of the
//! layers it adapts, and its linear read-out.
//!
//! Merging (`W' = W + scaling · B A`) once at load time makes serving cost exactly the base
//! model's: no extra matmuls per token, and the merged layers are ordinary BERT layers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use sha2::{Digest, Sha256};

use super::manifest::HeadManifest;
use super::readout::LinearHead;
use crate::error::{EncoderError, Result};

/// Where a head's two files come from: a folder, or bytes built into the binary.
#[derive(Debug, Clone)]
pub struct HeadFiles {
    /// Names the head in errors (a folder path, or e.g. `built-in stance`).
    pub origin: PathBuf,
    /// The text of `manifest.json`.
    pub manifest: String,
    /// The bytes of `model.safetensors`.
    pub weights: Vec<u8>,
}

impl HeadFiles {
    /// Reads `manifest.json` and `model.safetensors` from `folder`.
    pub fn from_folder(folder: &Path) -> Result<Self> {
        let read = |name: &str| {
            let path = folder.join(name);
            std::fs::read(&path).map_err(|source| {
                if source.kind() == std::io::ErrorKind::NotFound {
                    EncoderError::Missing {
                        path,
                        hint: "a head folder holds manifest.json and model.safetensors".into(),
                    }
                } else {
                    EncoderError::io(path, "read", source)
                }
            })
        };
        let manifest =
            String::from_utf8(read("manifest.json")?).map_err(|_| EncoderError::Corrupt {
                path: folder.join("manifest.json"),
                format: "head manifest.json",
                reason: "not UTF-8".into(),
            })?;
        Ok(Self {
            origin: folder.to_path_buf(),
            manifest,
            weights: read("model.safetensors")?,
        })
    }
}

/// A head ready to serve: base-model layer weights it replaces, and its read-out.
#[derive(Debug)]
pub(crate) struct LoadedAdapter {
    pub manifest: HeadManifest,
    /// Merged weights under Hugging Face names (`encoder.layer.L.<path>.weight`).
    pub merged: HashMap<String, Tensor>,
    pub head: LinearHead,
}

/// Parses the manifest and checks the weights' hash and the base model they were trained on
/// (cheap: run before the base model is loaded, so a bad head fails fast).
pub(crate) fn verify(files: &HeadFiles, base_sha256: &str) -> Result<HeadManifest> {
    let manifest_path = files.origin.join("manifest.json");
    let manifest = HeadManifest::parse(&manifest_path, &files.manifest)?;
    let actual = hex(&Sha256::digest(&files.weights));
    if actual != manifest.weights_sha256 {
        return Err(EncoderError::HashMismatch {
            path: files.origin.join("model.safetensors"),
            expected: manifest.weights_sha256,
            actual,
        });
    }
    if manifest.base_sha256 != base_sha256 {
        return Err(EncoderError::InvalidInput(format!(
            "{}: trained on base model sha256 {}, but the loaded base model is {base_sha256}; \
             the adapter would not match (retrain it, or load the model it was trained on)",
            manifest_path.display(),
            manifest.base_sha256
        )));
    }
    Ok(manifest)
}

/// Merges an adapter whose files [`verify`] accepted (giving `manifest`) into copies of the base
/// weights it touches.
pub(crate) fn load_adapter(
    files: &HeadFiles,
    manifest: HeadManifest,
    base: &HashMap<String, Tensor>,
    hidden_size: usize,
) -> Result<LoadedAdapter> {
    let weights_path = files.origin.join("model.safetensors");
    let corrupt = |reason: String| EncoderError::Corrupt {
        path: weights_path.clone(),
        format: "safetensors",
        reason,
    };
    let tensors = candle_core::safetensors::load_buffer(&files.weights, &Device::Cpu)
        .map_err(|error| corrupt(error.to_string()))?;

    let mut merged = HashMap::new();
    for (name, lora_a) in tensors.iter() {
        let Some(module) = name.strip_suffix(".lora_A") else {
            continue;
        };
        let layer = layer_of(module).ok_or_else(|| {
            corrupt(format!(
                "{name}: adapters must sit on encoder.layer.L.* modules"
            ))
        })?;
        if !manifest.lora.layers.contains(&layer) {
            return Err(corrupt(format!(
                "{name}: layer {layer} is not among the manifest's LoRA layers {:?}",
                manifest.lora.layers
            )));
        }
        let lora_b = tensors
            .get(&format!("{module}.lora_B"))
            .ok_or_else(|| corrupt(format!("{module}.lora_B is missing")))?;
        let weight_name = format!("{module}.weight");
        let weight = base
            .get(&weight_name)
            .ok_or_else(|| corrupt(format!("{name}: the base model has no {weight_name}")))?;
        let merge = || -> candle_core::Result<Tensor> {
            let delta = lora_b
                .to_dtype(DType::F32)?
                .matmul(&lora_a.to_dtype(DType::F32)?)?;
            weight
                .to_dtype(DType::F32)?
                .add(&(delta * manifest.lora.scaling)?)
        };
        let merged_weight = merge().map_err(|error| {
            corrupt(format!(
                "{module}: cannot merge lora_B {:?} · lora_A {:?} into {:?}: {error}",
                lora_b.dims(),
                lora_a.dims(),
                weight.dims()
            ))
        })?;
        merged.insert(weight_name, merged_weight);
    }
    let unknown = tensors
        .keys()
        .find(|name| {
            !(name.ends_with(".lora_A")
                || name.ends_with(".lora_B")
                || *name == "head.weight"
                || *name == "head.bias")
        })
        .cloned();
    if let Some(name) = unknown {
        return Err(corrupt(format!("unexpected tensor {name}")));
    }
    let head = read_head(&tensors, &manifest, hidden_size).map_err(corrupt)?;
    Ok(LoadedAdapter {
        manifest,
        merged,
        head,
    })
}

fn read_head(
    tensors: &HashMap<String, Tensor>,
    manifest: &HeadManifest,
    hidden_size: usize,
) -> std::result::Result<LinearHead, String> {
    let labels = manifest.labels.len();
    let width = manifest.pooling.head_input_width(hidden_size);
    let values = |name: &str, dims: &[usize]| -> std::result::Result<Vec<f32>, String> {
        let tensor = tensors.get(name).ok_or(format!("{name} is missing"))?;
        if tensor.dims() != dims {
            return Err(format!(
                "{name} has shape {:?}, expected {dims:?} ({labels} labels, {:?} pooling)",
                tensor.dims(),
                manifest.pooling
            ));
        }
        tensor
            .to_dtype(DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1())
            .map_err(|error| format!("{name}: {error}"))
    };
    Ok(LinearHead::new(
        values("head.weight", &[labels, width])?,
        values("head.bias", &[labels])?,
        width,
    ))
}

/// `encoder.layer.10.attention.self.query` → 10.
fn layer_of(module: &str) -> Option<usize> {
    module
        .strip_prefix("encoder.layer.")?
        .split('.')
        .next()?
        .parse()
        .ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapter_layers_are_read_from_module_names() {
        assert_eq!(layer_of("encoder.layer.10.attention.self.query"), Some(10));
        assert_eq!(layer_of("embeddings.word_embeddings"), None);
        assert_eq!(layer_of("encoder.layer.x.output.dense"), None);
    }

    #[test]
    fn a_missing_head_folder_names_the_file_and_what_belongs_there() {
        let error = HeadFiles::from_folder(Path::new("/nonexistent/stance"))
            .err()
            .map(|e| e.to_string());
        assert!(error
            .is_some_and(|e| e.contains("/nonexistent/stance/manifest.json")
                && e.contains("model.safetensors")));
    }
}
