//! The words of one sentence, with lexicon lookups that see through clitics and articles.

use qawl_core::{Language, Span};

use crate::lexicon::{Lexicon, PhraseSet};
use crate::token::{is_word_char, tokenize, Token};

/// A phrase found at a word: how many words it spans and where its text starts once any clitic
/// prefix ("و" of "وأفادت") is left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub len: usize,
    pub start: usize,
}

/// One sentence's words and the text they come from.
#[derive(Debug)]
pub struct Words<'a> {
    pub text: &'a str,
    pub tokens: Vec<Token>,
    pub lexicon: &'a Lexicon,
    /// Given names in every script, for telling names from common words.
    pub given_names: &'a PhraseSet,
}

impl<'a> Words<'a> {
    pub fn new(
        text: &'a str,
        span: Span,
        lexicon: &'a Lexicon,
        given_names: &'a PhraseSet,
    ) -> Self {
        Self {
            text,
            tokens: tokenize(text, span, lexicon.language),
            lexicon,
            given_names,
        }
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn language(&self) -> Language {
        self.lexicon.language
    }

    pub fn norm(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.norm.as_str())
    }

    pub fn span(&self, i: usize) -> Span {
        self.tokens[i].span
    }

    /// The span from the start of word `from` to the end of word `to - 1`.
    pub fn range(&self, from: usize, to: usize) -> Span {
        Span::new(self.tokens[from].span.start, self.tokens[to - 1].span.end)
    }

    /// The phrase of `set` that starts at word `i`, trying the word as written, then without one
    /// or two clitic prefixes.
    pub fn find(&self, set: &PhraseSet, i: usize) -> Option<Found> {
        let token = self.tokens.get(i)?;
        for (stripped, form) in self.lexicon.stripped_forms(&token.norm) {
            let rest = self.tokens[i + 1..].iter().map(|t| t.norm.as_str());
            let words = std::iter::once(form).chain(rest);
            if let Some(len) = set.match_at(words) {
                return Some(Found {
                    len,
                    start: skip_letters(self.text, token.span, stripped),
                });
            }
        }
        None
    }

    /// Like [`Words::find`] for one word, also seeing through a definite article written onto it
    /// ("الدبلوماسي" → "دبلوماسي"); says whether the article was there.
    pub fn find_word_definite(&self, set: &PhraseSet, i: usize) -> Option<(Found, bool)> {
        if let Some(found) = self.find(set, i) {
            return Some((found, false));
        }
        let token = self.tokens.get(i)?;
        for (stripped, form) in self.lexicon.stripped_forms(&token.norm) {
            for article in &self.lexicon.definite_prefixes {
                if let Some(rest) = form.strip_prefix(article.as_str()) {
                    if rest.chars().count() >= 2 && set.contains_word(rest) {
                        let start = skip_letters(self.text, token.span, stripped);
                        return Some((Found { len: 1, start }, true));
                    }
                }
            }
        }
        None
    }

    /// A head word of `set` at word `i` (an organisation head, a title): as written, through a
    /// definite article, or, in compounding languages, as the end of a longer word
    /// ("Außenministerium" ends with "ministerium").
    pub fn find_head(&self, set: &PhraseSet, i: usize) -> Option<Found> {
        self.find(set, i)
            .or_else(|| self.find_word_definite(set, i).map(|(found, _)| found))
            .or_else(|| {
                (self.lexicon.compounds && set.ends_with_word(self.norm(i))).then(|| Found {
                    len: 1,
                    start: self.span(i).start,
                })
            })
    }

    /// Only whitespace (no punctuation) separates words `i` and `i + 1`.
    pub fn adjacent(&self, i: usize) -> bool {
        match (self.tokens.get(i), self.tokens.get(i + 1)) {
            (Some(a), Some(b)) => self.text[a.span.end..b.span.start]
                .chars()
                .all(char::is_whitespace),
            _ => false,
        }
    }

    /// The characters between words `i` and `i + 1`, trimmed.
    pub fn gap(&self, i: usize) -> &str {
        match (self.tokens.get(i), self.tokens.get(i + 1)) {
            (Some(a), Some(b)) => self.text[a.span.end..b.span.start].trim(),
            _ => "",
        }
    }

    /// The index of the word that starts at or after byte `at`.
    pub fn index_at(&self, at: usize) -> usize {
        self.tokens.partition_point(|t| t.span.start < at)
    }
}

/// The byte where `span`'s text starts once its first `letters` letters (and the marks on them)
/// are skipped.
pub fn skip_letters(text: &str, span: Span, letters: usize) -> usize {
    let Some(word) = span.slice(text) else {
        return span.start;
    };
    let mut seen = 0;
    for (at, c) in word.char_indices() {
        if is_word_char(c) && c.is_alphabetic() {
            if seen == letters {
                return span.start + at;
            }
            seen += 1;
        }
    }
    span.start
}
