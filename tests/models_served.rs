//! The product with its real models: the trained heads served through the CLI and the gRPC
//! service. Skipped, with a message, when the default model is not in the models folder (CI
//! fetches it first; `qawl models fetch` does it by hand).

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use qawl::limits::Limits;
use qawl::pipeline_factory::{model_pipeline, ModelSetup};
use qawl::proto::v1 as pb;
use qawl_encoder::{ModelStore, MODELS_DIR_ENV};

use common::TestServer;

const SEED: &str = "fixtures/muscat-talks.ar.txt";
/// The sentence the issue names: sources say Iran rejected the US calls to halt enrichment.
const REJECTION: &str = "وأفادت مصادر بأن إيران رفضت";

fn models_dir() -> PathBuf {
    std::env::var_os(MODELS_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("models/cache"))
}

fn model_present() -> bool {
    let present = ModelStore::new(models_dir())
        .and_then(|store| store.default_files())
        .is_ok();
    if !present {
        eprintln!(
            "SKIPPED: the default model is not in {}; run `qawl models fetch`",
            models_dir().display()
        );
    }
    present
}

fn claim_in_sentence<'a>(
    text: &str,
    response: &'a pb::ExtractResponse,
    sentence_start: &str,
) -> Option<&'a pb::Claim> {
    response.claims.iter().find(|claim| {
        response
            .sentences
            .get(claim.sentence_index as usize)
            .and_then(|s| s.span.as_ref())
            .and_then(|span| text.get(span.start_byte as usize..span.end_byte as usize))
            .is_some_and(|sentence| sentence.trim_start().starts_with(sentence_start))
    })
}

