//! The checkpoint file: which records are finished and how long the output and errors files were
//! when they were. Appended only after the output and errors bytes it describes are fsync'd, so it
//! never claims more than is durable; on resume the files are cut back to what it claims.
//!
//! Format (JSONL): a header `{"version":1,"inputs":[...],"output_format":"jsonl"}`, then one line
//! per group commit `{"done":[[file,line],...],"output_bytes":N,"errors_bytes":M}`. Parquet output
//! counts complete part files instead of bytes (`"output_parts":K`), and its last line says the
//! parts were merged into the output (`"merged":true`).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::BatchError;
use crate::format::OutputFormat;
use crate::parquet_output;
use crate::record::RecordPosition;

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    version: u32,
    inputs: Vec<String>,
    /// Absent in checkpoints written before other formats existed.
    #[serde(default)]
    output_format: OutputFormat,
}

/// One group commit.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct Commit {
    #[serde(default)]
    pub(crate) done: Vec<(u32, u64)>,
    #[serde(default)]
    pub(crate) output_bytes: u64,
    #[serde(default)]
    pub(crate) errors_bytes: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) output_parts: u64,
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) merged: bool,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The three files of a job.
#[derive(Debug, Clone)]
pub(crate) struct JobFiles {
    pub(crate) output: PathBuf,
    pub(crate) errors: PathBuf,
    pub(crate) checkpoint: PathBuf,
    pub(crate) format: OutputFormat,
    /// Part files of Parquet output (see `parquet_output`).
    pub(crate) parts: PathBuf,
}

/// What an earlier run finished, recovered from its checkpoint.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    pub(crate) done: HashSet<RecordPosition>,
    pub(crate) output_bytes: u64,
    pub(crate) errors_bytes: u64,
    pub(crate) output_parts: u64,
    pub(crate) merged: bool,
}

/// Opened files ready for appending.
#[derive(Debug)]
pub(crate) struct OpenFiles {
    /// The output for appending; `None` for Parquet, written as part files.
    pub(crate) output: Option<File>,
    pub(crate) errors: File,
    pub(crate) checkpoint: File,
}

/// Starts a fresh job: creates (or, with `force`, truncates) the files and writes the header.
pub(crate) fn start_fresh(
    files: &JobFiles,
    inputs: &[String],
    force: bool,
) -> Result<OpenFiles, BatchError> {
    if !force {
        for path in [
            &files.output,
            &files.errors,
            &files.checkpoint,
            &files.parts,
        ] {
            if path.exists() {
                return Err(BatchError::OutputExists { path: path.clone() });
            }
        }
    }
    let create = |path: &PathBuf| {
        OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(path)
            .map_err(|err| BatchError::io("creating", path, err))
    };
    let output = if files.format == OutputFormat::Parquet {
        // A stale file from an overwritten job must not pass for this job's result.
        if files.output.exists() {
            std::fs::remove_file(&files.output)
                .map_err(|err| BatchError::io("removing", &files.output, err))?;
        }
        parquet_output::remove_parts(&files.parts)?;
        parquet_output::prune_parts(&files.parts, 0)?;
        None
    } else {
        Some(create(&files.output)?)
    };
    let errors = create(&files.errors)?;
    let mut checkpoint = create(&files.checkpoint)?;
    let header = Header {
        version: VERSION,
        inputs: inputs.to_vec(),
        output_format: files.format,
    };
    let mut line = serde_json::to_vec(&header).map_err(BatchError::Encode)?;
    line.push(b'\n');
    checkpoint
        .write_all(&line)
        .map_err(|err| BatchError::io("writing", &files.checkpoint, err))?;
    if let Some(output) = &output {
        output
            .sync_all()
            .map_err(|err| BatchError::io("syncing", &files.output, err))?;
    }
    for (file, path) in [(&errors, &files.errors), (&checkpoint, &files.checkpoint)] {
        file.sync_all()
            .map_err(|err| BatchError::io("syncing", path, err))?;
    }
    sync_parent_dir(&files.checkpoint);
    Ok(OpenFiles {
        output,
        errors,
        checkpoint,
    })
}

