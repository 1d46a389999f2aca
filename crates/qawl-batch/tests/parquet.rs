//! Parquet input and output, flat JSONL, and their checkpoints, with a test-double analyser.

mod support;

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder, StructBuilder};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Fields};
use qawl_batch::{
    AnalyzeError, Analyzer, ArticleRecord, BatchConfig, BatchError, BatchJob, FlatRow, InputSource,
    OutputFormat, ProgressMode,
};
use support::{article, read_flat_rows, read_jsonl, read_parquet, ClaimRows, TextLength};

fn config(input: &Path, output: &Path) -> BatchConfig {
    let mut config = BatchConfig::new(InputSource::from_path(input), output);
    config.progress = ProgressMode::Off;
    config.flattener = Some(Arc::new(ClaimRows));
    config
}

/// Articles whose lengths give 0, 1 and 2 claims in turn, plus one bad line.
fn write_archive(path: &Path, count: usize) -> Vec<String> {
    let texts: Vec<String> = (0..count).map(|index| "x".repeat(index + 3)).collect();
    let mut lines: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| article(&format!("a{index}"), text))
        .collect();
    lines.insert(2, "{not json".to_owned());
    std::fs::write(path, lines.join("\n") + "\n").expect("write input");
    texts
}

#[tokio::test]
async fn parquet_output_has_a_row_per_claim_and_one_for_each_article_without_claims() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    let texts = write_archive(&input, 30);
    let output = dir.path().join("out.parquet");
    let mut config = config(&input, &output);
    config.part_rows = 7; // several parts to merge
    assert_eq!(config.format, OutputFormat::Parquet);

    let summary = BatchJob::new(config.clone())
        .run(TextLength::default())
        .await
        .expect("job runs");

    assert_eq!((summary.articles, summary.errors), (30, 1));
    let rows = read_flat_rows(&output);
    for (index, text) in texts.iter().enumerate() {
        let id = format!("a{index}");
        let mine: Vec<&FlatRow> = rows.iter().filter(|row| row.article_id == id).collect();
        let claims = text.len() % 3;
        assert_eq!(mine.len(), claims.max(1), "rows of {id}");
        if claims == 0 {
            assert_eq!(
                mine[0].claim_index, None,
                "{id} has no claims: one row of nulls"
            );
            assert_eq!(mine[0].p_entails, None);
        } else {
            let mut indexes: Vec<u32> = mine.iter().filter_map(|row| row.claim_index).collect();
            indexes.sort_unstable();
            assert_eq!(indexes, (0..claims as u32).collect::<Vec<_>>());
            assert!(mine
                .iter()
                .all(|row| row.claim_start_byte == Some(text.len() as u32)));
        }
    }
    assert_eq!(
        rows.len(),
        texts.iter().map(|t| (t.len() % 3).max(1)).sum::<usize>()
    );
    let columns: Vec<String> = read_parquet(&output)[0].keys().cloned().collect();
    for column in [
        "article_id",
        "claim_start_utf16",
        "speaker_kind",
        "label",
        "p_neutral",
    ] {
        assert!(columns.iter().any(|c| c == column), "column {column}");
    }
    assert!(
        !dir.path().join("out.parquet.parts").exists(),
        "parts are merged away"
    );

    // A finished job resumes to nothing and keeps its file.
    let before = std::fs::read(&output).expect("output");
    let mut resumed = config.clone();
    resumed.resume = true;
    let summary = BatchJob::new(resumed)
        .run(TextLength::default())
        .await
        .expect("resume");
    assert_eq!((summary.articles, summary.skipped_resumed), (0, 31));
    assert_eq!(std::fs::read(&output).expect("output"), before);

    // Flat JSONL holds the same rows.
    let flat_output = dir.path().join("flat.jsonl");
    let mut flat = config.clone();
    flat.output = flat_output.clone();
    flat.format = OutputFormat::for_path(&flat_output, true);
    BatchJob::new(flat)
        .run(TextLength::default())
        .await
        .expect("flat job");
    let mut flat_rows: Vec<FlatRow> = read_jsonl(&flat_output)
        .into_iter()
        .map(|value| serde_json::from_value(value).expect("flat row"))
        .collect();
    let mut parquet_rows = rows;
    let key = |row: &FlatRow| (row.article_id.clone(), row.claim_index);
    flat_rows.sort_by_key(key);
    parquet_rows.sort_by_key(key);
    assert_eq!(flat_rows, parquet_rows);
}

