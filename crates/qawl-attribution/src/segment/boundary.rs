//! Where sentences end inside a block of running text.

use qawl_core::Span;

use super::quotes::{is_closer, protected_ranges};
use crate::lexicon::Lexicon;
use crate::token::{is_word_char, normalize};

/// Characters that can end a sentence. The Arabic semicolon ؛ is deliberately absent: like ";", it
/// joins clauses of one sentence.
pub fn is_terminal(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '؟' | '۔' | '…' | '。' | '！' | '？')
}

/// Splits `range` of `text` into sentence spans (untrimmed, contiguous, covering the range).
pub fn split_sentences(text: &str, range: Span, lexicon: &Lexicon) -> Vec<Span> {
    let Some(slice) = range.slice(text) else {
        return vec![range];
    };
    let protected = protected_ranges(slice);
    let chars: Vec<(usize, char)> = slice.char_indices().collect();
    // A mark inside a quotation ends a sentence only when it is the quotation's last word and a
    // capital letter follows the quote: « Nous revenons. » Puis… (uncased scripts never split here).
    let allowed = |i: usize| {
        let at = chars[i].0;
        let Some(range) = protected.iter().find(|r| r.start < at && at < r.end - 1) else {
            return true;
        };
        let closes_quote = chars[i + 1..]
            .iter()
            .take_while(|(p, _)| *p < range.end)
            .all(|(_, c)| c.is_whitespace() || is_terminal(*c) || is_closer(*c));
        let after = chars
            .iter()
            .position(|(p, _)| *p >= range.end)
            .unwrap_or(chars.len());
        closes_quote && first_visible(&chars, after).is_some_and(char::is_uppercase)
    };
    let mut cuts = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if is_terminal(c) && allowed(i) && ends_sentence(slice, &chars, i, lexicon) {
            // Take along further marks and closing quotes: "?!", ".»", ".)".
            let mut j = i + 1;
            while j < chars.len() && takes_along(&chars, j) {
                j += 1;
            }
            let cut = chars.get(j).map_or(slice.len(), |(at, _)| *at);
            cuts.push(cut);
            i = j;
            continue;
        }
        i += 1;
    }
    let mut spans = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        if cut > start {
            spans.push(Span::new(range.start + start, range.start + cut));
            start = cut;
        }
    }
    if start < slice.len() {
        spans.push(Span::new(range.start + start, range.end));
    }
    spans
}

/// True when `chars[j]` still belongs to the sentence that just ended: another mark, or a closing
/// quote or bracket (possibly after one space, as in French « … . »). A quote mark followed by a
/// word opens the next sentence instead.
fn takes_along(chars: &[(usize, char)], j: usize) -> bool {
    let closes_here = |k: usize| {
        chars.get(k).is_some_and(|(_, c)| is_closer(*c))
            && !chars.get(k + 1).is_some_and(|(_, n)| is_word_char(*n))
    };
    let c = chars[j].1;
    is_terminal(c) || closes_here(j) || (c == ' ' && closes_here(j + 1))
}

/// Decides whether the terminal mark at `chars[i]` ends its sentence.
fn ends_sentence(slice: &str, chars: &[(usize, char)], i: usize, lexicon: &Lexicon) -> bool {
    let (at, c) = chars[i];
    // The next character after any run of marks and closers.
    let mut j = i + 1;
    while j < chars.len() && takes_along(chars, j) {
        j += 1;
    }
    let Some(&(_, next)) = chars.get(j) else {
        return true;
    };
    let word_before = word_ending_at(slice, at);
    if c == '.' {
        if is_word_char(next) {
            // "3.5", "U.S", "example.com" — unless an Arabic-script or Hebrew word is glued to the
            // next sentence, a common typing slip ("انتهت.وقال").
            let uncased = |ch: char| ch.is_alphabetic() && !ch.is_uppercase() && !ch.is_lowercase();
            return uncased(next)
                && word_before.chars().count() >= 2
                && word_before.chars().all(uncased);
        }
        let normalized = normalize(word_before, lexicon.language);
        if !word_before.is_empty() && lexicon.abbreviations.contains_word(&normalized) {
            return false;
        }
        // Initials and dotted acronyms: "J. Smith", "U.S. officials".
        let mut letters = word_before.chars();
        if letters.next().is_some_and(char::is_uppercase) && letters.next().is_none() {
            return false;
        }
        // "7. Februar": a day number before a month name.
        if word_before.chars().all(|d| d.is_ascii_digit()) && !word_before.is_empty() {
            let after = next_word(slice, chars[j].0);
            if lexicon
                .months
                .contains_word(&normalize(after, lexicon.language))
            {
                return false;
            }
        }
    }
    // A lower-case continuation never starts a sentence: "etc. and", "« Assez ! » a-t-il dit".
    let following = first_visible(chars, j);
    if following.is_some_and(char::is_lowercase) {
        return false;
    }
    true
}

