//! `qawl batch` as a user runs it on a small archive: one output line per good article, bad
//! records reported with their line numbers, no silent overwrite, and resume that adds nothing twice.

use assert_cmd::Command;
use predicates::prelude::*;

const SEED: &str = include_str!("../fixtures/muscat-talks.ar.txt");

fn write_archive(dir: &std::path::Path) -> std::path::PathBuf {
    let lines = [
        serde_json::json!({"id": "seed", "text": SEED}).to_string(),
        serde_json::json!({"id": "fr", "lang": "fr",
            "text": "Le porte-parole du gouvernement a déclaré que les négociations continueront."})
        .to_string(),
        r#"{"id": "broken""#.to_string(),
        serde_json::json!({"id": "empty", "text": ""}).to_string(),
    ];
    let path = dir.join("archive.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write archive");
    path
}

fn read_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .map(|line| serde_json::from_str(line).expect("json line"))
        .collect()
}

#[test]
fn an_archive_is_scored_once_per_article_with_bad_records_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = write_archive(dir.path());
    let output = dir.path().join("scores.jsonl");
    let batch = || {
        let mut cmd = Command::cargo_bin("qawl").expect("binary");
        cmd.env("QAWL_RULES_ONLY", "true");
        cmd.args(["batch", "--input"])
            .arg(&input)
            .arg("--output")
            .arg(&output);
        cmd
    };

    batch()
        .assert()
        .success()
        .stderr(predicate::str::contains("2 articles").and(predicate::str::contains("2 errors")));
    let results = read_lines(&output);
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"seed") && ids.contains(&"fr"));
    let seed = results.iter().find(|r| r["id"] == "seed").expect("seed");
    assert_eq!(seed["language"], "ar");
    assert!(seed["claims"].as_array().expect("claims").len() >= 8);

    let errors = read_lines(&dir.path().join("scores.errors.jsonl"));
    let lines: Vec<u64> = errors
        .iter()
        .map(|e| e["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, vec![3, 4]);

    // A second run does not overwrite the finished job; --resume finds nothing left to do.
    batch()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--resume"));
    batch().arg("--resume").assert().success();
    assert_eq!(read_lines(&output).len(), 2);
}
