//! `qawl batch --server URL…`: archive records go to one or more qawl servers over `ExtractStream`,
//! spread by tower's power-of-two-choices balancer (`tower::balance::p2c::Balance` over a
//! `ServiceList`), each server's load being its articles in flight (`PendingRequests`).
//!
//! Why not `Channel::balance_list`: tonic balances per HTTP/2 call and rates every connection at
//! load 0, so a long-lived stream would be pinned to one server chosen at random. Balancing the
//! articles on top of one stream per server keeps the stream's throughput and spreads the work by
//! what each server still has to do. Retries (UNAVAILABLE, RESOURCE_EXHAUSTED, broken streams) are
//! the batch job's bounded per-record backoff; a bad record's item error goes to the errors file.

use std::sync::Arc;
use std::time::Duration;

use qawl_batch::{AnalyzeError, Analyzer, ArticleRecord};
use tonic::transport::Endpoint;
use tonic::{Code, Status};
use tower::balance::p2c::Balance;
use tower::buffer::Buffer;
use tower::discover::ServiceList;
use tower::load::{CompleteOnResponse, PendingRequests};
use tower::util::BoxService;
use tower::{BoxError, Service, ServiceExt};

use crate::batch_analyzer::{extract_request, response_json};
use crate::batch_stream_session::{Server, StreamSession};
use crate::proto::v1 as pb;
use crate::proto::v1::extract_stream_response::Outcome;
use crate::proto::v1::qawl_client::QawlClient;

/// Connection and timing knobs of [`StreamAnalyzer`].
#[derive(Debug, Clone, Copy)]
pub struct StreamOptions {
    /// Give up connecting to a server after this long (the job retries later).
    pub connect_timeout: Duration,
    /// An article without an answer after this long is retried (a wedged server).
    pub answer_timeout: Duration,
    /// Largest response message accepted, in bytes.
    pub max_message_bytes: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            answer_timeout: Duration::from_secs(600),
            max_message_bytes: 16 << 20,
        }
    }
}

type BalancedFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Outcome, BoxError>> + Send>>;

/// Analyses records on remote qawl servers; results are the same JSON as in-process analysis.
#[derive(Clone)]
pub struct StreamAnalyzer {
    balancer: Buffer<pb::ExtractRequest, BalancedFuture>,
    servers: Vec<Arc<Server>>,
    answer_timeout: Duration,
}

impl StreamAnalyzer {
    /// Balances over `endpoints` (at least one). Connections open lazily, on the first article, so
    /// a server that is not up yet is retried rather than fatal. Needs a Tokio runtime.
    pub fn new(endpoints: Vec<Endpoint>, options: StreamOptions) -> Self {
        let servers: Vec<Arc<Server>> = endpoints
            .into_iter()
            .map(|endpoint| {
                let url = endpoint.uri().to_string();
                let channel = endpoint
                    .connect_timeout(options.connect_timeout)
                    .connect_lazy();
                let client = QawlClient::new(channel)
                    .max_decoding_message_size(options.max_message_bytes)
                    .max_encoding_message_size(options.max_message_bytes);
                Arc::new(Server::new(url, client))
            })
            .collect();
        let sessions: Vec<_> = servers
            .iter()
            .map(|server| {
                PendingRequests::new(
                    StreamSession::new(server.clone()),
                    CompleteOnResponse::default(),
                )
            })
            .collect();
        let balance = Balance::new(ServiceList::new(sessions));
        let boxed: BoxService<pb::ExtractRequest, Outcome, BoxError> = BoxService::new(balance);
        // The buffer lets every concurrent task share the one balancer (its worker owns it).
        let balancer = Buffer::new(boxed, 1024);
        Self {
            balancer,
            servers,
            answer_timeout: options.answer_timeout,
        }
    }

    /// Articles answered by each server, in the order given.
    pub fn served(&self) -> Vec<(String, u64)> {
        self.servers
            .iter()
            .map(|server| (server.url().to_owned(), server.served()))
            .collect()
    }
}

impl std::fmt::Debug for StreamAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamAnalyzer")
            .field("servers", &self.servers)
            .field("answer_timeout", &self.answer_timeout)
            .finish_non_exhaustive()
    }
}

impl Analyzer for StreamAnalyzer {
    async fn analyze(&self, record: ArticleRecord) -> Result<serde_json::Value, AnalyzeError> {
        let request = extract_request(record);
        let mut balancer = self.balancer.clone();
        let call = async move { balancer.ready().await?.call(request).await };
        let outcome = match tokio::time::timeout(self.answer_timeout, call).await {
            Err(_) => {
                return Err(AnalyzeError::unavailable(format!(
                    "no answer within {} s",
                    self.answer_timeout.as_secs()
                )))
            }
            Ok(Err(error)) => return Err(call_error(error)),
            Ok(Ok(outcome)) => outcome,
        };
        match outcome {
            Outcome::Response(response) => response_json(&response),
            Outcome::Error(item) => Err(item_error(item)),
        }
    }
}

/// A failed call: the stream or connection broke (retry, the record is not at fault) unless the
/// server refused the call itself for a reason that retrying cannot change.
fn call_error(error: BoxError) -> AnalyzeError {
    let Some(status) = error.downcast_ref::<Status>() else {
        return AnalyzeError::unavailable(error.to_string());
    };
    let message = format!("{:?}: {}", status.code(), status.message());
    let permanent = matches!(
        status.code(),
        Code::Unimplemented
            | Code::InvalidArgument
            | Code::PermissionDenied
            | Code::Unauthenticated
            | Code::FailedPrecondition
            | Code::NotFound
    );
    if permanent {
        AnalyzeError::record(message)
    } else {
        AnalyzeError::unavailable(message)
    }
}

/// An error item in the stream: overload is retried, anything else is the record's own failure.
fn item_error(item: pb::ItemError) -> AnalyzeError {
    let code = Code::from_i32(item.code);
    let mut message = format!("{code:?}: {}", item.message);
    if !item.field.is_empty() {
        message.push_str(&format!(" (field {})", item.field));
    }
    match code {
        Code::ResourceExhausted | Code::Unavailable => AnalyzeError::unavailable(message),
        _ => AnalyzeError::record(message),
    }
}
