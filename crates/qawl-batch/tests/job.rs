//! Behaviour of a batch job over JSONL input, with a test-double analyser.

mod support;

use std::path::Path;
use std::time::Duration;

use qawl_batch::{BatchConfig, BatchError, BatchJob, InputSource, ProgressMode, RetryPolicy};
use serde_json::json;
use support::{article, by_id, expected_result, read_jsonl, TextLength};

fn config(input: &Path, output: &Path) -> BatchConfig {
    let mut config = BatchConfig::new(InputSource::from_path(input), output);
    config.progress = ProgressMode::Off;
    config.retry = RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(4),
    };
    config
}

fn write_input(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").expect("write input");
}

#[tokio::test]
async fn every_article_gets_exactly_one_line_even_out_of_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    let texts: Vec<String> = (0..60).map(|index| "word ".repeat(index + 1)).collect();
    let lines: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| article(&format!("a{index}"), text))
        .collect();
    write_input(&input, &lines);
    let output = dir.path().join("out.jsonl");
    let mut config = config(&input, &output);
    config.concurrency = 8;
    let analyzer = TextLength {
        delay: Duration::from_millis(2),
        ..Default::default()
    };

    let summary = BatchJob::new(config).run(analyzer).await.expect("job runs");

    let results = by_id(read_jsonl(&output));
    assert_eq!(results.len(), 60);
    let mut claims = 0;
    for (index, text) in texts.iter().enumerate() {
        let line = &results[&format!("a{index}")];
        let expected = expected_result(text);
        assert_eq!(line["chars"], expected["chars"]);
        assert_eq!(
            line["claims"], expected["claims"],
            "articles without claims still get a line"
        );
        claims += expected["claims"].as_array().map_or(0, Vec::len) as u64;
    }
    assert_eq!(
        (
            summary.articles,
            summary.claims,
            summary.errors,
            summary.skipped_resumed
        ),
        (60, claims, 0, 0)
    );
    assert!(
        std::fs::read_to_string(&output)
            .expect("output")
            .starts_with("{\"id\":"),
        "id comes first"
    );
    assert!(summary.to_string().contains("60 articles"));
}

#[tokio::test]
async fn bad_records_go_to_the_errors_file_with_line_numbers_and_the_job_continues() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    let lines = vec![
        article("good-1", "fine text"),
        "{not json".to_owned(),
        json!({"text": "no id here"}).to_string(),
        json!({"id": "no-text"}).to_string(),
        String::new(), // blank lines are not records
        article("huge", &"x".repeat(2000)),
        article("good-1", "same id again"),
        json!({"id": "fails", "text": "POISON inside"}).to_string(),
        article("good-2", "also fine"),
    ];
    write_input(&input, &lines);
    let output = dir.path().join("out.jsonl");
    let mut config = config(&input, &output);
    config.max_text_bytes = 1000;
    let analyzer = TextLength {
        fail_marker: Some("POISON".to_owned()),
        ..Default::default()
    };

    let summary = BatchJob::new(config.clone())
        .run(analyzer)
        .await
        .expect("job runs");

    let results = by_id(read_jsonl(&output));
    let mut ids: Vec<&str> = results.keys().map(String::as_str).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["good-1", "good-2"]);
    assert_eq!(
        results["good-1"]["chars"], 9,
        "the first of two records with one id wins"
    );
    let mut errors: Vec<(u64, String)> = read_jsonl(&config.errors_path())
        .iter()
        .map(|error| {
            assert_eq!(error["file"], input.display().to_string());
            (
                error["line"].as_u64().expect("line number"),
                error["kind"].as_str().expect("kind").to_owned(),
            )
        })
        .collect();
    errors.sort();
    let expected: Vec<(u64, String)> = [
        (2, "invalid_json"),
        (3, "missing_id"),
        (4, "missing_text"),
        (6, "text_too_long"),
        (7, "duplicate_id"),
        (8, "analysis_failed"),
    ]
    .into_iter()
    .map(|(line, kind)| (line, kind.to_owned()))
    .collect();
    assert_eq!(errors, expected);
    assert_eq!((summary.articles, summary.errors), (2, 6));
}

#[tokio::test]
async fn overloaded_analyser_is_retried_until_it_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    write_input(
        &input,
        &(0..10)
            .map(|index| article(&format!("r{index}"), "some text"))
            .collect::<Vec<_>>(),
    );
    let output = dir.path().join("out.jsonl");
    let analyzer = TextLength {
        unavailable_first: 3,
        ..Default::default()
    };

    let summary = BatchJob::new(config(&input, &output))
        .run(analyzer)
        .await
        .expect("job runs");

    assert_eq!((summary.articles, summary.errors), (10, 0));
    assert_eq!(by_id(read_jsonl(&output)).len(), 10);
}

