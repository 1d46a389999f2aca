//! The fast BERT encoder: embeddings and a stack of [`FastLayer`]s over packed token rows (no
//! padding anywhere), behind [`EncoderForward`].

use std::collections::HashMap;
use std::ops::Range;

use candle_core::{bail, DType, Device, Result, Tensor};
use candle_transformers::models::bert::Config;

use super::activation_ranges::ActivationRanges;
use super::attention::{spans_of_tokens, Span};
use super::kernels::{layer_norm_in_place, NormParams};
use super::layer::{
    matrix, vector, with_values, FastLayer, LayerBuffers, LayerShape, WeightSource,
};
use super::word_table::{table_row, Q4Rows, WordTable};
use crate::batch::TokenBatch;
use crate::device::Precision;
use crate::error::{EncoderError, Result as EncoderResult};
use crate::forward::EncoderForward;

/// Token rows of several sequences packed back to back: `[tokens, hidden]`.
#[derive(Debug, Clone)]
pub(crate) struct PackedStates {
    /// The rows, contiguous f32 on the CPU.
    pub states: Tensor,
    /// Each sequence's rows, in order.
    pub spans: Vec<Span>,
}

impl PackedStates {
    /// The packed rows of the sequences `indices` (in that order), as a new packing.
    pub fn select(&self, indices: &[usize]) -> Result<Self> {
        let mut parts = Vec::with_capacity(indices.len());
        let mut lengths = Vec::with_capacity(indices.len());
        for &index in indices {
            let Some(span) = self.spans.get(index) else {
                bail!("no sequence {index} among {}", self.spans.len())
            };
            parts.push(self.states.narrow(0, span.start, span.len)?);
            lengths.push(span.len);
        }
        let (spans, _) = spans_of_tokens(&lengths);
        Ok(Self {
            states: Tensor::cat(&parts, 0)?,
            spans,
        })
    }

    /// Each sequence's rows as vectors (for read-outs).
    pub fn rows(&self) -> Result<Vec<Vec<Vec<f32>>>> {
        let hidden = self.states.dim(1)?;
        with_values(&self.states, |values| {
            self.spans
                .iter()
                .map(|span| {
                    values[span.start * hidden..(span.start + span.len) * hidden]
                        .chunks_exact(hidden)
                        .map(<[f32]>::to_vec)
                        .collect()
                })
                .collect()
        })
    }
}

/// Word, position and token-type embeddings plus their layer norm, as BERT sums them.
#[derive(Debug)]
pub(crate) struct FastEmbeddings {
    words: WordTable,
    positions: Tensor,
    types: Tensor,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

impl FastEmbeddings {
    /// Loads `embeddings.*`; the word embeddings are `words` when given (as the E5S1 file
    /// stores them), else `embeddings.word_embeddings.weight`.
    pub fn load(get: &WeightSource<'_>, words: Option<Q4Rows>, shape: LayerShape) -> Result<Self> {
        let table = |name: &str| -> Result<Tensor> {
            let table = get(&format!("embeddings.{name}.weight"))?
                .to_dtype(DType::F32)?
                .to_device(&Device::Cpu)?
                .contiguous()?;
            if table.dims2()?.1 != shape.hidden {
                bail!(
                    "embeddings.{name}: width differs from hidden {}",
                    shape.hidden
                )
            }
            Ok(table)
        };
        let words = match words {
            Some(rows) => WordTable::Q4_0(rows),
            None => WordTable::F32(table("word_embeddings")?),
        };
        if words.width()? != shape.hidden {
            bail!(
                "embeddings.word_embeddings: width differs from hidden {}",
                shape.hidden
            )
        }
        Ok(Self {
            words,
            positions: table("position_embeddings")?,
            types: table("token_type_embeddings")?,
            gamma: vector(&get("embeddings.LayerNorm.weight")?, shape.hidden, "norm")?,
            beta: vector(&get("embeddings.LayerNorm.bias")?, shape.hidden, "norm")?,
            eps: shape.eps,
        })
    }

    /// Embeds each `(ids, type ids)` sequence (positions from 0), packed without padding.
    pub fn forward(&self, sequences: &[(&[u32], &[u32])]) -> Result<PackedStates> {
        let hidden = self.gamma.len();
        let tokens: usize = sequences.iter().map(|(ids, _)| ids.len()).sum();
        let mut rows = vec![0f32; tokens * hidden];
        let mut first = 0;
        with_values(&self.positions, |positions| {
            with_values(&self.types, |types| {
                for (ids, type_ids) in sequences {
                    if ids.len() != type_ids.len() {
                        bail!("type ids and token ids differ in length")
                    }
                    self.words.for_each_row(ids, |position, word| {
                        let kind = type_ids[position] as usize;
                        let kind = table_row(types, kind, hidden, "type id")?;
                        let place = table_row(positions, position, hidden, "position")?;
                        let at = first + position;
                        let out = &mut rows[at * hidden..(at + 1) * hidden];
                        for (((o, w), k), p) in out.iter_mut().zip(word).zip(kind).zip(place) {
                            *o = (w + k) + p;
                        }
                        Ok(())
                    })?;
                    first += ids.len();
                }
                Ok(())
            })
        })???;
        let norm = NormParams {
            gamma: &self.gamma,
            beta: &self.beta,
            eps: self.eps,
        };
        layer_norm_in_place(&mut rows, &norm);
        let lengths: Vec<usize> = sequences.iter().map(|(ids, _)| ids.len()).collect();
        Ok(PackedStates {
            states: matrix(rows, hidden)?,
            spans: spans_of_tokens(&lengths).0,
        })
    }
}

/// Consecutive encoder layers.
#[derive(Debug)]
pub(crate) struct FastStack {
    layers: Vec<FastLayer>,
}

impl FastStack {
    /// Loads `{prefix}L` (e.g. `encoder.layer.L`) for each `L` in `layers`, with 8-bit int8
    /// activations where `ranges` has the layer's ([`FastLayer::load`]).
    pub fn load(
        get: &WeightSource<'_>,
        prefix: &str,
        layers: Range<usize>,
        (shape, ranges): (LayerShape, Option<&ActivationRanges>),
    ) -> Result<Self> {
        let layers = layers
            .map(|layer| FastLayer::load(get, &format!("{prefix}{layer}"), shape, ranges))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { layers })
    }

