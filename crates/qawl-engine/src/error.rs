//! Why the engine could not answer a submission.

use std::sync::Arc;

/// Why a submission got no outputs. The server maps each variant to one gRPC status, in one
/// place; the suggested code is in each variant's doc.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The queue already holds as many inputs as it may. Answered at admission, without
    /// waiting; the caller should back off and retry (RESOURCE_EXHAUSTED).
    #[error("the {model} queue is full ({capacity} inputs admitted); retry later")]
    Overloaded { model: Arc<str>, capacity: usize },

    /// The submission's deadline passed before all its inputs had run; the ones still queued
    /// were dropped unrun (DEADLINE_EXCEEDED).
    #[error("the deadline passed before the {model} model could run the inputs")]
    DeadlineExceeded { model: Arc<str> },

    /// The model's worker thread has stopped: it panicked, or the engine was shut down
    /// (UNAVAILABLE).
    #[error("the {model} model is unavailable: {reason}")]
    Unavailable {
        model: Arc<str>,
        reason: &'static str,
    },

    /// The model returned an error for a batch holding some of this submission's inputs
    /// (INTERNAL). Shared: every caller of that batch gets the same cause.
    #[error("the {model} model failed on a batch")]
    Model {
        model: Arc<str>,
        #[source]
        source: Arc<dyn std::error::Error + Send + Sync>,
    },

    /// The model broke its contract of one output per input (INTERNAL).
    #[error("the {model} model returned {got} outputs for a batch of {expected} inputs")]
    OutputCount {
        model: Arc<str>,
        expected: usize,
        got: usize,
    },

    /// The operating system refused to start the model's thread (at start-up only).
    #[error("could not start the {model} model thread")]
    Spawn {
        model: Arc<str>,
        #[source]
        source: std::io::Error,
    },
}