#[tokio::test]
async fn analyser_down_through_every_retry_stops_the_job_and_resume_finishes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    write_input(
        &input,
        &(0..10)
            .map(|index| article(&format!("r{index}"), "some text"))
            .collect::<Vec<_>>(),
    );
    let output = dir.path().join("out.jsonl");
    let down = TextLength {
        unavailable_first: u32::MAX,
        ..Default::default()
    };

    let err = BatchJob::new(config(&input, &output))
        .run(down)
        .await
        .expect_err("analyser never answers");
    assert!(
        matches!(err, BatchError::AnalyzerUnavailable { attempts: 4, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("--resume"));

    let mut resumed = config(&input, &output);
    resumed.resume = true;
    let summary = BatchJob::new(resumed)
        .run(TextLength::default())
        .await
        .expect("resume runs");
    assert_eq!(summary.articles + summary.skipped_resumed, 10);
    assert_eq!(by_id(read_jsonl(&output)).len(), 10);
}

#[tokio::test]
async fn existing_output_is_kept_unless_forced_and_a_finished_job_resumes_to_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    write_input(&input, &[article("a", "one"), article("b", "two")]);
    let output = dir.path().join("out.jsonl");
    BatchJob::new(config(&input, &output))
        .run(TextLength::default())
        .await
        .expect("first run");

    let err = BatchJob::new(config(&input, &output))
        .run(TextLength::default())
        .await
        .expect_err("refuses");
    assert!(matches!(err, BatchError::OutputExists { .. }), "{err}");
    assert!(err.to_string().contains("--force"));

    let mut resumed = config(&input, &output);
    resumed.resume = true;
    let summary = BatchJob::new(resumed)
        .run(TextLength::default())
        .await
        .expect("resume");
    assert_eq!((summary.articles, summary.skipped_resumed), (0, 2));
    assert_eq!(read_jsonl(&output).len(), 2);

    let mut forced = config(&input, &output);
    forced.force = true;
    let summary = BatchJob::new(forced)
        .run(TextLength::default())
        .await
        .expect("forced");
    assert_eq!((summary.articles, summary.skipped_resumed), (2, 0));
    assert_eq!(read_jsonl(&output).len(), 2);
}

#[tokio::test]
async fn resume_drops_output_written_after_the_last_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    write_input(
        &input,
        &[
            article("a", "one"),
            article("b", "two"),
            article("c", "three"),
        ],
    );
    let output = dir.path().join("out.jsonl");
    BatchJob::new(config(&input, &output))
        .run(TextLength::default())
        .await
        .expect("first run");
    // A crash between the output fsync and the checkpoint append leaves lines the checkpoint lacks,
    // and a crash mid-write leaves half a line.
    let mut text = std::fs::read_to_string(&output).expect("output");
    text.push_str("{\"id\":\"a\",\"chars\":3}\n{\"id\":\"b\",\"ch");
    std::fs::write(&output, text).expect("simulate crash");

    let mut resumed = config(&input, &output);
    resumed.resume = true;
    BatchJob::new(resumed)
        .run(TextLength::default())
        .await
        .expect("resume");

    assert_eq!(by_id(read_jsonl(&output)).len(), 3);
}

#[tokio::test]
async fn a_directory_is_read_file_by_file_in_name_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("archive");
    std::fs::create_dir(&input).expect("dir");
    write_input(
        &input.join("b.jsonl"),
        &[article("b1", "bee"), "oops".to_owned()],
    );
    write_input(
        &input.join("a.jsonl"),
        &[article("a1", "ay"), article("b1", "dup from a later file")],
    );
    std::fs::write(input.join("notes.txt"), "not an input").expect("write");
    let output = dir.path().join("out.jsonl");
    let config = config(&input, &output);

    let summary = BatchJob::new(config.clone())
        .run(TextLength::default())
        .await
        .expect("job runs");

    let results = by_id(read_jsonl(&output));
    assert_eq!(
        results["b1"]["chars"], 21,
        "a.jsonl is read first, so its b1 wins"
    );
    let errors = read_jsonl(&config.errors_path());
    let described: Vec<(String, u64, String)> = errors
        .iter()
        .map(|error| {
            let file = error["file"].as_str().expect("file");
            let name = Path::new(file)
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (
                name,
                error["line"].as_u64().expect("line"),
                error["kind"].as_str().expect("kind").to_owned(),
            )
        })
        .collect();
    let mut described = described;
    described.sort();
    assert_eq!(
        described,
        [
            ("b.jsonl".to_owned(), 1, "duplicate_id".to_owned()),
            ("b.jsonl".to_owned(), 2, "invalid_json".to_owned())
        ]
    );
    assert_eq!((summary.articles, summary.errors), (2, 2));
}

#[tokio::test]
async fn resume_refuses_other_input_and_output_without_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    let other = dir.path().join("other.jsonl");
    write_input(&input, &[article("a", "one")]);
    write_input(&other, &[article("z", "zed")]);
    let output = dir.path().join("out.jsonl");
    BatchJob::new(config(&input, &output))
        .run(TextLength::default())
        .await
        .expect("first run");

    let mut elsewhere = config(&other, &output);
    elsewhere.resume = true;
    let err = BatchJob::new(elsewhere)
        .run(TextLength::default())
        .await
        .expect_err("input changed");
    assert!(matches!(err, BatchError::InputChanged { .. }), "{err}");

    let mut resumed = config(&input, &output);
    std::fs::remove_file(resumed.checkpoint_path()).expect("remove checkpoint");
    resumed.resume = true;
    let err = BatchJob::new(resumed)
        .run(TextLength::default())
        .await
        .expect_err("no checkpoint");
    assert!(matches!(err, BatchError::MissingCheckpoint { .. }), "{err}");
    assert_eq!(read_jsonl(&output).len(), 1, "the output is left alone");
}
