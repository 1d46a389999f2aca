//! One article of the input, its position, and the error line written for a record that failed.

use serde::{Deserialize, Serialize};

/// A proposition to score the article's claims against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// Caller's id for the target, echoed in results.
    pub id: String,
    /// The proposition text.
    pub proposition: String,
}

/// One valid input article, as handed to the [`crate::Analyzer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleRecord {
    /// Caller's id, unique within the job; echoed as the first field of the output line.
    pub id: String,
    /// The article text (non-empty, at most the configured size limit in bytes).
    pub text: String,
    /// Language hint (BCP-47), when the input gives one.
    pub lang: Option<String>,
    /// Targets of this article, or the job's default targets when the record names none.
    pub targets: Vec<Target>,
}

/// Where a record sits in the input: stable across runs over the same input, so it keys the checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordPosition {
    /// Index of the file in the job's sorted input list (0 for a single file or stdin).
    pub file: u32,
    /// 1-based line number within that file.
    pub line: u64,
}

/// Why a record produced no output line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The line is not valid JSON of the expected shape.
    InvalidJson,
    /// `id` is missing or empty.
    MissingId,
    /// `text` is missing or empty.
    MissingText,
    /// `text` is longer than the size limit.
    TextTooLong,
    /// Another record earlier in the input has the same id.
    DuplicateId,
    /// The analyser rejected or failed on the record.
    AnalysisFailed,
}

/// One line of the errors file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// Input file as given ("-" for stdin).
    pub file: String,
    /// 1-based line number in that file.
    pub line: u64,
    /// The record's id, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Category of the failure.
    pub kind: ErrorKind,
    /// Human-readable reason.
    pub reason: String,
}
