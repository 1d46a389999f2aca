//! Resumable batch scoring of article archives, independent of any particular analysis engine.
//!
//! A [`BatchJob`] reads articles (JSONL file, directory of JSONL files, or stdin), sends each one to an
//! [`Analyzer`] with bounded concurrency, and writes exactly one output line per article. A checkpoint
//! beside the output, fsync'd after the output itself, lets a job killed at any moment resume with
//! nothing lost and nothing doubled. Bad records go to an errors file with their line number.

mod analyzer;
mod checkpoint;
mod error;
mod input;
mod job;
mod line_reader;
mod progress;
mod record;
mod summary;
mod writer;

pub use analyzer::{Analyzer, RetryPolicy};
pub use error::{AnalyzeError, BatchError};
pub use input::InputSource;
pub use job::{BatchConfig, BatchJob};
pub use progress::ProgressMode;
pub use record::{ArticleRecord, ErrorKind, ErrorRecord, RecordPosition, Target};
pub use summary::Summary;
