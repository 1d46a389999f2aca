//! Tokenization done once per input: ids, type ids, byte offsets and an explicit truncation flag.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokenizers::utils::truncation::truncate_encodings;
use tokenizers::{
    Encoding, InputSequence, PostProcessor, Tokenizer, TruncationDirection, TruncationParams,
    TruncationStrategy,
};

use crate::error::{EncoderError, Result};
use crate::tokenizer_json::parse_tokenizer;

/// The longest input (special tokens included) that BERT-family encoders accept.
pub const MAX_MODEL_TOKENS: usize = 512;

/// One tokenized input, ready to be batched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedText {
    /// Token ids, special tokens included.
    pub ids: Vec<u32>,
    /// Segment ids (0 for a single text; 0/1 for the two parts of a pair).
    pub type_ids: Vec<u32>,
    /// Byte offsets of each token in its source text (`(0, 0)` for special and prefix tokens).
    /// For a pair, offsets of second-segment tokens refer to the second text.
    pub offsets: Vec<(usize, usize)>,
    /// True when the input was cut to fit the token limit: the model did not see all of it.
    pub truncated: bool,
}

impl EncodedText {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there are no tokens at all.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Words tokenized as given (no re-splitting): the token ids and where each word starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedWords {
    /// Token ids, special and prefix tokens included.
    pub ids: Vec<u32>,
    /// For each input word, the index of its first sub-token; `None` when truncation cut it off.
    pub first_tokens: Vec<Option<usize>>,
}

/// A Hugging Face `tokenizer.json` with explicit truncation and no padding (batches pad themselves).
#[derive(Debug, Clone)]
pub struct TextTokenizer {
    /// Shared by every copy, whatever its limit: the 250k-entry vocabulary is tens of MB, and
    /// cloning it per head was a third of the service's cold start. It has no truncation of its
    /// own; each copy truncates to `max_tokens` itself, the way the library would.
    tokenizer: Arc<Tokenizer>,
    path: PathBuf,
    max_tokens: usize,
    pad_id: u32,
}

/// `max_tokens` if it lies in 3..=512, else an invalid-input error.
fn checked_limit(max_tokens: usize) -> Result<usize> {
    if (3..=MAX_MODEL_TOKENS).contains(&max_tokens) {
        Ok(max_tokens)
    } else {
        Err(EncoderError::InvalidInput(format!(
            "max tokens {max_tokens} must lie in 3..={MAX_MODEL_TOKENS}"
        )))
    }
}

impl TextTokenizer {
    /// Loads `tokenizer.json`; inputs longer than `max_tokens` (at most 512) are truncated and flagged.
    pub fn from_file(path: &Path, max_tokens: usize) -> Result<Self> {
        let error = |reason: String| EncoderError::Tokenizer {
            path: path.to_path_buf(),
            reason,
        };
        let max_tokens = checked_limit(max_tokens)?;
        if !path.is_file() {
            return Err(EncoderError::Missing {
                path: path.to_path_buf(),
                hint: "a tokenizer.json is required next to the model".into(),
            });
        }
        let json = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
        let mut tokenizer = parse_tokenizer(&json).map_err(|e| error(e.to_string()))?;
        drop(json);
        let pad_id = tokenizer
            .get_padding()
            .map(|p| p.pad_id)
            .or_else(|| tokenizer.token_to_id("<pad>"))
            .or_else(|| tokenizer.token_to_id("[PAD]"))
            .unwrap_or(0);
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| error(e.to_string()))?;
        Ok(Self {
            tokenizer: Arc::new(tokenizer),
            path: path.to_path_buf(),
            max_tokens,
            pad_id,
        })
    }

    /// The same tokenizer with another truncation limit (e.g. the one a head was trained with);
    /// it shares this one's vocabulary.
    pub fn with_max_tokens(&self, max_tokens: usize) -> Result<Self> {
        Ok(Self {
            max_tokens: checked_limit(max_tokens)?,
            ..self.clone()
        })
    }

