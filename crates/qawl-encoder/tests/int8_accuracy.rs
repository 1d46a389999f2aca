//! The int8 encoder stays close to f32 on the real e5-small weights and the committed heads:
//! sentence embeddings, and the heads' answers on their dev predictions. (The dev metrics
//! themselves: `QAWL_PRECISION=int8 bash tools/eval/dev_numbers.sh`.) Skipped, with a message,
//! when the model cache is absent (CI fetches it).

mod committed_heads;
mod real_model;

use anyhow::{ensure, Context};
use committed_heads::{committed_heads, head_inputs, references};
use qawl_encoder::{
    ForwardKind, HeadOutput, HeadedEncoder, Precision, RuntimeOptions, TextEncoder, E5_QUERY_PREFIX,
};
use real_model::{model_files, repo};

fn options(precision: Precision) -> RuntimeOptions {
    RuntimeOptions {
        precision,
        ..RuntimeOptions::default()
    }
}

#[test]
fn int8_embeddings_point_where_f32_ones_do() -> anyhow::Result<()> {
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let load = |precision| {
        TextEncoder::load_e5_with(
            &files.encoder,
            &files.tokenizer,
            options(precision),
            ForwardKind::Fast,
        )
    };
    let (f32, int8) = (load(Precision::F32)?, load(Precision::Int8)?);
    let texts = [
        "وأفادت مصادر بأن إيران رفضت وقف تخصيب اليورانيوم.",
        "The minister denied the report on Tuesday.",
        "Der Sprecher sagte, die Gespräche würden fortgesetzt.",
        "Да.",
    ];
    let expected = f32.embed(&texts, Some(E5_QUERY_PREFIX))?;
    let ours = int8.embed(&texts, Some(E5_QUERY_PREFIX))?;
    for ((text, e), o) in texts.iter().zip(&expected).zip(&ours) {
        let cosine = e.cosine(o);
        eprintln!("{text}: cosine(int8, f32) {cosine:.5}");
        ensure!(cosine >= 0.99, "{text}: int8 embedding at cosine {cosine}");
    }
    // Unrelated sentences stay apart as much as in f32.
    let (e, o) = (expected[1].cosine(&expected[3]), ours[1].cosine(&ours[3]));
    ensure!((e - o).abs() <= 0.01, "unrelated pair: f32 {e}, int8 {o}");
    Ok(())
}

/// (label agreement with f32, largest probability difference) of a sequence head on its dev rows.
fn compare_head(
    f32: &HeadedEncoder,
    int8: &HeadedEncoder,
    task: &str,
) -> anyhow::Result<(f32, f32)> {
    let head = f32.head_index(task).context("head not loaded")?;
    let rows = references(task)?;
    let (mut agree, mut worst) = (0usize, 0f32);
    for chunk in rows.chunks(32) {
        let inputs = head_inputs(head, chunk);
        for (e, o) in f32.run(&inputs)?.into_iter().zip(int8.run(&inputs)?) {
            let (
                HeadOutput::Sequence {
                    probabilities: e, ..
                },
                HeadOutput::Sequence {
                    probabilities: o, ..
                },
            ) = (e, o)
            else {
                anyhow::bail!("{task} is not a sequence head");
            };
            let argmax = |p: &[f32]| {
                p.iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(i, _)| i)
            };
            agree += usize::from(argmax(&e) == argmax(&o));
            worst = e
                .iter()
                .zip(&o)
                .map(|(a, b)| (a - b).abs())
                .fold(worst, f32::max);
        }
    }
    Ok((agree as f32 / rows.len().max(1) as f32, worst))
}

#[test]
fn int8_heads_give_the_f32_labels_on_the_dev_rows() -> anyhow::Result<()> {
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let (pin, heads) = committed_heads(&repo())?;
    let heads: Vec<_> = heads.into_iter().take(2).collect(); // stance, claim
    let load = |precision| {
        HeadedEncoder::load_with(
            &files.encoder,
            &files.tokenizer,
            &pin,
            &heads,
            options(precision),
            ForwardKind::Fast,
        )
    };
    let (f32, int8) = (load(Precision::F32)?, load(Precision::Int8)?);
    for task in ["stance", "claim"] {
        let (agreement, worst) = compare_head(&f32, &int8, task)?;
        eprintln!(
            "{task}: int8 gives the f32 label on {agreement:.4} of dev rows, max |Δp| {worst:.3}"
        );
        ensure!(
            agreement >= 0.97,
            "{task}: labels agree on {agreement} only"
        );
        ensure!(worst <= 0.25, "{task}: a probability moved by {worst}");
    }
    Ok(())
}
