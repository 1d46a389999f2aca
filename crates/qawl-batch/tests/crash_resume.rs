//! A job killed with SIGKILL at any moment resumes to exactly the output of an uninterrupted run.
//!
//! The test re-runs its own binary as the child job (the ignored `child_job` test, selected by name),
//! kills it at several points, resumes each time, and compares with a run that was never interrupted.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use qawl_batch::{BatchConfig, BatchJob, InputSource, ProgressMode};
use serde_json::{json, Value};
use support::{article, by_id, read_jsonl, TextLength};

const RECORDS: usize = 400;
const CHILD_INPUT: &str = "QAWL_BATCH_TEST_CHILD_INPUT";
const CHILD_OUTPUT: &str = "QAWL_BATCH_TEST_CHILD_OUTPUT";

fn job_config(input: &Path, output: &Path, resume: bool) -> BatchConfig {
    let mut config = BatchConfig::new(InputSource::from_path(input), output);
    config.progress = ProgressMode::Off;
    config.concurrency = 4;
    config.resume = resume;
    config
}

fn analyser(delay: Duration) -> TextLength {
    TextLength {
        delay,
        fail_marker: Some("POISON".to_owned()),
        ..Default::default()
    }
}

/// The child side: a slow job that resumes whatever an earlier (killed) child left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by killed_jobs_resume_to_exactly_the_uninterrupted_output"]
async fn child_job() {
    let input = PathBuf::from(std::env::var_os(CHILD_INPUT).expect("child input path"));
    let output = PathBuf::from(std::env::var_os(CHILD_OUTPUT).expect("child output path"));
    BatchJob::new(job_config(&input, &output, true))
        .run(analyser(Duration::from_millis(2)))
        .await
        .expect("child job");
}

fn spawn_child(input: &Path, output: &Path) -> Child {
    let exe = std::env::current_exe().expect("test binary path");
    Command::new(exe)
        .args(["child_job", "--exact", "--ignored", "--test-threads=1"])
        .env(CHILD_INPUT, input)
        .env(CHILD_OUTPUT, output)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn child job")
}

fn line_count(path: &Path) -> usize {
    std::fs::read(path).map_or(0, |bytes| {
        bytes.iter().filter(|&&byte| byte == b'\n').count()
    })
}

/// Errors-file lines as (line, kind), failing on duplicates.
fn error_set(path: &Path) -> BTreeSet<(u64, String)> {
    let mut set = BTreeSet::new();
    for error in read_jsonl(path) {
        let key = (
            error["line"].as_u64().expect("line"),
            error["kind"].as_str().expect("kind").to_owned(),
        );
        assert!(set.insert(key.clone()), "duplicate error line {key:?}");
    }
    set
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_jobs_resume_to_exactly_the_uninterrupted_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.jsonl");
    let lines: Vec<String> = (0..RECORDS)
        .map(|index| match index {
            _ if index % 37 == 5 => "{broken".to_owned(),
            _ if index % 53 == 7 => {
                json!({"id": format!("p{index}"), "text": "POISON text"}).to_string()
            }
            _ => article(
                &format!("a{index}"),
                &format!("article {index} {}", "w".repeat(index % 11)),
            ),
        })
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").expect("write input");

    let reference_output = dir.path().join("reference.jsonl");
    let reference_config = job_config(&input, &reference_output, false);
    BatchJob::new(reference_config.clone())
        .run(analyser(Duration::ZERO))
        .await
        .expect("reference run");
    let reference: HashMap<String, Value> = by_id(read_jsonl(&reference_output));
    let reference_errors = error_set(&reference_config.errors_path());
    assert_eq!(reference.len() + reference_errors.len(), RECORDS);

    // Kill before anything is written, right after the first commits, and at several later points.
    let output = dir.path().join("out.jsonl");
    let mut killed_mid_run = 0;
    for kill_after_lines in [0, 1, 40, 120, 200, 330] {
        let mut child = spawn_child(&input, &output);
        let deadline = Instant::now() + Duration::from_secs(60);
        while line_count(&output) < kill_after_lines && Instant::now() < deadline {
            if child.try_wait().expect("poll child").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        child.kill().expect("SIGKILL child");
        let status = child.wait().expect("reap child");
        if !status.success() {
            killed_mid_run += 1;
        }
    }
    assert!(
        killed_mid_run >= 5,
        "only {killed_mid_run} of 6 children were killed before finishing"
    );
    assert!(
        line_count(&output) < reference.len(),
        "the killed children must not have finished the job"
    );

    let resumed_config = job_config(&input, &output, true);
    let summary = BatchJob::new(resumed_config.clone())
        .run(analyser(Duration::ZERO))
        .await
        .expect("final resume");
    assert!(summary.skipped_resumed > 0, "the killed runs' work is kept");

    let resumed = by_id(read_jsonl(&output));
    assert_eq!(
        resumed.len(),
        reference.len(),
        "same number of articles, no duplicates"
    );
    for (id, line) in &reference {
        assert_eq!(resumed.get(id), Some(line), "content of {id}");
    }
    assert_eq!(error_set(&resumed_config.errors_path()), reference_errors);
}
