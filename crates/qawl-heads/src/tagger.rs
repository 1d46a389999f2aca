//! The speaker tagger: the `ner` head's per-token PER / ORG / LOC (BIO) tags, read per word
//! (the first sub-token of each word, as the head was trained) and joined into entity spans.

use qawl_core::{
    NameKind, NameTagger, PipelineError, Sentence, SentenceKind, Span, StageName, TaggedName,
};
use qawl_encoder::HeadOutput;

use crate::error::HeadsError;
use crate::runtime::{tokenize_error, HeadRequest, HeadsRuntime};

/// `B-PER` → (true, Person); `I-LOC` → (false, Location); other tags → `None`.
fn parse_tag(tag: &str) -> Option<(bool, NameKind)> {
    let (begin, kind) = tag.split_once('-')?;
    let kind = match kind {
        "PER" => NameKind::Person,
        "ORG" => NameKind::Organization,
        "LOC" => NameKind::Location,
        _ => return None,
    };
    Some((begin == "B", kind))
}

/// Tags names of people, organisations and places (the `ner` head).
#[derive(Debug, Clone)]
pub struct SpeakerTagger {
    runtime: HeadsRuntime,
    head: usize,
    labels: Vec<String>,
}

impl SpeakerTagger {
    pub(crate) fn new(runtime: HeadsRuntime) -> Result<Self, HeadsError> {
        let head = runtime.head("ner")?;
        let labels = runtime
            .encoder()
            .manifest(head)
            .map(|m| m.labels.clone())
            .unwrap_or_default();
        Ok(Self {
            runtime,
            head,
            labels,
        })
    }

    /// The label set, in the head's order (`O`, `B-PER`, …).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The tag of every word of every text; `words[i]` are byte spans into `texts[i]`. The words
    /// go to the tokenizer as given (pre-split, as the head was trained), and each takes the tag
    /// of its first sub-token.
    pub async fn tag_words(
        &self,
        texts: &[&str],
        words: &[Vec<Span>],
    ) -> Result<Vec<Vec<WordTag>>, PipelineError> {
        let encoder = self.runtime.encoder();
        let encoded = texts
            .iter()
            .zip(words)
            .map(|(text, words)| {
                let words: Vec<&str> = words
                    .iter()
                    .map(|w| w.slice(text).unwrap_or_default())
                    .collect();
                encoder.encode_words(self.head, &words)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(tokenize_error(StageName::Attribute))?;
        let requests = encoded
            .iter()
            .map(|e| HeadRequest {
                head: self.head,
                ids: e.ids.clone(),
            })
            .collect();
        let outputs = self
            .runtime
            .run(StageName::Attribute, requests, None)
            .await?;
        Ok(outputs
            .into_iter()
            .zip(&encoded)
            .map(|(output, encoded)| match output {
                HeadOutput::Tokens { probabilities, .. } => {
                    word_tags(&encoded.first_tokens, &probabilities)
                }
                HeadOutput::Sequence { .. } => vec![WordTag::default(); encoded.first_tokens.len()],
            })
            .collect())
    }

    /// Names in each text (words split at spaces and punctuation), spans relative to it.
    pub async fn tag_texts(&self, texts: &[&str]) -> Result<Vec<Vec<TaggedName>>, PipelineError> {
        let words: Vec<Vec<Span>> = texts.iter().map(|text| split_words(text)).collect();
        let tags = self.tag_words(texts, &words).await?;
        Ok(words
            .iter()
            .zip(&tags)
            .map(|(words, tags)| decode_entities(words, tags, &self.labels))
            .collect())
    }
}

#[async_trait::async_trait]
impl NameTagger for SpeakerTagger {
    async fn tag(
        &self,
        text: &str,
        sentences: &[Sentence],
    ) -> Result<Vec<TaggedName>, PipelineError> {
        let tagged: Vec<(Span, &str)> = sentences
            .iter()
            .filter(|s| s.kind != SentenceKind::Dateline)
            .filter_map(|s| s.span.slice(text).map(|slice| (s.span, slice)))
            .collect();
        let texts: Vec<&str> = tagged.iter().map(|(_, slice)| *slice).collect();
        let names = self.tag_texts(&texts).await?;
        Ok(tagged
            .iter()
            .zip(names)
            .flat_map(|((span, _), names)| {
                names.into_iter().map(move |name| TaggedName {
                    span: Span::new(span.start + name.span.start, span.start + name.span.end),
                    ..name
                })
            })
            .collect())
    }

    fn model_id(&self) -> String {
        self.runtime.model_id(self.head)
    }
}

/// One word's tag: a label index and its probability.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WordTag {
    /// Index into [`SpeakerTagger::labels`].
    pub label: usize,
    /// Its calibrated probability.
    pub probability: f32,
}

/// Each word's tag: the arg-max of its first sub-token's probabilities (`O` for a word the
/// tokenizer cut off).
fn word_tags(first_tokens: &[Option<usize>], probabilities: &[Vec<f32>]) -> Vec<WordTag> {
    first_tokens
        .iter()
        .map(|token| {
            token
                .and_then(|t| probabilities.get(t))
                .map_or(WordTag::default(), |p| argmax(p))
        })
        .collect()
}

fn argmax(values: &[f32]) -> WordTag {
    values
        .iter()
        .enumerate()
        .fold(WordTag::default(), |best, (label, &probability)| {
            if probability > best.probability {
                WordTag { label, probability }
            } else {
                best
            }
        })
}

/// Words: runs of letters, digits and joiners; every other non-space character is a word of
/// its own (the training corpora tokenize punctuation apart).
pub fn split_words(text: &str) -> Vec<Span> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let wordy =
            c.is_alphanumeric() || matches!(c, '\u{200c}' | '\u{200d}' | '\u{64b}'..='\u{65f}');
        if wordy {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            words.push(Span::new(s, i));
        }
        if !c.is_whitespace() {
            words.push(Span::new(i, i + c.len_utf8()));
        }
    }
    if let Some(s) = start {
        words.push(Span::new(s, text.len()));
    }
    words
}