    /// The id of a vocabulary entry such as `"</s>"`.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.tokenizer.token_to_id(token)
    }

    /// The id used to pad batches.
    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    /// The truncation limit, special tokens included.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// The file this tokenizer was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Encodes one text. A `prefix` (such as e5's `"query: "`) is prepended for the model, but the
    /// offsets still refer to `text`; prefix tokens get `(0, 0)`.
    pub fn encode(&self, text: &str, prefix: Option<&str>) -> Result<EncodedText> {
        let prefix = prefix.unwrap_or("");
        let input = format!("{prefix}{text}");
        let encoding = self.truncated(input.as_str(), None)?;
        let shift = prefix.len();
        let offsets = encoding
            .get_offsets()
            .iter()
            .zip(encoding.get_special_tokens_mask())
            .map(|(&(start, end), &special)| {
                if special == 1 || end <= shift {
                    (0, 0)
                } else {
                    (start.saturating_sub(shift), end - shift)
                }
            })
            .collect();
        Ok(EncodedText {
            ids: encoding.get_ids().to_vec(),
            type_ids: encoding.get_type_ids().to_vec(),
            offsets,
            truncated: !encoding.get_overflowing().is_empty(),
        })
    }

    /// Encodes words that are already split (as token-classification corpora are), each one
    /// word to the tokenizer, after the words of `prefix`: the way the NER head was trained, so a
    /// word's tag is read from the same sub-token here as there.
    pub fn encode_words(&self, words: &[&str], prefix: Option<&str>) -> Result<EncodedWords> {
        let prefix_words: Vec<&str> = prefix.unwrap_or("").split_whitespace().collect();
        let mut input = prefix_words.clone();
        input.extend_from_slice(words);
        let encoding = self.truncated(input.as_slice(), None)?;
        let mut first_tokens = vec![None; words.len()];
        for (token, word) in encoding.get_word_ids().iter().enumerate() {
            let Some(word) = word.and_then(|w| (w as usize).checked_sub(prefix_words.len())) else {
                continue;
            };
            if let Some(first @ None) = first_tokens.get_mut(word) {
                *first = Some(token);
            }
        }
        Ok(EncodedWords {
            ids: encoding.get_ids().to_vec(),
            first_tokens,
        })
    }

    /// Encodes a pair (premise, hypothesis) for cross-encoders; the longer side is cut first.
    pub fn encode_pair(&self, first: &str, second: &str) -> Result<EncodedText> {
        let encoding = self.truncated(first, Some(second))?;
        let offsets = encoding
            .get_offsets()
            .iter()
            .zip(encoding.get_special_tokens_mask())
            .map(|(&offset, &special)| if special == 1 { (0, 0) } else { offset })
            .collect();
        Ok(EncodedText {
            ids: encoding.get_ids().to_vec(),
            type_ids: encoding.get_type_ids().to_vec(),
            offsets,
            truncated: !encoding.get_overflowing().is_empty(),
        })
    }

    /// What the library's `encode(…, true)` gives with right, longest-first truncation at
    /// `max_tokens`, done here so that copies with different limits can share one tokenizer:
    /// each sequence alone, then the cut (leaving room for the special tokens), then the
    /// special tokens — the library's own order and functions.
    fn truncated<'s>(
        &self,
        first: impl Into<InputSequence<'s>>,
        second: Option<&'s str>,
    ) -> Result<Encoding> {
        let raw = |input: InputSequence<'s>| {
            self.tokenizer
                .encode(input, false)
                .map_err(|e| self.error(e.to_string()))
        };
        let first = raw(first.into())?;
        let second = second.map(|s| raw(s.into())).transpose()?;
        let processor = self.tokenizer.get_post_processor();
        let added = processor.map_or(0, |p| p.added_tokens(second.is_some()));
        let budget = self.max_tokens.checked_sub(added).ok_or_else(|| {
            self.error(format!(
                "a limit of {} tokens leaves no room beside the {added} special tokens",
                self.max_tokens
            ))
        })?;
        let params = TruncationParams {
            max_length: budget,
            strategy: TruncationStrategy::LongestFirst,
            stride: 0,
            direction: TruncationDirection::Right,
        };
        let (first, second) =
            truncate_encodings(first, second, &params).map_err(|e| self.error(e.to_string()))?;
        match processor {
            Some(processor) => processor.process(first, second, true),
            None => Ok(match second {
                Some(second) => {
                    let mut merged = first;
                    merged.merge_with(second, false);
                    merged
                }
                None => first,
            }),
        }
        .map_err(|e| self.error(e.to_string()))
    }

    fn error(&self, reason: String) -> EncoderError {
        EncoderError::Tokenizer {
            path: self.path.clone(),
            reason,
        }
    }
}
