//! What a Hugging Face `config.json` says: backbone, head and labels.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{EncoderError, Result};

/// Transformer backbones we can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Architecture {
    /// BERT (also multilingual-e5 and MiniLM checkpoints).
    Bert,
    /// XLM-RoBERTa (and RoBERTa, which shares its layout).
    XlmRoberta,
    /// DeBERTa-v2/v3 (e.g. mDeBERTa-v3).
    DebertaV2,
}

/// Task heads we can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeadKind {
    /// One label distribution per input (also for sentence pairs, e.g. NLI).
    SequenceClassification,
    /// One label distribution per token (e.g. BIO entity tags).
    TokenClassification,
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bert => "bert",
            Self::XlmRoberta => "xlm-roberta",
            Self::DebertaV2 => "deberta-v2",
        })
    }
}

impl fmt::Display for HeadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SequenceClassification => "sequence-classification",
            Self::TokenClassification => "token-classification",
        })
    }
}

/// The `architectures` values we accept, with what they mean.
const SUPPORTED: [(&str, Architecture, HeadKind); 8] = [
    (
        "BertForSequenceClassification",
        Architecture::Bert,
        HeadKind::SequenceClassification,
    ),
    (
        "BertForTokenClassification",
        Architecture::Bert,
        HeadKind::TokenClassification,
    ),
    (
        "XLMRobertaForSequenceClassification",
        Architecture::XlmRoberta,
        HeadKind::SequenceClassification,
    ),
    (
        "XLMRobertaForTokenClassification",
        Architecture::XlmRoberta,
        HeadKind::TokenClassification,
    ),
    (
        "RobertaForSequenceClassification",
        Architecture::XlmRoberta,
        HeadKind::SequenceClassification,
    ),
    (
        "RobertaForTokenClassification",
        Architecture::XlmRoberta,
        HeadKind::TokenClassification,
    ),
    (
        "DebertaV2ForSequenceClassification",
        Architecture::DebertaV2,
        HeadKind::SequenceClassification,
    ),
    (
        "DebertaV2ForTokenClassification",
        Architecture::DebertaV2,
        HeadKind::TokenClassification,
    ),
];

/// A parsed `config.json`.
#[derive(Debug, Clone)]
pub struct CheckpointConfig {
    path: PathBuf,
    raw: Map<String, Value>,
    /// The backbone.
    pub architecture: Architecture,
    /// The head.
    pub head: HeadKind,
    /// Label names by class index (from `id2label`).
    pub labels: Vec<String>,
}

impl CheckpointConfig {
    /// Reads and checks `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| EncoderError::io(path, "read", e))?;
        Self::parse(path, &text)
    }

    /// Parses config text; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let corrupt = |reason: String| EncoderError::Corrupt {
            path: path.to_path_buf(),
            format: "config.json",
            reason,
        };
        let raw: Map<String, Value> =
            serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
        let names: Vec<&str> = raw
            .get("architectures")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let (architecture, head) = names
            .iter()
            .find_map(|name| {
                SUPPORTED
                    .iter()
                    .find(|(known, _, _)| known == name)
                    .map(|&(_, arch, head)| (arch, head))
            })
            .ok_or_else(|| EncoderError::Unsupported {
                path: path.to_path_buf(),
                reason: format!(
                    "architectures {names:?}; supported: {}",
                    SUPPORTED.map(|(name, _, _)| name).join(", ")
                ),
            })?;
        let labels = labels(&raw).map_err(corrupt)?;
        Ok(Self {
            path: path.to_path_buf(),
            raw,
            architecture,
            head,
            labels,
        })
    }

    /// The file this came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `pad_token_id`, used to pad batches when the checkpoint has no tokenizer.
    pub fn pad_token_id(&self) -> u32 {
        self.raw
            .get("pad_token_id")
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0)
    }

    /// The config as one of candle-transformers' config structs, with `defaults` filled in for keys
    /// that newer `transformers` versions no longer write.
    pub(crate) fn candle_config<T: DeserializeOwned>(
        &self,
        defaults: &[(&str, Value)],
    ) -> Result<T> {
        let mut raw = self.raw.clone();
        for (key, value) in defaults {
            if raw.get(*key).is_none_or(Value::is_null) {
                raw.insert((*key).to_string(), value.clone());
            }
        }
        serde_json::from_value(Value::Object(raw)).map_err(|e| EncoderError::Corrupt {
            path: self.path.clone(),
            format: "config.json",
            reason: format!("{} settings: {e}", self.architecture),
        })
    }
}

/// `id2label` as a dense list; without it, `num_labels` generic names.
fn labels(raw: &Map<String, Value>) -> std::result::Result<Vec<String>, String> {
    if let Some(map) = raw.get("id2label").and_then(Value::as_object) {
        let mut labels = vec![None; map.len()];
        for (id, name) in map {
            let index: usize = id
                .parse()
                .ok()
                .filter(|&i| i < labels.len())
                .ok_or_else(|| {
                    format!("id2label key {id:?} is not an index below {}", labels.len())
                })?;
            let name = name
                .as_str()
                .ok_or_else(|| format!("id2label[{id}] is not a string"))?;
            labels[index] = Some(name.to_string());
        }
        let labels: Vec<String> = labels.into_iter().flatten().collect();
        if labels.len() != map.len() || labels.is_empty() {
            return Err("id2label must map 0..n to label names".into());
        }
        return Ok(labels);
    }
    match raw.get("num_labels").and_then(Value::as_u64) {
        Some(n) if (1..=10_000).contains(&n) => Ok((0..n).map(|i| format!("LABEL_{i}")).collect()),
        _ => Err("neither id2label nor num_labels says how many labels the head has".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsupported_architecture_names_config_json() {
        let text = r#"{"architectures": ["GPT2LMHeadModel"], "id2label": {"0": "a"}}"#;
        let err = CheckpointConfig::parse(Path::new("/m/config.json"), text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("/m/config.json") && err.contains("GPT2LMHeadModel"),
            "{err}"
        );
    }

    #[test]
    fn labels_come_from_id2label_in_index_order() -> Result<()> {
        let text = r#"{"architectures": ["BertForTokenClassification"],
                       "id2label": {"1": "B-PER", "0": "O", "2": "I-PER"}}"#;
        let config = CheckpointConfig::parse(Path::new("config.json"), text)?;
        assert_eq!(config.labels, ["O", "B-PER", "I-PER"]);
        assert_eq!(config.head, HeadKind::TokenClassification);
        Ok(())
    }

    #[test]
    fn gapped_label_ids_are_rejected() {
        let text = r#"{"architectures": ["BertForTokenClassification"], "id2label": {"0": "O", "5": "X"}}"#;
        assert!(CheckpointConfig::parse(Path::new("config.json"), text).is_err());
    }
}
