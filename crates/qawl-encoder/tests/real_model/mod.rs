//! The real multilingual-e5-small for the tests that run it: where its files are, and a clean
//! skip, with the reason, when they have not been fetched (CI fetches them first).

use std::path::{Path, PathBuf};

use qawl_encoder::{DefaultModelFiles, EncoderError, ModelStore, MODELS_DIR_ENV};

/// The repository root (the committed heads live under it).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The model files, or `None` (after saying why) when they have not been fetched.
pub fn model_files() -> anyhow::Result<Option<DefaultModelFiles>> {
    let dir = std::env::var_os(MODELS_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("models/cache"));
    match ModelStore::new(&dir)?.default_files() {
        Ok(files) => Ok(Some(files)),
        Err(EncoderError::Missing { path, .. }) => {
            eprintln!(
                "SKIPPED: e5-small is not in {} ({} missing); run `qawl models fetch` or set {MODELS_DIR_ENV}",
                dir.display(),
                path.display()
            );
            Ok(None)
        }
        Err(other) => Err(other.into()),
    }
}
