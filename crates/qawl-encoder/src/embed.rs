//! Sentence embeddings: tokenize, batch, forward, mean-pool over the mask, L2-normalise.

use std::path::Path;

use candle_core::{DType, Device, Tensor, D};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::BertModel;

use crate::batch::TokenBatch;
use crate::device::RuntimeOptions;
use crate::e5s1::E5s1File;
use crate::error::{EncoderError, Result};
use crate::fast::FastBertForward;
use crate::forward::{BertForward, EncoderForward, ForwardKind};
use crate::tokenize::{EncodedText, TextTokenizer, MAX_MODEL_TOKENS};

/// The prefix e5 models expect before a text that is embedded for similarity or search.
pub const E5_QUERY_PREFIX: &str = "query: ";

/// A unit-length sentence vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    /// The components, L2 norm 1 (or all zero for a degenerate input).
    pub vector: Vec<f32>,
    /// True when the text was cut to the token limit before embedding.
    pub truncated: bool,
}

impl Embedding {
    /// Cosine similarity with another embedding (both are unit length, so a dot product).
    pub fn cosine(&self, other: &Embedding) -> f32 {
        self.vector
            .iter()
            .zip(&other.vector)
            .map(|(a, b)| a * b)
            .sum()
    }
}

/// A text encoder: tokenizer plus transformer, producing mean-pooled, normalised embeddings.
pub struct TextEncoder {
    tokenizer: TextTokenizer,
    forward: Box<dyn EncoderForward>,
    device: Device,
}

impl std::fmt::Debug for TextEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextEncoder")
            .field("tokenizer", &self.tokenizer.path())
            .field("hidden_size", &self.forward.hidden_size())
            .field("device", &self.device)
            .finish()
    }
}

impl TextEncoder {
    /// Assembles an encoder from parts (e.g. a faster [`EncoderForward`]).
    pub fn new(tokenizer: TextTokenizer, forward: Box<dyn EncoderForward>, device: Device) -> Self {
        Self {
            tokenizer,
            forward,
            device,
        }
    }

    /// Loads multilingual-e5-small from its `E5S1` file (dequantized to the chosen precision) and
    /// its `tokenizer.json`, with the implementation [`ForwardKind::from_env`] names (the fast
    /// one unless `QAWL_ENCODER=candle`).
    pub fn load_e5(encoder: &Path, tokenizer: &Path, options: RuntimeOptions) -> Result<Self> {
        Self::load_e5_with(encoder, tokenizer, options, ForwardKind::from_env()?)
    }

    /// [`TextEncoder::load_e5`] with an explicit implementation (benchmarks, parity tests).
    pub fn load_e5_with(
        encoder: &Path,
        tokenizer: &Path,
        options: RuntimeOptions,
        kind: ForwardKind,
    ) -> Result<Self> {
        if let Some(reason) = options.unsupported_because(true) {
            return Err(EncoderError::InvalidInput(format!(
                "{} {}: {reason}",
                options.precision, options.device
            )));
        }
        let file = E5s1File::open(encoder)?;
        let config = file.bert_config();
        let tokenizer = TextTokenizer::from_file(
            tokenizer,
            config.max_position_embeddings.min(MAX_MODEL_TOKENS),
        )?;
        let device = options.device.open()?;
        let forward: Box<dyn EncoderForward> = match kind.resolve(options)? {
            ForwardKind::Fast => {
                let (tensors, words) = file.fast_tensors()?;
                drop(file);
                Box::new(FastBertForward::from_parts(
                    &tensors,
                    words,
                    &config,
                    options.precision,
                )?)
            }
            ForwardKind::Candle => {
                let tensors = file.bert_tensors()?;
                drop(file);
                let vb = VarBuilder::from_tensors(tensors, options.precision.dtype(), &device);
                let model = BertModel::load(vb, &config).map_err(EncoderError::tensor(format!(
                    "{}: building the BERT model",
                    encoder.display()
                )))?;
                Box::new(BertForward::new(model, config.hidden_size))
            }
        };
        Ok(Self::new(tokenizer, forward, device))
    }

    /// The tokenizer, to encode inputs once and batch them later.
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// The device the model runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Width of the embeddings.
    pub fn hidden_size(&self) -> usize {
        self.forward.hidden_size()
    }

    /// Pads already-tokenized inputs into a batch on this encoder's device.
    pub fn batch(&self, items: &[&EncodedText]) -> Result<TokenBatch> {
        TokenBatch::new(items, self.tokenizer.pad_id(), &self.device)
    }

    /// Last-layer hidden states `[batch, seq, hidden]`, for task heads built on this encoder.
    pub fn hidden_states(&self, batch: &TokenBatch) -> Result<Tensor> {
        self.forward.forward(batch)
    }

    /// Embeds already-tokenized inputs (one forward pass over the padded batch).
    pub fn embed_encoded(&self, items: &[&EncodedText]) -> Result<Vec<Embedding>> {
        let batch = self.batch(items)?;
        let hidden = self.hidden_states(&batch)?;
        let vectors = mean_pool_normalised(&hidden, &batch.attention_mask)
            .map_err(EncoderError::tensor("pooling the hidden states"))?;
        Ok(vectors
            .into_iter()
            .zip(items)
            .map(|(vector, item)| Embedding {
                vector,
                truncated: item.truncated,
            })
            .collect())
    }

    /// Tokenizes and embeds `texts` in one batch; `prefix` is e.g. [`E5_QUERY_PREFIX`].
    pub fn embed(&self, texts: &[&str], prefix: Option<&str>) -> Result<Vec<Embedding>> {
        let encoded = texts
            .iter()
            .map(|text| self.tokenizer.encode(text, prefix))
            .collect::<Result<Vec<_>>>()?;
        self.embed_encoded(&encoded.iter().collect::<Vec<_>>())
    }
}

/// Mean over unmasked positions, then division by the L2 norm, computed in f32.
fn mean_pool_normalised(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Vec<Vec<f32>>> {
    let hidden = hidden.to_dtype(DType::F32)?;
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(D::Minus1)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?.clamp(1f32, f32::MAX)?;
    let mean = summed.broadcast_div(&counts)?;
    let norms = mean
        .sqr()?
        .sum_keepdim(1)?
        .sqrt()?
        .clamp(1e-12f32, f32::MAX)?;
    mean.broadcast_div(&norms)?.to_vec2()
}
