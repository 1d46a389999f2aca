//! `qawl batch` in-process: each archive record goes through the same validation and pipeline as
//! an `Extract` request, and the response's canonical JSON becomes the output line.

use qawl_batch::{AnalyzeError, Analyzer, ArticleRecord};
use qawl_core::PipelineError;

use crate::error::ServiceError;
use crate::proto::v1 as pb;
use crate::service::QawlService;

/// Analyses records with an in-process [`QawlService`].
#[derive(Debug, Clone)]
pub struct InProcessAnalyzer {
    service: QawlService,
}

impl InProcessAnalyzer {
    pub fn new(service: QawlService) -> Self {
        Self { service }
    }
}

impl Analyzer for InProcessAnalyzer {
    async fn analyze(&self, record: ArticleRecord) -> Result<serde_json::Value, AnalyzeError> {
        let request = extract_request(record);
        let response = self.service.extract_one(request).await.map_err(|error| {
            // Overload is worth retrying; anything else is this record's own failure.
            let retryable = matches!(
                error,
                ServiceError::Pipeline(
                    PipelineError::Overloaded(_) | PipelineError::Unavailable(_)
                )
            );
            let message = error.to_string();
            if retryable {
                AnalyzeError::unavailable(message)
            } else {
                AnalyzeError::record(message)
            }
        })?;
        response_json(&response)
    }
}

/// The `Extract` request for one archive record; the record's id is the request id.
pub(crate) fn extract_request(record: ArticleRecord) -> pb::ExtractRequest {
    pb::ExtractRequest {
        request_id: record.id,
        text: record.text,
        language: record.lang.unwrap_or_default(),
        targets: record
            .targets
            .into_iter()
            .map(|t| pb::Target {
                id: t.id,
                proposition: t.proposition,
            })
            .collect(),
        options: None,
    }
}

/// The response's canonical JSON, the body of its output line (the same in every mode).
pub(crate) fn response_json(
    response: &pb::ExtractResponse,
) -> Result<serde_json::Value, AnalyzeError> {
    serde_json::to_value(response)
        .map_err(|e| AnalyzeError::record(format!("cannot encode the response: {e}")))
}
