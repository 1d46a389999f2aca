//! The layout of an article: paragraphs (blank-line separated), lines, and which lines are
//! headlines or datelines rather than running text.

use qawl_core::{Language, SentenceKind, Span};

use super::boundary::{has_terminal_mark, starts_lowercase};
use crate::lexicon::Lexicon;
use crate::token::tokenize;

/// Longest line, in words, that still reads as a headline.
const MAX_HEADLINE_WORDS: usize = 25;
/// Longest line, in words, that still reads as a dateline.
const MAX_DATELINE_WORDS: usize = 10;

/// A run of text that is one paragraph's line group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unit {
    pub span: Span,
    pub paragraph: usize,
}

/// Splits the text into units: lines, except that a line without a final mark is joined to a
/// next line that starts in lower case (text wrapped at a fixed width).
pub fn units(text: &str) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut paragraph = 0;
    let mut seen_text_in_paragraph = false;
    let mut open: Option<Span> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim();
        if content.is_empty() {
            if let Some(span) = open.take() {
                units.push(Unit { span, paragraph });
            }
            if seen_text_in_paragraph {
                paragraph += 1;
                seen_text_in_paragraph = false;
            }
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        let span = Span::new(start + lead, start + lead + content.len());
        seen_text_in_paragraph = true;
        open = match open {
            Some(previous)
                if !has_terminal_mark(&text[previous.start..previous.end])
                    && starts_lowercase(content) =>
            {
                Some(Span::new(previous.start, span.end))
            }
            Some(previous) => {
                units.push(Unit {
                    span: previous,
                    paragraph,
                });
                Some(span)
            }
            None => Some(span),
        };
    }
    if let Some(span) = open {
        units.push(Unit { span, paragraph });
    }
    units
}

/// What a unit is, before it is split into sentences.
pub fn classify(text: &str, unit: Span, lexicon: &Lexicon) -> SentenceKind {
    let line = &text[unit.start..unit.end];
    let words = tokenize(text, unit, lexicon.language);
    if words.len() <= MAX_DATELINE_WORDS && is_dateline(&words, lexicon) {
        return SentenceKind::Dateline;
    }
    if !has_terminal_mark(line)
        && !line.trim_end().ends_with([':', '،', ','])
        && words.len() <= MAX_HEADLINE_WORDS
    {
        return SentenceKind::Headline;
    }
    SentenceKind::Body
}

fn is_dateline(words: &[crate::token::Token], lexicon: &Lexicon) -> bool {
    let has_number = words.iter().any(|w| w.norm.chars().all(|c| c.is_numeric()));
    let has_month = words.iter().any(|w| lexicon.months.contains_word(&w.norm));
    let marker = (0..words.len()).any(|i| {
        lexicon
            .dateline_markers
            .match_at(words[i..].iter().map(|w| w.norm.as_str()))
            .is_some()
    });
    (has_number && has_month) || marker
}

/// Splits a dateline where a year is glued to the next words ("7 فبراير 2026آخر تحديث :").
pub fn split_glued_dateline(text: &str, unit: Span) -> Vec<Span> {
    let line = &text[unit.start..unit.end];
    let mut prev: Option<char> = None;
    for (at, c) in line.char_indices() {
        if prev.is_some_and(|p| p.is_ascii_digit() || matches!(p, '٠'..='٩'))
            && c.is_alphabetic()
            && at > 0
        {
            let left = Span::new(unit.start, unit.start + at);
            let right = Span::new(unit.start + at, unit.end);
            return vec![left, right];
        }
        prev = Some(c);
    }
    vec![unit]
}

/// The wire-style dateline that opens a paragraph ("LONDON, Feb 7 (Reuters) - …", "طهران (أ ف ب) -"),
/// as the span up to and including the dash, when there is one.
pub fn leading_dateline(text: &str, unit: Span, language: Language) -> Option<Span> {
    let line = &text[unit.start..unit.end];
    let window_end = line.char_indices().nth(80).map_or(line.len(), |(i, _)| i);
    let head = &line[..window_end];
    let dash = [" - ", " – ", " — ", " -- "]
        .iter()
        .filter_map(|d| head.find(d).map(|i| (i, d.len())))
        .min_by_key(|(i, _)| *i)?;
    let prefix = &line[..dash.0];
    let prefix_words = tokenize(prefix, Span::new(0, prefix.len()), language);
    let shouting = prefix.split_whitespace().any(|w| {
        let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
        letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase())
    });
    let agency = prefix.contains('(') && prefix.contains(')');
    // Arabic-script and Hebrew wires open with the city alone: "بيروت - ", "القاهرة – ".
    let uncased_city = language.is_right_to_left() && (1..=3).contains(&prefix_words.len());
    (prefix_words.len() <= 8 && (shouting || agency || uncased_city))
        .then(|| Span::new(unit.start, unit.start + dash.0 + dash.1 - 1))
}
