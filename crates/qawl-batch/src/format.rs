//! The output formats a job can write.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What the output file holds. Recorded in the checkpoint: a resume must write the same format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    /// One line per article: `{"id": …, …the analyser's object…}`.
    #[default]
    Jsonl,
    /// One JSON line per [`crate::FlatRow`] (claim × stance).
    FlatJsonl,
    /// One Parquet row per [`crate::FlatRow`], in a single file once the job ends.
    Parquet,
}

impl OutputFormat {
    /// `*.parquet` is Parquet (always flat); anything else JSONL, flat when `flatten` is set.
    pub fn for_path(path: &Path, flatten: bool) -> Self {
        let parquet = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("parquet"));
        match (parquet, flatten) {
            (true, _) => Self::Parquet,
            (false, true) => Self::FlatJsonl,
            (false, false) => Self::Jsonl,
        }
    }

    /// Whether rows come from a [`crate::RowFlattener`].
    pub fn is_flat(self) -> bool {
        !matches!(self, Self::Jsonl)
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Jsonl => "JSONL",
            Self::FlatJsonl => "flat JSONL",
            Self::Parquet => "Parquet",
        })
    }
}
