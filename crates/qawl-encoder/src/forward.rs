//! The encoder's hot path behind one small trait, so faster implementations can replace it.

use candle_core::Tensor;
use candle_transformers::models::bert::BertModel;

use crate::batch::TokenBatch;
use crate::device::{DeviceChoice, Precision, RuntimeOptions};
use crate::error::{EncoderError, Result};

/// Environment variable choosing the BERT implementation: `fast` (default) or `candle`.
pub const ENCODER_IMPL_ENV: &str = "QAWL_ENCODER";

/// Which implementation runs BERT-family layers (e5-small and the heads on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardKind {
    /// [`crate::FastBertForward`]: fused CPU kernels, padding-free attention (f32 on the CPU;
    /// other devices and precisions fall back to candle).
    #[default]
    Fast,
    /// candle-transformers' `BertModel`, the reference.
    Candle,
}

impl ForwardKind {
    /// The choice in [`ENCODER_IMPL_ENV`]; unset or empty means [`ForwardKind::Fast`].
    pub fn from_env() -> Result<Self> {
        match std::env::var(ENCODER_IMPL_ENV) {
            Err(_) => Ok(Self::Fast),
            Ok(value) => match value.as_str() {
                "" | "fast" => Ok(Self::Fast),
                "candle" => Ok(Self::Candle),
                other => Err(EncoderError::InvalidInput(format!(
                    "{ENCODER_IMPL_ENV}={other:?}; expected fast or candle"
                ))),
            },
        }
    }

    /// What actually runs with `options`: the fast path exists for f32 and int8 on the CPU
    /// only, and int8 exists in the fast path only.
    pub(crate) fn resolve(self, options: RuntimeOptions) -> Result<Self> {
        match (self, options.device, options.precision) {
            (Self::Fast, DeviceChoice::Cpu, Precision::F32 | Precision::Int8) => Ok(Self::Fast),
            (Self::Candle, _, Precision::Int8) => Err(EncoderError::InvalidInput(format!(
                "int8 runs in the fast encoder only; unset {ENCODER_IMPL_ENV}=candle or use f32"
            ))),
            _ => Ok(Self::Candle),
        }
    }
}

/// Runs a transformer encoder over a padded batch and returns hidden states `[batch, seq, hidden]`.
pub trait EncoderForward: Send + Sync {
    /// The last layer's hidden states; values at padding positions are unspecified.
    fn forward(&self, batch: &TokenBatch) -> Result<Tensor>;

    /// Width of the hidden states.
    fn hidden_size(&self) -> usize;
}

/// candle-transformers' `BertModel` (also the backbone of e5-small).
pub struct BertForward {
    model: BertModel,
    hidden_size: usize,
}

impl BertForward {
    /// Wraps a loaded model whose hidden states are `hidden_size` wide.
    pub fn new(model: BertModel, hidden_size: usize) -> Self {
        Self { model, hidden_size }
    }
}

impl std::fmt::Debug for BertForward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BertForward")
            .field("hidden_size", &self.hidden_size)
            .finish_non_exhaustive()
    }
}

impl EncoderForward for BertForward {
    fn forward(&self, batch: &TokenBatch) -> Result<Tensor> {
        self.model
            .forward(
                &batch.input_ids,
                &batch.type_ids,
                Some(&batch.attention_mask),
            )
            .map_err(EncoderError::tensor("BERT forward pass"))
    }

    fn hidden_size(&self) -> usize {
        self.hidden_size
    }
}
