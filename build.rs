//! Compiles proto/qawl/v1 into OUT_DIR: prost messages, tonic client + server, a file-descriptor
//! set for gRPC reflection, and serde impls in the proto3 canonical JSON mapping (pbjson).

use std::path::PathBuf;

const PROTOS: &[&str] = &["proto/qawl/v1/article.proto", "proto/qawl/v1/qawl.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Vendored protoc: a fresh machine needs no apt step.
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    std::env::set_var("PROTOC", protoc);

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let descriptor_path = out_dir.join("qawl_descriptor.bin");
    tonic_prost_build::configure()
        .file_descriptor_set_path(&descriptor_path)
        .compile_protos(PROTOS, &["proto"])?;

    let descriptors = std::fs::read(&descriptor_path)?;
    pbjson_build::Builder::new()
        .register_descriptors(&descriptors)?
        .build(&[".qawl.v1"])?;

    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    Ok(())
}
