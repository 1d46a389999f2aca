//! Prometheus metrics: request counts by method and code, latency histograms, in-flight
//! requests, and whatever the inference engine records (queue depth, batch sizes).

use std::future::Future;
use std::sync::Mutex;
use std::time::Instant;

use axum::routing::get;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

/// Seconds; from a fast headline-only request to a long article with many targets.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// The process-wide Prometheus recorder, installed on first use (a process has one recorder;
/// the lock makes concurrent first uses, as in tests, install it once).
pub fn prometheus_handle() -> Result<PrometheusHandle, BuildError> {
    let mut slot = HANDLE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(handle) = slot.as_ref() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_string()), LATENCY_BUCKETS)?
        .install_recorder()?;
    *slot = Some(handle.clone());
    Ok(handle)
}

/// Serves `GET /metrics` in the Prometheus text format until `shutdown` resolves.
pub async fn serve_metrics(
    listener: TcpListener,
    handle: PrometheusHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().route("/metrics", get(move || async move { handle.render() }));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Measures one RPC: counts it in flight while alive, then records its code and latency.
#[derive(Debug)]
pub struct RequestTimer {
    method: &'static str,
    started: Instant,
}

impl RequestTimer {
    pub fn start(method: &'static str) -> Self {
        metrics::gauge!("qawl_requests_in_flight", "method" => method).increment(1.0);
        Self {
            method,
            started: Instant::now(),
        }
    }

    /// Records the outcome; `code` is the gRPC status code name ("Ok", "InvalidArgument", …).
    pub fn finish(self, code: tonic::Code) {
        let code = format!("{code:?}");
        metrics::counter!("qawl_requests_total", "method" => self.method, "code" => code)
            .increment(1);
        metrics::histogram!("qawl_request_duration_seconds", "method" => self.method)
            .record(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for RequestTimer {
    fn drop(&mut self) {
        metrics::gauge!("qawl_requests_in_flight", "method" => self.method).decrement(1.0);
    }
}
