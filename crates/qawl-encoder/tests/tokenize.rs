//! Tokenization: offsets point into the caller's text even with a prefix, truncation is flagged,
//! and batches pad to the longest input.

use std::collections::HashMap;
use std::path::Path;

use candle_core::Device;
use qawl_encoder::{TextTokenizer, TokenBatch};
use tokenizers::models::wordlevel::WordLevel;
use tokenizers::pre_tokenizers::whitespace::WhitespaceSplit;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::Tokenizer;

const WORDS: [&str; 8] = [
    "query:", "the", "minister", "said", "talks", "resume", "in", "muscat",
];

/// A word-level tokenizer with BERT-style [CLS]/[SEP], written as a `tokenizer.json`.
fn write_tokenizer(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let mut vocab: HashMap<String, u32> = ["[UNK]", "[CLS]", "[SEP]", "[PAD]"]
        .iter()
        .enumerate()
        .map(|(i, t)| (t.to_string(), i as u32))
        .collect();
    for (i, word) in WORDS.iter().enumerate() {
        vocab.insert(word.to_string(), 4 + i as u32);
    }
    let model = WordLevel::builder()
        .vocab(vocab.into_iter().collect())
        .unk_token("[UNK]".into())
        .build()
        .map_err(anyhow::Error::msg)?;
    let mut tokenizer = Tokenizer::new(model);
    tokenizer.with_pre_tokenizer(Some(WhitespaceSplit));
    tokenizer.with_post_processor(Some(BertProcessing::new(
        ("[SEP]".into(), 2),
        ("[CLS]".into(), 1),
    )));
    let path = dir.join("tokenizer.json");
    tokenizer.save(&path, false).map_err(anyhow::Error::msg)?;
    Ok(path)
}

#[test]
fn offsets_refer_to_the_text_not_the_prefix() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let tokenizer = TextTokenizer::from_file(&write_tokenizer(dir.path())?, 512)?;
    let text = "the minister said";
    let encoded = tokenizer.encode(text, Some("query: "))?;
    // [CLS] query: the minister said [SEP]
    assert_eq!(encoded.ids, [1, 4, 5, 6, 7, 2]);
    assert_eq!(encoded.offsets[1], (0, 0), "prefix tokens carry no span");
    let (start, end) = encoded.offsets[3];
    assert_eq!(&text[start..end], "minister");
    assert!(!encoded.truncated);
    Ok(())
}

#[test]
fn long_inputs_are_truncated_and_flagged() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let tokenizer = TextTokenizer::from_file(&write_tokenizer(dir.path())?, 8)?;
    let long = "the minister said talks resume in muscat ".repeat(3);
    let encoded = tokenizer.encode(&long, None)?;
    assert_eq!(encoded.len(), 8);
    assert_eq!(
        encoded.ids.last(),
        Some(&2),
        "the [SEP] survives truncation"
    );
    assert!(encoded.truncated);

    let pair = tokenizer.encode_pair(&long, "talks resume")?;
    assert_eq!(pair.len(), 8);
    assert!(pair.truncated);
    assert!(pair.type_ids.contains(&1), "the second segment is kept");

    let short = tokenizer.encode_pair("the minister", "talks")?;
    assert!(!short.truncated);
    Ok(())
}

#[test]
fn batches_pad_right_to_the_longest_input() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let tokenizer = TextTokenizer::from_file(&write_tokenizer(dir.path())?, 512)?;
    let a = tokenizer.encode("the minister said talks resume", None)?;
    let b = tokenizer.encode("muscat", None)?;
    let batch = TokenBatch::new(&[&a, &b], tokenizer.pad_id(), &Device::Cpu)?;
    assert_eq!(batch.lengths(), [7, 3]);
    let ids: Vec<Vec<u32>> = batch.input_ids.to_vec2()?;
    assert_eq!(ids[1], [1, 11, 2, 3, 3, 3, 3]);
    let mask: Vec<Vec<u32>> = batch.attention_mask.to_vec2()?;
    assert_eq!(mask[1], [1, 1, 1, 0, 0, 0, 0]);
    assert!(TokenBatch::new(&[], 3, &Device::Cpu).is_err());
    Ok(())
}

#[test]
fn a_missing_tokenizer_is_named() {
    let err = TextTokenizer::from_file(Path::new("/no/such/tokenizer.json"), 512)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("/no/such/tokenizer.json"), "{err}");
}

#[test]
fn pre_split_words_point_at_their_first_token_after_the_prefix() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let tokenizer = TextTokenizer::from_file(&write_tokenizer(dir.path())?, 5)?;
    let words = ["the", "minister", "said", "talks"];
    let encoded = tokenizer.encode_words(&words, Some("query: "))?;
    // [CLS] query: the minister [SEP]: the limit of 5 cuts "said" and "talks".
    assert_eq!(encoded.ids, [1, 4, 5, 6, 2]);
    assert_eq!(encoded.first_tokens, [Some(2), Some(3), None, None]);
    Ok(())
}
