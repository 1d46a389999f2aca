//! Several task heads on one e5 encoder, sharing the frozen bottom layers.
//!
//! Every head was trained with the bottom `k` layers frozen, so those layers compute the same
//! states for every head: they run once per distinct input (the *trunk*), and each head runs
//! only its own top layers (its *branch*, LoRA merged) and its read-out. A sentence scored for
//! claims and tagged for names costs 9 + 3 + 3 layers instead of 2 × 12.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertEncoder, BertModel, Config};

use super::adapter::{load_adapter, verify, HeadFiles, LoadedAdapter};
use super::manifest::{HeadManifest, Pooling};
use super::readout::{pool, tempered_softmax, LinearHead};
use crate::batch::TokenBatch;
use crate::device::RuntimeOptions;
use crate::e5s1::E5s1File;
use crate::error::{EncoderError, Result};
use crate::tokenize::{EncodedText, EncodedWords, TextTokenizer, MAX_MODEL_TOKENS};

/// What a head answers for one input.
#[derive(Debug, Clone, PartialEq)]
pub enum HeadOutput {
    /// One distribution over the labels (stance, claim).
    Sequence {
        /// Raw logits.
        logits: Vec<f32>,
        /// `softmax(logits / temperature)`.
        probabilities: Vec<f32>,
    },
    /// One distribution per token, special tokens included (the tagger).
    Tokens {
        /// Raw logits per token.
        logits: Vec<Vec<f32>>,
        /// Calibrated probabilities per token.
        probabilities: Vec<Vec<f32>>,
    },
}

struct TaskHead {
    manifest: HeadManifest,
    branch: BertEncoder,
    head: LinearHead,
    tokenizer: TextTokenizer,
}

/// The e5 encoder with its trained heads.
pub struct HeadedEncoder {
    trunk: BertModel,
    heads: Vec<TaskHead>,
    pad_id: u32,
    separator_id: u32,
    device: Device,
}

impl std::fmt::Debug for HeadedEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadedEncoder")
            .field(
                "heads",
                &self
                    .heads
                    .iter()
                    .map(|h| &h.manifest.task)
                    .collect::<Vec<_>>(),
            )
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

/// One input to [`HeadedEncoder::run`]: which head, and the token ids it reads.
#[derive(Debug, Clone, Copy)]
pub struct HeadInput<'a> {
    /// Index of the head, as [`HeadedEncoder::head_index`] gives it.
    pub head: usize,
    /// Token ids, special tokens included, as the head's `encode*` produced them.
    pub ids: &'a [u32],
}

