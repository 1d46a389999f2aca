//! qawl's trained heads as pipeline stages: the claim scorer and the stance scorer of
//! `qawl-core`, and the speaker tagger, all answered by one [`HeadedEncoder`] on the inference
//! engine's thread.
//!
//! Callers tokenize on their own task (the tokenizers live in the shared encoder), the engine
//! packs inputs from every concurrent request into token-budgeted batches, and identical
//! sentences in one batch run the shared bottom layers once.

mod error;
pub mod evaluation;
mod runtime;
mod scorers;
mod tagger;

pub use error::HeadsError;
pub use runtime::{HeadRequest, HeadsModel, HeadsRuntime};
pub use scorers::{ModelClaimScorer, ModelStanceScorer};
pub use tagger::{decode_entities, split_words, SpeakerTagger, WordTag};
