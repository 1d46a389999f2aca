//! Heads with different token limits share one tokenizer (one copy of the 250k-piece
//! vocabulary); each copy must still cut inputs exactly as the library does with that limit set:
//! the same ids, the same segment ids, the same truncation flag, for texts, pairs and pre-split
//! words. Checked on the real e5 tokenizer (skipped, with a message, when it is not fetched).

mod real_model;

use anyhow::{anyhow, ensure};
use qawl_encoder::TextTokenizer;
use real_model::model_files;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

const SEED: &str = include_str!("../../../fixtures/muscat-talks.ar.txt");

/// The library's own tokenizer with its truncation set to `limit`.
fn library_at(path: &std::path::Path, limit: usize) -> anyhow::Result<Tokenizer> {
    let mut tokenizer = Tokenizer::from_file(path).map_err(|e| anyhow!(e))?;
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: limit,
            strategy: TruncationStrategy::LongestFirst,
            stride: 0,
            direction: TruncationDirection::Right,
        }))
        .map_err(|e| anyhow!(e))?;
    Ok(tokenizer)
}

#[test]
fn every_limit_cuts_as_the_library_does() -> anyhow::Result<()> {
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let shared = TextTokenizer::from_file(&files.tokenizer, 512)?;
    let sentences: Vec<&str> = SEED.lines().filter(|l| !l.trim().is_empty()).collect();
    let long = sentences.join(" ");
    let mut texts = sentences.clone();
    texts.push(&long);
    texts.push("Iran agrees to stop enriching uranium.");
    for limit in [16, 96, 128] {
        let ours = shared.with_max_tokens(limit)?;
        let library = library_at(&files.tokenizer, limit)?;
        let mut cut = 0;
        for text in &texts {
            let a = ours.encode(text, Some("query: "))?;
            let b = library
                .encode(format!("query: {text}").as_str(), true)
                .map_err(|e| anyhow!(e))?;
            ensure!(
                a.ids == b.get_ids(),
                "text ids differ at limit {limit}: {text}"
            );
            ensure!(a.truncated == !b.get_overflowing().is_empty());
            cut += usize::from(a.truncated);

            let (premise, hypothesis) = (format!("query: {text}"), "query: Iran enriches.");
            let a = ours.encode_pair(&premise, hypothesis)?;
            let b = library
                .encode((premise.as_str(), hypothesis), true)
                .map_err(|e| anyhow!(e))?;
            ensure!(
                a.ids == b.get_ids(),
                "pair ids differ at limit {limit}: {text}"
            );
            ensure!(a.type_ids == b.get_type_ids());
            ensure!(a.truncated == !b.get_overflowing().is_empty());

            let words: Vec<&str> = text.split_whitespace().collect();
            let a = ours.encode_words(&words, Some("query: "))?;
            let mut with_prefix = vec!["query:"];
            with_prefix.extend(&words);
            let b = library
                .encode(with_prefix.as_slice(), true)
                .map_err(|e| anyhow!(e))?;
            ensure!(
                a.ids == b.get_ids(),
                "word ids differ at limit {limit}: {text}"
            );
        }
        ensure!(
            cut > 0,
            "no input reached the limit {limit}: the test tests nothing"
        );
    }
    Ok(())
}

#[test]
fn a_limit_without_room_for_the_special_tokens_is_refused() -> anyhow::Result<()> {
    let Some(files) = model_files()? else {
        return Ok(());
    };
    let tokenizer = TextTokenizer::from_file(&files.tokenizer, 3)?;
    // Three tokens hold <s> text </s>, but not the four special tokens of a pair.
    assert_eq!(tokenizer.encode("Muscat", None)?.len(), 3);
    let refused = tokenizer.encode_pair("Muscat", "talks").err();
    let message = refused.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("no room"), "{message}");
    Ok(())
}
