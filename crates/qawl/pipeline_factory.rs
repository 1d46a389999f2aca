//! Assembles the pipeline from the stages this build has. A stage that is not built stays `None`,
//! and requests that need it get UNIMPLEMENTED (see qawl-core's `Pipeline`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use qawl_attribution::{RuleAttributor, RuleSegmenter, ScriptLanguageDetector};
use qawl_core::Pipeline;
use qawl_encoder::{
    FileState, HeadFiles, HeadedEncoder, ModelEntry, ModelRole, ModelStore, RuntimeOptions,
};
use qawl_engine::EngineConfig;
use qawl_heads::HeadsRuntime;

use crate::bundled_heads::{bundled_heads, HEAD_TASKS};
use crate::proto::v1 as pb;

/// The pipeline and the models behind it, as `Info` reports them.
#[derive(Debug, Clone, Default)]
pub struct LoadedPipeline {
    pub pipeline: Pipeline,
    pub models: Vec<pb::ModelInfo>,
    /// The model runtime, when the heads are loaded (health follows its engine).
    pub heads: Option<HeadsRuntime>,
}

/// The rule stages: language detection, segmentation and attribution (no model needed).
pub fn rule_pipeline() -> Pipeline {
    Pipeline {
        detector: Some(Arc::new(ScriptLanguageDetector::default())),
        segmenter: Some(Arc::new(RuleSegmenter::default())),
        attributor: Some(Arc::new(RuleAttributor::default())),
        name_tagger: None,
        claim_scorer: None,
        stance_scorer: None,
    }
}

/// Where the models come from and how they run.
#[derive(Debug, Clone)]
pub struct ModelSetup {
    /// The folder with the fetched encoder and tokenizer.
    pub store: ModelStore,
    /// A folder with `stance/`, `claim/`, `ner/` head folders replacing the built-in heads.
    pub heads_dir: Option<PathBuf>,
    /// Device and precision.
    pub runtime: RuntimeOptions,
    /// Batching and admission limits of the model engine.
    pub engine: EngineConfig,
}

impl ModelSetup {
    /// The built-in heads on the CPU in f32, with the engine's default limits.
    pub fn new(store: ModelStore) -> Self {
        Self {
            store,
            heads_dir: None,
            runtime: RuntimeOptions::default(),
            engine: EngineConfig::new("heads"),
        }
    }
}

/// The rule stages plus the trained heads on the e5 encoder: the speaker tagger (names as a
/// signal for attribution), the claim scorer and the stance scorer.
/// Blocking: loads and dequantizes the encoder (about a second in a release build).
pub fn model_pipeline(setup: &ModelSetup) -> anyhow::Result<LoadedPipeline> {
    let files = setup
        .store
        .default_files()
        .context("the default model is not in the models folder; run `qawl models fetch`")?;
    let pin = setup
        .store
        .manifest()
        .entry(ModelRole::Encoder)
        .map(|entry| entry.sha256.clone())
        .context("the model manifest has no encoder")?;
    let heads = match &setup.heads_dir {
        Some(dir) => HEAD_TASKS
            .iter()
            .map(|task| HeadFiles::from_folder(&dir.join(task)))
            .collect::<Result<Vec<_>, _>>()?,
        None => bundled_heads(),
    };
    let encoder = HeadedEncoder::load(
        &files.encoder,
        &files.tokenizer,
        &pin,
        &heads,
        setup.runtime,
    )
    .context("cannot load the encoder and its heads")?;
    let runtime = HeadsRuntime::start(encoder, setup.engine.clone())?;
    let pipeline = Pipeline {
        name_tagger: Some(Arc::new(runtime.speaker_tagger()?)),
        claim_scorer: Some(Arc::new(runtime.claim_scorer()?)),
        stance_scorer: Some(Arc::new(runtime.stance_scorer()?)),
        ..rule_pipeline()
    };
    let precision = setup.runtime.precision.to_string();
    // `default_files` has just checked every pinned file's hash: no need to hash them again.
    let mut models: Vec<pb::ModelInfo> = setup
        .store
        .manifest()
        .models
        .iter()
        .map(|entry| model_info(entry, true, true))
        .collect();
    for model in &mut models {
        if model.role == ModelRole::Encoder.to_string() {
            model.precision.clone_from(&precision);
        }
    }
    models.extend(heads.iter().zip(HEAD_TASKS).map(|(files, task)| {
        let manifest = runtime
            .encoder()
            .manifest(runtime.encoder().head_index(task).unwrap_or(usize::MAX));
        let sha256 = manifest
            .map(|m| m.weights_sha256.clone())
            .unwrap_or_default();
        pb::ModelInfo {
            role: if task == "ner" {
                "speaker_tagger"
            } else {
                task
            }
            .to_string(),
            id: format!("qawl/{task} (LoRA on multilingual-e5-small)"),
            revision: files.origin.display().to_string(),
            sha256,
            loaded: true,
            present: true,
            precision: precision.clone(),
        }
    }));
    Ok(LoadedPipeline {
        pipeline,
        models,
        heads: Some(runtime),
    })
}

/// The rule stages only; the model files are listed as they are on disk, not loaded.
pub fn rules_only_pipeline(store: &ModelStore) -> anyhow::Result<LoadedPipeline> {
    Ok(LoadedPipeline {
        pipeline: rule_pipeline(),
        models: model_infos(store, false)?,
        heads: None,
    })
}

/// The pinned model files and whether each is on disk with its pinned hash.
pub fn model_infos(store: &ModelStore, loaded: bool) -> anyhow::Result<Vec<pb::ModelInfo>> {
    let status = store.status().context("cannot check the models folder")?;
    Ok(status
        .into_iter()
        .map(|file| {
            let present = file.state == FileState::Verified;
            model_info(&file.entry, present, loaded && present)
        })
        .collect())
}

/// One pinned file as `Info` lists it; `present`: on disk with its pinned hash.
fn model_info(entry: &ModelEntry, present: bool, loaded: bool) -> pb::ModelInfo {
    pb::ModelInfo {
        role: entry.role.to_string(),
        id: entry.upstream.clone(),
        revision: entry.revision.clone(),
        sha256: entry.sha256.clone(),
        loaded,
        present,
        precision: String::new(),
    }
}
