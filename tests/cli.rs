//! The `qawl` binary as a user runs it: exit codes, messages, output formats, signals.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use assert_cmd::Command as AssertCommand;
use predicates::prelude::*;

/// The binary with the rule stages only: these tests are about the command line, not the
/// models (tests/models_served.rs runs the models). "1" as shells write it (true/yes/on work too).
fn qawl() -> AssertCommand {
    let mut command = AssertCommand::cargo_bin("qawl").expect("binary built");
    command.env("QAWL_RULES_ONLY", "1");
    command
}

#[test]
fn help_lists_the_commands() {
    qawl()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("serve").and(predicate::str::contains("extract")));
}

#[test]
fn missing_file_is_a_usage_error_with_the_path() {
    qawl()
        .args(["extract", "/no/such/article.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/no/such/article.txt"));
}

#[test]
fn malformed_target_is_a_usage_error() {
    qawl()
        .args(["extract", "-", "--target", "no-equals-sign"])
        .write_stdin("text")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ID=PROPOSITION"));
}

#[test]
fn bad_address_is_a_usage_error() {
    qawl()
        .args(["serve", "--addr", "not-an-address"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--addr"));
}

#[test]
fn empty_article_is_refused_naming_the_field() {
    qawl()
        .args(["extract", "-"])
        .write_stdin("   \n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("text: must not be empty"));
}

#[test]
fn non_utf8_input_is_refused() {
    qawl()
        .args(["extract", "-"])
        .write_stdin(vec![0x66, 0xff, 0xfe])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not UTF-8"));
}

#[test]
fn info_json_lists_languages_and_limits() {
    let output = qawl()
        .args(["info", "--format", "json"])
        .output()
        .expect("run");
    assert!(output.status.success());
    let info: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(info["languages"].as_array().expect("array").len(), 10);
    assert_eq!(info["limits"]["maxTargets"], 32);
}

#[test]
fn serve_answers_health_then_stops_cleanly_on_sigterm() {
    let mut child = Command::cargo_bin("qawl")
        .expect("binary")
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--metrics-addr",
            "off",
            "--rules-only",
        ])
        .env("QAWL_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    // Read the log on a thread so a server that never logs its address fails the test, not hangs it.
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let addr = loop {
        let Ok(line) = lines_rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("qawl serve did not log its address");
        };
        if let Some(rest) = line.split("addr=Some(").nth(1) {
            break rest.split(')').next().expect("addr").to_string();
        }
    };

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .expect("url")
            .connect()
            .await
            .expect("connect");
        let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
        let status = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: "qawl.v1.Qawl".into(),
            })
            .await
            .expect("health")
            .into_inner()
            .status();
        assert_eq!(
            status,
            tonic_health::pb::health_check_response::ServingStatus::Serving
        );
    });

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(
                status.success(),
                "qawl serve exits 0 after SIGTERM, got {status}"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
