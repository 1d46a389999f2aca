//! A Parquet job killed with SIGKILL at any moment resumes to exactly the rows of an uninterrupted
//! run: parts written after the last checkpoint are dropped, checkpointed parts are kept, and the
//! merged file holds every article's rows once.
//!
//! As in crash_resume.rs, the test re-runs its own binary as the child job (the ignored
//! `parquet_child_job` test) and kills it at several points.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use qawl_batch::{BatchConfig, BatchJob, FlatRow, InputSource, ProgressMode};
use serde_json::json;
use support::{article, read_flat_rows, read_jsonl, ClaimRows, TextLength};

const RECORDS: usize = 300;
const CHILD_INPUT: &str = "QAWL_BATCH_TEST_PARQUET_INPUT";
const CHILD_OUTPUT: &str = "QAWL_BATCH_TEST_PARQUET_OUTPUT";

fn job_config(input: &Path, output: &Path, resume: bool) -> BatchConfig {
    let mut config = BatchConfig::new(InputSource::from_path(input), output);
    config.progress = ProgressMode::Off;
    config.concurrency = 4;
    config.resume = resume;
    config.flattener = Some(Arc::new(ClaimRows));
    config.part_rows = 16;
    config
}

fn analyser(delay: Duration) -> TextLength {
    TextLength {
        delay,
        fail_marker: Some("POISON".to_owned()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by killed_parquet_jobs_resume_to_the_uninterrupted_rows"]
async fn parquet_child_job() {
    let input = PathBuf::from(std::env::var_os(CHILD_INPUT).expect("child input path"));
    let output = PathBuf::from(std::env::var_os(CHILD_OUTPUT).expect("child output path"));
    BatchJob::new(job_config(&input, &output, true))
        .run(analyser(Duration::from_millis(3)))
        .await
        .expect("child job");
}

fn spawn_child(input: &Path, output: &Path) -> Child {
    let exe = std::env::current_exe().expect("test binary path");
    Command::new(exe)
        .args([
            "parquet_child_job",
            "--exact",
            "--ignored",
            "--test-threads=1",
        ])
        .env(CHILD_INPUT, input)
        .env(CHILD_OUTPUT, output)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn child job")
}

fn part_count(output: &Path) -> usize {
    let mut parts = output.as_os_str().to_owned();
    parts.push(".parts");
    std::fs::read_dir(PathBuf::from(parts)).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "parquet"))
            .count()
    })
}

fn sorted(mut rows: Vec<FlatRow>) -> Vec<FlatRow> {
    rows.sort_by_key(|row| (row.article_id.clone(), row.claim_index));
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_parquet_jobs_resume_to_the_uninterrupted_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    let lines: Vec<String> = (0..RECORDS)
        .map(|index| match index {
            _ if index % 41 == 5 => "{broken".to_owned(),
            _ if index % 59 == 7 => {
                json!({"id": format!("p{index}"), "text": "POISON text"}).to_string()
            }
            _ => article(
                &format!("a{index}"),
                &format!("article {index} {}", "w".repeat(index % 7)),
            ),
        })
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").expect("write input");

    let reference_output = dir.path().join("reference.parquet");
    let reference_config = job_config(&input, &reference_output, false);
    BatchJob::new(reference_config.clone())
        .run(analyser(Duration::ZERO))
        .await
        .expect("reference run");
    let reference = sorted(read_flat_rows(&reference_output));
    let reference_errors = read_jsonl(&reference_config.errors_path()).len();

    let output = dir.path().join("out.parquet");
    let mut killed_mid_run = 0;
    for kill_after_parts in [0, 1, 3, 6, 10] {
        let mut child = spawn_child(&input, &output);
        let deadline = Instant::now() + Duration::from_secs(60);
        while part_count(&output) < kill_after_parts && Instant::now() < deadline {
            if child.try_wait().expect("poll child").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().expect("SIGKILL child");
        if !child.wait().expect("reap child").success() {
            killed_mid_run += 1;
        }
    }
    assert!(
        killed_mid_run >= 4,
        "only {killed_mid_run} of 5 children were killed before finishing"
    );

    let resumed_config = job_config(&input, &output, true);
    let summary = BatchJob::new(resumed_config.clone())
        .run(analyser(Duration::ZERO))
        .await
        .expect("final resume");
    assert!(summary.skipped_resumed > 0, "the killed runs' work is kept");
    assert_eq!(
        sorted(read_flat_rows(&output)),
        reference,
        "same rows, none doubled"
    );
    assert_eq!(
        read_jsonl(&resumed_config.errors_path()).len(),
        reference_errors
    );
}