#[test]
fn the_seed_rejection_contradicts_a_halt_to_enrichment() {
    if !model_present() {
        return;
    }
    let output = Command::cargo_bin("qawl")
        .expect("binary")
        .env(MODELS_DIR_ENV, models_dir())
        .args([
            "extract",
            SEED,
            "--offline",
            "--target",
            "halt=Iran agrees to stop enriching uranium.",
        ])
        .output()
        .expect("run qawl extract");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let response: pb::ExtractResponse =
        serde_json::from_slice(&output.stdout).expect("an ExtractResponse as JSON");
    let text = std::fs::read_to_string(SEED).expect("seed");
    let claim = claim_in_sentence(&text, &response, REJECTION).expect("a claim in that sentence");
    let stance = claim
        .stances
        .iter()
        .find(|s| s.target_id == "halt")
        .expect("a stance toward halt");
    assert_eq!(
        stance.label(),
        pb::StanceLabel::Contradicts,
        "probabilities {:?}",
        stance.probabilities
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_claim_gets_a_score_and_a_stance_toward_the_headline() {
    if !model_present() {
        return;
    }
    let store = ModelStore::new(models_dir()).expect("store");
    let loaded = tokio::task::spawn_blocking(move || model_pipeline(&ModelSetup::new(store)))
        .await
        .expect("join")
        .expect("the model pipeline loads");
    assert!(loaded.models.iter().any(|m| m.role == "stance" && m.loaded));
    let server = TestServer::start(loaded.pipeline, Limits::default()).await;
    let mut client = pb::qawl_client::QawlClient::new(server.channel().await);
    let text = std::fs::read_to_string(SEED).expect("seed");
    let response = client
        .extract(pb::ExtractRequest {
            text: text.clone(),
            ..Default::default()
        })
        .await
        .expect("extract")
        .into_inner();
    assert!(response.claims.len() >= 5);
    for claim in &response.claims {
        let score = claim.claim_score.expect("a claim score");
        assert!((0.0..=1.0).contains(&score));
        assert_eq!(claim.stances.len(), 1, "one stance: toward the headline");
        assert_eq!(claim.stances[0].target_id, "headline");
        let p = claim.stances[0]
            .probabilities
            .as_ref()
            .expect("probabilities");
        assert!((p.entails + p.contradicts + p.neutral - 1.0).abs() < 1e-4);
    }

    // Raw pairs, across languages: the same pair answered alone or in a batch agrees.
    let pair = |id: &str, premise: &str, proposition: &str| pb::StancePair {
        id: id.into(),
        premise: premise.into(),
        proposition: proposition.into(),
    };
    let alone = client
        .classify_stance(pb::ClassifyStanceRequest {
            pairs: vec![pair(
                "a",
                "إيران ترفض وقف تخصيب اليورانيوم",
                "Iran agrees to stop enriching uranium.",
            )],
        })
        .await
        .expect("classify")
        .into_inner();
    let batched = client
        .classify_stance(pb::ClassifyStanceRequest {
            pairs: vec![
                pair(
                    "long",
                    &text[..text.len().min(2000)],
                    "Talks were held in Muscat.",
                ),
                pair(
                    "a",
                    "إيران ترفض وقف تخصيب اليورانيوم",
                    "Iran agrees to stop enriching uranium.",
                ),
            ],
        })
        .await
        .expect("classify")
        .into_inner();
    let p = |r: &pb::ClassifyStanceResponse, i: usize| {
        r.results[i].probabilities.expect("probabilities")
    };
    assert!((p(&alone, 0).contradicts - p(&batched, 1).contradicts).abs() < 1e-4);
}

#[test]
fn eval_reports_metrics_and_writes_predictions_in_input_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("pairs.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"id": "p1", "premise": "إيران ترفض وقف تخصيب اليورانيوم", "hypothesis": "Iran agrees to stop enriching uranium.", "label": "contradicts"}"#,
            "\n",
            r#"{"id": "p2", "premise": "The talks ended in Muscat on Friday.", "hypothesis": "The weather was sunny.", "label": "neutral"}"#,
            "\n",
            r#"{"id": "p3", "premise": "Iran agreed to stop enriching uranium.", "hypothesis": "Iran agrees to stop enriching uranium.", "label": "entails"}"#,
            "\n"
        ),
    )
    .expect("write");
    // A bad label is refused with its line before any model is loaded.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        r#"{"id": 1, "premise": "a", "hypothesis": "b", "label": "maybe"}"#,
    )
    .expect("write");
    Command::cargo_bin("qawl")
        .expect("binary")
        .args(["eval", "stance", "--offline", "--input"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.jsonl:1:"));
    if !model_present() {
        return;
    }
    let predictions = dir.path().join("predictions.jsonl");
    let output = Command::cargo_bin("qawl")
        .expect("binary")
        .env(MODELS_DIR_ENV, models_dir())
        .args(["eval", "stance", "--offline", "--json", "--input"])
        .arg(&input)
        .arg("--predictions")
        .arg(&predictions)
        .output()
        .expect("run qawl eval");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["examples"], 3);
    let confusion: u64 = report["confusion"]
        .as_array()
        .expect("matrix")
        .iter()
        .flat_map(|row| row.as_array().into_iter().flatten())
        .filter_map(serde_json::Value::as_u64)
        .sum();
    assert_eq!(confusion, 3, "every pair lands in the confusion matrix");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&predictions)
        .expect("predictions")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON line"))
        .collect();
    let ids: Vec<&str> = lines.iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(ids, ["p1", "p2", "p3"]);
    for line in &lines {
        let p = &line["probabilities"];
        let total: f64 = ["entails", "contradicts", "neutral"]
            .iter()
            .filter_map(|k| p[k].as_f64())
            .sum();
        assert!((total - 1.0).abs() < 1e-4, "{line}");
    }
}

#[test]
fn info_says_the_models_run_in_int8_unless_f32_is_asked_for() {
    if !model_present() {
        return;
    }
    let info = |extra: &[&str]| {
        let output = Command::cargo_bin("qawl")
            .expect("binary")
            .env(MODELS_DIR_ENV, models_dir())
            .env_remove("QAWL_PRECISION")
            .args(["info", "--offline"])
            .args(extra)
            .output()
            .expect("run qawl info");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let default = info(&[]);
    let encoder = default
        .lines()
        .find(|line| line.trim_start().starts_with("encoder"))
        .expect("an encoder line");
    assert!(encoder.ends_with("loaded (int8)"), "{default}");
    assert!(
        default
            .lines()
            .any(|line| line.trim_start().starts_with("stance") && line.ends_with("(int8)")),
        "{default}"
    );
    assert!(info(&["--precision", "f32"]).contains("loaded (f32)"));
    let refused = Command::cargo_bin("qawl")
        .expect("binary")
        .env(MODELS_DIR_ENV, models_dir())
        .args(["info", "--offline", "--precision", "int4"])
        .output()
        .expect("run qawl info");
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--precision"));
}
