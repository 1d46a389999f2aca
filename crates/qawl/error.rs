//! The service's errors and their one mapping to gRPC statuses.

use qawl_core::PipelineError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Everything a request can fail with at the API edge.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A request field is invalid; `field` is its path ("targets[2].proposition").
    #[error("{field}: {reason}")]
    InvalidArgument { field: String, reason: String },
    /// A pipeline stage failed or is missing.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ServiceError::InvalidArgument {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The request field at fault, for INVALID_ARGUMENT.
    pub fn field(&self) -> Option<&str> {
        match self {
            ServiceError::InvalidArgument { field, .. } => Some(field),
            ServiceError::Pipeline(_) => None,
        }
    }
}

/// The one place where errors become gRPC statuses. INVALID_ARGUMENT carries a
/// `google.rpc.BadRequest` field violation as well as the field in its message; INTERNAL hides
/// the cause from the caller and logs it.
impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::InvalidArgument { field, reason } => Status::with_error_details(
                Code::InvalidArgument,
                format!("{field}: {reason}"),
                ErrorDetails::with_bad_request_violation(field, reason),
            ),
            ServiceError::Pipeline(error) => match error {
                PipelineError::Unimplemented(_) => Status::unimplemented(error.to_string()),
                PipelineError::UndetectedLanguage => Status::with_error_details(
                    Code::InvalidArgument,
                    format!("language: {error}"),
                    ErrorDetails::with_bad_request_violation("language", error.to_string()),
                ),
                PipelineError::Overloaded(_) => Status::resource_exhausted(error.to_string()),
                PipelineError::Unavailable(_) => Status::unavailable(error.to_string()),
                PipelineError::DeadlineExceeded => Status::deadline_exceeded(error.to_string()),
                PipelineError::Internal { stage, ref source } => {
                    tracing::error!(%stage, error = %source, "internal error");
                    Status::internal("internal error; the cause is in the server log")
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qawl_core::StageName;

    #[test]
    fn invalid_argument_names_the_field_in_message_and_details() {
        let status = Status::from(ServiceError::invalid("targets[1].id", "duplicate id"));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().starts_with("targets[1].id"));
        let details = status.get_error_details();
        let violations = &details.bad_request().expect("bad request").field_violations;
        assert_eq!(violations[0].field, "targets[1].id");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let status = Status::from(ServiceError::Pipeline(PipelineError::Internal {
            stage: StageName::Stance,
            source: "secret path /home/x".into(),
        }));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("secret"));
    }

    #[test]
    fn each_pipeline_error_has_its_code() {
        let code = |e| Status::from(ServiceError::Pipeline(e)).code();
        assert_eq!(
            code(PipelineError::Unimplemented(StageName::Stance)),
            Code::Unimplemented
        );
        assert_eq!(
            code(PipelineError::Overloaded("queue".into())),
            Code::ResourceExhausted
        );
        assert_eq!(
            code(PipelineError::Unavailable("x".into())),
            Code::Unavailable
        );
        assert_eq!(
            code(PipelineError::DeadlineExceeded),
            Code::DeadlineExceeded
        );
        assert_eq!(
            code(PipelineError::UndetectedLanguage),
            Code::InvalidArgument
        );
    }
}
