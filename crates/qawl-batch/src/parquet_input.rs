//! Parquet input: columns `id` (string or integer), `text` (string), optional `lang` (string) and
//! optional `targets` (a list of structs `{id, proposition}`, or a string holding their JSON array).
//! Other columns are ignored. The 1-based row number stands where JSONL has the line number.

use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::BatchError;
use crate::input::RawRecord;
use crate::record::Target;

/// Rows read per batch.
const BATCH_ROWS: usize = 1024;

/// One row: the raw record, or why its `targets` cell cannot be read.
pub(crate) type Row = Result<RawRecord, String>;

/// Calls `each(row_number, row, bytes)` for every row until it breaks; `bytes` is the row's share of
/// the file size, for progress.
pub(crate) fn read_rows(
    path: &Path,
    mut each: impl FnMut(u64, Row, u64) -> ControlFlow<()>,
) -> Result<(), BatchError> {
    let parquet_err = |err: parquet::errors::ParquetError| BatchError::Parquet {
        action: "reading",
        path: path.to_path_buf(),
        source: Box::new(err),
    };
    let file = File::open(path).map_err(|err| BatchError::io("opening", path, err))?;
    let file_bytes = file.metadata().map_or(0, |meta| meta.len());
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_err)?;
    let total_rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let bytes_per_row = file_bytes.checked_div(total_rows).unwrap_or(0);
    for required in ["id", "text"] {
        if builder.schema().field_with_name(required).is_err() {
            return Err(BatchError::BadInputFile {
                path: path.to_path_buf(),
                reason: format!(
                    "no {required:?} column (needs id, text; lang and targets optional)"
                ),
            });
        }
    }
    let reader = builder
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(parquet_err)?;
    let mut row_number = 0u64;
    for batch in reader {
        let batch = batch.map_err(|err| BatchError::Parquet {
            action: "reading",
            path: path.to_path_buf(),
            source: Box::new(err),
        })?;
        let bad_column = |reason: String| BatchError::BadInputFile {
            path: path.to_path_buf(),
            reason,
        };
        let ids = strings(&batch, "id").map_err(bad_column)?;
        let texts = strings(&batch, "text").map_err(bad_column)?;
        let langs = strings(&batch, "lang").map_err(bad_column)?;
        let targets = targets(&batch).map_err(bad_column)?;
        for index in 0..batch.num_rows() {
            row_number += 1;
            let cell = |column: &Option<Vec<Option<String>>>| {
                column.as_ref().and_then(|values| values[index].clone())
            };
            let row = match &targets {
                Some(targets) => targets[index].clone(),
                None => Ok(None),
            }
            .map(|targets| RawRecord {
                id: cell(&ids),
                text: cell(&texts),
                lang: cell(&langs),
                targets,
            });
            if each(row_number, row, bytes_per_row).is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A string-like column as optional strings (integers are written in decimal); `None` if absent.
fn strings(batch: &RecordBatch, name: &str) -> Result<Option<Vec<Option<String>>>, String> {
    let Some(column) = batch.column_by_name(name) else {
        return Ok(None);
    };
    string_values(column.as_ref()).map(Some).ok_or_else(|| {
        format!(
            "column {name:?} has type {}, expected a string",
            column.data_type()
        )
    })
}

fn string_values(column: &dyn Array) -> Option<Vec<Option<String>>> {
    fn collect<T: ToString>(values: impl Iterator<Item = Option<T>>) -> Vec<Option<String>> {
        values.map(|value| value.map(|v| v.to_string())).collect()
    }
    Some(match column.data_type() {
        DataType::Utf8 => collect(column.as_string::<i32>().iter()),
        DataType::LargeUtf8 => collect(column.as_string::<i64>().iter()),
        DataType::Utf8View => collect(column.as_string_view().iter()),
        DataType::Int32 => collect(column.as_primitive::<Int32Type>().iter()),
        DataType::Int64 => collect(column.as_primitive::<Int64Type>().iter()),
        DataType::UInt32 => collect(column.as_primitive::<UInt32Type>().iter()),
        DataType::UInt64 => collect(column.as_primitive::<UInt64Type>().iter()),
        _ => return None,
    })
}

/// The `targets` column, per row: `Ok(None)` for null or absent, `Err` for an unreadable JSON cell.
type TargetCells = Vec<Result<Option<Vec<Target>>, String>>;

fn targets(batch: &RecordBatch) -> Result<Option<TargetCells>, String> {
    let Some(column) = batch.column_by_name("targets") else {
        return Ok(None);
    };
    let rows = column.len();
    let cells = match column.data_type() {
        DataType::List(_) => {
            let list = column.as_list::<i32>();
            (0..rows)
                .map(|row| target_list(list.is_null(row), || list.value(row)))
                .collect::<Result<_, _>>()?
        }
        DataType::LargeList(_) => {
            let list = column.as_list::<i64>();
            (0..rows)
                .map(|row| target_list(list.is_null(row), || list.value(row)))
                .collect::<Result<_, _>>()?
        }
        _ => match string_values(column.as_ref()) {
            Some(cells) => cells
                .into_iter()
                .map(|cell| match cell {
                    None => Ok(None),
                    Some(json) => serde_json::from_str::<Vec<Target>>(&json)
                        .map(Some)
                        .map_err(|err| format!("targets: {err}")),
                })
                .collect(),
            None => {
                return Err(format!(
                    "column \"targets\" has type {}, expected a list of {{id, proposition}} or a JSON string",
                    column.data_type()
                ))
            }
        },
    };
    Ok(Some(cells))
}

/// One list cell of `{id, proposition}` structs; the outer `Err` is a column of the wrong shape.
fn target_list(
    null: bool,
    values: impl FnOnce() -> arrow_array::ArrayRef,
) -> Result<Result<Option<Vec<Target>>, String>, String> {
    if null {
        return Ok(Ok(None));
    }
    let values = values();
    let Some(items) = values.as_struct_opt() else {
        return Err("column \"targets\" must hold structs {id, proposition}".to_owned());
    };
    let field = |name: &str| {
        items
            .column_by_name(name)
            .and_then(|column| string_values(column.as_ref()))
            .ok_or_else(|| format!("targets structs need a string field {name:?}"))
    };
    let ids = field("id")?;
    let propositions = field("proposition")?;
    let mut targets = Vec::with_capacity(ids.len());
    for (id, proposition) in ids.into_iter().zip(propositions) {
        match (id, proposition) {
            (Some(id), Some(proposition)) => targets.push(Target { id, proposition }),
            _ => return Ok(Err("a target has a null id or proposition".to_owned())),
        }
    }
    Ok(Ok(Some(targets)))
}
