//! A loaded classification checkpoint: config, optional tokenizer, and backbone + head.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use super::config::{Architecture, CheckpointConfig, HeadKind};
use super::heads::{self, ClassifierForward};
use super::source::CheckpointFiles;
use crate::batch::TokenBatch;
use crate::device::RuntimeOptions;
use crate::error::{EncoderError, Result};
use crate::tokenize::{EncodedText, TextTokenizer, MAX_MODEL_TOKENS};

/// A sequence- or token-classification model from a Hugging Face checkpoint.
pub struct ClassifierModel {
    config: CheckpointConfig,
    tokenizer: Option<TextTokenizer>,
    model: Box<dyn ClassifierForward>,
    device: Device,
}

impl std::fmt::Debug for ClassifierModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClassifierModel")
            .field("config", &self.config.path())
            .field("architecture", &self.config.architecture)
            .field("head", &self.config.head)
            .field("labels", &self.config.labels)
            .finish_non_exhaustive()
    }
}

impl ClassifierModel {
    /// Loads the checkpoint; the architecture and head come from `config.json`.
    pub fn load(files: &CheckpointFiles, options: RuntimeOptions) -> Result<Self> {
        let config = CheckpointConfig::from_file(&files.config)?;
        if let Some(reason) = options.unsupported_because(config.architecture == Architecture::Bert)
        {
            return Err(EncoderError::Unsupported {
                path: files.config.clone(),
                reason: format!(
                    "{} {} for {}: {reason}",
                    options.precision, options.device, config.architecture
                ),
            });
        }
        let device = options.device.open()?;
        let tensors = candle_core::safetensors::load(&files.weights, &device).map_err(
            EncoderError::tensor(format!("{}: reading safetensors", files.weights.display())),
        )?;
        let vb = VarBuilder::from_tensors(tensors, options.precision.dtype(), &device);
        let model = heads::build(&config, vb)?;
        let tokenizer = files
            .tokenizer
            .as_deref()
            .map(|path| TextTokenizer::from_file(path, MAX_MODEL_TOKENS))
            .transpose()?;
        Ok(Self {
            config,
            tokenizer,
            model,
            device,
        })
    }

    /// The backbone.
    pub fn architecture(&self) -> Architecture {
        self.config.architecture
    }

    /// The head.
    pub fn head(&self) -> HeadKind {
        self.config.head
    }

    /// Label names by class index.
    pub fn labels(&self) -> &[String] {
        &self.config.labels
    }

    /// The checkpoint's tokenizer, when it ships one.
    pub fn tokenizer(&self) -> Option<&TextTokenizer> {
        self.tokenizer.as_ref()
    }

    /// The tokenizer, or an error naming the missing file.
    pub fn require_tokenizer(&self) -> Result<&TextTokenizer> {
        self.tokenizer
            .as_ref()
            .ok_or_else(|| EncoderError::Missing {
                path: self.config.path().with_file_name("tokenizer.json"),
                hint: "this checkpoint has no tokenizer; pass token ids or add tokenizer.json"
                    .into(),
            })
    }

    /// Pads inputs into a batch on this model's device.
    pub fn batch(&self, items: &[&EncodedText]) -> Result<TokenBatch> {
        let pad = self
            .tokenizer
            .as_ref()
            .map_or(self.config.pad_token_id(), TextTokenizer::pad_id);
        TokenBatch::new(items, pad, &self.device)
    }

    /// Raw logits in f32: `[batch, labels]` for sequence heads, `[batch, seq, labels]` for token heads.
    pub fn logits(&self, batch: &TokenBatch) -> Result<Tensor> {
        self.model
            .logits(batch)
            .and_then(|t| t.to_dtype(DType::F32))
            .map_err(EncoderError::tensor(format!(
                "{}: {} {} forward pass",
                self.config.path().display(),
                self.config.architecture,
                self.config.head
            )))
    }

    /// Per input, the logits of a sequence head.
    pub fn sequence_logits(&self, batch: &TokenBatch) -> Result<Vec<Vec<f32>>> {
        self.expect_head(HeadKind::SequenceClassification)?;
        self.logits(batch)?
            .to_vec2()
            .map_err(EncoderError::tensor("reading logits"))
    }

    /// Per input and per real (unpadded) token, the logits of a token head.
    pub fn token_logits(&self, batch: &TokenBatch) -> Result<Vec<Vec<Vec<f32>>>> {
        self.expect_head(HeadKind::TokenClassification)?;
        let all: Vec<Vec<Vec<f32>>> = self
            .logits(batch)?
            .to_vec3()
            .map_err(EncoderError::tensor("reading logits"))?;
        Ok(all
            .into_iter()
            .zip(batch.lengths())
            .map(|(mut rows, &len)| {
                rows.truncate(len);
                rows
            })
            .collect())
    }

    fn expect_head(&self, head: HeadKind) -> Result<()> {
        if self.config.head == head {
            Ok(())
        } else {
            Err(EncoderError::InvalidInput(format!(
                "{} has a {} head, not {head}",
                self.config.path().display(),
                self.config.head
            )))
        }
    }
}
