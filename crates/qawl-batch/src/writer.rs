//! The single writer: appends finished records to the output or errors file, fsyncs them, then
//! appends a checkpoint line naming them. Records are committed in groups to amortise the fsyncs.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use tokio::sync::mpsc;

use crate::checkpoint::{Commit, JobFiles, OpenFiles};
use crate::error::BatchError;
use crate::progress::Progress;
use crate::record::{ErrorRecord, RecordPosition};

/// Most records per group commit.
const MAX_GROUP: usize = 512;

/// A record that needs no more work.
#[derive(Debug)]
pub(crate) enum Finished {
    /// The output line (without newline) and the number of claims in it.
    Output {
        position: RecordPosition,
        line: Vec<u8>,
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

/// Writes until every sender is dropped.
pub(crate) fn write_all(
    mut files: OpenFiles,
    paths: &JobFiles,
    mut output_bytes: u64,
    mut errors_bytes: u64,
    mut finished: mpsc::Receiver<Finished>,
    mut progress: Progress,
) -> Result<Written, BatchError> {
    let mut written = Written::default();
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
                    line,
                    claims,
                } => {
                    output_buf.extend_from_slice(&line);
                    output_buf.push(b'\n');
                    written.articles += 1;
                    written.claims += claims;
                    done.push((position.file, position.line));
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
        append_durably(&mut files.output, &paths.output, &output_buf)?;
        append_durably(&mut files.errors, &paths.errors, &errors_buf)?;
        output_bytes += output_buf.len() as u64;
        errors_bytes += errors_buf.len() as u64;
        let commit = Commit {
            done,
            output_bytes,
            errors_bytes,
        };
        let mut line = serde_json::to_vec(&commit).map_err(BatchError::Encode)?;
        line.push(b'\n');
        append_durably(&mut files.checkpoint, &paths.checkpoint, &line)?;
        progress.update(written);
    }
    progress.finish(written);
    Ok(written)
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
