//! Several task heads on one e5 encoder, sharing the frozen bottom layers.
//!
//! Every head was trained with the bottom `k` layers frozen, so those layers compute the same
//! states for every head: they run once per distinct input (the *trunk*), and each head runs
//! only its own top layers (its *branch*, LoRA merged) and its read-out. A sentence scored for
//! claims and tagged for names costs 9 + 3 + 3 layers instead of 2 × 12.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use candle_transformers::models::bert::Config;

use super::adapter::{load_adapter, verify, HeadFiles, LoadedAdapter};
use super::layers::{Branch, Trunk};
use super::manifest::{HeadManifest, Pooling};
use super::readout::{pool, tempered_softmax, LinearHead};
use crate::device::{Precision, RuntimeOptions};
use crate::e5s1::E5s1File;
use crate::error::{EncoderError, Result};
use crate::forward::ForwardKind;
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
    branch: Branch,
    head: LinearHead,
    tokenizer: TextTokenizer,
}

/// The e5 encoder with its trained heads.
pub struct HeadedEncoder {
    trunk: Trunk,
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
    /// of `encoder`, checked against what each head was trained on. The layers run in the
    /// implementation [`ForwardKind::from_env`] names (the fast one unless `QAWL_ENCODER=candle`).
    pub fn load(
        encoder: &Path,
        tokenizer: &Path,
        base_sha256: &str,
        heads: &[HeadFiles],
        options: RuntimeOptions,
    ) -> Result<Self> {
        let kind = ForwardKind::from_env()?;
        Self::load_with(encoder, tokenizer, base_sha256, heads, options, kind)
    }

    /// [`HeadedEncoder::load`] with an explicit implementation (benchmarks, parity tests).
    pub fn load_with(
        encoder: &Path,
        tokenizer: &Path,
        base_sha256: &str,
        heads: &[HeadFiles],
        options: RuntimeOptions,
        kind: ForwardKind,
    ) -> Result<Self> {
        let kind = kind.resolve(options)?;
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
        let started = std::time::Instant::now();
        let file = E5s1File::open(encoder)?;
        let config = file.bert_config();
        // Every head's copy shares this one's vocabulary, each with its own limit.
        let limit = MAX_MODEL_TOKENS.min(config.max_position_embeddings);
        // Parsing the 250k-piece vocabulary takes longer than building the layers: do both at
        // once on the two cores.
        std::thread::scope(|scope| {
            let tokenizer_job = scope.spawn(|| {
                let parsed = TextTokenizer::from_file(tokenizer, limit);
                let seconds = started.elapsed().as_secs_f64();
                tracing::debug!(seconds, "tokenizer parsed");
                parsed
            });
            let (base, words) = match kind {
                ForwardKind::Fast => file.fast_tensors()?,
                ForwardKind::Candle => (file.bert_tensors()?, None),
            };
            drop(file);
            let device = options.device.open()?;
            let precision = options.precision;

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
            let building = format!("{}: building layers 0..{trunk_depth}", encoder.display());
            let trunk = Trunk::load(&base, words, &config, trunk_depth, kind, precision, &device)
                .map_err(EncoderError::tensor(building))?;
            // The heads' layers are built while the tokenizer is still being parsed.
            let branches = adapters
                .into_iter()
                .map(|adapter| {
                    build_branch(
                        adapter,
                        &base,
                        &config,
                        trunk_depth,
                        kind,
                        precision,
                        &device,
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            drop(base);
            let seconds = started.elapsed().as_secs_f64();
            tracing::debug!(seconds, "encoder and head layers built");
            let base_tokenizer = tokenizer_job.join().map_err(|_| EncoderError::Tokenizer {
                path: tokenizer.to_path_buf(),
                reason: "the thread loading it panicked".into(),
            })??;
            let heads = branches
                .into_iter()
                .map(|(manifest, branch, head)| {
                    Ok(TaskHead {
                        tokenizer: base_tokenizer.with_max_tokens(manifest.max_len)?,
                        manifest,
                        branch,
                        head,
                    })
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
        let trunk = self
            .trunk
            .forward(&distinct, self.pad_id, &self.device)
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
            let hidden = head
                .branch
                .forward(&trunk, &head_rows)
                .map_err(EncoderError::tensor(format!(
                    "{} head forward pass",
                    head.manifest.task
                )))?;
            for ((&input, states), &row) in members.iter().zip(hidden).zip(&head_rows) {
                outputs[input] = Some(self.read_out(head, &states, distinct[row]));
            }
        }
        outputs
            .into_iter()
            .map(|output| {
                output.ok_or_else(|| EncoderError::InvalidInput("an input got no output".into()))
            })
            .collect()
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

/// Layers `trunk_depth..` with the adapter merged, renamed `layer.0..` for a fresh encoder;
/// with the head's manifest and read-out.
fn build_branch(
    adapter: LoadedAdapter,
    base: &HashMap<String, Tensor>,
    config: &Config,
    trunk_depth: usize,
    kind: ForwardKind,
    precision: Precision,
    device: &Device,
) -> Result<(HeadManifest, Branch, LinearHead)> {
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
    let layers = config.num_hidden_layers - trunk_depth;
    let branch = Branch::load(tensors, config, layers, kind, precision, device).map_err(
        EncoderError::tensor(format!(
            "{}: building the {} head's layers",
            manifest.task, manifest.task
        )),
    )?;
    Ok((manifest, branch, head))
}
