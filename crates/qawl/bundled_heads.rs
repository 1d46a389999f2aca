//! The trained heads, built into the binary: a few hundred KB each, so `qawl` serves them from
//! any working directory and a head can never be out of step with the code that reads it.

use std::path::PathBuf;

use qawl_encoder::HeadFiles;

macro_rules! bundled {
    ($task:literal) => {
        HeadFiles {
            origin: PathBuf::from(concat!("built-in models/heads/", $task)),
            manifest: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/models/heads/",
                $task,
                "/manifest.json"
            ))
            .to_string(),
            weights: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/models/heads/",
                $task,
                "/model.safetensors"
            ))
            .to_vec(),
        }
    };
}

/// Task names of the heads qawl serves, in load order.
pub const HEAD_TASKS: [&str; 3] = ["stance", "claim", "ner"];

/// The committed `models/heads/{stance,claim,ner}`.
pub fn bundled_heads() -> Vec<HeadFiles> {
    vec![bundled!("stance"), bundled!("claim"), bundled!("ner")]
}
