//! Generated `qawl.v1` types (prost + tonic + pbjson serde), compiled by build.rs into OUT_DIR.

#[allow(
    clippy::all,
    clippy::pedantic,
    missing_debug_implementations,
    missing_docs
)]
pub mod v1 {
    tonic::include_proto!("qawl.v1");
    include!(concat!(env!("OUT_DIR"), "/qawl.v1.serde.rs"));

    /// The encoded file-descriptor set, served by gRPC reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("qawl_descriptor");
}
