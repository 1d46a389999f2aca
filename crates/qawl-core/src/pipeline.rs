//! The stage traits and the one-way pipeline that runs them:
//! segment → attribute → (claim scores, stances) → analysis.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{
    Analysis, Attribution, Language, NameTagger, Sentence, SentenceKind, Stance,
    StanceProbabilities, TaggedName,
};

/// A proposition the caller tracks, e.g. `halt` = "Iran agrees to stop enriching uranium."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub id: String,
    pub proposition: String,
}

/// The id of the target made from the headline when the caller gives none.
pub const HEADLINE_TARGET_ID: &str = "headline";

/// Splits text into sentences, headlines and datelines. Pure and deterministic.
pub trait SentenceSegmenter: Send + Sync {
    fn segment(&self, text: &str, language: Language) -> Vec<Sentence>;
}

/// Finds claims, their cues and their speakers in segmented text. Pure and deterministic.
pub trait Attributor: Send + Sync {
    fn attribute(&self, text: &str, language: Language, sentences: &[Sentence]) -> Attribution;

    /// The same, with names a tagger found as an extra signal; an attributor that has no use
    /// for them ignores them.
    fn attribute_with_names(
        &self,
        text: &str,
        language: Language,
        sentences: &[Sentence],
        names: &[TaggedName],
    ) -> Attribution {
        let _ = names;
        self.attribute(text, language, sentences)
    }
}

/// Guesses the language of a text when the caller gives no hint.
pub trait LanguageDetector: Send + Sync {
    fn detect(&self, text: &str) -> Option<Language>;
}

/// Probability that each text carries a verifiable claim.
#[async_trait::async_trait]
pub trait ClaimScorer: Send + Sync {
    async fn score(&self, texts: Vec<String>) -> Result<Vec<f32>, PipelineError>;
    /// Identifies the model and revision, for response metadata.
    fn model_id(&self) -> String;
}

/// Stance of each (claim, proposition) pair.
#[async_trait::async_trait]
pub trait StanceScorer: Send + Sync {
    async fn score(
        &self,
        pairs: Vec<(String, String)>,
    ) -> Result<Vec<StanceProbabilities>, PipelineError>;
    fn model_id(&self) -> String;
}

/// The pipeline's stages, as named in errors and timing metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageName {
    LanguageDetection,
    Segment,
    NameTagging,
    Attribute,
    ClaimScore,
    Stance,
}

impl StageName {
    pub fn as_str(self) -> &'static str {
        match self {
            StageName::LanguageDetection => "language_detection",
            StageName::Segment => "segment",
            StageName::NameTagging => "name_tagging",
            StageName::Attribute => "attribute",
            StageName::ClaimScore => "claim_score",
            StageName::Stance => "stance",
        }
    }
}

impl fmt::Display for StageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a pipeline run failed. The API edge maps each variant to one gRPC status, in one place.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// This build or configuration has no implementation of a stage the request needs.
    #[error("the {0} stage is not available on this server")]
    Unimplemented(StageName),
    /// No hint was given and the text's language could not be detected.
    #[error("could not detect the article's language; pass a language hint")]
    UndetectedLanguage,
    /// A bounded queue is full; the caller should back off and retry.
    #[error("overloaded: {0}")]
    Overloaded(String),
    /// The stage exists but cannot serve right now (model not loaded, worker gone).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The caller's deadline passed before the work finished.
    #[error("deadline exceeded")]
    DeadlineExceeded,
    /// Anything else; the cause is logged, the caller sees a generic message.
    #[error("internal error in the {stage} stage")]
    Internal {
        stage: StageName,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// How long each stage took, in the order they ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageTimings(pub Vec<(StageName, Duration)>);

/// An analysis together with how it was produced.
#[derive(Debug, Clone)]
pub struct PipelineOutput {
    pub analysis: Analysis,
    pub timings: StageTimings,
    /// Model ids of the scorers that ran.
    pub models: Vec<String>,
}

/// The stages, each optional until built; a request that needs a missing stage is refused with
/// [`PipelineError::Unimplemented`], never answered with invented results.
#[derive(Clone, Default)]
pub struct Pipeline {
    pub detector: Option<Arc<dyn LanguageDetector>>,
    pub segmenter: Option<Arc<dyn SentenceSegmenter>>,
    pub attributor: Option<Arc<dyn Attributor>>,
    /// Optional: names for the attributor to use as a signal.
    pub name_tagger: Option<Arc<dyn NameTagger>>,
    pub claim_scorer: Option<Arc<dyn ClaimScorer>>,
    pub stance_scorer: Option<Arc<dyn StanceScorer>>,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("detector", &self.detector.is_some())
            .field("segmenter", &self.segmenter.is_some())
            .field("attributor", &self.attributor.is_some())
            .field("name_tagger", &self.name_tagger.is_some())
            .field("claim_scorer", &self.claim_scorer.is_some())
            .field("stance_scorer", &self.stance_scorer.is_some())
            .finish()
    }
}

