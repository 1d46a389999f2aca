//! The fast CPU encoder computes what candle's `BertModel` computes, on the real e5-small
//! weights: hidden states of padded, mixed-length batches within 1e-4, and the same head
//! outputs. Skipped, with a message, when the model cache is absent (CI fetches it).

mod committed_heads;
mod real_model;

use anyhow::{ensure, Context};
use committed_heads::committed_heads;
use qawl_encoder::{
    ForwardKind, HeadInput, HeadOutput, HeadedEncoder, RuntimeOptions, TextEncoder, E5_QUERY_PREFIX,
};
use real_model::{model_files, repo};

/// Largest allowed difference of a hidden-state component (different summation orders).
const HIDDEN_TOLERANCE: f32 = 1e-4;

const TEXTS: [&str; 5] = [
    "قال وزير الخارجية يوم الثلاثاء إن المحادثات مع إيران ستستأنف في مسقط الأسبوع المقبل.",
    "Yes.",
    "The government says fuel prices will fall by ten percent next month, despite doubts raised by the transport unions, who threatened to strike if the figures proved wrong.",
    "Le ministre a démenti.",
    "وزیر امور خارجه روز سه‌شنبه گفت دور بعدی گفت‌وگوها هفته آینده در مسقط برگزار خواهد شد.",
];

#[test]
fn fast_hidden_states_match_candles_bert_on_a_padded_batch() -> anyhow::Result<()> {
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let options = RuntimeOptions::default();
    let load = |kind| TextEncoder::load_e5_with(&files.encoder, &files.tokenizer, options, kind);
    let candle = load(ForwardKind::Candle)?;
    let fast = load(ForwardKind::Fast)?;
    let encoded = TEXTS
        .iter()
        .map(|text| candle.tokenizer().encode(text, Some(E5_QUERY_PREFIX)))
        .collect::<Result<Vec<_>, _>>()?;
    let items: Vec<_> = encoded.iter().collect();
    ensure!(
        items.iter().map(|e| e.len()).min() < items.iter().map(|e| e.len()).max(),
        "the batch must mix lengths so that padding is exercised"
    );
    let batch = candle.batch(&items)?;
    let expected = candle.hidden_states(&batch)?.to_vec3::<f32>()?;
    let ours = fast.hidden_states(&batch)?.to_vec3::<f32>()?;
    let mut worst = 0f32;
    for ((expected, ours), &length) in expected.iter().zip(&ours).zip(batch.lengths()) {
        for (e, o) in expected[..length].iter().zip(&ours[..length]) {
            ensure!(e.len() == o.len(), "hidden widths differ");
            worst = e
                .iter()
                .zip(o)
                .map(|(a, b)| (a - b).abs())
                .fold(worst, f32::max);
        }
    }
    eprintln!("fast vs candle: max |Δhidden| {worst:.2e}");
    ensure!(
        worst <= HIDDEN_TOLERANCE,
        "hidden states differ by {worst:e}"
    );

    // Padding must not change a sequence's states: each text alone equals it in the batch.
    for (index, item) in items.iter().enumerate() {
        let alone = fast
            .hidden_states(&fast.batch(&[item])?)?
            .to_vec3::<f32>()?;
        let length = item.len();
        let difference = alone[0][..length]
            .iter()
            .flatten()
            .zip(ours[index][..length].iter().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        ensure!(
            difference <= 1e-5,
            "text {index}: alone and batched differ by {difference:e}"
        );
    }
    Ok(())
}

fn flat(output: HeadOutput) -> Vec<f32> {
    match output {
        HeadOutput::Sequence { logits, .. } => logits,
        HeadOutput::Tokens { logits, .. } => logits.concat(),
    }
}

#[test]
fn fast_heads_answer_as_candles_heads() -> anyhow::Result<()> {
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let (pin, heads) = committed_heads(&repo())?;
    let load = |kind| {
        HeadedEncoder::load_with(
            &files.encoder,
            &files.tokenizer,
            &pin,
            &heads,
            RuntimeOptions::default(),
            kind,
        )
    };
    let candle = load(ForwardKind::Candle)?;
    let fast = load(ForwardKind::Fast)?;
    let mut encoded = Vec::new();
    for task in ["stance", "claim", "ner"] {
        let head = candle.head_index(task).context("head not loaded")?;
        for text in TEXTS {
            encoded.push((head, candle.encode(head, text)?.ids));
        }
    }
    let inputs: Vec<HeadInput<'_>> = encoded
        .iter()
        .map(|(head, ids)| HeadInput { head: *head, ids })
        .collect();
    let mut worst = 0f32;
    for (expected, ours) in candle.run(&inputs)?.into_iter().zip(fast.run(&inputs)?) {
        let (expected, ours) = (flat(expected), flat(ours));
        ensure!(expected.len() == ours.len(), "output sizes differ");
        worst = expected
            .iter()
            .zip(&ours)
            .map(|(a, b)| (a - b).abs())
            .fold(worst, f32::max);
    }
    eprintln!("fast vs candle heads: max |Δlogit| {worst:.2e}");
    ensure!(worst <= HIDDEN_TOLERANCE, "head logits differ by {worst:e}");
    Ok(())
}
