//! Resumable batch scoring of article archives, independent of any particular analysis engine.
//!
//! A [`BatchJob`] reads articles (JSONL or Parquet file, a directory of them, or JSONL on stdin),
//! sends each one to an [`Analyzer`] with bounded concurrency, and writes exactly one output line
//! per article (or, with a [`RowFlattener`], flat claim × stance rows as JSONL or Parquet). A
//! checkpoint beside the output, fsync'd after the output itself, lets a job killed at any moment
//! resume with nothing lost and nothing doubled. Bad records go to an errors file with their line
//! (or Parquet row) number.
//!
//! ```no_run
//! use qawl_batch::{AnalyzeError, Analyzer, ArticleRecord, BatchConfig, BatchJob, InputSource};
//!
//! struct Length;
//!
//! impl Analyzer for Length {
//!     async fn analyze(&self, record: ArticleRecord) -> Result<serde_json::Value, AnalyzeError> {
//!         Ok(serde_json::json!({ "chars": record.text.chars().count(), "claims": [] }))
//!     }
//! }
//!
//! # async fn example() -> Result<(), qawl_batch::BatchError> {
//! let mut config = BatchConfig::new(InputSource::from_path("archive/"), "scores.jsonl");
//! config.concurrency = 8;
//! config.resume = true; // continue after a crash; a first run starts fresh
//! let summary = BatchJob::new(config).run(Length).await?;
//! println!("{summary}");
//! # Ok(())
//! # }
//! ```

mod analyzer;
mod checkpoint;
mod error;
mod flat;
mod format;
mod input;
mod job;
mod line_reader;
mod parquet_input;
mod parquet_output;
mod progress;
mod record;
mod summary;
mod targets_file;
mod writer;

pub use analyzer::{Analyzer, RetryPolicy};
pub use error::{AnalyzeError, BatchError};
pub use flat::{FlatRow, RowFlattener};
pub use format::OutputFormat;
pub use input::InputSource;
pub use job::{BatchConfig, BatchJob, DEFAULT_MAX_TEXT_BYTES};
pub use progress::ProgressMode;
pub use record::{ArticleRecord, ErrorKind, ErrorRecord, RecordPosition, Target};
pub use summary::Summary;
pub use targets_file::load_targets;
