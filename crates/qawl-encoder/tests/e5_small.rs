//! The real multilingual-e5-small: translations of one news sentence embed closer to each other
//! than to unrelated sentences, and our embeddings equal the reference computed from the
//! dequantized checkpoint. Skipped, with a message, when the model cache is absent (CI fetches it).

mod real_model;

use std::path::Path;
use std::sync::OnceLock;

use anyhow::ensure;
use qawl_encoder::{DefaultModelFiles, RuntimeOptions, TextEncoder, E5_QUERY_PREFIX};
use real_model::model_files;
use serde::Deserialize;

/// Largest allowed difference per component against the reference embedding.
const TOLERANCE: f32 = 1e-5;

/// One model load shared by the tests (loading dequantizes 96M weights).
fn encoder(files: &DefaultModelFiles) -> anyhow::Result<&'static TextEncoder> {
    static ENCODER: OnceLock<Result<TextEncoder, String>> = OnceLock::new();
    ENCODER
        .get_or_init(|| {
            TextEncoder::load_e5(&files.encoder, &files.tokenizer, RuntimeOptions::default())
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("loading e5-small: {e}"))
}

#[test]
fn translations_embed_closer_than_unrelated_sentences() -> anyhow::Result<()> {
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let encoder = encoder(&files)?;
    let translations = [
        "قال وزير الخارجية يوم الثلاثاء إن المحادثات مع إيران ستستأنف في مسقط الأسبوع المقبل.",
        "The foreign minister said on Tuesday that talks with Iran would resume in Muscat next week.",
        "Le ministre des Affaires étrangères a déclaré mardi que les pourparlers avec l'Iran reprendraient à Mascate la semaine prochaine.",
    ];
    let unrelated = [
        "فاز الفريق المحلي بالمباراة بثلاثة أهداف مقابل هدف واحد.",
        "The recipe calls for two cups of flour and a pinch of salt.",
        "Il pleut beaucoup en automne dans cette région montagneuse.",
    ];
    let texts: Vec<&str> = translations.iter().chain(&unrelated).copied().collect();
    let embeddings = encoder.embed(&texts, Some(E5_QUERY_PREFIX))?;
    let (same, other) = embeddings.split_at(translations.len());
    let mut closest_unrelated = f32::MIN;
    let mut farthest_translation = f32::MAX;
    for (i, a) in same.iter().enumerate() {
        for b in &same[i + 1..] {
            farthest_translation = farthest_translation.min(a.cosine(b));
        }
        for b in other {
            closest_unrelated = closest_unrelated.max(a.cosine(b));
        }
    }
    eprintln!("translations >= {farthest_translation:.3}, unrelated <= {closest_unrelated:.3}");
    ensure!(
        farthest_translation > closest_unrelated,
        "translations {farthest_translation} not closer than unrelated {closest_unrelated}"
    );
    Ok(())
}

#[derive(Deserialize)]
struct Reference {
    prefix: String,
    sentences: Vec<ReferenceSentence>,
    tokenizer_cases: Vec<TokenizerCase>,
    tokenizer_pair: TokenizerPair,
}

fn reference() -> anyhow::Result<Reference> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/e5-small-reference.json");
    ensure!(
        path.is_file(),
        "{} is missing: it holds reference embeddings from the dequantized checkpoint",
        path.display()
    );
    let reference: Reference = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    ensure!(
        !reference.sentences.is_empty(),
        "{}: no sentences",
        path.display()
    );
    Ok(reference)
}

#[test]
fn tokenization_matches_the_reference_tokenizer() -> anyhow::Result<()> {
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let reference = reference()?;
    let tokenizer = qawl_encoder::TextTokenizer::from_file(&files.tokenizer, 512)?;
    for case in &reference.tokenizer_cases {
        let ours = tokenizer.encode(&case.text, None)?;
        ensure!(
            ours.ids == case.input_ids,
            "{:?}: ours {:?}, reference {:?}",
            case.text,
            ours.ids,
            case.input_ids
        );
    }
    let pair = &reference.tokenizer_pair;
    let ours = tokenizer.encode_pair(&pair.premise, &pair.hypothesis)?;
    ensure!(
        ours.ids == pair.input_ids,
        "pair: ours {:?}, reference {:?}",
        ours.ids,
        pair.input_ids
    );
    Ok(())
}

#[derive(Deserialize)]
struct TokenizerCase {
    text: String,
    input_ids: Vec<u32>,
}

#[derive(Deserialize)]
struct TokenizerPair {
    premise: String,
    hypothesis: String,
    input_ids: Vec<u32>,
}

#[derive(Deserialize)]
struct ReferenceSentence {
    text: String,
    input_ids: Vec<u32>,
    embedding: Vec<f32>,
}

#[test]
fn embeddings_match_the_reference_implementation() -> anyhow::Result<()> {
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let reference = reference()?;
    let encoder = encoder(&files)?;
    let prefix = Some(reference.prefix.as_str()).filter(|p| !p.is_empty());
    for sentence in &reference.sentences {
        let encoded = encoder.tokenizer().encode(&sentence.text, prefix)?;
        ensure!(
            encoded.ids == sentence.input_ids,
            "token ids differ for {:?}:\n ours {:?}\n ref  {:?}",
            sentence.text,
            encoded.ids,
            sentence.input_ids
        );
        let ours = encoder.embed_encoded(&[&encoded])?;
        let ours = &ours[0].vector;
        ensure!(
            ours.len() == sentence.embedding.len(),
            "embedding width differs"
        );
        let worst = ours
            .iter()
            .zip(&sentence.embedding)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        ensure!(
            worst <= TOLERANCE,
            "{:?}: max difference {worst:e}",
            sentence.text
        );
    }
    Ok(())
}

#[test]
fn texts_over_512_tokens_are_flagged_as_truncated() -> anyhow::Result<()> {
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let tokenizer = qawl_encoder::TextTokenizer::from_file(&files.tokenizer, 512)?;
    let long = "المحادثات ستستأنف في مسقط. ".repeat(200);
    let encoded = tokenizer.encode(&long, Some(E5_QUERY_PREFIX))?;
    assert_eq!(encoded.len(), 512);
    assert_eq!(
        encoded.ids.last(),
        Some(&2),
        "the closing </s> survives truncation"
    );
    assert!(encoded.truncated);
    assert!(!tokenizer.encode("short", Some(E5_QUERY_PREFIX))?.truncated);
    Ok(())
}
