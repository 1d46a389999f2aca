//! Assembles the pipeline from the stages this build has. A stage that is not built stays `None`,
//! and requests that need it get UNIMPLEMENTED (see qawl-core's `Pipeline`).

use std::sync::Arc;

use qawl_attribution::{RuleAttributor, RuleSegmenter, ScriptLanguageDetector};
use qawl_core::Pipeline;

use crate::proto::v1 as pb;

/// The pipeline and the models behind it, as `Info` reports them.
#[derive(Debug, Clone, Default)]
pub struct LoadedPipeline {
    pub pipeline: Pipeline,
    pub models: Vec<pb::ModelInfo>,
}

/// The rule stages: language detection, segmentation and attribution (no model needed).
pub fn rule_pipeline() -> Pipeline {
    Pipeline {
        detector: Some(Arc::new(ScriptLanguageDetector::default())),
        segmenter: Some(Arc::new(RuleSegmenter::default())),
        attributor: Some(Arc::new(RuleAttributor::default())),
        claim_scorer: None,
        stance_scorer: None,
    }
}

/// Builds the default pipeline: the rule stages; model-backed scorers join when loaded.
pub fn default_pipeline() -> LoadedPipeline {
    LoadedPipeline {
        pipeline: rule_pipeline(),
        models: Vec::new(),
    }
}
