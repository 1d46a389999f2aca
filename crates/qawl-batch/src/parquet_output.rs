//! Parquet output, resumable: a Parquet file cannot be appended to once its footer is written, so
//! finished rows go to numbered part files (`OUTPUT.parts/part-000001.parquet`, each complete and
//! fsync'd before the checkpoint names it). A resume deletes parts the checkpoint does not name;
//! the end of the job merges the parts into OUTPUT (written beside it, then renamed into place).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float32Array, RecordBatch, StringArray, UInt32Array};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::checkpoint::sync_parent_dir;
use crate::error::BatchError;
use crate::flat::FlatRow;

/// Rows per row group of the merged file.
const ROW_GROUP_ROWS: usize = 64 * 1024;

/// The folder of part files for an output path.
pub(crate) fn parts_dir(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".parts");
    PathBuf::from(name)
}

fn part_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("part-{index:06}.parquet"))
}

/// The rows as one Arrow batch; every column but `article_id` is nullable.
pub(crate) fn record_batch(rows: &[FlatRow]) -> Result<RecordBatch, BatchError> {
    fn text(rows: &[FlatRow], column: impl Fn(&FlatRow) -> Option<&str>) -> ArrayRef {
        Arc::new(rows.iter().map(column).collect::<StringArray>())
    }
    fn int(rows: &[FlatRow], column: impl Fn(&FlatRow) -> Option<u32>) -> ArrayRef {
        Arc::new(rows.iter().map(column).collect::<UInt32Array>())
    }
    fn real(rows: &[FlatRow], column: impl Fn(&FlatRow) -> Option<f32>) -> ArrayRef {
        Arc::new(rows.iter().map(column).collect::<Float32Array>())
    }
    let columns = vec![
        ("article_id", text(rows, |r| Some(&r.article_id)), false),
        ("language", text(rows, |r| r.language.as_deref()), true),
        ("claim_index", int(rows, |r| r.claim_index), true),
        ("claim_id", text(rows, |r| r.claim_id.as_deref()), true),
        ("claim_kind", text(rows, |r| r.claim_kind.as_deref()), true),
        ("claim_text", text(rows, |r| r.claim_text.as_deref()), true),
        ("claim_start_byte", int(rows, |r| r.claim_start_byte), true),
        ("claim_end_byte", int(rows, |r| r.claim_end_byte), true),
        (
            "claim_start_utf16",
            int(rows, |r| r.claim_start_utf16),
            true,
        ),
        ("claim_end_utf16", int(rows, |r| r.claim_end_utf16), true),
        ("cue_text", text(rows, |r| r.cue_text.as_deref()), true),
        ("cue_start_byte", int(rows, |r| r.cue_start_byte), true),
        ("cue_end_byte", int(rows, |r| r.cue_end_byte), true),
        ("cue_start_utf16", int(rows, |r| r.cue_start_utf16), true),
        ("cue_end_utf16", int(rows, |r| r.cue_end_utf16), true),
        ("speaker_id", text(rows, |r| r.speaker_id.as_deref()), true),
        (
            "speaker_name",
            text(rows, |r| r.speaker_name.as_deref()),
            true,
        ),
        (
            "speaker_kind",
            text(rows, |r| r.speaker_kind.as_deref()),
            true,
        ),
        ("claim_score", real(rows, |r| r.claim_score), true),
        ("target_id", text(rows, |r| r.target_id.as_deref()), true),
        ("label", text(rows, |r| r.label.as_deref()), true),
        ("p_entails", real(rows, |r| r.p_entails), true),
        ("p_contradicts", real(rows, |r| r.p_contradicts), true),
        ("p_neutral", real(rows, |r| r.p_neutral), true),
    ];
    RecordBatch::try_from_iter_with_nullable(columns).map_err(|err| BatchError::Parquet {
        action: "building a row batch",
        path: PathBuf::new(),
        source: Box::new(err),
    })
}

fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// Writes `batches` as a complete Parquet file at `path` (through a temporary name) and fsyncs it.
fn write_file(
    path: &Path,
    schema: arrow_schema::SchemaRef,
    batches: impl IntoIterator<Item = Result<RecordBatch, BatchError>>,
) -> Result<(), BatchError> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let parquet_err = |action, err: parquet::errors::ParquetError| BatchError::Parquet {
        action,
        path: path.to_path_buf(),
        source: Box::new(err),
    };
    let file = File::create(&tmp).map_err(|err| BatchError::io("creating", &tmp, err))?;
    let mut writer = ArrowWriter::try_new(file, schema, Some(writer_properties()))
        .map_err(|err| parquet_err("starting", err))?;
    for batch in batches {
        writer
            .write(&batch?)
            .map_err(|err| parquet_err("writing", err))?;
    }
    writer
        .finish()
        .map_err(|err| parquet_err("finishing", err))?;
    writer
        .inner()
        .sync_all()
        .map_err(|err| BatchError::io("syncing", &tmp, err))?;
    drop(writer);
    std::fs::rename(&tmp, path).map_err(|err| BatchError::io("renaming", &tmp, err))?;
    sync_parent_dir(path);
    Ok(())
}

/// Writes part `index` (1-based) of the output; durable when this returns.
pub(crate) fn write_part(dir: &Path, index: u64, rows: &[FlatRow]) -> Result<(), BatchError> {
    let batch = record_batch(rows)?;
    write_file(&part_path(dir, index), batch.schema(), [Ok(batch)])
}

/// Deletes parts numbered above `keep` (written after the last checkpoint) and temporary files.
pub(crate) fn prune_parts(dir: &Path, keep: u64) -> Result<(), BatchError> {
    std::fs::create_dir_all(dir).map_err(|err| BatchError::io("creating", dir, err))?;
    let entries = std::fs::read_dir(dir).map_err(|err| BatchError::io("listing", dir, err))?;
    for entry in entries {
        let path = entry
            .map_err(|err| BatchError::io("listing", dir, err))?
            .path();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let index = name
            .strip_prefix("part-")
            .and_then(|rest| rest.strip_suffix(".parquet"))
            .and_then(|number| number.parse::<u64>().ok());
        let stale = match index {
            Some(index) => index > keep,
            None => name.ends_with(".tmp"),
        };
        if stale {
            tracing::info!(path = %path.display(), "dropping a part written after the last checkpoint");
            std::fs::remove_file(&path).map_err(|err| BatchError::io("removing", &path, err))?;
        }
    }
    Ok(())
}

/// Merges parts 1..=`parts` into `output` (replacing it atomically); an empty job gives a file
/// with the schema and no rows.
pub(crate) fn merge_parts(dir: &Path, parts: u64, output: &Path) -> Result<(), BatchError> {
    let schema = record_batch(&[])?.schema();
    // One part in memory at a time.
    let batches = (1..=parts).flat_map(|index| match read_batches(&part_path(dir, index)) {
        Ok(batches) => batches.into_iter().map(Ok).collect::<Vec<_>>(),
        Err(err) => vec![Err(err)],
    });
    write_file(output, schema, batches)
}

/// Every batch of a Parquet file.
pub(crate) fn read_batches(path: &Path) -> Result<Vec<RecordBatch>, BatchError> {
    let parquet_err = |err: Box<dyn std::error::Error + Send + Sync>| BatchError::Parquet {
        action: "reading",
        path: path.to_path_buf(),
        source: err,
    };
    let file = File::open(path).map_err(|err| BatchError::io("opening", path, err))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|builder| builder.with_batch_size(8192).build())
        .map_err(|err| parquet_err(Box::new(err)))?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| parquet_err(Box::new(err)))
}

/// Removes the parts folder once the merged output is durable and checkpointed.
pub(crate) fn remove_parts(dir: &Path) -> Result<(), BatchError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(BatchError::io("removing", dir, err)),
    }
}
