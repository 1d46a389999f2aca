//! qawl: who claims what, and with which stance. The gRPC service, its API edge and the CLI's
//! building blocks. The domain lives in `qawl-core`; this crate only adapts it to the wire.

pub mod batch_analyzer;
pub mod batch_client;
pub mod batch_rows;
mod batch_stream_session;
mod bundled_heads;
pub mod cli;
pub mod convert;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod pipeline_factory;
pub mod proto;
pub mod server;
pub mod service;
pub mod utf16;
pub mod validate;

/// The qawl version, as reported by `Info` and response metadata.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