#[tokio::test]
async fn a_resume_must_keep_the_output_format_and_flat_output_needs_a_flattener() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    write_archive(&input, 4);
    let output = dir.path().join("out.jsonl");
    let mut plain = config(&input, &output);
    plain.flattener = None;
    BatchJob::new(plain.clone())
        .run(TextLength::default())
        .await
        .expect("plain job");

    let mut flat = config(&input, &output);
    flat.format = OutputFormat::FlatJsonl;
    flat.resume = true;
    let err = BatchJob::new(flat.clone())
        .run(TextLength::default())
        .await
        .expect_err("format changed");
    assert!(matches!(err, BatchError::FormatChanged { .. }), "{err}");

    flat.flattener = None;
    flat.resume = false;
    flat.force = true;
    let err = BatchJob::new(flat)
        .run(TextLength::default())
        .await
        .expect_err("no flattener");
    assert!(matches!(err, BatchError::InvalidConfig(_)), "{err}");
}

/// Echoes what the job handed over, to check how input rows are read.
struct Echo;

impl Analyzer for Echo {
    async fn analyze(&self, record: ArticleRecord) -> Result<serde_json::Value, AnalyzeError> {
        Ok(serde_json::json!({
            "text": record.text,
            "lang": record.lang,
            "targets": record.targets,
            "claims": [],
        }))
    }
}

fn string_column(values: &[Option<&str>]) -> ArrayRef {
    Arc::new(values.iter().copied().collect::<StringArray>())
}

#[tokio::test]
async fn parquet_input_reads_ids_texts_languages_and_targets_and_reports_bad_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.parquet");
    let target_fields = Fields::from(vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("proposition", DataType::Utf8, true),
    ]);
    let mut targets = ListBuilder::new(StructBuilder::from_fields(target_fields, 2));
    for row_targets in [vec![("halt", "Iran stops.")], vec![], vec![], vec![]] {
        for (id, proposition) in &row_targets {
            let items = targets.values();
            items
                .field_builder::<StringBuilder>(0)
                .expect("id field")
                .append_value(id);
            items
                .field_builder::<StringBuilder>(1)
                .expect("proposition field")
                .append_value(proposition);
            items.append(true);
        }
        targets.append(!row_targets.is_empty());
    }
    let batch = RecordBatch::try_from_iter(vec![
        (
            "id",
            Arc::new(Int64Array::from(vec![Some(7), Some(8), None, Some(9)])) as ArrayRef,
        ),
        (
            "text",
            string_column(&[Some("abcd"), Some("abcde"), Some("no id"), None]),
        ),
        ("lang", string_column(&[Some("fr"), None, None, None])),
        ("targets", Arc::new(targets.finish()) as ArrayRef),
        ("ignored", string_column(&[None, None, None, None])),
    ])
    .expect("batch");
    let file = std::fs::File::create(&input).expect("create");
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");

    let output = dir.path().join("out.jsonl");
    let mut config = config(&input, &output);
    config.flattener = None;
    config.default_targets = vec![qawl_batch::Target {
        id: "default".into(),
        proposition: "p".into(),
    }];
    let summary = BatchJob::new(config.clone()).run(Echo).await.expect("job");
    assert_eq!((summary.articles, summary.errors), (2, 2));
    let results = support::by_id(read_jsonl(&output));
    assert_eq!(results["7"]["text"], "abcd", "integer ids become strings");
    assert_eq!(results["7"]["lang"], "fr");
    assert_eq!(results["7"]["targets"][0]["id"], "halt");
    assert_eq!(results["8"]["lang"], serde_json::Value::Null);
    assert_eq!(
        results["8"]["targets"][0]["id"], "default",
        "a row without targets gets the job's"
    );
    let errors = read_jsonl(&config.errors_path());
    let rows: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().expect("row"),
                e["kind"].as_str().expect("kind"),
            )
        })
        .collect();
    assert_eq!(rows, vec![(3, "missing_id"), (4, "missing_text")]);
    assert!(errors[0]["file"]
        .as_str()
        .is_some_and(|f| f.ends_with("in.parquet")));
}
