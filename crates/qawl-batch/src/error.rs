//! Errors of a batch job, and the error an [`crate::Analyzer`] reports for one record.

use std::path::PathBuf;

/// Boxed cause carried by an [`AnalyzeError`].
type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why the analyser could not produce a result for one record.
///
/// The job retries [`AnalyzeError::Unavailable`] with backoff and gives up on the whole job once the
/// retries are spent (the work done so far stays checkpointed, so `--resume` continues later);
/// [`AnalyzeError::Record`] is written to the errors file and the job goes on.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The analyser is overloaded or unreachable; the same record may succeed later.
    #[error("analyser unavailable: {message}")]
    Unavailable {
        /// What the analyser said.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Cause>,
    },
    /// This record cannot be analysed (rejected input, internal failure on it); retrying will not help.
    #[error("analysis failed: {message}")]
    Record {
        /// What the analyser said.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Cause>,
    },
}

impl AnalyzeError {
    /// A retryable failure (overloaded, unavailable).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable {
            message: message.into(),
            source: None,
        }
    }

    /// A failure of this record only.
    pub fn record(message: impl Into<String>) -> Self {
        Self::Record {
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(self, cause: impl Into<Cause>) -> Self {
        match self {
            Self::Unavailable { message, .. } => Self::Unavailable {
                message,
                source: Some(cause.into()),
            },
            Self::Record { message, .. } => Self::Record {
                message,
                source: Some(cause.into()),
            },
        }
    }

    /// Whether the job should try this record again later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}

/// Why a batch job stopped.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The output exists and neither `resume` nor `force` was asked for.
    #[error("{} already exists; pass --resume to continue that job or --force to overwrite it", path.display())]
    OutputExists {
        /// The existing file.
        path: PathBuf,
    },
    /// `resume` was asked for, but the output has no checkpoint to resume from.
    #[error("cannot resume: {} exists but its checkpoint {} does not", output.display(), checkpoint.display())]
    MissingCheckpoint {
        /// The output file.
        output: PathBuf,
        /// The checkpoint that should sit beside it.
        checkpoint: PathBuf,
    },
    /// The checkpoint was written for other input files.
    #[error("cannot resume: the checkpoint was written for input {expected:?}, not {actual:?}")]
    InputChanged {
        /// Inputs named in the checkpoint.
        expected: Vec<String>,
        /// Inputs of this run.
        actual: Vec<String>,
    },
    /// The checkpoint was written for another output format (e.g. JSONL, now `--flatten`).
    #[error("cannot resume: the checkpoint was written for {expected} output, not {actual}")]
    FormatChanged {
        /// Format named in the checkpoint.
        expected: crate::OutputFormat,
        /// Format of this run.
        actual: crate::OutputFormat,
    },
    /// The checkpoint or the files it describes are not in a state this crate writes.
    #[error("cannot resume from {}: {reason}", path.display())]
    CorruptCheckpoint {
        /// The file found inconsistent.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration cannot run (zero concurrency, empty input directory, ...).
    #[error("invalid batch configuration: {0}")]
    InvalidConfig(String),
    /// Reading input or writing output failed.
    #[error("{action} {}", path.display())]
    Io {
        /// What was being done ("reading", "writing", ...).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A Parquet file could not be read or written.
    #[error("{action} Parquet {}", path.display())]
    Parquet {
        /// What was being done ("reading", "writing", ...).
        action: &'static str,
        /// The file concerned (empty when none yet).
        path: PathBuf,
        /// The Parquet or Arrow error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// An input file cannot be read as articles at all (e.g. a Parquet file without a `text` column).
    #[error("{}: {reason}", path.display())]
    BadInputFile {
        /// The input file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The targets file is unreadable or holds an invalid target.
    #[error("{}{}: {reason}", path.display(), line.map(|line| format!(":{line}")).unwrap_or_default())]
    TargetsFile {
        /// The targets file.
        path: PathBuf,
        /// 1-based line of the offending entry, when known.
        line: Option<u64>,
        /// What is wrong.
        reason: String,
    },
    /// The analyser stayed unavailable through every retry; completed work is checkpointed.
    #[error(
        "analyser still unavailable after {attempts} attempts; rerun with --resume to continue"
    )]
    AnalyzerUnavailable {
        /// Attempts made for the record that gave up.
        attempts: u32,
        /// The last error.
        #[source]
        source: AnalyzeError,
    },
    /// A result or checkpoint line could not be encoded as JSON.
    #[error("encoding a line as JSON")]
    Encode(#[source] serde_json::Error),
    /// A worker task of the job panicked or was cancelled.
    #[error("a batch worker task failed")]
    Worker(#[source] tokio::task::JoinError),
}

impl BatchError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