impl Pipeline {
    /// Analyse one article. `targets` empty means: stance toward the headline, when both a
    /// headline and a stance scorer exist; otherwise no stances.
    pub async fn extract(
        &self,
        text: &str,
        language: Option<Language>,
        targets: &[Target],
    ) -> Result<PipelineOutput, PipelineError> {
        let mut timings = StageTimings::default();
        let mut models = Vec::new();
        let language = match language {
            Some(language) => language,
            None => {
                let detector = self
                    .detector
                    .as_ref()
                    .ok_or(PipelineError::Unimplemented(StageName::LanguageDetection))?;
                let started = Instant::now();
                let detected = detector.detect(text);
                timings
                    .0
                    .push((StageName::LanguageDetection, started.elapsed()));
                detected.ok_or(PipelineError::UndetectedLanguage)?
            }
        };

        let segmenter = self
            .segmenter
            .as_ref()
            .ok_or(PipelineError::Unimplemented(StageName::Segment))?;
        let started = Instant::now();
        let sentences = segmenter.segment(text, language);
        timings.0.push((StageName::Segment, started.elapsed()));

        let attributor = self
            .attributor
            .as_ref()
            .ok_or(PipelineError::Unimplemented(StageName::Attribute))?;
        let mut names = Vec::new();
        if let Some(tagger) = &self.name_tagger {
            let started = Instant::now();
            names = tagger.tag(text, &sentences).await?;
            timings.0.push((StageName::NameTagging, started.elapsed()));
            models.push(tagger.model_id());
        }
        let started = Instant::now();
        let Attribution {
            mut claims,
            speakers,
        } = attributor.attribute_with_names(text, language, &sentences, &names);
        timings.0.push((StageName::Attribute, started.elapsed()));

        if let Some(scorer) = &self.claim_scorer {
            let started = Instant::now();
            let texts = claims
                .iter()
                .map(|claim| sentence_text(text, &sentences, claim.sentence_index))
                .collect();
            let scores = scorer.score(texts).await?;
            for (claim, score) in claims.iter_mut().zip(scores) {
                claim.claim_score = Some(score);
            }
            timings.0.push((StageName::ClaimScore, started.elapsed()));
            models.push(scorer.model_id());
        }

        let effective_targets = self.effective_targets(text, &sentences, targets)?;
        if let (Some(scorer), false) = (&self.stance_scorer, effective_targets.is_empty()) {
            let started = Instant::now();
            let pairs = claims
                .iter()
                .flat_map(|claim| {
                    let premise = claim.span.slice(text).unwrap_or_default().to_string();
                    effective_targets
                        .iter()
                        .map(move |target| (premise.clone(), target.proposition.clone()))
                })
                .collect::<Vec<_>>();
            let mut probabilities = scorer.score(pairs).await?.into_iter();
            for claim in &mut claims {
                for target in &effective_targets {
                    let p = probabilities
                        .next()
                        .ok_or_else(|| PipelineError::Internal {
                            stage: StageName::Stance,
                            source: "stance scorer returned fewer results than pairs".into(),
                        })?;
                    claim
                        .stances
                        .push(Stance::from_probabilities(&target.id, p));
                }
            }
            timings.0.push((StageName::Stance, started.elapsed()));
            models.push(scorer.model_id());
        }

        Ok(PipelineOutput {
            analysis: Analysis {
                language,
                sentences,
                claims,
                speakers,
            },
            timings,
            models,
        })
    }

    /// Caller targets need a stance scorer; the default headline target only applies with one.
    fn effective_targets(
        &self,
        text: &str,
        sentences: &[Sentence],
        targets: &[Target],
    ) -> Result<Vec<Target>, PipelineError> {
        if !targets.is_empty() {
            if self.stance_scorer.is_none() {
                return Err(PipelineError::Unimplemented(StageName::Stance));
            }
            return Ok(targets.to_vec());
        }
        if self.stance_scorer.is_none() {
            return Ok(Vec::new());
        }
        Ok(sentences
            .iter()
            .find(|s| s.kind == SentenceKind::Headline)
            .and_then(|s| s.span.slice(text))
            .map(|headline| Target {
                id: HEADLINE_TARGET_ID.to_string(),
                proposition: headline.trim().to_string(),
            })
            .into_iter()
            .collect())
    }

    /// Score raw (premise, proposition) pairs.
    pub async fn classify_stance(
        &self,
        pairs: Vec<(String, String)>,
    ) -> Result<Vec<StanceProbabilities>, PipelineError> {
        let scorer = self
            .stance_scorer
            .as_ref()
            .ok_or(PipelineError::Unimplemented(StageName::Stance))?;
        scorer.score(pairs).await
    }
}

fn sentence_text(text: &str, sentences: &[Sentence], index: usize) -> String {
    sentences
        .get(index)
        .and_then(|s| s.span.slice(text))
        .unwrap_or_default()
        .to_string()
}
