//! Words of a text with their byte spans and a normalised form used for every lexicon lookup.

use qawl_core::{Language, Span};

/// One word: its byte span in the original text and its normalised form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub span: Span,
    pub norm: String,
    /// The word is written with an initial capital (meaningful for Latin and Cyrillic scripts).
    pub capitalized: bool,
}

/// True for characters that belong inside a word: letters, digits, combining marks, the Arabic
/// tatweel and the Persian zero-width non-joiner (which sits inside words like "می‌گوید").
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_mark(c) || c == '\u{200C}' || c == '\u{0640}'
}

fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2
        | 0x05C4..=0x05C5 | 0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670
        | 0x06D6..=0x06DC | 0x06DF..=0x06E4 | 0x06E7..=0x06E8 | 0x06EA..=0x06ED)
}

/// Splits `text[range]` into words. Digits and letters are separate words, so the missing space of
/// "2026آخر" does not glue a year to the next word; apostrophes and hyphens split words, so
/// "Iran's", "l'Iran" and "İran'ın" yield the name alone.
pub fn tokenize(text: &str, range: Span, language: Language) -> Vec<Token> {
    let mut tokens = Vec::new();
    let Some(slice) = range.slice(text) else {
        return tokens;
    };
    let mut start: Option<(usize, bool)> = None;
    let push = |tokens: &mut Vec<Token>, from: usize, to: usize| {
        let word = &text[from..to];
        if word.chars().any(|c| c.is_alphanumeric()) {
            tokens.push(Token {
                span: Span::new(from, to),
                norm: normalize(word, language),
                capitalized: word.chars().next().is_some_and(char::is_uppercase),
            });
        }
    };
    for (offset, c) in slice.char_indices() {
        let at = range.start + offset;
        if is_word_char(c) {
            let digit = c.is_numeric();
            match start {
                Some((from, was_digit)) if was_digit != digit && c.is_alphanumeric() => {
                    push(&mut tokens, from, at);
                    start = Some((at, digit));
                }
                Some(_) => {}
                None => start = Some((at, digit)),
            }
        } else if let Some((from, _)) = start.take() {
            push(&mut tokens, from, at);
        }
    }
    if let Some((from, _)) = start {
        push(&mut tokens, from, range.end);
    }
    tokens
}

/// The form every lookup compares: lower case (Turkish dotted/dotless i kept apart), Arabic-script
/// diacritics, tatweel and ZWNJ removed, and the letter variants that writers mix folded together
/// (أ/إ/آ → ا, ى/ي → ی, ك → ک, ة/ہ → ه, ؤ → و, ئ → ی), ё → е.
pub fn normalize(word: &str, language: Language) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        match c {
            'İ' if language == Language::Turkish => out.push('i'),
            'I' if language == Language::Turkish => out.push('ı'),
            '\u{0623}' | '\u{0625}' | '\u{0622}' | '\u{0671}' => out.push('\u{0627}'),
            '\u{0649}' | '\u{064A}' | '\u{0626}' => out.push('\u{06CC}'),
            '\u{0643}' => out.push('\u{06A9}'),
            '\u{0629}' | '\u{06C1}' | '\u{06C3}' => out.push('\u{0647}'),
            '\u{0624}' => out.push('\u{0648}'),
            'ё' | 'Ё' => out.push('е'),
            '\u{200C}' | '\u{0640}' => {}
            c if is_mark(c) => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Normalises every word of a lexicon phrase, so phrases compare token by token with the text.
pub fn normalize_phrase(phrase: &str, language: Language) -> Vec<String> {
    tokenize(phrase, Span::new(0, phrase.len()), language)
        .into_iter()
        .map(|t| t.norm)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, language: Language) -> Vec<&str> {
        tokenize(text, Span::new(0, text.len()), language)
            .iter()
            .map(|t| &text[t.span.start..t.span.end])
            .collect()
    }

    #[test]
    fn a_year_glued_to_a_word_is_two_words() {
        assert_eq!(
            words("7 فبراير 2026آخر تحديث :", Language::Arabic),
            ["7", "فبراير", "2026", "آخر", "تحديث"]
        );
    }

    #[test]
    fn apostrophes_split_names_from_suffixes() {
        assert_eq!(
            words("İran'ın ve l'Iran's", Language::Turkish),
            ["İran", "ın", "ve", "l", "Iran", "s"]
        );
    }

    #[test]
    fn spelling_variants_fold_together() {
        assert_eq!(
            normalize("أكّد", Language::Arabic),
            normalize("اكد", Language::Arabic)
        );
        assert_eq!(
            normalize("مسؤول", Language::Arabic),
            normalize("مسوول", Language::Arabic)
        );
        assert_eq!(
            normalize("می‌گوید", Language::Persian),
            normalize("میگوید", Language::Persian)
        );
        assert_eq!(normalize("İSTANBUL", Language::Turkish), "istanbul");
    }
}
