//! qawl's core domain: what an article analysis is made of, and the traits each pipeline stage
//! implements. Knows nothing of prost, tonic or candle (see STYLE.md rule 1).

mod analysis;
mod language;
mod names;
mod pipeline;
mod span;
mod stance;

pub use analysis::{
    Analysis, Attribution, Claim, ClaimKind, Sentence, SentenceKind, Speaker, SpeakerKind,
};
pub use language::{Language, UnknownLanguage};
pub use names::{NameKind, NameTagger, TaggedName};
pub use pipeline::{
    Attributor, ClaimScorer, LanguageDetector, Pipeline, PipelineError, PipelineOutput,
    SentenceSegmenter, StageName, StageTimings, StanceScorer, Target, HEADLINE_TARGET_ID,
};
pub use span::Span;
pub use stance::{Stance, StanceLabel, StanceProbabilities};
