//! Hugging Face encoder checkpoints (BERT, XLM-RoBERTa, DeBERTa-v2) with classification heads.

mod config;
mod heads;
mod model;
mod source;

pub use config::{Architecture, CheckpointConfig, HeadKind};
pub use model::ClassifierModel;
pub use source::{CheckpointFiles, CheckpointSource, HubCheckpoint};
