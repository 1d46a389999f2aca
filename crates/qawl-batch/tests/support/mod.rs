//! Test double for the job runner: the "analysis" is the text's length, so each result is checkable.

#![allow(dead_code)] // each test file uses a different part

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use qawl_batch::{AnalyzeError, Analyzer, ArticleRecord};
use serde_json::{json, Value};

/// Answers `{"chars": N, "claims": [..N % 3 items..]}` after an optional delay.
#[derive(Debug, Default)]
pub struct TextLength {
    pub delay: Duration,
    /// Texts containing this marker fail with a per-record error.
    pub fail_marker: Option<String>,
    /// Every record is refused as unavailable this many times before it succeeds.
    pub unavailable_first: u32,
    pub attempts: Mutex<HashMap<String, u32>>,
    pub calls: AtomicU32,
}

impl Analyzer for TextLength {
    async fn analyze(&self, record: ArticleRecord) -> Result<Value, AnalyzeError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let attempt = {
            let mut attempts = self.attempts.lock().expect("test mutex");
            let count = attempts.entry(record.id.clone()).or_default();
            *count += 1;
            *count
        };
        if attempt <= self.unavailable_first {
            return Err(AnalyzeError::unavailable("overloaded"));
        }
        if !self.delay.is_zero() {
            // Vary the delay so results finish out of input order.
            let jitter = (record.text.len() % 4) as u32;
            tokio::time::sleep(self.delay * (1 + jitter)).await;
        }
        if self
            .fail_marker
            .as_deref()
            .is_some_and(|marker| record.text.contains(marker))
        {
            return Err(AnalyzeError::record("cannot analyse this text"));
        }
        Ok(expected_result(&record.text))
    }
}

/// What [`TextLength`] answers for a text.
pub fn expected_result(text: &str) -> Value {
    let chars = text.chars().count();
    let claims: Vec<Value> = (0..chars % 3).map(|index| json!({"n": index})).collect();
    json!({"chars": chars, "claims": claims})
}

/// A JSONL line for an article.
pub fn article(id: &str, text: &str) -> String {
    json!({"id": id, "text": text}).to_string()
}

/// Reads a JSONL file into values; panics (test failure) on a malformed line.
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("readable jsonl");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{} ends mid-line",
        path.display()
    );
    text.lines()
        .map(|line| serde_json::from_str(line).expect("valid json line"))
        .collect()
}

/// Output lines keyed by id, failing on duplicates.
pub fn by_id(lines: Vec<Value>) -> HashMap<String, Value> {
    let mut map = HashMap::new();
    for line in lines {
        let id = line["id"].as_str().expect("string id").to_owned();
        assert!(
            map.insert(id.clone(), line).is_none(),
            "duplicate output line for {id}"
        );
    }
    map
}

/// Flat rows of a [`TextLength`] result: one per claim (`claim_index`, `claim_id` = "n{index}"), the
/// text length as `claim_start_byte`; an article without claims gets no rows from here (the job adds one).
#[derive(Debug, Default)]
pub struct ClaimRows;

impl qawl_batch::RowFlattener for ClaimRows {
    fn rows(&self, article_id: &str, result: &Value) -> Result<Vec<qawl_batch::FlatRow>, String> {
        let chars = result["chars"].as_u64().ok_or("no chars")? as u32;
        let claims = result["claims"].as_array().ok_or("no claims")?;
        Ok((0..claims.len() as u32)
            .map(|index| qawl_batch::FlatRow {
                article_id: article_id.to_owned(),
                claim_index: Some(index),
                claim_id: Some(format!("n{index}")),
                claim_start_byte: Some(chars),
                p_entails: Some(1.0 / (index as f32 + 3.0)),
                ..Default::default()
            })
            .collect())
    }
}

/// Every row of a Parquet file as a JSON object (strings, integers and floats; nulls as null),
/// read with the parquet crate itself.
pub fn read_parquet(path: &Path) -> Vec<serde_json::Map<String, Value>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float32Type, UInt32Type};
    use arrow_array::Array;
    use arrow_schema::DataType;

    let file = std::fs::File::open(path).expect("parquet output exists");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("valid parquet")
        .build()
        .expect("reader");
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        for row in 0..batch.num_rows() {
            let mut object = serde_json::Map::new();
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                let value = if column.is_null(row) {
                    Value::Null
                } else {
                    match field.data_type() {
                        DataType::Utf8 => json!(column.as_string::<i32>().value(row)),
                        DataType::UInt32 => json!(column.as_primitive::<UInt32Type>().value(row)),
                        DataType::Float32 => json!(column.as_primitive::<Float32Type>().value(row)),
                        other => panic!("unexpected column type {other}"),
                    }
                };
                object.insert(field.name().clone(), value);
            }
            rows.push(object);
        }
    }
    rows
}

/// Parquet rows as [`qawl_batch::FlatRow`]s (fails on a column the row type lacks).
pub fn read_flat_rows(path: &Path) -> Vec<qawl_batch::FlatRow> {
    read_parquet(path)
        .into_iter()
        .map(|row| serde_json::from_value(Value::Object(row)).expect("parquet row is a FlatRow"))
        .collect()
}
