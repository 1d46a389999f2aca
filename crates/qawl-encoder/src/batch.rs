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
        if items
            .iter()
            .any(|item| item.type_ids.len() != item.ids.len())
        {
            return Err(EncoderError::InvalidInput(
                "type ids and token ids differ in length".into(),
            ));
        }
        let rows: Vec<(&[u32], &[u32])> = items
            .iter()
            .map(|item| (item.ids.as_slice(), item.type_ids.as_slice()))
            .collect();
        Self::from_rows(&rows, pad_id, device)
    }

    /// Pads bare id sequences, every segment id 0 (how the qawl heads were trained).
    pub fn from_ids(ids: &[&[u32]], pad_id: u32, device: &Device) -> Result<Self> {
        let zeros = vec![0u32; ids.iter().map(|ids| ids.len()).max().unwrap_or(0)];
        let rows: Vec<(&[u32], &[u32])> =
            ids.iter().map(|ids| (*ids, &zeros[..ids.len()])).collect();
        Self::from_rows(&rows, pad_id, device)
    }

    /// Rows of (ids, type ids) of equal lengths.
    fn from_rows(items: &[(&[u32], &[u32])], pad_id: u32, device: &Device) -> Result<Self> {
        let longest = items.iter().map(|(ids, _)| ids.len()).max().unwrap_or(0);
        if items.iter().any(|(ids, _)| ids.is_empty()) || longest == 0 {
            return Err(EncoderError::InvalidInput(
                "a batch needs at least one input, and every input at least one token".into(),
            ));
        }
        let rows = items.len();
        let mut ids = Vec::with_capacity(rows * longest);
        let mut types = Vec::with_capacity(rows * longest);
        let mut mask = Vec::with_capacity(rows * longest);
        for (item_ids, item_types) in items {
            let pad = longest - item_ids.len();
            ids.extend(
                item_ids
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(pad_id, pad)),
            );
            types.extend(
                item_types
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, pad)),
            );
            mask.extend(
                std::iter::repeat_n(1u32, item_ids.len()).chain(std::iter::repeat_n(0, pad)),
            );
        }
        let tensor = |data: Vec<u32>| {
            Tensor::from_vec(data, (rows, longest), device)
                .map_err(EncoderError::tensor("building the token batch"))
        };
        Ok(Self {
            input_ids: tensor(ids)?,
            type_ids: tensor(types)?,
            attention_mask: tensor(mask)?,
            lengths: items.iter().map(|(ids, _)| ids.len()).collect(),
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
