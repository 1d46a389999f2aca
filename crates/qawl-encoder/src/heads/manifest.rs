//! A trained head's `manifest.json`: what the training script recorded about the adapter, the
//! head, the input format and the calibration. Serving reads only what it needs to reproduce
//! the training forward pass; everything else (data, metrics) stays in the file for people.

use std::path::Path;

use serde::Deserialize;

use crate::error::{EncoderError, Result};

/// How the head turns last-layer hidden states into its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Mean over every real token (how e5 pools a single text).
    Mean,
    /// Pairs `<s> A </s></s> B </s>`: a = mean over A's tokens, b = mean over B's, and the head
    /// reads `[a, b, |a - b|, a * b]`.
    Segments,
    /// One prediction per token (a tagger).
    PerToken,
}

impl Pooling {
    /// Width of the head's input for hidden states `hidden` wide.
    pub fn head_input_width(self, hidden: usize) -> usize {
        match self {
            Pooling::Segments => 4 * hidden,
            Pooling::Mean | Pooling::PerToken => hidden,
        }
    }
}

/// The LoRA adapter's shape: `y = W x + b + scaling · B (A x)` on the named layers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LoraSpec {
    /// Rank.
    pub r: usize,
    /// `alpha / r`, as the training library applied it.
    pub scaling: f64,
    /// Encoder layers that carry adapters.
    pub layers: Vec<usize>,
}

#[derive(Debug, Deserialize)]
struct RawManifest {
    task: String,
    labels: Vec<String>,
    kind: String,
    pooling: String,
    prefix: String,
    max_len: usize,
    frozen_layers: Vec<usize>,
    lora: LoraSpec,
    temperature: f64,
    model_sha256: String,
    #[serde(default)]
    tokenizer_sha256: Option<String>,
    base_model: BaseModel,
}

#[derive(Debug, Deserialize)]
struct BaseModel {
    sha256: String,
}

/// What serving needs from a head's manifest, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadManifest {
    /// `stance`, `claim` or `ner`.
    pub task: String,
    /// Output labels, in logit order.
    pub labels: Vec<String>,
    /// How hidden states reach the head.
    pub pooling: Pooling,
    /// Text prepended to every input (e5's `"query: "`).
    pub prefix: String,
    /// Truncation limit in tokens, special tokens included.
    pub max_len: usize,
    /// Number of bottom layers left as the base model has them (0..depth); adapters sit above.
    pub frozen_depth: usize,
    /// The adapter's shape.
    pub lora: LoraSpec,
    /// Logits are divided by this before the softmax (fitted on a dev split).
    pub temperature: f32,
    /// sha256 of `model.safetensors`.
    pub weights_sha256: String,
    /// sha256 of the base `E5S1` file the adapter was trained on.
    pub base_sha256: String,
    /// sha256 of the tokenizer the training used, when recorded.
    pub tokenizer_sha256: Option<String>,
}

impl HeadManifest {
    /// Parses and checks a manifest; `origin` names it in errors.
    pub fn parse(origin: &Path, text: &str) -> Result<Self> {
        let invalid = |reason: String| EncoderError::Corrupt {
            path: origin.to_path_buf(),
            format: "head manifest.json",
            reason,
        };
        let raw: RawManifest =
            serde_json::from_str(text).map_err(|error| invalid(error.to_string()))?;
        let pooling = match (raw.kind.as_str(), raw.pooling.as_str()) {
            ("token", _) => Pooling::PerToken,
            ("sequence", pooling) if pooling.starts_with("segments") => Pooling::Segments,
            ("sequence", pooling) if pooling.starts_with("mean") => Pooling::Mean,
            (kind, pooling) => {
                return Err(invalid(format!(
                    "unsupported head kind {kind:?} with pooling {pooling:?}"
                )))
            }
        };
        if raw.labels.len() < 2 {
            return Err(invalid("a head needs at least two labels".into()));
        }
        let frozen_depth = raw.frozen_layers.len();
        if raw.frozen_layers.iter().enumerate().any(|(i, &l)| i != l) {
            return Err(invalid(format!(
                "frozen_layers must be 0..k in order, got {:?}",
                raw.frozen_layers
            )));
        }
        if let Some(low) = raw.lora.layers.iter().find(|&&l| l < frozen_depth) {
            return Err(invalid(format!(
                "LoRA layer {low} lies inside the frozen layers 0..{frozen_depth}"
            )));
        }
        if !(raw.temperature.is_finite() && raw.temperature > 0.0) {
            return Err(invalid(format!(
                "temperature must be positive, got {}",
                raw.temperature
            )));
        }
        if raw.max_len < 3 {
            return Err(invalid(format!("max_len {} is too small", raw.max_len)));
        }
        Ok(Self {
            task: raw.task,
            labels: raw.labels,
            pooling,
            prefix: raw.prefix,
            max_len: raw.max_len,
            frozen_depth,
            lora: raw.lora,
            temperature: raw.temperature as f32,
            weights_sha256: raw.model_sha256,
            base_sha256: raw.base_model.sha256,
            tokenizer_sha256: raw.tokenizer_sha256,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STANCE: &str = include_str!("../../../../models/heads/stance/manifest.json");
    const NER: &str = include_str!("../../../../models/heads/ner/manifest.json");

    #[test]
    fn committed_manifests_parse_into_what_serving_needs() -> Result<()> {
        let stance = HeadManifest::parse(Path::new("stance"), STANCE)?;
        assert_eq!(stance.pooling, Pooling::Segments);
        assert_eq!(stance.labels.len(), 3);
        assert_eq!(stance.prefix, "query: ");
        assert!(stance.frozen_depth <= stance.lora.layers[0]);
        let ner = HeadManifest::parse(Path::new("ner"), NER)?;
        assert_eq!(ner.pooling, Pooling::PerToken);
        assert_eq!(ner.labels[0], "O");
        Ok(())
    }

    #[test]
    fn a_manifest_the_runtime_cannot_honour_is_refused_with_the_reason() {
        let unknown_kind = STANCE.replace("\"kind\": \"sequence\"", "\"kind\": \"span\"");
        let error = HeadManifest::parse(Path::new("m.json"), &unknown_kind)
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("m.json") && e.contains("span")));
        let mut bad_temperature: serde_json::Value =
            serde_json::from_str(STANCE).expect("the committed manifest is JSON");
        bad_temperature["temperature"] = serde_json::json!(-1.0);
        let error = HeadManifest::parse(Path::new("m.json"), &bad_temperature.to_string())
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("temperature")));
        assert!(HeadManifest::parse(Path::new("m.json"), "{").is_err());
    }
}
