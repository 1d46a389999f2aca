//! Where a checkpoint's files come from: a local folder, or the model hub at a pinned revision
//! (through hf-hub, honouring an offline cache and `HF_TOKEN`).

use std::path::{Path, PathBuf};

use hf_hub::api::sync::ApiBuilder;
use hf_hub::{Cache, Repo, RepoType};

use crate::error::{EncoderError, Result};

const CONFIG: &str = "config.json";
const WEIGHTS: &str = "model.safetensors";
const TOKENIZER: &str = "tokenizer.json";

/// The files of one checkpoint on local disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFiles {
    /// `config.json`.
    pub config: PathBuf,
    /// `model.safetensors`.
    pub weights: PathBuf,
    /// `tokenizer.json`, when the checkpoint ships one.
    pub tokenizer: Option<PathBuf>,
    /// The hub revision the files were resolved at, if they came from the hub.
    pub revision: Option<String>,
}

/// A checkpoint on the model hub, pinned to a revision (ideally a commit hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubCheckpoint {
    /// Repository id, e.g. `owner/name`.
    pub repo: String,
    /// Branch, tag or commit hash.
    pub revision: String,
    /// The hub cache folder (hf-hub / huggingface_hub layout).
    pub cache_dir: PathBuf,
    /// Another hub endpoint (a mirror), as a base URL.
    pub endpoint: Option<String>,
    /// Access token for gated or private repositories.
    pub token: Option<String>,
    /// Use only the cache; never touch the network.
    pub offline: bool,
}

impl HubCheckpoint {
    /// Settings from the environment, as the Python tools read them: `HF_HUB_CACHE` or
    /// `HF_HOME`/hub (else `~/.cache/huggingface/hub`), `HF_ENDPOINT`, `HF_TOKEN`, `HF_HUB_OFFLINE`.
    pub fn from_env(repo: impl Into<String>, revision: impl Into<String>) -> Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let cache_dir = var("HF_HUB_CACHE")
            .map(PathBuf::from)
            .or_else(|| var("HF_HOME").map(|home| PathBuf::from(home).join("hub")))
            .or_else(|| var("HOME").map(|home| Path::new(&home).join(".cache/huggingface/hub")))
            .ok_or_else(|| {
                EncoderError::InvalidInput(
                    "no hub cache folder: set HF_HUB_CACHE, HF_HOME or HOME".into(),
                )
            })?;
        Ok(Self {
            repo: repo.into(),
            revision: revision.into(),
            cache_dir,
            endpoint: var("HF_ENDPOINT"),
            token: var("HF_TOKEN"),
            offline: var("HF_HUB_OFFLINE").is_some_and(|v| v != "0" && v != "false"),
        })
    }

    fn error(&self, file: &str, reason: String) -> EncoderError {
        EncoderError::Hub {
            repo: self.repo.clone(),
            revision: self.revision.clone(),
            file: file.to_string(),
            reason,
        }
    }

    /// A file from the cache: `snapshots/<revision>/` when the revision is a commit hash, else the
    /// commit that `refs/<revision>` points to.
    fn cached(&self, file: &str) -> Option<PathBuf> {
        let repo = Repo::with_revision(self.repo.clone(), RepoType::Model, self.revision.clone());
        let by_commit = self
            .cache_dir
            .join(repo.folder_name())
            .join("snapshots")
            .join(&self.revision)
            .join(file);
        if by_commit.is_file() {
            return Some(by_commit);
        }
        Cache::new(self.cache_dir.clone()).repo(repo).get(file)
    }

    fn fetch(&self, file: &str) -> Result<PathBuf> {
        if let Some(path) = self.cached(file) {
            return Ok(path);
        }
        if self.offline {
            return Err(self.error(
                file,
                format!(
                    "not in the hub cache {} and offline mode is on (HF_HUB_OFFLINE)",
                    self.cache_dir.display()
                ),
            ));
        }
        let mut builder = ApiBuilder::from_cache(Cache::new(self.cache_dir.clone()))
            .with_progress(false)
            .with_token(self.token.clone());
        if let Some(endpoint) = &self.endpoint {
            builder = builder.with_endpoint(endpoint.clone());
        }
        let api = builder
            .build()
            .map_err(|e| self.error(file, e.to_string()))?;
        let repo = Repo::with_revision(self.repo.clone(), RepoType::Model, self.revision.clone());
        api.repo(repo)
            .get(file)
            .map_err(|e| self.error(file, e.to_string()))
    }
}

/// Where to load a checkpoint from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointSource {
    /// A folder with `config.json`, `model.safetensors` and optionally `tokenizer.json`.
    Folder(PathBuf),
    /// A hub repository at a pinned revision.
    Hub(HubCheckpoint),
}

impl CheckpointSource {
    /// Finds (and for the hub, downloads if needed) the checkpoint's files.
    pub fn resolve(&self) -> Result<CheckpointFiles> {
        match self {
            Self::Folder(dir) => resolve_folder(dir),
            Self::Hub(hub) => Ok(CheckpointFiles {
                config: hub.fetch(CONFIG)?,
                weights: hub.fetch(WEIGHTS)?,
                // Optional: many classification checkpoints ship one, but not all.
                tokenizer: hub.fetch(TOKENIZER).ok(),
                revision: Some(hub.revision.clone()),
            }),
        }
    }
}

fn resolve_folder(dir: &Path) -> Result<CheckpointFiles> {
    let config = dir.join(CONFIG);
    let weights = dir.join(WEIGHTS);
    for (path, what) in [
        (&config, "the model configuration"),
        (&weights, "the weights"),
    ] {
        if !path.is_file() {
            let hint = if path == &weights && dir.join("pytorch_model.bin").is_file() {
                "only safetensors weights are supported; convert pytorch_model.bin to model.safetensors".to_string()
            } else {
                format!("{what} must be in the checkpoint folder")
            };
            return Err(EncoderError::Missing {
                path: path.clone(),
                hint,
            });
        }
    }
    let tokenizer = Some(dir.join(TOKENIZER)).filter(|p| p.is_file());
    Ok(CheckpointFiles {
        config,
        weights,
        tokenizer,
        revision: None,
    })
}
