//! Reads a `tokenizer.json` whose model is a Unigram (XLM-R, e5) in one pass. The library's
//! generic reader holds the 250k-piece vocabulary three times over (as serde content, as a JSON
//! value, then as pieces) because it must guess the model type; that was most of the service's
//! cold start. Every other model type goes through the library unchanged.

use serde::Deserialize;
use serde_json::value::RawValue;
use tokenizers::models::unigram::Unigram;
use tokenizers::{
    AddedToken, DecoderWrapper, ModelWrapper, NormalizerWrapper, PostProcessorWrapper,
    PreTokenizerWrapper, Tokenizer, TokenizerBuilder,
};

/// The top level, with each part left unparsed until its type is known.
#[derive(Deserialize)]
struct TokenizerJson<'a> {
    version: Option<String>,
    #[serde(borrow)]
    model: &'a RawValue,
    #[serde(borrow, default)]
    normalizer: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pre_tokenizer: Option<&'a RawValue>,
    #[serde(borrow, default)]
    post_processor: Option<&'a RawValue>,
    #[serde(borrow, default)]
    decoder: Option<&'a RawValue>,
    #[serde(default)]
    added_tokens: Vec<AddedTokenWithId>,
}

/// An `added_tokens` entry: the id the file expects, and the token.
#[derive(Deserialize)]
struct AddedTokenWithId {
    id: u32,
    #[serde(flatten)]
    token: AddedToken,
}

/// The Unigram model as the library writes it.
#[derive(Deserialize)]
struct UnigramJson {
    #[serde(rename = "type")]
    kind: String,
    unk_id: Option<usize>,
    vocab: Vec<(String, f64)>,
    #[serde(default)]
    byte_fallback: bool,
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Parses `json` as `Tokenizer::from_str` would, the Unigram vocabulary in one pass.
pub(crate) fn parse_tokenizer(json: &str) -> Result<Tokenizer, Failure> {
    let file: TokenizerJson<'_> = serde_json::from_str(json)?;
    if file.version.as_deref().is_some_and(|v| v != "1.0") {
        // The library's reader knows which versions it refuses, and says so.
        return json.parse();
    }
    let unigram = match serde_json::from_str::<UnigramJson>(file.model.get()) {
        Ok(model) if model.kind == "Unigram" => model,
        _ => return json.parse(),
    };
    let model = Unigram::from(unigram.vocab, unigram.unk_id, unigram.byte_fallback)?;
    let builder = TokenizerBuilder::<
        ModelWrapper,
        NormalizerWrapper,
        PreTokenizerWrapper,
        PostProcessorWrapper,
        DecoderWrapper,
    >::new()
    .with_model(model.into())
    .with_normalizer(part(file.normalizer)?)
    .with_pre_tokenizer(part(file.pre_tokenizer)?)
    .with_post_processor(part(file.post_processor)?)
    .with_decoder(part(file.decoder)?);
    let mut tokenizer = Tokenizer::from(builder.build()?);
    // As the library's reader: added tokens keep the model's id when the model has them.
    for added in &file.added_tokens {
        let id = tokenizer.token_to_id(&added.token.content);
        if id.is_some_and(|id| id != added.id) {
            tracing::warn!(
                token = %added.token.content,
                expected = added.id,
                given = ?id,
                "an added token's id differs from the file's"
            );
        }
    }
    let tokens: Vec<AddedToken> = file.added_tokens.into_iter().map(|a| a.token).collect();
    tokenizer.add_tokens(&tokens);
    Ok(tokenizer)
}

/// One optional component, parsed by the library's own types.
fn part<T: for<'de> Deserialize<'de>>(raw: Option<&RawValue>) -> Result<Option<T>, Failure> {
    match raw {
        Some(raw) => Ok(serde_json::from_str(raw.get())?),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small Unigram tokenizer with every part the real one has.
    const UNIGRAM_JSON: &str = r#"{
      "version": "1.0", "truncation": null, "padding": null,
      "added_tokens": [
        {"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
         "normalized": false, "special": true},
        {"id": 1, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false,
         "normalized": false, "special": true},
        {"id": 2, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false,
         "normalized": false, "special": true},
        {"id": 7, "content": "<mask>", "single_word": false, "lstrip": true, "rstrip": false,
         "normalized": false, "special": true}
      ],
      "normalizer": {"type": "Lowercase"},
      "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always",
                        "split": true},
      "post_processor": {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                   {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "</s>", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                 {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "</s>", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "</s>", "type_id": 1}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                           "</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}},
      "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always",
                  "split": true},
      "model": {"type": "Unigram", "unk_id": 2, "vocab": [
        ["<s>", 0.0], ["</s>", 0.0], ["<unk>", 0.0], ["▁talks", -2.0], ["▁in", -1.5],
        ["▁mus", -3.0], ["cat", -3.5], ["▁muscat", -4.5]]}
    }"#;

    #[test]
    fn a_unigram_tokenizer_reads_as_the_library_reads_it() -> Result<(), Failure> {
        let ours = parse_tokenizer(UNIGRAM_JSON)?;
        let library: Tokenizer = UNIGRAM_JSON.parse()?;
        assert_eq!(ours.to_string(false)?, library.to_string(false)?);
        for input in ["Talks in Muscat", "talks <mask> muscat", "zzz"] {
            let (a, b) = (ours.encode(input, true)?, library.encode(input, true)?);
            assert_eq!(a.get_ids(), b.get_ids(), "{input}");
            assert_eq!(a.get_offsets(), b.get_offsets(), "{input}");
            assert_eq!(a.get_special_tokens_mask(), b.get_special_tokens_mask());
        }
        assert_eq!(
            ours.token_to_id("<mask>"),
            Some(8),
            "added after the 8 pieces"
        );
        Ok(())
    }

    #[test]
    fn other_models_and_broken_files_go_through_the_library() {
        let word_level = r#"{"version": "1.0", "model": {"type": "WordLevel",
            "vocab": {"[UNK]": 0, "talks": 1}, "unk_token": "[UNK]"}}"#;
        let parsed = parse_tokenizer(word_level).map(|t| t.get_vocab_size(true));
        assert_eq!(parsed.ok(), Some(2));
        assert!(parse_tokenizer("{\"model\": ").is_err());
        assert!(parse_tokenizer(r#"{"version": "9.9", "model": {}}"#).is_err());
    }
}
