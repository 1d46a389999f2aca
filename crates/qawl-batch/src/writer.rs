//! The single writer: appends finished records to the output or errors file, fsyncs them, then
//! appends a checkpoint line naming them. Records are committed in groups to amortise the fsyncs.
//! Parquet rows wait in memory until a part file is due (see `parquet_output`); only then does the
//! checkpoint name their records, so a crash loses at most one unwritten part, never a result.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::checkpoint::{Commit, JobFiles, OpenFiles};
use crate::error::BatchError;
use crate::flat::FlatRow;
use crate::parquet_output;
use crate::progress::Progress;
use crate::record::{ErrorRecord, RecordPosition};

/// Most records per group commit.
const MAX_GROUP: usize = 512;

/// An article's output, in the form its output format needs.
#[derive(Debug)]
pub(crate) enum Payload {
    /// JSONL bytes (one or more lines, without the final newline).
    Lines(Vec<u8>),
    /// Flat rows for Parquet.
    Rows(Vec<FlatRow>),
}

/// A record that needs no more work.
#[derive(Debug)]
pub(crate) enum Finished {
    /// The article's output and the number of claims in it.
    Output {
        position: RecordPosition,
        payload: Payload,
        claims: u64,
    },
    Error {
        position: RecordPosition,
        record: ErrorRecord,
    },
}

/// Counts of what this run wrote.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Written {
    pub(crate) articles: u64,
    pub(crate) claims: u64,
    pub(crate) errors: u64,
}

/// When a Parquet part is written: after this many rows, or once the oldest waiting row is this old.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartPolicy {
    pub(crate) rows: usize,
    pub(crate) interval: Duration,
}

/// Where the durable state stood when the writer started (from the checkpoint, or zero).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Offsets {
    pub(crate) output_bytes: u64,
    pub(crate) errors_bytes: u64,
    pub(crate) output_parts: u64,
}

/// What the writer hands back: counts, the files (for the final merge commit) and where they stand.
#[derive(Debug)]
pub(crate) struct WriterEnd {
    pub(crate) written: Written,
    pub(crate) files: OpenFiles,
    pub(crate) offsets: Offsets,
    /// Whether this run wrote any Parquet part.
    pub(crate) wrote_parts: bool,
}

/// Parquet rows finished but not yet in a part file.
#[derive(Debug, Default)]
struct PendingPart {
    rows: Vec<FlatRow>,
    done: Vec<(u32, u64)>,
    articles: u64,
    claims: u64,
    since: Option<Instant>,
}

impl PendingPart {
    fn due(&self, policy: PartPolicy) -> bool {
        self.rows.len() >= policy.rows
            || self
                .since
                .is_some_and(|since| since.elapsed() >= policy.interval)
    }
}

/// Writes until every sender is dropped.
pub(crate) fn write_all(
    mut files: OpenFiles,
    paths: &JobFiles,
    mut offsets: Offsets,
    policy: PartPolicy,
    mut finished: mpsc::Receiver<Finished>,
    mut progress: Progress,
) -> Result<WriterEnd, BatchError> {
    let mut written = Written::default();
    let mut pending = PendingPart::default();
    let mut wrote_parts = false;
    let mut group = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = finished.blocking_recv() {
        group.clear();
        group.push(first);
        while group.len() < MAX_GROUP {
            match finished.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let mut output_buf = Vec::new();
        let mut errors_buf = Vec::new();
        let mut done = Vec::with_capacity(group.len());
        for item in group.drain(..) {
            match item {
                Finished::Output {
                    position,
                    payload: Payload::Lines(lines),
                    claims,
                } => {
                    output_buf.extend_from_slice(&lines);
                    output_buf.push(b'\n');
                    written.articles += 1;
                    written.claims += claims;
                    done.push((position.file, position.line));
                }
                Finished::Output {
                    position,
                    payload: Payload::Rows(rows),
                    claims,
                } => {
                    pending.rows.extend(rows);
                    pending.done.push((position.file, position.line));
                    pending.articles += 1;
                    pending.claims += claims;
                    pending.since.get_or_insert_with(Instant::now);
                }
                Finished::Error { position, record } => {
                    let line = serde_json::to_vec(&record).map_err(BatchError::Encode)?;
                    errors_buf.extend_from_slice(&line);
                    errors_buf.push(b'\n');
                    written.errors += 1;
                    done.push((position.file, position.line));
                }
            }
        }
        // Order matters: results durable first, then the checkpoint that points at them.
        if !output_buf.is_empty() {
            let Some(output) = files.output.as_mut() else {
                return Err(format_mismatch(paths));
            };
            append_durably(output, &paths.output, &output_buf)?;
            offsets.output_bytes += output_buf.len() as u64;
        }
        append_durably(&mut files.errors, &paths.errors, &errors_buf)?;
        offsets.errors_bytes += errors_buf.len() as u64;
        if pending.due(policy) {
            flush_part(&mut pending, paths, &mut offsets, &mut written, &mut done)?;
            wrote_parts = true;
        }
        if !done.is_empty() {
            commit(&mut files.checkpoint, paths, &offsets, done, false)?;
        }
        progress.update(written);
    }
    if !pending.rows.is_empty() {
        let mut done = Vec::new();
        flush_part(&mut pending, paths, &mut offsets, &mut written, &mut done)?;
        commit(&mut files.checkpoint, paths, &offsets, done, false)?;
        wrote_parts = true;
    }
    progress.finish(written);
    Ok(WriterEnd {
        written,
        files,
        offsets,
        wrote_parts,
    })
}

/// Writes the waiting rows as the next part and moves their records into `done`.
fn flush_part(
    pending: &mut PendingPart,
    paths: &JobFiles,
    offsets: &mut Offsets,
    written: &mut Written,
    done: &mut Vec<(u32, u64)>,
) -> Result<(), BatchError> {
    if paths.format != crate::OutputFormat::Parquet {
        return Err(format_mismatch(paths));
    }
    parquet_output::write_part(&paths.parts, offsets.output_parts + 1, &pending.rows)?;
    offsets.output_parts += 1;
    written.articles += pending.articles;
    written.claims += pending.claims;
    done.append(&mut pending.done);
    *pending = PendingPart::default();
    Ok(())
}

/// Appends one checkpoint line describing the durable state.
pub(crate) fn commit(
    checkpoint: &mut File,
    paths: &JobFiles,
    offsets: &Offsets,
    done: Vec<(u32, u64)>,
    merged: bool,
) -> Result<(), BatchError> {
    let commit = Commit {
        done,
        output_bytes: offsets.output_bytes,
        errors_bytes: offsets.errors_bytes,
        output_parts: offsets.output_parts,
        merged,
    };
    let mut line = serde_json::to_vec(&commit).map_err(BatchError::Encode)?;
    line.push(b'\n');
    append_durably(checkpoint, &paths.checkpoint, &line)
}

/// A payload that does not fit the output format: a bug in the job, reported rather than panicking.
fn format_mismatch(paths: &JobFiles) -> BatchError {
    BatchError::InvalidConfig(format!(
        "internal error: a result does not match the {} output format",
        paths.format
    ))
}

fn append_durably(file: &mut File, path: &Path, bytes: &[u8]) -> Result<(), BatchError> {
    if bytes.is_empty() {
        return Ok(());
    }
    file.write_all(bytes)
        .map_err(|err| BatchError::io("writing", path, err))?;
    file.sync_data()
        .map_err(|err| BatchError::io("syncing", path, err))
}
