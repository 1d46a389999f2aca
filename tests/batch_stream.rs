//! `qawl batch --server`: archives streamed over ExtractStream to in-process servers give the same
//! JSON as in-process analysis, spread over several servers, survive overloaded and dead servers,
//! and report bad records without retrying them. Parquet and `--targets FILE` through the CLI.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::TestServer;
use qawl::batch_analyzer::InProcessAnalyzer;
use qawl::batch_client::{StreamAnalyzer, StreamOptions};
use qawl::limits::Limits;
use qawl::pipeline_factory::rule_pipeline;
use qawl::service::QawlService;
use qawl_batch::{
    Analyzer, BatchConfig, BatchJob, InputSource, ProgressMode, RetryPolicy, Summary,
};
use qawl_core::{ClaimScorer, Pipeline, PipelineError, StanceProbabilities, StanceScorer};
use serde_json::{json, Value};
use tonic::transport::Endpoint;

/// The seed article and the gold fixtures, `count` of them, as an archive; ids are file stems.
fn write_archive(dir: &Path, count: usize, extra_lines: &[String]) -> PathBuf {
    let mut texts: Vec<PathBuf> = std::fs::read_dir("fixtures/gold")
        .expect("fixtures/gold")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    texts.sort();
    texts.insert(0, PathBuf::from("fixtures/muscat-talks.ar.txt"));
    let mut lines: Vec<String> = texts
        .iter()
        .take(count)
        .map(|path| {
            let id = path.file_stem().expect("stem").to_string_lossy();
            let text = std::fs::read_to_string(path).expect("fixture text");
            json!({"id": id, "text": text}).to_string()
        })
        .collect();
    lines.extend_from_slice(extra_lines);
    let path = dir.join("archive.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write archive");
    path
}

fn config(input: &Path, output: &Path) -> BatchConfig {
    let mut config = BatchConfig::new(InputSource::from_path(input), output);
    config.progress = ProgressMode::Off;
    config.concurrency = 8;
    config.retry = RetryPolicy {
        max_attempts: 12,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(200),
    };
    config
}

fn stream_to(servers: &[String]) -> StreamAnalyzer {
    let endpoints = servers
        .iter()
        .map(|url| Endpoint::from_shared(url.clone()).expect("url"))
        .collect();
    let options = StreamOptions {
        connect_timeout: Duration::from_secs(1),
        ..StreamOptions::default()
    };
    StreamAnalyzer::new(endpoints, options)
}

async fn run(config: &BatchConfig, analyzer: impl Analyzer) -> Summary {
    BatchJob::new(config.clone())
        .run(analyzer)
        .await
        .expect("batch job")
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("read output")
        .lines()
        .map(|line| serde_json::from_str(line).expect("json line"))
        .collect()
}

