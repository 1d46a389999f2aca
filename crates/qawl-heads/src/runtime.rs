//! The encoder with its heads on the engine's thread, shared by every stage built from it.

use std::sync::Arc;

use qawl_core::{PipelineError, StageName};
use qawl_encoder::{EncoderError, HeadInput, HeadOutput, HeadedEncoder};
use qawl_engine::{BatchModel, Engine, EngineConfig};
use tokio::time::Instant;

use crate::error::{pipeline_error, HeadsError};
use crate::scorers::{ModelClaimScorer, ModelStanceScorer};
use crate::tagger::SpeakerTagger;

/// One input for the engine: a head and the token ids it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadRequest {
    /// Index of the head in the encoder.
    pub head: usize,
    /// Token ids, special tokens included.
    pub ids: Vec<u32>,
}

/// [`HeadedEncoder`] as the engine's [`BatchModel`]: one padded trunk pass per batch, whatever
/// mix of heads the batch holds.
#[derive(Debug)]
pub struct HeadsModel(Arc<HeadedEncoder>);

impl BatchModel for HeadsModel {
    type Input = HeadRequest;
    type Output = HeadOutput;
    type Error = EncoderError;

    fn token_count(input: &HeadRequest) -> usize {
        input.ids.len()
    }

    fn run_batch(&mut self, inputs: &[HeadRequest]) -> Result<Vec<HeadOutput>, EncoderError> {
        let inputs: Vec<HeadInput<'_>> = inputs
            .iter()
            .map(|input| HeadInput {
                head: input.head,
                ids: &input.ids,
            })
            .collect();
        self.0.run(&inputs)
    }
}

/// The loaded heads, their engine, and the stages they serve.
#[derive(Clone)]
pub struct HeadsRuntime {
    encoder: Arc<HeadedEncoder>,
    engine: Engine<HeadsModel>,
}

impl std::fmt::Debug for HeadsRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadsRuntime")
            .field("encoder", &self.encoder)
            .field("engine", &self.engine.name())
            .finish()
    }
}

impl HeadsRuntime {
    /// Moves the encoder onto an engine thread configured by `config`.
    pub fn start(encoder: HeadedEncoder, config: EngineConfig) -> Result<Self, HeadsError> {
        let encoder = Arc::new(encoder);
        let engine =
            Engine::start(HeadsModel(Arc::clone(&encoder)), config).map_err(HeadsError::Engine)?;
        Ok(Self { encoder, engine })
    }

    /// The shared encoder (tokenizers, manifests).
    pub fn encoder(&self) -> &HeadedEncoder {
        &self.encoder
    }

    /// The engine, for health and queue metrics.
    pub fn engine(&self) -> &Engine<HeadsModel> {
        &self.engine
    }

    /// The claim scorer, when a `claim` head is loaded.
    pub fn claim_scorer(&self) -> Result<ModelClaimScorer, HeadsError> {
        ModelClaimScorer::new(self.clone())
    }

    /// The stance scorer, when a `stance` head is loaded.
    pub fn stance_scorer(&self) -> Result<ModelStanceScorer, HeadsError> {
        ModelStanceScorer::new(self.clone())
    }

    /// The speaker tagger, when an `ner` head is loaded.
    pub fn speaker_tagger(&self) -> Result<SpeakerTagger, HeadsError> {
        SpeakerTagger::new(self.clone())
    }

    /// The index of the head for `task`.
    pub(crate) fn head(&self, task: &'static str) -> Result<usize, HeadsError> {
        self.encoder
            .head_index(task)
            .ok_or(HeadsError::MissingHead(task))
    }

    /// `task@<first 12 hex digits of its weights' sha256>`, for response metadata.
    pub(crate) fn model_id(&self, head: usize) -> String {
        self.encoder
            .manifest(head)
            .map(|m| {
                let short = m.weights_sha256.get(..12).unwrap_or(&m.weights_sha256);
                format!("qawl-{}@{short}", m.task)
            })
            .unwrap_or_default()
    }

    /// Runs requests through the engine, mapping failures onto `stage`.
    pub(crate) async fn run(
        &self,
        stage: StageName,
        requests: Vec<HeadRequest>,
        deadline: Option<Instant>,
    ) -> Result<Vec<HeadOutput>, PipelineError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        self.engine
            .run(requests, deadline)
            .await
            .map(|completion| completion.outputs)
            .map_err(|error| pipeline_error(stage, error))
    }
}

/// Tokenization failures are the server's fault (the tokenizer accepts any text).
pub(crate) fn tokenize_error(stage: StageName) -> impl Fn(EncoderError) -> PipelineError {
    move |error| PipelineError::Internal {
        stage,
        source: Box::new(error),
    }
}
