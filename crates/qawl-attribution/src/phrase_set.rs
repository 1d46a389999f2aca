//! Sets of phrases (sequences of normalised words) looked up by their first word.

use std::collections::HashMap;

use qawl_core::Language;

use crate::token::normalize_phrase;

/// A set of phrases, each a sequence of normalised words, looked up by first word.
#[derive(Debug, Clone, Default)]
pub struct PhraseSet {
    by_first: HashMap<String, Vec<Vec<String>>>,
}

impl PhraseSet {
    pub fn build(phrases: &[String], language: Language) -> Self {
        let mut by_first: HashMap<String, Vec<Vec<String>>> = HashMap::new();
        for phrase in phrases {
            let words = normalize_phrase(phrase, language);
            if let Some(first) = words.first() {
                by_first.entry(first.clone()).or_default().push(words);
            }
        }
        // Longest phrases first, so "according to" wins over "according".
        for list in by_first.values_mut() {
            list.sort_by_key(|words| std::cmp::Reverse(words.len()));
        }
        Self { by_first }
    }

    /// The number of words of the longest phrase that starts at `words[0]`, if any.
    pub fn match_at<'w>(&self, words: impl IntoIterator<Item = &'w str> + Clone) -> Option<usize> {
        let first = words.clone().into_iter().next()?;
        let candidates = self.by_first.get(first)?;
        candidates.iter().find_map(|phrase| {
            let matches = phrase
                .iter()
                .zip(words.clone())
                .filter(|(a, b)| a.as_str() == *b)
                .count()
                == phrase.len();
            matches.then_some(phrase.len())
        })
    }

    /// True when the word ends with a one-word phrase of the set of at least four letters:
    /// German compounds ("Bundesinnenminister" ends with "minister").
    pub fn ends_with_word(&self, word: &str) -> bool {
        self.by_first.iter().any(|(first, list)| {
            first.chars().count() >= 4
                && word.ends_with(first.as_str())
                && list.iter().any(|p| p.len() == 1)
        })
    }

    /// The one-word phrase of at least four letters that `word` starts with, for agglutinative
    /// languages ("kaynaklarına" starts with "kaynaklar").
    pub fn prefix_of(&self, word: &str) -> Option<&str> {
        self.by_first
            .iter()
            .filter(|(first, list)| {
                first.chars().count() >= 4
                    && word.starts_with(first.as_str())
                    && list.iter().any(|p| p.len() == 1)
            })
            .map(|(first, _)| first.as_str())
            .max_by_key(|first| first.len())
    }

    /// True when the set has no phrase at all.
    pub fn phrases_empty(&self) -> bool {
        self.by_first.is_empty()
    }

    /// True when the single word is a one-word phrase of the set.
    pub fn contains_word(&self, word: &str) -> bool {
        self.by_first
            .get(word)
            .is_some_and(|list| list.iter().any(|p| p.len() == 1))
    }
}
