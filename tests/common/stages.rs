//! Minimal stage implementations for testing server mechanics (streaming, shutdown) apart from
//! the real rule engine. They never stand in for the product: product behaviour is tested with
//! the real pipeline in tests/extract_seed.rs.
#![allow(dead_code)]

use std::sync::Arc;

use qawl_core::{
    Attribution, Attributor, Claim, ClaimKind, ClaimScorer, Language, Pipeline, PipelineError,
    Sentence, SentenceKind, SentenceSegmenter, Span,
};
use tokio::sync::Semaphore;

/// The whole text is one body sentence.
pub struct WholeText;

impl SentenceSegmenter for WholeText {
    fn segment(&self, text: &str, _: Language) -> Vec<Sentence> {
        vec![Sentence {
            span: Span::new(0, text.len()),
            kind: SentenceKind::Body,
            paragraph: 0,
        }]
    }
}

/// Every sentence is one unattributed claim.
pub struct EverySentenceAClaim;

impl Attributor for EverySentenceAClaim {
    fn attribute(&self, _: &str, _: Language, sentences: &[Sentence]) -> Attribution {
        Attribution {
            claims: sentences
                .iter()
                .enumerate()
                .map(|(i, s)| Claim {
                    sentence_index: i,
                    span: s.span,
                    kind: ClaimKind::Unattributed,
                    cue: None,
                    speaker: None,
                    relayed_by: None,
                    claim_score: None,
                    stances: Vec::new(),
                })
                .collect(),
            speakers: Vec::new(),
        }
    }
}

/// Scores 0.5 once the test lets it through; counts callers that reached it.
pub struct GatedScorer {
    pub gate: Arc<Semaphore>,
    pub arrived: Arc<Semaphore>,
}

#[async_trait::async_trait]
impl ClaimScorer for GatedScorer {
    async fn score(&self, texts: Vec<String>) -> Result<Vec<f32>, PipelineError> {
        self.arrived.add_permits(1);
        let permit = self
            .gate
            .acquire()
            .await
            .map_err(|e| PipelineError::Unavailable(e.to_string()))?;
        permit.forget();
        Ok(vec![0.5; texts.len()])
    }

    fn model_id(&self) -> String {
        "gated-test-scorer".into()
    }
}

pub fn simple_pipeline() -> Pipeline {
    Pipeline {
        segmenter: Some(Arc::new(WholeText)),
        attributor: Some(Arc::new(EverySentenceAClaim)),
        ..Pipeline::default()
    }
}
