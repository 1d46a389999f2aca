//! Errors of loading heads and mapping engine failures onto pipeline errors.

use qawl_core::{PipelineError, StageName};
use qawl_engine::EngineError;

/// Why the heads could not be started or asked.
#[derive(Debug, thiserror::Error)]
pub enum HeadsError {
    /// A head the caller needs is not among those loaded.
    #[error("no {0} head is loaded")]
    MissingHead(&'static str),
    /// A head's labels are not the ones its task needs.
    #[error("the {task} head's labels {labels:?} lack {wanted:?}")]
    Labels {
        /// The head's task.
        task: &'static str,
        /// The labels it has.
        labels: Vec<String>,
        /// The label that was looked for.
        wanted: &'static str,
    },
    /// The engine could not be started.
    #[error("starting the heads engine")]
    Engine(#[source] EngineError),
}

/// Engine failures seen by a pipeline stage: back-pressure and deadlines keep their meaning,
/// the rest is internal.
pub(crate) fn pipeline_error(stage: StageName, error: EngineError) -> PipelineError {
    match error {
        EngineError::Overloaded { .. } => PipelineError::Overloaded(error.to_string()),
        EngineError::DeadlineExceeded { .. } => PipelineError::DeadlineExceeded,
        EngineError::Unavailable { .. } => PipelineError::Unavailable(error.to_string()),
        other => PipelineError::Internal {
            stage,
            source: Box::new(other),
        },
    }
}
