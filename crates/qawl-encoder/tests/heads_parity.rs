//! The served heads reproduce the training script's dev predictions: the committed
//! `dev_predictions.jsonl` of each head holds input ids and the logits PyTorch computed with
//! the full 12-layer model from those ids. Skipped, with a message, when the model cache is
//! absent (CI fetches it).

mod committed_heads;
mod real_model;

use anyhow::{ensure, Context};
use committed_heads::{committed_heads, flat, head_inputs, references};
use qawl_encoder::{
    HeadFiles, HeadOutput, HeadedEncoder, ModelManifest, ModelRole, RuntimeOptions,
};
use real_model::{model_files, repo};

/// Largest allowed differences against PyTorch (fp32, different summation orders); measured
/// 1.7e-5 and 3.3e-6 at most.
const LOGIT_TOLERANCE: f32 = 1e-4;
const PROBABILITY_TOLERANCE: f32 = 2e-5;

fn load() -> anyhow::Result<Option<HeadedEncoder>> {
    let Some(files) = model_files()? else {
        return Ok(None);
    };
    let (pin, heads) = committed_heads(&repo())?;
    Ok(Some(HeadedEncoder::load(
        &files.encoder,
        &files.tokenizer,
        &pin,
        &heads,
        RuntimeOptions::default(),
    )?))
}

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn every_head_reproduces_the_training_scripts_dev_predictions() -> anyhow::Result<()> {
    let Some(encoder) = load()? else {
        return Ok(());
    };
    for task in ["stance", "claim", "ner"] {
        let head = encoder.head_index(task).context("head not loaded")?;
        let references = references(task)?;
        ensure!(references.len() >= 100, "{task}: too few reference rows");
        let mut worst = (0f32, 0f32);
        for chunk in references.chunks(16) {
            let inputs = head_inputs(head, chunk);
            for (reference, output) in chunk.iter().zip(encoder.run(&inputs)?) {
                let (logits, probabilities) = match output {
                    HeadOutput::Sequence {
                        logits,
                        probabilities,
                    } => (logits, probabilities),
                    HeadOutput::Tokens {
                        logits,
                        probabilities,
                    } => (logits.concat(), probabilities.concat()),
                };
                let expected_logits = flat(&reference.logits);
                ensure!(
                    logits.len() == expected_logits.len(),
                    "{task} {}: {} logits, reference has {}",
                    reference.id,
                    logits.len(),
                    expected_logits.len()
                );
                let logit_error = max_difference(&logits, &expected_logits);
                let probability_error =
                    max_difference(&probabilities, &flat(&reference.probabilities));
                ensure!(
                    logit_error <= LOGIT_TOLERANCE && probability_error <= PROBABILITY_TOLERANCE,
                    "{task} {}: logits differ by {logit_error}, probabilities by {probability_error}",
                    reference.id
                );
                worst = (worst.0.max(logit_error), worst.1.max(probability_error));
            }
        }
        eprintln!(
            "{task}: {} examples, max |Δlogit| {:.2e}, max |Δp| {:.2e}",
            references.len(),
            worst.0,
            worst.1
        );
    }
    Ok(())
}

#[test]
fn a_head_trained_on_another_base_model_is_refused() -> anyhow::Result<()> {
    let Some(_) = load()? else {
        return Ok(());
    };
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let stance = HeadFiles::from_folder(&repo().join("models/heads/stance"))?;
    let error = HeadedEncoder::load(
        &files.encoder,
        &files.tokenizer,
        &"0".repeat(64),
        std::slice::from_ref(&stance),
        RuntimeOptions::default(),
    )
    .err()
    .map(|e| e.to_string());
    ensure!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("trained on base model")),
        "{error:?}"
    );
    let mut tampered = stance;
    if let Some(byte) = tampered.weights.last_mut() {
        *byte ^= 1;
    }
    let error = HeadedEncoder::load(
        &files.encoder,
        &files.tokenizer,
        &ModelManifest::builtin()?
            .entry(ModelRole::Encoder)
            .context("encoder entry")?
            .sha256,
        &[tampered],
        RuntimeOptions::default(),
    )
    .err()
    .map(|e| e.to_string());
    ensure!(
        error.as_deref().is_some_and(|e| e.contains("sha256")),
        "{error:?}"
    );
    Ok(())
}
