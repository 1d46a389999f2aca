//! qawl's own task heads (stance, claim, speaker tagger) on the e5 encoder: LoRA adapters and
//! linear read-outs trained by `models/train`, served here with the training forward pass.

mod adapter;
mod layers;
mod manifest;
mod model;
mod readout;

pub use adapter::HeadFiles;
pub use manifest::{HeadManifest, LoraSpec, Pooling};
pub use model::{HeadInput, HeadOutput, HeadedEncoder};
pub use readout::tempered_softmax;