fn first_visible(chars: &[(usize, char)], from: usize) -> Option<char> {
    chars[from..].iter().map(|(_, c)| *c).find(|c| {
        !c.is_whitespace()
            && !is_closer(*c)
            && !matches!(c, '«' | '“' | '„' | '‘' | '"' | '(' | '-' | '–' | '—')
    })
}

/// The word that ends right before byte `at` (empty when a non-word character precedes).
fn word_ending_at(slice: &str, at: usize) -> &str {
    let before = &slice[..at];
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(at, |(i, _)| i);
    &slice[start..at]
}

fn next_word(slice: &str, from: usize) -> &str {
    let rest = slice[from..].trim_start();
    let end = rest
        .char_indices()
        .find(|(_, c)| !is_word_char(*c))
        .map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

/// True when a unit of text ends like a sentence (ignoring closing quotes and brackets).
pub fn has_terminal_mark(unit: &str) -> bool {
    unit.trim_end()
        .chars()
        .rev()
        .find(|c| !is_closer(*c))
        .is_some_and(is_terminal)
}

/// Language-independent check used by tests and the layout: is this a Latin/Cyrillic cased word.
pub fn starts_lowercase(line: &str) -> bool {
    line.chars()
        .find(|c| c.is_alphabetic())
        .is_some_and(char::is_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::Lexicon;
    use qawl_core::Language;

    fn split(text: &str, language: Language) -> Vec<String> {
        let lexicon = Lexicon::embedded(language).expect("embedded lexicon parses");
        split_sentences(text, Span::new(0, text.len()), &lexicon)
            .into_iter()
            .map(|s| text[s.start..s.end].trim().to_string())
            .collect()
    }

    #[test]
    fn arabic_question_mark_and_urdu_full_stop_end_sentences_but_the_semicolon_does_not() {
        assert_eq!(
            split("هل انتهت؟ نعم؛ انتهت.", Language::Arabic),
            ["هل انتهت؟", "نعم؛ انتهت."]
        );
        assert_eq!(
            split("بات چیت ختم ہوئی۔ وفد واپس گیا۔", Language::Urdu),
            ["بات چیت ختم ہوئی۔", "وفد واپس گیا۔"]
        );
    }

    #[test]
    fn abbreviations_initials_and_numbers_do_not_end_sentences() {
        assert_eq!(
            split(
                "Dr. Smith met U.S. officials at 3.5 p.m. on Friday. They left.",
                Language::English
            ),
            [
                "Dr. Smith met U.S. officials at 3.5 p.m. on Friday.",
                "They left."
            ]
        );
        assert_eq!(
            split("Am 7. Februar begann es. Dann endete es.", Language::German),
            ["Am 7. Februar begann es.", "Dann endete es."]
        );
    }

    #[test]
    fn quotes_stay_whole() {
        assert_eq!(
            split(
                "Il a dit : « Nous partons. Nous revenons. » Puis il est parti.",
                Language::French
            ),
            [
                "Il a dit : « Nous partons. Nous revenons. »",
                "Puis il est parti."
            ]
        );
        assert_eq!(
            split(
                "\"We will not give up. Never,\" he said. Talks resume.",
                Language::English
            ),
            ["\"We will not give up. Never,\" he said.", "Talks resume."]
        );
    }

    #[test]
    fn glued_arabic_sentences_split() {
        assert_eq!(
            split("انتهت المحادثات.وقال المتحدث", Language::Arabic),
            ["انتهت المحادثات.", "وقال المتحدث"]
        );
    }
}
