//! The encoder's hot path behind one small trait, so faster implementations can replace it.

use candle_core::Tensor;
use candle_transformers::models::bert::BertModel;

use crate::batch::TokenBatch;
use crate::error::{EncoderError, Result};

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