/// Resumes a job: reads the checkpoint, cuts every file back to its last consistent state.
pub(crate) fn resume(
    files: &JobFiles,
    inputs: &[String],
) -> Result<(OpenFiles, Recovered), BatchError> {
    if !files.checkpoint.exists() {
        if files.output.exists() || files.parts.exists() {
            return Err(BatchError::MissingCheckpoint {
                output: files.output.clone(),
                checkpoint: files.checkpoint.clone(),
            });
        }
        // Nothing was ever started: resuming is starting.
        return Ok((start_fresh(files, inputs, true)?, Recovered::default()));
    }
    let mut bytes = Vec::new();
    File::open(&files.checkpoint)
        .and_then(|mut file| file.read_to_end(&mut bytes))
        .map_err(|err| BatchError::io("reading", &files.checkpoint, err))?;
    // A line is complete only with its newline; a crash mid-append leaves a tail without one.
    let complete_len = bytes
        .iter()
        .rposition(|&byte| byte == b'\n')
        .map_or(0, |at| at + 1);
    let mut lines = bytes[..complete_len]
        .split(|&byte| byte == b'\n')
        .filter(|line| !line.is_empty());
    let Some(header_line) = lines.next() else {
        // Killed before the header was durable: nothing was committed.
        return Ok((start_fresh(files, inputs, true)?, Recovered::default()));
    };
    let header: Header = serde_json::from_slice(header_line)
        .map_err(|err| corrupt(&files.checkpoint, err.to_string()))?;
    if header.version != VERSION {
        return Err(corrupt(
            &files.checkpoint,
            format!("unknown checkpoint version {}", header.version),
        ));
    }
    if header.inputs != inputs {
        return Err(BatchError::InputChanged {
            expected: header.inputs,
            actual: inputs.to_vec(),
        });
    }
    if header.output_format != files.format {
        return Err(BatchError::FormatChanged {
            expected: header.output_format,
            actual: files.format,
        });
    }
    let mut recovered = Recovered::default();
    for line in lines {
        let commit: Commit = serde_json::from_slice(line)
            .map_err(|err| corrupt(&files.checkpoint, err.to_string()))?;
        recovered.done.extend(
            commit
                .done
                .into_iter()
                .map(|(file, line)| RecordPosition { file, line }),
        );
        recovered.output_bytes = commit.output_bytes;
        recovered.errors_bytes = commit.errors_bytes;
        recovered.output_parts = commit.output_parts;
        recovered.merged |= commit.merged;
    }
    let checkpoint = cut_back(&files.checkpoint, complete_len as u64)?;
    let output = if files.format == OutputFormat::Parquet {
        if recovered.merged {
            parquet_output::remove_parts(&files.parts)?;
        } else {
            parquet_output::prune_parts(&files.parts, recovered.output_parts)?;
        }
        None
    } else {
        Some(cut_back(&files.output, recovered.output_bytes)?)
    };
    let errors = cut_back(&files.errors, recovered.errors_bytes)?;
    Ok((
        OpenFiles {
            output,
            errors,
            checkpoint,
        },
        recovered,
    ))
}

/// Truncates a file to `len` bytes (dropping work never checkpointed) and opens it for appending.
fn cut_back(path: &Path, len: u64) -> Result<File, BatchError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|err| BatchError::io("opening", path, err))?;
    let actual = file
        .metadata()
        .map_err(|err| BatchError::io("reading", path, err))?
        .len();
    if actual < len {
        return Err(corrupt(
            path,
            format!("file has {actual} bytes but the checkpoint records {len}"),
        ));
    }
    if actual > len {
        tracing::info!(path = %path.display(), dropped_bytes = actual - len, "dropping output written after the last checkpoint");
        file.set_len(len)
            .map_err(|err| BatchError::io("truncating", path, err))?;
        file.sync_all()
            .map_err(|err| BatchError::io("syncing", path, err))?;
    }
    Ok(file)
}

/// Makes newly created files survive a power cut too; best effort (not every platform allows it).
pub(crate) fn sync_parent_dir(path: &Path) {
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(dir) = File::open(parent) {
        let _ = dir.sync_all();
    }
}

fn corrupt(path: &Path, reason: String) -> BatchError {
    BatchError::CorruptCheckpoint {
        path: path.to_path_buf(),
        reason,
    }
}
