//! The claim and stance stages of `qawl-core`, answered by the claim and stance heads.

use qawl_core::{ClaimScorer, PipelineError, StageName, StanceProbabilities, StanceScorer};
use qawl_encoder::HeadOutput;

use crate::error::HeadsError;
use crate::runtime::{tokenize_error, HeadRequest, HeadsRuntime};

/// Probability that a sentence carries a check-worthy claim (the `claim` head).
#[derive(Debug, Clone)]
pub struct ModelClaimScorer {
    runtime: HeadsRuntime,
    head: usize,
    claim_label: usize,
}

impl ModelClaimScorer {
    pub(crate) fn new(runtime: HeadsRuntime) -> Result<Self, HeadsError> {
        let head = runtime.head("claim")?;
        let claim_label = label_index(&runtime, head, "claim", &["claim"])?;
        Ok(Self {
            runtime,
            head,
            claim_label,
        })
    }
}

#[async_trait::async_trait]
impl ClaimScorer for ModelClaimScorer {
    async fn score(&self, texts: Vec<String>) -> Result<Vec<f32>, PipelineError> {
        let encoder = self.runtime.encoder();
        let requests = texts
            .iter()
            .map(|text| {
                encoder.encode(self.head, text).map(|encoded| HeadRequest {
                    head: self.head,
                    ids: encoded.ids,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(tokenize_error(StageName::ClaimScore))?;
        let outputs = self
            .runtime
            .run(StageName::ClaimScore, requests, None)
            .await?;
        outputs
            .into_iter()
            .map(|output| match output {
                HeadOutput::Sequence { probabilities, .. } => probabilities
                    .get(self.claim_label)
                    .copied()
                    .ok_or_else(|| wrong_output(StageName::ClaimScore)),
                HeadOutput::Tokens { .. } => Err(wrong_output(StageName::ClaimScore)),
            })
            .collect()
    }

    fn model_id(&self) -> String {
        self.runtime.model_id(self.head)
    }
}

/// Entails / contradicts / neutral for (claim, proposition) pairs (the `stance` head).
#[derive(Debug, Clone)]
pub struct ModelStanceScorer {
    runtime: HeadsRuntime,
    head: usize,
    /// Label indices of entails, contradicts, neutral.
    labels: [usize; 3],
}

impl ModelStanceScorer {
    pub(crate) fn new(runtime: HeadsRuntime) -> Result<Self, HeadsError> {
        let head = runtime.head("stance")?;
        let labels = [
            label_index(
                &runtime,
                head,
                "stance",
                &["entailment", "entails", "agree"],
            )?,
            label_index(
                &runtime,
                head,
                "stance",
                &["contradiction", "contradicts", "disagree"],
            )?,
            label_index(&runtime, head, "stance", &["neutral", "other"])?,
        ];
        Ok(Self {
            runtime,
            head,
            labels,
        })
    }
}

#[async_trait::async_trait]
impl StanceScorer for ModelStanceScorer {
    async fn score(
        &self,
        pairs: Vec<(String, String)>,
    ) -> Result<Vec<StanceProbabilities>, PipelineError> {
        let encoder = self.runtime.encoder();
        let requests = pairs
            .iter()
            .map(|(claim, proposition)| {
                encoder
                    .encode_pair(self.head, claim, proposition)
                    .map(|encoded| HeadRequest {
                        head: self.head,
                        ids: encoded.ids,
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(tokenize_error(StageName::Stance))?;
        let outputs = self.runtime.run(StageName::Stance, requests, None).await?;
        let [entails, contradicts, neutral] = self.labels;
        outputs
            .into_iter()
            .map(|output| match output {
                HeadOutput::Sequence { probabilities, .. } => {
                    let p = |i: usize| probabilities.get(i).copied();
                    match (p(entails), p(contradicts), p(neutral)) {
                        (Some(entails), Some(contradicts), Some(neutral)) => {
                            Ok(StanceProbabilities {
                                entails,
                                contradicts,
                                neutral,
                            })
                        }
                        _ => Err(wrong_output(StageName::Stance)),
                    }
                }
                HeadOutput::Tokens { .. } => Err(wrong_output(StageName::Stance)),
            })
            .collect()
    }

    fn model_id(&self) -> String {
        self.runtime.model_id(self.head)
    }
}

fn label_index(
    runtime: &HeadsRuntime,
    head: usize,
    task: &'static str,
    names: &[&'static str],
) -> Result<usize, HeadsError> {
    let labels = runtime
        .encoder()
        .manifest(head)
        .map(|m| m.labels.clone())
        .unwrap_or_default();
    labels
        .iter()
        .position(|label| names.contains(&label.as_str()))
        .ok_or(HeadsError::Labels {
            task,
            labels,
            wanted: names[0],
        })
}

fn wrong_output(stage: StageName) -> PipelineError {
    PipelineError::Internal {
        stage,
        source: "the head answered in the wrong shape".into(),
    }
}