impl HeadedEncoder {
    /// Loads the e5 `E5S1` file, its tokenizer, and every head; `base_sha256` is the pinned hash
    /// of `encoder`, checked against what each head was trained on.
    pub fn load(
        encoder: &Path,
        tokenizer: &Path,
        base_sha256: &str,
        heads: &[HeadFiles],
        options: RuntimeOptions,
    ) -> Result<Self> {
        if let Some(reason) = options.unsupported_because(true) {
            return Err(EncoderError::InvalidInput(format!(
                "{} {}: {reason}",
                options.precision, options.device
            )));
        }
        if heads.is_empty() {
            return Err(EncoderError::InvalidInput("no head to load".into()));
        }
        let manifests = heads
            .iter()
            .map(|files| verify(files, base_sha256))
            .collect::<Result<Vec<_>>>()?;
        let file = E5s1File::open(encoder)?;
        let config = file.bert_config();
        let base = file.bert_tensors()?;
        drop(file);
        let base_tokenizer = TextTokenizer::from_file(
            tokenizer,
            config.max_position_embeddings.min(MAX_MODEL_TOKENS),
        )?;
        let device = options.device.open()?;
        let dtype = options.precision.dtype();

        let adapters = heads
            .iter()
            .zip(manifests)
            .map(|(files, manifest)| load_adapter(files, manifest, &base, config.hidden_size))
            .collect::<Result<Vec<_>>>()?;
        let trunk_depth = adapters
            .iter()
            .map(|a| a.manifest.frozen_depth)
            .min()
            .unwrap_or(0);
        let mut trunk_config = config.clone();
        trunk_config.num_hidden_layers = trunk_depth;
        let trunk = BertModel::load(
            VarBuilder::from_tensors(base.clone(), dtype, &device),
            &trunk_config,
        )
        .map_err(EncoderError::tensor(format!(
            "{}: building layers 0..{trunk_depth}",
            encoder.display()
        )))?;
        let heads = adapters
            .into_iter()
            .map(|adapter| {
                build_head(
                    adapter,
                    &base,
                    &config,
                    trunk_depth,
                    &base_tokenizer,
                    dtype,
                    &device,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let separator_id =
            base_tokenizer
                .token_id("</s>")
                .ok_or_else(|| EncoderError::Tokenizer {
                    path: tokenizer.to_path_buf(),
                    reason: "no </s> token; the heads expect the XLM-R vocabulary".into(),
                })?;
        Ok(Self {
            trunk,
            heads,
            pad_id: base_tokenizer.pad_id(),
            separator_id,
            device,
        })
    }

    /// The index of the head trained for `task` (`stance`, `claim`, `ner`).
    pub fn head_index(&self, task: &str) -> Option<usize> {
        self.heads.iter().position(|h| h.manifest.task == task)
    }

    /// The manifest of head `index`.
    pub fn manifest(&self, index: usize) -> Option<&HeadManifest> {
        self.heads.get(index).map(|h| &h.manifest)
    }

    /// Tokenizes one text as head `index` was trained: prefix, truncation to its `max_len`.
    /// Offsets refer to `text`.
    pub fn encode(&self, index: usize, text: &str) -> Result<EncodedText> {
        let head = self.head(index)?;
        head.tokenizer.encode(text, Some(&head.manifest.prefix))
    }

    /// Tokenizes pre-split words as head `index` was trained (its prefix as leading words).
    pub fn encode_words(&self, index: usize, words: &[&str]) -> Result<EncodedWords> {
        let head = self.head(index)?;
        head.tokenizer
            .encode_words(words, Some(&head.manifest.prefix))
    }

    /// Tokenizes a (premise, hypothesis) pair as `<s> prefix+premise </s></s> prefix+hypothesis </s>`.
    pub fn encode_pair(
        &self,
        index: usize,
        premise: &str,
        hypothesis: &str,
    ) -> Result<EncodedText> {
        let head = self.head(index)?;
        let prefix = &head.manifest.prefix;
        head.tokenizer.encode_pair(
            &format!("{prefix}{premise}"),
            &format!("{prefix}{hypothesis}"),
        )
    }

    fn head(&self, index: usize) -> Result<&TaskHead> {
        self.heads.get(index).ok_or_else(|| {
            EncoderError::InvalidInput(format!("no head {index}; {} are loaded", self.heads.len()))
        })
    }

    /// Runs every input through the trunk once (identical id sequences once in all), then
    /// through its head's branch; one output per input, in order.
    pub fn run(&self, inputs: &[HeadInput<'_>]) -> Result<Vec<HeadOutput>> {
        for input in inputs {
            self.head(input.head)?;
        }
        let mut distinct: Vec<&[u32]> = Vec::new();
        let mut row_of: HashMap<&[u32], usize> = HashMap::new();
        let rows: Vec<usize> = inputs
            .iter()
            .map(|input| {
                *row_of.entry(input.ids).or_insert_with(|| {
                    distinct.push(input.ids);
                    distinct.len() - 1
                })
            })
            .collect();
        if distinct.is_empty() {
            return Ok(Vec::new());
        }
        let batch = TokenBatch::from_ids(&distinct, self.pad_id, &self.device)?;
        let trunk = self
            .trunk
            .forward(
                &batch.input_ids,
                &batch.type_ids,
                Some(&batch.attention_mask),
            )
            .map_err(EncoderError::tensor("trunk forward pass"))?;

        let mut outputs: Vec<Option<HeadOutput>> = vec![None; inputs.len()];
        for (index, head) in self.heads.iter().enumerate() {
            let members: Vec<usize> = (0..inputs.len())
                .filter(|&i| inputs[i].head == index)
                .collect();
            if members.is_empty() {
                continue;
            }
            let head_rows: Vec<usize> = members.iter().map(|&i| rows[i]).collect();
            let hidden = self
                .branch_forward(head, &trunk, &batch, &head_rows)
                .map_err(EncoderError::tensor(format!(
                    "{} head forward pass",
                    head.manifest.task
                )))?;
            for ((&input, states), &row) in members.iter().zip(hidden).zip(&head_rows) {
                let length = batch.lengths()[row];
                let states = &states[..length];
                outputs[input] = Some(self.read_out(head, states, distinct[row]));
            }
        }
        outputs
            .into_iter()
            .map(|output| {
                output.ok_or_else(|| EncoderError::InvalidInput("an input got no output".into()))
            })
            .collect()
    }

    /// The branch over the selected trunk rows, cut to their longest length.
    fn branch_forward(
        &self,
        head: &TaskHead,
        trunk: &Tensor,
        batch: &TokenBatch,
        rows: &[usize],
    ) -> candle_core::Result<Vec<Vec<Vec<f32>>>> {
        let longest = rows.iter().map(|&r| batch.lengths()[r]).max().unwrap_or(1);
        let index = Tensor::from_vec(
            rows.iter().map(|&r| r as u32).collect::<Vec<_>>(),
            rows.len(),
            &self.device,
        )?;
        let hidden = trunk.index_select(&index, 0)?.narrow(1, 0, longest)?;
        let mask = batch
            .attention_mask
            .index_select(&index, 0)?
            .narrow(1, 0, longest)?;
        let hidden = head
            .branch
            .forward(&hidden, &extended_mask(&mask, hidden.dtype())?)?;
        hidden.to_dtype(DType::F32)?.to_vec3()
    }

    fn read_out(&self, head: &TaskHead, states: &[Vec<f32>], ids: &[u32]) -> HeadOutput {
        let temperature = head.manifest.temperature;
        match head.manifest.pooling {
            Pooling::PerToken => {
                let logits: Vec<Vec<f32>> = states.iter().map(|s| head.head.logits(s)).collect();
                let probabilities = logits
                    .iter()
                    .map(|l| tempered_softmax(l, temperature))
                    .collect();
                HeadOutput::Tokens {
                    logits,
                    probabilities,
                }
            }
            pooling => {
                let logits = head
                    .head
                    .logits(&pool(states, ids, pooling, self.separator_id));
                let probabilities = tempered_softmax(&logits, temperature);
                HeadOutput::Sequence {
                    logits,
                    probabilities,
                }
            }
        }
    }
}

/// Layers `trunk_depth..` with the adapter merged, renamed `layer.0..` for a fresh encoder.
fn build_head(
    adapter: LoadedAdapter,
    base: &HashMap<String, Tensor>,
    config: &Config,
    trunk_depth: usize,
    base_tokenizer: &TextTokenizer,
    dtype: DType,
    device: &Device,
) -> Result<TaskHead> {
    let LoadedAdapter {
        manifest,
        merged,
        head,
    } = adapter;
    let mut tensors = HashMap::new();
    for layer in trunk_depth..config.num_hidden_layers {
        let prefix = format!("encoder.layer.{layer}.");
        for (name, tensor) in base {
            if let Some(rest) = name.strip_prefix(&prefix) {
                let tensor = merged.get(name).unwrap_or(tensor).clone();
                tensors.insert(format!("layer.{}.{rest}", layer - trunk_depth), tensor);
            }
        }
    }
    let mut branch_config = config.clone();
    branch_config.num_hidden_layers = config.num_hidden_layers - trunk_depth;
    let branch = BertEncoder::load(
        VarBuilder::from_tensors(tensors, dtype, device),
        &branch_config,
    )
    .map_err(EncoderError::tensor(format!(
        "{}: building the {} head's layers",
        manifest.task, manifest.task
    )))?;
    let tokenizer = base_tokenizer.with_max_tokens(manifest.max_len)?;
    Ok(TaskHead {
        manifest,
        branch,
        head,
        tokenizer,
    })
}

/// `[batch, seq]` 1/0 mask → additive `[batch, 1, 1, seq]` mask (0 or the dtype's minimum), as
/// Hugging Face's BERT builds it.
fn extended_mask(mask: &Tensor, dtype: DType) -> candle_core::Result<Tensor> {
    let mask = mask.unsqueeze(1)?.unsqueeze(1)?.to_dtype(dtype)?;
    let minimum = Tensor::new(f32::MIN, mask.device())?.to_dtype(dtype)?;
    (mask.ones_like()? - &mask)?.broadcast_mul(&minimum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extended_mask_blocks_padding_only() -> candle_core::Result<()> {
        let mask = Tensor::new(&[[1u32, 1, 0]], &Device::Cpu)?;
        let extended = extended_mask(&mask, DType::F32)?;
        assert_eq!(extended.dims(), [1, 1, 1, 3]);
        let values = extended.flatten_all()?.to_vec1::<f32>()?;
        assert_eq!(values[..2], [0.0, 0.0]);
        assert_eq!(values[2], f32::MIN);
        Ok(())
    }
}
