//! Rule-based attribution for qawl: sentence segmentation, reporting cues, claims and speakers in
//! ten languages (ar, fa, ur, he, en, fr, de, es, ru, tr). Pure Rust, deterministic, explainable:
//! every decision comes from a rule over the embedded lexicons in `lexicons/`.
//!
//! Public entry points: [`RuleSegmenter`], [`RuleAttributor`] and [`ScriptLanguageDetector`],
//! each built with `Default` and needing no files at run time.

mod attributor;
mod claims;
mod content;
mod coreference;
mod cue;
mod detect;
mod error;
mod gazetteer;
mod lexicon;
mod mention;
mod phrase_set;
mod segment;
mod source;
mod token;
mod unnamed;
mod words;

pub use attributor::RuleAttributor;
pub use detect::ScriptLanguageDetector;
pub use error::AttributionError;
pub use segment::RuleSegmenter;
