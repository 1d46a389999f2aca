//! Flat output: one row per claim × stance, for Parquet output and `--flatten` JSONL.
//!
//! Nothing is silently missing: an article without claims still gives one row (every claim and
//! stance column null), and a claim without stances gives one row with null stance columns.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One flat row. Columns keep these names in Parquet and in flattened JSONL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlatRow {
    /// The article's id (never null).
    pub article_id: String,
    /// Language analysed (ISO 639-1).
    pub language: Option<String>,
    /// Position of the claim in the article's claim list (0-based); null for an article without claims.
    pub claim_index: Option<u32>,
    /// The claim's id within the article.
    pub claim_id: Option<String>,
    /// How the claim is reported (`CLAIM_KIND_DIRECT_QUOTE`, …), as in the JSON output.
    pub claim_kind: Option<String>,
    /// The claim's text.
    pub claim_text: Option<String>,
    /// Claim span: UTF-8 byte offsets into the article text.
    pub claim_start_byte: Option<u32>,
    /// End of the claim span (exclusive), bytes.
    pub claim_end_byte: Option<u32>,
    /// Claim span: UTF-16 code-unit offsets (for JavaScript and Java callers).
    pub claim_start_utf16: Option<u32>,
    /// End of the claim span (exclusive), UTF-16 code units.
    pub claim_end_utf16: Option<u32>,
    /// The reporting cue's text ("said", "قال").
    pub cue_text: Option<String>,
    /// Cue span start, bytes.
    pub cue_start_byte: Option<u32>,
    /// Cue span end (exclusive), bytes.
    pub cue_end_byte: Option<u32>,
    /// Cue span start, UTF-16 code units.
    pub cue_start_utf16: Option<u32>,
    /// Cue span end (exclusive), UTF-16 code units.
    pub cue_end_utf16: Option<u32>,
    /// The speaker's id within the article; null for an unattributed claim.
    pub speaker_id: Option<String>,
    /// The speaker's canonical name.
    pub speaker_name: Option<String>,
    /// `SPEAKER_KIND_PERSON`, `SPEAKER_KIND_ORGANIZATION`, …, as in the JSON output.
    pub speaker_kind: Option<String>,
    /// Check-worthiness score, when a claim model ran.
    pub claim_score: Option<f32>,
    /// The target this stance is toward; null when the claim has no stances.
    pub target_id: Option<String>,
    /// `STANCE_LABEL_ENTAILS`, `STANCE_LABEL_CONTRADICTS` or `STANCE_LABEL_NEUTRAL`.
    pub label: Option<String>,
    /// Probability that the claim entails the target.
    pub p_entails: Option<f32>,
    /// Probability that the claim contradicts the target.
    pub p_contradicts: Option<f32>,
    /// Probability that the claim is neutral toward the target.
    pub p_neutral: Option<f32>,
}

impl FlatRow {
    /// The row of an article that has no claims: every column but the id (and language) null.
    pub fn article_only(article_id: impl Into<String>) -> Self {
        Self {
            article_id: article_id.into(),
            ..Self::default()
        }
    }
}

/// Turns one article's analysis (the [`crate::Analyzer`]'s JSON) into flat rows.
///
/// Supplied by the caller that knows the result's shape; required for flat output formats.
pub trait RowFlattener: Send + Sync + fmt::Debug + 'static {
    /// Rows of one article. An empty list is written as one [`FlatRow::article_only`] row, so every
    /// article appears in the output. An error sends the article to the errors file.
    fn rows(&self, article_id: &str, result: &serde_json::Value) -> Result<Vec<FlatRow>, String>;
}
