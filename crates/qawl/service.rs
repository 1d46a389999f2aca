//! The `qawl.v1.Qawl` service: validates, runs the pipeline, converts. Errors become statuses
//! only through `ServiceError` (see error.rs).

use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures::{Stream, StreamExt};
use qawl_core::{Language, Pipeline};
use tonic::{Request, Response, Status, Streaming};

use crate::convert::{self, ResponseContext};
use crate::error::ServiceError;
use crate::limits::Limits;
use crate::metrics::RequestTimer;
use crate::proto::v1 as pb;
use crate::validate::{validate_extract, validate_stance_pairs};

/// Everything a request handler needs; cheap to clone.
#[derive(Debug, Clone)]
pub struct QawlService {
    inner: Arc<ServiceState>,
}

#[derive(Debug)]
struct ServiceState {
    pipeline: Pipeline,
    limits: Limits,
    models: Vec<pb::ModelInfo>,
    /// Articles of one ExtractStream analysed at once.
    stream_concurrency: usize,
}

impl QawlService {
    pub fn new(
        pipeline: Pipeline,
        limits: Limits,
        models: Vec<pb::ModelInfo>,
        stream_concurrency: usize,
    ) -> Self {
        Self {
            inner: Arc::new(ServiceState {
                pipeline,
                limits,
                models,
                stream_concurrency: stream_concurrency.max(1),
            }),
        }
    }

    /// Validate and analyse one article.
    pub async fn extract_one(
        &self,
        request: pb::ExtractRequest,
    ) -> Result<pb::ExtractResponse, ServiceError> {
        let started = Instant::now();
        let valid = validate_extract(request, &self.inner.limits)?;
        let output = self
            .inner
            .pipeline
            .extract(&valid.text, valid.language, &valid.targets)
            .await?;
        let context = ResponseContext {
            request_id: valid.request_id,
            language_detected: valid.language.is_none(),
            options: valid.options,
            total_micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        };
        Ok(convert::extract_response(&valid.text, output, context))
    }

    async fn stream_item(&self, request: pb::ExtractRequest) -> pb::ExtractStreamResponse {
        let request_id = request.request_id.clone();
        let outcome = if request_id.is_empty() {
            Err(ServiceError::invalid(
                "request_id",
                "required in ExtractStream, to match responses to requests",
            ))
        } else {
            self.extract_one(request).await
        };
        let outcome = match outcome {
            Ok(response) => pb::extract_stream_response::Outcome::Response(response),
            Err(error) => {
                let field = error.field().unwrap_or_default().to_string();
                let status = Status::from(error);
                pb::extract_stream_response::Outcome::Error(pb::ItemError {
                    code: status.code() as i32,
                    message: status.message().to_string(),
                    field,
                })
            }
        };
        pb::ExtractStreamResponse {
            request_id,
            outcome: Some(outcome),
        }
    }

    /// What `Info` answers; also printed by `qawl info`.
    pub fn info(&self) -> pb::InfoResponse {
        let limits = &self.inner.limits;
        let pipeline = &self.inner.pipeline;
        let stages = [
            ("language_detection", pipeline.detector.is_some()),
            ("segment", pipeline.segmenter.is_some()),
            ("attribute", pipeline.attributor.is_some()),
            ("claim_score", pipeline.claim_scorer.is_some()),
            ("stance", pipeline.stance_scorer.is_some()),
        ];
        pb::InfoResponse {
            version: crate::VERSION.to_string(),
            models: self.inner.models.clone(),
            languages: Language::ALL.iter().map(|l| l.code().to_string()).collect(),
            limits: Some(pb::Limits {
                max_article_bytes: limits.max_article_bytes as u64,
                max_targets: saturate(limits.max_targets),
                max_proposition_bytes: saturate(limits.max_proposition_bytes),
                max_id_bytes: saturate(limits.max_id_bytes),
                max_stance_pairs: saturate(limits.max_stance_pairs),
                max_message_bytes: limits.max_message_bytes as u64,
            }),
            stages: stages
                .into_iter()
                .filter(|(_, available)| *available)
                .map(|(name, _)| name.to_string())
                .collect(),
        }
    }
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn finish<T>(timer: RequestTimer, result: Result<T, ServiceError>) -> Result<Response<T>, Status> {
    let result = result.map_err(Status::from);
    timer.finish(
        result
            .as_ref()
            .map_or_else(Status::code, |_| tonic::Code::Ok),
    );
    result.map(Response::new)
}

type ResponseStream = Pin<Box<dyn Stream<Item = Result<pb::ExtractStreamResponse, Status>> + Send>>;

#[tonic::async_trait]
impl pb::qawl_server::Qawl for QawlService {
    async fn extract(
        &self,
        request: Request<pb::ExtractRequest>,
    ) -> Result<Response<pb::ExtractResponse>, Status> {
        let timer = RequestTimer::start("Extract");
        finish(timer, self.extract_one(request.into_inner()).await)
    }

    type ExtractStreamStream = ResponseStream;

    async fn extract_stream(
        &self,
        request: Request<Streaming<pb::ExtractRequest>>,
    ) -> Result<Response<Self::ExtractStreamStream>, Status> {
        let service = self.clone();
        let concurrency = self.inner.stream_concurrency;
        let responses = request
            .into_inner()
            .map(move |item| {
                let service = service.clone();
                async move {
                    // A broken inbound frame ends the stream with its status; a bad article
                    // only yields an error item.
                    let request = item?;
                    let timer = RequestTimer::start("ExtractStream");
                    let response = service.stream_item(request).await;
                    let code = match &response.outcome {
                        Some(pb::extract_stream_response::Outcome::Error(error)) => {
                            tonic::Code::from_i32(error.code)
                        }
                        _ => tonic::Code::Ok,
                    };
                    timer.finish(code);
                    Ok(response)
                }
            })
            .buffer_unordered(concurrency);
        Ok(Response::new(Box::pin(responses)))
    }

    async fn classify_stance(
        &self,
        request: Request<pb::ClassifyStanceRequest>,
    ) -> Result<Response<pb::ClassifyStanceResponse>, Status> {
        let timer = RequestTimer::start("ClassifyStance");
        let result = async {
            let started = Instant::now();
            let request = request.into_inner();
            let pairs = validate_stance_pairs(&request, &self.inner.limits)?;
            let probabilities = self.inner.pipeline.classify_stance(pairs).await?;
            let results = request
                .pairs
                .iter()
                .zip(probabilities)
                .map(|(pair, p)| pb::StanceResult {
                    id: pair.id.clone(),
                    label: convert::stance_label(p.label()) as i32,
                    probabilities: Some(convert::probabilities(p)),
                })
                .collect();
            let models = self
                .inner
                .pipeline
                .stance_scorer
                .iter()
                .map(|s| s.model_id())
                .collect();
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            Ok(pb::ClassifyStanceResponse {
                results,
                metadata: Some(convert::metadata(&Default::default(), models, micros)),
            })
        }
        .await;
        finish(timer, result)
    }

    async fn info(
        &self,
        _: Request<pb::InfoRequest>,
    ) -> Result<Response<pb::InfoResponse>, Status> {
        Ok(Response::new(QawlService::info(self)))
    }
}
