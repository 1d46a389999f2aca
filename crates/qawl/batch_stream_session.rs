//! One server's `ExtractStream` as a tower [`Service`]: each call sends one article on a long-lived
//! bidirectional stream and resolves when the answer with its `request_id` comes back. Answers
//! arrive in any order; a reader task matches them to their callers.
//!
//! A broken stream fails its waiting callers (they are retried by the batch job, usually on another
//! server) and puts the server in a cooldown that grows with consecutive failures; while cooling
//! down, `poll_ready` is pending, so the balancer sends work elsewhere. The next call reopens it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Sleep};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::Status;
use tower::Service;

use crate::proto::v1 as pb;
use crate::proto::v1::extract_stream_response::Outcome;
use crate::proto::v1::qawl_client::QawlClient;

/// Requests queued on one stream before senders wait (HTTP/2 flow control does the rest).
const OUTBOUND_QUEUE: usize = 64;
/// First cooldown after a failure; doubled per consecutive failure up to [`MAX_COOLDOWN`].
const FIRST_COOLDOWN: Duration = Duration::from_millis(100);
const MAX_COOLDOWN: Duration = Duration::from_secs(5);

type Waiter = oneshot::Sender<Result<Outcome, Status>>;
/// Callers waiting for an answer, by request id; `None` once the stream is dead.
type Waiting = Arc<Mutex<Option<HashMap<String, Waiter>>>>;

/// A server and its current stream, shared by the balancer's handle and the calls in flight.
#[derive(Debug)]
pub(crate) struct Server {
    url: String,
    client: QawlClient<Channel>,
    stream: tokio::sync::Mutex<Option<OpenStream>>,
    health: Mutex<Health>,
    served: AtomicU64,
}

#[derive(Debug, Default)]
struct Health {
    failures: u32,
    down_until: Option<Instant>,
}

#[derive(Debug, Clone)]
struct OpenStream {
    requests: mpsc::Sender<pb::ExtractRequest>,
    waiting: Waiting,
}

impl OpenStream {
    fn is_alive(&self) -> bool {
        lock(&self.waiting).is_some()
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked (plain maps and counters).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Server {
    pub(crate) fn new(url: String, client: QawlClient<Channel>) -> Self {
        Self {
            url,
            client,
            stream: tokio::sync::Mutex::new(None),
            health: Mutex::new(Health::default()),
            served: AtomicU64::new(0),
        }
    }

    /// The server's address as given.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Articles this server answered.
    pub(crate) fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }

    fn down_until(&self) -> Option<Instant> {
        lock(&self.health)
            .down_until
            .filter(|until| *until > Instant::now())
    }

    fn note_failure(&self) {
        let mut health = lock(&self.health);
        health.failures = health.failures.saturating_add(1);
        let factor = 1u32 << (health.failures - 1).min(10);
        let cooldown = FIRST_COOLDOWN.saturating_mul(factor).min(MAX_COOLDOWN);
        health.down_until = Some(Instant::now() + cooldown);
    }

    fn note_success(&self) {
        let mut health = lock(&self.health);
        health.failures = 0;
        health.down_until = None;
    }

    /// Sends one article and waits for its answer.
    async fn analyze(self: Arc<Self>, request: pb::ExtractRequest) -> Result<Outcome, Status> {
        let stream = self.open_stream().await?;
        let (answer_tx, answer_rx) = oneshot::channel();
        let id = request.request_id.clone();
        match lock(&stream.waiting).as_mut() {
            Some(waiting) => waiting.insert(id.clone(), answer_tx),
            None => return Err(Status::unavailable("the stream to the server closed")),
        };
        if stream.requests.send(request).await.is_err() {
            if let Some(waiting) = lock(&stream.waiting).as_mut() {
                waiting.remove(&id);
            }
            return Err(Status::unavailable("the stream to the server closed"));
        }
        let outcome = answer_rx
            .await
            .map_err(|_| Status::unavailable("the stream to the server closed"))??;
        if matches!(outcome, Outcome::Response(_)) {
            self.served.fetch_add(1, Ordering::Relaxed);
        }
        self.note_success();
        Ok(outcome)
    }

    /// The live stream, opened now if there is none (one opener at a time; others wait and share).
    async fn open_stream(self: &Arc<Self>) -> Result<OpenStream, Status> {
        let mut current = self.stream.lock().await;
        if let Some(stream) = current.as_ref().filter(|stream| stream.is_alive()) {
            return Ok(stream.clone());
        }
        let (requests, outbound) = mpsc::channel(OUTBOUND_QUEUE);
        let mut client = self.client.clone();
        let inbound = match client.extract_stream(ReceiverStream::new(outbound)).await {
            Ok(response) => response.into_inner(),
            Err(status) => {
                tracing::debug!(server = %self.url, %status, "cannot open ExtractStream");
                self.note_failure();
                return Err(status);
            }
        };
        let waiting: Waiting = Arc::new(Mutex::new(Some(HashMap::new())));
        tokio::spawn(read_answers(self.clone(), inbound, waiting.clone()));
        let stream = OpenStream { requests, waiting };
        *current = Some(stream.clone());
        Ok(stream)
    }
}

/// Hands each answer to its caller; when the stream ends, fails every caller still waiting.
async fn read_answers(
    server: Arc<Server>,
    mut inbound: tonic::Streaming<pb::ExtractStreamResponse>,
    waiting: Waiting,
) {
    let ending = loop {
        match inbound.message().await {
            Ok(Some(answer)) => {
                let waiter = lock(&waiting)
                    .as_mut()
                    .and_then(|waiting| waiting.remove(&answer.request_id));
                let outcome = answer.outcome.unwrap_or_else(|| {
                    Outcome::Error(pb::ItemError {
                        code: tonic::Code::Internal as i32,
                        message: "the server sent an answer without outcome".to_owned(),
                        field: String::new(),
                    })
                });
                if let Some(waiter) = waiter {
                    // The caller may have timed out and gone; nothing to do then.
                    let _ = waiter.send(Ok(outcome));
                }
            }
            Ok(None) => break Status::unavailable("the server ended the stream"),
            Err(status) => break status,
        }
    };
    let orphans = lock(&waiting).take().unwrap_or_default();
    if !orphans.is_empty() {
        tracing::debug!(server = %server.url, status = %ending, waiting = orphans.len(), "stream broke");
        server.note_failure();
    }
    for (_, waiter) in orphans {
        let _ = waiter.send(Err(ending.clone()));
    }
}

/// The balancer's handle on one server.
#[derive(Debug)]
pub(crate) struct StreamSession {
    server: Arc<Server>,
    cooldown: Option<Pin<Box<Sleep>>>,
}

impl StreamSession {
    pub(crate) fn new(server: Arc<Server>) -> Self {
        Self {
            server,
            cooldown: None,
        }
    }
}

impl Service<pb::ExtractRequest> for StreamSession {
    type Response = Outcome;
    type Error = Status;
    type Future = Pin<Box<dyn Future<Output = Result<Outcome, Status>> + Send>>;

    /// Never fails (the balancer would drop the server for good); pending while cooling down.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        let Some(until) = self.server.down_until() else {
            self.cooldown = None;
            return Poll::Ready(Ok(()));
        };
        let sleep = self
            .cooldown
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(until)));
        if sleep.deadline() != until {
            sleep.as_mut().reset(until);
        }
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.cooldown = None;
                Poll::Ready(Ok(()))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, request: pb::ExtractRequest) -> Self::Future {
        Box::pin(self.server.clone().analyze(request))
    }
}
