//! The analysis engine seen by the job, and how the job retries it when it is overloaded.

use std::future::Future;
use std::time::Duration;

use crate::error::AnalyzeError;
use crate::record::ArticleRecord;

/// Turns one article into a JSON object (the fields written after `"id"` on its output line).
///
/// Implemented by the in-process engine and by the gRPC client; the job calls it from several tasks
/// at once (up to the configured concurrency). Implementations may write `async fn analyze`.
pub trait Analyzer: Send + Sync + 'static {
    /// Analyses one article. The result must be a JSON object; an `"id"` field in it is replaced by
    /// the record's id. A `"claims"` array, when present, is counted in the [`crate::Summary`].
    fn analyze(
        &self,
        record: ArticleRecord,
    ) -> impl Future<Output = Result<serde_json::Value, AnalyzeError>> + Send;
}

/// A shared analyser (e.g. one engine also serving other work) analyses the same way.
impl<A: Analyzer> Analyzer for std::sync::Arc<A> {
    fn analyze(
        &self,
        record: ArticleRecord,
    ) -> impl Future<Output = Result<serde_json::Value, AnalyzeError>> + Send {
        (**self).analyze(record)
    }
}

/// Exponential backoff for [`AnalyzeError::Unavailable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per record, the first included; at least 1.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled after each further failure.
    pub initial_backoff: Duration,
    /// Cap on a single wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// Result of analysing one record once retries are settled.
pub(crate) enum Analysis {
    Done(serde_json::Value),
    Failed(AnalyzeError),
    /// Still unavailable after every attempt: the job must stop.
    GaveUp {
        attempts: u32,
        last: AnalyzeError,
    },
}

/// Calls the analyser, sleeping and retrying while it reports itself unavailable.
pub(crate) async fn analyze_with_retry<A: Analyzer>(
    analyzer: &A,
    record: ArticleRecord,
    policy: RetryPolicy,
) -> Analysis {
    let max_attempts = policy.max_attempts.max(1);
    let mut backoff = policy.initial_backoff;
    let mut attempt = 1;
    loop {
        match analyzer.analyze(record.clone()).await {
            Ok(value) => return Analysis::Done(value),
            Err(err) if !err.is_retryable() => return Analysis::Failed(err),
            Err(err) if attempt >= max_attempts => {
                return Analysis::GaveUp {
                    attempts: attempt,
                    last: err,
                }
            }
            Err(err) => {
                tracing::debug!(id = %record.id, attempt, error = %err, "analyser unavailable; backing off");
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2).min(policy.max_backoff);
                attempt += 1;
            }
        }
    }
}