/// BIO tags per word → entities. An `I-X` that does not continue an `X` starts one (lenient,
/// as seqeval's default for prediction).
pub fn decode_entities(words: &[Span], tags: &[WordTag], labels: &[String]) -> Vec<TaggedName> {
    // (kind, span, sum of word probabilities, word count)
    type Open = Option<(NameKind, Span, f32, usize)>;
    let mut entities: Vec<TaggedName> = Vec::new();
    let mut open: Open = None;
    let close = |open: &mut Open, entities: &mut Vec<TaggedName>| {
        if let Some((kind, span, total, count)) = open.take() {
            entities.push(TaggedName {
                kind,
                span,
                score: total / count.max(1) as f32,
            });
        }
    };
    for (word, tag) in words.iter().zip(tags) {
        match labels.get(tag.label).and_then(|t| parse_tag(t)) {
            Some((false, kind)) if open.is_some_and(|(k, ..)| k == kind) => {
                if let Some((_, span, total, count)) = open.as_mut() {
                    span.end = word.end;
                    *total += tag.probability;
                    *count += 1;
                }
            }
            Some((_, kind)) => {
                close(&mut open, &mut entities);
                open = Some((kind, *word, tag.probability, 1));
            }
            None => close(&mut open, &mut entities),
        }
    }
    close(&mut open, &mut entities);
    entities
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn words_split_at_spaces_and_punctuation_keep_arabic_diacritics_inside() {
        let text = "قالَ بقائي، في طهران.";
        let words: Vec<&str> = split_words(text)
            .iter()
            .filter_map(|s| s.slice(text))
            .collect();
        assert_eq!(words, ["قالَ", "بقائي", "،", "في", "طهران", "."]);
    }

    #[test]
    fn bio_tags_join_into_entities_of_one_kind() {
        let text = "Ismail Baghaei told Reuters in Muscat";
        let words = split_words(text);
        // Ismail=B-PER Baghaei=I-PER told=O Reuters=B-ORG in=O Muscat=I-LOC (lenient start)
        let tags = [1, 2, 0, 3, 0, 6].map(|label| WordTag {
            label,
            probability: 0.5 + label as f32 / 20.0,
        });
        let entities = decode_entities(&words, &tags, &labels());
        let found: Vec<(NameKind, &str)> = entities
            .iter()
            .map(|e| (e.kind, e.span.slice(text).unwrap_or_default()))
            .collect();
        assert_eq!(
            found,
            [
                (NameKind::Person, "Ismail Baghaei"),
                (NameKind::Organization, "Reuters"),
                (NameKind::Location, "Muscat"),
            ]
        );
        assert!(
            (entities[0].score - 0.575).abs() < 1e-6,
            "mean of 0.55 and 0.6"
        );
    }

    #[test]
    fn a_word_takes_the_tag_of_its_first_sub_token_and_a_cut_word_is_outside() {
        // "Baghaei" split into sub-tokens 1 and 2: the first says B-PER, the second O. The
        // second word was cut off by truncation.
        let p = |i: usize| {
            let mut v = vec![0.0; 7];
            v[i] = 1.0;
            v
        };
        let probabilities = [p(0), p(1), p(0), p(0)];
        let tags = word_tags(&[Some(1), None], &probabilities);
        assert_eq!(tags[0].label, 1);
        assert_eq!(tags[1], WordTag::default());
    }
}