    /// Runs every layer over `packed`, on a thread of rayon's pool: each layer's parallel
    /// steps (about six) then start from a pool thread, instead of the caller handing every one
    /// to the pool and sleeping until it is done.
    pub fn forward(&self, packed: &PackedStates) -> Result<PackedStates> {
        rayon::scope(|_| self.forward_on_this_thread(packed))
    }

    fn forward_on_this_thread(&self, packed: &PackedStates) -> Result<PackedStates> {
        let lengths: Vec<usize> = packed.spans.iter().map(|s| s.len).collect();
        let (_, span_of) = spans_of_tokens(&lengths);
        let hidden = packed.states.dim(1)?;
        let mut states = with_values(&packed.states, <[f32]>::to_vec)?;
        let mut next = Vec::new();
        let mut buffers = LayerBuffers::default();
        for layer in &self.layers {
            layer.forward(&states, &span_of, &mut buffers, &mut next)?;
            std::mem::swap(&mut states, &mut next);
        }
        Ok(PackedStates {
            states: matrix(states, hidden)?,
            spans: packed.spans.clone(),
        })
    }
}

/// A weight source over a loaded tensor map (missing names are errors).
pub(crate) fn from_map(tensors: &HashMap<String, Tensor>) -> impl Fn(&str) -> Result<Tensor> + '_ {
    move |name: &str| match tensors.get(name) {
        Some(tensor) => Ok(tensor.clone()),
        None => bail!("weight {name} is missing"),
    }
}

/// BERT (e5-small) on the CPU in f32 with fused kernels and padding-free attention; the same
/// weights and results as candle's `BertModel`, several times less work outside the matmuls.
#[derive(Debug)]
pub struct FastBertForward {
    embeddings: FastEmbeddings,
    stack: FastStack,
    hidden_size: usize,
}

impl FastBertForward {
    /// Builds the model from Hugging Face `BertModel` tensor names (`embeddings.*`,
    /// `encoder.layer.L.*`) as [`crate::e5s1::E5s1File::bert_tensors`] gives them.
    /// `precision` is [`Precision::F32`] or [`Precision::Int8`] (the dense projections).
    pub fn from_tensors(
        tensors: &HashMap<String, Tensor>,
        config: &Config,
        precision: Precision,
    ) -> EncoderResult<Self> {
        Self::from_parts(tensors, None, config, precision)
    }

    /// [`FastBertForward::from_tensors`] with the word embeddings kept in Q4_0 when `words` is
    /// given ([`crate::e5s1::E5s1File`]'s `fast_tensors`).
    pub(crate) fn from_parts(
        tensors: &HashMap<String, Tensor>,
        words: Option<Q4Rows>,
        config: &Config,
        precision: Precision,
    ) -> EncoderResult<Self> {
        let build = || -> Result<Self> {
            let shape = LayerShape::of(config)?.with_precision(precision);
            let get = from_map(tensors);
            Ok(Self {
                embeddings: FastEmbeddings::load(&get, words, shape)?,
                stack: FastStack::load(
                    &get,
                    "encoder.layer.",
                    0..config.num_hidden_layers,
                    (shape, ActivationRanges::bundled()),
                )?,
                hidden_size: config.hidden_size,
            })
        };
        build().map_err(EncoderError::tensor("building the fast BERT encoder"))
    }

    /// Hidden states of each sequence, packed.
    pub(crate) fn packed(&self, batch: &TokenBatch) -> Result<PackedStates> {
        let ids = batch.input_ids.to_vec2::<u32>()?;
        let types = batch.type_ids.to_vec2::<u32>()?;
        let sequences: Vec<(&[u32], &[u32])> = ids
            .iter()
            .zip(&types)
            .zip(batch.lengths())
            .map(|((ids, types), &len)| {
                (&ids[..len.min(ids.len())], &types[..len.min(types.len())])
            })
            .collect();
        self.stack.forward(&self.embeddings.forward(&sequences)?)
    }
}

/// Packed rows back into a zero-padded `[batch, longest, hidden]` tensor.
pub(crate) fn padded(packed: &PackedStates, longest: usize, device: &Device) -> Result<Tensor> {
    let hidden = packed.states.dim(1)?;
    let mut out = vec![0f32; packed.spans.len() * longest * hidden];
    with_values(&packed.states, |values| {
        for (sequence, span) in out.chunks_exact_mut(longest * hidden).zip(&packed.spans) {
            let len = span.len.min(longest);
            sequence[..len * hidden]
                .copy_from_slice(&values[span.start * hidden..(span.start + len) * hidden]);
        }
    })?;
    Tensor::from_vec(out, (packed.spans.len(), longest, hidden), device)
}

impl EncoderForward for FastBertForward {
    fn forward(&self, batch: &TokenBatch) -> EncoderResult<Tensor> {
        let run = || -> Result<Tensor> {
            let packed = self.packed(batch)?;
            padded(&packed, batch.padded_len(), batch.input_ids.device())
        };
        run().map_err(EncoderError::tensor("fast BERT forward pass"))
    }

    fn hidden_size(&self) -> usize {
        self.hidden_size
    }
}
