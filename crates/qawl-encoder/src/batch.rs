//! A padded batch of tokenized inputs, as tensors on the model's device.

use candle_core::{Device, Tensor};

use crate::error::{EncoderError, Result};
use crate::tokenize::EncodedText;

/// Input ids, type ids and attention mask, each `[batch, longest]` (u32), right-padded.
#[derive(Debug, Clone)]
pub struct TokenBatch {
    /// Token ids; padding positions hold the tokenizer's pad id.
    pub input_ids: Tensor,
    /// Segment ids; 0 at padding.
    pub type_ids: Tensor,
    /// 1 for real tokens, 0 for padding.
    pub attention_mask: Tensor,
    lengths: Vec<usize>,
}

impl TokenBatch {
    /// Pads `items` to the longest one. An empty batch or an input without tokens is an error.
    pub fn new(items: &[&EncodedText], pad_id: u32, device: &Device) -> Result<Self> {
        let longest = items.iter().map(|item| item.len()).max().unwrap_or(0);
        if items.iter().any(|item| item.is_empty()) || longest == 0 {
            return Err(EncoderError::InvalidInput(
                "a batch needs at least one input, and every input at least one token".into(),
            ));
        }
        if items
            .iter()
            .any(|item| item.type_ids.len() != item.ids.len())
        {
            return Err(EncoderError::InvalidInput(
                "type ids and token ids differ in length".into(),
            ));
        }
        let rows = items.len();
        let mut ids = Vec::with_capacity(rows * longest);
        let mut types = Vec::with_capacity(rows * longest);
        let mut mask = Vec::with_capacity(rows * longest);
        for item in items {
            let pad = longest - item.len();
            ids.extend(
                item.ids
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(pad_id, pad)),
            );
            types.extend(
                item.type_ids
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, pad)),
            );
            mask.extend(std::iter::repeat_n(1u32, item.len()).chain(std::iter::repeat_n(0, pad)));
        }
        let tensor = |data: Vec<u32>| {
            Tensor::from_vec(data, (rows, longest), device)
                .map_err(EncoderError::tensor("building the token batch"))
        };
        Ok(Self {
            input_ids: tensor(ids)?,
            type_ids: tensor(types)?,
            attention_mask: tensor(mask)?,
            lengths: items.iter().map(|item| item.len()).collect(),
        })
    }

    /// Unpadded length of each input, in batch order.
    pub fn lengths(&self) -> &[usize] {
        &self.lengths
    }

    /// Number of inputs.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// True for a batch without inputs (cannot be built; kept for API symmetry).
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// Padded sequence length.
    pub fn padded_len(&self) -> usize {
        self.lengths.iter().copied().max().unwrap_or(0)
    }

    /// Tokens the model computes over, padding included (the cost of the batch).
    pub fn padded_tokens(&self) -> usize {
        self.len() * self.padded_len()
    }
}
