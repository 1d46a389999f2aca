//! `qawl serve`: tonic on tokio with health, reflection, gRPC-web, Prometheus metrics and a
//! graceful shutdown that lets in-flight requests finish.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tonic_web::GrpcWebLayer;
use tower_http::cors::CorsLayer;

use crate::proto::v1::qawl_server::QawlServer;
use crate::proto::v1::FILE_DESCRIPTOR_SET;
use crate::service::QawlService;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("gRPC reflection could not be built")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("the gRPC server failed")]
    Transport(#[from] tonic::transport::Error),
    #[error("the metrics recorder could not be installed")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
    #[error("could not bind the metrics endpoint at {addr}")]
    MetricsBind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Serves `service` on `listener` until `shutdown` resolves, then drains in-flight requests.
/// With `metrics_listener`, also serves `GET /metrics` there.
pub async fn serve(
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    service: QawlService,
    max_message_bytes: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    // One shutdown signal fans out to the gRPC server and the metrics endpoint.
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };

    let metrics_task = match metrics_listener {
        Some(listener) => {
            let handle = crate::metrics::prometheus_handle()?;
            let stop = stopped(stop_rx.clone());
            Some(tokio::spawn(crate::metrics::serve_metrics(
                listener, handle, stop,
            )))
        }
        None => None,
    };

    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<QawlServer<QawlService>>()
        .await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    // v1alpha too: grpcurl and many tools still ask for it.
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    let qawl = QawlServer::new(service)
        .max_decoding_message_size(max_message_bytes)
        .max_encoding_message_size(max_message_bytes);

    tracing::info!(addr = ?listener.local_addr().ok(), "qawl serving");
    Server::builder()
        // gRPC-web for browser-based editorial tools: HTTP/1.1 plus CORS.
        .accept_http1(true)
        .layer(CorsLayer::permissive())
        .layer(GrpcWebLayer::new())
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(qawl)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stopped(stop_rx))
        .await?;
    tracing::info!("qawl stopped: in-flight requests finished");

    if let Some(task) = metrics_task {
        match task.await {
            Ok(Err(error)) => tracing::warn!(%error, "metrics endpoint failed"),
            Err(error) => tracing::warn!(%error, "metrics task panicked"),
            Ok(Ok(())) => {}
        }
    }
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (Kubernetes, systemd).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; draining in-flight requests");
}
