//! The layers a [`super::HeadedEncoder`] runs: the shared trunk (embeddings and the frozen
//! bottom layers) and each head's branch (its LoRA-merged top layers), in either implementation
//! ([`ForwardKind`]): the fast CPU one over packed rows, or candle's `BertModel` over a padded
//! batch.

use std::collections::HashMap;

use candle_core::{DType, Device, Error, Result, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertEncoder, BertModel, Config};

use crate::batch::TokenBatch;
use crate::device::Precision;
use crate::fast::{
    from_map, ActivationRanges, FastEmbeddings, FastStack, LayerShape, PackedStates, Q4Rows,
};
use crate::forward::ForwardKind;

/// Embeddings and layers `0..depth` of the base model.
pub(super) enum Trunk {
    Candle(BertModel),
    Fast(FastEmbeddings, FastStack),
}

/// A head's own top layers, in the trunk's implementation.
pub(super) enum Branch {
    Candle(BertEncoder),
    Fast(FastStack),
}

/// The trunk's output for the distinct inputs of one run.
pub(super) enum TrunkStates {
    Candle { hidden: Tensor, batch: TokenBatch },
    Fast(PackedStates),
}

impl Trunk {
    /// Embeddings and layers `0..depth` from the base model's Hugging Face tensors (and the
    /// word embeddings as stored, when the fast path has them apart).
    pub fn load(
        base: &HashMap<String, Tensor>,
        words: Option<Q4Rows>,
        config: &Config,
        depth: usize,
        kind: ForwardKind,
        precision: Precision,
        device: &Device,
    ) -> Result<Self> {
        let dtype = precision.dtype();
        match kind {
            ForwardKind::Fast => {
                let shape = LayerShape::of(config)?.with_precision(precision);
                let get = from_map(base);
                Ok(Self::Fast(
                    FastEmbeddings::load(&get, words, shape)?,
                    FastStack::load(
                        &get,
                        "encoder.layer.",
                        0..depth,
                        (shape, ActivationRanges::bundled()),
                    )?,
                ))
            }
            ForwardKind::Candle => {
                let mut trunk_config = config.clone();
                trunk_config.num_hidden_layers = depth;
                Ok(Self::Candle(BertModel::load(
                    VarBuilder::from_tensors(base.clone(), dtype, device),
                    &trunk_config,
                )?))
            }
        }
    }

    /// The trunk over the distinct id sequences (segment ids 0, as the heads were trained).
    pub fn forward(
        &self,
        distinct: &[&[u32]],
        pad_id: u32,
        device: &Device,
    ) -> Result<TrunkStates> {
        match self {
            Self::Candle(model) => {
                let batch = TokenBatch::from_ids(distinct, pad_id, device)
                    .map_err(|error| Error::Msg(error.to_string()))?;
                let hidden = model.forward(
                    &batch.input_ids,
                    &batch.type_ids,
                    Some(&batch.attention_mask),
                )?;
                Ok(TrunkStates::Candle { hidden, batch })
            }
            Self::Fast(embeddings, stack) => {
                let zeros = vec![0u32; distinct.iter().map(|ids| ids.len()).max().unwrap_or(0)];
                let sequences: Vec<(&[u32], &[u32])> = distinct
                    .iter()
                    .map(|ids| (*ids, &zeros[..ids.len()]))
                    .collect();
                Ok(TrunkStates::Fast(
                    stack.forward(&embeddings.forward(&sequences)?)?,
                ))
            }
        }
    }
}

impl Branch {
    /// `layers` layers named `layer.0..` in `tensors` (the head's merged copies).
    pub fn load(
        tensors: HashMap<String, Tensor>,
        config: &Config,
        layers: usize,
        kind: ForwardKind,
        precision: Precision,
        device: &Device,
    ) -> Result<Self> {
        let dtype = precision.dtype();
        match kind {
            ForwardKind::Fast => {
                let shape = LayerShape::of(config)?.with_precision(precision);
                // The heads' own layers keep 12-bit activations: no ranges measured for them.
                FastStack::load(&from_map(&tensors), "layer.", 0..layers, (shape, None))
                    .map(Self::Fast)
            }
            ForwardKind::Candle => {
                let mut branch_config = config.clone();
                branch_config.num_hidden_layers = layers;
                BertEncoder::load(
                    VarBuilder::from_tensors(tensors, dtype, device),
                    &branch_config,
                )
                .map(Self::Candle)
            }
        }
    }

    /// The branch over trunk rows `rows`: each row's final states, without padding.
    pub fn forward(&self, trunk: &TrunkStates, rows: &[usize]) -> Result<Vec<Vec<Vec<f32>>>> {
        match (self, trunk) {
            (Self::Candle(branch), TrunkStates::Candle { hidden, batch }) => {
                let states = candle_branch(branch, hidden, batch, rows)?;
                Ok(states
                    .into_iter()
                    .zip(rows)
                    .map(|(mut states, &row)| {
                        states.truncate(batch.lengths()[row]);
                        states
                    })
                    .collect())
            }
            (Self::Fast(branch), TrunkStates::Fast(packed)) => {
                branch.forward(&packed.select(rows)?)?.rows()
            }
            _ => Err(Error::Msg(
                "a head's layers and the trunk run in different implementations".into(),
            )),
        }
    }
}

/// candle's branch over the selected trunk rows, cut to their longest length.
fn candle_branch(
    branch: &BertEncoder,
    trunk: &Tensor,
    batch: &TokenBatch,
    rows: &[usize],
) -> Result<Vec<Vec<Vec<f32>>>> {
    let longest = rows.iter().map(|&r| batch.lengths()[r]).max().unwrap_or(1);
    let index = Tensor::from_vec(
        rows.iter().map(|&r| r as u32).collect::<Vec<_>>(),
        rows.len(),
        trunk.device(),
    )?;
    let hidden = trunk.index_select(&index, 0)?.narrow(1, 0, longest)?;
    let mask = batch
        .attention_mask
        .index_select(&index, 0)?
        .narrow(1, 0, longest)?;
    let hidden = branch.forward(&hidden, &extended_mask(&mask, hidden.dtype())?)?;
    hidden.to_dtype(DType::F32)?.to_vec3()
}

/// `[batch, seq]` 1/0 mask → additive `[batch, 1, 1, seq]` mask (0 or the dtype's minimum), as
/// Hugging Face's BERT builds it.
fn extended_mask(mask: &Tensor, dtype: DType) -> Result<Tensor> {
    let mask = mask.unsqueeze(1)?.unsqueeze(1)?.to_dtype(dtype)?;
    let minimum = Tensor::new(f32::MIN, mask.device())?.to_dtype(dtype)?;
    (mask.ones_like()? - &mask)?.broadcast_mul(&minimum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extended_mask_blocks_padding_only() -> Result<()> {
        let mask = Tensor::new(&[[1u32, 1, 0]], &Device::Cpu)?;
        let extended = extended_mask(&mask, DType::F32)?;
        assert_eq!(extended.dims(), [1, 1, 1, 3]);
        let values = extended.flatten_all()?.to_vec1::<f32>()?;
        assert_eq!(values[..2], [0.0, 0.0]);
        assert_eq!(values[2], f32::MIN);
        Ok(())
    }
}