/// Output lines by id without the run-dependent metadata (timings).
fn results_by_id(path: &Path) -> HashMap<String, Value> {
    let mut results = HashMap::new();
    for mut line in read_lines(path) {
        let id = line["id"].as_str().expect("id").to_owned();
        line.as_object_mut().expect("object").remove("metadata");
        assert!(results.insert(id.clone(), line).is_none(), "{id} twice");
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_to_a_server_gives_the_same_json_as_in_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_archive(dir.path(), 200, &[]);
    let server = TestServer::start(rule_pipeline(), Limits::default()).await;

    let local_output = dir.path().join("local.jsonl");
    let service = QawlService::new(rule_pipeline(), Limits::default(), Vec::new(), 1);
    let local = run(
        &config(&input, &local_output),
        InProcessAnalyzer::new(service),
    )
    .await;
    let streamed_output = dir.path().join("streamed.jsonl");
    let streamed = run(
        &config(&input, &streamed_output),
        stream_to(&[server.url()]),
    )
    .await;

    assert!(local.articles >= 90, "{local}");
    assert_eq!(
        (streamed.articles, streamed.claims),
        (local.articles, local.claims)
    );
    assert_eq!(streamed.errors, local.errors);
    let local = results_by_id(&local_output);
    let streamed = results_by_id(&streamed_output);
    assert_eq!(local.len(), streamed.len());
    for (id, result) in &local {
        assert_eq!(streamed.get(id), Some(result), "result for {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_the_work_and_a_dead_one_is_routed_around() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_archive(dir.path(), 40, &[]);
    let first = TestServer::start(rule_pipeline(), Limits::default()).await;
    let second = TestServer::start(rule_pipeline(), Limits::default()).await;

    let analyzer = Arc::new(stream_to(&[first.url(), second.url()]));
    let summary = run(
        &config(&input, &dir.path().join("two.jsonl")),
        analyzer.clone(),
    )
    .await;
    assert_eq!(summary.articles, 40);
    let served: Vec<u64> = analyzer.served().into_iter().map(|(_, n)| n).collect();
    assert_eq!(served.iter().sum::<u64>(), 40);
    assert!(
        served.iter().all(|&n| n > 0),
        "both servers got work: {served:?}"
    );

    // Nothing listens on a port we bound and released: every article still gets done by the other.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("addr"))
    };
    let analyzer = Arc::new(stream_to(&[dead.clone(), first.url()]));
    let summary = run(
        &config(&input, &dir.path().join("dead.jsonl")),
        analyzer.clone(),
    )
    .await;
    assert_eq!((summary.articles, summary.errors), (40, 0));
    assert_eq!(
        analyzer.served(),
        vec![(format!("{dead}/"), 0), (format!("{}/", first.url()), 40)]
    );
}

/// A claim scorer that refuses its first calls as overloaded (as the engine's full queue does).
struct OverloadedFirst {
    refusals_left: AtomicU32,
}

#[async_trait::async_trait]
impl ClaimScorer for OverloadedFirst {
    async fn score(&self, texts: Vec<String>) -> Result<Vec<f32>, PipelineError> {
        let refuse = self
            .refusals_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok();
        if refuse {
            return Err(PipelineError::Overloaded("test queue full".into()));
        }
        Ok(vec![0.5; texts.len()])
    }

    fn model_id(&self) -> String {
        "overloaded-first-test-scorer".into()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overloaded_answers_are_retried_and_bad_records_are_reported_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = [
        json!({"id": "klingon", "lang": "tlh", "text": "Qapla' batlh"}).to_string(),
        "{\"id\": \"cut".to_string(),
    ];
    let input = write_archive(dir.path(), 12, &bad);
    let scorer = Arc::new(OverloadedFirst {
        refusals_left: AtomicU32::new(9),
    });
    let pipeline = Pipeline {
        claim_scorer: Some(scorer.clone()),
        ..rule_pipeline()
    };
    let server = TestServer::start(pipeline, Limits::default()).await;
    let output = dir.path().join("out.jsonl");
    let config = config(&input, &output);

    let summary = run(&config, stream_to(&[server.url()])).await;

    assert_eq!(
        scorer.refusals_left.load(Ordering::SeqCst),
        0,
        "refusals happened"
    );
    assert_eq!((summary.articles, summary.errors), (12, 2), "{summary}");
    let results = results_by_id(&output);
    assert!(results.values().all(|r| r["claims"]
        .as_array()
        .expect("claims")
        .iter()
        .all(|claim| claim["claimScore"] == 0.5)));
    let errors = read_lines(&config.errors_path());
    let klingon = errors
        .iter()
        .find(|e| e["id"] == "klingon")
        .expect("klingon error");
    assert_eq!(klingon["kind"], "analysis_failed");
    let reason = klingon["reason"].as_str().expect("reason");
    assert!(
        reason.contains("InvalidArgument") && reason.contains("language"),
        "{reason}"
    );
    assert!(errors
        .iter()
        .any(|e| e["kind"] == "invalid_json" && e["line"] == 14));
}

/// Every pair contradicts (0.2/0.5/0.3): a stand-in for the stance model, to see targets flow.
struct FixedStance;

#[async_trait::async_trait]
impl StanceScorer for FixedStance {
    async fn score(
        &self,
        pairs: Vec<(String, String)>,
    ) -> Result<Vec<StanceProbabilities>, PipelineError> {
        let p = StanceProbabilities {
            entails: 0.2,
            contradicts: 0.5,
            neutral: 0.3,
        };
        Ok(vec![p; pairs.len()])
    }

    fn model_id(&self) -> String {
        "fixed-test-stance".into()
    }
}

/// Runs the CLI off the async runtime (the test's servers keep serving meanwhile).
async fn qawl_batch(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_qawl"))
            // In-process runs use the rule stages the test servers run (no model files needed).
            .env("QAWL_RULES_ONLY", "true")
            .arg("batch")
            .args(args)
            .output()
            .expect("run qawl")
    })
    .await
    .expect("join")
}

fn args(input: &Path, output: &Path, rest: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--input".to_owned(),
        input.display().to_string(),
        "--output".to_owned(),
        output.display().to_string(),
    ];
    args.extend(rest.iter().map(|arg| arg.to_string()));
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_parquet_rows_match_the_json_with_targets_from_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_archive(dir.path(), 15, &[]);
    let targets = dir.path().join("targets.jsonl");
    std::fs::write(
        &targets,
        "{\"id\": \"halt\", \"proposition\": \"Iran agrees to stop enriching uranium.\"}\n\
         {\"id\": \"talks\", \"proposition\": \"The talks will resume.\"}\n",
    )
    .expect("targets");
    let pipeline = Pipeline {
        stance_scorer: Some(Arc::new(FixedStance)),
        ..rule_pipeline()
    };
    let server = TestServer::start(pipeline, Limits::default()).await;
    let url = server.url();
    let targets_arg = targets.display().to_string();
    let with_server = ["--server", url.as_str(), "--targets", targets_arg.as_str()];

    let json_output = dir.path().join("scores.jsonl");
    let out = qawl_batch(args(&input, &json_output, &with_server)).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{url}/: 15 articles")), "{stderr}");
    let parquet_output = dir.path().join("claims.parquet");
    let out = qawl_batch(args(&input, &parquet_output, &with_server)).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let rows = read_parquet(&parquet_output);
    let results = results_by_id(&json_output);
    assert_eq!(results.len(), 15);
    let mut expected_rows = 0;
    for (id, result) in &results {
        let claims = result["claims"].as_array().expect("claims");
        let mine: Vec<&serde_json::Map<String, Value>> = rows
            .iter()
            .filter(|row| row["article_id"] == **id)
            .collect();
        expected_rows += if claims.is_empty() {
            1
        } else {
            claims.len() * 2
        };
        if claims.is_empty() {
            assert_eq!(mine.len(), 1, "{id}: one row of nulls");
            assert_eq!(mine[0]["claim_index"], Value::Null);
            continue;
        }
        assert_eq!(
            mine.len(),
            claims.len() * 2,
            "{id}: a row per claim × target"
        );
        for row in mine {
            let index = row["claim_index"].as_u64().expect("claim index") as usize;
            let claim = &claims[index];
            for (column, field) in [
                ("claim_start_byte", "startByte"),
                ("claim_end_byte", "endByte"),
                ("claim_start_utf16", "startUtf16"),
                ("claim_end_utf16", "endUtf16"),
            ] {
                assert_eq!(
                    row[column].as_u64(),
                    Some(claim["span"][field].as_u64().unwrap_or(0)),
                    "{id} claim {index} {column}"
                );
            }
            let stance = claim["stances"]
                .as_array()
                .expect("stances")
                .iter()
                .find(|s| s["targetId"] == row["target_id"])
                .expect("the row's target is one of the claim's stances");
            assert_eq!(row["label"], stance["label"]);
            assert_eq!(row["label"], "STANCE_LABEL_CONTRADICTS");
            assert_eq!(row["p_contradicts"].as_f64(), Some(0.5));
            let speaker = claim["speakerId"].as_str().unwrap_or_default();
            let name = result["speakers"]
                .as_array()
                .and_then(|speakers| speakers.iter().find(|s| s["id"] == speaker))
                .map_or(Value::Null, |s| s["canonicalName"].clone());
            assert_eq!(row["speaker_name"], name, "{id} claim {index} speaker");
        }
    }
    assert_eq!(rows.len(), expected_rows);

    // A broken targets file stops the job before it starts, naming the file and line.
    std::fs::write(
        &targets,
        "{\"id\": \"halt\", \"proposition\": \"p\"}\n{\"id\": 3}\n",
    )
    .expect("targets");
    let out = qawl_batch(args(&input, &dir.path().join("x.jsonl"), &with_server)).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("targets.jsonl:2"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_server_mode_writes_what_cli_in_process_mode_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_archive(dir.path(), 20, &[]);
    let server =
        TestServer::start(qawl::pipeline_factory::rule_pipeline(), Limits::default()).await;
    let local_output = dir.path().join("local.jsonl");
    let out = qawl_batch(args(&input, &local_output, &[])).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let remote_output = dir.path().join("remote.jsonl");
    let url = server.url();
    let out = qawl_batch(args(&input, &remote_output, &["--server", url.as_str()])).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let local = results_by_id(&local_output);
    assert_eq!(local.len(), 20);
    assert_eq!(results_by_id(&remote_output), local);
}

/// Every row of a Parquet file as a JSON object, read with the parquet crate.
fn read_parquet(path: &Path) -> Vec<serde_json::Map<String, Value>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float32Type, UInt32Type};
    use arrow_array::Array;

    let file = std::fs::File::open(path).expect("parquet output");
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
                } else if let Some(strings) = column.as_string_opt::<i32>() {
                    json!(strings.value(row))
                } else if let Some(ints) = column.as_primitive_opt::<UInt32Type>() {
                    json!(ints.value(row))
                } else if let Some(reals) = column.as_primitive_opt::<Float32Type>() {
                    json!(reals.value(row))
                } else {
                    panic!("unexpected column type {}", field.data_type())
                };
                object.insert(field.name().clone(), value);
            }
            rows.push(object);
        }
    }
    rows
}
