//! Starts an in-process qawl server on 127.0.0.1:0 for integration tests.
#![allow(dead_code)]

use std::net::SocketAddr;

use qawl::limits::Limits;
use qawl::proto::v1::qawl_client::QawlClient;
use qawl::server::serve;
use qawl::service::QawlService;
use qawl_core::Pipeline;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

pub struct TestServer {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<Result<(), qawl::server::ServeError>>,
}

impl TestServer {
    pub async fn start(pipeline: Pipeline, limits: Limits) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let metrics_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let metrics_addr = metrics_listener.local_addr().expect("addr");
        let max_message = limits.max_message_bytes;
        let service = QawlService::new(pipeline, limits, Vec::new(), 4);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(
            listener,
            Some(metrics_listener),
            service,
            max_message,
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            addr,
            metrics_addr,
            stop: Some(stop),
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url())
            .expect("url")
            .connect()
            .await
            .expect("connect")
    }

    pub async fn client(&self) -> QawlClient<Channel> {
        QawlClient::new(self.channel().await)
    }

    /// Signals shutdown (as SIGTERM does) without waiting for the server to stop.
    pub fn signal_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Sends one raw HTTP/1.1 request and returns the whole response (the connection is closed after).
pub async fn http1(addr: SocketAddr, head: &str, body: &[u8]) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    response
}

pub mod stages;
